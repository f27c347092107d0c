/* SPDX-License-Identifier: ISC */
/*
 * buf - bounded, growable, NUL-terminated byte buffers.
 *
 * Every buffer has a hard maximum, so no input can make us allocate
 * without limit.  A failed append leaves the buffer valid and unchanged
 * and sets errno (E2BIG past the maximum, ENOMEM when malloc fails).
 * b->s is NULL until something was added; buf_str() never returns NULL.
 */
#ifndef MAILPATH_BUF_H
#define MAILPATH_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char	*s;		/* NUL-terminated once anything was added */
	size_t	 len, cap, max;	/* max: the most it may grow to */
};

#define BUF_INIT(max)	{ NULL, 0, 0, (max) }

void	 buf_init(struct buf *, size_t);
int	 buf_add(struct buf *, const void *, size_t);
int	 buf_addc(struct buf *, int);
int	 buf_adds(struct buf *, const char *);
int	 buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
int	 buf_vprintf(struct buf *, const char *, va_list)
	    __attribute__((format(printf, 2, 0)));
int	 buf_set(struct buf *, const void *, size_t);
void	 buf_truncate(struct buf *, size_t);
void	 buf_reset(struct buf *);
void	 buf_free(struct buf *);
const char *buf_str(const struct buf *);

#endif
