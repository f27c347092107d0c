/* SPDX-License-Identifier: ISC */
/*
 * lline - read logical lines of a Postfix-style source file (tables,
 * aliases, main.cf): a line that starts with white space continues the
 * previous one, '#' lines and empty lines are skipped.
 */
#ifndef MAILPATH_LLINE_H
#define MAILPATH_LLINE_H

#include <stdio.h>

#include "buf.h"
#include "exitcode.h"

#define LLINE_MAX	(1024 * 1024)	/* longest logical line */

struct lline {
	FILE		*fp;
	const char	*file;		/* name for messages */
	unsigned long	 lineno;	/* physical line last read */
	unsigned long	 start;		/* first physical line of this logical line */
	struct buf	 line;		/* the logical line, continuations joined */
	struct buf	 phys;		/* scratch: one physical line */
	int		 pending;	/* phys holds a line read ahead */
	int		 crlf;		/* strip a CR before LF */
};

void	 lline_init(struct lline *, FILE *, const char *);
int	 lline_read(struct lline *, struct mail_err *);
void	 lline_free(struct lline *);

#endif
