/* SPDX-License-Identifier: ISC */
/*
 * handoff - run a command per message, the way Postfix's pipe(8) and
 * qmail's qmail-local do, but with smtp-listen's reply decided by the
 * command's exit status.
 *
 * The message is spooled first to an unlinked temporary file, so a
 * message the SMTP engine refuses at its end (too big, a loop, a broken
 * line) never reaches the command, and the command gets a seekable stdin.
 * The envelope goes on the command line after "--", so no address can be
 * taken for an option ("-oQ/tmp/x@example.test" is a valid local part).
 * The command's stdout goes to /dev/null (in inetd mode fd 1 is the
 * client); its stderr is read into a bounded buffer and only its first
 * line is kept, made printable, for the reply.  It trusts the command to
 * follow sysexits.h; a signal or a timeout is a temporary failure.
 *
 * The queue hand-off needs no process per message: the message is kept
 * in a bounded buffer and queue_enqueue() writes it durably before the
 * engine answers.  Delivery runs in a detached background process, one
 * per queue, started by kick.c; it keeps our stderr (the log) unless
 * that is the client's socket.
 */
#include "config.h"

#include <sys/statvfs.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "exitcode.h"
#include "handoff.h"
#include "kick.h"
#include "log.h"
#include "queue.h"
#include "smtpd.h"

extern char **environ;

/* The DSN values of the SMTP engine go into the queue file unchanged. */
_Static_assert(SMTPD_RET_FULL == QUEUE_RET_FULL &&
    SMTPD_RET_HDRS == QUEUE_RET_HDRS &&
    SMTPD_NOTIFY_NEVER == QUEUE_NOTIFY_NEVER &&
    SMTPD_NOTIFY_SUCCESS == QUEUE_NOTIFY_SUCCESS &&
    SMTPD_NOTIFY_FAILURE == QUEUE_NOTIFY_FAILURE &&
    SMTPD_NOTIFY_DELAY == QUEUE_NOTIFY_DELAY, "smtpd.h and queue.h differ");

#define WBUF_MAX	65536
#define ERRLINE_MAX	400

/* handoff_init - a hand-off to argv, spooled in tmpdir */
void
handoff_init(struct handoff *h, char *const *argv, const char *tmpdir)
{
	memset(h, 0, sizeof *h);
	h->argv = argv;
	h->tmpdir = tmpdir != NULL && *tmpdir != '\0' ? tmpdir : "/tmp";
	h->timeout = 1000;	/* Postfix's command_time_limit */
	h->fd = -1;
	buf_init(&h->wbuf, WBUF_MAX);
	buf_init(&h->msg, 0);
}

/* handoff_queue - hand messages to the queue instead of a command */
int
handoff_queue(struct handoff *h, const struct mail_conf *conf, size_t max,
    struct mail_err *e)
{
	h->argv = NULL;
	h->conf = conf;
	h->qdir = conf_get(conf, "queue_directory");
	buf_free(&h->msg);
	buf_init(&h->msg, max);
	if (h->qdir == NULL || *h->qdir == '\0')
		return mail_err_set(e, EX_CONFIG, "4.3.5", "queue_directory "
		    "is empty");
	return queue_init(h->qdir, e);
}

/* handoff_open - a fresh, already unlinked spool file */
int
handoff_open(struct handoff *h, struct mail_err *e)
{
	char	path[4096];
	int	n;

	handoff_close(h);
	h->werr = 0;
	if (h->argv == NULL) {
		/* The queue: the message stays in memory until its end. */
		h->open = 1;
		return EX_OK;
	}
	n = snprintf(path, sizeof path, "%s/smtp-listen.XXXXXX", h->tmpdir);
	/*
	 * Every failure here is temporary (451): a missing or full spool
	 * directory is ours to fix, and must never bounce the client's mail.
	 */
	if (n < 0 || (size_t)n >= sizeof path)
		return mail_err_set(e, EX_TEMPFAIL, "4.3.5",
		    "spool directory name too long");
	if ((h->fd = mkostemp(path, O_CLOEXEC)) == -1) {
		mail_err_errno(e, errno, "cannot create spool file in %s",
		    h->tmpdir);
		e->ex = EX_TEMPFAIL;
		snprintf(e->enh, sizeof e->enh, "4.3.0");
		return EX_TEMPFAIL;
	}
	(void)unlink(path);
	h->werr = 0;
	buf_reset(&h->wbuf);
	return EX_OK;
}

static int
writeall(struct handoff *h, const char *p, size_t len)
{
	size_t	off = 0;
	ssize_t	n;

	while (off < len) {
		n = write(h->fd, p + off, len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			h->werr = n == 0 ? EIO : errno;
			errno = h->werr;
			return -1;
		}
		off += (size_t)n;
	}
	return 0;
}

static int
wflush(struct handoff *h)
{
	int	rc = writeall(h, h->wbuf.s, h->wbuf.len);

	buf_reset(&h->wbuf);
	return rc;
}

/* handoff_line - one line of the message, newline added */
int
handoff_line(struct handoff *h, const char *p, size_t n)
{
	if (h->argv == NULL && h->open && h->werr == 0) {
		if (buf_add(&h->msg, p, n) == -1 ||
		    buf_addc(&h->msg, '\n') == -1) {
			h->werr = errno;
			return -1;
		}
		return 0;
	}
	if (h->fd == -1 && !h->open) {
		errno = EBADF;
		return -1;
	}
	if (h->werr != 0) {
		errno = h->werr;
		return -1;
	}
	if (h->wbuf.len + n + 1 > h->wbuf.max && wflush(h) == -1)
		return -1;
	if (n + 1 > h->wbuf.max) {
		/* Longer than the buffer (smtpd never sends one): write through. */
		if (writeall(h, p, n) == -1)
			return -1;
		return buf_addc(&h->wbuf, '\n');
	}
	if (buf_add(&h->wbuf, p, n) == -1 || buf_addc(&h->wbuf, '\n') == -1)
		return -1;
	return 0;
}

/* printable - the reason line: C0/C1/DEL and 8-bit bytes become '?' */
static void
printable(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			*s = '?';
}

/* enhanced - length of a leading "D.D{1,3}.D{1,3} " code, 0 if none */
static size_t
enhanced(const char *s)
{
	size_t	i = 0, k, part;

	if (s[0] < '2' || s[0] > '5' || s[1] != '.')
		return 0;
	i = 2;
	for (part = 0; part < 2; part++) {
		for (k = 0; k < 3 && s[i] >= '0' && s[i] <= '9'; k++)
			i++;
		if (k == 0)
			return 0;
		if (part == 0 && s[i++] != '.')
			return 0;
	}
	return s[i] == ' ' || s[i] == '\0' ? i : 0;
}

/*
 * reason - e from the first stderr line: its enhanced code when it has
 * one of the right class, else the table's; its text, else the table's
 */
static int
reason(int ex, const char *line, struct mail_err *e)
{
	char		 enh[16];
	const char	*text = line;
	char		 cls = exitcode_is_temp(ex) ? '4' : '5';
	size_t		 n = enhanced(line);

	snprintf(enh, sizeof enh, "%s", exitcode_enh(ex));
	enh[0] = cls;
	if (n > 0 && n < sizeof enh) {
		text = line + n;
		while (*text == ' ')
			text++;
		if (line[0] == cls) {
			memcpy(enh, line, n);
			enh[n] = '\0';
		}
	}
	if (*text == '\0')
		text = exitcode_text(ex);
	return mail_err_set(e, ex, enh, "%s", text);
}

/*
 * spawn - start the command: the spool file on stdin, stdout to
 * /dev/null, stderr to errfd, SIGPIPE back to its default.  posix_spawn
 * (a vfork underneath) rather than fork: copying the session's page
 * tables for each message was a tenth of the server's time.  Every other
 * descriptor we hold is close-on-exec; closefrom() covers what we were
 * given.  0, or an errno (exec failures included).
 */
static int
spawn(struct handoff *h, char *const *argv, int errfd, pid_t *pid)
{
	posix_spawn_file_actions_t	fa;
	posix_spawnattr_t		at;
	sigset_t			def;
	int				rc;

	if ((rc = posix_spawn_file_actions_init(&fa)) != 0)
		return rc;
	if ((rc = posix_spawnattr_init(&at)) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		return rc;
	}
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	if ((rc = posix_spawn_file_actions_adddup2(&fa, h->fd, 0)) == 0 &&
	    (rc = posix_spawn_file_actions_adddup2(&fa, errfd, 2)) == 0 &&
	    (rc = posix_spawn_file_actions_addopen(&fa, 1, "/dev/null",
	    O_WRONLY, 0)) == 0 &&
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 34)
	    (rc = posix_spawn_file_actions_addclosefrom_np(&fa, 3)) == 0 &&
#endif
	    (rc = posix_spawnattr_setsigdefault(&at, &def)) == 0 &&
	    (rc = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGDEF)) == 0)
		rc = posix_spawnp(pid, argv[0], &fa, &at, argv, environ);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	return rc;
}

/*
 * collect - drain the command's stderr, keeping the first line that
 * starts with an enhanced status code (a warning may come before it),
 * else the first line; 0, or -1 on timeout
 */
static int
collect(int fd, char *line, size_t size, time_t deadline)
{
	struct pollfd	pfd;
	char		buf[4096], cur[ERRLINE_MAX];
	size_t		len = 0;
	ssize_t		n, i;
	int		ms, got = 0, coded = 0;

	line[0] = '\0';
	pfd.fd = fd;
	pfd.events = POLLIN;
	for (;;) {
		ms = -1;
		if (deadline != 0) {
			time_t now = time(NULL);

			if (now >= deadline)
				return -1;
			ms = (int)(deadline - now) * 1000;
		}
		if ((n = poll(&pfd, 1, ms)) == -1 && errno == EINTR)
			continue;
		if (n == 0)
			return -1;
		if ((n = read(fd, buf, sizeof buf)) == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (i = 0; i < n; i++) {
			if (buf[i] != '\n') {
				if (len + 1 < sizeof cur)
					cur[len++] = buf[i];
				continue;
			}
			cur[len] = '\0';
			if (!coded && (!got || enhanced(cur) > 0)) {
				snprintf(line, size, "%s", cur);
				got = 1;
				coded = enhanced(cur) > 0;
			}
			len = 0;
		}
	}
	if (len > 0 && !coded) {	/* a last line without its newline */
		cur[len] = '\0';
		if (!got || enhanced(cur) > 0)
			snprintf(line, size, "%s", cur);
	}
	return 0;
}

/* handoff_run - the command on the spooled message */
int
handoff_run(struct handoff *h, const char *sender, char *const *rcpt,
    size_t nrcpt, struct mail_err *e)
{
	char		 line[ERRLINE_MAX];
	char		**argv;
	size_t		 na, i, k = 0;
	int		 p[2], status, ex, rc;
	pid_t		 pid;
	time_t		 deadline = 0;

	if (h->fd == -1)
		return mail_err_set(e, EX_SOFTWARE, NULL, "no message");
	if (wflush(h) == -1)
		return mail_err_errno(e, h->werr, "spool file");
	if (lseek(h->fd, 0, SEEK_SET) == -1)
		return mail_err_errno(e, errno, "spool file");
	for (na = 0; h->argv[na] != NULL; na++)
		;
	if ((argv = calloc(na + nrcpt + 4, sizeof *argv)) == NULL)
		return mail_err_errno(e, errno, "hand-off");
	for (i = 0; i < na; i++)
		argv[k++] = h->argv[i];
	argv[k++] = (char *)"-f";
	argv[k++] = (char *)sender;
	argv[k++] = (char *)"--";
	for (i = 0; i < nrcpt; i++)
		argv[k++] = rcpt[i];
	argv[k] = NULL;
	if (pipe2(p, O_CLOEXEC) == -1) {
		free(argv);
		return mail_err_errno(e, errno, "hand-off pipe");
	}
	if ((rc = spawn(h, argv, p[1], &pid)) != 0) {
		close(p[0]);
		close(p[1]);
		free(argv);
		ex = rc == ENOENT || rc == EACCES ? EX_CONFIG : EX_OSERR;
		snprintf(line, sizeof line, "%s cannot run %s: %s",
		    ex == EX_CONFIG ? "4.3.5" : "4.3.0", h->argv[0],
		    strerror(rc));
		printable(line);
		return reason(ex, line, e);
	}
	free(argv);
	close(p[1]);
	if (h->timeout > 0)
		deadline = time(NULL) + (time_t)h->timeout;
	if (collect(p[0], line, sizeof line, deadline) == -1) {
		kill(pid, SIGKILL);
		close(p[0]);
		while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
			;
		return mail_err_set(e, EX_TEMPFAIL, "4.4.2", "%s: command "
		    "time limit of %llds exceeded", h->argv[0], h->timeout);
	}
	close(p[0]);
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return mail_err_errno(e, errno, "hand-off wait");
	if (WIFSIGNALED(status))
		return mail_err_set(e, EX_TEMPFAIL, "4.3.0", "%s: killed by "
		    "signal %d", h->argv[0], WTERMSIG(status));
	if (!WIFEXITED(status))
		return mail_err_set(e, EX_TEMPFAIL, "4.3.0", "%s: ended "
		    "abnormally", h->argv[0]);
	if ((ex = WEXITSTATUS(status)) == EX_OK) {
		mail_err_clear(e);
		return EX_OK;
	}
	printable(line);
	return reason(ex, line, e);
}

/* handoff_close - drop the spool file */
void
handoff_close(struct handoff *h)
{
	if (h->fd != -1)
		close(h->fd);
	h->fd = -1;
	h->open = 0;
	buf_reset(&h->wbuf);
	buf_reset(&h->msg);
}

/* handoff_enqueue - the message received into the queue, durably */
int
handoff_enqueue(struct handoff *h, const struct smtpd_env *env, char *id,
    struct mail_err *e)
{
	struct queue_dsn	dsn;
	int			ex;

	if (!h->open || h->qdir == NULL)
		return mail_err_set(e, EX_TEMPFAIL, "4.3.0", "no message");
	if (h->werr != 0)
		ex = mail_err_errno(e, h->werr, "queue file");
	else {
		/* smtpd.h's RET and NOTIFY values are queue.h's. */
		dsn.ret = env->ret;
		dsn.envid = env->envid;
		dsn.notify = env->notify;
		dsn.orcpt = env->orcpt;
		ex = queue_enqueue_dsn(h->qdir, env->sender, env->rcpt,
		    env->nrcpt, &dsn, h->msg.s != NULL ? h->msg.s : "",
		    h->msg.len, (long long)time(NULL), id, e);
	}
	if (ex == EX_OK)
		return EX_OK;
	/* A full disk or a broken queue is ours to fix: never a 5xx. */
	log_warn("queue file write error: %s", e->text);
	return mail_err_set(e, EX_TEMPFAIL, "4.3.0", "Error: queue file "
	    "write error");
}

/* handoff_kick - a delivery pass in the background, one per queue */
void
handoff_kick(struct handoff *h)
{
	struct mail_err	e;

	if (h->qdir == NULL || h->conf == NULL)
		return;
	if (kick(h->conf, KICK_STDERR, &e) != EX_OK)
		log_warn("%s", e.text);
}

static int
op_open(void *ctx, const struct smtpd_env *env, struct mail_err *e)
{
	return handoff_open(ctx, e);
}

static int
op_line(void *ctx, const char *p, size_t n)
{
	return handoff_line(ctx, p, n);
}

static int
op_close(void *ctx, const struct smtpd_env *env, int commit,
    struct mail_err *e)
{
	struct handoff	*h = ctx;
	int		 ex = EX_OK;

	char		 id[QUEUE_ID_MAX];

	if (commit && h->argv == NULL) {
		ex = handoff_enqueue(h, env, id, e);
		handoff_close(h);
		if (ex != EX_OK)
			return ex;
		handoff_kick(h);
		/* The engine answers "queued as" this id. */
		return mail_err_set(e, EX_OK, "2.0.0", "%s", id);
	}
	if (commit)
		ex = handoff_run(h, env->sender, env->rcpt, env->nrcpt, e);
	handoff_close(h);
	return ex;
}

static int
op_rcpt(void *ctx, const struct addr *a, struct mail_err *e)
{
	struct handoff	*h = ctx;

	return h->rcpt_check(h->rcpt_ctx, a, e);
}

/*
 * op_space - at MAIL, is there room in the queue's file system?  As
 * Postfix's smtpd: at least queue_minfree bytes, and 1.5 times the
 * larger of message_size_limit and the size the client announced.
 */
static int
op_space(void *ctx, long long size, struct mail_err *e)
{
	struct handoff	*h = ctx;
	struct statvfs	 vfs;
	long long	 minfree = 0, limit = 0, need, avail;

	(void)conf_get_num(h->conf, "queue_minfree", &minfree, e);
	(void)conf_get_num(h->conf, "message_size_limit", &limit, e);
	mail_err_clear(e);
	if (size > limit)
		limit = size;
	need = limit > LLONG_MAX / 3 ? LLONG_MAX : limit / 2 * 3;
	if (minfree > need)
		need = minfree;
	if (statvfs(h->qdir, &vfs) == -1)
		return EX_OK;	/* the write will tell, at the end of DATA */
	avail = (long long)vfs.f_bavail * (long long)vfs.f_frsize;
	if (avail >= need)
		return EX_OK;
	return mail_err_set(e, EX_TEMPFAIL, "4.3.1", "%s: %lld bytes free, "
	    "%lld needed (queue_minfree, 1.5 x message_size_limit)", h->qdir,
	    avail, need);
}

/* handoff_ops - smtpd_ops that hand each accepted message to h */
void
handoff_ops(struct handoff *h, struct smtpd_ops *ops)
{
	ops->ctx = h;
	if (h->rcpt_check != NULL)
		ops->rcpt_check = op_rcpt;
	if (h->argv == NULL && h->qdir != NULL)
		ops->mail_check = op_space;
	ops->msg_open = op_open;
	ops->msg_line = op_line;
	ops->msg_close = op_close;
}
