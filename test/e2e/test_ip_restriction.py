"""ip-restriction (kong-compat.md 4.6) and the node's trusted proxies (section 7: trusted_ips,
real_ip_header, real_ip_recursive; section 3.6: what the upstream is told about the client)."""

import http.client
import socket
import unittest

from harness import (Gateway, UpstreamTestCase, check_config, config, doc_header, free_port6,
                     route, service, to_yaml)


def ipr(**conf):
    return {"name": "ip-restriction", "config": conf}


def plugin_config(up_url, *plugins, paths=("/",)):
    doc = config(services=[service("s", up_url, [route("r", list(paths), strip_path=False)])])
    doc["plugins"] = list(plugins)
    return doc


def has_ipv6_loopback():
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.bind(("::1", 0))
        s.close()
        return True
    except OSError:
        return False


class TestIpRestriction(UpstreamTestCase):
    def test_deny_with_kongs_default_message(self):
        with Gateway(plugin_config(self.up.url, ipr(deny=["127.0.0.1"]))) as gw:
            r = gw.get("/x")
            self.assertKongError(r, 403, "IP address not allowed: 127.0.0.1")
            self.assertEqual(self.up.count(), 0)

    def test_allow_cidr(self):
        with Gateway(plugin_config(self.up.url, ipr(allow=["127.0.0.0/8"]))) as gw:
            self.assertEqual(gw.get("/x").status, 200)
        with Gateway(plugin_config(self.up.url, ipr(allow=["10.0.0.0/8", "::1"]))) as gw:
            self.assertKongError(gw.get("/x"), 403, "IP address not allowed: 127.0.0.1")
        self.assertEqual(self.up.count(), 1)

    def test_deny_is_checked_before_allow(self):
        conf = ipr(allow=["127.0.0.1"], deny=["127.0.0.0/24"])
        with Gateway(plugin_config(self.up.url, conf)) as gw:
            self.assertKongError(gw.get("/x"), 403, "IP address not allowed: 127.0.0.1")
        conf = ipr(allow=["127.0.0.1"], deny=["10.0.0.0/8"])
        with Gateway(plugin_config(self.up.url, conf)) as gw:
            self.assertEqual(gw.get("/x").status, 200)

    def test_status_and_message(self):
        conf = ipr(deny=["0.0.0.0/0"], status=451, message="Not from here")
        with Gateway(plugin_config(self.up.url, conf)) as gw:
            self.assertKongError(gw.get("/x"), 451, "Not from here")
            # kong.response.error negotiates the format from Accept
            r = gw.get("/x", headers=[("Accept", "text/plain")])
            self.assertKongError(r, 451, "Not from here", fmt="text")
            # null status and message keep Kong's defaults
        conf = ipr(deny=["0.0.0.0/0"], status=None, message=None)
        with Gateway(plugin_config(self.up.url, conf)) as gw:
            self.assertKongError(gw.get("/x"), 403, "IP address not allowed: 127.0.0.1")

    def test_scoped_to_a_route(self):
        doc = config(services=[service("s", self.up.url, [
            route("open", ["/open"], strip_path=False),
            route("closed", ["/closed"], strip_path=False, plugins=[ipr(deny=["127.0.0.1"])]),
        ])])
        with Gateway(doc) as gw:
            self.assertEqual(gw.get("/open").status, 200)
            self.assertEqual(gw.get("/closed").status, 403)

    def test_forwarded_headers_ignored_without_trusted_ips(self):
        conf = ipr(deny=["203.0.113.0/24"])
        with Gateway(plugin_config(self.up.url, conf)) as gw:
            r, doc = gw.echo("/x", headers=[("X-Forwarded-For", "203.0.113.5"),
                                            ("X-Real-IP", "203.0.113.5")])
            self.assertEqual(doc_header(doc, "x-real-ip"), "127.0.0.1")
            self.assertEqual(doc_header(doc, "x-forwarded-for"), "203.0.113.5, 127.0.0.1")

    @unittest.skipUnless(has_ipv6_loopback(), "no ::1")
    def test_ipv6_client(self):
        conf = ipr(allow=["::1/128"])
        gw = Gateway(plugin_config(self.up.url, conf))
        port6 = free_port6()
        gw.args = ["--proxy-listen", "127.0.0.1:%d, [::1]:%d" % (gw.port, port6)]
        with gw:
            self.assertKongError(gw.get("/x"), 403, "IP address not allowed: 127.0.0.1")
            c = http.client.HTTPConnection("::1", port6, timeout=5)
            c.request("GET", "/x")
            r = c.getresponse()
            doc = r.read()
            self.assertEqual(r.status, 200, doc)
            c.close()
            self.assertEqual(self.up.last().header("x-real-ip"), "::1")
        gw = Gateway(plugin_config(self.up.url, ipr(deny=["::/0"])))
        gw.args = ["--proxy-listen", "127.0.0.1:%d, [::1]:%d" % (gw.port, port6)]
        with gw:
            self.assertEqual(gw.get("/x").status, 200)
            c = http.client.HTTPConnection("::1", port6, timeout=5)
            c.request("GET", "/x", headers={"Accept": "text/plain"})
            r = c.getresponse()
            body = r.read().decode()
            self.assertEqual(r.status, 403)
            self.assertTrue(body.startswith("IP address not allowed: ::1\n"), body)
            c.close()


class TestTrustedProxies(UpstreamTestCase):
    """KONG_TRUSTED_IPS lets the proxy in front (here: the test client on 127.0.0.1) name the
    client; ip-restriction and the upstream see that address."""

    def gateway(self, conf=None, **env):
        plugins = [ipr(**conf)] if conf else []
        return Gateway(plugin_config(self.up.url, *plugins), env=env)

    def test_x_real_ip_by_default(self):
        conf = {"deny": ["203.0.113.0/24", "2001:db8::/32"]}
        with self.gateway(conf, KONG_TRUSTED_IPS="127.0.0.1") as gw:
            r = gw.get("/x", headers=[("X-Real-IP", "203.0.113.5")])
            self.assertKongError(r, 403, "IP address not allowed: 203.0.113.5")
            r = gw.get("/x", headers=[("X-Real-IP", "2001:DB8::7")])
            self.assertKongError(r, 403, "IP address not allowed: 2001:db8::7")
            # X-Forwarded-For is not the configured header
            r, doc = gw.echo("/x", headers=[("X-Forwarded-For", "203.0.113.5")])
            self.assertEqual(doc_header(doc, "x-real-ip"), "127.0.0.1")
            r, doc = gw.echo("/x", headers=[("X-Real-IP", "198.51.100.1")])
            self.assertEqual(doc_header(doc, "x-real-ip"), "198.51.100.1")
            # no X-Forwarded-For from the client: the upstream gets the client address
            self.assertEqual(doc_header(doc, "x-forwarded-for"), "198.51.100.1")
            # not an address: the peer stays the client
            r, doc = gw.echo("/x", headers=[("X-Real-IP", "not-an-ip")])
            self.assertEqual(doc_header(doc, "x-real-ip"), "127.0.0.1")

    def test_untrusted_peer_is_the_client(self):
        conf = {"deny": ["203.0.113.0/24"]}
        with self.gateway(conf, KONG_TRUSTED_IPS="10.0.0.0/8, ::1") as gw:
            r, doc = gw.echo("/x", headers=[("X-Real-IP", "203.0.113.5"),
                                            ("X-Forwarded-Proto", "https"),
                                            ("X-Forwarded-Host", "evil.example")])
            self.assertEqual(doc_header(doc, "x-real-ip"), "127.0.0.1")
            self.assertEqual(doc_header(doc, "x-forwarded-proto"), "http")
            self.assertNotEqual(doc_header(doc, "x-forwarded-host"), "evil.example")

    def test_x_forwarded_for_last_entry(self):
        conf = {"deny": ["203.0.113.0/24"]}
        env = dict(KONG_TRUSTED_IPS="127.0.0.1,10.0.0.0/8", KONG_REAL_IP_HEADER="X-Forwarded-For")
        with self.gateway(conf, **env) as gw:
            r = gw.get("/x", headers=[("X-Forwarded-For", "198.51.100.1, 203.0.113.9")])
            self.assertKongError(r, 403, "IP address not allowed: 203.0.113.9")
            # without recursion only the last hop counts, even when it is trusted
            r, doc = gw.echo("/x", headers=[("X-Forwarded-For", "203.0.113.9, 10.1.1.1")])
            self.assertEqual(doc_header(doc, "x-real-ip"), "10.1.1.1")
            # the client's list plus the peer that connected
            self.assertEqual(doc_header(doc, "x-forwarded-for"), "203.0.113.9, 10.1.1.1, 127.0.0.1")
            # ports are allowed and dropped, as nginx's parser does
            r, doc = gw.echo("/x", headers=[("X-Forwarded-For", "198.51.100.7:5555")])
            self.assertEqual(doc_header(doc, "x-real-ip"), "198.51.100.7")
            r, doc = gw.echo("/x", headers=[("X-Forwarded-For", "[2001:db8::1]:80")])
            self.assertEqual(doc_header(doc, "x-real-ip"), "2001:db8::1")

    def test_recursive(self):
        conf = {"deny": ["203.0.113.0/24"]}
        env = dict(KONG_TRUSTED_IPS="127.0.0.1,10.0.0.0/8", KONG_REAL_IP_HEADER="X-Forwarded-For",
                   KONG_REAL_IP_RECURSIVE="on")
        with self.gateway(conf, **env) as gw:
            r = gw.get("/x", headers=[("X-Forwarded-For", "203.0.113.9, 10.1.1.1, 10.2.2.2")])
            self.assertKongError(r, 403, "IP address not allowed: 203.0.113.9")
            # the walk stops at the first untrusted hop from the right
            xff = "203.0.113.9, 198.51.100.2, 10.1.1.1"
            r, doc = gw.echo("/x", headers=[("X-Forwarded-For", xff)])
            self.assertEqual(doc_header(doc, "x-real-ip"), "198.51.100.2")
            # two X-Forwarded-For headers are one list, the last header rightmost
            r = gw.get("/x", headers=[("X-Forwarded-For", "203.0.113.9"),
                                      ("X-Forwarded-For", "10.1.1.1")])
            self.assertKongError(r, 403, "IP address not allowed: 203.0.113.9")
            # every hop trusted: the leftmost
            r, doc = gw.echo("/x", headers=[("X-Forwarded-For", "10.3.3.3, 10.1.1.1")])
            self.assertEqual(doc_header(doc, "x-real-ip"), "10.3.3.3")
            # a hop that is not an address stops the walk at the last good one
            r, doc = gw.echo("/x", headers=[("X-Forwarded-For", "junk, 10.1.1.1")])
            self.assertEqual(doc_header(doc, "x-real-ip"), "10.1.1.1")

    def test_forwarded_headers_from_a_trusted_proxy(self):
        with self.gateway(None, KONG_TRUSTED_IPS="0.0.0.0/0,::/0") as gw:
            r, doc = gw.echo("/x", headers=[("X-Forwarded-Proto", "https"),
                                            ("X-Forwarded-Host", "api.example"),
                                            ("X-Forwarded-Port", "443"),
                                            ("X-Forwarded-Path", "/outer/x"),
                                            ("X-Forwarded-Prefix", "/outer")])
            self.assertEqual(doc_header(doc, "x-forwarded-proto"), "https")
            self.assertEqual(doc_header(doc, "x-forwarded-host"), "api.example")
            self.assertEqual(doc_header(doc, "x-forwarded-port"), "443")
            self.assertEqual(doc_header(doc, "x-forwarded-path"), "/outer/x")
            self.assertEqual(doc_header(doc, "x-forwarded-prefix"), "/outer")
            # what the proxy did not say is the gateway's own
            r, doc = gw.echo("/x")
            self.assertEqual(doc_header(doc, "x-forwarded-proto"), "http")
            self.assertEqual(doc_header(doc, "x-forwarded-port"), str(gw.port))
            self.assertEqual(doc_header(doc, "x-forwarded-path"), "/x")
            self.assertIsNone(doc_header(doc, "x-forwarded-prefix"))

    def test_https_only_route_behind_a_trusted_tls_proxy(self):
        doc = config(services=[service("s", self.up.url, [
            route("tls", ["/"], strip_path=False, protocols=["https"])])])
        with Gateway(doc, env=dict(KONG_TRUSTED_IPS="127.0.0.1")) as gw:
            self.assertEqual(gw.get("/x").status, 426)
            self.assertEqual(gw.get("/x", headers=[("X-Forwarded-Proto", "https")]).status, 200)
        with Gateway(doc) as gw:
            self.assertEqual(gw.get("/x", headers=[("X-Forwarded-Proto", "https")]).status, 426)

    def test_bad_settings_are_refused(self):
        for env, message in [
            ({"KONG_TRUSTED_IPS": "10.0.0.0/8, 300.1.1.1"},
             "'300.1.1.1' is not an IP address or CIDR range"),
            ({"KONG_TRUSTED_IPS": "unix:"}, "'unix:' is not supported"),
            ({"KONG_REAL_IP_HEADER": "proxy_protocol"}, "PROXY protocol is not supported"),
            ({"KONG_REAL_IP_RECURSIVE": "maybe"}, "expected 'on' or 'off'"),
        ]:
            gw = Gateway(plugin_config(self.up.url), env=env, wait=False)
            try:
                gw.start()
                rc = gw.proc.wait(timeout=10)
                self.assertNotEqual(rc, 0, env)
                self.assertIn(message, gw.stderr(), env)
            finally:
                gw.kill()
                gw._cleanup()


class TestIpRestrictionConfig(unittest.TestCase):
    def check_text(self, text):
        return check_config(text)

    def check(self, plugin_conf):
        doc = config(services=[service("s", "http://127.0.0.1:9", [route("r", ["/"])])])
        doc["plugins"] = [ipr(**plugin_conf) if plugin_conf is not None
                          else {"name": "ip-restriction"}]
        return self.check_text(to_yaml(doc))

    def test_valid(self):
        rc, err = self.check({"allow": ["10.0.0.0/8", "2001:db8::/32", "::1"], "status": 403,
                              "message": "no"})
        self.assertEqual(rc, 0, err)

    def test_errors(self):
        for conf, message in [
            ({"allow": ["10.0.0.0/33"]}, "invalid ip or cidr range: '10.0.0.0/33'"),
            ({"deny": ["example.com"]}, "invalid ip or cidr range: 'example.com'"),
            ({"deny": ["2001:db8::/129"]}, "invalid ip or cidr range: '2001:db8::/129'"),
            ({"deny": [1]}, "expected a string"),
            ({"allow": "10.0.0.1"}, "expected an array"),
            ({}, "at least one of these fields must be non-empty: 'config.allow', 'config.deny'"),
            ({"allow": [], "deny": []}, "at least one of these fields must be non-empty"),
            (None, "at least one of these fields must be non-empty"),
            ({"deny": ["1.2.3.4"], "status": 200}, "value should be between 400 and 599"),
            ({"deny": ["1.2.3.4"], "status": "x"}, "expected an integer"),
            ({"deny": ["1.2.3.4"], "message": 5}, "expected a string"),
            ({"deny": ["1.2.3.4"], "whitelist": ["1.2.3.4"]}, "unknown field"),
        ]:
            rc, err = self.check(conf)
            self.assertEqual(rc, 1, conf)
            self.assertRegex(err, r"kong\.yml:\d+:\d+: " + message, conf)

    def test_position(self):
        text = ('_format_version: "3.0"\n'
                'plugins:\n'
                '- name: ip-restriction\n'
                '  config:\n'
                '    deny:\n'
                '    - 10.0.0.1\n'
                '    - 10.0.0.300\n')
        rc, err = self.check_text(text)
        self.assertEqual(rc, 1)
        self.assertIn("kong.yml:7:7: invalid ip or cidr range: '10.0.0.300'", err)
        text = ('_format_version: "3.0"\n'
                'plugins:\n'
                '- name: ip-restriction\n')
        rc, err = self.check_text(text)
        self.assertEqual(rc, 1)
        self.assertIn("kong.yml:3:3: at least one of these fields must be non-empty", err)


if __name__ == "__main__":
    unittest.main()
