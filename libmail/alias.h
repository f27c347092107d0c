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

#endif
