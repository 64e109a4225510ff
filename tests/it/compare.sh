#!/usr/bin/env bash
# End to end: `memgate compare` on commits measured by `memgate collect`
# with the real Go toolchain. A small Go module, branch main:
#   c1  BenchmarkHash: 1 alloc of 64 B per op; BenchmarkJoin: 256 B per op
#   c2  a comment changes: nothing else
#   c3  Hash allocates one more 64-byte object per op
#   c4  a comment changes (never measured)
# and branch feature from c4:
#   f1  Join allocates twice the bytes
# c1..c3 and f1 are collected with heap profiles (-memprofilerate=1, so
# the profiles are exact). Then:
#   - c2 -> c3: exit 1, Hash regresses in B/op and allocs/op and the
#     attribution names example.com/hashes.Hash; the JSON verdict matches
#     schema/verdict.schema.json;
#   - c1 -> c2: exit 0;
#   - --threshold on the command line overrides .memgate.ini;
#   - --base-ref main --head feature: the merge-base c4 has no runs, so the
#     baseline is c3, one commit back on main's first parent chain; Join
#     regresses: exit 1;
#   - --pr with a GitHub Actions pull_request event gives the same verdict.
# Timing is not what this test checks: with -memprofilerate=1 every
# allocation is recorded, so time grows with the allocation count (c3's
# Hash takes about 3x as long), and separate `go test` processes differ
# anyway. .memgate.ini in the work tree sets ns/op = 1000%.
# Benchmark names carry the machine's GOMAXPROCS suffix ("-2"), or none
# on one CPU: the patterns allow both (P below).
set -euo pipefail
. "$(dirname "$0")/../support/it.sh"
memgate=${MEMGATE_BIN:?}
src=$(cd "$(dirname "$0")/../.." && pwd)
command -v go >/dev/null || { echo "go not installed: skipped"; exit 0; }
work=$(mktemp -d "${TMPDIR:-/tmp}/compare.XXXXXX")
trap '[ -n "${MG_KEEP_TMP:-}" ] || rm -rf "$work"' EXIT
export GOCACHE="$work/gocache" GOPATH="$work/gopath" GOFLAGS=-mod=mod
export GIT_CEILING_DIRECTORIES=$(dirname "$work")
unset GITHUB_ACTIONS GITHUB_EVENT_NAME GITHUB_EVENT_PATH GITHUB_REPOSITORY
repo="$work/repo"
mkdir -p "$repo"
cd "$repo"
it_git_repo https://github.com/acme/hashes.git
printf 'module example.com/hashes\n\ngo 1.19\n' > go.mod

write_code() { # $1: extra allocation in Hash (0/1), $2: Join size, $3: note
	cat > hashes.go <<GO
package hashes

// $3

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
commit() { git add -A && git commit -q -m "$1" && git rev-parse HEAD; }
write_code 0 256 "v1"; c1=$(commit "c1 initial")
write_code 0 256 "v2"; c2=$(commit "c2 comment")
write_code 1 256 "v2"; c3=$(commit "c3 hash allocates twice")
# Settings of this repository: only memory matters to this test.
printf '[thresholds]\nns/op = 1000%%\n' > .memgate.ini
echo ".memgate.ini" > .git/info/exclude

bench="go test -run=^\$ -bench=. -benchmem -count=5 -benchtime=20000x -memprofilerate=1"
"$memgate" collect --last 3 --go-profiles --bench "$bench" --quiet \
	--db "$work/m.db" > "$work/collect.txt"
cat "$work/collect.txt"

write_code 1 256 "v3"; c4=$(commit "c4 comment, not measured")
git checkout -q -b feature
write_code 1 512 "v3"; f1=$(commit "f1 join doubles its buffer")
"$memgate" collect --go-profiles --bench "$bench" --quiet \
	--db "$work/m.db" >> "$work/collect.txt"

P='(\\-[0-9]+)?'

# c2 -> c3: the extra allocation in Hash.
expect 1 "$work/reg.md" compare --db "$work/m.db" --base "$c2" --head "$c3" \
	--format markdown
cat "$work/reg.md"
grep -q '^\*\*memgate: 2 regressions\*\* in 2 benchmarks' "$work/reg.md"
grep -Eq "^\| BenchmarkHash$P \| allocs/op \| 1\.000 ± ∞ \| 2\.000 ± ∞ \| \+100\.00% \|" "$work/reg.md"
grep -Eq "^\| BenchmarkHash$P \| B/op \| 64\.00 ± ∞ \| 128\.00 ± ∞ \| \+100\.00% \|" "$work/reg.md"
grep -q '### Where the memory went' "$work/reg.md"
# The function, escaped for markdown, first in both attribution tables.
[ "$(grep -c '^| example\\\.com/hashes\\\.Hash | ' "$work/reg.md")" -eq 2 ]

expect 1 "$work/reg.json" compare --db "$work/m.db" --base "$c2" --head "$c3" \
	--format json
python3 - "$work/reg.json" "$c2" "$c3" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))
assert v["verdict"] == "regression", v["verdict"]
assert v["base"]["sha"] == sys.argv[2] and v["head"]["sha"] == sys.argv[3]
assert v["base"]["status"] == "ok" and len(v["base"]["runs"]) == 1
reg = [(r["benchmark"], r["unit"]) for r in v["results"] if r["verdict"] == "regression"]
assert sorted(reg) == [("BenchmarkHash", "B/op"), ("BenchmarkHash", "allocs/op")], reg
for r in v["results"]:
    if r["verdict"] == "regression":
        top = r["attribution"][0]
        assert top["function"] == "example.com/hashes.Hash", top
        assert top["growth"] > 0.05, top
        assert top["sample_type"] == ("alloc_space" if r["unit"] == "B/op" else "alloc_objects")
        assert r["exact"] is True
    if r["unit"] == "ns/op":
        assert r["rule"]["threshold"] == 10.0, r["rule"]
PY
if python3 -c "import jsonschema" 2>/dev/null; then
	python3 "$src/tests/unit/validate_verdict.py" \
		"$src/schema/verdict.schema.json" "$work/reg.json"
fi

# c1 -> c2: only a comment changed.
expect 0 "$work/same.md" compare --db "$work/m.db" --base "$c1" --head "$c2" \
	--format markdown
grep -q '^\*\*memgate: no regression\*\* in 2 benchmarks' "$work/same.md"
# benchstat's text for the same pair: one table per unit. 5 equal B/op
# samples a side: no interval at 95% below 6 samples ("± ∞") and no test
# ("~", p = 1, "all samples are equal").
expect 0 "$work/same.txt" compare --db "$work/m.db" --base "$c1" --head "$c2"
grep -q '^pkg: example.com/hashes$' "$work/same.txt"
grep -Eq "^Hash(-[0-9]+)? +64\.00 ± ∞ ¹ +64\.00 ± ∞ ¹ +~ \(p=1\.000 n=5\) ²" \
	"$work/same.txt" || { cat "$work/same.txt"; echo "B/op table"; exit 1; }

# The command line overrides .memgate.ini: allocs/op may grow by 5.
expect 1 "$work/over.json" compare --db "$work/m.db" --base "$c2" --head "$c3" \
	--format json --threshold allocs/op=5
python3 - "$work/over.json" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))
got = {(r["benchmark"], r["unit"]): r["verdict"] for r in v["results"]}
assert got[("BenchmarkHash", "allocs/op")] == "unchanged", got
assert got[("BenchmarkHash", "B/op")] == "regression", got
PY

# A pull request from feature into main: the merge-base c4 was never
# measured, so the baseline is c3, one commit back on main.
expect 1 "$work/pr.md" compare --db "$work/m.db" --base-ref main \
	--head feature --format markdown
cat "$work/pr.md"
grep -q '^\*\*memgate: 1 regression\*\*' "$work/pr.md"
grep -Eq "^\| BenchmarkJoin$P \| B/op \| 256\.0 ± ∞ \| 512\.0 ± ∞ \| \+100\.00% \|" "$work/pr.md"
grep -q "is 1 commit before the merge\\\\-base" "$work/pr.md"
grep -q "^\*\*Base:\*\* ${c3:0:7}" "$work/pr.md"

# The same from GitHub Actions' pull_request event.
cat > "$work/event.json" <<JSON
{"number": 7, "pull_request": {"base": {"ref": "main", "sha": "$c4"},
 "head": {"ref": "feature", "sha": "$f1"}}}
JSON
GITHUB_ACTIONS=true GITHUB_EVENT_NAME=pull_request \
GITHUB_EVENT_PATH="$work/event.json" GITHUB_REPOSITORY=acme/hashes \
	expect 1 "$work/ci.json" compare --db "$work/m.db" --pr --format json
python3 - "$work/ci.json" "$c3" "$f1" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))
assert v["base"]["sha"] == sys.argv[2], v["base"]
assert v["head"]["sha"] == sys.argv[3], v["head"]
assert v["summary"] == "1 regression in 2 benchmarks", v["summary"]
PY

# Errors: a revision that does not exist is exit 2.
expect 2 "$work/bad.txt" compare --db "$work/m.db" --base no-such-ref
grep -q "memgate: " "$work/bad.txt.err"
echo "compare: ok"
