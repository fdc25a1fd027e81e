"""request-size-limiting (kong-compat.md 4.11): Content-Length checked before anything is
read, chunked bodies counted as they stream (never buffered), 417 with Expect: 100-continue,
411 when a length is required, size units, config errors."""

import os
import subprocess
import tempfile
import unittest

from harness import Gateway, SLUICE_BIN, UpstreamTestCase, chunked, config, route, service, to_yaml

TOO_LARGE = b'{"message":"Request size limit exceeded"}'


def rsl(**conf):
    return {"name": "request-size-limiting", "config": conf}


def doc_for(up, **conf):
    return config(services=[service("s", up.url, [route("r", ["/"], strip_path=False,
                                                        plugins=[rsl(**conf)])])])


class TestRequestSizeLimiting(UpstreamTestCase):
    def test_content_length_over_and_under(self):
        with Gateway(doc_for(self.up, allowed_payload_size=10, size_unit="bytes")) as gw:
            r = gw.request("POST", "/", body=b"x" * 10)
            self.assertEqual(r.status, 200, r)
            r = gw.request("POST", "/", body=b"x" * 11)
            self.assertEqual(r.status, 413)
            self.assertEqual(r.body, TOO_LARGE)
            self.assertEqual(r.header("content-type"), "application/json; charset=utf-8")
            self.assertEqual(self.up.count(), 1)

    def test_units_are_binary(self):
        with Gateway(doc_for(self.up, allowed_payload_size=1, size_unit="kilobytes")) as gw:
            self.assertEqual(gw.request("POST", "/", body=b"x" * 1024).status, 200)
            self.assertEqual(gw.request("POST", "/", body=b"x" * 1025).status, 413)
        with Gateway(doc_for(self.up, allowed_payload_size=1)) as gw:  # megabytes
            self.assertEqual(gw.request("POST", "/", body=b"x" * 1048576).status, 200)
            # answered from the head alone: the body is not waited for
            with gw.client() as c:
                c.send(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1048577\r\n\r\n")
                self.assertEqual(c.read_response().status, 413)

    def test_expect_continue_gets_417(self):
        with Gateway(doc_for(self.up, allowed_payload_size=4, size_unit="bytes")) as gw:
            with gw.client() as c:
                c.send(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n"
                       b"Expect: 100-continue\r\n\r\n")
                r = c.read_response()
                self.assertEqual(r.status, 417)
                self.assertEqual(r.body, TOO_LARGE)

    def test_chunked_counted_while_streaming(self):
        with Gateway(doc_for(self.up, allowed_payload_size=100, size_unit="bytes")) as gw:
            r = gw.request("POST", "/", headers=[("Transfer-Encoding", "chunked")],
                           body=chunked(b"a" * 100, 30))
            self.assertEqual(r.status, 200, r)
            self.assertEqual(self.up.requests[-1].body, b"a" * 100)
            r = gw.request("POST", "/", headers=[("Transfer-Encoding", "chunked")],
                           body=chunked(b"a" * 101, 30))
            self.assertEqual(r.status, 413, r)
            self.assertEqual(r.body, TOO_LARGE)

    def test_require_content_length(self):
        with Gateway(doc_for(self.up, require_content_length=True)) as gw:
            r = gw.get("/")
            self.assertEqual(r.status, 411)
            self.assertEqual(r.body, b'{"message":"A valid Content-Length header is required"}')
            self.assertEqual(gw.request("POST", "/", body=b"abc").status, 200)
        with Gateway(doc_for(self.up)) as gw:
            self.assertEqual(gw.get("/").status, 200)

    def test_config_errors(self):
        for conf, message in [({"size_unit": "gigabytes"}, "expected one of: megabytes"),
                              ({"allowed_payload_size": -1}, "value out of range"),
                              ({"require_content_length": "yes please"}, "expected a boolean"),
                              ({"bogus": 1}, "unknown field")]:
            d = tempfile.mkdtemp(prefix="sluice-rsl-")
            path = os.path.join(d, "kong.yml")
            with open(path, "w") as f:
                f.write(to_yaml(doc_for(self.up, **conf)))
            p = subprocess.run([SLUICE_BIN, "check", path], capture_output=True, text=True,
                               timeout=30)
            self.assertEqual(p.returncode, 1, conf)
            self.assertRegex(p.stderr, r"kong\.yml:\d+:\d+: " + message, conf)


if __name__ == "__main__":
    unittest.main()
