#!/bin/sh
# SPDX-License-Identifier: ISC
# local_delivery.sh - one process per message, as a pipeline would run an
# MDA: N small messages into one mbox and into a Maildir, with our
# mda-deliver and, in the same run, procmail and maildrop.  Prints
# deliveries per second (median of RUNS) and our ratio to the faster peer
# (the aim is 1.5, with our fsync and both locks kept on).
#
#	bench/local_delivery.sh BUILDDIR SRCDIR
#
# Environment: N=2000, RUNS=3, WORK=directory (default
# BUILDDIR/bench.d/local_delivery, removed afterwards unless KEEP=1).
#
# The message and, run as root, the setup are the anchor's
# (../shared/anchor-bench/bench/local_delivery.sh): about 1 KiB; users
# bench and benchmd are created if missing; "procmail -d USER", "maildrop
# -d USER" and "mda-deliver USER" run as root and become the user, into
# /var/mail/bench and ~benchmd/Maildir/ (our main.cf: the system's passwd,
# mail_spool_directory = /var/mail, home_mailbox = Maildir/ for the
# Maildir rows).  Run as anyone else, every MDA delivers as the invoking
# user into a scratch directory: procmail -m with DEFAULT and an empty
# rcfile, maildrop with a filter file, mda-deliver with a sandbox main.cf
# and local_passwd_file.  (Setgid procmail sleeps a second per mbox
# delivery that way, so that row means little.)  When procmail or maildrop
# are missing they are installed if we are root; else their rows are
# skipped.
set -u

BUILD=${1:?usage: local_delivery.sh BUILDDIR SRCDIR}
: "${2:?usage: local_delivery.sh BUILDDIR SRCDIR}"
N=${N:-2000}
RUNS=${RUNS:-3}
W=${WORK:-$BUILD/bench.d/local_delivery}
OURS=$BUILD/mda-deliver

have() { command -v "$1" >/dev/null 2>&1; }
note() { echo "# $*"; }

[ -x "$OURS" ] || { echo "local_delivery.sh: no $OURS; run make first" >&2; exit 1; }
if { ! have procmail || ! have maildrop; } && [ "$(id -u)" -eq 0 ] &&
    have apt-get; then
	note "installing procmail maildrop"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	    --no-install-recommends procmail maildrop >/dev/null 2>&1 ||
	    note "apt-get failed"
fi
rm -rf "$W"
mkdir -p "$W/spool" "$W/home/bench" "$W/pm" "$W/md" || exit 1
cd "$W" || exit 1

{ printf 'From: Source <src@bench.test>\nTo: Bench <bench@bench.test>\nSubject: local delivery benchmark\n'
  printf 'Date: Thu, 01 Jan 2026 00:00:00 +0000\nMessage-ID: <bench@bench.test>\nMIME-Version: 1.0\n'
  printf 'Content-Type: text/plain; charset=us-ascii\n\n'
  for i in $(seq 12); do printf 'line %02d of the body: the quick brown fox jumps over the lazy dog 0123456789\n' "$i"; done
} >msg.txt

ROOT=0
[ "$(id -u)" -eq 0 ] && ROOT=1
if [ $ROOT = 1 ]; then
	MBOX=/var/mail/bench
	MDIR=/home/benchmd/Maildir
	U=bench
	UMD=benchmd
	id bench >/dev/null 2>&1 || useradd -m -s /usr/sbin/nologin bench
	id benchmd >/dev/null 2>&1 || useradd -m -s /usr/sbin/nologin benchmd
	printf 'DEFAULT=$HOME/Maildir/\n' >/home/benchmd/.procmailrc
	printf 'DEFAULT="$HOME/Maildir"\n' >/home/benchmd/.mailfilter
	chown benchmd:benchmd /home/benchmd/.procmailrc /home/benchmd/.mailfilter
	chmod 600 /home/benchmd/.mailfilter /home/benchmd/.procmailrc
	mkdir -p "$MDIR/new" "$MDIR/cur" "$MDIR/tmp"
	chown -R benchmd:benchmd "$MDIR"
	SPOOL=/var/mail
	PASSWD=
else
	MBOX=$W/spool/bench
	MDIR=$W/home/bench/Maildir
	U=bench
	UMD=bench
	echo "bench:x:$(id -u):$(id -g)::$W/home/bench:/bin/sh" >passwd
	SPOOL=$W/spool
	PASSWD=$W/passwd
fi
cat >main.cf <<EOF
myhostname = bench.test
mydestination = bench.test, localhost
mail_spool_directory = $SPOOL
local_passwd_file = $PASSWD
alias_maps =
EOF
cp main.cf md.cf
echo 'home_mailbox = Maildir/' >>md.cf
: >empty.rc
printf 'to "%s/md/mbox"\n' "$W" >mbox.filter
printf 'to "%s/md/Maildir/"\n' "$W" >maildir.filter
chmod 600 mbox.filter maildir.filter
have maildirmake && maildirmake "$W/md/Maildir" 2>/dev/null
mkdir -p "$W/md/Maildir/new" "$W/md/Maildir/cur" "$W/md/Maildir/tmp" \
    "$W/pm/Maildir/new" "$W/pm/Maildir/cur" "$W/pm/Maildir/tmp"

now() { date +%s.%N; }

# one CASE - deliver N messages once; prints the seconds taken
one() {
	t0=$(now)
	i=0
	case $1 in
	mda-deliver-mbox)
		while [ $i -lt "$N" ]; do "$OURS" -C main.cf -f src@bench.test $U <msg.txt; i=$((i + 1)); done ;;
	mda-deliver-maildir)
		while [ $i -lt "$N" ]; do "$OURS" -C md.cf -f src@bench.test $UMD <msg.txt; i=$((i + 1)); done ;;
	procmail-mbox-root)
		while [ $i -lt "$N" ]; do procmail -d bench <msg.txt; i=$((i + 1)); done ;;
	procmail-maildir-root)
		while [ $i -lt "$N" ]; do procmail -d benchmd <msg.txt; i=$((i + 1)); done ;;
	maildrop-mbox-root)
		while [ $i -lt "$N" ]; do maildrop -d bench <msg.txt 2>/dev/null; i=$((i + 1)); done ;;
	maildrop-maildir-root)
		while [ $i -lt "$N" ]; do maildrop -d benchmd <msg.txt 2>/dev/null; i=$((i + 1)); done ;;
	procmail-mbox)
		while [ $i -lt "$N" ]; do procmail -p -f src@bench.test -m DEFAULT="$W/pm/mbox" empty.rc <msg.txt; i=$((i + 1)); done ;;
	procmail-maildir)
		while [ $i -lt "$N" ]; do procmail -p -f src@bench.test -m DEFAULT="$W/pm/Maildir/" empty.rc <msg.txt; i=$((i + 1)); done ;;
	maildrop-mbox)
		while [ $i -lt "$N" ]; do maildrop mbox.filter <msg.txt; i=$((i + 1)); done ;;
	maildrop-maildir)
		while [ $i -lt "$N" ]; do maildrop maildir.filter <msg.txt; i=$((i + 1)); done ;;
	esac
	awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.3f\n", b - a }'
}

# count CASE - messages in the box the case writes
count() {
	case $1 in
	*mbox-root|mda-deliver-mbox) grep -c '^From ' "$MBOX" ;;
	*maildir-root|mda-deliver-maildir) find "$MDIR/new" -type f | wc -l ;;
	procmail-mbox) grep -c '^From ' pm/mbox ;;
	procmail-maildir) find pm/Maildir/new -type f | wc -l ;;
	maildrop-mbox) grep -c '^From ' md/mbox ;;
	maildrop-maildir) find md/Maildir/new -type f | wc -l ;;
	esac
}

reset() {
	rm -f pm/mbox md/mbox
	if [ $ROOT = 1 ]; then
		: >"$MBOX"
		chown bench:mail "$MBOX"
		chmod 600 "$MBOX"
	else
		rm -f "$MBOX"
	fi
	find pm/Maildir md/Maildir "$MDIR" -type f -delete 2>/dev/null
}

note "as $( [ $ROOT = 1 ] && echo "root, MDAs becoming the users" || echo "$(id -un), in $W")"
note "N=$N messages of $(wc -c <msg.txt) bytes, $RUNS runs per row, median; load: $(cut -d' ' -f1-3 /proc/loadavg)"
for box in mbox maildir; do
	best=0
	for mda in mda-deliver procmail maildrop; do
		c=$mda-$box
		[ $ROOT = 1 ] && [ "$mda" != mda-deliver ] && c=$c-root
		if [ "$mda" != mda-deliver ] && ! have "$mda"; then
			note "$c: $mda is not installed; skipped"
			continue
		fi
		times=""
		r=0
		while [ $r -lt "$RUNS" ]; do
			reset
			sync
			times="$times $(one "$c")"
			got=$(count "$c")
			[ "$got" -eq "$N" ] || note "WARNING: $c: $got of $N messages"
			r=$((r + 1))
		done
		rate=$(echo $times | tr ' ' '\n' | sort -n |
		    awk -v n="$N" '{ t[NR] = $1 } END { printf "%.0f", n / t[int((NR + 1) / 2)] }')
		printf '%-22s %8s deliveries/s  (runs:%s s)\n' "$c" "$rate" "$times"
		if [ "$mda" = mda-deliver ]; then
			ours=$rate
		elif [ "$rate" -gt "$best" ]; then
			best=$rate
		fi
	done
	if [ "$best" -gt 0 ]; then
		awk -v o="$ours" -v b="$best" -v box="$box" 'BEGIN {
		    printf "ratio %-16s %8.2f  (mda-deliver / faster peer; aim 1.5)\n", box, o / b }'
	fi
done
cd / && [ "${KEEP:-0}" = 1 ] || rm -rf "$W"
