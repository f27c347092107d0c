/* SPDX-License-Identifier: ISC */
/* Unit tests for libmail/lline: logical lines and their errors. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "lline.h"
#include "tap.h"

/* read all logical lines of text as "START:line|..." */
static int
readall(const char *text, size_t n, char *out, size_t outsz,
    struct mail_err *e)
{
	FILE		*fp = fmemopen((void *)text, n, "r");
	struct lline	 l;
	int		 rc;
	size_t		 used = 0;

	out[0] = '\0';
	lline_init(&l, fp, "src");
	while ((rc = lline_read(&l, e)) == 1) {
		int	k = snprintf(out + used, outsz - used, "%lu:%s|",
		    l.start, l.line.s);

		if (k < 0 || (size_t)k >= outsz - used)
			break;
		used += (size_t)k;
	}
	lline_free(&l);
	fclose(fp);
	return rc;
}

static const struct {
	const char	*name, *in, *want, *err;
} cases[] = {
	{ "plain lines", "a 1\nb 2\n", "1:a 1|2:b 2|", NULL },
	{ "no final newline", "a 1\nb 2", "1:a 1|2:b 2|", NULL },
	{ "continuation joins with one space", "a 1\n  2\n\t3\nb\n",
	    "1:a 1 2 3|4:b|", NULL },
	{ "comments and blank lines skipped", "# c\n\na\n  # not cont\n \nb\n",
	    "3:a|6:b|", NULL },
	{ "comment inside a continued line", "a 1\n# c\n  2\n",
	    "1:a 1 2|", NULL },
	{ "CRLF line ends", "a 1\r\n  2\r\nb\r\n", "1:a 1 2|3:b|", NULL },
	{ "continuation at the start", "  a\nb\n", "",
	    "src:1: continuation line without a line to continue" },
	{ "empty file", "", "", NULL },
};

int
main(void)
{
	struct mail_err	 e;
	char		 out[512];
	size_t		 i;
	int		 rc;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		e.text[0] = '\0';
		rc = readall(cases[i].in, strlen(cases[i].in), out, sizeof out,
		    &e);
		is_str(out, cases[i].want, cases[i].name);
		if (cases[i].err != NULL) {
			is_int(rc, -1, "  fails");
			is_str(e.text, cases[i].err, "  names file:line");
			is_int(e.ex, EX_DATAERR, "  as a data error");
		} else
			is_int(rc, 0, "  ends cleanly");
	}

	rc = readall("a\nb\0c\n", 6, out, sizeof out, &e);
	is_int(rc, -1, "a NUL byte is an error");
	is_str(e.text, "src:2: NUL byte in line", "  naming its line");

	{
		static char	big[LLINE_MAX + 10];

		memset(big, 'x', sizeof big - 1);
		big[sizeof big - 2] = '\n';
		rc = readall(big, sizeof big - 1, out, sizeof out, &e);
		is_int(rc, -1, "a line over the maximum is an error, not cut");
		ok(strstr(e.text, "src:1: line longer than") != NULL,
		    "  naming its line: %s", e.text);
	}
	return tap_done();
}
