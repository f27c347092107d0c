#!/bin/sh
# sendmail: the lab's test mail to root, queued and delivered to walter's
# mbox through the aliases; headers added, Bcc: removed, -t, canonical
# rewriting of root@localhost, a bounce for an unknown user, none for the
# null sender (the postmaster gets it), exit 75 when nothing could be
# queued, legacy options.
# What arrives is read back with Python's mailbox module.
. "$top_srcdir/t/test-lib.sh"
. "$FIXTURES/queue/setup.sh"

test_expect_success 'sendmail root: queued, delivered to walter via the aliases' '
	printf "Subject: test mail\n\nhello walter\n" >msg &&
	sm -v root <msg 2>log &&
	want "$(count_msgs spool/walter)" 1 "messages for walter" &&
	want "$(nqueued)" 0 "files left in the queue" &&
	grep -Eq "^sendmail: [0-9A-F]+: to=<root@example.test>, relay=local, delay=[0-9]+, dsn=2\.0\.0, status=sent \(" log &&
	grep -Eq "^sendmail: [0-9A-F]+: removed" log
'

test_expect_success 'From:, Date: and Message-ID: were added, the body kept' '
	/usr/bin/python3 - <<-\EOP
	import mailbox, email.utils
	m = mailbox.mbox("spool/walter")[0]
	assert m["From"].endswith("@example.test>") or m["From"].endswith("@example.test"), m["From"]
	assert email.utils.parsedate_to_datetime(m["Date"]), m["Date"]
	assert m["Message-ID"].endswith("@mail.example.test>"), m["Message-ID"]
	assert m["Subject"] == "test mail", m["Subject"]
	assert m.get_payload() == "hello walter\n", repr(m.get_payload())
	EOP
'

test_expect_success '-t takes To, Cc and Bcc; Bcc: is removed; bare names get myorigin' '
	printf "To: walter\nCc: Dude <dude>\nBcc: bob\nSubject: t\n\nx\n" |
	    sm -t -F "" -f walter &&
	want "$(count_msgs spool/walter)" 2 "walter" &&
	want "$(count_msgs spool/dude)" 1 "dude" &&
	want "$(count_msgs spool/bob)" 1 "bob" &&
	/usr/bin/python3 - <<-\EOP
	import mailbox
	for u in ("dude", "bob"):
	    m = mailbox.mbox("spool/" + u)[0]
	    assert m["Bcc"] is None, (u, m["Bcc"])
	    assert m["To"] == "walter@example.test", m["To"]
	    assert m["Cc"] == "Dude <dude@example.test>", m["Cc"]
	    assert m["From"] == "walter@example.test", m["From"]
	EOP
'

test_expect_success 'E-05 a submitted Return-Path: and Content-Length: are dropped' '
	printf "Return-Path: <ceo@example.test>\nContent-Length: 5\nSubject: e05\n\nbody that is longer than five\n" |
	    sm -f dude bob &&
	/usr/bin/python3 - <<-\EOP
	import mailbox
	m = [x for x in mailbox.mbox("spool/bob") if x["Subject"] == "e05"][0]
	assert m.get_all("Return-Path") == ["<dude@example.test>"], m.get_all("Return-Path")
	assert m["Content-Length"] is None, m["Content-Length"]
	assert m.get_payload() == "body that is longer than five\n", m.get_payload()
	EOP
'

test_expect_success 'E-06 more Received: headers than hopcount_limit: refused (5.4.6), nothing queued' '
	nbob=$(count_msgs spool/bob) &&
	{ i=0; while [ $i -lt 51 ]; do echo "Received: from h$i by h$i; Fri, 27 Nov 2026 00:00:00 +0000"; i=$((i + 1)); done; printf "Subject: loop\n\nx\n"; } >hops51 &&
	test_expect_code 65 sm -f dude bob <hops51 2>hops.err &&
	test_grep "5.4.6" hops.err &&
	test_grep "too many hops" hops.err &&
	want "$(count_msgs spool/bob)" "$nbob" "messages for bob" &&
	sed 1d hops51 | sm -f dude bob &&
	want "$(count_msgs spool/bob)" "$((nbob + 1))" "messages for bob at exactly the limit"
'

test_expect_success 'without -i a lone dot ends the message; with -i or -oi it does not' '
	printf "Subject: dot\n\nbefore\n.\nafter\n" | sm bob &&
	printf "Subject: dot-i\n\nbefore\n.\nafter\n" | sm -oi bob &&
	/usr/bin/python3 - <<-\EOP
	import mailbox
	ms = {m["Subject"]: m.get_payload() for m in mailbox.mbox("spool/bob")}
	assert ms["dot"] == "before\n", repr(ms["dot"])
	assert ms["dot-i"] == "before\n.\nafter\n", repr(ms["dot-i"])
	EOP
'

test_expect_success 'canonical_maps rewrites root@localhost in envelope and headers, once' '
	printf "root@localhost dude@example.test\n" >canonical &&
	postmap canonical &&
	set_conf "canonical_maps=hash:$TRASH/canonical" &&
	printf "From: Charlie Root <root@localhost>\nTo: root@localhost (the admin)\nReply-To: root@localhost\nSubject: canon\n\nx\n" |
	    sm -f root@localhost root@localhost &&
	/usr/bin/python3 - <<-\EOP
	import mailbox
	ms = [m for m in mailbox.mbox("spool/dude") if m["Subject"] == "canon"]
	assert len(ms) == 1, len(ms)
	m = ms[0]
	assert m["From"] == "Charlie Root <dude@example.test>", m["From"]
	assert m["To"] == "dude@example.test (the admin)", m["To"]
	assert m["Reply-To"] == "dude@example.test", m["Reply-To"]
	assert m.get_from().startswith("dude@example.test "), m.get_from()
	EOP
'

test_expect_success 'an unknown local user: an RFC 3464 bounce to the sender' '
	set_conf "canonical_maps=" &&
	n=$(count_msgs spool/walter) &&
	printf "Subject: to nobody\n\nx\n" | sm -v -f walter@example.test nosuch 2>log &&
	grep -q "to=<nosuch@example.test>, relay=local, delay=[0-9]*, dsn=5.1.1, status=bounced" log &&
	grep -q "sender non-delivery notification" log &&
	want "$(count_msgs spool/walter)" $((n + 1)) "walter got the bounce" &&
	want "$(nqueued)" 0 "queue files" &&
	/usr/bin/python3 - <<-\EOP
	import mailbox
	m = list(mailbox.mbox("spool/walter"))[-1]
	assert m.get_from().startswith("MAILER-DAEMON "), m.get_from()
	assert m["From"].startswith("MAILER-DAEMON@mail.example.test"), m["From"]
	assert m.get_content_type() == "multipart/report", m.get_content_type()
	assert m.get_param("report-type") == "delivery-status"
	parts = m.get_payload()
	assert [p.get_content_type() for p in parts] == ["text/plain",
	    "message/delivery-status", "text/rfc822-headers"], parts
	ds = parts[1].get_payload()
	rcpt = ds[1]
	assert rcpt["Final-Recipient"] == "rfc822; nosuch@example.test", rcpt["Final-Recipient"]
	assert rcpt["Action"] == "failed" and rcpt["Status"] == "5.1.1", dict(rcpt)
	assert "Subject: to nobody" in parts[2].get_payload(), parts[2].get_payload()
	EOP
'

test_expect_success 'no bounce for the null sender: the postmaster gets the report' '
	n=$(count_msgs spool/walter) &&
	printf "Subject: from <>\n\nx\n" | sm -v -f "" nosuch 2>log &&
	grep -q "to=<nosuch@example.test>, .*status=bounced" log &&
	grep -q "postmaster non-delivery notification" log &&
	! grep -q "to=<>" log &&
	want "$(count_msgs spool/walter)" $((n + 1)) "walter (postmaster) got one" &&
	want "$(nqueued)" 0 "queue files" &&
	/usr/bin/python3 - <<-\EOP
	import mailbox
	m = list(mailbox.mbox("spool/walter"))[-1]
	assert m["Subject"] == "Postmaster Copy: Undelivered Mail", m["Subject"]
	assert m["To"] == "<postmaster>", m["To"]
	assert "Subject: from <>" in m.get_payload()[2].get_payload()
	EOP
'

test_expect_success 'a report the postmaster cannot get is logged and dropped, no loop' '
	printf "root: walter\npostmaster: nobody-here\n" >aliases &&
	newaliases -C main.cf &&
	printf "Subject: lost\n\nx\n" | sm -v -f "" nosuch 2>log &&
	grep -q "to=<postmaster>, relay=local, .*status=bounced" log &&
	grep -q "undeliverable postmaster notification discarded" log &&
	test $(grep -c "non-delivery notification" log) = 1 &&
	want "$(nqueued)" 0 "queue files"
'

test_expect_success 'local only (default_transport = error): remote mail bounces, with the reason' '
	{ cat main.cf; echo "default_transport = error"; } >local.cf &&
	n=$(count_msgs spool/walter) &&
	printf "Subject: out\n\nx\n" | sendmail -C local.cf -v -f walter x@remote.test 2>log &&
	grep -q "to=<x@remote.test>, relay=none, delay=[0-9]*, dsn=5.4.4, status=bounced (mail for remote domains is not delivered from this system (default_transport = error))" log &&
	want "$(count_msgs spool/walter)" $((n + 1)) "walter got the bounce"
'

test_expect_success 'exit 75 when the message cannot be queued' '
	: >notadir &&
	sed "s|^queue_directory =.*|queue_directory = $TRASH/notadir/q|" main.cf >bad.cf &&
	echo "Subject: lost?" | test_expect_code 75 sendmail -C bad.cf walter 2>err &&
	grep -q "^sendmail: 4\.3\.0 mkdir .*: Not a directory" err
'

test_expect_success 'no recipients is a usage error' '
	echo x | test_expect_code 64 sm 2>err
'

test_expect_success 'unknown legacy options are ignored with a warning' '
	n=$(count_msgs spool/bob) &&
	printf "Subject: legacy\n\nx\n" | sm -oem -X /dev/null -L tag bob 2>err &&
	grep -q "warning: -oem ignored" err &&
	grep -q "warning: -X ignored" err &&
	want "$(count_msgs spool/bob)" $((n + 1)) "bob"
'

test_expect_success 'sendmail -bs: SMTP on stdin through smtp-listen, queued and delivered' '
	n=$(count_msgs spool/bob) &&
	/usr/bin/python3 - "$TRASH/main.cf" >bs.out <<-\EOP &&
	import subprocess, sys
	p = subprocess.Popen(["sendmail", "-C", sys.argv[1], "-bs"],
	    stdin=subprocess.PIPE, stdout=subprocess.PIPE)
	def reply():
	    while True:
	        l = p.stdout.readline().decode()
	        print("S: " + l.rstrip())
	        if l[3:4] != "-":
	            return l[:3]
	def cmd(c):
	    p.stdin.write(c.encode() + b"\r\n")
	    p.stdin.flush()
	    return reply()
	codes = [reply(), cmd("EHLO me"), cmd("MAIL FROM:<dude@example.test>"),
	    cmd("RCPT TO:<bob@example.test>"), cmd("DATA"),
	    cmd("Subject: via bs\r\n\r\nhi\r\n."), cmd("QUIT")]
	p.wait()
	assert codes == ["220", "250", "250", "250", "354", "250", "221"], codes
	EOP
	want "$(count_msgs spool/bob)" $((n + 1)) "bob" &&
	/usr/bin/python3 -c "
import mailbox
m = list(mailbox.mbox(\"spool/bob\"))[-1]
assert m[\"Subject\"] == \"via bs\", m[\"Subject\"]
assert m.get_from().startswith(\"dude@example.test \"), m.get_from()"
'

test_expect_success 'sendmail -bi rebuilds the aliases like newaliases' '
	printf "root: bob\n" >aliases &&
	sm -bi &&
	echo "Subject: bi" | sm root &&
	/usr/bin/python3 -c "
import mailbox
assert [m for m in mailbox.mbox(\"spool/bob\") if m[\"Subject\"] == \"bi\"]"
'

test_expect_success 'sendmail -bp lists an empty queue' '
	sm -bp >out &&
	echo "Mail queue is empty" >want &&
	test_cmp want out
'

test_done
