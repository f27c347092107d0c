/* SPDX-License-Identifier: ISC */
/*
 * mailq - list the mail queue as Postfix's mailq does (libmail/showq.c),
 * or as JSON lines (-j, like postqueue -j); -n adds each deferred
 * recipient's next attempt to the listing.  Reads the queue only.
 *
 * Trusts its caller little (postqueue's list): fds 0-2 closed at exec are
 * opened on /dev/null first, so no queue or configuration file can become
 * stdout; SIGPIPE is set back to its default, so "mailq | head -1" ends
 * quietly even when the parent ignored it; a write error stops the listing
 * at once.  It runs no other program and creates no file, so PATH, IFS
 * and the umask do not matter; TZ only changes how times are shown.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "exitcode.h"
#include "log.h"
#include "showq.h"

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: mailq [-jn] [-C config]\n");
	exit(EX_USAGE);
}

static void
put(const char *s, size_t n, void *arg)
{
	(void)arg;
	if (fwrite(s, 1, n, stdout) != n) {
		fprintf(stderr, "mailq: standard output: %s\n",
		    strerror(errno));
		exit(EX_IOERR);
	}
}

/* stdfds - open /dev/null on whichever of fds 0-2 is closed */
static void
stdfds(void)
{
	int	fd;

	for (fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) == -1 &&
		    open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY) != fd)
			exit(EX_OSERR);
}

int
main(int argc, char *argv[])
{
	struct mail_conf	*conf;
	struct mail_err		 e;
	const char		*cfile = NULL;
	int			 ch, flags = 0;

	stdfds();
	(void)signal(SIGPIPE, SIG_DFL);
	log_open("mailq", LOG_TO_STDERR);
	while ((ch = getopt(argc, argv, "C:jn")) != -1) {
		switch (ch) {
		case 'C':
			cfile = optarg;
			break;
		case 'j':
			flags |= SHOWQ_JSON;
			break;
		case 'n':
			flags |= SHOWQ_NEXT;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (conf_load(&conf, cfile, &e) != EX_OK ||
	    showq(conf_get(conf, "queue_directory"), flags, put, NULL, &e) !=
	    EX_OK) {
		fprintf(stderr, "mailq: %s %s\n", e.enh, e.text);
		return e.ex;
	}
	conf_free(conf);
	if (fflush(stdout) == EOF) {
		fprintf(stderr, "mailq: standard output: %s\n",
		    strerror(errno));
		return EX_IOERR;
	}
	return EX_OK;
}
