/* SPDX-License-Identifier: ISC */
/*
 * table - the source syntax of postmap(1) tables.
 *
 * A logical line (lline.c joins continuation lines and drops '#' lines)
 * is "key whitespace value".  The key ends at the first space or tab that
 * is not inside double quotes; text inside quotes is taken literally,
 * white space included, with \" and \\ standing for " and \, and the
 * quotes themselves are not part of the key.  The value is the rest of
 * the line with surrounding white space removed, byte for byte otherwise.
 * Keys are folded to lower case in ASCII only: a UTF-8 key (an IDN) is
 * stored as written, as Postfix does with smtputf8 off.
 *
 * Trusts nothing in the file: every error names file:line, and nothing is
 * allocated per line (keys are unquoted in place inside the line buffer),
 * so a million-line table costs one buffer.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "buf.h"
#include "lline.h"
#include "log.h"
#include "table.h"

#define SCAN_OK		0
#define SCAN_OPEN	(-1)	/* a quote is never closed */
#define SCAN_LONG	(-2)	/* out is too small */

/*
 * scan_key - unquote (and fold) a key from s into out, stopping at an
 * unquoted space or tab when stop_white is set, else at the NUL.  out may
 * be s itself: the write position never passes the read position.  *endp
 * is where the scan stopped; *colon says the key ended in an unquoted ':'.
 */
static int
scan_key(const char *s, int stop_white, int flags, char *out, size_t outsz,
    size_t *outlen, const char **endp, int *colon)
{
	size_t	w = 0;
	int	quoted = 0, c;

	*colon = 0;
	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if (quoted) {
			if (c == '"') {
				quoted = 0;
				continue;
			}
			if (c == '\\' && (s[1] == '"' || s[1] == '\\'))
				c = (unsigned char)*++s;
		} else {
			if (stop_white && (c == ' ' || c == '\t'))
				break;
			if (c == '"') {
				quoted = 1;
				*colon = 0;
				continue;
			}
		}
		*colon = !quoted && c == ':';
		if ((flags & TABLE_FOLD) && c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if (w + 1 >= outsz)
			return SCAN_LONG;
		out[w++] = (char)c;
	}
	*endp = s;
	*outlen = w;
	/* no NUL yet: in place, out[w] may still be the white space at s */
	return quoted ? SCAN_OPEN : SCAN_OK;
}

static int
is_white(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
	    c == '\f';
}

/*
 * one_line - split the logical line in l->line into key and value (in
 * place) and hand them to fn.  EX_OK, EX_DATAERR, or fn's result.
 */
static int
one_line(struct lline *l, int flags, table_fn fn, void *arg,
    struct mail_err *e)
{
	char		*line = l->line.s, *val, *end;
	const char	*stop;
	size_t		 klen;
	int		 colon, rc;

	rc = scan_key(line, 1, flags, line, l->line.len + 1, &klen, &stop,
	    &colon);
	if (rc == SCAN_OPEN)
		return mail_err_set(e, EX_DATAERR, NULL,
		    "%s:%lu: unterminated quoted key (a \" without its "
		    "closing \")", l->file, l->start);
	if (klen == 0)
		return mail_err_set(e, EX_DATAERR, NULL,
		    "%s:%lu: empty key (\"\")", l->file, l->start);
	val = (char *)stop;
	while (is_white((unsigned char)*val))
		val++;
	line[klen] = '\0';
	end = line + l->line.len;
	while (end > val && is_white((unsigned char)end[-1]))
		end--;
	if (end == val)
		return mail_err_set(e, EX_DATAERR, NULL,
		    "%s:%lu: key \"%s\" has no value (expected \"key "
		    "whitespace value\")%s", l->file, l->start, line,
		    colon ? "; is this an alias file?" : "");
	*end = '\0';
	if (colon && !(flags & TABLE_QUIET))
		log_warn("%s:%lu: record is in \"key: value\" format; is this "
		    "an alias file?", l->file, l->start);
	return fn(arg, line, klen, val, (size_t)(end - val), l->file,
	    l->start);
}

/*
 * table_parse - read a table source from fp, calling fn for each entry.
 * Warnings go through log_warn with file:line.  EX_OK; EX_DATAERR with e
 * naming file:line for a syntax error, a NUL byte or an overlong line; an
 * errno-derived code (EX_TEMPFAIL, EX_NOINPUT...) for a read error; or
 * fn's non-zero result as is.
 */
int
table_parse(FILE *fp, const char *file, int flags, table_fn fn, void *arg,
    struct mail_err *e)
{
	struct lline	l;
	int		rc;

	mail_err_clear(e);
	lline_init(&l, fp, file);
	while ((rc = lline_read(&l, e)) == 1)
		if ((rc = one_line(&l, flags, fn, arg, e)) != EX_OK)
			break;
	lline_free(&l);
	if (rc == -1)
		return e->ex != EX_OK ? e->ex : EX_DATAERR;
	return rc == 0 ? EX_OK : rc;
}

/*
 * table_key - parse one key as written on a command line or stdin: quotes
 * allowed, white space outside them kept as is, folded with TABLE_FOLD.
 * The key goes to out (NUL-terminated, length in *outlen).  EX_OK, or
 * EX_DATAERR for an empty key, an unclosed quote or a key longer than out.
 */
int
table_key(const char *s, int flags, char *out, size_t outsz, size_t *outlen,
    struct mail_err *e)
{
	const char	*stop;
	int		 colon;

	switch (scan_key(s, 0, flags, out, outsz, outlen, &stop, &colon)) {
	case SCAN_OPEN:
		return mail_err_set(e, EX_DATAERR, NULL,
		    "unterminated quoted key: %s", s);
	case SCAN_LONG:
		return mail_err_set(e, EX_DATAERR, NULL,
		    "key longer than %zu bytes", outsz - 1);
	}
	out[*outlen] = '\0';
	if (*outlen == 0)
		return mail_err_set(e, EX_DATAERR, NULL, "empty key");
	return EX_OK;
}

/* needs_quotes - a key that would not read back as itself unquoted */
static int
needs_quotes(const char *k, size_t n)
{
	size_t	i;

	if (n == 0 || k[0] == '#')
		return 1;
	for (i = 0; i < n; i++)
		if (k[i] == ' ' || k[i] == '\t' || k[i] == '"')
			return 1;
	return 0;
}

/*
 * table_quote - append key to b as it must be written in a source file
 * (quoted, with \" and \\, when it holds white space or a quote or starts
 * with '#'), so "postmap -s" output builds the same table again.  0, or
 * -1 with errno (E2BIG past b's maximum; b is then cut back).
 */
int
table_quote(struct buf *b, const char *k, size_t n)
{
	size_t	i, start = b->len;
	int	rc = 0;

	if (!needs_quotes(k, n))
		return buf_add(b, k, n);
	rc |= buf_addc(b, '"');
	for (i = 0; i < n && rc == 0; i++) {
		if (k[i] == '"' || k[i] == '\\')
			rc |= buf_addc(b, '\\');
		rc |= buf_addc(b, k[i]);
	}
	rc |= buf_addc(b, '"');
	if (rc != 0) {
		buf_truncate(b, start);
		return -1;
	}
	return 0;
}

/* utf8_len - length of the valid UTF-8 sequence at s (n bytes left), or 0 */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	size_t		len, i;
	unsigned int	cp;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates, past U+10FFFF */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

/*
 * table_json_str - append s as a JSON string: quotes, backslash and
 * control bytes escaped, valid UTF-8 passed through, any other byte
 * (invalid UTF-8) as U+FFFD so the line stays valid JSON.  0, or -1 with
 * errno (b cut back to where it was).
 */
int
table_json_str(struct buf *b, const char *s, size_t n)
{
	static const char	hex[] = "0123456789abcdef";
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i, start = b->len, run, u;
	char			 esc[7];
	int			 rc = buf_addc(b, '"');

	for (i = 0; i < n && rc == 0; ) {
		/* copy the longest stretch of plain ASCII in one go */
		for (run = i; run < n && p[run] >= 0x20 && p[run] < 0x7f &&
		    p[run] != '"' && p[run] != '\\'; run++)
			;
		if (run > i) {
			rc = buf_add(b, s + i, run - i);
			i = run;
			continue;
		}
		if (p[i] == '"' || p[i] == '\\') {
			esc[0] = '\\', esc[1] = (char)p[i];
			rc = buf_add(b, esc, 2);
			i++;
		} else if (p[i] < 0x20 || p[i] == 0x7f) {
			switch (p[i]) {
			case '\n': rc = buf_add(b, "\\n", 2); break;
			case '\r': rc = buf_add(b, "\\r", 2); break;
			case '\t': rc = buf_add(b, "\\t", 2); break;
			default:
				memcpy(esc, "\\u00", 4);
				esc[4] = hex[p[i] >> 4];
				esc[5] = hex[p[i] & 0xf];
				rc = buf_add(b, esc, 6);
			}
			i++;
		} else if ((u = utf8_len(p + i, n - i)) > 0) {
			rc = buf_add(b, s + i, u);
			i += u;
		} else {
			rc = buf_add(b, "\\ufffd", 6);
			i++;
		}
	}
	if (rc == 0)
		rc = buf_addc(b, '"');
	if (rc != 0) {
		buf_truncate(b, start);
		return -1;
	}
	return 0;
}

/*
 * table_format - append one output record for key and value to b:
 * "key<TAB>value\n" (the key quoted where a source file needs it), or with
 * TABLE_JSON a JSON line {"key":"...","value":"..."}.  0, or -1 with errno
 * and b as it was.
 */
int
table_format(struct buf *b, int flags, const char *k, size_t klen,
    const char *v, size_t vlen)
{
	size_t	start = b->len;
	int	rc;

	/* || and not |: the appends must happen in this order */
	if (flags & TABLE_JSON)
		rc = buf_add(b, "{\"key\":", 7) == -1 ||
		    table_json_str(b, k, klen) == -1 ||
		    buf_add(b, ",\"value\":", 9) == -1 ||
		    table_json_str(b, v, vlen) == -1 ||
		    buf_add(b, "}\n", 2) == -1;
	else
		rc = ((flags & TABLE_QUOTE) ? table_quote(b, k, klen) :
		    buf_add(b, k, klen)) == -1 ||
		    buf_addc(b, '\t') == -1 || buf_add(b, v, vlen) == -1 ||
		    buf_addc(b, '\n') == -1;
	if (rc != 0) {
		if (errno == 0)
			errno = E2BIG;
		buf_truncate(b, start);
		return -1;
	}
	return 0;
}
