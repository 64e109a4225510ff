#!/usr/bin/env bash
# End to end: a real git repository of a small Go module, five commits:
#   c1  BenchmarkHash: 1 alloc of 64 B per op; BenchmarkJoin: 256 B per op
#   c2  BenchmarkHash allocates one more object per op (2 allocs/op)
#   c3  BenchmarkJoin allocates twice the bytes (512 B)
#   c4  a syntax error: the build fails
#   c5  fixed again
# `memgate collect --last 5 --go-profiles` measures each commit in a
# temporary work tree with the real Go toolchain. The stored samples,
# profiles and the failed run are checked, the user's work tree must be
# untouched, and a second collect must skip every commit (resume).
set -euo pipefail
. "$(dirname "$0")/../support/it.sh"
memgate=${MEMGATE_BIN:?}
command -v go >/dev/null || { echo "go not installed: skipped"; exit 0; }
work=$(mktemp -d "${TMPDIR:-/tmp}/collect.XXXXXX")
trap 'rm -rf "$work"' EXIT
export GOCACHE="$work/gocache" GOPATH="$work/gopath" GOFLAGS=-mod=mod
export GIT_CEILING_DIRECTORIES=$(dirname "$work")
repo="$work/repo"
mkdir -p "$repo"
cd "$repo"
it_git_repo https://github.com/acme/hashes.git
printf 'module example.com/hashes\n\ngo 1.19\n' > go.mod

write_code() { # $1: extra allocation in Hash (0/1), $2: Join size
	cat > hashes.go <<GO
package hashes

var keep [][]byte

// Hash copies its input into a fresh 64-byte buffer.
//go:noinline
func Hash(p []byte) []byte {
	b := make([]byte, 64)
	copy(b, p)
	if $1 == 1 {
		keep = append(keep[:0], make([]byte, 64))
	}
	return b
}

// Join builds one buffer of the given size.
//go:noinline
func Join(n int) []byte { return make([]byte, $2) }
GO
	cat > hashes_test.go <<'GO'
package hashes

import "testing"

var sink []byte

func BenchmarkHash(b *testing.B) {
	in := []byte("hello")
	for i := 0; i < b.N; i++ {
		sink = Hash(in)
	}
}

func BenchmarkJoin(b *testing.B) {
	for i := 0; i < b.N; i++ {
		sink = Join(3)
	}
}
GO
}
commit() { git add -A && git commit -q -m "$1"; }
write_code 0 256; commit "c1 initial"
write_code 1 256; commit "c2 hash allocates twice"
write_code 1 512; commit "c3 join doubles its buffer"
echo 'func broken( {' >> hashes.go; commit "c4 broken build"
write_code 1 512; commit "c5 fix the build"
echo "local change" > untracked.txt
before=$(git status --porcelain; git rev-parse HEAD; git diff)

bench="go test -run=^\$ -bench=. -benchmem -count=3 -benchtime=2000x"
set +e
"$memgate" collect --last 5 --go-profiles --bench "$bench" --quiet \
	--db "$work/m.db" --format json > "$work/out.json" 2> "$work/err.txt"
rc=$?
set -e
cat "$work/err.txt"
cat "$work/out.json"
[ "$rc" -eq 2 ] || { echo "expected exit 2 (a build failed), got $rc"; exit 1; }
grep -q "a build or benchmark failed" "$work/err.txt"

after=$(git status --porcelain; git rev-parse HEAD; git diff)
[ "$before" = "$after" ] || { echo "work tree was touched"; exit 1; }

q() { sqlite3 -batch -noheader "$work/m.db" "$@"; }
[ "$(q "SELECT count(*) FROM runs")" -eq 5 ]
[ "$(q "SELECT count(*) FROM runs WHERE status = 'failed'")" -eq 1 ]
q "SELECT c.subject FROM runs r JOIN commits c ON c.id = r.commit_id
   WHERE r.status = 'failed'" | grep -q "c4 broken build"
q "SELECT log_tail FROM runs WHERE status = 'failed'" | grep -q "syntax error"

# 3 samples per benchmark, unit and ok commit: 4 ok commits x 2 benchmarks
for unit in ns/op B/op allocs/op; do
	n=$(q "SELECT count(*) FROM samples WHERE unit = '$unit'")
	[ "$n" -eq 24 ] || { echo "$unit: $n samples, want 24"; exit 1; }
done
# allocs/op exact per commit (oldest first: c1 c2 c3 c5)
allocs=$(q "SELECT group_concat(v, ' ') FROM (SELECT max(s.value) v
	FROM samples s JOIN benchmarks b ON b.id = s.benchmark_id
	JOIN runs r ON r.id = s.run_id JOIN commits c ON c.id = r.commit_id
	WHERE b.name = 'BenchmarkHash' AND s.unit = 'allocs/op'
	GROUP BY r.id ORDER BY c.commit_time, r.id)")
[ "$allocs" = "1.0 2.0 2.0 2.0" ] || { echo "allocs/op: $allocs"; exit 1; }
# B/op of Join doubles at c3
join=$(q "SELECT group_concat(v, ' ') FROM (SELECT max(s.value) v
	FROM samples s JOIN benchmarks b ON b.id = s.benchmark_id
	JOIN runs r ON r.id = s.run_id JOIN commits c ON c.id = r.commit_id
	WHERE b.name = 'BenchmarkJoin' AND s.unit = 'B/op'
	GROUP BY r.id ORDER BY c.commit_time, r.id)")
read -r j1 j2 j3 j5 <<< "$join"
python3 -c "import sys; a,b=float('$j2'),float('$j3'); sys.exit(0 if 1.9 <= b/a <= 2.1 else 1)" ||
	{ echo "Join B/op did not double: $join"; exit 1; }
# Profiles: heap + cpu per ok commit, with per-function aggregates
[ "$(q "SELECT count(*) FROM profiles WHERE kind = 'heap'")" -eq 4 ]
[ "$(q "SELECT count(*) FROM profiles WHERE kind = 'cpu'")" -eq 4 ]
[ "$(q "SELECT count(*) FROM profiles WHERE package = 'example.com/hashes'")" -eq 8 ]
q "SELECT DISTINCT function FROM profile_functions WHERE sample_type = 'alloc_space'" |
	grep -q "example.com/hashes.Hash"
# Peak RSS and wall time recorded
[ "$(q "SELECT count(*) FROM runs WHERE status = 'ok' AND peak_rss_bytes > 1000000 AND wall_ns > 0")" -eq 4 ]

# memgate history reads the same store: newest first
"$memgate" history --db "$work/m.db" --bench BenchmarkHash --unit allocs/op --format json > "$work/h.json"
python3 - "$work/h.json" <<'PY'
import json, sys
h = json.load(open(sys.argv[1]))
med = [p["median"] for p in h["points"]]
assert h["project"] == "acme/hashes", h["project"]
assert med == [2, 2, 2, 1], med
assert all(p["n"] == 3 for p in h["points"]), h["points"]
PY

# Resume: everything is measured already, nothing new is stored
"$memgate" collect --last 5 --go-profiles --bench "$bench" --quiet \
	--db "$work/m.db" > "$work/out2.txt" 2>/dev/null
[ "$(grep -c "skipped" "$work/out2.txt")" -eq 5 ]
[ "$(q "SELECT count(*) FROM runs")" -eq 5 ]

# The CI step: the checked-out commit, refused while dirty
echo "// edit" >> hashes.go
if "$memgate" collect --db "$work/m.db" --bench "$bench" --quiet 2> "$work/dirty.txt"; then
	echo "dirty work tree accepted"; exit 1
fi
grep -q "uncommitted changes" "$work/dirty.txt"
"$memgate" collect --allow-dirty --db "$work/m.db" --bench "$bench" --quiet > /dev/null
[ "$(q "SELECT dirty FROM runs ORDER BY id DESC LIMIT 1")" -eq 1 ]
echo "collect_backfill: ok"
