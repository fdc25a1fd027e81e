#!/usr/bin/env python3
"""bench/load/idle_memory.py: memory per idle keep-alive connection, sluice beside nginx in
one run on this machine.

    bench/load/idle_memory.py [--conns N] [--rounds R] [--sluice PATH] [--out FILE]

For each proxy (one worker, started fresh, in front of the same upstream nginx that
bench/load/run.sh uses): 200 warm-up connections make one request each and close; then the
proxy's RSS (VmRSS summed over its processes) is read, N connections (default 10,000) are
opened and each makes one request whose response is read completely, and, with all of them
open and idle, RSS is read again. Bytes per idle connection = the RSS difference / N. With the
N connections still open, 20 new clients make one request each on a fresh connection; the
median and worst time to the whole response are reported. Rounds alternate the proxies; the
report gives each round's figures and the median. Loopback only; everything started is stopped
by PID at exit.
"""

import argparse
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
REQ = b"GET /bench HTTP/1.1\r\nHost: bench\r\n\r\n"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def render(template, out, **values):
    with open(template) as f:
        text = f.read()
    for k, v in values.items():
        text = text.replace("@%s@" % k, str(v))
    with open(out, "w") as f:
        f.write(text)


def temp_paths(d):
    return "\n".join("    %s_temp_path %s/%s;" % (k, d, k)
                     for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))


def wait_port(port, proc, timeout=10, logs=()):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            text = ""
            for path in logs:
                try:
                    with open(path) as f:
                        text += f.read()[-2000:]
                except OSError:
                    pass
            raise SystemExit("bench: %s exited early (%d)\n%s" % (proc.args[0], proc.returncode,
                                                                   text))
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("bench: port %d never accepted" % port)


def pids_of(root_pid):
    """root_pid and its descendants."""
    out = [root_pid]
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry) as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            if ppid == root_pid:
                out += pids_of(int(entry))
    return out


def rss_bytes(root_pid):
    total = 0
    for pid in pids_of(root_pid):
        try:
            with open("/proc/%d/status" % pid) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


def one_request(sock):
    sock.sendall(REQ)
    data = b""
    while True:
        d = sock.recv(4096)
        if not d:
            raise RuntimeError("closed before the response ended")
        data += d
        if b"\r\n\r\n" in data:
            head, body = data.split(b"\r\n\r\n", 1)
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    if len(body) >= int(line.split(b":")[1]):
                        return head.split(b" ")[1]


def open_idle(port, n, batch=200):
    socks = []
    for i in range(0, n, batch):
        group = [socket.create_connection(("127.0.0.1", port), timeout=10)
                 for _ in range(min(batch, n - i))]
        for s in group:
            s.sendall(REQ)
        for s in group:
            data = b""
            while b"hello from the upstream" not in data:
                d = s.recv(4096)
                if not d:
                    raise RuntimeError("connection %d closed" % len(socks))
                data += d
        socks += group
    return socks


def measure(name, port, proc, n):
    warm = open_idle(port, 200)
    for s in warm:
        s.close()
    time.sleep(1.0)
    before = rss_bytes(proc.pid)
    socks = open_idle(port, n)
    time.sleep(1.0)
    after = rss_bytes(proc.pid)
    times = []
    for _ in range(20):
        t0 = time.monotonic()
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            status = one_request(s)
        times.append((time.monotonic() - t0) * 1000)
        if status != b"200":
            raise RuntimeError("%s answered %r" % (name, status))
    for s in socks:
        s.close()
    return {"before": before, "after": after, "per_conn": (after - before) / n,
            "p50_ms": statistics.median(times), "max_ms": max(times)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--conns", type=int, default=10000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--sluice", default=os.path.join(ROOT, "build", "sluice"))
    ap.add_argument("--out")
    args = ap.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = args.conns + 1000
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(need, soft)), hard))
    if resource.getrlimit(resource.RLIMIT_NOFILE)[0] < need:
        raise SystemExit("bench: need %d open files (ulimit -n)" % need)
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"

    tmp = tempfile.mkdtemp(prefix="sluice-idle-")
    procs = []

    def start(cmd, port, cwd):
        p = subprocess.Popen(cmd, cwd=cwd, stdin=subprocess.DEVNULL,
                             stdout=open(os.path.join(cwd, "out.log"), "wb"),
                             stderr=subprocess.STDOUT)
        procs.append(p)
        wait_port(port, p, logs=(os.path.join(cwd, "out.log"), os.path.join(cwd, "error.log")))
        return p

    def stop(p):
        if p.poll() is None:
            p.send_signal(signal.SIGTERM if p.args[0] != nginx else signal.SIGQUIT)
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    results = {"sluice": [], "nginx": []}
    try:
        up_dir = os.path.join(tmp, "upstream")
        os.makedirs(up_dir)
        up_port = free_port()
        render(os.path.join(HERE, "upstream-nginx.conf"), os.path.join(up_dir, "nginx.conf"),
               DIR=up_dir, PORT=up_port, TEMP_PATHS=temp_paths(up_dir))
        start([nginx, "-p", up_dir + "/", "-e", up_dir + "/error.log", "-c",
               up_dir + "/nginx.conf"], up_port, up_dir)
        for rnd in range(args.rounds):
            order = ["sluice", "nginx"] if rnd % 2 == 0 else ["nginx", "sluice"]
            for name in order:
                d = os.path.join(tmp, "%s-%d" % (name, rnd))
                os.makedirs(d)
                port = free_port()
                if name == "sluice":
                    render(os.path.join(HERE, "sluice.yml.in"), os.path.join(d, "kong.yml"),
                           UPSTREAM_PORT=up_port)
                    env_cmd = [args.sluice, "--config", d + "/kong.yml", "--proxy-listen",
                               "127.0.0.1:%d" % port, "--admin-listen",
                               "127.0.0.1:%d" % free_port(), "--workers", "1"]
                    os.environ["SLUICE_KEEPALIVE_REQUESTS"] = "1000000"
                    os.environ["SLUICE_KEEPALIVE_TIMEOUT"] = "300s"
                    p = start(env_cmd, port, d)
                else:
                    render(os.path.join(HERE, "nginx-proxy.conf.in"), os.path.join(d, "nginx.conf"),
                           DIR=d, PORT=port, UPSTREAM_PORT=up_port, KEEPALIVE=64,
                           CLIENT_KEEPALIVE_REQUESTS=1000000,
                           TEMP_PATHS=temp_paths(d))
                    p = start([nginx, "-p", d + "/", "-e", d + "/error.log", "-c",
                               d + "/nginx.conf"], port, d)
                r = measure(name, port, p, args.conns)
                results[name].append(r)
                print("bench: round %d %s: %.0f bytes per idle connection, new client %.2f ms"
                      % (rnd + 1, name, r["per_conn"], r["p50_ms"]), file=sys.stderr)
                stop(p)
    finally:
        for p in procs:
            stop(p)
        shutil.rmtree(tmp, ignore_errors=True)

    nginx_version = subprocess.run([nginx, "-v"], capture_output=True, text=True).stderr.strip()
    lines = ["| proxy | bytes per idle connection | RSS before -> with %d idle | new client p50 | "
             "new client worst | per round |" % args.conns,
             "|---|---:|---:|---:|---:|---|"]
    med = {}
    for name in ("sluice", "nginx"):
        rs = results[name]
        med[name] = statistics.median(r["per_conn"] for r in rs)
        m = rs[len(rs) // 2]
        lines.append("| %s | %.0f | %.1f -> %.1f MiB | %.2f ms | %.2f ms | %s |" % (
            name, med[name], m["before"] / 2**20, m["after"] / 2**20,
            statistics.median(r["p50_ms"] for r in rs), max(r["max_ms"] for r in rs),
            " / ".join("%.0f" % r["per_conn"] for r in rs)))
    lines.append("")
    lines.append("sluice ÷ nginx, bytes per idle connection: %.2f (%s; %d rounds)"
                 % (med["sluice"] / med["nginx"], nginx_version, args.rounds))
    report = "\n".join(lines) + "\n"
    sys.stdout.write(report)
    if args.out:
        with open(args.out, "w") as f:
            f.write(report)


if __name__ == "__main__":
    main()
