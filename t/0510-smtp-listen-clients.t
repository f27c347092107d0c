#!/bin/sh
# smtp-listen with real clients on loopback: the lecture's telnet dialogue
# replayed byte for byte, an exact transcript, swaks, Python's smtplib
# and curl; every message checked where the hand-off command put it.
. "$top_srcdir/t/test-lib.sh"
. "$FIXTURES/smtpd/lib.sh"

write_conf
start_server main -v
P_main=$PORT
cat >lecture.cf <<-EOC
myhostname = mailserver.example.com
mydestination = example.org
smtpd_banner = \$myhostname ESMTP
EOC
mkdir -p out.lecture
smtp-listen -1 -l 127.0.0.1:0 -C "$TRASH/lecture.cf" -- \
    "$RECORD" "$TRASH/out.lecture" >port.lecture 2>log.lecture &
test_bg $!
i=0
while [ ! -s port.lecture ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
P_lecture=$(cat port.lecture)

qid() { sed 's/queued as [0-9A-F]*$/queued as QUEUEID/'; }

test_expect_success 'the lecture dialogue, Lebowski to Sobchak, byte for byte' '
	msg=$(sed "s/\$/\\\\r\\\\n/" "$FIXTURES/smtpd/lecture.msg" | tr -d "\n") &&
	$CHAT $P_lecture "HELO dude-mbp.example.com\r\n" \
	    "MAIL FROM:<dude@example.com>\r\n" "RCPT TO:<walter@example.org>\r\n" \
	    "DATA\r\n" "$msg.\r\n" "QUIT\r\n" >chat.out &&
	sed -n "s/^S: //p" chat.out | qid >got &&
	test_cmp "$FIXTURES/smtpd/lecture.expected" got &&
	m=$(last lecture) &&
	sed 1,3d "$m" >body && test_cmp "$FIXTURES/smtpd/lecture.msg" body &&
	printf "%s\n" -f dude@example.com -- walter@example.org >want &&
	test_cmp want "$m.args"
'

test_expect_success 'the Received: header the lecture message got' '
	m=$(last lecture) &&
	sed -n 1p "$m" | grep -q "^Received: from dude-mbp.example.com (\[127.0.0.1\])$" &&
	sed -n 2p "$m" | grep -q "^	by mailserver.example.com (mailpath) with SMTP id [0-9A-F]*$" &&
	sed -n 3p "$m" | grep -q "^	for <walter@example.org>; [A-Z][a-z][a-z], [0-9]* [A-Z][a-z][a-z] 20[0-9][0-9] [0-9:]* [-+][0-9]*$"
'

test_expect_success 'the exact -v transcript of a plain session' '
	: >log.main &&
	$CHAT -r 127.0.0.9 $P_main "EHLO client.example\r\n" \
	    "MAIL FROM:<alice@remote.invalid> SIZE=60 BODY=8BITMIME\r\n" \
	    "RCPT TO:<bob@example.test>\r\n" "RCPT TO:<eve@remote.invalid>\r\n" \
	    "DATA\r\n" "Subject: plain\r\n\r\nplain text\r\n.\r\n" "VRFY bob\r\n" \
	    "RSET\r\n" "NOOP\r\n" "QUIT\r\n" >chat.out &&
	sleep 0.2 &&
	sed -n "s/^smtp-listen: \([CS]: \)/\1/p" log.main | qid >got &&
	test_cmp "$FIXTURES/smtpd/plain.expected" got &&
	sed -n "s/^\(S: \)/\1/p" chat.out | qid >client &&
	grep "^S: " "$FIXTURES/smtpd/plain.expected" >want &&
	test_cmp want client
'

test_expect_success 'one log line per connection, message and rejection' '
	grep -q "^smtp-listen: connect from unknown\[127.0.0.9\]$" log.main &&
	grep -q "^smtp-listen: [0-9A-F]*: client=unknown\[127.0.0.9\], helo=<client.example>, from=<alice@remote.invalid>, size=[0-9]*, nrcpt=1, proto=ESMTP, status=queued$" log.main &&
	grep -q "^smtp-listen: NOQUEUE: reject: RCPT from unknown\[127.0.0.9\]: 554 5.7.1 <eve@remote.invalid>: Relay access denied; from=<alice@remote.invalid> proto=ESMTP helo=<client.example>$" log.main &&
	grep -q "^smtp-listen: disconnect from unknown\[127.0.0.9\]" log.main
'

test_expect_success 'swaks: a plain message' '
	swaks --server 127.0.0.1:$P_main --helo swaks.example --from alice@remote.invalid \
	    --to bob@example.test --header "Subject: from swaks" --body "swaks body" >swaks.out 2>&1 &&
	grep -q "<-  250 2.0.0 Ok: queued as" swaks.out &&
	m=$(last main) && grep -q "^Subject: from swaks$" "$m" && grep -q "^swaks body$" "$m"
'

test_expect_success 'swaks: PIPELINING' '
	swaks --pipeline --server 127.0.0.1:$P_main --from alice@remote.invalid \
	    --to bob@example.test,carol@example.test --header "Subject: pipelined" >swaks.out 2>&1 &&
	grep -q "250 2.0.0 Ok: queued as" swaks.out &&
	m=$(last main) && grep -q "^Subject: pipelined$" "$m" &&
	printf "%s\n" -f alice@remote.invalid -- bob@example.test carol@example.test >want &&
	test_cmp want "$m.args"
'

test_expect_success 'swaks: dot lines survive the round trip' '
	printf "Subject: dots\r\n\r\n.\r\n..\r\n.leading" >dots.eml &&
	swaks --server 127.0.0.1:$P_main --from alice@remote.invalid \
	    --to bob@example.test --data @dots.eml >swaks.out 2>&1 &&
	m=$(last main) && sed "1,/^$/d" "$m" >body &&
	printf ".\n..\n.leading\n" >want && test_cmp want body
'

test_expect_success 'swaks from outside mynetworks: relaying refused' '
	test_expect_code 24 swaks --server 127.0.0.1:$P_main --local-interface 127.0.0.9 \
	    --from alice@remote.invalid --to victim@remote.invalid >swaks.out 2>&1 &&
	grep -q "<\*\* 554 5.7.1 <victim@remote.invalid>: Relay access denied" swaks.out
'

test_expect_success 'Python smtplib: sendmail, then an SMTPUTF8 message' '
	before=$(nmsg main) &&
	/usr/bin/python3 - "$P_main" <<-\EOP &&
	import smtplib, sys
	s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]),
	    source_address=("127.0.0.9", 0))
	s.ehlo("py.example")
	assert s.has_extn("smtputf8") and s.has_extn("pipelining")
	r = s.sendmail("alice@remote.invalid", ["bob@example.test"],
	    "Subject: smtplib\r\n\r\nfrom python\r\n")
	assert r == {}, r
	s.sendmail("j\u00f6rg@remote.invalid", ["b\u00f6b@example.test"],
	    "Subject: utf8\r\n\r\nbody\r\n".encode(), mail_options=["SMTPUTF8"])
	try:
	    s.sendmail("alice@remote.invalid", ["x@elsewhere.invalid"], "x\r\n")
	except smtplib.SMTPRecipientsRefused as e:
	    assert e.recipients["x@elsewhere.invalid"][0] == 554
	else:
	    raise SystemExit("relay accepted")
	s.quit()
	EOP
	test "$(nmsg main)" -eq $((before + 2)) &&
	m=$(last main) && grep -qx "$(printf "b\303\266b@example.test")" "$m.args" &&
	grep -q "with UTF8SMTP id" "$m"
'

test_expect_success 'curl smtp://' '
	printf "Subject: curl\n\nfrom curl\n.dot\n" >curl.eml &&
	curl -sS --crlf smtp://127.0.0.1:$P_main/curl.example \
	    --mail-from alice@remote.invalid --mail-rcpt bob@example.test \
	    --upload-file curl.eml &&
	m=$(last main) && grep -q "^Subject: curl$" "$m" &&
	grep -q "^\.dot$" "$m" &&
	grep -q "^Received: from curl.example (\[127.0.0.1\])$" "$m"
'

test_expect_success 'curl with bare LF (no --crlf) gets 521 in reject mode' '
	before=$(nmsg main) &&
	! curl -sS smtp://127.0.0.1:$P_main --mail-from alice@remote.invalid \
	    --mail-rcpt bob@example.test --upload-file curl.eml 2>curl.err &&
	test "$(nmsg main)" -eq "$before"
'

test_done
