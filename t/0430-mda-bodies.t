#!/bin/sh
# mda-deliver: bodies that break naive mbox writers survive the round trip
# unchanged (mboxrd): From_ lines, >From lines, no final newline, NUL
# bytes, 8-bit bytes, very long lines, CR LF, and a 30 MB message.
. "$top_srcdir/t/test-lib.sh"
. "$FIXTURES/mda/setup.sh"

PY=/usr/bin/python3
R="$FIXTURES/mda/readers.py"
SP=$S/spool

$PY - <<'EOP'
bodies = [
    b"Subject: from\n\nFrom the first line\nFrom \nFrom\n",
    b"Subject: quoted\n\n>From a\n>>From b\n>>>>>>From c\n> From d\n",
    b"Subject: nonl\n\nlast line without newline",
    b"Subject: nul\n\na\x00b\nFrom \x00\n\x00\x00\x00\n",
    b"Subject: 8bit\n\n" + bytes(range(128, 256)) + b"\n\xff\xfeFrom \xc3\xa4\n",
    b"Subject: long\n\n" + b"x" * (1 << 20) + b"\nFrom " + b"y" * 100000 + b"\n",
    b"Subject: crlf\r\n\r\nFrom crlf\r\nbare\rcr\r\n",
    b"From lookalike@header line\nSubject: header From_\n\nbody\n",
    b"\n\nFrom empty-header message\n",
]
for i, b in enumerate(bodies, 1):
    with open("b%d" % i, "wb") as f:
        f.write(b)
with open("big", "wb") as f:
    f.write(b"Subject: 30 MB\n\n")
    line = b"From the big message, a line of some 80 bytes .........................\n"
    for i in range(30 * 1024 * 1024 // len(line) + 1):
        f.write(line if i % 3 else b">" + line)
EOP
B="b1 b2 b3 b4 b5 b6 b7 b8 b9"

test_expect_success 'nine awkward bodies into an mbox: each read back unchanged' '
	for b in $B; do deliver -f s@example.org walter <$b || exit 1; done &&
	test "$(count_msgs "$SP/walter")" -ge 9 &&
	$PY "$R" mbox "$SP/walter" $B
'

test_expect_success 'and into a Maildir, byte for byte' '
	conf_with md.cf home_mailbox=Maildir/ &&
	for b in $B; do mda-deliver -C md.cf -f s@example.org dude <$b || exit 1; done &&
	$PY "$R" maildir "$S/home/dude/Maildir" $B
'

test_expect_success 'every mbox entry ends with a blank line before the next From_' '
	awk "/^From / && NR > 1 && prev != \"\" { bad++ } { prev = \$0 } END { exit bad }" "$SP/walter"
'

test_expect_success 'a 30 MB message into an mbox and a Maildir' '
	test "$(wc -c <big)" -gt 31000000 &&
	deliver bob <big &&
	$PY "$R" mbox "$SP/bob" big &&
	mda-deliver -C md.cf bob <big &&
	$PY "$R" maildir "$S/home/bob/Maildir" big
'

mda_cleanup
test_done
