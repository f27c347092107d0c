/* SPDX-License-Identifier: ISC */
/*
 * priv - work as the owner of a file for a while: root that builds a
 * table from a file another user owns takes that user's effective ids
 * first (as Postfix's postmap and postalias do), so a directory that user
 * controls cannot be used to make root clobber or create files (BATTERY
 * K-02).
 */
#ifndef MAILPATH_PRIV_H
#define MAILPATH_PRIV_H

#include <sys/types.h>
#include <sys/stat.h>

#include "exitcode.h"

/* the ids to return to; zeroed by priv_owner, owned by the caller */
struct priv {
	int	 switched;
	uid_t	 euid;
	gid_t	 egid;
	gid_t	*groups;
	int	 ngroups;
};

/*
 * priv_owner - when running as root and st names a file of another user,
 * take that user's uid and gid as effective ids (setgroups, setegid,
 * seteuid, then checked).  A no-op otherwise.  EX_OK, or EX_OSERR with e
 * filled (the switch did not happen or did not take).
 */
int	 priv_owner(struct priv *, const struct stat *, const char *,
	    struct mail_err *);

/*
 * priv_restore - back to the ids saved by priv_owner (a no-op when it did
 * not switch); frees what priv_owner saved.  EX_OK or EX_OSERR.
 */
int	 priv_restore(struct priv *, struct mail_err *);

#endif
