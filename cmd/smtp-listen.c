/* SPDX-License-Identifier: ISC */
/*
 * smtp-listen - the SMTP server: one session on fds 0/1 (inetd, xinetd,
 * tcpserver, systemd Accept=yes), or standalone on -l ADDR:PORT or on
 * sockets passed by systemd (LISTEN_FDS), a process per connection.  Each
 * accepted message goes to "command args -f SENDER -- RCPT...".
 *
 * STARTTLS is offered when smtpd_tls_cert_file is set; the key is
 * loaded before -u drops root.  AUTH is offered (after STARTTLS unless
 * smtpd_tls_auth_only = no) when smtpd_sasl_auth_enable = yes, against
 * the table smtpd_sasl_user_maps, opened at the first AUTH.  With
 * smtpd_reject_unlisted_recipient = yes a local recipient that
 * mda-deliver would not find is refused at RCPT time (550 5.1.1).
 *
 * The peer address comes from getpeername(0); only when fd 0 is not a
 * socket (pipes under socat or a test) from TCPREMOTEIP, REMOTE_ADDR or
 * REMOTE_HOST, which whoever starts the program controls anyway.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "exitcode.h"
#include "handoff.h"
#include "local.h"
#include "log.h"
#include "netaddr.h"
#include "smtpd.h"
#include "str.h"
#include "tls.h"

#define MAXLISTEN	16
#define MAXSET		64
#define SD_LISTEN_FDS_START 3

static struct smtpd_conf	 sconf;
static struct tls_server	*tls;
static struct smtpd_authtab	 authtab;
static struct mail_conf		*rcptconf;	/* for the recipient check */

static int	known(void *, const struct addr *, struct mail_err *);
static char *const		*command;
static volatile sig_atomic_t	 gotchld;

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: smtp-listen [-1sv] [-C file] [-c limit] "
	    "[-l addr:port] [-o name=value] [-u user]\n"
	    "                   -- command [arg ...]\n");
	exit(EX_USAGE);
}

static void
trace(void *ctx, int dir, const char *p, size_t n)
{
	log_debug("%c: %.*s", dir, (int)n, p);
}

static void
peer_of(int fd, struct smtpd_peer *peer)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof ss;
	const char		*env[] = { "TCPREMOTEIP", "REMOTE_ADDR",
	    "REMOTE_HOST" }, *v;
	size_t			 i;

	memset(peer, 0, sizeof *peer);
	if (getpeername(fd, (struct sockaddr *)&ss, &len) == 0) {
		netaddr_from_sockaddr((struct sockaddr *)&ss, len,
		    &peer->addr);
		len = sizeof ss;
		if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
			netaddr_from_sockaddr((struct sockaddr *)&ss, len,
			    &peer->local);
		return;
	}
	for (i = 0; i < sizeof env / sizeof env[0]; i++)
		if ((v = getenv(env[i])) != NULL &&
		    netaddr_parse(v, &peer->addr) == 0)
			break;
	if ((v = getenv("TCPLOCALIP")) != NULL)
		netaddr_parse(v, &peer->local);
}

/* serve - one session on rfd/wfd; its EX_* result */
static int
serve(int rfd, int wfd)
{
	struct smtpd_peer	 peer;
	struct smtpd_fdio	 f;
	struct smtpd_io		 io;
	struct smtpd_ops	 ops;
	struct handoff		 h;
	int			 rc;

	peer_of(rfd, &peer);
	smtpd_fd_io(&f, rfd, wfd, (int)sconf.timeout * 1000, &io);
	memset(&ops, 0, sizeof ops);
	handoff_init(&h, command, getenv("TMPDIR"));
	handoff_ops(&h, &ops);
	ops.trace = trace;
	if (tls != NULL) {
		ops.tls_ctx = tls;
		ops.starttls = tls_server_starttls;
	}
	if (authtab.name != NULL) {
		ops.auth_ctx = &authtab;
		ops.auth = smtpd_auth_table;
	}
	if (rcptconf != NULL)
		ops.rcpt_check = known;
	rc = smtpd_session(&sconf, &peer, &io, &ops);
	handoff_close(&h);
	buf_free(&h.wbuf);
	return rc;
}

/* listen_fds - sockets from systemd (sd_listen_fds(3) without libsystemd) */
static int
listen_fds(void)
{
	const char	*pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	long long	 p, n = 0;

	if (pid != NULL && fds != NULL &&
	    str_tonum(pid, 1, 0x7fffffff, &p) == 0 && p == getpid() &&
	    str_tonum(fds, 0, MAXLISTEN, &n) == 0) {
		for (int fd = SD_LISTEN_FDS_START;
		    fd < SD_LISTEN_FDS_START + n; fd++)
			(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	} else
		n = 0;
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return (int)n;
}

static int
is_listener(int fd)
{
	int		v = 0;
	socklen_t	len = sizeof v;

	return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &len) == 0 && v;
}

static void
onchld(int sig)
{
	gotchld = 1;
}

/* loop - accept on the listeners forever, a child per connection */
static void __attribute__((noreturn))
loop(const int *lfd, int nl, long long limit)
{
	struct pollfd		 pfd[MAXLISTEN];
	struct sigaction	 sa;
	long long		 nchild = 0;
	int			 i, fd, status;
	pid_t			 pid;
	char			 msg[300];

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = onchld;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);	/* no SA_RESTART: poll wakes up */
	for (i = 0; i < nl; i++) {
		pfd[i].fd = lfd[i];
		pfd[i].events = POLLIN;
	}
	for (;;) {
		gotchld = 0;
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
			nchild--;
		if (poll(pfd, (nfds_t)nl, -1) == -1) {
			if (errno != EINTR)
				log_warn("poll: %s", strerror(errno));
			continue;
		}
		for (i = 0; i < nl; i++) {
			if (!(pfd[i].revents & POLLIN))
				continue;
			if ((fd = accept4(lfd[i], NULL, NULL,
			    SOCK_CLOEXEC)) == -1)
				continue;
			if (nchild >= limit) {
				int n = snprintf(msg, sizeof msg, "421 4.7.0 "
				    "%s Error: too many connections\r\n",
				    sconf.myhostname);

				if (n > 0 && (size_t)n < sizeof msg &&
				    write(fd, msg, (size_t)n) == -1)
					log_warn("write: %s", strerror(errno));
				log_info("too many connections: %lld", nchild);
				close(fd);
				continue;
			}
			if ((pid = fork()) == -1) {
				log_warn("fork: %s", strerror(errno));
				close(fd);
				continue;
			}
			if (pid == 0) {
				signal(SIGCHLD, SIG_DFL);
				for (int k = 0; k < nl; k++)
					close(lfd[k]);
				_exit(serve(fd, fd));
			}
			nchild++;
			close(fd);
		}
	}
}

static int
dropto(const char *user)
{
	struct passwd	*pw;

	if ((pw = getpwnam(user)) == NULL) {
		log_error("-u %s: no such user", user);
		return -1;
	}
	if (setgroups(1, &pw->pw_gid) == -1 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1 ||
	    getuid() != pw->pw_uid || geteuid() != pw->pw_uid) {
		log_error("cannot become %s: %s", user, strerror(errno));
		return -1;
	}
	return 0;
}

/* configure - main.cf, then the -o settings, into sconf */
static int
configure(const char *cfile, char **set, int nset)
{
	struct mail_conf	*cf;
	struct mail_err		 e;
	const char		*cert, *key, *level;
	char			*eq;
	int			 i, rc;

	if ((rc = conf_load(&cf, cfile, &e)) != EX_OK) {
		log_error("%s", e.text);
		return rc;
	}
	for (i = 0; i < nset; i++) {
		eq = strchr(set[i], '=');
		*eq = '\0';
		if ((rc = conf_set(cf, set[i], eq + 1, &e)) != EX_OK) {
			log_error("-o %s: %s", set[i], e.text);
			break;
		}
	}
	if (rc == EX_OK && (rc = smtpd_conf_load(&sconf, cf, &e)) != EX_OK)
		log_error("%s", e.text);
	/* The key is read now, before -u takes root away. */
	cert = conf_get(cf, "smtpd_tls_cert_file");
	key = conf_get(cf, "smtpd_tls_key_file");
	level = conf_get(cf, "smtpd_tls_security_level");
	if (rc == EX_OK && cert != NULL && *cert != '\0' &&
	    (level == NULL || strcmp(level, "none") != 0) &&
	    (rc = tls_server_new(&tls, cert, key != NULL && *key != '\0' ?
	    key : cert, &e)) != EX_OK)
		log_error("%s", e.text);
	if (rc == EX_OK && conf_get_bool(cf, "smtpd_sasl_auth_enable") == 1) {
		const char *m = conf_get(cf, "smtpd_sasl_user_maps");

		if (m == NULL || *m == '\0') {
			log_error("smtpd_sasl_auth_enable = yes needs "
			    "smtpd_sasl_user_maps (user -> crypt(3) hash)");
			rc = EX_CONFIG;
		} else if ((authtab.name = str_dup(m)) == NULL)
			rc = EX_OSERR;
	}
	if (rc == EX_OK && conf_get(cf, "smtpd_reject_unlisted_recipient") !=
	    NULL && conf_get_bool(cf, "smtpd_reject_unlisted_recipient") == 1) {
		rcptconf = cf;	/* kept: local_deliver() reads it per RCPT */
		return rc;
	}
	conf_free(cf);
	return rc;
}

static void
noreport(void *ctx, const char *rcpt, const struct mail_err *e)
{
}

/*
 * known - the recipient check: mda-deliver's own expansion (canonical
 * maps, aliases, users, .forward), planned but not carried out.  Only a
 * definite "no such user" refuses the recipient; anything else is left
 * to the hand-off.
 */
static int
known(void *ctx, const struct addr *a, struct mail_err *e)
{
	struct buf	 b = BUF_INIT(ADDR_PATH_MAX + 8);
	char		*v[2];
	int		 rc;

	if (addr_format(a, &b) == -1)
		return EX_OK;
	v[0] = b.s;
	v[1] = NULL;
	rc = local_deliver(rcptconf, "", v, 1, "", 0, LOCAL_DRYRUN, NULL,
	    noreport, NULL, e);
	buf_free(&b);
	if (rc != EX_OK && rc != EX_NOUSER)
		log_info("recipient check for %s: %s %s", v[0], e->enh,
		    e->text);
	return rc == EX_NOUSER ? EX_NOUSER : EX_OK;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "submission", no_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 }
	};
	struct mail_err		 e;
	struct stat		 st;
	const char		*cfile = NULL, *user = NULL, *listen_on[MAXLISTEN];
	char			*set[MAXSET];
	long long		 limit = 100;
	int			 c, vflag = 0, pflag = 0, sflag = 0, nlisten = 0;
	int			 lfd[MAXLISTEN], nl = 0, i, nsd, rc, nset = 0;

	umask(077);
	for (i = 0; i < 3; i++)
		if (fcntl(i, F_GETFD) == -1 && open("/dev/null", O_RDWR) != i)
			return EX_OSERR;
	/* Under inetd fd 2 may be the client: then log to syslog. */
	log_open(argv[0], fstat(2, &st) == 0 && S_ISSOCK(st.st_mode) ?
	    LOG_TO_SYSLOG : LOG_TO_STDERR);
	signal(SIGPIPE, SIG_IGN);
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
			if (str_tonum(optarg, 1, 100000, &limit) == -1) {
				log_error("-c %s: want 1..100000", optarg);
				return EX_USAGE;
			}
			break;
		case 'l':
			if (nlisten == MAXLISTEN)
				usage();
			listen_on[nlisten++] = optarg;
			break;
		case 'o':
			if (strchr(optarg, '=') == NULL || nset == MAXSET)
				usage();
			set[nset++] = optarg;
			break;
		case 's':
			sflag = 1;
			break;
		case 'u':
			user = optarg;
			break;
		case 'v':
			vflag++;
			break;
		default:
			usage();
		}
	}
	argv += optind;
	if (*argv == NULL) {
		log_error("no hand-off command given (the queue is not "
		    "available yet): use smtp-listen -- command");
		usage();
	}
	command = argv;
	log_set_verbose(vflag);
	if ((rc = configure(cfile, set, nset)) != EX_OK)
		return rc;
	sconf.submission = sflag;

	for (i = 0; i < nlisten; i++) {
		if ((lfd[nl] = netaddr_listen(listen_on[i], 128, &e)) == -1) {
			log_error("%s", e.text);
			return e.ex;
		}
		nl++;
	}
	nsd = listen_fds();
	for (i = 0; i < nsd && nl < MAXLISTEN; i++) {
		int fd = SD_LISTEN_FDS_START + i;

		if (!is_listener(fd)) {
			/* systemd Accept=yes with the connection on fd 3 */
			if (user != NULL && dropto(user) == -1)
				return EX_OSERR;
			return serve(fd, fd);
		}
		lfd[nl++] = fd;
	}
	if (user != NULL && dropto(user) == -1)
		return EX_OSERR;
	if (nl == 0)
		return serve(0, 1);
	if (pflag) {
		for (i = 0; i < nl; i++)
			printf("%d\n", netaddr_port(lfd[i]));
		fflush(stdout);
	}
	loop(lfd, nl, limit);
}
