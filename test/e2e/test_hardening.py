"""Hostile-client findings, each named after the fault it guards against: smuggling through
HTTP/1.0 chunked bodies, upgrades the upstream refused, h2c; endless chunk-size lines; a
client that goes away mid-request; the last response before keepalive_requests; memory per
idle connection; the connection ceiling; TRACE.

The smuggling tests use a raw-socket upstream that records every byte it receives, so they
can assert that a hidden request never reached it, parsed or not."""

import os
import resource
import signal
import socket
import struct
import time
import unittest

from harness import (CT_TEXT, MSG_BAD_REQUEST, Client, Closed, Gateway, GatewayTestCase,
                     build_request, config, route, service, text_body)
from rawupstream import CANNED_200, RawUpstream, response
from test_reload import rss_kib, under_asan

SMUGGLED = b"GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n"


def chunk(data):
    return b"%x\r\n%s\r\n" % (len(data), data)


class RawBase(GatewayTestCase):
    """One raw upstream behind routes / (plain) and /auth (key-auth); /nowhere has no route."""
    respond = staticmethod(lambda head: CANNED_200)
    env = {}

    @classmethod
    def setUpClass(cls):
        cls.up = RawUpstream(respond=cls.respond).start()
        doc = config(services=[service("s", cls.up.url, [
            route("plain", ["/ok", "/upgrade", "/h2c", "/x"], strip_path=False),
            route("auth", ["/auth"], strip_path=False,
                  plugins=[{"name": "key-auth", "config": {}}]),
        ])])
        cls.gw = Gateway(doc, env=cls.env)
        cls.gw.__enter__()

    @classmethod
    def tearDownClass(cls):
        try:
            cls.gw.__exit__(None, None, None)
        finally:
            cls.up.stop()

    def assertBadRequestAndClosed(self, c):
        r = c.read_response()
        self.assertEqual(r.status, 400, r)
        rid = r.header("x-kong-request-id")
        self.assertEqual(r.header("content-type"), CT_TEXT)
        self.assertEqual(r.text, text_body(MSG_BAD_REQUEST, rid))
        self.assertEqual(r.header("connection"), "close")
        self.assertClosed(c)


class TestHttp10TransferEncoding(RawBase):
    """Finding 1: an HTTP/1.0 request with Transfer-Encoding: chunked had its body (holding a
    second request) forwarded; RFC 9112 6.1 says its framing cannot be trusted."""

    def test_http10_chunked_refused_and_never_forwarded(self):
        before = len(self.up.received())
        with self.gw.client(timeout=3) as c:
            c.send(b"POST /ok HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                   + chunk(SMUGGLED) + b"0\r\n\r\n" + SMUGGLED)
            self.assertBadRequestAndClosed(c)
        time.sleep(0.1)
        self.assertEqual(self.up.received()[before:], b"")

    def test_http10_keepalive_chunked_refused(self):
        before = len(self.up.received())
        with self.gw.client(timeout=3) as c:
            c.send(b"POST /ok HTTP/1.0\r\nHost: a\r\nConnection: keep-alive\r\n"
                   b"Transfer-Encoding: chunked\r\n\r\n" + chunk(SMUGGLED) + b"0\r\n\r\n")
            self.assertBadRequestAndClosed(c)
        time.sleep(0.1)
        self.assertNotIn(b"/smuggled", self.up.received()[before:])

    def test_http10_content_length_still_works(self):
        with self.gw.client() as c:
            r = c.request("POST", "/ok", body=b"hello", version="HTTP/1.0")
            self.assertEqual(r.status, 200)


class TestUpgradeRefusedByUpstream(RawBase):
    """Finding 2: after an Upgrade request the upstream did not switch (200, 400, 426), the
    bytes that followed were not parsed as requests; only a 101 opens a tunnel."""

    statuses = {b"/upgrade/200": 200, b"/upgrade/400": 400, b"/upgrade/426": 426}
    respond = staticmethod(lambda head: response(
        int(head.split(b" ")[1].rsplit(b"/", 1)[1]) if head.startswith(b"GET /upgrade/")
        else 200, b"no switch"))

    def upgrade(self, path):
        return build_request("GET", path, [("Upgrade", "websocket"), ("Connection", "Upgrade"),
                                           ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
                                           ("Sec-WebSocket-Version", "13")], host="a")

    def test_following_requests_are_routed_and_authenticated(self):
        for status in (200, 400, 426):
            with self.subTest(status=status), self.gw.client(timeout=3) as c:
                before = len(self.up.received())
                # pipelined: the upgrade, a request with no route, one that needs a key, a
                # plain one
                c.send(self.upgrade("/upgrade/%d" % status)
                       + b"GET /nowhere HTTP/1.1\r\nHost: a\r\n\r\n"
                       + b"GET /auth HTTP/1.1\r\nHost: a\r\n\r\n"
                       + b"GET /ok?after HTTP/1.1\r\nHost: a\r\n\r\n")
                r = c.read_response()
                self.assertEqual(r.status, status)
                self.assertEqual(r.body, b"no switch")
                self.assertEqual(c.read_response().status, 404)   # routed: no route
                self.assertEqual(c.read_response().status, 401)   # key-auth ran
                r = c.read_response()
                self.assertEqual(r.status, 200)
                self.assertEqual(r.header("connection"), "keep-alive")
                got = self.up.received()[before:]
                self.assertNotIn(b"/nowhere", got)
                self.assertNotIn(b"GET /auth", got)
                # the plain one was rebuilt by the gateway, not passed through
                self.assertIn(b"GET /ok?after HTTP/1.1\r\n", got)
                tail = got[got.index(b"GET /ok?after"):]
                self.assertIn(b"X-Forwarded-For: 127.0.0.1", tail)

    def test_bytes_after_refused_upgrade_are_not_tunnelled(self):
        with self.gw.client(timeout=3) as c:
            before = len(self.up.received())
            c.send(self.upgrade("/upgrade/426"))
            self.assertEqual(c.read_response().status, 426)
            c.send(b"\x81\x05hello" + SMUGGLED)  # not HTTP: refused, never passed on
            self.assertBadRequestAndClosed(c)
        time.sleep(0.1)
        got = self.up.received()[before:]
        self.assertNotIn(b"hello", got)
        self.assertNotIn(b"/smuggled", got)


class TestH2cUpgrade(RawBase):
    """Finding 3: Upgrade: h2c was forwarded; an upstream that takes it speaks HTTP/2 on a
    connection the gateway parses as HTTP/1."""

    def check_not_forwarded(self, headers):
        before = self.up.wait_heads(0)
        with self.gw.client() as c:
            c.send(build_request("GET", "/x", headers, host="a"))
            r = c.read_response()
            self.assertEqual(r.status, 200)
            self.assertIsNone(r.header("upgrade"))
            # the connection stays HTTP/1.1
            r = c.request("GET", "/ok")
            self.assertEqual(r.status, 200)
        self.assertGreaterEqual(self.up.wait_heads(before + 2), before + 2)
        with self.up.lock:
            head = self.up.heads[before].lower()
        self.assertTrue(head.startswith(b"get /x "), head)
        head = head.split(b"\r\n", 1)[1]  # the fields
        self.assertNotIn(b"upgrade", head)
        self.assertNotIn(b"h2c", head)
        self.assertNotIn(b"http2-settings", head)

    def test_h2c_with_settings(self):
        self.check_not_forwarded([("Upgrade", "h2c"), ("HTTP2-Settings", "AAMAAABkAAQAAP__"),
                                  ("Connection", "Upgrade, HTTP2-Settings")])

    def test_h2c_without_settings(self):
        self.check_not_forwarded([("Upgrade", "h2c"), ("Connection", "Upgrade")])

    def test_h2c_among_other_protocols(self):
        self.check_not_forwarded([("Upgrade", "websocket, h2c"), ("Connection", "Upgrade")])

    def test_http2_settings_alone_not_forwarded(self):
        self.check_not_forwarded([("HTTP2-Settings", "AAMAAABkAAQAAP__")])


class TestH2cUpstreamSwitching(RawBase):
    """An upstream that switches to h2c anyway (101 to a request the gateway sent without
    Upgrade) gets a 502, never a tunnel."""
    respond = staticmethod(lambda head: b"HTTP/1.1 101 Switching Protocols\r\n"
                           b"Connection: Upgrade\r\nUpgrade: h2c\r\n\r\n")

    def test_101_to_h2c_is_502(self):
        with self.gw.client() as c:
            c.send(build_request("GET", "/h2c", [("Upgrade", "h2c"), ("Connection", "Upgrade"),
                                                 ("HTTP2-Settings", "AAMAAABkAAQAAP__")],
                                 host="a"))
            r = c.read_response()
            self.assertEqual(r.status, 502)


class TestChunkSizeLine(RawBase):
    """Finding 4: a chunk with an endless extension got no answer at all."""

    def refused_at_once(self, payload):
        before = len(self.up.received())
        with self.gw.client(timeout=3) as c:
            t0 = time.monotonic()
            c.send(b"POST /ok HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n")
            try:
                c.send(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass
            self.assertBadRequestAndClosed(c)
            self.assertLess(time.monotonic() - t0, 1.0)
        return self.up.received()[before:]

    def test_long_extension_refused(self):
        self.refused_at_once(b"5;ext=" + b"a" * 100000)

    def test_long_extension_in_small_pieces_refused(self):
        before = len(self.up.received())
        with self.gw.client(timeout=3) as c:
            c.send(b"POST /ok HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;e=")
            closed = False
            for _ in range(200):
                try:
                    c.send(b"a" * 100)
                except (BrokenPipeError, ConnectionResetError):
                    closed = True
                    break
                time.sleep(0.002)
            if not closed:
                self.assertBadRequestAndClosed(c)
        # longer than any request id, which is hex and may hold a few a's
        self.assertNotIn(b"a" * 64, self.up.received()[before:])

    def test_endless_leading_zeros_refused(self):
        self.refused_at_once(b"0" * 100000 + b"5\r\nhello\r\n0\r\n\r\n")

    def test_extension_within_limit_passes(self):
        body = b"hello"
        with self.gw.client() as c:
            c.send(b"POST /ok HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                   b"5;name=" + b"v" * 2000 + b"\r\n" + body + b"\r\n0\r\n\r\n")
            self.assertEqual(c.read_response().status, 200)


class TestClientGoesAway(GatewayTestCase):
    """Finding 5: when the client closed mid-request the upstream connection was released
    only when the upstream answered (about 4 s later); it must go at once."""

    def run_case(self, reset, pooled):
        held = []

        def respond(head):
            if b"/hold" in head:
                held.append(time.monotonic())
                return None  # never answers
            return CANNED_200

        with RawUpstream(respond=respond) as up, Gateway(config(services=[service(
                "s", up.url, [route("r", ["/"], strip_path=False)])])) as gw:
            c = gw.client()
            if pooled:
                # a first request leaves the upstream connection in the pool
                self.assertEqual(c.request("GET", "/first").status, 200)
                c.close()
                c = gw.client()
            c.send(b"GET /hold HTTP/1.1\r\nHost: a\r\n\r\n")
            deadline = time.monotonic() + 3
            while not held and time.monotonic() < deadline:
                time.sleep(0.01)
            self.assertTrue(held, "the request did not reach the upstream")
            if reset:
                c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            t0 = time.monotonic()
            c.close()
            idx = up.connection_count() - 1
            closed = up.wait_closed(idx, timeout=3)
            self.assertIsNotNone(closed, "the upstream connection stayed open")
            self.assertLess(closed - t0, 1.0)
            # the gateway goes on serving, on a new upstream connection
            n = up.connection_count()
            self.assertEqual(gw.get("/again").status, 200)
            self.assertEqual(up.connection_count(), n + 1)

    def test_close_aborts_upstream(self):
        self.run_case(reset=False, pooled=False)

    def test_reset_aborts_upstream(self):
        self.run_case(reset=True, pooled=False)

    def test_close_on_pooled_upstream_connection_closes_it(self):
        self.run_case(reset=False, pooled=True)

    def test_client_abort_is_logged_499(self):
        held = []
        log = []

        def respond(head):
            held.append(1)
            return None

        with RawUpstream(respond=respond) as up:
            gw = Gateway(config(services=[service("s", up.url, [route("r", ["/"])])]),
                         env={"SLUICE_PROXY_ACCESS_LOG": "access.log"})
            with gw:
                with gw.client() as c:
                    c.send(b"GET /hold HTTP/1.1\r\nHost: a\r\n\r\n")
                    deadline = time.monotonic() + 3
                    while not held and time.monotonic() < deadline:
                        time.sleep(0.01)
                time.sleep(0.3)
                gw.stop()
                with open(os.path.join(gw.dir, "access.log")) as f:
                    log = f.read()
            self.assertIn('"GET /hold HTTP/1.1" 499', log)


class TestLastResponseSaysClose(GatewayTestCase):
    """Finding 6: the response that reached keepalive_requests said keep-alive, then the
    connection closed under the client's next request."""

    def test_keepalive_requests_limit(self):
        with RawUpstream() as up, Gateway(config(services=[service("s", up.url, [
                route("r", ["/ok"], strip_path=False)])]),
                env={"SLUICE_KEEPALIVE_REQUESTS": "3"}) as gw:
            with gw.client() as c:
                self.assertEqual(c.request("GET", "/ok").header("connection"), "keep-alive")
                # a gateway answer counts too
                self.assertEqual(c.request("GET", "/none").header("connection"), "keep-alive")
                r = c.request("GET", "/ok")
                self.assertEqual(r.status, 200)
                self.assertEqual(r.header("connection"), "close")
                self.assertClosed(c)
            with gw.client() as c:
                c.request("GET", "/ok")
                c.request("GET", "/ok")
                r = c.request("GET", "/none")  # the third is the gateway's own 404
                self.assertEqual(r.status, 404)
                self.assertEqual(r.header("connection"), "close")
                self.assertClosed(c)

    def test_pipelined_at_limit(self):
        with RawUpstream() as up, Gateway(config(services=[service("s", up.url, [
                route("r", ["/ok"], strip_path=False)])]),
                env={"SLUICE_KEEPALIVE_REQUESTS": "2"}) as gw:
            with gw.client() as c:
                c.send(build_request("GET", "/ok", host="a") * 3)
                self.assertEqual(c.read_response().header("connection"), "keep-alive")
                self.assertEqual(c.read_response().header("connection"), "close")
                self.assertEqual(c.read_raw(1.0), b"")  # the third is never answered

    def test_early_answer_to_a_big_body_is_not_reset(self):
        # a 404 for a 4 MiB upload (more than the gateway reads past): the gateway shuts its
        # side and drains what still comes, so the client reads the answer and then a FIN,
        # not a reset that would throw the answer away
        import threading
        with RawUpstream() as up, Gateway(config(services=[service("s", up.url, [
                route("r", ["/ok"], strip_path=False)])])) as gw:
            for _ in range(3):
                with gw.client(timeout=10) as c:
                    body = b"x" * (4 << 20)
                    c.send(b"POST /nowhere HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n\r\n"
                           % len(body))

                    def upload():
                        try:
                            c.sock.sendall(body)
                        except OSError:
                            pass
                    t = threading.Thread(target=upload, daemon=True)
                    t.start()
                    r = c.read_response()
                    self.assertEqual(r.status, 404)
                    self.assertEqual(r.header("connection"), "close")
                    t.join(timeout=10)
                    self.assertEqual(c.read_raw(3.0), b"")

    def test_drain_response_says_close(self):
        held = []

        def respond(head):
            held.append(1)
            time.sleep(0.5)
            return CANNED_200

        with RawUpstream(respond=respond) as up, Gateway(config(services=[service(
                "s", up.url, [route("r", ["/"], strip_path=False)])])) as gw:
            with gw.client() as c:
                c.send(b"GET /slow HTTP/1.1\r\nHost: a\r\n\r\n")
                deadline = time.monotonic() + 3
                while not held and time.monotonic() < deadline:
                    time.sleep(0.01)
                gw.proc.send_signal(signal.SIGTERM)
                r = c.read_response()
                self.assertEqual(r.status, 200)
                self.assertEqual(r.header("connection"), "close")
                self.assertClosed(c)
                self.assertEqual(gw.proc.wait(timeout=5), 0)


def open_idle(port, n):
    """n connections, each after one request answered (kept alive)."""
    req = b"GET /ok HTTP/1.1\r\nHost: a\r\n\r\n"
    socks = []
    for i in range(0, n, 100):
        batch = []
        for _ in range(min(100, n - i)):
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(req)
            batch.append(s)
        for s in batch:
            data = b""
            while b"\r\n\r\nok" not in data:
                d = s.recv(4096)
                if not d:
                    raise AssertionError("closed after %r" % data)
                data += d
        socks += batch
    return socks


def raise_nofile(need):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(need, hard), hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


class TestIdleConnectionMemory(GatewayTestCase):
    """Finding 7: 6.1 KB per idle keep-alive connection (nginx: about 1 KB). Goal: at most
    1 KB, and a new client served in under 50 ms with thousands of idle connections open."""
    N = 4000

    @unittest.skipIf(under_asan(), "AddressSanitizer's allocator says nothing about RSS")
    def test_memory_per_idle_connection(self):
        if raise_nofile(self.N + 200) < self.N + 200:
            self.skipTest("not enough file descriptors")
        with RawUpstream() as up, Gateway(config(services=[service("s", up.url, [
                route("r", ["/ok"], strip_path=False)])])) as gw:
            warm = open_idle(gw.port, 200)  # pools and allocator warm
            for s in warm:
                s.close()
            time.sleep(0.3)
            base = rss_kib(gw.proc.pid)
            socks = open_idle(gw.port, self.N)
            time.sleep(0.3)
            per_conn = (rss_kib(gw.proc.pid) - base) * 1024 / self.N
            t0 = time.monotonic()
            r = gw.get("/ok")
            served_ms = (time.monotonic() - t0) * 1000
            for s in socks:
                s.close()
            self.assertEqual(r.status, 200)
            print("\n%.0f bytes per idle connection, new client served in %.1f ms"
                  % (per_conn, served_ms))
            self.assertLessEqual(per_conn, 1024, "%.0f bytes per idle connection" % per_conn)
            self.assertLess(served_ms, 50)


class TestConnectionCeiling(GatewayTestCase):
    """Finding 8: a per-worker ceiling (Kong's nginx_events_worker_connections) refuses new
    connections cleanly, logged at most once a second; the fd limit is raised and logged."""

    def test_ceiling(self):
        with RawUpstream() as up, Gateway(config(services=[service("s", up.url, [
                route("r", ["/ok"], strip_path=False)])]),
                env={"KONG_NGINX_EVENTS_WORKER_CONNECTIONS": "4"}) as gw:
            time.sleep(0.3)  # the harness's readiness probe has gone
            socks = open_idle(gw.port, 4)
            refused = 0
            for _ in range(5):
                with gw.client(timeout=2) as c:
                    try:
                        c.send(b"GET /ok HTTP/1.1\r\nHost: a\r\n\r\n")
                        self.assertEqual(c.read_raw(1.0), b"")
                        refused += 1
                    except (BrokenPipeError, ConnectionResetError):
                        refused += 1
            self.assertEqual(refused, 5)
            socks.pop().close()
            time.sleep(0.2)
            self.assertEqual(gw.get("/ok").status, 200)
            for s in socks:
                s.close()
            time.sleep(0.1)
            err = gw.stderr()
        self.assertEqual(err.count("worker_connections are not enough"), 1, err)
        self.assertIn("at most 4 connections per worker", err)
        self.assertRegex(err, r"open files limit \d+")

    def test_bad_value_refused_at_start(self):
        gw = Gateway(config(), env={"SLUICE_WORKER_CONNECTIONS": "lots"}, expect_exit=None,
                     wait=False)
        with gw:
            gw.proc.wait(timeout=5)
            self.assertNotEqual(gw.proc.returncode, 0)
            self.assertIn("SLUICE_WORKER_CONNECTIONS", gw.stderr())


class TestUpstreamHeadInPieces(GatewayTestCase):
    """An upstream response head that arrived in several reads: the first part was dropped
    from the buffer while its header fields still pointed into it, and the client waited
    forever. Each split point, interim responses included, now gives the same response."""

    HEAD = (b"HTTP/1.1 200 OK\r\nX-First: aaaaaaaaaa\r\nX-Second: bbbbbbbbbb\r\n"
            b"Content-Length: 5\r\n\r\nhello")

    def check(self, pieces):
        with RawUpstream(respond=lambda head: list(pieces)) as up, Gateway(config(services=[
                service("s", up.url, [route("r", ["/"], strip_path=False)])])) as gw:
            with gw.client(timeout=3) as c:
                r = c.request("GET", "/x")
                self.assertEqual(r.status, 200)
                self.assertEqual(r.header("x-first"), "aaaaaaaaaa")
                self.assertEqual(r.header("x-second"), "bbbbbbbbbb")
                self.assertEqual(r.body, b"hello")
                self.assertEqual(c.request("GET", "/again").status, 200)

    def test_split_in_a_header_name(self):
        i = self.HEAD.index(b"X-Sec") + 5
        self.check([self.HEAD[:i], self.HEAD[i:]])

    def test_split_in_the_status_line_and_values(self):
        self.check([self.HEAD[:12], self.HEAD[12:30], self.HEAD[30:50], self.HEAD[50:]])

    def test_small_pieces_with_an_interim_response(self):
        data = b"HTTP/1.1 103 Early Hints\r\nLink: </a>; rel=preload\r\n\r\n" + self.HEAD
        # 7-byte reads for the first 140 bytes (the interim response and most of the head)
        self.check([data[i:i + 7] for i in range(0, 140, 7)] + [data[140:]])


class TestUpstreamInvalidStatus(GatewayTestCase):
    """llhttp takes any three digits as a status code: an upstream's "050" was passed to the
    client as "HTTP/1.1 50". It is a 502, as nginx's "upstream sent invalid status" is.
    (Found by fuzz_response.)"""

    def test_status_below_100_is_502(self):
        for status in (b"000", b"050", b"099"):
            bad = b"HTTP/1.1 " + status + b" Weird\r\nContent-Length: 2\r\n\r\nok"
            with self.subTest(status=status), RawUpstream(respond=lambda head: bad) as up, \
                    Gateway(config(services=[service("s", up.url, [route("r", ["/"])])])) as gw:
                r = gw.get("/x")
                self.assertEqual(r.status, 502)
                self.assertNotIn(b"Weird", r.raw_head)


class TestTrace(RawBase):
    """Finding 9: TRACE gets 405 as nginx (and so Kong) answers it, before routing."""

    def test_trace_405(self):
        before = len(self.up.received())
        with self.gw.client() as c:
            r = c.request("TRACE", "/ok")
            self.assertEqual(r.status, 405)
            rid = r.header("x-kong-request-id")
            self.assertEqual(r.header("content-type"), CT_TEXT)
            self.assertEqual(r.text, text_body("Method not allowed", rid))
            # the connection stays usable, as nginx keeps it
            self.assertEqual(c.request("GET", "/ok").status, 200)
        time.sleep(0.1)
        self.assertNotIn(b"TRACE", self.up.received()[before:])

    def test_trace_json_when_asked(self):
        r = self.gw.request("TRACE", "/ok", headers=[("Accept", "application/json")])
        self.assertKongError(r, 405, "Method not allowed")


if __name__ == "__main__":
    unittest.main()
