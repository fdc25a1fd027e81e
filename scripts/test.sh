#!/usr/bin/env bash
# Sets up a fresh machine and runs every test: the unit and end-to-end suites in a normal
# build, the same suites again under AddressSanitizer + UndefinedBehaviorSanitizer, and each
# libFuzzer target for a bounded time (FUZZ_SECONDS, default 40) on top of its corpus.
#
#   scripts/test.sh            everything
#   SKIP_ASAN=1 SKIP_FUZZ=1    only the normal build (quick local run)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
jobs=$(nproc)

bash scripts/install-deps.sh

echo "== build (RelWithDebInfo)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"
echo "== tests"
(cd build && ctest --output-on-failure -j"$jobs")

if [ "${SKIP_ASAN:-0}" != 1 ]; then
    echo "== build (ASan + UBSan)"
    cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSLUICE_SANITIZE=ON >/dev/null
    cmake --build build-asan -j"$jobs"
    echo "== tests under ASan + UBSan"
    # leaks are checked too; llhttp/libuv/libyaml keep nothing past exit
    (cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
        UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        ctest --output-on-failure -j"$jobs")
fi

if [ "${SKIP_FUZZ:-0}" != 1 ]; then
    bash scripts/fuzz.sh "${FUZZ_SECONDS:-40}"
fi
echo "== all tests passed"
