/* SPDX-License-Identifier: ISC */
/*
 * sendmail - the classic injection interface that cron, mail(1), PHP and
 * MUAs call: queue the message on stdin (libmail/submit.c), then, by the
 * delivery mode (-od, delivery_mode), kick the background runner and exit
 * (kick.c), make the delivery attempt here before exiting (qrun.c), or
 * leave it queued; or, by its options, list the queue (-bp), rebuild the
 * aliases (-bi), speak SMTP on stdin (-bs, through smtp-listen) or run
 * the queue (-q, -qINTERVAL).
 * Legacy options of other sendmails are ignored with a warning, as
 * Postfix's sendmail does.  Trusts its caller no more than a network
 * client: every address is checked in libmail.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "alias.h"
#include "conf.h"
#include "exitcode.h"
#include "io.h"
#include "kick.h"
#include "log.h"
#include "qrun.h"
#include "queue.h"
#include "showq.h"
#include "str.h"
#include "submit.h"

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: sendmail [-tiv] [-C config] [-F name] "
	    "[-f sender] [-N dsn] [-R full | hdrs] [-V envid]\n"
	    "       [-bm | -bp | -bi | -bs] [-odb | -odi | -odq] "
	    "[-q[interval]] [recipient ...]\n");
	exit(EX_USAGE);
}

static void __attribute__((noreturn))
fail(const struct mail_err *e)
{
	fprintf(stderr, "sendmail: %s %s\n", e->enh, e->text);
	exit(e->ex);
}

/*
 * smtp_stdin - -bs: SMTP on stdin/stdout through smtp-listen's engine
 * (the smtp-listen beside this program), each message handed back to this
 * program (-i -f SENDER -- RCPT...), so it is queued and delivered as any
 * other local submission.  The client is the local user: 127.0.0.1.
 */
static void __attribute__((noreturn))
smtp_stdin(const char *cfile)
{
	char		 self[PATH_MAX], listen[PATH_MAX + 16], *slash;
	const char	*av[12];
	ssize_t		 n;
	size_t		 k = 0;

	if ((n = readlink("/proc/self/exe", self, sizeof self - 1)) == -1 ||
	    (size_t)n >= sizeof self - 1) {
		fprintf(stderr, "sendmail: 4.3.0 -bs: cannot find myself\n");
		exit(EX_TEMPFAIL);
	}
	self[n] = '\0';
	if ((slash = strrchr(self, '/')) == NULL)
		exit(EX_TEMPFAIL);
	n = snprintf(listen, sizeof listen, "%.*s/smtp-listen",
	    (int)(slash - self), self);
	if (n < 0 || (size_t)n >= sizeof listen)
		exit(EX_TEMPFAIL);
	av[k++] = listen;
	if (cfile != NULL) {
		av[k++] = "-C";
		av[k++] = cfile;
	}
	av[k++] = "--";
	av[k++] = self;
	if (cfile != NULL) {
		av[k++] = "-C";
		av[k++] = cfile;
	}
	av[k++] = "-i";
	av[k] = NULL;
	if (setenv("TCPREMOTEIP", "127.0.0.1", 1) == -1)
		exit(EX_TEMPFAIL);
	execv(listen, (char *const *)av);
	fprintf(stderr, "sendmail: 4.3.0 -bs: %s: %s\n", listen,
	    strerror(errno));
	exit(EX_TEMPFAIL);
}

/*
 * delivery - the delivery mode: 'b' background (kick the runner, exit),
 * 'i' interactive (the attempt in this process), 'q' queue only; from
 * -od (od), else -v (which shows the attempt: 'i'), else delivery_mode,
 * which is checked in any case
 */
static int
delivery(const struct mail_conf *conf, int od, int verbose)
{
	static const char *const names[] = { "background", "interactive",
	    "queue" };
	const char	*v = conf_get(conf, "delivery_mode");
	size_t		 i, n = sizeof names / sizeof names[0];
	int		 dm = 'b';

	for (i = 0; i < n && v != NULL; i++)
		if (strcmp(v, names[i]) == 0)
			break;
	if (i < n)
		dm = names[i][0];
	else
		log_warn("delivery_mode = %s: want background, interactive "
		    "or queue; background used", v != NULL ? v : "");
	if (od != 0)
		return od;
	return verbose ? 'i' : dm;
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
	struct submit_opts	 o;
	struct passwd		*pw;
	char			 id[QUEUE_ID_MAX], gecos[256], envid[304];
	const char		*cfile = NULL, *mode = "m", *q = NULL;
	long long		 interval;
	int			 ch, verbose = 0, ex, od = 0;

	io_stdfds();
	umask(077);
	memset(&o, 0, sizeof o);
	o.dotstop = 1;
	opterr = 0;
	while ((ch = getopt(argc, argv,
	    "+B:C:F:L:N:R:V:X:b:f:h:imno:q::r:tv")) != -1) {
		switch (ch) {
		case 'C':
			cfile = optarg;
			break;
		case 'F':
			o.fullname = optarg;
			break;
		case 'b':
			if (strcmp(optarg, "m") != 0 &&
			    strcmp(optarg, "p") != 0 &&
			    strcmp(optarg, "s") != 0 &&
			    strcmp(optarg, "i") != 0) {
				fprintf(stderr, "sendmail: -b%s is not "
				    "supported\n", optarg);
				exit(EX_USAGE);
			}
			mode = optarg;
			break;
		case 'f':
		case 'r':
			o.sender = optarg;
			break;
		case 'i':
			o.dotstop = 0;
			break;
		case 'N':
			if ((o.notify = queue_notify_parse(optarg)) == -1) {
				fprintf(stderr, "sendmail: -N %s: want never, "
				    "or success, failure and delay\n", optarg);
				exit(EX_USAGE);
			}
			break;
		case 'R':
			if (strcasecmp(optarg, "full") == 0)
				o.ret = QUEUE_RET_FULL;
			else if (strcasecmp(optarg, "hdrs") == 0)
				o.ret = QUEUE_RET_HDRS;
			else {
				fprintf(stderr, "sendmail: -R %s: want full "
				    "or hdrs\n", optarg);
				exit(EX_USAGE);
			}
			break;
		case 'V':
			if (submit_xtext(optarg, envid, sizeof envid) == -1 ||
			    strlen(envid) > 100) {
				fprintf(stderr, "sendmail: -V: envelope id "
				    "longer than 100 xtext bytes\n");
				exit(EX_USAGE);
			}
			o.envid = optarg;
			break;
		case 'o':
			if (strcmp(optarg, "i") == 0)
				o.dotstop = 0;
			else if (strcmp(optarg, "db") == 0 ||
			    strcmp(optarg, "di") == 0 ||
			    strcmp(optarg, "dq") == 0)
				od = optarg[1];
			else
				fprintf(stderr, "sendmail: warning: -o%s "
				    "ignored\n", optarg);
			break;
		case 'q':
			mode = "q";
			q = optarg != NULL ? optarg : "";
			break;
		case 't':
			o.extract = 1;
			break;
		case 'v':
			verbose++;
			break;
		case '?':
			if (strchr("bfCFrNRV", optopt) != NULL)
				usage();
			fprintf(stderr, "sendmail: warning: -%c ignored\n",
			    optopt);
			break;
		default:
			fprintf(stderr, "sendmail: warning: -%c ignored\n",
			    ch);
			break;
		}
	}
	argc -= optind;
	argv += optind;
	if (strcmp(mode, "s") == 0)
		smtp_stdin(cfile);
	log_open("sendmail", verbose ? LOG_TO_STDERR : LOG_AUTO);
	log_set_verbose(verbose);
	if (conf_load(&conf, cfile, &e) != EX_OK)
		fail(&e);
	if (strcmp(mode, "i") == 0 || strcmp(mode, "p") == 0 ||
	    strcmp(mode, "q") == 0) {
		if (strcmp(mode, "i") == 0)
			ex = alias_build_all(conf, 0, &e);
		else if (strcmp(mode, "p") == 0)
			ex = showq(conf_get(conf, "queue_directory"), 0, put,
			    NULL, &e);
		else if ((ex = queue_init(conf_get(conf, "queue_directory"),
		    &e)) != EX_OK)
			;
		else if (*q == '\0')
			ex = qrun_pass(conf, 0, NULL, &e);
		else if (str_toduration(q, 'm', &interval) == -1)
			ex = mail_err_set(&e, EX_USAGE, "5.5.4",
			    "bad interval -q%s", q);
		else
			ex = kick_serve(conf, interval, &e);
		conf_free(conf);
		if (ex != EX_OK)
			fail(&e);
		return fflush(stdout) == EOF ? EX_IOERR : EX_OK;
	}
	if ((pw = getpwuid(getuid())) == NULL) {
		mail_err_set(&e, EX_NOUSER, "5.1.7", "who are you? (uid %ld "
		    "has no name); use -f", (long)getuid());
		fail(&e);
	}
	o.login = pw->pw_name;
	if (o.fullname == NULL && pw->pw_gecos != NULL &&
	    str_copy(gecos, sizeof gecos, pw->pw_gecos) == 0) {
		gecos[strcspn(gecos, ",")] = '\0';
		o.fullname = gecos;
	}
	if (o.sender != NULL && strcmp(o.sender, "<>") == 0)
		o.sender = "";
	o.rcpt = argv;
	o.nrcpt = (size_t)argc;
	if (argc == 0 && !o.extract) {
		fprintf(stderr, "sendmail: no recipients given\n");
		usage();
	}
	if ((ex = submit(conf, &o, STDIN_FILENO, id, &e)) != EX_OK)
		fail(&e);
	/*
	 * Queued: the message is safe, whatever follows.  The attempt's
	 * outcome is logged; a kick that fails leaves the message for the
	 * next runner or sendmail -q.
	 */
	switch (delivery(conf, od, verbose)) {
	case 'i':
		(void)qrun_message(conf, id, 0, (long long)time(NULL), NULL,
		    &e);
		break;
	case 'b':
		if (kick(conf, 0, &e) != EX_OK)
			log_warn("%s: queued, but no queue runner: %s", id,
			    e.text);
		break;
	}
	conf_free(conf);
	return EX_OK;
}
