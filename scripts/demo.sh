#!/usr/bin/env bash
# scripts/demo.sh: sluice in front of two Express services, on this machine, in one command.
#
#   1. installs the dependencies (scripts/install-deps.sh; npm ci of both services included)
#   2. builds build/sluice (CMake, Release)
#   3. starts user-service on 127.0.0.1:3001 and product-service on 127.0.0.1:3002
#   4. starts sluice with config/sluice.yml: proxy on 0.0.0.0:8000, admin API on 127.0.0.1:8001
#   5. waits until the services and the proxy port answer, then prints where to send requests
# Ctrl-C (or SIGTERM) stops the three processes and exits. Every log line goes to this terminal.
#
# SLUICE_DEMO_SKIP_DEPS=1 skips step 1 (dependencies already installed, no sudo wanted).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

PROXY_LISTEN=0.0.0.0:8000
ADMIN_LISTEN=127.0.0.1:8001
CONFIG=config/sluice.yml
SERVICES_HOST=127.0.0.1   # config/sluice.yml sends /users and /products to 127.0.0.1:3001/3002
START_TIMEOUT_S=30

say() { printf 'demo: %s\n' "$*"; }
die() { printf 'demo: error: %s\n' "$*" >&2; exit 1; }

# --- ports -----------------------------------------------------------------------------------
# A port is busy when we cannot bind it the way a server does (SO_REUSEADDR, no SO_REUSEPORT),
# which also catches a listener on another address of the same port and a leftover sluice.
port_free() {
    python3 - "$1" "$2" <<'PY' 2>/dev/null
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
PY
}

check_ports() {
    local busy="" hp
    for hp in "$SERVICES_HOST:3001" "$SERVICES_HOST:3002" "$PROXY_LISTEN" "$ADMIN_LISTEN"; do
        if ! port_free "${hp%:*}" "${hp##*:}"; then
            busy="$busy ${hp##*:}"
            if command -v ss >/dev/null; then
                ss -Hltnp "sport = :${hp##*:}" 2>/dev/null | sed 's/^/    /' >&2 || true
            fi
        fi
    done
    if [ -n "$busy" ]; then
        die "port(s)$busy already in use. The demo needs 3001, 3002, 8000 and 8001: stop what \
listens there (an earlier demo still running?) and run scripts/demo.sh again."
    fi
}

# Succeeds when something accepts a TCP connection on 127.0.0.1:<port>.
port_answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if command -v python3 >/dev/null; then
    check_ports   # fail fast, before a long install or build (python3 comes with the deps)
fi

# --- dependencies and build ------------------------------------------------------------------
if [ "${SLUICE_DEMO_SKIP_DEPS:-0}" != 1 ]; then
    say "installing dependencies (scripts/install-deps.sh)"
    scripts/install-deps.sh
fi
command -v node >/dev/null || die "node is not installed: run scripts/install-deps.sh"
for svc in user-service product-service; do
    [ -d "examples/services/$svc/node_modules/express" ] ||
        die "examples/services/$svc has no node_modules: run scripts/install-deps.sh (it runs npm ci)"
done

say "building build/sluice (Release)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target sluice
[ -x build/sluice ] || die "build/sluice was not built"

command -v python3 >/dev/null || die "python3 is not installed: run scripts/install-deps.sh"
check_ports   # again: something may have started while we built

# --- processes -------------------------------------------------------------------------------
names=()
pids=()

stop_all() {
    trap - INT TERM HUP EXIT
    local i alive
    [ ${#pids[@]} -gt 0 ] || return 0
    say "stopping ${names[*]}"
    for i in "${!pids[@]}"; do
        kill -TERM "${pids[$i]}" 2>/dev/null || true
    done
    # Give them 5 s to finish in-flight requests, then make sure.
    for _ in $(seq 50); do
        alive=0
        for i in "${!pids[@]}"; do
            kill -0 "${pids[$i]}" 2>/dev/null && alive=1
        done
        [ $alive -eq 0 ] && break
        sleep 0.1
    done
    for i in "${!pids[@]}"; do
        if kill -0 "${pids[$i]}" 2>/dev/null; then
            say "${names[$i]} (pid ${pids[$i]}) did not stop on SIGTERM; killing it"
            kill -KILL "${pids[$i]}" 2>/dev/null || true
        fi
        wait "${pids[$i]}" 2>/dev/null || true
    done
    pids=()
}
on_signal() { echo; stop_all; say "stopped"; exit 0; }
on_exit() { local rc=$?; stop_all; exit $rc; }
trap on_signal INT TERM HUP
trap on_exit EXIT

start() {   # start NAME COMMAND...: runs COMMAND in the background and records its PID
    local name=$1
    shift
    "$@" &
    names+=("$name")
    pids+=("$!")
}

start user-service    env HOST="$SERVICES_HOST" PORT=3001 node examples/services/user-service/index.js
start product-service env HOST="$SERVICES_HOST" PORT=3002 node examples/services/product-service/index.js
start sluice build/sluice --config "$CONFIG" --proxy-listen "$PROXY_LISTEN" --admin-listen "$ADMIN_LISTEN"

# Wait for the services and the proxy port (not the admin port: the admin API is optional to
# the demo); stop at once if one of the processes dies.
waiting="3001 3002 ${PROXY_LISTEN##*:}"
deadline=$((SECONDS + START_TIMEOUT_S))
while [ -n "$waiting" ]; do
    for i in "${!pids[@]}"; do
        kill -0 "${pids[$i]}" 2>/dev/null || die "${names[$i]} exited during start-up (see its messages above)"
    done
    left=""
    for port in $waiting; do
        port_answers "$port" || left="$left $port"
    done
    waiting=${left# }
    [ -z "$waiting" ] && break
    [ $SECONDS -lt $deadline ] || die "port(s) $waiting did not answer within ${START_TIMEOUT_S}s"
    sleep 0.2
done

admin_line="(the admin API, 127.0.0.1:8001, does not answer in this build)"
if port_answers "${ADMIN_LISTEN##*:}"; then
    admin_line="curl localhost:${ADMIN_LISTEN##*:}/status   (loopback only)"
fi
cat <<MSG

demo: sluice is up (pids: user-service ${pids[0]}, product-service ${pids[1]}, sluice ${pids[2]}).

  Send requests through the gateway:
    curl localhost:8000/users
    curl localhost:8000/users/1
    curl localhost:8000/products
    curl localhost:8000/products/2
    curl -i localhost:8000/nothing-here     # no route: 404 {"message":"no Route matched with those values"}

  Admin API:      $admin_line
  Configuration:  $CONFIG  (check it with: build/sluice check $CONFIG)

  Press Ctrl-C to stop the gateway and both services.

MSG

# Sleep until a signal arrives or one of the three exits on its own.
while :; do
    rc=0
    wait -n "${pids[@]}" || rc=$?
    for i in "${!pids[@]}"; do
        kill -0 "${pids[$i]}" 2>/dev/null || die "${names[$i]} (pid ${pids[$i]}) exited with status $rc"
    done
done
