#!/usr/bin/env bash
# README command 1: install what is missing, build, and run the main job.
# Until the full demo exists this is the collector's smoke job: a real Go
# module is benchmarked with -benchmem and -memprofile, and memgate reads
# the benchmark output (parse-bench) and the heap profile (top), then
# stores the schema in a fresh database.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/deploy/install-deps.sh"
dir=$("$root/deploy/build.sh" | tail -n 1)
memgate="$dir/collector/memgate"
work="${MEMGATE_WORK:-$root/build/smoke}"
rm -rf "$work"
mkdir -p "$work"
cp -r "$root/deploy/smoke/." "$work/"

echo "== memgate --version"
"$memgate" --version

echo "== go test -bench (real Go benchmarks of deploy/smoke)"
(cd "$work" && GOFLAGS=-mod=mod go test -run '^$' -bench . -benchmem \
	-count 3 -benchtime 2000x -memprofile mem.pprof . | tee bench.txt)

echo "== memgate parse-bench --format text bench.txt"
"$memgate" parse-bench --format text "$work/bench.txt"

echo "== memgate top --sample-index alloc_space mem.pprof"
"$memgate" top --sample-index alloc_space -n 10 "$work/mem.pprof"

echo "== smoke job done: outputs in $work"
