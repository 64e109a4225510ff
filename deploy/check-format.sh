#!/usr/bin/env bash
# Fails when a C file under lib/, collector/, server/ or tests/ differs
# from what clang-format (Debian 12's clang-format-14) would write.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
mapfile -t files < <(git ls-files 'lib/*.[ch]' 'collector/*.[ch]' \
	'server/*.[ch]' 'tests/*.[ch]')
clang-format --dry-run --Werror "${files[@]}"
echo "clang-format: ${#files[@]} files clean"
