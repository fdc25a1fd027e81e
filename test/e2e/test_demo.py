"""The demo: config/sluice.yml in front of examples/services/{user,product}-service.

The services run on free ports (PORT/HOST env); the config is config/sluice.yml with its
ports rewritten.  Skipped when node or the services' node_modules are missing."""

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

from harness import MSG_NO_ROUTE, SOURCE_DIR, VIA_TOKEN, Gateway, GatewayTestCase, free_port

SERVICES = {"user-service": 3001, "product-service": 3002}


def wait_listening(port, proc, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def direct_get(port, path):
    """GET straight from a service: (status, body bytes)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        s.sendall(b"GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                  % path.encode())
        data = b""
        while True:
            d = s.recv(65536)
            if not d:
                break
            data += d
    finally:
        s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    if b"transfer-encoding: chunked" in head.lower():
        out = b""
        while body:
            size_s, _, rest = body.partition(b"\r\n")
            size = int(size_s, 16)
            if size == 0:
                break
            out += rest[:size]
            body = rest[size + 2:]
        body = out
    return status, body


class TestDemo(GatewayTestCase):
    @classmethod
    def setUpClass(cls):
        node = shutil.which("node")
        if node is None:
            raise unittest.SkipTest("node is not installed")
        cls.procs = []
        cls.ports = {}
        cls.logdir = tempfile.mkdtemp(prefix="sluice-demo-")
        try:
            for name in SERVICES:
                d = os.path.join(SOURCE_DIR, "examples", "services", name)
                if not os.path.isdir(os.path.join(d, "node_modules", "express")):
                    raise unittest.SkipTest("%s has no node_modules (run npm ci in %s)" % (name, d))
                port = free_port()
                env = dict(os.environ, PORT=str(port), HOST="127.0.0.1")
                log = open(os.path.join(cls.logdir, name + ".log"), "wb")
                p = subprocess.Popen([node, "index.js"], cwd=d, env=env, stdout=log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
                log.close()
                cls.procs.append(p)
                if not wait_listening(port, p):
                    raise unittest.SkipTest("%s did not start (see %s)" % (name, cls.logdir))
                cls.ports[name] = port
        except BaseException:
            cls.stop_services()
            raise

    @classmethod
    def stop_services(cls):
        for p in cls.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in cls.procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=5)
        shutil.rmtree(cls.logdir, ignore_errors=True)

    @classmethod
    def tearDownClass(cls):
        cls.stop_services()

    def demo_config(self):
        with open(os.path.join(SOURCE_DIR, "config", "sluice.yml")) as f:
            text = f.read()
        for name, default in SERVICES.items():
            new, n = re.subn(r"(url:\s*http://127\.0\.0\.1:)%d\b" % default,
                             r"\g<1>%d" % self.ports[name], text)
            self.assertEqual(n, 1, "config/sluice.yml has no url for %s" % name)
            text = new
        return text

    def test_users_and_products_through_sluice(self):
        with Gateway(self.demo_config(), workers=2) as gw:
            for name, path in (("user-service", "/users"), ("product-service", "/products"),
                               ("user-service", "/users/2"), ("product-service", "/products/3")):
                with self.subTest(path=path):
                    status, want = direct_get(self.ports[name], path)
                    self.assertEqual(status, 200)
                    r = gw.get(path)
                    self.assertEqual(r.status, 200, r)
                    self.assertTrue(r.header("content-type").startswith("application/json"))
                    self.assertEqual(r.body, want)
                    self.assertEqual(r.header("via"), VIA_TOKEN)

    def test_expected_content(self):
        with Gateway(self.demo_config()) as gw:
            users = gw.get("/users").json()
            self.assertEqual([u["name"] for u in users],
                             ["Alice Martin", "Bob Chen", "Carol Diaz"])
            self.assertEqual(gw.get("/users/2").json()["email"], "bob@example.com")
            products = gw.get("/products").json()
            self.assertEqual(len(products), 3)
            self.assertEqual(gw.get("/products/1").json()["name"], "Mechanical keyboard")
            r = gw.get("/users?x=1")
            self.assertEqual(r.json(), users)

    def test_service_404_passed_through_and_no_route(self):
        with Gateway(self.demo_config()) as gw:
            r = gw.get("/users/99")
            self.assertEqual(r.status, 404)
            self.assertEqual(r.json(), {"message": "user 99 not found"})
            r = gw.get("/orders")
            self.assertKongError(r, 404, MSG_NO_ROUTE)

    def test_keepalive_many_requests(self):
        with Gateway(self.demo_config()) as gw, gw.client() as c:
            for i in range(20):
                path = "/products/%d" % (i % 3 + 1) if i % 2 else "/products"
                r = c.request("GET", path)
                self.assertEqual(r.status, 200)

    def test_sixth_request_in_a_minute_is_429(self):
        """The demo's rate-limiting on user-service (Kong's tutorial: minute 5, local)."""
        with Gateway(self.demo_config(), workers=2) as gw:
            r = gw.get("/users")
            if int(r.header("ratelimit-reset")) < 5:  # too close to the next minute
                time.sleep(int(r.header("ratelimit-reset")) + 0.2)
                r = gw.get("/users")
            self.assertEqual(r.status, 200)
            self.assertEqual(r.header("x-ratelimit-limit-minute"), "5")
            self.assertEqual(r.header("x-ratelimit-remaining-minute"), "4")
            for left in (3, 2, 1, 0):
                r = gw.get("/users/1")
                self.assertEqual(r.status, 200)
                self.assertEqual(r.header("x-ratelimit-remaining-minute"), str(left))
            r = gw.get("/users")
            self.assertKongError(r, 429, "API rate limit exceeded")
            self.assertTrue(1 <= int(r.header("retry-after")) <= 60)
            # product-service has no limit
            self.assertEqual(gw.get("/products").status, 200)
            self.assertIsNone(gw.get("/products").header("x-ratelimit-limit-minute"))


if __name__ == "__main__":
    unittest.main()
