/* SPDX-License-Identifier: ISC */
/*
 * kick - the background queue runner, one per queue, and the kick that
 * wakes it: smtp-listen after each queued message, sendmail -odb before
 * it exits (sendmail's DeliveryMode=background: the caller gets its exit
 * status as soon as the message is durably queued, not after delivery).
 *
 * Two files in the queue directory do it: "kick" says that something new
 * came, a lock (flock) on "runner.lock" says that a runner is at work.
 * The kicker raises the flag, then tries the lock; the runner clears the
 * flag before each pass, and after dropping the lock looks at the flag
 * once more, so a message queued while a runner was finishing is never
 * left waiting.  A kick that fails (no lock file, no process) loses
 * nothing: the message is already in the queue, for the next kick or
 * sendmail -q.
 *
 * The runner is the kicker's grandchild in a session of its own: the
 * kicker reaps its child at once and has no zombie and no process group
 * of its own left behind.  It keeps none of the kicker's descriptors
 * (an SMTP client, a caller's pipe) but the lock on fd 3; fds 0 and 1
 * are /dev/null.  Trusts the queue directory and the configuration, as
 * qrun does.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "exitcode.h"
#include "kick.h"
#include "log.h"
#include "qrun.h"

#ifndef PATH_MAX
#define PATH_MAX	4096
#endif

#define KICK_POLL_MS	200	/* kick_serve looks for the flag this often */

/* runner - the background delivery passes; holds the lock on fd 3 */
static void __attribute__((noreturn))
runner(const struct mail_conf *conf, const char *flag)
{
	struct qrun_stats	st;
	struct mail_err		e;

	for (;;) {
		do {
			(void)unlink(flag);
			memset(&st, 0, sizeof st);
			if (qrun_pass(conf, 0, &st, &e) != EX_OK)
				log_warn("queue run: %s", e.text);
		} while (access(flag, F_OK) == 0);
		(void)flock(3, LOCK_UN);
		/* A kick between our last look and the unlock found it taken. */
		if (access(flag, F_OK) == -1 || flock(3, LOCK_EX | LOCK_NB) == -1)
			break;
	}
	_exit(0);
}

/*
 * detach - in the runner: the lock on fd 3 (close-on-exec: no delivery
 * program inherits it), /dev/null on 0 and 1, stderr as flags say,
 * nothing else of the caller's.  0, or -1.
 */
static int
detach(int lockfd, int flags)
{
	struct stat	sb;
	int		null;

	(void)setsid();
	if (dup2(lockfd, 3) == -1 || fcntl(3, F_SETFD, FD_CLOEXEC) == -1 ||
	    (null = open("/dev/null", O_RDWR)) == -1 ||
	    dup2(null, 0) == -1 || dup2(null, 1) == -1)
		return -1;
	if (!(flags & KICK_STDERR)) {
		if (dup2(null, 2) == -1)
			return -1;
		log_open(NULL, LOG_TO_SYSLOG);
	} else if (fstat(2, &sb) == 0 && S_ISSOCK(sb.st_mode))
		(void)dup2(null, 2);	/* inetd: fd 2 is the client */
	closefrom(4);
	/* A caller's SIG_IGN would make every waitpid() fail. */
	(void)signal(SIGCHLD, SIG_DFL);
	(void)signal(SIGPIPE, SIG_IGN);
#ifdef __linux__
	(void)prctl(PR_SET_NAME, KICK_NAME, 0, 0, 0);
#endif
	return 0;
}

/* paths - the flag and the lock of conf's queue; EX_OK or e filled */
static int
paths(const struct mail_conf *conf, char *flag, char *lock,
    struct mail_err *e)
{
	const char	*qdir = conf_get(conf, "queue_directory");
	int		 n, m;

	if (qdir == NULL || *qdir == '\0')
		return mail_err_set(e, EX_CONFIG, "4.3.5", "queue_directory "
		    "is empty");
	n = snprintf(flag, PATH_MAX, "%s/kick", qdir);
	m = snprintf(lock, PATH_MAX, "%s/runner.lock", qdir);
	if (n < 0 || n >= PATH_MAX || m < 0 || m >= PATH_MAX)
		return mail_err_set(e, EX_CONFIG, "4.3.5", "queue_directory "
		    "name too long");
	return EX_OK;
}

/*
 * openlock - the lock file, read-only (flock needs no more) and readable
 * by all, so that a kicker running as another user (smtp-listen -u) can
 * see that root's runner holds it
 */
static int
openlock(const char *lock)
{
	return open(lock, O_RDONLY | O_CREAT | O_CLOEXEC, 0644);
}

/* kick - a delivery pass in the background, one runner per queue */
int
kick(const struct mail_conf *conf, int flags, struct mail_err *e)
{
	char		 flag[PATH_MAX], lock[PATH_MAX];
	int		 fd, ex, status = 0, flagerr = 0;
	pid_t		 pid;

	if ((ex = paths(conf, flag, lock, e)) != EX_OK)
		return ex;
	if ((fd = open(flag, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) != -1)
		close(fd);
	else
		flagerr = errno;
	if ((fd = openlock(lock)) == -1)
		return mail_err_errno(e, errno, "%s", lock);
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		close(fd);
		/* A runner is at work: it sees the flag, if we could raise it. */
		if (flagerr != 0)
			return mail_err_errno(e, flagerr, "%s", flag);
		mail_err_clear(e);
		return EX_OK;
	}
	if ((pid = fork()) == 0) {
		if ((pid = fork()) == -1)
			_exit(EX_OSERR);
		if (pid != 0)
			_exit(0);
		if (detach(fd, flags) == -1)
			_exit(EX_OSERR);
		runner(conf, flag);
	}
	close(fd);
	if (pid == -1)
		return mail_err_errno(e, errno, "fork");
	/* A caller that ignores SIGCHLD gets ECHILD here: nothing to tell. */
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == EX_OSERR)
		return mail_err_set(e, EX_TEMPFAIL, "4.3.0", "fork: cannot "
		    "start the queue runner");
	mail_err_clear(e);
	return EX_OK;
}

/* kick_serve - the queue's runner for good: sendmail -qINTERVAL */
int
kick_serve(const struct mail_conf *conf, long long interval,
    struct mail_err *e)
{
	struct qrun_stats	st;
	struct timespec		ts = { 0, KICK_POLL_MS * 1000000L };
	char			flag[PATH_MAX], lock[PATH_MAX];
	long long		ms;
	int			fd, ex;

	if ((ex = paths(conf, flag, lock, e)) != EX_OK)
		return ex;
	if ((fd = openlock(lock)) == -1)
		return mail_err_errno(e, errno, "%s", lock);
	/* A runner a kick started finishes its pass first. */
	while (flock(fd, LOCK_EX) == -1)
		if (errno != EINTR) {
			ex = mail_err_errno(e, errno, "flock %s", lock);
			close(fd);
			return ex;
		}
	if (interval < 1)
		interval = 1;
	log_info("queue runner: a pass at each kick and every %llds",
	    interval);
	for (;;) {
		(void)unlink(flag);
		memset(&st, 0, sizeof st);
		if (qrun_pass(conf, 0, &st, e) != EX_OK)
			log_warn("queue run: %s", e->text);
		else if (st.messages > 0)
			log_info("queue run: %lu messages, %lu sent, "
			    "%lu deferred, %lu bounced", st.messages, st.sent,
			    st.deferred, st.bounced);
		for (ms = 0; ms < interval * 1000 && access(flag, F_OK) == -1;
		    ms += KICK_POLL_MS)
			(void)nanosleep(&ts, NULL);
	}
}
