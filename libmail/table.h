/* SPDX-License-Identifier: ISC */
/*
 * table - the source syntax of postmap(1) tables: "key whitespace value",
 * continuation lines, '#' lines, quoted keys ("a b" with \" and \\).
 */
#ifndef MAILPATH_TABLE_H
#define MAILPATH_TABLE_H

#include <stdio.h>

#include "exitcode.h"

#define TABLE_FOLD	0x01	/* fold keys to lower case (postmap without -f) */

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

#endif
