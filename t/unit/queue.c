/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for libmail/queue: a message goes in and comes back out the
 * same; a state update survives; every kind of damage to a file (each
 * length of truncation, a flipped byte anywhere, a bad record) is refused
 * and the file moved to corrupt/; locks keep a second reader out.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "qrun.h"
#include "queue.h"
#include "submit.h"
#include "str.h"
#include "tap.h"

static char	dir[] = "/tmp/queue-test.XXXXXX";

static int
exists(const char *sub, const char *id)
{
	char		path[4096];
	struct stat	st;

	if (queue_path(path, sizeof path, dir, sub, id) == -1)
		return 0;
	return stat(path, &st) == 0;
}

/* put - write bytes as queue/id */
static void
put(const char *id, const char *p, size_t n)
{
	char	path[4096];
	int	fd;

	if (queue_path(path, sizeof path, dir, "queue", id) == -1 ||
	    (fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    write(fd, p, n) != (ssize_t)n || close(fd) == -1)
		ok(0, "write %s: %s", id, strerror(errno));
}

/* the bad records: each made into a valid file except for the record */
static const struct {
	const char	*name, *rest;
} bad[] = {
	{ "no I record", "T 1\nS a\nR P 0 - b\t\nB\nx" },
	{ "empty id", "I \nT 1\nS a\nR P 0 - b\t\nB\nx" },
	{ "bad time", "I ID\nT x1\nS a\nR P 0 - b\t\nB\nx" },
	{ "no recipients", "I ID\nT 1\nS a\nB\nx" },
	{ "unknown state", "I ID\nT 1\nS a\nR X 0 - b\t\nB\nx" },
	{ "no tab", "I ID\nT 1\nS a\nR P 0 - b\nB\nx" },
	{ "empty recipient", "I ID\nT 1\nS a\nR P 0 - \t\nB\nx" },
	{ "no B record", "I ID\nT 1\nS a\nR P 0 - b\t\nx" },
	{ "id mismatch", "I OTHER\nT 1\nS a\nR P 0 - b\t\nB\nx" },
	{ "negative time", "I ID\nT -1\nS a\nR P 0 - b\t\nB\nx" },
	{ "W not a time", "I ID\nT 1\nS a\nW soon\nR P 0 - b\t\nB\nx" },
	{ "W zero", "I ID\nT 1\nS a\nW 0\nR P 0 - b\t\nB\nx" },
	{ "W after R", "I ID\nT 1\nS a\nR P 0 - b\t\nW 5\nB\nx" },
	{ "E unknown RET", "I ID\nT 1\nS a\nE X -\nR P 0 - b\t\nB\nx" },
	{ "E empty ENVID", "I ID\nT 1\nS a\nE F \nR P 0 - b\t\nB\nx" },
	{ "E after R", "I ID\nT 1\nS a\nR P 0 - b\t\nE F -\nB\nx" },
	{ "N unknown letter", "I ID\nT 1\nS a\nR P 0 - b\t\nN Q -\nB\nx" },
	{ "N letter twice", "I ID\nT 1\nS a\nR P 0 - b\t\nN FF -\nB\nx" },
	{ "N blank ORCPT", "I ID\nT 1\nS a\nR P 0 - b\t\nN F a b\nB\nx" },
	{ "N before any R", "I ID\nT 1\nS a\nN F -\nR P 0 - b\t\nB\nx" },
};

static unsigned long long
fnv(const char *p, size_t n)
{
	unsigned long long h = 14695981039346656037ULL;

	while (n-- > 0) {
		h ^= (unsigned char)*p++;
		h *= 1099511628211ULL;
	}
	return h;
}

/* header rewriting: input, -t, the header out (H: fixed Date, Message-ID) */
#define H	"Date: d\nMessage-ID: <m@x>\n"
static const struct {
	const char	*name, *in;
	int		 extract;
	const char	*out, *rcpt;	/* rcpt: NUL-separated as "a|b|" */
} rw[] = {
	{ "bare names qualified", "From: root\nTo: walter, Dude <dude>\n" H
	    "\nbody\n", 0, "From: root@example.test\nTo: walter@example.test, "
	    "Dude <dude@example.test>\n" H "\nbody\n", "" },
	{ "-t takes To, Cc, Bcc; Bcc removed", "From: a@b.test\nTo: x\n"
	    "Cc: y@z.test\nBcc: secret\n" H "\nb\n", 1, "From: a@b.test\n"
	    "To: x@example.test\nCc: y@z.test\n" H "\nb\n",
	    "x@example.test|y@z.test|secret@example.test|" },
	{ "a group is left alone", "From: a@b.test\nTo: undisclosed-"
	    "recipients:;\n" H "\n", 0, "From: a@b.test\nTo: undisclosed-"
	    "recipients:;\n" H "\n", "" },
	{ "a comment is kept", "From: root (Charlie Root)\n" H "\n", 0,
	    "From: root@example.test (Charlie Root)\n" H "\n", "" },
	{ "a quoted comma is no separator", "From: \"Lebowski, Jeff\" <dude>"
	    "\n" H "\n", 0, "From: \"Lebowski, Jeff\" <dude@example.test>\n"
	    H "\n", "" },
	{ "a folded header", "From: a@b.test\nTo: x,\n y\n" H "\n", 0,
	    "From: a@b.test\nTo: x@example.test,\n y@example.test\n" H "\n",
	    "" },
	{ "Resent-To yes, X-To no", "From: a@b.test\nResent-To: r\nX-To: "
	    "r\n" H "\n", 0, "From: a@b.test\nResent-To: r@example.test\n"
	    "X-To: r\n" H "\n", "" },
	{ "From: added from the sender", "Subject: s\n" H "\nb\n", 0,
	    "Subject: s\n" H "From: \"Walter S.\" <ws@example.test>\n\nb\n",
	    "" },
	{ "a header without an empty line after it", "Date: d\nMessage-ID: "
	    "<m@x>\nhello\n", 0, "Date: d\nMessage-ID: <m@x>\nFrom: "
	    "\"Walter S.\" <ws@example.test>\n\nhello\n", "" },
	{ "a From_ line is dropped", "From x Sat Jan  1 00:00:00 2000\n"
	    "From: a@b.test\n" H "\nb\n", 0, "From: a@b.test\n" H "\nb\n",
	    "" },
};

/* test_rewrite - submit_rewrite, table-driven */
static void
test_rewrite(void)
{
	struct mail_conf	*c;
	struct mail_err		 e;
	struct submit_opts	 o;
	struct buf		 out = BUF_INIT(1 << 20), rc = BUF_INIT(4096);
	char			 name[128];
	size_t			 i, n, k;

	if (conf_load(&c, "/dev/null", &e) != EX_OK) {
		ok(0, "conf_load: %s", e.text);
		return;
	}
	(void)conf_set(c, "myorigin", "example.test", &e);
	(void)conf_set(c, "myhostname", "mail.example.test", &e);
	(void)conf_set(c, "mydestination", "example.test", &e);
	memset(&o, 0, sizeof o);
	o.login = "ws";
	o.fullname = "Walter S.";
	for (i = 0; i < sizeof rw / sizeof rw[0]; i++) {
		buf_reset(&out);
		buf_reset(&rc);
		o.extract = rw[i].extract;
		is_int(submit_rewrite(c, &o, rw[i].in, strlen(rw[i].in), 0,
		    &out, &rc, &n, &e), EX_OK, rw[i].name);
		is_str(buf_str(&out), rw[i].out, rw[i].name);
		for (k = 0; k < rc.len; k++)
			if (rc.s[k] == '\0')
				rc.s[k] = '|';
		(void)snprintf(name, sizeof name, "%s: recipients",
		    rw[i].name);
		is_str(buf_str(&rc), rw[i].rcpt, name);
	}
	buf_reset(&out);
	(void)submit_rewrite(c, &o, "To: x\n\n", 7, 0, &out, &rc, &n, &e);
	ok(strstr(buf_str(&out), "\nDate: ") != NULL &&
	    strstr(buf_str(&out), "\nMessage-ID: <") != NULL &&
	    strstr(buf_str(&out), "@mail.example.test>\n") != NULL,
	    "Date: and Message-ID: are added");
	buf_reset(&out);
	is_int(submit_canon(c, "sender_canonical_maps", "canonical_maps",
	    "a b@c", &out, &e), EX_DATAERR, "a bad address: EX_DATAERR");
	buf_free(&out);
	buf_free(&rc);
	conf_free(c);
}

/* test_backoff - Postfix's backoff: the age, clamped */
static void
test_backoff(void)
{
	static const struct {
		long long arrival, now, want;
	} t[] = {
		{ 1000, 1000, 1300 },	/* new: the minimum */
		{ 1000, 1400, 1800 },	/* age 400 */
		{ 1000, 4000, 7000 },	/* age 3000 */
		{ 1000, 9000, 13000 },	/* age 8000: the maximum 4000 */
	};
	char	name[64];
	size_t	i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		(void)snprintf(name, sizeof name, "backoff at age %lld",
		    t[i].now - t[i].arrival);
		is_int(qrun_backoff(t[i].arrival, t[i].now, 300, 4000),
		    t[i].want, name);
	}
}

/* test_bounce - the report's parts */
static void
test_bounce(void)
{
	static const char msg[] = "Subject: hi\nFrom: a@b\n\nsecret body\n";
	char *const	 rc[] = { "x@y.test" }, *dsn[] = { "5.1.1" },
			 *why[] = { "550 5.1.1 no such user" };
	struct qrun_report r;
	struct mail_conf *c;
	struct mail_err	 e;
	struct buf	 b = BUF_INIT(1 << 20);
	const char	*s;

	if (conf_load(&c, "/dev/null", &e) != EX_OK)
		return;
	(void)conf_set(c, "myhostname", "mx.test", &e);
	memset(&r, 0, sizeof r);
	r.kind = QRUN_FAILED;
	r.id = "ID1";
	r.to = "a@b";
	r.msg = msg;
	r.len = sizeof msg - 1;
	r.rcpt = rc;
	r.dsn = dsn;
	r.reason = why;
	r.n = 1;
	is_int(qrun_report_text(c, &r, &b), 0, "bounce text");
	s = buf_str(&b);
	ok(strncmp(s, "From: MAILER-DAEMON@mx.test", 27) == 0, "from "
	    "MAILER-DAEMON");
	ok(strstr(s, "\nTo: <a@b>\n") != NULL, "to the sender");
	ok(strstr(s, "Content-Type: multipart/report; report-type="
	    "delivery-status;") != NULL, "multipart/report");
	ok(strstr(s, "\nFinal-Recipient: rfc822; x@y.test\nAction: failed\n"
	    "Status: 5.1.1\n") != NULL, "the recipient's fields");
	ok(strstr(s, "text/rfc822-headers\n\nSubject: hi\nFrom: a@b\n\n")
	    != NULL, "the original header");
	ok(strstr(s, "secret body") == NULL, "not the body");
	buf_reset(&b);
	r.kind = QRUN_DELAYED;
	r.now = 7200;
	r.until = 432000;
	is_int(qrun_report_text(c, &r, &b), 0, "delay text");
	s = buf_str(&b);
	ok(strstr(s, "\nSubject: Delayed Mail (still being retried)\n") !=
	    NULL, "the delay subject");
	ok(strstr(s, "\nAction: delayed\n") != NULL &&
	    strstr(s, "Action: failed") == NULL, "Action: delayed");
	ok(strstr(s, "\nWill-Retry-Until: ") != NULL, "Will-Retry-Until");
	ok(strstr(s, "delivered for 120 minute(s)") != NULL, "how long");
	buf_free(&b);
	conf_free(c);
}

/* test_report - DSN: success and relayed, ENVID, ORCPT, RET=FULL */
static void
test_report(void)
{
	static const char msg[] = "Subject: hi\nFrom: a@b\n\nsecret body\n";
	char *const	 rc[] = { "x@y.test", "z@far.test" },
			 *dsn[] = { "2.0.0", "2.0.0" },
			 *why[] = { "delivered", "250 2.0.0 Ok" },
			 *orcpt[] = { "rfc822;X+2BY@y.test", NULL },
			 *relay[] = { "local", "mx.far.test[127.0.0.2]:25" };
	struct qrun_report r;
	struct mail_conf *c;
	struct mail_err	 e;
	struct buf	 b = BUF_INIT(1 << 20);
	const char	*s;

	if (conf_load(&c, "/dev/null", &e) != EX_OK)
		return;
	(void)conf_set(c, "myhostname", "mx.test", &e);
	memset(&r, 0, sizeof r);
	r.kind = QRUN_SUCCESS;
	r.id = "ID2";
	r.to = "a@b";
	r.envid = "env+3Did";
	r.msg = msg;
	r.len = sizeof msg - 1;
	r.rcpt = rc;
	r.dsn = dsn;
	r.reason = why;
	r.orcpt = orcpt;
	r.relay = relay;
	r.n = 2;
	is_int(qrun_report_text(c, &r, &b), 0, "success report");
	s = buf_str(&b);
	ok(strstr(s, "\nSubject: Successful Mail Delivery Report\n") != NULL,
	    "success: Postfix's subject");
	ok(strstr(s, "\nOriginal-Envelope-Id: env=id\n") != NULL,
	    "ENVID, xtext decoded");
	ok(strstr(s, "\nFinal-Recipient: rfc822; x@y.test\nOriginal-Recipient: "
	    "rfc822;X+Y@y.test\nAction: delivered\nStatus: 2.0.0\n") != NULL,
	    "ORCPT decoded; local: Action: delivered");
	ok(strstr(s, "\nFinal-Recipient: rfc822; z@far.test\nAction: relayed\n"
	    "Status: 2.0.0\nRemote-MTA: dns; mx.far.test[127.0.0.2]:25\n") !=
	    NULL, "a next hop: Action: relayed, Remote-MTA");
	ok(strstr(s, "secret body") == NULL, "success: headers only");
	orcpt[0] = "rfc822;bad+0Ax";
	buf_reset(&b);
	(void)qrun_report_text(c, &r, &b);
	ok(strstr(buf_str(&b), "Original-Recipient: rfc822;bad+0Ax\n") != NULL,
	    "an xtext that decodes to a control character stays encoded");

	r.kind = QRUN_FAILED;
	r.ret = QUEUE_RET_FULL;
	r.relay = NULL;
	buf_reset(&b);
	is_int(qrun_report_text(c, &r, &b), 0, "RET=FULL bounce");
	s = buf_str(&b);
	ok(strstr(s, "Content-Type: message/rfc822\n\nSubject: hi\nFrom: "
	    "a@b\n\nsecret body\n") != NULL, "RET=FULL: the whole message");
	ok(strstr(s, "\nAction: failed\n") != NULL, "Action: failed");
	r.size_limit = 10;
	buf_reset(&b);
	(void)qrun_report_text(c, &r, &b);
	s = buf_str(&b);
	ok(strstr(s, "secret body") == NULL &&
	    strstr(s, "text/rfc822-headers") != NULL,
	    "RET=FULL past bounce_size_limit: the header only");
	r.size_limit = 0;
	r.ret = QUEUE_RET_HDRS;
	buf_reset(&b);
	(void)qrun_report_text(c, &r, &b);
	ok(strstr(buf_str(&b), "secret body") == NULL, "RET=HDRS: no body");
	buf_free(&b);
	conf_free(c);
}

/* test_dsn - the DSN parameters go into the file and come back */
static void
test_dsn(void)
{
	static const char msg[] = "Subject: dsn\n\nbody\n";
	char *const	 rc[] = { "a@example.test", "b@example.test",
	    "c@example.test" };
	char *const	 orcpt[] = { "rfc822;A@example.test", NULL,
	    "rfc822;with space" };
	const int	 notify[] = { QUEUE_NOTIFY_FAILURE | QUEUE_NOTIFY_DELAY,
	    0, QUEUE_NOTIFY_NEVER };
	struct queue_dsn dsn = { QUEUE_RET_HDRS, "QQ+2B1", notify, orcpt };
	struct queue_msg m;
	struct mail_err	 e;
	char		 id[QUEUE_ID_MAX];

	is_int(queue_enqueue_dsn(dir, "s@x.test", rc, 3, &dsn, msg,
	    sizeof msg - 1, 2000, id, &e), EX_OK, "enqueue with DSN");
	is_int(queue_open(dir, id, 1, &m, &e), EX_OK, "open it");
	is_int(m.ret, QUEUE_RET_HDRS, "RET=HDRS read back");
	is_str(m.envid ? m.envid : "(null)", "QQ+2B1", "ENVID read back");
	is_int(m.rcpt[0].notify, QUEUE_NOTIFY_FAILURE | QUEUE_NOTIFY_DELAY,
	    "NOTIFY=FAILURE,DELAY read back");
	is_str(m.rcpt[0].orcpt ? m.rcpt[0].orcpt : "(null)",
	    "rfc822;A@example.test", "ORCPT read back");
	is_int(m.rcpt[1].notify, 0, "no NOTIFY for the second");
	ok(m.rcpt[1].orcpt == NULL, "no ORCPT for the second");
	is_int(m.rcpt[2].notify, QUEUE_NOTIFY_NEVER, "NOTIFY=NEVER");
	is_str(m.rcpt[2].orcpt ? m.rcpt[2].orcpt : "(null)",
	    "rfc822;with?space", "a blank cannot break the record");
	ok(m.size == sizeof msg - 1 && memcmp(m.file.s + m.body, msg,
	    m.size) == 0, "message bytes after the DSN records");
	m.rcpt[0].state = QUEUE_SENT;
	is_int(queue_update(dir, &m, &e), EX_OK, "update");
	queue_close(&m);
	is_int(queue_open(dir, id, 0, &m, &e), EX_OK, "reopen");
	ok(m.ret == QUEUE_RET_HDRS && m.envid != NULL &&
	    m.rcpt[2].notify == QUEUE_NOTIFY_NEVER && m.rcpt[0].orcpt != NULL,
	    "the DSN records survive a state update");
	queue_close(&m);
	is_int(queue_enqueue_dsn(dir, "s@x.test", rc, 1, NULL, msg,
	    sizeof msg - 1, 2000, id, &e), EX_OK, "enqueue without DSN");
	is_int(queue_open(dir, id, 0, &m, &e), EX_OK, "open it");
	ok(m.ret == 0 && m.envid == NULL && m.rcpt[0].notify == 0 &&
	    m.rcpt[0].orcpt == NULL, "nothing made up");
	ok(memmem(m.file.s, m.body, "\nE ", 3) == NULL &&
	    memmem(m.file.s, m.body, "\nN ", 3) == NULL,
	    "no E or N record without DSN");
	queue_close(&m);
}

int
main(void)
{
	static const char msg[] = "Subject: hi\n\nbody\n";
	char *const	 rc[] = { "walter@example.test", "dude@remote.test" };
	char		 id[QUEUE_ID_MAX], id2[QUEUE_ID_MAX], path[4096];
	struct queue_msg m, m2;
	struct mail_err	 e;
	struct buf	 good = BUF_INIT(1 << 20), b = BUF_INIT(1 << 20);
	char		**ids;
	size_t		 n, i, flips;
	int		 rcode, refused;

	if (mkdtemp(dir) == NULL)
		return 99;
	is_int(queue_init(dir, &e), EX_OK, "queue_init");
	is_int(queue_init(dir, &e), EX_OK, "queue_init again is fine");

	is_int(queue_enqueue(dir, "root@example.test", rc, 2, msg,
	    sizeof msg - 1, 1000, id, &e), EX_OK, "enqueue");
	ok(strlen(id) >= 6 && strlen(id) < QUEUE_ID_MAX, "id %s is short", id);
	ok(exists("queue", id), "queue/%s exists", id);
	is_int(queue_enqueue(dir, "", rc, 1, msg, sizeof msg - 1, 1001, id2,
	    &e), EX_OK, "enqueue a second with <>");
	ok(strcmp(id, id2) != 0, "ids differ: %s %s", id, id2);
	is_int(queue_enqueue(dir, "a", rc, 0, msg, 1, 1, id2, &e), EX_USAGE,
	    "no recipients: EX_USAGE");

	is_int(queue_list(dir, &ids, &n, &e), EX_OK, "queue_list");
	is_int(n, 2, "two messages listed");
	queue_list_free(ids);

	is_int(queue_open(dir, id, 1, &m, &e), EX_OK, "open with lock");
	is_str(m.id, id, "id read back");
	is_int(m.arrival, 1000, "arrival read back");
	is_str(m.sender, "root@example.test", "sender read back");
	is_int(m.nrcpt, 2, "two recipients");
	is_str(m.rcpt[1].addr, "dude@remote.test", "second recipient");
	is_int(m.rcpt[0].state, QUEUE_PENDING, "pending");
	is_int(m.size, sizeof msg - 1, "message size");
	ok(m.size == sizeof msg - 1 && memcmp(m.file.s + m.body, msg,
	    m.size) == 0, "message bytes read back");

	is_int(queue_open(dir, id, 1, &m2, &e), EX_TEMPFAIL,
	    "a second locker is refused");
	queue_close(&m2);
	is_int(queue_open(dir, id, 0, &m2, &e), EX_OK,
	    "a reader without lock is fine");
	queue_close(&m2);

	m.rcpt[0].state = QUEUE_SENT;
	m.rcpt[1].state = QUEUE_DEFERRED;
	m.rcpt[1].next = 1300;
	(void)str_copy(m.rcpt[1].dsn, sizeof m.rcpt[1].dsn, "4.4.1");
	free(m.rcpt[1].reason);
	m.rcpt[1].reason = strdup("connect to x[1.2.3.4]:25:\trefused\n");
	is_int(queue_update(dir, &m, &e), EX_OK, "update states");
	is_int(queue_open(dir, id, 1, &m2, &e), EX_TEMPFAIL,
	    "the lock moved to the new file");
	queue_close(&m2);
	queue_close(&m);
	is_int(queue_open(dir, id, 1, &m, &e), EX_OK, "reopen after update");
	is_int(m.rcpt[0].state, QUEUE_SENT, "sent survives");
	is_int(m.rcpt[1].state, QUEUE_DEFERRED, "deferred survives");
	is_int(m.rcpt[1].next, 1300, "next attempt survives");
	is_int(m.warned, 0, "no delay warning yet");
	m.warned = 1250;
	is_int(queue_update(dir, &m, &e), EX_OK, "update with a warning");
	queue_close(&m);
	is_int(queue_open(dir, id, 1, &m, &e), EX_OK, "reopen again");
	is_int(m.warned, 1250, "the delay warning's time survives");
	is_str(m.rcpt[1].dsn, "4.4.1", "dsn survives");
	is_str(m.rcpt[1].reason, "connect to x[1.2.3.4]:25: refused ",
	    "reason survives, made one line");
	ok(m.size == sizeof msg - 1 && memcmp(m.file.s + m.body, msg,
	    m.size) == 0, "message bytes survive the update");
	(void)buf_set(&good, m.file.s, m.file.len);
	m.rcpt[1].state = QUEUE_BOUNCED;
	is_int(queue_update(dir, &m, &e), EX_OK, "final update");
	ok(!exists("queue", id), "a file with nothing left to do is removed");
	queue_close(&m);
	is_int(queue_open(dir, id, 1, &m, &e), EX_NOINPUT,
	    "open of a removed file: EX_NOINPUT");
	queue_close(&m);

	/* Every truncation of a good file is refused and set aside. */
	refused = 0;
	for (i = 0; i < good.len; i++) {
		put(id, good.s, i);
		rcode = queue_open(dir, id, 1, &m, &e);
		queue_close(&m);
		if (rcode == EX_DATAERR && !exists("queue", id) &&
		    exists("corrupt", id))
			refused++;
		else
			ok(0, "truncated to %zu: got %d, want %d", i, rcode,
			    EX_DATAERR);
	}
	is_int(refused, good.len, "every truncation refused and set aside");
	/* A flipped byte anywhere is refused. */
	refused = 0;
	for (i = flips = 0; i < good.len; i += 7, flips++) {
		(void)buf_set(&b, good.s, good.len);
		b.s[i] ^= 0x20;
		put(id, b.s, b.len);
		rcode = queue_open(dir, id, 0, &m, &e);
		queue_close(&m);
		if (rcode == EX_DATAERR && exists("corrupt", id))
			refused++;
		else
			ok(0, "byte %zu flipped: got %d, want %d", i, rcode,
			    EX_DATAERR);
	}
	is_int(refused, flips, "every flipped byte refused");
	/* The good file itself still reads. */
	put(id, good.s, good.len);
	is_int(queue_open(dir, id, 0, &m, &e), EX_OK, "the good file reads");
	queue_close(&m);
	/* Bad records under a right checksum. */
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		buf_reset(&b);
		(void)buf_printf(&b, "MAILPATHQ1 %016llx %zu\n%s",
		    fnv(bad[i].rest, strlen(bad[i].rest)), strlen(bad[i].rest),
		    bad[i].rest);
		put("ID", b.s, b.len);
		rcode = queue_open(dir, "ID", 0, &m, &e);
		queue_close(&m);
		ok(rcode == EX_DATAERR, "%s: refused (got %d, want %d)",
		    bad[i].name, rcode, EX_DATAERR);
	}
	ok(exists("corrupt", "ID") && !exists("queue", "ID"),
	    "bad records set aside too");
	is_int(queue_open(dir, "../x", 0, &m, &e), EX_DATAERR,
	    "an id with a slash is refused");
	queue_close(&m);

	test_rewrite();
	test_backoff();
	test_bounce();
	test_report();
	test_dsn();
	buf_free(&good);
	buf_free(&b);
	n = (size_t)snprintf(path, sizeof path, "rm -rf '%s'", dir);
	if (n < sizeof path && system(path) != 0)
		ok(0, "cleanup");
	return tap_done();
}
