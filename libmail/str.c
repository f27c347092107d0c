/* SPDX-License-Identifier: ISC */
/*
 * str - small string helpers and the one bounded number parser.
 *
 * Every number that comes from a user, a file or the wire goes through
 * str_tonum(), so range checks live in one place (no atoi, no strtol
 * scattered about).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "str.h"

/*
 * str_tonum - parse a whole decimal number within [min, max]; 0, or -1
 * with errno EINVAL (not a number, trailing junk) or ERANGE.
 */
int
str_tonum(const char *s, long long min, long long max, long long *out)
{
	char		*end;
	long long	 v;

	if (s == NULL || *s == '\0' || isspace((unsigned char)*s)) {
		errno = EINVAL;
		return -1;
	}
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end != '\0') {
		errno = EINVAL;
		return -1;
	}
	if (errno == ERANGE || v < min || v > max) {
		errno = ERANGE;
		return -1;
	}
	*out = v;
	return 0;
}

/*
 * str_toduration - parse a time as Postfix writes it: a number with an
 * optional unit s, m, h, d or w (def_unit when none); seconds out.
 */
int
str_toduration(const char *s, int def_unit, long long *out)
{
	char		 num[32];
	size_t		 n;
	long long	 v, mul;
	int		 unit;

	if (s == NULL || (n = strlen(s)) == 0 || n >= sizeof num) {
		errno = EINVAL;
		return -1;
	}
	unit = def_unit;
	if (isalpha((unsigned char)s[n - 1])) {
		unit = s[n - 1];
		n--;
	}
	memcpy(num, s, n);
	num[n] = '\0';
	switch (unit) {
	case 's': mul = 1; break;
	case 'm': mul = 60; break;
	case 'h': mul = 3600; break;
	case 'd': mul = 86400; break;
	case 'w': mul = 604800; break;
	default:
		errno = EINVAL;
		return -1;
	}
	if (str_tonum(num, 0, LLONG_MAX / mul, &v) == -1)
		return -1;
	*out = v * mul;
	return 0;
}

/* str_lower - fold ASCII letters to lower case in place */
void
str_lower(char *s)
{
	for (; *s != '\0'; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* str_lower_n - fold n bytes (NULs allowed) to lower case in place */
void
str_lower_n(char *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			s[i] = (char)(s[i] - 'A' + 'a');
}

/* str_has_ctl - true when any byte is a C0 control (NUL, CR, LF...) or DEL */
int
str_has_ctl(const char *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] == 0x7f)
			return 1;
	return 0;
}

/* str_is_ascii - true when no byte has the high bit set */
int
str_is_ascii(const char *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 0;
	return 1;
}

/* str_trim - strip leading and trailing white space in place */
char *
str_trim(char *s)
{
	char	*e;

	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' ||
	    e[-1] == '\n'))
		*--e = '\0';
	return s;
}

/* str_dup - strdup that sets errno; caller frees */
char *
str_dup(const char *s)
{
	size_t	 n = strlen(s) + 1;
	char	*p;

	if ((p = malloc(n)) == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	memcpy(p, s, n);
	return p;
}

/* str_copy - copy into a fixed array; 0, or -1 (ENAMETOOLONG) if cut */
int
str_copy(char *dst, size_t size, const char *src)
{
	size_t	n = strlen(src);

	if (n >= size) {
		if (size > 0)
			dst[0] = '\0';
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(dst, src, n + 1);
	return 0;
}
