"""Admin API (kong-compat.md 6): node info, status counters, read-only Kong entity views,
DB-less write refusals, secrets never shown, and the admin listener on the master staying
responsive while the proxy is busy."""

import hashlib
import json
import os
import re
import threading
import time
import unittest

from harness import (CT_JSON, SOURCE_DIR, VERSION, Client, Gateway, GatewayTestCase, config,
                     route, service, to_yaml, wait_admin)
from upstream import Upstream

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
HEX32_RE = re.compile(r"^[0-9a-f]{32}$")
NOT_FOUND = {"message": "Not found"}
NOT_ALLOWED = {"message": "Method not allowed"}
COLLECTIONS = ("services", "routes", "upstreams", "consumers", "plugins", "certificates", "snis")
FULL_YML = os.path.join(SOURCE_DIR, "test", "e2e", "configs", "good", "full.yml")

SERVICE_KEYS = {"id", "name", "protocol", "host", "port", "path", "retries", "connect_timeout",
                "write_timeout", "read_timeout", "enabled", "tls_verify", "tls_verify_depth",
                "ca_certificates", "client_certificate", "tags", "created_at", "updated_at"}
ROUTE_KEYS = {"id", "name", "protocols", "methods", "hosts", "paths", "headers", "snis",
              "sources", "destinations", "strip_path", "preserve_host", "regex_priority",
              "path_handling", "https_redirect_status_code", "request_buffering",
              "response_buffering", "service", "tags", "created_at", "updated_at"}
UPSTREAM_KEYS = {"id", "name", "algorithm", "hash_on", "hash_fallback", "hash_on_header",
                 "hash_fallback_header", "hash_on_cookie", "hash_on_cookie_path",
                 "hash_on_query_arg", "hash_fallback_query_arg", "hash_on_uri_capture",
                 "hash_fallback_uri_capture", "slots", "host_header", "client_certificate",
                 "use_srv_name", "healthchecks", "tags", "created_at", "updated_at"}
TARGET_KEYS = {"id", "target", "weight", "upstream", "tags", "created_at"}
CONSUMER_KEYS = {"id", "username", "custom_id", "tags", "created_at"}
STATUS_SERVER_KEYS = ("connections_accepted", "connections_active", "connections_handled",
                      "connections_reading", "connections_writing", "connections_waiting",
                      "total_requests")



def admin(gw, method, path, body=None, headers=()):
    """One admin request on a fresh connection."""
    with Client(gw.admin_port) as c:
        return c.request(method, path, headers, body)


def entities_config(up_url):
    """Two services (one through an upstream), routes nested and flat, consumers."""
    doc = config(
        services=[
            service("svc-a", up_url, [route("ra1", ["/a"], strip_path=False),
                                      route("ra2", ["/a2"], methods=["GET", "POST"])],
                    tags=["team-a", "prod"]),
            service("svc-b", "http://lb/base", retries=2),
        ],
        routes=[route("rb1", ["/b"], service="svc-b", hosts=["b.example.com"],
                      headers={"x-version": ["1", "2"]})],
        upstreams=[{"name": "lb", "targets": [{"target": "127.0.0.1:%s" % up_url.rsplit(":", 1)[1],
                                               "weight": 50},
                                              {"target": "backend.internal:9000"}]}])
    doc["consumers"] = [{"username": "alice", "custom_id": "alice-001"},
                        {"custom_id": "bob-002"}]
    return doc


class AdminBase(GatewayTestCase):
    @classmethod
    def setUpClass(cls):
        cls.up = Upstream().start()

    @classmethod
    def tearDownClass(cls):
        cls.up.stop()

    def get_json(self, gw, path, status=200):
        r = admin(gw, "GET", path)
        self.assertAdmin(r, status)
        return r.json()

    def assertAdmin(self, r, status, body=None):
        """An admin answer: status, JSON content type, Content-Length, X-Kong-Admin-Latency."""
        self.assertEqual(r.status, status, r)
        self.assertEqual(r.header("content-type"), CT_JSON, r)
        self.assertEqual(r.header("content-length"), str(len(r.body)), r)
        lat = r.header("x-kong-admin-latency")
        self.assertIsNotNone(lat, "missing X-Kong-Admin-Latency: %r" % r)
        self.assertRegex(lat, r"^\d+$")
        doc = r.json()
        if body is not None:
            self.assertEqual(doc, body)
        return doc

    def assertList(self, doc):
        self.assertEqual(set(doc), {"data", "next"}, doc)
        self.assertIsNone(doc["next"])
        self.assertIsInstance(doc["data"], list)
        return doc["data"]


class TestNodeInfo(AdminBase):
    def test_root(self):
        with Gateway(entities_config(self.up.url), workers=2) as gw:
            wait_admin(gw)
            r = admin(gw, "GET", "/")
            doc = self.assertAdmin(r, 200)
            self.assertEqual(doc["tagline"], "Welcome to sluice")
            self.assertEqual(doc["version"], VERSION)
            self.assertEqual(doc["edition"], "community")
            self.assertIsInstance(doc["hostname"], str)
            self.assertNotEqual(doc["hostname"], "")
            self.assertRegex(doc["node_id"], UUID_RE)
            # every plugin sluice has, with Kong's 3.x shape {name: {version, priority}};
            # none is configured in this file
            self.assertEqual(doc["plugins"]["available_on_server"]["request-termination"],
                             {"version": VERSION, "priority": 2})
            self.assertEqual(doc["plugins"]["enabled_in_cluster"], [])
            conf = doc["configuration"]
            self.assertIsInstance(conf, dict)
            self.assertIsInstance(conf["proxy_listen"], list)
            for v in conf["proxy_listen"]:
                self.assertIsInstance(v, str)
            self.assertIn("127.0.0.1:%d" % gw.port, conf["proxy_listen"])
            self.assertIn("127.0.0.1:%d" % gw.admin_port, str(conf["admin_listen"]))
            self.assertEqual(conf["nginx_worker_processes"], 2)
            self.assertEqual(conf["declarative_config"], gw.config_path)
            pid = gw.proc.pid
            self.assertEqual(doc["pids"]["master"], pid)
            self.assertEqual(doc["pids"]["workers"], [pid, pid])

    def test_node_id_is_stable(self):
        with Gateway(entities_config(self.up.url)) as gw:
            wait_admin(gw)
            a = self.get_json(gw, "/")["node_id"]
            b = self.get_json(gw, "/")["node_id"]
            self.assertEqual(a, b)
            health = self.get_json(gw, "/upstreams/lb/health")
            self.assertEqual(health["node_id"], a)

    def test_keepalive_on_admin_connection(self):
        with Gateway(entities_config(self.up.url)) as gw:
            wait_admin(gw)
            with Client(gw.admin_port) as c:
                for path in ("/", "/status", "/services", "/nope", "/routes/ra1"):
                    r = c.request("GET", path)
                    self.assertIn(r.status, (200, 404), r)
                    self.assertEqual(r.header("content-type"), CT_JSON)


class TestStatus(AdminBase):
    def status(self, gw):
        doc = self.get_json(gw, "/status")
        srv = doc["server"]
        for k in STATUS_SERVER_KEYS:
            self.assertIsInstance(srv[k], int, k)
            self.assertNotIsInstance(srv[k], bool, k)
            self.assertGreaterEqual(srv[k], 0, k)
        return doc

    def test_shape_and_hash(self):
        with Gateway(entities_config(self.up.url)) as gw:
            wait_admin(gw)
            doc = self.status(gw)
            self.assertRegex(doc["configuration_hash"], HEX32_RE)
            with open(gw.config_path, "rb") as f:
                self.assertEqual(doc["configuration_hash"], hashlib.md5(f.read()).hexdigest())

    def test_total_requests_grows(self):
        with Gateway(entities_config(self.up.url)) as gw:
            wait_admin(gw)
            before = self.status(gw)["server"]["total_requests"]
            with gw.client() as c:
                for i in range(3):
                    self.assertEqual(c.request("GET", "/a/%d" % i).status, 200)
            after = self.status(gw)["server"]["total_requests"]
            self.assertGreaterEqual(after, before + 3)

    def test_connections_accepted_grows(self):
        with Gateway(entities_config(self.up.url)) as gw:
            wait_admin(gw)
            before = self.status(gw)["server"]["connections_accepted"]
            for i in range(2):
                self.assertEqual(gw.get("/a/%d" % i).status, 200)
            deadline = time.monotonic() + 2
            while True:
                srv = self.status(gw)["server"]
                if srv["connections_accepted"] >= before + 2 or time.monotonic() > deadline:
                    break
                time.sleep(0.05)
            self.assertGreaterEqual(srv["connections_accepted"], before + 2)
            self.assertGreaterEqual(srv["connections_handled"], before + 2)

    def test_active_connection_is_counted(self):
        with Gateway(entities_config(self.up.url)) as gw:
            wait_admin(gw)
            with gw.client() as c:
                self.assertEqual(c.request("GET", "/a").status, 200)
                srv = self.status(gw)["server"]
                self.assertGreaterEqual(srv["connections_active"], 1)
                self.assertEqual(srv["connections_active"],
                                 srv["connections_reading"] + srv["connections_writing"]
                                 + srv["connections_waiting"])


class TestEntities(AdminBase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.gw = Gateway(entities_config(cls.up.url)).start()
        try:
            wait_admin(cls.gw)
        except BaseException:
            cls.gw.kill()
            cls.gw._cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        rc = cls.gw.stop()
        cls.gw._cleanup()
        super().tearDownClass()
        if rc != 0:
            raise AssertionError("sluice exit status %r after SIGTERM" % rc)

    def test_every_collection_lists(self):
        for name in COLLECTIONS:
            with self.subTest(name):
                self.assertList(self.get_json(self.gw, "/" + name))
        self.assertEqual(self.get_json(self.gw, "/plugins")["data"], [])
        self.assertEqual(self.get_json(self.gw, "/certificates")["data"], [])
        self.assertEqual(self.get_json(self.gw, "/snis")["data"], [])

    def test_services(self):
        data = self.assertList(self.get_json(self.gw, "/services"))
        self.assertEqual([s["name"] for s in data], ["svc-a", "svc-b"])
        port = int(self.up.url.rsplit(":", 1)[1])
        a, b = data
        self.assertEqual(set(a), SERVICE_KEYS)
        self.assertRegex(a["id"], UUID_RE)
        self.assertEqual((a["protocol"], a["host"], a["port"], a["path"]),
                         ("http", "127.0.0.1", port, None))
        self.assertEqual((a["retries"], a["connect_timeout"], a["write_timeout"],
                          a["read_timeout"]), (5, 60000, 60000, 60000))
        self.assertIs(a["enabled"], True)
        for k in ("tls_verify", "tls_verify_depth", "ca_certificates", "client_certificate"):
            self.assertIsNone(a[k], k)
        self.assertEqual(a["tags"], ["team-a", "prod"])
        self.assertIsInstance(a["created_at"], int)
        self.assertIsInstance(a["updated_at"], int)
        self.assertEqual((b["host"], b["port"], b["path"], b["retries"], b["tags"]),
                         ("lb", 80, "/base", 2, None))

    def test_service_by_name_and_id(self):
        by_name = self.get_json(self.gw, "/services/svc-b")
        self.assertEqual(by_name["name"], "svc-b")
        self.assertEqual(self.get_json(self.gw, "/services/" + by_name["id"]), by_name)
        r = admin(self.gw, "GET", "/services/nope")
        self.assertAdmin(r, 404, NOT_FOUND)
        r = admin(self.gw, "GET", "/services/00000000-0000-4000-8000-000000000000")
        self.assertAdmin(r, 404, NOT_FOUND)

    def test_routes(self):
        data = self.assertList(self.get_json(self.gw, "/routes"))
        self.assertEqual([r["name"] for r in data], ["ra1", "ra2", "rb1"])
        svc = {s["name"]: s["id"] for s in self.get_json(self.gw, "/services")["data"]}
        for r in data:
            self.assertEqual(set(r), ROUTE_KEYS)
        ra1, ra2, rb1 = data
        self.assertEqual(ra1["service"], {"id": svc["svc-a"]})
        self.assertEqual(rb1["service"], {"id": svc["svc-b"]})
        self.assertEqual(ra1["protocols"], ["http", "https"])
        self.assertEqual(ra1["paths"], ["/a"])
        self.assertIsNone(ra1["methods"])
        self.assertIsNone(ra1["hosts"])
        self.assertIsNone(ra1["headers"])
        self.assertIsNone(ra1["snis"])
        self.assertIsNone(ra1["sources"])
        self.assertIsNone(ra1["destinations"])
        self.assertIs(ra1["strip_path"], False)
        self.assertIs(ra2["strip_path"], True)
        self.assertEqual(ra2["methods"], ["GET", "POST"])
        self.assertEqual((ra1["preserve_host"], ra1["regex_priority"], ra1["path_handling"],
                          ra1["https_redirect_status_code"], ra1["request_buffering"],
                          ra1["response_buffering"]), (False, 0, "v0", 426, True, True))
        self.assertEqual(rb1["hosts"], ["b.example.com"])
        self.assertEqual(rb1["headers"], {"x-version": ["1", "2"]})

    def test_route_by_name_and_id(self):
        r = self.get_json(self.gw, "/routes/rb1")
        self.assertEqual(self.get_json(self.gw, "/routes/" + r["id"]), r)
        self.assertAdmin(admin(self.gw, "GET", "/routes/nope"), 404, NOT_FOUND)
        # a service's name is not a route's
        self.assertAdmin(admin(self.gw, "GET", "/routes/svc-a"), 404, NOT_FOUND)

    def test_service_routes(self):
        data = self.assertList(self.get_json(self.gw, "/services/svc-a/routes"))
        self.assertEqual([r["name"] for r in data], ["ra1", "ra2"])
        svc_b = self.get_json(self.gw, "/services/svc-b")
        data = self.assertList(self.get_json(self.gw, "/services/%s/routes" % svc_b["id"]))
        self.assertEqual([r["name"] for r in data], ["rb1"])
        self.assertAdmin(admin(self.gw, "GET", "/services/nope/routes"), 404, NOT_FOUND)

    def test_upstreams_and_targets(self):
        data = self.assertList(self.get_json(self.gw, "/upstreams"))
        self.assertEqual(len(data), 1)
        u = data[0]
        self.assertEqual(set(u), UPSTREAM_KEYS)
        self.assertEqual((u["name"], u["algorithm"], u["hash_on"], u["hash_fallback"],
                          u["slots"], u["host_header"], u["use_srv_name"]),
                         ("lb", "round-robin", "none", "none", 10000, None, False))
        self.assertIsNone(u["hash_on_header"])
        hc = u["healthchecks"]
        self.assertEqual(hc["active"]["healthy"]["interval"], 0)
        self.assertEqual(hc["active"]["unhealthy"]["http_statuses"],
                         [429, 404, 500, 501, 502, 503, 504, 505])
        self.assertEqual(hc["passive"]["unhealthy"]["http_statuses"], [429, 500, 503])
        self.assertEqual(hc["threshold"], 0)
        self.assertEqual(self.get_json(self.gw, "/upstreams/lb"), u)
        self.assertEqual(self.get_json(self.gw, "/upstreams/" + u["id"]), u)
        self.assertAdmin(admin(self.gw, "GET", "/upstreams/nope"), 404, NOT_FOUND)

        port = int(self.up.url.rsplit(":", 1)[1])
        targets = self.assertList(self.get_json(self.gw, "/upstreams/lb/targets"))
        self.assertEqual([t["target"] for t in targets],
                         ["127.0.0.1:%d" % port, "backend.internal:9000"])
        self.assertEqual([t["weight"] for t in targets], [50, 100])
        for t in targets:
            self.assertTrue(TARGET_KEYS <= set(t), t)
            self.assertEqual(t["upstream"], {"id": u["id"]})
        self.assertEqual(self.assertList(self.get_json(self.gw, "/upstreams/%s/targets"
                                                       % u["id"])), targets)
        self.assertAdmin(admin(self.gw, "GET", "/upstreams/nope/targets"), 404, NOT_FOUND)

    def test_upstream_health(self):
        node_id = self.get_json(self.gw, "/")["node_id"]
        targets = self.get_json(self.gw, "/upstreams/lb/targets")["data"]
        doc = self.get_json(self.gw, "/upstreams/lb/health")
        self.assertEqual(doc["node_id"], node_id)
        self.assertIsNone(doc["next"])
        port = int(self.up.url.rsplit(":", 1)[1])
        self.assertEqual(len(doc["data"]), 2)
        for t, want, (ip, p, w) in zip(doc["data"], targets,
                                       [("127.0.0.1", port, 50), ("backend.internal", 9000, 100)]):
            self.assertEqual(t["health"], "HEALTHCHECKS_OFF")
            for k in ("id", "target", "weight", "upstream"):
                self.assertEqual(t[k], want[k], k)
            self.assertEqual(t["data"]["addresses"],
                             [{"ip": ip, "port": p, "weight": w, "health": "HEALTHCHECKS_OFF"}])
        self.assertAdmin(admin(self.gw, "GET", "/upstreams/nope/health"), 404, NOT_FOUND)

    def test_consumers(self):
        data = self.assertList(self.get_json(self.gw, "/consumers"))
        self.assertEqual(len(data), 2)
        alice, bob = data
        for c in data:
            self.assertTrue(CONSUMER_KEYS <= set(c), c)
        self.assertEqual((alice["username"], alice["custom_id"]), ("alice", "alice-001"))
        self.assertEqual((bob["username"], bob["custom_id"]), (None, "bob-002"))
        self.assertIsNone(alice["tags"])
        self.assertEqual(self.get_json(self.gw, "/consumers/alice"), alice)
        self.assertEqual(self.get_json(self.gw, "/consumers/" + bob["id"]), bob)
        self.assertAdmin(admin(self.gw, "GET", "/consumers/nobody"), 404, NOT_FOUND)

    def test_unknown_paths(self):
        for path in ("/nope", "/service", "/services/svc-a/nope", "/services/svc-a/routes/x",
                     "/a/b/c/d/e/f", "/keyauth_credentials", "/acls", "/jwts",
                     "/basic-auths", "/key-auths", "/upstreams/lb/nope"):
            with self.subTest(path):
                self.assertAdmin(admin(self.gw, "GET", path), 404, NOT_FOUND)

    def test_writes_are_unsupported(self):
        def unsupported(op, entity):
            return {"code": 12, "name": "operation unsupported",
                    "message": "cannot %s '%s' entities when not using a database"
                               % (op, entity)}

        body = '{"name":"x","host":"example.com"}'
        hdrs = [("Content-Type", "application/json")]
        for name in COLLECTIONS:
            with self.subTest(name):
                r = admin(self.gw, "POST", "/" + name, body, hdrs)
                self.assertAdmin(r, 405, unsupported("create", name))
        for path, name in (("/services/svc-a", "services"), ("/routes/ra1", "routes"),
                           ("/upstreams/lb", "upstreams"), ("/consumers/alice", "consumers"),
                           ("/services/not-there", "services")):
            with self.subTest(path):
                self.assertAdmin(admin(self.gw, "PUT", path, body, hdrs), 405,
                                 unsupported("create or update", name))
                self.assertAdmin(admin(self.gw, "PATCH", path, body, hdrs), 405,
                                 unsupported("update", name))
                self.assertAdmin(admin(self.gw, "DELETE", path), 405,
                                 unsupported("delete", name))
        # nothing changed
        self.assertEqual(len(self.get_json(self.gw, "/services")["data"]), 2)
        self.assertEqual(self.get_json(self.gw, "/services/svc-a")["name"], "svc-a")

    def test_other_methods_not_allowed(self):
        for method, path in (("DELETE", "/"), ("POST", "/"), ("PUT", "/"), ("POST", "/status"),
                             ("DELETE", "/status"), ("PATCH", "/status"), ("DELETE", "/services"),
                             ("PUT", "/routes"), ("PATCH", "/consumers")):
            with self.subTest(method=method, path=path):
                self.assertAdmin(admin(self.gw, method, path), 405, NOT_ALLOWED)


class TestSecrets(AdminBase):
    """A config with credentials and a certificate key: none of it appears anywhere."""

    def collect(self, gw):
        """Every admin document: lists, each entity by id, nested lists and health."""
        out = []

        def fetch(path):
            r = admin(gw, "GET", path)
            self.assertAdmin(r, 200)
            out.append(r.text)
            return r.json()

        fetch("/")
        fetch("/status")
        for name in COLLECTIONS:
            for e in fetch("/" + name)["data"]:
                fetch("/%s/%s" % (name, e["id"]))
        for u in fetch("/upstreams")["data"]:
            fetch("/upstreams/%s/targets" % u["name"])
            fetch("/upstreams/%s/health" % u["name"])
        for s in fetch("/services")["data"]:
            fetch("/services/%s/routes" % s["id"])
        return out

    def test_no_secret_in_any_response(self):
        if not os.path.isfile(FULL_YML):
            self.skipTest("%s not found" % FULL_YML)
        with open(FULL_YML) as f:
            text = f.read()
        with Gateway(text) as gw:
            wait_admin(gw)
            docs = self.collect(gw)
            everything = "\n".join(docs)
            consumers = self.get_json(gw, "/consumers")["data"]
            alice = [c for c in consumers if c["username"] == "alice"][0]
            certs = self.get_json(gw, "/certificates")["data"]

        self.assertEqual(len(certs), 1)
        self.assertNotIn("key", certs[0])
        self.assertNotIn("key_alt", certs[0])
        self.assertEqual(sorted(certs[0]["snis"]), ["*.example.com", "example.com"])
        self.assertIn("BEGIN CERTIFICATE", everything)  # certificates are public
        self.assertNotIn("PRIVATE KEY", everything)
        # every base64 line of the private keys
        in_key, key_lines = False, []
        for line in text.splitlines():
            s = line.strip()
            if s.startswith("-----BEGIN PRIVATE KEY"):
                in_key = True
            elif s.startswith("-----END PRIVATE KEY"):
                in_key = False
            elif in_key:
                key_lines.append(s)
        self.assertGreater(len(key_lines), 10)
        for s in key_lines:
            self.assertNotIn(s, everything)
        # credentials: key-auth key, basic-auth password (as given and as stored), jwt secret
        stored = hashlib.sha1(("hunter2" + alice["id"]).encode()).hexdigest()
        for secret in ("alice-key", "hunter2", stored, "alice-secret"):
            self.assertNotIn(secret, everything)
        for word in ('"password"', '"secret"', '"key"', '"rsa_public_key"'):
            self.assertNotIn(word, everything)


class TestMaster(AdminBase):
    def test_admin_answers_while_proxy_is_busy(self):
        with Gateway(entities_config(self.up.url), workers=2) as gw:
            wait_admin(gw)
            stop = threading.Event()
            proxied = []
            errors = []

            def load():
                try:
                    with gw.client() as c:
                        while not stop.is_set():
                            proxied.append(c.request("GET", "/a/load").status)
                except Exception as e:  # noqa: BLE001 - reported below
                    errors.append(e)

            def slow():
                try:
                    proxied.append(gw.get("/a/slow/1000").status)
                except Exception as e:  # noqa: BLE001
                    errors.append(e)

            threads = [threading.Thread(target=load) for _ in range(4)]
            threads += [threading.Thread(target=slow) for _ in range(4)]
            for t in threads:
                t.start()
            try:
                time.sleep(0.1)
                worst = 0.0
                with Client(gw.admin_port) as c:
                    for i in range(20):
                        t0 = time.monotonic()
                        r = c.request("GET", "/status" if i % 2 else "/services")
                        worst = max(worst, time.monotonic() - t0)
                        self.assertEqual(r.status, 200, r)
            finally:
                stop.set()
                for t in threads:
                    t.join(timeout=5)
            self.assertEqual(errors, [])
            self.assertLess(worst, 0.5)
            self.assertTrue(proxied)
            self.assertEqual(set(proxied), {200})
            total = self.get_json(gw, "/status")["server"]["total_requests"]
            self.assertGreaterEqual(total, len(proxied))

    def test_sigterm_with_open_admin_connection(self):
        gw = Gateway(entities_config(self.up.url))
        with gw:
            wait_admin(gw)
            c = Client(gw.admin_port)
            try:
                self.assertEqual(c.request("GET", "/").status, 200)
                t0 = time.monotonic()
                rc = gw.stop()
                self.assertEqual(rc, 0)
                self.assertLess(time.monotonic() - t0, 5)
            finally:
                c.close()

    def test_admin_port_is_not_the_proxy(self):
        with Gateway(config(services=[service("s", self.up.url, [route("r", ["/only"])])])) as gw:
            wait_admin(gw)
            self.assertNotEqual(gw.port, gw.admin_port)
            r = gw.get("/status")
            self.assertEqual(r.status, 404)
            self.assertIn("no Route matched", r.text)
            self.assertAdmin(admin(gw, "GET", "/status"), 200)


if __name__ == "__main__":
    unittest.main()


class TestPostConfig(AdminBase):
    """POST /config: a new declarative config from the request body, compiled on the master and
    swapped atomically; an invalid one changes nothing (kong-compat.md 6)."""

    def two_routes(self, first, second):
        return config(services=[service("s", self.up.url, [
            route("r1", [first], strip_path=False), route("r2", [second], strip_path=False)])])

    def wait_route(self, gw, path, status, timeout=5.0):
        """Workers adopt a new snapshot between requests: poll until <path> answers <status>."""
        deadline = time.monotonic() + timeout
        while True:
            r = gw.get(path)
            if r.status == status:
                return r
            if time.monotonic() > deadline:
                self.fail("%s answered %d, expected %d" % (path, r.status, status))
            time.sleep(0.02)

    def test_yaml_body_replaces_config(self):
        with Gateway(self.two_routes("/old", "/old2"), workers=2) as gw:
            wait_admin(gw)
            self.assertEqual(gw.get("/old").status, 200)
            text = to_yaml(self.two_routes("/new", "/new2"))
            r = admin(gw, "POST", "/config", body=text,
                      headers=[("Content-Type", "application/yaml")])
            doc = self.assertAdmin(r, 201)
            self.assertEqual(sorted(s["name"] for s in doc["services"].values()), ["s"])
            self.assertEqual(sorted(r_["name"] for r_ in doc["routes"].values()), ["r1", "r2"])
            self.wait_route(gw, "/new", 200)
            self.wait_route(gw, "/old", 404)
            routes = self.get_json(gw, "/routes")["data"]
            self.assertEqual(sorted(p for r_ in routes for p in r_["paths"]), ["/new", "/new2"])
            status = self.get_json(gw, "/status")
            self.assertEqual(status["configuration_hash"],
                             hashlib.md5(text.encode()).hexdigest())

    def test_json_config_field(self):
        with Gateway(self.two_routes("/old", "/old2")) as gw:
            wait_admin(gw)
            body = json.dumps({"config": to_yaml(self.two_routes("/j", "/j2"))})
            r = admin(gw, "POST", "/config", body=body,
                      headers=[("Content-Type", "application/json")])
            self.assertAdmin(r, 201)
            self.wait_route(gw, "/j", 200)

    def test_invalid_config_keeps_running_one(self):
        with Gateway(self.two_routes("/keep", "/keep2")) as gw:
            wait_admin(gw)
            bad = ('_format_version: "3.0"\nservices:\n- name: x\n  port: 99999\n'
                   '  bogus: 1\n')
            r = admin(gw, "POST", "/config", body=bad)
            doc = self.assertAdmin(r, 400)
            self.assertEqual(doc["code"], 14)
            self.assertEqual(doc["name"], "invalid declarative configuration")
            self.assertEqual(doc["message"],
                             'declarative config is invalid: {services={{bogus="unknown field",'
                             'host="required field missing",port="value should be between 0 '
                             'and 65535"}}}')
            self.assertEqual(doc["fields"], {"services": [{
                "host": "required field missing",
                "port": "value should be between 0 and 65535",
                "bogus": "unknown field"}]})
            self.assertEqual(doc["errors"], [
                {"line": 3, "column": 3, "message": "required field missing"},
                {"line": 4, "column": 9, "message": "value should be between 0 and 65535"},
                {"line": 5, "column": 3, "message": "unknown field 'bogus'"},
            ])
            self.assertEqual(gw.get("/keep").status, 200)
            self.assertEqual(len(self.get_json(gw, "/routes")["data"]), 2)

    def test_empty_body_and_check_hash(self):
        cfg = self.two_routes("/h", "/h2")
        with Gateway(cfg) as gw:
            wait_admin(gw)
            self.assertAdmin(admin(gw, "POST", "/config"), 400,
                             {"message": "expected a declarative configuration"})
            with open(gw.config_path, "rb") as f:
                same = f.read()
            r = admin(gw, "POST", "/config?check_hash=1", body=same)
            self.assertEqual(r.status, 304, r)
            other = to_yaml(self.two_routes("/o", "/o2"))
            self.assertAdmin(admin(gw, "POST", "/config?check_hash=1", body=other), 201)
            self.wait_route(gw, "/o", 200)


class TestGetConfig(AdminBase):
    def test_running_config_text(self):
        with Gateway(entities_config(self.up.url)) as gw:
            wait_admin(gw)
            with open(gw.config_path) as f:
                text = f.read()
            doc = self.get_json(gw, "/config")
            self.assertEqual(doc, {"config": text})
            new = to_yaml(config(services=[service("n", self.up.url, [route("rn", ["/n"])])]))
            self.assertAdmin(admin(gw, "POST", "/config", body=new), 201)
            self.assertEqual(self.get_json(gw, "/config"), {"config": new})
            self.assertAdmin(admin(gw, "DELETE", "/config"), 405, {"message": "Method not allowed"})
