#!/bin/sh
# SPDX-License-Identifier: ISC
# compat-postfix.sh - compare our postmap with Postfix's on the same
# sources: -q KEY (output and exit status) for every key, -q - and -s
# (sorted: the two orders differ).  Not part of "make check" (Postfix is
# not in CI); run as "make compat", or:
#
#	top_srcdir=SRC top_builddir=BUILD sh t/compat-postfix.sh
#
# Prints one line per difference and ends with "compat: N same, N
# different"; exits 1 when anything differs, 77 when Postfix is missing.
# Postfix gets an empty main.cf of its own (-c), so it runs unconfigured.

: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=.}"
PF=${POSTFIX_POSTMAP:-/usr/sbin/postmap}
OURS=$(cd "$top_builddir" && pwd)/postmap
FIX=${COMPAT_FIXTURES:-$top_srcdir/t/fixtures/postmap}

if [ ! -x "$PF" ]; then
	echo "compat: $PF not found (apt-get install postfix)" >&2
	exit 77
fi
if [ ! -x "$OURS" ]; then
	echo "compat: $OURS not built" >&2
	exit 1
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/compat.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT
mkdir "$dir/pf" "$dir/mp" "$dir/pfconf"
: >"$dir/pfconf/main.cf"
same=0
diff=0

# compare WHAT FILE1 FILE2 - count and show one comparison
compare() {
	if cmp -s "$2" "$3"; then
		same=$((same + 1))
	else
		diff=$((diff + 1))
		echo "compat: DIFFERENT: $1"
		diff -u "$2" "$3" | sed -n '3,$s/^/	/p' | head -20
	fi
}

for src in "$FIX"/*; do
	name=$(basename "$src")
	[ "$name" = keys ] && continue
	cp "$src" "$dir/pf/$name" && cp "$src" "$dir/mp/$name" || exit 1
	# warnings are worded differently: compare the exit status only
	(cd "$dir/pf" && "$PF" -c "$dir/pfconf" "hash:$name" 2>/dev/null;
	    echo "exit $?") >"$dir/pf.b"
	(cd "$dir/mp" && "$OURS" "hash:$name" 2>/dev/null; echo "exit $?") \
	    >"$dir/mp.b"
	compare "$name: build exit status" "$dir/pf.b" "$dir/mp.b"

	while IFS= read -r key; do
		(cd "$dir/pf" && "$PF" -c "$dir/pfconf" -q "$key" \
		    "hash:$name"; echo "exit $?") >"$dir/pf.q" 2>&1
		(cd "$dir/mp" && "$OURS" -q "$key" "hash:$name"; \
		    echo "exit $?") >"$dir/mp.q" 2>&1
		compare "$name: -q '$key'" "$dir/pf.q" "$dir/mp.q"
	done <"$FIX/keys"

	(cd "$dir/pf" && "$PF" -c "$dir/pfconf" -q - "hash:$name"; \
	    echo "exit $?") <"$FIX/keys" >"$dir/pf.qq" 2>&1
	(cd "$dir/mp" && "$OURS" -q - "hash:$name"; echo "exit $?") \
	    <"$FIX/keys" >"$dir/mp.qq" 2>&1
	compare "$name: -q -" "$dir/pf.qq" "$dir/mp.qq"

	(cd "$dir/pf" && "$PF" -c "$dir/pfconf" -s "hash:$name") |
	    LC_ALL=C sort >"$dir/pf.s"
	(cd "$dir/mp" && "$OURS" -s "hash:$name") | LC_ALL=C sort >"$dir/mp.s"
	compare "$name: -s" "$dir/pf.s" "$dir/mp.s"
done

echo "compat: $same same, $diff different"
[ "$diff" -eq 0 ]
