/* SPDX-License-Identifier: ISC */
/*
 * tbuild - build, extend and shrink tables from their sources: the work
 * of postmap(1), in one place for every program that compiles a table.
 *
 * A table is always written whole into a temporary file and renamed over
 * the old one (map.c), so a failed build - a syntax error, a full disk -
 * leaves the old table as it was.  Run as root on a file another user
 * owns, the work is done as that user (priv.c).
 *
 * Trusts nothing in the source files or on stdin: every line is bounded
 * (lline.c), every error names file:line.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "map.h"
#include "priv.h"
#include "table.h"

#ifndef PATH_MAX
#define PATH_MAX	4096
#endif

#define IOBUF		(1 << 20)	/* stdio buffer of a source */
#define DUPS_MAX	1000		/* duplicates named with their first line */
#define DUPKEYS_MAX	(16 << 20)	/* bytes of those keys */

/*
 * Duplicates in a file are named with the line of the first entry: it is
 * found by a second pass over the file, made only when there were
 * duplicates, so a clean build costs nothing for it.
 */
struct dup {
	size_t		 off, len;	/* key in keys */
	unsigned long	 line, first;
};

struct build {
	struct map_build *b;
	struct mail_err	*e;
	int		 how;		/* MAP_PUT_FIRST or MAP_PUT_REPLACE */
	int		 quiet;		/* TABLE_NODUPWARN */
	int		 from_stream;	/* entries added to a table (-i) */
	struct dup	*dups;
	size_t		 ndup, nmore;
	struct buf	 keys;
	unsigned long	 n;
};

/* open_source - open a table's source file; NULL with e filled */
static FILE *
open_source(const char *src, struct stat *st, struct mail_err *e)
{
	FILE	*fp;
	int	 fd;

	if ((fd = open(src, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		if (errno == ENOENT)
			mail_err_set(e, EX_NOINPUT, NULL, "open %s: %s", src,
			    strerror(errno));
		else
			mail_err_errno(e, errno, "open %s", src);
		return NULL;
	}
	if (fstat(fd, st) == -1 || (fp = fdopen(fd, "r")) == NULL) {
		mail_err_errno(e, errno, "%s", src);
		close(fd);
		return NULL;
	}
	if (S_ISDIR(st->st_mode)) {
		mail_err_set(e, EX_NOINPUT, NULL, "%s: is a directory", src);
		fclose(fp);
		return NULL;
	}
	/* A big buffer, and no lock per getc: only this thread reads it. */
	(void)setvbuf(fp, NULL, _IOFBF, IOBUF);
	__fsetlocking(fp, FSETLOCKING_BYCALLER);
	return fp;
}

/* count_lines - physical lines of a regular file, to size the hash */
static int
count_lines(FILE *fp, const struct stat *st, const char *src, size_t *np,
    struct mail_err *e)
{
	char	*b;
	ssize_t	 n;
	size_t	 lines = 0;
	int	 fd = fileno(fp);

	*np = 0;
	if (!S_ISREG(st->st_mode))
		return EX_OK;
	if ((b = malloc(IOBUF)) == NULL)
		return mail_err_errno(e, errno, "%s", src);
	while ((n = read(fd, b, IOBUF)) > 0) {
		const char	*p = b, *end = b + n;

		while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
			lines++;
			p++;
		}
	}
	free(b);
	if (n == -1 || lseek(fd, 0, SEEK_SET) == -1)
		return mail_err_errno(e, errno, "read %s", src);
	*np = lines + 1;
	return EX_OK;
}

static int
put_cb(void *arg, const char *k, size_t klen, const char *v, size_t vlen,
    const char *file, unsigned long line)
{
	struct build	*c = arg;
	int		 rc;

	if ((rc = map_build_put(c->b, k, klen, v, vlen, c->how, c->e)) == -1)
		return c->e->ex != EX_OK ? c->e->ex : EX_SOFTWARE;
	c->n++;
	if (rc == 0 || c->quiet || c->how == MAP_PUT_REPLACE)
		return 0;
	if (c->from_stream) {
		log_warn("%s:%lu: duplicate entry \"%s\", already in the "
		    "table, ignored", file, line, k);
		return 0;
	}
	if (c->ndup == DUPS_MAX || buf_add(&c->keys, k, klen) == -1) {
		c->nmore++;
		return 0;
	}
	if (c->dups == NULL &&
	    (c->dups = calloc(DUPS_MAX, sizeof *c->dups)) == NULL)
		return mail_err_errno(c->e, errno, "duplicate list");
	c->dups[c->ndup].off = c->keys.len - klen;
	c->dups[c->ndup].len = klen;
	c->dups[c->ndup].line = line;
	c->ndup++;
	return 0;
}

static const char	*dupkeys;	/* for the qsort/bsearch comparisons */

static int
dupcmp_key(const struct dup *a, const char *k, size_t klen)
{
	size_t	n = a->len < klen ? a->len : klen;
	int	c = memcmp(dupkeys + a->off, k, n);

	if (c != 0)
		return c;
	return a->len < klen ? -1 : a->len > klen;
}

static int
dupcmp(const void *x, const void *y)
{
	const struct dup	*a = x, *b = y;

	return dupcmp_key(a, dupkeys + b->off, b->len);
}

static int
dupcmp_line(const void *x, const void *y)
{
	const struct dup	*a = x, *b = y;

	return a->line < b->line ? -1 : a->line > b->line;
}

struct find {
	const char	*k;
	size_t		 klen;
};

static int
findcmp(const void *x, const void *y)
{
	const struct find	*f = x;

	return -dupcmp_key(y, f->k, f->klen);
}

/* first_cb - the second pass: note where each duplicated key came first */
static int
first_cb(void *arg, const char *k, size_t klen, const char *v, size_t vlen,
    const char *file, unsigned long line)
{
	struct build	*c = arg;
	struct find	 f = { k, klen };
	struct dup	*d;

	(void)v, (void)vlen, (void)file;
	d = bsearch(&f, c->dups, c->ndup, sizeof *d, findcmp);
	if (d == NULL)
		return 0;
	while (d > c->dups && dupcmp(d - 1, d) == 0)
		d--;
	for (; d < c->dups + c->ndup && dupcmp_key(d, k, klen) == 0; d++)
		if (d->first == 0)
			d->first = line;
	return 0;
}

/* warn_dups - one warning per duplicate, in line order */
static void
warn_dups(struct build *c, FILE *fp, const char *src, int fold)
{
	struct mail_err	e;
	size_t		i;
	unsigned long	first;

	dupkeys = c->keys.s;
	if (c->ndup > 0) {
		qsort(c->dups, c->ndup, sizeof *c->dups, dupcmp);
		if (fseek(fp, 0, SEEK_SET) == 0)
			(void)table_parse(fp, src, fold | TABLE_QUIET,
			    first_cb, c, &e);
		qsort(c->dups, c->ndup, sizeof *c->dups, dupcmp_line);
	}
	for (i = 0; i < c->ndup; i++) {
		first = c->dups[i].first;
		/* The file may have changed under us: then say less. */
		if (first > 0 && first < c->dups[i].line)
			log_warn("%s:%lu: duplicate entry \"%.*s\", first at "
			    "line %lu, ignored", src, c->dups[i].line,
			    (int)c->dups[i].len, dupkeys + c->dups[i].off,
			    first);
		else
			log_warn("%s:%lu: duplicate entry \"%.*s\", ignored",
			    src, c->dups[i].line, (int)c->dups[i].len,
			    dupkeys + c->dups[i].off);
	}
	if (c->nmore > 0)
		log_warn("%s: %zu more duplicate entries ignored", src,
		    c->nmore);
}

static void
build_init(struct build *c, int flags, struct mail_err *e)
{
	memset(c, 0, sizeof *c);
	buf_init(&c->keys, DUPKEYS_MAX);
	c->e = e;
	c->how = (flags & TABLE_REPLACE) ? MAP_PUT_REPLACE : MAP_PUT_FIRST;
	c->quiet = (flags & TABLE_NODUPWARN) != 0;
}

static void
build_free(struct build *c)
{
	free(c->dups);
	buf_free(&c->keys);
}

/*
 * fill - parse fp into a started build and commit it, or abort it and
 * say that the old table stays.
 */
static int
fill(struct build *c, FILE *fp, const char *fname, const char *db,
    int flags)
{
	struct mail_err	*e = c->e;
	char		 why[sizeof e->text], enh[sizeof e->enh];
	int		 rc;

	rc = table_parse(fp, fname, flags & TABLE_FOLD, put_cb, c, e);
	if (rc != EX_OK) {
		map_build_abort(c->b);
		snprintf(why, sizeof why, "%s", e->text);
		snprintf(enh, sizeof enh, "%s", e->enh);
		return mail_err_set(e, rc, enh, "%s; %s left as it was", why,
		    db);
	}
	if (!c->from_stream)
		warn_dups(c, fp, fname, flags & TABLE_FOLD);
	return map_build_commit(c->b, e);
}

/* table_build - compile one table from its source file */
int
table_build(const char *name, int flags, int mapflags, unsigned long *np,
    struct mail_err *e)
{
	struct build	 c;
	struct priv	 ids;
	struct stat	 st;
	char		 src[PATH_MAX], db[PATH_MAX];
	FILE		*fp;
	size_t		 lines;
	int		 rc, rc2;

	*np = 0;
	if ((rc = map_names(name, src, sizeof src, db, sizeof db, e)) != EX_OK)
		return rc;
	if ((fp = open_source(src, &st, e)) == NULL)
		return e->ex;
	if ((rc = priv_owner(&ids, &st, src, e)) != EX_OK) {
		fclose(fp);
		return rc;
	}
	build_init(&c, flags, e);
	if ((rc = count_lines(fp, &st, src, &lines, e)) == EX_OK) {
		log_debug("building %s from %s (%zu lines)", db, src, lines);
		rc = map_build_begin(&c.b, name, lines, mapflags, 0644, e);
		if (rc == EX_OK)
			rc = fill(&c, fp, src, db, flags);
	}
	*np = c.n;
	build_free(&c);
	fclose(fp);
	/* A failure to switch back matters most; it is reported over all. */
	if ((rc2 = priv_restore(&ids, e)) != EX_OK)
		rc = rc2;
	return rc;
}

/* table_add - entries from fp added to one table (postmap -i) */
int
table_add(const char *name, FILE *fp, const char *fname, int flags,
    int mapflags, unsigned long *np, struct mail_err *e)
{
	struct build	c;
	struct priv	ids;
	struct stat	st;
	char		src[PATH_MAX], db[PATH_MAX];
	int		rc, rc2;

	*np = 0;
	if ((rc = map_names(name, src, sizeof src, db, sizeof db, e)) != EX_OK)
		return rc;
	/* As root, work as the owner of the table, or of its source. */
	memset(&ids, 0, sizeof ids);
	if ((stat(db, &st) == 0 || stat(src, &st) == 0) &&
	    (rc = priv_owner(&ids, &st, db, e)) != EX_OK)
		return rc;
	build_init(&c, flags, e);
	c.from_stream = 1;
	rc = map_build_begin(&c.b, name, 0, MAP_B_COPY | mapflags, 0644, e);
	if (rc == EX_OK)
		rc = fill(&c, fp, fname, db, flags);
	*np = c.n;
	build_free(&c);
	/* A failure to switch back matters most; it is reported over all. */
	if ((rc2 = priv_restore(&ids, e)) != EX_OK)
		rc = rc2;
	return rc;
}

/* table_delete - delete keys from one table (postmap -d) */
int
table_delete(const char *name, const char *keys, size_t nkeys, int mapflags,
    size_t *ndel, struct mail_err *e)
{
	struct map_build	*b;
	struct priv		 ids;
	struct stat		 st;
	const char		*k;
	char			 src[PATH_MAX], db[PATH_MAX];
	size_t			 i, klen;
	int			 rc, rc2, d;

	*ndel = 0;
	if ((rc = map_names(name, src, sizeof src, db, sizeof db, e)) != EX_OK)
		return rc;
	if (stat(db, &st) == -1) {
		if (errno == ENOENT)
			return mail_err_set(e, EX_NOINPUT, NULL,
			    "open database %s: %s", db, strerror(errno));
		return mail_err_errno(e, errno, "open database %s", db);
	}
	if ((rc = priv_owner(&ids, &st, db, e)) != EX_OK)
		return rc;
	rc = map_build_begin(&b, name, 0, MAP_B_COPY | mapflags, 0644, e);
	for (i = 0, k = keys; rc == EX_OK && i < nkeys; i++, k += klen + 1) {
		klen = strlen(k);
		if ((d = map_build_del(b, k, klen, e)) == -1) {
			map_build_abort(b);
			rc = e->ex;
		} else
			*ndel += (size_t)d;
	}
	if (rc == EX_OK) {
		if (*ndel == 0)
			map_build_abort(b);
		else
			rc = map_build_commit(b, e);
	}
	/* A failure to switch back matters most; it is reported over all. */
	if ((rc2 = priv_restore(&ids, e)) != EX_OK)
		rc = rc2;
	return rc;
}
