# SPDX-License-Identifier: ISC
# test-lib.sh - the shell side of the test suite, after git's t/test-lib.sh:
#
#	. "$top_srcdir/t/test-lib.sh"
#	test_expect_success 'what it shows' '
#		cmd && other cmd
#	'
#	test_done
#
# Each script runs in its own trash directory, with the freshly built
# programs first on PATH.  Output is TAP.  Background servers are killed by
# the EXIT trap when registered with test_bg.

: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
top_srcdir=$(cd "$top_srcdir" && pwd)
top_builddir=$(cd "$top_builddir" && pwd)
export top_srcdir top_builddir

PATH="$top_builddir:$PATH"
export PATH
LC_ALL=C.UTF-8
export LC_ALL
unset MAILPATH_CONF

test_name=$(basename "$0" .t)
TRASH="$top_builddir/t/trash.$test_name"
rm -rf "$TRASH"
mkdir -p "$TRASH" || exit 99
cd "$TRASH" || exit 99
FIXTURES="$top_srcdir/t/fixtures"

test_count=0
test_failures=0
test_bg_pids=""

test_cleanup() {
	for p in $test_bg_pids; do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
}
trap test_cleanup EXIT

# test_bg PID - kill this process when the script ends
test_bg() {
	test_bg_pids="$test_bg_pids $1"
}

# test_expect_success DESC SCRIPT - the script must succeed
test_expect_success() {
	test_count=$((test_count + 1))
	# Not in an "if": there set -e would be ignored inside the subshell.
	( set -e; eval "$2" ) >"$TRASH/.out" 2>&1
	if [ $? -eq 0 ]; then
		echo "ok $test_count - $1"
	else
		test_failures=$((test_failures + 1))
		echo "not ok $test_count - $1"
		sed 's/^/#   /' "$TRASH/.out" | head -40
		printf '#   script:%s\n' "$(echo "$2" | sed 's/^/#     /')"
	fi
}

# test_expect_code CODE CMD... - CMD must exit with CODE
test_expect_code() {
	want=$1
	shift
	# "&& ||" keeps set -e (on inside test_expect_success) from ending
	# the test before the status is compared.
	"$@" && got=0 || got=$?
	if [ "$got" != "$want" ]; then
		echo "test_expect_code: '$*' exited $got, want $want" >&2
		return 1
	fi
	return 0
}

# test_cmp WANT GOT - files are equal (shows a diff when not)
test_cmp() {
	diff -u "$1" "$2"
}

# test_grep PATTERN FILE - like grep, but shows the file when it fails
test_grep() {
	if ! grep -q -e "$1" "$2"; then
		echo "test_grep: no '$1' in $2:" >&2
		sed 's/^/| /' "$2" >&2
		return 1
	fi
}

# test_done - print the plan; failures are in the "not ok" lines
test_done() {
	echo "1..$test_count"
	if [ "$test_failures" -eq 0 ]; then
		cd "$top_builddir" && rm -rf "$TRASH"
	fi
	exit 0
}
