#!/bin/sh
# smtp-listen under a real xinetd on a loopback port, in inetd mode: the
# service entry has the shape of examples/xinetd.smtp-listen; the client's
# address comes from getpeername(0) (xinetd's REMOTE_HOST is not needed),
# so an outside client may not relay while local mail is handed off.
. "$top_srcdir/t/test-lib.sh"
. "$FIXTURES/smtpd/lib.sh"

write_conf
mkdir -p out.x
P=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
user=
[ "$(id -u)" -eq 0 ] && user="user = root"
cat >xinetd.conf <<EOC
defaults
{
	log_type = FILE $TRASH/xinetd.log
}

service smtp-listen-test
{
	type		= UNLISTED
	socket_type	= stream
	protocol	= tcp
	wait		= no
	$user
	port		= $P
	bind		= 127.0.0.1
	server		= $(command -v smtp-listen)
	server_args	= -C $TRASH/main.cf -- $RECORD $TRASH/out.x
	instances	= 5
	log_on_success	= HOST PID
	disable		= no
}
EOC
xinetd -dontfork -f "$TRASH/xinetd.conf" -pidfile "$TRASH/xinetd.pid" 2>xinetd.err &
test_bg $!
i=0
while ! /usr/bin/python3 -c "import socket; socket.create_connection(('127.0.0.1', $P)).close()" 2>/dev/null &&
    [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done

test_expect_success 'xinetd starts smtp-listen per connection: a local message' '
	$CHAT -r 127.0.0.9 $P "EHLO x.example\r\n" "MAIL FROM:<a@remote.invalid>\r\n" \
	    "RCPT TO:<bob@example.test>\r\n" "DATA\r\n" "Subject: xinetd\r\n\r\nx\r\n.\r\n" \
	    "QUIT\r\n" >chat.out &&
	expect_replies "220 250 250 250 354 250 221 EOF" chat.out &&
	grep -q "^Subject: xinetd$" "$(last x)" &&
	grep -q "^Received: from x.example (\[127.0.0.9\])$" "$(last x)"
'

test_expect_success 'under xinetd an outside client still may not relay' '
	$CHAT -r 127.0.0.9 $P "EHLO x.example\r\n" "MAIL FROM:<a@remote.invalid>\r\n" \
	    "RCPT TO:<x@remote.invalid>\r\n" >chat.out &&
	expect_replies "220 250 250 554" chat.out
'

test_expect_success 'a second connection gets its own process' '
	$CHAT $P "NOOP\r\n" >a.out &&
	$CHAT $P "NOOP\r\n" >b.out &&
	expect_replies "220 250" a.out &&
	expect_replies "220 250" b.out &&
	test "$(grep -c "START: smtp-listen-test" xinetd.log)" -ge 4
'

test_done
