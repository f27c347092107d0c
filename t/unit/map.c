/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for libmail/map: table names, whole-table builds, lookups
 * (NUL conventions, folding), duplicates, deletes, MAP_B_COPY, the stale
 * check, error texts, the temporary-file rules (K-02), following a
 * rebuilt file, and sharing one tdb handle per file.  Everything happens
 * in a fresh mkdtemp directory, removed at the end.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tdb.h>

#include "buf.h"
#include "exitcode.h"
#include "log.h"
#include "map.h"
#include "tap.h"

static char	dir[PATH_MAX];

struct kv {
	const char	*k, *v;
};

/* path - a name inside the test directory (a few at a time). */
static const char *
path(const char *name)
{
	static char	p[4][PATH_MAX];
	static int	i;
	int		n;

	i = (i + 1) % 4;
	n = snprintf(p[i], sizeof p[i], "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= sizeof p[i])
		abort();
	return p[i];
}

/* build - the tiny builder: a table from kv pairs, flags as given. */
static int
build(const char *name, const struct kv *kv, int flags, struct mail_err *e)
{
	struct map_build	*b;
	size_t			 n;
	int			 ex;

	for (n = 0; kv[n].k != NULL; n++)
		;
	if ((ex = map_build_begin(&b, name, n, flags, 0644, e)) != EX_OK)
		return ex;
	for (n = 0; kv[n].k != NULL; n++)
		if (map_build_put(b, kv[n].k, strlen(kv[n].k), kv[n].v,
		    strlen(kv[n].v), MAP_PUT_FIRST, e) == -1) {
			map_build_abort(b);
			return e->ex;
		}
	return map_build_commit(b, e);
}

/* get - look key up in an open map: the value, "(none)" or "(error)". */
static const char *
get(struct map *m, const char *key)
{
	static struct buf	v = BUF_INIT(MAP_VALUE_MAX);
	struct mail_err		e;
	int			rc;

	rc = map_get(m, key, strlen(key), &v, &e);
	if (rc == 1)
		return buf_str(&v);
	return rc == 0 ? "(none)" : "(error)";
}

/* openget - open name with flags, look key up, close. */
static const char *
openget(const char *name, int flags, const char *key)
{
	static char	 out[600];
	struct map	*m;
	struct mail_err	 e;

	if (map_open(&m, name, flags, &e) != EX_OK) {
		snprintf(out, sizeof out, "(open: %s)", e.text);
		return out;
	}
	snprintf(out, sizeof out, "%s", get(m, key));
	map_close(m);
	return out;
}

/* Entries in the test directory whose name contains s. */
static int
count_files(const char *s)
{
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strstr(de->d_name, s) != NULL)
			n++;
	closedir(d);
	return n;
}

static void
test_names(void)
{
	static const struct {
		const char	*name;
		int		 ex;
		const char	*src, *db, *text;
	} t[] = {
		{ "hash:/p/x", EX_OK, "/p/x", "/p/x.tdb", NULL },
		{ "tdb:/p/x", EX_OK, "/p/x", "/p/x.tdb", NULL },
		{ "/p/x", EX_OK, "/p/x", "/p/x.tdb", NULL },
		{ "aliases", EX_OK, "aliases", "aliases.tdb", NULL },
		{ "hash:rel/a:b", EX_OK, "rel/a:b", "rel/a:b.tdb", NULL },
		{ "./a:b", EX_OK, "./a:b", "./a:b.tdb", NULL },
		{ "lmdb:/p/x", EX_CONFIG, NULL, NULL,
		  "type lmdb: not supported; mailpath builds tdb tables "
		  "(hash: and tdb:)" },
		{ "btree:/p/x", EX_CONFIG, NULL, NULL,
		  "type btree: not supported; mailpath builds tdb tables "
		  "(hash: and tdb:)" },
		{ "cdb:/p/x", EX_CONFIG, NULL, NULL, "type cdb: not supported" },
		{ "texthash:/p/x", EX_CONFIG, NULL, NULL,
		  "type texthash: not supported" },
		{ "hash:", EX_CONFIG, NULL, NULL, "no file name" },
	};
	char		src[64], db[64];
	struct mail_err	e;
	size_t		i;
	int		ex;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		ex = map_names(t[i].name, src, sizeof src, db, sizeof db, &e);
		if (!is_int(ex, t[i].ex, t[i].name))
			continue;
		if (ex == EX_OK) {
			is_str(src, t[i].src, "  source file");
			is_str(db, t[i].db, "  tdb file");
		} else if (!ok(strstr(e.text, t[i].text) != NULL,
		    "  error text for %s", t[i].name))
			diag("got \"%s\", want it to contain \"%s\"", e.text,
			    t[i].text);
	}
	ex = map_names("hash:/a/very/long/name/indeed", src, 16, db, sizeof db,
	    &e);
	is_int(ex, EX_CONFIG, "a name longer than the buffer is EX_CONFIG");
	ex = map_names("hash:/p/0123456789", src, sizeof src, db, 16, &e);
	is_int(ex, EX_CONFIG, "so is a tdb name that does not fit");
}

static const struct kv gen1[] = {
	{ "root", "walter" },
	{ "postmaster", "root" },
	{ "user@example.com", "smtp:[relay]:25" },
	{ "empty", "" },
	{ "sp ace", "a value with spaces" },
	{ NULL, NULL }
};

static void
test_build_get(void)
{
	static const struct {
		const char	*key, *want;
	} q[] = {
		{ "root", "walter" },
		{ "postmaster", "root" },
		{ "user@example.com", "smtp:[relay]:25" },
		{ "empty", "" },
		{ "sp ace", "a value with spaces" },
		{ "ROOT", "(none)" },
		{ "nobody", "(none)" },
		{ "roo", "(none)" },
		{ "", "(none)" },
	};
	struct mail_err	 e;
	struct map	*m;
	size_t		 i;
	int		 ex;

	ex = build(path("t1"), gen1, 0, &e);
	if (!is_int(ex, EX_OK, "build a table"))
		diag("%s", e.text);
	ok(access(path("t1.tdb"), F_OK) == 0, "it is named source.tdb");
	is_int(count_files(".tmp."), 0, "no temporary file is left");
	ex = map_open(&m, path("t1"), 0, &e);
	if (!is_int(ex, EX_OK, "open it"))
		diag("%s", e.text);
	if (ex != EX_OK)
		return;
	for (i = 0; i < sizeof q / sizeof q[0]; i++)
		is_str(get(m, q[i].key), q[i].want, q[i].key);
	is_int(map_count(m), 5, "map_count");
	is_str(map_path(m), path("t1.tdb"), "map_path");
	is_str(map_source(m), path("t1"), "map_source");
	map_close(m);
}

/* hash_size - the hash size a built table got */
static int
hash_size(const char *db)
{
	struct tdb_context	*t;
	int			 n;

	if ((t = tdb_open(db, 0, 0, O_RDONLY, 0)) == NULL)
		return -1;
	n = tdb_hash_size(t);
	tdb_close(t);
	return n;
}

static void
test_hash_size(void)
{
	static const struct {
		size_t	n;
		int	flags, want;
	} t[] = {
		{ 0, 0, 131 },
		{ 5, 0, 131 },
		{ 65, 0, 131 },
		{ 66, 0, 137 },
		{ 500, 0, 1009 },
		{ 1000, 0, 2003 },
		{ 1009, 0, 2027 },
		{ 100000, 0, 200003 },
		{ 0, MAP_B_COPY, 2003 },	/* copies the 1000 below */
		{ 10, MAP_B_COPY, 2027 },	/* 2 * 1010 = 2020 */
	};
	struct map_build	*b;
	struct mail_err		 e;
	char			 k[32];
	size_t			 i;
	int			 j;

	/* a 1000-entry table for the MAP_B_COPY rows */
	if (map_build_begin(&b, path("h"), 1000, 0, 0644, &e) != EX_OK)
		return (void)ok(0, "begin: %s", e.text);
	for (j = 0; j < 1000; j++) {
		snprintf(k, sizeof k, "k%d", j);
		map_build_put(b, k, strlen(k), "v", 1, MAP_PUT_FIRST, &e);
	}
	if (map_build_commit(b, &e) != EX_OK)
		return (void)ok(0, "commit: %s", e.text);
	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		if (map_build_begin(&b, path(t[i].flags ? "h" : "hs"), t[i].n,
		    t[i].flags, 0644, &e) != EX_OK) {
			ok(0, "begin: %s", e.text);
			continue;
		}
		map_build_commit(b, &e);
		if (!is_int(hash_size(path(t[i].flags ? "h.tdb" : "hs.tdb")),
		    t[i].want, "hash size: a prime >= max(2n, 131)"))
			diag("n %zu, flags %#x", t[i].n, t[i].flags);
	}
}

static void
test_duplicates(void)
{
	static const struct {
		int		 how;
		const char	*want;
	} t[] = {
		{ MAP_PUT_FIRST, "one" },
		{ MAP_PUT_REPLACE, "two" },
	};
	struct map_build	*b;
	struct mail_err		 e;
	struct buf		 v = BUF_INIT(100);
	size_t			 i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		if (map_build_begin(&b, path("dup"), 3, 0, 0644, &e) != EX_OK) {
			ok(0, "begin: %s", e.text);
			continue;
		}
		is_int(map_build_put(b, "k", 1, "one", 3, t[i].how, &e), 0,
		    "a new key returns 0");
		is_int(map_build_put(b, "k", 1, "two", 3, t[i].how, &e), 1,
		    "a duplicate returns 1");
		is_int(map_build_get(b, "k", 1, &v, &e), 1,
		    "map_build_get finds it");
		is_str(buf_str(&v), t[i].want, t[i].how == MAP_PUT_FIRST ?
		    "MAP_PUT_FIRST keeps the first value" :
		    "MAP_PUT_REPLACE keeps the last value");
		is_int(map_build_get(b, "x", 1, &v, &e), 0,
		    "map_build_get of a missing key is 0");
		is_int(map_build_commit(b, &e), EX_OK, "commit");
		is_str(openget(path("dup"), 0, "k"), t[i].want,
		    "the committed table has it too");
	}
	buf_free(&v);
}

/* walk callback: count entries and those whose key ends in NUL */
static int
walk_nul(const char *k, size_t kl, const char *v, size_t vl, void *arg)
{
	int	*n = arg;

	n[0]++;
	if (kl > 0 && k[kl - 1] == '\0')
		n[1]++;
	if (vl > 0 && v[vl - 1] == '\0')
		n[2]++;
	return 0;
}

static void
test_nul(void)
{
	static const struct kv one[] = { { "key", "value" }, { NULL, NULL } };
	static const struct {
		int		 build, read;
		const char	*want;
		int		 nulkeys;
	} t[] = {
		{ MAP_NUL, 0, "value", 1 },
		{ MAP_NUL, MAP_NUL, "value", 1 },
		{ MAP_NUL, MAP_NONUL, "(none)", 1 },
		{ 0, 0, "value", 0 },
		{ 0, MAP_NONUL, "value", 0 },
		{ 0, MAP_NUL, "(none)", 0 },
		{ MAP_NONUL, 0, "value", 0 },
	};
	struct mail_err	 e;
	struct map	*m;
	size_t		 i;
	int		 n[3];

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		if (build(path("nul"), one, t[i].build, &e) != EX_OK) {
			ok(0, "build: %s", e.text);
			continue;
		}
		if (!is_str(openget(path("nul"), t[i].read, "key"), t[i].want,
		    "NUL conventions"))
			diag("built with %#x, read with %#x", t[i].build,
			    t[i].read);
		if (map_open(&m, path("nul"), 0, &e) != EX_OK)
			continue;
		memset(n, 0, sizeof n);
		map_walk(m, walk_nul, n, &e);
		map_close(m);
		is_int(n[1], t[i].nulkeys, "  keys stored with a NUL (walk)");
		is_int(n[2], t[i].nulkeys, "  and values likewise");
	}
}

static void
test_fold(void)
{
	static const struct kv kv[] = { { "root", "walter" }, { NULL, NULL } };
	static const struct {
		int		 flags;
		const char	*key, *want;
	} t[] = {
		{ MAP_FOLD, "ROOT", "walter" },
		{ MAP_FOLD, "Root", "walter" },
		{ MAP_FOLD, "root", "walter" },
		{ 0, "ROOT", "(none)" },
		{ MAP_FOLD | MAP_NUL, "ROOT", "(none)" },
	};
	struct mail_err	e;
	size_t		i;

	if (build(path("fold"), kv, 0, &e) != EX_OK)
		return (void)ok(0, "build: %s", e.text);
	for (i = 0; i < sizeof t / sizeof t[0]; i++)
		if (!is_str(openget(path("fold"), t[i].flags, t[i].key),
		    t[i].want, "MAP_FOLD"))
			diag("key %s flags %#x", t[i].key, t[i].flags);
	/* a build with MAP_FOLD folds what it stores */
	{
		static const struct kv up[] = { { "MiXed", "x" },
		    { NULL, NULL } };

		build(path("fold"), up, MAP_FOLD, &e);
		is_str(openget(path("fold"), 0, "mixed"), "x",
		    "a MAP_FOLD build stores lower case");
	}
}

static void
test_delete_copy(void)
{
	struct map_build	*b;
	struct mail_err		 e;
	struct buf		 v = BUF_INIT(100);
	struct map		*m;

	if (build(path("cp"), gen1, 0, &e) != EX_OK)
		return (void)ok(0, "build: %s", e.text);
	if (map_build_begin(&b, path("cp"), 1, MAP_B_COPY, 0644, &e) !=
	    EX_OK)
		return (void)ok(0, "begin copy: %s", e.text);
	is_int(map_build_get(b, "root", 4, &v, &e), 1,
	    "MAP_B_COPY starts with the old entries");
	is_str(buf_str(&v), "walter", "  with their values");
	is_int(map_build_del(b, "root", 4, &e), 1, "delete a key: 1");
	is_int(map_build_del(b, "root", 4, &e), 0, "delete it again: 0");
	is_int(map_build_del(b, "nosuch", 6, &e), 0, "delete a missing key");
	is_int(map_build_put(b, "new", 3, "n", 1, MAP_PUT_FIRST, &e), 0,
	    "add a key");
	is_int(map_build_put(b, "postmaster", 10, "p2", 2, MAP_PUT_FIRST, &e),
	    1, "a copied key counts as a duplicate");
	is_str(openget(path("cp"), 0, "root"), "walter",
	    "the old table is untouched before commit");
	is_int(map_build_commit(b, &e), EX_OK, "commit");
	if (map_open(&m, path("cp"), 0, &e) != EX_OK)
		return (void)ok(0, "open: %s", e.text);
	is_str(get(m, "root"), "(none)", "deleted key is gone");
	is_str(get(m, "new"), "n", "added key is there");
	is_str(get(m, "postmaster"), "root", "copied key kept its value");
	is_int(map_count(m), 5, "count after copy, delete, add");
	map_close(m);

	/* -N tables stay -N when extended */
	{
		static const struct kv one[] = { { "a", "1" },
		    { NULL, NULL } };

		build(path("cpn"), one, MAP_NUL, &e);
		if (map_build_begin(&b, path("cpn"), 1, MAP_B_COPY, 0644,
		    &e) != EX_OK)
			return (void)ok(0, "begin: %s", e.text);
		map_build_put(b, "b", 1, "2", 1, MAP_PUT_FIRST, &e);
		is_int(map_build_del(b, "a", 1, &e), 1,
		    "delete finds a NUL-terminated key");
		map_build_commit(b, &e);
		is_str(openget(path("cpn"), MAP_NUL, "b"), "2",
		    "a key added to a NUL table gets a NUL too");
		is_str(openget(path("cpn"), 0, "a"), "(none)",
		    "  and the deleted one is gone");
	}
	/* MAP_B_COPY of a table that does not exist yet starts empty */
	if (map_build_begin(&b, path("cpnew"), 1, MAP_B_COPY, 0644, &e) !=
	    EX_OK)
		return (void)ok(0, "begin: %s", e.text);
	map_build_put(b, "k", 1, "v", 1, MAP_PUT_FIRST, &e);
	is_int(map_build_commit(b, &e), EX_OK,
	    "MAP_B_COPY creates a missing table");
	is_str(openget(path("cpnew"), 0, "k"), "v", "  with the new key");
	buf_free(&v);
}

/*
 * A reader learns the table's key convention from its first hit, and
 * learns it again when the file is rebuilt the other way.
 */
static void
test_learn_nul(void)
{
	static const struct kv	kv[] = { { "a", "1" }, { "b", "2" },
				    { NULL, NULL } };
	static const struct kv	one[] = { { "a", "1" }, { NULL, NULL } };
	struct map	*m;
	struct mail_err	 e;
	struct buf	 v = BUF_INIT(100);

	if (build(path("learn"), one, MAP_NUL, &e) != EX_OK)
		return (void)ok(0, "build: %s", e.text);
	if (map_open(&m, path("learn"), 0, &e) != EX_OK)
		return (void)ok(0, "open: %s", e.text);
	is_int(map_get(m, "a", 1, &v, &e), 1, "a key stored with NUL is found");
	is_str(buf_str(&v), "1", "  its value without the NUL");
	is_int(map_get(m, "b", 1, &v, &e), 0, "a miss after learning");
	/* Rebuilt without NULs, with b: the reader must not stay on NUL. */
	if (build(path("learn"), kv, MAP_NONUL, &e) != EX_OK)
		return (void)ok(0, "rebuild: %s", e.text);
	is_int(map_get(m, "b", 1, &v, &e), 1,
	    "after a rebuild the other way, keys are found again");
	is_str(buf_str(&v), "2", "  with their value");
	is_int(map_get(m, "a", 1, &v, &e), 1, "  and the old key too");
	map_close(m);
	buf_free(&v);
}

static char	warned[1024];
static int	nwarned;

static void
warn_hook(int pri, const char *line)
{
	(void)pri;
	snprintf(warned, sizeof warned, "%s", line);
	nwarned++;
}

static void
test_stale(void)
{
	static const struct kv kv[] = { { "a", "1" }, { NULL, NULL } };
	static const struct {
		long	src_s, src_ns, db_s, db_ns;
		int	want;
	} t[] = {
		{ 1000, 0, 2000, 0, 0 },
		{ 2000, 0, 1000, 0, 1 },
		{ 1000, 500, 1000, 500, 0 },
		{ 1000, 500, 1000, 499, 1 },	/* nanoseconds count */
		{ 1000, 499, 1000, 500, 0 },
	};
	struct timespec	ts[2];
	struct mail_err	e;
	FILE		*fp;
	size_t		i;
	int		rc;

	if ((fp = fopen(path("st"), "w")) == NULL)
		return (void)ok(0, "create source");
	fputs("a 1\n", fp);
	fclose(fp);
	rc = map_stale(path("st"), &e);
	is_int(rc, -EX_NOINPUT, "no table yet: -EX_NOINPUT");
	ok(strstr(e.text, "postmap") != NULL, "  the reason says to run "
	    "postmap: %s", e.text);
	build(path("st"), kv, 0, &e);
	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		ts[0].tv_sec = ts[1].tv_sec = t[i].src_s;
		ts[0].tv_nsec = ts[1].tv_nsec = t[i].src_ns;
		utimensat(AT_FDCWD, path("st"), ts, 0);
		ts[0].tv_sec = ts[1].tv_sec = t[i].db_s;
		ts[0].tv_nsec = ts[1].tv_nsec = t[i].db_ns;
		utimensat(AT_FDCWD, path("st.tdb"), ts, 0);
		rc = map_stale(path("st"), &e);
		if (!is_int(rc, t[i].want, "map_stale compares mtimes"))
			diag("source %ld.%09ld, table %ld.%09ld", t[i].src_s,
			    t[i].src_ns, t[i].db_s, t[i].db_ns);
		if (rc == 1)
			ok(strstr(e.text, "older than its source") != NULL,
			    "  the reason: %s", e.text);
	}
	is_int(map_stale("lmdb:/x", &e), -EX_CONFIG,
	    "an unsupported type: -EX_CONFIG");

	/*
	 * A table carries its source's time from when the build began, so
	 * an edit after the build is seen even within one tick of the
	 * file system's clock.
	 */
	{
		struct stat	ss, ds;

		ts[0].tv_sec = ts[1].tv_sec = 5000;
		ts[0].tv_nsec = ts[1].tv_nsec = 123;
		utimensat(AT_FDCWD, path("st"), ts, 0);
		build(path("st"), kv, 0, &e);
		stat(path("st"), &ss);
		stat(path("st.tdb"), &ds);
		is_int(ds.st_mtim.tv_sec * 1000000000LL + ds.st_mtim.tv_nsec,
		    5000 * 1000000000LL + 123,
		    "a new table has its source's mtime");
		is_int(map_stale(path("st"), &e), 0, "  and is fresh");
		ts[0].tv_nsec = ts[1].tv_nsec = 124;
		utimensat(AT_FDCWD, path("st"), ts, 0);
		is_int(map_stale(path("st"), &e), 1,
		    "an edit 1 ns after the build makes it stale");
	}

	/* Readers are told, once, as Postfix tells them. */
	{
		struct map	*m1, *m2;

		warned[0] = '\0';
		nwarned = 0;
		log_set_hook(warn_hook);
		if (map_open(&m1, path("st"), 0, &e) != EX_OK)
			return (void)ok(0, "open stale: %s", e.text);
		ok(strstr(warned, "older than its source") != NULL,
		    "opening a stale table warns: %s", warned);
		if (map_open(&m2, path("st"), 0, &e) == EX_OK)
			map_close(m2);
		is_int(nwarned, 1, "  once per process");
		map_close(m1);
		if (map_open(&m1, path("st"), 0, &e) == EX_OK)
			map_close(m1);
		is_int(nwarned, 1, "  even when closed and opened again");
		log_set_hook(NULL);
	}
}

static void
test_errors(void)
{
	struct map_build	*b;
	struct mail_err		 e;
	struct map		*m;
	int			 ex;

	ex = map_open(&m, path("missing"), 0, &e);
	is_int(ex, EX_NOINPUT, "a missing table is EX_NOINPUT");
	is_str(e.enh, "4.3.0", "  with 4.3.0: the mail waits");
	ok(strstr(e.text, "postmap") && strstr(e.text, "newaliases") &&
	    strstr(e.text, "missing.tdb"), "  the reason names the file and "
	    "what to run: %s", e.text);
	ok(m == NULL, "  and no handle");
	ex = map_open(&m, "lmdb:/etc/postfix/x", 0, &e);
	is_int(ex, EX_CONFIG, "an unsupported type is EX_CONFIG");
	is_str(e.text, "type lmdb: not supported; mailpath builds tdb tables "
	    "(hash: and tdb:)", "  and says so");

	/* a file that is not a tdb */
	{
		FILE	*fp = fopen(path("junk.tdb"), "w");

		if (fp != NULL) {
			fputs("this is not a tdb file\n", fp);
			fclose(fp);
		}
		ex = map_open(&m, path("junk"), 0, &e);
		is_int(ex, EX_TEMPFAIL, "a file that is not a tdb: "
		    "EX_TEMPFAIL");
	}
	ex = map_build_begin(&b, path("nodir/x"), 1, 0, 0644, &e);
	ok(ex != EX_OK, "a build in a missing directory fails: %s", e.text);

	/* a value over the maximum is refused, the build goes on */
	if (map_build_begin(&b, path("big"), 1, 0, 0644, &e) == EX_OK) {
		static char	huge[MAP_VALUE_MAX + 1];

		is_int(map_build_put(b, "k", 1, huge, sizeof huge,
		    MAP_PUT_FIRST, &e), -1, "a value over MAP_VALUE_MAX: -1");
		is_int(e.ex, EX_DATAERR, "  EX_DATAERR");
		is_int(map_build_put(b, "k", 1, huge, MAP_VALUE_MAX,
		    MAP_PUT_FIRST, &e), 0, "MAP_VALUE_MAX itself fits");
		map_build_abort(b);
	}
}

static unsigned long long
fixed_random(void)
{
	return 0x1234abcdULL;
}

static void
test_tmpfile(void)
{
	static const struct kv one[] = { { "k", "old" }, { NULL, NULL } };
	struct map_build	*b;
	struct mail_err		 e;
	struct stat		 st;
	char			 tmp[PATH_MAX], buf[64];
	FILE			*fp;
	int			 ex, fd;
	ssize_t			 n;

	build(path("k02"), one, 0, &e);
	/* the canary an attacker wants overwritten */
	if ((fp = fopen(path("canary"), "w")) == NULL)
		return (void)ok(0, "canary");
	fputs("canary\n", fp);
	fclose(fp);
	snprintf(tmp, sizeof tmp, "%s.tmp.%ld.%016llx", path("k02.tdb"),
	    (long)getpid(), fixed_random());
	map_tmp_random = fixed_random;

	/* the name is what the header says, and the build uses it */
	ex = map_build_begin(&b, path("k02"), 1, 0, 0600, &e);
	is_int(ex, EX_OK, "begin with a known temporary name");
	ok(lstat(tmp, &st) == 0 && S_ISREG(st.st_mode),
	    "the temporary file is <db>.tmp.<pid>.<random>");
	ok((st.st_mode & 0777) == 0600, "  created with the mode asked for "
	    "(got %o)", (unsigned)(st.st_mode & 0777));
	map_build_put(b, "k", 1, "new", 3, MAP_PUT_FIRST, &e);
	map_build_abort(b);
	ok(lstat(tmp, &st) == -1 && errno == ENOENT,
	    "abort removes the temporary file");
	is_str(openget(path("k02"), 0, "k"), "old",
	    "abort leaves the old table as it was");

	/* K-02: a planted symlink at the temporary name */
	if (symlink(path("canary"), tmp) == -1)
		return (void)ok(0, "symlink: %s", strerror(errno));
	ex = map_build_begin(&b, path("k02"), 1, 0, 0644, &e);
	is_int(ex, EX_CANTCREAT, "K-02: a symlink at the temporary name: "
	    "EX_CANTCREAT");
	ok(strstr(e.text, "exists") != NULL, "  the reason: %s", e.text);
	fd = open(path("canary"), O_RDONLY);
	n = fd == -1 ? -1 : read(fd, buf, sizeof buf - 1);
	if (fd != -1)
		close(fd);
	buf[n < 0 ? 0 : n] = '\0';
	is_str(buf, "canary\n", "  the canary is unchanged");
	ok(lstat(tmp, &st) == 0 && S_ISLNK(st.st_mode),
	    "  the symlink is left alone");
	unlink(tmp);

	/* a dangling symlink: O_EXCL must not create its target */
	if (symlink(path("created-through-link"), tmp) == -1)
		return (void)ok(0, "symlink: %s", strerror(errno));
	ex = map_build_begin(&b, path("k02"), 1, 0, 0644, &e);
	is_int(ex, EX_CANTCREAT, "a dangling symlink: EX_CANTCREAT");
	ok(access(path("created-through-link"), F_OK) == -1,
	    "  and nothing was created through it");
	unlink(tmp);
	is_str(openget(path("k02"), 0, "k"), "old",
	    "the old table survives both attempts");
	map_tmp_random = NULL;
	is_int(count_files(".tmp."), 0, "no temporary files are left");
}

static void
test_generations(void)
{
	static const struct kv g2[] = {
		{ "root", "walter2" }, { "postmaster", "root" },
		{ "gen2only", "x" }, { NULL, NULL }
	};
	static const struct kv g3[] = {
		{ "root", "walter3" }, { "postmaster", "root" },
		{ NULL, NULL }
	};
	struct mail_err	 e;
	struct map	*m, *m2;
	pid_t		 pid;
	int		 status;

	if (build(path("gen"), gen1, 0, &e) != EX_OK)
		return (void)ok(0, "build: %s", e.text);
	if (map_open(&m, path("gen"), 0, &e) != EX_OK)
		return (void)ok(0, "open: %s", e.text);
	is_str(get(m, "root"), "walter", "generation 1");

	/* a second open of the same file shares the handle (tdb: EBUSY) */
	is_int(map_open(&m2, path("gen"), MAP_FOLD, &e), EX_OK,
	    "a second map_open of the same table works");
	is_str(get(m2, "ROOT"), "walter", "  with its own flags");
	ok(strcmp(map_path(m), map_path(m2)) == 0, "  same file");

	/* a rebuild in this process is seen at once */
	build(path("gen"), g2, 0, &e);
	is_str(get(m, "root"), "walter2", "a rebuild here is seen at once");
	is_str(get(m2, "gen2only"), "x", "  by both handles");
	map_close(m2);
	is_str(get(m, "root"), "walter2", "closing one keeps the other");

	/* a rebuild by another process: seen after at most a second */
	fflush(stdout);
	if ((pid = fork()) == 0)
		_exit(build(path("gen"), g3, 0, &e));
	waitpid(pid, &status, 0);
	is_int(WIFEXITED(status) ? WEXITSTATUS(status) : -1, EX_OK,
	    "another process rebuilds the table");
	is_str(get(m, "gen2only"), "x", "  the old snapshot serves until "
	    "the next check");
	sleep(1);
	usleep(100000);
	is_str(get(m, "root"), "walter3", "  after a second: generation 3");
	is_str(get(m, "gen2only"), "(none)", "  all of it");
	map_close(m);

	/* after the last close the file may be opened afresh */
	is_str(openget(path("gen"), 0, "root"), "walter3",
	    "open again after closing");
}

static void
rmtree(void)
{
	DIR		*d;
	struct dirent	*de;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			unlink(path(de->d_name));
	closedir(d);
	rmdir(dir);
}

int
main(void)
{
	const char	*t = getenv("TMPDIR");

	snprintf(dir, sizeof dir, "%s/mapXXXXXX", t && *t ? t : "/tmp");
	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp %s: %s", dir, strerror(errno));
		return tap_done();
	}
	test_names();
	test_build_get();
	test_hash_size();
	test_duplicates();
	test_nul();
	test_fold();
	test_delete_copy();
	test_stale();
	test_learn_nul();
	test_errors();
	test_tmpfile();
	test_generations();
	rmtree();
	return tap_done();
}
