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

#define QRUN_FAILED	0	/* a report: bounces */
#define QRUN_DELAYED	1	/* delay warnings */
#define QRUN_SUCCESS	2	/* deliveries (DSN NOTIFY=SUCCESS) */

/* what an RFC 3464 report says; rcpt, dsn, reason, orcpt, relay: n each */
struct qrun_report {
	int		 kind;		/* QRUN_* */
	const char	*id;		/* the queue id it is about */
	const char	*to;		/* the sender, or "postmaster" */
	const char	*envid;		/* DSN ENVID (xtext) or NULL */
	int		 ret;		/* QUEUE_RET_FULL: the whole message */
	long long	 arrival, now;
	long long	 until;		/* QRUN_DELAYED: retried until */
	const char	*msg;		/* the message and its length */
	size_t		 len;
	size_t		 size_limit;	/* bounce_size_limit: more is headers */
	char *const	*rcpt, *const *dsn, *const *reason;
	char *const	*orcpt;		/* DSN ORCPT (xtext) or NULL, or NULL */
	char *const	*relay;		/* QRUN_SUCCESS: "local" or a host */
	size_t		 n;
};

/*
 * qrun_report_text - the RFC 3464 multipart/report from MAILER-DAEMON
 * as Postfix words it: a bounce ("Undelivered Mail Returned to Sender",
 * Action: failed), a delay warning (Action: delayed, Will-Retry-Until),
 * or a success report (Action: delivered for local mail, relayed for a
 * next hop that was not asked for DSN).  Original-Envelope-Id and
 * Original-Recipient where the client gave ENVID and ORCPT.  The original
 * headers follow; with RET=FULL a failure report has the whole message
 * when it is at most size_limit bytes (0: no limit).  0, or -1 with errno.
 */
int	 qrun_report_text(const struct mail_conf *, const struct qrun_report *,
	    struct buf *);

#endif
