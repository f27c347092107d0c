/* SPDX-License-Identifier: ISC */
/*
 * map - lookup tables on tdb.
 *
 * A table is named "type:path" as in Postfix; "hash:" and "tdb:" both
 * mean the tdb file path.tdb compiled from the text file path (a name
 * without a type means hash:).  Tables are only ever built whole: into a
 * new file beside the old one, with a hash size suited to the number of
 * entries, fsync()ed and renamed over the old one, the directory fsync()ed.
 * A reader never sees half a table.  Readers open read-only (no locks)
 * and notice a rebuilt file by its inode.
 *
 * Keys and values are stored without a trailing NUL (so tdbdump -k and
 * tdbtool work); MAP_NUL stores keys (and values) with one, as postmap -N
 * does, and readers try the other form when a lookup misses, as Postfix's
 * do.  A build with MAP_B_COPY and neither MAP_NUL nor MAP_NONUL keeps the
 * convention of the table it extends.
 */
#ifndef MAILPATH_MAP_H
#define MAILPATH_MAP_H

#include <stddef.h>
#include <sys/types.h>

#include "buf.h"
#include "exitcode.h"

#define MAP_NUL		0x01	/* keys carry a trailing NUL (-N) */
#define MAP_NONUL	0x02	/* keys carry none, and readers try only that (-n) */
#define MAP_FOLD	0x04	/* fold keys to lower case before lookup */

#define MAP_VALUE_MAX	(1024 * 1024)

struct map;
struct map_build;

/*
 * map_names - split a table name into its source file and its tdb file.
 * EX_OK, or EX_CONFIG for an unknown type ("lmdb:" etc.: we build tdb
 * only, and say so) or a name too long.
 */
int	 map_names(const char *, char *, size_t, char *, size_t,
	    struct mail_err *);

/*
 * map_open - open a compiled table read-only.  A table older than its
 * source is opened all the same, with a warning (log_warn) the first time
 * a process opens it.  EX_OK; EX_NOINPUT when it
 * does not exist (e->enh 4.3.0: the mail waits for newaliases/postmap);
 * EX_CONFIG for a bad name; EX_TEMPFAIL for other errors.
 */
int	 map_open(struct map **, const char *, int, struct mail_err *);

/*
 * map_get - look key up; its value replaces the contents of val.  1 found,
 * 0 not found, -1 error with e filled.  Without MAP_NUL or MAP_NONUL
 * both key forms are tried until one hits; from then on only that form is
 * tried in this file (as Postfix's readers do), until it is rebuilt.
 * A table rebuilt since it was opened is reopened first (checked at most
 * once a second).
 */
int	 map_get(struct map *, const char *, size_t, struct buf *,
	    struct mail_err *);

/*
 * map_walk - call fn for each entry (key and value as stored, NUL
 * included where there is one); stops when fn returns non-zero and returns
 * that, or -1 with e filled.
 */
int	 map_walk(struct map *, int (*)(const char *, size_t, const char *,
	    size_t, void *), void *, struct mail_err *);

/* map_count - number of entries */
size_t	 map_count(struct map *);

/* map_path - the tdb file; map_source - the text file */
const char *map_path(const struct map *);
const char *map_source(const struct map *);

void	 map_close(struct map *);

/*
 * A new table is given its source's modification time as read when the
 * build began, so map_stale() compares the source with itself: any later
 * edit, even within the same tick of the file system's clock, makes the
 * table stale.
 *
 * map_stale - 0 when the tdb file is at least as new as its source, 1 when
 * it is older, EX_NOINPUT (as a negative: -EX_NOINPUT) when the tdb file is
 * missing; the reason in e either way.
 */
int	 map_stale(const char *, struct mail_err *);

/* how map_build_put treats a key that is already there */
#define MAP_PUT_FIRST	0	/* keep the first value: return 1 */
#define MAP_PUT_REPLACE	1	/* replace it: return 1 */

/* flags for map_build_begin */
#define MAP_B_COPY	0x10	/* start from the current table's entries */

/*
 * map_build_begin - start building a new table for name, sized for about
 * n entries (at least; MAP_B_COPY adds the current count; the hash size is
 * a prime >= max(2n, 131)).  mode is the
 * file mode of the new table.  EX_OK, or an error in e (EX_CANTCREAT when
 * the temporary file cannot be created exclusively).
 */
int	 map_build_begin(struct map_build **, const char *, size_t, int,
	    mode_t, struct mail_err *);

/* map_build_put - store one entry; 0 new, 1 duplicate, -1 error in e */
int	 map_build_put(struct map_build *, const char *, size_t, const char *,
	    size_t, int, struct mail_err *);

/* map_build_get - look up in the table being built; as map_get */
int	 map_build_get(struct map_build *, const char *, size_t, struct buf *,
	    struct mail_err *);

/* map_build_del - delete key; 1 deleted, 0 not there, -1 error */
int	 map_build_del(struct map_build *, const char *, size_t,
	    struct mail_err *);

/*
 * map_build_commit - fsync, rename over the old table, fsync the
 * directory; the handle is freed either way.  EX_OK or the error.
 */
int	 map_build_commit(struct map_build *, struct mail_err *);

/* map_build_abort - remove the temporary file and free the handle */
void	 map_build_abort(struct map_build *);

/*
 * map_tmp_random - for tests only: when set, it supplies the random part
 * of the temporary file name "<db>.tmp.<pid>.<random>" (NULL: arc4random).
 */
extern unsigned long long (*map_tmp_random)(void);

#endif
