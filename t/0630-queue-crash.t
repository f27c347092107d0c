#!/bin/sh
# Crash safety of the queue: 60 messages wait in the queue (their first
# attempt deferred by a stand-in for mda-deliver that exits 75); then queue
# runners are killed with SIGKILL at random moments, again and again, until
# one finishes.  Every queued message must be in walter's mbox at least
# once; the test says how many came twice (a kill between a delivery and
# the queue file's update).  Two runners at once deliver each message
# exactly once: the lock keeps them apart.
. "$top_srcdir/t/test-lib.sh"
. "$FIXTURES/queue/setup.sh"

N=60
printf '#!/bin/sh\ncat >/dev/null\necho "4.2.0 try later" >&2\nexit 75\n' >tempfail
chmod +x tempfail

# queue_all TAG - N messages for walter, each deferred once
queue_all() {
	set_conf "mda_deliver_program=$TRASH/tempfail"
	i=0
	while [ $i -lt $N ]; do
		printf "Subject: %s %d\n\nx\n" "$1" $i | sm -f dude walter ||
		    return 1
		i=$((i + 1))
	done
	set_conf "mda_deliver_program=$top_builddir/mda-deliver"
	# sendmail -q takes only what is due: let the backoff pass
	age_queue 3600
}

# subjects TAG - how often each message of TAG arrived: "once twice missing"
subjects() {
	/usr/bin/python3 - "$1" "$N" <<-\EOP
	import mailbox, sys, collections
	tag, n = sys.argv[1], int(sys.argv[2])
	c = collections.Counter(m["Subject"] for m in mailbox.mbox("spool/walter")
	    if m["Subject"].startswith(tag + " "))
	once = sum(1 for i in range(n) if c["%s %d" % (tag, i)] == 1)
	more = sum(1 for i in range(n) if c["%s %d" % (tag, i)] > 1)
	missing = sum(1 for i in range(n) if c["%s %d" % (tag, i)] == 0)
	print(once, more, missing)
	EOP
}

test_expect_success "$N messages wait in the queue" '
	queue_all kill &&
	want "$(nqueued)" $N "queue files" &&
	want "$(count_msgs spool/walter)" 0 "delivered"
'

test_expect_success 'runners killed with SIGKILL at random moments lose nothing' '
	rounds=0 &&
	while [ "$(nqueued)" -gt 0 ] && [ $rounds -lt 40 ]; do
		sm -q 2>/dev/null &
		pid=$! &&
		sleep "0.0$(( $(od -An -N1 -tu1 /dev/urandom) % 4 + 1 ))" &&
		kill -9 $pid 2>/dev/null;
		wait $pid 2>/dev/null;
		rounds=$((rounds + 1))
	done &&
	sm -q &&
	want "$(nqueued)" 0 "queue files left" &&
	set -- $(subjects kill) &&
	echo "$rounds kills: $1 delivered once, $2 twice or more, $3 missing" \
	    >crash.stats &&
	test $rounds -gt 1 &&
	want "$3" 0 "messages lost"
'
test -f crash.stats && sed 's/^/# /' crash.stats

test_expect_success 'two runners at once: each message exactly once' '
	queue_all pair &&
	{ sm -q & sm -q; wait; } &&
	want "$(nqueued)" 0 "queue files left" &&
	set -- $(subjects pair) &&
	want "$1 $2 $3" "$N 0 0" "once, twice, missing"
'

test_done
