/* SPDX-License-Identifier: ISC */
/*
 * smtp-listen-sink - the hand-off command of bench/smtp-listen.sh: reads
 * the message on stdin and makes it as durable as a queue would before
 * "250": written to a new file in DIR, fsync()ed, the directory
 * fsync()ed.  The envelope arguments after DIR are ignored.
 *
 *	smtp-listen-sink DIR [-f sender -- rcpt ...]
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int
main(int argc, char *argv[])
{
	char	buf[65536], path[4096];
	ssize_t	n;
	int	fd, dfd, k;

	if (argc < 2)
		return 64;
	k = snprintf(path, sizeof path, "%s/m.%ld", argv[1], (long)getpid());
	if (k < 0 || (size_t)k >= sizeof path)
		return 64;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1) {
		fprintf(stderr, "4.3.0 %s: %s\n", path, strerror(errno));
		return 75;
	}
	while ((n = read(0, buf, sizeof buf)) > 0)
		if (write(fd, buf, (size_t)n) != n) {
			fprintf(stderr, "4.3.0 write: %s\n", strerror(errno));
			return 75;
		}
	if (n == -1 || fsync(fd) == -1 || close(fd) == -1) {
		fprintf(stderr, "4.3.0 %s: %s\n", path, strerror(errno));
		return 75;
	}
	if ((dfd = open(argv[1], O_RDONLY | O_DIRECTORY)) == -1 ||
	    fsync(dfd) == -1) {
		fprintf(stderr, "4.3.0 %s: %s\n", argv[1], strerror(errno));
		return 75;
	}
	close(dfd);
	return 0;
}
