#!/bin/sh
# Retries, backoff, delay warnings and expiry under a fake clock
# (libfaketime), against the real sendmail, smtp-send and mailq of the
# build, the relayhost a port where nothing listens.  Unlike ageq.py
# (t/0610, t/0660), which moves the times inside the queue files, here
# the programs themselves live days later: each command runs at
# "T0 + N seconds" through the helper at().
#
# What was found (libfaketime 0.9.10 of Debian 12; the plain build and
# CI's -fsanitize=address,undefined build, each checked):
# - ASan aborts at start ("ASan runtime does not come first in initial
#   library list") when LD_PRELOAD names libfaketime.
#   ASAN_OPTIONS=verify_asan_link_order=0 is all it takes: ASan
#   intercepts none of the time functions, so libfaketime's still win.
#   The plain build needs nothing.  libfaketime.so.1 and
#   libfaketimeMT.so.1 both pass this script in both builds; the MT one
#   is used, as libcurl in smtp-send may start threads.
# - The clock is frozen (FAKETIME="YYYY-MM-DD hh:mm:ss", no "@"): every
#   process of a step, and the children sendmail starts, see the same
#   second, so the backoff is checked to the second.  A ticking clock
#   ("@YYYY-...") passes too on an idle machine, but starts anew in each
#   exec'd child and drifts by the start-up time, which under ASan on a
#   loaded machine may cross a second.  "+Ns" offsets from the real
#   clock would make the expected times differ from run to run.
# - A frozen clock freezes CLOCK_MONOTONIC too, and then curl's
#   timeouts never run out: sendmail with a relayhost that accepts and
#   never greets hung (until killed) instead of deferring after
#   smtp_data_done_timeout.  FAKETIME_DONT_FAKE_MONOTONIC=1 keeps the
#   monotonic clock real; with it the same case deferred in 3 s.
#   FAKETIME_NO_CACHE is not needed: FAKETIME comes from the environment
#   of each new process and never changes while one runs.
# - "Now" in the queue is time() (submit.c: the arrival; qrun.c: a
#   pass; sendmail.c: the first attempt) and gettimeofday() (the queue
#   ID's microseconds: always 0 on a frozen clock, so IDs differ by the
#   inode part only, e.g. 00000A9E19B); all are faked.  No queue
#   decision reads a file's mtime: the times are records in the queue
#   file.  stat(), lstat() and fstat() are faked too (every file time
#   reads as the frozen now; coreutils stat(1) uses statx(), which
#   0.9.10 does not fake).  So under a frozen clock mbox.c's dotlock()
#   never finds a lock stale (now - st_mtime is 0) and local.c's
#   command() deadline (command_time_limit, from time()) never passes;
#   this script meets neither (no lock contention, no |command).
# - The queue keeps the fake times: mailq, run here on the real clock,
#   gives the arrival of 2030 (-j; the listing shows no year) and the
#   next attempts in 2030 (-n), and the reports' Date: and Arrival-Date:
#   are 2030's.  TZ=UTC so that the fake time
#   and what mailq prints agree.
#
# Postfix's backoff: after an attempt at "now" the next one is
# now + clamp(now - arrival, minimal_backoff_time, maximal_backoff_time),
# so attempts that run when due are 300, 600, 1200, 2400, 4000 s apart
# (after the first two at 300 s).
. "$top_srcdir/t/test-lib.sh"
. "$FIXTURES/queue/setup.sh"

FT_LIB=
for f in /usr/lib/*/faketime/libfaketimeMT.so.1 \
    /usr/lib/faketime/libfaketimeMT.so.1 \
    /usr/local/lib/faketime/libfaketimeMT.so.1; do
	if [ -f "$f" ]; then
		FT_LIB=$f
		break
	fi
done
if [ -z "$FT_LIB" ]; then
	echo "Bail out! libfaketimeMT.so.1 not found (./bootstrap installs libfaketime)"
	exit 99
fi

TZ=UTC
export TZ
T0=$(date -u -d '2030-01-02 03:04:05' +%s)

# at N CMD... - run CMD (a program or a function such as sm) with the
# clock frozen at T0 + N seconds
at() (
	FAKETIME=$(date -u -d "@$((T0 + $1))" '+%Y-%m-%d %H:%M:%S')
	shift
	LD_PRELOAD=$FT_LIB
	FAKETIME_DONT_FAKE_MONOTONIC=1
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
	export FAKETIME LD_PRELOAD FAKETIME_DONT_FAKE_MONOTONIC ASAN_OPTIONS
	"$@"
)

# qtimes - "arrival next" of the one message in the queue, from mailq -j
qtimes() {
	mailq -C main.cf -j | /usr/bin/python3 -c '
import json, sys
ms = [json.loads(l) for l in sys.stdin if l.strip()]
assert len(ms) == 1, ms
m = ms[0]
print(m["arrival_time"], m["recipients"][0]["next_attempt"])'
}

# a dead relayhost: a port that was just free, nothing listens there
DEAD=$(/usr/bin/python3 -c '
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')
# The first attempt happens before sendmail exits (delivery_mode, also
# set by setup.sh); all later ones come from sendmail -q alone.
set_conf "relayhost=[127.0.0.1]:$DEAD" "delivery_mode=interactive" \
    "delay_warning_time=4h"

test_expect_success 'the fake clock works for our programs' '
	at 0 date +%s >d && want "$(cat d)" "$T0" "date under at 0" &&
	at 0 sm -bp >q &&
	test_grep "^Mail queue is empty$" q
'

test_expect_success 'relayhost down: deferred at T0, exit 0' '
	printf "Subject: held up\n\nx\n" |
	    at 0 sm -v -f walter carol@remote.test 2>log &&
	test_grep "to=<carol@remote.test>, relay=.*, delay=0, dsn=4\.[0-9.]*, status=deferred (" log &&
	want "$(nqueued)" 1 "queue files"
'

test_expect_success 'mailq shows the fake arrival and next attempt (+300 s)' '
	want "$(qtimes)" "$T0 $((T0 + 300))" "arrival, next attempt" &&
	mailq -C main.cf -n >q &&
	test_grep " Wed Jan  2 03:04:05  walter@example.test$" q &&
	test_grep "^ *\[next attempt Wed Jan  2 03:09:05 2030\]$" q
'

# Each step: one second before the next attempt is due, sendmail -q
# leaves the message alone; when due, it is tried and the next attempt
# moves on by the backoff.  "DUE GAP": the attempt at T0 + DUE, then the
# next one GAP seconds later.
for step in "300 300" "600 600" "1200 1200" "2400 2400" "4800 4000" \
    "8800 4000" "12800 4000"; do
	due=${step% *} gap=${step#* }
	test_expect_success "T0+$((due - 1)): not due, left alone" '
		cp queue/queue/* before &&
		at $((due - 1)) sm -v -q 2>log &&
		! grep "to=<carol@remote.test>" log &&
		cmp before queue/queue/* &&
		rm before
	'
	test_expect_success "T0+$due: retried, the next attempt $gap s later" '
		at $due sm -v -q 2>log &&
		test_grep "to=<carol@remote.test>, .*delay=$due, dsn=4\.[0-9.]*, status=deferred" log &&
		! grep -q "delay notification" log &&
		want "$(qtimes)" "$T0 $((T0 + due + gap))" "arrival, next attempt"
	'
done

test_expect_success 'mailq -n prints the fake next attempt (T0+16800)' '
	mailq -C main.cf -n >q &&
	test_grep "^ *\[next attempt Wed Jan  2 07:44:05 2030\]$" q
'

test_expect_success 'T0+16800 (past delay_warning_time 4h): one delay warning' '
	n=$(count_msgs spool/walter) &&
	at 16800 sm -v -q 2>log &&
	test_grep "to=<carol@remote.test>, .*delay=16800, .*status=deferred" log &&
	test_grep ": sender delay notification: " log &&
	want "$(count_msgs spool/walter)" $((n + 1)) "messages for walter" &&
	want "$(qtimes)" "$T0 $((T0 + 20800))" "arrival, next attempt" &&
	/usr/bin/python3 - <<-\EOP
	import mailbox
	m = list(mailbox.mbox("spool/walter"))[-1]
	assert m.get_content_type() == "multipart/report", m.get_content_type()
	assert m["Subject"] == "Delayed Mail (still being retried)", m["Subject"]
	assert m["Date"] == "Wed, 02 Jan 2030 07:44:05 +0000", m["Date"]
	text, status, hdrs = m.get_payload()
	assert "delivered for 280 minute(s)" in text.get_payload(), text
	st = status.get_payload()[1]
	assert st["Action"] == "delayed", dict(st)
	assert st["Status"].startswith("4."), dict(st)
	assert st["Will-Retry-Until"] == "Mon, 07 Jan 2030 03:04:05 +0000", dict(st)
	EOP
'

test_expect_success 'T0+20800: retried again, no second warning' '
	n=$(count_msgs spool/walter) &&
	at 20800 sm -v -q 2>log &&
	test_grep "delay=20800, .*status=deferred" log &&
	! grep -q "delay notification" log &&
	want "$(count_msgs spool/walter)" "$n" "messages for walter"
'

# maximal_queue_lifetime (5d = 432000 s) counts at an attempt: the one a
# second before it defers once more, the next one (4000 s on) expires.
test_expect_success 'T0+5d-1s: still deferred, next attempt 4000 s on' '
	at 431999 sm -v -q 2>log &&
	test_grep "delay=431999, .*status=deferred" log &&
	want "$(qtimes)" "$T0 $((T0 + 435999))" "arrival, next attempt"
'

test_expect_success 'T0+5d: past the lifetime, but not due: left alone' '
	at 432000 sm -v -q 2>log &&
	! grep "to=<carol@remote.test>" log &&
	want "$(nqueued)" 1 "queue files"
'

test_expect_success 'T0+435999: expired, bounced to walter, queue empty' '
	n=$(count_msgs spool/walter) &&
	at 435999 sm -v -q 2>log &&
	test_grep "to=<carol@remote.test>, .*delay=435999, dsn=5\.[0-9.]*, status=expired (" log &&
	want "$(count_msgs spool/walter)" $((n + 1)) "messages for walter" &&
	want "$(nqueued)" 0 "queue files" &&
	mailq -C main.cf >q && echo "Mail queue is empty" >want &&
	test_cmp want q
'

test_expect_success 'the bounce: RFC 3464, Action: failed, fake dates' '
	/usr/bin/python3 - <<-\EOP
	import mailbox
	m = list(mailbox.mbox("spool/walter"))[-1]
	assert m.get_content_type() == "multipart/report", m.get_content_type()
	assert m.get_param("report-type") == "delivery-status"
	assert m["Subject"] == "Undelivered Mail Returned to Sender", m["Subject"]
	assert m["Date"] == "Mon, 07 Jan 2030 04:10:44 +0000", m["Date"]
	text, status, hdrs = m.get_payload()
	assert status.get_content_type() == "message/delivery-status"
	rep, st = status.get_payload()
	assert rep["Arrival-Date"] == "Wed, 02 Jan 2030 03:04:05 +0000", dict(rep)
	assert st["Final-Recipient"] == "rfc822; carol@remote.test", dict(st)
	assert st["Action"] == "failed", dict(st)
	assert st["Status"].startswith("5."), dict(st)
	assert "Subject: held up" in hdrs.get_payload(), hdrs.get_payload()
	EOP
'

# The null sender: bounce_queue_lifetime (1d here), no bounce, the
# postmaster (walter, by alias) gets a copy.
T1=1000000
test_expect_success 'a null-sender message: deferred' '
	set_conf "bounce_queue_lifetime=1d" &&
	printf "Subject: from nobody\n\nx\n" |
	    at $T1 sm -v -f "" carol@remote.test 2>log &&
	test_grep "delay=0, .*status=deferred" log &&
	want "$(qtimes)" "$((T0 + T1)) $((T0 + T1 + 300))" "arrival, next attempt"
'

test_expect_success 'null sender at 1d-1s: still deferred' '
	at $((T1 + 86399)) sm -v -q 2>log &&
	test_grep "delay=86399, .*status=deferred" log &&
	want "$(nqueued)" 1 "queue files"
'

test_expect_success 'null sender past bounce_queue_lifetime: discarded, postmaster told' '
	n=$(count_msgs spool/walter) &&
	at $((T1 + 86399 + 4000)) sm -v -q 2>log &&
	test_grep "delay=90399, dsn=5\.[0-9.]*, status=expired" log &&
	test_grep "postmaster non-delivery notification" log &&
	want "$(count_msgs spool/walter)" $((n + 1)) "walter (postmaster)" &&
	want "$(nqueued)" 0 "queue files" &&
	/usr/bin/python3 - <<-\EOP
	import mailbox
	m = list(mailbox.mbox("spool/walter"))[-1]
	assert m.get_content_type() == "multipart/report", m.get_content_type()
	assert m["Subject"] == "Postmaster Copy: Undelivered Mail", m["Subject"]
	st = m.get_payload()[1].get_payload()[1]
	assert st["Action"] == "failed", dict(st)
	assert st["Status"].startswith("5."), dict(st)
	EOP
'

test_done
