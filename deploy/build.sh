#!/usr/bin/env bash
# Configures and builds memgate into a build directory (default build/).
# Usage: deploy/build.sh [--sanitize] [--dir DIR] [-- extra cmake args]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir="$root/build"
args=(-DMEMGATE_WERROR=ON)
while [ $# -gt 0 ]; do
	case "$1" in
	--sanitize) dir="$root/build-asan"; args+=(-DMEMGATE_SANITIZE=ON) ;;
	--dir) dir="$2"; shift ;;
	--) shift; args+=("$@"); break ;;
	*) echo "build.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
	shift
done
cmake -S "$root" -B "$dir" "${args[@]}" >/dev/null
cmake --build "$dir" -j "$(nproc)" >&2
echo "$dir"
