/* SPDX-License-Identifier: ISC */
/*
 * showq - the queue listing.  The text form is Postfix's showq_compat
 * output: "%-11s %7s %-20s %s" headings, the id with a status character
 * (' ': waiting; Postfix's '*' for its active queue has no equal here),
 * the size (%7ld), asctime()'s first 20 characters, the sender
 * (MAILER-DAEMON for <>), then for each waiting recipient its reason in
 * parentheses flushed right to column 78 (only when it differs from the
 * one before) and the address indented by 41 columns; "-- N Kbytes in N
 * Request(s)." at the end, or "Mail queue is empty".
 *
 * Reads queue files only through queue.c, which checks them; prints
 * nothing itself (libmail never prints): the caller gets the text.
 * Trusts nothing else in the queue directory either: an entry that is not
 * a regular file (a symlink to /etc/shadow, a FIFO that would block the
 * open, a directory) is skipped with a warning, never opened; an entry
 * that vanishes between readdir() and the open (delivered meanwhile) is
 * skipped silently.  The output is streamed, one message at a time, so
 * memory is the id list plus one queue file however long the queue.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "log.h"
#include "queue.h"
#include "showq.h"
#include "table.h"

#ifndef PATH_MAX
#define PATH_MAX	4096
#endif

/* showq_message - one message's part of the listing */
int
showq_message(const struct queue_msg *m, int flags, struct buf *b)
{
	const struct queue_rcpt *r;
	const char	*prev = "", *why;
	char		 idst[QUEUE_ID_MAX + 2], when[64];
	time_t		 t = (time_t)m->arrival;
	struct tm	 tm;
	size_t		 i, first = 1;
	int		 pad;

	if (flags & SHOWQ_JSON) {
		(void)buf_adds(b, "{\"queue_name\":\"deferred\",\"queue_id\":");
		(void)table_json_str(b, m->id, strlen(m->id));
		(void)buf_printf(b, ",\"arrival_time\":%lld,\"message_size\":"
		    "%zu,\"forced_expire\":false,\"sender\":", m->arrival,
		    m->size);
		(void)table_json_str(b, m->sender, strlen(m->sender));
		(void)buf_adds(b, ",\"recipients\":[");
		for (i = 0; i < m->nrcpt; i++) {
			r = &m->rcpt[i];
			if (!queue_live(r))
				continue;
			(void)buf_adds(b, first ? "{\"address\":" :
			    ",{\"address\":");
			first = 0;
			(void)table_json_str(b, r->addr, strlen(r->addr));
			if (r->state == QUEUE_DEFERRED) {
				(void)buf_adds(b, ",\"delay_reason\":");
				(void)table_json_str(b, r->reason,
				    strlen(r->reason));
				(void)buf_printf(b, ",\"next_attempt\":%lld",
				    r->next);
			}
			(void)buf_addc(b, '}');
		}
		return buf_adds(b, "]}\n");
	}
	localtime_r(&t, &tm);
	if (asctime_r(&tm, when) == NULL)
		when[0] = '\0';
	(void)snprintf(idst, sizeof idst, "%s ", m->id);
	(void)buf_printf(b, "%-11s %7zu %20.20s %s\n", idst, m->size, when,
	    *m->sender ? m->sender : "MAILER-DAEMON");
	for (i = 0; i < m->nrcpt; i++) {
		r = &m->rcpt[i];
		if (!queue_live(r))
			continue;
		if (strcmp(prev, r->reason) != 0) {
			prev = r->reason;
			why = *prev ? prev : "reason unavailable";
			if ((pad = 76 - (int)strlen(why)) < 0)
				pad = 0;
			(void)buf_printf(b, "%*s(%s)\n", pad, "", why);
		}
		if ((flags & SHOWQ_NEXT) && r->state == QUEUE_DEFERRED) {
			t = (time_t)r->next;
			localtime_r(&t, &tm);
			if (asctime_r(&tm, when) == NULL)
				when[0] = '\0';
			(void)buf_printf(b, "%41s[next attempt %.24s]\n", "",
			    when);
		}
		(void)buf_printf(b, "%-11s %7s %-20s %s\n", "", "", "",
		    r->addr);
	}
	return 0;
}

/*
 * regular - whether the entry id of dir's queue is a regular file, without
 * following a symlink; warns about anything else, but not about an entry
 * gone meanwhile (the ENOENT race with a delivery).
 */
static int
regular(const char *dir, const char *id)
{
	char		path[PATH_MAX];
	struct stat	st;

	if (queue_path(path, sizeof path, dir, "queue", id) == -1)
		return 0;
	if (lstat(path, &st) == -1) {
		if (errno != ENOENT)
			log_warn("%s: %s", path, strerror(errno));
		return 0;
	}
	if (!S_ISREG(st.st_mode)) {
		log_warn("%s: not a regular file: skipped", path);
		return 0;
	}
	return 1;
}

/* showq - list the queue in dir */
int
showq(const char *dir, int flags, void (*out)(const char *, size_t, void *),
    void *arg, struct mail_err *e)
{
	struct queue_msg m;
	struct mail_err	 e2;
	struct buf	 b = BUF_INIT((size_t)1 << 24);
	char		**ids;
	size_t		 n, i, count = 0;
	unsigned long long total = 0;
	int		 ex;

	if ((ex = queue_list(dir, &ids, &n, e)) != EX_OK)
		return ex;
	for (i = 0; i < n; i++) {
		if (!regular(dir, ids[i]))
			continue;
		/* Corrupt (EX_DATAERR): queue.c has said so; gone: no news. */
		if ((ex = queue_open(dir, ids[i], 0, &m, &e2)) != EX_OK) {
			if (ex != EX_DATAERR && ex != EX_NOINPUT)
				log_warn("%s", e2.text);
			queue_close(&m);
			continue;
		}
		buf_reset(&b);
		if (!(flags & SHOWQ_JSON))
			(void)buf_adds(&b, count == 0 ?
			    "-Queue ID-  --Size-- ----Arrival Time---- "
			    "-Sender/Recipient-------\n" : "\n");
		(void)showq_message(&m, flags, &b);
		total += m.size;
		count++;
		out(buf_str(&b), b.len, arg);
		queue_close(&m);
	}
	queue_list_free(ids);
	if (flags & SHOWQ_JSON) {
		buf_free(&b);
		return EX_OK;
	}
	buf_reset(&b);
	if (count == 0)
		(void)buf_adds(&b, "Mail queue is empty\n");
	else
		(void)buf_printf(&b, "\n-- %llu Kbytes in %zu Request%s.\n",
		    total / 1024, count, count == 1 ? "" : "s");
	out(buf_str(&b), b.len, arg);
	buf_free(&b);
	return EX_OK;
}
