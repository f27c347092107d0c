/* SPDX-License-Identifier: ISC */
/*
 * fiu-write - a failure-injection shim for the mailbox tests, loaded with
 * LD_PRELOAD.  It wraps write(), fsync() and fdatasync(), and only for
 * regular files (so stderr and pipes keep working):
 *
 *	FIU_WRITE_AFTER=N	writes succeed for the first N bytes, then fail
 *				with ENOSPC (FIU_ERRNO=EDQUOT|EIO to change it)
 *	FIU_FSYNC=1		fsync() and fdatasync() fail with EIO
 *	FIU_SHORT=1		every other write() writes one byte only
 *	FIU_MATCH=STRING	only files whose path contains STRING (so a
 *				queue runner's own queue files keep working)
 *
 * Built as a check program (a shared object) and used by t/04*.t.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "str.h"

ssize_t	write(int, const void *, size_t);
int	fsync(int);
int	fdatasync(int);

static unsigned long long	written;
static int			flip;

static int
regular(int fd)
{
	struct stat	 st;
	const char	*match = getenv("FIU_MATCH");
	char		 link[64], path[4096];
	ssize_t		 n;

	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode))
		return 0;
	if (match == NULL)
		return 1;
	(void)snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	if ((n = readlink(link, path, sizeof path - 1)) == -1)
		return 0;
	path[n] = '\0';
	return strstr(path, match) != NULL;
}

static int
fail_errno(void)
{
	const char	*s = getenv("FIU_ERRNO");

	if (s != NULL && strcmp(s, "EDQUOT") == 0)
		return EDQUOT;
	if (s != NULL && strcmp(s, "EIO") == 0)
		return EIO;
	return ENOSPC;
}

ssize_t
write(int fd, const void *p, size_t n)
{
	static ssize_t	(*real)(int, const void *, size_t);
	const char	*after = getenv("FIU_WRITE_AFTER");
	long long	 limit;
	ssize_t		 w;

	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "write");
	if (!regular(fd))
		return real(fd, p, n);
	if (after != NULL) {
		if (str_tonum(after, 0, LLONG_MAX, &limit) == -1)
			limit = 0;
		if (written >= (unsigned long long)limit) {
			errno = fail_errno();
			return -1;
		}
		if (n > (unsigned long long)limit - written)
			n = (size_t)((unsigned long long)limit - written);
	}
	if (getenv("FIU_SHORT") != NULL && n > 1 && (flip ^= 1))
		n = 1;
	w = real(fd, p, n);
	if (w > 0)
		written += (unsigned long long)w;
	return w;
}

static int
fake_sync(int fd, const char *name)
{
	int	(*real)(int);

	*(void **)&real = dlsym(RTLD_NEXT, name);
	if (getenv("FIU_FSYNC") != NULL && regular(fd)) {
		errno = EIO;
		return -1;
	}
	return real(fd);
}

int
fsync(int fd)
{
	return fake_sync(fd, "fsync");
}

int
fdatasync(int fd)
{
	return fake_sync(fd, "fdatasync");
}
