/* SPDX-License-Identifier: ISC */
/*
 * kick - start a delivery pass over the queue in a detached background
 * process, never more than one per queue at a time: what smtp-listen does
 * after each queued message and what sendmail's default delivery mode
 * (-odb, delivery_mode = background) does before it exits.
 */
#ifndef MAILPATH_KICK_H
#define MAILPATH_KICK_H

#include "conf.h"
#include "exitcode.h"

/*
 * KICK_STDERR: the runner keeps the caller's stderr (its log goes there)
 * unless it is a socket (inetd: the client).  Without it the runner's
 * stderr is /dev/null and it logs to syslog, so that no caller waiting
 * for EOF on a pipe (cron, popen(), smtp-listen's hand-off) waits for it.
 */
#define KICK_STDERR	0x01

/* The runner's process name (ps, /proc/PID/comm), on Linux. */
#define KICK_NAME	"queue-runner"

/*
 * kick - raise the "kick" flag in conf's queue_directory and, unless a
 * runner holds "runner.lock", start one: twice forked (no zombie, no
 * child of the caller's), in its own session, with none of the caller's
 * descriptors but the lock; it runs qrun_pass() until the flag stays
 * down.  A runner already at work sees the flag and makes another pass.
 * EX_OK; else e says why: EX_CONFIG when queue_directory is empty, the
 * errno's exit status when the flag or the lock cannot be opened,
 * EX_TEMPFAIL when no process can be made.  Nothing is lost then: the
 * message waits in the queue for the next kick or sendmail -q.
 */
int	 kick(const struct mail_conf *, int, struct mail_err *);

/*
 * kick_serve - be the queue's runner for good (sendmail -qINTERVAL): take
 * "runner.lock" (after a runner a kick started has finished its pass) and
 * keep it, so that every kick only raises the flag; make a pass over the
 * due messages whenever the flag goes up (looked for five times a second)
 * and every interval seconds.  Run as root it delivers for an
 * smtp-listen -u whose own runner could not write the mailboxes.
 * Returns only when the lock cannot be had: EX_* with e filled.
 */
int	 kick_serve(const struct mail_conf *, long long, struct mail_err *);

#endif
