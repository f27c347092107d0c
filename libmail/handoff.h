/* SPDX-License-Identifier: ISC */
/*
 * handoff - give a received message to a command, under the hand-off
 * contract of DESIGN.md: the message on the command's stdin, the envelope
 * as arguments ("-f SENDER -- RCPT..."), the exit status mapped through
 * exitcode.c (0 -> 250, temporary -> 451, anything else -> 554) with the
 * first line of the command's stderr as the reason.
 *
 * Or, without a command (argv NULL, after handoff_queue()), into the
 * queue in the same process: the message is kept in memory, written by
 * queue_enqueue() (durable: file and directory fsync()ed) before the
 * engine may answer 250, and a delivery pass is started in the
 * background, never more than one per queue at a time.
 */
#ifndef MAILPATH_HANDOFF_H
#define MAILPATH_HANDOFF_H

#include <stddef.h>

#include "buf.h"
#include "exitcode.h"
#include "smtpd.h"

struct mail_conf;

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
	/* the queue hand-off: set by handoff_queue() */
	const struct mail_conf *conf;	/* for the delivery pass */
	const char	*qdir;		/* queue_directory */
	struct buf	 msg;		/* the message being received */
	int		 open;		/* a message is being received */
};

/* handoff_init - a hand-off to argv (kept by reference), spooled in tmpdir */
void	 handoff_init(struct handoff *, char *const *, const char *);

/*
 * handoff_queue - make h a queue hand-off into the queue_directory of
 * conf (kept by reference: it must outlive h); a message may be up to
 * max bytes.  EX_OK, or EX_TEMPFAIL / EX_CANTCREAT when the queue's
 * directories cannot be made (each message would then get 451).
 */
int	 handoff_queue(struct handoff *, const struct mail_conf *, size_t,
	    struct mail_err *);

/*
 * handoff_enqueue - write the message received, with env's envelope and
 * DSN parameters, into the queue, durably; id (QUEUE_ID_MAX bytes) gets
 * the queue id.  EX_OK, else EX_TEMPFAIL with e filled (a full disk, an
 * unwritable queue: never permanent).
 */
int	 handoff_enqueue(struct handoff *, const struct smtpd_env *, char *,
	    struct mail_err *);

/*
 * handoff_kick - start a delivery pass over h's queue in a background
 * process (detached: no zombie, no descriptor of ours but a lock), unless
 * one is running, which then makes another pass for what came meanwhile.
 */
void	 handoff_kick(struct handoff *);

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

/* handoff_close - drop the spool file or the message in memory */
void	 handoff_close(struct handoff *);

/*
 * handoff_ops - smtpd_ops that hand every accepted message to h (its
 * command, or the queue: then the reply names the queue id and a
 * delivery pass is kicked), and check recipients with h->rcpt_check
 * (called with h->rcpt_ctx).
 */
void	 handoff_ops(struct handoff *, struct smtpd_ops *);

#endif
