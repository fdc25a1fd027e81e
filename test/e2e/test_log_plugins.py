"""The logging plugins file-log and http-log and Kong's log record (kong-compat.md 4.16):
the record's shape and values for proxied requests and gateway answers, one line per request
across workers, reopening, and http-log's queue: batching, coalescing, Basic auth, custom
headers, retries, a receiver that is down, the queue's bound, and config errors."""

import base64
import http.server
import json
import os
import re
import signal
import socketserver
import stat
import tempfile
import threading
import time
import unittest

from harness import (Gateway, GatewayTestCase, UpstreamTestCase, check_config, config, dead_port,
                     route, service)
from upstream import Upstream

UUID_RE = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"


def check_plugin(plugin, conf):
    """Runs `sluice check` on a config with a global <plugin> instance; returns (rc, stderr)."""
    doc = config(services=[service("s", "http://127.0.0.1:9", [route("r", ["/"])])])
    entry = {"name": plugin}
    if conf is not None:
        entry["config"] = conf
    doc["plugins"] = [entry]
    return check_config(doc)


def wait_until(pred, timeout=5.0, step=0.02):
    end = time.time() + timeout
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


def read_lines(path):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return []
    return [json.loads(line) for line in data.decode("utf-8").splitlines()]


# file-log ---------------------------------------------------------------------------------

class TestFileLog(UpstreamTestCase):
    def setUp(self):
        super().setUp()
        self.dir = tempfile.mkdtemp(prefix="sluice-filelog-")
        self.path = os.path.join(self.dir, "file.log")

    def doc(self, **conf):
        conf.setdefault("path", self.path)
        doc = config(services=[service("svc", self.up.url, [
            route("r", ["/p"], strip_path=False),
            route("term", ["/term"], plugins=[{"name": "request-termination",
                                               "config": {"status_code": 403,
                                                          "message": "no"}}]),
        ])])
        doc["plugins"] = [{"name": "file-log", "config": conf}]
        return doc

    def wait_lines(self, n, path=None):
        return wait_until(lambda: len(read_lines(path or self.path)) >= n
                          and read_lines(path or self.path))

    def test_proxied_request_record(self):
        with Gateway(self.doc()) as gw:
            before = int(time.time() * 1000)
            r = gw.get("/p/x?a=1&b&a=2&c=%20x+y&d=",
                       headers=[("Authorization", "Bearer secret"),
                                ("Proxy-Authorization", "Basic c2VjcmV0"),
                                ("X-Multi", "one"), ("x-multi", "two"), ("X-Single", "v")])
            after = int(time.time() * 1000)
            self.assertEqual(r.status, 200)
            lines = self.wait_lines(1)
            self.assertEqual(len(lines), 1)
            rec = lines[0]
            req = rec["request"]
            self.assertEqual(req["id"], r.header("x-kong-request-id"))
            self.assertEqual(req["uri"], "/p/x?a=1&b&a=2&c=%20x+y&d=")
            self.assertEqual(req["url"], "http://127.0.0.1:%d/p/x?a=1&b&a=2&c=%%20x+y&d="
                             % gw.port)
            self.assertEqual(req["querystring"], {"a": ["1", "2"], "b": True, "c": " x y",
                                                  "d": ""})
            self.assertEqual(req["method"], "GET")
            h = req["headers"]
            self.assertEqual(h["authorization"], "REDACTED")
            self.assertEqual(h["proxy-authorization"], "REDACTED")
            self.assertEqual(h["x-multi"], ["one", "two"])
            self.assertEqual(h["x-single"], "v")
            self.assertEqual(h["host"], "127.0.0.1:%d" % gw.port)
            self.assertNotIn("X-Single", h)
            self.assertGreater(req["size"], 100)
            self.assertEqual(rec["upstream_uri"], "/p/x?a=1&b&a=2&c=%20x+y&d=")
            self.assertEqual(rec["upstream_status"], "200")
            resp = rec["response"]
            self.assertEqual(resp["status"], 200)
            self.assertEqual(resp["headers"]["x-kong-request-id"], req["id"])
            self.assertEqual(resp["headers"]["content-length"], str(len(r.body)))
            self.assertEqual(resp["headers"]["connection"], "keep-alive")
            self.assertGreater(resp["size"], len(r.body))
            lat = rec["latencies"]
            self.assertEqual(sorted(lat), ["kong", "proxy", "receive", "request"])
            for k in lat:
                self.assertIsInstance(lat[k], int, k)
                self.assertGreaterEqual(lat[k], 0, k)
            self.assertLessEqual(lat["proxy"], lat["request"])
            self.assertEqual(len(rec["tries"]), 1)
            self.assertEqual(rec["tries"][0]["ip"], "127.0.0.1")
            self.assertEqual(rec["tries"][0]["port"], self.up.port)
            self.assertGreaterEqual(rec["tries"][0]["balancer_start"], before - 1)
            self.assertEqual(rec["route"]["name"], "r")
            self.assertEqual(rec["route"]["paths"], ["/p"])
            self.assertRegex(rec["route"]["id"], UUID_RE)
            self.assertEqual(rec["service"]["name"], "svc")
            self.assertEqual(rec["service"]["port"], self.up.port)
            self.assertEqual(rec["route"]["service"], {"id": rec["service"]["id"]})
            self.assertEqual(rec["client_ip"], "127.0.0.1")
            self.assertGreaterEqual(rec["started_at"], before - 1)
            self.assertLessEqual(rec["started_at"], after + 1)
            self.assertEqual(rec["source"], "upstream")
            self.assertRegex(rec["workspace"], UUID_RE)
            self.assertEqual(rec["workspace_name"], "default")
            self.assertNotIn("consumer", rec)
            self.assertNotIn("authenticated_entity", rec)

    def test_gateway_answers(self):
        with Gateway(self.doc()) as gw:
            self.assertEqual(gw.get("/nothing").status, 404)
            r = gw.get("/term/x")
            self.assertEqual(r.status, 403)
            lines = self.wait_lines(2)
            nf, term = lines
            self.assertEqual(nf["response"]["status"], 404)
            self.assertEqual(nf["source"], "kong")
            self.assertEqual(nf["upstream_uri"], "")
            self.assertEqual(nf["latencies"]["proxy"], -1)
            self.assertNotIn("upstream_status", nf)
            self.assertNotIn("route", nf)
            self.assertNotIn("service", nf)
            self.assertNotIn("tries", nf)
            self.assertEqual(nf["request"]["querystring"], {})
            # a plugin's answer: the route and its service are known, nothing was proxied
            self.assertEqual(term["response"]["status"], 403)
            self.assertEqual(term["response"]["headers"]["content-type"],
                             "application/json; charset=utf-8")
            self.assertGreater(term["response"]["size"], len(b'{"message":"no"}'))
            self.assertEqual(term["route"]["name"], "term")
            self.assertEqual(term["service"]["name"], "svc")
            self.assertEqual(term["source"], "kong")
            self.assertEqual(term["latencies"]["proxy"], -1)
            self.assertEqual(self.up.count(), 0)

    def test_appends_and_creates_0644(self):
        with open(self.path, "w") as f:
            f.write('{"old":true}\n')
        other = os.path.join(self.dir, "new.log")
        doc = self.doc()
        doc["services"][0]["routes"][0]["plugins"] = [
            {"name": "file-log", "config": {"path": other}}]
        with Gateway(doc) as gw:
            gw.get("/p")      # the route's own instance (most specific) writes to new.log
            gw.get("/term")   # the global one to file.log
            self.wait_lines(2)
            self.wait_lines(1, other)
        lines = read_lines(self.path)
        self.assertEqual(lines[0], {"old": True})
        self.assertEqual(lines[1]["route"]["name"], "term")
        self.assertEqual(len(read_lines(other)), 1)
        self.assertEqual(stat.S_IMODE(os.stat(other).st_mode) & 0o644, 0o644)
        self.assertEqual(stat.S_IMODE(os.stat(other).st_mode) & 0o133, 0)

    def test_one_line_per_request_across_workers(self):
        big = "x" * 6000  # lines of several KB: interleaved writes would break them
        n_threads, per_thread = 8, 25
        with Gateway(self.doc(), workers=4) as gw:
            errors = []

            def run(t):
                try:
                    with gw.client() as c:
                        for i in range(per_thread):
                            r = c.request("GET", "/p/%d/%d" % (t, i),
                                          headers=[("X-Big", big)])
                            if r.status != 200:
                                errors.append(r.status)
                except Exception as e:  # noqa: BLE001 (reported below)
                    errors.append(repr(e))

            threads = [threading.Thread(target=run, args=(t,)) for t in range(n_threads)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            self.assertEqual(errors, [])
            total = n_threads * per_thread
            lines = self.wait_lines(total)
        self.assertEqual(len(lines), total)
        uris = sorted(l["request"]["uri"] for l in lines)
        self.assertEqual(uris, sorted("/p/%d/%d" % (t, i) for t in range(n_threads)
                                      for i in range(per_thread)))
        self.assertTrue(all(l["request"]["headers"]["x-big"] == big for l in lines))

    def test_reopen_true_follows_a_moved_file(self):
        with Gateway(self.doc(reopen=True)) as gw:
            gw.get("/p/1")
            self.wait_lines(1)
            os.rename(self.path, self.path + ".1")
            gw.get("/p/2")
            lines = self.wait_lines(1)
        self.assertEqual([l["request"]["uri"] for l in lines], ["/p/2"])
        self.assertEqual([l["request"]["uri"] for l in read_lines(self.path + ".1")], ["/p/1"])

    def test_sigusr1_reopens(self):
        # one worker: a second one would open the path afresh on its first line
        with Gateway(self.doc(), workers=1) as gw:
            gw.get("/p/1")
            self.wait_lines(1)
            os.rename(self.path, self.path + ".1")
            gw.get("/p/2")  # reopen is false: the moved file still gets the line
            wait_until(lambda: len(read_lines(self.path + ".1")) == 2)
            self.assertFalse(os.path.exists(self.path))
            gw.proc.send_signal(signal.SIGUSR1)
            wait_until(lambda: "log files reopened" in gw.stderr())
            for i in range(4):  # the worker reopens before its next line
                gw.get("/p/after%d" % i)
            lines = self.wait_lines(4)
        self.assertEqual(len(read_lines(self.path + ".1")), 2)
        self.assertEqual(sorted(l["request"]["uri"] for l in lines),
                         ["/p/after%d" % i for i in range(4)])

    def test_config_errors(self):
        self.assertEqual(check_plugin("file-log", {"path": "/tmp/x.log", "reopen": True})[0], 0)
        for conf, message in [
            (None, "path: required field missing"),
            ({"reopen": True}, "path: required field missing"),
            ({"path": "/tmp/a*b"}, "not a valid filename"),
            ({"path": "/tmp/a%b"}, "not a valid filename"),
            ({"path": 12}, "expected a string"),
            ({"path": "/tmp/x", "reopen": "maybe"}, "expected a boolean"),
            ({"path": "/tmp/x", "custom_fields_by_lua": {"a": "return 1"}},
             "custom_fields_by_lua is not supported by sluice"),
            ({"path": "/tmp/x", "bogus": 1}, "unknown field"),
        ]:
            rc, err = check_plugin("file-log", conf)
            self.assertEqual(rc, 1, conf)
            self.assertRegex(err, r"kong\.yml:\d+:\d+: " + re.escape(message), conf)


# http-log ---------------------------------------------------------------------------------

class Receiver:
    """A log receiver: a threaded HTTP server that records every request and answers with the
    next status of `statuses` (then 200)."""

    def __init__(self):
        self.requests = []
        self.statuses = []
        self.close_after = False
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def handle_any(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n)
                with outer.lock:
                    outer.requests.append({"method": self.command, "path": self.path,
                                           "headers": dict(self.headers.items()),
                                           "body": body, "time": time.time(),
                                           "peer_port": self.client_address[1]})
                    status = outer.statuses.pop(0) if outer.statuses else 200
                out = b'{"ok":true}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)
                if outer.close_after:
                    # a keep-alive answer, then the connection goes: the gateway's pooled
                    # connection is stale by the next batch
                    self.close_connection = True

            do_POST = do_PUT = do_PATCH = handle_any

        class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path="/log", userinfo=""):
        return "http://%s127.0.0.1:%d%s" % (userinfo + "@" if userinfo else "", self.port, path)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def records(self):
        """Every record received, in order (arrays flattened)."""
        out = []
        with self.lock:
            for r in self.requests:
                doc = json.loads(r["body"])
                out.extend(doc if isinstance(doc, list) else [doc])
        return out

    def wait(self, n_requests, timeout=5.0):
        return wait_until(lambda: len(self.requests) >= n_requests, timeout)


class TestHttpLog(GatewayTestCase):
    @classmethod
    def setUpClass(cls):
        cls.up = Upstream().start()

    @classmethod
    def tearDownClass(cls):
        cls.up.stop()

    def doc(self, **conf):
        doc = config(services=[service("svc", self.up.url, [
            route("r", ["/p"], strip_path=False)])])
        doc["plugins"] = [{"name": "http-log", "config": conf}]
        return doc

    def test_single_records(self):
        with Receiver() as rx, Gateway(self.doc(http_endpoint=rx.url("/log?k=v"))) as gw:
            ids = [gw.get("/p/%d" % i).header("x-kong-request-id") for i in range(3)]
            self.assertTrue(rx.wait(3))
            time.sleep(0.1)
            self.assertEqual(len(rx.requests), 3)
            for r in rx.requests:
                self.assertEqual(r["method"], "POST")
                self.assertEqual(r["path"], "/log?k=v")
                self.assertEqual(r["headers"]["Content-Type"], "application/json")
                self.assertEqual(r["headers"]["Host"], "127.0.0.1")
                self.assertNotIn("Authorization", r["headers"])
                self.assertIsInstance(json.loads(r["body"]), dict)  # batch size 1: the object
            recs = rx.records()
            self.assertEqual([x["request"]["id"] for x in recs], ids)
            self.assertEqual(recs[0]["route"]["name"], "r")
            self.assertEqual(recs[0]["upstream_status"], "200")

    def test_batches_by_size(self):
        conf = {"queue": {"max_batch_size": 3, "max_coalescing_delay": 30}}
        with Receiver() as rx, Gateway(self.doc(http_endpoint=rx.url(), **conf)) as gw:
            t0 = time.time()
            ids = [gw.get("/p/%d" % i).header("x-kong-request-id") for i in range(3)]
            self.assertTrue(rx.wait(1))
            self.assertLess(time.time() - t0, 5)  # sent when full, not after 30 s
            body = json.loads(rx.requests[0]["body"])
            self.assertIsInstance(body, list)
            self.assertEqual([x["request"]["id"] for x in body], ids)

    def test_coalescing_delay(self):
        conf = {"method": "PUT", "content_type": "application/json; charset=utf-8",
                "queue": {"max_batch_size": 10, "max_coalescing_delay": 0.6}}
        with Receiver() as rx, Gateway(self.doc(http_endpoint=rx.url(), **conf)) as gw:
            t0 = time.time()
            gw.get("/p/1")
            gw.get("/p/2")
            time.sleep(0.3)
            self.assertEqual(len(rx.requests), 0)  # the delay has not passed
            self.assertTrue(rx.wait(1))
            self.assertGreaterEqual(rx.requests[0]["time"] - t0, 0.5)
            self.assertEqual(rx.requests[0]["method"], "PUT")
            self.assertEqual(rx.requests[0]["headers"]["Content-Type"],
                             "application/json; charset=utf-8")
            self.assertEqual([x["request"]["uri"] for x in json.loads(rx.requests[0]["body"])],
                             ["/p/1", "/p/2"])

    def test_deprecated_queue_size_maps_to_batch_size(self):
        conf = {"queue_size": 2, "flush_timeout": 30, "retry_count": 3}
        with Receiver() as rx, Gateway(self.doc(http_endpoint=rx.url(), **conf)) as gw:
            gw.get("/p/1")
            gw.get("/p/2")
            self.assertTrue(rx.wait(1))
            self.assertEqual(len(json.loads(rx.requests[0]["body"])), 2)

    def test_basic_auth_from_userinfo_and_custom_headers(self):
        with Receiver() as rx:
            conf = {"http_endpoint": rx.url("/in", userinfo="us%3Aer:p%40ss"),
                    "headers": {"X-Api-Key": "k1", "X-Other": "two words"}}
            with Gateway(self.doc(**conf)) as gw:
                gw.get("/p")
                self.assertTrue(rx.wait(1))
            h = rx.requests[0]["headers"]
            self.assertEqual(h["Authorization"],
                             "Basic " + base64.b64encode(b"us:er:p@ss").decode())
            self.assertEqual(h["X-Api-Key"], "k1")
            self.assertEqual(h["X-Other"], "two words")

    def test_retry_after_500(self):
        with Receiver() as rx:
            rx.statuses = [500, 503]
            with Gateway(self.doc(http_endpoint=rx.url())) as gw:
                rid = gw.get("/p").header("x-kong-request-id")
                self.assertTrue(rx.wait(3))
                time.sleep(0.2)
            self.assertEqual(len(rx.requests), 3)  # 500, 503, then 200
            self.assertEqual([x["request"]["id"] for x in rx.records()], [rid] * 3)
            gaps = [b["time"] - a["time"] for a, b in zip(rx.requests, rx.requests[1:])]
            self.assertLess(max(gaps), 2.0)  # initial_retry_delay 0.01 s, doubling

    def test_batches_share_one_keepalive_connection(self):
        # the batches go through the gateway's upstream client on the worker's keep-alive
        # pool: one connection serves them all
        with Receiver() as rx, Gateway(self.doc(http_endpoint=rx.url())) as gw:
            for i in range(4):
                self.assertEqual(gw.get("/p/%d" % i).status, 200)
                self.assertTrue(rx.wait(i + 1))
            ports = {r["peer_port"] for r in rx.requests}
            self.assertEqual(len(ports), 1, ports)

    def test_receiver_closing_after_each_batch_loses_nothing(self):
        with Receiver() as rx:
            rx.close_after = True
            with Gateway(self.doc(http_endpoint=rx.url())) as gw:
                rids = []
                for i in range(4):
                    rids.append(gw.get("/p/%d" % i).header("x-kong-request-id"))
                    self.assertTrue(rx.wait(i + 1))
                    time.sleep(0.05)
                self.assertNotIn("failed request", gw.stderr())
            self.assertEqual([x["request"]["id"] for x in rx.records()], rids)
            self.assertEqual(len({r["peer_port"] for r in rx.requests}), 4)

    def test_receiver_down_requests_unaffected(self):
        conf = {"http_endpoint": "http://127.0.0.1:%d/log" % dead_port(),
                "queue": {"max_retry_time": 1, "initial_retry_delay": 0.05}}
        with Gateway(self.doc(**conf), workers=2) as gw:
            t0 = time.time()
            for i in range(30):
                r = gw.get("/p/%d" % i)
                self.assertEqual(r.status, 200)
            self.assertLess(time.time() - t0, 3.0)
            self.assertTrue(wait_until(lambda: "failed request to 127.0.0.1" in gw.stderr()))
            self.assertEqual(gw.get("/p/last").status, 200)

    def test_queue_bound_drops_oldest(self):
        with Receiver() as rx:
            rx.statuses = [500]
            conf = {"http_endpoint": rx.url(),
                    "queue": {"max_entries": 3, "initial_retry_delay": 1.0}}
            with Gateway(self.doc(**conf)) as gw:
                ids = [gw.get("/p/%d" % i).header("x-kong-request-id") for i in range(10)]
                self.assertTrue(rx.wait(5, timeout=8))
                time.sleep(0.2)
                err = gw.stderr()
            # the first record waits for its retry while the queue keeps the newest three
            got = [x["request"]["id"] for x in rx.records()]
            self.assertEqual(got, [ids[0], ids[0]] + ids[7:])
            self.assertIn("full", err)

    def test_many_workers_every_record_delivered(self):
        conf = {"queue": {"max_batch_size": 5, "max_coalescing_delay": 0.1}}
        with Receiver() as rx, Gateway(self.doc(http_endpoint=rx.url(), **conf),
                                       workers=3) as gw:
            ids = set()
            for i in range(40):
                ids.add(gw.get("/p/%d" % i).header("x-kong-request-id"))
            self.assertTrue(wait_until(lambda: len(rx.records()) >= 40))
            self.assertEqual({x["request"]["id"] for x in rx.records()}, ids)

    def test_config_errors(self):
        ok = {"http_endpoint": "http://127.0.0.1:9/x", "method": "PATCH", "timeout": 100,
              "keepalive": 1000, "headers": {"X-A": "b"}, "retry_count": 1, "queue_size": 5,
              "flush_timeout": 2,
              "queue": {"max_batch_size": 10, "max_coalescing_delay": 0.5, "max_entries": 5,
                        "max_bytes": 100000, "max_retry_time": 10, "initial_retry_delay": 0.1,
                        "max_retry_delay": 5, "concurrency_limit": 1}}
        rc, err = check_plugin("http-log", ok)
        self.assertEqual(rc, 0, err)
        ep = "http://127.0.0.1:9/x"
        for conf, message in [
            (None, "http_endpoint: required field missing"),
            ({"method": "POST"}, "http_endpoint: required field missing"),
            ({"http_endpoint": "https://logs.example.com/"},
             "https endpoints are not supported by sluice yet"),
            ({"http_endpoint": "127.0.0.1/x"}, "missing scheme in url"),
            ({"http_endpoint": "http:///x"}, "missing host in url"),
            ({"http_endpoint": ep, "method": "GET"}, "expected one of: POST, PUT, PATCH"),
            ({"http_endpoint": ep, "content_type": "text/plain"},
             "expected one of: application/json"),
            ({"http_endpoint": ep, "headers": {"Host": "x"}}, "cannot contain 'Host' header"),
            ({"http_endpoint": ep, "headers": {"content-length": "1"}},
             "cannot contain 'Content-Length' header"),
            ({"http_endpoint": ep, "headers": {"Content-Type": "x"}},
             "cannot contain 'Content-Type' header"),
            ({"http_endpoint": ep, "headers": {"a b": "x"}}, "bad header name 'a b'"),
            ({"http_endpoint": "http://u:p@127.0.0.1/x", "headers": {"authorization": "x"}},
             "specifying both an 'Authorization' header and user info"),
            ({"http_endpoint": ep, "custom_fields_by_lua": {"x": "return 1"}},
             "custom_fields_by_lua is not supported by sluice"),
            ({"http_endpoint": ep, "queue": {"concurrency_limit": -1}},
             "concurrency_limit -1 is not supported by sluice"),
            ({"http_endpoint": ep, "queue": {"max_batch_size": 0}},
             "value should be between 1 and 1000000"),
            ({"http_endpoint": ep, "queue": {"initial_retry_delay": 0}},
             "value should be between 0.001 and 1e+06"),
            ({"http_endpoint": ep, "queue": {"bogus": 1}}, "unknown field"),
            ({"http_endpoint": ep, "timeout": "soon"}, "expected a number"),
            ({"http_endpoint": ep, "bogus": 1}, "unknown field"),
        ]:
            rc, err = check_plugin("http-log", conf)
            self.assertEqual(rc, 1, conf)
            self.assertRegex(err, r"kong\.yml:\d+:\d+: " + re.escape(message), conf)


if __name__ == "__main__":
    unittest.main()
