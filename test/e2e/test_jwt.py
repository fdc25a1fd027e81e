"""The jwt plugin (kong-compat.md 4.4; Kong's kong/plugins/jwt/handler.lua): tokens made by an
independent library (PyJWT with python3-cryptography) for every algorithm, each failure with
Kong's status, body and WWW-Authenticate header, every config field, anonymous, and config
errors at their line:col."""

import base64
import json
import os
import re
import subprocess
import tempfile
import time
import unittest

from harness import SLUICE_BIN, Gateway, GatewayTestCase, config, doc_header, route, service, \
    to_yaml
from upstream import Upstream

try:
    import jwt as pyjwt
except ImportError:
    # Debian's python3-jwt and python3-cryptography (scripts/install-deps.sh), when the
    # python3 on PATH is another installation of the same version
    import sys
    sys.path.append("/usr/lib/python3/dist-packages")
    import jwt as pyjwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

CT_JSON = "application/json; charset=utf-8"
ALICE_ID = "5e1a1c3e-0000-4000-8000-00000000a11c"
ANON_ID = "5e1a1c3e-0000-4000-8000-0000000a0a0a"
HS_SECRET = "a-long-enough-hmac-secret-for-hs512-use-0123456789abcdef"
B64_SECRET_RAW = b"\x00\x01binary secret\xff\xfe"


def pem_public(key):
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64json(obj):
    return b64url(json.dumps(obj, separators=(",", ":")).encode())


class TestJwt(GatewayTestCase):
    @classmethod
    def setUpClass(cls):
        cls.up = Upstream().start()
        cls.rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        cls.rsa_other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        cls.ec = {"ES256": ec.generate_private_key(ec.SECP256R1()),
                  "ES384": ec.generate_private_key(ec.SECP384R1()),
                  "ES512": ec.generate_private_key(ec.SECP521R1())}
        # keys by algorithm: what signs, and the credential key (iss) for it
        cls.signers = {}
        for alg in ("HS256", "HS384", "HS512"):
            cls.signers[alg] = HS_SECRET
        for alg in ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512"):
            cls.signers[alg] = cls.rsa
        cls.signers.update(cls.ec)
        secrets = []
        for alg in cls.signers:
            s = {"key": "key-" + alg.lower(), "algorithm": alg}
            if alg.startswith("HS"):
                s["secret"] = HS_SECRET
            else:
                s["rsa_public_key"] = pem_public(cls.signers[alg])
            secrets.append(s)
        secrets.append({"key": "key-b64", "algorithm": "HS256",
                        "secret": base64.b64encode(B64_SECRET_RAW).decode()})
        secrets.append({"key": "key-badb64", "secret": "not*base64"})
        # an ES384 credential whose key is on P-256: it never verifies
        secrets.append({"key": "key-wrongcurve", "algorithm": "ES384",
                        "rsa_public_key": pem_public(cls.ec["ES256"])})
        cls.consumers = [
            {"id": ALICE_ID, "username": "alice", "custom_id": "alice-cid",
             "jwt_secrets": secrets},
            {"id": ANON_ID, "username": "anon-user"},
            {"username": "bob", "jwt_secrets": [{"key": "bob-kid", "secret": "bob-secret"}]},
        ]
        doc = config(services=[service("s", cls.up.url, [
            route("default", ["/default"], strip_path=False, plugins=[jwtp()]),
            route("claims", ["/claims"], plugins=[jwtp(claims_to_verify=["exp", "nbf"])]),
            route("maxexp", ["/maxexp"], plugins=[jwtp(claims_to_verify=["exp"],
                                                        maximum_expiration=60)]),
            route("b64", ["/b64"], plugins=[jwtp(secret_is_base64=True)]),
            route("custom", ["/custom"], plugins=[jwtp(
                uri_param_names=["token", "t2"], cookie_names=["jc", "jc2"],
                header_names=["x_jwt", "authorization"], key_claim_name="kid",
                realm="sluice")]),
            route("nowhere", ["/nowhere"], plugins=[jwtp(uri_param_names=[], header_names=[])]),
            route("anon", ["/anon"], plugins=[jwtp(anonymous="anon-user")]),
            route("anonid", ["/anonid"], plugins=[jwtp(anonymous=ANON_ID)]),
            route("ghost", ["/ghost"], plugins=[jwtp(anonymous="ghost")]),
            route("preflight", ["/preflight"], plugins=[jwtp(run_on_preflight=False)]),
            route("open", ["/open"]),
        ])])
        doc["consumers"] = cls.consumers
        cls.gw = Gateway(doc).start()

    @classmethod
    def tearDownClass(cls):
        cls.gw.__exit__(None, None, None)  # checks that it exits 0 on SIGTERM
        cls.up.stop()

    def setUp(self):
        self.up.clear()

    # helpers ---------------------------------------------------------------------------

    def token(self, alg="HS256", iss=None, claims=None, key=None, headers=None):
        payload = {"iss": iss if iss is not None else "key-" + alg.lower(), "sub": "t"}
        if claims:
            payload.update(claims)
        return pyjwt.encode(payload, key if key is not None else self.signers[alg],
                            algorithm=alg, headers=headers)

    def get(self, path, tok=None, headers=()):
        h = list(headers)
        if tok is not None:
            h.append(("Authorization", "Bearer " + tok))
        return self.gw.get(path, headers=h)

    def assertOk(self, r, key):
        self.assertEqual(r.status, 200, r)
        doc = r.json()
        self.assertEqual(doc_header(doc, "x-consumer-id"), ALICE_ID)
        self.assertEqual(doc_header(doc, "x-consumer-username"), "alice")
        self.assertEqual(doc_header(doc, "x-consumer-custom-id"), "alice-cid")
        self.assertEqual(doc_header(doc, "x-credential-identifier"), key)
        self.assertIsNone(doc_header(doc, "x-anonymous-consumer"))
        return doc

    def assert401(self, r, message=None, body=None, www='Bearer error="invalid_token"'):
        self.assertEqual(r.status, 401, r)
        self.assertEqual(r.header("content-type"), CT_JSON)
        if message is not None:
            body = json.dumps({"message": message}, separators=(",", ":"))
        self.assertEqual(r.text, body)
        self.assertEqual(r.header("www-authenticate"), www)
        self.assertRegex(r.header("x-kong-request-id") or "", r"^[0-9a-f]{32}$")

    # every algorithm -------------------------------------------------------------------

    def test_every_algorithm(self):
        for alg in self.signers:
            with self.subTest(alg=alg):
                self.assertOk(self.get("/default", self.token(alg)), "key-" + alg.lower())
        self.assertEqual(self.up.count(), len(self.signers))

    def test_client_consumer_headers_replaced(self):
        # what the client sends in Kong's consumer headers never reaches the upstream
        r = self.get("/default", self.token("HS256"),
                     [("X-Consumer-ID", "forged"), ("X-Anonymous-Consumer", "true"),
                      ("X-Credential-Identifier", "forged")])
        doc = self.assertOk(r, "key-hs256")
        self.assertEqual(len([1 for k, _ in doc["headers"] if k.lower() == "x-consumer-id"]), 1)

    def test_consumer_without_custom_id(self):
        tok = pyjwt.encode({"iss": "bob-kid"}, "bob-secret", algorithm="HS256")
        r = self.get("/default", tok, [("X-Consumer-Custom-ID", "forged")])
        self.assertEqual(r.status, 200, r)
        doc = r.json()
        self.assertEqual(doc_header(doc, "x-consumer-username"), "bob")
        self.assertIsNone(doc_header(doc, "x-consumer-custom-id"))
        self.assertEqual(doc_header(doc, "x-credential-identifier"), "bob-kid")

    # failures --------------------------------------------------------------------------

    def test_no_token(self):
        self.assert401(self.get("/default"), "Unauthorized", www="Bearer")
        self.assert401(self.get("/default", headers=[("Authorization", "Basic abc")]),
                       "Unauthorized", www="Bearer")
        # Kong's regex is [Bb]earer: other capitalisations are not a bearer token
        self.assert401(self.get("/default", headers=[("Authorization", "BEARER x.y.z")]),
                       "Unauthorized", www="Bearer")
        self.assert401(self.get("/default?jwt="), "Unauthorized", www="Bearer")
        self.assertEqual(self.up.count(), 0)

    def test_expired_and_not_yet_valid(self):
        now = int(time.time())
        self.assert401(self.get("/claims", self.token(claims={"exp": now - 10, "nbf": now - 20})),
                       body='{"exp":"token expired"}')
        self.assert401(self.get("/claims", self.token(claims={"exp": now + 60, "nbf": now + 30})),
                       body='{"nbf":"token not valid yet"}')
        self.assert401(self.get("/claims", self.token(claims={"exp": now - 1, "nbf": now + 30})),
                       body='{"exp":"token expired","nbf":"token not valid yet"}')
        # missing claims: both must be numbers
        self.assert401(self.get("/claims", self.token()),
                       body='{"exp":"must be a number","nbf":"must be a number"}')
        self.assert401(self.get("/claims", self.token(claims={"exp": "soon", "nbf": now})),
                       body='{"exp":"must be a number"}')
        # claims are not checked where claims_to_verify does not ask
        self.assertOk(self.get("/default", self.token(claims={"exp": now - 10})), "key-hs256")
        self.assertOk(self.get("/claims", self.token(claims={"exp": now + 60, "nbf": now})),
                      "key-hs256")

    def test_maximum_expiration(self):
        now = int(time.time())
        self.assert401(self.get("/maxexp", self.token(claims={"exp": now + 3600})),
                       body='{"exp":"exceeds maximum allowed expiration"}')
        self.assertOk(self.get("/maxexp", self.token(claims={"exp": now + 30})), "key-hs256")
        self.assert401(self.get("/maxexp", self.token()), body='{"exp":"must be a number"}')

    def test_bad_signature(self):
        tok = self.token("HS256", key="another secret")
        self.assert401(self.get("/default", tok), "Invalid signature")
        self.assert401(self.get("/default", self.token("RS256", key=self.rsa_other)),
                       "Invalid signature")
        self.assert401(self.get("/default", self.token("PS256", key=self.rsa_other)),
                       "Invalid signature")
        self.assert401(self.get("/default", self.token("ES256", key=ec.generate_private_key(
            ec.SECP256R1()))), "Invalid signature")
        # a flipped signature byte, an ECDSA signature of the wrong length, no signature
        good = self.token("ES384")
        h, c, s = good.split(".")
        raw = bytearray(base64.urlsafe_b64decode(s + "=="))
        raw[5] ^= 1
        self.assert401(self.get("/default", "%s.%s.%s" % (h, c, b64url(bytes(raw)))),
                       "Invalid signature")
        self.assert401(self.get("/default", "%s.%s.%s" % (h, c, b64url(bytes(raw[:-1])))),
                       "Invalid signature")
        self.assert401(self.get("/default", "%s.%s." % (h, c)), "Invalid signature")
        # claims changed after signing
        h, c, s = self.token("RS256").split(".")
        forged = b64json({"iss": "key-rs256", "sub": "admin"})
        self.assert401(self.get("/default", "%s.%s.%s" % (h, forged, s)), "Invalid signature")
        self.assertEqual(self.up.count(), 0)

    def test_wrong_key_type(self):
        # an ES384 credential holding a P-256 key: no ES384 token can verify against it
        tok = self.token("ES384", iss="key-wrongcurve")
        self.assert401(self.get("/default", tok), "Invalid signature")
        # a token signed with an EC key for an RSA credential: the algorithms differ
        tok = self.token("ES256", iss="key-rs256")
        self.assert401(self.get("/default", tok), "Invalid algorithm")

    def test_unknown_issuer_and_missing_claims(self):
        self.assert401(self.get("/default", self.token(iss="nobody")),
                       "No credentials found for given 'iss'")
        tok = pyjwt.encode({"sub": "x"}, HS_SECRET, algorithm="HS256")
        self.assert401(self.get("/default", tok), "No mandatory 'iss' in claims")
        tok = pyjwt.encode({"iss": ""}, HS_SECRET, algorithm="HS256")
        self.assert401(self.get("/default", tok), "Invalid 'iss' in claims")
        tok = pyjwt.encode({"iss": 12}, HS_SECRET, algorithm="HS256")
        self.assert401(self.get("/default", tok), "No credentials found for given 'iss'")
        # the key may come from the JOSE header when the claims lack it
        tok = pyjwt.encode({"sub": "x"}, HS_SECRET, algorithm="HS256",
                           headers={"iss": "key-hs256"})
        self.assertOk(self.get("/default", tok), "key-hs256")

    def test_alg_none_and_confusion(self):
        # alg none is not an algorithm Kong knows
        tok = "%s.%s." % (b64json({"alg": "none", "typ": "JWT"}), b64json({"iss": "key-hs256"}))
        self.assert401(self.get("/default", tok), "Bad token; invalid alg")
        tok = "%s.%s.x" % (b64json({"typ": "JWT"}), b64json({"iss": "key-hs256"}))
        self.assert401(self.get("/default", tok), "Bad token; invalid alg")
        tok = "%s.%s.x" % (b64json({"alg": 256}), b64json({"iss": "key-hs256"}))
        self.assert401(self.get("/default", tok), "Bad token; invalid alg")
        # algorithm confusion: an HS256 token whose HMAC key is the RSA credential's public
        # key, presented for the RS256 credential; the credential's algorithm decides
        pem = pem_public(self.rsa).encode()
        header = b64json({"alg": "HS256", "typ": "JWT"})
        claims = b64json({"iss": "key-rs256"})
        import hmac
        import hashlib
        sig = hmac.new(pem, ("%s.%s" % (header, claims)).encode(), hashlib.sha256).digest()
        self.assert401(self.get("/default", "%s.%s.%s" % (header, claims, b64url(sig))),
                       "Invalid algorithm")
        # and an RS256 token for an HS256 credential
        self.assert401(self.get("/default", self.token("RS256", iss="key-hs256")),
                       "Invalid algorithm")
        self.assertEqual(self.up.count(), 0)

    def test_malformed(self):
        good = self.token("HS256")
        h, c, s = good.split(".")
        for tok, msg in [
            ("abc", "Bad token; invalid JSON"),
            ("%s.%s" % (h, c), "Bad token; invalid JSON"),
            ("%s!.%s.%s" % (h, c, s), "Bad token; invalid JSON"),     # bad base64
            ("%s.%s.%s" % (h, c[:-1] + "*", s), "Bad token; invalid JSON"),
            ("%s.%s.%s" % (b64url(b"{not json"), c, s), "Bad token; invalid JSON"),
            ("%s.%s.%s" % (b64url(b'{"alg":"HS256"} x'), c, s), "Bad token; invalid JSON"),
            ("%s.%s.%s" % (h + "A" * ((1 - len(h)) % 4 or 4), c, s),
             "Bad token; invalid JSON"),                              # 4k+1 characters
            ("%s.%s.%s" % (h, b64json(False), s), "Bad token; invalid claims"),
            ("%s.%s.%s" % (h, b64json([1, 2]), s), "Bad token; invalid claims"),
            ("%s.%s.%s" % (h, c, s + "!"), "Bad token; invalid signature"),
            ("%s.%s.%s.x" % (h, c, s), "Bad token; invalid signature"),
        ]:
            with self.subTest(tok=tok):
                self.assert401(self.get("/default", tok), msg)
        # Kong's decoder is lenient where nginx's is: padding and the standard alphabet
        pad = "=" * (-len(s) % 4)
        self.assertOk(self.get("/default", "%s.%s.%s" % (h, c, s + pad)), "key-hs256")
        std = s.replace("-", "+").replace("_", "/")
        self.assertOk(self.get("/default", "%s.%s.%s" % (h, c, std)), "key-hs256")

    def test_oversized_token(self):
        big = self.token(claims={"pad": "x" * 9000})
        r = self.get("/default", big)
        self.assertKongError(r, 400, "Request header or cookie too large", fmt="text")
        # under the cap it is only a token like any other
        self.assertOk(self.get("/default", self.token(claims={"pad": "x" * 5000})), "key-hs256")

    # sources ---------------------------------------------------------------------------

    def test_query_and_multiple_tokens(self):
        tok = self.token()
        self.assertOk(self.gw.get("/default?a=1&jwt=" + tok), "key-hs256")
        # the same token twice is one token
        self.assertOk(self.gw.get("/default?jwt=%s&jwt=%s" % (tok, tok),
                                  headers=[("Authorization", "Bearer " + tok)]), "key-hs256")
        other = self.token("HS384")
        self.assert401(self.gw.get("/default?jwt=" + other,
                                   headers=[("Authorization", "Bearer " + tok)]),
                       "Multiple tokens provided")
        self.assert401(self.gw.get("/default?jwt=%s&jwt=%s" % (tok, other)),
                       "Multiple tokens provided")
        # a bare argument is Kong's `true`: not a string token
        self.assert401(self.gw.get("/default?jwt"), "Unrecognizable token")
        # percent-encoded values are decoded
        enc = tok.replace(".", "%2E")
        self.assertOk(self.gw.get("/default?jwt=" + enc), "key-hs256")

    def test_custom_sources_key_claim_and_realm(self):
        tok = pyjwt.encode({"kid": "key-hs256"}, HS_SECRET, algorithm="HS256")
        self.assertOk(self.gw.get("/custom?token=" + tok), "key-hs256")
        self.assertOk(self.gw.get("/custom?t2=" + tok), "key-hs256")
        self.assertOk(self.gw.get("/custom", headers=[("Cookie", "a=b; jc=" + tok)]),
                      "key-hs256")
        self.assertOk(self.gw.get("/custom", headers=[("Cookie", "a=b"),
                                                      ("Cookie", "JC2 = %s;x=y" % tok)]),
                      "key-hs256")
        self.assertOk(self.gw.get("/custom", headers=[("X-Jwt", "Bearer " + tok)]), "key-hs256")
        self.assertOk(self.gw.get("/custom", headers=[("Authorization", "bearer " + tok)]),
                      "key-hs256")
        # the default names are not read any more
        r = self.gw.get("/custom?jwt=" + tok, headers=[("Cookie", "jwt=" + tok)])
        self.assert401(r, "Unauthorized", www='Bearer realm="sluice"')
        # key_claim_name in messages; realm in the header
        self.assert401(self.get("/custom", self.token()), "No mandatory 'kid' in claims",
                       www='Bearer realm="sluice" error="invalid_token"')
        # an empty cookie is no token
        self.assert401(self.gw.get("/custom", headers=[("Cookie", "jc=")]), "Unauthorized",
                       www='Bearer realm="sluice"')
        # no source at all
        self.assert401(self.get("/nowhere", self.token()), "Unauthorized", www="Bearer")

    def test_secret_is_base64(self):
        tok = pyjwt.encode({"iss": "key-b64"}, B64_SECRET_RAW, algorithm="HS256")
        self.assertOk(self.get("/b64", tok), "key-b64")
        # the same credential without secret_is_base64 uses the text as the secret
        tok2 = pyjwt.encode({"iss": "key-b64"}, base64.b64encode(B64_SECRET_RAW).decode(),
                            algorithm="HS256")
        self.assertOk(self.get("/default", tok2), "key-b64")
        self.assert401(self.get("/b64", tok2), "Invalid signature")
        # a secret that is not base64, and a public key (Kong decodes the PEM too)
        tok = pyjwt.encode({"iss": "key-badb64"}, "not*base64", algorithm="HS256")
        self.assert401(self.get("/b64", tok), "Invalid key/secret")
        self.assert401(self.get("/b64", self.token("RS256")), "Invalid key/secret")

    # anonymous and preflight -----------------------------------------------------------

    def test_anonymous(self):
        for path in ("/anon", "/anonid"):
            r = self.gw.get(path)
            self.assertEqual(r.status, 200, r)
            doc = r.json()
            self.assertEqual(doc_header(doc, "x-consumer-id"), ANON_ID)
            self.assertEqual(doc_header(doc, "x-consumer-username"), "anon-user")
            self.assertEqual(doc_header(doc, "x-anonymous-consumer"), "true")
            self.assertIsNone(doc_header(doc, "x-credential-identifier"))
        # a bad token falls back to anonymous too; a good one authenticates
        r = self.get("/anon", self.token(key="wrong"))
        self.assertEqual(doc_header(r.json(), "x-anonymous-consumer"), "true")
        doc = self.assertOk(self.get("/anon", self.token()), "key-hs256")
        self.assertIsNone(doc_header(doc, "x-anonymous-consumer"))

    def test_anonymous_missing(self):
        r = self.gw.get("/ghost")
        self.assertKongError(r, 500, "anonymous consumer ghost is configured but doesn't exist")
        self.assertEqual(self.up.count(), 0)

    def test_run_on_preflight(self):
        r = self.gw.request("OPTIONS", "/preflight")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.gw.get("/preflight").status, 401)
        self.assertEqual(self.gw.request("OPTIONS", "/default").status, 401)


class TestJwtReload(GatewayTestCase):
    """The public keys a worker parsed belong to one snapshot: after a reload that changes a
    credential's key under the same name, the old key no longer verifies."""

    def cfg(self, key):
        doc = config(services=[service("s", self.up.url, [
            route("r", ["/"], strip_path=False, plugins=[jwtp()])])])
        doc["consumers"] = [{"username": "u", "jwt_secrets": [
            {"key": "rk", "algorithm": "RS256", "rsa_public_key": pem_public(key)}]}]
        return doc

    def test_key_change_on_reload(self):
        k1 = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        k2 = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        t1 = pyjwt.encode({"iss": "rk"}, k1, algorithm="RS256")
        t2 = pyjwt.encode({"iss": "rk"}, k2, algorithm="RS256")
        hdr = lambda t: [("Authorization", "Bearer " + t)]
        with Upstream() as up:
            self.up = up
            with Gateway(self.cfg(k1)) as gw:
                self.assertEqual(gw.get("/x", hdr(t1)).status, 200)
                self.assertEqual(gw.get("/x", hdr(t2)).status, 401)
                gw.reload(self.cfg(k2))
                deadline = time.monotonic() + 5
                while gw.get("/x", hdr(t2)).status != 200 and time.monotonic() < deadline:
                    time.sleep(0.05)
                self.assertEqual(gw.get("/x", hdr(t2)).status, 200)
                r = gw.get("/x", hdr(t1))
                self.assertEqual((r.status, r.body), (401, b'{"message":"Invalid signature"}'))


def jwtp(**conf):
    return {"name": "jwt", "config": conf}


class TestJwtConfig(unittest.TestCase):
    def check(self, plugin_conf=None, secret=None):
        doc = config(services=[service("s", "http://127.0.0.1:9", [route("r", ["/"])])])
        if plugin_conf is not None:
            doc["plugins"] = [jwtp(**plugin_conf)]
        if secret is not None:
            doc["consumers"] = [{"username": "u", "jwt_secrets": [secret]}]
        d = tempfile.mkdtemp(prefix="sluice-jwt-")
        path = os.path.join(d, "kong.yml")
        text = to_yaml(doc)
        with open(path, "w") as f:
            f.write(text)
        p = subprocess.run([SLUICE_BIN, "check", path], capture_output=True, text=True,
                           timeout=30)
        return p.returncode, p.stderr, text

    def assertError(self, message, line_of, **kw):
        rc, err, text = self.check(**kw)
        self.assertEqual(rc, 1, (kw, err))
        m = re.search(r"kong\.yml:(\d+):(\d+): .*" + re.escape(message), err)
        self.assertIsNotNone(m, (message, err))
        line = text.splitlines()[int(m.group(1)) - 1]
        self.assertIn(line_of, line, (message, line))

    def test_valid(self):
        rc, err, _ = self.check({"uri_param_names": ["a"], "cookie_names": ["c"],
                                 "header_names": ["x-token"], "key_claim_name": "kid",
                                 "secret_is_base64": True, "claims_to_verify": ["exp", "nbf"],
                                 "maximum_expiration": 100, "anonymous": "x",
                                 "run_on_preflight": False, "realm": "r"})
        self.assertEqual(rc, 0, err)
        self.assertEqual(self.check({})[0], 0)

    def test_errors(self):
        for conf, message, at in [
            ({"claims_to_verify": ["exp", "iat"]}, "expected one of: exp, nbf", "iat"),
            ({"maximum_expiration": -1}, "value should be between 0 and 31536000", "-1"),
            ({"maximum_expiration": 31536001}, "value should be between 0 and 31536000",
             "31536001"),
            ({"maximum_expiration": 10}, "claims_to_verify expected to contain: exp",
             "maximum_expiration"),
            ({"maximum_expiration": 10, "claims_to_verify": ["nbf"]},
             "claims_to_verify expected to contain: exp", "nbf"),
            ({"secret_is_base64": "yes"}, "expected a boolean", "secret_is_base64"),
            ({"run_on_preflight": 1}, "expected a boolean", "run_on_preflight"),
            ({"uri_param_names": "jwt"}, "expected an array", "uri_param_names"),
            ({"cookie_names": [1]}, "expected a string", "- 1"),
            ({"header_names": [{"a": 1}]}, "expected a string", "a: 1"),
            ({"key_claim_name": 5}, "expected a string", "key_claim_name"),
            ({"realm": True}, "expected a string", "realm"),
            ({"anonymous": ["x"]}, "expected a string", "- \"x\""),
            ({"bogus": 1}, "unknown field", "bogus"),
        ]:
            with self.subTest(conf=conf):
                self.assertError(message, at, plugin_conf=conf)

    def test_secret_errors(self):
        self.assertError("required field missing", 'key: "k"',
                         secret={"key": "k", "algorithm": "RS256"})
        self.assertError("'rsa_public_key' format is invalid", "rsa_public_key",
                         secret={"key": "k", "algorithm": "RS256", "rsa_public_key": "nope"})
        self.assertError("expected one of", "none", secret={"key": "k", "algorithm": "none"})
        pem = pem_public(ec.generate_private_key(ec.SECP256R1()))
        self.assertError("public key type does not match algorithm 'RS256'",
                         "rsa_public_key",
                         secret={"key": "k", "algorithm": "RS256", "rsa_public_key": pem})


if __name__ == "__main__":
    unittest.main()
