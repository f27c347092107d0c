#!/bin/sh
# Crash safety under load: 500 messages from Python's smtplib into
# smtp-listen (queue hand-off, no "--"), while smtp-listen and the
# delivery runners it starts are killed with SIGKILL at random moments
# and smtp-listen is started again on the same port.  Afterwards every
# message that got a 250 must be in walter's mbox at least once; the test
# reports how many came twice (a 250 lost in a kill, so the client sent
# again; or a runner killed between a delivery and the queue file's
# update).
. "$top_srcdir/t/test-lib.sh"
. "$FIXTURES/queue/setup.sh"

N=500
PORT=$(/usr/bin/python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')

# listener - smtp-listen on PORT, queueing; its pid in sl.pid, all in pids
listener() {
	smtp-listen -l "127.0.0.1:$PORT" -C "$S/main.cf" 2>>"$S/sl.log" &
	echo $! >"$S/sl.pid"
	echo $! >>"$S/pids"
}

# rnd N - a random number below N
rnd() {
	echo $(( $(od -An -N2 -tu2 /dev/urandom) % $1 ))
}

# killer - until the file "done" appears: SIGKILL smtp-listen (then start
# it again) or every process that holds the runner lock; counts in kills
killer() {
	k=0
	while [ ! -f "$S/done" ]; do
		sleep "0.0$(rnd 5)$(rnd 10)"
		if [ "$(rnd 2)" = 0 ]; then
			kill -9 "$(cat "$S/sl.pid")" 2>/dev/null
			sleep 0.05
			listener
		else
			for p in $(fuser "$S/queue/runner.lock" 2>/dev/null); do
				kill -9 "$p" 2>/dev/null
			done
		fi
		k=$((k + 1))
	done
	echo $k >"$S/kills"
}

# client - N messages, one after another, reconnecting after any failure;
# the numbers that got a 250 in acked
client() {
	/usr/bin/python3 - "$PORT" "$N" "$S/acked" <<-\EOP
	import smtplib, sys, time
	port, n, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
	acked = open(out, "w")
	i = tries = 0
	s = None
	while i < n and tries < n * 20:
	    tries += 1
	    try:
	        if s is None:
	            s = smtplib.SMTP("127.0.0.1", port, timeout=20)
	            s.ehlo("client.example.test")
	        s.sendmail("sender@remote.test", ["walter@example.test"],
	                   "Subject: crash %d\r\n\r\nx\r\n" % i)
	        acked.write("%d\n" % i)
	        acked.flush()
	        i += 1
	    except Exception:
	        try:
	            s.close()
	        except Exception:
	            pass
	        s = None
	        time.sleep(0.05)
	EOP
}

# tally - "once twice missing" over the acknowledged messages
tally() {
	/usr/bin/python3 - "$S/acked" <<-\EOP
	import mailbox, sys, collections
	acked = [int(x) for x in open(sys.argv[1])]
	c = collections.Counter(m["Subject"] for m in mailbox.mbox("spool/walter"))
	once = sum(1 for i in acked if c["crash %d" % i] == 1)
	more = sum(1 for i in acked if c["crash %d" % i] > 1)
	missing = [i for i in acked if c["crash %d" % i] == 0]
	print(once, more, len(missing), " ".join(map(str, missing[:10])))
	EOP
}

: >pids
listener
sleep 0.3
test_expect_success "$N messages over SMTP while smtp-listen and runners are killed" '
	killer &
	kpid=$! &&
	client &&
	touch done &&
	wait $kpid &&
	want "$(wc -l <acked | tr -d " ")" $N "acknowledged messages" &&
	{ test "$(cat kills)" -ge 5 || want "$(cat kills)" "5 or more" kills; }
'
for p in $(cat pids); do
	kill -9 "$p" 2>/dev/null
done
for p in $(fuser "$S/queue/runner.lock" 2>/dev/null); do
	kill -9 "$p" 2>/dev/null
done

test_expect_success 'after a last sendmail -q, every acknowledged message is there' '
	age_queue 5000 &&
	sm -q &&
	want "$(nqueued)" 0 "queue files left" &&
	set -- $(tally) &&
	echo "$(cat kills) kills: $1 delivered once, $2 twice or more, $3 missing $4" \
	    >crash.stats &&
	want "$3" 0 "acknowledged messages lost"
'
test -f crash.stats && sed 's/^/# /' crash.stats

test_done
