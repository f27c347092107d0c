/* SPDX-License-Identifier: ISC */
/*
 * priv - work as the owner of a file for a while.
 *
 * Only effective ids change (seteuid, not setuid), so a program that
 * builds several tables can become each owner in turn.  Every switch is
 * checked after it is made: a switch that did not take is an error, never
 * a silent carry-on as root.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "priv.h"

/* priv_owner - as root, take the effective ids of st's owner */
int
priv_owner(struct priv *s, const struct stat *st, const char *file,
    struct mail_err *e)
{
	long	max;

	memset(s, 0, sizeof *s);
	if (geteuid() != 0 || st->st_uid == 0)
		return EX_OK;
	s->euid = geteuid();
	s->egid = getegid();
	if ((max = sysconf(_SC_NGROUPS_MAX)) <= 0 || max > 65536)
		max = 65536;
	if ((s->groups = calloc((size_t)max, sizeof *s->groups)) == NULL ||
	    (s->ngroups = getgroups((int)max, s->groups)) == -1) {
		free(s->groups);
		s->groups = NULL;
		return mail_err_set(e, EX_OSERR, NULL, "%s: getgroups: %s",
		    file, strerror(errno));
	}
	s->switched = 1;
	if (setgroups(1, &st->st_gid) == -1 || setegid(st->st_gid) == -1 ||
	    seteuid(st->st_uid) == -1 || geteuid() != st->st_uid ||
	    getegid() != st->st_gid) {
		mail_err_set(e, EX_OSERR, NULL,
		    "%s: cannot become its owner %lu:%lu: %s", file,
		    (unsigned long)st->st_uid, (unsigned long)st->st_gid,
		    strerror(errno));
		(void)priv_restore(s, NULL);
		return EX_OSERR;
	}
	log_debug("%s: working as its owner, uid %lu gid %lu", file,
	    (unsigned long)st->st_uid, (unsigned long)st->st_gid);
	return EX_OK;
}

/* priv_restore - back to the ids before priv_owner(); e may be NULL */
int
priv_restore(struct priv *s, struct mail_err *e)
{
	int	rc = EX_OK;

	/* The uid first: only root may set the group ids back. */
	if (s->switched && (seteuid(s->euid) == -1 ||
	    setegid(s->egid) == -1 ||
	    setgroups((size_t)s->ngroups, s->groups) == -1 ||
	    geteuid() != s->euid)) {
		rc = EX_OSERR;
		if (e != NULL)
			mail_err_set(e, EX_OSERR, NULL,
			    "cannot return to uid %lu: %s",
			    (unsigned long)s->euid, strerror(errno));
	}
	free(s->groups);
	memset(s, 0, sizeof *s);
	return rc;
}
