#!/bin/sh
# smtp-listen without "-- command": each accepted message goes into the
# queue, durable before the 250, and a delivery pass starts in the
# background.  Real clients (swaks, Python's smtplib), the real queue,
# mailq, sendmail -q and mda-deliver into a sandbox mbox; BATTERY.md 6.6
# as far as it concerns the hand-off: a queue that cannot be written
# (F-03's failure side: 451, never 5xx), link() failing at commit (F-05),
# kill -9 right after a 250 (F-07's crash part, without the block-level
# replay), and a forged record in a file smtp-listen wrote (F-09).  Where
# a message must stay in the queue, the test holds the runner's lock, as
# a busy runner would.
. "$top_srcdir/t/test-lib.sh"
. "$FIXTURES/queue/setup.sh"
. "$FIXTURES/smtpd/lib.sh"

# A delivery program that always defers: the message stays queued.
cat >"$S/defer" <<\EOF
#!/bin/sh
cat >/dev/null
echo "4.2.0 mailbox busy, try later" >&2
exit 75
EOF
chmod +x "$S/defer"

# serve NAME [option...] - smtp-listen -1 on a free loopback port (PORT,
# PID), with main.cf or $CONF
serve() {
	name=$1
	shift
	smtp-listen -1 -l 127.0.0.1:0 -C "${CONF:-$S/main.cf}" "$@" \
	    >"port.$name" 2>"log.$name" &
	PID=$!
	test_bg $PID
	wait_file "port.$name"
	PORT=$(head -n 1 "port.$name")
}

# quiet - wait (at most 20 s) until no delivery pass runs on the queue
quiet() {
	flock -w 20 "$S/queue/runner.lock" true
}

# until_n N MBOX - wait (at most 20 s) until MBOX holds N messages
until_n() {
	i=0
	while [ "$(count_msgs "$2")" -lt "$1" ] && [ $i -lt 200 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	want "$(count_msgs "$2")" "$1" "messages in $2"
}

# smtp PORT TO... - one message by Python's smtplib; prints the last reply
smtp() {
	/usr/bin/python3 - "$@" <<-\EOP
	import smtplib, sys
	port, rcpt = int(sys.argv[1]), sys.argv[2:]
	s = smtplib.SMTP("127.0.0.1", port, timeout=20)
	s.ehlo("client.example.test")
	s.mail("sender@remote.test")
	for r in rcpt:
	    s.rcpt(r)
	code, text = s.data(b"Subject: queued\r\nFrom: sender@remote.test\r\n\r\nline 1\r\n.dot\r\n")
	print(code, text.decode())
	s.quit()
	EOP
}

# inetd SESSION-FILE [option...] - one session on a pipe, as under
# inetd: the greeting awaited, then each command (or the text after DATA)
# sent with CRLF and its reply read; the replies on stdout
inetd() {
	/usr/bin/python3 - "$S/main.cf" "$@" <<-\EOP
	import subprocess, sys
	conf, f, opts = sys.argv[1], sys.argv[2], sys.argv[3:]
	p = subprocess.Popen(["smtp-listen", "-C", conf] + opts,
	    stdin=subprocess.PIPE, stdout=subprocess.PIPE)
	def reply():
	    while True:
	        l = p.stdout.readline()
	        sys.stdout.write(l.decode())
	        if len(l) < 4 or l[3:4] != b"-":
	            return l
	reply()
	text = None
	for line in open(f).read().split("\n")[:-1]:
	    if text is not None:
	        text.append(line)
	        if line != ".":
	            continue
	        line, text = "\r\n".join(text), None
	    p.stdin.write(line.encode() + b"\r\n")
	    p.stdin.flush()
	    if reply()[:3] == b"354":
	        text = []
	p.stdin.close()
	sys.stdout.write(p.stdout.read().decode())
	sys.exit(p.wait())
	EOP
}

serve good
P_good=$PORT

test_expect_success 'swaks: 250 2.0.0 Ok: queued as ID, and mda-deliver puts it into the mbox' '
	swaks --server 127.0.0.1:$P_good --helo client.example.test \
	    --from sender@remote.test --to walter@example.test \
	    --header "Subject: by swaks" --body "hello walter" >swaks.out 2>&1 &&
	id=$(sed -n "s/^<- *250 2.0.0 Ok: queued as \([0-9A-F]*\)\r*$/\1/p" swaks.out) &&
	test -n "$id" &&
	until_n 1 "$S/spool/walter" &&
	test_grep "^Subject: by swaks" "$S/spool/walter" &&
	quiet &&
	test_grep "$id: to=<walter@example.test>, relay=local, .*status=sent" log.good &&
	test_grep "$id: client=.*status=queued" log.good &&
	want "$(nqueued)" 0 "files left in the queue"
'

test_expect_success 'smtplib: two recipients, dots unstuffed, one queue file, both delivered' '
	smtp $P_good walter@example.test dude@example.test >reply &&
	test_grep "^250 2.0.0 Ok: queued as [0-9A-F]*$" reply &&
	until_n 2 "$S/spool/walter" &&
	until_n 1 "$S/spool/dude" &&
	/usr/bin/python3 - "$S/spool/dude" <<-\EOP
	import mailbox, sys
	m = list(mailbox.mbox(sys.argv[1]))[0]
	body = m.get_payload()
	# smtplib stuffed the dot; smtp-listen took it out again
	assert body == "line 1\n.dot\n", repr(body)
	assert m["Received"].startswith("from client.example.test"), m["Received"]
	EOP
'

# hold / release - keep the queue's runner lock, as a busy runner would:
# messages then wait in the queue, pending, until a pass comes
hold() {
	rm -f held release && mkfifo release &&
	flock "$S/queue/runner.lock" sh -c 'echo x >held; cat release >/dev/null' &
	wait_file held
}
release() {
	echo >release
	quiet
}

test_expect_success 'while a runner works, new mail waits in the queue; mailq shows it; the next kick delivers both' '
	hold &&
	smtp $P_good bob@example.test >reply &&
	id=$(sed -n "s/^250 2.0.0 Ok: queued as //p" reply) &&
	test -n "$id" &&
	test -f "$S/queue/queue/$id" &&
	test -f "$S/queue/kick" &&
	mailq -C "$S/main.cf" >mailq.out &&
	test_grep "^$id" mailq.out &&
	test_grep "bob@example.test" mailq.out &&
	want "$(count_msgs "$S/spool/bob")" 0 "messages for bob while held" &&
	release &&
	smtp $P_good bob@example.test >reply &&
	until_n 2 "$S/spool/bob" && quiet &&
	want "$(nqueued)" 0 "files left in the queue"
'

test_expect_success 'DSN: RET, ENVID, NOTIFY and ORCPT are kept in the queue file' '
	hold &&
	/usr/bin/python3 - $P_good >reply <<-\EOP &&
	import smtplib, sys
	s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=20)
	s.ehlo("c")
	s.mail("sender@remote.test", ["RET=HDRS", "ENVID=QQ+2B123"])
	s.rcpt("bob@example.test", ["NOTIFY=FAILURE,DELAY",
	    "ORCPT=rfc822;Bob@example.test"])
	s.rcpt("dude@example.test", ["NOTIFY=NEVER"])
	s.rcpt("walter@example.test")
	code, text = s.data(b"Subject: dsn\r\n\r\nx\r\n")
	print(code, text.decode())
	s.quit()
	EOP
	id=$(sed -n "s/^250 2.0.0 Ok: queued as //p" reply) &&
	test -n "$id" &&
	f="$S/queue/queue/$id" &&
	test_grep "^E H QQ+2B123\$" "$f" &&
	sed -n "/^R /{n;p;}" "$f" | sed -n "/^N /p" >n.got &&
	printf "N FD rfc822;Bob@example.test\nN N -\n" >n.want &&
	test_cmp n.want n.got &&
	want "$(grep -c "^N " "$f")" 2 "N records" &&
	release &&
	smtp $P_good bob@example.test >reply &&
	until_n 4 "$S/spool/bob" && quiet &&
	want "$(nqueued)" 0 "files left in the queue"
'

# A second queue whose deliveries always defer.
sed -e "s|^queue_directory = .*|queue_directory = $S/queue2|" \
    "$S/main.cf" >"$S/main2.cf"
echo "mda_deliver_program = $S/defer" >>"$S/main2.cf"
CONF=$S/main2.cf
serve defer
P_defer=$PORT
CONF=

test_expect_success 'a deferred delivery: the message stays queued, mailq gives the reason' '
	smtp $P_defer bob@example.test >reply &&
	id=$(sed -n "s/^250 2.0.0 Ok: queued as //p" reply) &&
	test -n "$id" &&
	flock -w 20 "$S/queue2/runner.lock" true &&
	test -f "$S/queue2/queue/$id" &&
	mailq -C "$S/main2.cf" >mailq.out &&
	test_grep "^$id" mailq.out &&
	test_grep "mailbox busy" mailq.out &&
	test_grep "$id: to=<bob@example.test>, relay=local, .*status=deferred" log.defer
'

test_expect_success 'a queue that cannot be written: 451 4.3.0, nothing half there; later 250' '
	mv "$S/queue/tmp" "$S/queue/tmp.away" &&
	: >"$S/queue/tmp" &&
	smtp $P_good bob@example.test >reply &&
	test_grep "^451 4.3.0 Error: queue file write error" reply &&
	want "$(nqueued)" 0 "files in the queue after a 451" &&
	test_grep "queue file write error: .*Not a directory" log.good &&
	rm "$S/queue/tmp" && mv "$S/queue/tmp.away" "$S/queue/tmp" &&
	smtp $P_good bob@example.test >reply &&
	test_grep "^250 " reply &&
	until_n 5 "$S/spool/bob" && quiet &&
	want "$(nqueued)" 0 "files in the queue after the retry"
'

if [ "$(id -u)" = 0 ] && mkdir -p full && mount -t tmpfs -o size=64k tmpfs full 2>/dev/null; then
	trap 'umount "$TRASH/full" 2>/dev/null; test_cleanup' EXIT
	test_expect_success 'F-03 root: a nearly full queue file system: 452 4.3.1 at MAIL, nothing queued' '
		head -c 60000 /dev/zero >full/filler &&
		printf "EHLO c\nMAIL FROM:<a@remote.test>\nQUIT\n" >low.in &&
		inetd low.in -o queue_directory="$TRASH/full/q" >low.out 2>low.log &&
		test_grep "^452 4.3.1 Insufficient system storage" low.out &&
		test_grep "bytes free" low.log &&
		want "$(find full/q/queue -type f | wc -l | tr -d " ")" 0 "queued"
	'
	test_expect_success 'root: a queue file system that fills during DATA gives 451, never 5xx' '
		test -f full/filler &&
		{
			printf "EHLO c\nMAIL FROM:<a@remote.test>\n" &&
			printf "RCPT TO:<bob@example.test>\nDATA\n" &&
			seq 1000 1200 | sed "s/\$/ xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx/" &&
			printf ".\nQUIT\n"
		} >full.in &&
		# No size limit, so the MAIL-time check (need 1.5 x the
		# limit) lets it through and the write itself runs out.
		inetd full.in -o queue_directory="$TRASH/full/q" \
		    -o message_size_limit=0 >full.out 2>full.log
		test_grep "^451 4.3.0" full.out &&
		! test_grep "^5" full.out &&
		want "$(find full/q/queue -type f | wc -l | tr -d " ")" 0 "queued"
	'
	umount "$TRASH/full"
fi

# preload NAME C-SOURCE - build a shim NAME.so that replaces a libc call
preload() {
	printf '#include <errno.h>\n%s\n' "$2" >"$1.c" &&
	cc -shared -fPIC -o "$1.so" "$1.c"
}

# shimmed SO SESSION-FILE [option...] - inetd with the shim preloaded
shimmed() {
	(
		# ASan wants to come first; the shim is no memory allocator.
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" &&
		LD_PRELOAD=$TRASH/$1 &&
		export ASAN_OPTIONS LD_PRELOAD &&
		shift &&
		inetd "$@"
	)
}

test_expect_success 'a full disk at fsync() (ENOSPC, as NFS and thin disks say it): 451, nothing queued' '
	preload enospc "int fsync(int fd) { (void)fd; errno = ENOSPC; return -1; }" &&
	printf "EHLO c\nMAIL FROM:<a@remote.test>\nRCPT TO:<bob@example.test>\nDATA\nSubject: full\n\n.\nQUIT\n" >enospc.in &&
	shimmed enospc.so enospc.in >enospc.out 2>enospc.log &&
	test_grep "^451 4.3.0 Error: queue file write error" enospc.out &&
	test_grep "No space left on device" enospc.log &&
	want "$(nqueued)" 0 "files in queue/" &&
	want "$(find "$S/queue/tmp" -type f | wc -l | tr -d " ")" 0 "files in tmp/"
'

test_expect_success 'F-03 queue_minfree above the free space: 452 4.3.1 at MAIL, the session goes on' '
	printf "EHLO c\nMAIL FROM:<a@remote.test>\nNOOP\nQUIT\n" >minfree.in &&
	inetd minfree.in -o queue_minfree=999999999999999999 >minfree.out 2>minfree.log &&
	test_grep "^452 4.3.1 Insufficient system storage" minfree.out &&
	test_grep "^250 2.0.0" minfree.out &&
	want "$(nqueued)" 0 "files in queue/"
'

test_expect_success 'F-04 close() failing after fsync (as NFS reports a lost write): 451, the file withdrawn' '
	preload closefail "#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
int close(int fd) {
	struct stat st;
	int w = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (fcntl(fd, F_GETFL) & O_ACCMODE) == O_WRONLY;
	if (syscall(SYS_close, fd) == -1)
		return -1;
	if (w) { errno = EIO; return -1; }
	return 0;
}" &&
	printf "EHLO c\nMAIL FROM:<a@remote.test>\nRCPT TO:<bob@example.test>\nDATA\nSubject: F-04\n\n.\nQUIT\n" >f04.in &&
	shimmed closefail.so f04.in >f04.out 2>f04.log &&
	test_grep "^451 4.3.0" f04.out &&
	test_grep "close queue file" f04.log &&
	want "$(nqueued)" 0 "files in queue/" &&
	want "$(find "$S/queue/tmp" -type f | wc -l | tr -d " ")" 0 "files in tmp/"
'

test_expect_success 'F-05 link() failing at commit: 451, no orphan in tmp/ or queue/, no duplicate later' '
	nbob=$(count_msgs "$S/spool/bob") &&
	preload linkfail "int link(const char *a, const char *b) { (void)a; (void)b; errno = EIO; return -1; }" &&
	printf "EHLO c\nMAIL FROM:<a@remote.test>\nRCPT TO:<bob@example.test>\nDATA\nSubject: F-05\n\n.\nQUIT\n" >f05.in &&
	shimmed linkfail.so f05.in >f05.out 2>f05.log &&
	test_grep "Input/output error" f05.log &&
	test_grep "^451 4.3.0" f05.out &&
	want "$(nqueued)" 0 "files in queue/" &&
	want "$(find "$S/queue/tmp" -type f | wc -l | tr -d " ")" 0 "files in tmp/" &&
	sm -q && quiet &&
	want "$(count_msgs "$S/spool/bob")" "$nbob" "messages for bob"
'

test_expect_success 'kill -9 right after the 250: the message is in the queue and gets delivered' '
	hold &&
	serve crash &&
	/usr/bin/python3 - $PORT $PID >reply <<-\EOP &&
	import os, signal, smtplib, subprocess, sys
	port, pid = int(sys.argv[1]), int(sys.argv[2])
	s = smtplib.SMTP("127.0.0.1", port, timeout=20)
	s.ehlo("c")
	s.mail("sender@remote.test")
	s.rcpt("bob@example.test")
	code, text = s.data(b"Subject: crash\r\n\r\nsurvive\r\n")
	# The listener and its session children, at once, before QUIT.
	kids = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)],
	    capture_output=True, text=True).stdout.split()
	for p in [pid] + [int(k) for k in kids]:
	    os.kill(int(p), signal.SIGKILL)
	print(code, text.decode())
	EOP
	id=$(sed -n "s/^250 2.0.0 Ok: queued as //p" reply) &&
	test -n "$id" &&
	release &&
	test -f "$S/queue/queue/$id" &&
	sm -q &&
	test_grep "^Subject: crash" "$S/spool/bob" &&
	want "$(nqueued)" 0 "files left in the queue"
'

test_expect_success 'F-09 a forged record appended to a file smtp-listen queued: set aside, not delivered' '
	printf "EHLO c\nMAIL FROM:<a@remote.test>\nRCPT TO:<dude@example.test>\nDATA\nSubject: forged\n\n.\nQUIT\n" >f09.in &&
	hold &&
	inetd f09.in >f09.out 2>f09.log &&
	release &&
	test_grep "^250 2.0.0 Ok: queued as" f09.out &&
	f=$(find "$S/queue/queue" -type f) && test -n "$f" &&
	printf "R P 0 - bob@example.test\t\n" >>"$f" &&
	sm -q 2>/dev/null;
	want "$(nqueued)" 0 "files left in queue/" &&
	want "$(find "$S/queue/corrupt" -type f | wc -l | tr -d " ")" 1 "files in corrupt/" &&
	! grep "^Subject: forged" "$S/spool/bob" &&
	! grep "^Subject: forged" "$S/spool/dude"
'

test_expect_success 'the command form still works beside the queue form' '
	printf "EHLO c\nMAIL FROM:<a@remote.test>\nRCPT TO:<bob@example.test>\nDATA\nSubject: cmd\n\n.\nQUIT\n" >cmd.in &&
	inetd cmd.in -- mda-deliver -C "$S/main.cf" >cmd.out 2>&1 &&
	test_grep "^250 2.0.0 Ok: queued as" cmd.out &&
	test_grep "^Subject: cmd" "$S/spool/bob" &&
	want "$(nqueued)" 0 "files in the queue"
'

quiet
test_done
