#!/bin/sh
# smtp-listen's command line and ways of running: usage errors, inetd mode
# on a socket and on pipes (where the peer comes from the environment),
# standalone on IPv4 and IPv6 with -1, the connection limit, systemd
# socket activation both ways, and dropping privileges with -u.  Every
# server is started here, outside the tests, so the EXIT trap kills it.
. "$top_srcdir/t/test-lib.sh"
. "$FIXTURES/smtpd/lib.sh"

write_conf
INETD="/usr/bin/python3 $FIXTURES/smtpd/inetd.py"

free_port() {
	/usr/bin/python3 -c "import socket; s = socket.socket(); s.bind((\"127.0.0.1\", 0)); print(s.getsockname()[1])"
}

# wait_port FILE [LINES] - until a server printed its port(s)
wait_port() {
	i=0
	while [ "$(wc -l <"$1")" -lt "${2:-1}" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}

start_server busy
P_busy=$PORT
start_server limit -c 1
P_limit=$PORT
smtp-listen -1 -l 127.0.0.1:0 -C main.cf -o command_time_limit=1s -- \
    sh -c 'cat >/dev/null; exec sleep 30' >port.slow 2>log.slow &
test_bg $!
mkdir -p out.inetd out.v6 out.sd out.u
chmod 777 out.u
TCPREMOTEIP=127.0.0.1 $INETD -- smtp-listen -C main.cf -- \
    "$RECORD" "$TRASH/out.inetd" >port.inetd &
test_bg $!
TCPREMOTEIP=127.0.0.1 $INETD -p -- smtp-listen -C main.cf -- \
    "$RECORD" "$TRASH/out.inetd" >port.pipes &
test_bg $!
$INETD -p -- env -u TCPREMOTEIP -u REMOTE_ADDR -u REMOTE_HOST \
    smtp-listen -C main.cf -v -- "$RECORD" "$TRASH/out.inetd" \
    >port.pipes2 2>log.pipes2 &
test_bg $!
smtp-listen -1 -l "[::1]:0" -C main.cf -- "$RECORD" "$TRASH/out.v6" \
    >port.v6 2>log.v6 &
test_bg $!
smtp-listen -1 -l 127.0.0.1:0 -l "[::1]:0" -C main.cf -- cat \
    >port.two 2>/dev/null &
test_bg $!
P_sd=$(free_port)
systemd-socket-activate -l 127.0.0.1:$P_sd smtp-listen -C "$TRASH/main.cf" \
    -- "$RECORD" "$TRASH/out.sd" 2>log.sd &
test_bg $!
P_sda=$(free_port)
systemd-socket-activate --accept -l 127.0.0.1:$P_sda smtp-listen \
    -C "$TRASH/main.cf" -- "$RECORD" "$TRASH/out.sd" 2>log.sda &
test_bg $!
if [ "$(id -u)" -eq 0 ]; then
	smtp-listen -1 -l 127.0.0.1:0 -u nobody -C main.cf -- \
	    sh -c 'id -u >"$0"; cat >/dev/null' "$TRASH/out.u/uid" \
	    >port.u 2>log.u &
	test_bg $!
fi
for f in port.inetd port.pipes port.pipes2 port.v6 port.slow; do
	wait_port $f
done
wait_port port.two 2

test_expect_success 'no hand-off command: the queue, made at start (t/0590 for the rest)' '
	sleep 0.2 | smtp-listen -C main.cf -o queue_directory="$TRASH/q" >out &&
	test_grep "^220 " out &&
	test -d q/queue && test -d q/tmp
'

test_expect_success 'usage: an unknown option' '
	test_expect_code 64 smtp-listen -X -- cat 2>err &&
	test_grep "^usage: smtp-listen" err
'

test_expect_success 'a bad -l address is a usage error' '
	test_expect_code 64 smtp-listen -C main.cf -l nonsense -- cat 2>err &&
	test_grep "nonsense" err &&
	test_expect_code 64 smtp-listen -C main.cf -l example.test:25 -- cat 2>err
'

test_expect_success 'a port in use cannot be bound (71)' '
	test_expect_code 71 smtp-listen -C main.cf -l 127.0.0.1:$P_busy -- cat 2>err &&
	test_grep "127.0.0.1:$P_busy" err
'

test_expect_success 'configuration errors exit 78' '
	test_expect_code 78 smtp-listen -C nonexistent.cf -- cat 2>err &&
	test_expect_code 78 smtp-listen -C main.cf -o mynetworks=mx.example.test -- cat 2>err &&
	test_grep "mx.example.test" err &&
	test_expect_code 78 smtp-listen -C main.cf -o smtpd_forbid_bare_newline=maybe -- cat 2>err &&
	test_expect_code 78 smtp-listen -C main.cf -o smtpd_timeout=soon -- cat 2>err
'

test_expect_success 'inetd mode on a socket: the peer is getpeername(0), not TCPREMOTEIP' '
	$CHAT -r 127.0.0.9 "$(cat port.inetd)" "EHLO c\r\n" "MAIL FROM:<a@remote.invalid>\r\n" \
	    "RCPT TO:<x@remote.invalid>\r\n" "RCPT TO:<bob@example.test>\r\n" "DATA\r\n" \
	    "\r\nvia inetd\r\n.\r\n" "QUIT\r\n" >chat.out &&
	expect_replies "220 250 250 554 250 354 250 221 EOF" chat.out &&
	test "$(nmsg inetd)" -eq 1
'

test_expect_success 'inetd mode on pipes: the peer comes from TCPREMOTEIP' '
	$CHAT -r 127.0.0.9 "$(cat port.pipes)" "EHLO c\r\n" "MAIL FROM:<a@remote.invalid>\r\n" \
	    "RCPT TO:<x@remote.invalid>\r\n" "QUIT\r\n" >chat.out &&
	expect_replies "220 250 250 250 221 EOF" chat.out
'

test_expect_success 'inetd mode on pipes without any peer variable: unknown, not trusted' '
	$CHAT "$(cat port.pipes2)" "EHLO c\r\n" "MAIL FROM:<a@remote.invalid>\r\n" \
	    "RCPT TO:<x@remote.invalid>\r\n" "QUIT\r\n" >chat.out &&
	expect_replies "220 250 250 554 221 EOF" chat.out &&
	sleep 0.2 &&
	test_grep "connect from unknown\[unknown\]" log.pipes2
'

test_expect_success 'standalone on IPv6 [::1]:0 with -1' '
	/usr/bin/python3 - "$(cat port.v6)" <<-\EOP &&
	import smtplib, sys
	s = smtplib.SMTP("::1", int(sys.argv[1]))
	code, msg = s.ehlo("v6.example")
	assert code == 250, (code, msg)
	r = s.sendmail("a@remote.invalid", ["bob@example.test"], "Subject: v6\r\n\r\nx\r\n")
	assert r == {}
	s.quit()
	EOP
	test "$(nmsg v6)" -eq 1 &&
	grep -q "^Received: from v6.example (\[IPv6:::1\])$" "$(last v6)"
'

test_expect_success 'two -l addresses: -1 prints both ports' '
	test "$(wc -l <port.two)" -eq 2 &&
	! grep -qv "^[0-9][0-9]*$" port.two
'

test_expect_success 'the connection limit: more get 421 4.7.0' '
	/usr/bin/python3 - "$P_limit" <<-\EOP
	import socket, sys, time
	port = int(sys.argv[1])
	a = socket.create_connection(("127.0.0.1", port))
	assert a.recv(100).startswith(b"220 ")
	b = socket.create_connection(("127.0.0.1", port))
	got = b.recv(100)
	assert got.startswith(b"421 4.7.0 mx.example.test Error: too many connections"), got
	a.sendall(b"QUIT\r\n")
	assert a.recv(100).startswith(b"221 ")
	a.close()
	for i in range(50):
	    time.sleep(0.1)
	    c = socket.create_connection(("127.0.0.1", port))
	    if c.recv(100).startswith(b"220 "):
	        break
	else:
	    raise SystemExit("the slot never came back")
	EOP
'

test_expect_success 'command_time_limit: a hung hand-off is killed, 451 4.4.2' '
	start=$(date +%s) &&
	$CHAT "$(head -n 1 port.slow)" "EHLO c\r\n" "MAIL FROM:<a@example.test>\r\n" \
	    "RCPT TO:<b@example.test>\r\n" "DATA\r\n" "Subject: s\r\n\r\nb\r\n.\r\n" \
	    "NOOP\r\n" >chat.out &&
	end=$(date +%s) &&
	test_grep "^S: 451 4.4.2 sh: command time limit of 1s exceeded" chat.out &&
	test_grep "^S: 250 2.0.0 Ok" chat.out &&
	test $((end - start)) -lt 20
'

test_expect_success 'systemd socket activation: a listening socket in LISTEN_FDS' '
	$CHAT $P_sd "EHLO c\r\n" "MAIL FROM:<a@remote.invalid>\r\n" "RCPT TO:<bob@example.test>\r\n" \
	    "DATA\r\n" "\r\nsd\r\n.\r\n" "QUIT\r\n" >chat.out &&
	$CHAT $P_sd "NOOP\r\n" >chat2.out &&
	expect_replies "220 250 250 250 354 250 221 EOF" chat.out &&
	expect_replies "220 250" chat2.out &&
	test "$(nmsg sd)" -eq 1
'

test_expect_success 'systemd socket activation with --accept: the connection on fd 3' '
	$CHAT $P_sda "EHLO c\r\n" "MAIL FROM:<a@remote.invalid>\r\n" "RCPT TO:<bob@example.test>\r\n" \
	    "DATA\r\n" "\r\nsd\r\n.\r\n" "QUIT\r\n" >chat.out &&
	expect_replies "220 250 250 250 354 250 221 EOF" chat.out &&
	test "$(nmsg sd)" -eq 2
'

if [ "$(id -u)" -eq 0 ]; then
	test_expect_success '-u: as root, the session and the hand-off run as that user' '
		wait_port port.u &&
		$CHAT "$(cat port.u)" "EHLO c\r\n" "MAIL FROM:<a@remote.invalid>\r\n" \
		    "RCPT TO:<bob@example.test>\r\n" "DATA\r\n" "\r\nx\r\n.\r\n" >chat.out &&
		expect_replies "220 250 250 250 354 250" chat.out &&
		test "$(cat out.u/uid)" = "$(id -u nobody)"
	'
else
	test_expect_success '-u: without root, changing user fails (71)' '
		test_expect_code 71 smtp-listen -1 -l 127.0.0.1:0 -u nobody -C main.cf -- cat 2>err &&
		test_grep "cannot become nobody" err
	'
fi

test_done
