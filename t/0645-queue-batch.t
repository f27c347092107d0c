#!/bin/sh
# The queue runner delivers local mail itself, many messages at a time:
# the appends to one mailbox under one pair of locks and one fsync(), no
# recipient marked delivered before that fsync() returned.  Messages are
# held back by a dotlock on walter's mailbox (deliver_lock_attempts = 1),
# then one `sendmail -q` delivers them as a batch.  Faults (t/fiu.so, only
# for the mailbox: FIU_MATCH) midway and at the fsync(): whole messages
# or none, the rest stays queued, nothing lost or doubled.
. "$top_srcdir/t/test-lib.sh"
. "$FIXTURES/queue/setup.sh"

PY=/usr/bin/python3
FIU=$top_builddir/t/fiu.so
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
export ASAN_OPTIONS
set_conf deliver_lock_attempts=1 delivery_mode=interactive
MB=$S/spool/walter

# subjects MBOX - the Subject: of each message, sorted (the queue's order
# is its ids', not the arrival's), by Python's mailbox
subjects() {
	$PY -c 'import mailbox, sys
for m in mailbox.mbox(sys.argv[1]):
    print(m["Subject"])' "$1" | sort
}

# held N FIRST - N messages to walter, numbered from FIRST, deferred
# behind a dotlock on his mailbox, and due again (the queue aged 4001 s, past any backoff)
held() {
	: >"$MB.lock"
	i=$2
	while [ $i -lt $(($2 + $1)) ]; do
		printf 'Subject: m%03d\n\nbody %d\nFrom here\n' $i $i |
		    sm -f dude walter || return 1
		i=$((i + 1))
	done
	rm -f "$MB.lock" &&
	age_queue 4001
}

# seq_subjects FIRST LAST - m001 ... as subjects() prints them
seq_subjects() {
	i=$1
	while [ $i -le $2 ]; do printf 'm%03d\n' $i; i=$((i + 1)); done
}

test_expect_success 'held behind a dotlock: 30 messages deferred' '
	held 30 1 &&
	want "$(nqueued)" 30 "queue files" &&
	want "$(count_msgs "$MB")" 0 "messages in the mailbox" &&
	mailq -C "$S/main.cf" | grep -q "cannot get the dotlock"
'

test_expect_success 'one sendmail -q: all 30 in one batch' '
	sm -q -v 2>log &&
	grep -q "delivering 30 messages to mailbox $MB" log &&
	test "$(grep -c "fsync done" log)" -ge 1 &&
	grep -q "fsync done (30 messages)" log &&
	want "$(grep -c "relay=local, .*status=sent" log)" 30 "sent lines" &&
	want "$(nqueued)" 0 "queue files" &&
	subjects "$MB" >got && seq_subjects 1 30 >want && test_cmp want got &&
	want "$(grep -c "^>From here" "$MB")" 30 "quoted From lines"
'

test_expect_success 'a full disk midway: whole messages or none, the rest waits' '
	cp "$MB" before &&
	held 20 31 &&
	LD_PRELOAD="$FIU" FIU_MATCH=spool/walter FIU_WRITE_AFTER=700 \
	    sendmail -C "$S/main.cf" -q -v 2>log &&
	grep -q "No space left on device" log &&
	k=$(grep -c "relay=local, .*status=sent" log) &&
	test "$k" -ge 1 && test "$k" -lt 20 &&
	want "$(grep -c "relay=local, .*status=deferred" log)" $((20 - k)) "deferred" &&
	want "$(nqueued)" $((20 - k)) "queue files" &&
	subjects "$MB" >got && want "$(wc -l <got)" $((30 + k)) "messages" &&
	want "$(uniq <got | wc -l)" $((30 + k)) "different messages" &&
	seq_subjects 1 50 >all && want "$(comm -23 got all | wc -l)" 0 "unknown ones"
'

test_expect_success 'the disk has room again: the rest, each exactly once' '
	age_queue 4001 && sm -q 2>log &&
	want "$(nqueued)" 0 "queue files" &&
	subjects "$MB" >got && seq_subjects 1 50 >want && test_cmp want got
'

test_expect_success 'fsync fails: nothing is marked delivered, the mailbox is as before' '
	cp "$MB" before &&
	held 10 51 &&
	LD_PRELOAD="$FIU" FIU_MATCH=spool/walter FIU_FSYNC=1 \
	    sendmail -C "$S/main.cf" -q -v 2>log &&
	grep -q "fsync: Input/output error" log &&
	want "$(grep -c "relay=local, .*status=deferred" log)" 10 "deferred" &&
	want "$(grep -c "status=sent" log)" 0 "sent" &&
	want "$(nqueued)" 10 "queue files" &&
	cmp before "$MB" && ! test -e "$MB.lock" &&
	age_queue 4001 && sm -q &&
	subjects "$MB" >got && seq_subjects 1 60 >want &&
	test_cmp want got
'

test_expect_success 'a batch of mixed recipients: each gets its own outcome' '
	: >"$MB.lock" &&
	printf "Subject: mixed\n\nx\n" | sm -v -f dude walter bob nosuch root 2>log1 &&
	printf "Subject: second\n\ny\n" | sm -f dude walter &&
	grep -q "to=<bob@example.test>, relay=local, .*status=sent" log1 &&
	grep -q "to=<nosuch@example.test>, relay=local, .*dsn=5.1.1, status=bounced" log1 &&
	grep -q "to=<walter@example.test>, relay=local, .*status=deferred" log1 &&
	grep -q "to=<root@example.test>, relay=local, .*status=deferred" log1 &&
	rm -f "$MB.lock" && age_queue 4001 &&
	sm -q -v 2>log &&
	grep -q "delivering 2 messages to mailbox $MB" log &&
	grep -q "to=<walter@example.test>, relay=local, .*status=sent" log &&
	grep -q "to=<root@example.test>, relay=local, .*status=sent" log &&
	want "$(nqueued)" 0 "queue files" &&
	subjects "$MB" | grep -v "^m[0-9]" >got &&
	printf "mixed\nsecond\n" >want && test_cmp want got &&
	want "$(subjects "$MB" | grep -c "^mixed$")" 1 "walter and root (his alias): one copy" &&
	want "$(count_msgs "$S/spool/bob")" 1 "bob" &&
	grep -q "^Subject: Undelivered Mail" "$S/spool/dude"
'

test_expect_success 'as root the batch is written as the mailbox user; else as us' '
	if [ "$(id -u)" = 0 ]; then
		printf "nob:x:65534:65534:nob:%s:/bin/sh\n" "$S" >>"$S/passwd" &&
		chmod 1777 "$S/spool" &&
		printf "Subject: n1\n\nx\n" | sm -f dude nob &&
		printf "Subject: n2\n\nx\n" | sm -f dude nob &&
		want "$(stat -c %u "$S/spool/nob")" 65534 "owner of the new mailbox" &&
		want "$(count_msgs "$S/spool/nob")" 2 "messages"
	else
		want "$(stat -c %u "$MB")" "$(id -u)" "owner of the mailbox"
	fi
'

test_expect_success 'mda_deliver_program set: one process per recipient, as before' '
	set_conf "mda_deliver_program=$top_builddir/mda-deliver" &&
	: >"$MB.lock" &&
	printf "Subject: m061\n\nx\n" | sm -f dude walter &&
	printf "Subject: m062\n\nx\n" | sm -f dude walter &&
	rm -f "$MB.lock" && age_queue 4001 &&
	sm -q -v 2>log &&
	! grep -q "delivering 2 messages" log &&
	want "$(grep -c "relay=local, .*status=sent" log)" 2 "sent" &&
	subjects "$MB" | grep -c "^m06[12]$" >n && want "$(cat n)" 2 "m061, m062"
'

test_done
