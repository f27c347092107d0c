#!/bin/sh
# The satellite system of the lab: relayhost = [127.0.0.1]:PORT, the
# smarthost a real smtp-listen handing to mda-deliver.  Sent while it is
# up: delivered there.  Stopped: deferred, mailq says why, the backoff is
# Postfix's; started again, sendmail -q leaves it until it is due (the
# queue's clock moved on by ageq.py), then delivers it.  A 550 bounces to
# the local sender; a message past maximal_queue_lifetime expires and
# bounces; the null sender gets no bounce (the postmaster a copy).
. "$top_srcdir/t/test-lib.sh"
. "$FIXTURES/queue/setup.sh"

# the smarthost: its own spool, users carol (and walter), remote.test local
mkdir -p smart/spool
printf "carol:x:%s:%s::%s:/bin/sh\n" "$UID_" "$GID_" "$TRASH" >smart/passwd
cat >smart/main.cf <<EOC
myhostname = smart.remote.test
mydestination = remote.test
mynetworks = 127.0.0.1/32
local_passwd_file = $TRASH/smart/passwd
alias_maps =
mail_spool_directory = $TRASH/smart/spool
smtpd_reject_unlisted_recipient = yes
EOC

# smarthost_start - start it on a fresh port; relayhost follows
smarthost_start() {
	rm -f smart/port
	smtp-listen -1 -l 127.0.0.1:0 -C "$TRASH/smart/main.cf" -- \
	    mda-deliver -C "$TRASH/smart/main.cf" >smart/port 2>>smart/log &
	SMART_PID=$!
	test_bg $SMART_PID
	i=0
	while [ ! -s smart/port ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	SMART_PORT=$(head -n 1 smart/port)
	set_conf "relayhost=[127.0.0.1]:$SMART_PORT"
}

# smarthost_stop - kill it and wait until it is gone
smarthost_stop() {
	kill "$SMART_PID" 2>/dev/null
	i=0
	while kill -0 "$SMART_PID" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}

smarthost_start

test_expect_success 'mail for a remote domain goes through the smarthost' '
	printf "Subject: via smarthost\n\nx\n" | sm -v -f walter carol@remote.test 2>log &&
	grep -q "to=<carol@remote.test>, relay=127.0.0.1\[127.0.0.1\]:$SMART_PORT, delay=[0-9]*, dsn=2.0.0, status=sent" log &&
	want "$(count_msgs smart/spool/carol)" 1 "carol on the smarthost" &&
	want "$(nqueued)" 0 "queue files"
'

smarthost_stop
test_expect_success 'smarthost down: deferred, exit 0, mailq shows the reason' '
	printf "Subject: while down\n\nx\n" | sm -v -f walter carol@remote.test 2>log &&
	grep -q "to=<carol@remote.test>, relay=.*, dsn=4\.[0-9.]*, status=deferred (" log &&
	want "$(nqueued)" 1 "queue files" &&
	mailq -C main.cf >q &&
	sed -n 2p q | grep -Eq "^[0-9A-F]+  +[0-9]+ [A-Z][a-z][a-z] [A-Z][a-z][a-z] [ 0-9][0-9] [0-9:]{8}  walter@example.test$" &&
	sed -n 3p q | grep -q "^ *(.*127.0.0.1.*)$" &&
	sed -n 4p q | grep -q "^                                         carol@remote.test$"
'

test_expect_success 'the next attempt is the backoff (minimal_backoff_time 300s) away' '
	mailq -C main.cf -j >j &&
	/usr/bin/python3 - <<-\EOP
	import json
	m = json.loads(open("j").read())
	r = m["recipients"][0]
	assert r["address"] == "carol@remote.test", r
	d = r["next_attempt"] - m["arrival_time"]
	assert 300 <= d <= 310, d
	EOP
'

test_expect_success 'the -q1s runner leaves a message that is not due yet' '
	set_conf "queue_run_delay=1s" &&
	{ timeout 3 sendmail -C main.cf -q1s 2>/dev/null || test $? = 124; } &&
	want "$(nqueued)" 1 "queue files"
'

smarthost_start
test_expect_success 'sendmail -q leaves a message that is not due (Postfix flushes)' '
	sm -q &&
	want "$(nqueued)" 1 "queue files" &&
	want "$(count_msgs smart/spool/carol)" 1 "carol on the smarthost"
'

test_expect_success 'smarthost back, 400 s later sendmail -q: delivered, queue empty' '
	age_queue 400 &&
	sm -q &&
	want "$(count_msgs smart/spool/carol)" 2 "carol on the smarthost" &&
	want "$(nqueued)" 0 "queue files" &&
	mailq -C main.cf >q && echo "Mail queue is empty" >want && test_cmp want q
'

test_expect_success 'a 550 from the smarthost bounces to the local sender' '
	n=$(count_msgs spool/walter) &&
	printf "Subject: to nobody there\n\nx\n" |
	    sm -v -f walter nosuch@remote.test carol@remote.test 2>log &&
	grep -q "to=<nosuch@remote.test>, .*dsn=5.1.1, status=bounced (.*550" log &&
	grep -q "to=<carol@remote.test>, .*status=sent" log &&
	want "$(count_msgs spool/walter)" $((n + 1)) "walter got the bounce" &&
	/usr/bin/python3 - <<-\EOP
	import mailbox
	m = list(mailbox.mbox("spool/walter"))[-1]
	assert m.get_content_type() == "multipart/report"
	st = m.get_payload()[1].get_payload()[1]
	assert st["Final-Recipient"] == "rfc822; nosuch@remote.test", dict(st)
	assert st["Status"] == "5.1.1", dict(st)
	assert "550" in st["Diagnostic-Code"], dict(st)
	EOP
'

test_expect_success 'a 550 for the null sender: no bounce, a postmaster copy' '
	n=$(count_msgs spool/walter) &&
	printf "Subject: null\n\nx\n" | sm -v -f "" nosuch@remote.test 2>log &&
	grep -q "status=bounced" log &&
	grep -q "postmaster non-delivery notification" log &&
	want "$(count_msgs spool/walter)" $((n + 1)) "walter (postmaster)" &&
	want "$(nqueued)" 0 "queue files"
'

smarthost_stop
test_expect_success 'with 1s backoff a deferred message is due a second later' '
	set_conf "minimal_backoff_time=1s" "maximal_backoff_time=1s" &&
	printf "Subject: for the runner\n\nx\n" | sm -f walter carol@remote.test &&
	want "$(nqueued)" 1 "queue files"
'

smarthost_start
test_expect_success 'the sendmail -q1s runner delivers it once it is due' '
	n=$(count_msgs smart/spool/carol) &&
	{ timeout 4 sendmail -C main.cf -q1s 2>/dev/null || test $? = 124; } &&
	want "$(nqueued)" 0 "queue files" &&
	want "$(count_msgs smart/spool/carol)" $((n + 1)) "carol"
'

smarthost_stop
test_expect_success 'past maximal_queue_lifetime a deferred recipient expires and bounces' '
	set_conf "maximal_queue_lifetime=0s" &&
	n=$(count_msgs spool/walter) &&
	printf "Subject: too late\n\nx\n" | sm -v -f walter carol@remote.test 2>log &&
	grep -q "to=<carol@remote.test>, .*dsn=5\.[0-9.]*, status=expired (" log &&
	want "$(count_msgs spool/walter)" $((n + 1)) "walter got the bounce" &&
	want "$(nqueued)" 0 "queue files"
'

test_done
