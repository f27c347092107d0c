#!/bin/sh
# smtp-listen's AUTH PLAIN and LOGIN after STARTTLS, against a table built
# with postmap (user -> crypt(3) hash): swaks logs in and relays, wrong
# passwords are refused, AUTH before TLS gets 538, the -v transcript hides
# the secrets, and the submission role (--submission) wants AUTH and the
# user's own sender address, or what smtpd_sender_login_maps gives it,
# and with smtpd_submission_header_from_check the From: header too.
. "$top_srcdir/t/test-lib.sh"
. "$FIXTURES/smtpd/lib.sh"

write_conf
make_certs
printf "alice %s\nbob %s\n" "$(openssl passwd -6 alicepw)" \
    "$(openssl passwd -5 bobpw)" >users
postmap users
AUTHOPT="-o smtpd_sasl_auth_enable=yes -o smtpd_sasl_user_maps=hash:$TRASH/users -o smtpd_sasl_failure_delay=0"
# shellcheck disable=SC2086
start_server auth -v $TLSOPT $AUTHOPT
P_auth=$PORT
# shellcheck disable=SC2086
start_server sub --submission $TLSOPT $AUTHOPT
P_sub=$PORT
printf "sales@example.test alice, bob\n@shared.test alice\n" >logins
postmap logins
# shellcheck disable=SC2086
start_server subm --submission $TLSOPT $AUTHOPT \
    -o smtpd_sender_login_maps=hash:$TRASH/logins \
    -o smtpd_submission_header_from_check=yes
P_subm=$PORT

test_expect_success 'swaks: AUTH PLAIN after STARTTLS, then relaying' '
	swaks --tls -a PLAIN -au alice -ap alicepw --server 127.0.0.1:$P_auth \
	    --local-interface 127.0.0.9 --from alice@remote.invalid \
	    --to friend@remote.invalid >swaks.out 2>&1 &&
	grep -q "<~  235 2.7.0 Authentication successful" swaks.out &&
	grep -q "250 2.0.0 Ok: queued as" swaks.out &&
	grep -qx friend@remote.invalid "$(last auth).args" &&
	grep -q "with ESMTPSA id" "$(last auth)"
'

test_expect_success 'swaks: AUTH LOGIN with a SHA-256 crypt hash' '
	swaks --tls -a LOGIN -au bob -ap bobpw --server 127.0.0.1:$P_auth \
	    --quit-after AUTH >swaks.out 2>&1 &&
	grep -q "<~  235 2.7.0" swaks.out
'

test_expect_success 'a wrong password: 535, and nothing relayed' '
	before=$(nmsg auth) &&
	! swaks --tls -a PLAIN -au alice -ap wrong --server 127.0.0.1:$P_auth \
	    --local-interface 127.0.0.9 --from a@remote.invalid \
	    --to friend@remote.invalid >swaks.out 2>&1 &&
	grep -q "<~\* 535 5.7.8 Error: authentication failed" swaks.out &&
	test "$(nmsg auth)" -eq "$before"
'

test_expect_success 'an unknown user is refused the same way' '
	swaks --tls -a PLAIN -au mallory -ap x --server 127.0.0.1:$P_auth \
	    --quit-after AUTH >swaks.out 2>&1 || true
	grep -q "<~\* 535 5.7.8" swaks.out
'

test_expect_success 'AUTH before STARTTLS: 538 5.7.11, and not offered' '
	$CHAT $P_auth "EHLO c\r\n" "AUTH PLAIN AGFsaWNlAGFsaWNlcHc=\r\n" >chat.out &&
	! grep -q "^S: 250.AUTH" chat.out &&
	grep -q "^S: 538 5.7.11 Encryption required" chat.out
'

test_expect_success 'the -v transcript does not show the secrets' '
	test_grep "C: AUTH PLAIN \*\*\*\*" log.auth &&
	! grep -q "AGFsaWNl" log.auth &&
	test_grep "sasl_method=PLAIN, sasl_username=alice" log.auth &&
	test_grep ": client=unknown\[127.0.0.9\], helo=<[^>]*>, sasl_username=alice, from=<alice@remote.invalid>, size=[0-9]*, nrcpt=1, proto=ESMTPS, status=queued" log.auth
'

test_expect_success 'C-09 a login name with CR LF is refused' '
	$TLSCHAT $P_auth "EHLO x" "AUTH PLAIN AGFsaWNlDQpYLUluamVjdGVkOiB5ZXMAYWxpY2Vwdw==" >out &&
	grep -q "^S: 535 5.7.8" out &&
	! grep -q "^X-Injected" log.auth
'

test_expect_success 'C-05 submission without AUTH: 530 5.7.0' '
	$TLSCHAT $P_sub "EHLO x" "MAIL FROM:<alice@example.test>" >out &&
	grep -q "^S: 530 5.7.0 Authentication required" out
'

test_expect_success 'C-06 submission: alice may not send as bob' '
	! swaks --tls -a PLAIN -au alice -ap alicepw --server 127.0.0.1:$P_sub \
	    --from bob@example.test --to friend@remote.invalid >swaks.out 2>&1 &&
	grep -q "553 5.7.1 <bob@example.test>: Sender address rejected: not owned by user alice" swaks.out
'

test_expect_success 'submission: alice sends as herself to anywhere' '
	swaks --tls -a PLAIN -au alice -ap alicepw --server 127.0.0.1:$P_sub \
	    --from alice@example.test --to friend@remote.invalid >swaks.out 2>&1 &&
	grep -q "250 2.0.0 Ok: queued as" swaks.out &&
	grep -qx friend@remote.invalid "$(last sub).args"
'

test_expect_success 'C-06 smtpd_sender_login_maps: alice sends as sales@ and @shared.test' '
	swaks --tls -a PLAIN -au alice -ap alicepw --server 127.0.0.1:$P_subm \
	    --from sales@example.test --to friend@remote.invalid \
	    --header "From: Sales <sales@example.test>" >swaks.out 2>&1 &&
	grep -q "250 2.0.0 Ok: queued as" swaks.out &&
	grep -qx sales@example.test "$(last subm).args" &&
	swaks --tls -a LOGIN -au alice -ap alicepw --server 127.0.0.1:$P_subm \
	    --from x@shared.test --to friend@remote.invalid \
	    --header "From: x@shared.test" >swaks.out 2>&1 &&
	grep -q "250 2.0.0 Ok: queued as" swaks.out
'

test_expect_success 'C-06 with the table: alice@example.test is not listed, so nobody owns it' '
	before=$(nmsg subm) &&
	! swaks --tls -a PLAIN -au alice -ap alicepw --server 127.0.0.1:$P_subm \
	    --from alice@example.test --to friend@remote.invalid >swaks.out 2>&1 &&
	grep -q "553 5.7.1 <alice@example.test>: Sender address rejected: not owned by user alice" swaks.out &&
	test "$(nmsg subm)" -eq "$before"
'

test_expect_success 'From: check: right envelope, forged From: gets 550 5.7.1, nothing handed off' '
	before=$(nmsg subm) &&
	! swaks --tls -a PLAIN -au alice -ap alicepw --server 127.0.0.1:$P_subm \
	    --from sales@example.test --to friend@remote.invalid \
	    --header "From: The Boss <boss@example.test>" >swaks.out 2>&1 &&
	grep -q "550 5.7.1 <boss@example.test>: From: header address not owned by user alice" swaks.out &&
	test "$(nmsg subm)" -eq "$before"
'

test_expect_success 'From: check: smtplib over STARTTLS, a From: list with one foreign address' '
	cat >sub.py <<-\EOF &&
	import smtplib, ssl, sys
	ctx = ssl.create_default_context(cafile="ca.pem")
	ctx.check_hostname = False  # 127.0.0.1; the chain is still verified
	s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), local_hostname="mua.test")
	s.starttls(context=ctx)
	s.login("alice", "alicepw")
	for frm in sys.argv[2:]:
	    msg = "From: %s\r\nSubject: t\r\n\r\nhi\r\n" % frm
	    try:
	        s.sendmail("sales@example.test", ["friend@remote.invalid"], msg)
	        print("accepted", frm)
	    except smtplib.SMTPDataError as e:
	        print(e.smtp_code, e.smtp_error.decode())
	s.quit()
	EOF
	before=$(nmsg subm) &&
	/usr/bin/python3 sub.py $P_subm "sales@example.test, x@shared.test" \
	    "sales@example.test, bob@example.test" >py.out &&
	cat >expect <<-\EOF &&
	accepted sales@example.test, x@shared.test
	550 5.7.1 <bob@example.test>: From: header address not owned by user alice
	EOF
	test_cmp expect py.out &&
	test "$(nmsg subm)" -eq $((before + 1))
'

test_expect_success 'AUTH enabled without a table is a configuration error' '
	test_expect_code 78 smtp-listen -C main.cf -o smtpd_sasl_auth_enable=yes -- cat 2>err &&
	test_grep "smtpd_sasl_user_maps" err
'

test_done
