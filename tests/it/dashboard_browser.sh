#!/usr/bin/env bash
# The dashboard in a real browser: a small Go module with three commits,
#   c1  BenchmarkJoin allocates 256 B per op
#   c2  BenchmarkJoin allocates 512 B per op (a B/op regression)
#   c3  an unrelated change
# measured by `memgate collect --go-profiles` into a database that
# memgate-server then serves (public_read). Debian's chromium, headless,
# loads the history page of BenchmarkJoin and the comparison c1..c2,
# dumps the DOM after parsing (--dump-dom) and takes screenshots, kept in
# <build>/artifacts/dashboard/. The DOM must hold one plotted point per
# commit and unit, and the verdict row of the regression.
# Skipped (exit 0) when chromium or go is not installed.
set -euo pipefail
. "$(dirname "$0")/../support/it.sh"
memgate=${MEMGATE_BIN:?}
server_bin=${MEMGATE_SERVER_BIN:?}
chrome=$(command -v chromium || command -v chromium-browser || true)
[ -n "$chrome" ] || { echo "chromium not installed: skipped"; exit 0; }
command -v go >/dev/null || { echo "go not installed: skipped"; exit 0; }
# A chromium that cannot start here at all (a missing library or sandbox
# trouble on this machine) is an environment problem, not a dashboard one.
probe=$("$chrome" --headless --no-sandbox --disable-gpu --no-first-run \
	--disable-background-networking --user-data-dir="$(mktemp -d)" \
	--dump-dom 'data:text/html,<p>probe-ok</p>' 2>/dev/null || true)
case "$probe" in
*probe-ok*) ;;
*) echo "chromium cannot start on this machine: skipped"; exit 0 ;;
esac
fail() { echo "dashboard_browser: $*" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/dashb.XXXXXX")
server_pid=
cleanup() {
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
artifacts="$(dirname "$(dirname "$memgate")")/artifacts/dashboard"
mkdir -p "$artifacts"
export GOCACHE="$work/gocache" GOPATH="$work/gopath" GOFLAGS=-mod=mod
export GIT_CEILING_DIRECTORIES=$(dirname "$work")

repo="$work/repo"
mkdir -p "$repo"
cd "$repo"
it_git_repo https://github.com/acme/hashes.git
printf 'module example.com/hashes\n\ngo 1.19\n' > go.mod
write_code() { # $1: Join size, $2: a comment
	cat > hashes.go <<GO
package hashes

// $2

// Join builds one buffer of the given size.
//go:noinline
func Join(n int) []byte { return make([]byte, $1) }
GO
	cat > hashes_test.go <<'GO'
package hashes

import "testing"

var sink []byte

func BenchmarkJoin(b *testing.B) {
	for i := 0; i < b.N; i++ {
		sink = Join(3)
	}
}
GO
}
write_code 256 v1; git add -A; git commit -q -m "c1 <initial> & co"
write_code 512 v1; git add -A; git commit -q -m "c2 join doubles"
write_code 512 v2; git add -A; git commit -q -m "c3 comment"
c1=$(git rev-parse HEAD~2)
c2=$(git rev-parse HEAD~1)

bench="go test -run=^\$ -bench=. -benchmem -count=6 -benchtime=2000x"
"$memgate" collect --last 3 --go-profiles --bench "$bench" --quiet \
	--db "$work/m.db" > /dev/null || fail "collect failed"

"$server_bin" serve --listen 127.0.0.1:0 --db "$work/m.db" --public-read \
	2> "$work/server.log" &
server_pid=$!
port=
for _ in $(seq 100); do
	port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$work/server.log" | head -1)
	[ -n "$port" ] && break
	kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log"; fail "server died"; }
	sleep 0.1
done
[ -n "$port" ] || { cat "$work/server.log"; fail "server did not start"; }
url="http://127.0.0.1:$port"

browse() { # $1: what (dump-dom or screenshot=FILE), $2: URL
	timeout 120 "$chrome" --headless --no-sandbox --disable-gpu \
		--no-first-run --disable-background-networking \
		--disable-component-update --disable-sync \
		--user-data-dir="$(mktemp -d "$work/profile.XXXXXX")" \
		--window-size=1200,1800 "--$1" "$2" 2> "$work/chrome.log" ||
		{ cat "$work/chrome.log"; fail "chromium failed on $2"; }
}

# History: 3 commits x 3 units (ns/op, B/op, allocs/op), one point each
hist="$url/p/acme%2Fhashes/bench/BenchmarkJoin"
browse dump-dom "$hist" > "$work/hist.html"
cp "$work/hist.html" "$artifacts/history.dom.html"
plots=$(grep -o '<svg class="hist"' "$work/hist.html" | wc -l)
[ "$plots" -eq 3 ] || fail "history: $plots plots, want 3"
points=$(grep -o '<circle class="pt' "$work/hist.html" | wc -l)
[ "$points" -eq 9 ] || fail "history: $points points, want 9"
for sha in "$c1" "$c2"; do
	grep -q "data-sha=\"$sha\"" "$work/hist.html" || fail "history: no point for $sha"
done
# the subject of c1 is escaped in the hover text and the table
grep -q 'c1 &lt;initial&gt; &amp; co' "$work/hist.html" || fail "history: subject not escaped"
rows=$(grep -o '<tr data-sha=' "$work/hist.html" | wc -l)
[ "$rows" -eq 9 ] || fail "history: $rows table rows, want 9"
browse screenshot="$artifacts/history.png" "$hist" > /dev/null
[ -s "$artifacts/history.png" ] || fail "no history screenshot"

# Comparison c1..c2: Join's B/op doubled, 6 samples per side
cmp="$url/p/acme%2Fhashes/compare?base=$c1&head=$c2"
browse dump-dom "$cmp" > "$work/cmp.html"
cp "$work/cmp.html" "$artifacts/compare.dom.html"
grep -q '<tr data-k="[0-9]*" data-verdict="regression">' "$work/cmp.html" ||
	fail "compare: no regression row"
grep -A3 'data-verdict="regression"' "$work/cmp.html" | grep -q 'B/op' ||
	fail "compare: the regression is not B/op"
rows=$(grep -o '<tr data-k=' "$work/cmp.html" | wc -l)
[ "$rows" -eq 3 ] || fail "compare: $rows verdict rows, want 3"
dists=$(grep -o '<figure class="dist" data-n-base="6" data-n-head="6"' "$work/cmp.html" | wc -l)
[ "$dists" -eq 3 ] || fail "compare: $dists distributions of 6+6 samples, want 3"
grep -q 'class="profile" href="/api/v1/projects/acme%2Fhashes/runs/[0-9]*/profiles/heap' "$work/cmp.html" ||
	fail "compare: no heap profile link"
browse screenshot="$artifacts/compare.png" "$cmp" > /dev/null
[ -s "$artifacts/compare.png" ] || fail "no compare screenshot"

echo "dashboard_browser: ok (screenshots in $artifacts)"
