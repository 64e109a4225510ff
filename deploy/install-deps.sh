#!/usr/bin/env bash
# Installs the Debian 12 packages memgate needs to build, test and run its
# demo. Idempotent: when everything is installed it only asks dpkg and
# returns in well under a second. Needs root (or sudo) for apt-get.
set -euo pipefail

packages=(
	# build
	build-essential cmake pkg-config git ca-certificates
	# libraries
	libsqlite3-dev libcurl4-openssl-dev libcjson-dev libgit2-dev
	libmicrohttpd-dev zlib1g-dev libprotobuf-c-dev protobuf-c-compiler
	libssl-dev libinih-dev
	# tests: unit tests, real Go benchmarks and profiles, fuzzing, style
	libcmocka-dev golang-go clang libclang-rt-14-dev clang-format
	python3 python3-jsonschema python3-yaml valgrind sqlite3
	# the dashboard's browser test (tests/it/dashboard_browser.sh)
	chromium
)

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		grep -q "install ok installed"; then
		missing+=("$p")
	fi
done
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
SUDO=
if [ "$(id -u)" -ne 0 ]; then
	SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
