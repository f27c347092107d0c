/* SPDX-License-Identifier: ISC */
/*
 * tap.h - a few TAP helpers for the C unit tests: each check prints
 * "ok N - name" or "not ok N - name" with "got X, want Y" as a comment.
 * A test program ends with "return tap_done();", which prints the plan and
 * returns 0: failures are carried by the "not ok" lines, not by the exit
 * status (automake's TAP driver would count them twice).
 */
#ifndef MAILPATH_TAP_H
#define MAILPATH_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int	tap_n, tap_failed;

static int __attribute__((format(printf, 2, 3), unused))
ok(int cond, const char *fmt, ...)
{
	va_list	ap;

	printf("%sok %d - ", cond ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond)
		tap_failed++;
	fflush(stdout);
	return cond;
}

static int __attribute__((unused))
is_str(const char *got, const char *want, const char *name)
{
	int	cond;

	if (got == NULL || want == NULL)
		cond = got == want;
	else
		cond = strcmp(got, want) == 0;
	if (!ok(cond, "%s", name))
		printf("#   got \"%s\", want \"%s\"\n", got ? got : "(null)",
		    want ? want : "(null)");
	return cond;
}

static int __attribute__((unused))
is_int(long long got, long long want, const char *name)
{
	int	cond = got == want;

	if (!ok(cond, "%s", name))
		printf("#   got %lld, want %lld\n", got, want);
	return cond;
}

static void __attribute__((format(printf, 1, 2), unused))
diag(const char *fmt, ...)
{
	va_list	ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static int __attribute__((unused))
tap_done(void)
{
	printf("1..%d\n", tap_n);
	return 0;
}

#endif
