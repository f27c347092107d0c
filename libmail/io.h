/* SPDX-License-Identifier: ISC */
/*
 * io - buffered reading of lines from a file descriptor, for programs
 * that answer one line at a time (postmap -q -): read(2) into one bounded
 * buffer, split into lines, with a hook that runs before every read that
 * may block (so the caller can flush its answers first).
 */
#ifndef MAILPATH_IO_H
#define MAILPATH_IO_H

#include <stddef.h>

#include "exitcode.h"

struct io_lines {
	int		 fd;
	const char	*name;		/* for messages ("stdin") */
	char		*b;
	size_t		 start, end, cap, max;
	unsigned long	 line;		/* number of the line last returned */
	int		 eof;
	void		(*before_read)(void *);
	void		*arg;
};

/*
 * io_lines_init - read lines of at most max bytes from fd; before_read
 * (may be NULL) is called before each read(2).  EX_OK or EX_OSERR.
 */
int	 io_lines_init(struct io_lines *, int, const char *, size_t,
	    void (*)(void *), void *, struct mail_err *);

/*
 * io_lines_next - the next line, NUL-terminated, without its LF (or CRLF),
 * length in *len; the text stays valid until the next call.  NULL at the
 * end (e->ex EX_OK) or on an error (e filled: EX_DATAERR for a line over
 * the maximum, naming name:line; a read error as mail_err_errno).
 */
char	*io_lines_next(struct io_lines *, size_t *, struct mail_err *);

void	 io_lines_free(struct io_lines *);

/*
 * io_stdfds - make sure descriptors 0, 1 and 2 are open (on /dev/null
 * when they were not), so that no file a program opens becomes its
 * standard output or error: what every program started by others (cron,
 * inetd, a runner that closed them) does first
 */
void	 io_stdfds(void);

#endif
