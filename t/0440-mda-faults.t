#!/bin/sh
# mda-deliver under injected faults (t/fiu.so, an LD_PRELOAD shim): a full
# disk midway, a quota, a failing fsync -> exit 75 and the mailbox
# byte-identical to before; short writes -> delivered intact (I-03, I-04).
. "$top_srcdir/t/test-lib.sh"
. "$FIXTURES/mda/setup.sh"

PY=/usr/bin/python3
R="$FIXTURES/mda/readers.py"
SP=$S/spool
FIU=$top_builddir/t/fiu.so
# An ASan build wants its runtime first; the shim comes first here.
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
export ASAN_OPTIONS

# fiu VAR=VALUE... -- CMD... - run CMD with the shim and these settings
fiu() {
	env LD_PRELOAD="$FIU" "$@"
}

{ printf 'Subject: fault\n\n'; i=0; while [ $i -lt 200 ]; do
	echo "From line $i of a message that is long enough to need several writes"; i=$((i + 1)); done; } >msg
head -c 100000 /dev/urandom | base64 >>msg

test_expect_success 'setup: a mailbox with one message' '
	deliver -f a@example.org walter <msg && cp "$SP/walter" before
'

for n in 0 1 100 5000 70000; do
	test_expect_success "ENOSPC after $n bytes: 75, 4.3.0, mailbox unchanged" "
		test_expect_code 75 fiu FIU_WRITE_AFTER=$n mda-deliver -C '$S/main.cf' walter <msg 2>err &&
		first_line err \"4.3.0 $SP/walter: write: No space left on device\" &&
		cmp before '$SP/walter' && ! test -e '$SP/walter.lock'
	"
done

test_expect_success 'EDQUOT midway: 75, mailbox unchanged (I-04)' '
	test_expect_code 75 fiu FIU_WRITE_AFTER=3000 FIU_ERRNO=EDQUOT mda-deliver -C "$S/main.cf" walter <msg 2>err &&
	first_line err "4.3.0 $SP/walter: write: Disk quota exceeded" &&
	cmp before "$SP/walter"
'

test_expect_success 'fsync fails: 75, mailbox unchanged' '
	test_expect_code 75 fiu FIU_FSYNC=1 mda-deliver -C "$S/main.cf" walter <msg 2>err &&
	first_line err "4.3.0 $SP/walter: fsync: Input/output error" &&
	cmp before "$SP/walter"
'

test_expect_success 'a new mailbox that fails stays empty' '
	test_expect_code 75 fiu FIU_WRITE_AFTER=50 mda-deliver -C "$S/main.cf" dude <msg 2>err &&
	test -f "$SP/dude" && ! test -s "$SP/dude"
'

test_expect_success 'short writes (1 byte, then the rest): delivered intact (I-03)' '
	fiu FIU_SHORT=1 mda-deliver -C "$S/main.cf" walter <msg &&
	$PY "$R" mbox "$SP/walter" msg msg
'

test_expect_success 'Maildir: ENOSPC or fsync failure: 75, nothing in tmp/ or new/' '
	conf_with md.cf home_mailbox=Maildir/ &&
	mda-deliver -C md.cf bob </dev/null &&
	rm -f "$S/home/bob/Maildir/new/"* &&
	test_expect_code 75 fiu FIU_WRITE_AFTER=500 mda-deliver -C md.cf bob <msg 2>err &&
	grep -q "^4\.3\.0 .*write: No space left on device" err &&
	test_expect_code 75 fiu FIU_FSYNC=1 mda-deliver -C md.cf bob <msg 2>err &&
	grep -q "^4\.3\.0 .*fsync: Input/output error" err &&
	test -z "$(find "$S/home/bob/Maildir/tmp" "$S/home/bob/Maildir/new" -type f)"
'

mda_cleanup
test_done
