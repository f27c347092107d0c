#!/bin/sh
# Every man page passes mandoc -Tlint (no warnings), and every program has one.
. "$top_srcdir/t/test-lib.sh"

for page in "$top_srcdir"/man1/*.[0-9] "$top_srcdir"/man5/*.[0-9]; do
	name=${page#"$top_srcdir"/}
	test_expect_success "mandoc -Tlint $name" "
		mandoc -Tlint -W warning '$page' >lint.out 2>&1 || { cat lint.out; false; }
		! test -s lint.out || { cat lint.out; false; }
	"
done
for c in "$top_srcdir"/cmd/*.c; do
	p=$(basename "$c" .c)
	test_expect_success "$p has a man page" "
		test -f '$top_srcdir/man1/$p.1'
	"
done
test_done
