"""rate-limiting (kong-compat.md 4.1): Kong's headers, 429 and Retry-After, every limit_by,
scoping, exact local counting across workers and connections, the Redis policy against a
real redis-server (synchronous and batched, two gateways sharing a limit, Redis killed or
silent under both fault_tolerant settings), sluice's token-bucket mode, and config errors."""

import concurrent.futures
import hashlib
import re
import socket
import threading
import time
import unittest

from harness import Gateway, UpstreamTestCase, check_config, config, route, service
from redis_server import RedisServer, have_redis

CT_JSON = "application/json; charset=utf-8"
MESSAGE = "API rate limit exceeded"


def rl(**conf):
    return {"name": "rate-limiting", "config": conf}


def one_route(up, plugins, paths=("/",)):
    return config(services=[service("s", up.url, [route("r", list(paths), strip_path=False,
                                                        plugins=plugins)])])


class RateLimitCase(UpstreamTestCase):
    def statuses(self, gw, n, path="/", headers=()):
        return [gw.request("GET", path, headers).status for _ in range(n)]


class TestHeadersAndMessage(RateLimitCase):
    def test_headers_count_down_then_429(self):
        with Gateway(one_route(self.up, [rl(hour=3)])) as gw:
            for expect in (2, 1, 0):
                r = gw.get("/")
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.header("x-ratelimit-limit-hour"), "3")
                self.assertEqual(r.header("x-ratelimit-remaining-hour"), str(expect))
                self.assertEqual(r.header("ratelimit-limit"), "3")
                self.assertEqual(r.header("ratelimit-remaining"), str(expect))
                reset = int(r.header("ratelimit-reset"))
                self.assertTrue(1 <= reset <= 3600, reset)
                self.assertIsNone(r.header("retry-after"))
            r = gw.get("/")
            self.assertKongError(r, 429, MESSAGE)
            self.assertEqual(r.header("x-ratelimit-remaining-hour"), "0")
            self.assertEqual(r.header("ratelimit-remaining"), "0")
            self.assertEqual(r.header("retry-after"), r.header("ratelimit-reset"))
            self.assertEqual(self.up.count(), 3)
            # Accept negotiates the error format, as kong.response.error does
            r = gw.get("/", headers=[("Accept", "text/plain")])
            self.assertKongError(r, 429, MESSAGE, fmt="text")

    def test_most_restrictive_window_gives_ratelimit_headers(self):
        with Gateway(one_route(self.up, [rl(minute=3, day=50)])) as gw:
            r = gw.get("/")
            self.assertEqual(r.header("x-ratelimit-limit-minute"), "3")
            self.assertEqual(r.header("x-ratelimit-remaining-minute"), "2")
            self.assertEqual(r.header("x-ratelimit-limit-day"), "50")
            self.assertEqual(r.header("x-ratelimit-remaining-day"), "49")
            self.assertEqual(r.header("ratelimit-limit"), "3")
            self.assertEqual(r.header("ratelimit-remaining"), "2")
            self.assertTrue(1 <= int(r.header("ratelimit-reset")) <= 60)
            gw.get("/")
            gw.get("/")
            r = gw.get("/")
            self.assertEqual(r.status, 429)
            # only the exceeded window shows the decrement
            self.assertEqual(r.header("x-ratelimit-remaining-minute"), "0")
            self.assertEqual(r.header("x-ratelimit-remaining-day"), "47")

    def test_error_code_message_and_hidden_headers(self):
        plugins = [rl(hour=1, error_code=503, error_message="slow down", hide_client_headers=True)]
        with Gateway(one_route(self.up, plugins)) as gw:
            r = gw.get("/")
            self.assertEqual(r.status, 200)
            self.assertFalse([h for h in r.headers if "ratelimit" in h[0].lower()], r.headers)
            r = gw.get("/")
            self.assertKongError(r, 503, "slow down")
            self.assertIsNone(r.header("retry-after"))  # Kong computes it with the headers
            self.assertIsNone(r.header("ratelimit-limit"))

    def test_fractional_limit(self):
        with Gateway(one_route(self.up, [rl(hour=2.5)])) as gw:
            self.assertEqual(self.statuses(gw, 4), [200, 200, 200, 429])


class TestLimitBy(RateLimitCase):
    def test_ip_default_consumer_falls_back_to_ip(self):
        for by in ("consumer", "credential", "ip"):
            with Gateway(one_route(self.up, [rl(hour=2, limit_by=by)])) as gw:
                self.assertEqual(self.statuses(gw, 3), [200, 200, 429], by)

    def test_header(self):
        with Gateway(one_route(self.up, [rl(hour=1, limit_by="header",
                                            header_name="x-tenant")])) as gw:
            self.assertEqual(gw.get("/", [("X-Tenant", "a")]).status, 200)
            self.assertEqual(gw.get("/", [("X-Tenant", "a")]).status, 429)
            self.assertEqual(gw.get("/", [("X-Tenant", "b")]).status, 200)
            # without the header: the client address
            self.assertEqual(gw.get("/").status, 200)
            self.assertEqual(gw.get("/").status, 429)

    def test_path(self):
        doc = one_route(self.up, [rl(hour=1, limit_by="path", path="/a")], paths=["/"])
        with Gateway(doc) as gw:
            self.assertEqual(gw.get("/a").status, 200)
            self.assertEqual(gw.get("/a").status, 429)
            # another path is counted by address, separately
            self.assertEqual(gw.get("/b").status, 200)
            self.assertEqual(gw.get("/c").status, 429)

    def test_service(self):
        doc = config(services=[
            service("s1", self.up.url, [route("a", ["/a"], strip_path=False),
                                        route("b", ["/b"], strip_path=False)]),
            service("s2", self.up.url, [route("c", ["/c"], strip_path=False)]),
        ])
        doc["plugins"] = [rl(hour=2, limit_by="service")]
        with Gateway(doc) as gw:
            self.assertEqual(gw.get("/a").status, 200)
            self.assertEqual(gw.get("/b").status, 200)
            self.assertEqual(gw.get("/a").status, 429)  # one count for the whole service
            self.assertEqual(gw.get("/c").status, 200)


class TestConsumers(RateLimitCase):
    """limit_by consumer / credential after key-auth, and consumer-scoped instances (a
    per-consumer limit overriding the route's), in Kong's lookup order."""

    def doc(self, limit_by="consumer"):
        doc = config(services=[service("s", self.up.url, [
            route("r", ["/"], strip_path=False, plugins=[
                {"name": "key-auth", "config": {}},
                rl(hour=3, limit_by=limit_by),
            ])])])
        doc["consumers"] = [
            {"username": "alice", "keyauth_credentials": [{"key": "ka1"}, {"key": "ka2"}]},
            {"username": "bob", "keyauth_credentials": [{"key": "kb"}],
             "plugins": [rl(hour=1, limit_by=limit_by)]},
        ]
        return doc

    def test_by_consumer_shares_keys_and_consumer_instance_wins(self):
        with Gateway(self.doc()) as gw:
            # alice's two keys count together; bob's own instance allows one an hour
            got = [gw.get("/", [("apikey", k)]).status for k in ("ka1", "ka2", "ka1", "ka2")]
            self.assertEqual(got, [200, 200, 200, 429])
            r = gw.get("/", [("apikey", "kb")])
            self.assertEqual(r.header("x-ratelimit-limit-hour"), "1")
            self.assertEqual(gw.get("/", [("apikey", "kb")]).status, 429)
            # no key: key-auth answers before any counting
            self.assertEqual(gw.get("/").status, 401)

    def test_by_credential(self):
        with Gateway(self.doc("credential")) as gw:
            got = [gw.get("/", [("apikey", k)]).status for k in ("ka1", "ka1", "ka1", "ka1")]
            self.assertEqual(got, [200, 200, 200, 429])
            self.assertEqual(gw.get("/", [("apikey", "ka2")]).status, 200)  # its own count


class TestTrustedProxy(RateLimitCase):
    def test_ip_from_a_trusted_proxy(self):
        env = {"KONG_TRUSTED_IPS": "127.0.0.1", "KONG_REAL_IP_HEADER": "X-Forwarded-For"}
        with Gateway(one_route(self.up, [rl(hour=1, limit_by="ip")]), env=env) as gw:
            self.assertEqual(gw.get("/", [("X-Forwarded-For", "203.0.113.7")]).status, 200)
            self.assertEqual(gw.get("/", [("X-Forwarded-For", "203.0.113.7")]).status, 429)
            self.assertEqual(gw.get("/", [("X-Forwarded-For", "203.0.113.8")]).status, 200)


class TestScoping(RateLimitCase):
    def test_route_instance_beats_global_and_global_counts_are_shared(self):
        doc = config(services=[service("s", self.up.url, [
            route("own", ["/own"], strip_path=False, plugins=[rl(hour=1)]),
            route("x", ["/x"], strip_path=False),
            route("y", ["/y"], strip_path=False),
        ])])
        doc["plugins"] = [rl(hour=3)]
        with Gateway(doc) as gw:
            r = gw.get("/own")
            self.assertEqual(r.header("x-ratelimit-limit-hour"), "1")
            self.assertEqual(gw.get("/own").status, 429)
            # the global instance: one counter for every route it applies to (Kong's key
            # has the plugin's own scope, all zeros here)
            self.assertEqual([gw.get(p).status for p in ("/x", "/y", "/x", "/y")],
                             [200, 200, 200, 429])

    def test_counters_survive_reload(self):
        doc = one_route(self.up, [rl(hour=2)])
        with Gateway(doc) as gw:
            self.assertEqual(gw.get("/").status, 200)
            doc2 = one_route(self.up, [rl(hour=2, day=100)])
            gw.reload(doc2)
            deadline = time.monotonic() + 5
            while gw.get("/").header("x-ratelimit-limit-day") is None:
                self.assertLess(time.monotonic(), deadline, "reload not applied")
                time.sleep(0.05)
            self.assertEqual(gw.get("/").status, 429)


class TestLocalExactness(RateLimitCase):
    def test_exact_across_workers_and_connections(self):
        limit = 25
        with Gateway(one_route(self.up, [rl(hour=limit)]), workers=4) as gw:
            with concurrent.futures.ThreadPoolExecutor(16) as ex:
                statuses = list(ex.map(lambda _: gw.get("/").status, range(100)))
            self.assertEqual(statuses.count(200), limit, statuses)
            self.assertEqual(statuses.count(429), 100 - limit)
            self.assertEqual(self.up.count(), limit)


class TestTokenBucket(RateLimitCase):
    def test_burst_then_rate(self):
        with Gateway(one_route(self.up, [rl(second=2, algorithm="token-bucket",
                                            burst=4)])) as gw:
            # a full bucket: burst + 1 at once (nginx limit_req burst=4 nodelay)
            statuses = self.statuses(gw, 6)
            self.assertEqual(statuses, [200] * 5 + [429], statuses)
            r = gw.get("/")
            self.assertKongError(r, 429, MESSAGE)
            self.assertEqual(r.header("retry-after"), "1")
            self.assertEqual(r.header("ratelimit-limit"), "5")
            self.assertEqual(r.header("x-ratelimit-limit-second"), "2")
            # two tokens a second: after 0.6 s one more passes, not two
            time.sleep(0.6)
            self.assertEqual(self.statuses(gw, 2), [200, 429])


def check(plugins):
    doc = config(services=[service("s", "http://127.0.0.1:9", [route("r", ["/"])])])
    doc["plugins"] = plugins
    return check_config(doc)


class TestConfig(unittest.TestCase):
    def test_valid(self):
        for conf in [{"minute": 5}, {"second": 1, "year": 10, "limit_by": "header",
                                     "header_name": "x-a"},
                     {"hour": 1, "policy": "redis", "redis_host": "r", "redis_port": 6380,
                      "redis_timeout": 100, "redis_password": "p", "redis_database": 2},
                     {"hour": 1, "policy": "redis", "sync_rate": 0.5,
                      "redis": {"host": "r", "port": 1, "timeout": 5, "username": "u"}},
                     {"second": 10, "algorithm": "token-bucket", "burst": 20}]:
            rc, err = check([rl(**conf)])
            self.assertEqual(rc, 0, (conf, err))

    def test_errors(self):
        for conf, message in [
            ({"minute": 5, "policy": "cluster"}, "expected one of: local, redis"),
            ({"limit_by": "ip"}, "at least one of these fields must be non-empty: "
                                 "'config.second', 'config.minute'"),
            ({"second": 10, "minute": 5},
             re.escape("The limit for minute(5.0) cannot be lower than the limit for "
                       "second(10.0)")),
            ({"minute": 0}, "value must be greater than 0"),
            ({"minute": 5, "sync_rate": 1}, "sync_rate can only be used with the redis policy"),
            ({"minute": 5, "policy": "redis", "redis": {"host": "h"}, "sync_rate": 0.001},
             "sync_rate must be greater than 0.02, or -1 to disable"),
            ({"minute": 5, "policy": "redis"}, "config.redis.host: required field missing"),
            ({"minute": 5, "limit_by": "header"}, "config.header_name: required field missing"),
            ({"minute": 5, "limit_by": "path"}, "config.path: required field missing"),
            ({"minute": 5, "limit_by": "user"}, "expected one of: consumer, credential"),
            ({"minute": 5, "redis": {"host": "h", "ssl": True}},
             "TLS to Redis is not supported by sluice yet"),
            ({"minute": 5, "redis": {"hots": "h"}}, "unknown field"),
            ({"minute": 5, "burst": 3}, "burst needs algorithm: token-bucket"),
            ({"minute": 5, "hour": 9, "algorithm": "token-bucket"},
             "token-bucket takes its rate from exactly one"),
            ({"minute": 5, "bogus": 1}, "unknown field"),
        ]:
            rc, err = check([rl(**conf)])
            self.assertEqual(rc, 1, conf)
            self.assertRegex(err, r"kong\.yml:\d+:\d+: " + message, conf)


@unittest.skipUnless(have_redis(), "redis-server is not installed")
class TestRedis(RateLimitCase):
    def setUp(self):
        super().setUp()
        self.redis = RedisServer().start()

    def tearDown(self):
        self.redis.close()

    def redis_conf(self, **extra):
        conf = {"policy": "redis", "redis": {"host": "127.0.0.1", "port": self.redis.port,
                                             "timeout": 500}}
        conf.update(extra)
        return rl(**conf)

    def test_synchronous_counts_in_redis(self):
        with Gateway(one_route(self.up, [self.redis_conf(hour=3)])) as gw:
            self.assertEqual(self.statuses(gw, 4), [200, 200, 200, 429])
            keys = self.redis.keys("ratelimit:*")
            self.assertEqual(len(keys), 1, keys)
            # ratelimit:<route id (the plugin's scope)>:<service id (none)>:<ip>:<start>:<period>
            self.assertRegex(keys[0], r"^ratelimit:[0-9a-f-]{36}:0{8}-0{4}-0{4}-0{4}-0{12}:"
                                      r"127\.0\.0\.1:\d+000:hour$")
            # Kong's redis policy counts the refused request too (INCR on read)
            self.assertEqual(self.redis.get_int(keys[0]), 4)
            ttl = self.redis.command("TTL", keys[0])
            self.assertTrue(0 < ttl <= 3600, ttl)

    def test_body_sent_with_the_head_reaches_the_upstream_after_the_wait(self):
        # the access phase waits on Redis, so the upstream exchange starts from a Redis
        # callback; on a pooled connection the head leaves at once and the body already in
        # the gateway's buffer follows it (it must not be read before the exchange exists)
        with Gateway(one_route(self.up, [self.redis_conf(hour=100)])) as gw, gw.client() as c:
            for i in range(3):
                body = ("payload %d " % i).encode() * 50
                r = c.request("POST", "/sha256", body=body)
                self.assertEqual(r.status, 200)
                self.assertEqual(r.json()["len"], len(body))
                self.assertEqual(r.json()["sha256"], hashlib.sha256(body).hexdigest())

    def test_flat_redis_fields_and_hostname(self):
        plugin = rl(hour=2, policy="redis", redis_host="localhost", redis_port=self.redis.port,
                    redis_timeout=500)
        with Gateway(one_route(self.up, [plugin])) as gw:
            self.assertEqual(self.statuses(gw, 3), [200, 200, 429])
        self.assertEqual(len(self.redis.keys("ratelimit:*")), 1)

    def test_password_and_database(self):
        self.redis.close()
        self.redis = RedisServer(password="s3cret").start()
        plugin = rl(hour=1, policy="redis", fault_tolerant=False,
                    redis={"host": "127.0.0.1", "port": self.redis.port, "timeout": 500,
                           "password": "s3cret", "database": 3})
        with Gateway(one_route(self.up, [plugin])) as gw:
            self.assertEqual(self.statuses(gw, 2), [200, 429])
        self.assertEqual(len(self.redis.command("KEYS", "ratelimit:*", db=3)), 1)
        self.assertEqual(self.redis.command("KEYS", "*"), [])  # nothing in db 0
        # a wrong password: refused by Redis, so not fault tolerant means 500
        plugin["config"]["redis"]["password"] = "wrong"
        with Gateway(one_route(self.up, [plugin])) as gw:
            self.assertEqual(gw.get("/").status, 500)
            self.assertIn("WRONGPASS", gw.stderr())

    def test_two_gateways_share_a_synchronous_limit_exactly(self):
        doc = one_route(self.up, [self.redis_conf(hour=10)])
        with Gateway(doc, workers=2) as a, Gateway(doc, workers=2) as b:
            with concurrent.futures.ThreadPoolExecutor(8) as ex:
                statuses = list(ex.map(lambda i: (a if i % 2 else b).get("/").status,
                                       range(40)))
        self.assertEqual(statuses.count(200), 10, statuses)

    def test_batched_bound_with_two_gateways(self):
        """sync_rate 0.2 s: workers count locally and sync in batches. Stated bound: the
        admitted total exceeds the limit by at most the requests that arrive within one sync
        interval (plus one Redis round trip, counted into the interval here)."""
        limit, sync = 20, 0.2
        doc = one_route(self.up, [self.redis_conf(hour=limit, sync_rate=sync)])
        with Gateway(doc) as a, Gateway(doc) as b:
            arrivals, admitted = [], 0
            t0 = time.monotonic()
            for i in range(120):
                target = time.monotonic()
                arrivals.append(target)
                if (a if i % 2 else b).get("/").status == 200:
                    admitted += 1
                time.sleep(max(0, t0 + (i + 1) * 0.01 - time.monotonic()))
            # the largest number of arrivals within any sync interval (+ 50 ms of slack)
            window = sync + 0.05
            most = max(sum(1 for t in arrivals if s <= t < s + window) for s in arrivals)
            self.assertGreaterEqual(admitted, limit)
            self.assertLessEqual(admitted, limit + most, (admitted, most))
            # and Redis ends up with every admitted request
            time.sleep(sync * 3)
            key = self.redis.keys("ratelimit:*")[0]
            self.assertEqual(self.redis.get_int(key), admitted)

    def test_no_request_waits_in_batched_mode(self):
        doc = one_route(self.up, [self.redis_conf(hour=1000, sync_rate=1)])
        with Gateway(doc) as gw:
            self.redis.stop()  # Redis gone: requests are counted locally and never wait
            t = time.monotonic()
            self.assertEqual(self.statuses(gw, 20), [200] * 20)
            self.assertLess(time.monotonic() - t, 2.0)

    def test_redis_killed_fault_tolerant_then_resync(self):
        doc = one_route(self.up, [self.redis_conf(hour=100)])
        with Gateway(doc) as gw:
            self.assertEqual(self.statuses(gw, 2), [200, 200])
            port = self.redis.port
            self.redis.stop()
            t = time.monotonic()
            for i in range(5):
                r = gw.get("/")
                self.assertEqual(r.status, 200, r)
                # counted locally meanwhile: the headers go on
                self.assertEqual(r.header("x-ratelimit-limit-hour"), "100")
            self.assertLess(time.monotonic() - t, 3.0, "requests waited on a dead Redis")
            self.assertIn("Redis 127.0.0.1:%d unreachable" % port, gw.stderr())
            self.assertEqual(gw.stderr().count("unreachable"), 1, gw.stderr())  # one line
            # Redis is back (empty): what was counted meanwhile is sent to it
            self.redis = RedisServer(port=port).start()
            deadline = time.monotonic() + 6
            while True:
                keys = self.redis.keys("ratelimit:*")
                r = gw.get("/")
                self.assertEqual(r.status, 200)
                if keys and self.redis.get_int(keys[0]) >= 5:
                    break
                self.assertLess(time.monotonic(), deadline, "counts were not resynced")
                time.sleep(0.2)

    def test_redis_killed_not_fault_tolerant_is_500(self):
        doc = one_route(self.up, [self.redis_conf(hour=100, fault_tolerant=False)])
        with Gateway(doc) as gw:
            self.assertEqual(gw.get("/").status, 200)
            self.redis.stop()
            t = time.monotonic()
            r = gw.get("/")
            self.assertKongError(r, 500, "An unexpected error occurred")
            self.assertLess(time.monotonic() - t, 2.0)

    def test_silent_redis_times_out(self):
        """A Redis that accepts and never answers: each policy gives up after redis.timeout."""
        silent = socket.socket()
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        port = silent.getsockname()[1]
        held = []
        stop = threading.Event()

        def accept():
            silent.settimeout(0.1)
            while not stop.is_set():
                try:
                    held.append(silent.accept()[0])
                except OSError:
                    pass
        th = threading.Thread(target=accept, daemon=True)
        th.start()
        try:
            for tolerant, status in ((True, 200), (False, 500)):
                plugin = rl(hour=5, policy="redis", fault_tolerant=tolerant,
                            redis={"host": "127.0.0.1", "port": port, "timeout": 300})
                with Gateway(one_route(self.up, [plugin])) as gw:
                    t = time.monotonic()
                    r = gw.get("/")
                    took = time.monotonic() - t
                    self.assertEqual(r.status, status, r)
                    self.assertGreater(took, 0.25)
                    self.assertLess(took, 1.5)
                    self.assertIn("timeout after 300 ms", gw.stderr())
        finally:
            stop.set()
            th.join()
            for s in held:
                s.close()
            silent.close()


if __name__ == "__main__":
    unittest.main()
