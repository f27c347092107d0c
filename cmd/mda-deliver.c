/* SPDX-License-Identifier: ISC */
/*
 * mda-deliver - local delivery: the message on stdin, the envelope on the
 * command line, into mbox or Maildir through canonical maps, aliases and
 * .forward files (libmail/local.c does all of it).
 *
 * Trusts the command line and the configuration; the message is data.
 * Exit status is sysexits; each failed recipient gets one line on stderr,
 * "ENHANCED-CODE reason", the first of them being the one a caller puts
 * into its SMTP reply or bounce.
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "exitcode.h"
#include "io.h"
#include "local.h"
#include "log.h"
#include "str.h"

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: mda-deliver [-nv] [-C config_file] "
	    "[-f sender] recipient ...\n");
	exit(EX_USAGE);
}

static void __attribute__((noreturn))
fail(const struct mail_err *e)
{
	fprintf(stderr, "%s %s\n", e->enh, e->text);
	exit(e->ex);
}

static void
report(void *arg, const char *rcpt, const struct mail_err *e)
{
	(void)arg;
	(void)rcpt;
	if (e->ex != EX_OK)
		fprintf(stderr, "%s %s\n", e->enh, e->text);
}

int
main(int argc, char *argv[])
{
	struct mail_conf	*conf;
	struct mail_err		 e;
	struct buf		 msg, plan = BUF_INIT(1 << 20);
	const char		*cfile = NULL, *sender = "";
	char			 sbuf[300];
	long long		 max;
	size_t			 n;
	int			 ch, flags = 0, verbose = 0, ex;

	/* fds 0-2 must be open, or a mailbox could become stderr. */
	io_stdfds();
	umask(077);
	log_open(argv[0], LOG_TO_STDERR);
	while ((ch = getopt(argc, argv, "C:f:nv")) != -1) {
		switch (ch) {
		case 'C':
			cfile = optarg;
			break;
		case 'f':
			sender = optarg;
			break;
		case 'n':
			flags |= LOCAL_DRYRUN;
			break;
		case 'v':
			verbose++;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	log_set_verbose(verbose);
	n = strlen(sender);
	if (n >= 2 && sender[0] == '<' && sender[n - 1] == '>') {
		if (str_copy(sbuf, sizeof sbuf, sender + 1) == -1)
			usage();
		sbuf[n - 2] = '\0';
		sender = sbuf;
	}
	if (strlen(sender) > 256 || str_has_ctl(sender, strlen(sender))) {
		mail_err_set(&e, EX_DATAERR, "5.1.7",
		    "bad sender address: control character or too long");
		fail(&e);
	}
	if (conf_load(&conf, cfile, &e) != EX_OK)
		fail(&e);
	if (conf_get_num(conf, "message_size_limit", &max, &e) != EX_OK)
		fail(&e);
	if (local_read_message(STDIN_FILENO, &msg, (unsigned long long)max,
	    &e) != EX_OK)
		fail(&e);
	ex = local_deliver(conf, sender, argv, argc, buf_str(&msg), msg.len,
	    flags, (flags & LOCAL_DRYRUN) ? &plan : NULL, report, NULL, &e);
	if (flags & LOCAL_DRYRUN)
		fputs(buf_str(&plan), stdout);
	if (fflush(stdout) == EOF && ex == EX_OK)
		ex = EX_IOERR;
	buf_free(&msg);
	buf_free(&plan);
	conf_free(conf);
	return ex;
}
