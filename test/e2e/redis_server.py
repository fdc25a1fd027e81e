"""A real redis-server for the end-to-end tests: started on a free 127.0.0.1 port with no
persistence, talked to with a minimal RESP client, stopped by its PID."""

import os
import shutil
import socket
import subprocess
import tempfile
import time

from harness import free_port

REDIS_BIN = shutil.which("redis-server") or "/usr/bin/redis-server"


def have_redis():
    return os.path.exists(REDIS_BIN)


class RedisServer:
    def __init__(self, port=None, password=None):
        self.port = port or free_port()
        self.password = password
        self.proc = None
        self.dir = tempfile.mkdtemp(prefix="sluice-redis-")

    def start(self):
        args = [REDIS_BIN, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--dir", self.dir, "--daemonize", "no"]
        if self.password:
            args += ["--requirepass", self.password]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if self.command("PING") in ("PONG", b"PONG"):
                    return self
            except OSError:
                pass
            time.sleep(0.02)
        self.stop()
        raise AssertionError("redis-server did not start on port %d" % self.port)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc = None

    def close(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()
        return False

    # a minimal RESP client -------------------------------------------------------------

    def command(self, *args, db=0):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=2)
        try:
            f = s.makefile("rb")
            if self.password:
                s.sendall(_encode(("AUTH", self.password)))
                _read(f)
            if db:
                s.sendall(_encode(("SELECT", db)))
                _read(f)
            s.sendall(_encode(args))
            return _read(f)
        finally:
            s.close()

    def keys(self, pattern="*"):
        return sorted(k.decode() for k in self.command("KEYS", pattern))

    def get_int(self, key):
        v = self.command("GET", key)
        return int(v) if v is not None else None


def _encode(args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        b = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(b), b))
    return b"".join(out)


def _read(f):
    line = f.readline()
    if not line:
        raise OSError("connection closed")
    kind, rest = line[:1], line[1:-2]
    if kind == b"+":
        return rest.decode()
    if kind == b"-":
        raise RuntimeError(rest.decode())
    if kind == b":":
        return int(rest)
    if kind == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = f.read(n + 2)
        return data[:-2]
    if kind == b"*":
        return [_read(f) for _ in range(int(rest))]
    raise OSError("bad RESP reply %r" % line)
