#!/usr/bin/env bash
# Instructions per proxied request, counted by valgrind's callgrind in the worker thread, for
# sluice with no plugin and with each plugin setup the load benchmark uses. Unlike req/s on a
# shared machine, these counts do not move with other load, so they show what a plugin adds
# to sluice's own work (user space only: the kernel's TCP work, most of a request's CPU, is
# not counted).
#
#   bench/micro/instr_per_request.sh [REQUESTS]     (default 2000, after 200 warm-up ones)
#
# Everything listens on 127.0.0.1 ports from a free range and is stopped by PID at exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
n=${1:-2000}
sluice=$root/build/sluice
[ -x "$sluice" ] || { echo "build sluice first (cmake --build build)" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "needs valgrind" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sluice-instr.XXXXXX")
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT
base=$(python3 -c 'import random; print(random.randrange(20000, 30000))')
up=$base; px=$((base + 1)); rd=$((base + 2))

cat >"$tmp/nginx.conf" <<NGX
worker_processes 1; daemon off; pid $tmp/nginx.pid; error_log $tmp/nginx.err;
events {}
http { access_log off; client_body_temp_path $tmp/cb; proxy_temp_path $tmp/px;
  fastcgi_temp_path $tmp/fc; uwsgi_temp_path $tmp/uw; scgi_temp_path $tmp/sc;
  server { listen 127.0.0.1:$up; location / { return 200 '{"id":1,"name":"bench"}'; } } }
NGX
nginx -p "$tmp/" -c "$tmp/nginx.conf" & pids+=($!)
redis-server --port "$rd" --bind 127.0.0.1 --save "" --appendonly no --dir "$tmp" \
    >/dev/null 2>&1 & pids+=($!)

head="_format_version: \"3.0\"
services:
  - name: s
    url: http://127.0.0.1:$up
    routes: [{name: r, paths: [/]}]"
declare -A plugins=(
    [plain]=""
    [rate-limiting-local]="plugins:
  - name: rate-limiting
    config: { second: 1000000, hour: 1000000000, policy: local }"
    [rate-limiting-redis-sync1]="plugins:
  - name: rate-limiting
    config: { second: 1000000, hour: 1000000000, policy: redis, sync_rate: 1,
              redis: { host: 127.0.0.1, port: $rd } }"
    [prometheus-all]="plugins:
  - name: prometheus
    config: { status_code_metrics: true, latency_metrics: true, bandwidth_metrics: true,
              upstream_health_metrics: true, per_consumer: true }"
    [key-auth]="plugins:
  - name: key-auth
consumers:
  - username: bench
    keyauth_credentials: [{key: bench-key}]"
)
cat >"$tmp/drive.py" <<'PY'
import http.client, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
hdr = dict([sys.argv[3].split(": ", 1)]) if len(sys.argv) > 3 else {}
c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
for _ in range(n):
    c.request("GET", "/bench", headers=hdr)
    r = c.getresponse()
    r.read()
    assert r.status == 200, r.status
PY

measure() {   # measure NAME ACCESS_LOG [HEADER]
    local name=$1 alog=$2 hdr=${3:-} cfg=$tmp/$1.yml out=$tmp/cg.$1 t vp i
    printf '%s\n%s\n' "$head" "${plugins[${name%+log}]}" >"$cfg"
    KONG_PROXY_ACCESS_LOG=$alog valgrind --tool=callgrind --callgrind-out-file="$out" \
        "$sluice" -c "$cfg" --proxy-listen "127.0.0.1:$px" --admin-listen off --workers 1 \
        --log-level warn 2>/dev/null & vp=$!
    pids+=($vp)
    for i in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$px") 2>/dev/null && break; sleep 0.1; done
    python3 "$tmp/drive.py" "$px" 200 ${hdr:+"$hdr"}
    callgrind_control -z "$vp" >/dev/null 2>&1
    python3 "$tmp/drive.py" "$px" "$n" ${hdr:+"$hdr"}
    callgrind_control -d "$vp" >/dev/null 2>&1
    kill "$vp"; wait "$vp" 2>/dev/null || true
    t=$(callgrind_annotate "$out.1" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
    printf '| %s | %s |\n' "$name" "$((t / n))"
}
sleep 0.5
echo "| setup | instructions per request |"
echo "|---|---:|"
measure plain off
measure plain+log "$tmp/access.log"
measure prometheus-all+log "$tmp/access.log"
measure rate-limiting-local off
measure rate-limiting-redis-sync1 off
measure key-auth off "apikey: bench-key"
