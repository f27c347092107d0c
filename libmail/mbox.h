/* SPDX-License-Identifier: ISC */
/*
 * mbox - append one message to an mbox file the way Debian policy asks:
 * fcntl() and a USER.lock dotlock, both taken without blocking and with
 * back-off, a "From sender date" line, mboxrd ">From " quoting, a blank
 * line after the message, fsync() before success, and the file truncated
 * back to its old length on any error.  The file is opened with
 * O_NOFOLLOW and must be a regular file with one link and the expected
 * owner; a new one is created with O_EXCL.
 */
#ifndef MAILPATH_MBOX_H
#define MAILPATH_MBOX_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "exitcode.h"

#define MBOX_CHECK_OWNER 0x01	/* the file must belong to dest->uid */
#define MBOX_NO_DOTLOCK	0x02	/* fcntl only (for /file targets) */

struct mbox_dest {
	const char	*path;		/* the mailbox file */
	const char	*sender;	/* envelope sender; "" is <> */
	const char	*rcpt;		/* Delivered-To: value; NULL: none */
	uid_t		 uid;		/* owner the file must have */
	gid_t		 gid;		/* group of a new file; -1: leave it */
	mode_t		 mode;		/* mode of a new file */
	int		 flags;		/* MBOX_* */
	int		 lock_attempts;	/* tries for both locks */
	int		 lock_delay_ms;	/* the most to wait between tries */
	long long	 stale_lock;	/* a dotlock older than this is stale */
	unsigned long long size_limit;	/* the file may not grow past; 0: none */
	time_t		 now;		/* date for the From_ line; 0: time() */
};

/*
 * mbox_deliver - append msg (n bytes, LF line ends) to dest->path.
 * EX_OK; EX_TEMPFAIL (a lock that cannot be had, any write or fsync error,
 * a mailbox that is a symlink, not a regular file, hard-linked or owned by
 * someone else: 4.2.0); EX_UNAVAILABLE with 5.2.2 past size_limit.  On any
 * error the file is as it was before.
 */
int	 mbox_deliver(const struct mbox_dest *, const char *, size_t,
	    struct mail_err *);

/* one message of a batch for one mailbox */
struct mbox_item {
	const char	*sender;	/* envelope sender; "" is <> */
	const char	*rcpt;		/* Delivered-To: value; NULL: none */
	const char	*msg;		/* the message, LF line ends */
	size_t		 len;
};

/*
 * mbox_deliver_many - append the n entries it[] to dest->path (whose
 * sender and rcpt are not used: each entry has its own) under one pair
 * of locks, with one fsync() for all: what Postfix's local(8) pays per
 * message is paid once per batch, and no entry is reported delivered
 * before it is on disk.  res[i] is entry i's result, as mbox_deliver's.
 * An entry that cannot be written is cut off again and the ones after
 * it fail with it (a full disk); one past size_limit fails alone; a
 * failing fsync() cuts the file back to its old length and fails all.
 * The number delivered.
 */
size_t	 mbox_deliver_many(const struct mbox_dest *, const struct mbox_item *,
	    size_t, struct mail_err *);

/*
 * mbox_from_line - "From sender asctime-date\n" into out (size n);
 * an empty sender is MAILER-DAEMON.  0, or -1 when it does not fit.
 */
int	 mbox_from_line(char *, size_t, const char *, time_t);

/*
 * mbox_quote - the mboxrd form of msg: every line that matches
 * "^>*From " gets one more '>', and the result ends with exactly one
 * newline.  Written through fn (which returns 0, or -1 with errno);
 * returns 0 or fn's -1.
 */
int	 mbox_quote(const char *, size_t, int (*)(void *, const char *,
	    size_t), void *);

/*
 * mbox_writeall - write all n bytes, across short writes and EINTR;
 * 0, or -1 with errno.
 */
int	 mbox_writeall(int, const void *, size_t);

/*
 * mbox_headers - the "Return-Path: <sender>\n" and "Delivered-To: rcpt\n"
 * lines every delivery prepends, into out (size n); rcpt NULL adds no
 * Delivered-To.  Length, or -1 when it does not fit or a value has
 * a control character.
 */
int	 mbox_headers(char *, size_t, const char *, const char *);

#endif
