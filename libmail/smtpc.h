/* SPDX-License-Identifier: ISC */
/*
 * smtpc - the SMTP client: hand one message to the next hop of each
 * recipient's domain (or to a relay host), on libcurl, with a result for
 * every recipient.
 */
#ifndef MAILPATH_SMTPC_H
#define MAILPATH_SMTPC_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "buf.h"
#include "exitcode.h"

/* a recipient's outcome */
#define SMTPC_PENDING	0
#define SMTPC_SENT	1
#define SMTPC_DEFERRED	2
#define SMTPC_BOUNCED	3

/* smtp_tls_security_level */
#define SMTPC_TLS_NONE		0
#define SMTPC_TLS_MAY		1
#define SMTPC_TLS_ENCRYPT	2
#define SMTPC_TLS_VERIFY	3

struct smtpc_rcpt {
	const char	*arg;		/* as given */
	struct addr	 a;		/* parsed (domain in A-labels) */
	int		 status;	/* SMTPC_* */
	int		 ex;		/* EX_* for this recipient */
	int		 reply;		/* the server's code, 0 when none */
	char		 dsn[16];	/* enhanced status code */
	char		 text[512];	/* the reply, or our reason: one line */
	char		 relay[320];	/* host[address]:port, or "none" */
};

struct smtpc_opts {
	const char	*relay;		/* -r / relayhost; NULL or "": MX */
	const char	*helo;		/* EHLO name */
	int		 tls;		/* SMTPC_TLS_* */
	int		 wrapper;	/* TLS from the start (smtps, 465) */
	const char	*cafile;	/* for SMTPC_TLS_VERIFY; NULL: system */
	const char	*sasl_maps;	/* table of nexthop -> user:password */
	int		 auth_cleartext; /* AUTH without TLS is allowed */
	const char	*dns_server;	/* ADDR[:PORT], or NULL */
	int		 port;		/* of MX hosts and relays without one */
	long		 connect_timeout; /* seconds */
	long		 reply_timeout;	/* seconds, per reply */
	uint64_t	 seed;		/* with seeded: MX shuffle */
	int		 seeded;
	/* one line of the dialogue ("S: 250 ok", "C: MAIL FROM:<a@b>") */
	void		(*transcript)(const char *, void *);
	void		*arg;
};

/*
 * smtpc_read - read a message from fd into b with every line end made
 * CRLF (LF, CRLF and a bare CR alike), so that dot-stuffing is right and
 * no bare LF leaves us; a line longer than 998 octets is folded (CRLF and
 * a space inserted).  EX_OK; EX_DATAERR (5.3.4) past max bytes; EX_IOERR
 * (or another code from the errno) on a read error.
 */
int	 smtpc_read(int, struct buf *, size_t, struct mail_err *);

/* smtpc_crlf - append n bytes of text to b with line ends made CRLF; 0/-1 */
int	 smtpc_crlf(struct buf *, const char *, size_t, int *);

/*
 * smtpc_send - send msg (CRLF text) from sender ("" for <>) to the n
 * recipients in r, which are checked (addr), grouped by domain, routed
 * (relay or MX) and each given a result.  Returns the exit status for the
 * lot: EX_OK when all were sent, EX_TEMPFAIL when some were deferred and
 * none bounced (EX_CONFIG when the reason is the configuration: a bad
 * relay or DNS server), else the first bounced recipient's code; the
 * sender's error (EX_DATAERR, with e) when it is no valid address and
 * nothing was tried.
 */
int	 smtpc_send(const struct smtpc_opts *, const char *, const struct buf *,
	    struct smtpc_rcpt *, size_t, struct mail_err *);

/* smtpc_port - "25", "smtp", "submission", "smtps"...; -1 when bad */
int	 smtpc_port(const char *);

/* smtpc_tls_level - "none", "may", "encrypt", "verify", "secure"; -1 */
int	 smtpc_tls_level(const char *);

/* smtpc_status - "sent", "deferred", "bounced" */
const char *smtpc_status(int);

#endif
