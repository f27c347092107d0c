/* SPDX-License-Identifier: ISC */
/*
 * listen - the server around the smtpd engine: settings, TLS key, AUTH
 * table and recipient check from main.cf; listening sockets from -l or
 * from systemd (sd_listen_fds(3) without libsystemd); root given up
 * before the first byte is read; then one session on fds 0/1 or an
 * accept loop whose processes serve one connection at a time, up to a
 * hundred in a row.
 *
 * It trusts the configuration and the command line (whoever starts it
 * chose them), and nothing a client sends: that goes to the engine.  The
 * peer address comes from getpeername(); the environment is consulted
 * only when the session's fd is not a socket, where the environment's
 * setter controls the whole session anyway (BATTERY.md D-21).
 */
#include "config.h"

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
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
#include "listen.h"
#include "local.h"
#include "log.h"
#include "netaddr.h"
#include "queue.h"
#include "smtpd.h"
#include "str.h"
#include "tls.h"

/* Everything a session needs, set up once before the first fork. */
struct server {
	struct smtpd_conf	 sconf;
	struct tls_server	*tls;
	struct smtpd_authtab	 authtab;
	struct mail_conf	*rcptconf;	/* for the recipient check */
	struct mail_conf	*conf;		/* the queue's, when no command */
	char *const		*command;
	long long		 time_limit;	/* command_time_limit, s */
};

static volatile sig_atomic_t	gotchld;

static void
trace(void *ctx, int dir, const char *p, size_t n)
{
	log_debug("%c: %.*s", dir, (int)n, p);
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
	struct server	*sv = ctx;
	struct buf	 b = BUF_INIT(ADDR_PATH_MAX + 8);
	char		*v[2];
	int		 rc;

	if (addr_format(a, &b) == -1)
		return EX_OK;
	v[0] = b.s;
	v[1] = NULL;
	rc = local_deliver(sv->rcptconf, "", v, 1, "", 0, LOCAL_DRYRUN, NULL,
	    noreport, NULL, e);
	buf_free(&b);
	if (rc != EX_OK && rc != EX_NOUSER)
		log_info("recipient check for %s: %s %s", v[0], e->enh,
		    e->text);
	return rc == EX_NOUSER ? EX_NOUSER : EX_OK;
}

/* listen_peer - who is on the other end of fd */
void
listen_peer(int fd, struct smtpd_peer *peer)
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

/*
 * queue_max - the most a message may take in memory for the queue: the
 * size limit and room for our Received: header and the line ends the
 * limit does not count; without a limit, what a queue file can hold.
 */
static size_t
queue_max(const struct server *sv)
{
	long long	lim = sv->sconf.message_size_limit;

	if (lim <= 0 || lim > (1LL << 30))
		return (size_t)1 << 31;
	return (size_t)lim + 65536;
}

/* serve - one session on rfd/wfd; its EX_* result */
static int
serve(struct server *sv, int rfd, int wfd)
{
	struct smtpd_peer	 peer;
	struct smtpd_fdio	 f;
	struct smtpd_io		 io;
	struct smtpd_ops	 ops;
	struct handoff		 h;
	struct mail_err		 e;
	int			 rc;

	listen_peer(rfd, &peer);
	smtpd_fd_io(&f, rfd, wfd, (int)sv->sconf.timeout * 1000, &io);
	memset(&ops, 0, sizeof ops);
	handoff_init(&h, sv->command, getenv("TMPDIR"));
	h.timeout = sv->time_limit;
	/* queue_init() ran in setup(); a failure now is each message's 451 */
	if (sv->command == NULL)
		(void)handoff_queue(&h, sv->conf, queue_max(sv), &e);
	if (sv->rcptconf != NULL) {
		h.rcpt_check = known;
		h.rcpt_ctx = sv;
	}
	handoff_ops(&h, &ops);
	ops.trace = trace;
	if (sv->tls != NULL) {
		ops.tls_ctx = sv->tls;
		ops.starttls = tls_server_starttls;
	}
	if (sv->authtab.name != NULL) {
		ops.auth_ctx = &sv->authtab;
		ops.auth = smtpd_auth_table;
	}
	rc = smtpd_session(&sv->sconf, &peer, &io, &ops);
	tls_server_end(sv->tls);
	handoff_close(&h);
	buf_free(&h.wbuf);
	buf_free(&h.msg);
	return rc;
}

/* serve_fd - listen_loop's callback: one connected socket */
static int
serve_fd(void *ctx, int fd)
{
	return serve(ctx, fd, fd);
}

/* listen_sd_fds - sockets from systemd */
int
listen_sd_fds(void)
{
	const char	*pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	long long	 p, n = 0;
	int		 fd;

	if (pid != NULL && fds != NULL &&
	    str_tonum(pid, 1, 0x7fffffff, &p) == 0 && p == getpid() &&
	    str_tonum(fds, 0, LISTEN_MAX, &n) == 0) {
		for (fd = LISTEN_SD_START; fd < LISTEN_SD_START + n; fd++)
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

/* toomany - tell a connection over the limit, and close it */
static void
toomany(int fd, const char *host, long long nchild)
{
	char	msg[300];
	int	n;

	n = snprintf(msg, sizeof msg, "421 4.7.0 %s Error: too many "
	    "connections\r\n", host);
	if (n > 0 && (size_t)n < sizeof msg && write(fd, msg, (size_t)n) == -1)
		log_warn("write: %s", strerror(errno));
	log_info("too many connections: %lld", nchild);
	close(fd);
}

/*
 * The accept loop keeps its processes, as Postfix's master does with
 * smtpd: a child serves the connection it was started for, then waits
 * for the next one itself, up to LISTEN_MAX_USE sessions or
 * LISTEN_MAX_IDLE seconds without one, so that a busy server forks once
 * per hundred sessions, not once per session.  Each child tells the
 * parent on a pipe when it waits and when it has a connection; the
 * parent accepts only while no child waits (then it starts a child, or
 * answers 421 at the limit), so the limit still counts sessions.  When
 * the parent goes (killed, stopped), each child gets SIGUSR1 from the
 * kernel (PR_SET_PDEATHSIG), closes its copies of the listening sockets
 * at once, so that a new server can bind the port, and ends after its
 * session.  The listening sockets are non-blocking: whoever loses the
 * race for a connection gets EAGAIN.
 */
#define LISTEN_MAX_USE	100	/* sessions per process (max_use) */
#define LISTEN_MAX_IDLE	60	/* seconds a child waits (max_idle) */

struct state {				/* a child's word to the parent */
	pid_t	pid;
	int	idle;
};

static const int		*orphan_lfd;	/* the child's listeners */
static size_t			 orphan_nl;
static volatile sig_atomic_t	 orphaned;

/* onorphan - the parent is gone: no more connections for this child */
static void
onorphan(int sig)
{
	size_t	i;

	(void)sig;
	if (!orphaned)
		for (i = 0; i < orphan_nl; i++)
			(void)close(orphan_lfd[i]);
	orphaned = 1;
}

/* tell - a child says whether it waits */
static void
tell(int fd, int idle)
{
	struct state	st;

	memset(&st, 0, sizeof st);
	st.pid = getpid();
	st.idle = idle;
	/* Smaller than PIPE_BUF: written whole or not at all. */
	if (write(fd, &st, sizeof st) != (ssize_t)sizeof st)
		log_warn("status pipe: %s", strerror(errno));
}

/*
 * child - serve fd, then further connections from the listeners, until
 * LISTEN_MAX_USE sessions, LISTEN_MAX_IDLE idle seconds, or the parent
 * (ppid) is gone
 */
static void __attribute__((noreturn))
child(const int *lfd, size_t nl, int fd, int status, pid_t ppid,
    int (*fn)(void *, int), void *ctx)
{
	struct pollfd		pfd[LISTEN_MAX];
	struct sigaction	sa;
	size_t			i;
	int			used, r, rc = EX_OK;

	signal(SIGCHLD, SIG_DFL);
	orphan_lfd = lfd;
	orphan_nl = nl;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = onorphan;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	if (prctl(PR_SET_PDEATHSIG, SIGUSR1) == -1 || getppid() != ppid)
		onorphan(SIGUSR1);
	for (i = 0; i < nl; i++) {
		pfd[i].fd = lfd[i];
		pfd[i].events = POLLIN;
	}
	for (used = 1;; used++) {
		rc = fn(ctx, fd);
		close(fd);
		if (used >= LISTEN_MAX_USE || orphaned)
			break;
		tell(status, 1);
		for (fd = -1; fd == -1;) {
			r = poll(pfd, (nfds_t)nl, LISTEN_MAX_IDLE * 1000);
			if (orphaned || r == 0 || (r == -1 && errno != EINTR))
				_exit(rc);
			for (i = 0; r > 0 && i < nl && fd == -1; i++)
				if (pfd[i].revents & POLLIN)
					fd = accept4(lfd[i], NULL, NULL,
					    SOCK_CLOEXEC);
		}
		tell(status, 0);
	}
	_exit(rc);
}

/* reap - the children that ended; an idle one no longer waits */
static void
reap(struct state *kids, long long *nchild, long long *nidle)
{
	long long	i;
	pid_t		pid;
	int		status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		for (i = 0; i < *nchild; i++)
			if (kids[i].pid == pid) {
				if (kids[i].idle)
					(*nidle)--;
				kids[i] = kids[--*nchild];
				break;
			}
}

/* heard - the children's words from the status pipe */
static void
heard(int fd, struct state *kids, long long nchild, long long *nidle)
{
	struct state	st[64];
	ssize_t		n, k;
	long long	i;

	while ((n = read(fd, st, sizeof st)) > 0)
		for (k = 0; k < n / (ssize_t)sizeof st[0]; k++)
			for (i = 0; i < nchild; i++)
				if (kids[i].pid == st[k].pid) {
					if (kids[i].idle != (st[k].idle != 0))
						*nidle += st[k].idle ? 1 : -1;
					kids[i].idle = st[k].idle != 0;
					break;
				}
}

/* listen_loop - accept forever; children that serve and wait for more */
int
listen_loop(const int *lfd, size_t nl, long long limit, const char *host,
    int (*fn)(void *, int), void *ctx, struct mail_err *e)
{
	struct pollfd		 pfd[LISTEN_MAX + 1];
	struct sigaction	 sa;
	struct state		*kids;
	long long		 nchild = 0, nidle = 0;
	size_t			 i, np;
	int			 fd, status[2];
	pid_t			 pid, me = getpid();

	if (nl == 0 || nl > LISTEN_MAX)
		return mail_err_set(e, EX_SOFTWARE, NULL, "listen_loop: "
		    "%zu listeners", nl);
	if (limit < 1)
		limit = 1;
	if ((kids = calloc((size_t)limit, sizeof *kids)) == NULL)
		return mail_err_errno(e, errno, "listen_loop");
	if (pipe2(status, O_CLOEXEC | O_NONBLOCK) == -1) {
		free(kids);
		return mail_err_errno(e, errno, "pipe");
	}
	for (i = 0; i < nl; i++)
		(void)fcntl(lfd[i], F_SETFL, fcntl(lfd[i], F_GETFL) |
		    O_NONBLOCK);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = onchld;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);	/* no SA_RESTART: poll wakes up */
	for (;;) {
		gotchld = 0;
		reap(kids, &nchild, &nidle);
		heard(status[0], kids, nchild, &nidle);
		/* The listeners are the waiting children's, if any wait. */
		pfd[0].fd = status[0];
		pfd[0].events = POLLIN;
		for (i = 0, np = 1; nidle == 0 && i < nl; i++, np++) {
			pfd[np].fd = lfd[i];
			pfd[np].events = POLLIN;
		}
		if (gotchld)
			continue;
		if (poll(pfd, (nfds_t)np, -1) == -1) {
			if (errno == EINTR)
				continue;
			free(kids);
			return mail_err_errno(e, errno, "poll");
		}
		for (i = 1; i < np; i++) {
			if (!(pfd[i].revents & POLLIN))
				continue;
			if ((fd = accept4(pfd[i].fd, NULL, NULL,
			    SOCK_CLOEXEC)) == -1)
				continue;	/* a child was quicker */
			if (nchild >= limit) {
				toomany(fd, host, nchild);
				continue;
			}
			if ((pid = fork()) == -1) {
				log_warn("fork: %s", strerror(errno));
				close(fd);
				continue;
			}
			if (pid == 0) {
				close(status[0]);
				child(lfd, nl, fd, status[1], me, fn, ctx);
			}
			kids[nchild].pid = pid;
			kids[nchild++].idle = 0;
			close(fd);
		}
	}
}

/* listen_drop - become user */
int
listen_drop(const char *user, struct mail_err *e)
{
	struct passwd	*pw;

	errno = 0;
	if ((pw = getpwnam(user)) == NULL)
		return mail_err_set(e, EX_OSERR, NULL, "-u %s: no such user",
		    user);
	if (setgroups(1, &pw->pw_gid) == -1 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1 ||
	    getuid() != pw->pw_uid || geteuid() != pw->pw_uid ||
	    getgid() != pw->pw_gid)
		return mail_err_set(e, EX_OSERR, NULL, "cannot become %s: %s",
		    user, strerror(errno));
	return EX_OK;
}

/* setup - the engine's settings, the TLS key, the AUTH table, from cf */
static int
setup(struct server *sv, struct mail_conf *cf, struct mail_err *e)
{
	const char	*cert, *key, *level, *m;
	long long	 t;
	int		 rc;

	if ((rc = smtpd_conf_load(&sv->sconf, cf, e)) != EX_OK)
		return rc;
	/* The key is read now, before -u takes root away. */
	cert = conf_get(cf, "smtpd_tls_cert_file");
	key = conf_get(cf, "smtpd_tls_key_file");
	level = conf_get(cf, "smtpd_tls_security_level");
	if (cert != NULL && *cert != '\0' &&
	    (level == NULL || strcmp(level, "none") != 0) &&
	    (rc = tls_server_new(&sv->tls, cert, key != NULL && *key != '\0' ?
	    key : cert, e)) != EX_OK)
		return rc;
	if (conf_get_bool(cf, "smtpd_sasl_auth_enable") == 1) {
		m = conf_get(cf, "smtpd_sasl_user_maps");
		if (m == NULL || *m == '\0')
			return mail_err_set(e, EX_CONFIG, NULL,
			    "smtpd_sasl_auth_enable = yes needs "
			    "smtpd_sasl_user_maps (user -> crypt(3) hash)");
		if ((sv->authtab.name = str_dup(m)) == NULL)
			return mail_err_errno(e, errno, "smtpd_sasl_user_maps");
	}
	if (conf_get(cf, "smtpd_reject_unlisted_recipient") != NULL &&
	    conf_get_bool(cf, "smtpd_reject_unlisted_recipient") == 1)
		sv->rcptconf = cf;	/* local_deliver() reads it per RCPT */
	/* the hand-off is a command delivery: Postfix's pipe(8) limit */
	sv->time_limit = 1000;
	if ((rc = conf_get_time(cf, "command_time_limit", 's', &t, e)) != EX_OK)
		return rc;
	sv->time_limit = t;
	if (sv->command == NULL) {
		/* Without a command: the queue, made now (before -u). */
		sv->conf = cf;
		if ((rc = queue_init(conf_get(cf, "queue_directory"), e)) !=
		    EX_OK)
			log_warn("queue: %s (each message gets 451 until this "
			    "is fixed)", e->text);
	}
	return EX_OK;
}

/* server_free - what setup() and the sockets took */
static void
server_free(struct server *sv, const int *lfd, size_t nl)
{
	size_t	i;

	for (i = 0; i < nl; i++)
		close(lfd[i]);
	smtpd_conf_free(&sv->sconf);
	if (sv->tls != NULL)
		tls_server_free(sv->tls);
	smtpd_authtab_close(&sv->authtab);
	free((char *)sv->authtab.name);
	memset(sv, 0, sizeof *sv);
}

/* run - listen_run once the server is set up */
static int
run(struct server *sv, const struct listen_opts *o, int *lfd, size_t *nl,
    struct mail_err *e)
{
	size_t	i;
	int	fd, nsd, rc;

	for (i = 0; i < o->naddr; i++) {
		if (*nl == LISTEN_MAX)
			return mail_err_set(e, EX_USAGE, NULL, "more than %d "
			    "listening sockets", LISTEN_MAX);
		if ((lfd[*nl] = netaddr_listen(o->addr[i], 128, e)) == -1)
			return e->ex;
		(*nl)++;
	}
	nsd = listen_sd_fds();
	for (fd = LISTEN_SD_START; fd < LISTEN_SD_START + nsd; fd++) {
		if (!is_listener(fd)) {
			/* systemd Accept=yes with the connection on fd 3 */
			if (o->user != NULL &&
			    (rc = listen_drop(o->user, e)) != EX_OK)
				return rc;
			return serve(sv, fd, fd);
		}
		if (*nl == LISTEN_MAX)
			return mail_err_set(e, EX_USAGE, NULL, "more than %d "
			    "listening sockets", LISTEN_MAX);
		lfd[(*nl)++] = fd;
	}
	if (o->user != NULL && (rc = listen_drop(o->user, e)) != EX_OK)
		return rc;
	if (*nl == 0)
		return serve(sv, 0, 1);
	if (o->ready != NULL)
		o->ready(o->ready_ctx, lfd, *nl);
	return listen_loop(lfd, *nl, o->limit, sv->sconf.myhostname,
	    serve_fd, sv, e);
}

/* listen_run - smtp-listen after its options */
int
listen_run(struct mail_conf *cf, const struct listen_opts *o,
    struct mail_err *e)
{
	struct server	 sv;
	int		 lfd[LISTEN_MAX], rc;
	size_t		 nl = 0;

	memset(&sv, 0, sizeof sv);
	sv.command = o->command;
	if ((rc = setup(&sv, cf, e)) == EX_OK) {
		sv.sconf.submission = o->submission;
		rc = run(&sv, o, lfd, &nl, e);
	}
	server_free(&sv, lfd, nl);
	return rc;
}
