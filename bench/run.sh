#!/bin/sh
# SPDX-License-Identifier: ISC
# run.sh - make bench: run every benchmark beside its peer, in one go.
#
#	bench/run.sh BUILDDIR SRCDIR [name...]
#
# Each benchmark is bench/NAME.sh BUILDDIR SRCDIR (same arguments, a
# comment at its top says what it measures); with no names, every
# bench/*.sh but this one runs, in name order, so a new benchmark needs
# no edit here.  They measure wall clock on a shared machine, so compare
# the figures only within one run (they print the load they started
# under).
set -u

BUILD=${1:?usage: run.sh BUILDDIR SRCDIR [name...]}
SRC=${2:?usage: run.sh BUILDDIR SRCDIR [name...]}
shift 2
if [ $# -gt 0 ]; then
	NAMES=$*
else
	NAMES=$(cd "$SRC/bench" && ls ./*.sh | sed 's|^\./||; s|\.sh$||' |
	    grep -vx run)
fi

st=0
for n in $NAMES; do
	echo "## bench/$n.sh"
	sh "$SRC/bench/$n.sh" "$BUILD" "$SRC" || st=1
done
exit $st
