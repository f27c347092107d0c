/* SPDX-License-Identifier: ISC */
/*
 * alias - aliases(5) as Postfix's postalias reads it: "name: target,
 * target", continuation lines, '#' lines, quoted names and targets.
 * The value stored for a name is its target list as written (byte for
 * byte, after joining continuation lines); alias_split() takes it apart
 * again at delivery time.  Nothing is evaluated at build time.
 */
#ifndef MAILPATH_ALIAS_H
#define MAILPATH_ALIAS_H

#include <stdio.h>

#include "exitcode.h"

enum alias_kind {
	ALIAS_LOCAL,		/* a local name: walter */
	ALIAS_REMOTE,		/* an address with a domain: a@example.com */
	ALIAS_COMMAND,		/* "|command args" */
	ALIAS_FILE,		/* /path/file (or /path/dir/ for Maildir) */
	ALIAS_INCLUDE		/* :include:/path */
};

/*
 * alias_fn - called for each alias; name folded to lower case, value as
 * written; line is where the entry started.  Non-zero stops the parse.
 */
typedef int (*alias_fn)(void *, const char *, const char *, const char *,
    unsigned long);

/* alias_parse - read an aliases file; EX_OK or EX_DATAERR (file:line) */
int	 alias_parse(FILE *, const char *, alias_fn, void *,
	    struct mail_err *);

/*
 * alias_target_fn - called for each target of a list, unquoted, with its
 * kind; non-zero stops alias_split and is returned.
 */
typedef int (*alias_target_fn)(void *, enum alias_kind, const char *);

/* alias_split - take a stored target list apart; EX_OK or EX_DATAERR */
int	 alias_split(const char *, alias_target_fn, void *,
	    struct mail_err *);

/* alias_kind_of - the kind of one unquoted target */
enum alias_kind alias_kind_of(const char *);

struct mail_conf;

#define ALIAS_F_LINT_ONLY	0x01	/* parse and check, build nothing (-n) */
#define ALIAS_F_NODUPWARN	0x02	/* no warning for duplicate names (-w) */

/*
 * alias_check - parse an aliases file and lint it: duplicate names, alias
 * loops, local targets that are neither an alias nor a user (users from
 * the passwd-format file passwd_file, or getpwnam() when it is NULL),
 * :include: files that do not exist.  Findings go through log_warn()
 * with file:line and never fail the check.  EX_OK; EX_DATAERR (file:line)
 * for a syntax error; EX_CONFIG when passwd_file cannot be read;
 * EX_TEMPFAIL when memory runs out.
 */
int	 alias_check(FILE *, const char *, const char *, int,
	    struct mail_err *);

/*
 * alias_build - what newaliases -f does: parse and lint the source of one
 * table ("hash:/etc/aliases", or a bare path), then compile it into a new
 * tdb file (mode 0644, the "@" -> "@" marker added) renamed over the old
 * one.  Run as root on a source owned by another user, the work is done
 * with that user's effective ids.  EX_OK; EX_DATAERR (old table untouched),
 * EX_NOINPUT (no source), EX_CONFIG, EX_CANTCREAT, EX_TEMPFAIL, EX_OSERR.
 */
int	 alias_build(const struct mail_conf *, const char *, int,
	    struct mail_err *);

/*
 * alias_build_all - what newaliases and sendmail -bi do: alias_build() for
 * each table named in alias_database, stopping at the first failure.
 */
int	 alias_build_all(const struct mail_conf *, int, struct mail_err *);

#endif
