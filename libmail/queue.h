/* SPDX-License-Identifier: ISC */
/*
 * queue - the mail queue: one file per message in queue_directory/queue/,
 * written whole under a temporary name in queue_directory/tmp/, fsync()ed,
 * linked into place and the directory fsync()ed before anyone is told the
 * message is queued.  A recipient's state change rewrites the file the
 * same way (rename over the old one), so a crash leaves either the old or
 * the new file, never half of one.
 *
 * The file is text records and the message, so simple it needs no parser
 * beyond splitting lines:
 *
 *	MAILPATHQ1 <fnv1a-64 hex of the rest> <length of the rest>
 *	I <queue id>
 *	T <arrival, seconds since the epoch>
 *	S <sender, empty for <>>
 *	W <when the delay warning went out>	(only once it has)
 *	E <F|H|-> <envid or ->	(DSN RET and ENVID, only when given)
 *	R <P|S|D|B> <next attempt> <dsn or -> <recipient>\t<reason>
 *	N <NSFD or -> <orcpt or ->	(that recipient's DSN, when given)
 *	...
 *	B
 *	<the message, LF line ends, to the end of the file>
 *
 * A file whose length or checksum does not match, or whose records are not
 * exactly these, is moved to queue_directory/corrupt/ and reported, never
 * guessed at.
 */
#ifndef MAILPATH_QUEUE_H
#define MAILPATH_QUEUE_H
#include <stddef.h>
#include "buf.h"
#include "exitcode.h"

#define QUEUE_ID_MAX	32
#define QUEUE_RCPT_MAX	10000	/* recipients of one message */

/* a recipient's state */
#define QUEUE_PENDING	'P'	/* not tried yet */
#define QUEUE_SENT	'S'	/* delivered */
#define QUEUE_DEFERRED	'D'	/* failed temporarily; next says when again */
#define QUEUE_BOUNCED	'B'	/* failed for good */

/* DSN (RFC 3461) as the client gave it; the bits are smtpd.h's */
#define QUEUE_NOTIFY_NEVER	0x01
#define QUEUE_NOTIFY_SUCCESS	0x02
#define QUEUE_NOTIFY_FAILURE	0x04
#define QUEUE_NOTIFY_DELAY	0x08
#define QUEUE_RET_FULL		1
#define QUEUE_RET_HDRS		2

/*
 * queue_notify_parse - a DSN NOTIFY value (RFC 3461 4.1: NEVER, or a
 * comma list of SUCCESS, FAILURE and DELAY, in any case, each once) as
 * QUEUE_NOTIFY_* bits; -1 when it is not one.  smtp-listen's NOTIFY= and
 * sendmail's -N.
 */
int	 queue_notify_parse(const char *);

struct queue_dsn {
	int		 ret;		/* QUEUE_RET_*, 0 when not given */
	const char	*envid;		/* xtext, NULL when not given */
	const int	*notify;	/* per recipient QUEUE_NOTIFY_*, or NULL */
	char *const	*orcpt;		/* per recipient "rfc822;x" or NULL */
};

struct queue_rcpt {
	char		*addr;		/* as queued (after canonical maps) */
	int		 state;		/* QUEUE_* */
	long long	 next;		/* next attempt (deferred), else 0 */
	char		 dsn[16];	/* last enhanced status code, "" none */
	char		*reason;	/* last reason, "" none; one line */
	int		 notify;	/* DSN NOTIFY bits, 0 not given */
	char		*orcpt;		/* DSN ORCPT, NULL not given */
};

struct queue_msg {
	char		 id[QUEUE_ID_MAX];
	long long	 arrival;
	char		*sender;	/* "" is <> */
	long long	 warned;	/* delay warning sent then; 0 not yet */
	int		 ret;		/* DSN RET (QUEUE_RET_*), 0 not given */
	char		*envid;		/* DSN ENVID, NULL not given */
	struct queue_rcpt *rcpt;
	size_t		 nrcpt;
	struct buf	 file;		/* the whole file as read */
	size_t		 body;		/* offset of the message in file */
	size_t		 size;		/* its length */
	int		 fd;		/* locked queue file, -1 when none */
};

/*
 * queue_init - create queue_directory and its tmp/, queue/ and corrupt/
 * subdirectories where missing.  EX_OK, or EX_TEMPFAIL / EX_CANTCREAT.
 */
int	 queue_init(const char *, struct mail_err *);

/*
 * queue_enqueue - write a new message durably: sender ("" for <>), n
 * recipients, msg (len bytes).  id (QUEUE_ID_MAX bytes) gets the queue
 * id.  Only when this returns EX_OK may the message be acknowledged; else
 * EX_TEMPFAIL (or EX_CANTCREAT) with e filled and nothing left behind.
 */
int	 queue_enqueue(const char *, const char *, char *const *, size_t,
	    const char *, size_t, long long, char *, struct mail_err *);

/*
 * queue_enqueue_dsn - queue_enqueue() keeping the DSN parameters of the
 * envelope (dsn may be NULL: none) in the file, for the reports.
 */
int	 queue_enqueue_dsn(const char *, const char *, char *const *, size_t,
	    const struct queue_dsn *, const char *, size_t, long long, char *,
	    struct mail_err *);

/*
 * queue_open - read and check the queue file of id into m.  With lock
 * set, the file is locked (flock, not waiting) and stays locked until
 * queue_close(): EX_TEMPFAIL 4.3.0 "locked" when another process has it.
 * A corrupt file is moved to corrupt/, logged, and EX_DATAERR returned;
 * EX_NOINPUT when there is no such file (already delivered).  m is
 * cleared with queue_close() on every path.
 */
int	 queue_open(const char *, const char *, int, struct queue_msg *,
	    struct mail_err *);

/*
 * queue_parse - check and parse the bytes of a queue file (m->file) into
 * m; 0, or -1 with why (a static string) saying what is wrong.
 */
int	 queue_parse(struct queue_msg *, const char **);

/*
 * queue_update - write m's recipient states durably (a new file renamed
 * over the old one; the lock moves with it), or remove the file when no
 * recipient is pending or deferred.  EX_OK or EX_TEMPFAIL.
 */
int	 queue_update(const char *, struct queue_msg *, struct mail_err *);

/* queue_close - unlock and free everything m holds */
void	 queue_close(struct queue_msg *);

/*
 * queue_list - the ids in the queue, sorted; a NULL-terminated vector the
 * caller frees with queue_list_free().  EX_OK or EX_TEMPFAIL.
 */
int	 queue_list(const char *, char ***, size_t *, struct mail_err *);
void	 queue_list_free(char **);

/* queue_path - dir/sub/name into out; 0, or -1 when it does not fit */
int	 queue_path(char *, size_t, const char *, const char *, const char *);

/* queue_live - true when the recipient still waits (pending, deferred) */
int	 queue_live(const struct queue_rcpt *);
#endif
