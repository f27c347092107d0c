/* SPDX-License-Identifier: ISC */
/*
 * user - local users from passwd(5)-format data.
 *
 * Trusts the system's passwd database and the configured file as the
 * administrator's word, but not blindly: a line that does not parse is a
 * configuration error (the mail waits) rather than a guess, uid and gid
 * go through str_tonum, and a name that could make a mailbox path leave
 * the spool directory ("../x", "a/b") is never returned.
 */
#include "config.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>

#include "str.h"
#include "user.h"

/* user_name_ok - no '/', not "." or "..", not empty, no control bytes */
int
user_name_ok(const char *name)
{
	if (name[0] == '\0' || strchr(name, '/') != NULL ||
	    strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
	    str_has_ctl(name, strlen(name)))
		return 0;
	return 1;
}

static int
fill(struct user *u, const char *name, long long uid, long long gid,
    const char *home, const char *shell)
{
	if (str_copy(u->name, sizeof u->name, name) == -1 ||
	    str_copy(u->home, sizeof u->home, home) == -1 ||
	    str_copy(u->shell, sizeof u->shell, shell) == -1)
		return -1;
	u->uid = (uid_t)uid;
	u->gid = (gid_t)gid;
	return 0;
}

/* from_file - look name up in a passwd-format file */
static int
from_file(const char *file, const char *name, struct user *u,
    struct mail_err *e)
{
	FILE		*f;
	char		 line[4096], *field[7], *p;
	long long	 uid, gid;
	unsigned long	 lineno = 0;
	int		 i, found = 0;

	if ((f = fopen(file, "r")) == NULL) {
		mail_err_errno(e, errno, "local_passwd_file %s", file);
		e->ex = EX_TEMPFAIL;
		return -1;
	}
	while (fgets(line, sizeof line, f) != NULL) {
		lineno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		line[strcspn(line, "\n")] = '\0';
		for (i = 0, p = line; i < 7; i++) {
			field[i] = p;
			if (i < 6 && (p = strchr(p, ':')) == NULL)
				break;
			if (i < 6)
				*p++ = '\0';
		}
		if (i < 7 || str_tonum(field[2], 0, 0x7fffffff, &uid) == -1 ||
		    str_tonum(field[3], 0, 0x7fffffff, &gid) == -1) {
			fclose(f);
			return mail_err_set(e, EX_CONFIG, "4.3.5",
			    "%s:%lu: not a passwd line", file, lineno), -1;
		}
		if (strcmp(field[0], name) == 0) {
			if (fill(u, field[0], uid, gid, field[5], field[6]) == -1) {
				fclose(f);
				return mail_err_set(e, EX_CONFIG, "4.3.5",
				    "%s:%lu: field too long", file, lineno), -1;
			}
			found = 1;
			break;
		}
	}
	if (ferror(f)) {
		mail_err_errno(e, errno, "local_passwd_file %s", file);
		e->ex = EX_TEMPFAIL;
		fclose(f);
		return -1;
	}
	fclose(f);
	return found;
}

/* user_lookup - passwd entry for name, from file or the system */
int
user_lookup(const char *file, const char *name, struct user *u,
    struct mail_err *e)
{
	struct passwd	*pw;

	if (!user_name_ok(name))
		return 0;
	if (file != NULL && *file != '\0')
		return from_file(file, name, u, e);
	errno = 0;
	if ((pw = getpwnam(name)) == NULL) {
		if (errno == 0 || errno == ENOENT || errno == ESRCH ||
		    errno == EBADF || errno == EPERM)
			return 0;
		mail_err_errno(e, errno, "getpwnam %s", name);
		e->ex = EX_TEMPFAIL;
		return -1;
	}
	if (fill(u, pw->pw_name, pw->pw_uid, pw->pw_gid, pw->pw_dir,
	    pw->pw_shell) == -1)
		return mail_err_set(e, EX_CONFIG, "4.3.5",
		    "passwd entry for %s too long", name), -1;
	return 1;
}
