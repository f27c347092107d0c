#!/bin/sh
# DSN (RFC 3461) end to end: a client (Python's smtplib) gives NOTIFY,
# RET, ENVID and ORCPT to smtp-listen, the queue keeps them, and the
# runner acts on them: NOTIFY=NEVER sends no bounce, NOTIFY=SUCCESS a
# success report (Action: delivered for a mailbox, relayed for a next
# hop, which smtp-send cannot ask for DSN), NOTIFY=FAILURE alone no delay
# warning; RET=FULL returns the whole message up to bounce_size_limit.
# sendmail's -N, -R and -V give the same parameters.
# The reports go to dude's mailbox, read with Python's mailbox module.
. "$top_srcdir/t/test-lib.sh"
. "$FIXTURES/queue/setup.sh"
. "$FIXTURES/smtpd/lib.sh"

PY=/usr/bin/python3
# "fail" always fails for good (67 with a 5.1.1 line), "later" defers
printf '#!/bin/sh\ncat >/dev/null\necho "5.1.1 gone for good" >&2\nexit 67\n' >"$S/fail67"
printf '#!/bin/sh\ncat >/dev/null\necho "4.2.0 busy" >&2\nexit 75\n' >"$S/defer75"
chmod +x "$S/fail67" "$S/defer75"
printf 'fail: |%s/fail67\nlater: |%s/defer75\n' "$S" "$S" >>"$S/aliases"
newaliases -C "$S/main.cf" || exit 99
set_conf mynetworks=127.0.0.0/8 delivery_mode=interactive bounce_size_limit=600

smtp-listen -1 -l 127.0.0.1:0 -C "$S/main.cf" >port 2>listen.log &
test_bg $!
wait_file port
PORT=$(head -n 1 port)

# send SUBJECT RCPT "MAIL-OPTION..." "RCPT-OPTION..." [N] - a message
# from dude@example.test (N more lines of 60 bytes) by smtplib; fails
# unless it was accepted
send() {
	$PY - "$PORT" "$@" <<-\EOP
	import smtplib, sys
	port, subj, rcpt, mo, ro = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
	more = "".join("%058d\r\n" % i for i in range(int(sys.argv[6]) if len(sys.argv) > 6 else 0))
	s = smtplib.SMTP("127.0.0.1", port, timeout=20)
	s.ehlo("client.example.test")
	assert s.has_extn("dsn"), "no DSN in EHLO"
	msg = ("Subject: %s\r\nFrom: dude@example.test\r\n\r\nthe body of %s\r\n%s" % (subj, subj, more)).encode()
	s.sendmail("dude@example.test", [rcpt], msg, mail_options=mo.split(), rcpt_options=ro.split())
	s.quit()
	EOP
}

# settle - wait (at most 20 s) until no delivery pass runs on the queue
settle() {
	sleep 0.2
	flock -w 20 "$S/queue/runner.lock" true
}

# reports SUBJECT-PART - the reports in dude's mailbox whose text names
# SUBJECT-PART, as "Subject | Action... | parts" lines
reports() {
	$PY - "$S/spool/dude" "$1" <<-\EOP
	import mailbox, sys
	for m in mailbox.mbox(sys.argv[1]):
	    body = m.as_string()
	    if sys.argv[2] not in body or m["From"] is None or "MAILER-DAEMON" not in m["From"]:
	        continue
	    acts = sorted(set(l.split(": ", 1)[1] for l in body.splitlines() if l.startswith("Action: ")))
	    parts = [m.get_content_type()] + [p.get_content_type() for p in m.get_payload()]
	    print("%s | %s | %s" % (m["Subject"], ",".join(acts), " ".join(parts)))
	EOP
}

test_expect_success 'NOTIFY=SUCCESS, ENVID, ORCPT: a success report, Action: delivered' '
	send s1 walter@example.test "ENVID=env+2Bone" "NOTIFY=SUCCESS ORCPT=rfc822;walter+40example.test" &&
	settle &&
	want "$(count_msgs "$S/spool/walter")" 1 "walter" &&
	reports s1 >got &&
	echo "Successful Mail Delivery Report | delivered | multipart/report text/plain message/delivery-status text/rfc822-headers" >want &&
	test_cmp want got &&
	grep -q "^Original-Envelope-Id: env+one$" "$S/spool/dude" &&
	grep -q "^Original-Recipient: rfc822;walter@example.test$" "$S/spool/dude"
'

test_expect_success 'no NOTIFY: no success report (RFC 3461: FAILURE,DELAY)' '
	send s2 walter@example.test "" "" &&
	settle &&
	want "$(count_msgs "$S/spool/walter")" 2 "walter" &&
	test -z "$(reports s2)"
'

test_expect_success 'NOTIFY=NEVER: a failure sends no bounce, the log says so' '
	send f1 fail@example.test "" "NOTIFY=NEVER" &&
	settle &&
	test -z "$(reports f1)" &&
	want "$(nqueued)" 0 "queue files" &&
	grep -q "to=<fail@example.test>: no non-delivery notification (DSN NOTIFY)" listen.log
'

test_expect_success 'a failure, no RET: the bounce has the header only' '
	send f2 fail@example.test "" "NOTIFY=FAILURE" &&
	settle &&
	reports f2 >got &&
	echo "Undelivered Mail Returned to Sender | failed | multipart/report text/plain message/delivery-status text/rfc822-headers" >want &&
	test_cmp want got && ! grep -q "the body of f2" "$S/spool/dude"
'

test_expect_success 'RET=FULL: the whole message comes back as message/rfc822' '
	send f3 fail@example.test "RET=FULL" "" &&
	settle &&
	reports f3 >got &&
	echo "Undelivered Mail Returned to Sender | failed | multipart/report text/plain message/delivery-status message/rfc822" >want &&
	test_cmp want got && grep -q "the body of f3" "$S/spool/dude"
'

test_expect_success 'RET=FULL past bounce_size_limit (600): the header only' '
	send f4 fail@example.test "RET=FULL" "" 12 &&
	settle &&
	reports f4 | grep -q "text/rfc822-headers$" &&
	! grep -q "the body of f4" "$S/spool/dude"
'

test_expect_success 'NOTIFY=FAILURE: no delay warning; NOTIFY=DELAY: one' '
	set_conf delay_warning_time=1h &&
	send d1 later@example.test "" "NOTIFY=FAILURE" &&
	send d2 later@example.test "" "NOTIFY=DELAY" &&
	settle &&
	want "$(nqueued)" 2 "queue files" &&
	age_queue 4000 && sm -q &&
	test -z "$(reports d1)" &&
	reports d2 | grep -q "^Delayed Mail (still being retried) | delayed |"
'

test_expect_success 'sendmail -N success -V: a success report with the envelope id' '
	printf "Subject: n1\n\nfrom sendmail\n" |
	    sm -odi -N success -V "abc+def" -f dude walter &&
	reports n1 | grep -q "^Successful Mail Delivery Report | delivered |" &&
	grep -q "^Original-Envelope-Id: abc+def$" "$S/spool/dude"
'

test_expect_success 'sendmail -N never: no bounce; -R full: the whole message' '
	printf "Subject: n2\n\nthe body of n2\n" | sm -odi -N never -f dude fail &&
	test -z "$(reports n2)" &&
	printf "Subject: n3\n\nthe body of n3\n" | sm -odi -R full -f dude fail &&
	reports n3 | grep -q "message/rfc822$" &&
	grep -q "the body of n3" "$S/spool/dude"
'

test_expect_success 'sendmail: bad -N, -R and -V values are usage errors, nothing queued' '
	n=$(nqueued) &&
	for a in "-N never,success" "-N sometimes" "-N success," "-R body"; do
		echo x | test_expect_code 64 sm $a walter 2>err || return 1
		grep -q "^sendmail: -[NR] " err || return 1
	done &&
	echo x | test_expect_code 64 sm -V "$(printf "%0101d" 0)" walter 2>err &&
	grep -q "envelope id longer than 100" err &&
	want "$(nqueued)" "$n" "queue files"
'

far_start relay 127.0.0.1 || exit 99
test_expect_success 'NOTIFY=SUCCESS to a next hop: Action: relayed, Remote-MTA' '
	set_conf "relayhost=[127.0.0.1]:$FAR_PORT" &&
	send r1 carol@remote.test "" "NOTIFY=SUCCESS,FAILURE" &&
	settle &&
	want "$(count_msgs "$S/relay/spool/carol")" 1 "carol" &&
	reports r1 | grep -q "^Successful Mail Delivery Report | relayed |" &&
	grep -q "^Remote-MTA: dns; 127.0.0.1\[127.0.0.1\]:$FAR_PORT$" "$S/spool/dude"
'

test_done
