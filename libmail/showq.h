/* SPDX-License-Identifier: ISC */
/*
 * showq - the queue as mailq(1) and sendmail -bp show it: Postfix's
 * listing byte for byte (postqueue -p), or JSON lines (postqueue -j),
 * with what Postfix keeps to itself: each deferred recipient's next
 * attempt.
 */
#ifndef MAILPATH_SHOWQ_H
#define MAILPATH_SHOWQ_H
#include <stddef.h>
#include "buf.h"
#include "exitcode.h"

#define SHOWQ_JSON	0x01	/* JSON lines */
#define SHOWQ_NEXT	0x02	/* listing: a line with the next attempt */

/*
 * showq - list the queue in dir; out(text, len, arg) is called with each
 * message's part of the listing.  Corrupt files are set aside (queue.c)
 * and left out.  EX_OK, or EX_TEMPFAIL when the queue cannot be read.
 */
int	 showq(const char *, int, void (*)(const char *, size_t, void *),
	    void *, struct mail_err *);

/*
 * showq_message - append the listing of one message to b (0, or -1 with
 * errno).
 */
struct queue_msg;
int	 showq_message(const struct queue_msg *, int, struct buf *);
#endif
