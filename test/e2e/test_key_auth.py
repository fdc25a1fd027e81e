"""key-auth (kong-compat.md 4.2; kong/plugins/key-auth/handler.lua, Kong 3.7+): keys in
headers and query arguments, Kong's 401 messages and WWW-Authenticate, the consumer headers
sent upstream, hide_credentials, anonymous, run_on_preflight, realm, key ttl, config errors
and reloads that swap credentials."""

import re
import time
import unittest

from authcommon import upstream_header, upstream_headers
from harness import (Gateway, UpstreamTestCase, build_request, check_config, chunked, config,
                     route, service)

CT_JSON = "application/json; charset=utf-8"
UUID_RE = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"


def ka(**conf):
    return {"name": "key-auth", "config": conf}


class TestKeyAuth(UpstreamTestCase):
    def cfg(self, plugin=None, routes_extra=(), consumers=None, **conf):
        doc = config(services=[service("s", self.up.url, [
            route("r", ["/"], strip_path=False, plugins=[plugin or ka(**conf)]),
            route("open", ["/open"], strip_path=False),
        ] + list(routes_extra))])
        doc["consumers"] = consumers if consumers is not None else [
            {"username": "alice", "custom_id": "c-alice",
             "keyauth_credentials": [{"key": "alice-key"}, {"key": "alice-key-2"}]},
            {"username": "bob", "keyauth_credentials": [{"key": "bob key+&"}]},
            {"custom_id": "only-custom", "id": "0b3f5c6e-1111-4222-8333-444455556666"},
        ]
        doc["keyauth_credentials"] = [{"consumer": "alice", "key": "flat-key",
                                       "id": "11111111-2222-4333-8444-555555555555"}]
        return doc

    def assert_401(self, r, message, www="Key"):
        self.assertKongError(r, 401, message)
        self.assertEqual(r.header("www-authenticate"), www)

    def test_header_and_consumer_headers(self):
        with Gateway(self.cfg()) as gw:
            r, doc = gw.echo("/x", headers=[("apikey", "alice-key")])
            self.assertEqual(r.status, 200)
            self.assertEqual(upstream_header(doc, "x-consumer-username"), "alice")
            self.assertEqual(upstream_header(doc, "x-consumer-custom-id"), "c-alice")
            self.assertRegex(upstream_header(doc, "x-consumer-id"), UUID_RE)
            cred_id = upstream_header(doc, "x-credential-identifier")
            self.assertRegex(cred_id, UUID_RE)
            self.assertIsNone(upstream_header(doc, "x-anonymous-consumer"))
            # the key goes upstream unless hidden; the header name is case-insensitive
            self.assertEqual(upstream_header(doc, "apikey"), "alice-key")
            r, doc2 = gw.echo("/x", headers=[("ApiKey", "alice-key-2")])
            self.assertEqual(upstream_header(doc2, "x-consumer-username"), "alice")
            self.assertNotEqual(upstream_header(doc2, "x-credential-identifier"), cred_id)
            # a flat credential with an explicit id
            r, doc3 = gw.echo("/x", headers=[("apikey", "flat-key")])
            self.assertEqual(upstream_header(doc3, "x-credential-identifier"),
                             "11111111-2222-4333-8444-555555555555")
            # a consumer without custom_id: the client's spoofed header is removed
            r, doc4 = gw.echo("/x", headers=[("apikey", "bob key+&"),
                                             ("X-Consumer-Custom-ID", "spoofed"),
                                             ("X-Anonymous-Consumer", "true")])
            self.assertEqual(upstream_header(doc4, "x-consumer-username"), "bob")
            self.assertIsNone(upstream_header(doc4, "x-consumer-custom-id"))
            self.assertIsNone(upstream_header(doc4, "x-anonymous-consumer"))

    def test_query_argument_percent_decoded(self):
        with Gateway(self.cfg()) as gw:
            r, doc = gw.echo("/x?a=1&apikey=bob+key%2B%26&b=2")
            self.assertEqual(upstream_header(doc, "x-consumer-username"), "bob")
            self.assertEqual(doc["path"], "/x?a=1&apikey=bob+key%2B%26&b=2")
            # an encoded argument name counts too
            r, doc = gw.echo("/x?api%6Bey=alice-key")
            self.assertEqual(upstream_header(doc, "x-consumer-username"), "alice")

    def test_messages(self):
        with Gateway(self.cfg()) as gw:
            self.assert_401(gw.get("/x"), "No API key found in request")
            self.assert_401(gw.get("/x", headers=[("apikey", "")]), "No API key found in request")
            self.assert_401(gw.get("/x?apikey="), "No API key found in request")
            # a bare argument is a boolean to Kong, not a key
            self.assert_401(gw.get("/x?apikey"), "No API key found in request")
            self.assert_401(gw.get("/x", headers=[("apikey", "nope")]), "Unauthorized")
            self.assert_401(gw.get("/x?apikey=nope"), "Unauthorized")
            self.assert_401(gw.get("/x", headers=[("apikey", "alice-key"),
                                                  ("apikey", "alice-key")]),
                            "Duplicate API key found")
            self.assert_401(gw.get("/x?apikey=alice-key&apikey=alice-key"),
                            "Duplicate API key found")
            # a header wins over the query; an empty header does not fall back to it
            self.assertEqual(gw.get("/x?apikey=nope", headers=[("apikey", "alice-key")]).status,
                             200)
            self.assert_401(gw.get("/x?apikey=alice-key", headers=[("apikey", "")]),
                            "No API key found in request")
            # text/plain when asked for
            r = gw.get("/x", headers=[("Accept", "text/plain")])
            self.assertKongError(r, 401, "No API key found in request", fmt="text")
            self.assertEqual(self.up.count(), 1)
            self.assertEqual(gw.get("/open").status, 200)

    def test_key_names_and_locations(self):
        cfg = self.cfg(key_names=["x-key", "api_key"], key_in_query=False)
        with Gateway(cfg) as gw:
            r, doc = gw.echo("/x", headers=[("X-Key", "alice-key")])
            self.assertEqual(upstream_header(doc, "x-consumer-username"), "alice")
            # an underscore in a key name also matches a hyphen in the header name
            r, doc = gw.echo("/x", headers=[("api-key", "bob key+&")])
            self.assertEqual(upstream_header(doc, "x-consumer-username"), "bob")
            # names are tried in order
            r, doc = gw.echo("/x", headers=[("api_key", "bob key+&"), ("x-key", "alice-key")])
            self.assertEqual(upstream_header(doc, "x-consumer-username"), "alice")
            self.assert_401(gw.get("/x?x-key=alice-key"), "No API key found in request")
            self.assert_401(gw.get("/x", headers=[("apikey", "alice-key")]),
                            "No API key found in request")
        with Gateway(self.cfg(key_in_header=False)) as gw:
            self.assert_401(gw.get("/x", headers=[("apikey", "alice-key")]),
                            "No API key found in request")
            self.assertEqual(gw.get("/x?apikey=alice-key").status, 200)

    def test_hide_credentials(self):
        with Gateway(self.cfg(hide_credentials=True)) as gw:
            r, doc = gw.echo("/x?a=1&apikey=alice-key&b=2&apikey2=x")
            self.assertEqual(doc["path"], "/x?a=1&b=2&apikey2=x")
            self.assertEqual(upstream_header(doc, "x-consumer-username"), "alice")
            r, doc = gw.echo("/x?apikey=alice-key")
            self.assertEqual(doc["path"], "/x")
            r, doc = gw.echo("/x?q=1", headers=[("ApiKey", "alice-key")])
            self.assertEqual(upstream_headers(doc, "apikey"), [])
            self.assertEqual(doc["path"], "/x?q=1")
        with Gateway(self.cfg()) as gw:  # not hidden by default
            r, doc = gw.echo("/x?apikey=alice-key")
            self.assertEqual(doc["path"], "/x?apikey=alice-key")

    def test_anonymous(self):
        anon_id = "0b3f5c6e-1111-4222-8333-444455556666"
        for anonymous in (anon_id, "bob"):
            with Gateway(self.cfg(anonymous=anonymous)) as gw:
                r, doc = gw.echo("/x")
                self.assertEqual(r.status, 200)
                self.assertEqual(upstream_header(doc, "x-anonymous-consumer"), "true")
                self.assertIsNone(upstream_header(doc, "x-credential-identifier"))
                if anonymous == "bob":
                    self.assertEqual(upstream_header(doc, "x-consumer-username"), "bob")
                else:
                    self.assertEqual(upstream_header(doc, "x-consumer-id"), anon_id)
                    self.assertEqual(upstream_header(doc, "x-consumer-custom-id"),
                                     "only-custom")
                    self.assertIsNone(upstream_header(doc, "x-consumer-username"))
                # a bad key falls back to the anonymous consumer as well
                r, doc = gw.echo("/x", headers=[("apikey", "bad")])
                self.assertEqual(upstream_header(doc, "x-anonymous-consumer"), "true")
                r, doc = gw.echo("/x", headers=[("apikey", "alice-key")])
                self.assertEqual(upstream_header(doc, "x-consumer-username"), "alice")
                self.assertIsNone(upstream_header(doc, "x-anonymous-consumer"))
        with Gateway(self.cfg(anonymous="ghost")) as gw:
            r = gw.get("/x")
            self.assertKongError(r, 500, "anonymous consumer ghost is configured but doesn't "
                                         "exist")
            self.assertEqual(gw.get("/x", headers=[("apikey", "alice-key")]).status, 200)

    def test_anonymous_is_a_logical_or(self):
        # basic-auth (1100) runs after key-auth (1250); with anonymous it leaves an
        # authenticated request alone
        doc = self.cfg()
        doc["services"][0]["routes"][0]["plugins"] = [
            ka(anonymous="bob"), {"name": "basic-auth", "config": {"anonymous": "bob"}}]
        with Gateway(doc) as gw:
            r, up = gw.echo("/x", headers=[("apikey", "alice-key")])
            self.assertEqual(upstream_header(up, "x-consumer-username"), "alice")
            self.assertRegex(upstream_header(up, "x-credential-identifier"), UUID_RE)
            r, up = gw.echo("/x")
            self.assertEqual(upstream_header(up, "x-consumer-username"), "bob")
            self.assertEqual(upstream_header(up, "x-anonymous-consumer"), "true")

    def test_run_on_preflight_and_realm(self):
        with Gateway(self.cfg()) as gw:
            self.assert_401(gw.request("OPTIONS", "/x"), "No API key found in request")
        with Gateway(self.cfg(run_on_preflight=False, realm="my-api")) as gw:
            r = gw.request("OPTIONS", "/x")
            self.assertEqual(r.status, 200)
            self.assert_401(gw.get("/x"), "No API key found in request",
                            www='Key realm="my-api"')
            self.assert_401(gw.get("/x", headers=[("apikey", "x")]), "Unauthorized",
                            www='Key realm="my-api"')

    def test_ttl_expires(self):
        consumers = [{"username": "alice"},
                     {"username": "t", "keyauth_credentials": [{"key": "short", "ttl": 2},
                                                               {"key": "long", "ttl": 1000}]}]
        with Gateway(self.cfg(consumers=consumers)) as gw:
            self.assertEqual(gw.get("/x", headers=[("apikey", "short")]).status, 200)
            time.sleep(2.2)
            self.assert_401(gw.get("/x", headers=[("apikey", "short")]), "Unauthorized")
            self.assertEqual(gw.get("/x", headers=[("apikey", "long")]).status, 200)

    def test_reload_swaps_credentials(self):
        cfg = self.cfg()
        with Gateway(cfg) as gw:
            self.assertEqual(gw.get("/x", headers=[("apikey", "alice-key")]).status, 200)
            cfg2 = self.cfg(consumers=[{"username": "alice"}, {"username": "carol",
                                        "keyauth_credentials": [{"key": "carol-key"}]}])
            del cfg2["keyauth_credentials"]
            gw.reload(cfg2)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                if gw.get("/x", headers=[("apikey", "carol-key")]).status == 200:
                    break
                time.sleep(0.05)
            r, doc = gw.echo("/x", headers=[("apikey", "carol-key")])
            self.assertEqual(upstream_header(doc, "x-consumer-username"), "carol")
            self.assert_401(gw.get("/x", headers=[("apikey", "alice-key")]), "Unauthorized")


FORM = "application/x-www-form-urlencoded"
MP = "multipart/form-data; boundary=XyZ"


def multipart(*parts):
    out = ""
    for name, value in parts:
        out += ('--XyZ\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n'
                % (name, value))
    return out + "--XyZ--\r\n"


class TestKeyAuthBody(UpstreamTestCase):
    """key_in_body: the body read whole before the access phase ends (sl_pdk_read_body),
    decoded as kong.request.get_body does, sent upstream with a Content-Length."""

    env = {"SLUICE_CLIENT_BODY_BUFFER_SIZE": "1k", "SLUICE_CLIENT_BODY_TIMEOUT": "1s"}

    def cfg(self, **conf):
        conf.setdefault("key_in_body", True)
        doc = config(services=[service("s", self.up.url, [
            route("r", ["/"], strip_path=False, plugins=[ka(**conf)])])])
        doc["consumers"] = [{"username": "alice", "keyauth_credentials": [{"key": "k 1&"}]}]
        return doc

    def post(self, gw, body, ct, headers=()):
        h = [("Content-Type", ct)] if ct else []
        return gw.request("POST", "/x", h + list(headers), body)

    def assert_alice(self, r):
        self.assertEqual(r.status, 200, r)
        doc = r.json()
        self.assertEqual(upstream_header(doc, "x-consumer-username"), "alice")
        return doc

    def test_form_json_multipart(self):
        with Gateway(self.cfg(), env=self.env) as gw:
            doc = self.assert_alice(self.post(gw, "a=1&apikey=k+1%26&b=2", FORM))
            self.assertEqual(doc["body"], "a=1&apikey=k+1%26&b=2")  # not hidden: unchanged
            self.assertEqual(upstream_header(doc, "content-length"), str(len(doc["body"])))
            doc = self.assert_alice(self.post(gw, '{"a":1,"apikey":"k 1&"}', "application/json"))
            self.assertEqual(doc["body"], '{"a":1,"apikey":"k 1&"}')
            body = multipart(("a", "1"), ("apikey", "k 1&"))
            doc = self.assert_alice(self.post(gw, body, MP))
            self.assertEqual(doc["body"], body)
            # the header still comes first; the body is not needed then but must decode
            self.assert_alice(self.post(gw, "x=1", FORM, [("apikey", "k 1&")]))

    def test_messages(self):
        with Gateway(self.cfg(), env=self.env) as gw:
            r = self.post(gw, "a=1", FORM)
            self.assertKongError(r, 401, "No API key found in request")
            r = self.post(gw, '{"apikey":"nope"}', "application/json")
            self.assertKongError(r, 401, "Unauthorized")
            r = self.post(gw, '{"apikey":["k 1&"]}', "application/json")
            self.assertKongError(r, 401, "Duplicate API key found")
            r = self.post(gw, "apikey=a&apikey=b", FORM)
            self.assertKongError(r, 401, "Duplicate API key found")
            r = self.post(gw, '{"apikey":12}', "application/json")
            self.assertKongError(r, 401, "No API key found in request")
            # what get_body cannot decode: a 400, even with the key in a header
            for body, ct in [('{"apikey":', "application/json"), ("apikey=k", "text/plain"),
                             ("apikey=k", None), ('"k"', "application/json")]:
                r = self.post(gw, body, ct, [("apikey", "k 1&")])
                self.assertKongError(r, 400, "Cannot process request body")
                self.assertIsNone(r.header("www-authenticate"))
            # no body and no Content-Type: get_body's "missing content type"
            self.assertKongError(gw.get("/x", headers=[("apikey", "k 1&")]), 400,
                                 "Cannot process request body")

    def test_hide_credentials_reencodes(self):
        with Gateway(self.cfg(hide_credentials=True), env=self.env) as gw:
            doc = self.assert_alice(self.post(gw, "a=1&apikey=k+1%26&b=2", FORM))
            self.assertEqual(doc["body"], "a=1&b=2")
            self.assertEqual(upstream_header(doc, "content-length"), "7")
            doc = self.assert_alice(self.post(gw, '{"a": 1, "apikey": "k 1&", "b": [2]}',
                                              "application/json"))
            self.assertEqual(doc["body"], '{"a":1,"b":[2]}')
            doc = self.assert_alice(self.post(gw, multipart(("a", "1"), ("apikey", "k 1&"),
                                                            ("b", "2")), MP))
            self.assertEqual(doc["body"], multipart(("a", "1"), ("b", "2")))
            # the key in a header: the body field of that name goes too
            doc = self.assert_alice(self.post(gw, "apikey=other&c=3", FORM,
                                              [("apikey", "k 1&")]))
            self.assertEqual(doc["body"], "c=3")
            self.assertIsNone(upstream_header(doc, "apikey"))

    def test_chunked_becomes_content_length(self):
        with Gateway(self.cfg(hide_credentials=True), env=self.env) as gw, gw.client() as c:
            c.send(build_request("POST", "/x", [("Content-Type", FORM),
                                                ("Transfer-Encoding", "chunked")],
                                 port=gw.port) + chunked("apikey=k+1%26&rest=yes", 5))
            doc = self.assert_alice(c.read_response("POST"))
            self.assertFalse(doc["chunked"])
            self.assertEqual(doc["body"], "rest=yes")
            self.assertEqual(upstream_header(doc, "content-length"), "8")
            # the connection is kept for the next request
            c.send(build_request("POST", "/x", [("Content-Type", FORM)], "apikey=k+1%26",
                                 port=gw.port))
            self.assertEqual(self.assert_alice(c.read_response("POST"))["body"], "")

    def test_expect_continue(self):
        with Gateway(self.cfg(), env=self.env) as gw, gw.client() as c:
            c.send(build_request("POST", "/x", [("Content-Type", FORM), ("Content-Length", "13"),
                                                ("Expect", "100-continue")], port=gw.port))
            self.assertEqual(c.read_response(interim=True).status, 100)
            self.assertEqual(self.up.count(), 0)
            c.send(b"apikey=k+1%26")
            doc = self.assert_alice(c.read_response("POST"))
            self.assertEqual(doc["body"], "apikey=k+1%26")
            self.assertIsNone(upstream_header(doc, "expect"))

    def test_body_over_the_buffer(self):
        big = "apikey=k+1%26&pad=" + "x" * 2000
        with Gateway(self.cfg(), env=self.env) as gw:
            # known too large from Content-Length: nothing is read
            r = self.post(gw, big, FORM)
            self.assertKongError(r, 400, "Cannot process request body")
            # chunked: found while reading; the rest is unread, the connection closes
            with gw.client() as c:
                c.send(build_request("POST", "/x", [("Content-Type", FORM),
                                                    ("Transfer-Encoding", "chunked")],
                                     port=gw.port) + chunked(big, 300))
                r = c.read_response("POST")
                self.assertKongError(r, 400, "Cannot process request body")
                self.assertTrue(c.is_closed())
            self.assertEqual(self.up.count(), 0)
            # just under the cap is read
            ok = "apikey=k+1%26&pad=" + "x" * (1024 - 18)
            self.assert_alice(self.post(gw, ok, FORM))

    def test_client_stops_mid_body(self):
        with Gateway(self.cfg(), env=self.env) as gw, gw.client(timeout=5) as c:
            c.send(build_request("POST", "/x", [("Content-Type", FORM), ("Content-Length", "100")],
                                 port=gw.port) + b"apikey=k")
            t0 = time.monotonic()
            r = c.read_response("POST")
            self.assertEqual(r.status, 408)
            self.assertLess(time.monotonic() - t0, 3)
            self.assertTrue(c.is_closed())
            self.assertEqual(self.up.count(), 0)
        with Gateway(self.cfg(), env=self.env) as gw:
            # a client that goes away mid-body: nothing reaches the upstream, the gateway lives
            with gw.client() as c:
                c.send(build_request("POST", "/x", [("Content-Type", FORM),
                                                    ("Content-Length", "100")],
                                     port=gw.port) + b"apikey=k")
            time.sleep(0.2)
            self.assert_alice(self.post(gw, "apikey=k+1%26", FORM))
            self.assertEqual(self.up.count(), 1)


class TestKeyAuthConfig(unittest.TestCase):
    def doc(self, plugin, **top):
        d = config(services=[service("s", "http://127.0.0.1:9", [route("r", ["/"])])])
        d["plugins"] = [plugin]
        d.update(top)
        return d

    def test_valid(self):
        rc, err = check_config(self.doc(ka(key_names=["a", "b_c"], hide_credentials=True,
                                           anonymous="x", realm="r", key_in_body=True)))
        self.assertEqual(rc, 0, err)

    def test_errors(self):
        for conf, message in [
            ({"key_names": ["bad name"]}, "bad header name 'bad name', allowed characters "
                                          "are A-Z, a-z, 0-9, '_', and '-'"),
            ({"key_names": []}, "length must be at least 1"),
            ({"key_names": "apikey"}, "expected an array"),
            ({"key_in_body": "yes"}, "expected a boolean"),
            ({"hide_credentials": "yes"}, "expected a boolean"),
            ({"anonymous": ["a"]}, "expected a string"),
            ({"bogus": 1}, "unknown field"),
        ]:
            rc, err = check_config(self.doc(ka(**conf)))
            self.assertEqual(rc, 1, conf)
            self.assertRegex(err, r"kong\.yml:\d+:\d+: " + re.escape(message), conf)

    def test_duplicate_key(self):
        doc = self.doc(ka(), consumers=[
            {"username": "a", "keyauth_credentials": [{"key": "same"}]},
            {"username": "b", "keyauth_credentials": [{"key": "same"}]}])
        rc, err = check_config(doc)
        self.assertEqual(rc, 1)
        self.assertRegex(err, r"kong\.yml:\d+:\d+: uniqueness violation: 'keyauth_credentials' "
                              r"entity with key set to 'same' already declared")

    def test_consumer_scope_refused(self):
        doc = self.doc({"name": "key-auth", "consumer": "a"}, consumers=[{"username": "a"}])
        rc, err = check_config(doc)
        self.assertEqual(rc, 1)
        # the `consumer` field of the plugin, at its line and column
        line = [i for i, l in enumerate(to_lines(doc), 1) if re.search(r"consumer: \W?a", l)][0]
        self.assertRegex(err, r"kong\.yml:%d:\d+: value must be null \(plugin 'key-auth' "
                              r"cannot be scoped to a consumer\)" % line)
        nested = self.doc({"name": "request-termination"},
                          consumers=[{"username": "a", "plugins": [{"name": "key-auth"}]}])
        rc, err = check_config(nested)
        self.assertEqual(rc, 1)
        self.assertRegex(err, r"kong\.yml:\d+:\d+: consumer: value must be null")


def to_lines(doc):
    from harness import to_yaml
    return to_yaml(doc).splitlines()


if __name__ == "__main__":
    unittest.main()
