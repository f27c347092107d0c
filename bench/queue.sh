#!/bin/sh
# SPDX-License-Identifier: ISC
# queue.sh - the whole local path, end to end, beside Postfix in the same
# run: (1) Postfix's smtp-source sends N messages for a local user through
# smtp-listen in queue mode (standalone on a loopback port), the queue and
# mda-deliver into an mbox, then the same through a private Postfix
# instance (smtpd, cleanup, qmgr, local); messages per second from the
# first connection to the last delivery (the mbox holds N messages), and
# our ratio.  (2) Injection: N messages, one sendmail process per message,
# ours and Postfix's; messages per second for the injection loop and to
# the last delivery.  The aims (issue 6): end to end twice Postfix's rate,
# injection three times.
#
#	bench/queue.sh BUILDDIR SRCDIR
#
# Environment: N=2000, SESSIONS=20, SIZE=1024 (smtp-source -l), RUNS=3
# (rounds, ours and Postfix's alternating; medians are printed),
# WORK=directory (default BUILDDIR/bench.d/queue, removed afterwards
# unless KEEP=1), TIMEOUT=600 (seconds to wait for the last delivery).
#
# Both keep their durability: our queue fsync()s each file and its
# directory before the 250 or exit 0, and the runner fsync()s the mbox
# before it marks a recipient delivered (it delivers in-process, the
# messages due for one mailbox under one lock and one fsync());
# Postfix fsync()s its queue files and local(8) the mbox.  Postfix runs as
# a second instance (postfix -c WORK/pf/etc) with its own queue, spool
# and log under WORK, on its own loopback port; /etc/postfix is not
# touched.  It needs root (Postfix's daemons change uid) and the user
# "bench" (created if missing, as ../shared/anchor-bench does); without
# root only our rows run.  Our sendmail queues durably, kicks the
# background runner and exits (-odb, the default), as Postfix's sendmail
# hands the file to pickup; "delivered" is the rate to the last delivery.
# The interactive row (-odi: the attempt before exit) is ours only.
set -u

BUILD=${1:?usage: queue.sh BUILDDIR SRCDIR}
: "${2:?usage: queue.sh BUILDDIR SRCDIR}"
N=${N:-2000}
SESSIONS=${SESSIONS:-20}
SIZE=${SIZE:-1024}
TIMEOUT=${TIMEOUT:-600}
RUNS=${RUNS:-3}
W=${WORK:-$BUILD/bench.d/queue}

note() { echo "# $*"; }
now() { date +%s.%N; }
rate() { echo "$1 $2 $3" | awk '{ d = $3 - $2; printf "%.1f", (d > 0 ? $1 / d : 0) }'; }
ratio() { echo "$1 $2" | awk '{ printf "%.2f", ($2 > 0 ? $1 / $2 : 0) }'; }
nmsgs() { if [ -f "$1" ]; then grep -c '^From ' "$1"; else echo 0; fi; }
# until_n MBOX - wait until MBOX holds N messages; prints the time
until_n() {
	t0=$(date +%s)
	while [ "$(nmsgs "$1")" -lt "$N" ]; do
		if [ $(($(date +%s) - t0)) -gt "$TIMEOUT" ]; then
			note "timeout: $1 holds $(nmsgs "$1") of $N" >&2
			break
		fi
		sleep 0.05
	done
	now
}
wait_port() {
	i=0
	until bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 200 ] && return 1
		sleep 0.05
	done
}
freeport() {
	/usr/bin/python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

SOURCE=$(command -v smtp-source || echo /usr/sbin/smtp-source)
[ -x "$SOURCE" ] || { echo "queue.sh: no smtp-source (package postfix)" >&2; exit 1; }
for p in smtp-listen sendmail mda-deliver newaliases; do
	[ -x "$BUILD/$p" ] || { echo "queue.sh: no $BUILD/$p; run make first" >&2; exit 1; }
done
ROOT=0
[ "$(id -u)" -eq 0 ] && command -v postfix >/dev/null 2>&1 && ROOT=1
if [ $ROOT = 1 ] && ! id bench >/dev/null 2>&1; then
	useradd -m -s /usr/sbin/nologin bench || ROOT=0
fi

rm -rf "$W"
mkdir -p "$W/ours/spool" "$W/ours/home" || exit 1
cd "$W" || exit 1
PFPID=""
LPID=""
cleanup() {
	[ -n "$LPID" ] && kill "$LPID" 2>/dev/null
	[ -n "$PFPID" ] && postfix -c "$W/pf/etc" stop >/dev/null 2>&1
	cd / && [ "${KEEP:-0}" = 1 ] || rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

note "load at start: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) CPUs"
note "N=$N messages of $SIZE bytes, smtp-source -s $SESSIONS, one message per connection"

# ---- ours: a sandbox main.cf; user bench is the invoking user ----
printf 'bench:x:%s:%s::%s/ours/home:/bin/sh\n' "$(id -u)" "$(id -g)" "$W" \
    >ours/passwd
printf 'postmaster: bench\n' >ours/aliases
cat >ours/main.cf <<EOC
myhostname = bench.test
mydomain = bench.test
myorigin = bench.test
mydestination = bench.test, localhost
mynetworks = 127.0.0.0/8
mail_spool_directory = $W/ours/spool
local_passwd_file = $W/ours/passwd
alias_database = hash:$W/ours/aliases
alias_maps = hash:$W/ours/aliases
queue_directory = $W/ours/queue
smtp_send_program = $BUILD/smtp-send
EOC
"$BUILD/newaliases" -C ours/main.cf || exit 1

# ---- Postfix: a private instance under pf/ ----
pf_setup() {
	mkdir -p pf/etc pf/mail pf/data pf/spool
	chmod 1777 pf/mail
	chown postfix pf/data
	port=$1
	cat >pf/etc/main.cf <<EOC
compatibility_level = 3.6
config_directory = $W/pf/etc
queue_directory = $W/pf/spool
data_directory = $W/pf/data
mail_spool_directory = $W/pf/mail
maillog_file = $W/pf/log
maillog_file_prefixes = $W/pf
myhostname = bench.test
mydomain = bench.test
myorigin = \$myhostname
mydestination = \$myhostname, localhost
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relayhost =
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_peername_lookup = no
alias_maps =
alias_database =
mailbox_size_limit = 0
biff = no
append_dot_mydomain = no
readme_directory = no
multi_instance_enable = no
EOC
	sed "s/^smtp      inet  n       -       y       -       -       smtpd/127.0.0.1:$port inet n - n - - smtpd/" \
	    /etc/postfix/master.cf.proto >pf/etc/master.cf 2>/dev/null ||
	    sed "s/^smtp      inet  n       -       y       -       -       smtpd/127.0.0.1:$port inet n - n - - smtpd/" \
	    /usr/share/postfix/master.cf.dist >pf/etc/master.cf
	postconf -c pf/etc -F '*/*/chroot = n' >/dev/null 2>&1
	postconf -c pf/etc -e "shlib_directory = $(postconf -h shlib_directory)" \
	    "daemon_directory = $(postconf -h daemon_directory)" \
	    "meta_directory = $(postconf -h meta_directory)"
	: >pf/log
	postfix -c "$W/pf/etc" check >/dev/null 2>&1
	postfix -c "$W/pf/etc" start >/dev/null 2>&1 || return 1
	PFPID=1
	wait_port "$port"
}

# median A B C... - the middle value (the lower of the two middle ones)
median() {
	printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# source_run PORT MBOX - N messages by smtp-source; sets acc and e2e
source_run() {
	rm -f "$2"
	t0=$(now)
	"$SOURCE" -c -s "$SESSIONS" -m "$N" -l "$SIZE" -f src@bench.test \
	    -t bench@bench.test "127.0.0.1:$1" >/dev/null 2>&1
	ta=$(now)
	t1=$(until_n "$2")
	acc=$(rate "$N" "$t0" "$ta")
	e2e=$(rate "$N" "$t0" "$t1")
}

# ---- 1. smtp-source -> listener -> queue -> local delivery ----
# RUNS rounds, ours and Postfix's alternating, so that a burst of load
# from elsewhere hits both; the medians and their ratio.
lport=$(freeport)
"$BUILD/smtp-listen" -C ours/main.cf -c 100 -l "127.0.0.1:$lport" \
    >/dev/null 2>ours/listen.log &
LPID=$!
wait_port "$lport" || { echo "queue.sh: smtp-listen did not start" >&2; exit 1; }
if [ $ROOT = 1 ]; then
	pport=$(freeport)
	if ! pf_setup "$pport"; then
		note "postfix would not start: see $W/pf/log (KEEP=1)"
		ROOT=0
	fi
else
	note "not root or no postfix: Postfix's rows skipped"
fi
O_ACC="" O_E2E="" P_ACC="" P_E2E=""
r=0
while [ $r -lt "$RUNS" ]; do
	r=$((r + 1))
	source_run "$lport" ours/spool/bench
	O_ACC="$O_ACC $acc" O_E2E="$O_E2E $e2e"
	note "round $r: mailpath accepted $acc msg/s, delivered $e2e msg/s"
	if [ $ROOT = 1 ]; then
		source_run "$pport" pf/mail/bench
		P_ACC="$P_ACC $acc" P_E2E="$P_E2E $e2e"
		note "round $r: postfix  accepted $acc msg/s, delivered $e2e msg/s"
	fi
done
kill "$LPID" 2>/dev/null
wait "$LPID" 2>/dev/null
LPID=""
# shellcheck disable=SC2086
ours_e2e=$(median $O_E2E)
echo "end to end  mailpath  accepted $(median $O_ACC) msg/s, delivered $ours_e2e msg/s (median of $RUNS)"
if [ $ROOT = 1 ]; then
	pf_e2e=$(median $P_E2E)
	echo "end to end  postfix   accepted $(median $P_ACC) msg/s, delivered $pf_e2e msg/s (median of $RUNS)"
	echo "end to end  ratio mailpath/postfix: $(ratio "$ours_e2e" "$pf_e2e") (aim 2)"
fi

# ---- 2. sendmail injection, one process per message ----
{ printf 'From: Source <src@bench.test>\nTo: Bench <bench@bench.test>\nSubject: injection benchmark\n\n'
  for i in $(seq 12); do printf 'line %02d of the body: the quick brown fox jumps over the lazy dog 0123456789\n' "$i"; done
} >msg.txt
# inject MBOX SENDMAIL [ARG...] - N sendmail processes, one after the
# other; sets inj (msg/s of the loop) and inj_d (msg/s to the last delivery)
inject() {
	mbox=$1
	shift
	rm -f "$mbox"
	t0=$(now)
	i=0
	while [ $i -lt "$N" ]; do
		"$@" <msg.txt || note "$1 failed: $?"
		i=$((i + 1))
	done
	ta=$(now)
	t1=$(until_n "$mbox")
	inj=$(rate "$N" "$t0" "$ta")
	inj_d=$(rate "$N" "$t0" "$t1")
}
O_INJ="" O_INJD="" O_ODI="" P_INJ="" P_INJD=""
r=0
while [ $r -lt "$RUNS" ]; do
	r=$((r + 1))
	inject ours/spool/bench "$BUILD/sendmail" -C ours/main.cf -f src@bench.test bench
	O_INJ="$O_INJ $inj" O_INJD="$O_INJD $inj_d"
	note "round $r: mailpath sendmail $inj msg/s, delivered $inj_d msg/s"
	inject ours/spool/bench "$BUILD/sendmail" -C ours/main.cf -odi -f src@bench.test bench
	O_ODI="$O_ODI $inj"
	note "round $r: mailpath sendmail -odi $inj msg/s"
	if [ $ROOT = 1 ]; then
		inject pf/mail/bench /usr/sbin/sendmail -C "$W/pf/etc" \
		    -f src@bench.test bench@bench.test
		P_INJ="$P_INJ $inj" P_INJD="$P_INJD $inj_d"
		note "round $r: postfix  sendmail $inj msg/s, delivered $inj_d msg/s"
	fi
done
o_inj=$(median $O_INJ) o_injd=$(median $O_INJD) o_odi=$(median $O_ODI)
echo "injection   mailpath  sendmail $o_inj msg/s, delivered $o_injd msg/s (median of $RUNS)"
echo "injection   mailpath  sendmail -odi (the attempt before exit) $o_odi msg/s"
if [ $ROOT = 1 ]; then
	p_inj=$(median $P_INJ) p_injd=$(median $P_INJD)
	echo "injection   postfix   sendmail $p_inj msg/s, delivered $p_injd msg/s (median of $RUNS)"
	echo "injection   ratio mailpath/postfix: injection $(ratio "$o_inj" "$p_inj") (aim 3), to delivery $(ratio "$o_injd" "$p_injd"), -odi $(ratio "$o_odi" "$p_inj")"
fi
note "load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
