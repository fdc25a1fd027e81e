"""A stub HTTP/1.1 upstream for the end-to-end tests.

The server is a hand-written loop on raw sockets (one thread per TCP connection) so the tests
control the framing exactly.  It binds 127.0.0.1 on port 0; `Upstream.port` is the port.

What it answers is picked from the request path.  The behaviour segment may come after any
prefix (a service path such as /srv is allowed in front), so `/srv/status/418` works too:

  (anything else)    echo: 200, JSON with what arrived (see `Upstream.echo_doc`)
  /status/<code>     that status, body "status <code>\n" (none for 1xx/204/304)
  /slow/<ms>         sleeps <ms> before the echo
  /slowbody/<ms>     sends the head at once, the body after <ms>
  /chunked/<n>       chunked response of n chunks "chunk <i>\n"
  /big/<bytes>       Content-Length response of <bytes> bytes of `pattern(<bytes>)`
  /bigchunked/<bytes> the same bytes, chunked in 64 KiB chunks
  /close             response without Content-Length, delimited by closing the connection
  /closeafter        echo with "Connection: close", then closes
  /dropafter         echo (keep-alive), then closes the connection 50 ms later, silently
  /headers           custom response headers (Server, Via, Connection: x-foo, X-Foo, ...)
  /ws                101 Switching Protocols if asked to upgrade, then echoes raw bytes
  /103               an interim 103 Early Hints, then the echo
  /garbage           bytes that are not HTTP, then close
  /hangup            closes without answering
  /badchunk          a chunked response whose second chunk size is not hex, then close
  /truncate/<n>      announces 2*n bytes, sends n, closes
  /sha256            200, JSON {"sha256": hex digest of the request body, "len": its length}

Every request is recorded in `Upstream.requests` (a list of `Req`), so a test can assert what
reached the upstream, or that nothing did.  Bytes that could not be parsed as a request are kept
in `Upstream.bad`.
"""

import base64
import hashlib
import json
import re
import socket
import threading
import time

WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC11B65"

_BEHAVIOUR = re.compile(
    rb"/(status|slow|slowbody|chunked|big|bigchunked|truncate)/(\d+)/?$"
    rb"|/(close|closeafter|dropafter|headers|ws|103|garbage|hangup|badchunk|sha256)/?$")


def pattern(n):
    """The deterministic bytes /big/<n> sends: a repeating 256-byte ramp."""
    block = bytes(range(256))
    reps, rest = divmod(n, 256)
    return block * reps + block[:rest]


class Req:
    """One request as the upstream received it."""

    def __init__(self):
        self.method = ""
        self.target = ""      # request target exactly as on the request line
        self.version = ""
        self.headers = []     # [(name, value)] in order, names as sent
        self.body = b""
        self.chunked = False  # the body arrived with Transfer-Encoding: chunked
        self.conn_id = 0
        self.conn_req = 0     # 1 for the first request on that connection
        self.received_at = 0.0

    @property
    def path(self):
        return self.target.split("?", 1)[0]

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


class _ConnClosed(Exception):
    pass


class _Reader:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise _ConnClosed()
        self.buf += data

    def read_until(self, sep, limit=1 << 20):
        while True:
            i = self.buf.find(sep)
            if i >= 0:
                out, self.buf = self.buf[:i], self.buf[i + len(sep):]
                return out
            if len(self.buf) > limit:
                raise ValueError("line too long")
            self.fill()

    def read_exact(self, n):
        while len(self.buf) < n:
            self.fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out


class Upstream:
    """A stub upstream server in background threads.  Use as a context manager or call
    start()/stop()."""

    def __init__(self, name="stub", port=0):
        self.name = name
        self.requests = []
        self.bad = []
        self.connections = 0
        self._lock = threading.Lock()
        self._socks = set()
        self._threads = []
        self._stopping = False
        self.lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(("127.0.0.1", port))
        self.lsock.listen(128)
        self.port = self.lsock.getsockname()[1]
        self.address = "127.0.0.1:%d" % self.port
        self.url = "http://127.0.0.1:%d" % self.port

    # lifecycle -------------------------------------------------------------------------

    def start(self):
        t = threading.Thread(target=self._accept_loop, name="upstream-accept", daemon=True)
        t.start()
        self._threads.append(t)
        return self

    def stop(self):
        self._stopping = True
        try:
            self.lsock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            self.lsock.close()
        except OSError:
            pass
        with self._lock:
            socks = list(self._socks)
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                s.close()
            except OSError:
                pass
        for t in self._threads:
            t.join(timeout=2)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    # queries ---------------------------------------------------------------------------

    def count(self):
        with self._lock:
            return len(self.requests)

    def last(self):
        with self._lock:
            return self.requests[-1] if self.requests else None

    def clear(self):
        with self._lock:
            self.requests.clear()
            self.bad.clear()

    def wait_for(self, n, timeout=3.0):
        """Waits until at least n requests were recorded; returns the count."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.count() >= n:
                break
            time.sleep(0.01)
        return self.count()

    # server ----------------------------------------------------------------------------

    def _accept_loop(self):
        while not self._stopping:
            try:
                s, _ = self.lsock.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
                cid = self.connections
                self._socks.add(s)
            t = threading.Thread(target=self._serve, args=(s, cid), name="upstream-conn",
                                 daemon=True)
            t.start()
            self._threads.append(t)

    def _serve(self, s, cid):
        s.settimeout(30)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        rd = _Reader(s)
        nreq = 0
        try:
            while not self._stopping:
                try:
                    req = self._read_request(rd)
                except _ConnClosed:
                    if rd.buf:
                        with self._lock:
                            self.bad.append(rd.buf)
                    return
                except ValueError:
                    with self._lock:
                        self.bad.append(rd.buf)
                    return
                nreq += 1
                req.conn_id = cid
                req.conn_req = nreq
                req.received_at = time.monotonic()
                with self._lock:
                    self.requests.append(req)
                if not self._respond(s, rd, req):
                    return
        except (OSError, _ConnClosed):
            return
        finally:
            with self._lock:
                self._socks.discard(s)
            try:
                s.close()
            except OSError:
                pass

    def _read_request(self, rd):
        line = rd.read_until(b"\r\n")
        while line == b"":  # tolerate stray CRLF between requests
            line = rd.read_until(b"\r\n")
        parts = line.split(b" ")
        if len(parts) != 3 or not parts[2].startswith(b"HTTP/"):
            raise ValueError("bad request line %r" % line)
        req = Req()
        req.method = parts[0].decode("latin-1")
        req.target = parts[1].decode("latin-1")
        req.version = parts[2].decode("latin-1")
        while True:
            h = rd.read_until(b"\r\n")
            if h == b"":
                break
            if b":" not in h:
                raise ValueError("bad header line %r" % h)
            k, v = h.split(b":", 1)
            req.headers.append((k.decode("latin-1"), v.strip(b" \t").decode("latin-1")))
        te = (req.header("transfer-encoding") or "").lower()
        if te:
            if te != "chunked":
                raise ValueError("unsupported transfer-encoding %r" % te)
            req.chunked = True
            body = b""
            while True:
                size_line = rd.read_until(b"\r\n")
                size = int(size_line.split(b";", 1)[0].strip(), 16)
                if size == 0:
                    while rd.read_until(b"\r\n") != b"":  # trailers
                        pass
                    break
                body += rd.read_exact(size)
                if rd.read_exact(2) != b"\r\n":
                    raise ValueError("bad chunk end")
            req.body = body
        else:
            cl = req.header("content-length")
            if cl is not None:
                req.body = rd.read_exact(int(cl))
        return req

    # responses -------------------------------------------------------------------------

    def echo_doc(self, req):
        return {
            "upstream": self.name,
            "port": self.port,
            "method": req.method,
            "path": req.target,
            "version": req.version,
            "headers": [[k, v] for k, v in req.headers],
            "body": req.body.decode("latin-1"),
            "chunked": req.chunked,
            "conn_id": req.conn_id,
            "conn_req": req.conn_req,
        }

    @staticmethod
    def _keep_alive(req):
        conn = [t.strip().lower() for t in (req.header("connection") or "").split(",")]
        if req.version == "HTTP/1.0":
            return "keep-alive" in conn
        return "close" not in conn

    def _send(self, s, status, headers, body=b"", req=None, reason=None):
        ka = req is None or self._keep_alive(req)
        lines = ["HTTP/1.1 %d %s" % (status, reason or _REASONS.get(status, "Status"))]
        lines += ["%s: %s" % (k, v) for k, v in headers]
        if not ka:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        if req is not None and req.method == "HEAD":
            body = b""
        s.sendall(head + body)
        return ka

    def _echo(self, s, req, extra=()):
        # "X-Stub-Response-Header: Name: value" asks for that header on the echo's response
        extra = list(extra) + [tuple(p.strip() for p in v.split(":", 1))
                               for v in req.header_all("x-stub-response-header") if ":" in v]
        body = json.dumps(self.echo_doc(req)).encode()
        return self._send(s, 200, [("Content-Type", "application/json"),
                                   ("Content-Length", str(len(body)))] + list(extra),
                          body, req)

    def _respond(self, s, rd, req):
        """Answers req; returns whether to keep reading from the connection."""
        m = _BEHAVIOUR.search(req.path.encode("latin-1"))
        if m is None:
            return self._echo(s, req)
        kind = (m.group(1) or m.group(3)).decode()
        arg = int(m.group(2)) if m.group(2) else 0

        if kind == "status":
            if arg < 200 or arg in (204, 304):
                return self._send(s, arg, [("X-Stub", self.name)], b"", req)
            body = b"status %d\n" % arg
            return self._send(s, arg, [("Content-Type", "text/plain"),
                                       ("Content-Length", str(len(body)))], body, req)
        if kind == "slow":
            time.sleep(arg / 1000.0)
            return self._echo(s, req)
        if kind == "slowbody":
            body = b"slow body\n"
            s.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n"
                      % len(body))
            time.sleep(arg / 1000.0)
            s.sendall(body)
            return self._keep_alive(req)
        if kind == "chunked":
            ka = self._keep_alive(req)
            out = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n"
            out += b"\r\n" if ka else b"Connection: close\r\n\r\n"
            s.sendall(out)
            if req.method != "HEAD":
                for i in range(arg):
                    c = b"chunk %d\n" % i
                    s.sendall(b"%x\r\n%s\r\n" % (len(c), c))
                s.sendall(b"0\r\n\r\n")
            return ka
        if kind in ("big", "bigchunked"):
            data = pattern(arg)
            ka = self._keep_alive(req)
            if kind == "big":
                head = ("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                        "Content-Length: %d\r\n" % arg)
            else:
                head = ("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                        "Transfer-Encoding: chunked\r\n")
            head += "\r\n" if ka else "Connection: close\r\n\r\n"
            s.sendall(head.encode())
            if req.method == "HEAD":
                return ka
            step = 65536
            for off in range(0, len(data), step):
                piece = data[off:off + step]
                if kind == "big":
                    s.sendall(piece)
                else:
                    s.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
            if kind == "bigchunked":
                s.sendall(b"0\r\n\r\n")
            return ka
        if kind == "truncate":
            s.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n"
                      % (2 * arg) + b"x" * arg)
            time.sleep(0.05)
            return False
        if kind == "close":
            body = b"closed body\n" * 10
            s.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n"
                      + (b"" if req.method == "HEAD" else body))
            return False
        if kind == "closeafter":
            body = json.dumps(self.echo_doc(req)).encode()
            s.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                      b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)
            return False
        if kind == "dropafter":
            self._echo(s, req)
            time.sleep(0.05)
            return False
        if kind == "headers":
            body = b"custom headers\n"
            return self._send(s, 200, [
                ("Server", "stub-server/1.0"),
                ("Via", "1.1 stub-proxy"),
                ("Connection", "x-foo"),
                ("X-Foo", "must be dropped"),
                ("X-Bar", "kept"),
                ("Keep-Alive", "timeout=5"),
                ("Proxy-Connection", "keep-alive"),
                ("Trailer", "X-Checksum"),
                ("Upgrade", "h2c"),
                ("Set-Cookie", "a=1"),
                ("Set-Cookie", "b=2"),
                ("Content-Type", "text/plain"),
                ("Content-Length", str(len(body))),
            ], body, req)
        if kind == "ws":
            upgrade = (req.header("upgrade") or "").lower()
            if upgrade != "websocket":
                body = b"upgrade required\n"
                return self._send(s, 426, [("Content-Length", str(len(body)))], body, req)
            key = (req.header("sec-websocket-key") or "").encode()
            accept = base64.b64encode(hashlib.sha1(key + WS_GUID).digest()).decode()
            s.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                       "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n"
                       % accept).encode())
            if rd.buf:
                s.sendall(rd.buf)
                rd.buf = b""
            while True:
                data = s.recv(65536)
                if not data:
                    return False
                s.sendall(data)
        if kind == "sha256":
            body = json.dumps({"sha256": hashlib.sha256(req.body).hexdigest(),
                               "len": len(req.body)}).encode()
            return self._send(s, 200, [("Content-Type", "application/json"),
                                       ("Content-Length", str(len(body)))], body, req)
        if kind == "103":
            s.sendall(b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n")
            time.sleep(0.05)
            return self._echo(s, req)
        if kind == "garbage":
            s.sendall(b"THIS IS NOT HTTP AT ALL\r\n\r\n")
            return False
        if kind == "badchunk":
            s.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                      b"Transfer-Encoding: chunked\r\n\r\n5\r\nfirst\r\nzz\r\nsecond\r\n")
            time.sleep(0.05)
            return False
        if kind == "hangup":
            return False
        return self._echo(s, req)


_REASONS = {
    100: "Continue", 101: "Switching Protocols", 103: "Early Hints",
    200: "OK", 201: "Created", 202: "Accepted", 204: "No Content",
    301: "Moved Permanently", 302: "Found", 304: "Not Modified",
    400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
    418: "I'm a teapot", 429: "Too Many Requests",
    500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
    504: "Gateway Timeout",
}
