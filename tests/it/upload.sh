#!/usr/bin/env bash
# End to end: `memgate collect --server` and `memgate push` against a real
# memgate-server on 127.0.0.1 (port 0), with a real git repository of a
# small stdlib-only Go module (two commits) measured by the real Go
# toolchain.
#   1. collect --server with a good token: the run is on the server with
#      all its samples, under a 128-bit hex idempotency key
#   2. a wrong token: exit 2, the run is kept in the spool; push with the
#      right token sends it
#   3. the server is down: a backfill of both commits spools both runs
#      (exit 2, "memgate push" named); the server comes back on another
#      port, push sends them and empties the spool; a second push has
#      nothing to do, and replaying the pushed files (a push that died
#      after the server stored them) stores nothing twice
#   4. a spool file the server rejects as invalid moves to rejected/
# The token never appears in memgate's output.
set -euo pipefail
. "$(dirname "$0")/../support/it.sh"
memgate=${MEMGATE_BIN:?}
server_bin=${MEMGATE_SERVER_BIN:?}
command -v go >/dev/null || { echo "go not installed: skipped"; exit 0; }
command -v sqlite3 >/dev/null || { echo "sqlite3 not installed: skipped"; exit 0; }
work=$(mktemp -d "${TMPDIR:-/tmp}/upload.XXXXXX")
server_pid=
stop_server() {
	if [ -n "$server_pid" ]; then
		kill "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
		server_pid=
	fi
}
cleanup() {
	stop_server
	[ "${MG_KEEP_TMP:-}" = 1 ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT
export GOCACHE="$work/gocache" GOPATH="$work/gopath" GOFLAGS=-mod=mod
export GIT_CEILING_DIRECTORIES=$(dirname "$work")
unset MEMGATE_SERVER MEMGATE_TOKEN
fail() { echo "upload.sh: $*"; exit 1; }

# --- the repository: BenchmarkAlloc allocates 2 objects per op, then 3
repo="$work/repo"
mkdir -p "$repo"
cd "$repo"
it_git_repo https://github.com/acme/uploads.git
printf 'module example.com/uploads\n\ngo 1.19\n' > go.mod
write_code() { # $1: objects allocated per op
	cat > up.go <<GO
package up

var keep [][]byte

//go:noinline
func Alloc() {
	keep = keep[:0]
	for i := 0; i < $1; i++ {
		keep = append(keep, make([]byte, 32))
	}
}
GO
	cat > up_test.go <<'GO'
package up

import "testing"

func BenchmarkAlloc(b *testing.B) {
	for i := 0; i < b.N; i++ {
		Alloc()
	}
}
GO
}
write_code 2; git add -A; git commit -q -m "c1 two objects"
write_code 3; git add -A; git commit -q -m "c2 three objects"
c1=$(git rev-parse HEAD~1)
c2=$(git rev-parse HEAD)
bench="go test -run=^\$ -bench=. -benchmem -count=2 -benchtime=1000x"

# --- the server
sdb="$work/server.db"
start_server() {
	: > "$work/server.log"
	"$server_bin" serve --listen 127.0.0.1:0 --db "$sdb" 2>> "$work/server.log" &
	server_pid=$!
	for _ in $(seq 100); do
		port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$work/server.log" | head -1)
		[ -n "$port" ] && break
		kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log"; fail "server died"; }
		sleep 0.1
	done
	[ -n "$port" ] || { cat "$work/server.log"; fail "server did not start"; }
	url="http://127.0.0.1:$port"
}
start_server
token=$("$server_bin" token create --project acme/uploads --db "$sdb" | tail -1)
[ -n "$token" ] || fail "no token"
q() { sqlite3 -batch -noheader "$sdb" "$@"; }
spool="$repo/.memgate/spool"
spooled() { find "$spool" -maxdepth 1 -name '*.json' 2>/dev/null | wc -l; }

# --- 1. upload with a good token (from the environment)
MEMGATE_TOKEN=$token "$memgate" collect --server "$url/" --bench "$bench" \
	--quiet > "$work/out1.txt" 2> "$work/err1.txt" ||
	{ cat "$work/err1.txt"; fail "collect --server failed"; }
cat "$work/out1.txt"
grep -q "uploaded to $url: run [1-9]" "$work/out1.txt" || fail "no run id printed"
[ "$(q "SELECT count(*) FROM runs")" -eq 1 ] || fail "want 1 run on the server"
[ "$(q "SELECT c.sha FROM runs r JOIN commits c ON c.id = r.commit_id")" = "$c2" ] ||
	fail "wrong commit stored"
# 1 benchmark x 3 units (ns/op, B/op, allocs/op) x -count=2
[ "$(q "SELECT count(*) FROM samples")" -eq 6 ] || fail "want 6 samples"
[ "$(q "SELECT group_concat(DISTINCT value) FROM samples WHERE unit = 'allocs/op'")" = "3.0" ] ||
	fail "allocs/op of c2 should be 3"
q "SELECT idempotency_key FROM runs" | grep -Eqx '[0-9a-f]{32}' || fail "bad idempotency key"
[ ! -d "$spool" ] || [ "$(spooled)" -eq 0 ] || fail "spool not empty after a good upload"
[ ! -e "$repo/.memgate/memgate.db" ] || fail "--server alone must not store locally"

# --- 2. a wrong token: exit 2, spooled, then pushed with the right one
set +e
"$memgate" collect --server "$url" --token wrong-token --bench "$bench" \
	--quiet > "$work/out2.txt" 2> "$work/err2.txt"
rc=$?
set -e
cat "$work/err2.txt"
[ "$rc" -eq 2 ] || fail "wrong token: exit $rc, want 2"
grep -q "refused the token (401)" "$work/err2.txt" || fail "no token message"
grep -q "memgate push" "$work/err2.txt" || fail "push not suggested"
[ "$(spooled)" -eq 1 ] || fail "the run was not kept in the spool"
[ "$(q "SELECT count(*) FROM runs")" -eq 1 ] || fail "a run got in with a bad token"
"$memgate" push --server "$url" --token "$token" > "$work/push2.txt"
cat "$work/push2.txt"
grep -q "pushed 1 of 1 runs" "$work/push2.txt" || fail "push did not send"
[ "$(spooled)" -eq 0 ] || fail "pushed file not deleted"
[ "$(q "SELECT count(*) FROM runs")" -eq 2 ] || fail "want 2 runs after push"

# --- 3. the server is down: a backfill spools both commits
stop_server
set +e
MEMGATE_TOKEN=$token "$memgate" collect --server "$url" --last 2 \
	--bench "$bench" --quiet > "$work/out3.txt" 2> "$work/err3.txt"
rc=$?
set -e
cat "$work/err3.txt"
[ "$rc" -eq 2 ] || fail "server down: exit $rc, want 2"
grep -q "2 runs were not uploaded but kept in '$spool'; run 'memgate push'" "$work/err3.txt" ||
	fail "no spool message"
[ "$(spooled)" -eq 2 ] || fail "want 2 spooled runs, got $(spooled)"
# The first run waited out the retries; the second was tried once only.
[ "$(grep -c "retry 1 of" "$work/err3.txt")" -eq 1 ] || fail "retries: $(grep -c "retry 1 of" "$work/err3.txt")"
mkdir "$work/replay"
cp "$spool"/*.json "$work/replay/"
# Each spool file is the run document with its key in name and body.
for f in "$spool"/*.json; do
	k=$(basename "$f" .json)
	grep -q "\"idempotency_key\":\"$k\"" "$f" || fail "$f: key not in the document"
done

start_server # a new port: push takes the URL it is given
MEMGATE_SERVER=$url MEMGATE_TOKEN=$token "$memgate" push > "$work/push3.txt"
cat "$work/push3.txt"
grep -q "pushed 2 of 2 runs" "$work/push3.txt" || fail "push did not send both"
[ "$(spooled)" -eq 0 ] || fail "spool not empty after push"
[ "$(q "SELECT count(*) FROM runs")" -eq 4 ] || fail "want 4 runs"
for sha in "$c1" "$c2"; do
	[ "$(q "SELECT count(*) FROM runs r JOIN commits c ON c.id = r.commit_id
		WHERE c.sha = '$sha'")" -ge 1 ] || fail "$sha missing on the server"
done
[ "$(q "SELECT group_concat(DISTINCT s.value) FROM samples s JOIN runs r ON r.id = s.run_id
	JOIN commits c ON c.id = r.commit_id WHERE c.sha = '$c1' AND s.unit = 'allocs/op'")" = "2.0" ] ||
	fail "allocs/op of c1 should be 2"

# Push twice: nothing left to do.
MEMGATE_SERVER=$url MEMGATE_TOKEN=$token "$memgate" push > "$work/push4.txt"
grep -q "nothing to push" "$work/push4.txt" || fail "second push did something"
# A push that died after the server stored the runs but before deleting
# the files: the same documents again are recognised by their keys.
cp "$work/replay"/*.json "$spool/"
MEMGATE_SERVER=$url MEMGATE_TOKEN=$token "$memgate" push > "$work/push5.txt"
cat "$work/push5.txt"
[ "$(grep -c "was already on the server" "$work/push5.txt")" -eq 2 ] || fail "replay not recognised"
[ "$(spooled)" -eq 0 ] || fail "spool not empty after the replay"
[ "$(q "SELECT count(*) FROM runs")" -eq 4 ] || fail "a replayed run was stored twice"
[ "$(q "SELECT count(DISTINCT idempotency_key) FROM runs")" -eq 4 ] || fail "keys not unique"

# --- 4. an invalid spooled document is set aside, not retried forever
bad=0123456789abcdef0123456789abcdef
printf '{"format":"memgate-run","version":1}' > "$spool/$bad.json"
set +e
"$memgate" push --server "$url" --token "$token" > "$work/push6.txt" 2> "$work/err6.txt"
rc=$?
set -e
cat "$work/err6.txt"
[ "$rc" -eq 2 ] || fail "rejected run: exit $rc, want 2"
grep -q "rejected the run (400)" "$work/err6.txt" || fail "no rejection message"
[ -f "$spool/rejected/$bad.json" ] || fail "rejected run not moved"
[ "$(spooled)" -eq 0 ] || fail "rejected run still queued"

# The token was never printed.
if grep -q -- "$token" "$work"/out*.txt "$work"/err*.txt "$work"/push*.txt; then
	fail "the token appears in memgate's output"
fi
echo "upload: ok"
