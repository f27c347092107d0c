#!/bin/sh
# mda-deliver: 50 concurrent deliveries into one mbox, alone and while a
# reader holds the fcntl lock or the dotlock for a while (G-10): every
# delivery ends in 0 or 75, and the mbox holds exactly the delivered
# messages, each byte-identical, none interleaved.
. "$top_srcdir/t/test-lib.sh"
. "$FIXTURES/mda/setup.sh"

PY=/usr/bin/python3
R="$FIXTURES/mda/readers.py"
SP=$S/spool
N=50

# N distinct messages of about 100 KiB, each with From_ lines in its body.
$PY - "$N" <<'EOP'
import sys
for i in range(1, int(sys.argv[1]) + 1):
    with open("m%d" % i, "wb") as f:
        f.write(b"Subject: message %d\n\n" % i)
        for j in range(1400):
            f.write(b"From line %d of message %d, padded to be a bit longer.....\n" % (j, i))
EOP

# run_all CONF - deliver m1..mN at once; rc.I gets each exit status
run_all() {
	i=1
	while [ $i -le $N ]; do
		{ mda-deliver -C "$1" walter <m$i 2>err.$i; echo $? >rc.$i; } &
		i=$((i + 1))
	done
	wait
}

# check_rcs - every status 0 or 75; the delivered ones listed in ok.list
check_rcs() {
	: >ok.list
	i=1
	while [ $i -le $N ]; do
		case $(cat rc.$i) in
		0) echo m$i >>ok.list ;;
		75) ;;
		*) echo "delivery $i: exit $(cat rc.$i): $(cat err.$i)" >&2; return 1 ;;
		esac
		i=$((i + 1))
	done
}

# retry - deliver again what failed temporarily, as a queue would
retry() {
	for r in 1 2 3; do
		i=1
		while [ $i -le $N ]; do
			if [ "$(cat rc.$i)" = 75 ]; then
				mda-deliver -C "$S/main.cf" walter <m$i; echo $? >rc.$i
			fi
			i=$((i + 1))
		done
	done
}

test_expect_success "$N concurrent deliveries: $N intact messages" '
	run_all "$S/main.cf" &&
	check_rcs &&
	echo "$(wc -l <ok.list) delivered at once" &&
	retry &&
	check_rcs &&
	test "$(wc -l <ok.list)" = $N &&
	$PY "$R" mboxset "$SP/walter" $(cat ok.list) &&
	! test -e "$SP/walter.lock"
'

test_expect_success "$N concurrent deliveries while a reader holds the fcntl lock for 2 s" '
	rm -f "$SP/walter" && : >"$SP/walter" && chmod 600 "$SP/walter"
	$PY -c "import fcntl, sys, time
f = open(sys.argv[1], \"r+\"); fcntl.lockf(f, fcntl.LOCK_EX)
open(\"locked\", \"w\").close(); time.sleep(2)" "$SP/walter" &
	while ! test -e locked; do sleep 0.05; done &&
	run_all "$S/main.cf" &&
	wait &&
	check_rcs &&
	$PY "$R" mboxset "$SP/walter" $(cat ok.list) &&
	echo "$(wc -l <ok.list) delivered at once"
'

test_expect_success "the same behind a dotlock held for 2 s, then retried until all are in" '
	rm -f "$SP/walter" && : >"$SP/walter" && chmod 600 "$SP/walter" &&
	touch "$SP/walter.lock"
	{ sleep 2; rm -f "$SP/walter.lock"; } &
	run_all "$S/main.cf" &&
	wait &&
	check_rcs &&
	retry &&
	check_rcs &&
	test "$(wc -l <ok.list)" = $N &&
	$PY "$R" mboxset "$SP/walter" $(cat ok.list)
'

mda_cleanup
test_done
