/* SPDX-License-Identifier: ISC */
/*
 * maildir - deliver one message into a Maildir: written under a unique
 * name in tmp/, fsync()ed, linked into new/ (link never clobbers a name
 * that is already there), the tmp/ name removed and new/ fsync()ed.
 * tmp/, new/ and cur/ are created when missing and never followed
 * through a symbolic link.
 */
#ifndef MAILPATH_MAILDIR_H
#define MAILPATH_MAILDIR_H

#include <stddef.h>
#include <sys/time.h>
#include <sys/types.h>

#include "exitcode.h"

struct maildir_dest {
	const char	*path;		/* the Maildir; a trailing / is fine */
	const char	*sender;	/* envelope sender; "" is <> */
	const char	*rcpt;		/* Delivered-To: value; NULL: none */
	const char	*first_name;	/* tests: the name to try first in new/ */
};

/*
 * maildir_deliver - store msg (n bytes, LF line ends); the name it got in
 * new/ is copied to name (size namesz) when name is not NULL.  EX_OK, or
 * EX_TEMPFAIL (4.2.0 for a symlinked or missing part, 4.3.0 for I/O
 * errors) with nothing left behind in tmp/ or new/.
 */
int	 maildir_deliver(const struct maildir_dest *, const char *, size_t,
	    char *, size_t, struct mail_err *);

/*
 * maildir_name - "sec.MusecPpidQn.host" with '/' and ':' in the host
 * written as \057 and \072; 0, or -1 when it does not fit.
 */
int	 maildir_name(char *, size_t, const struct timeval *, pid_t,
	    unsigned, const char *);

#endif
