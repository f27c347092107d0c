#!/bin/sh
# sendmail's delivery modes: background (the default: queue, kick the one
# queue runner, exit at once), interactive (-odi: the attempt before it
# exits), queue (-odq: nothing until sendmail -q); a slow delivery does
# not hold the caller, a burst of sendmails gets one runner at a time, and
# a kick that fails loses nothing; sendmail -qINTERVAL holds the lock and
# serves every kick itself.
. "$top_srcdir/t/test-lib.sh"
. "$FIXTURES/queue/setup.sh"

set_conf delivery_mode=background

# until_ok CMD... - CMD succeeds within 30 s (polled every 0.1 s)
until_ok() {
	i=0
	until "$@"; do
		if [ $i -ge 300 ]; then
			echo "until_ok: '$*' still fails after 30 s" >&2
			return 1
		fi
		sleep 0.1
		i=$((i + 1))
	done
}

# has N MBOX - the mbox holds N messages
has() {
	[ "$(count_msgs "$2")" = "$1" ]
}

# runners - the pids of this queue's runners (by name, and the lock on fd 3)
runners() {
	for c in $(grep -lx queue-runner /proc/[0-9]*/comm 2>/dev/null); do
		d=${c%/comm}
		[ "$(readlink "$d/fd/3" 2>/dev/null)" = "$S/queue/runner.lock" ] &&
		echo "${d#/proc/}"
	done
	return 0
}

# nrunners - how many
nrunners() {
	runners | wc -l | tr -d " "
}

# busy - a runner is at work
busy() {
	test -n "$(runners)"
}

# idle - no runner holds the lock (waits for one at work)
idle() {
	flock -w 30 "$S/queue/runner.lock" true
}

# ms - the time in milliseconds
ms() {
	date +%s%3N
}

# slow SECONDS - local delivery through mda-deliver after a sleep
slow() {
	printf '#!/bin/sh\nsleep %s\nexec "%s/mda-deliver" "$@"\n' "$1" \
	    "$top_builddir" >"$S/slow-mda" &&
	chmod +x "$S/slow-mda" &&
	set_conf "mda_deliver_program=$S/slow-mda"
}

# fast - local delivery as setup.sh has it
MDA_LINE=$(grep "^mda_deliver_program =" "$S/main.cf")
fast() {
	grep -v "^mda_deliver_program =" "$S/main.cf" >"$S/main.cf.tmp" &&
	{ cat "$S/main.cf.tmp"; [ -z "$MDA_LINE" ] || echo "$MDA_LINE"; } \
	    >"$S/main.cf"
}

msg() {
	printf 'Subject: %s\n\nbody\n' "$1"
}

test_expect_success 'background: delivered shortly after sendmail exits' '
	msg one | sm walter &&
	until_ok has 1 spool/walter &&
	idle &&
	want "$(nqueued)" 0 "queue files"
'

test_expect_success 'background: sendmail returns at once while the delivery is slow' '
	slow 3 &&
	t0=$(ms) &&
	out=$(msg two | sm walter 2>&1 7>"$S/extra") &&
	t1=$(ms) &&
	echo "sendmail took $((t1 - t0)) ms" &&
	test $((t1 - t0)) -lt 1500 &&
	want "$out" "" "sendmail output" &&
	want "$(count_msgs spool/walter)" 1 "delivered before the slow MDA ran" &&
	want "$(nqueued)" 1 "queue files while the runner works" &&
	until_ok busy &&
	want "$(nrunners)" 1 "runners"
'

test_expect_success 'the runner: own session, nothing of the caller but the lock' '
	pid=$(runners) &&
	test -n "$pid" &&
	sid=$(sed "s/^.*) //" /proc/$pid/stat | cut -d" " -f4) &&
	want "$sid" "$pid" "session of the runner" &&
	for fd in 0 1 2; do
		want "$(readlink /proc/$pid/fd/$fd)" /dev/null "runner fd $fd"
	done &&
	want "$(readlink /proc/$pid/fd/3)" "$S/queue/runner.lock" "runner fd 3" &&
	! ls -l /proc/$pid/fd/ | grep -F "$S/extra"
'

test_expect_success 'a second kick while the runner works: still one runner, both delivered' '
	msg three | sm walter &&
	want "$(nrunners)" 1 "runners" &&
	until_ok has 3 spool/walter &&
	idle &&
	want "$(nqueued)" 0 "queue files" &&
	fast
'

# The MDA wrapper notes when two deliveries overlap: two runners would
# work on two messages at once; one runner delivers one after another.
cat >"$S/watch-mda" <<EOF
#!/bin/sh
mkdir "$S/busy" 2>/dev/null || echo overlap >>"$S/overlaps"
sleep 0.01
"$top_builddir/mda-deliver" "\$@"
rc=\$?
rmdir "$S/busy" 2>/dev/null
exit \$rc
EOF
chmod +x "$S/watch-mda"

test_expect_success '50 sendmails in a row: 50 delivered, one runner at a time' '
	set_conf "mda_deliver_program=$S/watch-mda" &&
	rm -f overlaps maxrunners &&
	: >sampling &&
	( m=0; while [ -f sampling ]; do
		k=$(nrunners); [ "$k" -gt "$m" ] && m=$k; echo $m >maxrunners
		sleep 0.05
	  done ) &
	sampler=$! &&
	i=0 &&
	while [ $i -lt 50 ]; do
		msg "burst $i" | sm bob || exit 1
		i=$((i + 1))
	done &&
	until_ok has 50 spool/bob &&
	idle &&
	rm sampling && wait $sampler &&
	want "$(nqueued)" 0 "queue files" &&
	want "$(cat overlaps 2>/dev/null)" "" "deliveries at once" &&
	echo "runners at once: $(cat maxrunners), want <= 1" &&
	test "$(cat maxrunners)" -le 1 &&
	fast
'

test_expect_success '-odq: queued only, mailq shows it, sendmail -q delivers' '
	idle &&
	rm -f "$S/queue/kick" &&
	msg four | sm -odq walter &&
	want "$(nqueued)" 1 "queue files" &&
	! test -f "$S/queue/kick" &&
	sleep 1 &&
	want "$(count_msgs spool/walter)" 3 "delivered" &&
	mailq -C main.cf >q &&
	test_grep "^  *walter@example.test$" q &&
	sm -q &&
	want "$(count_msgs spool/walter)" 4 "delivered after -q" &&
	want "$(nqueued)" 0 "queue files"
'

test_expect_success 'delivery_mode = queue; -odb wins over it' '
	set_conf delivery_mode=queue &&
	msg five | sm walter &&
	want "$(nqueued)" 1 "queue files" &&
	msg six | sm -odb walter &&
	until_ok has 6 spool/walter &&
	idle &&
	want "$(nqueued)" 0 "queue files" &&
	set_conf delivery_mode=background
'

test_expect_success '-odi: delivered when sendmail returns, no kick' '
	idle &&
	rm -f "$S/queue/kick" &&
	msg seven | sm -odi walter &&
	want "$(count_msgs spool/walter)" 7 "delivered" &&
	want "$(nqueued)" 0 "queue files" &&
	! test -f "$S/queue/kick"
'

test_expect_success 'delivery_mode = interactive: the same' '
	set_conf delivery_mode=interactive &&
	msg eight | sm walter &&
	want "$(count_msgs spool/walter)" 8 "delivered" &&
	set_conf delivery_mode=background
'

test_expect_success 'an unknown -odX is ignored with a warning' '
	msg nine | sm -odx walter 2>err &&
	test_grep "warning: -odx ignored" err &&
	until_ok has 9 spool/walter
'

test_expect_success 'a bad delivery_mode: a warning, background' '
	set_conf delivery_mode=sometimes &&
	msg ten | sm -v -odb walter 2>err &&
	test_grep "delivery_mode = sometimes: want background" err &&
	until_ok has 10 spool/walter &&
	set_conf delivery_mode=background
'

test_expect_success 'the kick fails (runner.lock is no file): exit 0, queued, sendmail -q delivers' '
	idle &&
	rm -f "$S/queue/runner.lock" &&
	mkdir "$S/queue/runner.lock" &&
	msg eleven | sm -v -odb walter 2>err &&
	test_grep "queued, but no queue runner: .*runner.lock" err &&
	want "$(nqueued)" 1 "queue files" &&
	rmdir "$S/queue/runner.lock" &&
	sm -q &&
	want "$(count_msgs spool/walter)" 11 "delivered" &&
	want "$(nqueued)" 0 "queue files"
'

test_expect_success '-v without -od: the attempt is made here, its log shown' '
	msg twelve | sm -v walter 2>err &&
	test_grep "to=<walter@example.test>, .*status=sent" err &&
	want "$(count_msgs spool/walter)" 12 "delivered"
'

idle
sendmail -C "$S/main.cf" -v -q1h >/dev/null 2>serve.log &
SERVE=$!
test_bg $SERVE

test_expect_success 'sendmail -q1h is the runner: holds the lock, a kick only raises the flag' '
	until_ok grep -q "queue runner: a pass at each kick and every 3600s" serve.log &&
	! flock -n "$S/queue/runner.lock" true &&
	want "$(stat -c %a "$S/queue/runner.lock")" 644 "mode of runner.lock (a kicker as another user can open it)" &&
	t0=$(ms) &&
	msg thirteen | sm -odb walter &&
	until_ok has 13 spool/walter &&
	t1=$(ms) &&
	{ test $((t1 - t0)) -lt 5000 || want "$((t1 - t0)) ms" "under 5000 ms" "kick to delivery"; } &&
	want "$(nrunners)" 0 "runners a kick started" &&
	test_grep "to=<walter@example.test>, relay=local, .*status=sent" serve.log &&
	! test -e "$S/queue/kick"
'

test_expect_success 'the runner serves kick after kick; killed, the next kick starts one of its own' '
	msg fourteen | sm -odb walter &&
	until_ok has 14 spool/walter &&
	kill $SERVE &&
	until_ok flock -n "$S/queue/runner.lock" true &&
	msg fifteen | sm -odb walter &&
	until_ok has 15 spool/walter
'

idle
test_done
