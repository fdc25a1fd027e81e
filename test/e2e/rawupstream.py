"""An upstream on raw sockets that records every byte it receives, for the tests that must
prove a request never reached the upstream (smuggling) or that a connection was closed.

    with RawUpstream(respond=lambda head: CANNED_200) as up:
        ...
        assert b"/smuggled" not in up.received()

Each connection is served by one thread: it reads a request head, then the body framed by
Content-Length or chunked coding (enough for what the gateway sends), records everything,
and writes what `respond(head_bytes)` returns (bytes; a list of byte strings, sent 50 ms
apart; or None to answer nothing and hold the connection open until the peer closes).  `closed_at[i]` is when connection i saw EOF or a
reset.  Everything listens on 127.0.0.1 only and every socket has a timeout.
"""

import socket
import threading
import time


def response(status=200, body=b"ok", headers=(), reason="OK"):
    """The bytes of a complete keep-alive response with a Content-Length."""
    head = "HTTP/1.1 %d %s\r\nContent-Length: %d\r\n" % (status, reason, len(body))
    head += "".join("%s: %s\r\n" % kv for kv in headers)
    return head.encode() + b"\r\n" + body


CANNED_200 = response()


class RawUpstream:
    def __init__(self, respond=lambda head: CANNED_200):
        self.respond = respond
        self.lock = threading.Lock()
        self.conns = []          # bytes received, one entry per connection
        self.closed_at = []      # monotonic time of EOF per connection (None while open)
        self.heads = []          # every request head received, in order
        self.lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(64)
        self.port = self.lsock.getsockname()[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self.stopping = False
        self.socks = []
        self.threads = []

    def start(self):
        t = threading.Thread(target=self._accept, daemon=True)
        t.start()
        self.threads.append(t)
        return self

    def stop(self):
        self.stopping = True
        for s in [self.lsock] + self.socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                s.close()
            except OSError:
                pass
        for t in self.threads:
            t.join(timeout=2)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    def received(self):
        """Every byte received on every connection, joined."""
        with self.lock:
            return b"".join(self.conns)

    def connection_count(self):
        with self.lock:
            return len(self.conns)

    def wait_heads(self, n, timeout=3.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.heads) >= n:
                    return len(self.heads)
            time.sleep(0.01)
        with self.lock:
            return len(self.heads)

    def wait_closed(self, i, timeout=3.0):
        """Monotonic time connection i saw EOF, or None if it stayed open for timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if i < len(self.closed_at) and self.closed_at[i] is not None:
                    return self.closed_at[i]
            time.sleep(0.01)
        return None

    # serving -----------------------------------------------------------------------------

    def _accept(self):
        while not self.stopping:
            try:
                s, _ = self.lsock.accept()
            except OSError:
                return
            with self.lock:
                i = len(self.conns)
                self.conns.append(b"")
                self.closed_at.append(None)
                self.socks.append(s)
            t = threading.Thread(target=self._serve, args=(s, i), daemon=True)
            t.start()
            self.threads.append(t)

    def _recv(self, s, i):
        try:
            d = s.recv(65536)
        except (ConnectionResetError, socket.timeout):
            d = b""
        except OSError:
            d = b""
        with self.lock:
            if d:
                self.conns[i] += d
            elif self.closed_at[i] is None:
                self.closed_at[i] = time.monotonic()
        return d

    def _serve(self, s, i):
        s.settimeout(30)
        buf = b""
        try:
            while not self.stopping:
                while b"\r\n\r\n" not in buf:
                    d = self._recv(s, i)
                    if not d:
                        return
                    buf += d
                head, buf = buf.split(b"\r\n\r\n", 1)
                head += b"\r\n\r\n"
                with self.lock:
                    self.heads.append(head)
                lower = head.lower()
                if b"transfer-encoding: chunked" in lower:
                    while not buf.endswith(b"0\r\n\r\n") and b"\r\n0\r\n\r\n" not in buf:
                        d = self._recv(s, i)
                        if not d:
                            return
                        buf += d
                    end = buf.find(b"0\r\n\r\n") + 5 if buf.startswith(b"0\r\n\r\n") else \
                        buf.find(b"\r\n0\r\n\r\n") + 7
                    buf = buf[end:]
                else:
                    n = 0
                    for line in lower.split(b"\r\n"):
                        if line.startswith(b"content-length:"):
                            n = int(line.split(b":", 1)[1])
                    while len(buf) < n:
                        d = self._recv(s, i)
                        if not d:
                            return
                        buf += d
                    buf = buf[n:]
                out = self.respond(head)
                if out is None:
                    while self._recv(s, i):
                        pass
                    return
                if isinstance(out, list):
                    for piece in out:
                        s.sendall(piece)
                        time.sleep(0.05)
                else:
                    s.sendall(out)
        except OSError:
            return
        finally:
            with self.lock:
                if self.closed_at[i] is None:
                    self.closed_at[i] = time.monotonic()
            try:
                s.close()
            except OSError:
                pass
