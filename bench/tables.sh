#!/bin/sh
# SPDX-License-Identifier: ISC
# tables.sh - build a 1,000,000-line table and look up 1,000,000 keys, with
# our postmap (tdb) and, in the same run, Postfix's postmap with hash:
# (Berkeley DB), lmdb: and cdb:.  Prints each figure (median wall clock),
# the peak RSS, and our/Postfix ratios.
#
#	bench/tables.sh BUILDDIR SRCDIR
#
# Environment: RUNS=3 (timed runs per figure, after one warm-up),
# NLINES=1000000, NQ=10000 (keys for the correctness check), WORK=directory
# for the data (default BUILDDIR/bench.d/tables; about 500 MB while it
# runs, removed afterwards unless KEEP=1).  The data are generated exactly as the anchor
# benchmark (../shared/anchor-bench/bench/tables.sh) does, so the figures
# compare with those.
#
# Postfix runs from /usr/sbin/postmap with a scratch configuration
# directory (postmap -c): no running Postfix and no /etc/postfix/main.cf
# are needed.  When Postfix, its lmdb and cdb map types, hyperfine or
# GNU time are missing, they are installed if we are root; otherwise the
# bench says what is missing and measures what it can.
set -u

BUILD=${1:?usage: tables.sh BUILDDIR SRCDIR}
: "${2:?usage: tables.sh BUILDDIR SRCDIR}"
RUNS=${RUNS:-3}
NLINES=${NLINES:-1000000}
NQ=${NQ:-10000}
W=${WORK:-$BUILD/bench.d/tables}
OURS=$BUILD/postmap
PF=/usr/sbin/postmap
PFTYPES="hash lmdb cdb"

have() { command -v "$1" >/dev/null 2>&1; }
note() { echo "# $*"; }

[ -x "$OURS" ] || { echo "tables.sh: no $OURS; run make first" >&2; exit 1; }
mkdir -p "$W" || exit 1
cd "$W" || exit 1

# --- peers -----------------------------------------------------------------
pf_ok() {
	[ -x "$PF" ] || return 1
	for t in $PFTYPES; do
		postconf -m 2>/dev/null | grep -qx "$t" || return 1
	done
}
if ! pf_ok || ! have hyperfine || [ ! -x /usr/bin/time ]; then
	if [ "$(id -u)" -eq 0 ] && have apt-get; then
		note "installing postfix postfix-lmdb postfix-cdb hyperfine time"
		export DEBIAN_FRONTEND=noninteractive
		echo "postfix postfix/main_mailer_type select No configuration" |
		    debconf-set-selections
		apt-get install -y --no-install-recommends postfix \
		    postfix-lmdb postfix-cdb hyperfine time >apt.log 2>&1 ||
		    { apt-get update >>apt.log 2>&1 &&
		    apt-get install -y --no-install-recommends postfix \
		    postfix-lmdb postfix-cdb hyperfine time >>apt.log 2>&1; } ||
		    note "apt-get failed (see $W/apt.log)"
	fi
fi
if pf_ok; then
	PFCONF=$W/postfix-conf
	mkdir -p "$PFCONF"
	printf 'compatibility_level = 3.6\n' >"$PFCONF/main.cf"
	PFQ="$PF -c $PFCONF"
	note "peer: Postfix $(postconf -h mail_version 2>/dev/null) postmap," \
	    "types $PFTYPES"
else
	PFQ=""
	note "Postfix's postmap with $PFTYPES is not installed and we are" \
	    "not root to install it (apt-get install postfix postfix-lmdb" \
	    "postfix-cdb): only our figures follow"
fi
have hyperfine || note "no hyperfine: timing with date(1), median of $RUNS"
[ -x /usr/bin/time ] || note "no GNU time (/usr/bin/time): no peak RSS"
# our postmap reads no configuration it does not need; give it an empty one
: >main.cf
MAILPATH_CONF=$W/main.cf
export MAILPATH_CONF

note "host: $(uname -srm); cpus: $(nproc);" \
    "$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"
note "load: $(cut -d' ' -f1-3 /proc/loadavg); fs: $(df -T . |
    awk 'NR == 2 { print $2 }'); date: $(date -u +%FT%TZ)"

# --- data (as anchor-bench's gen()) ------------------------------------------
gen() {
	awk -v n="$NLINES" 'BEGIN{for(i=0;i<n;i++){j=(i*7919+13)%n; printf "user%07d@example%03d.test smtp:[relay%05d.example.net]:25\n", j, j%1000, j%50000}}' > map
	awk -v n="$NLINES" -v q="$NQ" 'BEGIN{for(i=0;i<q;i++){j=(i*104729+7)%n; printf "user%07d@example%03d.test\n", j, j%1000}}' > "keys$NQ"
	awk -v n="$NLINES" 'BEGIN{for(i=0;i<n;i++){j=(i*104729+7)%n; printf "user%07d@example%03d.test\n", j, j%1000}}' > keysall
}
[ -s map ] && [ "$(wc -l <map)" -eq "$NLINES" ] && [ -s "keys$NQ" ] &&
    [ "$(wc -l <keysall)" -eq "$NLINES" ] || gen
note "map: $(wc -l <map) lines, $(stat -c %s map) bytes; runs: $RUNS"

# --- timing ------------------------------------------------------------------
# measure ID LABEL PREPARE CMD - median seconds into ID.t, a line on stdout
measure() {
	id=$1 name=$2 prep=$3 cmd=$4
	if have hyperfine; then
		hyperfine --style none --runs "$RUNS" --warmup 1 \
		    --prepare "$prep" --export-csv hf.csv "$cmd" >hf.out 2>&1 ||
		    { echo "$name: hyperfine failed:"; tail -5 hf.out;
		    : >"$id.t"; return 1; }
		# command,mean,stddev,median,user,system,min,max (command may
		# hold commas, so count from the right)
		awk -F, 'NR == 2 { print $(NF-4), $(NF-1), $NF }' hf.csv
	else
		i=0
		while [ $i -le "$RUNS" ]; do
			sh -c "$prep" || return 1
			s=$(date +%s.%N)
			sh -c "$cmd" || { echo "$name: failed: $cmd"; return 1; }
			e=$(date +%s.%N)
			# the first run is the warm-up
			[ $i -gt 0 ] && echo "$s $e" | awk '{ print $2 - $1 }'
			i=$((i + 1))
		done | sort -g | awk '{ v[NR] = $1 } END {
		    m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		    print m, v[1], v[NR] }'
	fi >stats.out
	read -r med min max <stats.out
	echo "$med" >"$id.t"
	rss=""
	if [ -x /usr/bin/time ]; then
		sh -c "$prep"
		/usr/bin/time -f %M -o rss.out sh -c "$cmd" &&
		    rss=$(awk '{ printf "%.0f MiB", $1 / 1024 }' rss.out)
	fi
	printf '%-34s median %8.3f s  (min %.3f, max %.3f)  peak RSS %s\n' \
	    "$name" "$med" "$min" "$max" "${rss:-?}"
}

# ratio A B LABEL - print A/B
ratio() {
	a=$(cat "$1.t" 2>/dev/null) b=$(cat "$2.t" 2>/dev/null)
	[ -n "$a" ] && [ -n "$b" ] || return 0
	awk -v a="$a" -v b="$b" -v l="$3" \
	    'BEGIN { printf "%-34s %6.2f\n", l, a / b }'
}

# --- correctness first: every key found, the same answers as Postfix --------
rm -f map.tdb
"$OURS" hash:map || { echo "tables.sh: our postmap failed" >&2; exit 1; }
"$OURS" -q - hash:map <"keys$NQ" >ours.q
got=$(wc -l <ours.q)
[ "$got" -eq "$NQ" ] || note "WARNING: our postmap found $got of $NQ keys"
if [ -n "$PFQ" ]; then
	for t in $PFTYPES; do
		$PFQ "$t:map" || { note "postmap $t:map failed"; continue; }
		$PFQ -q - "$t:map" <"keys$NQ" >"pf.$t.q"
		cmp -s ours.q "pf.$t.q" ||
		    note "WARNING: our answers differ from Postfix $t:"
	done
fi

# --- builds --------------------------------------------------------------------
echo "# build a $NLINES-line table"
measure b.ours "build mailpath hash: (tdb)" "rm -f map.tdb" \
    "$OURS hash:map"
if [ -n "$PFQ" ]; then
	for t in $PFTYPES; do
		f=map.$t; [ "$t" = hash ] && f=map.db
		measure "b.$t" "build postfix $t:" "rm -f $f" "$PFQ $t:map"
	done
fi
note "files: $(ls -l map.tdb map.db map.lmdb map.cdb 2>/dev/null |
    awk '{ printf "%s %.1f MiB  ", $NF, $5 / 1048576 }')"

# --- lookups -------------------------------------------------------------------
echo "# $NLINES lookups through postmap -q - (one process)"
measure q.ours "lookup mailpath hash: (tdb)" true \
    "$OURS -q - hash:map <keysall >/dev/null"
if [ -n "$PFQ" ]; then
	for t in $PFTYPES; do
		measure "q.$t" "lookup postfix $t:" true \
		    "$PFQ -q - $t:map <keysall >/dev/null"
	done
fi

# --- ratios --------------------------------------------------------------------
if [ -n "$PFQ" ]; then
	echo "# ratios mailpath/Postfix (below 1: we are faster);" \
	    "aim: build <= 0.5 of lmdb, lookups <= 1.0 of cdb"
	for t in $PFTYPES; do
		ratio b.ours "b.$t" "build / postfix $t:"
	done
	for t in $PFTYPES; do
		ratio q.ours "q.$t" "lookup / postfix $t:"
	done
fi

[ "${KEEP:-0}" = 1 ] ||
    rm -rf map map.tdb map.db map.lmdb map.cdb keysall "keys$NQ" ./*.q \
    ./*.t hf.csv hf.out stats.out rss.out apt.log main.cf postfix-conf &&
    cd / && rmdir "$W" 2>/dev/null
exit 0
