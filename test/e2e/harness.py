"""End-to-end harness: start the real sluice binary on a free port and talk to it.

    with Upstream() as up, Gateway(simple_config(up.url)) as gw:
        r = gw.request("GET", "/x")
        assert r.status == 200

`Gateway` writes the config (a dict, dumped as YAML, or text) into a temp directory, starts
SLUICE_BIN with `--proxy-listen 127.0.0.1:PORT --workers N`, waits until the port accepts, and on
exit sends SIGTERM and checks that the process exited 0.  Raw-socket helpers (`Client`) send
exact bytes and parse responses (Content-Length, chunked, close-delimited, interim 1xx).

Environment: SLUICE_BIN (default ../../build/sluice relative to this directory),
SLUICE_SOURCE_DIR (default ../.. relative to this directory).
Everything talks to 127.0.0.1 only, and every socket has a timeout.
"""

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

from upstream import Upstream

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get("SLUICE_SOURCE_DIR") or os.path.normpath(os.path.join(HERE, "..", ".."))
SLUICE_BIN = os.environ.get("SLUICE_BIN") or os.path.normpath(
    os.path.join(HERE, "..", "..", "build", "sluice"))
# sluice with test-only plugins (test/plugins), built beside it
SLUICE_TEST_BIN = os.environ.get("SLUICE_TEST_BIN") or os.path.join(
    os.path.dirname(SLUICE_BIN), "sluice-test")

VERSION = "0.1.0"
SERVER_TOKEN = "sluice/" + VERSION
VIA_TOKEN = "1.1 sluice/" + VERSION
REQUEST_ID_RE = re.compile(r"^[0-9a-f]{32}$")
TIMEOUT = 5.0           # default socket timeout
START_TIMEOUT = 5.0     # how long the gateway may take to accept connections
STOP_TIMEOUT = 5.0      # how long it may take to exit after SIGTERM

# Kong's messages (kong-compat.md 3.8)
MSG_NO_ROUTE = "no Route matched with those values"
MSG_NO_SERVICE = "no Service found with those values"
MSG_HTTPS = "Please use HTTPS protocol"
MSG_BAD_GATEWAY = "An invalid response was received from the upstream server"
MSG_TIMEOUT = "The upstream server is timing out"
MSG_BAD_REQUEST = "Bad request"
MSG_HEADER_TOO_LARGE = "Request header or cookie too large"
MSG_REQUEST_TIMEOUT = "Request timeout"
MSG_PAYLOAD_TOO_LARGE = "Payload too large"
MSG_URI_TOO_LONG = "URI too long"

CT_JSON = "application/json; charset=utf-8"
CT_TEXT = "text/plain; charset=utf-8"
CT_HTML = "text/html; charset=utf-8"
CT_XML = "application/xml; charset=utf-8"


def require_binary():
    if not os.path.isfile(SLUICE_BIN) or not os.access(SLUICE_BIN, os.X_OK):
        raise unittest.SkipTest("sluice binary not found at %s (set SLUICE_BIN)" % SLUICE_BIN)


# Ports handed to a process that binds later (the gateway's listeners, a port meant to refuse)
# come from below the kernel's ephemeral range, so that no outgoing connection of a test running
# beside this one can take the port between the pick and the bind. A port is reserved for the life
# of this process by a lock on a file named after it, so two test processes never get the same one.
_PORT_LOCK_DIR = os.path.join(tempfile.gettempdir(), "sluice-test-ports")
_PORT_LOW, _PORT_HIGH = 20000, 32000
_held_ports = {}


def _ephemeral_low():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _bindable(family, host, port):
    s = socket.socket(family, socket.SOCK_STREAM)
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the gateway's bind does
        s.bind((host, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def _reserve_port(family, host):
    import fcntl
    import random
    os.makedirs(_PORT_LOCK_DIR, exist_ok=True)
    high = min(_PORT_HIGH, _ephemeral_low() - 1)
    span = high - _PORT_LOW + 1
    start = random.randrange(span)
    for i in range(span):
        port = _PORT_LOW + (start + i) % span
        if port in _held_ports:
            continue
        fd = os.open(os.path.join(_PORT_LOCK_DIR, str(port)), os.O_CREAT | os.O_RDWR, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        if not _bindable(family, host, port):
            os.close(fd)
            continue
        _held_ports[port] = fd  # released when this process exits
        return port
    raise RuntimeError("no free test port in %d-%d" % (_PORT_LOW, high))


def free_port():
    """A 127.0.0.1 port nobody listens on, kept for this process alone."""
    return _reserve_port(socket.AF_INET, "127.0.0.1")


def free_port6():
    """The same on ::1."""
    return _reserve_port(socket.AF_INET6, "::1")


def dead_port():
    """A 127.0.0.1 port nothing listens on (connection refused)."""
    return free_port()


def json_body(msg, request_id):
    return '{\n  "message":"%s",\n  "request_id":"%s"\n}' % (msg, request_id)


def text_body(msg, request_id):
    return "%s\nrequest_id: %s\n" % (msg, request_id)


# YAML ------------------------------------------------------------------------------------

def _scalar(v):
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, (int, float)):
        return repr(v)
    return json.dumps(str(v))  # a JSON string is a valid YAML double-quoted scalar


def to_yaml(obj, indent=0):
    """Dumps dicts/lists/scalars as block-style YAML."""
    pad = " " * indent
    out = []
    if isinstance(obj, dict):
        if not obj:
            return pad + "{}\n"
        for k, v in obj.items():
            key = k if re.match(r"^[A-Za-z_][A-Za-z0-9_-]*$", k) else json.dumps(k)
            if isinstance(v, dict) and v:
                out.append("%s%s:\n%s" % (pad, key, to_yaml(v, indent + 2)))
            elif isinstance(v, list) and v:
                out.append("%s%s:\n%s" % (pad, key, to_yaml(v, indent + 2)))
            elif isinstance(v, (dict, list)):
                out.append("%s%s: %s\n" % (pad, key, "{}" if isinstance(v, dict) else "[]"))
            else:
                out.append("%s%s: %s\n" % (pad, key, _scalar(v)))
        return "".join(out)
    if isinstance(obj, list):
        if not obj:
            return pad + "[]\n"
        for v in obj:
            if isinstance(v, (dict, list)) and v:
                inner = to_yaml(v, indent + 2)
                out.append("%s- %s" % (pad, inner[indent + 2:]))
            else:
                out.append("%s- %s\n" % (pad, _scalar(v) if not isinstance(v, (dict, list))
                                         else ("{}" if isinstance(v, dict) else "[]")))
        return "".join(out)
    return pad + _scalar(obj) + "\n"


def config(services=(), upstreams=(), routes=()):
    """A `_format_version: "3.0"` document."""
    doc = {"_format_version": "3.0"}
    if services:
        doc["services"] = list(services)
    if routes:
        doc["routes"] = list(routes)
    if upstreams:
        doc["upstreams"] = list(upstreams)
    return doc


def service(name, url, routes=(), **fields):
    s = {"name": name, "url": url}
    s.update(fields)
    if routes:
        s["routes"] = list(routes)
    return s


def route(name, paths=None, **fields):
    r = {"name": name}
    if paths is not None:
        r["paths"] = list(paths)
    r.update(fields)
    return r


def simple_config(upstream_url, paths=("/",), strip_path=False, **service_fields):
    """One service at upstream_url with one route on paths (strip_path false by default, so
    the upstream sees the client's path)."""
    return config(services=[service("svc", upstream_url,
                                    [route("r", list(paths), strip_path=strip_path)],
                                    **service_fields)])


# Responses -------------------------------------------------------------------------------

class Response:
    def __init__(self):
        self.version = ""
        self.status = 0
        self.reason = ""
        self.headers = []      # [(name, value)] as received
        self.body = b""
        self.interim = []      # 1xx responses that came before this one
        self.chunked = False
        self.close_delimited = False
        self.raw_head = b""

    def header(self, name, default=None):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return default

    def header_all(self, name):
        name = name.lower()
        return [v for k, v in self.headers if k.lower() == name]

    def has(self, name):
        return self.header(name) is not None

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def __repr__(self):
        return "<Response %d %s headers=%r body=%r>" % (self.status, self.reason, self.headers,
                                                         self.body[:300])


class Closed(Exception):
    """The peer closed the connection before a complete response."""


class Client:
    """A raw HTTP/1.1 client connection to 127.0.0.1:port with a read buffer, so several
    (pipelined) responses can be read from one stream."""

    def __init__(self, port, timeout=TIMEOUT):
        self.port = port
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.timeout = timeout

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def settimeout(self, t):
        self.timeout = t
        self.sock.settimeout(t)

    def send(self, data):
        if isinstance(data, str):
            data = data.encode("latin-1")
        self.sock.sendall(data)

    def _fill(self):
        try:
            data = self.sock.recv(262144)
        except ConnectionResetError:
            data = b""
        if not data:
            raise Closed("connection closed by peer (buffered %r)" % self.buf[:200])
        self.buf += data

    def _line(self):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line, self.buf = self.buf[:i], self.buf[i + 2:]
                return line
            if len(self.buf) > 1 << 20:
                raise AssertionError("response line too long")
            self._fill()

    def _exact(self, n):
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_exact(self, n):
        """Exactly n raw bytes (for tunnelled connections)."""
        return self._exact(n)

    def read_head(self):
        r = Response()
        line = self._line()
        raw = [line]
        m = re.match(rb"^(HTTP/\d\.\d) (\d{3})(?: (.*))?$", line)
        if not m:
            raise AssertionError("bad status line %r" % line)
        r.version = m.group(1).decode()
        r.status = int(m.group(2))
        r.reason = (m.group(3) or b"").decode("latin-1")
        while True:
            h = self._line()
            raw.append(h)
            if h == b"":
                break
            if b":" not in h:
                raise AssertionError("bad header line %r" % h)
            k, v = h.split(b":", 1)
            r.headers.append((k.decode("latin-1"), v.strip(b" \t").decode("latin-1")))
        r.raw_head = b"\r\n".join(raw) + b"\r\n"
        return r

    def read_response(self, method="GET", interim=False):
        """Reads one final response (interim 1xx responses are collected in .interim, or, with
        interim=True, the first 1xx is returned as is).  method tells whether a body follows
        (HEAD: none)."""
        collected = []
        while True:
            r = self.read_head()
            if 100 <= r.status < 200 and r.status != 101:
                if interim:
                    return r
                collected.append(r)
                continue
            break
        r.interim = collected
        if method == "HEAD" or r.status in (101, 204, 304):
            return r
        te = (r.header("transfer-encoding") or "").lower()
        if te:
            r.chunked = True
            body = b""
            while True:
                size = int(self._line().split(b";", 1)[0].strip(), 16)
                if size == 0:
                    while self._line() != b"":
                        pass
                    break
                body += self._exact(size)
                if self._exact(2) != b"\r\n":
                    raise AssertionError("bad chunk terminator")
            r.body = body
        elif r.header("content-length") is not None:
            r.body = self._exact(int(r.header("content-length")))
        else:
            r.close_delimited = True
            while True:
                try:
                    self._fill()
                except Closed:
                    break
            r.body, self.buf = self.buf, b""
        return r

    def request(self, method, path, headers=(), body=None, version="HTTP/1.1", host=None):
        self.send(build_request(method, path, headers, body, version, host, self.port))
        return self.read_response(method)

    def read_raw(self, timeout=None):
        """Whatever arrives until the peer closes or the (total) timeout passes (no error)."""
        old = self.sock.gettimeout()
        deadline = time.monotonic() + (timeout or self.timeout)
        data, self.buf = self.buf, b""
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.sock.settimeout(left)
                d = self.sock.recv(65536)
                if not d:
                    break
                data += d
        except (socket.timeout, ConnectionResetError):
            pass
        finally:
            self.sock.settimeout(old)
        return data

    def is_closed(self, timeout=2.0):
        """True if the peer closes (EOF or reset) within timeout with no further bytes;
        False if the connection stays open for the whole timeout.  Raises if bytes arrive."""
        if self.buf:
            raise AssertionError("unexpected bytes before close: %r" % self.buf[:200])
        old = self.sock.gettimeout()
        self.sock.settimeout(timeout)
        try:
            d = self.sock.recv(65536)
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False
        finally:
            self.sock.settimeout(old)
        if d:
            raise AssertionError("unexpected bytes instead of close: %r" % d[:200])
        return True


def build_request(method, path, headers=(), body=None, version="HTTP/1.1", host=None, port=None):
    """The bytes of a request.  headers: list of (name, value) or dict.  A Host header is added
    first unless host is False or headers contain one; Content-Length is added for a body
    unless headers set Content-Length or Transfer-Encoding."""
    if isinstance(headers, dict):
        headers = list(headers.items())
    headers = list(headers)
    names = {k.lower() for k, _ in headers}
    lines = ["%s %s %s" % (method, path, version)]
    if host is not False and "host" not in names:
        lines.append("Host: %s" % (host or "127.0.0.1:%d" % port))
    lines += ["%s: %s" % (k, v) for k, v in headers]
    if isinstance(body, str):
        body = body.encode()
    if body is not None and "content-length" not in names and "transfer-encoding" not in names:
        lines.append("Content-Length: %d" % len(body))
    data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return data + (body or b"")


def chunked(body, size=7):
    """body as chunked transfer coding in pieces of size bytes."""
    if isinstance(body, str):
        body = body.encode()
    out = b""
    for i in range(0, len(body), size):
        piece = body[i:i + size]
        out += b"%x\r\n%s\r\n" % (len(piece), piece)
    return out + b"0\r\n\r\n"


# Gateway ---------------------------------------------------------------------------------

class Gateway:
    """Runs sluice on a free 127.0.0.1 port for the duration of a with-block."""

    def __init__(self, cfg, workers=1, env=None, args=(), config_name="kong.yml",
                 expect_exit=0, use_cli=True, start_timeout=START_TIMEOUT, wait=True,
                 binary=None):
        require_binary()
        self.binary = binary or SLUICE_BIN
        self.cfg = cfg
        self.workers = workers
        self.extra_env = dict(env or {})
        self.args = list(args)
        self.expect_exit = expect_exit
        self.use_cli = use_cli
        self.start_timeout = start_timeout
        self.wait = wait
        self.dir = tempfile.mkdtemp(prefix="sluice-e2e-")
        self.config_path = os.path.join(self.dir, config_name)
        self.stderr_path = os.path.join(self.dir, "stderr.log")
        self.stdout_path = os.path.join(self.dir, "stdout.log")
        self.port = free_port()
        self.admin_port = free_port()  # every gateway gets its own admin listener
        self.proc = None
        self.returncode = None
        self.write_config(cfg)

    # config ----------------------------------------------------------------------------

    def write_config(self, cfg):
        text = cfg if isinstance(cfg, str) else to_yaml(cfg)
        tmp = self.config_path + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, self.config_path)

    def reload(self, cfg):
        """Rewrites the config file and sends SIGHUP."""
        self.write_config(cfg)
        self.proc.send_signal(signal.SIGHUP)

    # process ---------------------------------------------------------------------------

    def command(self):
        cmd = [self.binary]
        if self.use_cli:
            cmd += ["--config", self.config_path, "--proxy-listen", "127.0.0.1:%d" % self.port,
                    "--admin-listen", "127.0.0.1:%d" % self.admin_port,
                    "--workers", str(self.workers)]
        return cmd + self.args

    def environment(self):
        env = {k: v for k, v in os.environ.items()
               if not (k.startswith("SLUICE_") or k.startswith("KONG_"))}
        env.update(self.extra_env)
        if "SLUICE_ADMIN_LISTEN" not in env and "KONG_ADMIN_LISTEN" not in env:
            # not the default 127.0.0.1:8001, which parallel tests would share
            env["SLUICE_ADMIN_LISTEN"] = "127.0.0.1:%d" % self.admin_port
        return env

    def start(self):
        self._out = open(self.stdout_path, "wb")
        self._err = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(self.command(), env=self.environment(),
                                     stdin=subprocess.DEVNULL, stdout=self._out,
                                     stderr=self._err, cwd=self.dir)
        if self.wait:
            self.wait_ready()
        return self

    def wait_ready(self):
        deadline = time.monotonic() + self.start_timeout
        while True:
            if self.proc.poll() is not None:
                raise AssertionError("sluice exited with %d before listening; stderr:\n%s"
                                     % (self.proc.returncode, self.stderr()))
            try:
                s = socket.create_connection(("127.0.0.1", self.port), timeout=0.2)
                s.close()
                return
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.kill()
                raise AssertionError("sluice did not listen on 127.0.0.1:%d within %.0fs; "
                                     "stderr:\n%s" % (self.port, self.start_timeout, self.stderr()))
            time.sleep(0.02)

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=STOP_TIMEOUT)

    def stop(self, sig=signal.SIGTERM):
        """Sends sig and waits (bounded) for the exit; returns the exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=STOP_TIMEOUT)
                self.returncode = "killed"
                return self.returncode
        self.returncode = self.proc.returncode
        return self.returncode

    def stderr(self):
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self._cleanup()
            raise

    def __exit__(self, exc_type, exc, tb):
        rc = self.stop()
        self._cleanup()
        if exc_type is not None and os.environ.get("SLUICE_E2E_VERBOSE"):
            sys.stderr.write("--- sluice stderr ---\n%s\n" % self._stderr_text[-4000:])
        if exc_type is None and self.expect_exit is not None and rc != self.expect_exit:
            raise AssertionError("sluice exit status %r after SIGTERM, expected %r; stderr:\n%s"
                                 % (rc, self.expect_exit, self._stderr_text))
        return False

    def _cleanup(self):
        self._stderr_text = self.stderr()
        for f in (getattr(self, "_out", None), getattr(self, "_err", None)):
            if f:
                f.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    # requests --------------------------------------------------------------------------

    def client(self, timeout=TIMEOUT):
        return Client(self.port, timeout)

    def request(self, method, path, headers=(), body=None, host=None, version="HTTP/1.1",
                timeout=TIMEOUT):
        """One request on a fresh connection; returns the Response."""
        with self.client(timeout) as c:
            return c.request(method, path, headers, body, version, host)

    def get(self, path, headers=(), host=None):
        return self.request("GET", path, headers, host=host)

    def echo(self, path, headers=(), host=None, method="GET", body=None):
        """A request expected to reach the stub's echo; returns (response, echo document)."""
        r = self.request(method, path, headers, body, host=host)
        if r.status != 200 or not (r.header("content-type") or "").startswith("application/json"):
            raise AssertionError("expected an echo from the upstream for %s %s, got %r"
                                 % (method, path, r))
        return r, r.json()

    def http(self, timeout=TIMEOUT):
        """An http.client connection to the gateway."""
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)


def doc_header(doc, name, default=None):
    """First value of a header in an echo document (case-insensitive)."""
    name = name.lower()
    for k, v in doc["headers"]:
        if k.lower() == name:
            return v
    return default


def doc_header_all(doc, name):
    name = name.lower()
    return [v for k, v in doc["headers"] if k.lower() == name]


class GatewayTestCase(unittest.TestCase):
    """Base class with assertion helpers for Kong's error responses."""

    maxDiff = None

    def assertRequestId(self, value):
        self.assertIsNotNone(value, "missing request id")
        self.assertRegex(value, REQUEST_ID_RE)

    def assertKongError(self, r, status, message, fmt="json"):
        """r is a gateway-generated error: status, Content-Type, exact body in the format,
        request id matching X-Kong-Request-Id, Server and X-Kong-Response-Latency."""
        self.assertEqual(r.status, status, r)
        rid = r.header("x-kong-request-id")
        self.assertRequestId(rid)
        if fmt == "json":
            self.assertEqual(r.header("content-type"), CT_JSON)
            self.assertEqual(r.text, json_body(message, rid))
        elif fmt == "text":
            self.assertEqual(r.header("content-type"), CT_TEXT)
            self.assertEqual(r.text, text_body(message, rid))
        elif fmt == "html":
            self.assertEqual(r.header("content-type"), CT_HTML)
            self.assertIn("<p>%s.</p>" % message, r.text)
            self.assertIn("request_id: %s" % rid, r.text)
            self.assertTrue(r.text.startswith("<!doctype html>"), r.text)
        elif fmt == "xml":
            self.assertEqual(r.header("content-type"), CT_XML)
            self.assertTrue(r.text.startswith('<?xml version="1.0" encoding="UTF-8"?>'), r.text)
            self.assertIn("<message>%s</message>" % message, r.text)
            self.assertIn("<requestid>%s</requestid>" % rid, r.text)
        else:
            raise ValueError(fmt)
        self.assertEqual(r.header("content-length"), str(len(r.body)))
        self.assertEqual(r.header("server"), SERVER_TOKEN)
        lat = r.header("x-kong-response-latency")
        self.assertIsNotNone(lat, "missing X-Kong-Response-Latency")
        self.assertRegex(lat, r"^\d+$")
        return rid

    def assertClosed(self, client, timeout=2.0):
        self.assertTrue(client.is_closed(timeout), "the gateway kept the connection open")


def wait_admin(gw, timeout=5.0):
    """Waits until gw's admin port accepts (Gateway waits for the proxy port only)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            Client(gw.admin_port, timeout=0.5).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise AssertionError("admin API did not listen on 127.0.0.1:%d within %.0fs; "
                                     "stderr:\n%s" % (gw.admin_port, timeout, gw.stderr()))
            time.sleep(0.02)


def check_config(doc):
    """Runs `sluice check` on doc (a dict, or YAML text) in a fresh temporary directory;
    returns (exit status, stderr)."""
    d = tempfile.mkdtemp(prefix="sluice-check-")
    path = os.path.join(d, "kong.yml")
    with open(path, "w") as f:
        f.write(doc if isinstance(doc, str) else to_yaml(doc))
    p = subprocess.run([SLUICE_BIN, "check", path], capture_output=True, text=True, timeout=30)
    return p.returncode, p.stderr


class UpstreamTestCase(GatewayTestCase):
    """A GatewayTestCase with one stub upstream (cls.up) for the class, cleared before each
    test."""

    @classmethod
    def setUpClass(cls):
        cls.up = Upstream().start()

    @classmethod
    def tearDownClass(cls):
        cls.up.stop()

    def setUp(self):
        self.up.clear()
