"""Headers sluice adds to and removes from the upstream request and the response
(kong-compat.md 3.6, 3.7)."""

import unittest

from harness import (MSG_NO_ROUTE, REQUEST_ID_RE, SERVER_TOKEN, VIA_TOKEN, Gateway,
                     GatewayTestCase, config, doc_header, doc_header_all, route, service)
from upstream import Upstream

FORWARDED = ("X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Forwarded-Port",
             "X-Forwarded-Path", "X-Real-IP", "Via", "X-Kong-Request-Id", "Connection")

LATENCY_RESPONSE = ("X-Kong-Upstream-Latency", "X-Kong-Proxy-Latency")


class HeadersBase(GatewayTestCase):
    @classmethod
    def setUpClass(cls):
        cls.up = Upstream().start()
        cls.cfg = config(services=[
            service("s", cls.up.url, [route("plain", ["/"], strip_path=False),
                                      route("stripped", ["/strip"], strip_path=True)]),
            service("kept", cls.up.url + "/svc", [route("keep", ["/keep"], strip_path=False)]),
        ])

    @classmethod
    def tearDownClass(cls):
        cls.up.stop()

    def setUp(self):
        self.up.clear()


class TestUpstreamRequestHeaders(HeadersBase):
    def test_added_headers(self):
        with Gateway(self.cfg) as gw:
            r, doc = gw.echo("/a/b%2e/c?x=1&y=2", host="API.Example.COM:8080")
            self.assertEqual(doc_header(doc, "Host"), "127.0.0.1:%d" % self.up.port)
            self.assertEqual(doc_header(doc, "X-Forwarded-For"), "127.0.0.1")
            self.assertEqual(doc_header(doc, "X-Forwarded-Proto"), "http")
            self.assertEqual(doc_header(doc, "X-Forwarded-Host"), "api.example.com")
            self.assertEqual(doc_header(doc, "X-Forwarded-Port"), str(gw.port))
            self.assertEqual(doc_header(doc, "X-Forwarded-Path"), "/a/b%2e/c")
            self.assertIsNone(doc_header(doc, "X-Forwarded-Prefix"))
            self.assertEqual(doc_header(doc, "X-Real-IP"), "127.0.0.1")
            self.assertEqual(doc_header(doc, "Via"), VIA_TOKEN)
            self.assertEqual(doc_header(doc, "Connection"), "keep-alive")
            rid = doc_header(doc, "X-Kong-Request-Id")
            self.assertRegex(rid, REQUEST_ID_RE)
            self.assertEqual(r.header("X-Kong-Request-Id"), rid)
            for name in FORWARDED + ("Host",):
                self.assertEqual(len(doc_header_all(doc, name)), 1, name)

    def test_request_ids_differ_per_request(self):
        with Gateway(self.cfg) as gw, gw.client() as c:
            ids = set()
            for _ in range(5):
                r = c.request("GET", "/id")
                doc = r.json()
                self.assertEqual(r.header("X-Kong-Request-Id"),
                                 doc_header(doc, "X-Kong-Request-Id"))
                ids.add(r.header("X-Kong-Request-Id"))
            self.assertEqual(len(ids), 5)

    def test_forwarded_path_is_raw_path(self):
        with Gateway(self.cfg) as gw:
            r, doc = gw.echo("/strip/../x//y?q=1")
            self.assertEqual(doc_header(doc, "X-Forwarded-Path"), "/strip/../x//y")
            self.assertEqual(doc["path"], "/x/y?q=1")

    def test_forwarded_prefix_with_strip_path(self):
        with Gateway(self.cfg) as gw:
            r, doc = gw.echo("/strip/rest")
            self.assertEqual(doc["path"], "/rest")
            self.assertEqual(doc_header(doc, "X-Forwarded-Prefix"), "/strip")
            self.assertEqual(doc_header(doc, "X-Forwarded-Path"), "/strip/rest")
            r, doc = gw.echo("/keep/rest")
            self.assertEqual(doc["path"], "/svc/keep/rest")
            self.assertIsNone(doc_header(doc, "X-Forwarded-Prefix"))

    def test_client_forwarded_headers_untrusted(self):
        spoof = [
            ("X-Forwarded-For", "1.2.3.4, 5.6.7.8"),
            ("X-Forwarded-Proto", "https"),
            ("X-Forwarded-Host", "evil.example"),
            ("X-Forwarded-Port", "443"),
            ("X-Forwarded-Path", "/evil"),
            ("X-Forwarded-Prefix", "/evil"),
            ("X-Real-IP", "9.9.9.9"),
        ]
        with Gateway(self.cfg) as gw:
            r, doc = gw.echo("/p", headers=spoof, host="good.example")
            self.assertEqual(doc_header_all(doc, "X-Forwarded-For"),
                             ["1.2.3.4, 5.6.7.8, 127.0.0.1"])
            self.assertEqual(doc_header_all(doc, "X-Forwarded-Proto"), ["http"])
            self.assertEqual(doc_header_all(doc, "X-Forwarded-Host"), ["good.example"])
            self.assertEqual(doc_header_all(doc, "X-Forwarded-Port"), [str(gw.port)])
            self.assertEqual(doc_header_all(doc, "X-Forwarded-Path"), ["/p"])
            self.assertEqual(doc_header_all(doc, "X-Real-IP"), ["127.0.0.1"])
            # nothing stripped here, and the client's value is not trusted: no prefix at all
            self.assertEqual(doc_header_all(doc, "X-Forwarded-Prefix"), [])

    def test_client_via_is_appended_to(self):
        with Gateway(self.cfg) as gw:
            r, doc = gw.echo("/v", headers=[("Via", "1.0 fred, 1.1 p.example")])
            self.assertEqual(doc_header_all(doc, "Via"), ["1.0 fred, 1.1 p.example, " + VIA_TOKEN])

    def test_end_to_end_headers_pass_in_order(self):
        hdrs = [("X-One", "1"), ("x-two", "two words"), ("X-One", "again"),
                ("Cookie", "a=1; b=2"), ("Authorization", "Bearer t"),
                ("Accept", "*/*"), ("User-Agent", "e2e/1.0"), ("X-Empty", "")]
        with Gateway(self.cfg) as gw:
            r, doc = gw.echo("/e", headers=hdrs)
            got = [(k, v) for k, v in doc["headers"]
                   if k.lower() in {h.lower() for h, _ in hdrs}]
            self.assertEqual([(k.lower(), v) for k, v in got],
                             [(k.lower(), v) for k, v in hdrs])

    def test_hop_by_hop_headers_removed(self):
        hdrs = [
            ("Connection", "keep-alive, X-Secret, x-other"),
            ("X-Secret", "s"),
            ("X-Other", "o"),
            ("X-Keep", "yes"),
            ("Keep-Alive", "timeout=300"),
            ("Proxy-Connection", "keep-alive"),
            ("Proxy", "http://evil"),
            ("TE", "deflate"),
            ("Trailer", "X-Checksum"),
            ("Upgrade", "h2c"),
        ]
        with Gateway(self.cfg) as gw:
            r, doc = gw.echo("/hop", headers=hdrs)
            for name in ("X-Secret", "X-Other", "Keep-Alive", "Proxy-Connection", "Proxy", "TE",
                         "Trailer", "Upgrade", "Transfer-Encoding"):
                self.assertEqual(doc_header_all(doc, name), [], name)
            self.assertEqual(doc_header_all(doc, "X-Keep"), ["yes"])
            self.assertEqual(doc_header_all(doc, "Connection"), ["keep-alive"])

    def test_connection_header_listing_close_not_forwarded(self):
        with Gateway(self.cfg) as gw, gw.client() as c:
            r = c.request("GET", "/c", headers=[("Connection", "close, X-Gone"), ("X-Gone", "1")])
            doc = r.json()
            self.assertEqual(doc_header_all(doc, "X-Gone"), [])
            self.assertEqual(doc_header_all(doc, "Connection"), ["keep-alive"])
            self.assertEqual(r.header("connection"), "close")


class TestResponseHeaders(HeadersBase):
    def test_added_to_proxied_response(self):
        with Gateway(self.cfg) as gw:
            r, doc = gw.echo("/r")
            self.assertEqual(r.header_all("Server"), [SERVER_TOKEN])
            self.assertEqual(r.header_all("Via"), [VIA_TOKEN])
            for name in LATENCY_RESPONSE:
                self.assertEqual(len(r.header_all(name)), 1, name)
                self.assertRegex(r.header(name), r"^\d+$", name)
            self.assertRegex(r.header("X-Kong-Request-Id"), REQUEST_ID_RE)
            self.assertEqual(r.header_all("Connection"), ["keep-alive"])
            self.assertIsNone(r.header("X-Kong-Response-Latency"))
            self.assertIsNone(r.header("X-Kong-Upstream-Status"))

    def test_upstream_headers_hop_by_hop_removed_via_appended_server_kept(self):
        with Gateway(self.cfg) as gw:
            r = gw.get("/headers")
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.body, b"custom headers\n")
            self.assertEqual(r.header_all("Server"), ["stub-server/1.0"])
            self.assertEqual(r.header_all("Via"), ["1.1 stub-proxy, " + VIA_TOKEN])
            self.assertEqual(r.header_all("X-Bar"), ["kept"])
            self.assertEqual(r.header_all("Set-Cookie"), ["a=1", "b=2"])
            for name in ("X-Foo", "Keep-Alive", "Proxy-Connection", "Trailer", "Upgrade"):
                self.assertEqual(r.header_all(name), [], name)
            self.assertEqual(r.header_all("Connection"), ["keep-alive"])
            self.assertEqual(r.header("Content-Length"), str(len(r.body)))

    def test_upstream_status_passed_through(self):
        with Gateway(self.cfg) as gw:
            r = gw.get("/status/418")
            self.assertEqual(r.status, 418)
            self.assertEqual(r.body, b"status 418\n")
            self.assertEqual(r.header("Via"), VIA_TOKEN)
            self.assertRegex(r.header("X-Kong-Upstream-Latency"), r"^\d+$")

    def test_latency_reflects_slow_upstream(self):
        with Gateway(self.cfg) as gw:
            r, doc = gw.echo("/slow/300")
            self.assertGreaterEqual(int(r.header("X-Kong-Upstream-Latency")), 250)
            self.assertLess(int(r.header("X-Kong-Proxy-Latency")), 250)


class TestHeadersSetting(HeadersBase):
    def test_headers_off(self):
        for var in ("KONG_HEADERS", "SLUICE_HEADERS"):
            with self.subTest(var=var), Gateway(self.cfg, env={var: "off"}) as gw:
                r, doc = gw.echo("/o")
                for name in ("Via", "Server", "X-Kong-Request-Id", "X-Kong-Upstream-Latency",
                             "X-Kong-Proxy-Latency", "X-Kong-Response-Latency"):
                    self.assertIsNone(r.header(name), name)
                r = gw.get("/headers")
                self.assertEqual(r.header_all("Via"), ["1.1 stub-proxy"])
                self.assertEqual(r.header_all("Server"), ["stub-server/1.0"])

    def test_headers_off_on_gateway_errors(self):
        with Gateway(config(), env={"KONG_HEADERS": "off"}) as gw:
            r = gw.get("/nothing")
            self.assertEqual(r.status, 404)
            for name in ("Server", "Via", "X-Kong-Response-Latency", "X-Kong-Request-Id"):
                self.assertIsNone(r.header(name), name)
            # the body still carries an id
            self.assertRegex(r.json()["request_id"], REQUEST_ID_RE)
            self.assertEqual(r.json()["message"], MSG_NO_ROUTE)

    def test_latency_tokens_only(self):
        with Gateway(self.cfg, env={"KONG_HEADERS": "latency_tokens"}) as gw:
            r, doc = gw.echo("/l")
            for name in LATENCY_RESPONSE:
                self.assertRegex(r.header(name) or "", r"^\d+$", name)
            for name in ("Via", "Server", "X-Kong-Request-Id"):
                self.assertIsNone(r.header(name), name)

    def test_server_tokens_only(self):
        with Gateway(self.cfg, env={"KONG_HEADERS": "server_tokens"}) as gw:
            r, doc = gw.echo("/l")
            self.assertEqual(r.header("Server"), SERVER_TOKEN)
            self.assertEqual(r.header("Via"), VIA_TOKEN)
            for name in LATENCY_RESPONSE + ("X-Kong-Request-Id",):
                self.assertIsNone(r.header(name), name)


if __name__ == "__main__":
    unittest.main()
