# it.sh - shell helpers sourced by the integration scripts in tests/it/
# (kept here: every tests/it/*.sh is a test of its own).

# A git repository in the current directory: branch main, a fixed
# committer, and origin set to $1 (the project name comes from it).
it_git_repo() {
	git init -q -b main .
	git config user.name Tester
	git config user.email tester@example.com
	git remote add origin "$1"
}

# Run "$memgate" with the rest of the arguments, stdout to $2 and stderr to
# $2.err, and fail the script (showing both) unless it exits with $1.
expect() {
	local want=$1 out=$2 rc=0
	shift 2
	"$memgate" "$@" > "$out" 2> "$out.err" || rc=$?
	if [ "$rc" -ne "$want" ]; then
		echo "memgate $*: exit $rc, want $want"
		cat "$out" "$out.err"
		exit 1
	fi
}
