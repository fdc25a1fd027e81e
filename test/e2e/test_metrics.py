"""GET /metrics on the admin API and the prometheus plugin (kong-compat.md 4.15): Kong's
families, label sets and buckets in Prometheus text format 0.0.4, counters that move as
traffic flows, each of the plugin's flags, reloads that keep counters, several workers summed,
and the node metrics that are there without any plugin."""

import os
import re
import signal
import time
import unittest

from harness import (Client, Gateway, GatewayTestCase, build_request, config, route, service,
                     to_yaml, wait_admin)
from upstream import Upstream

CT_PROM = "text/plain; version=0.0.4; charset=utf-8"
UUID_RE = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
KONG_BUCKETS = ["1", "2", "5", "7", "10", "15", "20", "30", "50", "75", "100", "200", "500",
                "750", "1000", "3000", "6000", "+Inf"]
UPSTREAM_BUCKETS = ["25", "50", "80", "100", "250", "400", "700", "1000", "2000", "5000",
                    "10000", "30000", "60000", "+Inf"]
ALL_FLAGS = dict(status_code_metrics=True, latency_metrics=True, bandwidth_metrics=True,
                 upstream_health_metrics=True)

# Kong 3.x exporter.lua: HELP text, TYPE and label names (in order) of each family
FAMILIES = {
    "kong_http_requests_total": (
        "HTTP status codes per consumer/service/route in Kong", "counter",
        ["service", "route", "code", "source", "workspace", "consumer"]),
    "kong_kong_latency_ms": (
        "Latency added by Kong and enabled plugins for each service/route in Kong", "histogram",
        ["service", "route", "workspace"]),
    "kong_upstream_latency_ms": (
        "Latency added by upstream response for each service/route in Kong", "histogram",
        ["service", "route", "workspace"]),
    "kong_request_latency_ms": (
        "Total latency incurred during requests for each service/route in Kong", "histogram",
        ["service", "route", "workspace"]),
    "kong_bandwidth_bytes": (
        "Total bandwidth (ingress/egress) throughput in bytes", "counter",
        ["service", "route", "direction", "workspace", "consumer"]),
    "kong_upstream_target_health": (
        "Health status of targets of upstream. States = healthchecks_off|healthy|unhealthy|"
        "dns_error, value is 1 when state is populated.", "gauge",
        ["upstream", "target", "address", "state", "subsystem"]),
    "kong_nginx_connections_total": (
        "Number of connections by subsystem", "gauge", ["node_id", "subsystem", "state"]),
    "kong_nginx_requests_total": ("Number of requests total", "gauge", ["node_id", "subsystem"]),
    "kong_datastore_reachable": ("Datastore reachable from Kong, 0 is unreachable", "gauge", []),
    "kong_node_info": ("Kong Node metadata information", "gauge", ["node_id", "version"]),
    "kong_nginx_metric_errors_total": ("Number of nginx-lua-prometheus errors", "counter", []),
}
PER_REQUEST = ["kong_http_requests_total", "kong_kong_latency_ms", "kong_upstream_latency_ms",
               "kong_request_latency_ms", "kong_bandwidth_bytes"]

SAMPLE_RE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$")
LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\\\|\\"|\\n)*)"')


def parse_labels(text):
    out, pos = [], 0
    while pos < len(text):
        m = LABEL_RE.match(text, pos)
        if not m:
            raise AssertionError("bad label set {%s} at %d" % (text, pos))
        value = re.sub(r'\\(.)', lambda e: "\n" if e.group(1) == "n" else e.group(1), m.group(2))
        out.append((m.group(1), value))
        pos = m.end()
        if pos < len(text):
            if text[pos] != ",":
                raise AssertionError("bad label set {%s}" % text)
            pos += 1
    return out


def parse(text):
    """Strict text format 0.0.4: every sample belongs to the family declared just before it
    (HELP then TYPE), histograms only carry _bucket/_count/_sum. Returns {family: {help, type,
    samples: [(name, [(label, value)], value)]}} in the order of the text."""
    if text and not text.endswith("\n"):
        raise AssertionError("the text does not end with a newline")
    fams, cur = {}, None
    for line in text.split("\n")[:-1]:
        if line.startswith("# HELP "):
            name, _, help_ = line[7:].partition(" ")
            if name in fams:
                raise AssertionError("family %s declared twice" % name)
            cur = fams[name] = {"help": help_, "type": None, "samples": []}
            cur_name = name
        elif line.startswith("# TYPE "):
            name, _, typ = line[7:].partition(" ")
            if cur is None or name != cur_name or cur["type"] is not None:
                raise AssertionError("TYPE without its HELP: %r" % line)
            cur["type"] = typ
        else:
            m = SAMPLE_RE.match(line)
            if not m or cur is None or cur["type"] is None:
                raise AssertionError("bad or undeclared sample line %r" % line)
            name = m.group(1)
            allowed = {cur_name}
            if cur["type"] == "histogram":
                allowed = {cur_name + s for s in ("_bucket", "_count", "_sum")}
            if name not in allowed:
                raise AssertionError("sample %s under family %s" % (name, cur_name))
            cur["samples"].append((name, parse_labels(m.group(2) or ""), float(m.group(3))))
    return fams


def value(fams, family, sample=None, **labels):
    """Sum of the samples of <family> (named <sample>, default the family) whose labels
    include <labels>."""
    total = 0
    for name, ls, v in fams.get(family, {"samples": []})["samples"]:
        d = dict(ls)
        if name == (sample or family) and all(d.get(k) == str(x) for k, x in labels.items()):
            total += v
    return total


def samples(fams, family, sample=None):
    return [(dict(ls), v) for name, ls, v in fams.get(family, {"samples": []})["samples"]
            if name == (sample or family)]



def admin(gw, method, path, body=None, headers=()):
    with Client(gw.admin_port) as c:
        return c.request(method, path, headers, body)


def prom(**conf):
    return {"name": "prometheus", "config": conf}


class MetricsCase(GatewayTestCase):
    @classmethod
    def setUpClass(cls):
        cls.up = Upstream().start()

    @classmethod
    def tearDownClass(cls):
        cls.up.stop()

    def scrape(self, gw):
        wait_admin(gw)
        r = admin(gw, "GET", "/metrics")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("content-type"), CT_PROM)
        return parse(r.text)

    def eventually(self, gw, check, timeout=3.0):
        """Scrapes until <check>(families) holds (a request's log phase runs just after its
        response is handed to the socket, so a scrape may overtake it); returns the last
        scrape."""
        deadline = time.monotonic() + timeout
        while True:
            fams = self.scrape(gw)
            if check(fams) or time.monotonic() > deadline:
                return fams
            time.sleep(0.05)

    def doc(self, plugins=(), **flags):
        """Service "orders" (route r-orders on /orders, r-deny on /deny answering 403 from
        request-termination), an unnamed service and route on /anon, an upstream with one
        target, and the prometheus plugin globally with <flags> unless <plugins> is given."""
        d = config(services=[
            service("orders", self.up.url, [
                route("r-orders", ["/orders"], strip_path=False),
                route("r-deny", ["/deny"], strip_path=False,
                      plugins=[{"name": "request-termination",
                                "config": {"status_code": 403, "message": "no"}}]),
            ]),
            {"url": self.up.url, "routes": [{"paths": ["/anon"], "strip_path": False}]},
        ], upstreams=[{"name": "pool", "targets": [{"target": "127.0.0.1:%d" % self.up.port}]}])
        if plugins:
            d["plugins"] = list(plugins)
        elif flags is not None:
            d["plugins"] = [prom(**flags)]
        return d


class TestNodeMetrics(MetricsCase):
    def test_without_plugin_only_node_metrics(self):
        d = self.doc()
        del d["plugins"]
        with Gateway(d, workers=2) as gw:
            for _ in range(3):
                self.assertEqual(gw.get("/orders").status, 200)
            self.assertEqual(gw.get("/nowhere").status, 404)
            node_id = admin(gw, "GET", "/").json()["node_id"]
            fams = self.eventually(
                gw, lambda f: value(f, "kong_nginx_requests_total") >= 4)
            for name in PER_REQUEST + ["kong_upstream_target_health"]:
                self.assertNotIn(name, fams)
            self.assertEqual(value(fams, "kong_datastore_reachable"), 1)
            self.assertEqual(value(fams, "kong_nginx_metric_errors_total"), 0)
            self.assertEqual(samples(fams, "kong_node_info"),
                             [({"node_id": node_id, "version": "0.1.0"}, 1)])
            self.assertEqual(samples(fams, "kong_nginx_requests_total"),
                             [({"node_id": node_id, "subsystem": "http"}, 4)])
            conns = {ls["state"]: v for ls, v in samples(fams, "kong_nginx_connections_total")}
            self.assertEqual(sorted(conns), ["accepted", "active", "handled", "reading", "total",
                                             "waiting", "writing"])
            self.assertGreaterEqual(conns["accepted"], 4)
            self.assertEqual(conns["total"], 4)
            self.assertEqual(conns["active"],
                             conns["reading"] + conns["writing"] + conns["waiting"])
            for name, (help_, typ, labels) in FAMILIES.items():
                if name in fams:
                    self.assertEqual((fams[name]["help"], fams[name]["type"]), (help_, typ))
                    for _, ls, _ in fams[name]["samples"]:
                        self.assertEqual([k for k, _ in ls], labels, name)
            # sluice's own figures, per worker
            self.assertEqual(value(fams, "sluice_worker_requests_total"), 4)
            self.assertEqual(sorted(ls["worker"] for ls, _ in
                                    samples(fams, "sluice_worker_requests_total")), ["0", "1"])
            self.assertEqual(fams["sluice_worker_connections"]["type"], "gauge")
            self.assertEqual(value(fams, "sluice_worker_metric_series"), 0)

    def test_methods_and_head(self):
        with Gateway(self.doc(**ALL_FLAGS)) as gw:
            wait_admin(gw)
            r = admin(gw, "POST", "/metrics", body="x")
            self.assertEqual(r.status, 405)
            self.assertEqual(r.json(), {"message": "Method not allowed"})
            r = admin(gw, "HEAD", "/metrics")
            self.assertEqual(r.status, 200)
            self.assertEqual(r.header("content-type"), CT_PROM)
            self.assertEqual(r.body, b"")
            self.assertGreater(int(r.header("content-length")), 0)


class TestPluginMetrics(MetricsCase):
    def test_shapes(self):
        with Gateway(self.doc(**ALL_FLAGS)) as gw:
            for path in ("/orders", "/orders/status/503", "/deny", "/anon", "/orders/slow/30"):
                gw.get(path)
            fams = self.eventually(gw, lambda f: value(f, "kong_http_requests_total") >= 5)
            for name, (help_, typ, labels) in FAMILIES.items():
                self.assertIn(name, fams)
                self.assertEqual(fams[name]["help"], help_, name)
                self.assertEqual(fams[name]["type"], typ, name)
                for sname, ls, _ in fams[name]["samples"]:
                    names = [k for k, _ in ls]
                    if sname.endswith("_bucket"):
                        self.assertEqual(names, labels + ["le"], sname)
                    else:
                        self.assertEqual(names, labels, sname)
            # families in the order of their names, as Kong's exporter sorts its keys
            kong = [n for n in fams if n.startswith("kong_")]
            self.assertEqual(kong, sorted(kong))
            for name, bounds in (("kong_kong_latency_ms", KONG_BUCKETS),
                                 ("kong_upstream_latency_ms", UPSTREAM_BUCKETS),
                                 ("kong_request_latency_ms", UPSTREAM_BUCKETS)):
                series = {}
                for ls, v in samples(fams, name, name + "_bucket"):
                    key = (ls["service"], ls["route"])
                    series.setdefault(key, []).append((ls["le"], v))
                self.assertTrue(series, name)
                for key, buckets in series.items():
                    self.assertEqual([le for le, _ in buckets], bounds, (name, key))
                    counts = [v for _, v in buckets]
                    self.assertEqual(counts, sorted(counts), (name, key))  # cumulative
                    labels = dict(zip(("service", "route"), key))
                    self.assertEqual(counts[-1], value(fams, name, name + "_count", **labels))
                    self.assertEqual(len(samples(fams, name, name + "_sum")), len(series))
            # the slow upstream answer lands above 25 ms in the upstream and request histograms
            slow = dict(service="orders", route="r-orders")
            self.assertGreaterEqual(
                value(fams, "kong_upstream_latency_ms", "kong_upstream_latency_ms_sum", **slow), 30)
            self.assertLess(value(fams, "kong_upstream_latency_ms",
                                  "kong_upstream_latency_ms_bucket", le="25", **slow),
                            value(fams, "kong_upstream_latency_ms",
                                  "kong_upstream_latency_ms_count", **slow))
            # no upstream latency for what the gateway answered itself
            self.assertEqual(value(fams, "kong_upstream_latency_ms",
                                   "kong_upstream_latency_ms_count", route="r-deny"), 0)
            self.assertEqual(value(fams, "kong_kong_latency_ms", "kong_kong_latency_ms_count",
                                   route="r-deny"), 1)
            # unnamed entities: the service's host and the route's id
            anon = [ls for ls, _ in samples(fams, "kong_http_requests_total")
                    if ls["service"] == "127.0.0.1"]
            self.assertEqual(len(anon), 1)
            self.assertRegex(anon[0]["route"], UUID_RE)
            self.assertEqual({ls["workspace"] for ls, _ in
                              samples(fams, "kong_http_requests_total")}, {"default"})
            # the target's health, every state, 1 for healthchecks_off
            health = {ls["state"]: v for ls, v in samples(fams, "kong_upstream_target_health")}
            self.assertEqual(health, {"healthchecks_off": 1, "healthy": 0, "unhealthy": 0,
                                      "dns_error": 0})
            ls = samples(fams, "kong_upstream_target_health")[0][0]
            target = "127.0.0.1:%d" % self.up.port
            self.assertEqual((ls["upstream"], ls["target"], ls["address"], ls["subsystem"]),
                             ("pool", target, target, "http"))

    def test_counters_move_with_traffic(self):
        with Gateway(self.doc(**ALL_FLAGS)) as gw:
            before = self.scrape(gw)
            self.assertNotIn("kong_http_requests_total", before)
            for _ in range(3):
                self.assertEqual(gw.get("/orders").status, 200)
            for _ in range(2):
                self.assertEqual(gw.get("/orders/status/500").status, 500)
            for _ in range(2):
                self.assertEqual(gw.get("/deny").status, 403)
            self.assertEqual(gw.get("/nowhere").status, 404)
            fams = self.eventually(gw, lambda f: value(f, "kong_http_requests_total") >= 7)
            req = lambda **ls: value(fams, "kong_http_requests_total", **ls)
            self.assertEqual(req(service="orders", route="r-orders", code=200, source="service",
                                 consumer=""), 3)
            self.assertEqual(req(service="orders", route="r-orders", code=500,
                                 source="service"), 2)
            # a plugin's answer counts with source kong
            self.assertEqual(req(service="orders", route="r-deny", code=403, source="kong"), 2)
            # no route, not counted
            self.assertEqual(req(code=404), 0)
            self.assertEqual(req(), 7)
            self.assertEqual(value(fams, "kong_nginx_requests_total"), 8)
            lat = lambda n, **ls: value(fams, n, n + "_count", **ls)
            self.assertEqual(lat("kong_request_latency_ms", route="r-orders"), 5)
            self.assertEqual(lat("kong_upstream_latency_ms", route="r-orders"), 5)
            self.assertEqual(lat("kong_kong_latency_ms", route="r-orders"), 5)
            self.assertEqual(lat("kong_request_latency_ms", route="r-deny"), 2)

            # bandwidth: the exact bytes of a request and of its response
            ingress0 = value(fams, "kong_bandwidth_bytes", route="r-orders", direction="ingress")
            egress0 = value(fams, "kong_bandwidth_bytes", route="r-orders", direction="egress")
            data = build_request("POST", "/orders/x", body=b"y" * 1000, port=gw.port)
            with gw.client() as c:
                c.send(data)
                r = c.read_response()
            self.assertEqual(r.status, 200)
            fams = self.eventually(gw, lambda f: value(f, "kong_http_requests_total") >= 8)
            self.assertEqual(value(fams, "kong_bandwidth_bytes", route="r-orders",
                                   direction="ingress") - ingress0, len(data))
            self.assertEqual(value(fams, "kong_bandwidth_bytes", route="r-orders",
                                   direction="egress") - egress0, len(r.raw_head) + len(r.body))

    def test_each_flag_alone(self):
        groups = {
            "status_code_metrics": ["kong_http_requests_total"],
            "latency_metrics": ["kong_kong_latency_ms", "kong_upstream_latency_ms",
                                "kong_request_latency_ms"],
            "bandwidth_metrics": ["kong_bandwidth_bytes"],
            "upstream_health_metrics": ["kong_upstream_target_health"],
            "per_consumer": [],
        }
        for flag, expected in groups.items():
            with self.subTest(flag=flag), Gateway(self.doc(**{flag: True})) as gw:
                self.assertEqual(gw.get("/orders").status, 200)
                time.sleep(0.1)
                fams = self.scrape(gw)
                order = PER_REQUEST + ["kong_upstream_target_health"]
                self.assertEqual([n for n in order if n in fams],
                                 [n for n in order if n in expected])
                if expected:
                    self.assertGreater(len(fams[expected[0]]["samples"]), 0)
        # every flag off (Kong's defaults): nothing per request
        with Gateway(self.doc(plugins=[{"name": "prometheus"}])) as gw:
            self.assertEqual(gw.get("/orders").status, 200)
            time.sleep(0.1)
            fams = self.scrape(gw)
            for name in PER_REQUEST + ["kong_upstream_target_health"]:
                self.assertNotIn(name, fams)
            self.assertIn("kong_node_info", fams)

    def test_per_consumer_label(self):
        with Gateway(self.doc(per_consumer=True, status_code_metrics=True,
                              bandwidth_metrics=True)) as gw:
            self.assertEqual(gw.get("/orders").status, 200)
            fams = self.eventually(gw, lambda f: value(f, "kong_http_requests_total") >= 1)
            # nobody authenticated: the consumer label is there, empty (Kong's exporter)
            for name in ("kong_http_requests_total", "kong_bandwidth_bytes"):
                for ls, _ in samples(fams, name):
                    self.assertEqual(ls["consumer"], "")

    def test_scoped_plugin_counts_only_its_routes(self):
        d = self.doc()
        del d["plugins"]
        d["services"][0]["routes"][0]["plugins"] = [prom(status_code_metrics=True)]
        with Gateway(d) as gw:
            for path in ("/orders", "/orders", "/deny", "/anon"):
                gw.get(path)
            fams = self.eventually(gw, lambda f: value(f, "kong_http_requests_total") >= 2)
            time.sleep(0.1)
            fams = self.scrape(gw)
            self.assertEqual(value(fams, "kong_http_requests_total"), 2)
            self.assertEqual({ls["route"] for ls, _ in
                              samples(fams, "kong_http_requests_total")}, {"r-orders"})

    def test_reload_keeps_counters(self):
        d = self.doc(status_code_metrics=True, latency_metrics=True)
        with Gateway(d, workers=2) as gw:
            for _ in range(4):
                gw.get("/orders")
            fams = self.eventually(gw, lambda f: value(f, "kong_http_requests_total") >= 4)
            self.assertEqual(value(fams, "kong_http_requests_total", route="r-orders"), 4)
            # SIGHUP with another config: a new route, the same r-orders
            d2 = self.doc(status_code_metrics=True, latency_metrics=True)
            d2["services"][0]["routes"].append(route("r-new", ["/new"], strip_path=False))
            gw.reload(d2)
            deadline = time.monotonic() + 5
            while gw.get("/new").status != 200:
                self.assertLess(time.monotonic(), deadline, "the reload did not apply")
                time.sleep(0.05)
            for _ in range(3):
                gw.get("/orders")
            fams = self.eventually(
                gw, lambda f: value(f, "kong_http_requests_total", route="r-orders") >= 7)
            self.assertEqual(value(fams, "kong_http_requests_total", route="r-orders"), 7)
            self.assertEqual(value(fams, "kong_request_latency_ms",
                                   "kong_request_latency_ms_count", route="r-orders"), 7)
            # POST /config too; and a config that turns status codes off stops the counting
            # but does not reset what was counted
            d3 = self.doc(latency_metrics=True)
            r = admin(gw, "POST", "/config", body=to_yaml(d3),
                      headers=[("Content-Type", "application/yaml")])
            self.assertEqual(r.status, 201, r)
            time.sleep(0.3)
            for _ in range(2):
                gw.get("/orders")
            fams = self.eventually(gw, lambda f: value(f, "kong_request_latency_ms",
                                                       "kong_request_latency_ms_count",
                                                       route="r-orders") >= 9)
            self.assertEqual(value(fams, "kong_http_requests_total", route="r-orders"), 7)
            self.assertEqual(value(fams, "kong_request_latency_ms",
                                   "kong_request_latency_ms_count", route="r-orders"), 9)
            self.assertNotIn("kong_upstream_target_health", fams)

    def test_workers_are_summed(self):
        with Gateway(self.doc(status_code_metrics=True), workers=4) as gw:
            n = 60
            for _ in range(n):  # a connection each: the kernel spreads them over the workers
                self.assertEqual(gw.get("/orders").status, 200)
            fams = self.eventually(gw, lambda f: value(f, "kong_http_requests_total") >= n)
            self.assertEqual(value(fams, "kong_http_requests_total", route="r-orders", code=200),
                             n)
            # one sample per label set: the workers' series are merged
            self.assertEqual(len(samples(fams, "kong_http_requests_total")), 1)
            busy = [ls["worker"] for ls, v in samples(fams, "sluice_worker_metric_series") if v]
            self.assertGreater(len(busy), 1, "all %d connections went to one worker" % n)
            self.assertEqual(value(fams, "sluice_worker_requests_total"), n)


if __name__ == "__main__":
    unittest.main()
