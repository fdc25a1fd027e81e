#!/usr/bin/env bash
# bench/load/run.sh: sluice against nginx and HAProxy as reverse proxies, in one run, on one
# machine, with wrk. Prints a markdown report (and writes it to --out FILE).
#
#   bench/load/run.sh [--rounds N] [--duration D] [--sluice PATH] [--only LIST] [--out FILE]
#
#   --rounds N     interleaved rounds (default 3, or $ROUNDS)
#   --duration D   measured wrk run per figure, wrk syntax (default 10s, or $DURATION)
#   --sluice PATH  gateway binary (default build/sluice)
#   --only LIST    comma-separated subset of: direct,sluice,sluice-log,sluice-metrics,
#                  sluice-keyauth,sluice-rl,sluice-rl-redis,sluice-jwt-hs256,sluice-jwt-rs256,
#                  nginx,haproxy (default: direct,
#                  sluice,nginx,haproxy). sluice-log is sluice with its access log written to a
#                  file; sluice-metrics adds the prometheus plugin, globally with every
#                  *_metrics flag on, to sluice-log, and scrapes GET /metrics once a second
#                  during the measured run; sluice-keyauth is sluice with key-auth on every
#                  request, the key in an `apikey` header among 10,000 credentials; sluice-rl
#                  has rate-limiting policy local on every request, sluice-rl-redis policy
#                  redis with sync_rate 1 against a redis-server on the load CPU; both with
#                  limits no run reaches, so every request is counted and passes;
#                  sluice-jwt-hs256 / sluice-jwt-rs256 is sluice with a global jwt plugin,
#                  every request carrying the same Bearer token, HS256 or RS256 with a 2048-bit
#                  key, verified every time.
#   --out FILE     also write the report to FILE
#   --scenarios L  comma-separated subset of: keepalive-50,keepalive-256,close-50 (default: all)
# Environment: WARMUP (default 2s, wrk run before each measurement), PROXY_CPU (default 0),
# LOAD_CPU (default 1; upstream and wrk), KEEP_TMP=1 (keep the temp dir with configs and logs),
# CLIENT_KEEPALIVE_REQUESTS (default 1000000: requests a client connection may carry before
# nginx and sluice close it; 10000 is sluice's and Kong's default, and shows whether the
# last response before the close says "Connection: close": wrk counts a read error for each
# connection closed under it otherwise).
#
# What runs: an upstream nginx (one worker) returning a fixed ~100-byte JSON body, and wrk, both
# pinned to LOAD_CPU; the proxy under test (one worker or thread) pinned to PROXY_CPU, started
# fresh for every measurement so that its peak RSS belongs to that scenario. "direct" is wrk
# against the upstream itself. Scenarios: keep-alive with 50 and 256 connections, and
# `Connection: close` with 50. Each measurement is `wrk -t1 -c<conns> -d<duration> --latency`
# after a warm-up run; it records 2xx req/s, p50 and p99 latency, the proxy's peak RSS (VmHWM,
# summed over its processes) and its CPU time per request (utime+stime from /proc/PID/stat
# before and after the measured run, divided by the requests completed). Rounds are
# interleaved (each round measures every target for every scenario, in an order rotated from
# one round to the next) and the report gives medians, with ratios to nginx taken within each
# round. Everything listens on 127.0.0.1 ports from a free range and is stopped by PID at exit.
set -Eeuo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cmdline="$*"
root=$(cd "$here/../.." && pwd)

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
PROXY_CPU=${PROXY_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
CLIENT_KEEPALIVE_REQUESTS=${CLIENT_KEEPALIVE_REQUESTS:-1000000}
SLUICE=$root/build/sluice
ONLY=direct,sluice,nginx,haproxy
OUT=""
ALL_TARGETS="direct sluice sluice-log sluice-metrics sluice-keyauth sluice-rl sluice-rl-redis"
ALL_TARGETS="$ALL_TARGETS sluice-jwt-hs256 sluice-jwt-rs256 nginx haproxy"
# Scenarios, in order: NAME:CONNECTIONS:EXTRA_REQUEST_HEADER
SCENARIOS=("keepalive-50:50:" "keepalive-256:256:" "close-50:50:Connection: close")

usage() { sed -n '2,/^set -E*euo/{/^#/{s/^# \{0,1\}//;p}}' "$0"; }
die() { printf 'bench: error: %s\n' "$*" >&2; exit 1; }
log() { printf 'bench: %s\n' "$*" >&2; }

while [ $# -gt 0 ]; do
    case $1 in
        --rounds) ROUNDS=${2:?--rounds needs a value}; shift 2 ;;
        --duration) DURATION=${2:?--duration needs a value}; shift 2 ;;
        --sluice) SLUICE=${2:?--sluice needs a path}; shift 2 ;;
        --only) ONLY=${2:?--only needs a list}; shift 2 ;;
        --out) OUT=${2:?--out needs a file}; shift 2 ;;
        --scenarios) PICK=${2:?--scenarios needs a list}; shift 2 ;;
        --scenarios=*) PICK=${1#*=}; shift ;;
        --rounds=*) ROUNDS=${1#*=}; shift ;;
        --duration=*) DURATION=${1#*=}; shift ;;
        --sluice=*) SLUICE=${1#*=}; shift ;;
        --only=*) ONLY=${1#*=}; shift ;;
        --out=*) OUT=${1#*=}; shift ;;
        -h|--help) usage; exit 0 ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
done

[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "--rounds must be a positive integer"
[[ $DURATION =~ ^[1-9][0-9]*[smh]?$ ]] || die "--duration must look like 10s, 1m"
[[ $WARMUP =~ ^[0-9]+[smh]?$ ]] || die "WARMUP must look like 2s"

if [ -n "${PICK:-}" ]; then   # --scenarios keepalive-50,close-50: a subset, in canonical order
    picked=()
    for sc in "${SCENARIOS[@]}"; do
        case ",$PICK," in *",${sc%%:*},"*) picked+=("$sc") ;; esac
    done
    [ ${#picked[@]} -gt 0 ] || die "--scenarios selects nothing (known: keepalive-50,keepalive-256,close-50)"
    SCENARIOS=("${picked[@]}")
fi

targets=""
for t in $ALL_TARGETS; do   # keep the canonical order whatever the order of --only
    case ",$ONLY," in *",$t,"*) targets="$targets $t" ;; esac
done
for t in ${ONLY//,/ }; do
    case " $ALL_TARGETS " in *" $t "*) ;; *) die "--only: unknown target '$t' (known: ${ALL_TARGETS// /,})" ;; esac
done
targets=${targets# }
[ -n "$targets" ] || die "--only selects nothing"
wants() { case " $targets " in *" $1 "*) return 0 ;; esac; return 1; }

# --- tools -----------------------------------------------------------------------------------
PATH=$PATH:/usr/sbin:/sbin
for tool in wrk taskset curl python3 nginx getconf; do
    command -v "$tool" >/dev/null || die "'$tool' not found: run scripts/install-deps.sh"
done
if wants haproxy; then
    command -v haproxy >/dev/null || die "'haproxy' not found: run scripts/install-deps.sh"
fi
if [[ " $targets " == *" sluice"* ]]; then
    [ -x "$SLUICE" ] || die "$SLUICE is not an executable: build it (cmake -S . -B build -DCMAKE_BUILD_TYPE=Release && cmake --build build -j) or pass --sluice PATH"
    SLUICE=$(cd "$(dirname "$SLUICE")" && pwd)/$(basename "$SLUICE")
fi
ncpu=$(getconf _NPROCESSORS_ONLN)
if [ "$ncpu" -lt 2 ]; then
    log "only $ncpu CPU: proxy, upstream and wrk all share CPU 0; figures will be noisy"
    PROXY_CPU=0
    LOAD_CPU=0
fi
CLK_TCK=$(getconf CLK_TCK)
# A proxy needs two descriptors per client connection; raise the soft limit to the hard one.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# --- temp dir, processes, cleanup ----------------------------------------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sluice-bench.XXXXXX")
chmod 755 "$tmp"   # nginx workers may run as another user when this runs as root
started=()         # PIDs of every server this script started

stop_pid() {   # stop_pid PID: SIGTERM, then SIGKILL after 5 s; reaps it
    local pid=$1 i
    kill -TERM "$pid" 2>/dev/null || return 0
    for i in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
cleanup() {
    local pid
    for pid in "${started[@]}"; do
        stop_pid "$pid"
    done
    started=()
    if [ "${KEEP_TMP:-0}" = 1 ]; then
        log "configs and logs kept in $tmp"
    else
        rm -rf "$tmp"
    fi
}
trap cleanup EXIT
trap 'log "failed at line $LINENO: $BASH_COMMAND"' ERR
trap 'exit 130' INT
trap 'exit 143' TERM

forget_pid() {   # forget_pid PID: drop it from the started list once stopped
    local keep=() p
    for p in "${started[@]}"; do
        [ "$p" = "$1" ] || keep+=("$p")
    done
    started=("${keep[@]}")
}

# --- ports -----------------------------------------------------------------------------------
# Sixteen consecutive ports that are free on 127.0.0.1, below the ephemeral range (32768-60999 on
# Linux) so that wrk's and the proxies' outgoing connections never take them.
find_ports() {
    python3 - <<'PY'
import random, socket
for _ in range(200):
    base = random.randrange(20000, 32000 - 16)
    socks = []
    try:
        for p in range(base, base + 16):
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", p))
            socks.append(s)
    except OSError:
        continue
    finally:
        for s in socks:
            s.close()
    print(base)
    break
else:
    raise SystemExit("no free port range")
PY
}
base=$(find_ports) || die "no 16 free consecutive ports on 127.0.0.1"
UPSTREAM_PORT=$base
declare -A PORT=([direct]=$base [sluice]=$((base + 1)) [nginx]=$((base + 2)) [haproxy]=$((base + 3))
                [sluice-log]=$((base + 5)) [sluice-keyauth]=$((base + 6)) [sluice-rl]=$((base + 7))
                [sluice-rl-redis]=$((base + 8)) [sluice-metrics]=$((base + 10))
                [sluice-jwt-hs256]=$((base + 11)) [sluice-jwt-rs256]=$((base + 12)))
REDIS_PORT=$((base + 9))
SLUICE_ADMIN_PORT=$((base + 4))

# --- jwt targets -----------------------------------------------------------------------------
# One consumer with an HS256 and an RS256 (2048-bit) jwt secret, and a token for each made by
# PyJWT (python3-jwt); wrk sends the same token on every request, so these figures are for a
# verification of one token over and over (key and HMAC contexts warm, no token cache).
jwt_tokens() {
    local py=python3
    "$py" -c 'import jwt' 2>/dev/null || py=/usr/bin/python3
    "$py" - "$tmp" <<'PY'
import sys
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
d = sys.argv[1]
key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                    serialization.PublicFormat.SubjectPublicKeyInfo).decode()
open(d + "/jwt-rs256.pem", "w").write(pem)
open(d + "/jwt-rs256.token", "w").write(jwt.encode({"iss": "bench-rs256", "sub": "bench"}, key,
                                                   algorithm="RS256"))
open(d + "/jwt-hs256.token", "w").write(jwt.encode({"iss": "bench-hs256", "sub": "bench"},
                                                   "bench-hmac-secret-0123456789abcdef",
                                                   algorithm="HS256"))
PY
}
jwt_config() {   # jwt_config hs256|rs256: the YAML appended to the sluice config
    printf 'consumers:\n  - username: bench\n    jwt_secrets:\n'
    printf '      - key: bench-hs256\n        secret: bench-hmac-secret-0123456789abcdef\n'
    printf '      - key: bench-rs256\n        algorithm: RS256\n        rsa_public_key: |\n'
    sed 's/^/          /' "$tmp/jwt-rs256.pem"
    printf 'plugins:\n  - name: jwt\n'
}
case " $targets " in *" sluice-jwt-"*) jwt_tokens || die "making the jwt tokens needs python3-jwt" ;; esac

# --- configs ---------------------------------------------------------------------------------
# nginx creates every temp path of the modules it was built with at start-up; point them into
# the temp dir so that this runs without root.
nginx_temp_paths() {   # nginx_temp_paths DIR
    local v m
    v=$(nginx -V 2>&1)
    printf '    client_body_temp_path %s/client_body;\n    proxy_temp_path %s/proxy;\n' "$1" "$1"
    for m in fastcgi uwsgi scgi; do
        case $v in *"--without-http_${m}_module"*) ;; *) printf '    %s_temp_path %s/%s;\n' "$m" "$1" "$m" ;; esac
    done
}

render() {   # render TEMPLATE OUT DIR PORT [KEEPALIVE]: fills in the @...@ placeholders
    local tpl=$1 out=$2 dir=$3 port=$4 keepalive=${5:-0} paths
    paths=$(nginx_temp_paths "$dir")
    python3 - "$tpl" "$out" "$dir" "$port" "$UPSTREAM_PORT" "$keepalive" "$paths" \
        "$CLIENT_KEEPALIVE_REQUESTS" <<'PY'
import sys
tpl, out, d, port, up, ka, paths, ckr = sys.argv[1:]
text = open(tpl).read()
for k, v in (("@DIR@", d), ("@PORT@", port), ("@UPSTREAM_PORT@", up), ("@KEEPALIVE@", ka),
             ("@TEMP_PATHS@", paths), ("@CLIENT_KEEPALIVE_REQUESTS@", ckr)):
    text = text.replace(k, v)
import re
left = re.findall(r"@[A-Z_]+@", text)
assert not left, "%s: unknown placeholder(s) %s" % (tpl, left)
open(out, "w").write(text)
PY
}

# --- servers ---------------------------------------------------------------------------------
port_answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

SERVER_PID=""
start_server() {   # start_server NAME PORT LOG CPU COMMAND...: sets SERVER_PID; fails if no answer
    local name=$1 port=$2 logf=$3 cpu=$4 i
    shift 4
    taskset -c "$cpu" "$@" >"$logf" 2>&1 </dev/null &
    SERVER_PID=$!
    started+=("$SERVER_PID")
    for i in $(seq 100); do
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            log "$name exited at start-up; its output:"
            tail -n 20 "$logf" | sed 's/^/    /' >&2
            return 1
        fi
        port_answers "$port" && return 0
        sleep 0.1
    done
    log "$name did not answer on 127.0.0.1:$port within 10 s; its output:"
    tail -n 20 "$logf" | sed 's/^/    /' >&2
    return 1
}

UPSTREAM_BODY=""
check_answer() {   # check_answer PORT [CURL_ARGS...]: the upstream's body comes back with 200,
                   # else prints why
    local code body port=$1
    shift
    body=$(curl -s --max-time 5 "$@" -o - -w '\n%{http_code}' "http://127.0.0.1:$port/bench" 2>/dev/null) || true
    code=${body##*$'\n'}
    body=${body%$'\n'*}
    if [ "$code" != 200 ]; then
        echo "answers HTTP ${code:-nothing} instead of 200"
        return 1
    fi
    if [ -n "$UPSTREAM_BODY" ] && [ "$body" != "$UPSTREAM_BODY" ]; then
        echo "answers 200 with another body than the upstream's"
        return 1
    fi
}

# keyauth_consumers IN OUT: IN followed by 10,000 consumers with one key each (bench-key-N);
# requests use bench-key-4242, so the lookup is in a realistically filled index.
keyauth_consumers() {
    python3 - "$1" "$2" <<'PY'
import sys
src, out = sys.argv[1:]
with open(out, "w") as f:
    f.write(open(src).read())
    f.write("consumers:\n")
    for i in range(10000):
        f.write("  - username: bench-%d\n    keyauth_credentials:\n      - key: bench-key-%d\n"
                % (i, i))
PY
}
KEYAUTH_HEADER="apikey: bench-key-4242"

start_target() {   # start_target TARGET CONNS DIR: starts a fresh proxy; sets SERVER_PID
    local t=$1 conns=$2 dir=$3
    mkdir -p "$dir"
    case $t in
        nginx)
            render "$here/nginx-proxy.conf.in" "$dir/nginx.conf" "$dir" "${PORT[nginx]}" "$conns"
            start_server nginx "${PORT[nginx]}" "$dir/out.log" "$PROXY_CPU" \
                nginx -p "$dir/" -e "$dir/error.log" -c "$dir/nginx.conf" ;;
        haproxy)
            render "$here/haproxy.cfg.in" "$dir/haproxy.cfg" "$dir" "${PORT[haproxy]}"
            start_server haproxy "${PORT[haproxy]}" "$dir/out.log" "$PROXY_CPU" \
                haproxy -db -f "$dir/haproxy.cfg" ;;
        sluice|sluice-log|sluice-metrics|sluice-keyauth|sluice-rl|sluice-rl-redis|sluice-jwt-*)
            if [ "$t" = sluice-keyauth ]; then
                render "$here/sluice-keyauth.yml.in" "$dir/sluice.yml.head" "$dir" "${PORT[$t]}"
                keyauth_consumers "$dir/sluice.yml.head" "$dir/sluice.yml"
            elif [ "$t" = sluice-metrics ]; then
                render "$here/sluice-metrics.yml.in" "$dir/sluice.yml" "$dir" "${PORT[$t]}"
            else
                render "$here/sluice.yml.in" "$dir/sluice.yml" "$dir" "${PORT[$t]}"
            fi
            case $t in
                sluice-rl) printf '%s\n' "plugins:" "  - name: rate-limiting" \
                    "    config: { second: 1000000000, hour: 1000000000000, policy: local }" \
                    >>"$dir/sluice.yml" ;;
                sluice-rl-redis) printf '%s\n' "plugins:" "  - name: rate-limiting" \
                    "    config: { second: 1000000000, hour: 1000000000000, policy: redis," \
                    "              sync_rate: 1, redis: { host: 127.0.0.1, port: $REDIS_PORT } }" \
                    >>"$dir/sluice.yml" ;;
                sluice-jwt-*) jwt_config "${t#sluice-jwt-}" >>"$dir/sluice.yml" ;;
            esac
            # Same limits as the nginx config: no access log (sluice-log: Kong's default
            # access log line to a file), a connection is never closed for its request count,
            # an upstream pool as large as the client concurrency.
            local alog=off
            case $t in sluice-log|sluice-metrics) alog="$dir/access.log" ;; esac
            start_server "$t" "${PORT[$t]}" "$dir/out.log" "$PROXY_CPU" \
                env KONG_PROXY_ACCESS_LOG="$alog" \
                SLUICE_KEEPALIVE_REQUESTS="$CLIENT_KEEPALIVE_REQUESTS" \
                SLUICE_UPSTREAM_KEEPALIVE_MAX_REQUESTS=1000000 \
                SLUICE_UPSTREAM_KEEPALIVE_POOL_SIZE="$conns" "$SLUICE" --config "$dir/sluice.yml" \
                --proxy-listen "127.0.0.1:${PORT[$t]}" \
                --admin-listen "127.0.0.1:$SLUICE_ADMIN_PORT" --workers 1 --log-level warn ;;
    esac
}

# --- /proc figures ---------------------------------------------------------------------------
proc_tree() {   # proc_tree PID: PID and all its descendants
    local pid=$1 c
    echo "$pid"
    for c in $(pgrep -P "$pid" 2>/dev/null || true); do
        proc_tree "$c"
    done
}
cpu_ticks() {   # cpu_ticks PID...: utime+stime (fields 14 and 15 of /proc/PID/stat), summed
    local sum=0 pid st f
    for pid in "$@"; do
        st=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
        st=${st##*) }   # fields from 3 on; comm (field 2) may hold spaces
        read -r -a f <<<"$st"
        sum=$((sum + f[11] + f[12]))
    done
    echo "$sum"
}
peak_rss_kb() {   # peak_rss_kb PID...: VmHWM summed, in kB
    local sum=0 pid v
    for pid in "$@"; do
        v=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status" 2>/dev/null) || continue
        sum=$((sum + ${v:-0}))
    done
    echo "$sum"
}

# --- one measurement -------------------------------------------------------------------------
# run_wrk OUTFILE WRK_ARGS...: wrk on the load CPU. It runs in the background and is waited for,
# so that a signal stops the benchmark at once (the EXIT trap kills wrk with the servers).
run_wrk() {
    local out=$1 p
    shift
    taskset -c "$LOAD_CPU" wrk "$@" >"$out" 2>&1 &
    p=$!
    started+=("$p")
    wait "$p" || true
    forget_pid "$p"
}
results=$tmp/results.tsv
: >"$results"
measure() {   # measure ROUND SCENARIO CONNS HEADER TARGET
    local round=$1 scen=$2 conns=$3 header=$4 t=$5 dir pid why ticks0 ticks1 hwm wrkout
    local -a hdr=() pids=()
    local auth
    dir=$tmp/r$round-$scen-$t
    mkdir -p "$dir"
    wrkout=$dir/wrk.txt
    if [ -n "$header" ]; then hdr=(-H "$header"); fi
    local -a check=()
    if [ "$t" = sluice-keyauth ]; then hdr+=(-H "$KEYAUTH_HEADER"); check=(-H "$KEYAUTH_HEADER"); fi
    case $t in sluice-jwt-*)
        auth="Authorization: Bearer $(cat "$tmp/jwt-${t#sluice-jwt-}.token")"
        hdr+=(-H "$auth"); check=(-H "$auth") ;; esac
    log "round $round/$ROUNDS  $scen  $t"
    pid=""
    if [ "$t" != direct ]; then
        if ! start_target "$t" "$conns" "$dir"; then
            printf '%s\t%s\t%s\tfailed\t\t\t\tdid not start\n' "$round" "$scen" "$t" >>"$results"
            [ -n "$SERVER_PID" ] && { stop_pid "$SERVER_PID"; forget_pid "$SERVER_PID"; }
            return 0
        fi
        pid=$SERVER_PID
    fi
    if ! why=$(check_answer "${PORT[$t]}" "${check[@]}"); then
        log "$t $why"
        printf '%s\t%s\t%s\tfailed\t\t\t\t%s\n' "$round" "$scen" "$t" "$why" >>"$results"
        [ -n "$pid" ] && { stop_pid "$pid"; forget_pid "$pid"; }
        return 0
    fi
    run_wrk /dev/null -t1 -c"$conns" -d"$WARMUP" "${hdr[@]}" "http://127.0.0.1:${PORT[$t]}/bench"
    ticks0=0
    if [ -n "$pid" ]; then
        mapfile -t pids < <(proc_tree "$pid")
        ticks0=$(cpu_ticks "${pids[@]}")
    fi
    local scraper=""
    if [ "$t" = sluice-metrics ]; then
        # what a Prometheus server does, more often than usual: the scrape runs on the
        # gateway's master thread, on the proxy's CPU, while the worker serves the load
        (while :; do
            curl -sf -o "$dir/metrics.txt" "http://127.0.0.1:$SLUICE_ADMIN_PORT/metrics" &&
                echo ok >>"$dir/scrapes" || echo failed >>"$dir/scrapes"
            sleep 1
        done) </dev/null >/dev/null 2>&1 &
        scraper=$!
        started+=("$scraper")
    fi
    run_wrk "$wrkout" -t1 -c"$conns" -d"$DURATION" --latency "${hdr[@]}" \
        "http://127.0.0.1:${PORT[$t]}/bench"
    if [ -n "$scraper" ]; then
        kill "$scraper" 2>/dev/null || true
        wait "$scraper" 2>/dev/null || true
        forget_pid "$scraper"
        log "$t: $(grep -c '^ok' "$dir/scrapes" 2>/dev/null || true) scrapes answered 200," \
            "$(grep -c '^failed' "$dir/scrapes" 2>/dev/null || true) failed;" \
            "$(grep -c '^kong_http_requests_total' "$dir/metrics.txt" 2>/dev/null || true) request series in the last"
    fi
    ticks1=0
    hwm=0
    if [ -n "$pid" ]; then
        ticks1=$(cpu_ticks "${pids[@]}")
        hwm=$(peak_rss_kb "${pids[@]}")
        kill -0 "$pid" 2>/dev/null || log "$t exited during the run"
        stop_pid "$pid"
        forget_pid "$pid"
    fi
    printf '%s\t%s\t%s\tok\t%s\t%s\t%s\t\n' "$round" "$scen" "$t" "$((ticks1 - ticks0))" "$hwm" \
        "$wrkout" >>"$results"
}

# --- run -------------------------------------------------------------------------------------
mkdir -p "$tmp/upstream"
render "$here/upstream-nginx.conf" "$tmp/upstream/nginx.conf" "$tmp/upstream" "$UPSTREAM_PORT"
start_server upstream "$UPSTREAM_PORT" "$tmp/upstream/out.log" "$LOAD_CPU" \
    nginx -p "$tmp/upstream/" -e "$tmp/upstream/error.log" -c "$tmp/upstream/nginx.conf" ||
    die "the upstream nginx did not start"
UPSTREAM_BODY=$(curl -s --max-time 5 "http://127.0.0.1:$UPSTREAM_PORT/bench") ||
    die "the upstream nginx does not answer"
if wants sluice-rl-redis; then
    command -v redis-server >/dev/null || die "sluice-rl-redis needs redis-server"
    mkdir -p "$tmp/redis"
    start_server redis "$REDIS_PORT" "$tmp/redis/out.log" "$LOAD_CPU" \
        redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no \
        --dir "$tmp/redis" || die "redis-server did not start"
fi

read -r -a tlist <<<"$targets"
nt=${#tlist[@]}
log "ports 127.0.0.1:$base-$((base + 12)); proxy on CPU $PROXY_CPU, upstream and wrk on CPU $LOAD_CPU"
log "targets: $targets; $ROUNDS round(s) of ${DURATION} (+${WARMUP} warm-up) per figure"
for round in $(seq "$ROUNDS"); do
    while IFS=: read -r scen conns header; do
        [ -n "$scen" ] || continue
        for i in $(seq 0 $((nt - 1))); do
            measure "$round" "$scen" "$conns" "$header" "${tlist[$(((i + round - 1) % nt))]}"
        done
    done < <(printf '%s\n' "${SCENARIOS[@]}")
done

# --- report ----------------------------------------------------------------------------------
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git -C "$root" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
    commit="$commit (with uncommitted changes)"
fi
cpu_model=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo 2>/dev/null || true)
versions="nginx $(nginx -v 2>&1 | sed 's#.*/##')"
if wants haproxy; then versions="$versions, HAProxy $(haproxy -v 2>/dev/null | awk 'NR==1 {print $3}')"; fi
if [[ " $targets " == *" sluice"* ]]; then versions="$versions, $( ("$SLUICE" --version 2>&1 || true) | head -n 1)"; fi
versions="$versions, $( (wrk --version 2>&1 || true) | awk 'NR==1 {print $1, $2}')"

report=$tmp/report.md
python3 - "$results" "$CLK_TCK" "$targets" <<'PY' >"$report"
import re, statistics, sys

results, clk_tck, targets = sys.argv[1], int(sys.argv[2]), sys.argv[3].split()
UNIT_US = {"us": 1.0, "ms": 1e3, "s": 1e6, "m": 60e6, "h": 3600e6}

def dur_us(text):
    m = re.fullmatch(r"([0-9.]+)(us|ms|s|m|h)", text)
    return float(m.group(1)) * UNIT_US[m.group(2)] if m else None

def parse_wrk(path):
    out = {"requests": 0, "rps": 0.0, "p50": None, "p99": None, "non2xx": 0,
           "connect": 0, "read": 0, "write": 0, "timeout": 0}
    try:
        text = open(path).read()
    except OSError:
        return out
    if m := re.search(r"^\s*(\d+) requests in", text, re.M):
        out["requests"] = int(m.group(1))
    if m := re.search(r"^Requests/sec:\s*([0-9.]+)", text, re.M):
        out["rps"] = float(m.group(1))
    for pct in ("50", "99"):
        if m := re.search(r"^\s+%s%%\s+(\S+)" % pct, text, re.M):
            out["p" + pct] = dur_us(m.group(1))
    if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text):
        out.update(connect=int(m.group(1)), read=int(m.group(2)), write=int(m.group(3)),
                   timeout=int(m.group(4)))
    if m := re.search(r"Non-2xx or 3xx responses: (\d+)", text):
        out["non2xx"] = int(m.group(1))
    return out

rows = {}   # (scenario, target) -> list of per-round dicts
order = []
for line in open(results):
    rnd, scen, tgt, status, ticks, hwm, wrk, why = line.rstrip("\n").split("\t")
    if scen not in order:
        order.append(scen)
    r = {"round": int(rnd), "status": status, "why": why}
    if status == "ok":
        r.update(parse_wrk(wrk))
        req = r["requests"]
        # Only 2xx answers count: a proxy that answers errors must not look fast.
        r["ok_rps"] = r["rps"] * (req - r["non2xx"]) / req if req else 0.0
        r["cpu_us"] = int(ticks) / clk_tck * 1e6 / req if req and tgt != "direct" else None
        r["rss_kb"] = int(hwm) if tgt != "direct" else None
    rows.setdefault((scen, tgt), []).append(r)

def med(vals):
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None

def fmt_lat(us):
    if us is None:
        return "-"
    return "%.0f µs" % us if us < 1000 else "%.2f ms" % (us / 1e3)

def fmt_rps(v):
    return "-" if v is None else "{:,.0f}".format(v)

def fmt(v, spec, suffix=""):
    return "-" if v is None else format(v, spec) + suffix

TITLES = {"keepalive-50": "Keep-alive, 50 connections",
          "keepalive-256": "Keep-alive, 256 connections",
          "close-50": "Connection: close, 50 connections"}
for scen in order:
    print("### %s\n" % TITLES.get(scen, scen))
    print("| target | 2xx req/s | req/s ÷ nginx | p50 | p99 | peak RSS | CPU/request | CPU/req ÷ nginx | errors | req/s per round |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|---|")
    nginx_by_round = {r["round"]: r for r in rows.get((scen, "nginx"), []) if r["status"] == "ok"}
    for tgt in targets:
        rs = rows.get((scen, tgt), [])
        ok = [r for r in rs if r["status"] == "ok"]
        failed = [r for r in rs if r["status"] != "ok"]
        if not ok:
            why = "; ".join(sorted({r["why"] for r in failed})) or "not run"
            print("| %s | **failed: %s** | | | | | | | | |" % (tgt, why))
            continue
        rps_ratio, cpu_ratio = [], []
        for r in ok:
            n = nginx_by_round.get(r["round"])
            if n and tgt != "nginx":
                if n["ok_rps"]:
                    rps_ratio.append(r["ok_rps"] / n["ok_rps"])
                if r["cpu_us"] is not None and n["cpu_us"]:
                    cpu_ratio.append(r["cpu_us"] / n["cpu_us"])
        errs = []
        for key, label in (("non2xx", "non-2xx"), ("connect", "connect"), ("read", "read"),
                           ("write", "write"), ("timeout", "timeout")):
            total = sum(r[key] for r in ok)
            if total:
                errs.append("%s %d" % (label, total))
        if failed:
            errs.append("%d run(s) failed" % len(failed))
        if any(r["requests"] == 0 for r in ok):
            errs.append("no requests completed in a run")
        rss = med([r["rss_kb"] for r in ok])
        print("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            tgt,
            fmt_rps(med([r["ok_rps"] for r in ok])),
            "1.00" if tgt == "nginx" else fmt(med(rps_ratio), ".2f"),
            fmt_lat(med([r["p50"] for r in ok])),
            fmt_lat(med([r["p99"] for r in ok])),
            "-" if rss is None else "%.1f MiB" % (rss / 1024),
            fmt(med([r["cpu_us"] for r in ok]), ".1f", " µs"),
            "1.00" if tgt == "nginx" else fmt(med(cpu_ratio), ".2f"),
            "**" + ", ".join(errs) + "**" if errs else "0",
            " / ".join("%.1fk" % (r["ok_rps"] / 1e3) for r in sorted(ok, key=lambda r: r["round"]))))
    print()
    # what the access log and metrics cost: each sluice variant against plain sluice, per round
    base = {r["round"]: r for r in rows.get((scen, "sluice"), []) if r["status"] == "ok"}
    for tgt in targets:
        if not tgt.startswith("sluice-") or not base:
            continue
        rps, cpu = [], []
        for r in rows.get((scen, tgt), []):
            b = base.get(r["round"])
            if r["status"] != "ok" or not b:
                continue
            if b["ok_rps"]:
                rps.append(r["ok_rps"] / b["ok_rps"])
            if r["cpu_us"] is not None and b["cpu_us"]:
                cpu.append(r["cpu_us"] / b["cpu_us"])
        if rps:
            print("- %s ÷ sluice: req/s %s, CPU/request %s (medians of per-round ratios: %s)" % (
                tgt, fmt(med(rps), ".3f"), fmt(med(cpu), ".3f"),
                " / ".join("%.3f" % x for x in rps)))
    print()
PY

{
    echo "## Load benchmark: sluice, nginx, HAProxy"
    echo
    echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); commit: $commit"
    echo "- machine: ${cpu_model:-unknown CPU}, $ncpu CPUs, Linux $(uname -r)"
    echo "- versions: $versions"
    echo "- command: bench/load/run.sh $cmdline"
    echo "- setup: proxy under test on CPU $PROXY_CPU with 1 worker/thread; upstream nginx (1 worker, ${#UPSTREAM_BODY}-byte JSON body) and wrk on CPU $LOAD_CPU;"
    echo "  each figure is \`wrk -t1 -d$DURATION --latency\` after a $WARMUP warm-up, on a freshly started proxy."
    echo "- figures are medians over $ROUNDS interleaved round(s); ratios to nginx are medians of per-round ratios."
    echo "  2xx req/s counts only 2xx/3xx answers; peak RSS is VmHWM summed over the proxy's processes;"
    echo "  CPU/request is the proxy's utime+stime during the measured run divided by the requests completed."
    echo
    cat "$report"
} >"$tmp/final.md"

cat "$tmp/final.md"
if [ -n "$OUT" ]; then
    cp "$tmp/final.md" "$OUT"
    log "report written to $OUT"
fi
