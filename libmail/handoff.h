/* SPDX-License-Identifier: ISC */
/*
 * handoff - give a received message to a command, under the hand-off
 * contract of DESIGN.md: the message on the command's stdin, the envelope
 * as arguments ("-f SENDER -- RCPT..."), the exit status mapped through
 * exitcode.c (0 -> 250, temporary -> 451, anything else -> 554) with the
 * first line of the command's stderr as the reason.
 */
#ifndef MAILPATH_HANDOFF_H
#define MAILPATH_HANDOFF_H

#include <stddef.h>

#include "buf.h"
#include "exitcode.h"
#include "smtpd.h"

struct handoff {
	char *const	*argv;		/* command and its own arguments */
	const char	*tmpdir;	/* where the spool file lives */
	long long	 timeout;	/* s the command may run, 0 = no limit */
	int		 fd;		/* the spool file, -1 when none */
	struct buf	 wbuf;		/* lines on their way to fd */
	int		 werr;		/* errno of a failed write */
	/* the recipient check handoff_ops() installs, when not NULL */
	int		(*rcpt_check)(void *, const struct addr *,
			    struct mail_err *);
	void		*rcpt_ctx;
};

/* handoff_init - a hand-off to argv (kept by reference), spooled in tmpdir */
void	 handoff_init(struct handoff *, char *const *, const char *);

/*
 * handoff_open - start a message: an unlinked temporary file in tmpdir.
 * EX_OK, or EX_TEMPFAIL with e filled (never a permanent failure).
 */
int	 handoff_open(struct handoff *, struct mail_err *);

/* handoff_line - append one line (a newline is added); 0, or -1 with errno */
int	 handoff_line(struct handoff *, const char *, size_t);

/*
 * handoff_run - run the command on the spooled message and wait for it.
 * sender "" is the null sender.  EX_OK; the command's exit status (or
 * EX_TEMPFAIL when it was killed, timed out or could not be started) with
 * e holding the reason, its enhanced code adjusted to the status's class.
 */
int	 handoff_run(struct handoff *, const char *, char *const *, size_t,
	    struct mail_err *);

/* handoff_close - drop the spool file */
void	 handoff_close(struct handoff *);

/*
 * handoff_ops - smtpd_ops that hand every accepted message to h, and
 * check recipients with h->rcpt_check (called with h->rcpt_ctx).
 */
void	 handoff_ops(struct handoff *, struct smtpd_ops *);

#endif
