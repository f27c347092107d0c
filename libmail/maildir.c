/* SPDX-License-Identifier: ISC */
/*
 * maildir - deliver one message into a Maildir (tmp/, then new/).
 *
 * Trusts the Maildir directory named by the configuration or an alias
 * (the caller runs as its owner); trusts nothing inside it: tmp/, new/
 * and cur/ are opened with O_NOFOLLOW | O_DIRECTORY and everything after
 * that happens relative to those descriptors, so a symlink put in their
 * place is refused rather than followed.  The message file is created with
 * O_EXCL, fsync()ed, and linked into new/ under a name that says its size
 * (",S=", which Dovecot uses); an existing name there is never replaced
 * (link() fails with EEXIST and the next name is tried).  Only after
 * new/ itself is fsync()ed is the delivery done; on any failure both
 * names are removed again.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "exitcode.h"
#include "log.h"
#include "maildir.h"
#include "mbox.h"

#define NAME_TRIES	100

/* maildir_name - a unique file name, host encoded as the spec asks */
int
maildir_name(char *out, size_t size, const struct timeval *tv, pid_t pid,
    unsigned q, const char *host)
{
	char		 h[256 * 4 + 1];
	size_t		 i, o = 0;
	int		 n;

	for (i = 0; host[i] != '\0' && o + 5 < sizeof h; i++) {
		if (host[i] == '/' || host[i] == ':') {
			n = snprintf(h + o, sizeof h - o, "\\%03o",
			    (unsigned char)host[i]);
			if (n != 4)
				return -1;
			o += 4;
		} else
			h[o++] = host[i];
	}
	h[o] = '\0';
	n = snprintf(out, size, "%lld.M%06ldP%ldQ%u.%s", (long long)tv->tv_sec,
	    (long)tv->tv_usec, (long)pid, q, h);
	if (n < 0 || (size_t)n >= size)
		return -1;
	return 0;
}

/* subdir - open (creating when missing) one of tmp, new, cur; never a link */
static int
subdir(int base, const char *path, const char *name, struct mail_err *e)
{
	int	fd;

	fd = openat(base, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1 && errno == ENOENT) {
		if (mkdirat(base, name, 0700) == -1 && errno != EEXIST) {
			mail_err_errno(e, errno, "%s/%s: mkdir", path, name);
			e->ex = EX_TEMPFAIL;
			return -1;
		}
		fd = openat(base, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
	}
	if (fd == -1) {
		if (errno == ELOOP || errno == ENOTDIR)
			mail_err_set(e, EX_TEMPFAIL, "4.2.0", "%s/%s: is a "
			    "symbolic link or not a directory", path, name);
		else {
			mail_err_errno(e, errno, "%s/%s: open", path, name);
			e->ex = EX_TEMPFAIL;
		}
	}
	return fd;
}

/* open_base - open the Maildir, creating its last component when missing */
static int
open_base(const char *path, struct mail_err *e)
{
	int	fd;

	if (path == NULL || *path == '\0')
		return mail_err_set(e, EX_CONFIG, "4.3.5",
		    "no Maildir path"), -1;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1 && errno == ENOENT) {
		if (mkdir(path, 0700) == -1 && errno != EEXIST) {
			mail_err_errno(e, errno, "%s: mkdir", path);
			e->ex = EX_TEMPFAIL;
			return -1;
		}
		log_debug("%s: created Maildir", path);
		fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (fd == -1) {
		mail_err_errno(e, errno, "%s: open", path);
		e->ex = EX_TEMPFAIL;
	}
	return fd;
}

/* write_tmp - create tmp/name and write the message; fd closed; EX_* */
static int
write_tmp(int tmp, const char *name, const struct maildir_dest *d,
    const char *msg, size_t n, off_t *size, int *exists, struct mail_err *e)
{
	char	hdr[1200];
	int	fd, hlen;

	*exists = 0;
	if ((hlen = mbox_headers(hdr, sizeof hdr, d->sender, d->rcpt)) < 0)
		return mail_err_set(e, EX_DATAERR, "5.6.0",
		    "envelope too long or with control characters");
	fd = openat(tmp, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd == -1) {
		*exists = errno == EEXIST;
		mail_err_errno(e, errno, "%s/tmp/%s: create", d->path, name);
		return e->ex = EX_TEMPFAIL;
	}
	if (mbox_writeall(fd, hdr, (size_t)hlen) == -1 ||
	    mbox_writeall(fd, msg, n) == -1) {
		mail_err_errno(e, errno, "%s/tmp/%s: write", d->path, name);
		close(fd);
		return e->ex = EX_TEMPFAIL;
	}
	if (fsync(fd) == -1) {
		mail_err_errno(e, errno, "%s/tmp/%s: fsync", d->path, name);
		close(fd);
		return e->ex = EX_TEMPFAIL;
	}
	if (close(fd) == -1) {
		mail_err_errno(e, errno, "%s/tmp/%s: close", d->path, name);
		return e->ex = EX_TEMPFAIL;
	}
	*size = (off_t)hlen + (off_t)n;
	log_debug("%s/tmp/%s: written and fsync()ed", d->path, name);
	return EX_OK;
}

/* link_new - link tmp/tname into new/ under a name nobody has; EX_* */
static int
link_new(int tmp, int new, const char *tname, const char *host,
    const struct maildir_dest *d, off_t size, char *nname, size_t nsize,
    struct mail_err *e)
{
	struct timeval	 tv;
	unsigned	 q;
	int		 n;

	for (q = 0; q < NAME_TRIES; q++) {
		if (q == 0 && d->first_name != NULL)
			n = snprintf(nname, nsize, "%s", d->first_name);
		else {
			gettimeofday(&tv, NULL);
			if (maildir_name(nname, nsize, &tv, getpid(), q, host)
			    == -1)
				return mail_err_set(e, EX_TEMPFAIL, "4.3.0",
				    "%s: file name too long", d->path);
			n = (int)strlen(nname);
			n += snprintf(nname + n, nsize - (size_t)n, ",S=%lld",
			    (long long)size);
		}
		if (n < 0 || (size_t)n >= nsize)
			return mail_err_set(e, EX_TEMPFAIL, "4.3.0",
			    "%s: file name too long", d->path);
		if (linkat(tmp, tname, new, nname, 0) == 0)
			return EX_OK;
		if (errno != EEXIST) {
			mail_err_errno(e, errno, "%s/new/%s: link", d->path,
			    nname);
			return e->ex = EX_TEMPFAIL;
		}
		log_debug("%s/new/%s: exists, picking another name", d->path,
		    nname);
	}
	return mail_err_set(e, EX_TEMPFAIL, "4.3.0",
	    "%s: no unique name after %d tries", d->path, NAME_TRIES);
}

/* maildir_deliver - tmp/, fsync, link into new/, fsync new/ */
int
maildir_deliver(const struct maildir_dest *d, const char *msg, size_t n,
    char *name, size_t namesz, struct mail_err *e)
{
	struct timeval	 tv;
	char		 tname[1200], nname[1300], host[256];
	off_t		 size = 0;
	int		 base, tmp = -1, new = -1, cur = -1, ex = EX_TEMPFAIL;
	int		 exists;
	unsigned	 q;

	if ((base = open_base(d->path, e)) == -1)
		return e->ex;
	if ((tmp = subdir(base, d->path, "tmp", e)) == -1 ||
	    (new = subdir(base, d->path, "new", e)) == -1 ||
	    (cur = subdir(base, d->path, "cur", e)) == -1)
		goto out;
	if (gethostname(host, sizeof host) == -1)
		snprintf(host, sizeof host, "localhost");
	host[sizeof host - 1] = '\0';
	for (q = 0;; q++) {
		gettimeofday(&tv, NULL);
		if (maildir_name(tname, sizeof tname, &tv, getpid(), q,
		    host) == -1) {
			mail_err_set(e, EX_TEMPFAIL, "4.3.0",
			    "%s: file name too long", d->path);
			goto out;
		}
		ex = write_tmp(tmp, tname, d, msg, n, &size, &exists, e);
		if (ex == EX_OK || !exists || q >= NAME_TRIES)
			break;
	}
	if (ex != EX_OK) {
		if (!exists)
			(void)unlinkat(tmp, tname, 0);
		goto out;
	}
	ex = link_new(tmp, new, tname, host, d, size, nname, sizeof nname, e);
	if (unlinkat(tmp, tname, 0) == -1)
		log_warn("%s/tmp/%s: cannot remove: %s", d->path, tname,
		    strerror(errno));
	if (ex != EX_OK)
		goto out;
	if (fsync(new) == -1) {
		mail_err_errno(e, errno, "%s/new: fsync", d->path);
		ex = e->ex = EX_TEMPFAIL;
		(void)unlinkat(new, nname, 0);
		goto out;
	}
	log_debug("%s/new/%s: delivered, new/ fsync()ed", d->path, nname);
	if (name != NULL)
		snprintf(name, namesz, "%s", nname);
out:
	if (cur != -1)
		close(cur);
	if (new != -1)
		close(new);
	if (tmp != -1)
		close(tmp);
	close(base);
	return ex;
}
