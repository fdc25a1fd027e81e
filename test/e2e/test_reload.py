"""Reloads under load: SIGHUP and POST /config while requests flow lose nothing (each request
runs on the snapshot it started with), and many reloads do not grow memory."""

import os
import signal
import socket
import threading
import time
import unittest

from harness import Client, Gateway, GatewayTestCase, config, route, service, to_yaml, wait_admin
from upstream import Upstream


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def under_asan():
    """AddressSanitizer's quarantine holds freed memory, so RSS says nothing there."""
    import subprocess
    from harness import SLUICE_BIN
    try:
        out = subprocess.run(["ldd", SLUICE_BIN], capture_output=True, text=True, timeout=10)
        return "libasan" in out.stdout
    except (OSError, subprocess.SubprocessError):
        return False



class TestReloadUnderLoad(GatewayTestCase):
    @classmethod
    def setUpClass(cls):
        cls.up = Upstream().start()

    @classmethod
    def tearDownClass(cls):
        cls.up.stop()

    def cfg(self, generation):
        # every generation keeps /load and adds a route of its own; plugins with per-snapshot
        # state (key-auth's index of 20 consumers' keys) and node-wide or per-worker state
        # (rate-limiting counters, metric series) come and go with each config
        doc = config(services=[service("s", self.up.url, [
            route("load", ["/load"], strip_path=False),
            route("gen%d" % generation, ["/gen%d" % generation], strip_path=False,
                  plugins=[{"name": "key-auth", "config": {}}])])])
        doc["plugins"] = [
            {"name": "correlation-id", "config": {}},
            {"name": "rate-limiting", "config": {"second": 1000000, "policy": "local"}},
            {"name": "prometheus", "config": {"status_code_metrics": True,
                                              "latency_metrics": True}},
        ]
        doc["consumers"] = [{"username": "u%d" % i,
                             "keyauth_credentials": [{"key": "k%d-%d" % (generation, i)}]}
                            for i in range(20)]
        return doc

    def test_20_reloads_by_both_paths_lose_no_request(self):
        with Gateway(self.cfg(0), workers=2) as gw:
            wait_admin(gw)
            stop = threading.Event()
            results = {"ok": 0, "bad": []}
            lock = threading.Lock()

            def load():
                while not stop.is_set():
                    try:
                        with Client(gw.port, timeout=5) as c:
                            for _ in range(50):  # keep-alive, then a new connection
                                r = c.request("GET", "/load")
                                with lock:
                                    if r.status == 200:
                                        results["ok"] += 1
                                    else:
                                        results["bad"].append(r.status)
                                if stop.is_set():
                                    break
                    except (OSError, Exception) as e:  # a reset or a cut response
                        with lock:
                            results["bad"].append(repr(e))

            threads = [threading.Thread(target=load) for _ in range(4)]
            for t in threads:
                t.start()
            try:
                for gen in range(1, 21):
                    if gen % 2:
                        gw.reload(self.cfg(gen))  # rewrite the file + SIGHUP
                    else:
                        with Client(gw.admin_port) as c:
                            r = c.request("POST", "/config", body=to_yaml(self.cfg(gen)))
                            self.assertEqual(r.status, 201, r)
                    time.sleep(0.15)
                # the last generation's route answers: every reload was applied
                deadline = time.monotonic() + 3
                key = [("apikey", "k20-7")]  # the last generation's keys, not the ones before
                while gw.get("/gen20", key).status != 200 and time.monotonic() < deadline:
                    time.sleep(0.05)
                self.assertEqual(gw.get("/gen20", key).status, 200)
                self.assertEqual(gw.get("/gen20", [("apikey", "k19-7")]).status, 401)
                self.assertEqual(gw.get("/gen19").status, 404)
            finally:
                stop.set()
                for t in threads:
                    t.join(timeout=10)
            self.assertEqual(results["bad"], [])
            self.assertGreater(results["ok"], 200)

    def test_many_reloads_keep_memory_flat(self):
        with Gateway(self.cfg(0), workers=2) as gw:
            wait_admin(gw)
            with Client(gw.admin_port) as c:
                bodies = [to_yaml(self.cfg(g)) for g in range(1, 4)]
                for i in range(100):  # warm up allocator pools
                    self.assertEqual(c.request("POST", "/config", body=bodies[i % 3]).status, 201)
                    gw.get("/load")
                before = rss_kib(gw.proc.pid)
                for i in range(1000):
                    r = c.request("POST", "/config", body=bodies[i % 3])
                    self.assertEqual(r.status, 201)
                    if i % 50 == 0:
                        self.assertEqual(gw.get("/load").status, 200)
                after = rss_kib(gw.proc.pid)
            growth = after - before
            print("RSS over 1000 reloads: %d KiB -> %d KiB (%+d KiB)" % (before, after, growth))
            if not under_asan():  # under ASan, LeakSanitizer at exit checks leaks instead
                self.assertLess(growth, 2048, "RSS grew by %d KiB over 1000 reloads" % growth)


if __name__ == "__main__":
    unittest.main()
