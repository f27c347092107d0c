#!/bin/sh
# The SMTP engine under libFuzzer (clang), with ASan and UBSan: first
# every input kept in t/fixtures/smtpd/fuzz-corpus/ once (seeds and the
# crashes found so far, as regression inputs), then a few seconds of
# fuzzing from them.  A crash leaves its input in the trash directory:
# add it to fuzz-corpus/.
. "$top_srcdir/t/test-lib.sh"

if ! command -v clang >/dev/null 2>&1; then
	echo "1..0 # SKIP clang (libFuzzer) is not installed; bootstrap installs it"
	exit 0
fi
: "${FUZZ_SECONDS:=5}"
M=$top_srcdir/libmail
D='"/nonexistent"'
# shellcheck disable=SC2046
clang -g -O1 -fsanitize=fuzzer,address,undefined -I"$top_builddir" -I"$M" \
    -DMAILPATH_SYSCONFDIR="$D" -DMAILPATH_LOCALSTATEDIR="$D" \
    -DMAILPATH_LIBEXECDIR="$D" -DMAILPATH_BINDIR="$D" -DMAILPATH_SBINDIR="$D" \
    "$FIXTURES/smtpd/fuzz.c" "$M/smtpd.c" "$M/netaddr.c" "$M/addr.c" \
    "$M/conf.c" "$M/map.c" "$M/buf.c" "$M/str.c" "$M/exitcode.c" \
    "$M/log.c" "$M/lline.c" "$M/queue.c" \
    $(pkg-config --libs libidn2 tdb) -lcrypt \
    -o fuzz-smtpd >build.log 2>&1

test_expect_success 'the harness builds with clang -fsanitize=fuzzer' '
	test -x fuzz-smtpd || { cat build.log; false; }
'

test_expect_success 'every kept input runs clean' '
	./fuzz-smtpd "$FIXTURES"/smtpd/fuzz-corpus/* >regress.log 2>&1 ||
	{ tail -40 regress.log; false; }
'

test_expect_success "$FUZZ_SECONDS seconds of fuzzing find nothing" '
	mkdir -p corpus &&
	cp "$FIXTURES"/smtpd/fuzz-corpus/* corpus/ &&
	./fuzz-smtpd -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=512 corpus \
	    >fuzz.log 2>&1 || { tail -40 fuzz.log; false; }
	grep -q "^Done [0-9]* runs" fuzz.log
'

test_done
