"""security-headers (sluice's own plugin, beyond Kong): X-Frame-Options and friends on
proxied and gateway-made responses, each field nullable, override of upstream headers."""

import unittest

from harness import Gateway, GatewayTestCase, check_config, config, route, service
from upstream import Upstream

DEFAULTS = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
    "x-xss-protection": "0",
}
OFF_BY_DEFAULT = ("strict-transport-security", "content-security-policy", "permissions-policy")


def sh(**conf):
    return {"name": "security-headers", "config": conf}


def doc_with(up_url, *plugins):
    doc = config(services=[service("s", up_url, [
        route("r", ["/"], strip_path=False),
        route("stop", ["/stop"], strip_path=False,
              plugins=[{"name": "request-termination", "config": {"status_code": 503}}]),
    ])])
    doc["plugins"] = list(plugins)
    return doc


class TestSecurityHeaders(GatewayTestCase):
    @classmethod
    def setUpClass(cls):
        cls.up = Upstream().start()

    @classmethod
    def tearDownClass(cls):
        cls.up.stop()

    def test_defaults_on_proxied_and_gateway_responses(self):
        with Gateway(doc_with(self.up.url, sh())) as gw:
            for r in (gw.get("/x"), gw.get("/stop"), gw.get("/x/status/404")):
                for name, value in DEFAULTS.items():
                    self.assertEqual(r.header_all(name), [value], (name, r.status))
                for name in OFF_BY_DEFAULT:
                    self.assertIsNone(r.header(name), name)
            self.assertEqual(gw.get("/stop").status, 503)

    def test_every_field(self):
        conf = sh(x_frame_options="SAMEORIGIN", x_content_type_options=None,
                  referrer_policy="no-referrer", x_xss_protection=False,
                  strict_transport_security={"max_age": 63072000, "include_subdomains": True,
                                             "preload": True},
                  content_security_policy="default-src 'self'",
                  permissions_policy="geolocation=(), camera=()")
        with Gateway(doc_with(self.up.url, conf)) as gw:
            for r in (gw.get("/x"), gw.get("/stop")):
                self.assertEqual(r.header("x-frame-options"), "SAMEORIGIN")
                self.assertIsNone(r.header("x-content-type-options"))
                self.assertEqual(r.header("referrer-policy"), "no-referrer")
                self.assertIsNone(r.header("x-xss-protection"))
                self.assertEqual(r.header("strict-transport-security"),
                                 "max-age=63072000; includeSubDomains; preload")
                self.assertEqual(r.header("content-security-policy"), "default-src 'self'")
                self.assertEqual(r.header("permissions-policy"), "geolocation=(), camera=()")
        conf = sh(x_frame_options=None, referrer_policy=None, x_xss_protection=None,
                  strict_transport_security={})
        with Gateway(doc_with(self.up.url, conf)) as gw:
            r = gw.get("/x")
            self.assertIsNone(r.header("x-frame-options"))
            self.assertIsNone(r.header("referrer-policy"))
            self.assertIsNone(r.header("x-xss-protection"))
            self.assertEqual(r.header("x-content-type-options"), "nosniff")
            self.assertEqual(r.header("strict-transport-security"), "max-age=31536000")

    def test_override(self):
        up_header = ("X-Stub-Response-Header", "X-Frame-Options: SAMEORIGIN")
        with Gateway(doc_with(self.up.url, sh())) as gw:
            r = gw.get("/x", headers=[up_header])
            self.assertEqual(r.header_all("x-frame-options"), ["SAMEORIGIN"])
            self.assertEqual(r.header("x-content-type-options"), "nosniff")
        with Gateway(doc_with(self.up.url, sh(override=True))) as gw:
            r = gw.get("/x", headers=[up_header, ("X-Stub-Response-Header",
                                                  "x-frame-options: ALLOWALL")])
            self.assertEqual(r.header_all("x-frame-options"), ["DENY"])
            # other upstream headers are untouched
            self.assertEqual(r.header("content-type"), "application/json")

    def test_scoped_to_a_route(self):
        doc = doc_with(self.up.url)
        doc["services"][0]["routes"].append(
            route("secure", ["/secure"], strip_path=False, plugins=[sh()]))
        with Gateway(doc) as gw:
            self.assertIsNone(gw.get("/x").header("x-frame-options"))
            self.assertEqual(gw.get("/secure").header("x-frame-options"), "DENY")


class TestSecurityHeadersConfig(unittest.TestCase):
    def check(self, plugin_conf):
        doc = config(services=[service("s", "http://127.0.0.1:9", [route("r", ["/"])])])
        doc["plugins"] = [sh(**plugin_conf)]
        return check_config(doc)

    def test_errors(self):
        for conf, message in [
            ({"x_frame_options": "ALLOW-FROM x"}, "expected one of: DENY, SAMEORIGIN"),
            ({"x_content_type_options": "yes"}, "expected one of: nosniff"),
            ({"referrer_policy": "never"}, "expected one of: no-referrer, "),
            ({"x_xss_protection": "1; mode=block"}, "expected a boolean"),
            ({"strict_transport_security": 5}, "expected a record"),
            ({"strict_transport_security": {"max_age": -1}}, "expected an integer between"),
            ({"strict_transport_security": {"preload": True}},
             "preload requires include_subdomains and a max_age of at least 31536000"),
            ({"strict_transport_security": {"maxage": 1}}, "unknown field"),
            ({"content_security_policy": "a\nb"},
             "expected a header value without control characters"),
            ({"permissions_policy": ""}, "length must be at least 1"),
            ({"override": "no"}, "expected a boolean"),
            ({"x_frame": "DENY"}, "unknown field"),
        ]:
            rc, err = self.check(conf)
            self.assertEqual(rc, 1, conf)
            self.assertRegex(err, r"kong\.yml:\d+:\d+: " + message, conf)


if __name__ == "__main__":
    unittest.main()
