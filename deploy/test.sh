#!/usr/bin/env bash
# README command 2: install what is missing, build, run the whole test
# suite through ctest. `--sanitize` does the same in an ASan+UBSan build
# (build-asan/), where any leak or undefined behaviour fails the test.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/deploy/install-deps.sh"
dir=$("$root/deploy/build.sh" "$@" | tail -n 1)
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$root/tests/lsan.supp:print_suppressions=0}
cd "$dir"
ctest --output-on-failure -j "$(nproc)" --timeout 600
