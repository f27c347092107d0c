/* SPDX-License-Identifier: ISC */
/*
 * queue - one durable file per message (the format is in queue.h).
 *
 * Durability: a file is written whole into tmp/, fsync()ed, locked, then
 * link()ed (a new message: an existing name is never overwritten) or
 * rename()d (a state update) into queue/, and queue/ is fsync()ed.  Only
 * then does the caller hear EX_OK.  Queue ids are Postfix's short ids: the
 * microseconds of the clock and the inode of the file, in hex, which no
 * other file in the queue can have at the same time.
 *
 * Trusts nothing in a queue file: a length and an FNV-1a checksum cover
 * everything after the first line, every record is checked, and a file
 * that fails is moved to corrupt/ (a file in the queue is ours, so a bad
 * one means a disk or a person broke it; guessing could deliver garbage).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "queue.h"
#include "str.h"

#ifndef PATH_MAX
#define PATH_MAX	4096
#endif

#define MAGIC		"MAILPATHQ1 "
#define FILE_MAX	((size_t)1 << 31)	/* a queue file, at most */

/* fnv - FNV-1a, 64 bits */
static unsigned long long
fnv(const char *p, size_t n)
{
	unsigned long long h = 14695981039346656037ULL;

	while (n-- > 0) {
		h ^= (unsigned char)*p++;
		h *= 1099511628211ULL;
	}
	return h;
}

/* queue_path - dir/sub/name into out; 0, or -1 when it does not fit */
int
queue_path(char *out, size_t size, const char *dir, const char *sub,
    const char *name)
{
	int	n;

	n = snprintf(out, size, "%s/%s%s%s", dir, sub, *name ? "/" : "",
	    name);
	return (n < 0 || (size_t)n >= size) ? -1 : 0;
}

/* queue_live - true when the recipient still waits (pending, deferred) */
int
queue_live(const struct queue_rcpt *r)
{
	return r->state == QUEUE_PENDING || r->state == QUEUE_DEFERRED;
}

static int
syncdir(const char *path)
{
	int	fd, r;

	if ((fd = open(path, O_RDONLY | O_DIRECTORY)) == -1)
		return -1;
	r = fsync(fd);
	close(fd);
	return r;
}

/*
 * queue_init - create the directory and its subdirectories.  What it
 * made is fsync()ed into its parent before anyone is told "queued": a
 * name is durable only once its directory is synced (t/0685 found the
 * queue's first message lost at every crash point without this).
 */
int
queue_init(const char *dir, struct mail_err *e)
{
	static const char *const subs[] = { "", "tmp", "queue", "corrupt" };
	char	path[PATH_MAX], *slash;
	size_t	i;
	int	made = 0, top = 0;

	for (i = 0; i < sizeof subs / sizeof subs[0]; i++) {
		if (queue_path(path, sizeof path, dir, subs[i], "") == -1)
			return mail_err_set(e, EX_CONFIG, "4.3.5",
			    "queue_directory: name too long");
		if (mkdir(path, 0700) == 0) {
			made = 1;
			top |= i == 0;
		} else if (errno != EEXIST)
			return mail_err_errno(e, errno, "mkdir %s", path);
	}
	if (!made)
		return EX_OK;
	if (queue_path(path, sizeof path, dir, "", "") == -1 ||
	    syncdir(path) == -1)
		return mail_err_errno(e, errno, "fsync %s", dir);
	/* The queue directory's own name, in its parent. */
	if (top && str_copy(path, sizeof path, dir) == 0) {
		while ((slash = strrchr(path, '/')) != NULL && slash[1] == '\0')
			*slash = '\0';
		if ((slash = strrchr(path, '/')) != NULL) {
			if (slash == path)
				slash[1] = '\0';	/* the root */
			else
				*slash = '\0';
			if (syncdir(path) == -1)
				return mail_err_errno(e, errno, "fsync %s",
				    path);
		} else if (syncdir(".") == -1)
			return mail_err_errno(e, errno, "fsync .");
	}
	return EX_OK;
}

/* clean - one line of text: control bytes (tabs, newlines) become spaces */
static void
clean(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++)
		(void)buf_addc(b, (unsigned char)*s < 32 || *s == 127 ?
		    ' ' : *s);
}

/* token - one word of a record: "-" for none, else no blank, no control */
static void
token(struct buf *b, const char *s)
{
	if (s == NULL || *s == '\0') {
		(void)buf_addc(b, '-');
		return;
	}
	for (; *s != '\0'; s++)
		(void)buf_addc(b, (unsigned char)*s <= 32 || *s == 127 ?
		    '?' : *s);
}

/* notify_letters - NOTIFY bits as letters (N, S, F, D), "-" for none */
static void
notify_letters(struct buf *b, int v)
{
	static const char	l[] = "NSFD";
	int			i;

	if (v == 0)
		(void)buf_addc(b, '-');
	for (i = 0; i < 4; i++)
		if (v & (1 << i))
			(void)buf_addc(b, l[i]);
}

/* format - the whole file for m with message bytes body/size */
static int
format(struct buf *out, const struct queue_msg *m, const char *body,
    size_t size)
{
	struct buf	rest = BUF_INIT(FILE_MAX);
	size_t		i;
	int		r = -1;

	(void)buf_printf(&rest, "I %s\nT %lld\nS ", m->id, m->arrival);
	clean(&rest, m->sender);
	(void)buf_addc(&rest, '\n');
	if (m->warned > 0)
		(void)buf_printf(&rest, "W %lld\n", m->warned);
	if (m->ret != 0 || m->envid != NULL) {
		(void)buf_printf(&rest, "E %c ", m->ret == QUEUE_RET_FULL ?
		    'F' : m->ret == QUEUE_RET_HDRS ? 'H' : '-');
		token(&rest, m->envid);
		(void)buf_addc(&rest, '\n');
	}
	for (i = 0; i < m->nrcpt; i++) {
		(void)buf_printf(&rest, "R %c %lld %s ", m->rcpt[i].state,
		    m->rcpt[i].next, m->rcpt[i].dsn[0] ? m->rcpt[i].dsn : "-");
		clean(&rest, m->rcpt[i].addr);
		(void)buf_addc(&rest, '\t');
		clean(&rest, m->rcpt[i].reason ? m->rcpt[i].reason : "");
		(void)buf_addc(&rest, '\n');
		if (m->rcpt[i].notify != 0 || m->rcpt[i].orcpt != NULL) {
			(void)buf_adds(&rest, "N ");
			notify_letters(&rest, m->rcpt[i].notify);
			(void)buf_addc(&rest, ' ');
			token(&rest, m->rcpt[i].orcpt);
			(void)buf_addc(&rest, '\n');
		}
	}
	(void)buf_adds(&rest, "B\n");
	/* Each add above fails alone; one check of the last catches all. */
	if (buf_add(&rest, body, size) == -1 || rest.len < size + 2)
		goto out;
	buf_reset(out);
	if (buf_printf(out, MAGIC "%016llx %zu\n", fnv(rest.s, rest.len),
	    rest.len) == -1 || buf_add(out, rest.s, rest.len) == -1)
		goto out;
	r = 0;
out:
	buf_free(&rest);
	return r;
}

/* writeall - all of p to fd; 0 or -1 */
static int
writeall(int fd, const char *p, size_t n)
{
	ssize_t	w;

	while (n > 0) {
		if ((w = write(fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * place - write data to a new file in tmp/, fsync, lock; new: name it by
 * the clock and its inode and link it into queue/ (id filled); else
 * rename it over queue/id.  The locked fd, or -1 with e filled.
 */
static int
place(const char *dir, struct queue_msg *m, int new, struct mail_err *e)
{
	char		tmp[PATH_MAX], dst[PATH_MAX], qdir[PATH_MAX];
	char		name[64];
	struct buf	data = BUF_INIT(FILE_MAX + 64);
	struct stat	st;
	struct timeval	tv;
	int		fd = -1, n, tries;
	static unsigned	seq;

	n = snprintf(name, sizeof name, "t%ld.%u", (long)getpid(), seq++);
	if (n < 0 || (size_t)n >= sizeof name ||
	    queue_path(tmp, sizeof tmp, dir, "tmp", name) == -1 ||
	    queue_path(qdir, sizeof qdir, dir, "queue", "") == -1) {
		mail_err_set(e, EX_CONFIG, "4.3.5", "queue path too long");
		return -1;
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0600)) == -1) {
		mail_err_errno(e, errno, "%s", tmp);
		return -1;
	}
	if (fstat(fd, &st) == -1)
		goto fail;
	if (new) {
		gettimeofday(&tv, NULL);
		n = snprintf(m->id, sizeof m->id, "%05lX%lX",
		    (unsigned long)tv.tv_usec, (unsigned long)st.st_ino);
		if (n < 0 || (size_t)n >= sizeof m->id)
			goto fail;
	}
	if (format(&data, m, m->file.s + m->body, m->size) == -1 ||
	    writeall(fd, data.s, data.len) == -1 || fsync(fd) == -1 ||
	    flock(fd, LOCK_EX | LOCK_NB) == -1)
		goto fail;
	if (queue_path(dst, sizeof dst, dir, "queue", m->id) == -1)
		goto fail;
	if (new) {
		/* The id names no other live file; link() checks anyway. */
		for (tries = 0; link(tmp, dst) == -1; tries++) {
			if (errno != EEXIST || tries > 20)
				goto fail;
			n = snprintf(m->id, sizeof m->id, "%05lX%lX%X",
			    (unsigned long)tv.tv_usec,
			    (unsigned long)st.st_ino, (unsigned)tries);
			if (n < 0 || (size_t)n >= sizeof m->id ||
			    queue_path(dst, sizeof dst, dir, "queue",
			    m->id) == -1)
				goto fail;
			buf_reset(&data);
			if (format(&data, m, m->file.s + m->body, m->size) ==
			    -1 || ftruncate(fd, 0) == -1 ||
			    lseek(fd, 0, SEEK_SET) == -1 ||
			    writeall(fd, data.s, data.len) == -1 ||
			    fsync(fd) == -1)
				goto fail;
		}
		(void)unlink(tmp);
	} else if (rename(tmp, dst) == -1)
		goto fail;
	if (syncdir(qdir) == -1) {
		/* The file is there but maybe not durable: say so. */
		mail_err_errno(e, errno, "fsync %s", qdir);
		if (new)
			(void)unlink(dst);
		close(fd);
		buf_free(&data);
		return -1;
	}
	buf_free(&data);
	return fd;
fail:
	mail_err_errno(e, errno, "queue file %s", tmp);
	close(fd);
	(void)unlink(tmp);
	buf_free(&data);
	return -1;
}

/* queue_enqueue - write a new message durably */
int
queue_enqueue(const char *dir, const char *sender, char *const *rcpt,
    size_t n, const char *msg, size_t len, long long now, char *id,
    struct mail_err *e)
{
	return queue_enqueue_dsn(dir, sender, rcpt, n, NULL, msg, len, now,
	    id, e);
}

/* queue_enqueue_dsn - the same, with the envelope's DSN parameters */
int
queue_enqueue_dsn(const char *dir, const char *sender, char *const *rcpt,
    size_t n, const struct queue_dsn *dsn, const char *msg, size_t len,
    long long now, char *id, struct mail_err *e)
{
	struct queue_msg	m;
	size_t			i;
	int			fd;

	memset(&m, 0, sizeof m);
	if (n == 0 || n > QUEUE_RCPT_MAX)
		return mail_err_set(e, EX_USAGE, "5.5.1",
		    "%zu recipients (want 1 to %d)", n, QUEUE_RCPT_MAX);
	if ((m.rcpt = calloc(n, sizeof *m.rcpt)) == NULL)
		return mail_err_errno(e, errno, "memory");
	for (i = 0; i < n; i++) {
		m.rcpt[i].addr = rcpt[i];
		m.rcpt[i].state = QUEUE_PENDING;
		m.rcpt[i].reason = NULL;
		if (dsn != NULL && dsn->notify != NULL)
			m.rcpt[i].notify = dsn->notify[i];
		if (dsn != NULL && dsn->orcpt != NULL)
			m.rcpt[i].orcpt = dsn->orcpt[i];
	}
	if (dsn != NULL) {
		m.ret = dsn->ret;
		m.envid = (char *)dsn->envid;
	}
	m.nrcpt = n;
	m.arrival = now;
	m.sender = (char *)sender;
	/* place() takes the message from m.file at m.body. */
	m.file.s = (char *)msg;
	m.body = 0;
	m.size = len;
	fd = place(dir, &m, 1, e);
	free(m.rcpt);
	if (fd == -1)
		return e->ex == EX_OK ? EX_TEMPFAIL : e->ex;
	if (close(fd) == -1) {
		/*
		 * NFS reports a failed write-back here (BATTERY F-04): the
		 * file may be incomplete, so it is withdrawn and the client
		 * told to try again, as Postfix's cleanup does.
		 */
		int	saved = errno;
		char	dst[PATH_MAX], qdir[PATH_MAX];

		if (queue_path(dst, sizeof dst, dir, "queue", m.id) == 0)
			(void)unlink(dst);
		if (queue_path(qdir, sizeof qdir, dir, "queue", "") == 0)
			(void)syncdir(qdir);
		return mail_err_errno(e, saved, "close queue file %s", m.id);
	}
	memcpy(id, m.id, QUEUE_ID_MAX);
	return EX_OK;
}

/* num - a whole number field ending at a space or newline */
static int
num(const char **pp, const char *end, char stop, long long *v)
{
	char		tmp[24];
	const char	*p = *pp, *q;

	for (q = p; q < end && *q != stop; q++)
		;
	if (q == end || q == p || (size_t)(q - p) >= sizeof tmp)
		return -1;
	memcpy(tmp, p, (size_t)(q - p));
	tmp[q - p] = '\0';
	if (str_tonum(tmp, 0, 1LL << 62, v) == -1)
		return -1;
	*pp = q + 1;
	return 0;
}

/* field - a NUL-terminated copy of p up to stop (within end), advanced */
static char *
field(const char **pp, const char *end, char stop)
{
	const char	*p = *pp, *q;
	char		*s;

	if ((q = memchr(p, stop, (size_t)(end - p))) == NULL ||
	    memchr(p, '\0', (size_t)(q - p)) != NULL)
		return NULL;
	if ((s = malloc((size_t)(q - p) + 1)) == NULL)
		return NULL;
	memcpy(s, p, (size_t)(q - p));
	s[q - p] = '\0';
	*pp = q + 1;
	return s;
}

static void
free_fields(struct queue_msg *m)
{
	size_t	i;

	for (i = 0; i < m->nrcpt; i++) {
		free(m->rcpt[i].addr);
		free(m->rcpt[i].reason);
		free(m->rcpt[i].orcpt);
	}
	free(m->rcpt);
	free(m->sender);
	free(m->envid);
	m->rcpt = NULL;
	m->sender = NULL;
	m->envid = NULL;
	m->nrcpt = 0;
}

/* notify_bits - letters back to NOTIFY bits; -1 for anything else */
static int
notify_bits(const char *s)
{
	const char	*l = "NSFD", *q;
	int		 v = 0;

	if (strcmp(s, "-") == 0)
		return 0;
	for (; *s != '\0'; s++) {
		if ((q = strchr(l, *s)) == NULL || (v & (1 << (q - l))))
			return -1;
		v |= 1 << (q - l);
	}
	return v == 0 ? -1 : v;
}

/* dsn_word - a token() word up to stop: NULL for "-"; 0 or -1 */
static int
dsn_word(const char **pp, const char *end, char stop, char **out)
{
	char	*s;

	if ((s = field(pp, end, stop)) == NULL || *s == '\0' ||
	    strpbrk(s, " \t") != NULL) {
		free(s);
		return -1;
	}
	if (strcmp(s, "-") == 0) {
		free(s);
		s = NULL;
	}
	*out = s;
	return 0;
}

/* queue_parse - check and parse m->file */
int
queue_parse(struct queue_msg *m, const char **why)
{
	const char	*p = m->file.s, *end = m->file.s + m->file.len, *q;
	unsigned long long sum;
	long long	 len, v;
	struct queue_rcpt *r, *nr;
	char		 hex[17], *s;
	size_t		 cap = 0;

	*why = "not a queue file";
	if (m->file.len < sizeof MAGIC + 20 ||
	    memcmp(p, MAGIC, sizeof MAGIC - 1) != 0)
		return -1;
	p += sizeof MAGIC - 1;
	memcpy(hex, p, 16);
	hex[16] = '\0';
	p += 16;
	*why = "bad header line";
	if (*p++ != ' ' || num(&p, end, '\n', &len) == -1)
		return -1;
	sum = 0;
	for (q = hex; *q; q++) {
		if (!((*q >= '0' && *q <= '9') || (*q >= 'a' && *q <= 'f')))
			return -1;
		sum = sum << 4 | (unsigned)(*q <= '9' ? *q - '0' :
		    *q - 'a' + 10);
	}
	*why = "truncated (length mismatch)";
	if ((size_t)len != (size_t)(end - p))
		return -1;
	*why = "checksum mismatch";
	if (sum != fnv(p, (size_t)len))
		return -1;
	*why = "bad I record";
	if (end - p < 3 || memcmp(p, "I ", 2) != 0)
		return -1;
	p += 2;
	if ((s = field(&p, end, '\n')) == NULL)
		return -1;
	if (str_copy(m->id, sizeof m->id, s) == -1 || *s == '\0') {
		free(s);
		return -1;
	}
	free(s);
	*why = "bad T record";
	if (end - p < 3 || memcmp(p, "T ", 2) != 0)
		return -1;
	p += 2;
	if (num(&p, end, '\n', &m->arrival) == -1)
		return -1;
	*why = "bad S record";
	if (end - p < 3 || memcmp(p, "S ", 2) != 0)
		return -1;
	p += 2;
	if ((m->sender = field(&p, end, '\n')) == NULL)
		goto bad;
	*why = "bad W record";
	m->warned = 0;
	if (end - p >= 2 && memcmp(p, "W ", 2) == 0) {
		p += 2;
		if (num(&p, end, '\n', &m->warned) == -1 || m->warned == 0)
			goto bad;
	}
	*why = "bad E record";
	m->ret = 0;
	if (end - p >= 2 && memcmp(p, "E ", 2) == 0) {
		if (end - p < 5 || strchr("FH-", p[2]) == NULL || p[3] != ' ')
			goto bad;
		m->ret = p[2] == 'F' ? QUEUE_RET_FULL : p[2] == 'H' ?
		    QUEUE_RET_HDRS : 0;
		p += 4;
		if (dsn_word(&p, end, '\n', &m->envid) == -1)
			goto bad;
	}
	*why = "bad R record";
	while (end - p >= 2 && memcmp(p, "R ", 2) == 0) {
		p += 2;
		if (m->nrcpt == cap) {
			cap = cap ? cap * 2 : 4;
			if (cap > QUEUE_RCPT_MAX || (nr = realloc(m->rcpt,
			    cap * sizeof *nr)) == NULL)
				goto bad;
			m->rcpt = nr;
		}
		r = &m->rcpt[m->nrcpt];
		memset(r, 0, sizeof *r);
		if (end - p < 2 || strchr("PSDB", p[0]) == NULL ||
		    p[1] != ' ')
			goto bad;
		r->state = p[0];
		p += 2;
		if (num(&p, end, ' ', &v) == -1)
			goto bad;
		r->next = v;
		if ((s = field(&p, end, ' ')) == NULL)
			goto bad;
		if (strcmp(s, "-") != 0 && str_copy(r->dsn, sizeof r->dsn,
		    s) == -1) {
			free(s);
			goto bad;
		}
		free(s);
		if ((r->addr = field(&p, end, '\t')) == NULL)
			goto bad;
		m->nrcpt++;
		if ((r->reason = field(&p, end, '\n')) == NULL ||
		    strchr(r->reason, '\t') != NULL || *r->addr == '\0')
			goto bad;
		if (end - p >= 2 && memcmp(p, "N ", 2) == 0) {
			*why = "bad N record";
			p += 2;
			if ((s = field(&p, end, ' ')) == NULL)
				goto bad;
			r->notify = notify_bits(s);
			free(s);
			if (r->notify == -1 ||
			    dsn_word(&p, end, '\n', &r->orcpt) == -1)
				goto bad;
			*why = "bad R record";
		}
	}
	*why = "no recipients";
	if (m->nrcpt == 0)
		goto bad;
	*why = "bad B record";
	if (end - p < 2 || memcmp(p, "B\n", 2) != 0)
		goto bad;
	p += 2;
	m->body = (size_t)(p - m->file.s);
	m->size = (size_t)(end - p);
	*why = NULL;
	return 0;
bad:
	free_fields(m);
	return -1;
}

/* readall - the whole of fd into b */
static int
readall(int fd, struct buf *b)
{
	char	tmp[65536];
	ssize_t	n;

	while ((n = read(fd, tmp, sizeof tmp)) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (buf_add(b, tmp, (size_t)n) == -1)
			return -1;
	}
	return 0;
}

/* set_aside - move a corrupt file to corrupt/ */
static void
set_aside(const char *dir, const char *id, const char *why)
{
	char	src[PATH_MAX], dst[PATH_MAX];

	if (queue_path(src, sizeof src, dir, "queue", id) == -1 ||
	    queue_path(dst, sizeof dst, dir, "corrupt", id) == -1)
		return;
	if (rename(src, dst) == -1)
		log_error("%s: cannot move corrupt queue file to %s: %s", id,
		    dst, strerror(errno));
	else
		log_warn("%s: corrupt queue file (%s): moved to %s", id, why,
		    dst);
}

/* queue_open - read and check the queue file of id */
int
queue_open(const char *dir, const char *id, int lock, struct queue_msg *m,
    struct mail_err *e)
{
	char		 path[PATH_MAX];
	const char	*why;
	struct stat	 a, b;
	int		 fd;

	memset(m, 0, sizeof m[0]);
	buf_init(&m->file, FILE_MAX + 64);
	m->fd = -1;
	if (*id == '\0' || strchr(id, '/') != NULL || *id == '.' ||
	    queue_path(path, sizeof path, dir, "queue", id) == -1)
		return mail_err_set(e, EX_DATAERR, "5.3.0", "bad queue id");
	/* O_NONBLOCK: a FIFO planted in the queue must not hang us. */
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return mail_err_set(e, EX_NOINPUT, "4.3.0",
			    "%s: no such queue file", id);
		return mail_err_errno(e, errno, "%s", path);
	}
	if (fstat(fd, &a) == -1 || !S_ISREG(a.st_mode)) {
		close(fd);
		return mail_err_set(e, EX_DATAERR, "4.3.0",
		    "%s: not a regular file", id);
	}
	if (lock) {
		if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
			close(fd);
			return mail_err_set(e, EX_TEMPFAIL, "4.3.0",
			    "%s: locked", id);
		}
		/* Rewritten while we waited: the name has a newer file. */
		if (fstat(fd, &a) == -1 || stat(path, &b) == -1 ||
		    a.st_ino != b.st_ino) {
			close(fd);
			return mail_err_set(e, EX_TEMPFAIL, "4.3.0",
			    "%s: being rewritten", id);
		}
	}
	if (readall(fd, &m->file) == -1) {
		close(fd);
		return mail_err_errno(e, errno, "%s: read", path);
	}
	if (queue_parse(m, &why) == -1) {
		close(fd);
		if (strcmp(why, "not a queue file") == 0 && m->file.len == 0)
			why = "empty";
		set_aside(dir, id, why);
		return mail_err_set(e, EX_DATAERR, "4.3.0",
		    "%s: corrupt queue file: %s", id, why);
	}
	if (strcmp(m->id, id) != 0) {
		close(fd);
		free_fields(m);
		set_aside(dir, id, "id mismatch");
		return mail_err_set(e, EX_DATAERR, "4.3.0",
		    "%s: corrupt queue file: id mismatch", id);
	}
	if (lock)
		m->fd = fd;
	else
		close(fd);
	return EX_OK;
}

/* queue_update - write the recipient states, or remove the file */
int
queue_update(const char *dir, struct queue_msg *m, struct mail_err *e)
{
	char	path[PATH_MAX], qdir[PATH_MAX];
	size_t	i;
	int	fd;

	for (i = 0; i < m->nrcpt && !queue_live(&m->rcpt[i]); i++)
		;
	if (i == m->nrcpt) {
		if (queue_path(path, sizeof path, dir, "queue", m->id) == -1 ||
		    queue_path(qdir, sizeof qdir, dir, "queue", "") == -1)
			return mail_err_set(e, EX_CONFIG, "4.3.5",
			    "queue path too long");
		if (unlink(path) == -1 && errno != ENOENT)
			return mail_err_errno(e, errno, "unlink %s", path);
		(void)syncdir(qdir);
		return EX_OK;
	}
	if ((fd = place(dir, m, 0, e)) == -1)
		return e->ex == EX_OK ? EX_TEMPFAIL : e->ex;
	if (m->fd != -1)
		close(m->fd);
	m->fd = fd;
	return EX_OK;
}

/* queue_close - unlock and free everything m holds */
void
queue_close(struct queue_msg *m)
{
	free_fields(m);
	buf_free(&m->file);
	if (m->fd != -1)
		close(m->fd);
	m->fd = -1;
}

static int
cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* queue_list - the ids in the queue, sorted */
int
queue_list(const char *dir, char ***vp, size_t *np, struct mail_err *e)
{
	char		 path[PATH_MAX], **v = NULL, **nv;
	DIR		*d;
	struct dirent	*de;
	size_t		 n = 0, cap = 0;

	*vp = NULL;
	*np = 0;
	if (queue_path(path, sizeof path, dir, "queue", "") == -1)
		return mail_err_set(e, EX_CONFIG, "4.3.5", "path too long");
	if ((d = opendir(path)) == NULL) {
		if (errno != ENOENT)
			return mail_err_errno(e, errno, "%s", path);
	} else {
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			if (n + 1 >= cap) {
				cap = cap ? cap * 2 : 16;
				if ((nv = realloc(v, cap * sizeof *v)) ==
				    NULL)
					goto nomem;
				v = nv;
			}
			if ((v[n] = str_dup(de->d_name)) == NULL)
				goto nomem;
			v[++n] = NULL;
		}
		closedir(d);
	}
	if (v == NULL && (v = calloc(1, sizeof *v)) == NULL)
		return mail_err_errno(e, errno, "memory");
	qsort(v, n, sizeof *v, cmp);
	*vp = v;
	*np = n;
	return EX_OK;
nomem:
	closedir(d);
	if (v != NULL) {
		v[n] = NULL;
		queue_list_free(v);
	}
	return mail_err_errno(e, ENOMEM, "memory");
}

/* queue_list_free - free what queue_list() returned */
void
queue_list_free(char **v)
{
	size_t	i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/* queue_notify_parse - a NOTIFY value as QUEUE_NOTIFY_* bits */
int
queue_notify_parse(const char *v)
{
	static const struct {
		const char	*name;
		int		 bit;
	} kw[] = {
		{ "NEVER", QUEUE_NOTIFY_NEVER },
		{ "SUCCESS", QUEUE_NOTIFY_SUCCESS },
		{ "FAILURE", QUEUE_NOTIFY_FAILURE },
		{ "DELAY", QUEUE_NOTIFY_DELAY },
	};
	size_t	i, n;
	int	bits = 0, b;

	while (*v != '\0') {
		n = strcspn(v, ",");
		for (i = 0, b = 0; i < sizeof kw / sizeof kw[0]; i++)
			if (strlen(kw[i].name) == n &&
			    strncasecmp(v, kw[i].name, n) == 0)
				b = kw[i].bit;
		if (b == 0 || (bits & b))
			return -1;
		bits |= b;
		v += n;
		if (*v == ',' && *++v == '\0')
			return -1;
	}
	if (bits == 0 || ((bits & QUEUE_NOTIFY_NEVER) &&
	    bits != QUEUE_NOTIFY_NEVER))
		return -1;
	return bits;
}
