/* SPDX-License-Identifier: ISC */
/*
 * listen - smtp-listen's server around the smtpd engine: one session on
 * fds 0/1 (inetd, xinetd, tcpserver, systemd Accept=yes), or standalone
 * on listening sockets (-l ADDR:PORT or systemd's LISTEN_FDS) with a
 * process per connection and a connection limit; root is given up (-u)
 * after binding and loading the TLS key, before a byte is read from the
 * network.  Each accepted message goes to the queue (durable before
 * 250, then a delivery pass in the background) or to a hand-off command.
 */
#ifndef MAILPATH_LISTEN_H
#define MAILPATH_LISTEN_H

#include <sys/types.h>

#include "exitcode.h"
#include "smtpd.h"

struct mail_conf;

#define LISTEN_MAX	16	/* listening sockets */
#define LISTEN_SD_START	3	/* systemd's first passed descriptor */

/* What smtp-listen's command line asks for. */
struct listen_opts {
	const char	*const *addr;	/* -l ADDR:PORT, naddr of them */
	size_t		 naddr;
	const char	*user;		/* -u: drop to this user, or NULL */
	long long	 limit;		/* -c: most sessions at once */
	int		 submission;	/* --submission: the port 587 role */
	char *const	*command;	/* hand-off command, NULL: the queue */
	/* called once the sockets are bound and root is gone (-1) */
	void		(*ready)(void *, const int *, size_t);
	void		*ready_ctx;
};

/*
 * listen_run - serve as the options say, with the settings in cf (kept
 * for the recipient check: cf must outlive the call).  Standalone it
 * does not return unless setting up fails; in inetd mode it returns the
 * session's result.  EX_CONFIG (e says which parameter), EX_USAGE for a
 * bad -l, EX_OSERR when binding or dropping root fails, or the EX_* of
 * smtpd_session().
 */
int	 listen_run(struct mail_conf *, const struct listen_opts *,
	    struct mail_err *);

/*
 * listen_sd_fds - how many listening sockets systemd passed (LISTEN_PID
 * is us, LISTEN_FDS at most LISTEN_MAX), from fd LISTEN_SD_START on;
 * they are made close-on-exec.  The LISTEN_* variables are removed
 * either way, so no child sees them.
 */
int	 listen_sd_fds(void);

/*
 * listen_peer - the client of the session on fd: getpeername(), or, when
 * fd is not a socket (pipes under socat or a test), TCPREMOTEIP,
 * REMOTE_ADDR or REMOTE_HOST and TCPLOCALIP, which whoever starts the
 * program controls anyway.
 */
void	 listen_peer(int, struct smtpd_peer *);

/*
 * listen_drop - become user (groups, gid, uid, then checked).  EX_OK, or
 * EX_OSERR with e filled (no such user, or the change failed).
 */
int	 listen_drop(const char *, struct mail_err *);

/*
 * listen_loop - accept on the n listeners forever: a child process runs
 * serve(ctx, fd) for a connection, then accepts the next one itself, up
 * to 100 sessions or 60 idle seconds (Postfix's max_use and max_idle);
 * the parent accepts only while no child waits.  A connection beyond
 * limit busy children gets "421 4.7.0 HOST Error: too many connections"
 * and is closed.  The listening sockets are made non-blocking.  When the
 * parent dies its children close their listening sockets at once.  Returns only when poll() fails for good:
 * EX_OSERR with e filled.
 */
int	 listen_loop(const int *, size_t, long long, const char *,
	    int (*)(void *, int), void *, struct mail_err *);

#endif
