"""acl (kong-compat.md 4.5; kong/plugins/acl/handler.lua): allow and deny lists over the
consumer's ACL groups, X-Consumer-Groups upstream (or not, with hide_groups_header), Kong's
403 and the 401 when nobody was identified, and the schema's only-one-of allow/deny."""

import re
import unittest

from authcommon import upstream_header
from harness import Gateway, UpstreamTestCase, check_config, config, route, service


def acl(**conf):
    return {"name": "acl", "config": conf}


def ka(**conf):
    return {"name": "key-auth", "config": conf}


class TestAcl(UpstreamTestCase):
    def cfg(self, acl_conf, auth=None):
        doc = config(services=[service("s", self.up.url, [
            route("r", ["/"], strip_path=False,
                  plugins=[auth or ka(), acl(**acl_conf)]),
            route("noauth", ["/noauth"], strip_path=False, plugins=[acl(**acl_conf)]),
        ])])
        doc["consumers"] = [
            {"username": "admin", "keyauth_credentials": [{"key": "k-admin"}],
             "acls": [{"group": "admins"}, {"group": "users"}]},
            {"username": "user", "keyauth_credentials": [{"key": "k-user"}]},
            {"username": "nogroup", "keyauth_credentials": [{"key": "k-none"}]},
        ]
        doc["acls"] = [{"consumer": "user", "group": "users"}]
        return doc

    def test_allow(self):
        with Gateway(self.cfg({"allow": ["admins"]})) as gw:
            r, doc = gw.echo("/x", headers=[("apikey", "k-admin")])
            self.assertEqual(upstream_header(doc, "x-consumer-groups"), "admins, users")
            self.assertKongError(gw.get("/x", headers=[("apikey", "k-user")]), 403,
                                 "You cannot consume this service")
            # no groups at all, with a credential: 403
            self.assertKongError(gw.get("/x", headers=[("apikey", "k-none")]), 403,
                                 "You cannot consume this service")
            # nobody identified: 401
            self.assertKongError(gw.get("/noauth"), 401, "Unauthorized")
            self.assertEqual(self.up.count(), 1)

    def test_deny(self):
        with Gateway(self.cfg({"deny": ["admins"]})) as gw:
            self.assertKongError(gw.get("/x", headers=[("apikey", "k-admin")]), 403,
                                 "You cannot consume this service")
            r, doc = gw.echo("/x", headers=[("apikey", "k-user"),
                                            ("X-Consumer-Groups", "admins")])
            self.assertEqual(upstream_header(doc, "x-consumer-groups"), "users")
            # no groups passes a deny list, with no groups header (a spoofed one is removed)
            r, doc = gw.echo("/x", headers=[("apikey", "k-none"),
                                            ("X-Consumer-Groups", "admins")])
            self.assertEqual(r.status, 200)
            self.assertIsNone(upstream_header(doc, "x-consumer-groups"))
            self.assertKongError(gw.get("/noauth"), 401, "Unauthorized")

    def test_hide_groups_header(self):
        with Gateway(self.cfg({"allow": ["users"], "hide_groups_header": True})) as gw:
            r, doc = gw.echo("/x", headers=[("apikey", "k-user")])
            self.assertEqual(r.status, 200)
            self.assertIsNone(upstream_header(doc, "x-consumer-groups"))

    def test_anonymous_consumer(self):
        # the anonymous consumer has no credential: without groups, 401 in allow mode
        auth = ka(anonymous="nogroup")
        with Gateway(self.cfg({"allow": ["users"]}, auth=auth)) as gw:
            self.assertKongError(gw.get("/x"), 401, "Unauthorized")
            self.assertEqual(gw.get("/x", headers=[("apikey", "k-user")]).status, 200)
        auth = ka(anonymous="user")
        with Gateway(self.cfg({"allow": ["users"]}, auth=auth)) as gw:
            r, doc = gw.echo("/x")
            self.assertEqual(upstream_header(doc, "x-consumer-groups"), "users")
            self.assertEqual(upstream_header(doc, "x-anonymous-consumer"), "true")


class TestAclConfig(unittest.TestCase):
    def check(self, conf):
        d = config(services=[service("s", "http://127.0.0.1:9", [route("r", ["/"])])])
        d["plugins"] = [acl(**conf)]
        return check_config(d)

    def test_errors(self):
        for conf, message in [
            ({"allow": ["a"], "deny": ["b"]},
             "only one of these fields must be non-empty: 'config.allow', 'config.deny'"),
            ({"hide_groups_header": True},
             "at least one of these fields must be non-empty: 'config.allow', 'config.deny'"),
            ({"allow": []},
             "at least one of these fields must be non-empty: 'config.allow', 'config.deny'"),
            ({"allow": "a"}, "expected an array"),
            ({"allow": [1, {"a": 1}]}, "expected a string"),
            ({"allow": ["a"], "include_consumer_groups": True},
             "include_consumer_groups is not supported by sluice"),
            ({"allow": ["a"], "whitelist": ["a"]}, "unknown field"),
        ]:
            rc, err = self.check(conf)
            self.assertEqual(rc, 1, conf)
            self.assertRegex(err, r"kong\.yml:\d+:\d+: " + re.escape(message), conf)
        self.assertEqual(self.check({"deny": ["a"], "always_use_authenticated_groups": True,
                                     "include_consumer_groups": False})[0], 0)

    def test_duplicate_group(self):
        d = config(services=[service("s", "http://127.0.0.1:9", [route("r", ["/"])])])
        d["consumers"] = [{"username": "a", "acls": [{"group": "g"}, {"group": "g"}]}]
        rc, err = check_config(d)
        self.assertEqual(rc, 1)
        self.assertIn("uniqueness violation", err)


if __name__ == "__main__":
    unittest.main()
