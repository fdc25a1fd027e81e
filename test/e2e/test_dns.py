"""Upstream host names: resolved asynchronously on the worker's loop and cached
(kong-compat.md 2.1, 2.4). Only names from /etc/hosts are used, so no query leaves the machine."""

import unittest

from harness import Gateway, UpstreamTestCase, config, route, service
from upstream import Upstream


class TestHostNames(UpstreamTestCase):
    def test_service_host_name(self):
        cfg = config(services=[service("s", "http://localhost:%d/base" % self.up.port,
                                       [route("r", ["/api"])])])
        with Gateway(cfg) as gw:
            for _ in range(3):  # the first resolves, the next ones hit the cache
                r, doc = gw.echo("/api/items")
                self.assertEqual(doc["path"], "/base/items")
            # Host sent upstream is the service's name with its port (kong-compat 3.5)
            self.assertEqual(dict((k.lower(), v) for k, v in doc["headers"])["host"],
                             "localhost:%d" % self.up.port)

    def test_upstream_target_host_name(self):
        cfg = config(
            services=[service("s", "http://lb", [route("r", ["/"], strip_path=False)])],
            upstreams=[{"name": "lb",
                        "targets": [{"target": "localhost:%d" % self.up.port}]}])
        with Gateway(cfg) as gw:
            r, doc = gw.echo("/x")
            self.assertEqual(doc["path"], "/x")
            headers = dict((k.lower(), v) for k, v in doc["headers"])
            # the target's host, not the upstream's name
            self.assertEqual(headers["host"], "localhost:%d" % self.up.port)


if __name__ == "__main__":
    unittest.main()
