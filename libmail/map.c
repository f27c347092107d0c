/* SPDX-License-Identifier: ISC */
/*
 * map - lookup tables on tdb: name parsing, read-only lookups that follow
 * a rebuilt file, and whole-table builds that replace the old table by
 * rename().
 *
 * Readers open the tdb file O_RDONLY, which makes tdb take no locks at
 * all; so a table is never changed in place.  A build writes a private
 * temporary file in the same directory (created with O_EXCL|O_NOFOLLOW,
 * so a planted symlink is never followed), without locks, transaction or
 * msync, with a hash size near the number of entries; then fsync(),
 * rename() over the old table, fsync() of the directory.  A reader that
 * still has the old inode open keeps a consistent old snapshot, and
 * notices the new inode when it next stats the path (at most once a
 * second), opening the new file before closing the old one: no lookup
 * ever falls between two tables.
 *
 * tdb refuses to open one file twice in a process (EBUSY: fcntl locks do
 * not nest), so the open handles are shared: one per tdb path, with a
 * reference count.  This module is not thread-safe.
 *
 * Trusted: the tdb files we open (tdb checks its own header; a corrupt
 * file gives errors, not crashes, as far as tdb goes).  Keys and values
 * are bytes with lengths; nothing here needs them NUL-free.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <tdb.h>

#include "buf.h"
#include "exitcode.h"
#include "log.h"
#include "map.h"
#include "str.h"

#ifndef PATH_MAX
#define PATH_MAX	4096
#endif

/* Hash chains: at least tdb's default, at most 64 MiB of chain heads. */
#define HASH_MIN	131
#define HASH_MAX	16777259	/* the first prime above 2^24 */

/* How often a reader looks for a rebuilt file, in nanoseconds. */
#define RECHECK_NS	1000000000LL

/* One open tdb file, shared by every map_open of it in this process. */
struct map_db {
	struct map_db		*next;
	struct tdb_context	*tdb;
	char			*path;
	dev_t			 dev;
	ino_t			 ino;
	long long		 checked;	/* CLOCK_MONOTONIC ns */
	unsigned long		 gen;		/* bumped at each reopen */
	int			 refs;
};

struct map {
	struct map_db	*db;
	int		 flags;
	int		 nulform;	/* learned: 0 or 1 once a key was found */
	unsigned long	 gen;		/* ...in this generation of the file */
	struct buf	 key;		/* folded key, key + NUL */
	char		 source[PATH_MAX];
};

struct map_build {
	struct tdb_context *tdb;
	int		 flags;
	struct buf	 key;
	struct buf	 val;
	char		 db[PATH_MAX];
	char		 tmp[PATH_MAX];
	int		 have_src;	/* src_mtime is set */
	struct timespec	 src_mtime;	/* the source's, when the build began */
};

static struct map_db *dbs;

unsigned long long (*map_tmp_random)(void);

/*
 * A monotonic clock for the once-a-second check: immune to the wall clock
 * being set.  The coarse one (a few ms resolution) is read without rdtsc;
 * map_get calls it on every lookup.
 */
static long long
now_ns(void)
{
	struct timespec	ts;

#ifdef CLOCK_MONOTONIC_COARSE
	if (clock_gettime(CLOCK_MONOTONIC_COARSE, &ts) == 0)
		return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
#endif
	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		return 0;
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static TDB_DATA
datum(const void *p, size_t n)
{
	TDB_DATA	d;

	/* tdb's API has no const; it does not write through a key. */
	d.dptr = (unsigned char *)(uintptr_t)p;
	d.dsize = n;
	return d;
}

/*
 * The errno behind a failed tdb call; EIO when tdb kept none.  Surprise:
 * when the disk fills during a build, tdb 1.4.8 reports TDB_ERR_IO and
 * errno is often EIO by then, not ENOSPC; either way it is EX_TEMPFAIL
 * and the old table stays (checked by hand on a 512 KiB tmpfs).
 */
static int
tdb_errno(struct tdb_context *tdb, int saved)
{
	if (tdb != NULL && tdb_error(tdb) == TDB_ERR_OOM)
		return ENOMEM;
	if (saved != 0)
		return saved;
	return EIO;
}

/*
 * map_names - split a table name into its source file and its tdb file.
 */
int
map_names(const char *name, char *src, size_t srclen, char *db,
    size_t dblen, struct mail_err *e)
{
	const char	*colon, *path, *slash;
	size_t		 tlen;
	int		 n;

	path = name;
	colon = strchr(name, ':');
	slash = strchr(name, '/');
	if (colon != NULL && colon > name && (slash == NULL || colon < slash)) {
		tlen = (size_t)(colon - name);
		path = colon + 1;
		if (!((tlen == 4 && strncmp(name, "hash", 4) == 0) ||
		    (tlen == 3 && strncmp(name, "tdb", 3) == 0)))
			return mail_err_set(e, EX_CONFIG, NULL,
			    "type %.*s: not supported; mailpath builds tdb "
			    "tables (hash: and tdb:)",
			    (int)(tlen > 64 ? 64 : tlen), name);
	}
	if (*path == '\0')
		return mail_err_set(e, EX_CONFIG, NULL,
		    "table %s: no file name", name);
	n = snprintf(src, srclen, "%s", path);
	if (n < 0 || (size_t)n >= srclen)
		return mail_err_set(e, EX_CONFIG, NULL,
		    "table %.100s...: name too long", name);
	n = snprintf(db, dblen, "%s.tdb", path);
	if (n < 0 || (size_t)n >= dblen)
		return mail_err_set(e, EX_CONFIG, NULL,
		    "table %.100s...: name too long", name);
	return EX_OK;
}

/* Open path read-only and record its identity; 0 or -1 with errno. */
static int
db_open_file(const char *path, struct tdb_context **tp, dev_t *dev,
    ino_t *ino)
{
	struct tdb_context	*t;
	struct stat		 st;
	int			 saved;

	errno = 0;
	t = tdb_open(path, 0, 0, O_RDONLY, 0);
	if (t == NULL) {
		if (errno == 0)
			errno = EIO;
		return -1;
	}
	if (fstat(tdb_fd(t), &st) == -1) {
		saved = errno;
		tdb_close(t);
		errno = saved;
		return -1;
	}
	*tp = t;
	*dev = st.st_dev;
	*ino = st.st_ino;
	return 0;
}

/* Find or open the shared handle for a tdb path. */
static struct map_db *
db_acquire(const char *path, const char *name, struct mail_err *e)
{
	struct map_db	*d;
	int		 saved;

	for (d = dbs; d != NULL; d = d->next)
		if (strcmp(d->path, path) == 0) {
			d->refs++;
			return d;
		}
	if ((d = calloc(1, sizeof *d)) == NULL ||
	    (d->path = str_dup(path)) == NULL) {
		free(d);
		mail_err_errno(e, ENOMEM, "table %s", path);
		return NULL;
	}
	if (db_open_file(path, &d->tdb, &d->dev, &d->ino) == -1) {
		saved = errno;
		free(d->path);
		free(d);
		if (saved == ENOENT)
			mail_err_set(e, EX_NOINPUT, "4.3.0",
			    "table %s does not exist: run \"postmap %s\" "
			    "(or newaliases for an alias table)", path, name);
		else if (saved == EIO || saved == EINVAL)
			mail_err_set(e, EX_TEMPFAIL, NULL,
			    "table %s: not a usable tdb file: %s", path,
			    strerror(saved));
		else
			mail_err_set(e, EX_TEMPFAIL, NULL, "table %s: %s",
			    path, strerror(saved));
		return NULL;
	}
	d->checked = now_ns();
	d->refs = 1;
	d->next = dbs;
	dbs = d;
	return d;
}

static void
db_release(struct map_db *d)
{
	struct map_db	**pp;

	if (--d->refs > 0)
		return;
	for (pp = &dbs; *pp != NULL; pp = &(*pp)->next)
		if (*pp == d) {
			*pp = d->next;
			break;
		}
	tdb_close(d->tdb);
	free(d->path);
	free(d);
}

/*
 * Reopen a table that was rebuilt (a new inode at its path).  The new file
 * is opened before the old one is closed; when that fails, the old
 * snapshot keeps serving and the next check tries again.
 */
static void
db_recheck(struct map_db *d, int force)
{
	struct tdb_context	*t;
	struct stat		 st;
	long long		 now;
	dev_t			 dev;
	ino_t			 ino;

	now = now_ns();
	if (!force && now - d->checked < RECHECK_NS)
		return;
	d->checked = now;
	if (stat(d->path, &st) == -1)
		return;
	if (st.st_ino == d->ino && st.st_dev == d->dev)
		return;
	if (db_open_file(d->path, &t, &dev, &ino) == -1)
		return;
	tdb_close(d->tdb);
	d->tdb = t;
	d->dev = dev;
	d->ino = ino;
	d->gen++;
}

/*
 * warned_before - true when db was already looked at for staleness in this
 * process; remembers it otherwise.  A program may open and close a table
 * many times (sendmail once per message part); one warning is enough.
 */
static int
warned_before(const char *db)
{
	static char	*seen[32];
	static size_t	 nseen;
	size_t		 i;

	for (i = 0; i < nseen; i++)
		if (strcmp(seen[i], db) == 0)
			return 1;
	if (nseen < sizeof seen / sizeof seen[0] &&
	    (seen[nseen] = str_dup(db)) != NULL)
		nseen++;
	return 0;
}

/*
 * map_open - open a compiled table read-only, sharing one tdb handle per
 * file in this process.
 */
int
map_open(struct map **mp, const char *name, int flags, struct mail_err *e)
{
	struct map	*m;
	char		 db[PATH_MAX];
	int		 ex;

	*mp = NULL;
	if ((m = calloc(1, sizeof *m)) == NULL)
		return mail_err_errno(e, ENOMEM, "table %s", name);
	ex = map_names(name, m->source, sizeof m->source, db, sizeof db, e);
	if (ex != EX_OK) {
		free(m);
		return ex;
	}
	if ((m->db = db_acquire(db, name, e)) == NULL) {
		free(m);
		return e->ex;
	}
	m->flags = flags;
	m->nulform = -1;
	buf_init(&m->key, MAP_VALUE_MAX);
	*mp = m;
	/*
	 * As Postfix does: a table older than its source is used, but said
	 * so, once per process, so an edit without postmap is noticed.
	 */
	if (m->db->refs == 1 && !warned_before(db)) {
		struct mail_err	se;

		if (map_stale(name, &se) == 1)
			log_warn("%s", se.text);
	}
	return EX_OK;
}

/* tdb_parse_record callback: copy the value, less a stored NUL. */
struct fetch {
	struct buf	*val;
	int		 err;
};

static int
fetch_cb(TDB_DATA key, TDB_DATA data, void *arg)
{
	struct fetch	*f = arg;
	size_t		 n = data.dsize;

	(void)key;
	if (n > 0 && data.dptr[n - 1] == '\0')
		n--;
	if (buf_set(f->val, data.dptr, n) == -1)
		f->err = errno;
	return 0;
}

/*
 * Look key (klen bytes, with room for one more in its buffer when
 * try_nul) up in t: first as is, then with a NUL added when nulform says
 * so.  nulform: 0 as is only, 1 with NUL only, 2 both.  A hit returns 1
 * for the form without NUL, 2 for the one with; 0 not found, -1 error.
 */
static int
lookup(struct tdb_context *t, struct buf *kb, const char *key, size_t klen,
    int nulform, struct buf *val, struct mail_err *e, const char *path)
{
	struct fetch	 f;
	int		 rc, pass;

	f.val = val;
	f.err = 0;
	for (pass = 0; pass < 2; pass++) {
		if (pass == 0 && nulform == 1)
			continue;
		if (pass == 1) {
			if (nulform == 0)
				break;
			if (key != kb->s && buf_set(kb, key, klen) == -1) {
				mail_err_errno(e, errno, "table %s: key", path);
				return -1;
			}
			/* buf keeps a NUL after len: look up len + 1. */
			key = kb->s;
		}
		rc = tdb_parse_record(t, datum(key, klen + (size_t)pass),
		    fetch_cb, &f);
		if (rc == 0) {
			if (f.err != 0) {
				mail_err_errno(e, f.err, "table %s: value",
				    path);
				return -1;
			}
			return 1 + pass;
		}
		if (tdb_error(t) != TDB_ERR_NOEXIST) {
			mail_err_set(e, EX_TEMPFAIL, NULL, "table %s: %s",
			    path, tdb_errorstr(t));
			return -1;
		}
	}
	return 0;
}

static int
nulform(int flags)
{
	if (flags & MAP_NUL)
		return 1;
	if (flags & MAP_NONUL)
		return 0;
	return 2;
}

/* Fold key into kb when asked; the key to look up either way. */
static const char *
prepare_key(struct buf *kb, const char *key, size_t klen, int flags,
    struct mail_err *e)
{
	if (!(flags & MAP_FOLD))
		return key;
	if (buf_set(kb, key, klen) == -1) {
		mail_err_errno(e, errno, "key");
		return NULL;
	}
	str_lower_n(kb->s, klen);
	return kb->s;
}

/*
 * map_get - look key up, following a rebuilt file.
 */
int
map_get(struct map *m, const char *key, size_t klen, struct buf *val,
    struct mail_err *e)
{
	const char	*k;

	int		 form, rc;

	db_recheck(m->db, 0);
	if ((k = prepare_key(&m->key, key, klen, m->flags, e)) == NULL)
		return -1;
	/*
	 * As Postfix's readers do: once a key was found in one form, the
	 * table's convention is known and a miss costs one probe, not two.
	 * A rebuilt file may follow the other convention: learn it again.
	 */
	form = nulform(m->flags);
	if (form == 2 && m->gen == m->db->gen && m->nulform >= 0)
		form = m->nulform;
	rc = lookup(m->db->tdb, &m->key, k, klen, form, val, e, m->db->path);
	if (rc <= 0)
		return rc;
	m->nulform = rc - 1;
	m->gen = m->db->gen;
	return 1;
}

struct walk {
	int	(*fn)(const char *, size_t, const char *, size_t, void *);
	void	*arg;
	int	 rc;
};

static int
walk_cb(struct tdb_context *t, TDB_DATA k, TDB_DATA v, void *arg)
{
	struct walk	*w = arg;

	(void)t;
	w->rc = w->fn((const char *)k.dptr, k.dsize, (const char *)v.dptr,
	    v.dsize, w->arg);
	return w->rc != 0;
}

/*
 * map_walk - call fn for each entry of the table.
 */
int
map_walk(struct map *m, int (*fn)(const char *, size_t, const char *,
    size_t, void *), void *arg, struct mail_err *e)
{
	struct walk	w;

	db_recheck(m->db, 0);
	w.fn = fn;
	w.arg = arg;
	w.rc = 0;
	if (tdb_traverse_read(m->db->tdb, walk_cb, &w) == -1 && w.rc == 0) {
		mail_err_set(e, EX_TEMPFAIL, NULL, "table %s: %s", m->db->path,
		    tdb_errorstr(m->db->tdb));
		return -1;
	}
	return w.rc;
}

/* map_count - number of entries */
size_t
map_count(struct map *m)
{
	int	n;

	db_recheck(m->db, 0);
	n = tdb_traverse_read(m->db->tdb, NULL, NULL);
	return n < 0 ? 0 : (size_t)n;
}

/* map_path - the tdb file */
const char *
map_path(const struct map *m)
{
	return m->db->path;
}

/* map_source - the text file the table is built from */
const char *
map_source(const struct map *m)
{
	return m->source;
}

/* map_close - drop this handle; the tdb file closes with its last user */
void
map_close(struct map *m)
{
	if (m == NULL)
		return;
	db_release(m->db);
	buf_free(&m->key);
	free(m);
}

/*
 * map_stale - is the compiled table older than its source?
 */
int
map_stale(const char *name, struct mail_err *e)
{
	struct stat	ss, ds;
	char		src[PATH_MAX], db[PATH_MAX];
	int		ex;

	if ((ex = map_names(name, src, sizeof src, db, sizeof db, e)) != EX_OK)
		return -ex;
	if (stat(db, &ds) == -1) {
		if (errno == ENOENT) {
			mail_err_set(e, EX_NOINPUT, "4.3.0",
			    "table %s does not exist: run \"postmap %s\"", db,
			    name);
			return -EX_NOINPUT;
		}
		ex = mail_err_errno(e, errno, "table %s", db);
		return -ex;
	}
	if (stat(src, &ss) == -1) {
		mail_err_set(e, EX_OK, "2.0.0", "table %s: source %s: %s", db,
		    src, strerror(errno));
		return 0;
	}
	if (ds.st_mtim.tv_sec < ss.st_mtim.tv_sec ||
	    (ds.st_mtim.tv_sec == ss.st_mtim.tv_sec &&
	    ds.st_mtim.tv_nsec < ss.st_mtim.tv_nsec)) {
		mail_err_set(e, EX_OK, "2.0.0",
		    "table %s is older than its source %s: run \"postmap %s\"",
		    db, src, name);
		return 1;
	}
	mail_err_set(e, EX_OK, "2.0.0", "table %s is up to date", db);
	return 0;
}

static int
is_prime(size_t n)
{
	size_t	d;

	if (n < 2)
		return 0;
	if (n % 2 == 0)
		return n == 2;
	for (d = 3; d <= n / d; d += 2)
		if (n % d == 0)
			return 0;
	return 1;
}

/*
 * The hash size for about n entries: a prime >= 2n, within the bounds.
 * At one chain per entry a lookup reads 1.5 records on average, at two
 * 1.25; each is a cache miss in a file that is far bigger than the cache.
 * Measured with 1M entries (bench/tables.sh): builds 8% and lookups 6%
 * faster than with a prime >= n, for 4 MB more chain heads.
 */
static int
hash_size(size_t n)
{
	n = n > HASH_MAX ? HASH_MAX : 2 * n;
	if (n < HASH_MIN)
		n = HASH_MIN;
	if (n >= HASH_MAX)
		return HASH_MAX;
	while (!is_prime(n))
		n++;
	return (int)n;
}

static unsigned long long
tmp_random(void)
{
	unsigned long long	r;

	if (map_tmp_random != NULL)
		return map_tmp_random();
	/* glibc 2.36 (Debian 12) has arc4random: it never fails. */
	r = arc4random();
	return (r << 32) | arc4random();
}

/* Copy one entry of the current table into the one being built. */
struct copy {
	struct tdb_context	*to;
	size_t			 n, nul;
	int			 err;
};

static int
copy_cb(struct tdb_context *t, TDB_DATA k, TDB_DATA v, void *arg)
{
	struct copy	*c = arg;

	(void)t;
	errno = 0;
	if (tdb_store(c->to, k, v, TDB_INSERT) == -1) {
		c->err = tdb_errno(c->to, errno);
		return 1;
	}
	c->n++;
	if (k.dsize > 0 && k.dptr[k.dsize - 1] == '\0')
		c->nul++;
	return 0;
}

static int
build_fail(struct map_build *b, struct mail_err *e, int err, const char *what)
{
	int	ex;

	ex = mail_err_errno(e, err, "table %s: %s", b->db, what);
	map_build_abort(b);
	return ex;
}

/*
 * map_build_begin - start a new table in a private temporary file.
 */
int
map_build_begin(struct map_build **bp, const char *name, size_t n,
    int flags, mode_t mode, struct mail_err *e)
{
	struct map_build	*b;
	struct map_db		*cur = NULL;
	struct copy		 c;
	char			 src[PATH_MAX];
	int			 ex, k, saved;

	*bp = NULL;
	if ((b = calloc(1, sizeof *b)) == NULL)
		return mail_err_errno(e, ENOMEM, "table %s", name);
	buf_init(&b->key, MAP_VALUE_MAX + 1);
	buf_init(&b->val, MAP_VALUE_MAX + 1);
	b->flags = flags;
	ex = map_names(name, src, sizeof src, b->db, sizeof b->db, e);
	if (ex != EX_OK) {
		free(b);
		return ex;
	}
	/*
	 * The table will carry the source's modification time as it was
	 * before we read it, so map_stale() compares like with like: file
	 * times come from a clock with a few milliseconds' resolution, and
	 * an edit right after a build could otherwise share the build's time.
	 */
	{
		struct stat	st;

		if (stat(src, &st) == 0) {
			b->have_src = 1;
			b->src_mtime = st.st_mtim;
		}
	}
	if (flags & MAP_B_COPY) {
		cur = db_acquire(b->db, name, e);
		if (cur == NULL && e->ex != EX_NOINPUT) {
			free(b);
			return e->ex;
		}
		/* No table yet: start from nothing (postmap -i creates). */
		if (cur == NULL)
			mail_err_clear(e);
		if (cur != NULL) {
			db_recheck(cur, 1);
			k = tdb_traverse_read(cur->tdb, NULL, NULL);
			if (k > 0)
				n += (size_t)k;
		}
	}
	k = snprintf(b->tmp, sizeof b->tmp, "%s.tmp.%ld.%016llx", b->db,
	    (long)getpid(), tmp_random());
	if (k < 0 || (size_t)k >= sizeof b->tmp) {
		if (cur != NULL)
			db_release(cur);
		free(b);
		return mail_err_set(e, EX_CONFIG, NULL,
		    "table %.100s...: name too long", name);
	}
	/*
	 * O_EXCL: an existing name (a planted symlink, even a dangling one)
	 * fails with EEXIST instead of being followed or truncated.
	 */
	errno = 0;
	b->tdb = tdb_open(b->tmp, hash_size(n),
	    TDB_NOLOCK | TDB_NOSYNC | TDB_INCOMPATIBLE_HASH,
	    O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
	if (b->tdb == NULL) {
		saved = errno != 0 ? errno : EIO;
		if (cur != NULL)
			db_release(cur);
		if (saved == EEXIST || saved == ELOOP) {
			ex = mail_err_set(e, EX_CANTCREAT, "4.3.0",
			    "table %s: temporary file %s exists (not "
			    "following or reusing it)", b->db, b->tmp);
			free(b);
			return ex;
		}
		/* It may have been created before tdb gave up. */
		(void)unlink(b->tmp);
		ex = mail_err_errno(e, saved, "table %s: create %s", b->db,
		    b->tmp);
		free(b);
		return ex;
	}
	if (cur != NULL) {
		memset(&c, 0, sizeof c);
		c.to = b->tdb;
		if (tdb_traverse_read(cur->tdb, copy_cb, &c) == -1 &&
		    c.err == 0)
			c.err = tdb_errno(cur->tdb, 0);
		db_release(cur);
		if (c.err != 0)
			return build_fail(b, e, c.err, "copying entries");
		/* Keep the key convention of the table we extend. */
		if (!(flags & (MAP_NUL | MAP_NONUL)) && c.n > 0 && c.nul == c.n)
			b->flags |= MAP_NUL;
	}
	*bp = b;
	return EX_OK;
}

/* The key as stored: folded when asked, NUL added under MAP_NUL. */
static const char *
build_key(struct map_build *b, const char *key, size_t klen, size_t *len,
    struct mail_err *e)
{
	const char	*k;

	if ((k = prepare_key(&b->key, key, klen, b->flags, e)) == NULL)
		return NULL;
	*len = klen;
	if (b->flags & MAP_NUL) {
		if (k != b->key.s && buf_set(&b->key, key, klen) == -1) {
			mail_err_errno(e, errno, "key");
			return NULL;
		}
		*len = klen + 1;	/* the NUL buf keeps after len */
		return b->key.s;
	}
	return k;
}

/*
 * map_build_put - store one entry; the first or the last value of a
 * duplicate key stays, as asked.
 */
int
map_build_put(struct map_build *b, const char *key, size_t klen,
    const char *val, size_t vlen, int how, struct mail_err *e)
{
	const char	*k, *v = val;
	size_t		 len;

	if (vlen > MAP_VALUE_MAX) {
		mail_err_set(e, EX_DATAERR, NULL,
		    "table %s: value longer than %d bytes", b->db,
		    MAP_VALUE_MAX);
		return -1;
	}
	if ((k = build_key(b, key, klen, &len, e)) == NULL)
		return -1;
	if (b->flags & MAP_NUL) {
		if (buf_set(&b->val, val, vlen) == -1) {
			mail_err_errno(e, errno, "table %s: value", b->db);
			return -1;
		}
		v = b->val.s;
		vlen++;
	}
	errno = 0;
	if (tdb_store(b->tdb, datum(k, len), datum(v, vlen), TDB_INSERT) == 0)
		return 0;
	if (tdb_error(b->tdb) != TDB_ERR_EXISTS)
		goto fail;
	if (how != MAP_PUT_REPLACE)
		return 1;
	errno = 0;
	if (tdb_store(b->tdb, datum(k, len), datum(v, vlen), TDB_REPLACE) == 0)
		return 1;
fail:
	mail_err_errno(e, tdb_errno(b->tdb, errno), "table %s: store", b->db);
	return -1;
}

/* map_build_get - look up in the table being built */
int
map_build_get(struct map_build *b, const char *key, size_t klen,
    struct buf *val, struct mail_err *e)
{
	const char	*k;
	int		 rc;

	if ((k = prepare_key(&b->key, key, klen, b->flags, e)) == NULL)
		return -1;
	rc = lookup(b->tdb, &b->key, k, klen, nulform(b->flags), val, e,
	    b->db);
	return rc > 0 ? 1 : rc;
}

/* map_build_del - delete key (either form, as map_get finds it) */
int
map_build_del(struct map_build *b, const char *key, size_t klen,
    struct mail_err *e)
{
	const char	*k;
	int		 pass, form;

	if ((k = prepare_key(&b->key, key, klen, b->flags, e)) == NULL)
		return -1;
	form = nulform(b->flags);
	for (pass = 0; pass < 2; pass++) {
		if ((pass == 0 && form == 1) || (pass == 1 && form == 0))
			continue;
		if (pass == 1 && k != b->key.s) {
			if (buf_set(&b->key, key, klen) == -1) {
				mail_err_errno(e, errno, "key");
				return -1;
			}
			k = b->key.s;
		}
		errno = 0;
		if (tdb_delete(b->tdb, datum(k, klen + (size_t)pass)) == 0)
			return 1;
		if (tdb_error(b->tdb) != TDB_ERR_NOEXIST) {
			mail_err_errno(e, tdb_errno(b->tdb, errno),
			    "table %s: delete", b->db);
			return -1;
		}
	}
	return 0;
}

/* fsync the directory holding path, so the rename lasts. */
static int
sync_dir(const char *path)
{
	char		 dir[PATH_MAX];
	const char	*slash;
	int		 fd, n, saved;

	slash = strrchr(path, '/');
	if (slash == NULL)
		n = snprintf(dir, sizeof dir, ".");
	else if (slash == path)
		n = snprintf(dir, sizeof dir, "/");
	else
		n = snprintf(dir, sizeof dir, "%.*s", (int)(slash - path),
		    path);
	if (n < 0 || (size_t)n >= sizeof dir) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY)) == -1)
		return -1;
	if (fsync(fd) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return close(fd);
}

/*
 * map_build_commit - make the new table durable and put it in place.
 */
int
map_build_commit(struct map_build *b, struct mail_err *e)
{
	struct map_db	*d;
	int		 rc, ex, fd;

	/* Our own descriptor: the times are set after tdb is done writing. */
	if ((fd = dup(tdb_fd(b->tdb))) == -1)
		return build_fail(b, e, errno, "dup");
	errno = 0;
	rc = tdb_close(b->tdb);
	b->tdb = NULL;
	if (rc == -1) {
		close(fd);
		return build_fail(b, e, errno != 0 ? errno : EIO, "close");
	}
	if (b->have_src) {
		struct timespec	ts[2];

		ts[0].tv_sec = 0;
		ts[0].tv_nsec = UTIME_NOW;
		ts[1] = b->src_mtime;
		if (futimens(fd, ts) == -1) {
			rc = errno;
			close(fd);
			return build_fail(b, e, rc, "set times");
		}
	}
	if (fsync(fd) == -1) {
		rc = errno;
		close(fd);
		return build_fail(b, e, rc, "fsync");
	}
	if (close(fd) == -1)
		return build_fail(b, e, errno, "close");
	if (rename(b->tmp, b->db) == -1)
		return build_fail(b, e, errno, "rename");
	/*
	 * From here the new table is in place; a failed directory fsync
	 * only means the rename might not survive a crash.
	 */
	ex = EX_OK;
	if (sync_dir(b->db) == -1)
		ex = mail_err_errno(e, errno, "table %s: fsync directory",
		    b->db);
	/* Readers in this process see the new table at once. */
	for (d = dbs; d != NULL; d = d->next)
		if (strcmp(d->path, b->db) == 0)
			db_recheck(d, 1);
	b->tmp[0] = '\0';
	map_build_abort(b);
	return ex;
}

/* map_build_abort - remove the temporary file and free the handle */
void
map_build_abort(struct map_build *b)
{
	if (b == NULL)
		return;
	if (b->tdb != NULL)
		tdb_close(b->tdb);
	if (b->tmp[0] != '\0')
		(void)unlink(b->tmp);
	buf_free(&b->key);
	buf_free(&b->val);
	free(b);
}
