/* SPDX-License-Identifier: ISC */
/* Unit tests for libmail/buf: bounds, failure atomicity, formatting. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "buf.h"
#include "tap.h"

int
main(void)
{
	struct buf	b = BUF_INIT(10);
	int		rc;

	is_str(buf_str(&b), "", "an empty buffer reads as \"\"");
	ok(b.s == NULL, "nothing is allocated before the first add");
	is_int(buf_adds(&b, "hello"), 0, "add within the maximum");
	is_str(b.s, "hello", "contents are NUL-terminated");
	is_int(b.len, 5, "len counts the bytes");

	errno = 0;
	rc = buf_adds(&b, "world!");
	is_int(rc, -1, "add past the maximum fails");
	is_int(errno, E2BIG, "with E2BIG");
	is_str(b.s, "hello", "and leaves the buffer unchanged");
	is_int(b.len, 5, "len unchanged too");

	is_int(buf_adds(&b, "world"), 0, "exactly the maximum fits");
	is_int(b.len, 10, "len is the maximum");
	is_int(buf_addc(&b, 'x'), -1, "one byte more does not");

	buf_reset(&b);
	is_str(b.s, "", "reset empties");
	is_int(buf_printf(&b, "%d-%s", 42, "ab"), 0, "printf appends");
	is_str(b.s, "42-ab", "printf formats");
	is_int(buf_printf(&b, "%s", "123456"), -1, "printf past max fails");
	is_str(b.s, "42-ab", "printf failure leaves contents");

	is_int(buf_add(&b, "\0z", 2), 0, "NUL bytes are data");
	is_int(b.len, 7, "and are counted");
	ok(memcmp(b.s, "42-ab\0z", 8) == 0, "bytes and final NUL are in place");

	is_int(buf_set(&b, "abc", 3), 0, "set replaces");
	is_str(b.s, "abc", "set contents");
	is_int(buf_set(&b, "0123456789A", 11), -1, "set past max fails");
	is_str(b.s, "abc", "failed set keeps the old contents");
	buf_truncate(&b, 1);
	is_str(b.s, "a", "truncate shortens");
	buf_truncate(&b, 5);
	is_str(b.s, "a", "truncate never lengthens");

	/* set from inside itself (overlapping) */
	buf_set(&b, "abcdef", 6);
	is_int(buf_set(&b, b.s + 2, 3), 0, "set from an overlapping source");
	is_str(b.s, "cde", "overlap handled");

	buf_free(&b);
	ok(b.s == NULL && b.len == 0, "free releases");
	is_int(buf_adds(&b, "again"), 0, "a freed buffer is usable again");
	buf_free(&b);

	/* growth over many steps keeps everything */
	{
		struct buf	g = BUF_INIT(1 << 20);
		size_t		i;
		int		good = 1;

		for (i = 0; i < 100000; i++)
			if (buf_addc(&g, 'a' + (int)(i % 26)) == -1)
				good = 0;
		for (i = 0; i < 100000; i++)
			if (g.s[i] != 'a' + (int)(i % 26))
				good = 0;
		ok(good && g.len == 100000, "100000 single-byte appends");
		buf_free(&g);
	}
	return tap_done();
}
