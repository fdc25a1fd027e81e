"""The plugin pipeline: Kong's scoping (the most specific instance of a plugin applies:
route+service, route, service, global), the access phase answering early, and the first
plugin, request-termination (kong-compat.md 4, 4.13)."""

import os
import re
import subprocess
import tempfile
import time
import unittest

from harness import (Gateway, GatewayTestCase, SLUICE_BIN, UpstreamTestCase, check_config, config,
                     route, service, to_yaml)
from upstream import Upstream

CT_JSON = "application/json; charset=utf-8"


def rt(**conf):
    return {"name": "request-termination", "config": conf}


class TestRequestTermination(UpstreamTestCase):
    def scoped_config(self):
        doc = config(services=[
            service("s", self.up.url, [
                route("r-own", ["/own"], strip_path=False,
                      plugins=[rt(status_code=418, body="<teapot/>",
                                  content_type="application/xml", trigger="x-stop")]),
                route("r-svc", ["/svc"], strip_path=False),
            ], plugins=[rt(status_code=403, message="service says no")]),
            service("other", self.up.url, [route("r-glob", ["/glob"], strip_path=False)]),
        ])
        doc["plugins"] = [rt()]
        return doc

    def test_most_specific_instance_wins(self):
        with Gateway(self.scoped_config()) as gw:
            # the route's instance shadows the service's and the global one; its trigger is
            # absent, so the request goes through
            r = gw.get("/own")
            self.assertEqual(r.status, 200, r)
            self.assertEqual(self.up.count(), 1)
            # service scope
            r = gw.get("/svc")
            self.assertEqual(r.status, 403)
            self.assertEqual(r.header("content-type"), CT_JSON)
            self.assertEqual(r.body, b'{"message":"service says no"}')
            self.assertRegex(r.header("x-kong-request-id") or "", r"^[0-9a-f]{32}$")
            self.assertRegex(r.header("x-kong-response-latency") or "", r"^\d+$")
            # global scope, Kong's default message for 503
            r = gw.get("/glob")
            self.assertEqual(r.status, 503)
            self.assertEqual(r.body, b'{"message":"Service unavailable"}')
            # no route: plugins do not answer, the router does
            self.assertEqual(gw.get("/nothing").status, 404)
            self.assertEqual(self.up.count(), 1)

    def test_trigger_header_or_query_and_body(self):
        with Gateway(self.scoped_config()) as gw:
            for r in (gw.get("/own", headers=[("X-Stop", "1")]), gw.get("/own?x-stop")):
                self.assertEqual(r.status, 418)
                self.assertEqual(r.reason, "I'm a Teapot")
                self.assertEqual(r.header("content-type"), "application/xml")
                self.assertEqual(r.body, b"<teapot/>")
            self.assertEqual(self.up.count(), 0)

    def test_default_messages_and_empty_bodies(self):
        cases = [(401, b'{"message":"Unauthorized"}'), (404, b'{"message":"Not found"}'),
                 (405, b'{"message":"Method not allowed"}'),
                 (500, b'{"message":"An unexpected error occurred"}'),
                 (502, b'{"message":"Bad Gateway"}'), (204, b""), (451, b"")]
        doc = config(services=[service("s", self.up.url, [
            route("r%d" % code, ["/%d" % code], plugins=[rt(status_code=code)])
            for code, _ in cases])])
        with Gateway(doc) as gw:
            for code, body in cases:
                r = gw.get("/%d" % code)
                self.assertEqual(r.status, code)
                self.assertEqual(r.body, body)
                if body:
                    self.assertEqual(r.header("content-type"), CT_JSON)
            # a body without content_type is sent as JSON
            self.assertEqual(self.up.count(), 0)

    def test_keepalive_after_termination(self):
        with Gateway(self.scoped_config()) as gw, gw.client() as c:
            self.assertEqual(c.request("POST", "/svc", body="some body").status, 403)
            self.assertEqual(c.request("GET", "/own").status, 200)


class TestRequestTerminationConfig(unittest.TestCase):
    def check(self, plugin_conf):
        doc = config(services=[service("s", "http://127.0.0.1:9", [route("r", ["/"])])])
        doc["plugins"] = [rt(**plugin_conf)]
        return check_config(doc)

    def test_valid(self):
        self.assertEqual(self.check({"status_code": 418, "body": "x", "content_type": "t/p"})[0],
                         0)

    def test_errors(self):
        for conf, message in [
            ({"status_code": 99}, "value should be between 100 and 599"),
            ({"status_code": "x"}, "expected an integer"),
            ({"message": "m", "body": "b"}, "message cannot be used with content_type or body"),
            ({"content_type": "text/plain"}, "content_type requires a body"),
            ({"echo": True}, "echo is not supported by sluice yet"),
            ({"bogus": 1}, "unknown field"),
        ]:
            rc, err = self.check(conf)
            self.assertEqual(rc, 1, conf)
            self.assertRegex(err, r"kong\.yml:\d+:\d+: " + message, conf)


if __name__ == "__main__":
    unittest.main()


class TestCorrelationId(GatewayTestCase):
    @classmethod
    def setUpClass(cls):
        cls.up = Upstream().start()

    @classmethod
    def tearDownClass(cls):
        cls.up.stop()

    def cfg(self, **conf):
        doc = config(services=[service("s", self.up.url, [
            route("r", ["/"], strip_path=False),
            route("stop", ["/stop"], plugins=[rt(status_code=403, message="no")])])])
        doc["plugins"] = [{"name": "correlation-id", "config": conf}]
        return doc

    def upstream_value(self, doc, name):
        vals = [v for k, v in doc["headers"] if k.lower() == name.lower()]
        self.assertLessEqual(len(vals), 1, doc["headers"])
        return vals[0] if vals else None

    def test_uuid_counter_default(self):
        with Gateway(self.cfg(), workers=1) as gw:
            ids = []
            for _ in range(3):
                r, doc = gw.echo("/x")
                ids.append(self.upstream_value(doc, "Kong-Request-ID"))
                self.assertIsNone(r.header("kong-request-id"))  # no echo by default
            uuids = {i.split("#")[0] for i in ids}
            self.assertEqual(len(uuids), 1, ids)  # one UUID per worker
            self.assertRegex(ids[0], r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-"
                                     r"[0-9a-f]{12}#\d+$")
            counters = [int(i.split("#")[1]) for i in ids]
            self.assertEqual(counters, [counters[0], counters[0] + 1, counters[0] + 2])

    def test_uuid_echo_and_client_value_kept(self):
        cfg = self.cfg(header_name="X-Correlation", generator="uuid", echo_downstream=True)
        with Gateway(cfg) as gw:
            r, doc = gw.echo("/x")
            sent = self.upstream_value(doc, "X-Correlation")
            self.assertRegex(sent, r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-"
                                   r"[0-9a-f]{12}$")
            self.assertEqual(r.header("x-correlation"), sent)
            r2, doc2 = gw.echo("/y")
            self.assertNotEqual(self.upstream_value(doc2, "X-Correlation"), sent)
            # the client's own id goes through untouched, and is echoed
            r, doc = gw.echo("/z", headers=[("x-correlation", "client-id-1")])
            self.assertEqual(self.upstream_value(doc, "X-Correlation"), "client-id-1")
            self.assertEqual(r.header("x-correlation"), "client-id-1")
            # echoed on responses the gateway produces too (a plugin's exit, a 404)
            self.assertEqual(gw.get("/stop").status, 403)
            self.assertRegex(gw.get("/stop").header("x-correlation") or "", r"^[0-9a-f-]{36}$")

    def test_tracker(self):
        """Kong's tracker: server_addr-server_port-worker-connection-connection_requests-now."""
        with Gateway(self.cfg(generator="tracker", echo_downstream=True), workers=2) as gw:
            with gw.client() as c:
                a = c.request("GET", "/x").header("kong-request-id")
                b = c.request("GET", "/x").header("kong-request-id")
            pat = (r"^127\.0\.0\.1-%d-(\d+)-(\d+)-(\d+)-(\d{10}\.\d{3})$" % gw.port)
            ma, mb = re.match(pat, a or ""), re.match(pat, b or "")
            self.assertTrue(ma and mb, (a, b))
            # the same worker and connection, its first and second request
            self.assertEqual(ma.group(1), mb.group(1))
            self.assertEqual(ma.group(2), mb.group(2))
            self.assertEqual((ma.group(3), mb.group(3)), ("1", "2"))
            self.assertLess(abs(float(ma.group(4)) - time.time()), 5)
            # another connection gets another serial (or another worker)
            c = gw.get("/x").header("kong-request-id")
            mc = re.match(pat, c)
            self.assertNotEqual((mc.group(1), mc.group(2)), (ma.group(1), ma.group(2)))
            self.assertEqual(mc.group(3), "1")

    def test_config_errors(self):
        for conf, message in [({"generator": "x"}, "expected one of: uuid, uuid#counter"),
                              ({"echo_downstream": "yes"}, "expected a boolean"),
                              ({"header_name": "a b"}, "expected a header name")]:
            doc = config(services=[service("s", "http://127.0.0.1:9", [route("r", ["/"])])])
            doc["plugins"] = [{"name": "correlation-id", "config": conf}]
            d = tempfile.mkdtemp(prefix="sluice-cid-")
            path = os.path.join(d, "kong.yml")
            with open(path, "w") as f:
                f.write(to_yaml(doc))
            p = subprocess.run([SLUICE_BIN, "check", path], capture_output=True, text=True,
                               timeout=30)
            self.assertEqual(p.returncode, 1, conf)
            self.assertRegex(p.stderr, r"kong\.yml:\d+:\d+: " + re.escape(message), conf)
