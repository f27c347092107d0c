/* SPDX-License-Identifier: ISC */
/*
 * buf - bounded, growable, NUL-terminated byte buffers.
 *
 * Trusts nothing about the bytes it is given (NULs are fine: len counts
 * them); trusts the caller to have picked a sensible maximum.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

/* buf_init - an empty buffer that may grow to max bytes */
void
buf_init(struct buf *b, size_t max)
{
	b->s = NULL;
	b->len = b->cap = 0;
	b->max = max;
}

/* grow - make room for need more bytes plus the NUL; 0, or -1 untouched */
static int
grow(struct buf *b, size_t need)
{
	size_t	 want, ncap;
	char	*ns;

	if (need > b->max || b->len > b->max - need) {
		errno = E2BIG;
		return -1;
	}
	want = b->len + need + 1;
	if (want <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 64;
	while (ncap < want)
		ncap = ncap > ((size_t)-1) / 2 ? want : ncap * 2;
	if (ncap > b->max + 1)
		ncap = b->max + 1;
	if ((ns = realloc(b->s, ncap)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	b->s = ns;
	b->cap = ncap;
	return 0;
}

/* buf_add - append n bytes; 0, or -1 with errno set and b untouched */
int
buf_add(struct buf *b, const void *p, size_t n)
{
	if (grow(b, n) == -1)
		return -1;
	if (n > 0)
		memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
	return 0;
}

/* buf_addc - append one byte */
int
buf_addc(struct buf *b, int c)
{
	char	ch = (char)c;

	return buf_add(b, &ch, 1);
}

/* buf_adds - append a C string */
int
buf_adds(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

/* buf_vprintf - append formatted text; all of it, or nothing */
int
buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list	 aq;
	int	 n;

	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0)
		return -1;
	if (grow(b, (size_t)n) == -1)
		return -1;
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

/* buf_printf - append formatted text; all of it, or nothing */
int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list	 ap;
	int	 rc;

	va_start(ap, fmt);
	rc = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

/* buf_set - replace the contents; on failure the old contents stay */
int
buf_set(struct buf *b, const void *p, size_t n)
{
	size_t	old = b->len;

	b->len = 0;
	if (grow(b, n) == -1) {
		b->len = old;
		return -1;
	}
	if (n > 0)
		memmove(b->s, p, n);
	b->len = n;
	b->s[n] = '\0';
	return 0;
}

/* buf_truncate - shorten to n bytes (no-op when already shorter) */
void
buf_truncate(struct buf *b, size_t n)
{
	if (n < b->len) {
		b->len = n;
		b->s[n] = '\0';
	}
}

/* buf_reset - empty the buffer, keep its memory */
void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->s != NULL)
		b->s[0] = '\0';
}

/* buf_free - release the memory; the buffer is empty and usable again */
void
buf_free(struct buf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
}

/* buf_str - the contents as a C string, "" when empty */
const char *
buf_str(const struct buf *b)
{
	return b->s != NULL ? b->s : "";
}
