#!/usr/bin/env bash
# Builds a throwaway git repository DEST from this module: commit 1 is the
# module as it is here, and every directory steps/NN-*/ is one more
# commit, in order: its files (README.md, *.go) replace those of the work
# tree and its `message` file is the commit message. DEST is deleted
# first, so the result is the same every time. Author and committer dates
# are fixed (one hour apart from 2026-01-05), so the commit shas are too.
#
# The history (see each step's message):
#   1 cihelpers: image tags, input hashing, tar packing, manifests
#   2 docs                                     neutral
#   3 tag: a comment                           neutral
#   4 pack: reuse one copy buffer              improves BenchmarkPackTar
#   5 hash: pool the digest with its buffer    regresses BenchmarkHashFile:
#     the pooled hasher is put back only on the error path, so every call
#     gets a new one from the pool's New (newHasher: a 32 KiB buffer and a
#     digest per file)
#   6-8 docs and tests                         neutral
# Usage: make-repo.sh DEST [ORIGIN-URL]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dest=${1:?usage: make-repo.sh DEST [ORIGIN-URL]}
origin=${2:-https://github.com/acme/cihelpers.git}
rm -rf "$dest"
mkdir -p "$dest"
cd "$dest"
git init -q -b main .
git config user.name "Dana Developer"
git config user.email dana@example.com
git config commit.gpgsign false
git remote add origin "$origin"

n=0
commit() { # $1: message file or text
	n=$((n + 1))
	local when="2026-01-05T$(printf '%02d' $((8 + n))):00:00Z"
	git add -A
	GIT_AUTHOR_DATE=$when GIT_COMMITTER_DATE=$when git commit -q -F "$1"
}

cp "$here"/go.mod "$here"/.memgate.ini "$here"/*.go .
printf '%s\n' "cihelpers: image tags, input hashing, tar packing, manifests" \
	> "$dest/.git/initial-message"
commit "$dest/.git/initial-message"
for step in "$here"/steps/[0-9]*/; do
	for f in "$step"*; do
		[ "$(basename "$f")" = message ] || cp "$f" .
	done
	commit "$step/message"
done
git log --reverse --format='%h %s'
