#!/bin/sh
# delay_warning_time: once a message with a deferred recipient is that
# old, its sender gets one RFC 3464 report with Action: delayed (Postfix's
# "Delayed Mail (still being retried)"), and only one: the queue file
# records it (a W record).  Old messages are queue files written by
# mkqf.py with an arrival hours ago; the relayhost is a closed port.
. "$top_srcdir/t/test-lib.sh"
. "$FIXTURES/queue/setup.sh"

MKQF="/usr/bin/python3 $FIXTURES/queue/mkqf.py"
NOW=$(date +%s)
printf "Subject: stuck\nFrom: dude@example.test\n\nx\n" >body
set_conf "relayhost=[127.0.0.1]:9" "delay_warning_time=4h"
mkdir -p queue/tmp queue/queue queue/corrupt

# old ID AGE SENDER - a queue file AGE seconds old, carol@remote.test due
old() {
	$MKQF queue "$1" $((NOW - $2)) "$3" body \
	    "D 0 4.4.1 carol@remote.test	connection refused"
}

# reports MBOX - the delay warnings in MBOX
reports() {
	if [ -f "$1" ]; then
		grep -c "^Subject: Delayed Mail (still being retried)$" "$1"
	else
		echo 0
	fi
}

test_expect_success 'a message older than delay_warning_time: one warning' '
	old 0A1 18000 dude@example.test &&
	sm -v -q 2>log &&
	grep -q "^sendmail: 0A1: to=<carol@remote.test>, .*status=deferred" log &&
	grep -q "^sendmail: 0A1: sender delay notification: " log &&
	want "$(reports spool/dude)" 1 "warnings for dude" &&
	grep -q "^W [0-9][0-9]*$" queue/queue/0A1
'

test_expect_success 'the warning: RFC 3464, Action: delayed, retried until' '
	/usr/bin/python3 - <<-\EOP
	import mailbox
	m = list(mailbox.mbox("spool/dude"))[-1]
	assert m.get_content_type() == "multipart/report", m.get_content_type()
	assert m.get_param("report-type") == "delivery-status"
	text, status, hdrs = m.get_payload()
	assert "THIS IS A WARNING ONLY" in text.get_payload(), text
	assert "could not be delivered for 300 minute(s)" in text.get_payload()
	st = status.get_payload()[1]
	assert st["Final-Recipient"] == "rfc822; carol@remote.test", dict(st)
	assert st["Action"] == "delayed", dict(st)
	assert st["Status"].startswith("4."), dict(st)
	assert st["Will-Retry-Until"], dict(st)
	assert "Subject: stuck" in hdrs.get_payload(), hdrs.get_payload()
	EOP
'

test_expect_success 'the next run, when it is due, sends no second warning' '
	age_queue 4000 &&
	sm -v -q 2>log &&
	grep -q "0A1: to=<carol@remote.test>, .*status=deferred" log &&
	! grep -q "delay notification" log &&
	want "$(reports spool/dude)" 1 "warnings for dude"
'

test_expect_success 'a file that already says so gets none' '
	MKQF_WARNED=$((NOW - 60)) old 0A2 18000 dude@example.test &&
	sm -q &&
	want "$(reports spool/dude)" 1 "warnings for dude"
'

test_expect_success 'a younger message gets none' '
	old 0A3 3600 dude@example.test &&
	sm -q &&
	want "$(reports spool/dude)" 1 "warnings for dude"
'

test_expect_success 'the null sender gets none' '
	old 0A4 18000 "" &&
	sm -v -q 2>log &&
	! grep -q "0A4: .*delay notification" log &&
	! grep -q "W " queue/queue/0A4
'

test_expect_success 'delay_warning_time = 0 (the default): none' '
	set_conf "delay_warning_time=0h" &&
	old 0A5 18000 bob@example.test &&
	sm -q &&
	want "$(reports spool/bob)" 0 "warnings for bob"
'

test_expect_success 'a W record that is not a time: the file is set aside' '
	MKQF_WARNED=soon old 0A6 18000 dude@example.test &&
	sm -q 2>/dev/null;
	test -f queue/corrupt/0A6 && ! test -f queue/queue/0A6
'

test_done
