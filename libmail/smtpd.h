/* SPDX-License-Identifier: ISC */
/*
 * smtpd - the server side of SMTP/ESMTP (RFC 5321) as one engine that
 * talks through an I/O interface, so the same code serves inetd's fds
 * 0/1, a forked standalone connection and a unit test's scripted bytes.
 *
 * The engine owns the protocol: framing, limits, relay policy, the
 * Received: header.  What happens to an accepted message is the caller's
 * (struct smtpd_ops): the hand-off to a command, later the queue.
 */
#ifndef MAILPATH_SMTPD_H
#define MAILPATH_SMTPD_H

#include <stddef.h>
#include <sys/types.h>

#include "addr.h"
#include "exitcode.h"
#include "netaddr.h"

struct mail_conf;
struct map;

#define SMTPD_CMD_MAX	512	/* command line with CRLF, RFC 5321 4.5.3.1.4 */
#define SMTPD_TEXT_MAX	1000	/* text line with CRLF, RFC 5321 4.5.3.1.6 */

/* What to do with a bare CR or LF (smtpd_forbid_bare_newline). */
#define SMTPD_NL_REJECT		0	/* reply 5xx; in DATA, also disconnect */
#define SMTPD_NL_NORMALIZE	1	/* treat as a line end; never as end-of-data */

/*
 * The session's byte stream.  read waits at most timeout_ms for input:
 * >0 bytes, 0 end of input, -1 error with errno (ETIMEDOUT when nothing
 * came).  write writes everything or returns -1.  poll reports whether
 * input waits (1) or not (0) within ms, -1 on error.
 */
struct smtpd_io {
	void	*ctx;
	ssize_t	(*read)(void *, void *, size_t, int);
	int	(*write)(void *, const void *, size_t);
	int	(*poll)(void *, int);
};

/*
 * DSN (RFC 3461) NOTIFY flags per recipient; 0 means none was given.
 * The same bits as QUEUE_NOTIFY_* (queue_notify_parse() makes them).
 */
#define SMTPD_NOTIFY_NEVER	0x01
#define SMTPD_NOTIFY_SUCCESS	0x02
#define SMTPD_NOTIFY_FAILURE	0x04
#define SMTPD_NOTIFY_DELAY	0x08

/* DSN RET */
#define SMTPD_RET_NONE		0
#define SMTPD_RET_FULL		1
#define SMTPD_RET_HDRS		2

/* The envelope of one message, valid during the smtpd_ops calls. */
struct smtpd_env {
	const char	 *qid;		/* message id for logs and replies */
	const char	 *sender;	/* "" for the null reverse-path */
	char *const	 *rcpt;		/* external form "local@domain" */
	size_t		  nrcpt;
	int		  smtputf8;	/* the client declared SMTPUTF8 */
	int		  body8bit;	/* BODY=8BITMIME */
	const char	 *helo;		/* as the client sent it (sanitised) */
	const char	 *client_addr;	/* numeric, or "unknown" */
	/* DSN, kept for the queue's bounces; xtext as the client sent it */
	int		  ret;		/* SMTPD_RET_* */
	const char	 *envid;	/* NULL when not given */
	const int	 *notify;	/* per recipient, SMTPD_NOTIFY_* */
	char *const	 *orcpt;	/* per recipient "rfc822;x", or NULL */
};

/*
 * What the caller does with the mail.  Every member may be NULL.
 *   rcpt_check  is a local recipient known?  EX_OK accept; EX_NOUSER
 *               550 5.1.1; any other code replies per exitcode.c.
 *   msg_open    a message starts (after "354"); EX_OK or a code.
 *   msg_line    one line of content, without its line end, dots
 *               unstuffed; 0, or -1 with errno (the message then fails
 *               with 451 at its end).
 *   msg_close   commit (1) or abandon (0) the message.  For a commit,
 *               EX_OK means "250 ... queued" (as e's text when it is
 *               set: the queue's own id, then used in the log line too);
 *               other codes reply per the table with e's enhanced code
 *               and text.
 *   trace       dir 'C' or 'S', one protocol line (-v transcripts).
 *   starttls    with tls_ctx: after "220 Ready to start TLS", the TLS
 *               handshake; on success it replaces *io with one that
 *               goes through TLS, writes "TLSv1.3 with cipher ..." into
 *               the buffer and returns 0; -1 ends the session.  When
 *               NULL, STARTTLS is neither offered nor accepted.
 *   mail_check  when not NULL, at MAIL with the SIZE= given (0 when none):
 *               is there room for a message?  EX_OK, or EX_TEMPFAIL for
 *               452 4.3.1 (BATTERY F-03, Postfix's queue_minfree).
 *   auth        with auth_ctx: is this user name and password right?
 *               EX_OK yes (235), EX_NOPERM no (535), EX_TEMPFAIL
 *               (454).  When NULL, AUTH is neither offered nor accepted.
 */
struct smtpd_ops {
	void	*ctx;
	int	(*rcpt_check)(void *, const struct addr *, struct mail_err *);
	int	(*mail_check)(void *, long long, struct mail_err *);
	int	(*msg_open)(void *, const struct smtpd_env *, struct mail_err *);
	int	(*msg_line)(void *, const char *, size_t);
	int	(*msg_close)(void *, const struct smtpd_env *, int,
		    struct mail_err *);
	void	(*trace)(void *, int, const char *, size_t);
	void	*tls_ctx;
	int	(*starttls)(void *, struct smtpd_io *, char *, size_t);
	void	*auth_ctx;
	int	(*auth)(void *, const char *, const char *, struct mail_err *);
};

/* Server settings, from main.cf through smtpd_conf_load() or by hand. */
struct smtpd_conf {
	char		  myhostname[ADDR_DOMAIN_MAX + 1];
	char		  banner[256];		/* after "220 " */
	char		**mydestination;	/* NULL-terminated, lower case */
	char		**relay_domains;	/* and their subdomains */
	struct netmask	 *mynetworks;
	size_t		  nmynetworks;
	long long	  message_size_limit;	/* octets, 0 = none */
	long long	  recipient_limit;
	long long	  hard_error_limit;
	long long	  hopcount_limit;
	long long	  timeout;		/* s, idle per read */
	long long	  session_timeout;	/* s, whole session, 0 = none */
	long long	  greet_pause_ms;	/* early-talker wait, 0 = look once */
	int		  bare_newline;		/* SMTPD_NL_* */
	int		  forbid_pipelining;	/* unannounced pipelining: 554 */
	int		  submission;		/* port 587 role */
	int		  tls_auth_only;	/* AUTH only after STARTTLS */
	long long	  auth_failure_limit;	/* failed AUTHs, then 421 */
	long long	  auth_failure_delay_ms;	/* pause after each */
	/* submission: which login owns which sender address */
	char		  myorigin[ADDR_DOMAIN_MAX + 1];	/* lower case */
	char		 *sender_login_maps;	/* table name; NULL: the login's own */
	int		  header_from_check;	/* From: must be owned too */
};

/* What the engine knows about the connection. */
struct smtpd_peer {
	struct netaddr	 addr;		/* family 0 when unknown */
	struct netaddr	 local;		/* our own address, for [literals] */
};

/*
 * smtpd_conf_defaults - the compiled-in settings (myhostname "localhost",
 * nothing local, no trusted networks).  smtpd_conf_load - the settings
 * from a configuration.  EX_OK, or EX_CONFIG with e naming the parameter.
 * smtpd_conf_free - release what either allocated.
 */
void	 smtpd_conf_defaults(struct smtpd_conf *);
int	 smtpd_conf_load(struct smtpd_conf *, const struct mail_conf *,
	    struct mail_err *);
void	 smtpd_conf_free(struct smtpd_conf *);

/*
 * smtpd_session - serve one SMTP session from greeting to QUIT, end of
 * input, timeout or a disconnecting error.  Returns EX_OK for a session
 * that ended by QUIT or by the client's close, EX_PROTOCOL when we
 * disconnected the client (limits, framing), EX_TEMPFAIL for a timeout,
 * EX_IOERR when reading or writing failed, EX_OSERR when memory ran out.
 */
int	 smtpd_session(const struct smtpd_conf *, const struct smtpd_peer *,
	    const struct smtpd_io *, const struct smtpd_ops *);

/*
 * smtpd_auth_table - an smtpd_ops.auth that looks the user up in a table
 * (user -> crypt(3) hash, built with postmap) named by a struct
 * smtpd_authtab; the table is opened at the first use and then kept.
 */
struct smtpd_authtab {
	const char	*name;		/* "hash:/etc/mailpath/sasl_users" */
	struct map	*map;
};

int	 smtpd_auth_table(void *, const char *, const char *,
	    struct mail_err *);
void	 smtpd_authtab_close(struct smtpd_authtab *);

/*
 * smtpd_fd_io - an smtpd_io on two file descriptors (inetd's 0 and 1, or
 * one socket twice).  Writes wait at most timeout_ms for the peer to
 * read.  f must live as long as io is used.
 */
struct smtpd_fdio {
	int	rfd, wfd;
	int	timeout_ms;
};

void	 smtpd_fd_io(struct smtpd_fdio *, int, int, int, struct smtpd_io *);

/*
 * smtpd_printable - copy n client bytes into out (size bytes) for a
 * header or a log line: printable ASCII stays, everything else and the
 * comment-breaking characters ( ) \ become '?'.  The result is always
 * NUL-terminated; returns the length written.
 */
size_t	 smtpd_printable(const char *, size_t, char *, size_t);

#endif
