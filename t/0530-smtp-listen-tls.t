#!/bin/sh
# smtp-listen's STARTTLS with a test CA made here: swaks, Python's smtplib
# and curl over TLS, the Received: header naming the protocol and cipher,
# state reset after TLS (RFC 3207 4.2), a second STARTTLS, and plaintext
# injected behind STARTTLS (CVE-2011-0411) discarded or refused.
. "$top_srcdir/t/test-lib.sh"
. "$FIXTURES/smtpd/lib.sh"

write_conf
make_certs
# shellcheck disable=SC2086
start_server tls $TLSOPT
P_tls=$PORT
# shellcheck disable=SC2086
start_server lenient $TLSOPT -o smtpd_forbid_unauth_pipelining=no
P_lenient=$PORT


test_expect_success 'EHLO offers STARTTLS' '
	$CHAT $P_tls "EHLO c\r\n" >chat.out &&
	grep -q "^S: 250.STARTTLS$" chat.out
'

test_expect_success 'swaks --tls delivers, Received: says ESMTPS and the cipher' '
	swaks --tls --server 127.0.0.1:$P_tls --helo swaks.example --from alice@remote.invalid \
	    --to bob@example.test --header "Subject: over tls" >swaks.out 2>&1 &&
	grep -q "250 2.0.0 Ok: queued as" swaks.out &&
	m=$(last tls) &&
	sed -n 2p "$m" | grep -q "^	(using TLSv1\.[23] with cipher [A-Z0-9_-]*)$" &&
	sed -n 3p "$m" | grep -q "^	by mx.example.test (mailpath) with ESMTPS id "
'

test_expect_success 'Python smtplib starttls verifies our chain and sends' '
	/usr/bin/python3 - "$P_tls" <<-\EOP
	import smtplib, ssl, sys
	s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]))
	s.ehlo("py.example")
	# The chain is checked against our CA; curl checks the name below.
	ctx = ssl.create_default_context(cafile="ca.pem")
	ctx.check_hostname = False
	code, _ = s.starttls(context=ctx)
	assert code == 220, code
	s.ehlo("py.example")
	assert not s.has_extn("starttls")
	assert s.sendmail("alice@remote.invalid", ["bob@example.test"], "Subject: py tls\r\n\r\nx\r\n") == {}
	s.quit()
	EOP
	grep -q "^Subject: py tls$" "$(last tls)"
'

test_expect_success 'curl --ssl-reqd' '
	printf "Subject: curl tls\r\n\r\nx\r\n" >curl.eml &&
	curl -sS --ssl-reqd --cacert ca.pem --resolve mx.example.test:$P_tls:127.0.0.1 \
	    smtp://mx.example.test:$P_tls/curl.example --mail-from alice@remote.invalid \
	    --mail-rcpt bob@example.test --upload-file curl.eml &&
	grep -q "^Subject: curl tls$" "$(last tls)"
'

test_expect_success 'C-02 after TLS the client must say EHLO again' '
	$TLSCHAT $P_tls "MAIL FROM:<alice@remote.invalid>" \
	    "EHLO again.example" "MAIL FROM:<alice@remote.invalid>" >out &&
	sed -n "s/^S: \([0-9]*\) .*/\1/p" out | tr "\n" " " >codes &&
	test "$(cat codes)" = "220 250 220 503 250 250 " &&
	grep -q "^S: 503 5.5.1 Error: send HELO/EHLO first" out
'

test_expect_success 'C-03 a second STARTTLS inside TLS: 554 5.5.1, the session goes on' '
	$TLSCHAT $P_tls "EHLO again.example" "STARTTLS" "NOOP" >out &&
	grep -q "^S: 554 5.5.1 Error: TLS already active" out &&
	grep -q "^S: 250 2.0.0 Ok" out &&
	sed -n "/^TLS/,\$p" out >after &&
	grep -q "^S: 250.8BITMIME" after &&
	! grep -q "STARTTLS" after
'

test_expect_success 'CVE-2011-0411: plaintext behind STARTTLS is discarded' '
	$TLSCHAT $P_lenient "INJECT:NOOP INJECTED-IN-PLAINTEXT" \
	    "EHLO after.example" >out &&
	sed -n "/^TLS/,\$p" out >after &&
	sed -n 2p after | grep -q "^S: 250-mx.example.test$" &&
	! grep -q INJECTED after &&
	test_grep "discarding 28 bytes of pipelined plaintext after STARTTLS" log.lenient
'

test_expect_success 'CVE-2011-0411: with pipelining forbidden, injection ends the session' '
	$TLSCHAT $P_tls "INJECT:NOOP INJECTED" "EHLO x" >out 2>err ||
	true
	grep -q "^S: 554 5.5.0 Error: SMTP protocol synchronization" out &&
	! grep -q "^TLS" out
'

test_expect_success 'a certificate that cannot be read is a configuration error' '
	test_expect_code 78 smtp-listen -o smtpd_tls_cert_file=nonexistent.pem -C main.cf -- cat 2>err &&
	test_grep "smtpd_tls_cert_file nonexistent.pem" err &&
	test_expect_code 78 smtp-listen -o smtpd_tls_cert_file=srv.pem -o smtpd_tls_key_file=ca.key -C main.cf -- cat 2>err &&
	test_grep "smtpd_tls_key_file" err
'

test_done
