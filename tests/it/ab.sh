#!/usr/bin/env bash
# End to end: `memgate ab` with the real Go toolchain on a real git
# repository. A module with two packages:
#   sizes:  BenchmarkHash (1 alloc of 64 B), BenchmarkSizes/small and
#           BenchmarkSizes/large (1 alloc each)
#   sizes/util: BenchmarkUtil (1 alloc)
# c1 is the base; c2 makes BenchmarkSizes/large allocate twice; c3 does
# not compile. Checked:
#   - ab c1 -> c2: exit 1, the only regressions are Sizes/large's
#     allocs/op and B/op; n rounds of interleaved runs (base, head, head,
#     base, ... in the log), both runs and the session stored, no branch
#     (no history points), the user's work tree and TMPDIR untouched;
#   - --confirm and --go-profiles with the default go test command:
#     profiles of both packages from the first round; only the flagged
#     benchmark runs again (the -bench pattern is anchored per level, the
#     package list is its package): Sizes/large gets rounds + confirm
#     samples, Sizes/small, Hash and Util only rounds;
#   - A/A (c1 -> c1): floors stored, allocs/op 0 (constant), ns/op > 0;
#     a later `memgate compare` of the stored runs uses them, and a floor
#     larger than a change turns that regression into "unchanged";
#   - a commit that does not build: exit 2, both runs stored failed;
#   - --server: both runs, then the session (naming them by idempotency
#     key) reach a real memgate-server; its compare route applies the
#     floors; with the server down all three wait in the spool, in order,
#     and `memgate push` delivers them.
# Time is not judged (ns/op = 1000%): separate processes on a loaded
# machine differ by more than a test should wait out.
set -euo pipefail
. "$(dirname "$0")/../support/it.sh"
trap 'echo "ab.sh: failed at line $LINENO" >&2' ERR
memgate=${MEMGATE_BIN:?}
src=$(cd "$(dirname "$0")/../.." && pwd)
command -v go >/dev/null || { echo "go not installed: skipped"; exit 0; }
command -v sqlite3 >/dev/null || { echo "sqlite3 not installed: skipped"; exit 0; }
work=$(mktemp -d "${TMPDIR:-/tmp}/ab.XXXXXX")
trap '[ -n "${MG_KEEP_TMP:-}" ] || rm -rf "$work"' EXIT
export GOCACHE="$work/gocache" GOPATH="$work/gopath" GOFLAGS=-mod=mod
export GIT_CEILING_DIRECTORIES=$(dirname "$work")
# The temp work trees go here: it must be empty again afterwards.
export TMPDIR="$work/tmp"
mkdir -p "$TMPDIR"
unset GITHUB_ACTIONS GITHUB_EVENT_NAME GITHUB_EVENT_PATH GITHUB_REPOSITORY
repo="$work/repo"
mkdir -p "$repo/util"
cd "$repo"
it_git_repo https://github.com/acme/sizes.git
printf 'module example.com/sizes\n\ngo 1.19\n' > go.mod

write_code() { # $1: extra allocation in Sizes/large (0/1), $2: "bad" breaks
	cat > sizes.go <<GO
package sizes

var keep [][]byte

//go:noinline
func Alloc(n int, extra int) []byte {
	b := make([]byte, n)
	if extra == 1 {
		keep = append(keep[:0], make([]byte, 1024))
	}
	return b
}
$2
GO
	cat > sizes_test.go <<GO
package sizes

import "testing"

var sink []byte

func BenchmarkHash(b *testing.B) {
	for i := 0; i < b.N; i++ {
		sink = Alloc(64, 0)
	}
}

func BenchmarkSizes(b *testing.B) {
	b.Run("small", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			sink = Alloc(16, 0)
		}
	})
	b.Run("large", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			sink = Alloc(4096, $1)
		}
	})
}
GO
	cat > util/util_test.go <<'GO'
package util

import "testing"

var sink []byte

//go:noinline
func grow(n int) []byte { return make([]byte, n) }

func BenchmarkUtil(b *testing.B) {
	for i := 0; i < b.N; i++ {
		sink = grow(128)
	}
}
GO
}
commit() { git add -A && git commit -q -m "$1" && git rev-parse HEAD; }
write_code 0 ""; c1=$(commit "c1 base")
write_code 1 ""; c2=$(commit "c2 large allocates twice")
write_code 1 "func broken( {"; c3=$(commit "c3 does not compile")
git checkout -q "$c2"
printf '[thresholds]\nns/op = 1000%%\n' > .memgate.ini
echo ".memgate.ini" > .git/info/exclude
db="$work/m.db"
bench="go test -run='^\$' -bench={bench} -benchmem -count=1 -benchtime=2000x ./..."

P='(-[0-9]+)?'
q() { sqlite3 "$db" "$1"; }

# ---- usage errors ------------------------------------------------------
expect 2 "$work/u1" ab --db "$db"
grep -q -- '--base is required' "$work/u1.err"
expect 2 "$work/u2" ab --db "$db" --base "$c1" --count 0
grep -q -- '--count' "$work/u2.err"
expect 2 "$work/u3" ab --db "$db" --base no-such-ref --head "$c2" --quiet
grep -q 'no-such-ref' "$work/u3.err"
expect 0 "$work/help" ab --help
grep -q -- '--confirm' "$work/help"

# ---- A/B, 4 rounds -----------------------------------------------------
expect 1 "$work/ab.json" ab --db "$db" --base "$c1" --head "$c2" --count 4 \
	--bench "$bench" --format json
python3 - "$work/ab.json" "$c1" "$c2" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))
assert v["verdict"] == "regression", v["verdict"]
assert v["base"]["sha"] == sys.argv[2] and v["head"]["sha"] == sys.argv[3]
reg = sorted((r["benchmark"], r["unit"]) for r in v["results"]
             if r["verdict"] == "regression")
assert reg == [("BenchmarkSizes/large", "B/op"),
               ("BenchmarkSizes/large", "allocs/op")], reg
for r in v["results"]:
    assert r["base"]["n"] == 4 and r["head"]["n"] == 4, r
names = sorted({(r["package"], r["benchmark"]) for r in v["results"]})
assert names == [("example.com/sizes", "BenchmarkHash"),
                 ("example.com/sizes", "BenchmarkSizes/large"),
                 ("example.com/sizes", "BenchmarkSizes/small"),
                 ("example.com/sizes/util", "BenchmarkUtil")], names
assert any("interleaved" in n for n in v["notes"]), v["notes"]
PY
# Interleaved: base, head | head, base | base, head | head, base.
grep -o 'round [0-9]/4: [a-z]*' "$work/ab.json.err" | tr '\n' ' ' \
	> "$work/order"
[ "$(cat "$work/order")" = "round 1/4: base round 1/4: head round 2/4: head round 2/4: base round 3/4: base round 3/4: head round 4/4: head round 4/4: base " ] \
	|| { echo "order: $(cat "$work/order")"; exit 1; }
# Stored: one session pairing two runs of c1 and c2, without a branch.
[ "$(q "SELECT count(*) FROM ab_sessions")" = 1 ]
[ "$(q "SELECT c.sha FROM ab_sessions s JOIN runs r ON r.id = s.base_run_id JOIN commits c ON c.id = r.commit_id")" = "$c1" ]
[ "$(q "SELECT c.sha FROM ab_sessions s JOIN runs r ON r.id = s.head_run_id JOIN commits c ON c.id = r.commit_id")" = "$c2" ]
[ "$(q "SELECT rounds, confirm_rounds, aa FROM ab_sessions")" = "4|0|0" ]
[ "$(q "SELECT count(*) FROM runs WHERE branch IS NULL AND status = 'ok'")" = 2 ]
[ "$(q "SELECT count(*) FROM history_points")" = 0 ]
# 4 benchmarks x 3 units x 4 rounds per run, seq 0..3.
[ "$(q "SELECT count(*) FROM samples GROUP BY run_id" | sort -u)" = 48 ]
[ "$(q "SELECT group_concat(DISTINCT seq) FROM samples")" = "0,1,2,3" ]
[ "$(q "SELECT value FROM samples s JOIN benchmarks b ON b.id = s.benchmark_id JOIN ab_sessions a ON a.head_run_id = s.run_id WHERE b.name = 'BenchmarkSizes/large' AND s.unit = 'allocs/op'" | sort -u)" = 2.0 ]
# The user's work tree is untouched, the temp trees are gone.
[ "$(git rev-parse HEAD)" = "$c2" ]
[ -z "$(git status --porcelain)" ]
[ -z "$(ls -A "$TMPDIR")" ] || { ls -la "$TMPDIR"; exit 1; }

# ---- --confirm ---------------------------------------------------------
# The default command this time (GOFLAGS fixes -benchtime for go test).
GOFLAGS="-mod=mod -benchtime=2000x" \
expect 1 "$work/cf.md" ab --db "$db" --base "$c1" --head "$c2" --count 3 \
	--confirm --confirm-count 2 --format markdown --go-profiles
grep -q 'confirming 1 benchmark with 2 more rounds' "$work/cf.md.err"
# The pattern: one anchored, escaped group per level; only its package.
grep -qF -- "-bench='^(?:BenchmarkSizes)\$/^(?:large)\$' -benchmem -count=1 'example.com/sizes'" "$work/cf.md.err"
sed -n '/confirming/,$p' "$work/cf.md.err" > "$work/cf.rounds"
if grep -q 'sizes/util\|BenchmarkSizes/small' "$work/cf.rounds"; then
	echo "--confirm ran more than the flagged benchmark"; exit 1
fi
[ "$(grep -c '^BenchmarkSizes/large' "$work/cf.rounds")" = 4 ]
grep -q '2 confirmation rounds of 1 flagged benchmark' "$work/cf.md"
grep -q '\*\*memgate: 2 regressions\*\*' "$work/cf.md"
s=$(q "SELECT max(id) FROM ab_sessions")
[ "$(q "SELECT rounds, confirm_rounds FROM ab_sessions WHERE id = $s")" = "3|2" ]
n_of() { # $1: run column, $2: benchmark name
	q "SELECT count(*) FROM samples x JOIN benchmarks b ON b.id = x.benchmark_id JOIN ab_sessions a ON x.run_id = a.$1 WHERE a.id = $s AND b.name = '$2' AND x.unit = 'allocs/op'"
}
for side in base_run_id head_run_id; do
	# --go-profiles: heap and CPU profiles of both packages, first round.
	[ "$(q "SELECT count(*) || '|' || count(DISTINCT package) FROM profiles p JOIN ab_sessions a ON p.run_id = a.$side WHERE a.id = $s")" = "4|2" ]
	[ "$(n_of $side BenchmarkSizes/large)" = 5 ]
	[ "$(n_of $side BenchmarkSizes/small)" = 3 ]
	[ "$(n_of $side BenchmarkHash)" = 3 ]
	[ "$(n_of $side BenchmarkUtil)" = 3 ]
done

# ---- A/A: noise floors -------------------------------------------------
expect 0 "$work/aa.json" ab --db "$db" --base "$c1" --head "$c1" --count 6 \
	--bench "$bench" --format json --quiet
python3 - "$work/aa.json" "$c1" "$db" <<'PY'
import json, sqlite3, statistics, sys
v = json.load(open(sys.argv[1]))
assert v["commit"] == sys.argv[2] and v["rounds"] == 6, v
fl = {(f["name"], f["unit"]): f for f in v["floors"]}
assert len(fl) == 12, sorted(fl)
db = sqlite3.connect(sys.argv[3])
def samples(run, name, unit):
    return [r[0] for r in db.execute(
        "SELECT s.value FROM samples s JOIN benchmarks b ON b.id = "
        "s.benchmark_id WHERE s.run_id = ? AND b.name = ? AND s.unit = ?",
        (run, name, unit))]
for (name, unit), f in fl.items():
    x, y = (samples(r, name, unit) for r in v["runs"])
    assert f["n"] == 6 and len(x) == 6 and len(y) == 6, (f, x, y)
    # The median reported is the pooled one.
    assert f["median"] == statistics.median(x + y), (f, x, y)
    if len(set(x + y)) == 1:
        # Constant on both sides (allocs/op and B/op usually are): no
        # noise at all. Not always: a one-off allocation in one process
        # shows in its B/op (4097 instead of 4096).
        assert f["noise_floor"] == 0, f
    else:
        # The floor is an interval bound: at least the Hodges-Lehmann
        # shift itself (the median of the pairwise differences).
        # (A byte more in one B/op sample can leave both bounds at 0.)
        hl = statistics.median([b - a for a in x for b in y])
        assert f["noise_floor"] >= 0, f
        assert f["noise_floor"] * f["median"] >= abs(hl) - 1e-9, (f, hl)
    if unit == "ns/op":
        assert f["noise_floor"] > 0, f  # timing always varies
assert fl[("BenchmarkSizes/large", "B/op")]["median"] == 4096, fl
PY
[ "$(q "SELECT aa FROM ab_sessions ORDER BY id DESC LIMIT 1")" = 1 ]
[ "$(q "SELECT count(*) FROM noise_floors")" = 12 ]

# `memgate compare` of c1 and c2 from the store pools the A/B runs and
# applies the floors: ns/op's is the one measured.
expect 1 "$work/cmp.json" compare --db "$db" --base "$c1" --head "$c2" \
	--format json
python3 - "$work/cmp.json" "$(q "SELECT rel FROM noise_floors f JOIN benchmarks b ON b.id = f.benchmark_id WHERE b.name = 'BenchmarkUtil' AND f.unit = 'ns/op'")" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))
util = [r for r in v["results"] if r["benchmark"] == "BenchmarkUtil" and r["unit"] == "ns/op"][0]
assert abs(util["rule"]["noise_floor"] - float(sys.argv[2])) < 1e-9, util["rule"]
assert any("noise floors of 12" in n for n in v["notes"]), v["notes"]
PY
# A floor of 150% on Sizes/large's allocs/op: 1 -> 2 (+100%) is within it.
q "UPDATE noise_floors SET rel = 1.5 WHERE unit = 'allocs/op' AND benchmark_id = (SELECT id FROM benchmarks WHERE name = 'BenchmarkSizes/large')"
expect 1 "$work/cmp2.json" compare --db "$db" --base "$c1" --head "$c2" \
	--format json
python3 - "$work/cmp2.json" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))
r = {(x["benchmark"], x["unit"]): x for x in v["results"]}
a = r[("BenchmarkSizes/large", "allocs/op")]
assert a["verdict"] == "unchanged" and a["rule"]["noise_floor"] == 1.5, a
assert r[("BenchmarkSizes/large", "B/op")]["verdict"] == "regression"
PY

# ---- a commit that does not build ---------------------------------------
before=$(q "SELECT count(*) FROM runs")
expect 2 "$work/bad.txt" ab --db "$db" --base "$c1" --head "$c3" --count 2 \
	--build "go vet ./..." --bench "$bench" --quiet
grep -q "the head commit ${c3:0:12} failed" "$work/bad.txt.err"
[ "$(q "SELECT count(*) FROM runs")" = $((before + 2)) ]
[ "$(q "SELECT group_concat(status) FROM (SELECT r.status FROM ab_sessions s JOIN runs r ON r.id IN (s.base_run_id, s.head_run_id) WHERE s.id = (SELECT max(id) FROM ab_sessions) ORDER BY r.id)")" = "failed,failed" ]
[ -z "$(ls -A "$TMPDIR")" ] || { ls -la "$TMPDIR"; exit 1; }

# ---- --server ------------------------------------------------------------
server_bin=${MEMGATE_SERVER_BIN:?}
sdb="$work/server.db"
server_pid=
stop_server() {
	[ -z "$server_pid" ] && return 0
	kill "$server_pid" 2>/dev/null || true
	wait "$server_pid" 2>/dev/null || true
	server_pid=
}
trap 'stop_server; [ -n "${MG_KEEP_TMP:-}" ] || rm -rf "$work"' EXIT
start_server() {
	: > "$work/server.log"
	"$server_bin" serve --listen 127.0.0.1:0 --db "$sdb" \
		2>> "$work/server.log" &
	server_pid=$!
	port=
	for _ in $(seq 100); do
		port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$work/server.log" | head -1)
		[ -n "$port" ] && break
		sleep 0.1
	done
	[ -n "$port" ] || { cat "$work/server.log"; exit 1; }
	url="http://127.0.0.1:$port"
}
start_server
token=$("$server_bin" token create --project acme/sizes --db "$sdb" | tail -1)
sq() { sqlite3 "$sdb" "$1"; }
spool="$work/spool"
up=(--db "$db" --bench "$bench" --quiet --server "$url" --token "$token"
	--spool "$spool")

expect 0 "$work/up-aa.json" ab "${up[@]}" --base "$c1" --head "$c1" \
	--count 4 --format json
grep -q "uploaded to $url: A/B session [1-9]" "$work/up-aa.json.err"
[ "$(sq "SELECT count(*) || '|' || sum(aa) FROM ab_sessions")" = "1|1" ]
[ "$(sq "SELECT count(*) FROM noise_floors")" = 12 ]
# The server's session pairs the runs the local store has, by key.
[ "$(sq "SELECT r.idempotency_key FROM ab_sessions s JOIN runs r ON r.id = s.head_run_id")" = \
  "$(q "SELECT r.idempotency_key FROM ab_sessions s JOIN runs r ON r.id = s.head_run_id ORDER BY s.id DESC LIMIT 1")" ]
# Floors equal to the local ones, to the digit.
[ "$(sq "SELECT group_concat(rel, ',') FROM (SELECT rel FROM noise_floors ORDER BY rel, unit)")" = \
  "$(q "SELECT group_concat(rel, ',') FROM (SELECT f.rel FROM noise_floors f WHERE session_id = (SELECT max(id) FROM ab_sessions) ORDER BY rel, unit)")" ]

expect 1 "$work/up-ab.json" ab "${up[@]}" --base "$c1" --head "$c2" \
	--count 3 --format json
python3 - "$url" "$token" "$c1" "$c2" "$sdb" <<'PY'
import json, sqlite3, sys, urllib.request
url, token, c1, c2, sdb = sys.argv[1:]
req = urllib.request.Request(
    f"{url}/api/v1/projects/acme%2Fsizes/compare?base={c1}&head={c2}",
    headers={"Authorization": f"Bearer {token}"})
v = json.load(urllib.request.urlopen(req))
floors = dict(((n, u), rel) for n, u, rel in sqlite3.connect(sdb).execute(
    "SELECT b.name, f.unit, f.rel FROM noise_floors f JOIN benchmarks b "
    "ON b.id = f.benchmark_id"))
seen = set()
for r in v["results"]:
    want = floors[(r["benchmark"], r["unit"])]
    if want > 0:
        assert abs(r["rule"]["noise_floor"] - want) < 1e-12, (r, want)
        seen.add((r["benchmark"], r["unit"]))
# Every stored floor reached the verdict: the four ns/op pairs at least
# (B/op is usually constant, floor 0, but Go now and then reports a byte
# more in one process).
assert seen == set(k for k, f in floors.items() if f > 0), (seen, floors)
assert sum(1 for b, u in seen if u == "ns/op") == 4, seen
assert any("noise floors of 12" in n for n in v["notes"]), v["notes"]
assert v["verdict"] == "regression", v["verdict"]
PY

# The server is down: the runs and then the session wait in the spool.
stop_server
expect 2 "$work/down.txt" ab "${up[@]}" --base "$c2" --head "$c2" --count 5
grep -q "3 uploads were kept in '$spool'; run 'memgate push'" "$work/down.txt.err"
[ "$(ls "$spool"/*.json | wc -l)" = 3 ]
# The spooled session matches schema/ab.schema.json and names the runs
# spooled with it.
python3 - "$spool" "$src/schema/ab.schema.json" <<'PY'
import glob, json, os, sys
docs = [json.load(open(p)) for p in glob.glob(sys.argv[1] + "/*.json")]
sessions = [d for d in docs if d.get("format") == "memgate-ab"]
runs = [d for d in docs if d.get("format") == "memgate-run"]
assert len(sessions) == 1 and len(runs) == 2, [d.get("format") for d in docs]
s = sessions[0]
assert {s["base_run_key"], s["head_run_key"]} == {r["idempotency_key"] for r in runs}
assert s["aa"] is True and s["rounds"] == 5 and len(s["floors"]) == 12, s
try:
    from jsonschema import Draft202012Validator
except ImportError:
    sys.exit(0)
Draft202012Validator(json.load(open(sys.argv[2]))).validate(s)
PY
start_server
expect 0 "$work/push.txt" push --server "$url" --token "$token" \
	--spool "$spool"
[ "$(grep -c ': run [1-9]' "$work/push.txt")" = 2 ]
grep -q 'sent: A/B session [1-9]' "$work/push.txt"
[ -z "$(ls "$spool"/*.json 2>/dev/null)" ]
[ "$(sq "SELECT count(*) || '|' || sum(aa) FROM ab_sessions")" = "3|2" ]
# A wrong token is an error, not a reason to wait.
expect 2 "$work/token.txt" ab --db "$db" --bench "$bench" --quiet \
	--server "$url" --token wrong --spool "$spool" --base "$c1" \
	--head "$c1" --count 2
grep -q 'refused the token (401)' "$work/token.txt.err"
echo "ab: all checks passed"
