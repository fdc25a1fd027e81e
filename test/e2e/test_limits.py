"""Client-side limits and timeouts: 414, 400 (header too large), 413, 408, keep-alive idle
close (kong-compat.md 3.8, 7)."""

import socket
import time
import unittest

from harness import (MSG_HEADER_TOO_LARGE, MSG_PAYLOAD_TOO_LARGE, MSG_REQUEST_TIMEOUT,
                     MSG_URI_TOO_LONG, CT_JSON, Gateway, GatewayTestCase, build_request, chunked,
                     config, json_body, route, service, text_body, CT_TEXT)
from upstream import Upstream


class LimitsBase(GatewayTestCase):
    env = {}

    @classmethod
    def setUpClass(cls):
        cls.up = Upstream().start()
        cls.gw = Gateway(config(services=[service("s", cls.up.url, [
            route("r", ["/"], strip_path=False)])]), env=cls.env)
        cls.gw.__enter__()

    @classmethod
    def tearDownClass(cls):
        try:
            cls.gw.__exit__(None, None, None)
        finally:
            cls.up.stop()

    def setUp(self):
        self.up.clear()

    def assertError(self, r, status, message, fmt="text"):
        self.assertEqual(r.status, status, r)
        rid = r.header("x-kong-request-id")
        self.assertRequestId(rid)
        if fmt == "text":
            self.assertEqual(r.header("content-type"), CT_TEXT)
            self.assertEqual(r.text, text_body(message, rid))
        else:
            self.assertEqual(r.header("content-type"), CT_JSON)
            self.assertEqual(r.text, json_body(message, rid))


class TestRequestLineAndHeaders(LimitsBase):
    env = {"SLUICE_MAX_REQUEST_LINE": "1024", "SLUICE_MAX_HEADER_SIZE": "4096"}

    def test_request_line_too_long_414(self):
        with self.gw.client() as c:
            r = c.request("GET", "/" + "a" * 1100)
            self.assertError(r, 414, MSG_URI_TOO_LONG)
            self.assertEqual(r.reason, "Request-URI Too Large")
        self.assertEqual(self.up.count(), 0)

    def test_request_line_too_long_by_query_414(self):
        # the request line is refused before any header is read, so Accept is not seen
        # (as in nginx): error_default_type applies
        r = self.gw.get("/q?" + "x=1&" * 300, headers=[("Accept", "application/json")])
        self.assertError(r, 414, MSG_URI_TOO_LONG, "text")
        self.assertEqual(self.up.count(), 0)

    def test_request_line_under_limit_ok(self):
        path = "/" + "a" * 900
        r, doc = self.gw.echo(path)
        self.assertEqual(doc["path"], path)

    def test_header_block_too_large_400(self):
        with self.gw.client() as c:
            r = c.request("GET", "/h", headers=[("X-Big", "b" * 5000)])
            self.assertError(r, 400, MSG_HEADER_TOO_LARGE)
            self.assertEqual(r.reason, "Bad Request")
        self.assertEqual(self.up.count(), 0)

    def test_many_headers_too_large_400(self):
        hdrs = [("X-H%03d" % i, "v" * 40) for i in range(120)]  # ~6 KB in total
        r = self.gw.get("/h", headers=hdrs)
        self.assertError(r, 400, MSG_HEADER_TOO_LARGE)
        self.assertEqual(self.up.count(), 0)

    def test_headers_under_limit_ok(self):
        # each line within the line limit (1024 here), 2.7 KB in all
        r, doc = self.gw.echo("/h", headers=[("X-Big%d" % i, "b" * 900) for i in range(3)])
        self.assertEqual(doc["path"], "/h")

    def test_single_header_line_over_line_limit_400(self):
        # nginx's large_client_header_buffers: one line must fit one buffer
        with self.gw.client() as c:
            r = c.request("GET", "/h", headers=[("X-Big", "b" * 1100)])
            self.assertError(r, 400, MSG_HEADER_TOO_LARGE)
            self.assertEqual(r.header("connection"), "close")
            self.assertClosed(c)
        self.assertEqual(self.up.count(), 0)


class TestDefaultLimits(LimitsBase):
    def test_default_request_line_limit_8192(self):
        r = self.gw.get("/" + "a" * 8000)
        self.assertEqual(r.status, 200)
        r = self.gw.get("/" + "a" * 9000)
        self.assertError(r, 414, MSG_URI_TOO_LONG)

    def test_default_header_limit_32k(self):
        # lines of 7 KB (each within 8 KiB): 21 KB in all pass, 42 KB do not
        r = self.gw.get("/h", headers=[("X-Big%d" % i, "b" * 7000) for i in range(3)])
        self.assertEqual(r.status, 200)
        r = self.gw.get("/h", headers=[("X-Big%d" % i, "b" * 7000) for i in range(6)])
        self.assertError(r, 400, MSG_HEADER_TOO_LARGE)

    def test_default_single_header_line_limit_8k(self):
        # nginx: large_client_header_buffers 4 8k, so one 8 KiB+ line is refused whatever
        # the head's total (found: a 20 KB cookie was accepted)
        r = self.gw.get("/h", headers=[("Cookie", "c" * 8100)])
        self.assertEqual(r.status, 200)
        r = self.gw.get("/h", headers=[("Cookie", "c" * 8200)])
        self.assertError(r, 400, MSG_HEADER_TOO_LARGE)
        self.assertEqual(self.up.count(), 1)

    def test_body_unlimited_by_default(self):
        body = b"z" * (3 * 1024 * 1024)
        with self.gw.client(timeout=10) as c:
            r = c.request("POST", "/unlimited", body=body)
            self.assertEqual(r.status, 200)
            self.assertEqual(len(r.json()["body"]), len(body))


class TestBodySize(LimitsBase):
    env = {"SLUICE_CLIENT_MAX_BODY_SIZE": "1k"}

    def test_content_length_over_limit_413(self):
        with self.gw.client() as c:
            # the head alone is enough to refuse
            c.send(build_request("POST", "/b", [("Content-Length", "2000")], port=self.gw.port))
            r = c.read_response()
            self.assertError(r, 413, MSG_PAYLOAD_TOO_LARGE)
            self.assertEqual(r.reason, "Request Entity Too Large")
        self.assertEqual(self.up.count(), 0)

    def test_content_length_over_limit_json(self):
        r = self.gw.request("POST", "/b", headers=[("Content-Type", "application/json")],
                            body=b"[" + b"1," * 1000 + b"1]")
        self.assertError(r, 413, MSG_PAYLOAD_TOO_LARGE, "json")
        self.assertEqual(self.up.count(), 0)

    def test_at_limit_ok(self):
        r, doc = self.gw.echo("/b", method="POST", body=b"y" * 1024)
        self.assertEqual(len(doc["body"]), 1024)

    def test_expect_continue_over_limit_413_without_100(self):
        with self.gw.client() as c:
            c.send(build_request("POST", "/b", [("Content-Length", "5000"),
                                                ("Expect", "100-continue")], port=self.gw.port))
            r = c.read_response()
            self.assertEqual(r.interim, [])
            self.assertError(r, 413, MSG_PAYLOAD_TOO_LARGE)
        self.assertEqual(self.up.count(), 0)

    def test_chunked_over_limit_413_and_close(self):
        with self.gw.client() as c:
            c.send(build_request("POST", "/c", [("Transfer-Encoding", "chunked")],
                                 port=self.gw.port) + chunked(b"q" * 3000, 500))
            r = c.read_response()
            self.assertError(r, 413, MSG_PAYLOAD_TOO_LARGE)
            self.assertEqual(r.header("connection"), "close")
            self.assertClosed(c)
        self.assertEqual(self.up.count(), 0)

    def test_chunked_under_limit_ok(self):
        with self.gw.client() as c:
            c.send(build_request("POST", "/c", [("Transfer-Encoding", "chunked")],
                                 port=self.gw.port) + chunked(b"q" * 1000, 100))
            self.assertEqual(len(c.read_response().json()["body"]), 1000)

    def test_get_without_body_unaffected(self):
        r, doc = self.gw.echo("/g")
        self.assertEqual(doc["path"], "/g")


class TestBodySizeKongAlias(LimitsBase):
    env = {"KONG_NGINX_HTTP_CLIENT_MAX_BODY_SIZE": "100"}

    def test_kong_variable(self):
        r = self.gw.request("POST", "/b", body=b"x" * 101)
        self.assertError(r, 413, MSG_PAYLOAD_TOO_LARGE)
        r, doc = self.gw.echo("/b", method="POST", body=b"x" * 100)
        self.assertEqual(len(doc["body"]), 100)


class TestTimeouts(LimitsBase):
    env = {"SLUICE_CLIENT_HEADER_TIMEOUT": "1s", "SLUICE_CLIENT_BODY_TIMEOUT": "1s",
           "SLUICE_KEEPALIVE_TIMEOUT": "1s", "SLUICE_SEND_TIMEOUT": "500ms"}

    def test_send_timeout_closes_client_that_does_not_read(self):
        n = 48 * 1024 * 1024
        with self.gw.client(timeout=5) as c:
            c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
            c.send(b"GET /big/%d HTTP/1.1\r\nHost: x\r\n\r\n" % n)
            time.sleep(2.0)  # read nothing: the gateway's writes stall
            t0 = time.monotonic()
            got = len(c.read_raw(timeout=3))
            self.assertLess(time.monotonic() - t0, 2.5, "stalled client not dropped")
            self.assertLess(got, n, "the whole response was delivered anyway")
        r, doc = self.gw.echo("/still-serving")
        self.assertEqual(doc["path"], "/still-serving")

    def test_header_timeout_408_then_close(self):
        with self.gw.client(timeout=5) as c:
            c.send(b"GET /slowloris HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n")
            t0 = time.monotonic()
            r = c.read_response()
            elapsed = time.monotonic() - t0
            self.assertError(r, 408, MSG_REQUEST_TIMEOUT)
            self.assertGreater(elapsed, 0.8)
            self.assertLess(elapsed, 2.5)
            self.assertClosed(c)
        self.assertEqual(self.up.count(), 0)

    def test_header_timeout_is_total_not_per_byte(self):
        # trickling one header byte every 200 ms must not keep the connection alive
        with self.gw.client(timeout=5) as c:
            c.send(b"GET / HTTP/1.1\r\nHost: x\r\n")
            t0 = time.monotonic()
            closed = False
            c.sock.settimeout(0.2)
            while time.monotonic() - t0 < 3.0:
                try:
                    data = c.sock.recv(65536)
                    self.assertTrue(data == b"" or data.startswith(b"HTTP/1.1 408"), data)
                    closed = True
                    break
                except socket.timeout:
                    try:
                        c.send(b"X")
                    except OSError:
                        closed = True
                        break
                except OSError:
                    closed = True
                    break
            self.assertTrue(closed, "a trickled head kept the connection open for 3 s")
            self.assertLess(time.monotonic() - t0, 2.5)

    def test_idle_connection_without_request_closed(self):
        with self.gw.client(timeout=5) as c:
            t0 = time.monotonic()
            data = c.read_raw(timeout=3)
            elapsed = time.monotonic() - t0
            self.assertLess(elapsed, 2.5, "idle connection not closed")
            self.assertTrue(data == b"" or data.startswith(b"HTTP/1.1 408"), data)

    def test_keepalive_idle_close(self):
        with self.gw.client(timeout=5) as c:
            self.assertEqual(c.request("GET", "/ka").status, 200)
            self.assertFalse(c.is_closed(timeout=0.4), "closed well before the timeout")
            t0 = time.monotonic()
            self.assertTrue(c.is_closed(timeout=2.5), "idle keep-alive connection not closed")
            self.assertLess(time.monotonic() - t0, 2.0)

    def test_keepalive_timer_reset_by_requests(self):
        with self.gw.client(timeout=5) as c:
            for i in range(4):
                self.assertEqual(c.request("GET", "/ka/%d" % i).status, 200)
                time.sleep(0.5)  # 2 s in total, more than the 1 s keep-alive timeout

    def test_body_timeout(self):
        with self.gw.client(timeout=5) as c:
            c.send(build_request("POST", "/stall", [("Content-Length", "100")],
                                 port=self.gw.port) + b"0123456789")
            t0 = time.monotonic()
            data = c.read_raw(timeout=4)
            elapsed = time.monotonic() - t0
            self.assertLess(elapsed, 2.5, "stalled body kept the connection open")
            self.assertGreater(elapsed, 0.8)
            if data:
                self.assertTrue(data.startswith(b"HTTP/1.1 408"), data[:200])
        self.assertEqual(self.up.count(), 0)

    def test_chunked_body_timeout(self):
        with self.gw.client(timeout=5) as c:
            c.send(build_request("POST", "/stall", [("Transfer-Encoding", "chunked")],
                                 port=self.gw.port) + b"a\r\n01234")
            t0 = time.monotonic()
            data = c.read_raw(timeout=4)
            self.assertLess(time.monotonic() - t0, 2.5)
            if data:
                self.assertTrue(data.startswith(b"HTTP/1.1 408"), data[:200])
        self.assertEqual(self.up.count(), 0)

    def test_slow_but_steady_body_ok(self):
        # body timeout is between two reads, not for the whole body
        with self.gw.client(timeout=5) as c:
            c.send(build_request("POST", "/steady", [("Content-Length", "8")],
                                 port=self.gw.port))
            for b in b"abcdefgh":
                time.sleep(0.2)
                c.send(bytes([b]))
            self.assertEqual(c.read_response().json()["body"], "abcdefgh")


if __name__ == "__main__":
    unittest.main()
