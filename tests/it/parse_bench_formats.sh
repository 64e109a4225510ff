#!/usr/bin/env bash
# `memgate parse-bench` on the non-Go formats (issue 10): Google Benchmark
# JSON, memgate metrics documents, Bencher Metric Format and massif files,
# with --input and with the format guessed from the content. Expected
# figures are read off the documents written here; the massif file comes
# from a real C program run under valgrind (skipped without cc/valgrind),
# whose heap peak is 3 x 1 MiB by construction.
set -euo pipefail
memgate=${MEMGATE_BIN:?}
work=$(mktemp -d "${TMPDIR:-/tmp}/pbformats.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail=0
cd "$work"

check() { # $1: what, $2: expected, $3: got
	if [ "$2" != "$3" ]; then
		echo "FAIL: $1: expected '$2', got '$3'"
		fail=1
	else
		echo "ok: $1"
	fi
}

# value of (name, unit) in parse-bench --format json output on stdin
value() {
	python3 -c 'import json, sys
recs = json.load(sys.stdin)
v = [r["value"] for r in recs if r["name"] == sys.argv[1] and r["unit"] == sys.argv[2]]
print(" ".join("%.15g" % x for x in v))' "$1" "$2"
}

cat >gb.json <<'DOC'
{
  "context": {"host_name": "ci", "num_cpus": 2},
  "benchmarks": [
    {"name": "BM_A", "run_name": "BM_A", "run_type": "iteration",
     "iterations": 10, "real_time": 1.5, "cpu_time": 1.25,
     "time_unit": "ms", "max_bytes_used": 4096, "allocs_per_iter": 2},
    {"name": "BM_A_mean", "run_name": "BM_A", "run_type": "aggregate",
     "aggregate_name": "mean", "iterations": 1, "real_time": 9,
     "cpu_time": 9, "time_unit": "ms"}
  ]
}
DOC
cat >m.json <<'DOC'
{"format": "memgate-metrics", "version": 1,
 "benchmarks": {"build": {"peak-rss-B": [100, 200, 300]}}}
DOC
cat >bmf.json <<'DOC'
{"bench_x": {"latency": {"value": 42.5}, "max-rss": {"value": 7}}}
DOC

out=$("$memgate" parse-bench --format json gb.json)
check "gbench ns/op (1.5 ms)" "1500000" "$(value BM_A ns/op <<<"$out")"
check "gbench memory counter" "4096" \
	"$(value BM_A max-bytes-used-B <<<"$out")"
check "gbench aggregate skipped" "1" \
	"$(python3 -c 'import json,sys; print(sum(1 for r in json.load(sys.stdin) if r["unit"] == "ns/op"))' <<<"$out")"
out=$("$memgate" parse-bench --format json --input metrics m.json)
check "metrics samples" "100 200 300" "$(value build peak-rss-B <<<"$out")"
out=$("$memgate" parse-bench --format json bmf.json)
check "bmf latency" "42.5" "$(value bench_x latency-ns <<<"$out")"
check "bmf custom measure" "7" "$(value bench_x max-rss <<<"$out")"

# A wrong --input is refused with the file and line of the problem.
set +e
"$memgate" parse-bench --input bmf m.json >/dev/null 2>err.txt
rc=$?
set -e
check "wrong --input exit status" "2" "$rc"
check "wrong --input message" \
	"memgate: m.json:1: field 'format': expected an object of units" \
	"$(cat err.txt)"
head -c 60 gb.json >cut.json
set +e
"$memgate" parse-bench --input gbench cut.json >/dev/null 2>err.txt
rc=$?
set -e
check "truncated gbench" "2 memgate: cut.json:3: invalid JSON" \
	"$rc $(cat err.txt)"

if command -v valgrind >/dev/null && command -v cc >/dev/null; then
	cat >p.c <<'SRC'
#include <stdlib.h>
#include <string.h>
int main(void)
{
	char *p[3];
	int i;
	for (i = 0; i < 3; i++) {
		p[i] = malloc(1 << 20);
		memset(p[i], 1, 1 << 20);
	}
	for (i = 0; i < 3; i++)
		free(p[i]);
	return 0;
}
SRC
	cc -O0 -g -o p p.c
	valgrind --tool=massif --massif-out-file=massif.out ./p \
		>/dev/null 2>&1
	out=$("$memgate" parse-bench --format json massif.out)
	check "massif peak heap (3 MiB)" "3145728" \
		"$(value ./p peak-heap-B <<<"$out")"
	head -n 5 massif.out >cut.out
	set +e
	"$memgate" parse-bench cut.out >/dev/null 2>err.txt
	rc=$?
	set -e
	check "truncated massif" \
		"2 memgate: cut.out:5: field 'time': unexpected end of file in a snapshot" \
		"$rc $(cat err.txt)"
else
	echo "skip: massif (no valgrind or cc)"
fi
exit $fail
