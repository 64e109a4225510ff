#!/usr/bin/env bash
# `memgate collect --measure` end to end (issue 10), in a real git
# repository with a local database:
#  1. a shell pipeline of two children that each hold 60 MiB: the stored
#     peak-rss-B must be at least their sum (the tree), not the shell's
#     few MiB nor one child's 60; --repeat 2 gives two samples per unit.
#  2. a failing command: the run is stored as failed, collect exits 2.
#  3. --massif on a C program whose heap peak is 3 x 1 MiB by
#     construction (skipped without valgrind).
#  4. --pprof-url on a Go program serving net/http/pprof whose live heap
#     is 64 MiB for 1.5 s and then small: the stored heap-peak profile
#     must hold the 64 MiB, heap-last must not (skipped without Go).
set -euo pipefail
. "$(dirname "$0")/../support/it.sh"
memgate=${MEMGATE_BIN:?}
src=$(cd "$(dirname "$0")/measure" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/measure.XXXXXX")
trap 'rm -rf "$work"' EXIT
export GIT_CEILING_DIRECTORIES=$(dirname "$work")
fail=0
MiB=1048576

check() { # $1: what; the rest: a command that must succeed
	local what=$1
	shift
	if "$@"; then
		echo "ok: $what"
	else
		echo "FAIL: $what"
		fail=1
	fi
}

repo="$work/repo"
mkdir -p "$repo"
cd "$repo"
it_git_repo https://github.com/acme/measure.git
echo x > README
git add README
git commit -q -m "c1"

cc -O1 -o "$work/alloc" "$src/alloc.c"
db="$work/m.db"
q() { sqlite3 -batch -noheader "$db" "$@"; }
val() { # $1: benchmark name, $2: unit -> values by seq
	q "SELECT group_concat(CAST(s.value AS INTEGER), ' ') FROM (SELECT
	   s.value FROM samples s JOIN benchmarks b ON b.id = s.benchmark_id
	   WHERE b.name = '$1' AND s.unit = '$2' ORDER BY s.seq) s"
}

# 1. the pipeline
"$memgate" collect --db "$db" --project acme/measure --quiet \
	--measure "echo hi | $work/alloc 60 600 | $work/alloc 60 600 | cat" \
	--name pipeline --repeat 2 >"$work/out1.txt"
read -r r1 r2 <<<"$(val pipeline peak-rss-B)"
check "two peak-rss-B samples" [ -n "${r2:-}" ]
for r in $r1 $r2; do
	check "tree peak $((r / MiB)) MiB >= 2 x 60 MiB" \
		[ "$r" -ge $((118 * MiB)) ]
	check "tree peak $((r / MiB)) MiB < 2 x 60 MiB + 64" \
		[ "$r" -lt $((184 * MiB)) ]
done
read -r w1 _ <<<"$(val pipeline wall-ns)"
check "wall-ns ${w1} >= 600 ms" [ "$w1" -ge 600000000 ]
check "exit-status 0 0" [ "$(val pipeline exit-status)" = "0 0" ]
check "user-ns and sys-ns stored" \
	[ "$(q "SELECT count(*) FROM samples WHERE unit IN ('user-ns', 'sys-ns')")" -eq 4 ]

# 2. a failing command
set +e
"$memgate" collect --db "$db" --project acme/measure --quiet \
	--measure "echo broken >&2; exit 3" --name failing >/dev/null 2>&1
rc=$?
set -e
check "failing command: collect exits 2" [ "$rc" -eq 2 ]
check "failing command: exit-status 3" [ "$(val failing exit-status)" = "3" ]
check "failing command: run failed with the output" \
	bash -c "sqlite3 '$db' \"SELECT log_tail FROM runs WHERE status = 'failed'\" | grep -q broken"

# A profile the measured command writes itself (--profile KIND=PATH)
"$memgate" collect --db "$db" --project acme/measure --quiet \
	--measure "cp '$src/../../fixtures/pprof/heap.pb.gz' own.pb.gz" \
	--name ownprofile --profile heap=own.pb.gz >/dev/null
check "--profile stored with --measure" [ "$(q "SELECT count(*) FROM
	profiles WHERE kind = 'heap'")" -eq 1 ]
rm -f own.pb.gz

# Usage errors
set +e
"$memgate" collect --db "$db" --project acme/measure --repeat 0 \
	--measure true >/dev/null 2>"$work/err.txt"
rc=$?
set -e
check "--repeat 0 refused" [ "$rc" -eq 2 ]
check "--repeat message" grep -q "repeat: expected an integer" "$work/err.txt"

# 3. massif
if command -v valgrind >/dev/null; then
	cc -O0 -g -o "$work/massifprog" "$src/massifprog.c"
	"$memgate" collect --db "$db" --project acme/measure --quiet \
		--measure "$work/massifprog" --name massif --massif \
		>/dev/null
	check "massif peak-heap-B = 3 MiB" \
		[ "$(val massif peak-heap-B)" = "$((3 * MiB))" ]
	check "massif profile: g allocated 3 MiB" [ "$(q "SELECT f.flat FROM
		profile_functions f JOIN profiles p ON p.id = f.profile_id
		WHERE p.kind = 'massif' AND f.function = 'g'")" = "$((3 * MiB))" ]
else
	echo "skip: massif (no valgrind)"
fi

# 4. a live Go heap endpoint
if command -v go >/dev/null; then
	# The Go build cache survives in the test's TMPDIR: net/http once.
	export GOCACHE="${TMPDIR:-$work}/gocache" GOPATH="$work/gopath"
	export GO111MODULE=off
	go build -o "$work/heapsrv" "$src/heapsrv.go"
	port=$(python3 -c 'import socket; s = socket.socket()
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	"$memgate" collect --db "$db" --project acme/measure --quiet \
		--measure "$work/heapsrv $port 1500ms 1500ms" --name heapsrv \
		--pprof-url "http://127.0.0.1:$port/debug/pprof/heap?gc=1" \
		--pprof-interval 0.2 >/dev/null
	inuse() { # $1: profile kind -> inuse_space total (flat sum)
		q "SELECT coalesce(sum(f.flat), 0) FROM profile_functions f
		   JOIN profiles p ON p.id = f.profile_id
		   WHERE p.kind = '$1' AND f.sample_type = 'inuse_space'"
	}
	peak=$(inuse heap-peak)
	last=$(inuse heap-last)
	check "heap-peak inuse $((peak / MiB)) MiB >= 64 MiB" \
		[ "$peak" -ge $((64 * MiB)) ]
	check "heap-last inuse $((last / MiB)) MiB < 16 MiB" \
		[ "$last" -lt $((16 * MiB)) ]
	check "heap-peak holds main.grow" [ "$(q "SELECT count(*) FROM
		profile_functions f JOIN profiles p ON p.id = f.profile_id
		WHERE p.kind = 'heap-peak' AND f.function = 'main.grow'
		AND f.sample_type = 'inuse_space' AND f.flat >= $((64 * MiB))")" -eq 1 ]
	# An endpoint that never answers: a warning, the run still stored.
	"$memgate" collect --db "$db" --project acme/measure --quiet \
		--measure "sleep 0.3" --name noendpoint \
		--pprof-url "http://127.0.0.1:$port/debug/pprof/heap" \
		--pprof-interval 0.1 >/dev/null 2>"$work/err.txt"
	check "silent endpoint reported" \
		grep -q "pprof-url http://127.0.0.1:$port/debug/pprof/heap gave no heap profile" \
		"$work/err.txt"
else
	echo "skip: pprof endpoint (no go)"
fi
exit $fail
