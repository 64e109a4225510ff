#!/usr/bin/env bash
# `memgate top` and `memgate diff` as a user runs them, on the committed
# profiles of tests/fixtures/pprof: the text must be, byte for byte, what
# `go tool pprof -top` printed for the same files (saved next to them, see
# their README); JSON must carry the same figures; errors exit 2 with a
# "memgate:" message naming the file.
set -euo pipefail
memgate=${MEMGATE_BIN:?}
fx=$(cd "$(dirname "$0")/../fixtures/pprof" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/pprofcli.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail=0

same() { # $1: expected file, $2: what; stdin: memgate's output
	if ! diff -u "$1" - >"$work/diff.txt"; then
		echo "FAIL: $2"
		head -20 "$work/diff.txt"
		fail=1
	else
		echo "ok: $2"
	fi
}

for t in alloc_space alloc_objects inuse_space inuse_objects; do
	"$memgate" top --sample-index "$t" "$fx/heap.pb.gz" |
		same "$fx/heap.$t.top.txt" "top $t"
	"$memgate" diff --sample-index "$t" "$fx/heap.pb.gz" "$fx/heap2.pb.gz" |
		same "$fx/diff.$t.top.txt" "diff $t"
done
"$memgate" top "$fx/heap.pb.gz" | same "$fx/heap.default.top.txt" "top default"
"$memgate" top -n 5 --sample-index alloc_objects "$fx/heap.pb.gz" |
	same "$fx/heap.alloc_objects.n5.top.txt" "top -n 5"
"$memgate" top "$fx/cpu.pb.gz" | same "$fx/cpu.cpu.top.txt" "top cpu"
"$memgate" top --sample-index=samples "$fx/cpu.pb.gz" |
	same "$fx/cpu.samples.top.txt" "top cpu samples"

# A raw (uncompressed) profile gives the same table.
gzip -dc "$fx/heap.pb.gz" >"$work/heap.pb"
"$memgate" top --sample-index inuse_space "$work/heap.pb" |
	sed "s#^File: .*#File: mgprof.test#" |
	same "$fx/heap.inuse_space.top.txt" "top raw protobuf"

# JSON: the first row's function is the first row of pprof's table, its
# flat% matches the table's, rows of a diff carry base and head values.
"$memgate" top --format json --sample-index alloc_space "$fx/heap.pb.gz" \
	>"$work/top.json"
want_fn=$(awk 'f{print $6; exit} /flat%/{f=1}' "$fx/heap.alloc_space.top.txt")
want_pct=$(awk 'f{print $2; exit} /flat%/{f=1}' "$fx/heap.alloc_space.top.txt")
python3 - "$work/top.json" "$want_fn" "$want_pct" <<'PY' || fail=1
import json, sys
doc = json.load(open(sys.argv[1]))
row = doc["rows"][0]
assert doc["sample_type"] == "alloc_space", doc["sample_type"]
assert row["function"] == sys.argv[2], (row["function"], sys.argv[2])
assert "%.2f%%" % row["flat_pct"] == sys.argv[3], (row["flat_pct"], sys.argv[3])
assert sum(r["flat"] for r in doc["rows"]) == doc["shown_flat"]
print("ok: top json")
PY
"$memgate" diff --format json "$fx/heap.pb.gz" "$fx/heap2.pb.gz" \
	>"$work/diff.json"
python3 - "$work/diff.json" <<'PY' || fail=1
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["diff"] is True
for r in doc["rows"]:
    assert r["head_flat"] - r["base_flat"] == r["flat"], r
    assert r["head_cum"] - r["base_cum"] == r["cum"], r
    if r["base_flat"]:
        want = 100.0 * r["flat"] / abs(r["base_flat"])
        assert abs(r["flat_change_pct"] - want) < 1e-9, r
    else:
        assert r["flat_change_pct"] is None, r
print("ok: diff json")
PY
# --relative keeps pprof's columns and appends the change per function.
"$memgate" diff --relative "$fx/heap.pb.gz" "$fx/heap2.pb.gz" |
	sed 's/  \[flat [^]]*\]$//' | same "$fx/diff.alloc_space.top.txt" \
	"diff --relative keeps the table"

# Errors: exit status 2 and a message naming the file.
expect_error() { # $1: what, $2: message fragment, rest: arguments
	local what=$1 frag=$2 rc=0
	shift 2
	"$memgate" "$@" >/dev/null 2>"$work/err.txt" || rc=$?
	if [ "$rc" -ne 2 ] || ! grep -q -- "$frag" "$work/err.txt"; then
		echo "FAIL: $what (exit $rc)"
		cat "$work/err.txt"
		fail=1
	else
		echo "ok: $what"
	fi
}
head -c 5000 "$fx/heap.pb.gz" >"$work/truncated.pb.gz"
expect_error "missing file" "memgate: $work/nope.pb: No such file" \
	top "$work/nope.pb"
expect_error "truncated" "memgate: $work/truncated.pb.gz: truncated gzip" \
	top "$work/truncated.pb.gz"
expect_error "unknown sample type" "sample type 'nope' not found" \
	top --sample-index nope "$fx/heap.pb.gz"
expect_error "decompression cap" "exceeds the limit of 20000 bytes" \
	top --max-size 20000 "$fx/heap.pb.gz"
expect_error "diff of different types" "different sample types" \
	diff "$fx/heap.pb.gz" "$fx/cpu.pb.gz"
expect_error "usage" "expected one profile" top
expect_error "bad -n" "positive whole number" top -n 0 "$fx/heap.pb.gz"
exit $fail
