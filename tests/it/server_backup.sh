#!/usr/bin/env bash
# memgate-server backup: a running server keeps its database; the copy is
# a complete, consistent memgate database with the same projects/tokens.
set -euo pipefail
srv=${MEMGATE_SERVER_BIN:?}
work=$(mktemp -d "${TMPDIR:-/tmp}/backup.XXXXXX")
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
"$srv" project add acme/widgets --db "$work/m.db" >/dev/null
"$srv" token create --project acme/widgets --db "$work/m.db" >/dev/null
"$srv" serve --listen 127.0.0.1:0 --db "$work/m.db" 2> "$work/log" &
pid=$!
for _ in $(seq 100); do grep -q "listening on" "$work/log" && break; sleep 0.1; done
grep -q "listening on" "$work/log"
"$srv" backup --db "$work/m.db" "$work/copy.db" | grep -q "copied to"
[ "$(sqlite3 "$work/copy.db" 'PRAGMA integrity_check')" = ok ]
[ "$(sqlite3 "$work/copy.db" 'SELECT name FROM projects')" = acme/widgets ]
[ "$(sqlite3 "$work/copy.db" 'SELECT count(*) FROM api_tokens')" = 1 ]
[ "$(sqlite3 "$work/copy.db" 'PRAGMA user_version')" = \
  "$(sqlite3 "$work/m.db" 'PRAGMA user_version')" ]
if "$srv" backup --db "$work/m.db" 2> "$work/err"; then
	echo "backup without a destination succeeded"; exit 1
fi
grep -q "expected one destination" "$work/err"
echo "server_backup: ok"
