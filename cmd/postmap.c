/* SPDX-License-Identifier: ISC */
/*
 * postmap - compile "key value" text files into tdb tables, and query,
 * dump, update or check them; Postfix's postmap(1), with sysexits codes.
 *
 * The work is libmail's: the source syntax is table.c's, building and
 * deleting tbuild.c's, the tables map.c's.  A table is always built whole
 * into a temporary file and renamed over the old one, so a failed build (a
 * syntax error, a full disk) leaves the old table as it was.  Run as root
 * on a source file that another user owns, postmap works with that user's
 * uid and gid (as Postfix does), so a directory that user can write cannot
 * be used to clobber root's files.
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
#include "io.h"
#include "lline.h"
#include "log.h"
#include "map.h"
#include "table.h"

#define EXIT_NOTFOUND	1		/* -q, -d: nothing found; --check: stale */
#define IOBUF		(1 << 20)	/* stdio buffers */
#define KEYS_MAX	(64 << 20)	/* keys of "-d -" held at once */

enum mode { BUILD, QUERY, DUMP, DELETE, INCR, CHECK };

static struct {
	enum mode	 mode;
	int		 fold;		/* TABLE_FOLD unless -f */
	int		 tflags;	/* TABLE_REPLACE (-r), TABLE_NODUPWARN (-w) */
	int		 mapflags;	/* MAP_NUL (-N), MAP_NONUL (-n) */
	int		 json;		/* -j */
	const char	*key;		/* -q KEY, -d KEY */
} opt = { BUILD, TABLE_FOLD, 0, 0, 0, NULL };

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

static void __attribute__((noreturn, format(printf, 2, 3)))
fatal(int ex, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vmsg(LOG_ERR, "fatal", fmt, ap);
	va_end(ap);
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

/* build - compile one table from its source file */
static void
build(const char *name)
{
	struct mail_err	e;
	char		src[PATH_MAX], db[PATH_MAX];
	unsigned long	n;

	if (map_names(name, src, sizeof src, db, sizeof db, &e) != EX_OK ||
	    table_build(name, opt.fold | opt.tflags, opt.mapflags, &n, &e) !=
	    EX_OK)
		fatal_err(&e);
	log_debug("%s: %lu entries", db, n);
}

/* incremental - -i: entries from stdin added to one table */
static void
incremental(const char *name)
{
	struct mail_err	e;
	unsigned long	n;

	if (setvbuf(stdin, NULL, _IOFBF, IOBUF) != 0)
		fatal(EX_OSERR, "stdin: %s", strerror(errno));
	__fsetlocking(stdin, FSETLOCKING_BYCALLER);
	if (table_add(name, stdin, "stdin", opt.fold | opt.tflags,
	    opt.mapflags, &n, &e) != EX_OK)
		fatal_err(&e);
	log_debug("%s: %lu entries added or kept", name, n);
}

/*
 * Standard input for "-q -" and "-d -".  stdout is flushed before every
 * read that may block, so a program that writes a key and waits for the
 * answer gets it, while a bulk run still writes in large blocks.
 */
static void
before_read(void *arg)
{
	(void)arg;
	flush_out();
}

static void
in_init(struct io_lines *in)
{
	struct mail_err	e;

	if (io_lines_init(in, STDIN_FILENO, "stdin", LLINE_MAX, before_read,
	    NULL, &e) != EX_OK)
		fatal_err(&e);
}

/* in_line - the next line of stdin; NULL at the end */
static char *
in_line(struct io_lines *in, size_t *len)
{
	struct mail_err	 e;
	char		*line;

	if ((line = io_lines_next(in, len, &e)) == NULL && e.ex != EX_OK)
		fatal_err(&e);
	return line;
}

/* stdin_key - parse a stdin line as a key; 0 to skip it */
static int
stdin_key(struct io_lines *in, const char *line, size_t len, size_t *klen)
{
	struct mail_err	e;

	if (*line == '\0')
		return 0;
	if (memchr(line, '\0', len) != NULL) {
		log_warn("stdin:%lu: NUL byte in key, skipped", in->line);
		return 0;
	}
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
	struct io_lines	  in;
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
			if (!stdin_key(&in, line, len, &klen))
				continue;
			if (lookup(m, n, keybuf, klen)) {
				found = 1;
				emit(0, line, len, val.s, val.len);
			}
		}
		io_lines_free(&in);
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
	struct mail_err	 e;
	struct buf	 keys = BUF_INIT(KEYS_MAX);
	struct io_lines	 in;
	const char	*line;
	size_t		 klen, len, nk = 0, found = 0, here;
	int		 t;

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
			if (!stdin_key(&in, line, len, &klen))
				continue;
			if (buf_add(&keys, keybuf, klen + 1) == -1)
				fatal(EX_DATAERR, "stdin:%lu: more than %d "
				    "bytes of keys", in.line, KEYS_MAX);
			nk++;
		}
		io_lines_free(&in);
	}
	for (t = 0; t < n; t++) {
		if (table_delete(names[t], keys.s, nk, opt.mapflags, &here,
		    &e) != EX_OK)
			fatal_err(&e);
		log_debug("%s: %zu entries deleted", names[t], here);
		found += here;
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
	io_stdfds();
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
			opt.tflags |= TABLE_REPLACE;
			break;
		case 's':
			set_mode(DUMP);
			break;
		case 'v':
			log_set_verbose(log_verbose() + 1);
			break;
		case 'w':
			opt.tflags |= TABLE_NODUPWARN;
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
