#!/usr/bin/env bash
# End to end: `memgate history --detect` on a history measured by
# `memgate collect` with the real Go toolchain. A small Go module gets 12
# commits; commit 7 doubles the buffer BenchmarkBuf allocates (1024 ->
# 2048 B/op), everything else only edits a comment. BenchmarkSteady never
# changes. Expected, from how the repository was built:
#   - B/op of BenchmarkBuf: exactly one change point, at commit 7, with
#     medians 1024 before and 2048 after (+100%);
#   - allocs/op of BenchmarkBuf (1 per op throughout) and B/op of
#     BenchmarkSteady: none.
# 12 commits, not 8: with 6 equal commits on each side the permutation
# test's smallest p is 2 / C(12, 6) = 0.002, below the default alpha 0.01
# (4 + 4 can never get below 2 / C(8, 4) = 0.029; see lib/changepoint.h).
set -euo pipefail
. "$(dirname "$0")/../support/it.sh"
memgate=${MEMGATE_BIN:?}
command -v go >/dev/null || { echo "go not installed: skipped"; exit 0; }
work=$(mktemp -d "${TMPDIR:-/tmp}/histdetect.XXXXXX")
trap 'rm -rf "$work"' EXIT
export GOCACHE="$work/gocache" GOPATH="$work/gopath" GOFLAGS=-mod=mod
GIT_CEILING_DIRECTORIES=$(dirname "$work")
export GIT_CEILING_DIRECTORIES
repo="$work/repo"
mkdir -p "$repo"
cd "$repo"
it_git_repo https://github.com/acme/bufs.git
printf 'module example.com/bufs\n\ngo 1.19\n' > go.mod

write_code() { # $1: revision (comment only), $2: Buf size in bytes
	cat > bufs.go <<GO
package bufs

// revision $1

// Buf returns a fresh buffer.
//go:noinline
func Buf() []byte { return make([]byte, $2) }

// Steady returns a fresh 256-byte buffer.
//go:noinline
func Steady() []byte { return make([]byte, 256) }
GO
	cat > bufs_test.go <<'GO'
package bufs

import "testing"

var sink []byte

func BenchmarkBuf(b *testing.B) {
	for i := 0; i < b.N; i++ {
		sink = Buf()
	}
}

func BenchmarkSteady(b *testing.B) {
	for i := 0; i < b.N; i++ {
		sink = Steady()
	}
}
GO
}
for i in $(seq 1 12); do
	size=1024
	[ "$i" -ge 7 ] && size=2048
	msg="c$i touch up"
	[ "$i" -eq 7 ] && msg="c7 double the buffer"
	write_code "$i" "$size"
	git add -A && git commit -q -m "$msg"
done
c7=$(git rev-parse HEAD~5)
[ "$(git log -1 --format=%s "$c7")" = "c7 double the buffer" ]

bench="go test -run=^\$ -bench=. -benchmem -count=3 -benchtime=2000x"
"$memgate" collect --last 12 --bench "$bench" --quiet --db "$work/m.db" \
	> /dev/null
# --project given: the default (from the origin remote) goes through
# libgit2 1.5's git_remote_list, which leaks pcre2 match data under
# LeakSanitizer (libgit2 PR 6382, fixed in 1.6).
hist() { "$memgate" history --db "$work/m.db" --project acme/bufs "$@"; }

hist --bench BenchmarkBuf --unit B/op --detect --format json > "$work/buf.json"
hist --bench BenchmarkBuf --unit allocs/op --detect --format json > "$work/allocs.json"
hist --bench BenchmarkSteady --unit B/op --detect --format json > "$work/steady.json"
python3 - "$work" "$c7" <<'PY'
import json, sys
work, c7 = sys.argv[1], sys.argv[2]

def load(name):
    with open(f"{work}/{name}.json") as f:
        return json.load(f)

buf = load("buf")
pts = buf["points"]
assert len(pts) == 12, len(pts)
assert [p["median"] for p in pts] == [2048] * 6 + [1024] * 6, pts
cps = buf["change_points"]
assert len(cps) == 1, cps
cp = cps[0]
assert cp["sha"] == c7, (cp["sha"], c7)
assert cp["subject"] == "c7 double the buffer", cp
assert cp["index"] == 6, cp  # oldest first: commits 1..6 before it
assert cp["before"] == 1024 and cp["after"] == 2048, cp
assert abs(cp["change_pct"] - 100) < 1e-9, cp
assert 0 < cp["p"] <= 0.01, cp
assert buf["detection"]["method"] == "e-divisive means"
assert buf["detection"]["alpha"] == 0.01
marked = [p["sha"] for p in pts if p["change_point"]]
assert marked == [c7], marked

for name in ("allocs", "steady"):
    h = load(name)
    assert len(h["points"]) == 12, name
    assert len(set(p["median"] for p in h["points"])) == 1, h["points"]
    assert h["change_points"] == [], (name, h["change_points"])
    assert not any(p["change_point"] for p in h["points"]), name
print("json: ok")
PY

# Text: the row of c7 is marked and the section names it.
hist --bench BenchmarkBuf --unit B/op --detect > "$work/buf.txt"
cat "$work/buf.txt"
[ "$(grep -c '^\* ' "$work/buf.txt")" -eq 1 ]
grep -q "^\* ${c7:0:12} " "$work/buf.txt"
grep -q "^change points (12 commits, alpha 0.01):$" "$work/buf.txt"
grep -Eq "^  ${c7:0:12} [0-9]{4}-[0-9]{2}-[0-9]{2} 'c7 double the buffer': B/op 1024 -> 2048 \(\+100\.0%, p=0\.00[0-9]+\)$" \
	"$work/buf.txt"
hist --bench BenchmarkBuf --unit allocs/op --detect > "$work/allocs.txt"
grep -q "^change points: none (12 commits, alpha 0.01)$" "$work/allocs.txt"
if grep -q '^\* ' "$work/allocs.txt"; then echo "row marked"; exit 1; fi

# CSV gets a change_point column; only c7 has 1.
hist --bench BenchmarkBuf --unit B/op --detect --format csv > "$work/buf.csv"
head -1 "$work/buf.csv" | grep -q ',change_point$'
[ "$(grep -c ',1$' "$work/buf.csv")" -eq 1 ]
grep -q "^$c7,.*,1\$" "$work/buf.csv"

# Too short a window: no detection, said so.
hist --bench BenchmarkBuf --unit B/op --detect --last 5 > "$work/short.txt"
grep -q "^change points: none (5 commits, at least 6 needed)$" "$work/short.txt"
# The newest 8 commits are c5..c12: 2 + 6 around the step, whose exact p
# is 2 / C(8, 2) = 0.071: none at the default alpha, found at 0.2.
hist --bench BenchmarkBuf --unit B/op --detect --last 8 --format json |
	python3 -c 'import json,sys; assert json.load(sys.stdin)["change_points"] == []'
hist --bench BenchmarkBuf --unit B/op --detect --last 8 --alpha 0.2 \
	--format json | python3 -c '
import json, sys
cps = json.load(sys.stdin)["change_points"]
assert len(cps) == 1 and cps[0]["sha"] == sys.argv[1], cps
assert cps[0]["index"] == 2, cps
assert 0.05 < cps[0]["p"] < 0.1, cps' "$c7"
# --min-change above the step hides it.
hist --bench BenchmarkBuf --unit B/op --detect --min-change 150% --format json |
	python3 -c 'import json,sys; assert json.load(sys.stdin)["change_points"] == []'

# Without --detect nothing changes in the output.
hist --bench BenchmarkBuf --unit B/op > "$work/plain.txt"
if grep -q "change points" "$work/plain.txt"; then
	echo "change points without --detect"; exit 1
fi
head -1 "$work/plain.txt" | grep -q '^commit '
hist --bench BenchmarkBuf --unit B/op --format json |
	python3 -c 'import json,sys; h = json.load(sys.stdin); assert "change_points" not in h and "change_point" not in h["points"][0]'

# Option errors.
for bad in "--alpha 0" "--alpha 1.5" "--alpha x" "--min-change -1" \
	"--permutations 0" "--permutations 100000"; do
	read -ra args <<< "$bad"
	if hist --bench BenchmarkBuf --detect "${args[@]}" 2> "$work/err.txt"; then
		echo "accepted: $bad"; exit 1
	fi
	grep -q "^memgate: option" "$work/err.txt"
done
if hist --bench BenchmarkBuf --detect --last 20001 2> "$work/err.txt"; then
	echo "--last 20001 accepted with --detect"; exit 1
fi
grep -q "^memgate: --last: at most 20000 commits with --detect" "$work/err.txt"
if hist --bench BenchmarkBuf --alpha 0.05 2> "$work/err.txt"; then
	echo "--alpha without --detect accepted"; exit 1
fi
grep -q "need --detect" "$work/err.txt"
echo "history_detect: ok"
