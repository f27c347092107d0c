#!/bin/sh
# SPDX-License-Identifier: ISC
# smtp-listen.sh - SMTP accept rate: Postfix's smtp-source against
# smtp-listen standalone, (1) handing each message to a command that
# writes it to a file and fsync()s the file and its directory (the
# durability of a queue), (2) writing each message into its own queue
# (file and directory fsync()ed before 250) with the background delivery
# pass running, whose smtp_send_program discards (prints "sent" for each
# recipient, as Postfix's discard(8) does), and, in the same run, (3)
# against Postfix's smtpd with its queue
# on the same disk (a private Postfix instance; *@sink.test -> discard(8),
# so only the front end and the queue are measured).  20 parallel
# sessions, 10 messages per session, 4 KiB messages.  Prints messages per
# second (median of RUNS) and our ratio to Postfix (above 1: faster).
#
#	bench/smtp-listen.sh BUILDDIR SRCDIR
#
# Environment: SESSIONS=20, PER=10 messages per session, SIZE=4096,
# RUNS=5, WORK=directory (default BUILDDIR/bench.d/smtp-listen, removed
# afterwards unless KEEP=1).
#
# The Postfix row needs root (a Postfix instance of its own: config,
# queue and data directories under WORK, smtpd on a free loopback port;
# /etc/postfix is not touched).  Postfix (for smtp-source too) is
# installed if missing and we are root, with debconf's "No
# configuration".  Without root the Postfix row is skipped.
set -u

BUILD=${1:?usage: smtp-listen.sh BUILDDIR SRCDIR}
SRC=${2:?usage: smtp-listen.sh BUILDDIR SRCDIR}
SESSIONS=${SESSIONS:-20}
PER=${PER:-10}
SIZE=${SIZE:-4096}
RUNS=${RUNS:-5}
N=$((SESSIONS * PER))
W=${WORK:-$BUILD/bench.d/smtp-listen}
OURS=$BUILD/smtp-listen

have() { command -v "$1" >/dev/null 2>&1; }
note() { echo "# $*"; }

[ -x "$OURS" ] || { echo "smtp-listen.sh: no $OURS; run make first" >&2; exit 1; }
ROOT=0
[ "$(id -u)" -eq 0 ] && ROOT=1
if [ ! -x /usr/sbin/smtp-source ] && [ $ROOT = 1 ] && have apt-get; then
	note "installing postfix (debconf: No configuration)"
	echo "postfix postfix/main_mailer_type select No configuration" |
	    debconf-set-selections
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	    --no-install-recommends postfix >/dev/null 2>&1 ||
	    note "apt-get failed"
fi
[ -x /usr/sbin/smtp-source ] || {
	echo "smtp-listen.sh: needs /usr/sbin/smtp-source (postfix)" >&2
	exit 1
}

rm -rf "$W"
mkdir -p "$W/spool" "$W/sink" "$W/tmp" || exit 1
cd "$W" || exit 1
SLPID=
PFUP=0
cleanup() {
	test -n "$SLPID" && kill "$SLPID" 2>/dev/null
	test $PFUP = 1 && postfix -c "$W/pf/etc" stop >/dev/null 2>&1
	cd / && { test "${KEEP:-0}" = 1 || rm -rf "$W"; }
}
trap cleanup EXIT
trap 'exit 1' INT TERM

cc -O2 -o sink-cmd "$SRC/bench/smtp-listen-sink.c" || exit 1
free_port() {
	/usr/bin/python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}
wait_port() {
	i=0
	while [ $i -lt 100 ]; do
		/usr/bin/python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $1)).close()" \
		    2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
now() { date +%s.%N; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# bench PORT - messages per second of one smtp-source run
bench() {
	t0=$(now)
	smtp-source -4 -s "$SESSIONS" -m "$N" -d -l "$SIZE" -M bench.test \
	    -f src@bench.test -t x@sink.test "127.0.0.1:$1" >/dev/null \
	    2>src.err || { note "smtp-source failed:"; sed 's/^/# /' src.err; return 1; }
	t1=$(now)
	awk -v n="$N" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f\n", n / (b - a) }'
}

echo "# smtp-source -s $SESSIONS -m $N -d -l $SIZE (${PER} msgs/session), median of $RUNS runs; $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# disk: $(df -P "$W" | awk 'NR == 2 { print $1 " on " $6 }')"

# --- smtp-listen, standalone, a fsync()ing command per message ---
cat >main.cf <<EOC
myhostname = bench.test
mydestination =
relay_domains = sink.test
mynetworks = 127.0.0.0/8
smtpd_banner = \$myhostname ESMTP
EOC
TMPDIR=$W/spool "$OURS" -1 -l 127.0.0.1:0 -c 200 -C "$W/main.cf" -- \
    "$W/sink-cmd" "$W/sink" >port 2>sl.log &
SLPID=$!
i=0
while [ ! -s port ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
P=$(head -n 1 port)
: >ours.rates
for r in $(seq "$RUNS"); do
	find sink -type f -delete
	sync
	bench "$P" >>ours.rates || exit 1
	got=$(find sink -type f | wc -l)
	[ "$got" -eq "$N" ] || note "WARNING: the command got $got of $N messages"
done
kill "$SLPID"
wait "$SLPID" 2>/dev/null
SLPID=
OURS_RATE=$(median <ours.rates)
printf "%-44s %8s msg/s   (runs: %s)\n" "smtp-listen -- fsync command" "$OURS_RATE" "$(tr '\n' ' ' <ours.rates)"

# --- smtp-listen, standalone, its own queue, delivery to a discarder ---
cat >discard.c <<\EOC
/* discard - smtp-send's output for every recipient: sent, discarded */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
int
main(int argc, char *argv[])
{
	char	buf[65536];
	int	i = 1;

	while (read(0, buf, sizeof buf) > 0)
		;
	while (i < argc && strcmp(argv[i], "--") != 0)
		i++;
	for (i++; i < argc; i++)
		printf("%s\t2.0.0\tsent\tdiscarded\tnone\n", argv[i]);
	return 0;
}
EOC
cc -O2 -o discard discard.c || exit 1
cat >>main.cf <<EOC
queue_directory = $W/queue
smtp_send_program = $W/discard
EOC
"$OURS" -1 -l 127.0.0.1:0 -c 200 -C "$W/main.cf" >port.q 2>slq.log &
SLPID=$!
i=0
while [ ! -s port.q ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
P=$(head -n 1 port.q)
: >queue.rates
for r in $(seq "$RUNS"); do
	sync
	bench "$P" >>queue.rates || exit 1
	# Let the runner drain the queue before the next run (bounded).
	i=0
	while [ -n "$(ls queue/queue)" ] && [ $i -lt 600 ]; do
		sleep 0.1
		i=$((i + 1))
	done
done
kill "$SLPID"
wait "$SLPID" 2>/dev/null
SLPID=
sent=$(grep -c 'relay=none.*status=sent' slq.log)
left=$(ls queue/queue | wc -l)
note "the queue runner delivered $sent of $((N * RUNS)) messages; $left left in the queue"
Q_RATE=$(median <queue.rates)
printf "%-44s %8s msg/s   (runs: %s)\n" "smtp-listen, queue + delivery" "$Q_RATE" "$(tr '\n' ' ' <queue.rates)"

# --- Postfix smtpd with its queue, same disk ---
if [ $ROOT = 0 ]; then
	note "not root: Postfix row skipped"
	exit 0
fi
PP=$(free_port)
mkdir -p pf/etc pf/queue pf/data
chown postfix pf/data
cp /etc/postfix/master.cf.proto pf/etc/master.cf
cp /etc/postfix/postfix-files pf/etc/ 2>/dev/null
[ -d /etc/postfix/postfix-files.d ] && cp -r /etc/postfix/postfix-files.d pf/etc/
[ -f /etc/postfix/dynamicmaps.cf ] && cp /etc/postfix/dynamicmaps.cf pf/etc/
[ -d /etc/postfix/dynamicmaps.cf.d ] && cp -r /etc/postfix/dynamicmaps.cf.d pf/etc/
cat >pf/etc/main.cf <<EOC
compatibility_level = 3.6
queue_directory = $W/pf/queue
data_directory = $W/pf/data
myhostname = bench.test
mydomain = bench.test
myorigin = \$myhostname
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relayhost =
relay_domains = sink.test
transport_maps = hash:$W/pf/etc/transport
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_peername_lookup = no
smtpd_banner = \$myhostname ESMTP
alias_maps =
alias_database =
local_recipient_maps =
biff = no
append_dot_mydomain = no
readme_directory = no
maillog_file = $W/pf/maillog
maillog_file_prefixes = /var, /dev/stdout, $W
EOC
printf 'sink.test\tdiscard:\n' >pf/etc/transport
postmap "hash:$W/pf/etc/transport"
sed -i "s/^smtp      inet  n       -       y       -       -       smtpd/127.0.0.1:$PP inet n - n - - smtpd/" pf/etc/master.cf
postconf -c "$W/pf/etc" -F '*/*/chroot = n' 2>/dev/null
grep -q "^127.0.0.1:$PP " pf/etc/master.cf || { note "master.cf: no smtpd line"; exit 1; }
postfix -c "$W/pf/etc" set-permissions >/dev/null 2>&1
postfix -c "$W/pf/etc" check >pf.check 2>&1 || { sed 's/^/# /' pf.check; exit 1; }
postfix -c "$W/pf/etc" start >pf.start 2>&1 || { sed 's/^/# /' pf.start; exit 1; }
PFUP=1
wait_port "$PP" || { note "Postfix did not come up"; exit 1; }
: >pf.rates
for r in $(seq "$RUNS"); do
	sync
	bench "$PP" >>pf.rates || exit 1
done
sent=$(grep -c 'status=sent' pf/maillog 2>/dev/null || echo 0)
note "Postfix logged $sent of $((N * RUNS)) messages discarded so far"
PF_RATE=$(median <pf.rates)
printf "%-44s %8s msg/s   (runs: %s)\n" "Postfix $(postconf -d -h mail_version) smtpd + queue" "$PF_RATE" "$(tr '\n' ' ' <pf.rates)"
awk -v a="$OURS_RATE" -v b="$PF_RATE" 'BEGIN { printf "ratio smtp-listen -- command / Postfix: %.2f (aim: 2)\n", a / b }'
awk -v a="$Q_RATE" -v b="$PF_RATE" 'BEGIN { printf "ratio smtp-listen queue / Postfix: %.2f (aim: 2)\n", a / b }'
