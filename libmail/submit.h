/* SPDX-License-Identifier: ISC */
/*
 * submit - what sendmail(1) does with a message before it is queued
 * (Postfix's pickup and cleanup): read it, take recipients from the
 * header (-t), drop Bcc:, add a missing From:, Date: and Message-ID:,
 * qualify bare names with myorigin, and apply the canonical maps once to
 * the envelope and to the address headers.  Then the message is queued.
 */
#ifndef MAILPATH_SUBMIT_H
#define MAILPATH_SUBMIT_H
#include <stddef.h>
#include "buf.h"
#include "conf.h"
#include "exitcode.h"
#include "queue.h"

struct submit_opts {
	const char	*sender;	/* -f; NULL: login@myorigin */
	const char	*fullname;	/* -F; NULL: from the passwd entry */
	const char	*login;		/* the submitting user's name */
	int		 extract;	/* -t: recipients from To, Cc, Bcc */
	int		 dotstop;	/* without -i: a "." line ends input */
	char *const	*rcpt;		/* recipients on the command line */
	size_t		 nrcpt;
	int		 notify;	/* -N: QUEUE_NOTIFY_* bits, 0 not given */
	int		 ret;		/* -R: QUEUE_RET_*, 0 not given */
	const char	*envid;		/* -V: as given (xtext-encoded here) */
};

/*
 * submit_xtext - s as RFC 3461 xtext ("+" and "=" and bytes outside
 * 33-126 as +XX) into out (size n); 0, or -1 when it does not fit
 */
int	 submit_xtext(const char *, char *, size_t);

/*
 * submit_canon - the address a through the tables named by the list
 * parameters p1 and then p2 (either may be NULL), each applied once
 * (keys user@domain, user when the domain is in mydestination, @domain);
 * a bare name is first qualified with myorigin.  The result replaces the
 * contents of out.  EX_OK; EX_DATAERR for an address we cannot parse;
 * EX_TEMPFAIL when a table cannot be read; EX_CONFIG for a bad table.
 */
int	 submit_canon(const struct mail_conf *, const char *, const char *,
	    const char *, struct buf *, struct mail_err *);

/*
 * submit_rewrite - the message in msg (LF line ends) made ready for the
 * queue, as described above; out gets the new message, rcpt the
 * recipients from the header when o->extract is set (a NUL-separated
 * list, counted in *np).  now is the time for Date:.  EX_OK or an error
 * as submit_canon's.
 */
int	 submit_rewrite(const struct mail_conf *, const struct submit_opts *,
	    const char *, size_t, long long, struct buf *, struct buf *,
	    size_t *, struct mail_err *);

/*
 * submit - read a message from fd and queue it (queue_directory) with the
 * rewritten envelope; id gets the queue id.  EX_OK only when the message
 * is safely queued; EX_TEMPFAIL when it could not be; EX_USAGE when there
 * is no recipient; EX_DATAERR for a bad address or a message too big.
 */
int	 submit(const struct mail_conf *, const struct submit_opts *, int,
	    char *, struct mail_err *);
#endif
