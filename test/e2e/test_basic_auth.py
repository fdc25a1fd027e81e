"""basic-auth (kong-compat.md 4.3; kong/plugins/basic-auth/access.lua, Kong 3.6+): Basic
credentials in Proxy-Authorization or Authorization, passwords hashed as Kong stores them
(sha1 of password and consumer id; plain ones hashed at load, `_transform: false` takes the
digest), the 401 with WWW-Authenticate, hide_credentials, anonymous, realm, config errors."""

import base64
import re
import unittest

from authcommon import sha1_password, upstream_header, upstream_headers
from harness import Gateway, UpstreamTestCase, check_config, config, route, service

ALICE_ID = "a11ce000-0000-4000-8000-000000000001"
BOB_ID = "b0b00000-0000-4000-8000-000000000002"


def basic(user, password, scheme="Basic"):
    return "%s %s" % (scheme, base64.b64encode(("%s:%s" % (user, password)).encode()).decode())


def ba(**conf):
    return {"name": "basic-auth", "config": conf}


class TestBasicAuth(UpstreamTestCase):
    def cfg(self, transform=True, **conf):
        doc = config(services=[service("s", self.up.url, [
            route("r", ["/"], strip_path=False, plugins=[ba(**conf)])])])
        pw = (lambda p, cid: p) if transform else sha1_password
        doc["consumers"] = [
            {"id": ALICE_ID, "username": "alice", "custom_id": "ca",
             "basicauth_credentials": [{"username": "alice-u", "password": pw("s3cr:et", ALICE_ID)}]},
            {"id": BOB_ID, "username": "bob"},
        ]
        doc["basicauth_credentials"] = [{"consumer": "bob", "username": "bob-u",
                                         "password": pw("pw", BOB_ID)}]
        if not transform:
            doc["_transform"] = False
        return doc

    def assert_401(self, r, www='Basic realm="service"'):
        self.assertKongError(r, 401, "Unauthorized")
        self.assertEqual(r.header("www-authenticate"), www)

    def test_success_and_headers(self):
        for transform in (True, False):
            with Gateway(self.cfg(transform=transform)) as gw:
                r, doc = gw.echo("/x", headers=[("Authorization", basic("alice-u", "s3cr:et"))])
                self.assertEqual(r.status, 200, transform)
                self.assertEqual(upstream_header(doc, "x-consumer-id"), ALICE_ID)
                self.assertEqual(upstream_header(doc, "x-consumer-username"), "alice")
                self.assertEqual(upstream_header(doc, "x-consumer-custom-id"), "ca")
                self.assertEqual(upstream_header(doc, "x-credential-identifier"), "alice-u")
                # not hidden by default
                self.assertEqual(upstream_header(doc, "authorization"),
                                 basic("alice-u", "s3cr:et"))
                # lower-case scheme; Proxy-Authorization
                r, doc = gw.echo("/x", headers=[("Authorization", basic("bob-u", "pw", "basic"))])
                self.assertEqual(upstream_header(doc, "x-credential-identifier"), "bob-u")
                r, doc = gw.echo("/x", headers=[("Proxy-Authorization", basic("bob-u", "pw"))])
                self.assertEqual(upstream_header(doc, "x-consumer-username"), "bob")

    def test_failures(self):
        with Gateway(self.cfg()) as gw:
            self.assert_401(gw.get("/x"))
            for value in (basic("alice-u", "wrong"), basic("nobody", "x"), "Basic !!!",
                          "Bearer abc", basic("alice-u", "s3cr:et", "BASIC"),
                          "Basic " + base64.b64encode(b"nocolon").decode(), "Basic"):
                self.assert_401(gw.get("/x", headers=[("Authorization", value)]))
            # Proxy-Authorization is tried first, then Authorization
            r = gw.get("/x", headers=[("Proxy-Authorization", basic("nobody", "x")),
                                      ("Authorization", basic("alice-u", "s3cr:et"))])
            self.assertEqual(r.status, 200)
            self.assertEqual(self.up.count(), 1)

    def test_hide_credentials(self):
        with Gateway(self.cfg(hide_credentials=True)) as gw:
            r, doc = gw.echo("/x", headers=[("Authorization", basic("alice-u", "s3cr:et")),
                                            ("Proxy-Authorization", "junk")])
            self.assertEqual(upstream_headers(doc, "authorization"), [])
            self.assertEqual(upstream_headers(doc, "proxy-authorization"), [])
            # a good Proxy-Authorization: only that one is read, and removed
            r, doc = gw.echo("/x", headers=[("Proxy-Authorization", basic("bob-u", "pw")),
                                            ("Authorization", "Bearer keep")])
            self.assertEqual(upstream_header(doc, "x-consumer-username"), "bob")
            self.assertEqual(upstream_headers(doc, "proxy-authorization"), [])
            self.assertEqual(upstream_header(doc, "authorization"), "Bearer keep")

    def test_anonymous_and_realm(self):
        with Gateway(self.cfg(anonymous="bob", realm="kong")) as gw:
            r, doc = gw.echo("/x", headers=[("Authorization", basic("alice-u", "bad"))])
            self.assertEqual(upstream_header(doc, "x-consumer-username"), "bob")
            self.assertEqual(upstream_header(doc, "x-anonymous-consumer"), "true")
            self.assertIsNone(upstream_header(doc, "x-credential-identifier"))
        with Gateway(self.cfg(realm="kong")) as gw:
            self.assert_401(gw.get("/x"), www='Basic realm="kong"')
        with Gateway(self.cfg(anonymous=ALICE_ID + "x")) as gw:
            self.assertKongError(gw.get("/x"), 500, "anonymous consumer %sx is configured but "
                                                    "doesn't exist" % ALICE_ID)


class TestBasicAuthConfig(unittest.TestCase):
    def doc(self, plugin, **top):
        d = config(services=[service("s", "http://127.0.0.1:9", [route("r", ["/"])])])
        d["plugins"] = [plugin]
        d.update(top)
        return d

    def test_errors(self):
        for conf, message in [({"hide_credentials": 1}, "expected a boolean"),
                              ({"realm": True}, "expected a string"),
                              ({"run_on_preflight": True}, "unknown field")]:
            rc, err = check_config(self.doc(ba(**conf)))
            self.assertEqual(rc, 1, conf)
            self.assertRegex(err, r"kong\.yml:\d+:\d+: " + re.escape(message), conf)
        self.assertEqual(check_config(self.doc(ba(realm="x", anonymous="y")))[0], 0)

    def test_duplicate_username_and_consumer_scope(self):
        doc = self.doc(ba(), consumers=[
            {"username": "a", "basicauth_credentials": [{"username": "u", "password": "1"}]},
            {"username": "b", "basicauth_credentials": [{"username": "u", "password": "2"}],
             "plugins": [{"name": "basic-auth"}]}])
        rc, err = check_config(doc)
        self.assertEqual(rc, 1)
        self.assertRegex(err, r"kong\.yml:\d+:\d+: uniqueness violation: 'basicauth_credentials' "
                              r"entity with username set to 'u' already declared")
        self.assertRegex(err, r"kong\.yml:\d+:\d+: consumer: value must be null \(plugin "
                              r"'basic-auth' cannot be scoped to a consumer\)")


if __name__ == "__main__":
    unittest.main()
