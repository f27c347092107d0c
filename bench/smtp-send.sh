#!/bin/sh
# SPDX-License-Identifier: ISC
# smtp-send.sh - 1,000 messages, one process per message as in a pipeline,
# to a local sink (Postfix's smtp-sink on a free loopback port): our
# smtp-send, and in the same run msmtp, swaks and the curl command line.
# Prints messages per second for each, and our ratio to each (above 1:
# smtp-send is faster).
#
#	bench/smtp-send.sh BUILDDIR SRCDIR
#
# Environment: N=1000 messages per program.
set -u

BUILD=${1:?usage: smtp-send.sh BUILDDIR SRCDIR}
: "${2:?usage: smtp-send.sh BUILDDIR SRCDIR}"
N=${N:-1000}
OURS=$BUILD/smtp-send
SINK=/usr/sbin/smtp-sink

have() { command -v "$1" >/dev/null 2>&1; }
[ -x "$OURS" ] || { echo "smtp-send.sh: no $OURS; run make first" >&2; exit 1; }
if [ ! -x "$SINK" ] || ! have msmtp || ! have swaks || ! have curl; then
	if [ "$(id -u)" -eq 0 ]; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		    --no-install-recommends postfix msmtp swaks curl >/dev/null
	fi
fi
[ -x "$SINK" ] || { echo "smtp-send.sh: needs $SINK (postfix)" >&2; exit 1; }

W=$(mktemp -d) || exit 1
pid=
trap 'test -n "$pid" && kill $pid; rm -rf "$W"' EXIT
cd "$W" || exit 1
port=$(/usr/bin/python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')
if [ "$(id -u)" -eq 0 ]; then
	"$SINK" -u nobody -c "127.0.0.1:$port" 256 >/dev/null &
else
	"$SINK" -c "127.0.0.1:$port" 256 >/dev/null &
fi
pid=$!
sleep 0.5
printf 'From: a@client.example\nTo: b@example.net\nSubject: bench\n\n%s\n' \
    "one message, one process" >msg
printf 'myhostname = client.example\nsmtp_tls_security_level = none\n' >main.cf

now() { date +%s.%N; }

# run NAME CMD... - N runs of CMD <msg; prints NAME, seconds, per second
run() {
	name=$1
	shift
	if ! "$@" <msg >"$W/check.out" 2>&1; then
		echo "# $name failed: $(head -3 "$W/check.out")"
		return 1
	fi
	t0=$(now)
	i=0
	while [ $i -lt "$N" ]; do
		"$@" <msg >/dev/null 2>&1
		i=$((i + 1))
	done
	t1=$(now)
	awk -v n="$N" -v a="$t0" -v b="$t1" -v name="$name" \
	    'BEGIN { printf "%-12s %6d messages %8.3f s %8.1f /s\n", name, n, b - a, n / (b - a) }'
}

rate() { awk '{ print $(NF - 1) }'; }

echo "# load: $(cut -d' ' -f1-3 /proc/loadavg)"
ours=$(run smtp-send "$OURS" -C main.cf -f a@client.example \
    -r "[127.0.0.1]:$port" b@example.net) || exit 1
echo "$ours"
r0=$(echo "$ours" | rate)
for peer in msmtp swaks curl; do
	have $peer || { echo "# $peer: not installed"; continue; }
	case $peer in
	msmtp)	line=$(run msmtp msmtp --host=127.0.0.1 --port="$port" \
		    --auth=off --tls=off --from=a@client.example b@example.net) ;;
	swaks)	line=$(run swaks swaks --server "127.0.0.1:$port" \
		    --from a@client.example --to b@example.net --data - \
		    --silent 2) ;;
	curl)	line=$(run curl curl -s "smtp://127.0.0.1:$port/client.example" \
		    --mail-from a@client.example --mail-rcpt b@example.net -T -) ;;
	esac || continue
	echo "$line"
	r=$(echo "$line" | rate)
	awk -v a="$r0" -v b="$r" -v p="$peer" \
	    'BEGIN { printf "ratio smtp-send/%s: %.2f\n", p, a / b }'
done
