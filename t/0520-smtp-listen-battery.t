#!/bin/sh
# smtp-listen against the raw-byte battery (BATTERY.md 6.1, 6.2, 6.4, 6.5):
# smuggling, overlong lines, NUL bytes, early talkers, limits and the
# open-relay forms, from an "external" client (127.0.0.9, outside
# mynetworks), each with its replies and proof of how many messages
# reached the hand-off command.
. "$top_srcdir/t/test-lib.sh"
. "$FIXTURES/smtpd/lib.sh"

write_conf
start_server strict
P_strict=$PORT
start_server norm -o smtpd_forbid_bare_newline=normalize
P_norm=$PORT
start_server limits -o smtpd_recipient_limit=3 -o message_size_limit=2000 \
    -o hopcount_limit=5 -o smtpd_timeout=2s
P_limits=$PORT
start_server greet -o smtpd_greet_pause=1s
P_greet=$PORT
start_server slow -o smtpd_timeout=3s -o smtpd_session_timeout=2s
P_slow=$PORT
start_server sub --submission
P_sub=$PORT

EHLO='EHLO client.remote.invalid\r\n'
FROM='MAIL FROM:<alice@remote.invalid>\r\n'
TO='RCPT TO:<bob@example.test>\r\n'
DATA='DATA\r\n'
smug() {
	printf '%s' "Subject: one\\r\\n\\r\\nbody-one$1MAIL FROM:<admin@example.test>\\r\\nRCPT TO:<bob@example.test>\\r\\nDATA\\r\\nSubject: SMUGGLED\\r\\n\\r\\nevil\\r\\n.\\r\\n"
}

# run SERVER FROM WANT DELTA STEP... - a session from address FROM; the
# replies must be WANT and DELTA more messages must have been handed off
run() {
	srv=$1 src=$2 want=$3 delta=$4
	shift 4
	eval "port=\$P_$srv"
	before=$(nmsg "$srv")
	$CHAT -r "$src" "$port" "$@" >chat.out
	expect_replies "$want" chat.out
	after=$(nmsg "$srv")
	if [ $((after - before)) -ne "$delta" ]; then
		echo "handed off $((after - before)) messages, want $delta" >&2
		return 1
	fi
}
ext() { run "$1" 127.0.0.9 "$2" "$3" "$EHLO" "$FROM" "$TO" "$DATA" "$4"; }


test_expect_success 'D-00 positive control: an outside client mails a local user' '
	ext strict "220 250 250 250 354 250" 1 "Subject: ok\r\n\r\nok\r\n.\r\n" &&
	grep -q "^Subject: ok$" "$(last strict)"
'

for x in '\r.\r\n' '\r.\r' '\r\n.\r' '\n.\r' '\n.\n' '\n.\r\n'; do
	test_expect_success "smuggling with $x: reject mode answers 521 and closes, nothing handed off" "
		ext strict '220 250 250 250 354 521 EOF' 0 \"\$(smug '$x')\" &&
		grep -q '^S: 521 5.5.2 mx.example.test Error: bare <[CL][RF]> received' chat.out
	"
	test_expect_success "smuggling with $x: normalize mode makes one message of it" "
		ext norm '220 250 250 250 354 250' 1 \"\$(smug '$x')\" &&
		m=\$(last norm) &&
		grep -q '^MAIL FROM:<admin@example.test>\$' \"\$m\" &&
		sed '/^\$/q' \"\$m\" >hdr && ! grep -q SMUGGLED hdr &&
		! grep -q \"\$(printf '\\r')\" \"\$m\"
	"
done

for x in '\r\n\x00.\r\n' '\r\n.\x00\r\n'; do
	test_expect_success "S-06 NUL around the dot ($x) never ends DATA" "
		ext strict '220 250 250 250 354 554' 0 \"\$(smug '$x')\" &&
		grep -q '^S: 554 5.6.0 Error: NUL byte in message' chat.out
	"
done

test_expect_success 'S-07 bare LF inside headers: reject mode refuses' '
	ext strict "220 250 250 250 354 521 EOF" 0 \
	    "From: x@y\nBcc: victim@remote.invalid\r\nSubject: s\r\n\r\nb\r\n.\r\n"
'

test_expect_success 'S-07 bare LF inside headers: normalize keeps Bcc a line of its own' '
	ext norm "220 250 250 250 354 250" 1 \
	    "From: x@y\nBcc: victim@remote.invalid\r\nSubject: s\r\n\r\nb\r\n.\r\n" &&
	grep -q "^Bcc: victim@remote.invalid$" "$(last norm)"
'

test_expect_success 'S-09 dot-stuffing is undone' '
	ext strict "220 250 250 250 354 250" 1 "S: d\r\n\r\n..\r\n...\r\n..foo\r\n.\r\n" &&
	sed "1,/^$/d" "$(last strict)" >body &&
	printf ".\n..\n.foo\n" >want && test_cmp want body
'

test_expect_success 'BDAT is framed by length: a dot line inside a chunk ends nothing' '
	body="Subject: one\r\n\r\nbody\r\n.\r\nMAIL FROM:<admin@example.test>\r\n" &&
	len=$(printf "$body" | wc -c) &&
	run strict 127.0.0.9 "220 250 250 250 250" 1 "$EHLO" "$FROM" "$TO" \
	    "BDAT $len LAST\r\n$body" &&
	grep -q "^MAIL FROM:<admin@example.test>$" "$(last strict)"
'

test_expect_success 'S-10 pipelining after HELO: 554 5.5.0 and disconnect' '
	run strict 127.0.0.9 "220 250 554 EOF" 0 "HELO c\r\n" "$FROM$TO"
'

test_expect_success 'S-11 early talker: 554 5.5.0, no greeting' '
	$CHAT -e -r 127.0.0.9 $P_greet "EHLO x\r\n$FROM" >chat.out &&
	expect_replies "554 EOF" chat.out &&
	! grep -q "^S: 220" chat.out
'

test_expect_success 'S-12 EHLO not last in its packet: 554 5.5.0' '
	run strict 127.0.0.9 "220 554 EOF" 0 "EHLO x\r\n$FROM"
'

test_expect_success 'B-01 a 512-octet command line is fine' '
	run strict 127.0.0.9 "220 250" 0 \
	    "NOOP $(printf "%505s" | tr " " x)\r\n"
'

test_expect_success 'overlong command lines get 500 and the session goes on' '
	run strict 127.0.0.9 "220 500 250" 0 \
	    "NOOP $(printf "%8000s" | tr " " x)\r\n" "NOOP\r\n"
'

test_expect_success 'B-03 a 10 MiB flood without CRLF ends the session, the server lives' '
	/usr/bin/python3 -c "import sys; sys.stdout.write(\"A\" * (10 << 20))" >flood &&
	$CHAT -r 127.0.0.9 $P_strict -f flood >chat.out || true
	grep -q "^S: 220" chat.out &&
	run strict 127.0.0.9 "220 250" 0 "NOOP\r\n"
'

test_expect_success 'B-05 bare CR inside a command: 500, QUIT not executed' '
	run strict 127.0.0.9 "220 500" 0 "RSET\rQUIT\r\n"
'

test_expect_success 'B-20 25 unknown commands: 421 after 20 errors' '
	run strict 127.0.0.9 "220 502 502 502 502 502 502 502 502 502 502 502 502 502 502 502 502 502 502 502 502 421 EOF" 0 \
	    "$(for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25; do printf "XYZZY\\\\r\\\\n"; done)"
'

test_expect_success 'B-21 VRFY and EXPN reveal nothing' '
	run strict 127.0.0.9 "220 250 252 502" 0 "$EHLO" "VRFY pipe\r\n" "EXPN list\r\n"
'

test_expect_success 'E-08 NUL in the body: 554, nothing handed off' '
	ext strict "220 250 250 250 354 554" 0 "Subject: a\r\n\r\nabc\x00def\r\n.\r\n"
'

test_expect_success 'a 1001-octet text line is refused, not cut' '
	ext strict "220 250 250 250 354 554" 0 \
	    "Subject: l\r\n\r\n$(printf "%999s" | tr " " y)\r\n.\r\n" &&
	grep -q "^S: 554 5.6.0 Error: message text line longer than 1000 octets" chat.out
'

test_expect_success 'too many recipients: 452 4.5.3, the first three get the message' '
	run limits 127.0.0.9 "220 250 250 250 250 250 452 354 250" 1 "$EHLO" "$FROM" \
	    "RCPT TO:<a@example.test>\r\n" "RCPT TO:<b@example.test>\r\n" \
	    "RCPT TO:<c@example.test>\r\n" "RCPT TO:<d@example.test>\r\n" \
	    "$DATA" "\r\nx\r\n.\r\n" &&
	m=$(last limits) &&
	printf "%s\n" -f alice@remote.invalid -- a@example.test b@example.test c@example.test >want &&
	test_cmp want "$m.args"
'

test_expect_success 'B-17 over message_size_limit: read to the end, 552, next MAIL works' '
	run limits 127.0.0.9 "220 250 250 250 354 552 250" 0 "$EHLO" "$FROM" "$TO" "$DATA" \
	    "Subject: big\r\n\r\n$(printf "%990s\\\\r\\\\n%990s\\\\r\\\\n%990s" | tr " " z)\r\n.\r\n" "$FROM"
'

test_expect_success 'B-14 SIZE over the limit at MAIL' '
	run limits 127.0.0.9 "220 250 552 501" 0 "$EHLO" \
	    "MAIL FROM:<a@remote.invalid> SIZE=2001\r\n" \
	    "MAIL FROM:<a@remote.invalid> SIZE=-1\r\n"
'

test_expect_success 'E-06 more Received: headers than hopcount_limit: 554 5.4.6' '
	ext limits "220 250 250 250 354 554" 0 \
	    "$(for i in 1 2 3 4 5 6; do printf "Received: from h$i\\\\r\\\\n"; done)\r\nloop\r\n.\r\n" &&
	grep -q "^S: 554 5.4.6" chat.out
'

test_expect_success 'E-06 exactly hopcount_limit Received: headers pass' '
	ext limits "220 250 250 250 354 250" 1 \
	    "$(for i in 1 2 3 4 5; do printf "Received: from h$i\\\\r\\\\n"; done)\r\nok\r\n.\r\n"
'

test_expect_success 'B-19 idle timeout: 421 4.4.2 and close' '
	run limits 127.0.0.9 "220 250 421 EOF" 0 "$EHLO" "" &&
	grep -q "^S: 421 4.4.2 mx.example.test Error: timeout exceeded" chat.out
'

test_expect_success 'B-19 the session deadline bounds a client that keeps talking' '
	/usr/bin/python3 - $P_slow <<-\EOP
	import socket, sys, time
	s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
	f = s.makefile("rb")
	assert f.readline().startswith(b"220 ")
	start = time.time()
	while time.time() - start < 6:
	    s.sendall(b"NOOP\r\n")
	    l = f.readline()
	    if l.startswith(b"421 4.4.2"):
	        break
	    assert l.startswith(b"250 "), l
	    time.sleep(0.4)
	else:
	    raise SystemExit("no 421 after 6 s")
	took = time.time() - start
	assert 0.5 < took < 4, took  # the deadline is counted in whole seconds
	EOP
'

test_expect_success 'B-18 (scaled: 4 MiB, the 4.5 GiB run is nightly) one endless line in DATA: 552, read to the end' '
	/usr/bin/python3 -c "import sys; sys.stdout.write(\"A\" * (4 << 20) + \"\r\n.\r\n\")" >bigline &&
	run limits 127.0.0.9 "220 250 250 250 354 552 250" 0 "$EHLO" "$FROM" "$TO" \
	    "$DATA" -f bigline "NOOP\r\n" &&
	grep -q "^S: 552 5.3.4 Error: message file too big" chat.out
'

test_expect_success 'B-18 (scaled) the same as one header line under the size limit: 554 5.6.0' '
	/usr/bin/python3 -c "import sys; sys.stdout.write(\"X-Big: \" + \"A\" * (1 << 20) + \"\r\n\r\nb\r\n.\r\n\")" >bighdr &&
	run strict 127.0.0.9 "220 250 250 250 354 554 250" 0 "$EHLO" "$FROM" "$TO" \
	    "$DATA" -f bighdr "NOOP\r\n" &&
	grep -q "^S: 554 5.6.0 Error: message text line longer than 1000 octets" chat.out
'

# E-07 header bombs: (a) is B-18's header line above; memory stays bounded
# because a line never grows past 1000 octets and fields are not collected.
test_expect_success 'E-07 (b) 100 000 continuation lines: accepted whole, nothing cut' '
	/usr/bin/python3 -c "import sys; sys.stdout.write(\"X-A: a\r\n\" + \" b\r\n\" * 100000 + \"\r\nbody\r\n.\r\n\")" >cont &&
	run strict 127.0.0.9 "220 250 250 250 354 250" 1 "$EHLO" "$FROM" "$TO" \
	    "$DATA" -f cont &&
	test "$(grep -c "^ b$" "$(last strict)")" -eq 100000
'

test_expect_success 'E-07 (c) 20 000 header fields: accepted whole' '
	/usr/bin/python3 -c "import sys; sys.stdout.write(\"\".join(\"X-H%d: v\r\n\" % i for i in range(20000)) + \"\r\nbody\r\n.\r\n\")" >many &&
	run strict 127.0.0.9 "220 250 250 250 354 250" 1 "$EHLO" "$FROM" "$TO" \
	    "$DATA" -f many &&
	test "$(grep -c "^X-H[0-9]*: v$" "$(last strict)")" -eq 20000
'

test_expect_success 'E-07 (d) a first line that is a continuation, (e) a line without colon' '
	ext strict "220 250 250 250 354 250" 1 " continuation without header\r\nno colon here\r\nSubject: s\r\n\r\nb\r\n.\r\n" &&
	grep -q "^ continuation without header$" "$(last strict)" &&
	grep -q "^no colon here$" "$(last strict)" &&
	ext strict "220 250 250 250 354 250" 1 "no colon at all\r\nReturn-Path: <x@y>\r\n\r\nb\r\n.\r\n" &&
	grep -q "^Return-Path: <x@y>$" "$(last strict)"
'

test_expect_success 'E-09 8-bit headers without 8BITMIME, broken encoded-words, deep multipart: stored byte for byte' '
	/usr/bin/python3 - <<-\EOP >mime &&
	import sys
	out = b"Subject: gr\xfc\xdfe =?utf-8?B?!!!?= =?utf-8?Q?caf=C3?=\r\n"
	out += b"From: J\xc3\xbcrgen <j@remote.invalid>\r\nMIME-Version: 1.0\r\n"
	out += b"Content-Type: multipart/mixed; boundary=b0\r\n\r\n"
	for i in range(100):
	    out += b"--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n" % (i, i + 1)
	out += b"--b100\r\n\r\n\xff\xfe bytes\r\n.\r\n"
	sys.stdout.buffer.write(out)
	EOP
	run strict 127.0.0.9 "220 250 250 250 354 250" 1 "$EHLO" "$FROM" "$TO" \
	    "$DATA" -f mime &&
	/usr/bin/python3 - "$(last strict)" <<-\EOP
	import sys
	got = open(sys.argv[1], "rb").read()
	want = open("mime", "rb").read()[:-3].replace(b"\r\n", b"\n")
	assert got.endswith(want), "stored message differs from what was sent"
	EOP
'

# D family: every form must be refused at RCPT, and the DATA after it too.
while IFS='|' read -r name rcpt; do
	test_expect_success "$name: $rcpt refused" "
		run strict 127.0.0.9 '220 250 250 5[0-9][0-9] 554' 0 \"\$EHLO\" \
		    \"\$FROM\" 'RCPT TO:<$rcpt>\r\n' \"\$DATA\"
	"
done <<'EOF2'
D-02 plain|relaytest@remote.invalid
D-06 percent hack|relaytest%remote.invalid@mx.example.test
D-07 quoted, no domain|"relaytest@remote.invalid"
D-08 quoted percent|"relaytest%remote.invalid"
D-09 double @ at our literal|relaytest@remote.invalid@[127.0.0.1]
D-12 source route via our literal|@[127.0.0.1]:relaytest@remote.invalid
D-14 bare bang path|remote.invalid!relaytest
D-15 bang path at our literal|remote.invalid!relaytest@[127.0.0.1]
D-18 trailing dot|x@remote.invalid.
D-19 foreign IPv4 literal|x@[198.51.100.7]
D-19 foreign IPv6 literal|x@[IPv6:2001:db8::1]
EOF2

test_expect_success 'D-03 a forged local sender does not open the relay' '
	run strict 127.0.0.9 "220 250 250 554 554" 0 "$EHLO" \
	    "MAIL FROM:<antispam@mx.example.test>\r\n" \
	    "RCPT TO:<relaytest@remote.invalid>\r\n" "$DATA"
'

test_expect_success 'D-04 a sender at our address literal does not open the relay' '
	run strict 127.0.0.9 "220 250 250 554 554" 0 "$EHLO" \
	    "MAIL FROM:<antispam@[127.0.0.1]>\r\n" \
	    "RCPT TO:<relaytest@remote.invalid>\r\n" "$DATA"
'

test_expect_success 'D-18 <bob@EXAMPLE.TEST.> is local, never relayed' '
	run strict 127.0.0.9 "220 250 250 250 354 250" 1 "$EHLO" "$FROM" \
	    "RCPT TO:<bob@EXAMPLE.TEST.>\r\n" "$DATA" "\r\nx\r\n.\r\n" &&
	grep -qi "^bob@example.test\.\{0,1\}$" "$(last strict).args"
'

# D-22: port 587 without AUTH; every relay form gets 530 at MAIL already.
while IFS='|' read -r name rcpt; do
	test_expect_success "D-22 submission without AUTH, $name: 530" "
		run sub 127.0.0.9 '220 250 530 503 503' 0 \"\$EHLO\" \
		    \"\$FROM\" 'RCPT TO:<$rcpt>\r\n' \"\$DATA\" &&
		grep -q '^S: 530 5.7.0 Authentication required' chat.out
	"
done <<'EOF2'
row 2 plain|relaytest@remote.invalid
row 6 percent hack|relaytest%remote.invalid@mx.example.test
row 9 double @|relaytest@remote.invalid@[127.0.0.1]
row 12 source route|@[127.0.0.1]:relaytest@remote.invalid
row 15 bang path|remote.invalid!relaytest@[127.0.0.1]
local user|bob@example.test
EOF2

test_expect_success 'D-22 submission without AUTH: the null sender too' '
	run sub 127.0.0.9 "220 250 530 503" 0 "$EHLO" "MAIL FROM:<>\r\n" \
	    "RCPT TO:<relaytest@remote.invalid>\r\n"
'

test_expect_success 'D-01 null sender to a remote domain: 554 5.7.1 Relay access denied' '
	run strict 127.0.0.9 "220 250 250 554 554" 0 "$EHLO" "MAIL FROM:<>\r\n" \
	    "RCPT TO:<relaytest@remote.invalid>\r\n" "$DATA" &&
	grep -q "^S: 554 5.7.1 <relaytest@remote.invalid>: Relay access denied" chat.out
'

test_expect_success 'D-20 <postmaster> without a domain is accepted and local' '
	run strict 127.0.0.9 "220 250 250 250 354 250" 1 "$EHLO" "$FROM" \
	    "RCPT TO:<postmaster>\r\n" "$DATA" "\r\nx\r\n.\r\n" &&
	grep -q "^postmaster@mx.example.test$" "$(last strict).args"
'

test_expect_success 'D-21 XCLIENT and PROXY do not change who the client is' '
	run strict 127.0.0.9 "220 502 250 502 250 554" 0 \
	    "PROXY TCP4 127.0.0.1 127.0.0.1 1 25\r\n" "$EHLO" \
	    "XCLIENT ADDR=127.0.0.1\r\n" "$FROM" "RCPT TO:<relaytest@remote.invalid>\r\n"
'

test_expect_success 'a client in mynetworks may relay' '
	run strict 127.0.0.1 "220 250 250 250 354 250" 1 "$EHLO" "$FROM" \
	    "RCPT TO:<relaytest@remote.invalid>\r\n" "$DATA" "\r\nx\r\n.\r\n" &&
	grep -q "^relaytest@remote.invalid$" "$(last strict).args"
'

test_expect_success 'after all that, a fresh session still answers NOOP' '
	run strict 127.0.0.9 "220 250" 0 "NOOP\r\n"
'

test_done
