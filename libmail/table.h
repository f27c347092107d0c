/* SPDX-License-Identifier: ISC */
/*
 * table - the source syntax of postmap(1) tables: "key whitespace value",
 * continuation lines, '#' lines, quoted keys ("a b" with \" and \\).
 */
#ifndef MAILPATH_TABLE_H
#define MAILPATH_TABLE_H

#include <stdio.h>

#include "buf.h"
#include "exitcode.h"

#define TABLE_FOLD	0x01	/* fold keys to lower case (postmap without -f) */
#define TABLE_QUOTE	0x02	/* table_format: quote keys as a source needs */
#define TABLE_JSON	0x04	/* table_format: a JSON line */
#define TABLE_QUIET	0x08	/* table_parse: no warnings (a second pass) */

/*
 * table_fn - called for each entry; key and value are NUL-terminated
 * (klen/vlen without the NUL), line is where the entry started.  Non-zero
 * stops the parse and is returned by table_parse().
 */
typedef int (*table_fn)(void *, const char *, size_t, const char *, size_t,
    const char *, unsigned long);

/*
 * table_parse - read a table source from fp (named file in messages).
 * Warnings (e.g. "is this an alias file?") go through log_warn with
 * file:line.  EX_OK, or EX_DATAERR with e naming file:line; a callback's
 * non-zero result is passed back as is.
 */
int	 table_parse(FILE *, const char *, int, table_fn, void *,
	    struct mail_err *);

/*
 * table_key - parse one key as written on a command line or stdin (quotes
 * allowed), folding when asked; into out.  EX_OK or EX_DATAERR.
 */
int	 table_key(const char *, int, char *, size_t, size_t *,
	    struct mail_err *);

/*
 * table_quote - append a key as a source file must spell it (quoted, with
 * \" and \\, when it holds white space or '"' or starts with '#').
 * table_json_str - append bytes as a JSON string (control bytes escaped,
 * valid UTF-8 kept, invalid bytes as U+FFFD).  table_format - one output
 * record: "key<TAB>value\n", or with TABLE_JSON {"key":..,"value":..}.
 * All three: 0, or -1 with errno and b as it was.
 */
int	 table_quote(struct buf *, const char *, size_t);
int	 table_json_str(struct buf *, const char *, size_t);
int	 table_format(struct buf *, int, const char *, size_t, const char *,
	    size_t);

/*
 * Building tables from their sources (tbuild.c): what postmap does, here
 * so that every program that compiles a table does it the same way.  Run
 * as root on a file another user owns, each works as that user (priv.h).
 */
#define TABLE_REPLACE	0x10	/* a duplicate key replaces the first (-r) */
#define TABLE_NODUPWARN	0x20	/* no warnings about duplicates (-w) */

/*
 * table_build - compile table name ("hash:/etc/mailpath/canonical") from
 * its source file, atomically.  flags: TABLE_FOLD, TABLE_REPLACE,
 * TABLE_NODUPWARN; mapflags: MAP_NUL or MAP_NONUL.  Duplicates are warned
 * about (log_warn) with the line of the first entry.  *np gets the number
 * of entries read.  EX_OK; EX_NOINPUT (no source), EX_DATAERR (syntax,
 * file:line; the old table is left as it was), EX_OSERR, EX_TEMPFAIL...
 */
int	 table_build(const char *, int, int, unsigned long *,
	    struct mail_err *);

/*
 * table_add - add the entries read from fp (named fname in messages) to
 * table name, atomically (postmap -i).  As table_build.
 */
int	 table_add(const char *, FILE *, const char *, int, int,
	    unsigned long *, struct mail_err *);

/*
 * table_delete - delete n keys (NUL-separated in keys, as stored: folded
 * already) from table name, atomically; *ndel gets how many were there.
 * The table is rewritten only when something was deleted.
 */
int	 table_delete(const char *, const char *, size_t, int, size_t *,
	    struct mail_err *);

#endif
