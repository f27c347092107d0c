/* SPDX-License-Identifier: ISC */
/* Unit tests for libmail/str: the number parser and the small helpers. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#include "str.h"
#include "tap.h"

static const struct {
	const char	*in;
	long long	 min, max;
	int		 rc;
	long long	 want;
	int		 err;
} nums[] = {
	{ "0", 0, 10, 0, 0, 0 },
	{ "10", 0, 10, 0, 10, 0 },
	{ "11", 0, 10, -1, 0, ERANGE },
	{ "-1", 0, 10, -1, 0, ERANGE },
	{ "-5", -10, 10, 0, -5, 0 },
	{ "", 0, 10, -1, 0, EINVAL },
	{ " 1", 0, 10, -1, 0, EINVAL },
	{ "1 ", 0, 10, -1, 0, EINVAL },
	{ "1x", 0, 10, -1, 0, EINVAL },
	{ "99999999999999999999", 0, LLONG_MAX, -1, 0, ERANGE },
	{ "9223372036854775807", 0, LLONG_MAX, 0, LLONG_MAX, 0 },
};

static const struct {
	const char	*in;
	int		 unit, rc;
	long long	 want;
} durs[] = {
	{ "300s", 's', 0, 300 },
	{ "300", 's', 0, 300 },
	{ "5d", 's', 0, 432000 },
	{ "4000s", 'd', 0, 4000 },
	{ "2", 'd', 0, 172800 },
	{ "1w", 's', 0, 604800 },
	{ "1h", 's', 0, 3600 },
	{ "10m", 's', 0, 600 },
	{ "5x", 's', -1, 0 },
	{ "d", 's', -1, 0 },
	{ "", 's', -1, 0 },
	{ "-1s", 's', -1, 0 },
};

int
main(void)
{
	size_t		 i;
	long long	 v;
	char		 s[32], small[4];

	for (i = 0; i < sizeof nums / sizeof nums[0]; i++) {
		int	rc;

		v = 0;
		errno = 0;
		rc = str_tonum(nums[i].in, nums[i].min, nums[i].max, &v);
		is_int(rc, nums[i].rc, nums[i].in);
		if (rc == 0)
			is_int(v, nums[i].want, "  value");
		else
			is_int(errno, nums[i].err, "  errno");
	}
	for (i = 0; i < sizeof durs / sizeof durs[0]; i++) {
		int	rc = str_toduration(durs[i].in, durs[i].unit, &v);

		is_int(rc, durs[i].rc, durs[i].in);
		if (rc == 0)
			is_int(v, durs[i].want, "  seconds");
	}

	memcpy(s, "MiXeD@Example.COM", 18);
	str_lower(s);
	is_str(s, "mixed@example.com", "str_lower folds ASCII");
	memcpy(s, "\xc3\x9c" "B", 4);
	str_lower(s);
	is_str(s, "\xc3\x9c" "b", "str_lower leaves UTF-8 bytes alone");

	ok(str_has_ctl("a\rb", 3), "CR is a control byte");
	ok(str_has_ctl("a\0b", 3), "NUL is a control byte");
	ok(str_has_ctl("a\x7f", 2), "DEL is a control byte");
	ok(!str_has_ctl("a b\xc3\xbc", 5), "space and UTF-8 are not");
	ok(str_is_ascii("abc", 3), "ASCII is ASCII");
	ok(!str_is_ascii("\xc3\xbc", 2), "UTF-8 is not");

	memcpy(s, "  \tx y \r\n", 10);
	is_str(str_trim(s), "x y", "str_trim strips both ends");

	is_int(str_copy(small, sizeof small, "abc"), 0, "str_copy fits");
	is_str(small, "abc", "str_copy copies");
	is_int(str_copy(small, sizeof small, "abcd"), -1, "str_copy refuses to cut");
	is_str(small, "", "and leaves an empty string");
	return tap_done();
}
