/* SPDX-License-Identifier: ISC */
/*
 * newaliases - compile aliases(5) files into tdb tables and check them:
 * every table named in alias_database, or the one file given with -f.
 * The work (parse, lint, build, privileges) is alias_build_all() and
 * alias_build() in libmail/alias.c, which sendmail -bi calls too.
 *
 * Trusts: the command line and the configuration; not the alias files.
 */
#include "config.h"

#include <sys/stat.h>

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>
#include <unistd.h>

#include "alias.h"
#include "conf.h"
#include "exitcode.h"
#include "log.h"

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: newaliases [-nvw] [-C config_file] "
	    "[-c config_dir] [-f file]\n");
	exit(EX_USAGE);
}

/* fatal - "newaliases: fatal: ..." through log.h, then exit with ex */
static void __attribute__((noreturn, format(printf, 2, 3)))
fatal(int ex, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vmsg(LOG_ERR, "fatal", fmt, ap);
	va_end(ap);
	exit(ex);
}

int
main(int argc, char *argv[])
{
	struct mail_conf	*conf;
	struct mail_err		 e;
	char			 path[4096];
	const char		*cfile = NULL, *cdir = NULL, *file = NULL;
	int			 c, flags = 0, verbose = 0, n, rc;

	/* fds 0-2 valid, so no file we open can become one of them */
	while ((c = open("/dev/null", O_RDWR)) >= 0 && c <= 2)
		;
	if (c > 2)
		close(c);
	umask(022);
	log_open("newaliases", LOG_TO_STDERR);
	while ((c = getopt(argc, argv, "C:c:f:nvw")) != -1) {
		switch (c) {
		case 'C':
			cfile = optarg;
			break;
		case 'c':
			cdir = optarg;
			break;
		case 'f':
			file = optarg;
			break;
		case 'n':
			flags |= ALIAS_F_LINT_ONLY;
			break;
		case 'v':
			verbose++;
			break;
		case 'w':
			flags |= ALIAS_F_NODUPWARN;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || (cfile != NULL && cdir != NULL))
		usage();
	log_set_verbose(verbose);
	if (cdir != NULL) {
		n = snprintf(path, sizeof path, "%s/main.cf", cdir);
		if (n < 0 || (size_t)n >= sizeof path)
			fatal(EX_USAGE, "-c %s: name too long", cdir);
		cfile = path;
	}
	if (conf_load(&conf, cfile, &e) != EX_OK)
		fatal(e.ex, "%s", e.text);
	if (file != NULL)
		rc = alias_build(conf, file, flags, &e);
	else
		rc = alias_build_all(conf, flags, &e);
	conf_free(conf);
	if (rc != EX_OK)
		fatal(e.ex, "%s", e.text);
	return EX_OK;
}
