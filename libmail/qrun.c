/* SPDX-License-Identifier: ISC */
/*
 * qrun - deliver what waits in the queue, through the other programs of
 * the path under the hand-off contract (DESIGN.md): the message on stdin
 * (the queue file itself, positioned at the message), the envelope as
 * arguments, the result as a sysexits code with the reason on the first
 * line of stderr.  mda-deliver gets one recipient per run, so each has
 * its own result; smtp-send gets all remote recipients of a message at
 * once and prints one result line per recipient.
 *
 * A recipient's state is written to the queue file (queue_update) before
 * the next message is looked at; a crash between a delivery and that
 * write means the recipient is tried again (at least once, never lost).
 *
 * Trusts the queue file only after queue.c checked it; trusts the
 * children's output only as far as it parses (an unknown line is ignored,
 * a missing one makes the recipient deferred).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "local.h"
#include "log.h"
#include "qrun.h"
#include "queue.h"
#include "str.h"
#include "submit.h"

#ifndef PATH_MAX
#define PATH_MAX	4096
#endif

#define OUT_MAX		(1 << 20)	/* a child's stdout we keep */
#define ERR_MAX		8192		/* a child's stderr we keep */
#define ARGV_MAX	(QUEUE_RCPT_MAX + 8)
#define QRUN_ROUNDS	4		/* of a pass, for new messages */
#define QRUN_FWD_MAX	16		/* copies sent on at once */
#define QRUN_BATCH	64		/* messages whose appends are made */
#define QRUN_BATCH_BYTES (32 << 20)	/* ... together, at most */

/* qrun_backoff - Postfix's next attempt time */
long long
qrun_backoff(long long arrival, long long now, long long min, long long max)
{
	long long	d = now - arrival;

	if (d > max)
		d = max;
	if (d < min)
		d = min;
	return now + d;
}

/* drain - read what fd has into b (bounded: the rest is dropped); 0 at EOF */
static int
drain(int fd, struct buf *b)
{
	char	tmp[4096];
	ssize_t	n;

	if ((n = read(fd, tmp, sizeof tmp)) == -1)
		return errno == EINTR || errno == EAGAIN ? 1 : 0;
	if (n > 0 && b->len + (size_t)n <= b->max)
		(void)buf_add(b, tmp, (size_t)n);
	return n > 0;
}

/*
 * run - argv with the queue file (from offset off) on stdin; its stdout
 * into out, its stderr into err.  The exit status; EX_TEMPFAIL (err says
 * why) when it could not be run or was killed.
 */
static int
run(char *const *argv, const char *path, size_t off, struct buf *out,
    struct buf *err)
{
	struct pollfd	pfd[2];
	int		po[2] = { -1, -1 }, pe[2] = { -1, -1 }, in, st, open_;
	pid_t		pid;

	if ((in = open(path, O_RDONLY)) == -1 ||
	    lseek(in, (off_t)off, SEEK_SET) == -1 || pipe(po) == -1 ||
	    pipe(pe) == -1 || (pid = fork()) == -1) {
		(void)buf_printf(err, "4.3.0 cannot run %s: %s", argv[0],
		    strerror(errno));
		if (in != -1)
			close(in);
		if (po[0] != -1) {
			close(po[0]);
			close(po[1]);
		}
		if (pe[0] != -1) {
			close(pe[0]);
			close(pe[1]);
		}
		return EX_TEMPFAIL;
	}
	if (pid == 0) {
		if (dup2(in, 0) == -1 || dup2(po[1], 1) == -1 ||
		    dup2(pe[1], 2) == -1)
			_exit(EX_TEMPFAIL);
		closefrom(3);
		execv(argv[0], argv);
		dprintf(2, "4.3.0 cannot run %s: %s\n", argv[0],
		    strerror(errno));
		_exit(EX_TEMPFAIL);
	}
	close(in);
	close(po[1]);
	close(pe[1]);
	pfd[0].fd = po[0];
	pfd[1].fd = pe[0];
	pfd[0].events = pfd[1].events = POLLIN;
	for (open_ = 2; open_ > 0;) {
		if (poll(pfd, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[0].revents && pfd[0].fd != -1 && !drain(po[0], out)) {
			pfd[0].fd = -1;
			open_--;
		}
		if (pfd[1].revents && pfd[1].fd != -1 && !drain(pe[0], err)) {
			pfd[1].fd = -1;
			open_--;
		}
	}
	close(po[0]);
	close(pe[0]);
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR)
			return EX_TEMPFAIL;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	buf_reset(err);
	(void)buf_printf(err, "4.3.0 %s killed by signal %d", argv[0],
	    WTERMSIG(st));
	return EX_TEMPFAIL;
}

/* is_enh - s starts with an enhanced status code "d.d.d " */
static size_t
is_enh(const char *s)
{
	size_t	n = strspn(s, "0123456789.");

	if (n < 5 || n > 11 || (s[0] != '2' && s[0] != '4' && s[0] != '5') ||
	    s[1] != '.' || (s[n] != ' ' && s[n] != '\0'))
		return 0;
	return n;
}

/* result - set a recipient's state from an exit code and a reason line */
static void
result(struct queue_rcpt *r, int state, const char *dsn, const char *text)
{
	char	*t;

	r->state = state;
	(void)str_copy(r->dsn, sizeof r->dsn, dsn);
	if ((t = str_dup(text)) != NULL) {
		free(r->reason);
		r->reason = t;
	}
}

/* from_exit - state, dsn and reason for a recipient from ex and err */
static void
from_exit(struct queue_rcpt *r, int ex, struct buf *err)
{
	char		*nl, dsn[16];
	const char	*text;
	size_t		 n;
	int		 state;

	if (err->s != NULL && (nl = strchr(err->s, '\n')) != NULL)
		*nl = '\0';
	text = buf_str(err);
	state = ex == EX_OK ? QUEUE_SENT : exitcode_is_temp(ex) ||
	    ex == EX_CONFIG ? QUEUE_DEFERRED : QUEUE_BOUNCED;
	if ((n = is_enh(text)) > 0 && n < sizeof dsn) {
		memcpy(dsn, text, n);
		dsn[n] = '\0';
		text += n + (text[n] == ' ');
		/* The class follows the exit status, whatever the text says. */
		dsn[0] = state == QUEUE_SENT ? '2' :
		    state == QUEUE_DEFERRED ? '4' : '5';
	} else {
		(void)str_copy(dsn, sizeof dsn, state == QUEUE_SENT ? "2.0.0" :
		    exitcode_enh(ex));
		if (*text == '\0')
			text = state == QUEUE_SENT ? "delivered" :
			    exitcode_text(ex);
	}
	result(r, state, dsn, text);
}

/* domain_local - the recipient's domain is in mydestination */
static int
domain_local(const struct mail_conf *c, const char *rcpt)
{
	const char	*at = strrchr(rcpt, '@');

	return at == NULL || conf_in_list(c, "mydestination", at + 1);
}

/* program - the path of a helper from its parameter */
static const char *
program(const struct mail_conf *c, const char *param, const char *def)
{
	const char	*v = conf_get(c, param);

	return v != NULL && *v != '\0' ? v : def;
}

/* args - the common start of a helper's argv; the count */
static size_t
args(const struct mail_conf *c, const char **av, const char *prog,
    const char *sender)
{
	size_t	n = 0;

	av[n++] = prog;
	if (conf_file(c) != NULL) {
		av[n++] = "-C";
		av[n++] = conf_file(c);
	}
	av[n++] = "-f";
	av[n++] = sender;
	av[n++] = "--";
	return n;
}

/* transport_error - bounce remote recipients on a local-only system */
static void
transport_error(struct queue_msg *m, size_t *due, size_t n, char **relay)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		result(&m->rcpt[due[i]], QUEUE_BOUNCED, "5.4.4", "mail for "
		    "remote domains is not delivered from this system "
		    "(default_transport = error)");
		relay[due[i]] = str_dup("none");
	}
}

/* remote - one smtp-send run for the remote recipients in due[] */
static void
remote(const struct mail_conf *c, struct queue_msg *m, const char *path,
    size_t *due, size_t n, char **relay)
{
	const char	*av[ARGV_MAX + 1];
	struct buf	 out = BUF_INIT(OUT_MAX), err = BUF_INIT(ERR_MAX);
	char		*line, *next, *f[5];
	size_t		 k, i, j;
	int		 ex, got, state;

	k = args(c, av, program(c, "smtp_send_program",
	    MAILPATH_BINDIR "/smtp-send"), m->sender);
	for (i = 0; i < n && k < ARGV_MAX; i++)
		av[k++] = m->rcpt[due[i]].addr;
	av[k] = NULL;
	ex = run((char *const *)av, path, m->body, &out, &err);
	got = 0;
	for (line = out.s; line != NULL && *line; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		for (j = 0, f[0] = line; j < 4 && f[j] != NULL; j++)
			if ((f[j + 1] = strchr(f[j], '\t')) != NULL)
				*f[j + 1]++ = '\0';
		if (j < 4 || f[4] == NULL)
			continue;
		state = strcmp(f[2], "sent") == 0 ? QUEUE_SENT :
		    strcmp(f[2], "bounced") == 0 ? QUEUE_BOUNCED :
		    QUEUE_DEFERRED;
		for (i = 0; i < n; i++)
			if (strcmp(m->rcpt[due[i]].addr, f[0]) == 0 &&
			    relay[due[i]] == NULL) {
				result(&m->rcpt[due[i]], state, f[1], f[3]);
				relay[due[i]] = str_dup(f[4]);
				got++;
				break;
			}
	}
	/* No line for a recipient: the whole run failed; its reason. */
	for (i = 0; i < n; i++)
		if (relay[due[i]] == NULL) {
			from_exit(&m->rcpt[due[i]], ex == EX_OK ? EX_TEMPFAIL :
			    ex, &err);
			relay[due[i]] = str_dup("none");
		}
	buf_free(&out);
	buf_free(&err);
}

/*
 * forwarded - the queue ids of the copies mda-deliver queued for remote
 * alias targets, from its log lines on stderr ("NAME: forwarded to
 * <ADDR> as ID"), added to fwd (QRUN_FWD_MAX at most, the rest wait for
 * the next queue run).
 */
static void
forwarded(const char *err, char (*fwd)[QUEUE_ID_MAX], size_t *nfwd)
{
	const char	*p, *id;
	size_t		 n;

	for (p = err; p != NULL && (p = strstr(p, ": forwarded to <")) != NULL;
	    p = id) {
		if ((id = strstr(p, "> as ")) == NULL)
			break;
		id += 5;
		n = strspn(id, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz");
		if (n > 0 && n < QUEUE_ID_MAX && *nfwd < QRUN_FWD_MAX &&
		    (id[n] == '\n' || id[n] == '\0')) {
			memcpy(fwd[*nfwd], id, n);
			fwd[(*nfwd)++][n] = '\0';
		}
	}
}

/* local - one mda-deliver run per local recipient */
static void
local(const struct mail_conf *c, struct queue_msg *m, const char *path,
    size_t i, char **relay, char (*fwd)[QUEUE_ID_MAX], size_t *nfwd)
{
	const char	*av[10];
	struct buf	 out = BUF_INIT(ERR_MAX), err = BUF_INIT(ERR_MAX);
	size_t		 k;
	int		 ex;

	k = args(c, av, program(c, "mda_deliver_program",
	    MAILPATH_BINDIR "/mda-deliver"), m->sender);
	av[k++] = m->rcpt[i].addr;
	av[k] = NULL;
	ex = run((char *const *)av, path, m->body, &out, &err);
	if (ex == EX_OK)
		forwarded(buf_str(&err), fwd, nfwd);
	from_exit(&m->rcpt[i], ex, &err);
	relay[i] = str_dup("local");
	buf_free(&out);
	buf_free(&err);
}

/* rfc5322_date - now as a Date: value */
static void
rfc5322_date(long long when, char *out, size_t size)
{
	time_t		t = (time_t)when;
	struct tm	tm;

	localtime_r(&t, &tm);
	if (strftime(out, size, "%a, %d %b %Y %H:%M:%S %z", &tm) == 0)
		out[0] = '\0';
}

/* hexval - an upper-case hex digit's value (xtext's), or -1 */
static int
hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/*
 * xtext - an RFC 3461 xtext value decoded into out (size n): "+XX" is the
 * byte XX.  A value that does not decode into printable ASCII is kept as
 * it came (it was checked as xtext when it was received).
 */
static const char *
xtext(const char *in, char *out, size_t n)
{
	const char	*orig = in;
	size_t		 i = 0;
	int		 hi, lo;

	for (; *in != '\0' && i + 1 < n; in++) {
		if (*in != '+') {
			out[i++] = *in;
			continue;
		}
		if ((hi = hexval(in[1])) < 0 || (lo = hexval(in[2])) < 0 ||
		    hi * 16 + lo < 0x21 || hi * 16 + lo > 0x7e)
			return orig;
		out[i++] = (char)(hi * 16 + lo);
		in += 2;
	}
	out[i] = '\0';
	return *in == '\0' ? out : orig;
}

static const char *const subject[] = {
	"Undelivered Mail Returned to Sender",
	"Delayed Mail (still being retried)",
	"Successful Mail Delivery Report"
};

/* intro - the human-readable part's first paragraph */
static int
intro(const struct qrun_report *r, struct buf *b)
{
	char	udate[64];

	switch (r->kind) {
	case QRUN_DELAYED:
		rfc5322_date(r->until, udate, sizeof udate);
		return buf_printf(b, "##################################"
		    "##################################\n# THIS IS A WARNING "
		    "ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #\n#######"
		    "##############################################"
		    "###############\n\nYour message could not be delivered for "
		    "%lld minute(s).\nIt will be retried until %s.\n\n",
		    (r->now - r->arrival) / 60, udate);
	case QRUN_SUCCESS:
		return buf_adds(b, "Your message was successfully delivered "
		    "to the destination(s)\nlisted below. If the message was "
		    "delivered to mailbox you will\nreceive no further "
		    "notifications. Otherwise you may still receive\n"
		    "notifications of mail delivery errors from other "
		    "systems.\n\n");
	default:
		return buf_adds(b, "I'm sorry to have to inform you that "
		    "your message could not\nbe delivered to one or more "
		    "recipients.\n\n");
	}
}

/* fields - the delivery-status part's per-recipient fields */
static int
fields(const struct qrun_report *r, size_t i, struct buf *b)
{
	char		 udate[64], dec[600];
	const char	*action;

	if (buf_printf(b, "\nFinal-Recipient: rfc822; %s\n", r->rcpt[i]) == -1)
		return -1;
	if (r->orcpt != NULL && r->orcpt[i] != NULL &&
	    buf_printf(b, "Original-Recipient: %s\n", xtext(r->orcpt[i], dec,
	    sizeof dec)) == -1)
		return -1;
	action = r->kind == QRUN_FAILED ? "failed" : r->kind == QRUN_DELAYED ?
	    "delayed" : r->relay != NULL && r->relay[i] != NULL &&
	    strcmp(r->relay[i], "local") != 0 ? "relayed" : "delivered";
	if (buf_printf(b, "Action: %s\nStatus: %s\n", action, r->dsn[i]) == -1)
		return -1;
	if (r->kind == QRUN_SUCCESS && strcmp(action, "relayed") == 0 &&
	    buf_printf(b, "Remote-MTA: dns; %s\n", r->relay[i]) == -1)
		return -1;
	if (buf_printf(b, "Diagnostic-Code: X-mailpath; %s\n", r->reason[i]) ==
	    -1)
		return -1;
	if (r->kind != QRUN_DELAYED)
		return 0;
	rfc5322_date(r->until, udate, sizeof udate);
	return buf_printf(b, "Will-Retry-Until: %s\n", udate) == -1 ? -1 : 0;
}

/* qrun_report_text - the RFC 3464 report */
int
qrun_report_text(const struct mail_conf *c, const struct qrun_report *r,
    struct buf *b)
{
	const char	*host = conf_get(c, "myhostname"), *hend;
	const char	*msg = r->msg;
	char		 date[64], adate[64], dec[200];
	size_t		 i, len = r->len;
	int		 full;

	rfc5322_date(r->now, date, sizeof date);
	rfc5322_date(r->arrival, adate, sizeof adate);
	/* The original header: up to the first empty line. */
	if (len >= 1 && msg[0] == '\n')
		hend = msg;
	else if ((hend = memmem(msg, len, "\n\n", 2)) != NULL)
		hend++;
	else
		hend = msg + len;
	full = r->kind == QRUN_FAILED && r->ret == QUEUE_RET_FULL &&
	    (r->size_limit == 0 || len <= r->size_limit);
	if (buf_printf(b, "From: MAILER-DAEMON@%s (Mail Delivery System)\n"
	    "To: <%s>\nSubject: %s\n"
	    "Date: %s\nMessage-ID: <%s.%lld@%s>\nAuto-Submitted: "
	    "auto-replied\nMIME-Version: 1.0\nContent-Type: multipart/report; "
	    "report-type=delivery-status;\n\tboundary=\"%s.%lld/%s\"\n\n"
	    "This is a MIME-encapsulated message.\n\n--%s.%lld/%s\n"
	    "Content-Description: Notification\nContent-Type: text/plain; "
	    "charset=utf-8\n\nThis is the mail system at host %s.\n\n",
	    host, r->to, r->kind == QRUN_FAILED &&
	    strcmp(r->to, "postmaster") == 0 ?
	    "Postmaster Copy: Undelivered Mail" : subject[r->kind], date,
	    r->id, r->now, host, r->id, r->now, host, r->id, r->now, host,
	    host) == -1 || intro(r, b) == -1)
		return -1;
	for (i = 0; i < r->n; i++)
		if (buf_printf(b, "<%s>: %s\n", r->rcpt[i], r->reason[i]) == -1)
			return -1;
	if (buf_printf(b, "\n--%s.%lld/%s\nContent-Description: Delivery "
	    "report\nContent-Type: message/delivery-status\n\n"
	    "Reporting-MTA: dns; %s\nX-Mailpath-Queue-ID: %s\n", r->id, r->now,
	    host, host, r->id) == -1)
		return -1;
	if (r->envid != NULL && buf_printf(b, "Original-Envelope-Id: %s\n",
	    xtext(r->envid, dec, sizeof dec)) == -1)
		return -1;
	if (buf_printf(b, "Arrival-Date: %s\n", adate) == -1)
		return -1;
	for (i = 0; i < r->n; i++)
		if (fields(r, i, b) == -1)
			return -1;
	if (full) {
		if (buf_printf(b, "\n--%s.%lld/%s\nContent-Description: "
		    "Undelivered Message\nContent-Type: message/rfc822\n\n",
		    r->id, r->now, host) == -1 || buf_add(b, msg, len) == -1 ||
		    (len > 0 && msg[len - 1] != '\n' && buf_addc(b, '\n') == -1))
			return -1;
	} else if (buf_printf(b, "\n--%s.%lld/%s\nContent-Description: %s\n"
	    "Content-Type: text/rfc822-headers\n\n", r->id, r->now, host,
	    r->kind == QRUN_SUCCESS ? "Message Headers" :
	    "Undelivered Message Headers") == -1 ||
	    buf_add(b, msg, (size_t)(hend - msg)) == -1)
		return -1;
	return buf_printf(b, "\n--%s.%lld/%s--\n", r->id, r->now, host) == -1 ?
	    -1 : 0;
}

/*
 * wants - the recipient asked for this kind of report (a QUEUE_NOTIFY_
 * bit); without NOTIFY, RFC 3461 4.1: FAILURE and DELAY
 */
static int
wants(const struct queue_rcpt *r, int bit)
{
	if (r->notify == 0)
		return bit != QUEUE_NOTIFY_SUCCESS;
	return (r->notify & bit) != 0;
}

/* is_postmaster - the address is postmaster, bare or in a domain */
static int
is_postmaster(const char *a)
{
	return strncasecmp(a, "postmaster", 10) == 0 &&
	    (a[10] == '\0' || a[10] == '@');
}

/*
 * bounce - queue a report of kind (QRUN_*) to to about the recipients
 * marked in newly; until: for a delay warning.  bid gets its queue id.
 */
static int
bounce(const struct mail_conf *c, const struct queue_msg *m, int kind,
    const char *newly, char *const *relay, long long now, long long until,
    const char *to, char *bid)
{
	struct qrun_report r;
	struct buf	 b = BUF_INIT((size_t)1 << 31);
	struct mail_err	 e;
	char		**rv, **dv, **wv, **ov, **lv, *tov[1];
	long long	 lim;
	size_t		 i, n = 0;
	int		 ex = EX_TEMPFAIL;

	rv = calloc(m->nrcpt, sizeof *rv);
	dv = calloc(m->nrcpt, sizeof *dv);
	wv = calloc(m->nrcpt, sizeof *wv);
	ov = calloc(m->nrcpt, sizeof *ov);
	lv = calloc(m->nrcpt, sizeof *lv);
	if (rv != NULL && dv != NULL && wv != NULL && ov != NULL && lv != NULL) {
		for (i = 0; i < m->nrcpt; i++)
			if (newly[i]) {
				rv[n] = m->rcpt[i].addr;
				dv[n] = (char *)m->rcpt[i].dsn;
				ov[n] = m->rcpt[i].orcpt;
				lv[n] = relay != NULL ? relay[i] : NULL;
				wv[n++] = m->rcpt[i].reason;
			}
		memset(&r, 0, sizeof r);
		r.kind = kind;
		r.id = m->id;
		r.to = to;
		r.envid = m->envid;
		r.ret = m->ret;
		r.arrival = m->arrival;
		r.now = now;
		r.until = until;
		r.msg = m->file.s + m->body;
		r.len = m->size;
		r.size_limit = conf_get_num(c, "bounce_size_limit", &lim, &e) ==
		    EX_OK && lim > 0 ? (size_t)lim : 0;
		r.rcpt = rv;
		r.dsn = dv;
		r.reason = wv;
		r.orcpt = ov;
		r.relay = lv;
		r.n = n;
		tov[0] = (char *)to;
		if (qrun_report_text(c, &r, &b) == 0)
			ex = queue_enqueue(conf_get(c, "queue_directory"), "",
			    tov, 1, b.s, b.len, now, bid, &e);
		if (ex == EX_OK)
			log_info("%s: %s %s notification: %s", m->id,
			    *m->sender ? "sender" : "postmaster",
			    kind == QRUN_DELAYED ? "delay" :
			    kind == QRUN_SUCCESS ? "delivery status" :
			    "non-delivery", bid);
		else
			log_error("%s: cannot queue a bounce: %s", m->id,
			    ex == EX_TEMPFAIL ? "out of memory" : e.text);
	}
	free(rv);
	free(dv);
	free(wv);
	free(ov);
	free(lv);
	buf_free(&b);
	return ex;
}

/*
 * An attempt on one message, in two halves: begin() opens (and locks) the
 * queue file and starts the deliveries (remote ones are made at once,
 * local ones join the batch), finish() writes the outcome after the
 * batch's commit.  Between the two the message stays locked.
 */
struct attempt {
	struct queue_msg m;
	char		 path[PATH_MAX];
	char		 fwd[QRUN_FWD_MAX][QUEUE_ID_MAX];
	char		**relay;
	char		*newly;
	size_t		*due, nd, nr, nfwd;
	size_t		*lrc, nl, lcur;	/* the local recipients in the batch */
	long long	 life, min, max, warn, now;
	int		 flags;
};

/* attempt_free - what begin() took */
static void
attempt_free(struct attempt *t)
{
	size_t	i;

	for (i = 0; t->relay != NULL && i < t->nr; i++)
		free(t->relay[i]);
	queue_close(&t->m);
	free(t->relay);
	free(t->due);
	free(t->newly);
	free(t->lrc);
	t->relay = NULL;
	t->due = t->lrc = NULL;
	t->newly = NULL;
}

/*
 * local_done - the batch's report on one local recipient; "forwarded as
 * ID ..." names the copies queued for remote alias targets
 */
static void
local_done(void *arg, const char *rcpt, const struct mail_err *e)
{
	struct attempt	*t = arg;
	struct buf	 err = BUF_INIT(ERR_MAX);
	const char	*p;
	size_t		 i, n;

	(void)rcpt;
	if (t->lcur >= t->nl)
		return;
	i = t->lrc[t->lcur++];
	if (e->ex != EX_OK)
		(void)buf_printf(&err, "%s %s", e->enh, e->text);
	else if (strncmp(e->text, "forwarded as ", 13) == 0 &&
	    buf_printf(&err, "%s", e->text) != -1)
		for (p = e->text + 13; *p; p += n + (p[n] == ' ')) {
			n = strcspn(p, " ");
			if (n > 0 && n < QUEUE_ID_MAX &&
			    t->nfwd < QRUN_FWD_MAX) {
				memcpy(t->fwd[t->nfwd], p, n);
				t->fwd[t->nfwd++][n] = '\0';
			}
		}
	from_exit(&t->m.rcpt[i], e->ex, &err);
	t->relay[i] = str_dup("local");
	buf_free(&err);
}

/*
 * begin - open id and start its deliveries; local ones join b, or go to
 * mda_deliver_program when that is set.  EX_OK, or why not (then there
 * is nothing to finish).
 */
static int
begin(const struct mail_conf *c, const char *id, int flags, long long now,
    struct qrun_stats *st, struct local_batch *b, struct attempt *t,
    struct mail_err *e)
{
	const char	*dir = conf_get(c, "queue_directory");
	const char	*prog = conf_get(c, "mda_deliver_program");
	char		**lr = NULL;
	size_t		 i;
	int		 ex;

	memset(t, 0, sizeof *t);
	t->flags = flags;
	t->now = now;
	if ((ex = queue_open(dir, id, 1, &t->m, e)) != EX_OK) {
		if (ex == EX_DATAERR && st != NULL)
			st->corrupt++;
		queue_close(&t->m);
		return ex;
	}
	t->nr = t->m.nrcpt;
	if ((ex = conf_get_time(c, *t->m.sender ? "maximal_queue_lifetime" :
	    "bounce_queue_lifetime", 's', &t->life, e)) != EX_OK ||
	    (ex = conf_get_time(c, "minimal_backoff_time", 's', &t->min, e)) !=
	    EX_OK ||
	    (ex = conf_get_time(c, "maximal_backoff_time", 's', &t->max, e)) !=
	    EX_OK ||
	    (ex = conf_get_time(c, "delay_warning_time", 'h', &t->warn, e)) !=
	    EX_OK)
		goto fail;
	if (queue_path(t->path, sizeof t->path, dir, "queue", id) == -1 ||
	    (t->due = calloc(t->nr, sizeof *t->due)) == NULL ||
	    (t->lrc = calloc(t->nr, sizeof *t->lrc)) == NULL ||
	    (lr = calloc(t->nr + 1, sizeof *lr)) == NULL ||
	    (t->relay = calloc(t->nr, sizeof *t->relay)) == NULL ||
	    (t->newly = calloc(t->nr, 1)) == NULL) {
		ex = mail_err_errno(e, ENOMEM, "%s", id);
		goto fail;
	}
	if (st != NULL)
		st->messages++;
	for (i = 0; i < t->nr; i++) {
		if (!queue_live(&t->m.rcpt[i]) || (!(flags & QRUN_FORCE) &&
		    t->m.rcpt[i].state == QUEUE_DEFERRED &&
		    t->m.rcpt[i].next > now))
			continue;
		if (!domain_local(c, t->m.rcpt[i].addr))
			t->due[t->nd++] = i;
		else if (prog != NULL && *prog != '\0')
			local(c, &t->m, t->path, i, t->relay, t->fwd, &t->nfwd);
		else {
			lr[t->nl] = t->m.rcpt[i].addr;
			t->lrc[t->nl++] = i;
		}
	}
	/* All local recipients of the message at once, in the batch. */
	if (t->nl > 0 && local_batch_add(b, t->m.sender, lr, (int)t->nl,
	    t->m.file.s + t->m.body, t->m.size, local_done, t, e) != EX_OK) {
		for (i = 0; i < t->nl; i++) {
			result(&t->m.rcpt[t->lrc[i]], QUEUE_DEFERRED, "4.3.0",
			    e->text);
			t->relay[t->lrc[i]] = str_dup("local");
		}
		t->nl = 0;
	}
	free(lr);
	if (t->nd > 0 && (prog = conf_get(c, "default_transport")) != NULL &&
	    strcmp(prog, "error") == 0)
		transport_error(&t->m, t->due, t->nd, t->relay);
	else if (t->nd > 0)
		remote(c, &t->m, t->path, t->due, t->nd, t->relay);
	return EX_OK;
fail:
	free(lr);
	attempt_free(t);
	return ex;
}

/* finish - the outcome of an attempt: log, bounces, the queue file */
static int
finish(const struct mail_conf *c, struct attempt *t, struct qrun_stats *st,
    struct mail_err *e)
{
	const char	*dir = conf_get(c, "queue_directory");
	struct queue_msg *m = &t->m;
	struct mail_err	 e2;
	char		 bid[QUEUE_ID_MAX], wid[QUEUE_ID_MAX], sid[QUEUE_ID_MAX];
	char		*newly = t->newly, **relay = t->relay;
	long long	 now = t->now;
	size_t		 i;
	int		 ex, nb = 0;

	bid[0] = wid[0] = sid[0] = '\0';
	for (i = 0; i < m->nrcpt; i++) {
		if (relay[i] == NULL)
			continue;
		if (m->rcpt[i].state == QUEUE_DEFERRED) {
			if (now - m->arrival >= t->life) {
				m->rcpt[i].state = QUEUE_BOUNCED;
				m->rcpt[i].dsn[0] = '5';
				newly[i] = 2;	/* expired */
			} else
				m->rcpt[i].next = qrun_backoff(m->arrival, now,
				    t->min, t->max);
		}
		if (m->rcpt[i].state == QUEUE_BOUNCED) {
			newly[i] |= 1;
			nb++;
		}
		log_info("%s: to=<%s>, relay=%s, delay=%lld, dsn=%s, "
		    "status=%s (%s)", m->id, m->rcpt[i].addr, relay[i],
		    now - m->arrival, m->rcpt[i].dsn,
		    m->rcpt[i].state == QUEUE_SENT ? "sent" :
		    m->rcpt[i].state == QUEUE_BOUNCED ? (newly[i] & 2 ?
		    "expired" : "bounced") : "deferred", m->rcpt[i].reason);
		if (st != NULL) {
			if (m->rcpt[i].state == QUEUE_SENT)
				st->sent++;
			else if (m->rcpt[i].state == QUEUE_BOUNCED)
				st->bounced++;
			else
				st->deferred++;
		}
	}
	/*
	 * The bounce is queued before the recipients are marked done in the
	 * original, so a crash in between sends it twice, never not at all.
	 * Never a bounce for a bounce (null sender): the postmaster gets
	 * that report instead, but never one about mail to the postmaster.
	 */
	for (i = 0; i < m->nrcpt; i++)
		if (newly[i] && !wants(&m->rcpt[i], QUEUE_NOTIFY_FAILURE)) {
			log_info("%s: to=<%s>: no non-delivery notification "
			    "(DSN NOTIFY)", m->id, m->rcpt[i].addr);
			newly[i] = 0;
			nb--;
		}
	if (*m->sender == '\0')
		for (i = 0; i < m->nrcpt; i++)
			if (newly[i] && is_postmaster(m->rcpt[i].addr)) {
				/* The end of the line: no report about it. */
				log_warn("%s: undeliverable postmaster "
				    "notification discarded", m->id);
				newly[i] = 0;
				nb--;
			}
	if (nb > 0 && bounce(c, m, QRUN_FAILED, newly, NULL, now, 0,
	    *m->sender ? m->sender : "postmaster", bid) != EX_OK) {
		for (i = 0; i < m->nrcpt; i++)
			if (newly[i]) {
				/* Try the report again later. */
				m->rcpt[i].state = QUEUE_DEFERRED;
				m->rcpt[i].next = qrun_backoff(m->arrival, now,
				    t->min, t->max);
			}
	}
	/*
	 * A delay warning, once per message (delay_warning_time, as in
	 * Postfix): to the sender, never to the null sender, about the
	 * recipients still deferred once the message is that old.  It is
	 * queued before the file says so, so a crash may send it twice.
	 */
	if (t->warn > 0 && m->warned == 0 && *m->sender != '\0' &&
	    now - m->arrival >= t->warn) {
		memset(newly, 0, m->nrcpt);
		for (i = 0, nb = 0; i < m->nrcpt; i++)
			if (m->rcpt[i].state == QUEUE_DEFERRED &&
			    wants(&m->rcpt[i], QUEUE_NOTIFY_DELAY)) {
				newly[i] = 1;
				nb++;
			}
		if (nb > 0 && bounce(c, m, QRUN_DELAYED, newly, NULL, now,
		    m->arrival + t->life, m->sender, wid) == EX_OK)
			m->warned = now;
	}
	/*
	 * A success report (DSN NOTIFY=SUCCESS) for the recipients delivered
	 * now: "delivered" into a local mailbox, "relayed" to a next hop,
	 * which smtp-send cannot ask for DSN (libcurl has no DSN).
	 */
	memset(newly, 0, m->nrcpt);
	for (i = 0, nb = 0; *m->sender != '\0' && i < m->nrcpt; i++)
		if (relay[i] != NULL && m->rcpt[i].state == QUEUE_SENT &&
		    wants(&m->rcpt[i], QUEUE_NOTIFY_SUCCESS)) {
			newly[i] = 1;
			nb++;
		}
	if (nb > 0)
		(void)bounce(c, m, QRUN_SUCCESS, newly, relay, now, 0,
		    m->sender, sid);
	for (i = 0; i < m->nrcpt && !queue_live(&m->rcpt[i]); i++)
		;
	if ((ex = queue_update(dir, m, e)) == EX_OK && i == m->nrcpt)
		log_info("%s: removed", m->id);
	attempt_free(t);
	/* The report goes out in the same pass. */
	if (ex == EX_OK && sid[0] != '\0')
		(void)qrun_message(c, sid, t->flags, now, st, &e2);
	if (ex == EX_OK && bid[0] != '\0')
		(void)qrun_message(c, bid, t->flags, now, st, &e2);
	if (ex == EX_OK && wid[0] != '\0')
		(void)qrun_message(c, wid, t->flags, now, st, &e2);
	/* So do the copies for remote alias targets, as in Postfix. */
	for (i = 0; ex == EX_OK && i < t->nfwd; i++)
		(void)qrun_message(c, t->fwd[i], t->flags, now, st, &e2);
	return ex;
}

/* qrun_message - one delivery attempt for one message */
int
qrun_message(const struct mail_conf *c, const char *id, int flags,
    long long now, struct qrun_stats *st, struct mail_err *e)
{
	struct local_batch	*b;
	struct attempt		*t;
	int			 ex;

	if ((b = local_batch_new(c)) == NULL ||
	    (t = malloc(sizeof *t)) == NULL) {
		local_batch_free(b);
		return mail_err_errno(e, ENOMEM, "%s", id);
	}
	if ((ex = begin(c, id, flags, now, st, b, t, e)) == EX_OK) {
		local_batch_commit(b);
		ex = finish(c, t, st, e);
	}
	free(t);
	local_batch_free(b);
	return ex;
}

/* listed - id is in the sorted list old (n entries) */
static int
listed(char **old, size_t n, const char *id)
{
	size_t	lo = 0, hi = n, mid;
	int	cmp;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((cmp = strcmp(old[mid], id)) == 0)
			return 1;
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/*
 * batch - attempts on the next messages of ids[] from *i (not those in
 * old), up to QRUN_BATCH of them or QRUN_BATCH_BYTES of text, their
 * local deliveries committed together; how many were tried
 */
static size_t
batch(const struct mail_conf *c, char **ids, size_t n, size_t *i,
    char **old, size_t nold, int flags, struct qrun_stats *st,
    struct local_batch *b, struct attempt *t)
{
	struct mail_err	 e;
	size_t		 k = 0, j, bytes = 0, ran = 0;
	long long	 now = (long long)time(NULL);

	for (; *i < n && k < QRUN_BATCH && bytes < QRUN_BATCH_BYTES; (*i)++) {
		if (listed(old, nold, ids[*i]))
			continue;
		ran++;
		if (begin(c, ids[*i], flags, now, st, b, &t[k], &e) != EX_OK) {
			if (e.ex == EX_TEMPFAIL && e.text[0] != '\0')
				log_warn("%s", e.text);
			continue;
		}
		bytes += t[k++].m.size;
	}
	local_batch_commit(b);
	for (j = 0; j < k; j++)
		if (finish(c, &t[j], st, &e) == EX_TEMPFAIL &&
		    e.text[0] != '\0')
			log_warn("%s", e.text);
	return ran;
}

/*
 * qrun_pass - one attempt for each message in the queue.  Messages that
 * appear during the pass (a remote alias target queued anew by
 * mda-deliver) get theirs in a further round, without QRUN_FORCE, a few
 * rounds at most, so that a forwarding chain cannot keep it going.
 */
int
qrun_pass(const struct mail_conf *c, int flags, struct qrun_stats *st,
    struct mail_err *e)
{
	struct local_batch	*b;
	struct attempt		*t;
	char			**ids, **old = NULL;
	size_t			 n, i, nold = 0, ran = 1;
	int			 ex, round;

	if ((b = local_batch_new(c)) == NULL ||
	    (t = calloc(QRUN_BATCH, sizeof *t)) == NULL) {
		local_batch_free(b);
		return mail_err_errno(e, ENOMEM, "queue run");
	}
	for (round = 0; round < QRUN_ROUNDS && ran > 0; round++) {
		if ((ex = queue_list(conf_get(c, "queue_directory"), &ids, &n,
		    e)) != EX_OK) {
			queue_list_free(old);
			free(t);
			local_batch_free(b);
			return round == 0 ? ex : EX_OK;
		}
		for (i = 0, ran = 0; i < n; ) {
			ran += batch(c, ids, n, &i, old, nold, round == 0 ?
			    flags : flags & ~QRUN_FORCE, st, b, t);
		}
		queue_list_free(old);
		old = ids;
		nold = n;
	}
	queue_list_free(old);
	free(t);
	local_batch_free(b);
	return EX_OK;
}
