#!/bin/sh
# Alias targets that are remote addresses re-enter the queue: mda-deliver
# queues a new message (same sender and content, the remote recipient,
# Delivered-To: naming the alias) and the queue runner sends it on in the
# same pass, to the relayhost here; when the relay is down the copy waits
# in the queue like any other message.
. "$top_srcdir/t/test-lib.sh"
. "$FIXTURES/queue/setup.sh"

printf 'root: walter\npostmaster: walter\nfar: carol@remote.test\nteam: walter, carol@remote.test\n' >aliases
newaliases -C main.cf || exit 99
far_start relay 127.0.0.1
set_conf "relayhost=[127.0.0.1]:$FAR_PORT"

test_expect_success 'mda-deliver -n: a remote target is queued anew' '
	mda-deliver -C main.cf -n far </dev/null >plan &&
	grep -q "^action	remote	carol@remote.test	(queued anew)$" plan
'

test_expect_success 'an alias to a remote address: a new message, sent at once' '
	printf "Subject: fwd one\n\nx\n" | sm -v -f dude far 2>log &&
	id=$(sed -n "s/.*far@example.test: forwarded to <carol@remote.test> as \([0-9A-Za-z]*\)$/\1/p" log) &&
	test -n "$id" &&
	grep -q "to=<far@example.test>, relay=local, .*status=sent (forwarded as $id)" log &&
	grep -q "^sendmail: $id: to=<carol@remote.test>, relay=127.0.0.1\[127.0.0.1\]:$FAR_PORT, .*status=sent" log &&
	want "$(count_msgs relay/spool/carol)" 1 "carol" &&
	want "$(nqueued)" 0 "queue files"
'

test_expect_success 'the copy keeps the sender and names the alias in Delivered-To' '
	/usr/bin/python3 - <<-\EOP
	import mailbox
	m = list(mailbox.mbox("relay/spool/carol"))[-1]
	assert m["Subject"] == "fwd one", m["Subject"]
	assert m["Return-Path"] == "<dude@example.test>", m["Return-Path"]
	dt = m.get_all("Delivered-To")
	assert "far@example.test" in dt, dt
	EOP
'

test_expect_success 'a list of a local and a remote address: both get it' '
	printf "Subject: fwd team\n\nx\n" | sm -f dude team &&
	want "$(grep -c "^Subject: fwd team" spool/walter)" 1 "walter" &&
	want "$(grep -c "^Subject: fwd team" relay/spool/carol)" 1 "carol" &&
	want "$(nqueued)" 0 "queue files"
'

test_expect_success 'relay down: the copy waits in the queue, from the sender' '
	set_conf "relayhost=[127.0.0.1]:9" &&
	printf "Subject: fwd later\n\nx\n" | sm -f dude far &&
	want "$(nqueued)" 1 "queue files" &&
	mailq -C main.cf >q &&
	grep -q " dude@example.test$" q &&
	grep -q "^  *carol@remote.test$" q
'

test_expect_success 'relay back, sendmail -q: the copy is delivered' '
	set_conf "relayhost=[127.0.0.1]:$FAR_PORT" &&
	age_queue 400 &&
	sm -q &&
	want "$(grep -c "^Subject: fwd later" relay/spool/carol)" 1 "carol" &&
	want "$(nqueued)" 0 "queue files"
'

test_expect_success 'sendmail -q sends a copy queued during its own pass' '
	set_conf "mda_deliver_program=$TRASH/slow-mda" &&
	printf "#!/bin/sh\ncat >/dev/null\nexit 75\n" >slow-mda &&
	chmod +x slow-mda &&
	printf "Subject: fwd pass\n\nx\n" | sm -f dude far &&
	set_conf "mda_deliver_program=$top_builddir/mda-deliver" &&
	want "$(nqueued)" 1 "queue files" &&
	age_queue 400 &&
	sm -q &&
	want "$(grep -c "^Subject: fwd pass" relay/spool/carol)" 1 "carol" &&
	want "$(nqueued)" 0 "queue files"
'

test_expect_success 'no queue directory: mda-deliver says so and exits 75' '
	sed "s|^queue_directory =.*|queue_directory = $TRASH/noqueue|" main.cf >nq.cf &&
	printf "x\n" | test_expect_code 75 mda-deliver -C nq.cf -f dude far 2>err &&
	grep -q "^4\.3\.0 far: carol@remote.test is remote, and the queue cannot take it: " err &&
	! test -e noqueue
'

test_done
