#!/bin/sh
# SPDX-License-Identifier: ISC
# Concurrency: 8 reader processes (t/mapreader) look up keys in a loop while
# postmap rebuilds the table 20 times.  Every generation holds the same
# 200 "common" keys (with other values) and its own extra keys; no reader
# may ever miss a common key, every reader must have seen more than one
# generation (else the test proves nothing), and no temporary file may be
# left behind.
. "$top_srcdir/t/test-lib.sh"

READERS=8
REBUILDS=20
MAPREADER="$top_builddir/t/mapreader"

# gen N - the source of generation N
gen() {
	awk -v g="$1" 'BEGIN {
		printf "generation %d\n", g
		for (i = 0; i < 200; i++)
			printf "common%04d gen%d-value%d\n", i, g, i
		for (i = 0; i < 300; i++)
			printf "only%d-%04d x%d\n", g, i, i
	}' >map.new && mv map.new map
}

KEYS=$(awk 'BEGIN { for (i = 0; i < 200; i += 1) printf "common%04d ", i }')

test_expect_success 'generation 0 is built' '
	gen 0 &&
	postmap hash:map &&
	test -f map.tdb &&
	echo gen0-value7 >want &&
	postmap -q common0007 hash:map >got &&
	test_cmp want got
'

rm -f stop
pids=""
i=0
while [ $i -lt $READERS ]; do
	"$MAPREADER" -d 1000 -s stop map $KEYS >reader.$i.out 2>reader.$i.err &
	pids="$pids $!"
	test_bg $!
	i=$((i + 1))
done

test_expect_success "postmap rebuilds the table $REBUILDS times under $READERS readers" '
	n=1 &&
	while [ $n -le $REBUILDS ]; do
		gen $n &&
		postmap hash:map &&
		sleep 0.3 &&
		n=$((n + 1)) || exit 1
	done
'

touch stop
i=0
for p in $pids; do
	wait "$p"
	echo $? >reader.$i.rc
	i=$((i + 1))
done

test_expect_success 'every reader ran and exited 0' '
	i=0 &&
	while [ $i -lt $READERS ]; do
		echo 0 >want &&
		test_cmp want reader.$i.rc || { cat reader.$i.err; exit 1; }
		i=$((i + 1))
	done
'

test_expect_success 'no reader missed a key that every generation holds' '
	cat reader.*.out &&
	awk "\$6 != 0 { bad = 1; print FILENAME \": \" \$0 } END { exit bad }" \
	    reader.*.out &&
	test "$(cat reader.*.out | wc -l)" -eq $READERS &&
	# A reader that opens the table while the next source is written
	# but not yet built is rightly told the table is stale; nothing else.
	! grep -v "is older than its source" reader.*.err
'

test_expect_success 'every reader saw more than one generation' '
	awk "\$8 < 2 { bad = 1; print FILENAME \": \" \$0 } END { exit bad }" \
	    reader.*.out
'

test_expect_success 'the last generation is in place' '
	echo $REBUILDS >want &&
	postmap -q generation hash:map >got &&
	test_cmp want got
'

test_expect_success 'no temporary file is left' '
	ls -a >files &&
	! grep "\.tmp\." files
'

test_done
