/* SPDX-License-Identifier: ISC */
/*
 * lline - read logical lines of a Postfix-style source file.
 *
 * Trusts nothing in the file: a NUL byte, a line longer than LLINE_MAX or
 * a continuation line with nothing to continue is an error naming
 * file:line, never a silent cut.  CRLF line ends are accepted (the CR is
 * dropped), so a table edited on another system still builds.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "lline.h"

/* lline_init - read logical lines from fp, naming it file in messages */
void
lline_init(struct lline *l, FILE *fp, const char *file)
{
	l->fp = fp;
	l->file = file;
	l->lineno = l->start = 0;
	buf_init(&l->line, LLINE_MAX);
	buf_init(&l->phys, LLINE_MAX);
	l->pending = 0;
	l->crlf = 1;
}

/*
 * physline - one physical line into l->phys; 1, 0 at EOF, -1 error.
 * The bytes go straight into the buffer (getc_unlocked, no per-byte
 * append call): a million-line table spends its time in tdb, not here.
 */
static int
physline(struct lline *l, struct mail_err *e)
{
	struct buf	*b = &l->phys;
	int		 c;

	buf_reset(b);
	for (;;) {
		if (b->cap == 0 || b->len + 1 >= b->cap) {
			/* Room for one more byte plus the NUL, within max. */
			if (buf_addc(b, 'x') == -1) {
				mail_err_set(e, EX_DATAERR, NULL,
				    "%s:%lu: line longer than %d bytes",
				    l->file, l->lineno + 1, LLINE_MAX);
				return -1;
			}
			buf_truncate(b, b->len - 1);
		}
		c = getc_unlocked(l->fp);
		if (c == EOF) {
			if (ferror(l->fp))
				return mail_err_errno(e, errno, "%s", l->file),
				    -1;
			if (b->len == 0)
				return 0;
			break;
		}
		if (c == '\n')
			break;
		if (c == '\0') {
			mail_err_set(e, EX_DATAERR, NULL,
			    "%s:%lu: NUL byte in line", l->file,
			    l->lineno + 1);
			return -1;
		}
		b->s[b->len++] = (char)c;
	}
	b->s[b->len] = '\0';
	l->lineno++;
	if (l->crlf && b->len > 0 && b->s[b->len - 1] == '\r')
		buf_truncate(b, b->len - 1);
	return 1;
}

static int
blank(const char *s)
{
	return s[strspn(s, " \t\r")] == '\0';
}

static int
comment(const char *s)
{
	return s[strspn(s, " \t")] == '#';
}

/*
 * lline_read - the next logical line in l->line (NUL-terminated, without
 * the line end), its first line number in l->start.  1 when a line was
 * read, 0 at end of file, -1 with e filled (EX_DATAERR for bad bytes or
 * length, EX_IOERR-class from errno for read errors).
 */
int
lline_read(struct lline *l, struct mail_err *e)
{
	int	rc;

	buf_reset(&l->line);
	for (;;) {
		if (l->pending) {
			l->pending = 0;
			rc = 1;
		} else if ((rc = physline(l, e)) <= 0) {
			if (rc == 0 && l->line.len > 0)
				return 1;
			return rc;
		}
		if (blank(l->phys.s) || comment(l->phys.s)) {
			/*
			 * Postfix: a comment or empty line ends nothing and
			 * continues nothing; skip it.
			 */
			continue;
		}
		if (l->phys.s[0] == ' ' || l->phys.s[0] == '\t') {
			if (l->line.len == 0) {
				mail_err_set(e, EX_DATAERR, NULL,
				    "%s:%lu: continuation line without a "
				    "line to continue", l->file, l->lineno);
				return -1;
			}
			if (buf_adds(&l->line, " ") == -1 ||
			    buf_adds(&l->line, l->phys.s + strspn(l->phys.s,
			    " \t")) == -1) {
				mail_err_set(e, EX_DATAERR, NULL,
				    "%s:%lu: logical line longer than %d "
				    "bytes", l->file, l->lineno, LLINE_MAX);
				return -1;
			}
			continue;
		}
		if (l->line.len > 0) {
			l->pending = 1;
			return 1;
		}
		l->start = l->lineno;
		if (buf_set(&l->line, l->phys.s, l->phys.len) == -1)
			return mail_err_errno(e, errno, "%s", l->file), -1;
	}
}

/* lline_free - release the buffers (the FILE stays the caller's) */
void
lline_free(struct lline *l)
{
	buf_free(&l->line);
	buf_free(&l->phys);
}
