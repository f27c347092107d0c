#!/bin/sh
# SPDX-License-Identifier: ISC
# mx.sh - 1,000 MX lookups against a local DNS server (dnsmasq serving the
# test zone on a free loopback port), one process each as in a shell
# pipeline: our mx-lookup, and in the same run bind9's `host -t MX`.
# Prints lookups per second for each and the ratio (ours/host; above 1 is
# faster).  mx-lookup does more per run: the MX question, then A and AAAA
# for each of the two MX hosts; host asks the MX question only.
#
#	bench/mx.sh BUILDDIR SRCDIR
#
# Environment: N=1000 lookups per program.
set -u

BUILD=${1:?usage: mx.sh BUILDDIR SRCDIR}
SRC=${2:?usage: mx.sh BUILDDIR SRCDIR}
N=${N:-1000}
OURS=$BUILD/mx-lookup

have() { command -v "$1" >/dev/null 2>&1; }
PATH=$PATH:/usr/sbin
[ -x "$OURS" ] || { echo "mx.sh: no $OURS; run make first" >&2; exit 1; }
if ! have dnsmasq || ! have host; then
	if [ "$(id -u)" -eq 0 ]; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		    --no-install-recommends dnsmasq-base bind9-host >/dev/null
	fi
	have dnsmasq && have host ||
	    { echo "mx.sh: needs dnsmasq (dnsmasq-base) and host (bind9-host)" >&2
	    exit 1; }
fi

DNSMASQ=$(command -v dnsmasq)
W=$(mktemp -d) || exit 1
pid=
trap 'test -n "$pid" && kill $pid; rm -rf "$W"' EXIT
for try in 1 2 3 4 5; do
	port=$(/usr/bin/python3 -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')
	sed "s/@PORT@/$port/" "$SRC/t/fixtures/dns/dnsmasq.conf.in" >"$W/dnsmasq.conf"
	"$DNSMASQ" -C "$W/dnsmasq.conf" -k --pid-file= 2>"$W/log" &
	pid=$!
	sleep 0.3
	"$OURS" -s "127.0.0.1:$port" example.test >/dev/null 2>&1 && break
	kill $pid
	pid=
done
[ -n "$pid" ] || { echo "mx.sh: dnsmasq did not start" >&2; exit 1; }

now() { date +%s.%N; }

# run NAME CMD... - N runs of CMD; prints NAME, seconds and runs per second
run() {
	name=$1
	shift
	"$@" >"$W/check.out" 2>&1 || { echo "mx.sh: $name failed:" >&2
	    cat "$W/check.out" >&2; exit 1; }
	t0=$(now)
	i=0
	while [ $i -lt "$N" ]; do
		"$@" >/dev/null 2>&1
		i=$((i + 1))
	done
	t1=$(now)
	awk -v n="$N" -v a="$t0" -v b="$t1" -v name="$name" \
	    'BEGIN { printf "%-22s %6d lookups %7.3f s %8.1f /s\n", name, n, b - a, n / (b - a) }'
}

echo "# load: $(cut -d' ' -f1-3 /proc/loadavg)"
ours=$(run "mx-lookup" "$OURS" -s "127.0.0.1:$port" example.test)
echo "$ours"
peer=$(run "host -t MX" host -p "$port" -t MX example.test 127.0.0.1)
echo "$peer"
r1=$(echo "$ours" | awk '{ print $(NF - 1) }')
r2=$(echo "$peer" | awk '{ print $(NF - 1) }')
awk -v a="$r1" -v b="$r2" 'BEGIN { printf "ratio mx-lookup/host: %.2f (above 1: mx-lookup is faster)\n", a / b }'
