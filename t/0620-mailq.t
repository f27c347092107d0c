#!/bin/sh
# mailq: Postfix's listing byte for byte (expected file made from Postfix's
# own formats), -j JSON lines with next_attempt, -n; truncated and
# corrupted queue files are moved to corrupt/ and reported, by mailq and
# by the queue runner, never crashed on or guessed at.
. "$top_srcdir/t/test-lib.sh"
. "$FIXTURES/queue/setup.sh"

MKQF="/usr/bin/python3 $FIXTURES/queue/mkqf.py"
mkdir -p queue/queue queue/tmp queue/corrupt
TZ=UTC
export TZ
head -c 400 /dev/zero | tr '\0' 'a' >body400
head -c 2000 /dev/zero | tr '\0' 'b' >body2000
R1="connect to 127.0.0.1[127.0.0.1]:2525: Connection refused"
R3="a reason so long that it does not fit into the listing's seventy-six columns at all"

# two messages, written by an independent writer (mkqf.py)
make_queue() {
	$MKQF queue 1A2B3C4D5E6 1764320400 dude@example.com body400 \
	    "D 1764320700 4.4.1 walter@remote.test	$R1" \
	    "D 1764320700 4.4.1 donny@remote.test	$R1" \
	    "S 0 2.0.0 sent@remote.test	250 ok" \
	    "D 1764321000 4.0.0 maude@remote.test	host mx.remote.test said: 451 try later" &&
	$MKQF queue 9F8E7D6C5B4A 1764412205 "" body2000 \
	    "D 1764412505 4.0.0 walter@example.test	$R3" \
	    "P 0 - bob@example.test	" \
	    "B 0 5.1.1 gone@example.test	no such user"
}

test_expect_success 'an empty queue' '
	mailq -C main.cf >out &&
	echo "Mail queue is empty" >want &&
	test_cmp want out
'

test_expect_success 'the listing is exactly Postfix'"'"'s' '
	make_queue &&
	mailq -C main.cf >out &&
	test_cmp "$FIXTURES/queue/mailq.expected" out
'

test_expect_success 'sendmail -bp lists the same' '
	sm -bp >out &&
	test_cmp "$FIXTURES/queue/mailq.expected" out
'

test_expect_success '-j: one JSON object per message, as postqueue -j, with next_attempt' '
	mailq -C main.cf -j >out &&
	/usr/bin/python3 - <<-\EOP
	import json
	ms = [json.loads(l) for l in open("out")]
	assert len(ms) == 2, ms
	a, b = ms
	assert a["queue_id"] == "1A2B3C4D5E6" and a["arrival_time"] == 1764320400, a
	assert a["message_size"] == 400 and a["sender"] == "dude@example.com", a
	assert a["queue_name"] == "deferred" and a["forced_expire"] is False, a
	assert [r["address"] for r in a["recipients"]] == ["walter@remote.test",
	    "donny@remote.test", "maude@remote.test"], a
	assert a["recipients"][2]["next_attempt"] == 1764321000, a
	assert a["recipients"][0]["delay_reason"].startswith("connect to"), a
	assert b["sender"] == "" and [r["address"] for r in b["recipients"]] == [
	    "walter@example.test", "bob@example.test"], b
	assert "delay_reason" not in b["recipients"][1], b
	EOP
'

test_expect_success '-n shows the next attempt of a deferred recipient' '
	mailq -C main.cf -n >out &&
	grep -q "^                                         \[next attempt Fri Nov 28 09:10:00 2025\]$" out
'

test_expect_success 'a truncated queue file is set aside and reported' '
	head -c 150 queue/queue/1A2B3C4D5E6 >t && mv t queue/queue/1A2B3C4D5E6 &&
	mailq -C main.cf >out 2>err &&
	grep -q "1A2B3C4D5E6: corrupt queue file (truncated (length mismatch)): moved to .*/corrupt/1A2B3C4D5E6" err &&
	test -f queue/corrupt/1A2B3C4D5E6 && ! test -f queue/queue/1A2B3C4D5E6 &&
	! grep -q 1A2B3C4D5E6 out &&
	grep -q "^-- 1 Kbytes in 1 Request\.$" out
'

test_expect_success 'a flipped byte is caught by the checksum' '
	/usr/bin/python3 -c "
p = \"queue/queue/9F8E7D6C5B4A\"
b = bytearray(open(p, \"rb\").read())
b[-10] ^= 1
open(p, \"wb\").write(b)" &&
	mailq -C main.cf >out 2>err &&
	grep -q "9F8E7D6C5B4A: corrupt queue file (checksum mismatch)" err &&
	test -f queue/corrupt/9F8E7D6C5B4A &&
	echo "Mail queue is empty" >want && test_cmp want out
'

test_expect_success 'the runner sets corrupt files aside and goes on; a year-old message expires' '
	make_queue &&
	printf "MAILPATHQ1 garbage\n" >queue/queue/BAD1 &&
	: >queue/queue/BAD2 &&
	set_conf "relayhost=[127.0.0.1]:1" &&
	sm -v -q 2>err &&
	grep -q "BAD1: corrupt queue file (not a queue file)" err &&
	grep -q "BAD2: corrupt queue file (empty)" err &&
	test -f queue/corrupt/BAD1 && test -f queue/corrupt/BAD2 &&
	grep -q "9F8E7D6C5B4A: to=<bob@example.test>, relay=local, .*status=sent" err &&
	grep -q "1A2B3C4D5E6: to=<walter@remote.test>, .*dsn=5.4.1, status=expired" err &&
	grep -q "1A2B3C4D5E6: sender non-delivery notification" err &&
	mailq -C main.cf -j >out &&
	/usr/bin/python3 - <<-\EOP
	import json
	ms = [json.loads(l) for l in open("out")]
	assert len(ms) == 1 and ms[0]["sender"] == "", ms
	assert ms[0]["recipients"][0]["address"] == "dude@example.com", ms
	EOP
'

test_done
