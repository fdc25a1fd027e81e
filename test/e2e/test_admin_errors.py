"""POST /config with an invalid declarative config (kong-compat.md 6): Kong's code-14 error
(kong/db/errors.lua declarative_config) with its `fields` tree and the message that renders it
("declarative config is invalid: " + pl.pretty.write(fields, "")), sluice's positioned
`errors` list next to them, and the running configuration kept."""

import json
import time
import unittest

from harness import (CT_JSON, Client, Gateway, UpstreamTestCase, config, route, service,
                     to_yaml, wait_admin)

ADMIN_WAIT = 5.0
PREFIX = "declarative config is invalid: "



def post_config(gw, body, content_type=None):
    headers = [("Content-Type", content_type)] if content_type else []
    with Client(gw.admin_port) as c:
        return c.request("POST", "/config", headers,
                         body.encode() if isinstance(body, str) else body)


def admin_get(gw, path):
    with Client(gw.admin_port) as c:
        return c.request("GET", path)


class TestInvalidConfigBody(UpstreamTestCase):

    def running(self):
        return config(services=[service("keep", self.up.url,
                                        [route("keep-r", ["/keep"], strip_path=False)])])

    def refused(self, gw, body, content_type=None):
        """POSTs <body>, checks Kong's error envelope, and that the running config stayed;
        returns the decoded answer."""
        r = post_config(gw, body, content_type)
        self.assertEqual(r.status, 400, r)
        self.assertEqual(r.header("content-type"), CT_JSON, r)
        doc = r.json()
        self.assertEqual(doc["code"], 14)
        self.assertEqual(doc["name"], "invalid declarative configuration")
        self.assertTrue(doc["message"].startswith(PREFIX), doc["message"])
        self.assertIsInstance(doc["fields"], dict)
        self.assertIsInstance(doc["errors"], list)
        self.assertGreater(len(doc["errors"]), 0)
        for e in doc["errors"]:
            self.assertEqual(set(e), {"line", "column", "message"}, e)
        # the running configuration is kept: same routes, still proxied
        self.assertEqual(gw.get("/keep").status, 200)
        routes = admin_get(gw, "/routes").json()["data"]
        self.assertEqual([x["name"] for x in routes], ["keep-r"])
        return doc

    def test_unknown_field_in_nested_route(self):
        bad = config(services=[
            service("a", "http://a.example"),
            service("b", "http://b.example", [
                route("b1", ["/b1"]),
                route("b2", ["/b2"], strip_pth=True),
            ]),
        ])
        with Gateway(self.running()) as gw:
            wait_admin(gw)
            doc = self.refused(gw, to_yaml(bad))
            # untouched entities are nulls, as Kong's cjson writes a sparse Lua array
            self.assertEqual(doc["fields"], {"services": [
                None, {"routes": [None, {"strip_pth": "unknown field"}]}]})
            self.assertEqual(doc["message"],
                             PREFIX + '{services={[2]={routes={[2]={strip_pth="unknown field"}}}}}')
            self.assertEqual([e["message"] for e in doc["errors"]],
                             ["unknown field 'strip_pth' (did you mean 'strip_path'?)"])

    def test_bad_types_in_a_service(self):
        bad = ('_format_version: "3.0"\n'
               'services:\n'
               '- name: s\n'
               '  host: example.com\n'
               '  port: eighty\n'
               '  retries: -1\n'
               '  tags: [ok, 5]\n')
        with Gateway(self.running()) as gw:
            wait_admin(gw)
            doc = self.refused(gw, bad)
            self.assertEqual(doc["fields"], {"services": [{
                "port": "expected an integer",
                "retries": "value should be between 0 and 32767",
                "tags": [None, "expected a string"],
            }]})
            self.assertEqual(doc["message"],
                             PREFIX + '{services={{port="expected an integer",retries="value '
                             'should be between 0 and 32767",tags={[2]="expected a string"}}}}')
            self.assertEqual(doc["errors"], [
                {"line": 5, "column": 9, "message": "expected an integer"},
                {"line": 6, "column": 12, "message": "value should be between 0 and 32767"},
                {"line": 7, "column": 14, "message": "expected a string"},
            ])

    def test_dangling_reference(self):
        # reference errors are listed by the entity's name (else its id), not its position
        bad = config(services=[service("s", "http://s.example")],
                     routes=[route("ok", ["/ok"], service="s"),
                             route("lost", ["/lost"], service="nope")])
        with Gateway(self.running()) as gw:
            wait_admin(gw)
            doc = self.refused(gw, to_yaml(bad))
            msg = "invalid reference 'service: nope' (no such entry in 'services')"
            self.assertEqual(doc["fields"], {"routes": {"lost": [msg]}})
            self.assertEqual(doc["message"], PREFIX + '{routes={lost={"%s"}}}' % msg)
            self.assertEqual([e["message"] for e in doc["errors"]], [msg])

    def test_plugin_config_and_json_body(self):
        bad = {"_format_version": "3.0",
               "plugins": [{"name": "key-auth", "config": {"key_name": ["k"]}},
                           {"name": "file-log"}]}
        with Gateway(self.running()) as gw:
            wait_admin(gw)
            doc = self.refused(gw, json.dumps(bad), "application/json")
            self.assertEqual(doc["fields"], {"plugins": [
                {"config": {"key_name": "unknown field"}},
                {"config": {"path": "required field missing"}},
            ]})
            self.assertEqual(doc["message"],
                             PREFIX + '{plugins={{config={key_name="unknown field"}},'
                             '{config={path="required field missing"}}}}')
            self.assertEqual([e["message"] for e in doc["errors"]],
                             ["unknown field 'key_name' (did you mean 'key_names'?)",
                              "path: required field missing"])

    def test_text_that_does_not_parse(self):
        with Gateway(self.running()) as gw:
            wait_admin(gw)
            doc = self.refused(gw, '_format_version: "3.0"\nservices: [\n')
            self.assertEqual(list(doc["fields"]), ["error"])
            self.assertTrue(doc["fields"]["error"].startswith(
                "failed parsing declarative configuration: "), doc["fields"])
            self.assertEqual(doc["message"],
                             PREFIX + '{error="%s"}' % doc["fields"]["error"])

    def test_a_good_config_after_a_bad_one(self):
        with Gateway(self.running()) as gw:
            wait_admin(gw)
            self.refused(gw, to_yaml(config(services=[service("x", "http://x", bogus=1)])))
            good = config(services=[service("new", self.up.url,
                                            [route("new-r", ["/new"], strip_path=False)])])
            r = post_config(gw, to_yaml(good))
            self.assertEqual(r.status, 201, r)
            deadline = time.monotonic() + ADMIN_WAIT
            while gw.get("/new").status != 200:
                self.assertLess(time.monotonic(), deadline, "new config not applied")
                time.sleep(0.02)


if __name__ == "__main__":
    unittest.main()
