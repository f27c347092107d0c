/* SPDX-License-Identifier: ISC */
/*
 * submit - a locally submitted message on its way into the queue: the
 * work of Postfix's pickup and cleanup for sendmail(1).
 *
 * Header addresses are found with a small scanner that knows quotes,
 * comments, angle brackets and groups: an address in <...> is rewritten;
 * an element without brackets has its first word rewritten ("root
 * (Charlie Root)" keeps its comment); a group name before ':' is left as
 * it is.  Anything we cannot parse as an address is left as written, so a
 * strange header never loses mail.
 *
 * Trusts the submitting user no more than a network client: every
 * address goes through addr.c, the message through the size limit.
 */
#include "config.h"

#include <sys/time.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "buf.h"
#include "conf.h"
#include "local.h"
#include "log.h"
#include "map.h"
#include "queue.h"
#include "rewrite.h"
#include "str.h"
#include "submit.h"

#define MSG_MAX		((size_t)1 << 30)
#define HDR_MAX		((size_t)1 << 20)	/* one header field */

/* submit_canon - qualify and rewrite one address */
int
submit_canon(const struct mail_conf *c, const char *p1, const char *p2,
    const char *in, struct buf *out, struct mail_err *e)
{
	struct addr	 a;
	const char	*ps[2];
	size_t		 i;
	int		 ex = EX_OK;

	ps[0] = p1;
	ps[1] = p2;
	if ((ex = addr_parse_mailbox(in, strlen(in), ADDR_P_UTF8 |
	    ADDR_P_NO_DOMAIN, &a, e)) != EX_OK)
		return ex;
	if (a.domain[0] == '\0' && str_copy(a.domain, sizeof a.domain,
	    conf_get(c, "myorigin")) == -1)
		return mail_err_set(e, EX_CONFIG, "4.3.5", "myorigin too long");
	str_lower(a.domain);
	for (i = 0; i < 2 && ex == EX_OK; i++)
		if (rewrite_canon(c, ps[i], in, &a, NULL, e) == -1)
			ex = e->ex;
	buf_reset(out);
	if (ex == EX_OK && addr_format(&a, out) == -1)
		ex = mail_err_errno(e, errno, "memory");
	return ex;
}

/* header kinds */
#define H_OTHER		0
#define H_SENDER	1	/* From, Sender, Reply-To, Resent-From... */
#define H_RCPT		2	/* To, Cc, Resent-To, Resent-Cc */
#define H_BCC		3	/* Bcc, Resent-Bcc: read, then dropped */
#define H_DROP		4	/* trace and format headers a client may not set */

static const struct {
	const char	*name;
	int		 kind;
	int		 extract;	/* -t takes recipients from it */
} hdrs[] = {
	{ "from", H_SENDER, 0 }, { "sender", H_SENDER, 0 },
	{ "reply-to", H_SENDER, 0 }, { "resent-from", H_SENDER, 0 },
	{ "resent-sender", H_SENDER, 0 }, { "resent-reply-to", H_SENDER, 0 },
	{ "to", H_RCPT, 1 }, { "cc", H_RCPT, 1 }, { "resent-to", H_RCPT, 0 },
	{ "resent-cc", H_RCPT, 0 }, { "bcc", H_BCC, 1 },
	{ "resent-bcc", H_BCC, 0 },
	/*
	 * BATTERY E-05: the Return-Path: is the MDA's to write (from the
	 * envelope), and mbox readers trust a Content-Length:; Postfix's
	 * cleanup drops both.
	 */
	{ "return-path", H_DROP, 0 }, { "content-length", H_DROP, 0 },
};

struct rw {
	const struct mail_conf	*c;
	const char		*p1;	/* sender_/recipient_canonical_maps */
	struct buf		*out;
	struct buf		*collect;	/* -t recipients, or NULL */
	size_t			*ncollect;
	struct mail_err		*e;
	int			 ex;
};

/* one_addr - rewrite the address p..q into the output (or copy it) */
static void
one_addr(struct rw *w, const char *p, const char *q)
{
	struct buf	in = BUF_INIT(1024), res = BUF_INIT(1024);
	struct mail_err	e;
	int		ex;

	if (q == p || buf_add(&in, p, (size_t)(q - p)) == -1) {
		(void)buf_add(w->out, p, (size_t)(q - p));
		buf_free(&in);
		return;
	}
	ex = submit_canon(w->c, w->p1, "canonical_maps", in.s, &res, &e);
	if (ex == EX_OK) {
		(void)buf_add(w->out, res.s, res.len);
		if (w->collect != NULL && buf_add(w->collect, res.s,
		    res.len + 1) == 0)
			(*w->ncollect)++;
	} else {
		(void)buf_add(w->out, p, (size_t)(q - p));
		if (ex != EX_DATAERR && w->ex == EX_OK) {
			w->ex = ex;
			*w->e = e;
		} else if (ex == EX_DATAERR)
			log_warn("header address \"%s\" left as it is: %s",
			    in.s, e.text);
	}
	buf_free(&in);
	buf_free(&res);
}

/* element - an element without <>: its first word is the address */
static void
element(struct rw *w, const char *p, const char *q)
{
	const char	*a, *b;

	for (a = p; a < q && (*a == ' ' || *a == '\t' || *a == '\n'); a++)
		;
	for (b = a; b < q && *b != ' ' && *b != '\t' && *b != '\n' &&
	    *b != '(' && *b != '"'; b++)
		;
	(void)buf_add(w->out, p, (size_t)(a - p));
	if (b > a && (b == q || *b != '"'))
		one_addr(w, a, b);
	else
		(void)buf_add(w->out, a, (size_t)(b - a));
	(void)buf_add(w->out, b, (size_t)(q - b));
}

/* rewrite_list - an address-list header value, rewritten into w->out */
static void
rewrite_list(struct rw *w, const char *p, const char *end)
{
	const char	*s = p, *lt;
	int		 depth = 0, quote = 0, angle = 0;

	for (; p < end; p++) {
		if (quote) {
			if (*p == '\\' && p + 1 < end)
				p++;
			else if (*p == '"')
				quote = 0;
			continue;
		}
		if (*p == '\\' && p + 1 < end) {
			p++;
			continue;
		}
		if (*p == '"' && depth == 0)
			quote = 1;
		else if (*p == '(')
			depth++;
		else if (*p == ')' && depth > 0)
			depth--;
		else if (depth > 0)
			continue;
		else if (*p == '<') {
			lt = p + 1;
			if ((p = memchr(lt, '>', (size_t)(end - lt))) == NULL)
				break;
			(void)buf_add(w->out, s, (size_t)(lt - s));
			one_addr(w, lt, p);
			s = p;
			angle = 1;
		} else if (*p == ':') {
			/* a group's name */
			(void)buf_add(w->out, s, (size_t)(p + 1 - s));
			s = p + 1;
		} else if (*p == ',' || *p == ';') {
			if (angle)
				(void)buf_add(w->out, s, (size_t)(p - s));
			else
				element(w, s, p);
			(void)buf_addc(w->out, *p);
			s = p + 1;
			angle = 0;
		}
	}
	if (angle || p < end)
		(void)buf_add(w->out, s, (size_t)(end - s));
	else
		element(w, s, end);
}

/* hdr_end - the end of the header field at p (after its last line) */
static const char *
hdr_end(const char *p, const char *end)
{
	const char	*nl;

	while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		p = nl + 1;
		if (p == end || (*p != ' ' && *p != '\t'))
			return p;
	}
	return end;
}

/* is_field - a header field's first line: "name:" */
static size_t
is_field(const char *p, const char *end)
{
	const char	*q;

	for (q = p; q < end && *q > 32 && *q < 127 && *q != ':'; q++)
		;
	return (q > p && q < end && *q == ':') ? (size_t)(q - p) : 0;
}

/* quote_phrase - a display name, quoted when it is not all atoms */
static void
quote_phrase(struct buf *b, const char *s)
{
	const char	*p;

	for (p = s; *p && (strchr("()<>[]:;@\\,.\"", *p) == NULL); p++)
		;
	if (*p == '\0') {
		(void)buf_adds(b, s);
		return;
	}
	(void)buf_addc(b, '"');
	for (p = s; *p; p++) {
		if (*p == '"' || *p == '\\')
			(void)buf_addc(b, '\\');
		(void)buf_addc(b, *p);
	}
	(void)buf_addc(b, '"');
}

/* submit_rewrite - the message made ready for the queue */
int
submit_rewrite(const struct mail_conf *c, const struct submit_opts *o,
    const char *msg, size_t len, long long now, struct buf *out,
    struct buf *rcpt, size_t *np, struct mail_err *e)
{
	const char	*p = msg, *end = msg + len, *q, *v;
	struct rw	 w;
	struct buf	 snd = BUF_INIT(1024);
	struct tm	 tm;
	time_t		 t = (time_t)now;
	struct timeval	 tv;
	char		 date[64];
	size_t		 n, i;
	int		 seen_from = 0, seen_date = 0, seen_mid = 0, kind;
	long long	 hops = 0, maxhops = 50;

	memset(&w, 0, sizeof w);
	w.c = c;
	w.out = out;
	w.e = e;
	w.ex = EX_OK;
	w.ncollect = np;
	*np = 0;
	mail_err_clear(e);
	/* A message that starts with a From_ line: drop that line. */
	if (len >= 5 && memcmp(p, "From ", 5) == 0 &&
	    (q = memchr(p, '\n', len)) != NULL)
		p = q + 1;
	while (p < end && *p != '\n' && (n = is_field(p, end)) > 0) {
		q = hdr_end(p, end);
		kind = H_OTHER;
		w.collect = NULL;
		for (i = 0; i < sizeof hdrs / sizeof hdrs[0]; i++)
			if (strlen(hdrs[i].name) == n &&
			    strncasecmp(hdrs[i].name, p, n) == 0) {
				kind = hdrs[i].kind;
				if (o->extract && hdrs[i].extract)
					w.collect = rcpt;
			}
		if (n == 8 && strncasecmp(p, "received", 8) == 0)
			hops++;
		seen_from |= n == 4 && strncasecmp(p, "from", 4) == 0;
		seen_date |= n == 4 && strncasecmp(p, "date", 4) == 0;
		seen_mid |= n == 10 && strncasecmp(p, "message-id", 10) == 0;
		if (kind == H_OTHER)
			(void)buf_add(out, p, (size_t)(q - p));
		else if (kind == H_DROP)
			;
		else {
			w.p1 = kind == H_SENDER ? "sender_canonical_maps" :
			    "recipient_canonical_maps";
			/* Bcc: goes to a scratch buffer and is dropped. */
			w.out = kind == H_BCC ? &snd : out;
			(void)buf_add(w.out, p, n + 1);
			rewrite_list(&w, p + n + 1, q);
			w.out = out;
			buf_reset(&snd);
		}
		p = q;
	}
	/* BATTERY E-06: a message that went round too often is a loop. */
	if (conf_get_num(c, "hopcount_limit", &maxhops, e) != EX_OK)
		maxhops = 50;
	if (hops > maxhops) {
		buf_free(&snd);
		return mail_err_set(e, EX_DATAERR, "5.4.6", "too many hops: "
		    "%lld Received: headers (hopcount_limit %lld): a mail loop",
		    hops, maxhops);
	}
	/* The envelope sender, for a From: we add. */
	v = o->sender != NULL && *o->sender ? o->sender : o->login;
	if (!seen_from) {
		if (submit_canon(c, "sender_canonical_maps", "canonical_maps",
		    v, &snd, e) != EX_OK && w.ex == EX_OK)
			w.ex = e->ex;
		(void)buf_adds(out, "From: ");
		if (o->fullname != NULL && *o->fullname) {
			quote_phrase(out, o->fullname);
			(void)buf_printf(out, " <%s>\n", buf_str(&snd));
		} else
			(void)buf_printf(out, "%s\n", buf_str(&snd));
	}
	if (!seen_date) {
		localtime_r(&t, &tm);
		if (strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S %z",
		    &tm) == 0)
			date[0] = '\0';
		(void)buf_printf(out, "Date: %s\n", date);
	}
	if (!seen_mid) {
		gettimeofday(&tv, NULL);
		gmtime_r(&t, &tm);
		if (strftime(date, sizeof date, "%Y%m%d%H%M%S", &tm) == 0)
			date[0] = '\0';
		(void)buf_printf(out, "Message-ID: <%s.%lx.%lx@%s>\n", date,
		    (unsigned long)getpid(), (unsigned long)tv.tv_usec,
		    conf_get(c, "myhostname"));
	}
	if (p < end && *p != '\n')
		(void)buf_addc(out, '\n');	/* no header/body separator */
	if (buf_add(out, p, (size_t)(end - p)) == -1 && w.ex == EX_OK)
		w.ex = mail_err_errno(e, errno, "message");
	buf_free(&snd);
	return w.ex;
}

/* submit_xtext - s as xtext */
int
submit_xtext(const char *s, char *out, size_t n)
{
	static const char	hex[] = "0123456789ABCDEF";
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i = 0;

	for (; *p != '\0'; p++) {
		if (*p >= 33 && *p <= 126 && *p != '+' && *p != '=') {
			if (i + 1 >= n)
				return -1;
			out[i++] = (char)*p;
			continue;
		}
		if (i + 3 >= n)
			return -1;
		out[i++] = '+';
		out[i++] = hex[*p >> 4];
		out[i++] = hex[*p & 15];
	}
	if (i >= n)
		return -1;
	out[i] = '\0';
	return 0;
}

/*
 * dsn_of - the queue's DSN parameters from -N, -R and -V, for n
 * recipients; *notify is allocated (free it)
 */
static int
dsn_of(const struct submit_opts *o, size_t n, struct queue_dsn *d,
    int **notify, char *envid, size_t size, struct mail_err *e)
{
	size_t	i;

	memset(d, 0, sizeof *d);
	*notify = NULL;
	d->ret = o->ret;
	if (o->envid != NULL) {
		if (submit_xtext(o->envid, envid, size) == -1 ||
		    strlen(envid) > 100)
			return mail_err_set(e, EX_USAGE, "5.5.4",
			    "-V: envelope id too long");
		d->envid = envid;
	}
	if (o->notify != 0) {
		if ((*notify = calloc(n, sizeof **notify)) == NULL)
			return mail_err_errno(e, errno, "memory");
		for (i = 0; i < n; i++)
			(*notify)[i] = o->notify;
		d->notify = *notify;
	}
	return EX_OK;
}

/* submit - read a message from fd and queue it */
int
submit(const struct mail_conf *c, const struct submit_opts *o, int fd,
    char *id, struct mail_err *e)
{
	struct buf	 msg, out = BUF_INIT(MSG_MAX), rcpt = BUF_INIT(1 << 20);
	struct buf	 snd = BUF_INIT(1024), one = BUF_INIT(1024);
	struct queue_dsn dsn;
	long long	 max;
	char		**rv = NULL, why[sizeof e->text], envid[304];
	const char	*p, *dir = conf_get(c, "queue_directory");
	size_t		 n = 0, i, k;
	int		 ex, *notify = NULL;

	if ((ex = conf_get_num(c, "message_size_limit", &max, e)) != EX_OK)
		return ex;
	if ((ex = local_read_message(fd, &msg, (unsigned long long)max, e)) !=
	    EX_OK)
		return ex;
	if (o->dotstop) {
		/* Without -i a line with a single dot ends the message. */
		if (msg.len >= 2 && memcmp(msg.s, ".\n", 2) == 0)
			buf_truncate(&msg, 0);
		else if (msg.s != NULL && (p = strstr(msg.s, "\n.\n")) != NULL)
			buf_truncate(&msg, (size_t)(p - msg.s) + 1);
	}
	ex = submit_rewrite(c, o, buf_str(&msg), msg.len, (long long)time(NULL),
	    &out, &rcpt, &n, e);
	if (ex != EX_OK)
		goto out;
	if (o->sender != NULL && *o->sender == '\0')
		(void)buf_adds(&snd, "");
	else if ((ex = submit_canon(c, "sender_canonical_maps",
	    "canonical_maps", o->sender ? o->sender : o->login, &snd, e)) !=
	    EX_OK)
		goto out;
	/* Command-line recipients, rewritten, after those from -t. */
	for (i = 0; i < o->nrcpt; i++) {
		if ((ex = submit_canon(c, "recipient_canonical_maps",
		    "canonical_maps", o->rcpt[i], &one, e)) != EX_OK)
			goto out;
		if (buf_add(&rcpt, one.s, one.len + 1) == -1) {
			ex = mail_err_errno(e, errno, "recipients");
			goto out;
		}
		n++;
	}
	if (n == 0) {
		ex = mail_err_set(e, EX_USAGE, "5.5.1", "no recipients");
		goto out;
	}
	if ((rv = calloc(n, sizeof *rv)) == NULL) {
		ex = mail_err_errno(e, errno, "memory");
		goto out;
	}
	for (i = k = 0; i < n; i++, k += strlen(rcpt.s + k) + 1)
		rv[i] = rcpt.s + k;
	if ((ex = dsn_of(o, n, &dsn, &notify, envid, sizeof envid, e)) ==
	    EX_OK && (ex = queue_init(dir, e)) == EX_OK)
		ex = queue_enqueue_dsn(dir, buf_str(&snd), rv, n, &dsn,
		    buf_str(&out), out.len, (long long)time(NULL), id, e);
	/* Whatever kept it out of the queue may pass: never a lost message. */
	if (ex != EX_OK) {
		(void)str_copy(why, sizeof why, e->text);
		ex = mail_err_set(e, EX_TEMPFAIL, "4.3.0", "%s", why);
	}
	if (ex == EX_OK)
		log_info("%s: from=<%s>, size=%zu, nrcpt=%zu (queue active)",
		    id, buf_str(&snd), out.len, n);
out:
	free(rv);
	free(notify);
	buf_free(&msg);
	buf_free(&out);
	buf_free(&rcpt);
	buf_free(&snd);
	buf_free(&one);
	return ex;
}
