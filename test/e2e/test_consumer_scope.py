"""Consumer-scoped plugins (kong-compat.md 4, general rules): once an authentication plugin
has identified the consumer, the plugins after it resolve to the most specific instance
including consumer scopes (route+service+consumer, route+consumer, service+consumer,
route+service, consumer, route, service, global); a plugin configured only for a consumer
joins that consumer's requests; plugins that run before authentication never see consumer
scopes."""

import time
import unittest

from authcommon import upstream_header
from harness import Gateway, UpstreamTestCase, config, route, service


def rt(status, **scope):
    p = {"name": "request-termination", "config": {"status_code": status,
                                                   "message": "rt %d" % status}}
    p.update(scope)
    return p


def ka():
    return {"name": "key-auth"}


class TestConsumerScope(UpstreamTestCase):
    def base(self, plugins=(), consumer_plugins=None):
        doc = config(services=[
            service("s", self.up.url, [
                route("r1", ["/r1"], strip_path=False, plugins=[ka()]),
                route("r2", ["/r2"], strip_path=False, plugins=[ka()]),
            ]),
            service("t", self.up.url, [route("r3", ["/r3"], strip_path=False, plugins=[ka()])]),
        ])
        doc["consumers"] = [
            {"username": "alice", "keyauth_credentials": [{"key": "ka"}],
             "plugins": consumer_plugins or []},
            {"username": "bob", "keyauth_credentials": [{"key": "kb"}]},
        ]
        doc["plugins"] = list(plugins)
        return doc

    def status(self, gw, path, key):
        return gw.get(path, headers=[("apikey", key)] if key else []).status

    def test_consumer_only_instance_joins_that_consumers_requests(self):
        with Gateway(self.base(consumer_plugins=[rt(418)])) as gw:
            for path in ("/r1", "/r2", "/r3"):
                r = gw.get(path, headers=[("apikey", "ka")])
                self.assertEqual(r.status, 418, path)
                self.assertEqual(r.body, b'{"message":"rt 418"}')
                self.assertEqual(self.status(gw, path, "kb"), 200)
            # unauthenticated requests never reach it
            self.assertEqual(self.status(gw, "/r1", None), 401)

    def test_lookup_order(self):
        plugins = [
            rt(501),                                           # global
            rt(502, service="s"),                              # service
            rt(503, route="r1"),                               # route
            rt(504, route="r2", service="s"),                  # route+service
            rt(505, consumer="alice", service="t"),            # service+consumer
            rt(506, consumer="alice", route="r2"),             # route+consumer
        ]
        with Gateway(self.base(plugins, consumer_plugins=[rt(418)])) as gw:
            # bob: no consumer instance of his own
            self.assertEqual(self.status(gw, "/r1", "kb"), 503)  # route over service
            self.assertEqual(self.status(gw, "/r2", "kb"), 504)  # route+service
            self.assertEqual(self.status(gw, "/r3", "kb"), 501)  # global
            # alice: consumer (418) beats route (503) ...
            self.assertEqual(self.status(gw, "/r1", "ka"), 418)
            # ... route+consumer (506) beats route+service (504)
            self.assertEqual(self.status(gw, "/r2", "ka"), 506)
            # ... service+consumer (505) beats the consumer-only one
            self.assertEqual(self.status(gw, "/r3", "ka"), 505)
        # route+service (504) beats consumer-only (418)
        plugins = [rt(504, route="r2", service="s")]
        with Gateway(self.base(plugins, consumer_plugins=[rt(418)])) as gw:
            self.assertEqual(self.status(gw, "/r2", "ka"), 504)
            self.assertEqual(self.status(gw, "/r1", "ka"), 418)

    def test_route_service_consumer_is_most_specific(self):
        plugins = [rt(507, route="r1", service="s", consumer="alice"),
                   rt(506, route="r1", consumer="alice"), rt(504, route="r1", service="s")]
        with Gateway(self.base(plugins)) as gw:
            self.assertEqual(self.status(gw, "/r1", "ka"), 507)
            self.assertEqual(self.status(gw, "/r1", "kb"), 504)
            self.assertEqual(self.status(gw, "/r2", "ka"), 200)

    def test_plugins_before_authentication_ignore_consumer_scopes(self):
        # correlation-id (priority 100001) runs before key-auth (1250)
        cid = {"name": "correlation-id", "consumer": "alice",
               "config": {"header_name": "X-Alice-Only", "echo_downstream": True}}
        glob = {"name": "correlation-id", "config": {"header_name": "X-Everyone"}}
        with Gateway(self.base([cid, glob])) as gw:
            r, doc = gw.echo("/r1", headers=[("apikey", "ka")])
            self.assertIsNone(upstream_header(doc, "x-alice-only"))
            self.assertIsNotNone(upstream_header(doc, "x-everyone"))
            self.assertIsNone(r.header("x-alice-only"))

    def test_disabled_consumer_instance_is_ignored(self):
        p = rt(418)
        p["enabled"] = False
        with Gateway(self.base(consumer_plugins=[p])) as gw:
            self.assertEqual(self.status(gw, "/r1", "ka"), 200)

    def test_reload_changes_consumer_instances(self):
        with Gateway(self.base()) as gw:
            self.assertEqual(self.status(gw, "/r1", "ka"), 200)
            gw.reload(self.base(consumer_plugins=[rt(418)]))
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and self.status(gw, "/r1", "ka") != 418:
                time.sleep(0.05)
            self.assertEqual(self.status(gw, "/r1", "ka"), 418)
            self.assertEqual(self.status(gw, "/r1", "kb"), 200)


if __name__ == "__main__":
    unittest.main()
