"""HTTP/1.x handling: keep-alive, pipelining, HTTP/1.0, HEAD, bodies both ways, Expect,
1xx, WebSocket upgrade."""

import base64
import hashlib
import os
import socket
import time
import unittest

from harness import (Gateway, GatewayTestCase, build_request, chunked, config,
                     doc_header, doc_header_all, route, service)
from upstream import WS_GUID, Upstream, pattern


class HttpBase(GatewayTestCase):
    workers = 1

    @classmethod
    def setUpClass(cls):
        cls.up = Upstream().start()
        cls.gw = Gateway(config(services=[service("s", cls.up.url, [
            route("r", ["/"], strip_path=False)])]), workers=cls.workers)
        cls.gw.__enter__()

    @classmethod
    def tearDownClass(cls):
        try:
            cls.gw.__exit__(None, None, None)
        finally:
            cls.up.stop()

    def setUp(self):
        self.up.clear()


class TestKeepAlive(HttpBase):
    def test_several_requests_on_one_connection(self):
        with self.gw.client() as c:
            for i in range(5):
                r = c.request("GET", "/ka/%d" % i)
                self.assertEqual(r.status, 200)
                self.assertEqual(r.json()["path"], "/ka/%d" % i)
                self.assertEqual(r.header("connection"), "keep-alive")
                self.assertEqual(r.version, "HTTP/1.1")

    def test_upstream_connection_reused_sequentially(self):
        with self.gw.client() as c:
            docs = [c.request("GET", "/reuse/%d" % i).json() for i in range(5)]
        self.assertEqual({d["conn_id"] for d in docs}, {docs[0]["conn_id"]})
        self.assertEqual([d["conn_req"] for d in docs],
                         list(range(docs[0]["conn_req"], docs[0]["conn_req"] + 5)))

    def test_upstream_connection_reused_across_client_connections(self):
        docs = []
        for i in range(4):
            with self.gw.client() as c:
                docs.append(c.request("GET", "/reuse2/%d" % i).json())
            time.sleep(0.05)
        self.assertEqual(len({d["conn_id"] for d in docs}), 1, docs)

    def test_upstream_connection_close_not_reused(self):
        with self.gw.client() as c:
            first = c.request("GET", "/closeafter").json()
            r = c.request("GET", "/next")
            self.assertEqual(r.status, 200)
            self.assertNotEqual(r.json()["conn_id"], first["conn_id"])
            self.assertEqual(r.header("connection"), "keep-alive")

    def test_pooled_connection_closed_by_upstream_is_not_an_error(self):
        # the stub closes its side 50 ms after answering; the next request must go out on a
        # fresh connection even with retries 0 (nginx does not count a failed cached
        # connection as a try)
        cfg = config(services=[service("s", self.up.url, [route("r", ["/"], strip_path=False)],
                                       retries=0)])
        with Gateway(cfg) as gw, gw.client() as c:
            for i in range(3):
                first = c.request("GET", "/dropafter").json()
                time.sleep(0.2)
                r = c.request("GET", "/after/%d" % i)
                self.assertEqual(r.status, 200, r)
                self.assertNotEqual(r.json()["conn_id"], first["conn_id"])

    def test_pool_size_zero_disables_upstream_keepalive(self):
        cfg = config(services=[service("s", self.up.url, [route("r", ["/"], strip_path=False)])])
        with Gateway(cfg, env={"SLUICE_UPSTREAM_KEEPALIVE_POOL_SIZE": "0"}) as gw, \
                gw.client() as c:
            docs = [c.request("GET", "/nopool/%d" % i).json() for i in range(3)]
        self.assertEqual(len({d["conn_id"] for d in docs}), 3)
        self.assertEqual({d["conn_req"] for d in docs}, {1})

    def test_connection_close_honoured(self):
        with self.gw.client() as c:
            r = c.request("GET", "/a", headers=[("Connection", "close")])
            self.assertEqual(r.status, 200)
            self.assertEqual(r.header("connection"), "close")
            self.assertClosed(c)

    def test_connection_close_header_is_case_insensitive(self):
        with self.gw.client() as c:
            r = c.request("GET", "/a", headers=[("connection", "Close")])
            self.assertEqual(r.header("connection"), "close")
            self.assertClosed(c)

    def test_pipelining_responses_in_order(self):
        reqs = [
            build_request("GET", "/p/1", port=self.gw.port),
            build_request("POST", "/p/2", [("Content-Type", "text/plain")], "abc",
                          port=self.gw.port),
            build_request("HEAD", "/p/3", port=self.gw.port),
            build_request("PUT", "/p/4", [("Transfer-Encoding", "chunked")], port=self.gw.port)
            + chunked("chunked body!", 4),
            build_request("GET", "/status/404", port=self.gw.port),
            build_request("DELETE", "/p/6", port=self.gw.port),
            build_request("GET", "/chunked/3", port=self.gw.port),
            build_request("GET", "/p/8", [("Connection", "close")], port=self.gw.port),
        ]
        with self.gw.client() as c:
            c.send(b"".join(reqs))
            r = c.read_response("GET")
            self.assertEqual(r.json()["path"], "/p/1")
            r = c.read_response("POST")
            self.assertEqual((r.json()["method"], r.json()["body"]), ("POST", "abc"))
            r = c.read_response("HEAD")
            self.assertEqual((r.status, r.body), (200, b""))
            self.assertGreater(int(r.header("content-length")), 0)
            r = c.read_response("PUT")
            self.assertEqual((r.json()["method"], r.json()["body"]), ("PUT", "chunked body!"))
            r = c.read_response("GET")
            self.assertEqual((r.status, r.body), (404, b"status 404\n"))
            r = c.read_response("DELETE")
            self.assertEqual(r.json()["method"], "DELETE")
            r = c.read_response("GET")
            self.assertEqual(r.body, b"chunk 0\nchunk 1\nchunk 2\n")
            r = c.read_response("GET")
            self.assertEqual(r.json()["path"], "/p/8")
            self.assertEqual(r.header("connection"), "close")
            self.assertClosed(c)
        self.assertEqual([q.path for q in self.up.requests],
                         ["/p/1", "/p/2", "/p/3", "/p/4", "/status/404", "/p/6", "/chunked/3",
                          "/p/8"])

    def test_pipelining_many(self):
        n = 50
        data = b"".join(build_request("GET", "/many/%d" % i, [("X-Pad", "p" * 200)],
                                      port=self.gw.port) for i in range(n))
        with self.gw.client() as c:
            c.send(data)
            for i in range(n):
                r = c.read_response()
                self.assertEqual(r.json()["path"], "/many/%d" % i)
            self.assertFalse(c.is_closed(0.2))

    def test_pipelining_byte_by_byte(self):
        data = b"".join(build_request("GET", "/b/%d" % i, port=self.gw.port) for i in range(3))
        with self.gw.client() as c:
            for i in range(len(data)):
                c.send(data[i:i + 1])
            for i in range(3):
                self.assertEqual(c.read_response().json()["path"], "/b/%d" % i)


class TestHttp10(HttpBase):
    def test_http10_without_keepalive_closes(self):
        with self.gw.client() as c:
            r = c.request("GET", "/h10", version="HTTP/1.0")
            self.assertEqual(r.status, 200)
            self.assertEqual(r.json()["path"], "/h10")
            self.assertEqual(r.json()["version"], "HTTP/1.1")  # upstream always gets 1.1
            self.assertNotEqual((r.header("connection") or "").lower(), "keep-alive")
            self.assertClosed(c)

    def test_http10_keepalive_when_asked(self):
        with self.gw.client() as c:
            for i in range(3):
                r = c.request("GET", "/h10/%d" % i, headers=[("Connection", "keep-alive")],
                              version="HTTP/1.0")
                self.assertEqual(r.status, 200)
                self.assertEqual(r.header("connection"), "keep-alive")
                self.assertEqual(r.json()["path"], "/h10/%d" % i)

    def test_http10_without_host(self):
        with self.gw.client() as c:
            r = c.request("GET", "/nohost", version="HTTP/1.0", host=False)
            self.assertEqual(r.status, 200)
            self.assertEqual(r.json()["path"], "/nohost")

    def test_http10_chunked_upstream_becomes_close_delimited(self):
        with self.gw.client() as c:
            r = c.request("GET", "/chunked/4", version="HTTP/1.0")
            self.assertEqual(r.status, 200)
            self.assertIsNone(r.header("transfer-encoding"))
            self.assertEqual(r.body, b"chunk 0\nchunk 1\nchunk 2\nchunk 3\n")

    def test_http10_keepalive_chunked_upstream_closes(self):
        # no way to frame the body for a 1.0 client but closing
        with self.gw.client() as c:
            c.send(build_request("GET", "/chunked/2", [("Connection", "keep-alive")],
                                 version="HTTP/1.0", port=self.gw.port))
            r = c.read_response()
            self.assertIsNone(r.header("transfer-encoding"))
            self.assertEqual(r.body, b"chunk 0\nchunk 1\n")
            self.assertTrue(r.close_delimited or r.header("content-length") == str(len(r.body)))


class TestHead(HttpBase):
    def test_head_keeps_content_length_and_sends_no_body(self):
        with self.gw.client() as c:
            r = c.request("HEAD", "/big/1000")
            self.assertEqual(r.status, 200)
            self.assertEqual(r.header("content-length"), "1000")
            self.assertEqual(r.body, b"")
            r = c.request("GET", "/after-head")  # nothing left over on the connection
            self.assertEqual(r.json()["path"], "/after-head")
        self.assertEqual(self.up.requests[0].method, "HEAD")

    def test_head_on_chunked_upstream(self):
        with self.gw.client() as c:
            r = c.request("HEAD", "/chunked/3")
            self.assertEqual((r.status, r.body), (200, b""))
            r = c.request("GET", "/after-head")
            self.assertEqual(r.json()["path"], "/after-head")


class TestBodies(HttpBase):
    def test_post_1mib_content_length(self):
        body = (b"0123456789abcdef" * 65536)
        with self.gw.client(timeout=10) as c:
            r = c.request("POST", "/post", [("Content-Type", "application/octet-stream")], body)
            self.assertEqual(r.status, 200)
            doc = r.json()
        self.assertEqual(doc_header(doc, "Content-Length"), str(len(body)))
        self.assertFalse(doc["chunked"])
        self.assertEqual(doc["body"].encode("latin-1"), body)

    def test_chunked_request_rechunked_upstream(self):
        body = os.urandom(50000).hex().encode()  # 100 000 bytes
        with self.gw.client(timeout=10) as c:
            c.send(build_request("POST", "/chunked-in", [("Transfer-Encoding", "chunked")],
                                 port=self.gw.port) + chunked(body, 999))
            r = c.read_response()
            self.assertEqual(r.status, 200)
            doc = r.json()
        self.assertEqual(doc["body"].encode(), body)
        self.assertTrue(doc["chunked"])
        self.assertEqual(doc_header_all(doc, "Transfer-Encoding"), ["chunked"])
        self.assertIsNone(doc_header(doc, "Content-Length"))

    def test_chunked_request_with_extensions_and_trailers(self):
        raw = (build_request("POST", "/ext", [("Transfer-Encoding", "chunked")],
                             port=self.gw.port)
               + b"5;name=value\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n")
        with self.gw.client() as c:
            c.send(raw)
            r = c.read_response()
            self.assertEqual(r.json()["body"], "hello world")
            r = c.request("GET", "/next")  # framing intact
            self.assertEqual(r.json()["path"], "/next")

    def test_chunked_request_sent_slowly(self):
        with self.gw.client() as c:
            c.send(build_request("POST", "/slowchunks", [("Transfer-Encoding", "chunked")],
                                 port=self.gw.port))
            for piece in (b"3\r\nabc\r\n", b"4\r\n", b"defg", b"\r\n", b"0\r\n", b"\r\n"):
                time.sleep(0.05)
                c.send(piece)
            self.assertEqual(c.read_response().json()["body"], "abcdefg")

    def test_empty_body_post(self):
        with self.gw.client() as c:
            r = c.request("POST", "/empty", body=b"")
            doc = r.json()
            self.assertEqual(doc["body"], "")
            self.assertIn(doc_header(doc, "Content-Length"), ("0", None))

    def test_response_head_streamed_before_body(self):
        with self.gw.client() as c:
            c.send(b"GET /slowbody/700 HTTP/1.1\r\nHost: x\r\n\r\n")
            t0 = time.monotonic()
            head = c.read_head()
            self.assertEqual(head.status, 200)
            self.assertLess(time.monotonic() - t0, 0.5, "response head held back until the body")
            self.assertEqual(c.read_exact(int(head.header("content-length"))), b"slow body\n")

    def test_chunked_response(self):
        with self.gw.client() as c:
            r = c.request("GET", "/chunked/5")
            self.assertEqual(r.status, 200)
            self.assertEqual(r.body, b"".join(b"chunk %d\n" % i for i in range(5)))
            self.assertEqual(r.header("connection"), "keep-alive")
            r = c.request("GET", "/after")
            self.assertEqual(r.json()["path"], "/after")

    def test_close_delimited_response_to_http11_client(self):
        with self.gw.client() as c:
            r = c.request("GET", "/close")
            self.assertEqual(r.status, 200)
            self.assertEqual(r.body, b"closed body\n" * 10)

    def test_20mib_response_streamed(self):
        n = 20 * 1024 * 1024
        with self.gw.client(timeout=20) as c:
            r = c.request("GET", "/big/%d" % n)
            self.assertEqual(r.status, 200)
            self.assertEqual(r.header("content-length"), str(n))
            self.assertEqual(len(r.body), n)
            self.assertTrue(r.body == pattern(n), "body differs from what the upstream sent")

    def test_5mib_chunked_response(self):
        n = 5 * 1024 * 1024 + 17
        with self.gw.client(timeout=20) as c:
            r = c.request("GET", "/bigchunked/%d" % n)
            self.assertEqual(len(r.body), n)
            self.assertTrue(r.body == pattern(n))

    def test_status_without_body(self):
        with self.gw.client() as c:
            r = c.request("GET", "/status/204")
            self.assertEqual((r.status, r.body), (204, b""))
            r = c.request("GET", "/status/304")
            self.assertEqual((r.status, r.body), (304, b""))
            r = c.request("GET", "/status/500")
            self.assertEqual((r.status, r.body), (500, b"status 500\n"))
            r = c.request("GET", "/after")
            self.assertEqual(r.json()["path"], "/after")

    def test_large_header_value_within_limits(self):
        value = "v" * 8000
        with self.gw.client() as c:
            r = c.request("GET", "/bighdr", headers=[("X-Big", value)])
            self.assertEqual(doc_header(r.json(), "X-Big"), value)


class TestExpectContinue(HttpBase):
    def test_100_continue_before_body(self):
        with self.gw.client() as c:
            c.send(build_request("POST", "/expect", [("Expect", "100-continue"),
                                                     ("Content-Length", "11")],
                                 port=self.gw.port))
            interim = c.read_response(interim=True)
            self.assertEqual(interim.status, 100)
            self.assertEqual(interim.version, "HTTP/1.1")
            self.assertEqual(self.up.count(), 0)
            c.send(b"hello world")
            r = c.read_response("POST")
            self.assertEqual(r.status, 200)
            doc = r.json()
            self.assertEqual(doc["body"], "hello world")
            self.assertIsNone(doc_header(doc, "Expect"))
            self.assertEqual(r.interim, [])

    def test_100_continue_with_chunked_body(self):
        with self.gw.client() as c:
            c.send(build_request("PUT", "/expect", [("Expect", "100-continue"),
                                                    ("Transfer-Encoding", "chunked")],
                                 port=self.gw.port))
            self.assertEqual(c.read_response(interim=True).status, 100)
            c.send(chunked("chunky", 2))
            doc = c.read_response().json()
            self.assertEqual(doc["body"], "chunky")
            self.assertIsNone(doc_header(doc, "Expect"))

    def test_no_100_for_http10(self):
        with self.gw.client() as c:
            c.send(build_request("POST", "/expect10", [("Expect", "100-continue")], b"abc",
                                 version="HTTP/1.0", port=self.gw.port))
            r = c.read_response()
            self.assertEqual(r.status, 200)
            self.assertEqual(r.interim, [])
            self.assertEqual(r.json()["body"], "abc")


class TestInterimAndUpgrade(HttpBase):
    def test_103_from_upstream(self):
        with self.gw.client() as c:
            r = c.request("GET", "/103")
            self.assertEqual(r.status, 200)
            self.assertEqual(r.json()["path"], "/103")
            # forwarding 1xx is optional (nginx drops them); if forwarded it must be intact
            for i in r.interim:
                self.assertEqual(i.status, 103)
                self.assertEqual(i.header("link"), "</style.css>; rel=preload")

    def ws_handshake(self, c, path="/ws"):
        key = base64.b64encode(os.urandom(16)).decode()
        c.send(build_request("GET", path, [("Upgrade", "websocket"), ("Connection", "Upgrade"),
                                           ("Sec-WebSocket-Key", key),
                                           ("Sec-WebSocket-Version", "13")],
                             port=self.gw.port))
        r = c.read_head()
        return r, key

    def test_websocket_tunnel(self):
        with self.gw.client() as c:
            r, key = self.ws_handshake(c)
            self.assertEqual(r.status, 101, r)
            self.assertEqual((r.header("upgrade") or "").lower(), "websocket")
            self.assertIn("upgrade", (r.header("connection") or "").lower())
            want = base64.b64encode(hashlib.sha1(key.encode() + WS_GUID).digest()).decode()
            self.assertEqual(r.header("sec-websocket-accept"), want)
            for payload in (b"\x81\x05hello", bytes(range(256)), b"x" * 100000):
                c.send(payload)
                self.assertEqual(c.read_exact(len(payload)), payload)
        req = self.up.requests[0]
        self.assertEqual((req.header("upgrade") or "").lower(), "websocket")
        self.assertIn("upgrade", (req.header("connection") or "").lower())
        self.assertEqual(req.header("sec-websocket-key"), key)

    def test_websocket_upstream_close_closes_client(self):
        with self.gw.client() as c:
            r, _ = self.ws_handshake(c)
            self.assertEqual(r.status, 101)
            c.send(b"ping")
            self.assertEqual(c.read_exact(4), b"ping")
            c.sock.shutdown(socket.SHUT_WR)
            # half-close from the client: the stub sees EOF and closes; the gateway must
            # close the client side too
            self.assertEqual(c.read_raw(timeout=3), b"")

    def test_upgrade_refused_by_upstream_is_a_normal_response(self):
        with self.gw.client() as c:
            r = c.request("GET", "/ws")  # no Upgrade header: the stub answers 426
            self.assertEqual(r.status, 426)
            self.assertEqual(r.body, b"upgrade required\n")
            r = c.request("GET", "/after")
            self.assertEqual(r.json()["path"], "/after")


if __name__ == "__main__":
    unittest.main()
