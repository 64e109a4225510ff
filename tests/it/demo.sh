#!/usr/bin/env bash
# The README's demo (deploy/demo.sh) end to end, with the real Go
# toolchain and a real memgate-server on a free port, stopped at the end
# (--stop). What the example history holds, by construction
# (examples/cihelpers/make-repo.sh): commit 4 gives BenchmarkPackTar one
# 32 KiB copy buffer per call instead of one per file (4 files: -96 KiB
# B/op, -3 allocs/op); commit 5 makes HashFile take a hasher from a
# sync.Pool and never put it back, so newHasher allocates a 32 KiB buffer
# and a hasher per call (+2 allocs/op). BenchmarkImageTag and
# BenchmarkWriteManifest never change. Checked:
#   - the PR of commit 5: exit 1, BenchmarkHashFile regresses in B/op and
#     allocs/op, the markdown names it and its attribution's first row is
#     example.com/cihelpers.newHasher;
#   - the PR of commit 4: exit 0, BenchmarkPackTar improves in B/op and
#     allocs/op, nothing regresses in memory;
#   - ImageTag and WriteManifest are unchanged in B/op and allocs/op in
#     both (ns/op is not asserted: under a parallel ctest, timing moves by
#     tens of percent, which is why the example sets ns/op = 1000%);
#   - history --detect finds commit 5 for HashFile and commit 4 for
#     PackTar; every commit was uploaded to the server; the server stops.
set -euo pipefail
memgate=${MEMGATE_BIN:?}
server_bin=${MEMGATE_SERVER_BIN:?}
src=$(cd "$(dirname "$0")/../.." && pwd)
command -v go >/dev/null || { echo "go not installed: skipped"; exit 0; }
work=$(mktemp -d "${TMPDIR:-/tmp}/demo.XXXXXX")
trap '[ -n "${MG_KEEP_TMP:-}" ] || rm -rf "$work"' EXIT
export GIT_CEILING_DIRECTORIES=$(dirname "$work")
export GOCACHE=$work/gocache GOPATH=$work/gopath
fail() { echo "demo test: $*"; exit 1; }

# A free port, not 8080: bind port 0 and read what the kernel gave.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
start=$(date +%s)
MEMGATE_BIN=$memgate MEMGATE_SERVER_BIN=$server_bin MEMGATE_DEMO_PORT=$port \
	"$src/deploy/demo.sh" --stop --dir "$work/demo" > "$work/out.txt" 2>&1 ||
	{ cat "$work/out.txt"; fail "demo.sh failed"; }
cat "$work/out.txt"
echo "demo took $(($(date +%s) - start))s"
d=$work/demo

grep -q "the server is stopped (--stop)" "$work/out.txt" || fail "no --stop"
pid=$(sed -n 's/^server: .*(pid \([0-9]*\),.*/\1/p' "$work/out.txt")
[ -n "$pid" ] || fail "no server pid printed"
! kill -0 "$pid" 2>/dev/null || fail "server $pid still running"
[ ! -e "$d/server.pid" ] || fail "server.pid left behind"

# Both pull requests: exit status as printed, and the verdicts.
[ "$(grep -c '^memgate compare: exit 0, no regression' "$work/out.txt")" -eq 1 ] ||
	fail "the improvement PR did not pass"
[ "$(grep -c '^memgate compare: exit 1, a regression' "$work/out.txt")" -eq 1 ] ||
	fail "the regression PR did not fail"
python3 - "$d" <<'PY'
import json, sys
d = sys.argv[1]
mem = ("B/op", "allocs/op")

def verdicts(name):
    v = json.load(open(f"{d}/{name}.json"))
    return v, {(r["benchmark"], r["unit"]): r for r in v["results"]}

v, res = verdicts("pr-regression")
assert v["verdict"] == "regression", v["verdict"]
for u in mem:
    r = res[("BenchmarkHashFile", u)]
    assert r["verdict"] == "regression", (u, r["verdict"])
    funcs = [a["function"] for a in r["attribution"]]
    assert "example.com/cihelpers.newHasher" in funcs, (u, funcs)
# The bytes point at newHasher first. Object counts of a package-wide
# profile also move with b.N (calibration runs are in the profile), so
# for allocs/op newHasher is listed, not necessarily first (a documented
# limitation of share-based attribution).
top = res[("BenchmarkHashFile", "B/op")]["attribution"][0]
assert top["function"] == "example.com/cihelpers.newHasher", top
# +2 allocs/op (the hasher and its buffer), >= 32 KiB more per op
a = res[("BenchmarkHashFile", "allocs/op")]
assert a["head"]["median"] - a["base"]["median"] == 2, a
b = res[("BenchmarkHashFile", "B/op")]
assert b["head"]["median"] - b["base"]["median"] >= 32768, b
for bench in ("BenchmarkImageTag", "BenchmarkWriteManifest", "BenchmarkPackTar"):
    for u in mem:
        assert res[(bench, u)]["verdict"] == "unchanged", (bench, u, res[(bench, u)]["verdict"])

v, res = verdicts("pr-improvement")
assert v["verdict"] != "regression", v["verdict"]
for u in mem:
    r = res[("BenchmarkPackTar", u)]
    assert r["verdict"] == "improvement", (u, r["verdict"])
b = res[("BenchmarkPackTar", "B/op")]
# three 32 KiB buffers fewer (plus a few bytes of tar.Writer state)
assert 3 * 32768 <= b["base"]["median"] - b["head"]["median"] <= 3 * 32768 + 64, b
a = res[("BenchmarkPackTar", "allocs/op")]
assert a["base"]["median"] - a["head"]["median"] == 3, a
for bench in ("BenchmarkImageTag", "BenchmarkWriteManifest", "BenchmarkHashFile"):
    for u in mem:
        assert res[(bench, u)]["verdict"] == "unchanged", (bench, u)
print("verdicts: ok")
PY

# The markdown comment of the regression names benchmark and function.
md=$d/pr-regression.md
grep -q '^\*\*memgate: [0-9]* regressions\{0,1\}\*\*' "$md" || fail "no headline"
grep -Eq '^\| BenchmarkHashFile(\\-[0-9]+)? \| B/op \|' "$md" || fail "no B/op row"
grep -q '### Where the memory went' "$md" || fail "no attribution"
grep -q 'example\\\.com/cihelpers\\\.newHasher' "$md" || fail "newHasher not named"
grep -q 'improvement' "$d/pr-improvement.md" || fail "no improvement in 4a"

# Change points: exactly the two commits.
regress=$(git -C "$d/repo" log --format=%H --grep='^hash: pool the digest' -n 1)
improve=$(git -C "$d/repo" log --format=%H --grep='^pack: reuse one copy' -n 1)
grep -Eq "^  ${regress:0:12} .*'hash: pool the digest together with its copy buffer': B/op 3[0-9]{2}(\.[0-9]+)? -> 33[0-9]{3}(\.[0-9]+)? " \
	"$work/out.txt" || fail "HashFile change point"
grep -Eq "^  ${improve:0:12} .*'pack: reuse one copy buffer for all files of a context': B/op 1327[0-9]{2}(\.[0-9]+)? -> 344[0-9]{2}(\.[0-9]+)? " \
	"$work/out.txt" || fail "PackTar change point"
[ "$(grep -c '^\* ' "$work/out.txt")" -eq 2 ] || fail "want 2 marked rows"

# Every commit is in the local store and on the server, with the two
# runs of step 6 (memgate ab) and their session.
for db in memgate.db server.db; do
	n=$(sqlite3 -batch -noheader "$d/$db" "SELECT count(*) FROM runs WHERE status = 'ok' AND branch = 'main'")
	[ "$n" -eq 8 ] || fail "$db: $n ok runs on main, want 8"
	n=$(sqlite3 -batch -noheader "$d/$db" "SELECT count(*) FROM ab_sessions s JOIN runs r ON r.id = s.head_run_id JOIN commits c ON c.id = r.commit_id WHERE c.sha = '$regress' AND s.confirm_rounds > 0")
	[ "$n" -eq 1 ] || fail "$db: $n confirmed A/B sessions of the regression, want 1"
done
# Step 6 confirms the regression in HashFile alone.
grep "confirming 1 benchmark with [0-9]* more rounds: " "$work/out.txt" |
	grep -qF -- "-bench='^(?:BenchmarkHashFile)\$'" || fail "ab --confirm pattern"
grep -Eq "^   BenchmarkHashFile +allocs/op +n=[0-9]+\+[0-9]+ +5 -> 7$" \
	"$work/out.txt" || fail "ab: allocs/op 5 -> 7"
echo "demo: ok"
