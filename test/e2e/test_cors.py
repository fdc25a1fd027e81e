"""cors (kong-compat.md 4.7; kong/plugins/cors/handler.lua): preflights answered at the
gateway, Access-Control-* headers on proxied and gateway-made responses, origin matching
(literal, '*', regex by host or by scheme://host:port), credentials, priority before auth."""

import unittest

from harness import Gateway, UpstreamTestCase, check_config, config, route, service

DEFAULT_METHODS = "GET,HEAD,PUT,PATCH,POST,DELETE,OPTIONS,TRACE,CONNECT"


def cors(**conf):
    return {"name": "cors", "config": conf}


def doc_with(up_url, *plugins):
    doc = config(services=[service("s", up_url, [route("r", ["/"], strip_path=False)])])
    doc["plugins"] = list(plugins)
    return doc


def preflight(gw, path="/x", origin="http://a.example", method="POST", extra=()):
    headers = [("Origin", origin), ("Access-Control-Request-Method", method)] + list(extra)
    return gw.request("OPTIONS", path, headers)


class TestCors(UpstreamTestCase):
    def test_preflight_defaults(self):
        with Gateway(doc_with(self.up.url, cors())) as gw:
            r = preflight(gw, extra=[("Access-Control-Request-Headers", "X-Token, X-Other")])
            self.assertEqual(r.status, 200)
            self.assertEqual(r.body, b"")
            self.assertEqual(r.header("content-length"), "0")
            self.assertEqual(r.header("access-control-allow-origin"), "*")
            self.assertEqual(r.header("access-control-allow-methods"), DEFAULT_METHODS)
            self.assertEqual(r.header("access-control-allow-headers"), "X-Token, X-Other")
            self.assertIsNone(r.header("access-control-max-age"))
            self.assertIsNone(r.header("access-control-allow-credentials"))
            self.assertIsNone(r.header("vary"))
            self.assertRegex(r.header("x-kong-request-id") or "", r"^[0-9a-f]{32}$")
            # no Access-Control-Request-Headers: no Access-Control-Allow-Headers
            r = preflight(gw)
            self.assertIsNone(r.header("access-control-allow-headers"))
            self.assertEqual(self.up.count(), 0)
            # OPTIONS without Access-Control-Request-Method is not a preflight
            r = gw.request("OPTIONS", "/x", [("Origin", "http://a.example")])
            self.assertEqual(r.status, 200)
            self.assertEqual(self.up.count(), 1)
            self.assertEqual(r.header("access-control-allow-origin"), "*")

    def test_preflight_fields(self):
        conf = cors(origins=["http://a.example"], methods=["GET", "POST"],
                    headers=["X-Token", "Content-Type"], max_age=3600, credentials=True,
                    private_network=True, exposed_headers=["X-Total"])
        with Gateway(doc_with(self.up.url, conf)) as gw:
            r = preflight(gw, extra=[("Access-Control-Request-Headers", "X-Ignored"),
                                     ("Access-Control-Request-Private-Network", "true")])
            self.assertEqual(r.status, 200)
            self.assertEqual(r.header("access-control-allow-origin"), "http://a.example")
            self.assertEqual(r.header_all("vary"), ["Origin"])
            self.assertEqual(r.header("access-control-allow-methods"), "GET,POST")
            self.assertEqual(r.header("access-control-allow-headers"), "X-Token,Content-Type")
            self.assertEqual(r.header("access-control-max-age"), "3600")
            self.assertEqual(r.header("access-control-allow-credentials"), "true")
            self.assertEqual(r.header("access-control-allow-private-network"), "true")
            # the exposed headers are for actual requests only
            self.assertIsNone(r.header("access-control-expose-headers"))
            r = preflight(gw)
            self.assertIsNone(r.header("access-control-allow-private-network"))
        with Gateway(doc_with(self.up.url, cors(private_network=False))) as gw:
            r = preflight(gw, extra=[("Access-Control-Request-Private-Network", "true")])
            self.assertIsNone(r.header("access-control-allow-private-network"))

    def test_preflight_continue(self):
        with Gateway(doc_with(self.up.url, cors(preflight_continue=True))) as gw:
            r = preflight(gw)
            self.assertEqual(r.status, 200)
            self.assertEqual(self.up.count(), 1)
            self.assertEqual(self.up.last().method, "OPTIONS")
            # the upstream answers it; the plugin adds nothing
            for h in ("access-control-allow-origin", "access-control-allow-methods"):
                self.assertIsNone(r.header(h), h)

    def test_actual_request_headers(self):
        conf = cors(origins=["http://a.example"], credentials=True,
                    exposed_headers=["X-Total", "X-Page"])
        with Gateway(doc_with(self.up.url, conf)) as gw:
            r = gw.get("/x", headers=[("Origin", "http://other.example")])
            self.assertEqual(r.status, 200)
            # one literal origin is sent whatever the request's origin is
            self.assertEqual(r.header("access-control-allow-origin"), "http://a.example")
            self.assertEqual(r.header("access-control-allow-credentials"), "true")
            self.assertEqual(r.header("access-control-expose-headers"), "X-Total,X-Page")
            self.assertEqual(r.header_all("vary"), ["Origin"])
            # the upstream's Vary stays; Origin is added beside it
            r = gw.get("/x", headers=[("Origin", "http://a.example"),
                                      ("X-Stub-Response-Header", "Vary: Accept-Encoding")])
            self.assertEqual(r.header_all("vary"), ["Accept-Encoding", "Origin"])

    def test_wildcard_with_credentials_echoes_the_origin(self):
        with Gateway(doc_with(self.up.url, cors(credentials=True))) as gw:
            r = gw.get("/x", headers=[("Origin", "http://a.example:8080")])
            self.assertEqual(r.header("access-control-allow-origin"), "http://a.example:8080")
            self.assertEqual(r.header("access-control-allow-credentials"), "true")
            self.assertEqual(r.header_all("vary"), ["Origin"])
            # no Origin: "*" and no credentials header
            r = gw.get("/x")
            self.assertEqual(r.header("access-control-allow-origin"), "*")
            self.assertIsNone(r.header("access-control-allow-credentials"))
            r = preflight(gw, origin="http://b.example")
            self.assertEqual(r.header("access-control-allow-origin"), "http://b.example")
            self.assertEqual(r.header("access-control-allow-credentials"), "true")

    def test_multiple_origins(self):
        conf = cors(origins=["http://a.example", "https://b.example:8443",
                             r"^https?://(www\.)?c\.example$", r"[a-z]+\.d\.example",
                             "http://e.example:80"])
        with Gateway(doc_with(self.up.url, conf)) as gw:
            def acao(origin):
                return gw.get("/x", headers=[("Origin", origin)]).header(
                    "access-control-allow-origin")
            self.assertEqual(acao("http://a.example"), "http://a.example")
            # the request origin is normalized: default port dropped
            self.assertEqual(acao("http://a.example:80"), "http://a.example")
            self.assertEqual(acao("http://e.example"), "http://e.example")
            self.assertIsNone(acao("https://a.example"))
            self.assertEqual(acao("https://b.example:8443"), "https://b.example:8443")
            self.assertIsNone(acao("https://b.example"))
            # a regex with ':' matches scheme://host[:port]
            self.assertEqual(acao("https://www.c.example"), "https://www.c.example")
            self.assertEqual(acao("http://c.example:80"), "http://c.example")
            self.assertIsNone(acao("http://c.example.evil"))
            self.assertIsNone(acao("http://evil.c.example"))
            # a regex without ':' matches the host, anchored at both ends
            self.assertEqual(acao("https://api.d.example"), "https://api.d.example")
            self.assertEqual(acao("http://x.d.example:3000"), "http://x.d.example:3000")
            self.assertIsNone(acao("https://api.d.example.evil"))
            self.assertIsNone(acao("https://API.d.example"))
            # no Origin: no match, no header
            r = gw.get("/x")
            self.assertIsNone(r.header("access-control-allow-origin"))
            self.assertEqual(r.header_all("vary"), ["Origin"])
            # an origin that is not allowed loses the upstream's header too
            r = gw.get("/x", headers=[("Origin", "http://evil.example"),
                                      ("X-Stub-Response-Header",
                                       "Access-Control-Allow-Origin: *")])
            self.assertIsNone(r.header("access-control-allow-origin"))
            # a preflight from a disallowed origin is still answered, without ACAO
            r = preflight(gw, origin="http://evil.example")
            self.assertEqual(r.status, 200)
            self.assertIsNone(r.header("access-control-allow-origin"))
            self.assertEqual(r.header("access-control-allow-methods"), DEFAULT_METHODS)

    def test_star_among_origins(self):
        with Gateway(doc_with(self.up.url, cors(origins=["http://a.example", "*"]))) as gw:
            r = gw.get("/x", headers=[("Origin", "http://z.example")])
            self.assertEqual(r.header("access-control-allow-origin"), "*")

    def test_allow_origin_absent(self):
        with Gateway(doc_with(self.up.url, cors(allow_origin_absent=False))) as gw:
            r = gw.get("/x")
            self.assertIsNone(r.header("access-control-allow-origin"))
            r = gw.get("/x", headers=[("Origin", "http://a.example")])
            self.assertEqual(r.header("access-control-allow-origin"), "*")

    def test_gateway_made_responses_get_the_headers(self):
        doc = doc_with(self.up.url, cors(origins=["http://a.example"]))
        doc["services"][0]["routes"].append(
            route("stop", ["/stop"], strip_path=False,
                  plugins=[{"name": "request-termination", "config": {"status_code": 401}}]))
        with Gateway(doc) as gw:
            r = gw.get("/stop", headers=[("Origin", "http://a.example")])
            self.assertEqual(r.status, 401)
            self.assertEqual(r.header("access-control-allow-origin"), "http://a.example")
            # cors runs before request-termination (priority 2000 > 2): a preflight is
            # answered before anything else can refuse it
            r = preflight(gw, path="/stop", origin="http://a.example")
            self.assertEqual(r.status, 200)
            self.assertEqual(r.header("access-control-allow-origin"), "http://a.example")
            # a route no one matched still gets the global plugin's headers
            doc2 = doc_with(self.up.url, cors())
            doc2["services"][0]["routes"][0]["paths"] = ["/only"]
        with Gateway(doc2) as gw:
            r = gw.get("/nothing", headers=[("Origin", "http://a.example")])
            self.assertEqual(r.status, 404)
            self.assertEqual(r.header("access-control-allow-origin"), "*")


class TestCorsConfig(unittest.TestCase):
    def check(self, plugin_conf):
        doc = config(services=[service("s", "http://127.0.0.1:9", [route("r", ["/"])])])
        doc["plugins"] = [cors(**plugin_conf)]
        return check_config(doc)

    def test_valid(self):
        rc, err = self.check({"origins": ["*", r"^https://.*\.example$"], "methods": ["GET"],
                              "headers": ["X"], "exposed_headers": ["Y"], "max_age": 10,
                              "credentials": False, "preflight_continue": False,
                              "private_network": False, "allow_origin_absent": True})
        self.assertEqual(rc, 0, err)

    def test_errors(self):
        for conf, message in [
            ({"origins": ["http://(a.example"]}, r"'http://\(a\.example' is not a valid regex"),
            ({"origins": "*"}, "expected an array"),
            ({"origins": [""]}, "length must be at least 1"),
            ({"methods": ["GET", "FETCH"]}, "expected one of: GET, HEAD, PUT, PATCH, POST, "
                                            "DELETE, OPTIONS, TRACE, CONNECT"),
            ({"headers": [1]}, "expected a string"),
            ({"max_age": "long"}, "expected a number"),
            ({"credentials": "yes"}, "expected a boolean"),
            ({"preflight_continue": 1}, "expected a boolean"),
            ({"origin": ["*"]}, "unknown field"),
        ]:
            rc, err = self.check(conf)
            self.assertEqual(rc, 1, conf)
            self.assertRegex(err, r"kong\.yml:\d+:\d+: " + message, conf)


if __name__ == "__main__":
    unittest.main()
