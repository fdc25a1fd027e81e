"""The response stream (lib/http/response.h), driven by the test-only plugin test-stream
(test/plugins/stream_filter.c, built into sluice-test): body filters that replace pieces with
longer or shorter ones, hold the whole body, wait on a timer, append at the end, or change a
body whose length already left; header filters that remove Content-Length. Every test asserts
the bytes the client receives: the framing the gateway chose and the body."""

import os
import time
import unittest

from harness import (SLUICE_TEST_BIN, Client, Gateway, UpstreamTestCase, build_request, config,
                     route, service)
from upstream import pattern


def stream_config(up_url, mode, paths=("/",), **fields):
    doc = config(services=[service("s", up_url, [route("r", list(paths), strip_path=False)])])
    conf = {"mode": mode}
    conf.update(fields)
    doc["plugins"] = [{"name": "test-stream", "config": conf}]
    return doc


def doubled(b):
    return bytes(x for c in b for x in (c, c))


class StreamBase(UpstreamTestCase):
    @classmethod
    def setUpClass(cls):
        if not os.access(SLUICE_TEST_BIN, os.X_OK):
            raise AssertionError("sluice-test not built at %s" % SLUICE_TEST_BIN)
        super().setUpClass()

    def gateway(self, mode, **fields):
        return Gateway(stream_config(self.up.url, mode, **fields), binary=SLUICE_TEST_BIN)

    def assertChunked(self, r):
        self.assertEqual((r.header("transfer-encoding") or "").lower(), "chunked", r.raw_head)
        self.assertIsNone(r.header("content-length"), r.raw_head)


class TestReplace(StreamBase):
    def test_longer_body_from_content_length_becomes_chunked(self):
        with self.gateway("longer", declare=True) as gw, gw.client() as c:
            r = c.request("GET", "/big/5000")
            self.assertEqual(r.status, 200)
            self.assertChunked(r)
            self.assertEqual(r.body, doubled(pattern(5000)))
            self.assertEqual(r.header("x-test-stream"), "seen")
            # the connection stays usable after a re-framed response
            r = c.request("GET", "/big/10")
            self.assertEqual(r.body, doubled(pattern(10)))

    def test_shorter_body_from_content_length_becomes_chunked(self):
        with self.gateway("shorter", declare=True) as gw, gw.client() as c:
            r = c.request("GET", "/big/100001")
            self.assertEqual(r.status, 200)
            self.assertChunked(r)
            self.assertEqual(r.body, pattern(100001)[::2])

    def test_replacing_the_first_piece_without_declaring_still_chunks(self):
        # the head waits for the first piece out of the filters: a change seen then is enough
        with self.gateway("longer") as gw, gw.client() as c:
            r = c.request("GET", "/big/3000")
            self.assertChunked(r)
            self.assertEqual(r.body, doubled(pattern(3000)))

    def test_large_chunked_body_replaced_streams(self):
        with self.gateway("longer", declare=True) as gw, gw.client(timeout=20) as c:
            r = c.request("GET", "/bigchunked/600000")
            self.assertChunked(r)
            self.assertEqual(len(r.body), 1200000)
            self.assertEqual(r.body, doubled(pattern(600000)))


class TestHold(StreamBase):
    def test_chunked_body_held_becomes_a_known_length(self):
        with self.gateway("hold") as gw, gw.client() as c:
            r = c.request("GET", "/chunked/4")
            self.assertEqual(r.status, 200)
            want = b"[chunk 0\nchunk 1\nchunk 2\nchunk 3\n]"
            self.assertIsNone(r.header("transfer-encoding"), r.raw_head)
            self.assertEqual(r.header("content-length"), str(len(want)))
            self.assertEqual(r.body, want)
            r = c.request("GET", "/chunked/1")  # kept alive
            self.assertEqual(r.body, b"[chunk 0\n]")

    def test_large_body_held_whole(self):
        with self.gateway("hold") as gw, gw.client(timeout=20) as c:
            r = c.request("GET", "/big/300000")
            self.assertEqual(r.header("content-length"), "300002")
            self.assertEqual(r.body, b"[" + pattern(300000) + b"]")


class TestWait(StreamBase):
    def test_filter_waits_on_a_timer_before_passing(self):
        with self.gateway("wait", wait_ms=150) as gw, gw.client() as c:
            t0 = time.monotonic()
            r = c.request("GET", "/big/2000")
            elapsed = time.monotonic() - t0
            self.assertEqual(r.status, 200)
            # unchanged body: the upstream's length stands
            self.assertEqual(r.header("content-length"), "2000")
            self.assertEqual(r.body, pattern(2000))
            self.assertGreaterEqual(elapsed, 0.14)

    def test_waiting_over_many_pieces(self):
        with self.gateway("wait", wait_ms=5) as gw, gw.client(timeout=30) as c:
            r = c.request("GET", "/big/200000")
            self.assertEqual(r.header("content-length"), "200000")
            self.assertEqual(r.body, pattern(200000))

    def test_client_gone_while_a_filter_waits(self):
        with self.gateway("wait", wait_ms=300) as gw:
            for _ in range(3):
                c = Client(gw.port)
                c.send(build_request("GET", "/big/100", port=gw.port))
                time.sleep(0.05)
                c.close()  # the filter's timer is cancelled with the request
            time.sleep(0.4)
            with gw.client() as c:
                r = c.request("GET", "/big/10")
                self.assertEqual(r.body, pattern(10))


class TestAppend(StreamBase):
    def test_trailer_piece_appended_at_the_end(self):
        with self.gateway("append", declare=True, text="<!-- end -->") as gw, gw.client() as c:
            r = c.request("GET", "/big/1000")
            self.assertChunked(r)
            self.assertEqual(r.body, pattern(1000) + b"<!-- end -->")

    def test_appended_to_an_empty_body(self):
        with self.gateway("append", declare=True, text="tail") as gw, gw.client() as c:
            r = c.request("GET", "/big/0")
            self.assertEqual(r.body, b"tail")


class TestHttp10(StreamBase):
    def test_changed_body_to_http10_client_is_close_delimited(self):
        with self.gateway("longer", declare=True) as gw, gw.client() as c:
            c.send(build_request("GET", "/big/3000", [("Connection", "keep-alive")],
                                 version="HTTP/1.0", port=gw.port))
            r = c.read_response()
            self.assertEqual(r.status, 200)
            self.assertIsNone(r.header("transfer-encoding"))
            self.assertIsNone(r.header("content-length"))
            self.assertEqual((r.header("connection") or "").lower(), "close")
            self.assertTrue(r.close_delimited)
            self.assertEqual(r.body, doubled(pattern(3000)))

    def http10(self, gw, path):
        c = gw.client()
        c.send(build_request("GET", path, [("Connection", "keep-alive")], version="HTTP/1.0",
                             port=gw.port))
        return c, c.read_response()

    def test_appended_trailer_to_http10_client_is_close_delimited(self):
        with self.gateway("append", declare=True, text="[end]") as gw:
            c, r = self.http10(gw, "/big/700")
            with c:
                self.assertIsNone(r.header("transfer-encoding"))
                self.assertIsNone(r.header("content-length"))
                self.assertTrue(r.close_delimited)
                self.assertEqual(r.body, pattern(700) + b"[end]")

    def test_shorter_body_to_http10_client_is_close_delimited(self):
        with self.gateway("shorter", declare=True) as gw:
            c, r = self.http10(gw, "/big/5001")
            with c:
                self.assertTrue(r.close_delimited)
                self.assertEqual(r.body, pattern(5001)[::2])

    def test_waiting_filter_to_http10_client_keeps_the_length(self):
        with self.gateway("wait", wait_ms=60) as gw:
            c, r = self.http10(gw, "/big/900")
            with c:
                self.assertEqual(r.header("content-length"), "900")
                self.assertEqual(r.header("connection"), "keep-alive")
                self.assertEqual(r.body, pattern(900))

    def test_held_body_to_http10_client_gets_its_length(self):
        with self.gateway("hold") as gw, gw.client() as c:
            c.send(build_request("GET", "/chunked/2", [("Connection", "keep-alive")],
                                 version="HTTP/1.0", port=gw.port))
            r = c.read_response()
            self.assertEqual(r.header("content-length"), str(len(b"[chunk 0\nchunk 1\n]")))
            self.assertEqual(r.body, b"[chunk 0\nchunk 1\n]")
            self.assertEqual(r.header("connection"), "keep-alive")


class TestNoBody(StreamBase):
    def test_head_untouched(self):
        with self.gateway("longer", declare=True) as gw, gw.client() as c:
            r = c.request("HEAD", "/big/4000")
            self.assertEqual(r.status, 200)
            # no body, so nothing changes: the length a GET would get stays
            self.assertEqual(r.header("content-length"), "4000")
            self.assertEqual(r.header("x-test-stream"), "seen")
            r = c.request("GET", "/big/5")  # nothing stray on the connection
            self.assertEqual(r.body, doubled(pattern(5)))

    def test_304_untouched(self):
        with self.gateway("append", declare=True, text="x") as gw, gw.client() as c:
            r = c.request("GET", "/status/304")
            self.assertEqual(r.status, 304)
            self.assertIsNone(r.header("transfer-encoding"))
            r = c.request("GET", "/big/3")
            self.assertEqual(r.body, pattern(3) + b"x")


class TestHeaderFilter(StreamBase):
    def test_header_filter_removes_content_length(self):
        with self.gateway("drop-cl") as gw, gw.client() as c:
            r = c.request("GET", "/big/7000")
            self.assertChunked(r)
            self.assertEqual(r.body, pattern(7000))

    def test_gateway_answer_goes_through_the_filters(self):
        doc = stream_config(self.up.url, "longer", declare=True)
        doc["plugins"].append({"name": "request-termination",
                               "config": {"status_code": 403, "message": "no"}})
        with Gateway(doc, binary=SLUICE_TEST_BIN) as gw, gw.client() as c:
            r = c.request("GET", "/x")
            self.assertEqual(r.status, 403)
            self.assertChunked(r)
            self.assertEqual(r.body, doubled(b'{"message":"no"}'))
            self.assertEqual(self.up.count(), 0)


class TestChain(StreamBase):
    """Two body filters on one route (test-stream runs before test-stream-2): what one lets
    out is what the next one sees, in order, and the framing follows the pair."""

    def chain(self, first, second):
        doc = config(services=[service("s", self.up.url, [route("r", ["/"], strip_path=False)])])
        doc["plugins"] = [{"name": "test-stream", "config": first},
                          {"name": "test-stream-2", "config": second}]
        return Gateway(doc, binary=SLUICE_TEST_BIN)

    def test_doubled_then_halved_is_the_original(self):
        with self.chain({"mode": "longer", "declare": True}, {"mode": "shorter"}) as gw, \
                gw.client() as c:
            r = c.request("GET", "/big/50000")
            self.assertChunked(r)
            self.assertEqual(r.body, pattern(50000))

    def test_held_then_doubled_gets_a_known_length(self):
        # the second filter sees the first one's whole output at the end, so the length is
        # still known when the head leaves
        with self.chain({"mode": "hold"}, {"mode": "longer"}) as gw, gw.client() as c:
            r = c.request("GET", "/chunked/3")
            want = doubled(b"[chunk 0\nchunk 1\nchunk 2\n]")
            self.assertEqual(r.header("content-length"), str(len(want)), r.raw_head)
            self.assertEqual(r.body, want)

    def test_doubled_then_held(self):
        with self.chain({"mode": "longer"}, {"mode": "hold"}) as gw, gw.client() as c:
            r = c.request("GET", "/big/20000")
            want = b"[" + doubled(pattern(20000)) + b"]"
            self.assertEqual(r.header("content-length"), str(len(want)), r.raw_head)
            self.assertEqual(r.body, want)

    def test_waiting_then_appending(self):
        with self.chain({"mode": "wait", "wait_ms": 20},
                        {"mode": "append", "declare": True, "text": "~"}) as gw, \
                gw.client(timeout=20) as c:
            r = c.request("GET", "/big/100000")
            self.assertChunked(r)
            self.assertEqual(r.body, pattern(100000) + b"~")
            self.assertEqual(r.header_all("x-test-stream"), ["seen", "seen"])


class TestLateChange(StreamBase):
    def test_change_after_the_length_left_cuts_the_response(self):
        # the first piece passed unchanged, so the head left with the upstream's length; a
        # later change would break that framing: the connection closes instead
        with self.gateway("late") as gw:
            c = Client(gw.port, timeout=5)
            c.send(build_request("GET", "/big/400000", port=gw.port))
            head = c.read_head()
            self.assertEqual(head.header("content-length"), "400000")
            got = c.read_raw(timeout=3)
            self.assertLess(len(got), 400000)
            self.assertTrue(pattern(400000).startswith(got))
            c.close()
            with gw.client() as c2:  # the gateway goes on
                self.assertEqual(c2.request("GET", "/status/200").status, 200)


if __name__ == "__main__":
    unittest.main()
