"""Router: matching, priority, strip_path, preserve_host, normalization and router errors
(kong-compat.md 3.1-3.5, 3.8)."""

import unittest

from harness import (CT_JSON, MSG_HTTPS, MSG_NO_ROUTE, MSG_NO_SERVICE, Gateway, GatewayTestCase,
                     config, doc_header, route, service)
from upstream import Upstream


class RoutingBase(GatewayTestCase):
    @classmethod
    def setUpClass(cls):
        cls.up = Upstream().start()

    @classmethod
    def tearDownClass(cls):
        cls.up.stop()

    def svc(self, name, path="", routes=(), **fields):
        """A service on the stub; its path tells the test which service answered."""
        return service(name, self.up.url + path, routes, **fields)

    def upstream_path(self, gw, path, **kw):
        """Path (request target) the upstream received for GET path."""
        r, doc = gw.echo(path, **kw)
        return doc["path"]

    def assertNoRoute(self, gw, path, **kw):
        r = gw.request(kw.pop("method", "GET"), path, **kw)
        self.assertKongError(r, 404, MSG_NO_ROUTE, "json")


class TestPaths(RoutingBase):
    def test_prefix_route_matches_by_prefix_not_segment(self):
        cfg = config(services=[self.svc("s", "", [route("r", ["/api"], strip_path=False)])])
        with Gateway(cfg) as gw:
            self.assertEqual(self.upstream_path(gw, "/api"), "/api")
            self.assertEqual(self.upstream_path(gw, "/api/x/y"), "/api/x/y")
            self.assertEqual(self.upstream_path(gw, "/apix"), "/apix")
            self.assertNoRoute(gw, "/ap")
            self.assertNoRoute(gw, "/")
            self.assertNoRoute(gw, "/v1/api")

    def test_prefix_with_regex_metacharacters_is_literal(self):
        # in a 3.0 file a path is a regex only when it starts with "~"
        cfg = config(services=[self.svc("s", "", [route("r", ["/a.b"], strip_path=False)])])
        with Gateway(cfg) as gw:
            self.assertEqual(self.upstream_path(gw, "/a.b/c"), "/a.b/c")
            self.assertNoRoute(gw, "/axb")

    def test_regex_route_anchored_at_start_only(self):
        cfg = config(services=[self.svc("s", "", [
            route("r1", [r"~/users/\d+$"], strip_path=False),
            route("r2", [r"~/v[0-9]+/items"], strip_path=False),
        ])])
        with Gateway(cfg) as gw:
            self.assertEqual(self.upstream_path(gw, "/users/42"), "/users/42")
            self.assertNoRoute(gw, "/users/abc")
            self.assertNoRoute(gw, "/users/42/x")
            self.assertNoRoute(gw, "/x/users/42")
            self.assertEqual(self.upstream_path(gw, "/v12/items/extra"), "/v12/items/extra")
            self.assertNoRoute(gw, "/api/v12/items")

    def test_regex_named_groups_are_accepted(self):
        cfg = config(services=[self.svc("s", "", [
            route("r", [r"~/orders/(?<id>\d+)/lines/(?<line>\d+)$"], strip_path=False)])])
        with Gateway(cfg) as gw:
            self.assertEqual(self.upstream_path(gw, "/orders/7/lines/3"), "/orders/7/lines/3")
            self.assertNoRoute(gw, "/orders/7/lines/x")

    def test_paths_are_case_sensitive(self):
        cfg = config(services=[self.svc("s", "", [
            route("p", ["/api"], strip_path=False),
            route("x", [r"~/users/\d+$"], strip_path=False)])])
        with Gateway(cfg) as gw:
            self.assertNoRoute(gw, "/API")
            self.assertNoRoute(gw, "/Users/1")

    def test_query_string_not_part_of_path_match(self):
        cfg = config(services=[self.svc("s", "", [
            route("p", ["/q"], strip_path=False),
            route("x", [r"~/s$"], strip_path=False)])])
        with Gateway(cfg) as gw:
            self.assertNoRoute(gw, "/x?/q")
            self.assertEqual(self.upstream_path(gw, "/s?x=1"), "/s?x=1")
            self.assertNoRoute(gw, "/x?y=/s")

    def test_several_paths_are_alternatives(self):
        cfg = config(services=[self.svc("s", "", [
            route("r", ["/one", "/two", r"~/three/\d+"], strip_path=False)])])
        with Gateway(cfg) as gw:
            for p in ("/one", "/two/x", "/three/3"):
                self.assertEqual(self.upstream_path(gw, p), p)
            self.assertNoRoute(gw, "/four")

    def test_query_string_forwarded_unchanged(self):
        cfg = config(services=[self.svc("s", "", [route("r", ["/q"], strip_path=False)])])
        with Gateway(cfg) as gw:
            for target in ("/q?x=1&y=%2F&z=a+b", "/q/p?a=%zz&b=%41&c", "/q?",
                           "/q?redirect=/a/../b//c", "/q?a=1?b=2"):
                self.assertEqual(self.upstream_path(gw, target), target)

    def test_query_string_kept_when_stripping(self):
        cfg = config(services=[self.svc("s", "/base", [route("r", ["/q"], strip_path=True)])])
        with Gateway(cfg) as gw:
            self.assertEqual(self.upstream_path(gw, "/q/x?a=1&b=%2F"), "/base/x?a=1&b=%2F")
            self.assertEqual(self.upstream_path(gw, "/q?a=1"), "/base?a=1")


class TestHosts(RoutingBase):
    def test_exact_host(self):
        cfg = config(services=[self.svc("s", "", [
            route("r", hosts=["api.example.com"], strip_path=False)])])
        with Gateway(cfg) as gw:
            self.assertEqual(self.upstream_path(gw, "/x", host="api.example.com"), "/x")
            # the port of the Host header is ignored by a host entry without port
            self.assertEqual(self.upstream_path(gw, "/x", host="api.example.com:8080"), "/x")
            self.assertNoRoute(gw, "/x", host="other.example.com")
            self.assertNoRoute(gw, "/x", host="api.example.com.evil")
            self.assertNoRoute(gw, "/x", host="xapi.example.com")

    def test_wildcard_hosts(self):
        cfg = config(services=[
            self.svc("left", "/left", [route("r1", hosts=["*.example.com"], strip_path=False)]),
            self.svc("right", "/right", [route("r2", hosts=["shop.*"], strip_path=False)]),
        ])
        with Gateway(cfg) as gw:
            self.assertEqual(self.upstream_path(gw, "/p", host="a.example.com"), "/left/p")
            self.assertEqual(self.upstream_path(gw, "/p", host="a.b.example.com"), "/left/p")
            self.assertNoRoute(gw, "/p", host="example.com")
            self.assertNoRoute(gw, "/p", host="a.example.org")
            self.assertEqual(self.upstream_path(gw, "/p", host="shop.example.org"), "/right/p")
            self.assertEqual(self.upstream_path(gw, "/p", host="shop.io:81"), "/right/p")
            self.assertNoRoute(gw, "/p", host="myshop.io")

    def test_host_with_port(self):
        cfg = lambda gwport: config(services=[
            self.svc("a", "/a", [route("r1", hosts=["api.example.com:9999"], strip_path=False)]),
            self.svc("b", "/b", [route("r2", hosts=["local.example.com:%d" % gwport],
                                       strip_path=False)]),
        ])
        gw = Gateway(cfg(0))
        gw.write_config(cfg(gw.port))
        with gw:
            self.assertEqual(self.upstream_path(gw, "/p", host="api.example.com:9999"), "/a/p")
            self.assertNoRoute(gw, "/p", host="api.example.com:1234")
            # no port in Host: the listening port is compared instead
            self.assertNoRoute(gw, "/p", host="api.example.com")
            self.assertEqual(self.upstream_path(gw, "/p", host="local.example.com"), "/b/p")
            self.assertEqual(self.upstream_path(gw, "/p", host="local.example.com:%d" % gw.port),
                             "/b/p")
            self.assertNoRoute(gw, "/p", host="local.example.com:1")


class TestMethodsAndHeaders(RoutingBase):
    def test_methods(self):
        cfg = config(services=[self.svc("s", "", [
            route("r", ["/m"], methods=["GET", "POST"], strip_path=False)])])
        with Gateway(cfg) as gw:
            r, doc = gw.echo("/m", method="GET")
            self.assertEqual(doc["method"], "GET")
            r, doc = gw.echo("/m", method="POST", body="x")
            self.assertEqual(doc["method"], "POST")
            self.assertEqual(doc["body"], "x")
            self.assertNoRoute(gw, "/m", method="DELETE")
            self.assertNoRoute(gw, "/m", method="PATCH")
            r = gw.request("HEAD", "/m")
            self.assertEqual((r.status, r.body), (404, b""))

    def test_headers_exact_values_case_insensitive(self):
        cfg = config(services=[self.svc("s", "", [
            route("r", ["/h"], headers={"x-version": ["v1", "V2"]}, strip_path=False)])])
        with Gateway(cfg) as gw:
            self.assertEqual(self.upstream_path(gw, "/h", headers=[("X-Version", "v1")]), "/h")
            self.assertEqual(self.upstream_path(gw, "/h", headers=[("x-VERSION", "V1")]), "/h")
            self.assertEqual(self.upstream_path(gw, "/h", headers=[("X-Version", "v2")]), "/h")
            self.assertNoRoute(gw, "/h", headers=[("X-Version", "v3")])
            self.assertNoRoute(gw, "/h")

    def test_headers_regex_value_and_all_names_required(self):
        cfg = config(services=[self.svc("s", "", [
            route("r", ["/h"], headers={"x-channel": [r"~*^beta-\d+$"], "x-region": ["eu"]},
                  strip_path=False)])])
        with Gateway(cfg) as gw:
            ok = [("X-Channel", "beta-12"), ("X-Region", "eu")]
            self.assertEqual(self.upstream_path(gw, "/h", headers=ok), "/h")
            self.assertEqual(self.upstream_path(gw, "/h", headers=[("X-Channel", "BETA-3"),
                                                                   ("X-Region", "EU")]), "/h")
            self.assertNoRoute(gw, "/h", headers=[("X-Channel", "beta-x"), ("X-Region", "eu")])
            self.assertNoRoute(gw, "/h", headers=[("X-Channel", "beta-12")])


class TestPriority(RoutingBase):
    """Which route wins (kong-compat 3.3).  Each service has its own path, so the path the
    upstream receives names the winner."""

    def test_regex_beats_prefix(self):
        cfg = config(services=[
            self.svc("prefix", "/P", [route("p", ["/items/5"], strip_path=False)]),
            self.svc("regex", "/R", [route("x", [r"~/items/\d+"], strip_path=False)]),
        ])
        with Gateway(cfg) as gw:
            self.assertEqual(self.upstream_path(gw, "/items/5"), "/R/items/5")
            self.assertEqual(self.upstream_path(gw, "/items/5x"), "/R/items/5x")
            self.assertNoRoute(gw, "/items/x")

    def test_longer_prefix_wins(self):
        cfg = config(services=[
            self.svc("short", "/S", [route("s", ["/a"], strip_path=False)]),
            self.svc("long", "/L", [route("l", ["/a/b"], strip_path=False)]),
        ])
        with Gateway(cfg) as gw:
            self.assertEqual(self.upstream_path(gw, "/a/b/c"), "/L/a/b/c")
            self.assertEqual(self.upstream_path(gw, "/a/b"), "/L/a/b")
            self.assertEqual(self.upstream_path(gw, "/a/c"), "/S/a/c")
            self.assertEqual(self.upstream_path(gw, "/a"), "/S/a")

    def test_more_fields_win_over_longer_path(self):
        cfg = config(services=[
            self.svc("pathonly", "/P", [route("p", ["/x/very/long/path"], strip_path=False)]),
            self.svc("hostpath", "/H", [route("h", ["/x"], hosts=["h.example"],
                                              strip_path=False)]),
            self.svc("methpath", "/M", [route("m", ["/x"], methods=["PUT"], strip_path=False)]),
        ])
        with Gateway(cfg) as gw:
            self.assertEqual(self.upstream_path(gw, "/x/very/long/path", host="h.example"),
                             "/H/x/very/long/path")
            self.assertEqual(self.upstream_path(gw, "/x/very/long/path"), "/P/x/very/long/path")
            r, doc = gw.echo("/x/very/long/path", method="PUT", body="")
            self.assertEqual(doc["path"], "/M/x/very/long/path")
            self.assertNoRoute(gw, "/x/other")

    def test_route_with_methods_falls_back_to_route_without(self):
        cfg = config(services=[
            self.svc("get", "/G", [route("g", ["/x"], methods=["GET"], strip_path=False)]),
            self.svc("any", "/A", [route("a", ["/x"], strip_path=False)]),
        ])
        with Gateway(cfg) as gw:
            self.assertEqual(self.upstream_path(gw, "/x"), "/G/x")
            r, doc = gw.echo("/x", method="POST", body="b")
            self.assertEqual(doc["path"], "/A/x")

    def test_header_route_wins_when_header_present(self):
        cfg = config(services=[
            self.svc("plain", "/P", [route("p", ["/v"], strip_path=False)]),
            self.svc("canary", "/C", [route("c", ["/v"], headers={"x-canary": ["yes"]},
                                            strip_path=False)]),
        ])
        with Gateway(cfg) as gw:
            self.assertEqual(self.upstream_path(gw, "/v", headers=[("X-Canary", "yes")]),
                             "/C/v")
            self.assertEqual(self.upstream_path(gw, "/v", headers=[("X-Canary", "no")]), "/P/v")
            self.assertEqual(self.upstream_path(gw, "/v"), "/P/v")

    def test_regex_priority_orders_regex_routes(self):
        def cfg(p1, p2):
            return config(services=[
                self.svc("one", "/1", [route("r1", [r"~/r/\d+"], regex_priority=p1,
                                             strip_path=False)]),
                self.svc("two", "/2", [route("r2", [r"~/r/"], regex_priority=p2,
                                             strip_path=False)]),
            ])
        with Gateway(cfg(0, 10)) as gw:
            self.assertEqual(self.upstream_path(gw, "/r/5"), "/2/r/5")
        with Gateway(cfg(10, 0)) as gw:
            self.assertEqual(self.upstream_path(gw, "/r/5"), "/1/r/5")
            self.assertEqual(self.upstream_path(gw, "/r/x"), "/2/r/x")

    def test_plain_host_beats_wildcard_host(self):
        cfg = config(services=[
            self.svc("wild", "/W", [route("w", ["/p"], hosts=["*.ex.com"], strip_path=False)]),
            self.svc("plain", "/E", [route("e", ["/p"], hosts=["a.ex.com"], strip_path=False)]),
        ])
        with Gateway(cfg) as gw:
            self.assertEqual(self.upstream_path(gw, "/p", host="a.ex.com"), "/E/p")
            self.assertEqual(self.upstream_path(gw, "/p", host="b.ex.com"), "/W/p")

    def test_more_header_names_win(self):
        cfg = config(services=[
            self.svc("one", "/1", [route("h1", ["/h"], headers={"x-a": ["1"]},
                                         strip_path=False)]),
            self.svc("two", "/2", [route("h2", ["/h"], headers={"x-a": ["1"], "x-b": ["2"]},
                                         strip_path=False)]),
        ])
        with Gateway(cfg) as gw:
            self.assertEqual(self.upstream_path(gw, "/h", headers=[("X-A", "1"), ("X-B", "2")]),
                             "/2/h")
            self.assertEqual(self.upstream_path(gw, "/h", headers=[("X-A", "1")]), "/1/h")


# kong-compat.md 3.4 (path_handling v0): (service path, route path, strip, request, upstream).
# service path None = no path in the url; route path None = a host-only route.
STRIP_TABLE = [
    ("/", "/route", True, "/route", "/"),
    ("/", "/route", True, "/route/", "/"),
    ("/", "/route", True, "/routereq", "/req"),
    ("/", "/route/", True, "/route/req", "/req"),
    ("/", "/route", False, "/routereq", "/routereq"),
    ("/srv", "/rou", False, "/roureq", "/srv/roureq"),
    ("/srv", "/rou", True, "/roureq", "/srv/req"),
    ("/srv/", "/rou", True, "/rou", "/srv"),
    ("/service", "/", True, "/", "/service"),
    ("/service", "/", False, "/", "/service"),
    ("/service", "/", True, "/route/", "/service/route/"),
    ("/service", "/", False, "/route/", "/service/route/"),
    ("/service", "/route", True, "/route", "/service"),
    ("/service", "/route", True, "/route/", "/service/"),
    ("/service/", "/route", True, "/route", "/service"),
    ("/service/", "/route/", True, "/route/req", "/service/req"),
    ("/service/", "/", True, "/", "/service/"),
    ("/service/", "/", False, "/", "/service/"),
    ("/service", "/route", True, "/route%2E%2E/req", "/service/req"),
    ("/service", "/route", False, "/route%2E/req", "/service/route./req"),
    ("/service", None, True, "/route", "/service/route"),
    ("/service", None, False, "/route", "/service/route"),
    # derived from the rules (not in Kong's table)
    (None, "/route", True, "/route", "/"),
    (None, "/route", True, "/route/x", "/x"),
    (None, "/route", False, "/route/x", "/route/x"),
    ("/srv", "/rou", True, "/rou/", "/srv/"),
    ("/srv/", "/rou", True, "/rou/", "/srv/"),
    ("/srv/", "/rou", True, "/rou/x", "/srv/x"),
    ("/srv/", "/rou", False, "/rou/x", "/srv/rou/x"),
    ("/srv", "/rou", False, "/rou", "/srv/rou"),
]


class TestStripPath(RoutingBase):
    def test_kong_strip_path_table(self):
        services = []
        for i, (spath, rpath, strip, _, _) in enumerate(STRIP_TABLE):
            fields = {"hosts": ["row%d.test" % i], "strip_path": strip}
            if rpath is not None:
                fields["paths"] = [rpath]
            services.append(self.svc("s%d" % i, spath or "", [route("r%d" % i, **fields)]))
        with Gateway(config(services=services)) as gw:
            failures = []
            for i, (spath, rpath, strip, req, want) in enumerate(STRIP_TABLE):
                r = gw.request("GET", req, host="row%d.test" % i)
                got = r.json()["path"] if r.status == 200 else "HTTP %d" % r.status
                if got != want:
                    failures.append("service %r route %r strip %s: %s -> %s, expected %s"
                                    % (spath, rpath, strip, req, got, want))
            self.assertEqual(failures, [])

    def test_strip_path_default_is_true(self):
        cfg = config(services=[self.svc("s", "/base", [route("r", ["/pfx"])])])
        with Gateway(cfg) as gw:
            r, doc = gw.echo("/pfx/rest")
            self.assertEqual(doc["path"], "/base/rest")
            self.assertEqual(doc_header(doc, "X-Forwarded-Prefix"), "/pfx")

    def test_regex_strip_removes_whole_match(self):
        cfg = config(services=[self.svc("s", "/", [
            route("r", [r"~/api/v\d+"], strip_path=True)])])
        with Gateway(cfg) as gw:
            r, doc = gw.echo("/api/v2/users?id=1")
            self.assertEqual(doc["path"], "/users?id=1")
            self.assertEqual(doc_header(doc, "X-Forwarded-Prefix"), "/api/v2")

    def test_forwarded_prefix_only_when_something_stripped(self):
        cfg = config(services=[
            self.svc("a", "", [route("strip", ["/s"], strip_path=True)]),
            self.svc("b", "", [route("keep", ["/k"], strip_path=False)]),
            self.svc("c", "/root", [route("slash", ["/"], strip_path=True)]),
        ])
        with Gateway(cfg) as gw:
            r, doc = gw.echo("/s/x")
            self.assertEqual(doc["path"], "/x")
            self.assertEqual(doc_header(doc, "X-Forwarded-Prefix"), "/s")
            r, doc = gw.echo("/k/x")
            self.assertEqual(doc["path"], "/k/x")
            self.assertIsNone(doc_header(doc, "X-Forwarded-Prefix"))
            r, doc = gw.echo("/other")
            self.assertEqual(doc["path"], "/root/other")
            self.assertIsNone(doc_header(doc, "X-Forwarded-Prefix"))


class TestPreserveHost(RoutingBase):
    def test_preserve_host_false_sends_target_host(self):
        cfg = config(services=[self.svc("s", "", [route("r", ["/"], strip_path=False)])])
        with Gateway(cfg) as gw:
            r, doc = gw.echo("/", host="Client.Example:1234")
            self.assertEqual(doc_header(doc, "Host"), "127.0.0.1:%d" % self.up.port)

    def test_preserve_host_true_sends_client_host_verbatim(self):
        cfg = config(services=[self.svc("s", "", [route("r", ["/"], strip_path=False,
                                                        preserve_host=True)])])
        with Gateway(cfg) as gw:
            r, doc = gw.echo("/", host="Client.Example:1234")
            self.assertEqual([v for k, v in doc["headers"] if k.lower() == "host"],
                             ["Client.Example:1234"])


class TestNormalization(RoutingBase):
    def cfg(self):
        return config(services=[
            self.svc("products", "", [route("p", ["/products"], strip_path=False)]),
            self.svc("users", "/U", [route("u", ["/users"], strip_path=False)]),
        ])

    def test_dot_segments_resolved_before_matching(self):
        with Gateway(self.cfg()) as gw:
            self.assertEqual(self.upstream_path(gw, "/users/../products"), "/products")
            self.assertEqual(self.upstream_path(gw, "/users/%2e%2e/products"), "/products")
            self.assertEqual(self.upstream_path(gw, "/users/%2E%2E/products/1"), "/products/1")
            self.assertEqual(self.upstream_path(gw, "/products/./a/./b"), "/products/a/b")
            self.assertEqual(self.upstream_path(gw, "/../../products"), "/products")
            self.assertEqual(self.upstream_path(gw, "/x/y/../../products/z"), "/products/z")

    def test_dot_segments_cannot_escape_a_route(self):
        with Gateway(self.cfg()) as gw:
            self.assertNoRoute(gw, "/products/../admin")
            self.assertNoRoute(gw, "/products/%2e%2e/admin")

    def test_slashes_merged(self):
        with Gateway(self.cfg()) as gw:
            self.assertEqual(self.upstream_path(gw, "//products"), "/products")
            self.assertEqual(self.upstream_path(gw, "/products//a///b"), "/products/a/b")

    def test_percent_decoding_and_reescaping(self):
        with Gateway(self.cfg()) as gw:
            # unreserved characters are decoded
            self.assertEqual(self.upstream_path(gw, "/%70roducts/%41bc"), "/products/Abc")
            # reserved characters stay encoded, upper-cased
            self.assertEqual(self.upstream_path(gw, "/products/a%2fb"), "/products/a%2Fb")
            self.assertEqual(self.upstream_path(gw, "/products/a%3Fb"), "/products/a%3Fb")
            # other bytes are decoded then re-escaped with upper-case hex
            self.assertEqual(self.upstream_path(gw, "/products/a%20b"), "/products/a%20b")
            self.assertEqual(self.upstream_path(gw, "/products/%c3%a9"), "/products/%C3%A9")

    def test_raw_utf8_in_path_accepted_and_escaped(self):
        # nginx (so Kong) accepts bytes >= 0x80 in the request target; the path sent
        # upstream is re-escaped (kong-compat 3.1)
        with Gateway(self.cfg()) as gw:
            self.assertEqual(self.upstream_path(gw, "/products/caf\xc3\xa9"),
                             "/products/caf%C3%A9")

    def test_encoded_slash_does_not_match_prefix(self):
        with Gateway(self.cfg()) as gw:
            # %2F is reserved: kept encoded, so "/users%2Fx" is not "/users/x" - but it
            # still starts with "/users"
            self.assertEqual(self.upstream_path(gw, "/users%2Fx"), "/U/users%2Fx")
            self.assertNoRoute(gw, "/%2Fproducts")


class TestRouterErrors(RoutingBase):
    def test_404_json_by_default(self):
        cfg = config(services=[self.svc("s", "", [route("r", ["/only"])])])
        with Gateway(cfg) as gw:
            r = gw.get("/nope")
            rid = self.assertKongError(r, 404, MSG_NO_ROUTE, "json")
            self.assertEqual(r.reason, "Not Found")
            self.assertEqual(r.header("connection"), "keep-alive")
            self.assertEqual(self.up.count(), 0)
            # a second 404 gets a new id
            self.assertNotEqual(self.assertKongError(gw.get("/nope"), 404, MSG_NO_ROUTE), rid)

    def test_404_formats_by_accept(self):
        with Gateway(config()) as gw:
            cases = [
                ("text/plain", "text"),
                ("text/html", "html"),
                ("application/xml", "xml"),
                ("application/json", "json"),
                ("*/*", "json"),
                ("image/png", "json"),
                ("text/html;q=0.5, text/plain", "text"),
                ("application/json;q=0.1, application/xml;q=0.9", "xml"),
                ("text/plain;q=0, text/html", "html"),
            ]
            for accept, fmt in cases:
                with self.subTest(accept=accept):
                    r = gw.get("/x", headers=[("Accept", accept)])
                    self.assertKongError(r, 404, MSG_NO_ROUTE, fmt)

    def test_404_json_regardless_of_error_default_type(self):
        # error_default_type is for nginx-level errors; kong.response.error defaults to JSON
        with Gateway(config(), env={"KONG_ERROR_DEFAULT_TYPE": "text/html"}) as gw:
            self.assertKongError(gw.get("/x"), 404, MSG_NO_ROUTE, "json")

    def test_404_ignores_request_content_type(self):
        # kong.response.error formats by Accept only; the Content-Type fallback is for
        # nginx-level errors
        with Gateway(config()) as gw:
            r = gw.request("POST", "/x", headers=[("Content-Type", "text/plain")], body="hi")
            self.assertKongError(r, 404, MSG_NO_ROUTE, "json")

    def test_404_keeps_connection_usable(self):
        cfg = config(services=[self.svc("s", "", [route("r", ["/ok"], strip_path=False)])])
        with Gateway(cfg) as gw, gw.client() as c:
            self.assertKongError(c.request("GET", "/nope"), 404, MSG_NO_ROUTE)
            self.assertKongError(c.request("GET", "/nope2"), 404, MSG_NO_ROUTE)
            r = c.request("GET", "/ok")
            self.assertEqual(r.status, 200)
            self.assertEqual(r.json()["path"], "/ok")

    def test_404_with_request_body_keeps_connection_usable(self):
        # nginx discards the unread body of a request it answered early and keeps the
        # connection alive
        cfg = config(services=[self.svc("s", "", [route("r", ["/ok"], strip_path=False)])])
        with Gateway(cfg) as gw, gw.client() as c:
            r = c.request("POST", "/nope", body="abc")
            self.assertKongError(r, 404, MSG_NO_ROUTE)
            self.assertEqual(r.header("connection"), "keep-alive")
            r = c.request("GET", "/ok")
            self.assertEqual(r.json()["path"], "/ok")

    def test_head_404_has_no_body(self):
        with Gateway(config()) as gw, gw.client() as c:
            r = c.request("HEAD", "/x")
            self.assertEqual(r.status, 404)
            self.assertEqual(r.body, b"")
            self.assertEqual(r.header("content-type"), CT_JSON)
            r = c.request("GET", "/y")  # nothing left over on the connection
            self.assertKongError(r, 404, MSG_NO_ROUTE)

    def test_disabled_service_routes_are_not_routed(self):
        cfg = config(services=[
            self.svc("off", "/off", [route("r1", ["/a"], strip_path=False)], enabled=False),
            self.svc("on", "/on", [route("r2", ["/b"], strip_path=False)]),
        ])
        with Gateway(cfg) as gw:
            self.assertNoRoute(gw, "/a")
            self.assertEqual(self.upstream_path(gw, "/b"), "/on/b")

    def test_disabled_service_falls_back_to_other_route(self):
        cfg = config(services=[
            self.svc("off", "/off", [route("r1", ["/a/b"], strip_path=False)], enabled=False),
            self.svc("on", "/on", [route("r2", ["/a"], strip_path=False)]),
        ])
        with Gateway(cfg) as gw:
            self.assertEqual(self.upstream_path(gw, "/a/b"), "/on/a/b")

    def test_route_without_service_503(self):
        cfg = config(routes=[route("lonely", ["/nosvc"])],
                     services=[self.svc("s", "", [route("r", ["/ok"])])])
        with Gateway(cfg) as gw:
            r = gw.get("/nosvc/x")
            self.assertKongError(r, 503, MSG_NO_SERVICE, "json")
            r = gw.get("/nosvc", headers=[("Accept", "text/plain")])
            self.assertKongError(r, 503, MSG_NO_SERVICE, "text")
            self.assertEqual(self.up.count(), 0)

    def test_https_only_route_426(self):
        cfg = config(services=[self.svc("s", "", [
            route("secure", ["/secure"], protocols=["https"]),
            route("open", ["/open"], strip_path=False)])])
        with Gateway(cfg) as gw:
            r = gw.get("/secure/x")
            self.assertKongError(r, 426, MSG_HTTPS, "json")
            self.assertEqual(r.header("upgrade"), "TLS/1.2, HTTP/1.1")
            self.assertEqual(r.header("connection"), "Upgrade")
            r = gw.get("/secure", headers=[("Accept", "text/plain")])
            self.assertKongError(r, 426, MSG_HTTPS, "text")
            self.assertEqual(self.up.count(), 0)
            self.assertEqual(self.upstream_path(gw, "/open"), "/open")

    def test_https_redirect_status_code(self):
        cfg = config(services=[self.svc("s", "", [
            route("secure", ["/secure"], protocols=["https"], https_redirect_status_code=301)])])
        with Gateway(cfg) as gw:
            r = gw.get("/secure/x?a=1", host="Shop.Example:%d" % gw.port)
            self.assertEqual(r.status, 301, r)
            self.assertEqual(r.header("location"), "https://shop.example/secure/x?a=1")
            self.assertEqual(r.body, b"")
            self.assertEqual(self.up.count(), 0)

    def setUp(self):
        self.up.clear()


if __name__ == "__main__":
    unittest.main()
