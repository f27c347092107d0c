/* SPDX-License-Identifier: ISC */
/*
 * mbox - append one message to an mbox file, Debian policy style.
 *
 * Trusts the directory the mailbox is in to be the configured spool (or a
 * directory of the recipient's) and the caller to run as the recipient.
 * Trusts nothing about the mailbox file itself: another local user may
 * have put a symlink, a FIFO, a hard link to someone else's file or a file
 * of their own where the mailbox should be, so the file is lstat()ed,
 * opened with O_NOFOLLOW and O_NONBLOCK, and fstat()ed again (same inode,
 * regular, one link, right owner) before a byte is written; the checks
 * are repeated once both locks are held.
 *
 * Locks: fcntl() on the file and the dotlock PATH.lock, both taken without
 * blocking (Dovecot takes them in the other order than Postfix, so waiting
 * on one while holding the other could deadlock), released and retried
 * with a growing random delay.  A dotlock older than stale_lock seconds is
 * removed (there is a race between two deliveries removing the same stale
 * lock, as in Postfix's dot_lockfile(); the loser only waits longer).  A
 * dotlock that is not a regular file is never removed: delivery waits and
 * then fails temporarily.
 *
 * Whatever goes wrong after the first byte was written, the file is
 * truncated back to the length it had, so a reader never sees half a
 * message, and the error is temporary: a full disk must not bounce mail.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "exitcode.h"
#include "log.h"
#include "mbox.h"

/* a write buffer in front of the mailbox */
struct wbuf {
	int	 fd;
	size_t	 len;
	char	 b[65536];
};

/* mbox_writeall - write all n bytes, across short writes and EINTR */
int
mbox_writeall(int fd, const void *p, size_t n)
{
	const char	*s = p;
	ssize_t		 w;

	while (n > 0) {
		w = write(fd, s, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (w == 0) {
			errno = EIO;
			return -1;
		}
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
wb_flush(struct wbuf *w)
{
	if (w->len == 0)
		return 0;
	if (mbox_writeall(w->fd, w->b, w->len) == -1)
		return -1;
	w->len = 0;
	return 0;
}

static int
wb_add(void *arg, const char *p, size_t n)
{
	struct wbuf	*w = arg;

	if (w->len + n > sizeof w->b && wb_flush(w) == -1)
		return -1;
	if (n >= sizeof w->b)
		return mbox_writeall(w->fd, p, n);
	memcpy(w->b + w->len, p, n);
	w->len += n;
	return 0;
}

static int
count_add(void *arg, const char *p, size_t n)
{
	(void)p;
	*(unsigned long long *)arg += n;
	return 0;
}

/* needs_quote - true when the line at p matches "^>*From " */
static int
needs_quote(const char *p, const char *end)
{
	while (p < end && *p == '>')
		p++;
	return end - p >= 5 && memcmp(p, "From ", 5) == 0;
}

/*
 * mbox_quote - the mboxrd form of msg through fn; runs of lines that need
 * no quoting go out in one piece.
 */
int
mbox_quote(const char *msg, size_t n, int (*fn)(void *, const char *,
    size_t), void *arg)
{
	const char	*end = msg + n, *run = msg, *line = msg, *nl;

	while (line < end) {
		if (needs_quote(line, end)) {
			if (line > run && fn(arg, run, (size_t)(line - run)) == -1)
				return -1;
			if (fn(arg, ">", 1) == -1)
				return -1;
			run = line;
		}
		nl = memchr(line, '\n', (size_t)(end - line));
		line = nl == NULL ? end : nl + 1;
	}
	if (end > run && fn(arg, run, (size_t)(end - run)) == -1)
		return -1;
	if (n > 0 && msg[n - 1] != '\n' && fn(arg, "\n", 1) == -1)
		return -1;
	return 0;
}

/* mbox_from_line - "From sender date\n", the sender made one word */
int
mbox_from_line(char *out, size_t size, const char *sender, time_t now)
{
	struct tm	 tm;
	char		 date[64], *p;
	int		 n;

	if (sender == NULL || *sender == '\0')
		sender = "MAILER-DAEMON";
	if (localtime_r(&now, &tm) == NULL ||
	    strftime(date, sizeof date, "%a %b %e %H:%M:%S %Y", &tm) == 0)
		return -1;
	n = snprintf(out, size, "From %s %s\n", sender, date);
	if (n < 0 || (size_t)n >= size)
		return -1;
	/* A space or control byte in the sender would end the word early. */
	for (p = out + 5; p < out + 5 + strlen(sender); p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			*p = '_';
	return 0;
}

/* mbox_headers - Return-Path: and Delivered-To: lines */
int
mbox_headers(char *out, size_t size, const char *sender, const char *rcpt)
{
	int	n;

	if (sender == NULL)
		sender = "";
	for (n = 0; sender[n] != '\0'; n++)
		if ((unsigned char)sender[n] < ' ' || sender[n] == 0x7f)
			return -1;
	if (rcpt != NULL)
		for (n = 0; rcpt[n] != '\0'; n++)
			if ((unsigned char)rcpt[n] < ' ' || rcpt[n] == 0x7f)
				return -1;
	if (rcpt != NULL)
		n = snprintf(out, size, "Return-Path: <%s>\nDelivered-To: %s\n",
		    sender, rcpt);
	else
		n = snprintf(out, size, "Return-Path: <%s>\n", sender);
	if (n < 0 || (size_t)n >= size)
		return -1;
	return n;
}

static void
nap(int attempt, int max_ms)
{
	static unsigned	 seed;
	struct timespec	 ts;
	long		 ms;

	if (seed == 0)
		seed = (unsigned)getpid() ^ (unsigned)time(NULL);
	seed = seed * 1103515245u + 12345u;
	ms = 10L << (attempt < 6 ? attempt : 6);
	if (ms > max_ms)
		ms = max_ms;
	ms = ms / 2 + (long)((seed >> 8) % (unsigned)(ms / 2 + 1));
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	nanosleep(&ts, NULL);
}

/* dotlock - 0 taken, 1 busy, -1 error in e */
static int
dotlock(const char *lock, const struct mbox_dest *d, time_t now,
    struct mail_err *e)
{
	struct stat	 st;
	char		 pid[32];
	int		 fd, tries, n;

	for (tries = 0; tries < 2; tries++) {
		fd = open(lock, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
		if (fd >= 0) {
			n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
			if (n > 0 && (size_t)n < sizeof pid)
				(void)mbox_writeall(fd, pid, (size_t)n);
			close(fd);
			return 0;
		}
		if (errno != EEXIST) {
			mail_err_errno(e, errno, "%s: cannot create lock", lock);
			e->ex = EX_TEMPFAIL;
			return -1;
		}
		if (lstat(lock, &st) == -1) {
			if (errno == ENOENT)
				continue;
			return 1;
		}
		/* Never follow or remove what is not a plain lock file. */
		if (!S_ISREG(st.st_mode) || now - st.st_mtime <= d->stale_lock)
			return 1;
		if (unlink(lock) == 0)
			log_warn("%s: removed a stale lock (%lld s old)", lock,
			    (long long)(now - st.st_mtime));
	}
	return 1;
}

static int
lock_both(int fd, const char *lock, const struct mbox_dest *d,
    struct mail_err *e)
{
	struct flock	 fl;
	const char	*busy;
	int		 attempt, r;

	for (attempt = 0;; attempt++) {
		memset(&fl, 0, sizeof fl);
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		if (fcntl(fd, F_SETLK, &fl) == 0) {
			if (d->flags & MBOX_NO_DOTLOCK)
				return EX_OK;
			r = dotlock(lock, d, time(NULL), e);
			if (r == 0)
				return EX_OK;
			fl.l_type = F_UNLCK;
			(void)fcntl(fd, F_SETLK, &fl);
			if (r == -1)
				return e->ex;
			busy = "dotlock";
		} else if (errno == EACCES || errno == EAGAIN) {
			busy = "fcntl lock";
		} else {
			mail_err_errno(e, errno, "%s: fcntl lock", d->path);
			return e->ex = EX_TEMPFAIL;
		}
		if (attempt + 1 >= d->lock_attempts)
			return mail_err_set(e, EX_TEMPFAIL, "4.2.0",
			    "%s: cannot get the %s after %d attempts",
			    d->path, busy, d->lock_attempts);
		log_debug("%s: %s busy, waiting", d->path, busy);
		nap(attempt, d->lock_delay_ms);
	}
}

static void
unlock_both(int fd, const char *lock, const struct mbox_dest *d)
{
	struct flock	fl;

	if (!(d->flags & MBOX_NO_DOTLOCK) && unlink(lock) == -1)
		log_warn("%s: cannot remove lock: %s", lock, strerror(errno));
	memset(&fl, 0, sizeof fl);
	fl.l_type = F_UNLCK;
	fl.l_whence = SEEK_SET;
	(void)fcntl(fd, F_SETLK, &fl);
}

/* check - the open file is the one at path, and one we may write */
static int
check(int fd, const struct mbox_dest *d, struct stat *st, struct mail_err *e)
{
	struct stat	lst;

	if (lstat(d->path, &lst) == -1) {
		mail_err_errno(e, errno, "%s: lstat", d->path);
		return e->ex = EX_TEMPFAIL;
	}
	if (fstat(fd, st) == -1) {
		mail_err_errno(e, errno, "%s: fstat", d->path);
		return e->ex = EX_TEMPFAIL;
	}
	if (S_ISLNK(lst.st_mode))
		return mail_err_set(e, EX_TEMPFAIL, "4.2.0",
		    "%s: mailbox is a symbolic link", d->path);
	if (lst.st_dev != st->st_dev || lst.st_ino != st->st_ino)
		return mail_err_set(e, EX_TEMPFAIL, "4.2.0",
		    "%s: mailbox was replaced while it was opened", d->path);
	if (!S_ISREG(st->st_mode))
		return mail_err_set(e, EX_TEMPFAIL, "4.2.0",
		    "%s: mailbox is not a regular file", d->path);
	if (st->st_nlink != 1)
		return mail_err_set(e, EX_TEMPFAIL, "4.2.0",
		    "%s: mailbox has %lu links", d->path,
		    (unsigned long)st->st_nlink);
	if ((d->flags & MBOX_CHECK_OWNER) && st->st_uid != d->uid)
		return mail_err_set(e, EX_TEMPFAIL, "4.2.0",
		    "%s: mailbox is owned by uid %lu, not %lu", d->path,
		    (unsigned long)st->st_uid, (unsigned long)d->uid);
	return EX_OK;
}

/* open_box - open or create the mailbox; fd or -1 with e filled */
static int
open_box(const struct mbox_dest *d, struct mail_err *e)
{
	struct stat	st;
	int		fd, tries, fl;

	for (tries = 0; tries < 3; tries++) {
		if (lstat(d->path, &st) == 0) {
			if (S_ISLNK(st.st_mode)) {
				mail_err_set(e, EX_TEMPFAIL, "4.2.0",
				    "%s: mailbox is a symbolic link", d->path);
				return -1;
			}
			if (!S_ISREG(st.st_mode)) {
				mail_err_set(e, EX_TEMPFAIL, "4.2.0",
				    "%s: mailbox is not a regular file",
				    d->path);
				return -1;
			}
			fd = open(d->path, O_RDWR | O_APPEND | O_NOFOLLOW |
			    O_NONBLOCK | O_CLOEXEC);
			if (fd == -1 && errno == ENOENT)
				continue;
		} else if (errno == ENOENT) {
			fd = open(d->path, O_RDWR | O_APPEND | O_CREAT |
			    O_EXCL | O_NOFOLLOW | O_CLOEXEC, d->mode & 0666);
			if (fd == -1 && errno == EEXIST)
				continue;
			if (fd >= 0) {
				log_debug("%s: created, mode %04o", d->path,
				    (unsigned)(d->mode & 0666));
				/* The umask must not decide the mode. */
				if (fchmod(fd, d->mode & 0666) == -1 ||
				    (d->gid != (gid_t)-1 &&
				    fchown(fd, (uid_t)-1, d->gid) == -1))
					log_warn("%s: cannot set mode or group: "
					    "%s", d->path, strerror(errno));
			}
		} else {
			mail_err_errno(e, errno, "%s: lstat", d->path);
			e->ex = EX_TEMPFAIL;
			return -1;
		}
		if (fd == -1) {
			if (errno == ELOOP)
				mail_err_set(e, EX_TEMPFAIL, "4.2.0",
				    "%s: mailbox is a symbolic link", d->path);
			else {
				mail_err_errno(e, errno, "%s: open", d->path);
				e->ex = EX_TEMPFAIL;
			}
			return -1;
		}
		if (check(fd, d, &st, e) != EX_OK) {
			close(fd);
			return -1;
		}
		if ((fl = fcntl(fd, F_GETFL)) == -1 ||
		    fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) == -1) {
			mail_err_errno(e, errno, "%s: fcntl", d->path);
			e->ex = EX_TEMPFAIL;
			close(fd);
			return -1;
		}
		return fd;
	}
	mail_err_set(e, EX_TEMPFAIL, "4.2.0",
	    "%s: mailbox keeps appearing and disappearing", d->path);
	return -1;
}

/*
 * append - write one whole entry at the end (orig: the file's length
 * now); no fsync().  EX_OK or e filled.
 */
static int
append(int fd, off_t orig, const struct mbox_dest *d,
    const struct mbox_item *it, struct mail_err *e)
{
	static struct wbuf	 w;
	char			 from[600], hdr[1200], last;
	unsigned long long	 size;
	int			 hlen;

	if (mbox_from_line(from, sizeof from, it->sender,
	    d->now ? d->now : time(NULL)) == -1 ||
	    (hlen = mbox_headers(hdr, sizeof hdr, it->sender, it->rcpt)) < 0)
		return mail_err_set(e, EX_DATAERR, "5.6.0",
		    "envelope too long or with control characters");
	w.fd = fd;
	w.len = 0;
	/* A mailbox left ending mid-line needs a newline before "From ". */
	if (orig > 0) {
		if (pread(fd, &last, 1, orig - 1) != 1) {
			mail_err_errno(e, errno, "%s: read", d->path);
			return e->ex = EX_TEMPFAIL;
		}
		if (last != '\n')
			(void)wb_add(&w, "\n", 1);
	}
	if (d->size_limit > 0) {
		size = (unsigned long long)orig + w.len + strlen(from) +
		    (size_t)hlen + 1;
		(void)mbox_quote(it->msg, it->len, count_add, &size);
		if (size > d->size_limit)
			return mail_err_set(e, EX_UNAVAILABLE, "5.2.2",
			    "%s: mailbox size limit exceeded (%llu > %llu "
			    "bytes)", d->path, size, d->size_limit);
	}
	if (wb_add(&w, from, strlen(from)) == -1 ||
	    wb_add(&w, hdr, (size_t)hlen) == -1 ||
	    mbox_quote(it->msg, it->len, wb_add, &w) == -1 ||
	    wb_add(&w, "\n", 1) == -1 || wb_flush(&w) == -1) {
		mail_err_errno(e, errno, "%s: write", d->path);
		return e->ex = EX_TEMPFAIL;
	}
	if (log_verbose())
		log_debug("%s: wrote %llu bytes", d->path, (unsigned long long)
		    (lseek(fd, 0, SEEK_END) - orig));
	return EX_OK;
}

/* truncate_back - the file as it was at len bytes; the error is logged */
static void
truncate_back(int fd, const struct mbox_dest *d, off_t len)
{
	if (ftruncate(fd, len) == -1)
		log_error("%s: cannot truncate back to %lld bytes: %s",
		    d->path, (long long)len, strerror(errno));
	else {
		(void)fsync(fd);
		log_debug("%s: truncated back to %lld bytes", d->path,
		    (long long)len);
	}
}

/* mbox_deliver - append one message under both locks, all or nothing */
int
mbox_deliver(const struct mbox_dest *d, const char *msg, size_t n,
    struct mail_err *e)
{
	struct mbox_item	it;

	it.sender = d->sender;
	it.rcpt = d->rcpt;
	it.msg = msg;
	it.len = n;
	(void)mbox_deliver_many(d, &it, 1, e);
	return e->ex;
}

/* fail_rest - res[i..n) all get e */
static void
fail_rest(struct mail_err *res, size_t i, size_t n, const struct mail_err *e)
{
	for (; i < n; i++)
		res[i] = *e;
}

/*
 * mbox_deliver_many - n entries under one pair of locks and with one
 * fsync(), each all or nothing
 */
size_t
mbox_deliver_many(const struct mbox_dest *d, const struct mbox_item *it,
    size_t n, struct mail_err *res)
{
	char		 lock[4096];
	struct mail_err	 e;
	struct stat	 st;
	off_t		 end;
	size_t		 i, ok = 0;
	int		 fd, len;

	if (n == 0)
		return 0;
	mail_err_clear(&e);
	len = snprintf(lock, sizeof lock, "%s.lock", d->path);
	if (len < 0 || (size_t)len >= sizeof lock) {
		mail_err_set(&e, EX_TEMPFAIL, "4.3.5", "%s: path too long",
		    d->path);
		fail_rest(res, 0, n, &e);
		return 0;
	}
	if ((fd = open_box(d, &e)) == -1) {
		fail_rest(res, 0, n, &e);
		return 0;
	}
	log_debug("%s: locking (fcntl, then %s)", d->path,
	    d->flags & MBOX_NO_DOTLOCK ? "no dotlock" : lock);
	if (lock_both(fd, lock, d, &e) != EX_OK) {
		close(fd);
		fail_rest(res, 0, n, &e);
		return 0;
	}
	log_debug("%s: locked", d->path);
	/* While we waited, the file may have been swapped. */
	if (check(fd, d, &st, &e) != EX_OK) {
		fail_rest(res, 0, n, &e);
		goto out;
	}
	/*
	 * Entry by entry; one that fails is cut off again, and the same
	 * trouble (a full disk, mostly) would hit the rest, so they are not
	 * tried.  A size limit is the one error of a single entry.
	 */
	for (end = st.st_size, i = 0; i < n; i++) {
		mail_err_clear(&res[i]);
		if (append(fd, end, d, &it[i], &res[i]) == EX_OK) {
			if ((end = lseek(fd, 0, SEEK_END)) == -1) {
				mail_err_errno(&res[i], errno, "%s: lseek",
				    d->path);
				res[i].ex = EX_TEMPFAIL;
				break;
			}
			ok++;
			continue;
		}
		truncate_back(fd, d, end);
		if (res[i].ex != EX_UNAVAILABLE)
			break;
	}
	if (i < n) {
		fail_rest(res, i + 1, n, &res[i]);
		if (res[i].ex == EX_TEMPFAIL && ok > 0)
			log_warn("%s: %zu of %zu messages written, then: %s",
			    d->path, ok, n, res[i].text);
	}
	if (ok > 0 && fsync(fd) == -1) {
		/* Nothing is safe: the whole batch is cut off again. */
		mail_err_errno(&e, errno, "%s: fsync", d->path);
		e.ex = EX_TEMPFAIL;
		truncate_back(fd, d, st.st_size);
		fail_rest(res, 0, n, &e);
		ok = 0;
	} else if (ok > 0)
		log_debug("%s: fsync done (%zu messages)", d->path, ok);
out:
	unlock_both(fd, lock, d);
	/* After a good fsync() a failing close() loses nothing. */
	(void)close(fd);
	return ok;
}
