"""Access logs: one line per request in Kong's default format, "combined" or JSON; buffered per
worker, flushed within a second and at exit; SIGUSR1 reopens the file (logrotate); Kong's
KONG_PROXY_ACCESS_LOG / KONG_ADMIN_ACCESS_LOG names work."""

import json
import os
import re
import signal
import tempfile
import time
import unittest

from harness import Client, Gateway, GatewayTestCase, config, route, service
from upstream import Upstream

KONG_LINE = re.compile(r'^(?P<addr>\S+) - - \[(?P<time>[^\]]+)\] "(?P<request>[^"]*)" '
                       r'(?P<status>\d{3}) (?P<bytes>\d+) "(?P<referer>[^"]*)" '
                       r'"(?P<ua>[^"]*)" kong_request_id: "(?P<rid>[0-9a-f]{32})"$')


def read_lines(path, want, timeout=3.0):
    """The file's lines once it holds at least <want> of them (bounded wait)."""
    deadline = time.monotonic() + timeout
    while True:
        lines = []
        if os.path.exists(path):
            with open(path) as f:
                lines = [l.rstrip("\n") for l in f if l.strip()]
        if len(lines) >= want or time.monotonic() > deadline:
            return lines
        time.sleep(0.05)


class TestAccessLog(GatewayTestCase):
    @classmethod
    def setUpClass(cls):
        cls.up = Upstream().start()

    @classmethod
    def tearDownClass(cls):
        cls.up.stop()

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="sluice-alog-")
        self.path = os.path.join(self.dir, "access.log")

    def cfg(self):
        return config(services=[service("svc", self.up.url,
                                        [route("r", ["/"], strip_path=False)])])

    def test_kong_default_format(self):
        env = {"KONG_PROXY_ACCESS_LOG": self.path}
        with Gateway(self.cfg(), workers=2, env=env) as gw:
            r = gw.get("/hello?x=1", headers=[("User-Agent", 'probe "1"'),
                                               ("Referer", "http://ref.example/")])
            self.assertEqual(r.status, 200)
            r404 = gw.get("/", host="nothing.example")  # still routed: "/" matches all
            lines = read_lines(self.path, 2)
        self.assertEqual(len(lines), 2, lines)
        m = [KONG_LINE.match(l) for l in lines]
        self.assertTrue(all(m), lines)
        first = next(x for x in m if x.group("request").startswith("GET /hello"))
        self.assertEqual(first.group("addr"), "127.0.0.1")
        self.assertEqual(first.group("request"), "GET /hello?x=1 HTTP/1.1")
        self.assertEqual(first.group("status"), "200")
        self.assertEqual(int(first.group("bytes")), len(r.body))
        self.assertEqual(first.group("referer"), "http://ref.example/")
        self.assertEqual(first.group("ua"), r"probe \x221\x22")
        self.assertEqual(first.group("rid"), r.header("x-kong-request-id"))
        self.assertRegex(first.group("time"), r"^\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d \+0000$")
        self.assertEqual(r404.status, 200)

    def test_json_format_and_gateway_errors(self):
        env = {"SLUICE_PROXY_ACCESS_LOG": self.path, "SLUICE_ACCESS_LOG_FORMAT": "json"}
        cfg = config(services=[service("svc", self.up.url, [route("r", ["/api"])])])
        with Gateway(cfg, env=env) as gw:
            ok = gw.get("/api/x")
            miss = gw.get("/nope")
            self.assertEqual(miss.status, 404)
            lines = read_lines(self.path, 2)
        docs = [json.loads(l) for l in lines]
        by_uri = {d["uri"]: d for d in docs}
        d = by_uri["/api/x"]
        self.assertEqual(d["status"], 200)
        self.assertEqual(d["method"], "GET")
        self.assertEqual(d["remote_addr"], "127.0.0.1")
        self.assertEqual(d["request_id"], ok.header("x-kong-request-id"))
        self.assertEqual(d["route"], "r")
        self.assertEqual(d["service"], "svc")
        self.assertEqual(d["body_bytes_sent"], len(ok.body))
        self.assertIn("upstream_time_ms", d)
        self.assertEqual(by_uri["/nope"]["status"], 404)
        self.assertNotIn("route", by_uri["/nope"])

    def test_flushed_at_exit(self):
        with Gateway(self.cfg(), env={"KONG_PROXY_ACCESS_LOG": self.path}) as gw:
            for i in range(5):
                self.assertEqual(gw.get("/n%d" % i).status, 200)
            self.assertEqual(gw.stop(signal.SIGTERM), 0)
        self.assertEqual(len(read_lines(self.path, 5, timeout=0.1)), 5)

    def test_sigusr1_reopens(self):
        with Gateway(self.cfg(), env={"KONG_PROXY_ACCESS_LOG": self.path}) as gw:
            self.assertEqual(gw.get("/before").status, 200)
            self.assertEqual(len(read_lines(self.path, 1)), 1)
            os.rename(self.path, self.path + ".1")
            gw.proc.send_signal(signal.SIGUSR1)
            time.sleep(0.2)
            self.assertEqual(gw.get("/after").status, 200)
            after = read_lines(self.path, 1)
        before = read_lines(self.path + ".1", 1, timeout=0.1)
        self.assertEqual(len(before), 1)
        self.assertIn("GET /before ", before[0])
        self.assertEqual(len(after), 1, after)
        self.assertIn("GET /after ", after[0])

    def test_off_and_admin_log(self):
        admin_path = os.path.join(self.dir, "admin.log")
        env = {"KONG_PROXY_ACCESS_LOG": "off", "KONG_ADMIN_ACCESS_LOG": admin_path}
        with Gateway(self.cfg(), env=env) as gw:
            self.assertEqual(gw.get("/p").status, 200)
            deadline = time.monotonic() + 3
            while True:
                try:
                    with Client(gw.admin_port) as c:
                        self.assertEqual(c.request("GET", "/status").status, 200)
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
            lines = read_lines(admin_path, 1)
        self.assertEqual(len(lines), 1, lines)
        self.assertIn('"GET /status HTTP/1.1" 200', lines[0])
        self.assertEqual(os.listdir(self.dir), ["admin.log"])


if __name__ == "__main__":
    unittest.main()
