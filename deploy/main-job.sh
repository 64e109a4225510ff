#!/usr/bin/env bash
# README command 1: install what is missing, build, and run the main job:
# the demo (deploy/demo.sh), the whole memgate loop on the bundled example
# Go module (examples/cihelpers): a throwaway history with one memory
# regression and one improvement, measured by `memgate collect`, uploaded
# to a memgate-server left running on 127.0.0.1:8080, the pull-request
# comments `memgate compare` would post and the change points `memgate
# history --detect` finds. Arguments go to demo.sh (--stop: stop the
# server at the end; MEMGATE_DEMO_PORT: another port).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/deploy/install-deps.sh"
dir=$("$root/deploy/build.sh" | tail -n 1)
export MEMGATE_BIN="$dir/collector/memgate"
export MEMGATE_SERVER_BIN="$dir/server/memgate-server"
exec "$root/deploy/demo.sh" "$@"
