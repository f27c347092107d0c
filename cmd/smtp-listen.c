/* SPDX-License-Identifier: ISC */
/*
 * smtp-listen - the SMTP server: one session on fds 0/1 (inetd, xinetd,
 * tcpserver, systemd Accept=yes), or standalone on -l ADDR:PORT or on
 * sockets passed by systemd (LISTEN_FDS), a process per connection.  Each
 * accepted message goes into the queue (queue_directory), or with
 * "-- command args" to "command args -f SENDER -- RCPT..."
 *
 * This file is the command line and the configuration; the server is
 * libmail/listen.c, the protocol libmail/smtpd.c.  It trusts its options
 * and main.cf, nothing from the network.
 */
#include "config.h"

#include <sys/stat.h>

#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "exitcode.h"
#include "listen.h"
#include "log.h"
#include "netaddr.h"
#include "str.h"

#define MAXSET		64

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: smtp-listen [-1sv] [-C file] [-c limit] "
	    "[-l addr:port] [-o name=value] [-u user]\n"
	    "                   [-- command [arg ...]]\n");
	exit(EX_USAGE);
}

/* printports - -1: the bound ports, one a line, for tests on port 0 */
static void
printports(void *ctx, const int *fd, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		printf("%d\n", netaddr_port(fd[i]));
	fflush(stdout);
}

/* configure - main.cf, then the -o settings */
static int
configure(struct mail_conf **cf, const char *cfile, char **set, int nset)
{
	struct mail_err	 e;
	char		*eq;
	int		 i, rc;

	if ((rc = conf_load(cf, cfile, &e)) != EX_OK) {
		log_error("%s", e.text);
		return rc;
	}
	for (i = 0; i < nset; i++) {
		eq = strchr(set[i], '=');
		*eq = '\0';
		if ((rc = conf_set(*cf, set[i], eq + 1, &e)) != EX_OK) {
			log_error("-o %s: %s", set[i], e.text);
			conf_free(*cf);
			return rc;
		}
	}
	return EX_OK;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "submission", no_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 }
	};
	struct listen_opts	 o;
	struct mail_conf	*cf;
	struct mail_err		 e;
	struct stat		 st;
	const char		*cfile = NULL, *addr[LISTEN_MAX];
	char			*set[MAXSET];
	int			 c, vflag = 0, pflag = 0, i, rc, nset = 0;

	umask(077);
	for (i = 0; i < 3; i++)
		if (fcntl(i, F_GETFD) == -1 && open("/dev/null", O_RDWR) != i)
			return EX_OSERR;
	/* Under inetd fd 2 may be the client: then log to syslog. */
	log_open(argv[0], fstat(2, &st) == 0 && S_ISSOCK(st.st_mode) ?
	    LOG_TO_SYSLOG : LOG_TO_STDERR);
	signal(SIGPIPE, SIG_IGN);
	memset(&o, 0, sizeof o);
	mail_err_clear(&e);
	o.addr = addr;
	o.limit = 100;
	while ((c = getopt_long(argc, argv, "+1C:c:l:o:svu:", longopts,
	    NULL)) != -1) {
		switch (c) {
		case '1':
			pflag = 1;
			break;
		case 'C':
			cfile = optarg;
			break;
		case 'c':
			if (str_tonum(optarg, 1, 100000, &o.limit) == -1) {
				log_error("-c %s: want 1..100000", optarg);
				return EX_USAGE;
			}
			break;
		case 'l':
			if (o.naddr == LISTEN_MAX)
				usage();
			addr[o.naddr++] = optarg;
			break;
		case 'o':
			if (strchr(optarg, '=') == NULL || nset == MAXSET)
				usage();
			set[nset++] = optarg;
			break;
		case 's':
			o.submission = 1;
			break;
		case 'u':
			o.user = optarg;
			break;
		case 'v':
			vflag++;
			break;
		default:
			usage();
		}
	}
	argv += optind;
	o.command = *argv != NULL ? argv : NULL;
	if (pflag)
		o.ready = printports;
	log_set_verbose(vflag);
	if ((rc = configure(&cf, cfile, set, nset)) != EX_OK)
		return rc;
	if ((rc = listen_run(cf, &o, &e)) != EX_OK && e.text[0] != '\0')
		log_error("%s", e.text);
	conf_free(cf);
	return rc;
}
