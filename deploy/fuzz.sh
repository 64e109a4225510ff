#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for
# a bounded time from its committed seed corpus (copied, so new inputs do
# not dirty the tree). Usage: deploy/fuzz.sh [seconds-per-target]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-60}
dir="$root/build-fuzz"
"$root/deploy/install-deps.sh"
CC=clang cmake -S "$root" -B "$dir" -DMEMGATE_FUZZ=ON -DMEMGATE_SANITIZE=ON \
	-DMEMGATE_WERROR=ON >/dev/null
cmake --build "$dir" -j "$(nproc)" >/dev/null
export ASAN_OPTIONS=allocator_may_return_null=1:detect_leaks=1
shopt -s nullglob
status=0
for src in "$root"/tests/fuzz/*_fuzzer.c; do
	name=$(basename "$src" .c)
	parser=${name%_fuzzer}
	bin=$(find "$dir" -type f -name "$name" -perm -u+x | head -n 1)
	work=$(mktemp -d)
	cp -r "$root/tests/fuzz/corpora/$parser/." "$work/"
	dict=()
	if [ -f "$root/tests/fuzz/$parser.dict" ]; then
		dict=(-dict="$root/tests/fuzz/$parser.dict")
	fi
	echo "fuzz: $name for ${secs}s"
	if ! "$bin" -max_total_time="$secs" -max_len=65536 -timeout=10 \
		-rss_limit_mb=2048 "${dict[@]}" "$work" \
		>"$work.log" 2>&1; then
		echo "fuzz: $name FAILED" >&2
		tail -n 60 "$work.log" >&2
		status=1
	else
		grep -E "^Done|stat::number_of_executed_units" "$work.log" |
			tail -n 1 || true
	fi
	rm -rf "$work" "$work.log"
done
exit $status
