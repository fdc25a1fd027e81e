"""Process lifecycle: signals, invalid configs, environment aliases, CLI flags, workers and
SIGHUP reload."""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

from harness import (MSG_NO_ROUTE, SLUICE_BIN, VERSION, Gateway, GatewayTestCase, config,
                     free_port, require_binary, route, service, to_yaml)
from upstream import Upstream


def run_cli(args, env=None, timeout=5):
    require_binary()
    e = {k: v for k, v in os.environ.items()
         if not (k.startswith("SLUICE_") or k.startswith("KONG_"))}
    e.update(env or {})
    return subprocess.run([SLUICE_BIN] + list(args), env=e, capture_output=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def listening(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


class LifecycleBase(GatewayTestCase):
    @classmethod
    def setUpClass(cls):
        cls.up = Upstream().start()

    @classmethod
    def tearDownClass(cls):
        cls.up.stop()

    def cfg(self, *paths):
        return config(services=[service("s", self.up.url, [
            route("r%d" % i, [p], strip_path=False) for i, p in enumerate(paths)])])

    def wait_status(self, gw, path, status, timeout=3.0):
        deadline = time.monotonic() + timeout
        while True:
            r = gw.get(path)
            if r.status == status or time.monotonic() > deadline:
                return r
            time.sleep(0.05)


class TestSignals(LifecycleBase):
    def test_sigterm_exits_0_promptly(self):
        gw = Gateway(self.cfg("/"))
        with gw:
            self.assertEqual(gw.get("/x").status, 200)
            t0 = time.monotonic()
            rc = gw.stop(signal.SIGTERM)
            self.assertEqual(rc, 0, gw.stderr())
            self.assertLess(time.monotonic() - t0, 2.0)
            self.assertFalse(listening(gw.port))

    def test_sigint_exits_0(self):
        with Gateway(self.cfg("/")) as gw:
            self.assertEqual(gw.stop(signal.SIGINT), 0)

    def test_sigterm_with_open_idle_connections(self):
        with Gateway(self.cfg("/"), workers=2) as gw:
            clients = [gw.client() for _ in range(4)]
            try:
                for c in clients[:2]:
                    self.assertEqual(c.request("GET", "/x").status, 200)
                t0 = time.monotonic()
                self.assertEqual(gw.stop(), 0)
                self.assertLess(time.monotonic() - t0, 3.0)
            finally:
                for c in clients:
                    c.close()

    def test_sigterm_during_slow_request(self):
        with Gateway(self.cfg("/"), workers=1) as gw:
            c = gw.client()
            try:
                c.send(b"GET /slow/500 HTTP/1.1\r\nHost: x\r\n\r\n")
                time.sleep(0.1)
                t0 = time.monotonic()
                self.assertEqual(gw.stop(), 0)
                self.assertLess(time.monotonic() - t0, 3.0)
            finally:
                c.close()


class TestDrain(LifecycleBase):
    """SIGTERM drains: no new connections, requests in flight finish, idle keep-alive
    connections close, exit 0 (SIGINT stops at once)."""

    def test_in_flight_request_completes_and_new_connections_are_refused(self):
        with Gateway(self.cfg("/"), workers=1) as gw:
            idle = gw.client()
            self.assertEqual(idle.request("GET", "/warm").status, 200)
            c = gw.client()
            c.send(b"GET /slow/700 HTTP/1.1\r\nHost: x\r\n\r\n")
            time.sleep(0.15)
            gw.proc.send_signal(signal.SIGTERM)
            time.sleep(0.15)
            # the listener is closed: a new connection is refused
            with self.assertRaises(OSError):
                socket.create_connection(("127.0.0.1", gw.port), timeout=1).close()
            # the idle keep-alive connection was closed by the gateway
            self.assertEqual(idle.read_raw(timeout=1.0), b"")
            # the slow request still gets its whole answer, then the connection closes
            r = c.read_response("GET")
            self.assertEqual(r.status, 200)
            self.assertEqual(r.json()["path"], "/slow/700")
            self.assertEqual(r.header("connection"), "close")
            self.assertEqual(gw.proc.wait(timeout=5), 0)
            c.close()
            idle.close()

    def test_drain_timeout_bounds_the_wait(self):
        with Gateway(self.cfg("/"), workers=1, env={"SLUICE_DRAIN_TIMEOUT": "300ms"}) as gw:
            c = gw.client()
            c.send(b"GET /slow/3000 HTTP/1.1\r\nHost: x\r\n\r\n")
            time.sleep(0.15)
            t0 = time.monotonic()
            gw.proc.send_signal(signal.SIGTERM)
            self.assertEqual(gw.proc.wait(timeout=5), 0)
            self.assertLess(time.monotonic() - t0, 1.5)
            c.close()


class TestInvalidConfig(LifecycleBase):
    BAD = ('_format_version: "3.0"\n'
           'services:\n'
           '  - name: a\n'
           '    url: http://127.0.0.1:1\n'
           '    bogus: 1\n')

    def start_bad(self, text, name="kong.yml"):
        d = tempfile.mkdtemp(prefix="sluice-e2e-")
        self.addCleanup(shutil.rmtree, d, True)
        path = os.path.join(d, name)
        with open(path, "w") as f:
            f.write(text)
        port = free_port()
        t0 = time.monotonic()
        p = run_cli(["--config", path, "--proxy-listen", "127.0.0.1:%d" % port, "--workers", "1"])
        return p, path, port, time.monotonic() - t0

    def test_invalid_config_exit_1_with_location(self):
        p, path, port, elapsed = self.start_bad(self.BAD)
        err = p.stderr.decode()
        self.assertEqual(p.returncode, 1, err)
        self.assertLess(elapsed, 3.0)
        self.assertRegex(err, re.compile(r"^%s:5:5: .*unknown field" % re.escape(path), re.M))
        self.assertFalse(listening(port))

    def test_every_error_reported(self):
        text = ('_format_version: "3.0"\n'
                'services:\n'
                '  - name: a\n'
                '    url: http://127.0.0.1:1\n'
                '    bogus: 1\n'
                '  - name: b\n'
                '    url: http://127.0.0.1:2\n'
                '    port: 99999\n')
        p, path, port, _ = self.start_bad(text)
        err = p.stderr.decode()
        self.assertEqual(p.returncode, 1, err)
        lines = re.findall(r"^%s:(\d+):(\d+): " % re.escape(path), err, re.M)
        self.assertIn(("5", "5"), lines)
        self.assertIn("8", [l for l, _ in lines], err)

    def test_yaml_syntax_error(self):
        p, path, port, _ = self.start_bad('_format_version: "3.0"\nservices:\n  - name: [a\n')
        self.assertEqual(p.returncode, 1)
        self.assertRegex(p.stderr.decode(), r"(?m)^%s:\d+:\d+: " % re.escape(path))

    def test_plugins_entry_is_a_load_error(self):
        text = ('_format_version: "3.0"\n'
                'plugins:\n'
                '  - name: aws-lambda\n'
                '    config: { function_name: f }\n')
        p, path, port, _ = self.start_bad(text)
        self.assertEqual(p.returncode, 1, p.stderr.decode())
        self.assertRegex(p.stderr.decode(), r"(?m)^%s:\d+:\d+: " % re.escape(path))
        self.assertFalse(listening(port))

    def test_missing_config_file(self):
        p, path, port, _ = self.start_bad("")
        os.unlink(path)
        p = run_cli(["--config", path, "--proxy-listen", "127.0.0.1:%d" % port])
        self.assertNotEqual(p.returncode, 0)
        self.assertIn(path, p.stderr.decode())

    def test_no_config_at_all(self):
        p = run_cli(["--proxy-listen", "127.0.0.1:%d" % free_port()])
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("config", p.stderr.decode())

    def test_port_in_use_fails(self):
        busy = socket.socket()
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        d = tempfile.mkdtemp(prefix="sluice-e2e-")
        self.addCleanup(shutil.rmtree, d, True)
        path = os.path.join(d, "kong.yml")
        with open(path, "w") as f:
            f.write(to_yaml(self.cfg("/")))
        try:
            p = run_cli(["--config", path, "--proxy-listen", "127.0.0.1:%d" % port,
                         "--workers", "1"])
        finally:
            busy.close()
        self.assertNotEqual(p.returncode, 0)
        self.assertIn(str(port), p.stderr.decode())

    def test_json_config(self):
        cfg = json.dumps(self.cfg("/j"))
        with Gateway(cfg, config_name="kong.json") as gw:
            r, doc = gw.echo("/j")
            self.assertEqual(doc["path"], "/j")


class TestCli(LifecycleBase):
    def test_version(self):
        p = run_cli(["--version"])
        self.assertEqual(p.returncode, 0)
        self.assertEqual(p.stdout.decode().strip(), "sluice %s" % VERSION)

    def test_help(self):
        p = run_cli(["--help"])
        self.assertEqual(p.returncode, 0)
        out = p.stdout.decode()
        for flag in ("--config", "--proxy-listen", "--workers"):
            self.assertIn(flag, out)

    def test_unknown_option(self):
        p = run_cli(["--no-such-flag"])
        self.assertNotEqual(p.returncode, 0)
        self.assertEqual(p.stdout, b"")
        self.assertNotEqual(p.stderr, b"")

    def test_bad_workers(self):
        p = run_cli(["--config", "/nonexistent.yml", "--workers", "zero"])
        self.assertNotEqual(p.returncode, 0)

    def test_admin_listen_accepted(self):
        with Gateway(self.cfg("/"), args=["--admin-listen", "127.0.0.1:%d" % free_port()]) as gw:
            self.assertEqual(gw.get("/a").status, 200)

    def test_log_level_debug(self):
        with Gateway(self.cfg("/"), args=["--log-level", "debug"]) as gw:
            self.assertEqual(gw.get("/a").status, 200)


class TestEnvironment(LifecycleBase):
    def test_kong_declarative_config_and_proxy_listen(self):
        gw = Gateway(self.cfg("/env"), use_cli=False)
        gw.extra_env = {"KONG_DECLARATIVE_CONFIG": gw.config_path,
                        "KONG_PROXY_LISTEN": "127.0.0.1:%d" % gw.port,
                        "KONG_NGINX_WORKER_PROCESSES": "2"}
        with gw:
            r, doc = gw.echo("/env")
            self.assertEqual(doc["path"], "/env")

    def test_sluice_variables(self):
        gw = Gateway(self.cfg("/env"), use_cli=False)
        gw.extra_env = {"SLUICE_CONFIG": gw.config_path,
                        "SLUICE_PROXY_LISTEN": "127.0.0.1:%d" % gw.port,
                        "SLUICE_WORKERS": "2"}
        with gw:
            self.assertEqual(gw.get("/env").status, 200)

    def test_kong_proxy_listen_with_flags(self):
        gw = Gateway(self.cfg("/env"), use_cli=False)
        gw.extra_env = {"KONG_DECLARATIVE_CONFIG": gw.config_path,
                        "KONG_PROXY_LISTEN": "127.0.0.1:%d reuseport backlog=16384" % gw.port,
                        "KONG_NGINX_WORKER_PROCESSES": "1"}
        with gw:
            self.assertEqual(gw.get("/env").status, 200)

    def test_cli_overrides_environment(self):
        other = free_port()
        gw = Gateway(self.cfg("/cli"),
                     env={"KONG_PROXY_LISTEN": "127.0.0.1:%d" % other})
        with gw:
            self.assertEqual(gw.get("/cli").status, 200)
            self.assertFalse(listening(other))


class TestWorkers(LifecycleBase):
    def test_two_workers_serve_concurrently(self):
        with Gateway(self.cfg("/"), workers=2) as gw:
            results = []
            lock = threading.Lock()

            def worker(i):
                with gw.client() as c:
                    for j in range(10):
                        r = c.request("GET", "/w/%d/%d" % (i, j))
                        with lock:
                            results.append((r.status, r.json()["path"]))

            threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=10)
            self.assertEqual(len(results), 80)
            self.assertEqual({s for s, _ in results}, {200})
            self.assertEqual(len({p for _, p in results}), 80)

    def test_slow_request_does_not_block_others(self):
        with Gateway(self.cfg("/"), workers=1) as gw:
            slow = gw.client()
            try:
                slow.send(b"GET /slow/800 HTTP/1.1\r\nHost: x\r\n\r\n")
                time.sleep(0.05)
                t0 = time.monotonic()
                self.assertEqual(gw.get("/fast").status, 200)
                self.assertLess(time.monotonic() - t0, 0.5)
                self.assertEqual(slow.read_response().status, 200)
            finally:
                slow.close()


class TestReload(LifecycleBase):
    def test_sighup_adds_route_old_keeps_serving(self):
        with Gateway(self.cfg("/old")) as gw:
            held = gw.client()
            try:
                self.assertEqual(held.request("GET", "/old").status, 200)
                self.assertEqual(gw.get("/new").status, 404)
                gw.reload(self.cfg("/old", "/new"))
                r = self.wait_status(gw, "/new", 200)
                self.assertEqual(r.status, 200, "new route not served after SIGHUP")
                self.assertEqual(r.json()["path"], "/new")
                self.assertEqual(gw.get("/old").status, 200)
                # a connection opened before the reload keeps working, on the new config
                self.assertEqual(held.request("GET", "/old").status, 200)
                self.assertEqual(held.request("GET", "/new").status, 200)
            finally:
                held.close()

    def test_sighup_removes_route(self):
        with Gateway(self.cfg("/a", "/b")) as gw:
            self.assertEqual(gw.get("/b").status, 200)
            gw.reload(self.cfg("/a"))
            r = self.wait_status(gw, "/b", 404)
            self.assertKongError(r, 404, MSG_NO_ROUTE)
            self.assertEqual(gw.get("/a").status, 200)

    def test_sighup_invalid_config_keeps_old(self):
        with Gateway(self.cfg("/old")) as gw:
            gw.reload('_format_version: "3.0"\nservices:\n  - name: x\n    bogus: true\n')
            time.sleep(0.5)
            self.assertIsNone(gw.proc.poll(), "sluice exited on a bad reload")
            self.assertEqual(gw.get("/old").status, 200)
            self.assertIn("reload", gw.stderr().lower())
            # and a later good reload still works
            gw.reload(self.cfg("/old", "/later"))
            self.assertEqual(self.wait_status(gw, "/later", 200).status, 200)

    def test_sighup_unparsable_file_keeps_old(self):
        with Gateway(self.cfg("/old")) as gw:
            gw.reload("services: [\n")
            time.sleep(0.3)
            self.assertIsNone(gw.proc.poll())
            self.assertEqual(gw.get("/old").status, 200)

    def test_reload_under_load(self):
        with Gateway(self.cfg("/a"), workers=2) as gw:
            stop = threading.Event()
            bad = []

            def load():
                with gw.client() as c:
                    while not stop.is_set():
                        r = c.request("GET", "/a")
                        if r.status != 200:
                            bad.append(r.status)

            threads = [threading.Thread(target=load) for _ in range(4)]
            for t in threads:
                t.start()
            try:
                for i in range(5):
                    gw.reload(self.cfg("/a", "/n%d" % i))
                    time.sleep(0.1)
            finally:
                stop.set()
                for t in threads:
                    t.join(timeout=5)
            self.assertEqual(bad, [])
            self.assertEqual(self.wait_status(gw, "/n4", 200).status, 200)

    def test_reload_changes_upstream(self):
        with Upstream("second") as up2:
            cfg2 = config(services=[service("s", up2.url, [route("r0", ["/a"],
                                                                 strip_path=False)])])
            with Gateway(self.cfg("/a")) as gw:
                self.assertEqual(gw.get("/a").json()["upstream"], "stub")
                gw.reload(cfg2)
                deadline = time.monotonic() + 3
                name = None
                while time.monotonic() < deadline:
                    name = gw.get("/a").json()["upstream"]
                    if name == "second":
                        break
                    time.sleep(0.05)
                self.assertEqual(name, "second")


if __name__ == "__main__":
    unittest.main()
