/* SPDX-License-Identifier: ISC */
/*
 * local - local delivery as Postfix's local(8) does it: a recipient is
 * rewritten by the canonical maps, expanded through the aliases and the
 * user's ~/.forward into a plan of final actions (a mailbox, a Maildir, a
 * |command, a /file), and the plan is carried out, each action with the
 * privileges it should have.
 */
#ifndef MAILPATH_LOCAL_H
#define MAILPATH_LOCAL_H

#include <stddef.h>

#include "buf.h"
#include "conf.h"
#include "exitcode.h"

#define LOCAL_DRYRUN	0x01	/* expand and plan, deliver nothing */

#define LOCAL_DEPTH_MAX	20	/* nested aliases, includes and .forwards */
#define LOCAL_STEPS_MAX	10000	/* targets looked at for one recipient */
#define LOCAL_ACTS_MAX	1000	/* final actions for one message */

/* local_report_fn - called once per recipient with its result */
typedef void (*local_report_fn)(void *, const char *,
    const struct mail_err *);

/*
 * local_read_message - read a message from fd into msg (at most max
 * bytes; 0: no limit but the buffer's own), CR LF turned into LF.  EX_OK;
 * EX_DATAERR 5.3.4 when it is too big; EX_TEMPFAIL on a read error.
 */
int	 local_read_message(int, struct buf *, unsigned long long,
	    struct mail_err *);

/*
 * local_deliver - deliver msg (n bytes, LF line ends) from sender ("" is
 * <>) to each of the n recipients.  With LOCAL_DRYRUN nothing is
 * delivered.  plan (may be NULL) gets the expansion tree and the final
 * actions as text.  report is called for each recipient.  Returns EX_OK
 * when all were delivered; else EX_TEMPFAIL when any failed temporarily,
 * else the first permanent failure's code; e is that failure.
 */
int	 local_deliver(const struct mail_conf *, const char *, char *const *,
	    int, const char *, size_t, int, struct buf *, local_report_fn,
	    void *, struct mail_err *);

/*
 * A batch: the queue runner's way to deliver many messages.  Each
 * message is expanded and everything but the mailbox and /file appends
 * is carried out when it is added; local_batch_commit() then makes the
 * appends, per mailbox under one pair of locks with one fsync(), and
 * only then calls each message's report for each of its recipients.
 * The messages' texts must stay where they are until then.
 */
struct local_batch;

/* local_batch_new - an empty batch for conf; NULL when out of memory */
struct local_batch *local_batch_new(const struct mail_conf *);

/*
 * local_batch_add - msg (msglen bytes, LF line ends) from sender to the n
 * recipients, as local_deliver without the dry run.  report (with arg)
 * is called at the commit.  EX_OK; an error (e) when the message could
 * not be taken at all (then report is never called for it).
 */
int	 local_batch_add(struct local_batch *, const char *, char *const *,
	    int, const char *, size_t, local_report_fn, void *,
	    struct mail_err *);

/* local_batch_commit - the appends, then the reports; the batch is empty */
void	 local_batch_commit(struct local_batch *);

/* local_batch_free - a batch (what was not committed is dropped) */
void	 local_batch_free(struct local_batch *);

/*
 * local_sanitize - Postfix's command_expansion_filter: every byte that is
 * not a letter, digit or one of !@%-_=+:,./ becomes '_', in place.
 */
void	 local_sanitize(char *);

/*
 * local_become - as root, become uid/gid for good: setgroups, setresgid,
 * setresuid, each checked, and checked again afterwards.  Not root: 0 and
 * nothing done.  0, or -1 with errno.
 */
int	 local_become(uid_t, gid_t);

#endif
