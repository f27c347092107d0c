#!/bin/sh
. "$top_srcdir/t/test-lib.sh"
test_done
