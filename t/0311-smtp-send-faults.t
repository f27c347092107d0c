#!/bin/sh
# SPDX-License-Identifier: ISC
# smtp-send against servers that misbehave (BATTERY.md 6.10, the J family):
# malformed replies, reply floods, silence and slow replies, a 421 in the
# middle of a transaction moving the recipients on to the next MX host
# (127.0.0.2, then 127.0.0.3, from the test zone), address literals,
# smtps on port 465, and the -v transcript of a STARTTLS session with AUTH.
# The raw server (server.py --script) reads its replies from script.json
# anew for each connection, so each test writes the script it needs.
. "$top_srcdir/t/test-lib.sh"
. "$FIXTURES/dns/lib.sh"
. "$FIXTURES/smtp-send/lib.sh"

dns_start

# A test CA with a certificate for sink.example.test; a self-signed one.
smtp_test_ca
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=sink.example.test \
    -addext subjectAltName=DNS:sink.example.test \
    -keyout self.key -out self.pem >/dev/null 2>&1 ||
    { echo "Bail out! openssl could not make a self-signed certificate"; exit 99; }

echo '{}' >script.json
smtp_start raw --script "$TRASH/script.json"
# multi.example.test: MX 10 mxa (127.0.0.2), 20 mxb (127.0.0.3), 30 mxc
# (127.0.0.4, nothing there); the first is the raw server.
smtp_start mxb --addr 127.0.0.3
smtp_start mxa --addr 127.0.0.2 --port "$PORT_mxb" --script "$TRASH/script.json"
smtp_start tls --tls srv.pem srv.key --auth user:s3cr3t-pw
smtp_start login --tls srv.pem srv.key --auth user:s3cr3t-pw --auth-mech LOGIN
smtp_start self --tls self.pem self.key
# An address literal in IPv6, where the machine has ::1.
PORT_v6=
if /usr/bin/python3 -c 'import socket
socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null; then
	smtp_start v6 --addr ::1
fi

printf '%s\n' 'myhostname = client.example.test' \
    "dns_server = 127.0.0.1:$DNS_PORT" \
    "smtp_tls_CAfile = $TRASH/ca.pem" \
    'smtp_connect_timeout = 2s' 'smtp_data_done_timeout = 2s' >main.cf
MAILPATH_CONF=$TRASH/main.cf
export MAILPATH_CONF
RAW="[127.0.0.1]:$PORT_raw"
printf 'Subject: test\n\nhello\n' >msg
cp main.cf mx.cf && echo "smtp_tcp_port = $PORT_mxb" >>mx.cf

# script STAGE JSON - the raw servers answer STAGE with JSON (see server.py)
script() {
	printf '{"%s": %s}\n' "$1" "$2" >"$TRASH/script.json"
}

# the number of log lines (connections, messages) of a server
count() {
	if test -f "$TRASH/$1.log"; then wc -l <"$TRASH/$1.log"; else echo 0; fi
}

test_expect_success 'J-10: malformed replies at greeting, RCPT, end of data' '
	for stage in greeting RCPT DOT; do
		for reply in "250-ok\r\n550 5.1.1 no\r\n" "2500 ok\r\n" \
		    "25 ok\r\n" "abc\r\n" "\u0000\r\n" "250\r\n"; do
			script $stage "\"$reply\"" &&
			: >"$TRASH/raw.log" &&
			test_expect_code 75 timeout 8 smtp-send -v -f s@x.test \
			    -r "$RAW" a@y.test <msg >out 2>err &&
			cut -f2,3 out >got &&
			case $stage in
			DOT)	printf "4.4.2\tdeferred\n" >want &&
				test_grep "malformed reply after end of data" out ;;
			*)	printf "4.5.0\tdeferred\n" >want &&
				test_grep "	4.5.0	deferred	.*: protocol error: " out ;;
			esac &&
			test_cmp want got &&
			test_grep "^-- protocol error: " err &&
			test $(grep -c "^-- connecting" err) = 1 || {
				echo "stage $stage, reply $reply"; return 1; }
		done
	done
'

test_expect_success 'J-10: a good reply at the same places is sent (control)' '
	echo "{}" >script.json &&
	smtp-send -v -f s@x.test -r "$RAW" a@y.test <msg >out 2>err &&
	test_grep "^a@y.test	2.0.0	sent	250 2.0.0 queued as R1	" out &&
	! grep -q "protocol error" err
'

# deferred_bounded SECONDS CMD... - run CMD with stdin msg, stdout out,
# stderr err; true when it exits 75 within SECONDS, its peak memory below
# 256 MiB
deferred_bounded() {
	/usr/bin/python3 - "$@" <<-\EOF
	import resource, subprocess, sys
	try:
	    p = subprocess.run(sys.argv[2:], timeout=float(sys.argv[1]),
	                       stdin=open("msg"), stdout=open("out", "w"),
	                       stderr=open("err", "w"))
	    rc = p.returncode
	except subprocess.TimeoutExpired:
	    rc = "a hang (killed after %s s)" % sys.argv[1]
	kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
	if rc != 75 or kib >= 262144:
	    sys.exit("got exit %s and %d KiB, want 75 and < 262144" % (rc, kib))
	EOF
}

# libcurl 7.88 itself gives up on a reply past 300 KB when the lines come
# in few reads ("Too large response headers"); lines that come one by one
# are cut off by our own limit of 1000.
test_expect_success 'J-09: 10^6 lines of "250-x" at once: bounded, deferred' '
	script EHLO "{\"flood\": 1000000, \"line\": \"250-x\\r\\n\", \"end\": \"250 ok\\r\\n\"}" &&
	deferred_bounded 8 smtp-send -v -f s@x.test -r "$RAW" a@y.test &&
	test_grep "^a@y.test	4\.[0-9.]*	deferred	.*\(Too large response\|more than 1000 lines\)" out &&
	! grep -q "^C: MAIL" err
'

test_expect_success 'J-09: "250-x" lines one by one: cut off after 1000' '
	script EHLO "{\"flood\": 20000, \"line\": \"250-x\\r\\n\", \"every\": 0.001}" &&
	sed "s/^smtp_connect_timeout.*/smtp_connect_timeout = 6s/" main.cf >slow.cf &&
	deferred_bounded 8 smtp-send -C slow.cf -v -f s@x.test -r "$RAW" a@y.test &&
	test_grep "^-- protocol error: a reply of more than 1000 lines" err &&
	test $(grep -c "^S: 250-x" err) = 1001 &&
	test_grep "^a@y.test	4.5.0	deferred	.*protocol error: a reply of more than 1000 lines" out &&
	! grep -q "^C: MAIL" err
'

test_expect_success 'J-09: a 1 MiB reply line to RCPT: deferred, bounded' '
	/usr/bin/python3 -c "import json
print(json.dumps({\"RCPT\": \"250 \" + \"x\" * 1048576 + \"\\r\\n\"}))" >script.json &&
	deferred_bounded 8 smtp-send -f s@x.test -r "$RAW" a@y.test &&
	test_grep "^a@y.test	4\.[0-9.]*	deferred	" out
'

test_expect_success 'J-13: a server that says nothing: connect timeout' '
	script greeting null &&
	test_expect_code 75 timeout 8 smtp-send -f s@x.test -r "$RAW" \
	    a@y.test <msg >out &&
	test_grep "^a@y.test	4.4.2	deferred	.*timed out" out
'

test_expect_success 'J-13: a greeting one byte at a time: the timeout holds' '
	script greeting "{\"drip\": \"220 slow but sure ESMTP\\r\\n\", \"every\": 0.5}" &&
	test_expect_code 75 timeout 8 smtp-send -f s@x.test -r "$RAW" \
	    a@y.test <msg >out &&
	test_grep "^a@y.test	4.4.2	deferred	.*timed out" out
'

test_expect_success 'J-13: a MAIL reply one byte at a time: the timeout holds' '
	script MAIL "{\"drip\": \"250 2.1.0 ok, slowly\\r\\n\", \"every\": 0.5}" &&
	test_expect_code 75 timeout 8 smtp-send -f s@x.test -r "$RAW" \
	    a@y.test <msg >out &&
	test_grep "^a@y.test	4.4.2	deferred	.*timed out" out
'

# mx_case SCRIPT-STAGE JSON - the first MX (127.0.0.2) answers STAGE so;
# three recipients of multi.example.test are sent; out, err, the logs
mx_case() {
	script "$1" "$2" &&
	: >"$TRASH/mxa.log" && : >"$TRASH/mxb.log" &&
	{ timeout 8 smtp-send -C mx.cf -v -f s@x.test a@multi.example.test \
	    b@multi.example.test c@multi.example.test <msg >out 2>err
	echo $? >rc; }
}

# all three sent by mxb, in one transaction, after one try at mxa
sent_by_mxb() {
	echo 0 >want && test_cmp want rc &&
	cut -f1,3,5 out >got &&
	printf "%s\tsent\tmxb.example.test[127.0.0.3]:$PORT_mxb\n" \
	    a@multi.example.test b@multi.example.test c@multi.example.test >want &&
	test_cmp want got &&
	grep "^-- connecting" err >got &&
	printf -- "-- connecting to %s\n" \
	    "mxa.example.test[127.0.0.2]:$PORT_mxb" \
	    "mxb.example.test[127.0.0.3]:$PORT_mxb" >want &&
	test_cmp want got &&
	test $(count mxb) = 1 &&
	grep -q "\"to\": \[\"a@multi.example.test\", \"b@multi.example.test\", \"c@multi.example.test\"\]" \
	    "$TRASH/mxb.log"
}

test_expect_success '421 after the second RCPT: all on to the next MX' '
	mx_case RCPT "[\"250 2.1.5 ok\\r\\n\", {\"send\": \"421 4.3.2 going down\\r\\n\", \"close\": true}]" &&
	sent_by_mxb &&
	test_grep "^S: 421 4.3.2 going down" err &&
	grep -q "\"messages\": 0" "$TRASH/mxa.log" &&
	test $(grep -o "RCPT TO" "$TRASH/mxa.log" | wc -l) = 2
'

test_expect_success '421 to MAIL: on to the next MX' '
	mx_case MAIL "{\"send\": \"421 4.3.2 busy\\r\\n\", \"close\": true}" &&
	sent_by_mxb
'

test_expect_success '421 to DATA: on to the next MX' '
	mx_case DATA "{\"send\": \"421 4.3.2 no more\\r\\n\", \"close\": true}" &&
	sent_by_mxb && grep -q "\"messages\": 0" "$TRASH/mxa.log"
'

test_expect_success '421 after the end of data: not taken, the next MX' '
	mx_case DOT "{\"send\": \"421 4.3.2 lost it\\r\\n\", \"close\": true}" &&
	sent_by_mxb && grep -q "\"messages\": 1" "$TRASH/mxa.log"
'

test_expect_success 'J-14: a 554 greeting: the next MX, no bounce' '
	mx_case greeting "\"554 5.3.2 no service\\r\\n\"" &&
	sent_by_mxb
'

test_expect_success 'a silent first MX: the timeout, then the next MX' '
	mx_case greeting null &&
	sent_by_mxb
'

test_expect_success 'a 450 to one RCPT (not a 421): deferred, the others sent there' '
	mx_case RCPT "[\"250 2.1.5 ok\\r\\n\", \"450 4.2.1 busy\\r\\n\", \"250 2.1.5 ok\\r\\n\"]" &&
	cut -f1,3,5 out >got &&
	printf "%s\t%s\tmxa.example.test[127.0.0.2]:$PORT_mxb\n" \
	    a@multi.example.test sent b@multi.example.test deferred \
	    c@multi.example.test sent >want &&
	test_cmp want got && test $(count mxb) = 0 &&
	echo 75 >want && test_cmp want rc
'

test_expect_success 'an address literal: straight there, no MX lookup' '
	sed "s/^dns_server.*/dns_server = 127.0.0.1:1/" mx.cf >nodns.cf &&
	smtp-send -C nodns.cf -v -f s@x.test "a@[127.0.0.3]" <msg >out 2>err &&
	printf "a@[127.0.0.3]\t2.0.0\tsent\t250 2.0.0 OK queued as T1\t127.0.0.3[127.0.0.3]:$PORT_mxb\n" >want &&
	test_cmp want out &&
	grep "^-- connecting" err >got &&
	echo "-- connecting to 127.0.0.3[127.0.0.3]:$PORT_mxb" >want &&
	test_cmp want got &&
	tail -1 "$TRASH/mxb.log" | grep -q "\"to\": \[\"a@\[127.0.0.3\]\"\]" &&
	test_expect_code 75 smtp-send -C nodns.cf -f s@x.test a@multi.example.test \
	    <msg >out &&
	test_grep "	4.4.3	deferred	" out
'

test_expect_success 'address literals: IPv6, and a bad one bounced' '
	if test -n "$PORT_v6"; then
		sed "s/^smtp_tcp_port.*/smtp_tcp_port = $PORT_v6/" nodns.cf >v6.cf &&
		smtp-send -C v6.cf -v -f s@x.test "a@[IPv6:::1]" <msg >out 2>err &&
		printf "a@[IPv6:::1]\t2.0.0\tsent\t250 2.0.0 OK queued as T1\t::1[::1]:$PORT_v6\n" >want &&
		test_cmp want out &&
		tail -1 "$TRASH/v6.log" | grep -q "\"to\": \[\"a@\[IPv6:::1\]\"\]"
	else
		# No ::1 here: it is still tried, and nothing else.
		sed "s/^smtp_tcp_port.*/smtp_tcp_port = 1/" nodns.cf >v6.cf &&
		test_expect_code 75 smtp-send -C v6.cf -v -f s@x.test \
		    "a@[IPv6:::1]" <msg >out 2>err &&
		test_grep "^a@\[IPv6:::1\]	4.4.1	deferred	.*	::1\[::1\]:1$" out
	fi &&
	grep "^-- connecting" err >got && test $(wc -l <got) = 1 &&
	test_grep "^-- connecting to ::1\[::1\]:" got &&
	test_expect_code 65 smtp-send -C nodns.cf -v -f s@x.test \
	    "b@[300.1.1.1]" <msg >out 2>err &&
	test_grep "^b@\[300.1.1.1\]	5.1.3	bounced	bad IPv4 address literal	none$" out &&
	! grep -q "^-- connecting" err
'

test_expect_success 'M-07: an MX exchange written as an address: no connection' '
	echo "{}" >script.json && : >"$TRASH/mxa.log" &&
	test_expect_code 68 smtp-send -C mx.cf -v -f s@x.test a@iplit.example.test \
	    <msg >out 2>err &&
	test_grep "^a@iplit.example.test	5.4.4	bounced	no MX host of iplit.example.test has an address	none$" out &&
	! grep -q "^-- connecting" err &&
	test $(count mxa) = 0
'

test_expect_success 'J-03: a self-signed certificate under verify: deferred' '
	cp main.cf ver.cf && echo "smtp_tls_security_level = verify" >>ver.cf &&
	test_expect_code 75 smtp-send -C ver.cf -f s@x.test \
	    -r sink.example.test:$PORT_self a@y.test <msg >out &&
	test_grep "	4.7.5	deferred	TLS with " out &&
	test $(count self) = 0
'

# The STARTTLS session with AUTH, with what varies (the port, the TLS
# version and cipher) replaced.
test_expect_success '-v with STARTTLS and AUTH: TLS marked, AUTH hidden' '
	smtp_sasl_conf $PORT_tls $PORT_login &&
	smtp-send -C auth.cf -v -f s@x.test -r "[127.0.0.1]:$PORT_tls" \
	    a@y.test <msg >out 2>err &&
	sed -e "s/:$PORT_tls\$/:PORT/" -e "s/^-- TLS: .*/-- TLS: VERSION/" \
	    err >got &&
	test_cmp "$FIXTURES/smtp-send/tls-auth.transcript" got &&
	test_grep "^-- TLS: TLSv1\.[23] / " err
'

test_expect_success 'AUTH LOGIN: user name and password both hidden' '
	smtp-send -C auth.cf -v -f s@x.test -r "[127.0.0.1]:$PORT_login" \
	    a@y.test <msg >out 2>err &&
	test_grep "	sent	" out &&
	test_grep "^C: AUTH LOGIN" err &&
	test $(grep -c "^C: <hidden>$" err) = 2 &&
	u=$(printf user | base64) && p=$(printf s3cr3t-pw | base64) &&
	! grep -e s3cr3t -e "$u" -e "$p" -e "^C: user" out err &&
	tail -1 "$TRASH/login.log" | grep -q "\"tls\": true, \"auth\": true"
'

# smtps: port 465 means TLS from the start, without smtp_tls_wrappermode.
# Port 465 needs root; as another user, in a user and network namespace
# of our own (unshare -rn) where we are root; the same assertions.  The
# MX hosts come from fakedns (mx:...), which runs there too: h0.mx.test is
# 127.0.0.2 (nothing on 465), h1.mx.test 127.0.0.3.
cat >smtps465.sh <<EOF
set -e
cd "$TRASH"
ip link set lo up 2>/dev/null || true
rm -f s465.port f465.port
/usr/bin/python3 "$FIXTURES/smtp-send/server.py" --addr 127.0.0.3 --port 465 \\
    --port-file "$TRASH/s465.port" --log "$TRASH/s465.log" \\
    --tls srv.pem srv.key --implicit-tls </dev/null >s465.err 2>&1 &
pid=\$!
/usr/bin/python3 "$FIXTURES/dns/fakedns.py" mx:127.0.0.2,127.0.0.3 \\
    "$TRASH/f465.port" </dev/null >/dev/null 2>&1 &
fpid=\$!
trap 'kill \$pid \$fpid 2>/dev/null' EXIT
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 \\
    21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39 40; do
	test -s s465.port && test -s f465.port && break
	sleep 0.1
done
smtp-send -v -f s@x.test -r "[127.0.0.3]:465" a@y.test <msg >out465 2>err465
printf '%s\n' "dns_server = 127.0.0.1:\$(cat f465.port)" \\
    'smtp_tcp_port = smtps' >mx465.cf
smtp-send -C mx465.cf -v -f s@x.test a@mx.test <msg >mxout465 2>mxerr465
EOF

test_expect_success 'port 465: smtps chosen by itself (relay)' '
	rm -f s465.log &&
	if test "$(id -u)" = 0; then
		sh smtps465.sh
	else
		unshare -rn sh smtps465.sh
	fi &&
	test_grep "^a@y.test	2.0.0	sent	.*	127.0.0.3\[127.0.0.3\]:465$" out465 &&
	grep -A1 "^-- connecting" err465 >got &&
	test_grep "^-- connecting to 127.0.0.3\[127.0.0.3\]:465 (smtps: TLS from the start)$" got &&
	test_grep "^-- TLS: TLSv1" got &&
	! grep -q "^C: STARTTLS" err465 &&
	head -1 s465.log | grep -q "\"tls\": true"
'

test_expect_success 'port 465 via MX: the first refused, the second smtps' '
	test_grep "^a@mx.test	2.0.0	sent	.*h1.mx.test\[127.0.0.3\]:465$" mxout465 &&
	grep "^-- connecting" mxerr465 >got &&
	printf -- "-- connecting to %s:465 (smtps: TLS from the start)\n" \
	    "h0.mx.test[127.0.0.2]" "h1.mx.test[127.0.0.3]" >want &&
	test_cmp want got &&
	test $(wc -l <s465.log) = 2 &&
	tail -1 s465.log | grep -q "\"to\": \[\"a@mx.test\"\]" &&
	tail -1 s465.log | grep -q "\"tls\": true"
'
test_done
