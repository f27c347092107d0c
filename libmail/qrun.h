/* SPDX-License-Identifier: ISC */
/*
 * qrun - the delivery pass over the queue: route each waiting recipient
 * (mydestination: mda-deliver; else smtp-send, which goes to relayhost or
 * the MX), record what became of it, retry with Postfix's backoff, warn
 * the sender once after delay_warning_time, bounce (RFC 3464) what
 * failed for good or waited past maximal_queue_lifetime;
 * the failures of a message from the null sender go to the postmaster,
 * unless they are the postmaster's own.
 */
#ifndef MAILPATH_QRUN_H
#define MAILPATH_QRUN_H
#include "buf.h"
#include "conf.h"
#include "exitcode.h"

#define QRUN_FORCE	0x01	/* try deferred recipients now (sendmail -q) */

struct qrun_stats {
	unsigned long	 messages;	/* messages looked at */
	unsigned long	 sent, deferred, bounced;	/* recipients */
	unsigned long	 corrupt;	/* files set aside */
};

/*
 * qrun_backoff - when to try again, as Postfix's queue manager decides:
 * the message's age, between minimal_ and maximal_backoff_time, from now.
 */
long long qrun_backoff(long long, long long, long long, long long);

/*
 * qrun_message - one delivery attempt for the message id (recipients that
 * are due, or all waiting ones with QRUN_FORCE) at time now.  EX_OK when
 * the attempt was made (whatever its outcome, which is in the queue file
 * and the log); EX_TEMPFAIL when the message is locked by another runner
 * or the queue cannot be written; EX_DATAERR for a corrupt file (set
 * aside); EX_NOINPUT when it is gone.  st (may be NULL) is added to.
 */
int	 qrun_message(const struct mail_conf *, const char *, int, long long,
	    struct qrun_stats *, struct mail_err *);

/*
 * qrun_pass - qrun_message for every message in the queue (due ones only
 * without QRUN_FORCE), then for those that appeared meanwhile (a copy
 * for a remote alias target), a few rounds at most; EX_OK or why not
 */
int	 qrun_pass(const struct mail_conf *, int, struct qrun_stats *,
	    struct mail_err *);

/*
 * qrun_daemon - what sendmail -qINTERVAL does: a pass over the due
 * messages every interval seconds, problems logged; returns only when
 * the process is killed.
 */
int	 qrun_daemon(const struct mail_conf *, long long, struct mail_err *);

/*
 * qrun_bounce_text - the RFC 3464 report for the bounced recipients of a
 * message: from MAILER-DAEMON to the given address (the sender, or
 * "postmaster" for a message from the null sender: then the Subject is
 * Postfix's "Postmaster Copy"), with the original headers.
 * rcpt/dsn/reason are parallel arrays of n.  0, or -1 with errno.
 */
int	 qrun_bounce_text(const struct mail_conf *, const char *, const char *,
	    long long, long long, const char *, size_t, char *const *,
	    char *const *, char *const *, size_t, struct buf *);

/*
 * qrun_delay_text - the same report as a delay warning (Postfix's
 * "Delayed Mail (still being retried)", Action: delayed), for recipients
 * that will be retried until the given time.  0, or -1 with errno.
 */
int	 qrun_delay_text(const struct mail_conf *, const char *, const char *,
	    long long, long long, long long, const char *, size_t,
	    char *const *, char *const *, char *const *, size_t, struct buf *);
#endif
