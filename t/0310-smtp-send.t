#!/bin/sh
# SPDX-License-Identifier: ISC
# smtp-send against real SMTP servers (aiosmtpd, scripted per recipient) on
# loopback addresses, with dnsmasq serving the test zone for the MX cases,
# and a test CA made here with openssl for STARTTLS.
. "$top_srcdir/t/test-lib.sh"
. "$FIXTURES/dns/lib.sh"
. "$FIXTURES/smtp-send/lib.sh"

dns_start

# A test CA, and a certificate for sink.example.test (127.0.0.1 in the zone).
smtp_test_ca

smtp_start plain
smtp_start greet --greeting '554 5.3.2 no service here'
smtp_start drop --drop
smtp_start d451 --data-reply '451 4.3.0 try again later'
smtp_start d554 --data-reply '554 5.7.1 content rejected'
smtp_start lost --drop-after-data
smtp_start tls --tls srv.pem srv.key --auth user:s3cr3t-pw
smtp_start cleartext --auth user:s3cr3t-pw --auth-cleartext
smtp_start noutf8 --no-utf8
smtp_start small --size 100
smtp_start smtps --tls srv.pem srv.key --implicit-tls
smtp_start garbage --greeting 'abc'
smtp_start flood --flood 1048576
smtp_start badtls --tls srv.pem srv.key --bad-starttls
smtp_start tls454 --tls srv.pem srv.key --starttls-reply '454 4.7.0 TLS not available'
smtp_start closing --close-after-data
smtp_start slow --data-delay 3
# MX fallback: multi.example.test has MX 10 mxa (127.0.0.2, nothing
# listens), 20 mxb (127.0.0.3, greets with 421), 30 mxc (127.0.0.4).
smtp_start mxc --addr 127.0.0.4
smtp_start mxb --addr 127.0.0.3 --port "$PORT_mxc" --greeting '421 4.3.2 busy, try later'
# sink.example.test (127.0.0.1, implicit MX) on the same port
smtp_start sinkd --port "$PORT_mxc"

printf '%s\n' 'myhostname = client.example.test' \
    "dns_server = 127.0.0.1:$DNS_PORT" \
    "smtp_tls_CAfile = $TRASH/ca.pem" >main.cf
MAILPATH_CONF=$TRASH/main.cf
export MAILPATH_CONF
relay() {
	eval "echo \"[127.0.0.1]:\$PORT_$1\""
}
printf 'Subject: test\n\nhello\n' >msg

test_expect_success 'a plain session: the exact transcript' "
	smtp-send -v -f sender@client.example.test -r $(relay plain) \
	    rcpt@example.net <msg >out 2>err &&
	sed 's/:$PORT_plain\$/:PORT/' err >got &&
	test_cmp '$FIXTURES/smtp-send/plain.transcript' got &&
	printf 'rcpt@example.net\t2.0.0\tsent\t250 2.0.0 OK queued as T1\t127.0.0.1[127.0.0.1]:$PORT_plain\n' >want &&
	test_cmp want out
"

test_expect_success 'per recipient: 250, 550, 450, 250 in one session' "
	test_expect_code 67 smtp-send -f s@client.example.test -r $(relay plain) \
	    a@y.test nouser@y.test temp@y.test b@y.test <msg >out 2>err &&
	cut -f1-4 out >got &&
	cat >want <<-\EOF &&
	a@y.test	2.0.0	sent	250 2.0.0 OK queued as T1
	nouser@y.test	5.1.1	bounced	550 5.1.1 <nouser@y.test>: no such user
	temp@y.test	4.2.1	deferred	450 4.2.1 <temp@y.test>: mailbox busy
	b@y.test	2.0.0	sent	250 2.0.0 OK queued as T1
	EOF
	test_cmp want got &&
	echo '5.1.1 nouser@y.test: 550 5.1.1 <nouser@y.test>: no such user' >want &&
	test_cmp want err &&
	tail -1 '$TRASH/plain.log' | grep -q '\"to\": \[\"a@y.test\", \"b@y.test\"\]'
"

test_expect_success 'deferred and none bounced: exit 75' "
	test_expect_code 75 smtp-send -f s@x.test -r $(relay plain) \
	    a@y.test temp@y.test <msg >out &&
	test_grep '^temp@y.test	4.2.1	deferred' out
"

test_expect_success '-j: one JSON object per recipient' "
	test_expect_code 67 smtp-send -j -f s@x.test -r $(relay plain) \
	    a@y.test nouser@y.test <msg >out 2>/dev/null &&
	/usr/bin/python3 -c '
import json, sys
r = [json.loads(l) for l in open(\"out\")]
assert [x[\"status\"] for x in r] == [\"sent\", \"bounced\"], r
assert r[1][\"dsn\"] == \"5.1.1\" and r[1][\"code\"] == 550, r
assert r[0][\"relay\"].startswith(\"127.0.0.1[127.0.0.1]:\"), r
'
"

test_expect_success 'bare LF and bare CR become CRLF on the wire (J-05)' "
	printf 'Subject: lf\n\nline1\nline2\rline3\r\n' |
	    smtp-send -f s@x.test -r $(relay plain) a@y.test >out &&
	tail -1 '$TRASH/plain.log' >rec &&
	/usr/bin/python3 -c '
import json
d = json.loads(open(\"rec\").read())[\"data\"]
assert d == \"Subject: lf\r\n\r\nline1\r\nline2\r\nline3\r\n\", repr(d)
'
"

test_expect_success 'dot-stuffing: ., .., .foo; a long line folded (J-07)' "
	long=\$(/usr/bin/python3 -c 'print(\"x\" * 999 + \".\" + \"y\" * 500)') &&
	printf 'Subject: dots\n\n.\n..\n.foo\n%s\nend' \"\$long\" >dots &&
	smtp-send -v -f s@x.test -r $(relay plain) a@y.test <dots >out 2>err &&
	test_grep '^C: \.\.$' err && test_grep '^C: \.\.\.$' err &&
	test_grep '^C: \.\.foo$' err &&
	tail -1 '$TRASH/plain.log' >rec &&
	LONG=\$long /usr/bin/python3 -c '
import json, os
d = json.loads(open(\"rec\").read())[\"data\"]
l = os.environ[\"LONG\"]
want = \"Subject: dots\r\n\r\n.\r\n..\r\n.foo\r\n\" + l[:998] + \"\r\n \" + l[998:] + \"\r\nend\r\n\"
assert d == want, repr(d[:80])
'
"

test_expect_success 'SIZE is declared' "
	smtp-send -f s@x.test -r $(relay plain) a@y.test <msg >out &&
	tail -1 '$TRASH/plain.log' | grep -q '\"mail_options\": \[\"SIZE=24\"\]'
"

test_expect_success 'larger than the server SIZE: bounced 5.3.4, not sent' "
	/usr/bin/python3 -c 'print(\"Subject: big\n\n\" + \"z\" * 200)' >big &&
	test_expect_code 65 smtp-send -f s@x.test -r $(relay small) a@y.test \
	    <big >out &&
	test_grep '	5.3.4	bounced	' out &&
	! test -s '$TRASH/small.log'
"

test_expect_success 'the null sender' "
	smtp-send -v -f '' -r $(relay plain) a@y.test <msg >out 2>err &&
	test_grep '^C: MAIL FROM:<> SIZE=' err
"

test_expect_success 'a bad recipient address is bounced, others sent' "
	test_expect_code 65 smtp-send -f s@x.test -r $(relay plain) \
	    'a b@y.test' ok@y.test <msg >out &&
	test_grep '^a b@y.test	5.1.3	bounced	' out &&
	test_grep '^ok@y.test	2.0.0	sent	' out
"

test_expect_success 'a sender with CR: nothing is sent, exit 65' "
	test_expect_code 65 smtp-send -f \"\$(printf 's\rx@x.test')\" \
	    -r $(relay plain) a@y.test <msg >out 2>err &&
	test_grep '^5.1.7 ' err && ! test -s out
"

test_expect_success 'a U-label domain goes out in A-labels' "
	smtp-send -v -f s@x.test -r $(relay plain) a@bücher.example <msg \
	    >out 2>err &&
	test_grep '^C: RCPT TO:<a@xn--bcher-kva.example>' err
"

test_expect_success 'SMTPUTF8 offered: a UTF-8 local part goes out' "
	smtp-send -f s@x.test -r $(relay plain) jürgen@y.test <msg >out &&
	tail -1 '$TRASH/plain.log' | grep -q 'SMTPUTF8'
"

test_expect_success 'SMTPUTF8 not offered: 5.6.7 for it, the others sent' "
	test_expect_code 69 smtp-send -f s@x.test -r $(relay noutf8) \
	    jürgen@y.test ascii@y.test <msg >out &&
	test_grep '^jürgen@y.test	5.6.7	bounced	' out &&
	test_grep '^ascii@y.test	2.0.0	sent	' out &&
	test \$(wc -l <'$TRASH/noutf8.log') = 1 &&
	! grep -q jürgen '$TRASH/noutf8.log'
"

test_expect_success 'a 554 greeting: deferred, exit 75' "
	test_expect_code 75 smtp-send -f s@x.test -r $(relay greet) a@y.test \
	    <msg >out &&
	test_grep 'deferred	.*refused to talk to me: 554 5.3.2 no service here' out
"

test_expect_success 'a dropped connection: deferred' "
	test_expect_code 75 smtp-send -f s@x.test -r $(relay drop) a@y.test \
	    <msg >out &&
	test_grep '^a@y.test	4\.[0-9.]*	deferred	' out
"

test_expect_success 'a closed port: deferred 4.4.1' "
	test_expect_code 75 smtp-send -f s@x.test -r '[127.0.0.1]:1' a@y.test \
	    <msg >out &&
	test_grep '^a@y.test	4.4.1	deferred	connect to ' out
"

test_expect_success '451 after DATA: deferred; 554 after DATA: bounced' "
	test_expect_code 75 smtp-send -f s@x.test -r $(relay d451) a@y.test \
	    <msg >out &&
	test_grep '^a@y.test	4.3.0	deferred	451 4.3.0 try again later' out &&
	test_expect_code 69 smtp-send -f s@x.test -r $(relay d554) a@y.test \
	    <msg >out &&
	test_grep '^a@y.test	5.7.1	bounced	554 5.7.1 content rejected' out
"

test_expect_success 'no reply after the body: deferred (J-11)' "
	test_expect_code 75 smtp-send -f s@x.test -r $(relay lost) a@y.test \
	    <msg >out &&
	test_grep '^a@y.test	4.4.2	deferred	lost connection after end of data' out
"

test_expect_success 'MX fallback: refused, 421 greeting, then the third' "
	smtp-send -v -f s@x.test -r multi.example.test:$PORT_mxc a@y.test \
	    <msg >out 2>err &&
	grep '^-- connecting' err >got &&
	printf -- '-- connecting to %s\n' 'mxa.example.test[127.0.0.2]:$PORT_mxc' \
	    'mxb.example.test[127.0.0.3]:$PORT_mxc' \
	    'mxc.example.test[127.0.0.4]:$PORT_mxc' >want &&
	test_cmp want got &&
	test_grep '	sent	250 2.0.0 OK queued as T1	mxc.example.test\[127.0.0.4\]' out
"

test_expect_success 'no relay: by domain to its MX hosts (smtp_tcp_port)' "
	cp main.cf mx.cf && echo 'smtp_tcp_port = $PORT_mxc' >>mx.cf &&
	smtp-send -C mx.cf -v -f s@x.test a@multi.example.test \
	    c@sink.example.test b@multi.example.test <msg >out 2>err &&
	cut -f1,3,5 out >got &&
	printf '%s\tsent\t%s\n' \
	    a@multi.example.test 'mxc.example.test[127.0.0.4]:$PORT_mxc' \
	    c@sink.example.test 'sink.example.test[127.0.0.1]:$PORT_mxc' \
	    b@multi.example.test 'mxc.example.test[127.0.0.4]:$PORT_mxc' >want &&
	test_cmp want got &&
	tail -1 '$TRASH/mxc.log' |
	    grep -q '\"to\": \[\"a@multi.example.test\", \"b@multi.example.test\"\]' &&
	tail -1 '$TRASH/sinkd.log' | grep -q '\"to\": \[\"c@sink.example.test\"\]' &&
	test \$(grep -c '^C: MAIL FROM' err) = 2
"

test_expect_success 'no relay: a domain without mail host bounces, others go' "
	test_expect_code 69 smtp-send -C mx.cf -f s@x.test a@nullmx.example.test \
	    c@sink.example.test <msg >out &&
	test_grep '^a@nullmx.example.test	5.1.10	bounced	' out &&
	test_grep '^c@sink.example.test	2.0.0	sent	' out
"

test_expect_success 'the relay by MX: null MX bounces 5.1.10, NXDOMAIN 5.1.2' "
	test_expect_code 69 smtp-send -f s@x.test -r nullmx.example.test \
	    a@y.test <msg >out &&
	test_grep '	5.1.10	bounced	nullmx.example.test does not accept mail' out &&
	test_expect_code 68 smtp-send -f s@x.test -r nosuch.example.test \
	    a@y.test <msg >out &&
	test_grep '	5.1.2	bounced	' out
"

test_expect_success 'TLS may: STARTTLS when offered' "
	smtp-send -v -f s@x.test -r $(relay tls) a@y.test <msg >out 2>err &&
	test_grep '^C: STARTTLS' err && test_grep '^-- TLS: TLSv1' err &&
	tail -1 '$TRASH/tls.log' | grep -q '\"tls\": true'
"

test_expect_success 'TLS may: plain text when not offered' "
	smtp-send -v -f s@x.test -r $(relay plain) a@y.test <msg >out 2>err &&
	! grep -q '^C: STARTTLS' err && test_grep '	sent	' out
"

test_expect_success 'TLS none: no STARTTLS even when offered' "
	cp main.cf none.cf && echo 'smtp_tls_security_level = none' >>none.cf &&
	smtp-send -C none.cf -v -f s@x.test -r $(relay tls) a@y.test <msg \
	    >out 2>err &&
	! grep -q '^C: STARTTLS' err &&
	tail -1 '$TRASH/tls.log' | grep -q '\"tls\": false'
"

test_expect_success 'TLS encrypt, not offered: deferred 4.7.4 (J-02)' "
	cp main.cf enc.cf && echo 'smtp_tls_security_level = encrypt' >>enc.cf &&
	test_expect_code 75 smtp-send -C enc.cf -f s@x.test -r $(relay plain) \
	    a@y.test <msg >out &&
	test_grep '	4.7.4	deferred	TLS is required, but was not offered' out
"

test_expect_success 'TLS verify: the test CA and the MX name check out' "
	cp main.cf ver.cf && echo 'smtp_tls_security_level = verify' >>ver.cf &&
	smtp-send -C ver.cf -f s@x.test -r sink.example.test:$PORT_tls \
	    a@y.test <msg >out &&
	test_grep '	sent	.*sink.example.test\[127.0.0.1\]' out
"

test_expect_success 'TLS verify: a name that does not match is deferred (J-03)' "
	test_expect_code 75 smtp-send -C ver.cf -f s@x.test -r $(relay tls) \
	    a@y.test <msg >out &&
	test_grep '	4.7.5	deferred	TLS with ' out
"

test_expect_success 'TLS verify: a CA we do not know is deferred' "
	sed '/smtp_tls_CAfile/d' ver.cf >noca.cf &&
	test_expect_code 75 smtp-send -C noca.cf -f s@x.test \
	    -r sink.example.test:$PORT_tls a@y.test <msg >out &&
	test_grep '	4.7.5	deferred	' out
"

test_expect_success 'smtp_tls_wrappermode: TLS from the start (smtps)' "
	cp main.cf wrap.cf && echo 'smtp_tls_wrappermode = yes' >>wrap.cf &&
	smtp-send -C wrap.cf -v -f s@x.test -r $(relay smtps) a@y.test <msg \
	    >out 2>err &&
	test_grep '	sent	' out && test_grep '^-- TLS: TLSv1' err &&
	! grep -q '^C: STARTTLS' err &&
	grep -A1 '^-- connecting' err | grep -q '^-- TLS: TLSv1' &&
	test \$(wc -l <'$TRASH/smtps.log') = 1
"

test_expect_success 'a greeting that is no reply: deferred, never sent (J-10)' "
	cp main.cf short.cf && echo 'smtp_connect_timeout = 2s' >>short.cf &&
	test_expect_code 75 smtp-send -C short.cf -v -f s@x.test \
	    -r $(relay garbage) a@y.test <msg >out 2>err &&
	test_grep '^S: abc' err &&
	test_grep '	4.5.0	deferred	.*protocol error: a line that is no reply: abc' out
"

test_expect_success '250 then a close before QUIT: sent, not resent (J-11)' "
	smtp-send -v -f s@x.test -r $(relay closing) a@y.test <msg >out 2>err &&
	test_grep '^a@y.test	2.0.0	sent	250 2.0.0 OK' out &&
	test \$(grep -c '^-- connecting' err) = 1 &&
	test \$(wc -l <'$TRASH/closing.log') = 1
"

test_expect_success 'a reply slower than its timeout: deferred (J-13)' "
	cp main.cf slow.cf && echo 'smtp_data_done_timeout = 1s' >>slow.cf &&
	test_expect_code 75 smtp-send -C slow.cf -f s@x.test -r $(relay slow) \
	    a@y.test <msg >out &&
	test_grep '^a@y.test	4.4.2	deferred	' out
"

test_expect_success 'STARTTLS answered 454: plain text at may (J-02)' "
	smtp-send -v -f s@x.test -r $(relay tls454) a@y.test <msg >out 2>err &&
	test_grep '^S: 454 4.7.0 TLS not available' err &&
	test_grep '	sent	' out
"

test_expect_success 'STARTTLS answered 454: deferred at encrypt (J-02)' "
	test_expect_code 75 smtp-send -C enc.cf -f s@x.test -r $(relay tls454) \
	    a@y.test <msg >out &&
	test_grep '	4.7.5	deferred	TLS with .*454' out &&
	test \$(wc -l <'$TRASH/tls454.log') = 1
"

test_expect_success 'a 1 MiB reply line: deferred, memory bounded (J-09)' "
	test_expect_code 75 smtp-send -f s@x.test -r $(relay flood) a@y.test \
	    <msg >out &&
	test_grep '	4.4.2	deferred	.*Too large response' out
"

test_expect_success 'TLS may: a failed handshake, then plain text' "
	smtp-send -v -f s@x.test -r $(relay badtls) a@y.test <msg >out 2>err &&
	test \$(grep -c '^-- connecting' err) = 2 &&
	test \$(grep -c '^C: STARTTLS' err) = 1 &&
	test_grep '	sent	' out &&
	tail -1 '$TRASH/badtls.log' | grep -q '\"tls\": false'
"

test_expect_success 'TLS encrypt: a failed handshake is deferred 4.7.5' "
	test_expect_code 75 smtp-send -C enc.cf -f s@x.test -r $(relay badtls) \
	    a@y.test <msg >out &&
	test_grep '	4.7.5	deferred	TLS with ' out
"

test_expect_success 'AUTH from smtp_sasl_password_maps, inside TLS' "
	smtp_sasl_conf $PORT_tls $PORT_cleartext &&
	smtp-send -C auth.cf -v -f s@x.test -r $(relay tls) a@y.test <msg \
	    >out 2>err &&
	test_grep '	sent	' out &&
	tail -1 '$TRASH/tls.log' | grep -q '\"tls\": true, \"auth\": true' &&
	test_grep '^C: AUTH PLAIN' err && test_grep '^C: <hidden>' err
"

test_expect_success 'credentials never appear in the output' "
	b64=\$(printf '\000user\000s3cr3t-pw' | base64) &&
	! grep -e s3cr3t -e \"\$b64\" out err
"

test_expect_success 'credentials but no STARTTLS: not sent in clear, deferred' "
	test_expect_code 75 smtp-send -C auth.cf -v -f s@x.test \
	    -r $(relay cleartext) a@y.test <msg >out 2>err &&
	test_grep '	4.7.4	deferred	' out &&
	! grep -q '^C: AUTH' err && ! test -s '$TRASH/cleartext.log'
"

test_expect_success 'smtp_tls_auth_only = no: AUTH without TLS' "
	cp auth.cf clear.cf && echo 'smtp_tls_auth_only = no' >>clear.cf &&
	smtp-send -C clear.cf -v -f s@x.test -r $(relay cleartext) a@y.test \
	    <msg >out 2>err &&
	test_grep '	sent	' out &&
	tail -1 '$TRASH/cleartext.log' | grep -q '\"auth\": true' &&
	b64=\$(printf '\000user\000s3cr3t-pw' | base64) &&
	! grep -e s3cr3t -e \"\$b64\" out err
"

test_expect_success 'a wrong password: deferred 4.7.0' "
	printf '[127.0.0.1]:%s user:wrong\n' $PORT_tls >sasl &&
	postmap hash:sasl &&
	test_expect_code 75 smtp-send -C auth.cf -f s@x.test -r $(relay tls) \
	    a@y.test <msg >out &&
	test_grep '	4.7.0	deferred	SASL authentication .* failed' out
"

test_expect_success 'AUTH: the host name is the second key' "
	printf 'sink.example.test user:s3cr3t-pw\n' >sasl2 &&
	postmap hash:sasl2 &&
	sed 's/^smtp_sasl_password_maps.*/smtp_sasl_password_maps = hash:sasl2/' \
	    auth.cf >auth2.cf &&
	smtp-send -C auth2.cf -v -f s@x.test -r sink.example.test:$PORT_tls \
	    a@y.test <msg >out 2>err &&
	test_grep '	sent	' out && test_grep '^C: AUTH PLAIN' err &&
	tail -1 '$TRASH/tls.log' | grep -q '\"auth\": true'
"

test_expect_success 'usage: no recipient, a bad option; bad relay, DNS server' "
	test_expect_code 64 smtp-send <msg 2>err &&
	test_grep '^usage: smtp-send' err &&
	test_expect_code 64 smtp-send -x a@y.test <msg &&
	test_expect_code 78 smtp-send -f s@x.test -r '[bad' a@y.test <msg >out &&
	test_grep '	4.3.5	deferred	bad relay host' out &&
	cp main.cf baddns.cf && echo 'dns_server = nameserver' >>baddns.cf &&
	test_expect_code 78 smtp-send -C baddns.cf -f s@x.test a@y.test \
	    <msg >out &&
	test_grep '	4.3.5	deferred	bad DNS server' out
"
test_done
