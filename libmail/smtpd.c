/* SPDX-License-Identifier: ISC */
/*
 * smtpd - the SMTP/ESMTP server engine (RFC 5321, 1869, 1870, 2034, 2920,
 * 3463, 6152, 6531).
 *
 * It trusts nothing that arrives through the I/O interface.  Input is read
 * into one fixed buffer and consumed a byte at a time by two small state
 * machines, one for command lines and one for message text, so every line
 * has a hard length and no client can make the process allocate.  Framing
 * is strict: only CR LF . CR LF ends a message, so one DATA can never
 * turn into two messages (SMTP smuggling, CVE-2023-51764): by default a
 * bare CR or LF in message text gets a 521 and the connection is closed;
 * with smtpd_forbid_bare_newline = normalize it becomes a line end, but a
 * dot line next to it is never end-of-data.  Text lines longer than 1000
 * octets, NUL bytes, oversize messages and mail loops (more Received:
 * headers than hopcount_limit) are read to their end and refused whole;
 * nothing is ever cut.
 *
 * Relay policy is decided at RCPT time: a domain in mydestination (or
 * one of our address literals) or in relay_domains (and subdomains) is
 * accepted from anyone; any other domain only from mynetworks.  Local
 * parts that carry routing (%, !, @) are refused from untrusted clients,
 * so the classic open-relay forms never leave through a local delivery
 * agent that might still honour them.
 *
 * In the submission role (port 587) MAIL needs AUTH, and the sender must
 * be one the login owns (smtpd_sender_login_maps, as Postfix's
 * reject_sender_login_mismatch; by default the login's own addresses);
 * with smtpd_submission_header_from_check the From: header's addresses
 * too, checked at the end of the message (Postfix needs a milter).
 *
 * Replies are collected and written when the engine is about to wait for
 * input, which gives PIPELINING for free.  Clients that pipeline without
 * the PIPELINING extension, or put more commands behind one that must end
 * a group, are told "554 5.5.0" and disconnected (Postfix 3.9's
 * smtpd_forbid_unauth_pipelining), like those that talk before the
 * greeting.
 */
#include "config.h"

#include <sys/time.h>

#include <ctype.h>
#include <crypt.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "buf.h"
#include "conf.h"
#include "exitcode.h"
#include "log.h"
#include "map.h"
#include "netaddr.h"
#include "queue.h"
#include "smtpd.h"
#include "str.h"

#define IBUF_SIZE	16384
#define FROM_MAX	8192	/* From: fields kept for the submission check */
#define OBUF_MAX	65536

/* results of reading */
#define RD_OK		0
#define RD_EOF		(-1)
#define RD_TIMEOUT	(-2)
#define RD_ERROR		(-3)
#define RD_CLOSE		(-4)	/* we decided to end the session */

/* how a command line ended */
#define L_CRLF		0
#define L_BARE_LF	1
#define L_TOO_LONG	2

/* command flags */
#define C_LAST		0x01	/* must be the last command of a group */
#define C_HELO_FIRST	0x02	/* needs HELO/EHLO first */

struct session {
	const struct smtpd_conf	*conf;
	const struct smtpd_peer	*peer;
	struct smtpd_io		*io;	/* &iobuf: STARTTLS replaces it */
	struct smtpd_io		 iobuf;
	const struct smtpd_ops	*ops;

	unsigned char	 ibuf[IBUF_SIZE];
	size_t		 ipos, ilen;
	struct buf	 out;
	time_t		 deadline;
	int		 result;	/* EX_* when the session ends */
	int		 done;

	char		 client[NETADDR_STRLEN];
	char		 clientname[NETADDR_STRLEN + 16];	/* unknown[1.2.3.4] */
	int		 trusted;
	int		 auth;		/* authenticated */
	char		 authuser[ADDR_LOCAL_MAX + ADDR_DOMAIN_MAX + 2];
	int		 authfail;
	struct map	*loginmap;	/* smtpd_sender_login_maps, once opened */
	int		 tls;		/* STARTTLS done */
	char		 tlsinfo[128];	/* "TLSv1.3 with cipher ..." */

	char		 line[SMTPD_CMD_MAX];
	size_t		 linelen;
	int		 lineend;	/* L_* */

	int		 helo;		/* 0, 1 HELO, 2 EHLO */
	char		 heloname[256];
	int		 errors;
	unsigned	 ncmd;

	/* the transaction */
	int		 mail;
	struct buf	 sender;
	char		**rcpt;
	int		*notify;	/* DSN, beside rcpt */
	char		**orcpt;
	size_t		 nrcpt;
	int		 ret;
	char		*envid;
	unsigned	 rcpt_tries;
	int		 smtputf8, body8bit;
	char		 qid[32];
	struct text	*chunk;		/* the message BDAT is receiving */
};

/* state of one DATA transfer */
struct text {
	char		 line[SMTPD_TEXT_MAX];
	size_t		 len;
	int		 overlong;	/* this line is too long */
	int		 prev_crlf;	/* the line before ended in CR LF */
	int		 header;	/* still in the header section */
	int		 drop;		/* dropping this header field */
	long long	 size;		/* octets as on the wire */
	long long	 hops;
	int		 too_long, nul, too_big, werr, eod;
	int		 cr;		/* a CR waits for its LF */
	int		 bdat;		/* BDAT: no dots, no end-of-data line */
	int		 infrom;	/* in a From: field (submission check) */
	int		 nfrom, from_bad;	/* From: fields; too long */
	struct buf	 from;		/* the From: fields, comma-separated */
	struct smtpd_env env;
};

static const char *const days[] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
};
static const char *const months[] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

/* smtpd_printable - client bytes made safe for a header or a log */
size_t
smtpd_printable(const char *s, size_t n, char *out, size_t size)
{
	size_t		i, o = 0;
	unsigned char	c;

	if (size == 0)
		return 0;
	for (i = 0; i < n && o + 1 < size; i++) {
		c = (unsigned char)s[i];
		if (c <= 0x20 || c >= 0x7f || c == '(' || c == ')' ||
		    c == '\\' || c == ';')
			c = '?';
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return o;
}

/* smtpd_conf_defaults - settings that are safe with nothing configured */
void
smtpd_conf_defaults(struct smtpd_conf *c)
{
	memset(c, 0, sizeof *c);
	snprintf(c->myhostname, sizeof c->myhostname, "localhost");
	snprintf(c->banner, sizeof c->banner, "localhost ESMTP");
	c->message_size_limit = 10240000;
	c->recipient_limit = 1000;
	c->hard_error_limit = 20;
	c->hopcount_limit = 50;
	c->timeout = 300;
	c->session_timeout = 3600;
	c->greet_pause_ms = 0;
	c->bare_newline = SMTPD_NL_REJECT;
	c->forbid_pipelining = 1;
	c->tls_auth_only = 1;
	c->auth_failure_limit = 3;
	c->auth_failure_delay_ms = 1000;
}

/* domains - a list parameter as lower-case domains without a final dot */
static int
domains(const struct mail_conf *cf, const char *name, char ***out,
    struct mail_err *e)
{
	const char	*v = conf_get(cf, name);
	char		**list, *d;
	size_t		 n, i, j, len;

	*out = NULL;
	if (v == NULL)
		v = "";
	if ((list = conf_list(v, &n)) == NULL)
		return mail_err_errno(e, errno, "%s", name);
	for (i = j = 0; i < n; i++) {
		d = list[i];
		if (strchr(d, '/') != NULL || (d[0] != '[' &&
		    strchr(d, ':') != NULL)) {
			log_warn("%s: \"%s\": only domain names are "
			    "supported here; ignored", name, d);
			continue;
		}
		str_lower(d);
		len = strlen(d);
		if (len > 1 && d[len - 1] == '.')
			d[len - 1] = '\0';
		list[j++] = d;
	}
	list[j] = NULL;
	*out = list;
	return EX_OK;
}

static int
getnum(const struct mail_conf *cf, const char *name, long long *v,
    struct mail_err *e)
{
	if (conf_get(cf, name) == NULL)
		return EX_OK;	/* not known to this build: keep default */
	return conf_get_num(cf, name, v, e);
}

static int
gettime(const struct mail_conf *cf, const char *name, int unit,
    long long *v, struct mail_err *e)
{
	if (conf_get(cf, name) == NULL)
		return EX_OK;
	return conf_get_time(cf, name, unit, v, e);
}

static int
load(struct smtpd_conf *c, const struct mail_conf *cf, struct mail_err *e)
{
	const char	*v;
	char		**nets;
	size_t		 n;
	long long	 ms;
	int		 rc, b;

	smtpd_conf_defaults(c);
	if ((v = conf_get(cf, "myhostname")) != NULL && *v != '\0' &&
	    str_copy(c->myhostname, sizeof c->myhostname, v) == -1)
		return mail_err_set(e, EX_CONFIG, NULL,
		    "myhostname: too long");
	str_lower(c->myhostname);
	if ((v = conf_get(cf, "smtpd_banner")) == NULL || *v == '\0')
		v = c->myhostname;
	if (str_has_ctl(v, strlen(v)) ||
	    str_copy(c->banner, sizeof c->banner, v) == -1)
		return mail_err_set(e, EX_CONFIG, NULL,
		    "smtpd_banner: too long or has control characters");
	if ((rc = domains(cf, "mydestination", &c->mydestination, e)) !=
	    EX_OK || (rc = domains(cf, "relay_domains", &c->relay_domains,
	    e)) != EX_OK)
		return rc;
	if ((v = conf_get(cf, "mynetworks")) == NULL)
		v = "";
	if ((nets = conf_list(v, &n)) == NULL)
		return mail_err_errno(e, errno, "mynetworks");
	rc = netmask_list(nets, n, &c->mynetworks, e);
	conf_list_free(nets);
	if (rc != EX_OK) {
		char	why[sizeof e->text];

		snprintf(why, sizeof why, "%s", e->text);
		return mail_err_set(e, rc, NULL, "mynetworks: %s", why);
	}
	c->nmynetworks = n;
	if ((rc = getnum(cf, "message_size_limit", &c->message_size_limit,
	    e)) != EX_OK ||
	    (rc = getnum(cf, "smtpd_recipient_limit", &c->recipient_limit,
	    e)) != EX_OK ||
	    (rc = getnum(cf, "smtpd_hard_error_limit", &c->hard_error_limit,
	    e)) != EX_OK ||
	    (rc = getnum(cf, "hopcount_limit", &c->hopcount_limit, e)) !=
	    EX_OK ||
	    (rc = gettime(cf, "smtpd_timeout", 's', &c->timeout, e)) !=
	    EX_OK ||
	    (rc = gettime(cf, "smtpd_session_timeout", 's',
	    &c->session_timeout, e)) != EX_OK)
		return rc;
	ms = -1;
	if ((rc = gettime(cf, "smtpd_greet_pause", 's', &ms, e)) != EX_OK)
		return rc;
	if (ms >= 0)
		c->greet_pause_ms = ms * 1000;
	if ((v = conf_get(cf, "smtpd_forbid_bare_newline")) != NULL) {
		if (strcmp(v, "reject") == 0 || strcmp(v, "yes") == 0)
			c->bare_newline = SMTPD_NL_REJECT;
		else if (strcmp(v, "normalize") == 0)
			c->bare_newline = SMTPD_NL_NORMALIZE;
		else
			return mail_err_set(e, EX_CONFIG, NULL,
			    "smtpd_forbid_bare_newline: \"%s\": want reject "
			    "or normalize", v);
	}
	if (conf_get(cf, "smtpd_forbid_unauth_pipelining") != NULL) {
		if ((b = conf_get_bool(cf,
		    "smtpd_forbid_unauth_pipelining")) < 0)
			return mail_err_set(e, EX_CONFIG, NULL,
			    "smtpd_forbid_unauth_pipelining: want yes or no");
		c->forbid_pipelining = b;
	}
	if (conf_get(cf, "smtpd_tls_auth_only") != NULL) {
		if ((b = conf_get_bool(cf, "smtpd_tls_auth_only")) < 0)
			return mail_err_set(e, EX_CONFIG, NULL,
			    "smtpd_tls_auth_only: want yes or no");
		c->tls_auth_only = b;
	}
	if ((rc = getnum(cf, "smtpd_sasl_failure_limit",
	    &c->auth_failure_limit, e)) != EX_OK)
		return rc;
	ms = -1;
	if ((rc = gettime(cf, "smtpd_sasl_failure_delay", 's', &ms, e)) !=
	    EX_OK)
		return rc;
	if (ms >= 0)
		c->auth_failure_delay_ms = ms * 1000;
	if ((v = conf_get(cf, "myorigin")) != NULL && *v != '\0' &&
	    str_copy(c->myorigin, sizeof c->myorigin, v) == -1)
		return mail_err_set(e, EX_CONFIG, NULL, "myorigin: too long");
	str_lower(c->myorigin);
	if ((v = conf_get(cf, "smtpd_sender_login_maps")) != NULL &&
	    *v != '\0' && (c->sender_login_maps = str_dup(v)) == NULL)
		return mail_err_errno(e, errno, "smtpd_sender_login_maps");
	if (conf_get(cf, "smtpd_submission_header_from_check") != NULL) {
		if ((b = conf_get_bool(cf,
		    "smtpd_submission_header_from_check")) < 0)
			return mail_err_set(e, EX_CONFIG, NULL,
			    "smtpd_submission_header_from_check: want yes "
			    "or no");
		c->header_from_check = b;
	}
	if (c->recipient_limit < 1 || c->hard_error_limit < 1 ||
	    c->timeout < 1 || c->message_size_limit < 0 ||
	    c->hopcount_limit < 1 || c->session_timeout < 0)
		return mail_err_set(e, EX_CONFIG, NULL, "smtpd limits must be "
		    "positive (message_size_limit and smtpd_session_timeout "
		    "may be 0 for none)");
	return EX_OK;
}

/* smtpd_conf_load - the server's settings from main.cf */
int
smtpd_conf_load(struct smtpd_conf *c, const struct mail_conf *cf,
    struct mail_err *e)
{
	int	rc;

	if ((rc = load(c, cf, e)) != EX_OK)
		smtpd_conf_free(c);
	return rc;
}

/* smtpd_conf_free - release the lists */
void
smtpd_conf_free(struct smtpd_conf *c)
{
	conf_list_free(c->mydestination);
	conf_list_free(c->relay_domains);
	free(c->mynetworks);
	free(c->sender_login_maps);
	c->sender_login_maps = NULL;
	c->mydestination = c->relay_domains = NULL;
	c->mynetworks = NULL;
	c->nmynetworks = 0;
}

/* -------------------------------------------------------------------- */
/* output */

static void
trace(struct session *s, int dir, const char *p, size_t n)
{
	if (s->ops->trace != NULL)
		s->ops->trace(s->ops->ctx, dir, p, n);
}

static int
flush(struct session *s)
{
	if (s->out.len == 0)
		return 0;
	if (s->io->write(s->io->ctx, s->out.s, s->out.len) == -1) {
		buf_reset(&s->out);
		s->result = EX_IOERR;
		s->done = 1;
		return -1;
	}
	buf_reset(&s->out);
	return 0;
}

/* addline - one reply line into the output buffer */
static void
addline(struct session *s, const char *p, size_t n)
{
	trace(s, 'S', p, n);
	if (s->out.len + n + 2 > s->out.max && flush(s) == -1)
		return;
	if (buf_add(&s->out, p, n) == -1 || buf_add(&s->out, "\r\n", 2) == -1) {
		s->result = EX_OSERR;
		s->done = 1;
	}
}

static void __attribute__((format(printf, 4, 5)))
reply(struct session *s, int code, const char *enh, const char *fmt, ...)
{
	char	line[SMTPD_CMD_MAX];
	int	n, m;
	va_list	ap;

	if (enh != NULL)
		n = snprintf(line, sizeof line, "%d %s ", code, enh);
	else
		n = snprintf(line, sizeof line, "%d ", code);
	if (n < 0 || (size_t)n >= sizeof line)
		return;
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
	va_end(ap);
	if (m < 0)
		m = 0;
	if ((size_t)m >= sizeof line - (size_t)n)
		m = (int)(sizeof line - (size_t)n - 1);	/* a reason cut short */
	if (code >= 400)
		s->errors++;
	addline(s, line, (size_t)(n + m));
}

/* reply_err - a reply from an error record: code from its class */
static void
reply_err(struct session *s, int code, const struct mail_err *e)
{
	reply(s, code, e->enh, "%s", e->text);
}

/* reject - a refused command, logged the Postfix way */
static void __attribute__((format(printf, 5, 6)))
reject(struct session *s, const char *what, int code, const char *enh,
    const char *fmt, ...)
{
	char	text[400];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	if (n < 0)
		text[0] = '\0';
	reply(s, code, enh, "%s", text);
	log_info("NOQUEUE: reject: %s from %s: %d %s %s; from=<%s> "
	    "proto=%s helo=<%s>", what, s->clientname, code, enh, text,
	    buf_str(&s->sender), s->helo == 2 ? "ESMTP" : "SMTP",
	    s->heloname);
}

/* -------------------------------------------------------------------- */
/* input */

static int
remaining_ms(struct session *s)
{
	long long	ms = s->conf->timeout * 1000;
	time_t		now;

	if (s->deadline != 0) {
		now = time(NULL);
		if (now >= s->deadline)
			return 0;
		if ((long long)(s->deadline - now) * 1000 < ms)
			ms = (long long)(s->deadline - now) * 1000;
	}
	return ms > 0x7fffffff ? 0x7fffffff : (int)ms;
}

static int
fill(struct session *s)
{
	ssize_t	n;
	int	ms;

	if (flush(s) == -1)
		return RD_ERROR;
	if ((ms = remaining_ms(s)) == 0)
		return RD_TIMEOUT;
	n = s->io->read(s->io->ctx, s->ibuf, sizeof s->ibuf, ms);
	if (n == 0)
		return RD_EOF;
	if (n < 0)
		return errno == ETIMEDOUT ? RD_TIMEOUT : RD_ERROR;
	s->ipos = 0;
	s->ilen = (size_t)n;
	return RD_OK;
}

/* getbyte - the next input byte, or RD_EOF, RD_TIMEOUT, RD_ERROR */
static inline int
getbyte(struct session *s)
{
	int	rc;

	if (s->ipos == s->ilen && (rc = fill(s)) != RD_OK)
		return rc;
	return s->ibuf[s->ipos++];
}

/* pending - does more input wait behind what was consumed? */
static int
pending(struct session *s)
{
	if (s->ipos < s->ilen)
		return 1;
	if (s->io->poll == NULL)
		return 0;
	return s->io->poll(s->io->ctx, 0) > 0;
}

/*
 * readcmd - one command line into s->line (NUL-terminated, no line end);
 * RD_OK with s->lineend saying how it ended.  A line that does not fit is
 * L_TOO_LONG; the rest of it is discarded by the next call.
 */
static int
readcmd(struct session *s, int discard)
{
	size_t	n = 0;
	int	c;

	/* The rest of an overlong line: each line's worth is an error. */
	while (discard) {
		if ((c = getbyte(s)) < 0)
			return c;
		if (c == '\n')
			break;
		if (++n == SMTPD_CMD_MAX) {
			n = 0;
			if (++s->errors >= s->conf->hard_error_limit)
				return RD_CLOSE;
		}
	}
	s->linelen = 0;
	for (;;) {
		if ((c = getbyte(s)) < 0)
			return c;
		if (c == '\n')
			break;
		if (s->linelen == SMTPD_CMD_MAX - 1) {
			/* 511 bytes and still no LF: over 510 + CR LF. */
			s->line[s->linelen] = '\0';
			s->lineend = L_TOO_LONG;
			return RD_OK;
		}
		s->line[s->linelen++] = (char)c;
	}
	s->lineend = L_BARE_LF;
	if (s->linelen > 0 && s->line[s->linelen - 1] == '\r') {
		s->linelen--;
		s->lineend = L_CRLF;
	}
	s->line[s->linelen] = '\0';
	return RD_OK;
}

/* -------------------------------------------------------------------- */
/* the transaction */

static void	abandon(struct session *, struct text *);

static void
textfree(struct text *t)
{
	if (t != NULL)
		buf_free(&t->from);
	free(t);
}

static void
reset(struct session *s)
{
	size_t	i;

	if (s->chunk != NULL) {
		abandon(s, s->chunk);
		textfree(s->chunk);
		s->chunk = NULL;
	}
	for (i = 0; i < s->nrcpt; i++) {
		free(s->rcpt[i]);
		free(s->orcpt[i]);
	}
	s->nrcpt = 0;
	free(s->envid);
	s->envid = NULL;
	s->ret = SMTPD_RET_NONE;
	s->rcpt_tries = 0;
	s->mail = 0;
	s->smtputf8 = s->body8bit = 0;
	buf_reset(&s->sender);
	s->qid[0] = '\0';
}

static void
newqid(struct session *s)
{
	static unsigned	counter;
	struct timeval	tv;

	gettimeofday(&tv, NULL);
	snprintf(s->qid, sizeof s->qid, "%08llX%05lX%lX%X",
	    (unsigned long long)tv.tv_sec & 0xffffffffULL,
	    (unsigned long)tv.tv_usec, (unsigned long)getpid(),
	    counter++ & 0xf);
}

/* argument after the verb: skip one space; NULL when there is none */
static char *
argument(char *line, size_t verblen)
{
	char	*p = line + verblen;

	while (*p == ' ')
		p++;
	return *p != '\0' ? p : NULL;
}

static void
cmd_helo(struct session *s, char *arg, int ehlo)
{
	char	size[40] = "SIZE";

	if (arg == NULL) {
		reply(s, 501, "5.5.4", "Syntax: %s hostname",
		    ehlo ? "EHLO" : "HELO");
		return;
	}
	smtpd_printable(arg, strlen(arg), s->heloname, sizeof s->heloname);
	reset(s);
	s->helo = ehlo ? 2 : 1;
	if (!ehlo) {
		reply(s, 250, NULL, "%s", s->conf->myhostname);
		return;
	}
	if (s->conf->message_size_limit > 0)
		snprintf(size, sizeof size, "SIZE %lld",
		    s->conf->message_size_limit);
	{
		const char *ext[] = {
			s->conf->myhostname, "PIPELINING", size,
			"ENHANCEDSTATUSCODES", "8BITMIME", "SMTPUTF8",
			"CHUNKING", "DSN", NULL, NULL
		};
		size_t	i, n = 8;

		if (s->ops->auth != NULL && (s->tls ||
		    !s->conf->tls_auth_only))
			ext[n++] = "AUTH PLAIN LOGIN";
		if (s->ops->starttls != NULL && !s->tls)
			ext[n++] = "STARTTLS";
		char	line[300];
		int	len;

		for (i = 0; i < n; i++) {
			len = snprintf(line, sizeof line, "250%c%s",
			    i + 1 < n ? '-' : ' ', ext[i]);
			if (len > 0 && (size_t)len < sizeof line)
				addline(s, line, (size_t)len);
		}
	}
}

/*
 * pathend - the length of "<...>" at p (the first '>' outside a quoted
 * string), or 0 when there is none
 */
static size_t
pathend(const char *p)
{
	size_t	i;
	int	q = 0;

	if (*p != '<')
		return 0;
	for (i = 1; p[i] != '\0'; i++) {
		if (q && p[i] == '\\' && p[i + 1] != '\0')
			i++;
		else if (p[i] == '"')
			q = !q;
		else if (!q && p[i] == '>')
			return i + 1;
	}
	return 0;
}

/*
 * envelope - split "FROM:<path> PARAMS" after the keyword; the path and
 * the parameters (or NULL).  -1 on a syntax error.
 */
static int
envelope(char *arg, const char *kw, char **path, size_t *plen,
    char **params)
{
	size_t	kl = strlen(kw), n;
	char	*p;

	if (arg == NULL || strncasecmp(arg, kw, kl) != 0)
		return -1;
	p = arg + kl;
	while (*p == ' ')	/* "MAIL FROM: <a@b>" is common */
		p++;
	if ((n = pathend(p)) == 0)
		return -1;
	*path = p;
	*plen = n;
	p += n;
	if (*p == '\0') {
		*params = NULL;
		return 0;
	}
	if (*p != ' ')
		return -1;
	while (*p == ' ')
		p++;
	*params = *p != '\0' ? p : NULL;
	return 0;
}

static int
addr_reply(const struct mail_err *e)
{
	return strcmp(e->enh, "5.6.7") == 0 ? 553 : 501;
}

static int	inlist(char *const *, const char *, int);

/*
 * nextparam - the next "KEY[=VALUE]" of a MAIL or RCPT parameter list,
 * split in place; *params moves on.  NULL at the end.
 */
static char *
nextparam(char **params, char **val)
{
	char	*p = *params, *q;

	if (p == NULL)
		return NULL;
	if ((q = strchr(p, ' ')) != NULL) {
		*q++ = '\0';
		while (*q == ' ')
			q++;
		if (*q == '\0')
			q = NULL;
	}
	*params = q;
	if ((*val = strchr(p, '=')) != NULL)
		*(*val)++ = '\0';
	return p;
}

/* xtext_ok - RFC 3461 4: printable ASCII but + and =, or +XX */
static int
xtext_ok(const char *s, size_t max)
{
	size_t	n = 0;

	for (; *s != '\0'; s++, n++) {
		if (*s == '+') {
			if (!strchr("0123456789ABCDEF", s[1]) || s[1] == '\0' ||
			    !strchr("0123456789ABCDEF", s[2]) || s[2] == '\0')
				return 0;
			s += 2;
		} else if (*s < 33 || *s > 126 || *s == '=')
			return 0;
	}
	return n <= max;
}

/* login_in - is login one of the names in v (n octets, ", " separated)? */
static int
login_in(const char *v, size_t n, const char *login)
{
	size_t	i = 0, j, ll = strlen(login);

	while (i < n) {
		while (i < n && (v[i] == ',' || v[i] == ' ' || v[i] == '\t'))
			i++;
		for (j = i; j < n && v[j] != ',' && v[j] != ' ' &&
		    v[j] != '\t'; j++)
			;
		if (j - i == ll && ll > 0 && strncasecmp(v + i, login, ll) == 0)
			return 1;
		i = j;
	}
	return 0;
}

/* ourdomain - $myorigin or a mydestination domain */
static int
ourdomain(struct session *s, const char *d)
{
	char *const	origin[] = { (char *)s->conf->myorigin, NULL };

	return inlist(origin, d, 0) || inlist(s->conf->mydestination, d, 0);
}

/*
 * owned - may the logged-in user send as a?  1 yes, 0 no, -1 the table
 * failed (e says why).  The null sender always.  Without
 * smtpd_sender_login_maps: the login itself when it is an address, else
 * login@$myorigin and login@ each mydestination domain.  With the table,
 * as Postfix's reject_sender_login_mismatch: the owners listed under
 * "local@domain", else "local" (for our own domains), else "@domain";
 * an address the table does not list is owned by nobody.
 */
static int
owned(struct session *s, const struct addr *a, struct mail_err *e)
{
	struct buf	 b = BUF_INIT(ADDR_PATH_MAX + 8), v = BUF_INIT(4096);
	const char	*key[3];
	size_t		 klen[3], i, nk = 0;
	int		 rc = 0;

	if (a->flags & ADDR_NULL)
		return 1;
	if (addr_format(a, &b) == -1) {
		mail_err_errno(e, errno, "sender");
		return -1;
	}
	if (s->conf->sender_login_maps == NULL) {
		if (strchr(s->authuser, '@') != NULL)
			rc = strcasecmp(buf_str(&b), s->authuser) == 0;
		else
			rc = strcmp(a->local, s->authuser) == 0 &&
			    ourdomain(s, a->domain);
		buf_free(&b);
		return rc;
	}
	if (s->loginmap == NULL && map_open(&s->loginmap,
	    s->conf->sender_login_maps, MAP_FOLD, e) != EX_OK) {
		buf_free(&b);
		return -1;
	}
	key[nk] = buf_str(&b);
	klen[nk++] = b.len;
	if (ourdomain(s, a->domain)) {
		key[nk] = a->local;
		klen[nk++] = strlen(a->local);
	}
	key[nk] = strrchr(buf_str(&b), '@');
	klen[nk] = key[nk] != NULL ? strlen(key[nk]) : 0;
	if (key[nk] != NULL)
		nk++;
	for (i = 0; i < nk; i++) {
		if ((rc = map_get(s->loginmap, key[i], klen[i], &v, e)) != 0)
			break;
	}
	if (rc == 1)
		rc = login_in(buf_str(&v), v.len, s->authuser);
	buf_free(&b);
	buf_free(&v);
	return rc;
}

static void
cmd_mail(struct session *s, char *arg)
{
	char		*path, *params, *p, *val, *envid;
	size_t		 plen;
	long long	 size = 0;
	struct addr	 a;
	struct mail_err	 e;
	int		 utf8 = 0, body8 = 0, ret, rc;

	if (s->mail) {
		reply(s, 503, "5.5.1", "Error: nested MAIL command");
		return;
	}
	if (s->conf->submission && !s->auth) {
		reject(s, "MAIL", 530, "5.7.0", "Authentication required");
		return;
	}
	if (envelope(arg, "FROM:", &path, &plen, &params) == -1) {
		reply(s, 501, "5.5.4", "Syntax: MAIL FROM:<address>");
		return;
	}
	ret = SMTPD_RET_NONE;
	envid = NULL;
	while ((p = nextparam(&params, &val)) != NULL) {
		if (s->helo != 2) {
			/* RFC 5321 4.1.1.2: no parameters without EHLO */
			reply(s, 555, "5.5.4", "Unsupported option: %s", p);
			return;
		}
		if (strcasecmp(p, "SIZE") == 0 && val != NULL) {
			if (str_tonum(val, 0, 0x7fffffffffffffffLL,
			    &size) == -1) {
				if (errno == ERANGE && *val != '-')
					reply(s, 552, "5.3.4", "Message size "
					    "exceeds fixed limit");
				else
					reply(s, 501, "5.5.4", "Bad SIZE "
					    "parameter");
				return;
			}
		} else if (strcasecmp(p, "BODY") == 0 && val != NULL) {
			if (strcasecmp(val, "8BITMIME") == 0)
				body8 = 1;
			else if (strcasecmp(val, "7BIT") != 0) {
				reply(s, 501, "5.5.4", "Bad BODY parameter");
				return;
			}
		} else if (strcasecmp(p, "SMTPUTF8") == 0 && val == NULL)
			utf8 = 1;
		else if (strcasecmp(p, "AUTH") == 0 && val != NULL &&
		    s->ops->auth != NULL)
			;	/* RFC 4954 5: AUTH=<mailbox> may be ignored */
		else if (strcasecmp(p, "RET") == 0 && val != NULL &&
		    ret == SMTPD_RET_NONE && (strcasecmp(val, "FULL") == 0 ||
		    strcasecmp(val, "HDRS") == 0))
			ret = toupper((unsigned char)val[0]) == 'F' ?
			    SMTPD_RET_FULL : SMTPD_RET_HDRS;
		else if (strcasecmp(p, "ENVID") == 0 && val != NULL &&
		    envid == NULL && xtext_ok(val, 100))
			envid = val;
		else if (strcasecmp(p, "RET") == 0 ||
		    strcasecmp(p, "ENVID") == 0) {
			reply(s, 501, "5.5.4", "Bad %s parameter", p);
			return;
		} else {
			reply(s, 555, "5.5.4", "Unsupported option: %s", p);
			return;
		}
	}
	if (s->conf->message_size_limit > 0 &&
	    size > s->conf->message_size_limit) {
		reject(s, "MAIL", 552, "5.3.4",
		    "Message size exceeds fixed limit");
		return;
	}
	if (s->ops->mail_check != NULL &&
	    s->ops->mail_check(s->ops->ctx, size, &e) != EX_OK) {
		log_warn("%s", e.text);
		reject(s, "MAIL", 452, "4.3.1", "Insufficient system storage");
		return;
	}
	if (addr_parse_path(path, plen, ADDR_P_NULL_OK | ADDR_P_SENDER |
	    ADDR_P_ROUTE_OK | (utf8 ? ADDR_P_UTF8 : 0), &a, &e) != EX_OK) {
		reply(s, addr_reply(&e), e.enh, "<%.*s>: Sender address "
		    "rejected: %s", (int)(plen > 2 ? plen - 2 : 0), path + 1,
		    e.text);
		return;
	}
	buf_reset(&s->sender);
	if (addr_format(&a, &s->sender) == -1) {
		reply(s, 451, "4.3.0", "Error: out of memory");
		return;
	}
	if (s->conf->submission && (rc = owned(s, &a, &e)) != 1) {
		if (rc == -1) {
			log_warn("smtpd_sender_login_maps: %s", e.text);
			reject(s, "MAIL", 451, "4.3.0", "<%s>: Sender address "
			    "rejected: Server configuration problem",
			    buf_str(&s->sender));
		} else
			reject(s, "MAIL", 553, "5.7.1", "<%s>: Sender address "
			    "rejected: not owned by user %s",
			    buf_str(&s->sender), s->authuser);
		buf_reset(&s->sender);
		return;
	}
	if (envid != NULL && (s->envid = str_dup(envid)) == NULL) {
		reply(s, 451, "4.3.0", "Error: out of memory");
		buf_reset(&s->sender);
		return;
	}
	s->ret = ret;
	s->mail = 1;
	s->smtputf8 = utf8;
	s->body8bit = body8;
	newqid(s);
	reply(s, 250, "2.1.0", "Ok");
}

static int
inlist(char *const *list, const char *d, int subdomains)
{
	size_t	dl = strlen(d), ll;

	if (dl > 0 && d[dl - 1] == '.')
		dl--;
	for (; list != NULL && *list != NULL; list++) {
		ll = strlen(*list);
		if (ll == dl && strncasecmp(*list, d, dl) == 0)
			return 1;
		if (subdomains && dl > ll + 1 && d[dl - ll - 1] == '.' &&
		    strncasecmp(*list, d + dl - ll, ll) == 0)
			return 1;
	}
	return 0;
}

/* islocal - is the domain ours (mydestination or our own literal)? */
static int
islocal(struct session *s, const struct addr *a)
{
	struct netaddr	lit;

	if (inlist(s->conf->mydestination, a->domain, 0))
		return 1;
	if ((a->flags & ADDR_LITERAL) && netaddr_parse(a->domain, &lit) == 0)
		return netaddr_equal(&lit, &s->peer->local);
	return 0;
}

static void
cmd_rcpt(struct session *s, char *arg)
{
	char		*path, *params, *ext, *p, *val, *orcpt = NULL;
	size_t		 plen;
	struct addr	 a;
	struct mail_err	 e;
	struct buf	 b = BUF_INIT(ADDR_PATH_MAX + 8);
	int		 local, rc, code, nfy = 0;

	if (!s->mail) {
		reply(s, 503, "5.5.1", "Error: need MAIL command");
		return;
	}
	if (envelope(arg, "TO:", &path, &plen, &params) == -1) {
		reply(s, 501, "5.5.4", "Syntax: RCPT TO:<address>");
		return;
	}
	s->rcpt_tries++;
	while ((p = nextparam(&params, &val)) != NULL) {
		if (s->helo == 2 && strcasecmp(p, "NOTIFY") == 0 &&
		    val != NULL) {
			if (nfy != 0 || (nfy = queue_notify_parse(val)) == -1) {
				reply(s, 501, "5.5.4", "Bad NOTIFY parameter");
				return;
			}
		} else if (s->helo == 2 && strcasecmp(p, "ORCPT") == 0 &&
		    val != NULL) {
			/* addr-type ";" xtext, RFC 3461 4.2 */
			char	*semi = strchr(val, ';');

			if (orcpt != NULL || semi == NULL || semi == val ||
			    !xtext_ok(semi + 1, 500)) {
				reply(s, 501, "5.5.4", "Bad ORCPT parameter");
				return;
			}
			orcpt = val;
		} else {
			reply(s, 555, "5.5.4", "Unsupported option: %s", p);
			return;
		}
	}
	if (s->nrcpt >= (size_t)s->conf->recipient_limit) {
		reply(s, 452, "4.5.3", "Error: too many recipients");
		return;
	}
	if (addr_parse_path(path, plen, ADDR_P_NO_DOMAIN | ADDR_P_ROUTE_OK |
	    (s->smtputf8 ? ADDR_P_UTF8 : 0), &a, &e) != EX_OK) {
		reply(s, addr_reply(&e), e.enh, "<%.*s>: Recipient address "
		    "rejected: %s", (int)(plen > 2 ? plen - 2 : 0), path + 1,
		    e.text);
		return;
	}
	if (a.domain[0] == '\0') {
		/* RFC 5321 4.5.1: <postmaster> must work; all bare names are ours */
		if (str_copy(a.domain, sizeof a.domain,
		    s->conf->myhostname) == -1)
			a.domain[0] = '\0';
		local = 1;
	} else
		local = islocal(s, &a);
	if (addr_format(&a, &b) == -1)
		goto oom;
	if (!s->trusted && !s->auth && strpbrk(a.local, "%!@") != NULL) {
		reject(s, "RCPT", 554, "5.7.1", "<%s>: Relay access denied",
		    buf_str(&b));
		goto out;
	}
	if (local && s->ops->rcpt_check != NULL) {
		mail_err_clear(&e);
		rc = s->ops->rcpt_check(s->ops->ctx, &a, &e);
		if (rc != EX_OK) {
			code = rc == EX_NOUSER ? 550 : exitcode_reply(rc);
			if (rc == EX_NOUSER)
				reject(s, "RCPT", code, "5.1.1", "<%s>: "
				    "Recipient address rejected: User unknown "
				    "in local recipient table", buf_str(&b));
			else
				reject(s, "RCPT", exitcode_is_temp(rc) ? 450 :
				    code, e.enh, "<%s>: Recipient address "
				    "rejected: %s", buf_str(&b),
				    e.text[0] != '\0' ? e.text :
				    exitcode_text(rc));
			goto out;
		}
	} else if (!local && !s->trusted && !s->auth &&
	    !inlist(s->conf->relay_domains, a.domain, 1)) {
		reject(s, "RCPT", 554, "5.7.1", "<%s>: Relay access denied",
		    buf_str(&b));
		goto out;
	}
	if (s->nrcpt % 16 == 0) {
		char	**v = reallocarray(s->rcpt, s->nrcpt + 16,
		    sizeof *v);
		char	**o;
		int	 *nv;

		if (v == NULL)
			goto oom;
		s->rcpt = v;
		if ((o = reallocarray(s->orcpt, s->nrcpt + 16,
		    sizeof *o)) == NULL)
			goto oom;
		s->orcpt = o;
		if ((nv = reallocarray(s->notify, s->nrcpt + 16,
		    sizeof *nv)) == NULL)
			goto oom;
		s->notify = nv;
	}
	if ((ext = str_dup(buf_str(&b))) == NULL)
		goto oom;
	s->orcpt[s->nrcpt] = NULL;
	if (orcpt != NULL && (s->orcpt[s->nrcpt] = str_dup(orcpt)) == NULL) {
		free(ext);
		goto oom;
	}
	s->notify[s->nrcpt] = nfy;
	s->rcpt[s->nrcpt++] = ext;
	reply(s, 250, "2.1.5", "Ok");
	goto out;
oom:
	reply(s, 451, "4.3.0", "Error: out of memory");
out:
	buf_free(&b);
}

/* -------------------------------------------------------------------- */
/* DATA */

static void
msgline(struct session *s, struct text *t, const char *p, size_t n)
{
	if (t->werr || s->ops->msg_line == NULL)
		return;
	errno = 0;
	if (s->ops->msg_line(s->ops->ctx, p, n) == -1)
		t->werr = errno != 0 ? errno : EIO;
}

/* received - our trace header, RFC 5321 4.4, with nothing unescaped */
static int
received(struct session *s, struct text *t)
{
	char		 l[600], rcpt[300], addr[NETADDR_STRLEN + 8];
	const char	*proto;
	struct tm	 tm;
	time_t		 now = time(NULL);
	long		 off;
	int		 n;

	if (s->peer->addr.family == AF_INET6)
		snprintf(addr, sizeof addr, "[IPv6:%s]", s->client);
	else if (s->peer->addr.family == AF_INET)
		snprintf(addr, sizeof addr, "[%s]", s->client);
	else
		snprintf(addr, sizeof addr, "unknown");
	n = snprintf(l, sizeof l, "Received: from %s (%s)", s->heloname, addr);
	if (n < 0 || (size_t)n >= sizeof l)
		return -1;
	msgline(s, t, l, (size_t)n);
	/* RFC 3848 and RFC 6531 protocol names */
	if (s->smtputf8)
		proto = s->tls ? (s->auth ? "UTF8SMTPSA" : "UTF8SMTPS") :
		    s->auth ? "UTF8SMTPA" : "UTF8SMTP";
	else if (s->helo == 2)
		proto = s->tls ? (s->auth ? "ESMTPSA" : "ESMTPS") :
		    s->auth ? "ESMTPA" : "ESMTP";
	else
		proto = "SMTP";
	if (s->tls) {
		n = snprintf(l, sizeof l, "\t(using %s)", s->tlsinfo);
		if (n < 0 || (size_t)n >= sizeof l)
			return -1;
		msgline(s, t, l, (size_t)n);
	}
	n = snprintf(l, sizeof l, "\tby %s (mailpath) with %s id %s%s",
	    s->conf->myhostname, proto, s->qid, s->nrcpt == 1 ? "" : ";");
	if (n < 0 || (size_t)n >= sizeof l)
		return -1;
	msgline(s, t, l, (size_t)n);
	localtime_r(&now, &tm);
	off = tm.tm_gmtoff / 60;
	if (s->nrcpt == 1) {
		smtpd_printable(s->rcpt[0], strlen(s->rcpt[0]), rcpt,
		    sizeof rcpt);
		n = snprintf(l, sizeof l, "\tfor <%s>; ", rcpt);
	} else
		n = snprintf(l, sizeof l, "\t");
	if (n < 0 || (size_t)n >= sizeof l)
		return -1;
	n += snprintf(l + n, sizeof l - (size_t)n,
	    "%s, %d %s %d %02d:%02d:%02d %c%02ld%02ld",
	    days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
	    off < 0 ? '-' : '+', labs(off) / 60, labs(off) % 60);
	if (n < 0 || (size_t)n >= sizeof l)
		return -1;
	msgline(s, t, l, (size_t)n);
	return 0;
}

/* fromcheck - is the From: check on for this message? */
static int
fromcheck(const struct session *s)
{
	return s->conf->submission && s->conf->header_from_check && s->auth;
}

/*
 * header - follow the header section: count hops, drop trace forgeries,
 * keep the From: fields for the submission check.
 */
static void
header(struct session *s, struct text *t, const char *p, size_t n)
{
	static const char *const dropped[] = {
		"return-path", "content-length", NULL
	};
	size_t	i, k;

	if (n == 0) {
		t->header = t->drop = t->infrom = 0;
		return;
	}
	if (p[0] == ' ' || p[0] == '\t') {
		/* continuation: same fate as its field */
		if (t->infrom && buf_add(&t->from, p, n) == -1)
			t->from_bad = 1;
		return;
	}
	t->infrom = 0;
	for (i = 0; i < n && p[i] != ':'; i++)
		if ((unsigned char)p[i] <= 0x20 || (unsigned char)p[i] >= 0x7f)
			break;
	if (i == 0 || i == n || p[i] != ':') {
		/* Not a header field: the body starts without a blank line. */
		t->header = t->drop = 0;
		return;
	}
	if (i == 8 && strncasecmp(p, "received", 8) == 0)
		t->hops++;
	if (i == 4 && strncasecmp(p, "from", 4) == 0 && fromcheck(s)) {
		t->infrom = 1;
		t->nfrom++;
		if ((t->from.len > 0 && buf_addc(&t->from, ',') == -1) ||
		    buf_add(&t->from, p + 5, n - 5) == -1)
			t->from_bad = 1;
	}
	t->drop = 0;
	for (k = 0; dropped[k] != NULL; k++)
		if (strlen(dropped[k]) == i && strncasecmp(p, dropped[k],
		    i) == 0)
			t->drop = 1;
}

/*
 * nextmailbox - the next address of an RFC 5322 address list (a From:
 * field body) at *pp, into out (size bytes): the text in <...> when there
 * is one, else the mailbox with white space and comments left out; group
 * names ("name:") are skipped.  1 found (out may be empty for an empty
 * group), 0 at the end, -1 when an address does not fit.
 */
static int
nextmailbox(const char **pp, char *out, size_t size)
{
	const char	*p = *pp;
	size_t		 n = 0, depth;
	int		 angle = 0, got = 0;

	if (*p == '\0')
		return 0;
	for (; *p != '\0'; p++) {
		if (*p == '(' && !angle) {	/* comment, nested, \ escapes */
			for (depth = 0; *p != '\0'; p++) {
				if (*p == '\\' && p[1] != '\0')
					p++;
				else if (*p == '(')
					depth++;
				else if (*p == ')' && --depth == 0)
					break;
			}
			if (*p == '\0')
				break;
			continue;
		}
		if ((*p == ',' || *p == ';') && !angle) {
			p++;
			break;
		}
		if (*p == ':' && !angle) {	/* a group's display name */
			n = 0;
			continue;
		}
		if (*p == '<' && !angle) {
			angle = 1;
			got = 0;
			n = 0;
			continue;
		}
		if (*p == '>' && angle) {
			angle = 0;
			got = 1;	/* what follows is not the address */
			continue;
		}
		if (got || ((*p == ' ' || *p == '\t') && !angle))
			continue;
		if (*p == '"') {	/* quoted string, kept as it is */
			do {
				if (n + 2 >= size)
					return -1;
				if (*p == '\\' && p[1] != '\0')
					out[n++] = *p++;
				out[n++] = *p++;
			} while (*p != '\0' && *p != '"');
			if (*p == '\0')
				break;
		}
		if (n + 1 >= size)
			return -1;
		out[n++] = *p;
	}
	out[n] = '\0';
	*pp = p;
	return 1;
}

/*
 * from_owned - may the login put these From: fields on a message?  NULL
 * when every address is the login's; else the reply text (into why).
 * The check is off unless smtpd_submission_header_from_check = yes.  A
 * message without From: passes: nothing in it claims an author.
 */
static const char *
from_owned(struct session *s, struct text *t, char *why, size_t size,
    int *code)
{
	char		 m[ADDR_PATH_MAX + 8];
	const char	*p = buf_str(&t->from);
	struct addr	 a;
	struct mail_err	 e;
	int		 r, rc;

	*code = 550;
	if (t->from_bad) {
		snprintf(why, size, "From: header too long to check");
		return why;
	}
	while ((r = nextmailbox(&p, m, sizeof m)) != 0) {
		if (r == -1 || (m[0] == '\0' ? 0 :
		    addr_parse_mailbox(m, strlen(m), ADDR_P_UTF8, &a, &e) !=
		    EX_OK)) {
			snprintf(why, size, "From: header address not "
			    "understood");
			return why;
		}
		if (m[0] == '\0')
			continue;
		if ((rc = owned(s, &a, &e)) == -1) {
			log_warn("smtpd_sender_login_maps: %s", e.text);
			*code = 451;
			snprintf(why, size, "Server configuration problem");
			return why;
		}
		if (rc == 0) {
			smtpd_printable(m, strlen(m), m, sizeof m);
			snprintf(why, size, "<%s>: From: header address not "
			    "owned by user %s", m, s->authuser);
			return why;
		}
	}
	return NULL;
}

/* endline - a complete text line; crlf says it ended in CR LF */
static void
endline(struct session *s, struct text *t, int crlf)
{
	const char	*p = t->line;
	size_t		 n = t->len;

	if (!t->bdat && crlf && t->prev_crlf && n == 1 && p[0] == '.' &&
	    !t->overlong) {
		t->eod = 1;
		t->len = 0;
		return;
	}
	t->prev_crlf = crlf;
	t->size += (long long)n + 2;	/* feed() counted what it dropped */
	if (t->overlong)
		t->too_long = 1;
	t->overlong = 0;
	t->len = 0;
	if (!t->bdat && n >= 2 && p[0] == '.') {
		p++;
		n--;
	}
	if (memchr(p, '\0', n) != NULL)
		t->nul = 1;
	if (s->conf->message_size_limit > 0 &&
	    t->size > s->conf->message_size_limit)
		t->too_big = 1;
	if (t->header)
		header(s, t, p, n);
	if (t->too_long || t->nul || t->too_big || t->drop)
		return;
	msgline(s, t, p, n);
}

/*
 * feed - one byte of message text.  RD_OK, or RD_CLOSE after a bare CR
 * or LF in DATA in reject mode (the 521 is sent).  BDAT is framed by
 * length, so there a bare CR or LF is only ever a line end.
 */
static int
feed(struct session *s, struct text *t, int c)
{
	int	reject = !t->bdat &&
		    s->conf->bare_newline == SMTPD_NL_REJECT;

	if (t->cr) {
		t->cr = 0;
		if (c == '\n') {
			endline(s, t, 1);
			return RD_OK;
		}
		if (reject) {
			reply(s, 521, "5.5.2", "%s Error: bare <CR> received",
			    s->conf->myhostname);
			return RD_CLOSE;
		}
		endline(s, t, 0);
	}
	if (c == '\r') {
		t->cr = 1;
		return RD_OK;
	}
	if (c == '\n') {
		if (reject) {
			reply(s, 521, "5.5.2", "%s Error: bare <LF> received",
			    s->conf->myhostname);
			return RD_CLOSE;
		}
		endline(s, t, 0);
		return RD_OK;
	}
	if (t->len < SMTPD_TEXT_MAX - 2)
		t->line[t->len++] = (char)c;
	else {
		/* not kept, but counted: a long line is as big as it is */
		t->overlong = 1;
		t->size++;
	}
	return RD_OK;
}

/* readtext - DATA text up to CR LF . CR LF; RD_OK at its end */
static int
readtext(struct session *s, struct text *t)
{
	int	c, rc;

	for (;;) {
		if ((c = getbyte(s)) < 0)
			return c;
		if ((rc = feed(s, t, c)) != RD_OK)
			return rc;
		if (t->eod)
			return RD_OK;
	}
}

/* readchunk - n octets of BDAT text; RD_OK when all came */
static int
readchunk(struct session *s, struct text *t, long long n)
{
	int	c;

	for (; n > 0; n--) {
		if ((c = getbyte(s)) < 0)
			return c;
		if (t != NULL)
			feed(s, t, c);
	}
	return RD_OK;
}

static void
logmsg(struct session *s, const struct text *t, const char *status)
{
	log_info("%s: client=%s, helo=<%s>, %s%s%sfrom=<%s>, size=%lld, "
	    "nrcpt=%zu, proto=%s, status=%s", s->qid, s->clientname,
	    s->heloname, s->auth ? "sasl_username=" : "",
	    s->auth ? s->authuser : "", s->auth ? ", " : "",
	    buf_str(&s->sender), t->size,
	    s->nrcpt, s->helo == 2 ? (s->tls ? "ESMTPS" : "ESMTP") : "SMTP",
	    status);
}

/* abandon - drop the message being received */
static void
abandon(struct session *s, struct text *t)
{
	struct mail_err	e;

	if (s->ops->msg_close != NULL)
		s->ops->msg_close(s->ops->ctx, &t->env, 0, &e);
}

/*
 * begin - a new message: its envelope, the caller's msg_open, our
 * Received: header.  NULL after a reply when it cannot start.
 */
static struct text *
begin(struct session *s, int bdat)
{
	struct text	*t;
	struct mail_err	 e;
	int		 rc;

	if ((t = calloc(1, sizeof *t)) == NULL) {
		reply(s, 451, "4.3.0", "Error: out of memory");
		return NULL;
	}
	t->bdat = bdat;
	t->header = 1;
	buf_init(&t->from, FROM_MAX);
	t->env.qid = s->qid;
	t->env.sender = buf_str(&s->sender);
	t->env.rcpt = s->rcpt;
	t->env.nrcpt = s->nrcpt;
	t->env.smtputf8 = s->smtputf8;
	t->env.body8bit = s->body8bit;
	t->env.helo = s->heloname;
	t->env.client_addr = s->client;
	t->env.ret = s->ret;
	t->env.envid = s->envid;
	t->env.notify = s->notify;
	t->env.orcpt = s->orcpt;
	mail_err_clear(&e);
	if (s->ops->msg_open != NULL &&
	    (rc = s->ops->msg_open(s->ops->ctx, &t->env, &e)) != EX_OK) {
		reply_err(s, exitcode_is_temp(rc) ? 451 : 554, &e);
		logmsg(s, t, "deferred");
		textfree(t);
		return NULL;
	}
	if (received(s, t) == -1)
		t->werr = ENOMEM;
	return t;
}

/* finish - the whole message is in: refuse it, or commit it and reply */
static void
finish(struct session *s, struct text *t)
{
	struct mail_err	 e;
	char		 w[1024];	/* a From: address and the login */
	const char	*why;
	int		 rc, code;

	if (t->cr || t->len > 0)	/* BDAT text need not end in CR LF */
		endline(s, t, 0);
	if (t->too_long || t->nul || t->too_big || t->werr ||
	    t->hops > s->conf->hopcount_limit) {
		abandon(s, t);
		if (t->too_big)
			reply(s, 552, "5.3.4", "Error: message file too big");
		else if (t->too_long)
			reply(s, 554, "5.6.0", "Error: message text line "
			    "longer than %d octets", SMTPD_TEXT_MAX);
		else if (t->nul)
			reply(s, 554, "5.6.0", "Error: NUL byte in message");
		else if (t->hops > s->conf->hopcount_limit)
			reply(s, 554, "5.4.6", "Error: too many hops "
			    "(%lld Received: headers)", t->hops);
		else
			reply(s, 451, "4.3.0", "Error: queue file write "
			    "error: %s", strerror(t->werr));
		logmsg(s, t, "rejected");
		return;
	}
	if (fromcheck(s) && (why = from_owned(s, t, w, sizeof w, &code)) !=
	    NULL) {
		abandon(s, t);
		reply(s, code, code == 451 ? "4.3.0" : "5.7.1", "%s", why);
		logmsg(s, t, "rejected");
		return;
	}
	rc = EX_OK;
	mail_err_clear(&e);
	if (s->ops->msg_close != NULL)
		rc = s->ops->msg_close(s->ops->ctx, &t->env, 1, &e);
	if (rc == EX_OK) {
		/* The queue names the message by its own id from now on. */
		if (e.text[0] != '\0' && strlen(e.text) < sizeof s->qid &&
		    strcspn(e.text, " \t\r\n") == strlen(e.text))
			memcpy(s->qid, e.text, strlen(e.text) + 1);
		reply(s, 250, "2.0.0", "Ok: queued as %s", s->qid);
		logmsg(s, t, "queued");
		return;
	}
	code = exitcode_is_temp(rc) ? 451 : 554;
	if (e.enh[0] != (code == 451 ? '4' : '5'))
		snprintf(e.enh, sizeof e.enh, "%s", code == 451 ? "4.3.0" :
		    "5.3.0");
	if (e.text[0] == '\0')
		snprintf(e.text, sizeof e.text, "%s", exitcode_text(rc));
	reply_err(s, code, &e);
	logmsg(s, t, code == 451 ? "deferred" : "bounced");
}

/* lost - the input ended inside a message */
static void
lost(struct session *s, struct text *t, int rc)
{
	abandon(s, t);
	logmsg(s, t, "aborted");
	s->done = 1;
	s->result = rc == RD_CLOSE ? EX_PROTOCOL : rc == RD_TIMEOUT ?
	    EX_TEMPFAIL : rc == RD_EOF ? EX_OK : EX_IOERR;
	if (rc == RD_TIMEOUT)
		reply(s, 421, "4.4.2", "%s Error: timeout exceeded",
		    s->conf->myhostname);
}

/* ready - may a message start?  A reply when not. */
static int
ready(struct session *s)
{
	if (!s->mail) {
		reply(s, 503, "5.5.1", "Error: need MAIL command");
		return 0;
	}
	if (s->nrcpt == 0) {
		if (s->rcpt_tries > 0)
			reply(s, 554, "5.5.1", "Error: no valid recipients");
		else
			reply(s, 503, "5.5.1", "Error: need RCPT command");
		return 0;
	}
	return 1;
}

static void
cmd_data(struct session *s, char *arg, int crlf)
{
	struct text	*t;
	int		 rc;

	if (arg != NULL) {
		reply(s, 501, "5.5.4", "Syntax: DATA");
		return;
	}
	if (s->chunk != NULL) {
		reply(s, 503, "5.5.1", "Error: DATA after BDAT");
		return;
	}
	if (!ready(s))
		return;		/* the transaction stays as it was */
	if ((t = begin(s, 0)) == NULL)
		goto out;
	t->prev_crlf = crlf;
	reply(s, 354, NULL, "End data with <CR><LF>.<CR><LF>");
	if ((rc = readtext(s, t)) != RD_OK)
		lost(s, t, rc);
	else
		finish(s, t);
	textfree(t);
out:
	reset(s);
}

/*
 * cmd_bdat - RFC 3030 CHUNKING.  The chunk is read even when the command
 * is refused, so client and server stay in step; only a size we cannot
 * parse leaves us out of step, and ends the session.
 */
static void
cmd_bdat(struct session *s, char *arg)
{
	char		*p, *last = NULL;
	long long	 n;
	int		 rc, ok;

	if (arg != NULL && (p = strchr(arg, ' ')) != NULL) {
		*p++ = '\0';
		last = p;
	}
	if (arg == NULL || str_tonum(arg, 0, 0x7fffffffffffffffLL, &n) == -1 ||
	    (last != NULL && strcasecmp(last, "LAST") != 0)) {
		reply(s, 501, "5.5.4", "Syntax: BDAT size [LAST]; closing");
		s->done = 1;
		s->result = EX_PROTOCOL;
		return;
	}
	ok = s->chunk != NULL || ready(s);
	if (ok && s->chunk == NULL && (s->chunk = begin(s, 1)) == NULL) {
		reset(s);
		ok = 0;
	}
	if ((rc = readchunk(s, ok ? s->chunk : NULL, n)) != RD_OK) {
		if (s->chunk != NULL)
			lost(s, s->chunk, rc);
		else {
			s->done = 1;
			s->result = rc == RD_TIMEOUT ? EX_TEMPFAIL : EX_IOERR;
		}
		goto end;
	}
	if (!ok)
		return;
	if (last == NULL) {
		reply(s, 250, "2.0.0", "Ok: %lld octets received", n);
		return;
	}
	finish(s, s->chunk);
end:
	if (s->chunk != NULL) {
		textfree(s->chunk);
		s->chunk = NULL;
	}
	reset(s);
}

/* -------------------------------------------------------------------- */
/* STARTTLS */

static void
cmd_starttls(struct session *s, char *arg)
{
	if (s->ops->starttls == NULL) {
		reply(s, 502, "5.5.1", "Error: command not implemented");
		return;
	}
	if (s->tls) {
		reply(s, 554, "5.5.1", "Error: TLS already active");
		return;
	}
	if (arg != NULL) {
		reply(s, 501, "5.5.4", "Syntax: STARTTLS");
		return;
	}
	reply(s, 220, "2.0.0", "Ready to start TLS");
	if (flush(s) == -1)
		return;
	/*
	 * CVE-2011-0411: what the client sent behind STARTTLS was sent in
	 * the clear and must not be read as if it came through TLS.
	 */
	if (s->ipos < s->ilen) {
		log_info("discarding %zu bytes of pipelined plaintext after "
		    "STARTTLS from %s", s->ilen - s->ipos, s->clientname);
		s->ipos = s->ilen = 0;
	}
	if (s->ops->starttls(s->ops->tls_ctx, s->io, s->tlsinfo,
	    sizeof s->tlsinfo) == -1) {
		s->done = 1;
		s->result = EX_PROTOCOL;
		return;
	}
	/* RFC 3207 4.2: forget everything learnt before */
	log_info("%s: TLS %s", s->clientname, s->tlsinfo);
	s->tls = 1;
	s->helo = 0;
	s->heloname[0] = '\0';
	s->auth = 0;
	reset(s);
}

/* -------------------------------------------------------------------- */
/* AUTH (RFC 4954), PLAIN (RFC 4616) and LOGIN */

#define AUTH_MAX	SMTPD_CMD_MAX	/* decoded secrets are shorter */

static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* b64decode - strict base64 (RFC 4648 4, padding required); length or -1 */
static int
b64decode(const char *in, unsigned char *out, size_t size)
{
	size_t	n = strlen(in), i, o = 0;
	int	v[4], k, pad;

	if (n % 4 != 0)
		return -1;
	for (i = 0; i < n; i += 4) {
		for (k = pad = 0; k < 4; k++) {
			if (in[i + k] == '=' && i + 4 == n && k >= 2) {
				v[k] = 0;
				pad++;
				continue;
			}
			if (pad || (v[k] = b64val((unsigned char)in[i + k])) < 0)
				return -1;
		}
		if (o + 3 - (size_t)pad > size)
			return -1;
		out[o++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		if (pad < 2)
			out[o++] = (unsigned char)((v[1] & 15) << 4 | v[2] >> 2);
		if (pad < 1)
			out[o++] = (unsigned char)((v[2] & 3) << 6 | v[3]);
	}
	return (int)o;
}

/*
 * challenge - "334 text", then the client's answer decoded into out
 * (NUL-terminated); its length, or -1 after a reply (or the end)
 */
static int
challenge(struct session *s, const char *text, unsigned char *out,
    size_t size)
{
	char	line[64];
	int	rc, n;

	n = snprintf(line, sizeof line, "334 %s", text);
	addline(s, line, n > 0 && (size_t)n < sizeof line ? (size_t)n : 4);
	if ((rc = readcmd(s, 0)) != RD_OK) {
		s->done = 1;
		s->result = rc == RD_TIMEOUT ? EX_TEMPFAIL : rc == RD_EOF ?
		    EX_OK : EX_IOERR;
		return -1;
	}
	trace(s, 'C', "****", 4);
	if (s->lineend == L_TOO_LONG) {
		reply(s, 500, "5.5.0", "Error: line too long");
		return -1;
	}
	if (strcmp(s->line, "*") == 0) {
		reply(s, 501, "5.7.0", "Authentication aborted");
		return -1;
	}
	if ((n = b64decode(s->line, out, size - 1)) < 0) {
		reply(s, 501, "5.5.2", "Error: cannot decode response");
		return -1;
	}
	out[n] = '\0';
	return n;
}

/* decode - an initial response given with the AUTH command */
static int
decode(struct session *s, const char *in, unsigned char *out, size_t size)
{
	int	n;

	if (strcmp(in, "=") == 0)	/* RFC 4954: an empty response */
		n = 0;
	else if ((n = b64decode(in, out, size - 1)) < 0) {
		reply(s, 501, "5.5.2", "Error: cannot decode response");
		return -1;
	}
	out[n] = '\0';
	return n;
}

static void
verify(struct session *s, const char *mech, const char *zid,
    const char *user, const char *pass)
{
	struct mail_err	e;
	int		rc;

	mail_err_clear(&e);
	if (*user == '\0' || str_has_ctl(user, strlen(user)) ||
	    strlen(user) >= sizeof s->authuser ||
	    (*zid != '\0' && strcmp(zid, user) != 0))
		rc = EX_NOPERM;
	else
		rc = s->ops->auth(s->ops->auth_ctx, user, pass, &e);
	if (rc == EX_OK) {
		snprintf(s->authuser, sizeof s->authuser, "%s", user);
		s->auth = 1;
		reply(s, 235, "2.7.0", "Authentication successful");
		log_info("%s: sasl_method=%s, sasl_username=%s",
		    s->clientname, mech, s->authuser);
		return;
	}
	if (exitcode_is_temp(rc)) {
		reply(s, 454, "4.7.0", "Temporary authentication failure");
		return;
	}
	/* log_info makes the user name printable (C-09) */
	log_info("%s: %s authentication failed for \"%.64s\"",
	    s->clientname, mech, user);
	if (s->conf->auth_failure_delay_ms > 0)
		(void)poll(NULL, 0, s->conf->auth_failure_delay_ms > 60000 ?
		    60000 : (int)s->conf->auth_failure_delay_ms);
	reply(s, 535, "5.7.8", "Error: authentication failed");
	if (++s->authfail >= s->conf->auth_failure_limit) {
		reply(s, 421, "4.7.0", "%s Error: too many failed "
		    "authentications", s->conf->myhostname);
		s->done = 1;
		s->result = EX_PROTOCOL;
	}
}

static void
cmd_auth(struct session *s, char *arg)
{
	unsigned char	 a[AUTH_MAX], b[AUTH_MAX];
	char		*init = NULL, *p;
	int		 n;

	if (s->ops->auth == NULL) {
		reply(s, 502, "5.5.1", "Error: command not implemented");
		return;
	}
	if (s->helo != 2) {
		reply(s, 503, "5.5.1", "Error: send EHLO first");
		return;
	}
	if (s->auth) {
		reply(s, 503, "5.5.1", "Error: already authenticated");
		return;
	}
	if (s->mail) {
		reply(s, 503, "5.5.1", "Error: MAIL transaction in progress");
		return;
	}
	if (s->conf->tls_auth_only && !s->tls) {
		reply(s, 538, "5.7.11", "Encryption required for requested "
		    "authentication mechanism");
		return;
	}
	if (arg == NULL) {
		reply(s, 501, "5.5.4", "Syntax: AUTH mechanism");
		return;
	}
	if ((p = strchr(arg, ' ')) != NULL) {
		*p++ = '\0';
		init = p;
	}
	if (strcasecmp(arg, "PLAIN") == 0) {
		n = init != NULL ? decode(s, init, a, sizeof a) :
		    challenge(s, "", a, sizeof a);
		if (n < 0)
			goto out;
		/* authzid NUL authcid NUL passwd: exactly two NULs */
		{
			char	*zid = (char *)a, *user, *pass;
			size_t	 zl = strlen(zid), ul;

			if ((size_t)n <= zl + 1 ||
			    (ul = strlen(user = zid + zl + 1),
			    (size_t)n <= zl + ul + 2) ||
			    strlen(pass = user + ul + 1) != (size_t)n - zl -
			    ul - 2) {
				reply(s, 535, "5.7.8", "Error: authentication "
				    "failed: malformed PLAIN response");
				goto out;
			}
			verify(s, "PLAIN", zid, user, pass);
		}
	} else if (strcasecmp(arg, "LOGIN") == 0) {
		n = init != NULL ? decode(s, init, a, sizeof a) :
		    challenge(s, "VXNlcm5hbWU6", a, sizeof a);	/* Username: */
		if (n < 0 || challenge(s, "UGFzc3dvcmQ6", b,	/* Password: */
		    sizeof b) < 0)
			goto out;
		if (memchr(a, '\0', (size_t)n) != NULL)
			verify(s, "LOGIN", "", "", "");
		else
			verify(s, "LOGIN", "", (char *)a, (char *)b);
	} else
		reply(s, 504, "5.5.4", "Unsupported authentication mechanism");
out:
	explicit_bzero(a, sizeof a);
	explicit_bzero(b, sizeof b);
	explicit_bzero(s->line, sizeof s->line);
}

/* smtpd_auth_table - user -> crypt(3) hash, from a postmap table */
int
smtpd_auth_table(void *ctx, const char *user, const char *pass,
    struct mail_err *e)
{
	struct smtpd_authtab	*t = ctx;
	struct crypt_data	*cd;
	struct buf		 val = BUF_INIT(1024);
	const char		*h;
	size_t			 i, n;
	int			 rc, diff;

	if (t->map == NULL && (rc = map_open(&t->map, t->name, 0, e)) !=
	    EX_OK)
		return EX_TEMPFAIL;
	if ((rc = map_get(t->map, user, strlen(user), &val, e)) != 1) {
		buf_free(&val);
		return rc == 0 ? EX_NOPERM : EX_TEMPFAIL;
	}
	if ((cd = calloc(1, sizeof *cd)) == NULL) {
		buf_free(&val);
		return mail_err_errno(e, errno, "crypt");
	}
	h = crypt_r(pass, buf_str(&val), cd);
	rc = EX_NOPERM;
	if (h != NULL && h[0] != '*' && (n = strlen(h)) == val.len) {
		for (i = 0, diff = 0; i < n; i++)	/* in constant time */
			diff |= h[i] ^ val.s[i];
		if (diff == 0)
			rc = EX_OK;
	}
	explicit_bzero(cd, sizeof *cd);
	free(cd);
	buf_free(&val);
	return rc;
}

/* smtpd_authtab_close - close the table */
void
smtpd_authtab_close(struct smtpd_authtab *t)
{
	if (t->map != NULL)
		map_close(t->map);
	t->map = NULL;
}

/* -------------------------------------------------------------------- */
/* the command loop */

enum verb {
	V_HELO, V_EHLO, V_MAIL, V_RCPT, V_DATA, V_RSET, V_NOOP, V_QUIT,
	V_VRFY, V_EXPN, V_HELP, V_STARTTLS, V_AUTH, V_BDAT, V_UNKNOWN
};

static const struct {
	const char	*name;
	enum verb	 verb;
	int		 flags;
} verbs[] = {
	{ "HELO", V_HELO, C_LAST },
	{ "EHLO", V_EHLO, C_LAST },
	{ "MAIL", V_MAIL, C_HELO_FIRST },
	{ "RCPT", V_RCPT, C_HELO_FIRST },
	{ "DATA", V_DATA, C_LAST | C_HELO_FIRST },
	{ "RSET", V_RSET, 0 },
	{ "NOOP", V_NOOP, C_LAST },
	{ "QUIT", V_QUIT, 0 },
	{ "VRFY", V_VRFY, C_LAST },
	{ "EXPN", V_EXPN, C_LAST },
	{ "HELP", V_HELP, C_LAST },
	{ "STARTTLS", V_STARTTLS, C_LAST },
	{ "AUTH", V_AUTH, C_LAST },
	{ "BDAT", V_BDAT, C_HELO_FIRST },
};

static void
command(struct session *s)
{
	size_t	 i, vl;
	char	*arg;
	int	 flags = 0;
	enum verb v = V_UNKNOWN;

	if (s->linelen > 5 && strncasecmp(s->line, "AUTH ", 5) == 0 &&
	    (arg = strchr(s->line + 5, ' ')) != NULL) {
		/* no secrets in transcripts: "AUTH PLAIN ****" */
		char	red[64];
		int	n = snprintf(red, sizeof red, "%.*s ****",
		    (int)(arg - s->line > 40 ? 40 : arg - s->line), s->line);

		trace(s, 'C', red, n > 0 ? (size_t)n : 0);
	} else
		trace(s, 'C', s->line, s->linelen);
	s->ncmd++;
	if (s->lineend == L_TOO_LONG) {
		reply(s, 500, "5.5.0", "Error: line too long");
		return;
	}
	if (memchr(s->line, '\r', s->linelen) != NULL) {
		reply(s, 500, "5.5.2", "Error: bare <CR> received");
		return;
	}
	if (s->lineend == L_BARE_LF &&
	    s->conf->bare_newline == SMTPD_NL_REJECT) {
		reply(s, 500, "5.5.2", "Error: bare <LF> received");
		return;
	}
	if (s->linelen == 0) {
		reply(s, 500, "5.5.2", "Error: bad syntax");
		return;
	}
	if (str_has_ctl(s->line, s->linelen)) {
		reply(s, 501, "5.5.2", "Error: control character in command");
		return;
	}
	for (vl = 0; vl < s->linelen && s->line[vl] != ' '; vl++)
		;
	for (i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
		if (strlen(verbs[i].name) == vl &&
		    strncasecmp(s->line, verbs[i].name, vl) == 0) {
			v = verbs[i].verb;
			flags = verbs[i].flags;
		}
	if (v == V_UNKNOWN) {
		reply(s, 502, "5.5.2", "Error: command not recognized");
		return;
	}
	/*
	 * RFC 2920 3.1: only PIPELINING clients may send more than one
	 * command before the reply, and then not past one that ends a group.
	 */
	if (s->conf->forbid_pipelining && !s->auth && pending(s) &&
	    (s->helo != 2 || (flags & C_LAST))) {
		reply(s, 554, "5.5.0", "Error: SMTP protocol synchronization");
		log_info("improper command pipelining after %.*s from %s",
		    (int)vl, s->line, s->clientname);
		s->done = 1;
		s->result = EX_PROTOCOL;
		return;
	}
	if ((flags & C_HELO_FIRST) && s->helo == 0) {
		reply(s, 503, "5.5.1", "Error: send HELO/EHLO first");
		return;
	}
	arg = argument(s->line, vl);
	switch (v) {
	case V_HELO:
	case V_EHLO:
		cmd_helo(s, arg, v == V_EHLO);
		break;
	case V_MAIL:
		cmd_mail(s, arg);
		break;
	case V_RCPT:
		cmd_rcpt(s, arg);
		break;
	case V_DATA:
		cmd_data(s, arg, s->lineend == L_CRLF);
		break;
	case V_RSET:
		if (arg != NULL) {
			reply(s, 501, "5.5.4", "Syntax: RSET");
			break;
		}
		reset(s);
		reply(s, 250, "2.0.0", "Ok");
		break;
	case V_NOOP:
		reply(s, 250, "2.0.0", "Ok");
		break;
	case V_QUIT:
		reply(s, 221, "2.0.0", "Bye");
		s->done = 1;
		s->result = EX_OK;
		break;
	case V_VRFY:
		/* RFC 5321 3.5.3: 252, and never a list of aliases */
		if (arg == NULL)
			reply(s, 501, "5.5.4", "Syntax: VRFY address");
		else
			reply(s, 252, "2.0.0", "Cannot VRFY user, but will "
			    "accept message and attempt delivery");
		break;
	case V_EXPN:
		reply(s, 502, "5.5.1", "Error: command not implemented");
		break;
	case V_HELP:
		reply(s, 214, "2.0.0", "Commands: HELO EHLO MAIL RCPT DATA "
		    "RSET NOOP QUIT VRFY HELP%s", s->ops->starttls != NULL ?
		    " STARTTLS" : "");
		break;
	case V_STARTTLS:
		cmd_starttls(s, arg);
		break;
	case V_AUTH:
		cmd_auth(s, arg);
		break;
	case V_BDAT:
		cmd_bdat(s, arg);
		break;
	case V_UNKNOWN:
		break;
	}
}

/* smtpd_session - one whole SMTP session */
int
smtpd_session(const struct smtpd_conf *conf, const struct smtpd_peer *peer,
    const struct smtpd_io *io, const struct smtpd_ops *ops)
{
	struct session	*s;
	int		 rc, discard = 0, result;

	if ((s = calloc(1, sizeof *s)) == NULL)
		return EX_OSERR;
	s->conf = conf;
	s->peer = peer;
	s->iobuf = *io;
	s->io = &s->iobuf;
	s->ops = ops;
	buf_init(&s->out, OBUF_MAX);
	buf_init(&s->sender, ADDR_PATH_MAX + 8);
	s->result = EX_OK;
	if (conf->session_timeout > 0)
		s->deadline = time(NULL) + (time_t)conf->session_timeout;
	if (netaddr_format(&peer->addr, s->client, sizeof s->client) == -1)
		snprintf(s->client, sizeof s->client, "unknown");
	snprintf(s->clientname, sizeof s->clientname, "unknown[%s]",
	    s->client);
	s->trusted = netmask_list_match(conf->mynetworks, conf->nmynetworks,
	    &peer->addr);
	log_info("connect from %s", s->clientname);

	/* Early talkers: a client that speaks before the greeting. */
	if (io->poll != NULL && io->poll(io->ctx,
	    conf->greet_pause_ms > 0x7fffffff ? 0x7fffffff :
	    (int)conf->greet_pause_ms) > 0) {
		reply(s, 554, "5.5.0", "%s Error: SMTP protocol "
		    "synchronization: talked before the greeting",
		    conf->myhostname);
		log_info("pregreet from %s", s->clientname);
		s->done = 1;
		s->result = EX_PROTOCOL;
	} else
		reply(s, 220, NULL, "%s", conf->banner);

	while (!s->done) {
		if (s->errors >= conf->hard_error_limit) {
			reply(s, 421, "4.7.0", "%s Error: too many errors",
			    conf->myhostname);
			s->result = EX_PROTOCOL;
			break;
		}
		rc = readcmd(s, discard);
		discard = 0;
		if (rc == RD_EOF) {
			log_info("lost connection from %s", s->clientname);
			break;
		}
		if (rc == RD_TIMEOUT) {
			reply(s, 421, "4.4.2", "%s Error: timeout exceeded",
			    conf->myhostname);
			s->result = EX_TEMPFAIL;
			break;
		}
		if (rc == RD_CLOSE)
			continue;	/* the error limit ends it above */
		if (rc != RD_OK) {
			s->result = EX_IOERR;
			break;
		}
		command(s);
		/* after command(): AUTH may have read lines of its own */
		discard = s->lineend == L_TOO_LONG;
	}
	flush(s);
	log_info("disconnect from %s commands=%u errors=%d", s->clientname,
	    s->ncmd, s->errors);
	reset(s);
	free(s->rcpt);
	free(s->notify);
	free(s->orcpt);
	buf_free(&s->sender);
	buf_free(&s->out);
	if (s->loginmap != NULL)
		map_close(s->loginmap);
	result = s->result;
	free(s);
	return result;
}

/* -------------------------------------------------------------------- */
/* file descriptors */

static int
fd_wait(int fd, short events, int ms)
{
	struct pollfd	pfd;
	int		n;

	pfd.fd = fd;
	pfd.events = events;
	do
		n = poll(&pfd, 1, ms);
	while (n == -1 && errno == EINTR);
	return n;
}

static ssize_t
fd_read(void *ctx, void *p, size_t n, int ms)
{
	struct smtpd_fdio	*f = ctx;
	ssize_t			 r;
	int			 w;

	if ((w = fd_wait(f->rfd, POLLIN, ms)) == -1)
		return -1;
	if (w == 0) {
		errno = ETIMEDOUT;
		return -1;
	}
	do
		r = read(f->rfd, p, n);
	while (r == -1 && errno == EINTR);
	return r;
}

static int
fd_write(void *ctx, const void *p, size_t n)
{
	struct smtpd_fdio	*f = ctx;
	const char		*c = p;
	ssize_t			 r;
	int			 w;

	while (n > 0) {
		if ((w = fd_wait(f->wfd, POLLOUT, f->timeout_ms)) <= 0) {
			if (w == 0)
				errno = ETIMEDOUT;
			return -1;
		}
		r = write(f->wfd, c, n);
		if (r == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0)
			return -1;
		c += r;
		n -= (size_t)r;
	}
	return 0;
}

static int
fd_poll(void *ctx, int ms)
{
	struct smtpd_fdio	*f = ctx;

	return fd_wait(f->rfd, POLLIN, ms);
}

/* smtpd_fd_io - an smtpd_io reading rfd and writing wfd */
void
smtpd_fd_io(struct smtpd_fdio *f, int rfd, int wfd, int timeout_ms,
    struct smtpd_io *io)
{
	f->rfd = rfd;
	f->wfd = wfd;
	f->timeout_ms = timeout_ms;
	io->ctx = f;
	io->read = fd_read;
	io->write = fd_write;
	io->poll = fd_poll;
}
