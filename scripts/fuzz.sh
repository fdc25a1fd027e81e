#!/usr/bin/env bash
# Builds the libFuzzer targets (clang) and runs each for a bounded time on a copy of its
# corpus. A crash fails the run; the crashing input is left in build-fuzz/artifacts/<target>/
# and belongs in test/fuzz/regression/<target>/ with the fix.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-40}
cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug -DSLUICE_FUZZ=ON >/dev/null
cmake --build build-fuzz -j"$(nproc)"
status=0
for bin in build-fuzz/test/fuzz/fuzz_*; do
    [ -x "$bin" ] || continue
    name=$(basename "$bin")
    target=${name#fuzz_}
    work=build-fuzz/corpus/$target
    art=build-fuzz/artifacts/$target
    mkdir -p "$work" "$art"
    if [ -d "test/fuzz/corpus/$target" ]; then
        cp -n test/fuzz/corpus/"$target"/* "$work"/ 2>/dev/null || true
    fi
    dict=()
    [ -f "test/fuzz/corpus/$target.dict" ] && dict=(-dict="test/fuzz/corpus/$target.dict")
    echo "== fuzz $target for ${secs}s"
    if ! "$bin" "$work" "${dict[@]}" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$art/" -print_final_stats=1 >"build-fuzz/$target.log" 2>&1; then
        echo "fuzz target $target failed:"
        tail -50 "build-fuzz/$target.log"
        status=1
    else
        grep -E "stat::number_of_executed_units|Done" "build-fuzz/$target.log" | tail -2 || true
    fi
done
exit $status
