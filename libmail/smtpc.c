/* SPDX-License-Identifier: ISC */
/*
 * smtpc - the SMTP client on libcurl: one message, its recipients grouped
 * by domain, each group handed to the hosts of its next hop in order (a
 * relay host, or the domain's MX list from dns.c), with a result for every
 * recipient.
 *
 * libcurl speaks the protocol; what an MTA needs and libcurl does not give
 * is built around it (DEPENDENCIES.md section 1):
 *  - per-recipient replies: libcurl keeps only the last reply code, so the
 *    debug callback pairs each "RCPT TO" it sends with the reply that
 *    follows (libcurl never pipelines: replies come strictly in order);
 *  - the EHLO capabilities, parsed from the same stream, so that an
 *    address that needs SMTPUTF8 is not sent to a server without it (the
 *    pre-request callback stops the transaction after EHLO), and a message
 *    larger than the server's SIZE is not sent at all;
 *  - line ends: the message is made CRLF here (smtpc_read), so libcurl's
 *    dot-stuffing, which works after CRLF only, is right, and no bare LF
 *    leaves us; CURLOPT_CRLF is never set (it doubles the CR of CRLF);
 *  - addresses are checked by addr.c and domains are sent in A-labels:
 *    libcurl's own IDN conversion depends on the locale.
 * Replies from the server are untrusted: a line that is no reply ("2500",
 * "abc"), a multi-line reply whose codes differ or that runs past 1000
 * lines never counts as a success and closes the connection (BATTERY.md
 * J-09, J-10), reply text is cut and its control bytes replaced before it
 * is shown, and credentials never reach the transcript.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "addr.h"
#include "buf.h"
#include "dns.h"
#include "map.h"
#include "smtpc.h"
#include "str.h"

#if LIBCURL_VERSION_NUM < 0x080200
/* 7.69-8.1 spell it with three L's (a typo fixed in 8.2.0). */
#define CURLOPT_MAIL_RCPT_ALLOWFAILS CURLOPT_MAIL_RCPT_ALLLOWFAILS
#endif

#define ATTEMPTS_MAX	10	/* connections per group of recipients */
#define LINE_MAX_SHOWN	998	/* a transcript line is cut here */
#define SMTP_LINE_MAX	998	/* octets in a line, without CRLF */
#define REPLY_LINES_MAX	1000	/* lines in one reply (BATTERY J-09) */

/* what one connection came to */
#define A_DONE		0	/* a transaction happened */
#define A_NEXT		1	/* try the next address or host */
#define A_AGAIN		2	/* the same host again, fewer recipients */
#define A_PLAIN		3	/* the same host again, without TLS */

/* one reply as seen in the debug stream */
struct reply {
	int	code;		/* 0: none (yet), -1: malformed */
	char	text[512];
};

/* one connection: what we send, and what the debug callback saw */
struct sess {
	const struct smtpc_opts	*o;
	struct smtpc_rcpt	**rc;
	size_t			 nrc;
	const struct buf	*msg;
	size_t			 off;
	int			 need_utf8;	/* an address needs SMTPUTF8 */

	char			 verb[16];	/* of the last command sent */
	int			 in_auth, in_body;
	size_t			 nrcpt;		/* RCPT commands sent */
	struct reply		 greet, mail, data, final, last;
	struct reply		*rcpt;		/* nrc of them */
	int			 mail_sent, got421, malformed;
	int			 mcode;		/* of a multi-line reply's lines */
	int			 nlines;	/* lines of the reply so far */
	char			 proto_err[128]; /* why the peer was cut off */
	curl_socket_t		 fd;		/* or CURL_SOCKET_BAD */
	int			 cap_starttls, cap_utf8, cap_size;
	long long		 size_max;
	int			 abort_utf8, abort_size;
	struct buf		 line;		/* body line being shown */
};

static void __attribute__((format(printf, 2, 3)))
show(const struct sess *s, const char *fmt, ...)
{
	char	l[LINE_MAX_SHOWN + 16];
	va_list	ap;
	size_t	i;

	if (s->o->transcript == NULL)
		return;
	va_start(ap, fmt);
	if (vsnprintf(l, sizeof l, fmt, ap) < 0)
		l[0] = '\0';
	va_end(ap);
	for (i = 0; l[i] != '\0'; i++)
		if ((unsigned char)l[i] < 0x20 || l[i] == 0x7f)
			l[i] = '?';
	s->o->transcript(l, s->o->arg);
}

/* copy n bytes of wire text to a one-line, printable, bounded string */
static void
clean(char *dst, size_t size, const char *src, size_t n)
{
	size_t	i, j = 0;

	for (i = 0; i < n && j + 1 < size; i++) {
		if (src[i] == '\r' || src[i] == '\n')
			break;
		dst[j++] = (unsigned char)src[i] < 0x20 || src[i] == 0x7f ?
		    '?' : src[i];
	}
	dst[j] = '\0';
}

/* smtpc_status - the word for a recipient's outcome */
const char *
smtpc_status(int st)
{
	switch (st) {
	case SMTPC_SENT:
		return "sent";
	case SMTPC_DEFERRED:
		return "deferred";
	case SMTPC_BOUNCED:
		return "bounced";
	default:
		return "pending";
	}
}

/* smtpc_port - a port number or a known service name (smtp_tcp_port) */
int
smtpc_port(const char *s)
{
	static const struct {
		const char	*name;
		int		 port;
	} known[] = {
		{ "smtp", 25 }, { "submission", 587 }, { "smtps", 465 },
		{ "submissions", 465 },
	};
	long long	v;
	size_t		i;

	if (s == NULL || *s == '\0')
		return 25;
	for (i = 0; i < sizeof known / sizeof known[0]; i++)
		if (strcmp(s, known[i].name) == 0)
			return known[i].port;
	return str_tonum(s, 1, 65535, &v) == 0 ? (int)v : -1;
}

/* smtpc_tls_level - Postfix's smtp_tls_security_level as a number */
int
smtpc_tls_level(const char *s)
{
	if (s == NULL || *s == '\0' || strcmp(s, "none") == 0)
		return SMTPC_TLS_NONE;
	if (strcmp(s, "may") == 0)
		return SMTPC_TLS_MAY;
	if (strcmp(s, "encrypt") == 0)
		return SMTPC_TLS_ENCRYPT;
	if (strcmp(s, "verify") == 0 || strcmp(s, "secure") == 0)
		return SMTPC_TLS_VERIFY;
	return -1;
}

/* smtpc_crlf - append text with every line end made CRLF */
int
smtpc_crlf(struct buf *b, const char *p, size_t n, int *cr)
{
	size_t	i, start = 0;

	for (i = 0; i < n; i++) {
		if (p[i] != '\r' && p[i] != '\n') {
			if (*cr) {
				/* A bare CR is a line end too. */
				if (buf_add(b, "\n", 1) == -1)
					return -1;
				*cr = 0;
			}
			continue;
		}
		if (buf_add(b, p + start, i - start) == -1)
			return -1;
		start = i + 1;
		if (p[i] == '\r') {
			if (*cr && buf_add(b, "\n", 1) == -1)
				return -1;
			if (buf_add(b, "\r", 1) == -1)
				return -1;
			*cr = 1;
		} else {
			if (!*cr && buf_add(b, "\r", 1) == -1)
				return -1;
			if (buf_add(b, "\n", 1) == -1)
				return -1;
			*cr = 0;
		}
	}
	return buf_add(b, p + start, n - start);
}

/*
 * fold - break lines longer than SMTP allows (RFC 5321 4.5.3.1.6: 998
 * octets and CRLF) by inserting CRLF and a space, as Postfix's
 * smtp_line_length_limit does: a server may refuse a longer line, and the
 * space keeps a folded piece from being a lone "." or a new header.
 */
static int
fold(struct buf *b)
{
	struct buf	 o;
	size_t		 i, col = 0, need = 0;

	for (i = 0; i < b->len; i++) {
		col = b->s[i] == '\n' ? 0 : col + 1;
		if (col > SMTP_LINE_MAX) {
			need++;
			col = 1;
		}
	}
	if (need == 0)
		return 0;
	buf_init(&o, b->max + need * 3);
	for (i = 0, col = 0; i < b->len; i++) {
		/* The CR of the CRLF does not count. */
		if (b->s[i] != '\r' && b->s[i] != '\n' &&
		    col >= SMTP_LINE_MAX) {
			if (buf_add(&o, "\r\n ", 3) == -1)
				goto fail;
			col = 1;
		}
		if (buf_addc(&o, b->s[i]) == -1)
			goto fail;
		col = b->s[i] == '\n' ? 0 : b->s[i] == '\r' ? col : col + 1;
	}
	buf_free(b);
	*b = o;
	return 0;
fail:
	buf_free(&o);
	return -1;
}

/* smtpc_read - the message on fd, CRLF line ends, at most max bytes */
int
smtpc_read(int fd, struct buf *b, size_t max, struct mail_err *e)
{
	char	chunk[16384];
	ssize_t	n;
	int	cr = 0;

	buf_init(b, max + max / 8 + 4);
	for (;;) {
		n = read(fd, chunk, sizeof chunk);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return mail_err_errno(e, errno, "read message");
		if (n == 0)
			break;
		if (smtpc_crlf(b, chunk, (size_t)n, &cr) == -1 || b->len > max)
			goto big;
	}
	if (cr && buf_add(b, "\n", 1) == -1)
		goto big;
	/* The last line ends too, so that ".\r\n" starts a line. */
	if (b->len > 0 && b->s[b->len - 1] != '\n' &&
	    buf_add(b, "\r\n", 2) == -1)
		goto big;
	if (b->len > max || fold(b) == -1)
		goto big;
	mail_err_clear(e);
	return EX_OK;
big:
	if (errno == ENOMEM)
		return mail_err_errno(e, errno, "read message");
	return mail_err_set(e, EX_DATAERR, "5.3.4", "message too big (more "
	    "than %zu bytes)", max);
}

/* the reply code of a line, -1 when it is no reply line */
static int
code_of(const char *d, size_t n, int *more)
{
	/*
	 * RFC 5321's grammar allows "250" alone, but BATTERY J-10 asks for
	 * a code and its separator: a reply cut after its code is not
	 * taken for a success.
	 */
	if (n < 4 || !isdigit((unsigned char)d[0]) || d[0] < '2' ||
	    d[0] > '5' || !isdigit((unsigned char)d[1]) ||
	    !isdigit((unsigned char)d[2]))
		return -1;
	if (d[3] != ' ' && d[3] != '-')
		return -1;
	*more = d[3] == '-';
	return (d[0] - '0') * 100 + (d[1] - '0') * 10 + (d[2] - '0');
}

static void
ehlo_cap(struct sess *s, const char *kw)
{
	long long	v;

	if (strncasecmp(kw, "STARTTLS", 8) == 0)
		s->cap_starttls = 1;
	else if (strncasecmp(kw, "SMTPUTF8", 8) == 0)
		s->cap_utf8 = 1;
	else if (strncasecmp(kw, "SIZE", 4) == 0) {
		s->cap_size = 1;
		if (kw[4] == ' ' && str_tonum(kw + 5, 1, 1LL << 50, &v) == 0)
			s->size_max = v;
	}
}

static void
flush_body_line(struct sess *s)
{
	if (s->line.len > 0)
		show(s, "C: %s", buf_str(&s->line));
	buf_reset(&s->line);
}

static void
body_out(struct sess *s, const char *d, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (d[i] == '\n') {
			if (s->line.len > 0 &&
			    s->line.s[s->line.len - 1] == '\r')
				buf_truncate(&s->line, s->line.len - 1);
			show(s, "C: %s", buf_str(&s->line));
			buf_reset(&s->line);
		} else if (buf_addc(&s->line, d[i]) == -1) {
			/* A line too long to show whole: shown in parts. */
			flush_body_line(s);
			buf_addc(&s->line, d[i]);
		}
	}
}

static void
command_out(struct sess *s, const char *d, size_t n)
{
	char	l[LINE_MAX_SHOWN + 1];
	size_t	i;

	clean(l, sizeof l, d, n);
	for (i = 0; i + 1 < sizeof s->verb && isalpha((unsigned char)l[i]);
	    i++)
		s->verb[i] = (char)toupper((unsigned char)l[i]);
	s->verb[i] = '\0';
	if (strcmp(s->verb, "AUTH") == 0) {
		/* "AUTH PLAIN <initial response>": the mechanism only. */
		s->in_auth = 1;
		l[strcspn(l + 5, " ") + 5] = '\0';
		show(s, "C: %s%s", l, strlen(l) < n - 2 ? " <hidden>" : "");
		return;
	}
	if (s->in_auth) {
		/* An answer to a 334 challenge: a user name, a password. */
		memcpy(s->verb, "AUTH", 5);
		show(s, "C: <hidden>");
		return;
	}
	if (strcmp(s->verb, "EHLO") == 0)
		s->cap_starttls = s->cap_utf8 = s->cap_size = 0;
	else if (strcmp(s->verb, "MAIL") == 0)
		s->mail_sent = 1;
	else if (strcmp(s->verb, "RCPT") == 0)
		s->nrcpt++;
	show(s, "C: %s", l);
}

/*
 * cut_off - a reply that breaks the protocol (no reply code, codes that
 * differ within one reply, a flood of lines): nothing more the server
 * says counts, and the connection is shut down under libcurl, which would
 * otherwise wait for a reply line it can parse, or read a flood to its
 * end.  What was asked gets no answer: its recipients are tried again.
 */
static void
cut_off(struct sess *s, const char *why, const char *l)
{
	snprintf(s->proto_err, sizeof s->proto_err, "%s", why);
	s->malformed = 1;
	s->last.code = -1;
	clean(s->last.text, sizeof s->last.text, l, strlen(l));
	if (strcmp(s->verb, ".") == 0)
		s->final.code = -1;
	show(s, "-- protocol error: %s: closing the connection", why);
	if (s->fd != CURL_SOCKET_BAD)
		shutdown(s->fd, SHUT_RDWR);
}

static void
reply_in(struct sess *s, const char *d, size_t n)
{
	struct reply	*r = NULL;
	char		 l[LINE_MAX_SHOWN + 1];
	int		 code, more = 0;

	clean(l, sizeof l, d, n);
	if (s->in_body) {
		flush_body_line(s);
		show(s, "C: .");
		s->in_body = 0;
		memcpy(s->verb, ".", 2);
	}
	if (s->proto_err[0] != '\0')
		return;		/* what was buffered before the cut */
	show(s, "S: %s", l);
	if (strcmp(s->verb, "QUIT") == 0)
		return;		/* all was decided before: a timeout, say */
	if ((code = code_of(l, strlen(l), &more)) == -1) {
		cut_off(s, "a line that is no reply", l);
		return;
	}
	if (s->mcode != 0 && code != s->mcode) {
		cut_off(s, "reply codes differ within one reply", l);
		return;
	}
	if (++s->nlines > REPLY_LINES_MAX) {
		cut_off(s, "a reply of more than 1000 lines", l);
		return;
	}
	s->mcode = more ? code : 0;
	if (!more)
		s->nlines = 0;
	if (strcmp(s->verb, "EHLO") == 0 && code == 250 && strlen(l) > 4)
		ehlo_cap(s, l + 4);
	if (more)
		return;
	if (code == 421)
		s->got421 = 1;
	if (s->verb[0] == '\0')
		r = &s->greet;
	else if (strcmp(s->verb, "MAIL") == 0)
		r = &s->mail;
	else if (strcmp(s->verb, "RCPT") == 0 && s->nrcpt > 0 &&
	    s->nrcpt <= s->nrc)
		r = &s->rcpt[s->nrcpt - 1];
	else if (strcmp(s->verb, "DATA") == 0) {
		r = &s->data;
		if (code == 354)
			s->in_body = 1;
	} else if (strcmp(s->verb, ".") == 0)
		r = &s->final;
	else if (strcmp(s->verb, "AUTH") == 0 && code != 334)
		s->in_auth = 0;
	if (r != NULL) {
		r->code = code;
		clean(r->text, sizeof r->text, l, strlen(l));
	}
	s->last.code = code;
	clean(s->last.text, sizeof s->last.text, l, strlen(l));
}

static int
debug_cb(CURL *h, curl_infotype t, char *d, size_t n, void *arg)
{
	struct sess	*s = arg;
	char		 l[LINE_MAX_SHOWN + 1];
	const char	*nl;
	size_t		 k;

	(void)h;
	switch (t) {
	case CURLINFO_HEADER_OUT:
		command_out(s, d, n);
		break;
	case CURLINFO_HEADER_IN:
		/* Mostly one line; several, when a reply floods in. */
		while (n > 0) {
			nl = memchr(d, '\n', n);
			k = nl != NULL ? (size_t)(nl - d) + 1 : n;
			reply_in(s, d, k);
			d += k;
			n -= k;
		}
		break;
	case CURLINFO_DATA_OUT:
		if (s->o->transcript != NULL)
			body_out(s, d, n);
		break;
	case CURLINFO_TEXT:
		if (n > 21 && strncmp(d, "SSL connection using ", 21) == 0) {
			clean(l, sizeof l, d + 21, n - 21);
			show(s, "-- TLS: %s", l);
		}
		break;
	default:
		break;
	}
	return 0;
}

/* the connection's socket, so that cut_off() can shut it down */
static int
sockopt_cb(void *arg, curl_socket_t fd, curlsocktype purpose)
{
	struct sess	*s = arg;

	(void)purpose;
	s->fd = fd;
	return CURL_SOCKOPT_OK;
}

static int
closesocket_cb(void *arg, curl_socket_t fd)
{
	struct sess	*s = arg;

	if (s->fd == fd)
		s->fd = CURL_SOCKET_BAD;
	return close(fd);
}

/* after EHLO (and STARTTLS, AUTH), before MAIL: can this go at all? */
static int
prereq_cb(void *arg, char *ip, char *lip, int port, int lport)
{
	struct sess	*s = arg;

	(void)ip;
	(void)lip;
	(void)port;
	(void)lport;
	if (s->need_utf8 && !s->cap_utf8) {
		s->abort_utf8 = 1;
		show(s, "-- the server does not offer SMTPUTF8: stop");
		return CURL_PREREQFUNC_ABORT;
	}
	if (s->cap_size && s->size_max > 0 &&
	    (long long)s->msg->len > s->size_max) {
		s->abort_size = 1;
		show(s, "-- the message is larger than the server's SIZE %lld: "
		    "stop", s->size_max);
		return CURL_PREREQFUNC_ABORT;
	}
	return CURL_PREREQFUNC_OK;
}

static size_t
read_cb(char *p, size_t size, size_t nmemb, void *arg)
{
	struct sess	*s = arg;
	size_t		 n = size * nmemb, left = s->msg->len - s->off;

	if (n > left)
		n = left;
	if (n > 0)
		memcpy(p, s->msg->s + s->off, n);
	s->off += n;
	return n;
}

/* the enhanced status code at the start of a reply's text, or a default */
static void
dsn_of(const struct reply *r, char *dsn, size_t size)
{
	const char	*t = r->text + 4;
	size_t		 n;

	if (r->code > 0 && strlen(r->text) > 9 && t[0] == r->text[0] &&
	    t[1] == '.' && (n = strspn(t + 2, "0123456789")) >= 1 &&
	    n <= 3 && t[2 + n] == '.' && strspn(t + 3 + n, "0123456789") >= 1 &&
	    strspn(t + 3 + n, "0123456789") <= 3) {
		n = 3 + n + strspn(t + 3 + n, "0123456789");
		if (n < size) {
			memcpy(dsn, t, n);
			dsn[n] = '\0';
			return;
		}
	}
	snprintf(dsn, size, "%c.0.0", r->code >= 500 ? '5' : '4');
}

static void
result(struct smtpc_rcpt *rc, int status, int reply, const char *dsn,
    const char *text, const char *relay)
{
	rc->status = status;
	rc->reply = reply;
	snprintf(rc->dsn, sizeof rc->dsn, "%s", dsn);
	snprintf(rc->text, sizeof rc->text, "%s", text);
	snprintf(rc->relay, sizeof rc->relay, "%s", relay);
	if (status == SMTPC_SENT)
		rc->ex = EX_OK;
	else if (status == SMTPC_DEFERRED)
		rc->ex = EX_TEMPFAIL;
	else if (reply > 0)
		rc->ex = exitcode_from_reply(reply, dsn);
}

/* a recipient's outcome from a reply (2xx: only when final) */
static void
by_reply(struct smtpc_rcpt *rc, const struct reply *r, const char *relay)
{
	char	dsn[16];

	dsn_of(r, dsn, sizeof dsn);
	if (r->code >= 200 && r->code < 300)
		result(rc, SMTPC_SENT, r->code, dsn, r->text, relay);
	else if (r->code >= 500)
		result(rc, SMTPC_BOUNCED, r->code, dsn, r->text, relay);
	else
		result(rc, SMTPC_DEFERRED, r->code, dsn, r->text, relay);
}

/* why a connection gave nothing, as a deferral reason */
static void
conn_reason(const struct sess *s, CURLcode cc, const char *errbuf,
    const char *relay, char *dsn, size_t dsize, char *why, size_t wsize)
{
	if (s->proto_err[0] != '\0') {
		snprintf(dsn, dsize, "4.5.0");
		snprintf(why, wsize, "%s: protocol error: %s: %s", relay,
		    s->proto_err, s->last.text);
		return;
	}
	if (s->greet.code >= 400 || s->greet.code == -1) {
		snprintf(dsn, dsize, "4.4.2");
		snprintf(why, wsize, "%s refused to talk to me: %s", relay,
		    s->greet.text);
		return;
	}
	if (strcmp(s->verb, "STARTTLS") == 0 && cc != CURLE_OK) {
		/* No TLS after "220 go ahead" (or with junk after it). */
		snprintf(dsn, dsize, "4.7.5");
		snprintf(why, wsize, "TLS with %s failed: %s", relay,
		    errbuf[0] ? errbuf : curl_easy_strerror(cc));
		return;
	}
	switch (cc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
		snprintf(dsn, dsize, "4.4.1");
		snprintf(why, wsize, "connect to %s: %s", relay, errbuf);
		return;
	case CURLE_OPERATION_TIMEDOUT:
		snprintf(dsn, dsize, "4.4.2");
		snprintf(why, wsize, "%s: timed out (%s)", relay, errbuf);
		return;
	case CURLE_USE_SSL_FAILED:
		snprintf(dsn, dsize, "4.7.4");
		snprintf(why, wsize, "TLS is required, but was not offered "
		    "by %s", relay);
		return;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
		snprintf(dsn, dsize, "4.7.5");
		snprintf(why, wsize, "TLS with %s failed: %s", relay, errbuf);
		return;
	case CURLE_LOGIN_DENIED:
		snprintf(dsn, dsize, "4.7.0");
		snprintf(why, wsize, "SASL authentication with %s failed; "
		    "server said: %s", relay, s->last.text);
		return;
	default:
		snprintf(dsn, dsize, "4.4.2");
		if (s->last.code != 0)
			snprintf(why, wsize, "%s: %s (server said: %s)", relay,
			    errbuf[0] ? errbuf : curl_easy_strerror(cc),
			    s->last.text);
		else
			snprintf(why, wsize, "%s: %s", relay, errbuf[0] ?
			    errbuf : curl_easy_strerror(cc));
		return;
	}
}

/* the state of a group of recipients across connections */
struct group {
	const struct smtpc_opts	*o;
	const char		*sender;
	int			 sender_utf8;
	const struct buf	*msg;
	struct smtpc_rcpt	**rc;
	size_t			 nrc;
	const char		*nexthop;	/* the SASL key, first */
	struct map		*sasl;
	char			 dsn[16];	/* why the last try failed */
	char			 why[900];
	char			 relay[320];
};

static int
creds(struct group *g, const char *host, struct buf *user, struct buf *pass,
    struct mail_err *e)
{
	struct buf	 v = BUF_INIT(4096);
	const char	*keys[2], *colon;
	int		 i, rc = 0;

	if (g->sasl == NULL)
		return 0;
	keys[0] = g->nexthop;
	keys[1] = host;
	for (i = 0; i < 2 && rc == 0; i++)
		if (keys[i] != NULL && *keys[i] != '\0')
			rc = map_get(g->sasl, keys[i], strlen(keys[i]), &v, e);
	if (rc == 1) {
		colon = strchr(buf_str(&v), ':');
		if (colon == NULL ||
		    buf_set(user, v.s, (size_t)(colon - v.s)) == -1 ||
		    buf_set(pass, colon + 1, strlen(colon + 1)) == -1) {
			buf_free(&v);
			mail_err_set(e, EX_CONFIG, "4.7.0", "%s: the password "
			    "entry for %s is not user:password",
			    map_path(g->sasl), host);
			return -1;
		}
	}
	buf_free(&v);
	return rc;
}

/*
 * attempt - one connection to host (name for the URL and TLS) at address
 * (NULL: let libcurl resolve the name), for the recipients of g still
 * pending.
 */
static int
attempt(struct group *g, const char *host, const char *address, int family,
    int port, int tls)
{
	const struct smtpc_opts	*o = g->o;
	struct sess		 s;
	struct curl_slist	*rcpts = NULL, *to = NULL, *more;
	struct buf		 url = BUF_INIT(1024), tmp = BUF_INIT(1024);
	struct buf		 user = BUF_INIT(512), pass = BUF_INIT(512);
	struct mail_err		 e;
	char			 errbuf[CURL_ERROR_SIZE] = "";
	char			 v6[64];
	CURL			*h = NULL;
	CURLcode		 cc;
	size_t			 i, k;
	int			 ret = A_NEXT, have_creds, pending;
	int			 wrap = o->wrapper || port == 465;

	memset(&s, 0, sizeof s);
	s.o = o;
	s.msg = g->msg;
	s.fd = CURL_SOCKET_BAD;
	buf_init(&s.line, LINE_MAX_SHOWN);
	if ((s.rc = calloc(g->nrc, sizeof *s.rc)) == NULL ||
	    (s.rcpt = calloc(g->nrc, sizeof *s.rcpt)) == NULL)
		goto oom;
	s.need_utf8 = g->sender_utf8;
	for (i = 0; i < g->nrc; i++) {
		if (g->rc[i]->status != SMTPC_PENDING)
			continue;
		s.rc[s.nrc++] = g->rc[i];
		if (g->rc[i]->a.flags & ADDR_SMTPUTF8)
			s.need_utf8 = 1;
		buf_reset(&tmp);
		if (buf_addc(&tmp, '<') == -1 ||
		    addr_format(&g->rc[i]->a, &tmp) == -1 ||
		    buf_addc(&tmp, '>') == -1)
			goto oom;
		if ((more = curl_slist_append(rcpts, tmp.s)) == NULL)
			goto oom;
		rcpts = more;
	}
	if (s.nrc == 0) {
		ret = A_DONE;
		goto out;
	}

	if (family == AF_INET6)
		snprintf(v6, sizeof v6, "[%s]", address);
	else
		snprintf(v6, sizeof v6, "%s", address ? address : "");
	if (address != NULL)
		snprintf(g->relay, sizeof g->relay, "%s[%s]:%d", host, address,
		    port);
	else
		snprintf(g->relay, sizeof g->relay, "%s:%d", host, port);
	have_creds = creds(g, host, &user, &pass, &e);
	if (have_creds == -1) {
		snprintf(g->dsn, sizeof g->dsn, "%s", e.enh);
		snprintf(g->why, sizeof g->why, "%s", e.text);
		goto out;
	}
	/* AUTH only inside TLS, unless configured otherwise. */
	if (have_creds && !o->auth_cleartext && tls < SMTPC_TLS_ENCRYPT &&
	    !wrap)
		tls = SMTPC_TLS_ENCRYPT;

	if ((h = curl_easy_init()) == NULL)
		goto oom;
	if (buf_printf(&url, "%s://%s:%d/%s", wrap ? "smtps" : "smtp",
	    strchr(host, ':') ? v6 : host, port, o->helo != NULL &&
	    *o->helo != '\0' ? o->helo : "localhost") == -1)
		goto oom;
	if (address != NULL) {
		/* Connect to this address, keep the name for TLS checks. */
		buf_reset(&tmp);
		if (buf_printf(&tmp, "::%s:%d", v6, port) == -1 ||
		    (to = curl_slist_append(NULL, tmp.s)) == NULL)
			goto oom;
	}
	buf_reset(&tmp);
	if (buf_printf(&tmp, "<%s>", g->sender) == -1)
		goto oom;

	curl_easy_setopt(h, CURLOPT_URL, url.s);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	if (to != NULL)
		curl_easy_setopt(h, CURLOPT_CONNECT_TO, to);
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, tmp.s);
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpts);
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT_ALLOWFAILS, 1L);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(h, CURLOPT_READDATA, &s);
	curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)g->msg->len);
	curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
	curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, debug_cb);
	curl_easy_setopt(h, CURLOPT_DEBUGDATA, &s);
	curl_easy_setopt(h, CURLOPT_PREREQFUNCTION, prereq_cb);
	curl_easy_setopt(h, CURLOPT_PREREQDATA, &s);
	curl_easy_setopt(h, CURLOPT_SOCKOPTFUNCTION, sockopt_cb);
	curl_easy_setopt(h, CURLOPT_SOCKOPTDATA, &s);
	curl_easy_setopt(h, CURLOPT_CLOSESOCKETFUNCTION, closesocket_cb);
	curl_easy_setopt(h, CURLOPT_CLOSESOCKETDATA, &s);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
	curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
	if (o->connect_timeout > 0)
		curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, o->connect_timeout);
	if (o->reply_timeout > 0)
		curl_easy_setopt(h, CURLOPT_SERVER_RESPONSE_TIMEOUT,
		    o->reply_timeout);
	if (tls == SMTPC_TLS_NONE && !wrap)
		curl_easy_setopt(h, CURLOPT_USE_SSL, (long)CURLUSESSL_NONE);
	else if (tls == SMTPC_TLS_MAY)
		curl_easy_setopt(h, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
	else
		curl_easy_setopt(h, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	if (tls == SMTPC_TLS_VERIFY) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
		if (o->cafile != NULL && *o->cafile != '\0')
			curl_easy_setopt(h, CURLOPT_CAINFO, o->cafile);
	} else {
		/* Opportunistic TLS: better than plain text, unverified. */
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (have_creds) {
		curl_easy_setopt(h, CURLOPT_USERNAME, user.s);
		curl_easy_setopt(h, CURLOPT_PASSWORD, pass.s);
	}

	show(&s, "-- connecting to %s%s", g->relay,
	    wrap ? " (smtps: TLS from the start)" : "");
	cc = curl_easy_perform(h);
	if (s.in_body) {
		/* The body went out, the reply never came. */
		flush_body_line(&s);
		show(&s, "C: .");
	}

	if (!s.mail_sent) {
		if (s.abort_utf8) {
			for (k = 0; k < s.nrc; k++) {
				if (!g->sender_utf8 &&
				    !(s.rc[k]->a.flags & ADDR_SMTPUTF8))
					continue;
				result(s.rc[k], SMTPC_BOUNCED, 0, "5.6.7",
				    "SMTPUTF8 is required, but was not "
				    "offered by the server", g->relay);
				s.rc[k]->ex = EX_UNAVAILABLE;
			}
			ret = A_AGAIN;
			goto out;
		}
		if (s.abort_size) {
			for (k = 0; k < s.nrc; k++) {
				result(s.rc[k], SMTPC_BOUNCED, 0, "5.3.4",
				    "message too big for the server", g->relay);
				snprintf(s.rc[k]->text, sizeof s.rc[k]->text,
				    "message of %zu bytes is larger than the "
				    "server's limit (SIZE %lld)", g->msg->len,
				    s.size_max);
				s.rc[k]->ex = EX_DATAERR;
			}
			ret = A_DONE;
			goto out;
		}
		conn_reason(&s, cc, errbuf, g->relay, g->dsn, sizeof g->dsn,
		    g->why, sizeof g->why);
		/* Opportunistic TLS that failed: once more in plain text. */
		if (tls == SMTPC_TLS_MAY && !have_creds &&
		    strcmp(g->dsn, "4.7.5") == 0)
			ret = A_PLAIN;
		goto out;
	}

	/* A transaction happened: each recipient gets its reply. */
	ret = A_DONE;
	for (k = 0; k < s.nrc; k++) {
		struct smtpc_rcpt	*rc = s.rc[k];
		const struct reply	*r = &s.rcpt[k];

		if (s.mail.code >= 400 && s.mail.code != 421) {
			by_reply(rc, &s.mail, g->relay);
			continue;
		}
		if (r->code >= 400 && r->code != 421) {
			by_reply(rc, r, g->relay);
			continue;
		}
		if (r->code < 200 || r->code >= 300)
			continue;	/* no reply, or 421: stays pending */
		if (s.data.code >= 400 && s.data.code != 421) {
			by_reply(rc, &s.data, g->relay);
			continue;
		}
		if (s.final.code >= 200 && s.final.code < 300 &&
		    cc == CURLE_OK) {
			by_reply(rc, &s.final, g->relay);
			continue;
		}
		if (s.final.code == 421)
			continue;	/* not taken: the next host */
		if (s.final.code >= 400) {
			by_reply(rc, &s.final, g->relay);
			continue;
		}
		/*
		 * The body may have gone out with no reply to it: deferred,
		 * not tried elsewhere now (a duplicate later beats a loss).
		 */
		if (s.data.code == 354)
			result(rc, SMTPC_DEFERRED, 0, "4.4.2", s.final.code ==
			    -1 || s.malformed ? "malformed reply after end of "
			    "data" : "lost connection after end of data",
			    g->relay);
	}
	pending = 0;
	for (k = 0; k < s.nrc; k++)
		if (s.rc[k]->status == SMTPC_PENDING)
			pending = 1;
	if (pending) {
		ret = A_NEXT;
		conn_reason(&s, cc, errbuf, g->relay, g->dsn, sizeof g->dsn,
		    g->why, sizeof g->why);
		if (s.got421)
			snprintf(g->why, sizeof g->why, "%s: %s", g->relay,
			    s.last.text);
	}
	goto out;
oom:
	snprintf(g->dsn, sizeof g->dsn, "4.3.0");
	snprintf(g->why, sizeof g->why, "out of memory");
out:
	if (h != NULL)
		curl_easy_cleanup(h);
	curl_slist_free_all(rcpts);
	curl_slist_free_all(to);
	free(s.rc);
	free(s.rcpt);
	buf_free(&s.line);
	buf_free(&url);
	buf_free(&tmp);
	buf_free(&user);
	if (pass.s != NULL)
		memset(pass.s, 0, pass.len);
	buf_free(&pass);
	return ret;
}

/* strip the brackets (and "IPv6:") of an address literal; 0, or -1 */
static int
literal(const char *d, char *out, size_t size, int *family)
{
	unsigned char	bin[16];
	size_t		n = strlen(d);

	if (n < 3 || d[0] != '[' || d[n - 1] != ']')
		return -1;
	d++;
	n -= 2;
	if (n > 5 && strncasecmp(d, "IPv6:", 5) == 0) {
		d += 5;
		n -= 5;
	}
	if (n >= size)
		return -1;
	memcpy(out, d, n);
	out[n] = '\0';
	*family = strchr(out, ':') != NULL ? AF_INET6 : AF_INET;
	return inet_pton(*family, out, bin) == 1 ? 0 : -1;
}

/*
 * parse_relay - Postfix's next-hop syntax: "[host]:port" and "[host]"
 * name the host itself (no MX lookup), "host:port" and "host" a domain
 * whose MX hosts take the mail; *port is the default on the way in.
 */
static int
parse_relay(const char *relay, char *host, size_t size, int *port, int *mx,
    struct mail_err *e)
{
	const char	*end, *colon, *start = relay;
	long long	 p = *port;
	size_t		 n;

	*mx = relay[0] != '[';
	if (!*mx) {
		if ((end = strchr(relay, ']')) == NULL)
			goto bad;
		n = (size_t)(end - relay - 1);
		start++;
		colon = end[1] == ':' ? end + 1 : NULL;
		if (end[1] != '\0' && colon == NULL)
			goto bad;
	} else {
		colon = strrchr(relay, ':');
		n = colon != NULL ? (size_t)(colon - relay) : strlen(relay);
	}
	if (n == 0 || n >= size)
		goto bad;
	memcpy(host, start, n);
	host[n] = '\0';
	if (colon != NULL && str_tonum(colon + 1, 1, 65535, &p) == -1)
		goto bad;
	*port = (int)p;
	if (str_has_ctl(host, n) || strchr(host, '/') != NULL)
		goto bad;
	return EX_OK;
bad:
	return mail_err_set(e, EX_CONFIG, "4.3.5", "bad relay host \"%s\": "
	    "want [host]:port, [host], host:port or host", relay);
}

static int
pending(const struct group *g)
{
	size_t	i;

	for (i = 0; i < g->nrc; i++)
		if (g->rc[i]->status == SMTPC_PENDING)
			return 1;
	return 0;
}

/* one address, again as long as the connection says so */
static void
try_address(struct group *g, const char *host, const char *address,
    int family, int port)
{
	int	tls = g->o->tls, again = 0, ret;

	for (;;) {
		ret = attempt(g, host, address, family, port, tls);
		if (ret == A_AGAIN && again++ < 2 && pending(g))
			continue;
		if (ret == A_PLAIN && tls == SMTPC_TLS_MAY) {
			tls = SMTPC_TLS_NONE;
			continue;
		}
		return;
	}
}

/* the rest of a group, after every host was tried */
static void
give_up(struct group *g, int ex, const char *dsn, const char *why)
{
	size_t	i;

	for (i = 0; i < g->nrc; i++) {
		if (g->rc[i]->status != SMTPC_PENDING)
			continue;
		result(g->rc[i], exitcode_is_temp(ex) ? SMTPC_DEFERRED :
		    SMTPC_BOUNCED, 0, dsn, why, g->relay[0] ? g->relay :
		    "none");
		g->rc[i]->ex = ex;
	}
}

/* deliver to dest: a host (mx 0) or the MX hosts of a domain (mx 1) */
static void
route(struct group *g, struct dns_res **rp, const char *dest, int port,
    int mx)
{
	struct dns_mx	 list;
	struct mail_err	 e;
	char		 lit[64];
	unsigned char	 bin[16];
	size_t		 i, k;
	int		 family, ex, tries = 0;

	snprintf(g->dsn, sizeof g->dsn, "4.4.1");
	snprintf(g->why, sizeof g->why, "%s: no host could be reached", dest);
	g->relay[0] = '\0';
	if (literal(dest, lit, sizeof lit, &family) == 0) {
		try_address(g, lit, lit, family, port);
		goto done;
	}
	if (!mx) {
		family = strchr(dest, ':') ? AF_INET6 : AF_INET;
		try_address(g, dest, inet_pton(family, dest, bin) == 1 ? dest :
		    NULL, family, port);
		goto done;
	}
	if (*rp == NULL && dns_open(rp, g->o->dns_server, &e) != EX_OK) {
		give_up(g, e.ex, e.enh, e.text);
		return;
	}
	if (g->o->seeded)
		dns_seed(*rp, g->o->seed);
	ex = dns_mx(*rp, dest, DNS_F_ADDR, &list, &e);
	if (ex != EX_OK) {
		dns_mx_free(&list);
		give_up(g, ex, e.enh, e.text);
		return;
	}
	for (i = 0; i < list.nhost && pending(g); i++) {
		struct dns_host	*h = &list.host[i];

		for (k = 0; k < h->naddr && pending(g); k++) {
			if (tries++ == ATTEMPTS_MAX)
				break;
			try_address(g, h->name, h->addr[k].text,
			    h->addr[k].family, port);
		}
	}
	dns_mx_free(&list);
done:
	give_up(g, EX_TEMPFAIL, g->dsn, g->why);
}

static int
by_domain(const void *a, const void *b)
{
	const struct smtpc_rcpt	*x = *(struct smtpc_rcpt *const *)a;
	const struct smtpc_rcpt	*y = *(struct smtpc_rcpt *const *)b;

	return strcmp(x->a.domain, y->a.domain);
}

/* the exit status for the lot */
static int
overall(const struct smtpc_rcpt *r, size_t n)
{
	size_t	i;
	int	deferred = 0;

	for (i = 0; i < n; i++)
		if (r[i].status == SMTPC_BOUNCED)
			return r[i].ex != EX_OK && r[i].ex != EX_TEMPFAIL ?
			    r[i].ex : EX_UNAVAILABLE;
	for (i = 0; i < n; i++) {
		/* A configuration mistake is said so: it waits for a fix. */
		if (r[i].status != SMTPC_SENT && r[i].ex == EX_CONFIG)
			return EX_CONFIG;
		if (r[i].status != SMTPC_SENT)
			deferred = 1;
	}
	return deferred ? EX_TEMPFAIL : EX_OK;
}

/* smtpc_send - hand the message to the next hop of every recipient */
int
smtpc_send(const struct smtpc_opts *o, const char *sender,
    const struct buf *msg, struct smtpc_rcpt *r, size_t n,
    struct mail_err *e)
{
	struct group		 g;
	struct dns_res		*res = NULL;
	struct smtpc_rcpt	**v = NULL;
	struct addr		 sa;
	struct buf		 from = BUF_INIT(ADDR_PATH_MAX * 2);
	struct mail_err		 ae;
	char			 host[256];
	size_t			 i, j, k, nv = 0;
	int			 port = o->port > 0 ? o->port : 25;
	int			 mx = 0, ex;

	memset(&g, 0, sizeof g);
	memset(&sa, 0, sizeof sa);
	if (strcmp(sender, "") != 0 && strcmp(sender, "<>") != 0) {
		if ((ex = addr_parse_mailbox(sender, strlen(sender),
		    ADDR_P_UTF8 | ADDR_P_SENDER, &sa, e)) != EX_OK)
			return ex;
		if (addr_format(&sa, &from) == -1)
			return mail_err_errno(e, errno, "sender");
	}
	g.o = o;
	g.msg = msg;
	g.sender = buf_str(&from);
	g.sender_utf8 = (sa.flags & ADDR_SMTPUTF8) != 0;
	if ((v = calloc(n + 1, sizeof *v)) == NULL) {
		buf_free(&from);
		return mail_err_errno(e, errno, "recipients");
	}
	for (i = 0; i < n; i++) {
		memset(&r[i].a, 0, sizeof r[i].a);
		r[i].status = SMTPC_PENDING;
		r[i].reply = 0;
		if (addr_parse_mailbox(r[i].arg, strlen(r[i].arg), ADDR_P_UTF8,
		    &r[i].a, &ae) != EX_OK) {
			result(&r[i], SMTPC_BOUNCED, 0, ae.enh, ae.text,
			    "none");
			r[i].ex = ae.ex;
			continue;
		}
		v[nv++] = &r[i];
	}
	if (o->sasl_maps != NULL && *o->sasl_maps != '\0' && nv > 0 &&
	    map_open(&g.sasl, o->sasl_maps, MAP_FOLD, &ae) != EX_OK) {
		g.rc = v;
		g.nrc = nv;
		/* A missing password table waits for the administrator. */
		give_up(&g, EX_TEMPFAIL, "4.3.5", ae.text);
		nv = 0;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (nv > 0 && o->relay != NULL && *o->relay != '\0') {
		if ((ex = parse_relay(o->relay, host, sizeof host, &port, &mx,
		    &ae)) != EX_OK) {
			g.rc = v;
			g.nrc = nv;
			give_up(&g, EX_CONFIG, ae.enh, ae.text);
		} else {
			g.rc = v;
			g.nrc = nv;
			g.nexthop = o->relay;
			route(&g, &res, host, port, mx);
		}
	} else if (nv > 0) {
		qsort(v, nv, sizeof *v, by_domain);
		for (i = 0; i < nv; i = j) {
			for (j = i + 1; j < nv && strcmp(v[j]->a.domain,
			    v[i]->a.domain) == 0; j++)
				;
			g.rc = v + i;
			g.nrc = j - i;
			g.nexthop = v[i]->a.domain;
			route(&g, &res, v[i]->a.domain, port, 1);
		}
	}
	curl_global_cleanup();
	for (k = 0; k < n; k++)
		if (r[k].status == SMTPC_PENDING)
			result(&r[k], SMTPC_DEFERRED, 0, "4.3.0", "not tried",
			    "none");
	if (g.sasl != NULL)
		map_close(g.sasl);
	dns_close(res);
	free(v);
	buf_free(&from);
	mail_err_clear(e);
	return overall(r, n);
}
