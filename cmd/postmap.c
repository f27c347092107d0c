/* SPDX-License-Identifier: ISC */
/*
 * postmap - compile "key value" text files into tdb tables, and query,
 * dump, update or check them; Postfix's postmap(1), with sysexits codes.
 *
 * The source syntax is libmail/table.c's, the tables libmail/map.c's: a
 * table is always built whole into a temporary file and renamed over the
 * old one, so a failed build (a syntax error, a full disk) leaves the old
 * table as it was.  Run as root on a source file that another user owns,
 * postmap works with that user's uid and gid (as Postfix does), so a
 * directory that user can write cannot be used to clobber root's files.
 *
 * Trusts: the command line and the configuration.  Not the source files,
 * nor stdin: every key and line is bounded and every error names
 * file:line.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "exitcode.h"
#include "lline.h"
#include "log.h"
#include "map.h"
#include "table.h"

#define EXIT_NOTFOUND	1		/* -q, -d: nothing found; --check: stale */
#define IOBUF		(1 << 20)	/* stdio buffers */
#define KEYS_MAX	(64 << 20)	/* keys of "-d -" held at once */
#define DUPS_MAX	1000		/* duplicates named with their first line */
#define NGROUPS		256

enum mode { BUILD, QUERY, DUMP, DELETE, INCR, CHECK };

static struct {
	enum mode	 mode;
	int		 fold;		/* TABLE_FOLD unless -f */
	int		 mapflags;	/* MAP_NUL (-N), MAP_NONUL (-n) */
	int		 how;		/* MAP_PUT_REPLACE with -r */
	int		 quiet;		/* -w: no duplicate warnings */
	int		 json;		/* -j */
	const char	*key;		/* -q KEY, -d KEY */
} opt = { BUILD, TABLE_FOLD, 0, MAP_PUT_FIRST, 0, 0, NULL };

static struct buf	 out = BUF_INIT(2 * MAP_VALUE_MAX + 64);
static struct buf	 val = BUF_INIT(MAP_VALUE_MAX + 1);
static char		 keybuf[LLINE_MAX + 1];

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: postmap [-fijNnrsvw] [-C config_file] "
	    "[-c config_dir] [-d key] [-q key]\n"
	    "               [--check] [type:]file ...\n");
	exit(EX_USAGE);
}

static int	nsaved = -1;		/* saved groups: we changed euid */

static void __attribute__((noreturn, format(printf, 2, 3)))
fatal(int ex, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vmsg(LOG_ERR, "fatal", fmt, ap);
	va_end(ap);
	/* Leave as we came (LeakSanitizer cannot work under another euid). */
	if (nsaved >= 0 && geteuid() != 0)
		(void)seteuid(0);
	exit(ex == EX_OK ? EX_SOFTWARE : ex);
}

static void __attribute__((noreturn))
fatal_err(const struct mail_err *e)
{
	fatal(e->ex, "%s", e->text);
}

/* flush_out - write what stdout holds; a failed write is fatal */
static void
flush_out(void)
{
	if (fflush(stdout) == EOF || ferror(stdout))
		fatal(EX_IOERR, "write standard output: %s", strerror(errno));
}

/* emit - one output record (TAB-separated or JSON) on stdout */
static void
emit(int flags, const char *k, size_t klen, const char *v, size_t vlen)
{
	buf_reset(&out);
	if (opt.json)
		flags |= TABLE_JSON;
	if (table_format(&out, flags, k, klen, v, vlen) == -1)
		fatal(EX_SOFTWARE, "output record: %s", strerror(errno));
	if (fwrite(out.s, 1, out.len, stdout) != out.len)
		flush_out();
}

/*
 * Privileges: as root, work as the owner of a file another user owns.
 * seteuid/setegid (not setuid) so the next table can be someone else's.
 */
static gid_t	saved_groups[NGROUPS];

static void
become_owner(const struct stat *st, const char *path)
{
	gid_t	gid = st->st_gid;

	if (geteuid() != 0 || st->st_uid == 0)
		return;
	if (nsaved < 0 && (nsaved = getgroups(NGROUPS, saved_groups)) < 0)
		fatal(EX_OSERR, "getgroups: %s", strerror(errno));
	if (setgroups(1, &gid) == -1 || setegid(gid) == -1 ||
	    seteuid(st->st_uid) == -1)
		fatal(EX_OSERR, "%s: cannot become its owner (uid %ld): %s",
		    path, (long)st->st_uid, strerror(errno));
	if (geteuid() != st->st_uid || getegid() != gid)
		fatal(EX_OSERR, "%s: uid/gid change did not take", path);
	log_debug("%s: working as its owner, uid %ld gid %ld", path,
	    (long)st->st_uid, (long)gid);
}

static void
become_root(void)
{
	if (nsaved < 0 || geteuid() == 0)
		return;
	if (seteuid(0) == -1 || setegid(0) == -1 ||
	    setgroups((size_t)nsaved, saved_groups) == -1)
		fatal(EX_OSERR, "cannot return to root: %s", strerror(errno));
}

/* open_source - open a table's source file; EX_NOINPUT when missing */
static FILE *
open_source(const char *src, struct stat *st)
{
	FILE	*fp;
	int	 fd;

	if ((fd = open(src, O_RDONLY | O_CLOEXEC)) == -1)
		fatal(errno == ENOENT ? EX_NOINPUT : exitcode_from_errno(errno),
		    "open %s: %s", src, strerror(errno));
	if (fstat(fd, st) == -1 || (fp = fdopen(fd, "r")) == NULL)
		fatal(EX_OSERR, "%s: %s", src, strerror(errno));
	if (S_ISDIR(st->st_mode))
		fatal(EX_NOINPUT, "%s: is a directory", src);
	if (setvbuf(fp, NULL, _IOFBF, IOBUF) != 0)
		fatal(EX_OSERR, "%s: %s", src, strerror(errno));
	/* Only this thread reads it: spare getc() its lock. */
	__fsetlocking(fp, FSETLOCKING_BYCALLER);
	return fp;
}

/* count_lines - physical lines of a regular file, to size the hash */
static size_t
count_lines(FILE *fp, const struct stat *st, const char *src)
{
	char	*b;
	ssize_t	 n;
	size_t	 lines = 0;
	int	 fd = fileno(fp);

	if (!S_ISREG(st->st_mode))
		return 0;
	if ((b = malloc(IOBUF)) == NULL)
		fatal(EX_OSERR, "%s", strerror(errno));
	while ((n = read(fd, b, IOBUF)) > 0) {
		const char	*p = b, *end = b + n;

		while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
			lines++;
			p++;
		}
	}
	free(b);
	if (n == -1 || lseek(fd, 0, SEEK_SET) == -1)
		fatal(exitcode_from_errno(errno), "read %s: %s", src,
		    strerror(errno));
	return lines + 1;
}

/*
 * Building.  Duplicates in a file are named with the line of the first
 * entry: it is found by a second pass over the file, made only when there
 * were duplicates, so a clean build costs nothing for it.
 */
struct dup {
	size_t		 off, len;	/* key in dupkeys */
	unsigned long	 line, first;
};

struct build {
	struct map_build *b;
	struct mail_err	*e;
	struct dup	*dups;
	size_t		 ndup, nmore;
	struct buf	 keys;
	int		 from_stdin;	/* entries from stdin (-i) */
	unsigned long	 n;
};

static int
put_cb(void *arg, const char *k, size_t klen, const char *v, size_t vlen,
    const char *file, unsigned long line)
{
	struct build	*c = arg;
	int		 rc;

	if ((rc = map_build_put(c->b, k, klen, v, vlen, opt.how, c->e)) == -1)
		return c->e->ex != EX_OK ? c->e->ex : EX_SOFTWARE;
	c->n++;
	if (rc == 0 || opt.quiet || opt.how == MAP_PUT_REPLACE)
		return 0;
	if (c->from_stdin || c->ndup == DUPS_MAX ||
	    buf_add(&c->keys, k, klen) == -1) {
		if (c->from_stdin)
			log_warn("%s:%lu: duplicate entry \"%s\", already in "
			    "the table, ignored", file, line, k);
		else
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

static void
warn_dups(struct build *c, FILE *fp, const char *src)
{
	struct mail_err	e;
	size_t		i;
	unsigned long	first;

	dupkeys = c->keys.s;
	if (c->ndup > 0) {
		qsort(c->dups, c->ndup, sizeof *c->dups, dupcmp);
		if (fseek(fp, 0, SEEK_SET) == 0)
			(void)table_parse(fp, src, opt.fold | TABLE_QUIET,
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
build_free(struct build *c)
{
	free(c->dups);
	buf_free(&c->keys);
}

/* build - compile one table from its source file */
static void
build(const char *name)
{
	struct mail_err	 e;
	struct build	 c;
	struct stat	 st;
	char		 src[PATH_MAX], db[PATH_MAX];
	FILE		*fp;
	size_t		 lines;
	int		 rc;

	if (map_names(name, src, sizeof src, db, sizeof db, &e) != EX_OK)
		fatal_err(&e);
	fp = open_source(src, &st);
	become_owner(&st, src);
	lines = count_lines(fp, &st, src);
	log_debug("building %s from %s (%zu lines)", db, src, lines);
	memset(&c, 0, sizeof c);
	buf_init(&c.keys, 16 << 20);
	c.e = &e;
	if (map_build_begin(&c.b, name, lines, opt.mapflags, 0644, &e) != EX_OK)
		fatal_err(&e);
	rc = table_parse(fp, src, opt.fold, put_cb, &c, &e);
	if (rc != EX_OK) {
		map_build_abort(c.b);
		fatal(rc, "%s; %s left as it was", e.text, db);
	}
	warn_dups(&c, fp, src);
	fclose(fp);
	if (map_build_commit(c.b, &e) != EX_OK)
		fatal_err(&e);
	log_debug("%s: %lu entries", db, c.n);
	build_free(&c);
	become_root();
}

/* incremental - -i: entries from stdin added to one table */
static void
incremental(const char *name)
{
	struct mail_err	e;
	struct build	c;
	struct stat	st;
	char		src[PATH_MAX], db[PATH_MAX];
	int		rc;

	/* as root, work as the owner of the table, or of its source */
	if (map_names(name, src, sizeof src, db, sizeof db, &e) != EX_OK)
		fatal_err(&e);
	if (stat(db, &st) == 0 || stat(src, &st) == 0)
		become_owner(&st, db);
	memset(&c, 0, sizeof c);
	buf_init(&c.keys, 1);
	c.e = &e;
	c.from_stdin = 1;
	if (setvbuf(stdin, NULL, _IOFBF, IOBUF) != 0)
		fatal(EX_OSERR, "stdin: %s", strerror(errno));
	__fsetlocking(stdin, FSETLOCKING_BYCALLER);
	if (map_build_begin(&c.b, name, 0, MAP_B_COPY | opt.mapflags, 0644,
	    &e) != EX_OK)
		fatal_err(&e);
	rc = table_parse(stdin, "stdin", opt.fold, put_cb, &c, &e);
	if (rc != EX_OK) {
		map_build_abort(c.b);
		fatal(rc, "%s; table %s left as it was", e.text, name);
	}
	if (map_build_commit(c.b, &e) != EX_OK)
		fatal_err(&e);
	log_debug("%s: %lu entries added or kept", name, c.n);
	build_free(&c);
	become_root();
}

/*
 * Standard input for "-q -" and "-d -": read(2) into one buffer, split
 * into lines.  stdout is flushed before every read that may block, so a
 * program that writes a key and waits for the answer gets it, while a
 * bulk run still writes in large blocks.
 */
struct in {
	char		*b;
	size_t		 start, end, cap;
	unsigned long	 line;
	int		 eof;
};

/* in_line - the next line without its LF (and CR); NULL at the end */
static char *
in_line(struct in *in, size_t *len)
{
	char	*p, *nl;
	ssize_t	 n;

	for (;;) {
		p = in->b + in->start;
		nl = memchr(p, '\n', in->end - in->start);
		if (nl != NULL || (in->eof && in->end > in->start)) {
			if (nl == NULL)
				nl = in->b + in->end;
			in->start = (size_t)(nl - in->b) +
			    (nl < in->b + in->end);
			*nl = '\0';
			if (nl > p && nl[-1] == '\r')
				*--nl = '\0';
			in->line++;
			*len = (size_t)(nl - p);
			return p;
		}
		if (in->eof)
			return NULL;
		if (in->end - in->start > LLINE_MAX)
			fatal(EX_DATAERR, "stdin:%lu: line longer than %d "
			    "bytes", in->line + 1, LLINE_MAX);
		memmove(in->b, p, in->end - in->start);
		in->end -= in->start;
		in->start = 0;
		flush_out();
		n = read(STDIN_FILENO, in->b + in->end, in->cap - in->end - 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			fatal(exitcode_from_errno(errno), "read stdin: %s",
			    strerror(errno));
		if (n == 0)
			in->eof = 1;
		in->end += (size_t)n;
	}
}

static void
in_init(struct in *in)
{
	memset(in, 0, sizeof *in);
	in->cap = LLINE_MAX + IOBUF + 2;
	if ((in->b = malloc(in->cap)) == NULL)
		fatal(EX_OSERR, "%s", strerror(errno));
}

/* stdin_key - parse a stdin line as a key; 0 to skip it */
static int
stdin_key(struct in *in, const char *line, size_t *klen)
{
	struct mail_err	e;

	if (*line == '\0')
		return 0;
	if (table_key(line, opt.fold, keybuf, sizeof keybuf, klen, &e) !=
	    EX_OK) {
		log_warn("stdin:%lu: %s", in->line, e.text);
		return 0;
	}
	return 1;
}

static struct map **
open_all(char **names, int n)
{
	struct mail_err	  e;
	struct map	**m;
	int		  i;

	if ((m = calloc((size_t)n, sizeof *m)) == NULL)
		fatal(EX_OSERR, "%s", strerror(errno));
	for (i = 0; i < n; i++)
		if (map_open(&m[i], names[i], opt.mapflags, &e) != EX_OK)
			fatal_err(&e);
	return m;
}

/* lookup - the value of key in the first table that has it */
static int
lookup(struct map **m, int n, const char *k, size_t klen)
{
	struct mail_err	e;
	int		i, rc;

	for (i = 0; i < n; i++) {
		if ((rc = map_get(m[i], k, klen, &val, &e)) == -1)
			fatal_err(&e);
		if (rc == 1)
			return 1;
	}
	return 0;
}

/* query - -q KEY, or -q - with keys on stdin */
static int
query(char **names, int n)
{
	struct mail_err	  e;
	struct map	**m = open_all(names, n);
	struct in	  in;
	const char	 *line;
	size_t		  klen, len;
	int		  found = 0, i;

	if (strcmp(opt.key, "-") != 0) {
		if (table_key(opt.key, opt.fold, keybuf, sizeof keybuf, &klen,
		    &e) != EX_OK)
			fatal(EX_USAGE, "-q: %s", e.text);
		if ((found = lookup(m, n, keybuf, klen))) {
			if (opt.json)
				emit(0, opt.key, strlen(opt.key), val.s,
				    val.len);
			else if (fwrite(val.s, 1, val.len, stdout) !=
			    val.len || putchar('\n') == EOF)
				flush_out();
		}
	} else {
		in_init(&in);
		while ((line = in_line(&in, &len)) != NULL) {
			if (!stdin_key(&in, line, &klen))
				continue;
			if (lookup(m, n, keybuf, klen)) {
				found = 1;
				emit(0, line, len, val.s, val.len);
			}
		}
		free(in.b);
	}
	for (i = 0; i < n; i++)
		map_close(m[i]);
	free(m);
	return found ? EX_OK : EXIT_NOTFOUND;
}

static int
dump_cb(const char *k, size_t klen, const char *v, size_t vlen, void *arg)
{
	(void)arg;
	/* show keys and values the way they were written, without a NUL */
	if (klen > 0 && k[klen - 1] == '\0')
		klen--;
	if (vlen > 0 && v[vlen - 1] == '\0')
		vlen--;
	emit(TABLE_QUOTE, k, klen, v, vlen);
	return 0;
}

/* dump - -s: every entry of every table */
static int
dump(char **names, int n)
{
	struct mail_err	  e;
	struct map	**m = open_all(names, n);
	int		  i;

	for (i = 0; i < n; i++) {
		if (map_walk(m[i], dump_cb, NULL, &e) == -1)
			fatal_err(&e);
		map_close(m[i]);
	}
	free(m);
	return EX_OK;
}

/* delete - -d KEY, or -d - with keys on stdin: from every table */
static int
delete(char **names, int n)
{
	struct mail_err		 e;
	struct map_build	*b;
	struct buf		 keys = BUF_INIT(KEYS_MAX);
	struct stat		 st;
	struct in		 in;
	const char		*line, *k;
	char			 src[PATH_MAX], db[PATH_MAX];
	size_t			 klen, len, nk = 0, i;
	int			 t, rc, found = 0, here;

	/* Keys first (stdin is read once), as NUL-separated folded keys. */
	if (strcmp(opt.key, "-") != 0) {
		if (table_key(opt.key, opt.fold, keybuf, sizeof keybuf, &klen,
		    &e) != EX_OK)
			fatal(EX_USAGE, "-d: %s", e.text);
		if (buf_add(&keys, keybuf, klen + 1) == -1)
			fatal(EX_OSERR, "%s", strerror(errno));
		nk = 1;
	} else {
		in_init(&in);
		while ((line = in_line(&in, &len)) != NULL) {
			if (!stdin_key(&in, line, &klen))
				continue;
			if (buf_add(&keys, keybuf, klen + 1) == -1)
				fatal(EX_DATAERR, "stdin:%lu: more than %d "
				    "bytes of keys", in.line, KEYS_MAX);
			nk++;
		}
		free(in.b);
	}
	for (t = 0; t < n; t++) {
		if (map_names(names[t], src, sizeof src, db, sizeof db, &e) !=
		    EX_OK)
			fatal_err(&e);
		if (stat(db, &st) == -1)
			fatal(errno == ENOENT ? EX_NOINPUT :
			    exitcode_from_errno(errno), "open database %s: %s",
			    db, strerror(errno));
		become_owner(&st, db);
		if (map_build_begin(&b, names[t], 0, MAP_B_COPY | opt.mapflags,
		    0644, &e) != EX_OK)
			fatal_err(&e);
		here = 0;
		for (i = 0, k = keys.s; i < nk; i++, k += klen + 1) {
			klen = strlen(k);
			if ((rc = map_build_del(b, k, klen, &e)) == -1) {
				map_build_abort(b);
				fatal_err(&e);
			}
			here += rc;
		}
		if (here == 0)
			map_build_abort(b);
		else if (map_build_commit(b, &e) != EX_OK)
			fatal_err(&e);
		log_debug("%s: %d entries deleted", db, here);
		found += here;
		become_root();
	}
	buf_free(&keys);
	return found ? EX_OK : EXIT_NOTFOUND;
}

/* check - --check: is each table there and newer than its source? */
static int
check(char **names, int n)
{
	struct mail_err	e;
	struct stat	st;
	char		src[PATH_MAX], db[PATH_MAX];
	int		t, rc, ex = EX_OK;

	for (t = 0; t < n; t++) {
		if (map_names(names[t], src, sizeof src, db, sizeof db, &e) !=
		    EX_OK)
			fatal_err(&e);
		if (stat(src, &st) == -1)
			fatal(errno == ENOENT ? EX_NOINPUT :
			    exitcode_from_errno(errno), "source %s: %s", src,
			    strerror(errno));
		rc = map_stale(names[t], &e);
		if (rc == 0)
			log_debug("%s", e.text);
		else if (rc == 1 || rc == -EX_NOINPUT) {
			log_info("%s", e.text);
			ex = EXIT_NOTFOUND;
		} else
			fatal_err(&e);
	}
	return ex;
}

/* valid_fds - make fds 0-2 valid, so no table is opened as stdout */
static void
valid_fds(void)
{
	int	fd;

	while ((fd = open("/dev/null", O_RDWR)) >= 0 && fd <= 2)
		;
	if (fd > 2)
		close(fd);
}

static void
set_mode(enum mode m)
{
	if (opt.mode != BUILD && opt.mode != m)
		usage();
	opt.mode = m;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "check", no_argument, NULL, 'K' },
		{ NULL, 0, NULL, 0 }
	};
	struct mail_conf	*conf;
	struct mail_err		 e;
	const char		*cfile = NULL;
	char			 cpath[PATH_MAX];
	int			 ch, ex = EX_OK, n, i;

	static char		 progname[] = "postmap";

	/* getopt's own messages name the program, not the path run */
	argv[0] = progname;
	valid_fds();
	umask(022);
	log_open("postmap", LOG_TO_STDERR);
	while ((ch = getopt_long(argc, argv, "C:c:d:fijNnq:rsvw", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'C':
			cfile = optarg;
			break;
		case 'c':
			n = snprintf(cpath, sizeof cpath, "%s/main.cf",
			    optarg);
			if (n < 0 || (size_t)n >= sizeof cpath)
				fatal(EX_USAGE, "-c %s: name too long", optarg);
			cfile = cpath;
			break;
		case 'd':
			set_mode(DELETE);
			opt.key = optarg;
			break;
		case 'f':
			opt.fold = 0;
			break;
		case 'i':
			set_mode(INCR);
			break;
		case 'j':
			opt.json = 1;
			break;
		case 'N':
			opt.mapflags = MAP_NUL;
			break;
		case 'n':
			opt.mapflags = MAP_NONUL;
			break;
		case 'q':
			set_mode(QUERY);
			opt.key = optarg;
			break;
		case 'r':
			opt.how = MAP_PUT_REPLACE;
			break;
		case 's':
			set_mode(DUMP);
			break;
		case 'v':
			log_set_verbose(log_verbose() + 1);
			break;
		case 'w':
			opt.quiet = 1;
			break;
		case 'K':
			set_mode(CHECK);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1 || (opt.mode == INCR && argc != 1))
		usage();
	if (conf_load(&conf, cfile, &e) != EX_OK)
		fatal(EX_CONFIG, "%s", e.text);
	if (setvbuf(stdout, NULL, _IOFBF, IOBUF) != 0)
		fatal(EX_OSERR, "stdout: %s", strerror(errno));
	__fsetlocking(stdout, FSETLOCKING_BYCALLER);

	switch (opt.mode) {
	case BUILD:
		for (i = 0; i < argc; i++)
			build(argv[i]);
		break;
	case INCR:
		incremental(argv[0]);
		break;
	case QUERY:
		ex = query(argv, argc);
		break;
	case DUMP:
		ex = dump(argv, argc);
		break;
	case DELETE:
		ex = delete(argv, argc);
		break;
	case CHECK:
		ex = check(argv, argc);
		break;
	}
	flush_out();
	conf_free(conf);
	buf_free(&out);
	buf_free(&val);
	return ex;
}
