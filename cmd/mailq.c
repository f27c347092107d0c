/* SPDX-License-Identifier: ISC */
/*
 * mailq - list the mail queue as Postfix's mailq does (libmail/showq.c),
 * or as JSON lines (-j, like postqueue -j); -n adds each deferred
 * recipient's next attempt to the listing.  Reads the queue only.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
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
	fwrite(s, 1, n, stdout);
}

int
main(int argc, char *argv[])
{
	struct mail_conf	*conf;
	struct mail_err		 e;
	const char		*cfile = NULL;
	int			 ch, flags = 0;

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
	return fflush(stdout) == EOF ? EX_IOERR : EX_OK;
}
