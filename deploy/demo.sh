#!/usr/bin/env bash
# The whole memgate loop on a bundled example, in one command (README
# command 1 runs it after the build):
#
#   1. builds a throwaway git repository of examples/cihelpers (8 commits;
#      commit 4 makes BenchmarkPackTar allocate less, commit 5 makes
#      BenchmarkHashFile allocate a 32 KiB buffer per call: a pooled
#      hasher that is never put back) in DIR/repo;
#   2. starts memgate-server on 127.0.0.1:PORT with its own database and
#      creates a project token;
#   3. `memgate collect --last 8 --go-profiles` measures every commit with
#      the real Go toolchain, stores each run in DIR/memgate.db and uploads
#      it to the server (what CI runners do);
#   4. replays the pull requests of commits 4 and 5 (base: main before
#      each, head: the commit) and prints the markdown comments memgate
#      would post: an improvement (exit 0), then a regression (exit 1)
#      with the function whose allocations grew;
#   5. shows the change points `memgate history --detect` finds on main;
#   6. leaves the server running and prints its URL (--stop: stops it).
#
# Idempotent: DIR is deleted and rebuilt each time, and a server left
# running by an earlier demo (its pid is in DIR/server.pid) is stopped
# first. About 2 minutes on 2 cores with a warm Go build cache.
#
# Usage: deploy/demo.sh [--stop] [--dir DIR]
# Environment: MEMGATE_BIN, MEMGATE_SERVER_BIN (default: build/), and
#   MEMGATE_DEMO_DIR (build/demo), MEMGATE_DEMO_PORT (8080),
#   MEMGATE_DEMO_COUNT (5 repetitions), MEMGATE_DEMO_BENCHTIME (20000x:
#   a fixed iteration count keeps B/op free of one-off costs).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
stop=0
dir=${MEMGATE_DEMO_DIR:-$root/build/demo}
while [ $# -gt 0 ]; do
	case "$1" in
	--stop) stop=1 ;;
	--dir) dir=${2:?--dir needs a directory}; shift ;;
	-h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "demo.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
	shift
done
memgate=${MEMGATE_BIN:-$root/build/collector/memgate}
server_bin=${MEMGATE_SERVER_BIN:-$root/build/server/memgate-server}
port=${MEMGATE_DEMO_PORT:-8080}
count=${MEMGATE_DEMO_COUNT:-5}
benchtime=${MEMGATE_DEMO_BENCHTIME:-20000x}
project=acme/cihelpers
ncommits=8

die() { echo "demo.sh: $*" >&2; exit 2; }
for b in "$memgate" "$server_bin"; do
	[ -x "$b" ] || die "$b not built (run deploy/build.sh, or set MEMGATE_BIN / MEMGATE_SERVER_BIN)"
done
command -v go >/dev/null || die "the Go toolchain is needed (apt-get install golang-go)"
command -v git >/dev/null || die "git is needed"
case "$port" in '' | *[!0-9]*) die "MEMGATE_DEMO_PORT must be a port number, not '$port'" ;; esac
started=$(date +%s)

# A server this demo left running earlier: stop it, by its recorded pid,
# and only if that process is still a memgate-server.
if [ -f "$dir/server.pid" ]; then
	old=$(cat "$dir/server.pid")
	if [ -n "$old" ] && tr '\0' ' ' < "/proc/$old/cmdline" 2>/dev/null |
		grep -q "memgate-server serve"; then
		echo "== stopping the server of the previous demo (pid $old)"
		kill "$old" 2>/dev/null || true
		for _ in $(seq 50); do kill -0 "$old" 2>/dev/null || break; sleep 0.1; done
	fi
fi
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
if port_busy "$port"; then
	die "port $port on 127.0.0.1 is already in use by another program; set MEMGATE_DEMO_PORT to a free port"
fi

rm -rf "$dir"
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
# The Go build cache outlives the demo directory: a second run compiles
# nothing again. Go must not read the caller's CI or module settings.
export GOCACHE=${GOCACHE:-$root/build/go-cache}
export GOFLAGS=-mod=mod
unset GITHUB_ACTIONS GITHUB_EVENT_NAME GITHUB_EVENT_PATH GITHUB_REPOSITORY \
	GITHUB_REF GITHUB_REF_NAME GITHUB_HEAD_REF MEMGATE_SERVER MEMGATE_TOKEN \
	GOTOOLCHAIN

server_pid=
cleanup() {
	local rc=$?
	# A demo that failed half-way leaves no server behind.
	if [ "$rc" -ne 0 ] && [ -n "$server_pid" ]; then
		kill "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
		rm -f "$dir/server.pid"
	fi
}
trap cleanup EXIT

echo "== 1. a throwaway repository of examples/cihelpers in $dir/repo"
"$root/examples/cihelpers/make-repo.sh" "$dir/repo" \
	"https://github.com/$project.git"
repo="$dir/repo"
sha_of() { git -C "$repo" log --format=%H --grep="$1" -n 1; }
c_base=$(sha_of '^tag: document the tag grammar')
c_improve=$(sha_of '^pack: reuse one copy buffer')
c_regress=$(sha_of '^hash: pool the digest')
[ -n "$c_base" ] && [ -n "$c_improve" ] && [ -n "$c_regress" ] ||
	die "the example history is not what this script expects"

echo
echo "== 2. memgate-server on 127.0.0.1:$port"
url="http://127.0.0.1:$port"
"$server_bin" migrate --db "$dir/server.db" >/dev/null
token=$("$server_bin" token create --project "$project" --label demo \
	--db "$dir/server.db" | tail -n 1)
(umask 077 && printf '%s\n' "$token" > "$dir/token")
# setsid: the server outlives this script and its terminal's Ctrl-C.
setsid "$server_bin" serve --listen "127.0.0.1:$port" --db "$dir/server.db" \
	--public-url "$url" < /dev/null >> "$dir/server.log" 2>&1 &
server_pid=$!
echo "$server_pid" > "$dir/server.pid"
for _ in $(seq 100); do
	grep -q "listening on" "$dir/server.log" && break
	if ! kill -0 "$server_pid" 2>/dev/null; then
		cat "$dir/server.log" >&2
		server_pid=
		die "memgate-server did not start on port $port (in use? set MEMGATE_DEMO_PORT)"
	fi
	sleep 0.1
done
grep -q "listening on" "$dir/server.log" || die "memgate-server did not start in 10 s"
echo "server: $url (pid $server_pid, log $dir/server.log)"
echo "token for project $project: in $dir/token"

echo
echo "== 3. memgate collect: every commit, measured, stored and uploaded"
bench="go test -run='^\$' -bench=. -benchmem -count=$count -benchtime=$benchtime"
echo "\$ memgate collect --last $ncommits --go-profiles --bench \"$bench\" \\"
echo "      --db $dir/memgate.db --server $url --token \$(cat $dir/token)"
(cd "$repo" && "$memgate" collect --last "$ncommits" --go-profiles \
	--bench "$bench" --project "$project" --branch main --quiet \
	--db "$dir/memgate.db" --server "$url" --token "$token")

echo
# Two pull requests, each one commit on top of main as it was then.
pr() { # $1: name, $2: base, $3: head, $4: title; exit status in pr_rc
	echo "\$ memgate compare --base ${2:0:7} --head ${3:0:7} --format markdown"
	echo "------------------------------------------------- the comment on \"$4\""
	pr_rc=0
	(cd "$repo" && "$memgate" compare --db "$dir/memgate.db" \
		--project "$project" --base "$2" --head "$3" --format markdown) \
		> "$dir/$1.md" || pr_rc=$?
	cat "$dir/$1.md"
	echo "-------------------------------------------------"
	(cd "$repo" && "$memgate" compare --db "$dir/memgate.db" \
		--project "$project" --base "$2" --head "$3" --format json) \
		> "$dir/$1.json" || [ $? -eq 1 ] || die "memgate compare --format json failed"
	case $pr_rc in
	0) echo "memgate compare: exit 0, no regression: the CI job passes" ;;
	1) echo "memgate compare: exit 1, a regression: the CI job fails" ;;
	*) die "memgate compare failed (exit $pr_rc)" ;;
	esac
}
echo "== 4a. pull request \"$(git -C "$repo" log -1 --format=%s "$c_improve")\""
echo "   base ${c_base:0:7} (main before it), head ${c_improve:0:7}"
pr pr-improvement "$c_base" "$c_improve" "pack: reuse one copy buffer"
echo
echo "== 4b. pull request \"$(git -C "$repo" log -1 --format=%s "$c_regress")\""
echo "   base ${c_improve:0:7} (main before it), head ${c_regress:0:7}"
pr pr-regression "$c_improve" "$c_regress" "hash: pool the digest"
if command -v curl >/dev/null && command -v python3 >/dev/null; then
	echo
	echo "the server's verdict on the same pair (GET $url/api/v1/projects/.../compare):"
	curl -fsS -H "Authorization: Bearer $token" \
		"$url/api/v1/projects/${project/\//%2F}/compare?base=$c_improve&head=$c_regress" |
		python3 -c 'import json, sys
v = json.load(sys.stdin)
print("  " + str(v.get("verdict")) + ": " + str(v.get("summary")))' ||
		echo "  (the server did not answer the compare route)"
fi

echo
echo "== 5. change points on main: memgate history --detect"
# 8 commits: a step with 4 commits on each side can reach p = 2/C(8,4)
# = 0.029 at best, so the test runs at alpha 0.05 (the default 0.01
# needs about 12 commits; see lib/changepoint.h).
for b in BenchmarkHashFile BenchmarkPackTar; do
	echo "\$ memgate history --bench $b --unit B/op --detect --alpha 0.05"
	(cd "$repo" && "$memgate" history --db "$dir/memgate.db" \
		--project "$project" --branch main --bench "$b" --unit B/op \
		--detect --alpha 0.05)
	echo
done

echo "== 6. memgate ab: the regressing pull request again, both commits built"
echo "   and run interleaved on this machine; --confirm re-runs what regressed"
ab_bench="go test -run='^\$' -bench={bench} -benchmem -count=1 -benchtime=$benchtime"
echo "\$ memgate ab --base ${c_improve:0:7} --head ${c_regress:0:7} --count $count --confirm \\"
echo "      --bench \"$ab_bench\" --server $url --format json"
ab_rc=0
(cd "$repo" && "$memgate" ab --db "$dir/memgate.db" --project "$project" \
	--base "$c_improve" --head "$c_regress" --count "$count" --confirm \
	--bench "$ab_bench" --quiet --server "$url" --token "$token" \
	--format json) > "$dir/ab.json" 2> "$dir/ab.log" || ab_rc=$?
[ "$ab_rc" -le 1 ] || { cat "$dir/ab.log" >&2; die "memgate ab failed (exit $ab_rc)"; }
grep -E "confirming|uploaded" "$dir/ab.log" | sed 's/^/   /'
python3 - "$dir/ab.json" <<'PY' || true
import json, sys
v = json.load(open(sys.argv[1]))
print("   verdict: " + v["summary"])
for r in v["results"]:
    if r["verdict"] == "regression":
        print("   %-28s %-10s n=%d+%d  %s -> %s" % (r["benchmark"], r["unit"],
              r["base"]["n"], r["head"]["n"], r["base"]["median"], r["head"]["median"]))
PY
echo

elapsed=$(($(date +%s) - started))
if [ "$stop" -eq 1 ]; then
	kill "$server_pid" 2>/dev/null || true
	wait "$server_pid" 2>/dev/null || true
	rm -f "$dir/server.pid"
	server_pid=
	echo "== done in ${elapsed}s; the server is stopped (--stop)"
	exit 0
fi
api="$url/api/v1/projects/${project/\//%2F}"
cat <<EOF
== done in ${elapsed}s. memgate-server keeps running:

   $url
   (pid $server_pid; stop it with: kill $server_pid)

   curl -H "Authorization: Bearer \$(cat $dir/token)" $api/runs
   curl -H "Authorization: Bearer \$(cat $dir/token)" "$api/history?benchmark=BenchmarkHashFile&unit=B/op"
   go tool pprof -top $api/runs/ID/profiles/heap   (with public_read on)

   the PR comments: $dir/pr-improvement.md, $dir/pr-regression.md
   (verdicts as JSON: pr-improvement.json, pr-regression.json)
   the local store: $dir/memgate.db     the server's: $dir/server.db
EOF
