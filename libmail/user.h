/* SPDX-License-Identifier: ISC */
/*
 * user - who a local recipient is: the system's passwd database, or a
 * passwd-format file named by local_passwd_file (a sandbox's own users).
 */
#ifndef MAILPATH_USER_H
#define MAILPATH_USER_H

#include <sys/types.h>

#include "exitcode.h"

struct user {
	char	 name[65];
	uid_t	 uid;
	gid_t	 gid;
	char	 home[1024];
	char	 shell[256];
};

/*
 * user_lookup - find name in file (a passwd-format file), or in the
 * system's database when file is NULL or "".  1 found, 0 not found, -1
 * error in e (EX_TEMPFAIL: the file cannot be read; EX_CONFIG 4.3.5: a
 * line of it is malformed).  A name with '/', or "." or "..", is never
 * found: it would become a path.
 */
int	 user_lookup(const char *, const char *, struct user *,
	    struct mail_err *);

/* user_name_ok - true when name is safe to use as a file name */
int	 user_name_ok(const char *);

#endif
