"""Soak: mixed traffic for a bounded time (SLUICE_SOAK_SECONDS, 60 by default) while the
config is reloaded every 5 s (SIGHUP and POST /config in turn) and one upstream is killed and
restarted. Keep-alive and Connection: close clients, pipelining, request and response bodies
up to 1 MiB (sized and chunked), slow readers and writers, WebSocket echo, clients that leave
mid-response. Every body is checked; nothing may fail but the requests to the upstream that
is killed (502 or 504, or a closed connection); afterwards the gateway's open files and RSS
return to where they were, and it exits cleanly (under the sanitizers: with no report).

Loopback only; every loop stops at the deadline and every socket has a timeout."""

import base64
import hashlib
import json
import os
import random
import signal
import socket
import threading
import time
import unittest

from harness import (Client, Closed, Gateway, GatewayTestCase, build_request, chunked, config,
                     free_port, route, service, to_yaml, wait_admin)
from test_reload import rss_kib, under_asan
from upstream import Upstream, pattern

SECONDS = float(os.environ.get("SLUICE_SOAK_SECONDS", "60"))
RELOAD_EVERY = 5.0
MIB = 1 << 20
SIZES = [0, 1, 100, 1000, 4096, 16383, 16384, 65537, 300000, MIB]


def fd_count(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


class Soak(GatewayTestCase):
    def setUp(self):
        self.rng = random.Random(int(os.environ.get("SLUICE_SOAK_SEED", "1")))
        self.lock = threading.Lock()
        self.counts = {}
        self.failures = []
        self.stop_at = 0.0

    # bookkeeping ---------------------------------------------------------------------------

    def ok(self, kind):
        with self.lock:
            self.counts[kind] = self.counts.get(kind, 0) + 1

    def failed(self, kind, what):
        with self.lock:
            if len(self.failures) < 50:
                self.failures.append("%s: %s" % (kind, what))

    def running(self):
        return time.monotonic() < self.stop_at

    def loop(self, kind, body):
        """Runs body() until the deadline, counting each pass; an exception is a failure."""
        def run():
            while self.running():
                try:
                    body()
                    self.ok(kind)
                except Exception as e:  # noqa: BLE001 - every failure is reported
                    self.failed(kind, "%s: %s" % (type(e).__name__, e))
                    time.sleep(0.05)
        t = threading.Thread(target=run, name=kind, daemon=True)
        t.start()
        return t

    # config --------------------------------------------------------------------------------

    def cfg(self, gen):
        return config(services=[
            service("main", self.up.url, [route("main", ["/m"], strip_path=True)],
                    tags=["gen%d" % gen]),
            service("flaky", "http://127.0.0.1:%d" % self.flaky_port,
                    [route("flaky", ["/f"], strip_path=True)], retries=0,
                    connect_timeout=500, read_timeout=2000, write_timeout=2000),
        ], routes=[])

    # traffic -------------------------------------------------------------------------------

    def check_big(self, r, n, kind):
        if r.status != 200:
            raise AssertionError("status %d" % r.status)
        if len(r.body) != n or hashlib.sha256(r.body).digest() != self.digests[n]:
            raise AssertionError("body of %d bytes damaged (got %d bytes)" % (n, len(r.body)))

    def keepalive_client(self):
        c = Client(self.gw.port, timeout=10)
        try:
            for _ in range(20):
                if not self.running():
                    break
                n = self.rng.choice(SIZES)
                if self.rng.random() < 0.5:
                    path = "/m/big/%d" % n if self.rng.random() < 0.5 else "/m/bigchunked/%d" % n
                    self.check_big(c.request("GET", path), n, "keepalive")
                else:
                    self.post_sha(c, n, chunked_body=self.rng.random() < 0.5)
                if c.buf:
                    raise AssertionError("bytes left over: %r" % c.buf[:100])
        finally:
            c.close()

    def post_sha(self, c, n, chunked_body):
        data = pattern(n)
        if chunked_body:
            c.send(build_request("POST", "/m/sha256", [("Transfer-Encoding", "chunked")],
                                 chunked(data, 65536) if n else b"0\r\n\r\n", port=self.gw.port))
        else:
            c.send(build_request("POST", "/m/sha256", body=data, port=self.gw.port))
        r = c.read_response()
        if r.status != 200:
            raise AssertionError("POST status %d" % r.status)
        doc = r.json()
        if doc["len"] != n or doc["sha256"] != hashlib.sha256(data).hexdigest():
            raise AssertionError("request body of %d bytes damaged upstream: %r" % (n, doc))

    def close_client(self):
        n = self.rng.choice(SIZES[:6])
        with Client(self.gw.port, timeout=10) as c:
            r = c.request("GET", "/m/big/%d" % n, headers=[("Connection", "close")])
            self.check_big(r, n, "close")
            if r.header("connection") != "close":
                raise AssertionError("Connection: %r" % r.header("connection"))
            if not c.is_closed(2.0):
                raise AssertionError("not closed after Connection: close")

    def pipelined_client(self):
        ns = [self.rng.choice(SIZES[:7]) for _ in range(8)]
        with Client(self.gw.port, timeout=10) as c:
            c.send(b"".join(build_request("GET", "/m/big/%d" % n, port=self.gw.port) for n in ns))
            for n in ns:
                self.check_big(c.read_response(), n, "pipelined")

    def slow_reader(self):
        n = MIB
        s = socket.create_connection(("127.0.0.1", self.gw.port), timeout=10)
        try:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
            s.sendall(build_request("GET", "/m/big/%d" % n, port=self.gw.port))
            data = b""
            while b"\r\n\r\n" not in data:
                data += s.recv(16384)
            head, body = data.split(b"\r\n\r\n", 1)
            while len(body) < n and self.running():
                time.sleep(0.005)
                d = s.recv(16384)
                if not d:
                    raise AssertionError("closed after %d bytes" % len(body))
                body += d
            if self.running() and hashlib.sha256(body[:n]).digest() != self.digests[n]:
                raise AssertionError("slow-read body damaged")
        finally:
            s.close()

    def slow_writer(self):
        n = 200000
        data = pattern(n)
        with Client(self.gw.port, timeout=10) as c:
            c.send(build_request("POST", "/m/sha256", [("Content-Length", str(n))], b"",
                                 port=self.gw.port))
            for off in range(0, n, 20000):
                c.send(data[off:off + 20000])
                time.sleep(0.02)
            doc = c.read_response().json()
            if doc["sha256"] != hashlib.sha256(data).hexdigest():
                raise AssertionError("slow-written body damaged")

    def websocket(self):
        key = base64.b64encode(os.urandom(16)).decode()
        with Client(self.gw.port, timeout=10) as c:
            c.send(build_request("GET", "/m/ws", [("Upgrade", "websocket"),
                                                  ("Connection", "Upgrade"),
                                                  ("Sec-WebSocket-Key", key),
                                                  ("Sec-WebSocket-Version", "13")],
                                 port=self.gw.port))
            r = c.read_head()
            if r.status != 101:
                raise AssertionError("websocket status %d" % r.status)
            for _ in range(10):
                payload = os.urandom(self.rng.choice([10, 1000, 70000]))
                c.send(payload)
                if c.read_exact(len(payload)) != payload:
                    raise AssertionError("websocket echo damaged")

    def leaver(self):
        with Client(self.gw.port, timeout=10) as c:
            c.send(build_request("GET", "/m/big/%d" % MIB, port=self.gw.port))
            c.read_head()
            c.sock.recv(self.rng.choice([1, 5000, 60000]))
            if self.rng.random() < 0.5:
                c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
        # the gateway is unharmed: the next request on a new connection works
        self.check_big(self.gw.request("GET", "/m/big/100"), 100, "leaver")

    def flaky_client(self):
        with Client(self.gw.port, timeout=10) as c:
            try:
                r = c.request("GET", "/f/big/1000")
            except (Closed, ConnectionResetError):
                return  # on purpose: the upstream was killed under it
            if r.status == 200:
                self.check_big(r, 1000, "flaky")
            elif r.status not in (502, 504):
                raise AssertionError("flaky upstream: status %d" % r.status)

    # control -------------------------------------------------------------------------------

    def reloader(self):
        gen = 0
        while self.running():
            time.sleep(RELOAD_EVERY)
            if not self.running():
                break
            gen += 1
            try:
                if gen % 2:
                    self.gw.reload(self.cfg(gen))
                else:
                    with Client(self.gw.admin_port, timeout=10) as c:
                        r = c.request("POST", "/config", body=to_yaml(self.cfg(gen)))
                        if r.status != 201:
                            raise AssertionError("POST /config: %d %r" % (r.status, r.body[:200]))
                self.ok("reload")
            except Exception as e:  # noqa: BLE001
                self.failed("reload", e)

    def killer(self):
        while self.running():
            time.sleep(3.0)
            if not self.running():
                break
            self.flaky.stop()
            time.sleep(1.0)
            self.flaky = Upstream("flaky", port=self.flaky_port).start()
            self.ok("restart")

    # the test ------------------------------------------------------------------------------

    def test_soak(self):
        self.digests = {n: hashlib.sha256(pattern(n)).digest() for n in SIZES}
        self.up = Upstream("main").start()
        self.flaky_port = free_port()
        self.flaky = Upstream("flaky", port=self.flaky_port).start()
        env = {"SLUICE_UPSTREAM_KEEPALIVE_IDLE_TIMEOUT": "2s",
               "SLUICE_KEEPALIVE_TIMEOUT": "5s"}
        try:
            with Gateway(self.cfg(0), workers=2, env=env) as gw:
                self.gw = gw
                wait_admin(gw)
                pid = gw.proc.pid
                # a short warm-up of the same mix primes pools and the allocator
                self.run_mix(min(5.0, SECONDS / 4))
                time.sleep(3.0)  # pooled upstream connections time out (2 s)
                fds0, rss0 = fd_count(pid), rss_kib(pid)
                warm_failures = list(self.failures)
                self.failures.clear()
                self.counts.clear()
                self.run_mix(SECONDS, control=True)
                self.assertEqual(warm_failures + self.failures, [], self.counts)
                for kind in ("keepalive", "close", "pipelined", "slow_reader", "slow_writer",
                             "websocket", "leaver", "flaky", "reload", "restart"):
                    self.assertGreater(self.counts.get(kind, 0), 0, (kind, self.counts))
                # the gateway still answers, then its files and memory settle
                self.check_big(gw.request("GET", "/m/big/100"), 100, "after")
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline and fd_count(pid) > fds0:
                    time.sleep(0.2)
                self.assertLessEqual(fd_count(pid), fds0,
                                     "open files %d -> %d" % (fds0, fd_count(pid)))
                rss1 = rss_kib(pid)
                if not under_asan():
                    # pools keep what the peak needed (read buffers, request state); beyond
                    # that nothing may stay
                    self.assertLess(rss1, rss0 * 1.5 + 16384, "RSS %d -> %d KiB" % (rss0, rss1))
                sys_err = gw.stderr()
            self.assertNotIn("ERROR: AddressSanitizer", sys_err)
            self.assertNotIn("runtime error", sys_err)
        finally:
            self.flaky.stop()
            self.up.stop()
        print("\nsoak: %.0f s, %s, files %d, RSS %d -> %d KiB"
              % (SECONDS, json.dumps(self.counts, sort_keys=True), fds0, rss0, rss1))

    def run_mix(self, seconds, control=False):
        self.stop_at = time.monotonic() + seconds
        threads = []
        for _ in range(3):
            threads.append(self.loop("keepalive", self.keepalive_client))
        threads.append(self.loop("close", self.close_client))
        threads.append(self.loop("pipelined", self.pipelined_client))
        threads.append(self.loop("slow_reader", self.slow_reader))
        threads.append(self.loop("slow_writer", self.slow_writer))
        threads.append(self.loop("websocket", self.websocket))
        threads.append(self.loop("leaver", self.leaver))
        threads.append(self.loop("flaky", self.flaky_client))
        if control:
            for f in (self.reloader, self.killer):
                t = threading.Thread(target=f, daemon=True)
                t.start()
                threads.append(t)
        for t in threads:
            t.join(timeout=seconds + 30)
            if t.is_alive():
                self.failed(t.name, "still running past the deadline")


if __name__ == "__main__":
    unittest.main()
