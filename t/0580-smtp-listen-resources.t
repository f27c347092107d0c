#!/bin/sh
# smtp-listen and BATTERY.md 6.6 (durability and resources) with a
# hand-off command: the connection flood (F-10), many sessions without
# leaking descriptors or processes (F-11: a child serves up to 100
# sessions in a row, so a descriptor leaked per session would pile up in
# it; the children that wait are at most -c), and a spool that cannot be
# written (the hand-off's side of F-03/F-04: a temporary failure, never a
# 250 and never a bounce).  With a command the durability is the
# command's: smtp-listen answers 250 only after it exited 0, and 451 for
# anything temporary (t/unit/smtpd.c hand-off table).
#
# The queue hand-off's side is t/0590-smtp-listen-queue.t: a queue that
# cannot be written and a full disk (451, nothing left behind), F-05
# (link() failing at commit), kill -9 right after a 250 (the crash part of
# F-07), F-09 (a forged record in a file smtp-listen queued), F-03 (452
# 4.3.1 at MAIL when the queue's file system is short of space) and F-04
# (close() failing after fsync: 451, the file withdrawn).  F-07's
# power-loss replay is t/0685 (system calls on a file-system model; the
# block-level replay with dm-log-writes needs a kernel with device-mapper).
. "$top_srcdir/t/test-lib.sh"
. "$FIXTURES/smtpd/lib.sh"

write_conf
start_server flood -c 20
P_flood=$PORT
FLOOD_PID=$(ps -eo pid,args | awk -v p="$TRASH/out.flood" '$0 ~ "smtp-listen" && $0 ~ p { print $1; exit }')
mkdir -p out.nospool
TMPDIR=$TRASH/no/such/dir smtp-listen -1 -l 127.0.0.1:0 -C main.cf -- \
    "$RECORD" "$TRASH/out.nospool" >port.nospool 2>log.nospool &
test_bg $!
i=0
while [ ! -s port.nospool ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done

fds() { ls /proc/"$1"/fd | wc -l; }
want() {
	[ "$1" = "$2" ] || { echo "$3: got '$1', want '$2'" >&2; return 1; }
}
kids() { ps -o pid= --ppid "$1" | wc -l; }

test_expect_success 'F-10 500 connections at once: 20 sessions, 480 get 421 4.7.0' '
	/usr/bin/python3 - "$P_flood" <<-\EOP
	import socket, sys
	port = int(sys.argv[1])
	socks, first = [], []
	for i in range(500):
	    s = socket.create_connection(("127.0.0.1", port))
	    s.settimeout(10)
	    socks.append(s)
	files = [s.makefile("rb") for s in socks]
	for f in files:
	    first.append(f.readline())
	ok = [i for i, l in enumerate(first) if l.startswith(b"220 ")]
	busy = [l for l in first if l.startswith(b"421 4.7.0 mx.example.test Error: too many connections")]
	assert len(ok) == 20, "got %d sessions, want 20" % len(ok)
	assert len(busy) == 480, "got %d 421 replies, want 480" % len(busy)
	# the sessions that got in are unaffected
	for i in ok:
	    socks[i].sendall(b"NOOP\r\n")
	    l = files[i].readline()
	    assert l.startswith(b"250 "), l
	for s in socks:
	    s.close()
	EOP
'

test_expect_success 'F-10 the listener survives: a new session after the flood' '
	i=0 &&
	while [ $i -lt 50 ]; do
		$CHAT "$P_flood" "NOOP\r\n" >chat.out
		grep -q "^S: 250 " chat.out && break
		sleep 0.2
		i=$((i + 1))
	done &&
	expect_replies "220 250" chat.out
'

test_expect_success 'F-11 300 sessions (mail, errors, aborts, TLS-less STARTTLS): no fd or process leak' '
	test -n "$FLOOD_PID" &&
	before=$(fds "$FLOOD_PID") &&
	/usr/bin/python3 - "$P_flood" <<-\EOP &&
	import socket, sys
	port = int(sys.argv[1])
	scripts = [
	    b"EHLO c\r\nMAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\nDATA\r\n",
	    b"XYZZY\r\nQUIT\r\n",
	    b"EHLO c\r\nSTARTTLS\r\nQUIT\r\n",
	    b"EHLO c\r\nMAIL FROM:<a@example.test>\r\n",
	]
	for i in range(300):
	    s = socket.create_connection(("127.0.0.1", port))
	    s.settimeout(10)
	    f = s.makefile("rb")
	    f.readline()
	    k = i % len(scripts)
	    if k == 0:
	        s.sendall(b"EHLO c\r\n")
	        while not f.readline().startswith(b"250 "):
	            pass
	        for c in scripts[0].split(b"\r\n")[1:-1]:
	            s.sendall(c + b"\r\n")
	            f.readline()
	        s.sendall(b"Subject: %d\r\n\r\nbody\r\n.\r\nQUIT\r\n" % i)
	        f.readline()
	    else:
	        s.sendall(scripts[k])
	        if k == 3:
	            s.shutdown(socket.SHUT_WR)  # abort mid-transaction
	        try:
	            while f.readline():
	                pass
	        except OSError:
	            pass
	    s.close()
	EOP
	i=0 &&
	after=$(fds "$FLOOD_PID") &&
	want "$after" "$before" "descriptors of the listener" &&
	k=$(kids "$FLOOD_PID") &&
	{ test "$k" -le 20 || want "$k" "at most 20 (-c 20)" "processes"; } &&
	for kid in $(ps -o pid= --ppid "$FLOOD_PID"); do
		n=$(fds "$kid") || continue
		# a waiting child has the listener'"'"'s descriptors but the
		# status pipe'"'"'s read end; one leaked per session would show
		test "$n" -lt "$after" || want "$n" "fewer than $after" "descriptors of child $kid" || return 1
	done &&
	test "$(nmsg flood)" -eq 75
'

test_expect_success 'F-04 (hand-off side) the spool cannot be created: 451, nothing handed off, the session goes on' '
	$CHAT "$(head -n 1 port.nospool)" "EHLO c\r\n" "MAIL FROM:<a@example.test>\r\n" \
	    "RCPT TO:<b@example.test>\r\n" "DATA\r\n" "NOOP\r\n" >chat.out &&
	expect_replies "220 250 250 250 451 250" chat.out &&
	grep -q "^S: 451 4.3.0 cannot create spool file" chat.out &&
	test "$(find out.nospool -type f | wc -l)" -eq 0
'

test_done
