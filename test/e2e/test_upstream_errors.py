"""Upstream failures, timeouts, retries and load balancing (kong-compat.md 2.3, 2.4, 3.8)."""

import collections
import socket
import time
import unittest

from harness import (MSG_BAD_GATEWAY, MSG_TIMEOUT, Gateway, GatewayTestCase, config, dead_port,
                     json_body, route, service, text_body, CT_HTML, CT_JSON, CT_TEXT,
                     SERVER_TOKEN)
from upstream import Upstream


def one_service(url, **fields):
    return config(services=[service("s", url, [route("r", ["/"], strip_path=False)], **fields)])


def balanced(targets, **fields):
    """A service through upstream "lb" with targets [(address, weight)]."""
    return config(
        services=[service("s", "http://lb", [route("r", ["/"], strip_path=False)], **fields)],
        upstreams=[{"name": "lb", "targets": [{"target": t, "weight": w} for t, w in targets]}])


class ErrorsBase(GatewayTestCase):
    def assertNginxError(self, r, status, message, fmt="text"):
        """An error produced by the proxy path (502/504/...), formatted from Accept, else the
        request Content-Type, else error_default_type (text/plain)."""
        self.assertEqual(r.status, status, r)
        rid = r.header("x-kong-request-id")
        self.assertRequestId(rid)
        ctype, body = {
            "text": (CT_TEXT, text_body(message, rid)),
            "json": (CT_JSON, json_body(message, rid)),
        }.get(fmt, (CT_HTML, None))
        self.assertEqual(r.header("content-type"), ctype)
        if body is not None:
            self.assertEqual(r.text, body)
        else:
            self.assertIn("<p>%s.</p>" % message, r.text)
        self.assertEqual(r.header("content-length"), str(len(r.body)))
        self.assertEqual(r.header("server"), SERVER_TOKEN)


class TestUpstreamDown(ErrorsBase):
    def test_connection_refused_502_text_by_default(self):
        with Gateway(one_service("http://127.0.0.1:%d" % dead_port(), retries=0)) as gw:
            r = gw.get("/down")
            self.assertNginxError(r, 502, MSG_BAD_GATEWAY, "text")
            self.assertEqual(r.reason, "Bad Gateway")

    def test_502_format_from_accept_then_content_type(self):
        with Gateway(one_service("http://127.0.0.1:%d" % dead_port(), retries=0)) as gw:
            self.assertNginxError(gw.get("/d", headers=[("Accept", "application/json")]),
                                  502, MSG_BAD_GATEWAY, "json")
            self.assertNginxError(gw.get("/d", headers=[("Accept", "text/html")]),
                                  502, MSG_BAD_GATEWAY, "html")
            r = gw.request("POST", "/d", headers=[("Content-Type", "application/json")],
                           body='{"a":1}')
            self.assertNginxError(r, 502, MSG_BAD_GATEWAY, "json")
            r = gw.request("POST", "/d", headers=[("Content-Type", "application/json"),
                                                  ("Accept", "text/plain")], body="{}")
            self.assertNginxError(r, 502, MSG_BAD_GATEWAY, "text")

    def test_error_default_type_setting(self):
        for var in ("KONG_ERROR_DEFAULT_TYPE", "SLUICE_ERROR_DEFAULT_TYPE"):
            with self.subTest(var=var), Gateway(
                    one_service("http://127.0.0.1:%d" % dead_port(), retries=0),
                    env={var: "application/json"}) as gw:
                self.assertNginxError(gw.get("/d"), 502, MSG_BAD_GATEWAY, "json")

    def test_502_keeps_client_connection_usable(self):
        with Gateway(one_service("http://127.0.0.1:%d" % dead_port(), retries=0)) as gw, \
                gw.client() as c:
            self.assertNginxError(c.request("GET", "/a"), 502, MSG_BAD_GATEWAY)
            self.assertNginxError(c.request("GET", "/b"), 502, MSG_BAD_GATEWAY)

    def test_retries_zero_single_dead_target(self):
        with Gateway(balanced([("127.0.0.1:%d" % dead_port(), 100)], retries=0)) as gw:
            self.assertNginxError(gw.get("/x"), 502, MSG_BAD_GATEWAY)

    def test_upstream_without_targets_503(self):
        cfg = config(services=[service("s", "http://lb", [route("r", ["/"])])],
                     upstreams=[{"name": "lb"}])
        with Gateway(cfg) as gw:
            r = gw.get("/x")
            self.assertEqual(r.status, 503, r)
            self.assertIn("failure to get a peer from the ring-balancer", r.text)


class TestBadUpstream(ErrorsBase):
    @classmethod
    def setUpClass(cls):
        cls.up = Upstream().start()

    @classmethod
    def tearDownClass(cls):
        cls.up.stop()

    def setUp(self):
        self.up.clear()

    def test_garbage_response_502(self):
        with Gateway(one_service(self.up.url, retries=0)) as gw:
            self.assertNginxError(gw.get("/garbage"), 502, MSG_BAD_GATEWAY)
            self.assertNginxError(gw.get("/garbage", headers=[("Accept", "application/json")]),
                                  502, MSG_BAD_GATEWAY, "json")

    def test_upstream_hangs_up_without_response_502(self):
        with Gateway(one_service(self.up.url, retries=0)) as gw:
            self.assertNginxError(gw.get("/hangup"), 502, MSG_BAD_GATEWAY)
            self.assertEqual(self.up.count(), 1)

    def test_hangup_retried_up_to_retries(self):
        with Gateway(one_service(self.up.url, retries=2)) as gw:
            self.assertNginxError(gw.get("/hangup"), 502, MSG_BAD_GATEWAY)
            self.assertEqual(self.up.wait_for(3, timeout=0.3), 3)

    def test_read_timeout_retried_up_to_retries(self):
        with Gateway(one_service(self.up.url, read_timeout=200, retries=1)) as gw:
            t0 = time.monotonic()
            r = gw.get("/slow/1000")
            elapsed = time.monotonic() - t0
            self.assertNginxError(r, 504, MSG_TIMEOUT)
            self.assertGreater(elapsed, 0.35)
            self.assertLess(elapsed, 1.2)
            self.assertEqual(self.up.count(), 2)

    def test_invalid_chunked_response_closes_client(self):
        # either nothing was sent yet and the client gets a complete 502 (the client's own
        # request was fine, so its connection may stay open), or the head went out and the
        # body is cut (no terminating chunk) and the connection closed; never an empty reply
        with Gateway(one_service(self.up.url, retries=0)) as gw, gw.client() as c:
            c.send(b"GET /badchunk HTTP/1.1\r\nHost: x\r\n\r\n")
            data = c.read_raw(timeout=1.5)
            self.assertTrue(data.startswith((b"HTTP/1.1 200", b"HTTP/1.1 502")),
                            "expected a 502 or a truncated 200, got %r" % data[:200])
            if data.startswith(b"HTTP/1.1 502"):
                self.assertIn(MSG_BAD_GATEWAY.encode(), data)
                # the connection is still usable
                r = c.request("GET", "/after")
                self.assertEqual(r.status, 200)
            else:
                self.assertNotIn(b"second", data)
                self.assertFalse(data.endswith(b"0\r\n\r\n"),
                                 "a broken body was terminated as if complete")

    def test_upstream_5xx_passed_through_untouched(self):
        with Gateway(one_service(self.up.url)) as gw:
            for code in (500, 502, 503, 504):
                r = gw.get("/status/%d" % code, headers=[("Accept", "application/json")])
                self.assertEqual(r.status, code)
                self.assertEqual(r.body, b"status %d\n" % code)
                self.assertEqual(r.header("content-type"), "text/plain")
            self.assertEqual(self.up.count(), 4)  # an upstream 5xx is not retried

    def test_upstream_closes_mid_response_closes_client(self):
        with Gateway(one_service(self.up.url, retries=0)) as gw, gw.client() as c:
            c.send(b"GET /truncate/1000 HTTP/1.1\r\nHost: x\r\n\r\n")
            t0 = time.monotonic()
            data = c.read_raw(timeout=4)
            elapsed = time.monotonic() - t0
            self.assertLess(elapsed, 3.0, "client connection left hanging")
            head, _, body = data.partition(b"\r\n\r\n")
            self.assertTrue(head.startswith(b"HTTP/1.1 200"), data[:200])
            self.assertLess(len(body), 2000)
            self.assertEqual(body, b"x" * len(body))

    def test_read_timeout_504(self):
        with Gateway(one_service(self.up.url, read_timeout=300, retries=0)) as gw:
            t0 = time.monotonic()
            r = gw.get("/slow/3000")
            elapsed = time.monotonic() - t0
            self.assertNginxError(r, 504, MSG_TIMEOUT, "text")
            self.assertEqual(r.reason, "Gateway Time-out")
            self.assertGreater(elapsed, 0.25)
            self.assertLess(elapsed, 1.5)
            r = gw.get("/slow/10")  # a fast answer after a timeout
            self.assertEqual(r.status, 200)

    def test_read_timeout_json_by_accept(self):
        with Gateway(one_service(self.up.url, read_timeout=200, retries=0)) as gw:
            r = gw.get("/slow/2000", headers=[("Accept", "application/json")])
            self.assertNginxError(r, 504, MSG_TIMEOUT, "json")

    def test_read_timeout_mid_body_closes_client(self):
        with Gateway(one_service(self.up.url, read_timeout=300, retries=0)) as gw, \
                gw.client() as c:
            c.send(b"GET /slowbody/3000 HTTP/1.1\r\nHost: x\r\n\r\n")
            t0 = time.monotonic()
            data = c.read_raw(timeout=4)
            self.assertLess(time.monotonic() - t0, 2.0, "client connection left hanging")
            self.assertTrue(data.startswith(b"HTTP/1.1 200"), data[:200])
            self.assertFalse(data.endswith(b"slow body\n"))

    def test_read_timeout_is_per_read_not_total(self):
        # each read waits at most read_timeout; a response that is slower in total but keeps
        # arriving is fine: the head comes at once, the body 200 ms later, read_timeout 500
        with Gateway(one_service(self.up.url, read_timeout=500, retries=0)) as gw:
            r = gw.get("/slowbody/200")
            self.assertEqual((r.status, r.body), (200, b"slow body\n"))


class TestConnectTimeout(ErrorsBase):
    def test_connect_timeout_504(self):
        # a listener whose accept queue is full drops SYNs: connect() hangs
        lsock = socket.socket()
        lsock.bind(("127.0.0.1", 0))
        lsock.listen(0)
        port = lsock.getsockname()[1]
        fillers = []
        try:
            for _ in range(4):
                s = socket.socket()
                s.setblocking(False)
                s.connect_ex(("127.0.0.1", port))
                fillers.append(s)
            time.sleep(0.1)
            probe = socket.socket()
            probe.settimeout(0.3)
            try:
                probe.connect(("127.0.0.1", port))
                raise unittest.SkipTest("this kernel completes connects to a full backlog")
            except socket.timeout:
                pass
            finally:
                probe.close()
            with Gateway(one_service("http://127.0.0.1:%d" % port, connect_timeout=300,
                                     retries=0)) as gw:
                t0 = time.monotonic()
                r = gw.get("/c")
                elapsed = time.monotonic() - t0
                self.assertNginxError(r, 504, MSG_TIMEOUT, "text")
                self.assertGreater(elapsed, 0.25)
                self.assertLess(elapsed, 1.5)
        finally:
            for s in fillers:
                s.close()
            lsock.close()


class TestRetriesAndBalancing(ErrorsBase):
    @classmethod
    def setUpClass(cls):
        cls.ups = [Upstream("u%d" % i).start() for i in range(3)]

    @classmethod
    def tearDownClass(cls):
        for u in cls.ups:
            u.stop()

    def setUp(self):
        for u in self.ups:
            u.clear()

    def test_retry_on_dead_target(self):
        live = self.ups[0]
        cfg = balanced([("127.0.0.1:%d" % dead_port(), 100), (live.address, 100)])
        with Gateway(cfg) as gw, gw.client() as c:
            for i in range(10):
                r = c.request("GET", "/retry/%d" % i)
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.json()["upstream"], "u0")
        self.assertEqual(live.count(), 10)

    def test_no_retry_when_retries_zero(self):
        live = self.ups[0]
        cfg = balanced([("127.0.0.1:%d" % dead_port(), 100), (live.address, 100)], retries=0)
        with Gateway(cfg) as gw, gw.client() as c:
            statuses = collections.Counter(c.request("GET", "/n/%d" % i).status
                                           for i in range(10))
        self.assertEqual(statuses, {200: 5, 502: 5})
        self.assertEqual(live.count(), 5)

    def test_host_header_is_target_address(self):
        cfg = balanced([(self.ups[1].address, 100)])
        with Gateway(cfg) as gw:
            r, doc = gw.echo("/h", host="client.example")
            self.assertEqual([v for k, v in doc["headers"] if k.lower() == "host"],
                             [self.ups[1].address])

    def test_weighted_round_robin_1_2_3(self):
        cfg = balanced([(self.ups[0].address, 1), (self.ups[1].address, 2),
                        (self.ups[2].address, 3)])
        with Gateway(cfg, workers=1) as gw, gw.client() as c:
            seen = collections.Counter(c.request("GET", "/w/%d" % i).json()["upstream"]
                                       for i in range(60))
        self.assertEqual(dict(seen), {"u0": 10, "u1": 20, "u2": 30})

    def test_weight_zero_never_selected(self):
        cfg = balanced([(self.ups[0].address, 0), (self.ups[1].address, 10)])
        with Gateway(cfg) as gw, gw.client() as c:
            seen = collections.Counter(c.request("GET", "/z/%d" % i).json()["upstream"]
                                       for i in range(10))
        self.assertEqual(dict(seen), {"u1": 10})

    def test_balancing_spreads_over_new_client_connections(self):
        cfg = balanced([(self.ups[0].address, 1), (self.ups[1].address, 1)])
        with Gateway(cfg, workers=1) as gw:
            seen = collections.Counter(gw.echo("/s/%d" % i)[1]["upstream"] for i in range(10))
        self.assertEqual(dict(seen), {"u0": 5, "u1": 5})


if __name__ == "__main__":
    unittest.main()
