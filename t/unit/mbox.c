/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for libmail/mbox: mboxrd quoting, the From_ line, appends,
 * the file checks (symlink, hard link, owner, FIFO, directory), both
 * locks, stale dotlocks and the size limit.  Runs in a scratch directory
 * under the current one.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

#include "buf.h"
#include "log.h"
#include "mbox.h"
#include "tap.h"

static const struct {
	const char	*in, *want, *name;
} quotes[] = {
	{ "", "", "empty message stays empty" },
	{ "a\n", "a\n", "plain line" },
	{ "a", "a\n", "a missing final newline is added" },
	{ "From x\n", ">From x\n", "From_ on the first line" },
	{ "a\nFrom x\nb\n", "a\n>From x\nb\n", "From_ in the middle" },
	{ ">From x\n", ">>From x\n", ">From gets one more >" },
	{ ">>>From x\n", ">>>>From x\n", ">>>From too" },
	{ "From\n", "From\n", "From without a space is not quoted" },
	{ "from x\n", "from x\n", "lower-case from is not quoted" },
	{ " From x\n", " From x\n", "indented From is not quoted" },
	{ ">Fromx\n", ">Fromx\n", ">Fromx is not quoted" },
	{ "a\nFrom ", "a\n>From \n", "From_ at the very end" },
	{ "x\n\nFrom a\nFrom b\n", "x\n\n>From a\n>From b\n",
	  "two From_ lines in a row" },
};

static int
add(void *arg, const char *p, size_t n)
{
	return buf_add(arg, p, n);
}

static char *
slurp(const char *path, size_t *n)
{
	static char	 data[65536];
	FILE		*f;

	if ((f = fopen(path, "rb")) == NULL) {
		*n = 0;
		return NULL;
	}
	*n = fread(data, 1, sizeof data - 1, f);
	data[*n] = '\0';
	fclose(f);
	return data;
}

static void
dest(struct mbox_dest *d, const char *path)
{
	memset(d, 0, sizeof *d);
	d->path = path;
	d->sender = "dude@example.org";
	d->rcpt = "walter@example.test";
	d->uid = getuid();
	d->gid = (gid_t)-1;
	d->mode = 0600;
	d->flags = MBOX_CHECK_OWNER;
	d->lock_attempts = 3;
	d->lock_delay_ms = 20;
	d->stale_lock = 500;
	d->now = 1800000000;	/* fixed, so the From_ line is known */
}

static int
file_is(const char *path, const char *want)
{
	size_t	 n;
	char	*got = slurp(path, &n);

	if (got == NULL || n != strlen(want) || memcmp(got, want, n) != 0) {
		diag("got \"%s\", want \"%s\"", got ? got : "(none)", want);
		return 0;
	}
	return 1;
}

/*
 * batch_tests - mbox_deliver_many: each entry with its own envelope, in
 * order, under one lock; an entry past the size limit fails alone; a
 * mailbox that cannot be had fails them all; nothing left behind.
 */
static void
batch_tests(void)
{
	struct mbox_dest d;
	struct mbox_item it[3];
	struct mail_err	 res[3];
	struct stat	 st;
	char		 want[2048];
	const char	*from1 = "From a@x Fri Jan 15 08:00:00 2027\n";
	const char	*from2 = "From MAILER-DAEMON Fri Jan 15 08:00:00 2027\n";
	size_t		 i;

	unlink("batch");
	dest(&d, "batch");
	it[0] = (struct mbox_item){ "a@x", "w@t", "Subject: 1\n\nFrom one\n",
	    0 };
	it[1] = (struct mbox_item){ "", NULL, "Subject: 2\n\ntwo", 0 };
	it[2] = (struct mbox_item){ "a@x", "d@t", "Subject: 3\n\nthree\n", 0 };
	for (i = 0; i < 3; i++)
		it[i].len = strlen(it[i].msg);
	is_int((int)mbox_deliver_many(&d, it, 3, res), 3,
	    "batch: three entries delivered");
	ok(res[0].ex == EX_OK && res[1].ex == EX_OK && res[2].ex == EX_OK,
	    "batch: each result is EX_OK");
	snprintf(want, sizeof want, "%sReturn-Path: <a@x>\nDelivered-To: w@t\n"
	    "Subject: 1\n\n>From one\n\n"
	    "%sReturn-Path: <>\nSubject: 2\n\ntwo\n\n"
	    "%sReturn-Path: <a@x>\nDelivered-To: d@t\nSubject: 3\n\nthree\n\n",
	    from1, from2, from1);
	ok(file_is("batch", want), "batch: in order, each with its envelope");
	ok(access("batch.lock", F_OK) == -1, "batch: no dotlock left behind");

	/* The size limit: the middle entry alone is refused. */
	stat("batch", &st);
	d.size_limit = (unsigned long long)st.st_size + 200;
	it[1].msg = "Subject: 2\n\n0123456789012345678901234567890123456789"
	    "0123456789012345678901234567890123456789\n";
	it[1].len = strlen(it[1].msg);
	is_int((int)mbox_deliver_many(&d, it, 3, res), 2,
	    "batch past the size limit: two of three delivered");
	is_int(res[1].ex, EX_UNAVAILABLE, "batch: the big one refused");
	is_str(res[1].enh, "5.2.2", "batch: with 5.2.2");
	ok(res[0].ex == EX_OK && res[2].ex == EX_OK,
	    "batch: the others delivered");
	stat("batch", &st);
	ok(st.st_size < (off_t)d.size_limit, "batch: nothing of the big one "
	    "left (%lld bytes)", (long long)st.st_size);
	d.size_limit = 0;

	/* A mailbox that is a symlink: all fail, nothing written. */
	unlink("batch2");
	if (symlink("batch", "batch2") == 0) {
		d.path = "batch2";
		is_int((int)mbox_deliver_many(&d, it, 3, res), 0,
		    "batch into a symlink: none delivered");
		ok(res[0].ex == EX_TEMPFAIL && res[1].ex == EX_TEMPFAIL &&
		    res[2].ex == EX_TEMPFAIL, "batch: each one a tempfail");
		is_str(res[2].enh, "4.2.0", "batch: with 4.2.0");
	}
	is_int((int)mbox_deliver_many(&d, it, 0, res), 0,
	    "an empty batch does nothing");
}

int
main(void)
{
	struct mbox_dest d;
	struct mail_err	 e;
	struct buf	 b = BUF_INIT(4096);
	struct stat	 st;
	struct utimbuf	 ut;
	char		 from[256], want[1024], hdr[256];
	size_t		 i;
	pid_t		 pid;
	int		 fd, p[2];
	char		 c;

	log_open("t-mbox", LOG_TO_STDERR);
	for (i = 0; i < sizeof quotes / sizeof quotes[0]; i++) {
		buf_reset(&b);
		mbox_quote(quotes[i].in, strlen(quotes[i].in), add, &b);
		is_str(buf_str(&b), quotes[i].want, quotes[i].name);
	}
	buf_reset(&b);
	mbox_quote("a\0b\nFrom \0\n", 11, add, &b);
	ok(b.len == 12 && memcmp(b.s, "a\0b\n>From \0\n", 12) == 0,
	    "NUL bytes pass through and do not stop quoting");

	setenv("TZ", "UTC", 1);
	tzset();
	mbox_from_line(from, sizeof from, "dude@example.org", 1800000000);
	is_str(from, "From dude@example.org Fri Jan 15 08:00:00 2027\n",
	    "From_ line: sender and asctime date");
	mbox_from_line(from, sizeof from, "", 1800000000);
	is_str(from, "From MAILER-DAEMON Fri Jan 15 08:00:00 2027\n",
	    "the null sender is MAILER-DAEMON");
	mbox_from_line(from, sizeof from, "a b\tc@x", 1800000000);
	is_str(from, "From a_b_c@x Fri Jan 15 08:00:00 2027\n",
	    "blanks in the sender become _");
	is_int(mbox_from_line(from, 10, "dude@example.org", 0), -1,
	    "a From_ line that does not fit is an error");
	is_int(mbox_headers(hdr, sizeof hdr, "a@x", "b@y"), 37,
	    "headers: length");
	is_str(hdr, "Return-Path: <a@x>\nDelivered-To: b@y\n",
	    "Return-Path and Delivered-To");
	is_int(mbox_headers(hdr, sizeof hdr, "a\r\nBcc: x", "b@y"), -1,
	    "a sender with CR LF is refused");

	/* automake runs unit tests from the build directory. */
	if ((mkdir("t", 0755) == -1 && errno != EEXIST) ||
	    (mkdir("t/trash.unit-mbox", 0700) == -1 && errno != EEXIST) ||
	    chdir("t/trash.unit-mbox") == -1)
		return 1;
	unlink("box");
	dest(&d, "box");
	is_int(mbox_deliver(&d, "Subject: one\n\nFrom here\n", 24, &e), EX_OK,
	    "deliver into a new mailbox");
	snprintf(want, sizeof want, "From dude@example.org Fri Jan 15 "
	    "08:00:00 2027\nReturn-Path: <dude@example.org>\nDelivered-To: "
	    "walter@example.test\nSubject: one\n\n>From here\n\n");
	ok(file_is("box", want), "first message: From_, headers, quoted "
	    "body, blank line");
	stat("box", &st);
	is_int(st.st_mode & 07777, 0600, "created with mode 0600");
	ok(access("box.lock", F_OK) == -1, "the dotlock is gone afterwards");
	d.sender = "";
	d.rcpt = NULL;
	is_int(mbox_deliver(&d, "Subject: two\n\nno newline", 24, &e), EX_OK,
	    "second message, no final newline");
	snprintf(want + strlen(want), sizeof want - strlen(want),
	    "From MAILER-DAEMON Fri Jan 15 08:00:00 2027\nReturn-Path: <>\n"
	    "Subject: two\n\nno newline\n\n");
	ok(file_is("box", want), "appended after the first, newline added");

	/* A mailbox left ending mid-line gets a newline before From_. */
	unlink("crash");
	fd = open("crash", O_WRONLY | O_CREAT, 0600);
	if (write(fd, "From a\n\nhalf", 12) != 12)
		return 1;
	close(fd);
	dest(&d, "crash");
	d.rcpt = NULL;
	is_int(mbox_deliver(&d, "x\n", 2, &e), EX_OK, "deliver after a crash");
	ok(file_is("crash", "From a\n\nhalf\nFrom dude@example.org Fri Jan 15 "
	    "08:00:00 2027\nReturn-Path: <dude@example.org>\nx\n\n"),
	    "the new From_ starts at a line start");

	/* File attacks: nothing is written anywhere. */
	unlink("link");
	unlink("victim");
	if (symlink("victim", "link") == -1)
		return 1;
	dest(&d, "link");
	is_int(mbox_deliver(&d, "x\n", 2, &e), EX_TEMPFAIL,
	    "a dangling symlink is refused");
	is_str(e.enh, "4.2.0", "with 4.2.0");
	ok(strstr(e.text, "symbolic link") != NULL, "saying why: %s", e.text);
	ok(access("victim", F_OK) == -1, "and its target is not created");
	fd = open("victim", O_WRONLY | O_CREAT, 0600);
	close(fd);
	is_int(mbox_deliver(&d, "x\n", 2, &e), EX_TEMPFAIL,
	    "a symlink to a file is refused");
	stat("victim", &st);
	is_int(st.st_size, 0, "and the file is untouched");

	unlink("hard");
	if (link("victim", "hard") == -1)
		return 1;
	dest(&d, "hard");
	is_int(mbox_deliver(&d, "x\n", 2, &e), EX_TEMPFAIL,
	    "a hard-linked mailbox is refused");
	ok(strstr(e.text, "2 links") != NULL, "saying why: %s", e.text);

	dest(&d, "victim");
	unlink("hard");
	d.uid = getuid() + 1;
	is_int(mbox_deliver(&d, "x\n", 2, &e), EX_TEMPFAIL,
	    "a mailbox owned by someone else is refused");
	ok(strstr(e.text, "owned by uid") != NULL, "saying why: %s", e.text);
	stat("victim", &st);
	is_int(st.st_size, 0, "and the file is untouched");

	unlink("fifo");
	mkfifo("fifo", 0600);
	dest(&d, "fifo");
	is_int(mbox_deliver(&d, "x\n", 2, &e), EX_TEMPFAIL,
	    "a FIFO is refused (without blocking)");
	ok(strstr(e.text, "not a regular file") != NULL, "saying why: %s",
	    e.text);
	mkdir("dir", 0700);
	dest(&d, "dir");
	is_int(mbox_deliver(&d, "x\n", 2, &e), EX_TEMPFAIL,
	    "a directory is refused");

	/* Locks. */
	dest(&d, "victim");
	fd = open("victim.lock", O_WRONLY | O_CREAT, 0600);
	close(fd);
	is_int(mbox_deliver(&d, "x\n", 2, &e), EX_TEMPFAIL,
	    "a fresh dotlock: bounded wait, then tempfail");
	ok(strstr(e.text, "dotlock after 3 attempts") != NULL,
	    "saying why: %s", e.text);
	stat("victim", &st);
	is_int(st.st_size, 0, "nothing written");
	ok(access("victim.lock", F_OK) == 0, "and the lock is still there");
	ut.actime = ut.modtime = time(NULL) - 3600;
	utime("victim.lock", &ut);
	is_int(mbox_deliver(&d, "x\n", 2, &e), EX_OK,
	    "an hour-old dotlock is stale: removed, delivered");
	ok(access("victim.lock", F_OK) == -1, "and the lock is gone");

	unlink("victim.lock");
	if (symlink("/nonexistent/target", "victim.lock") == -1)
		return 1;
	is_int(mbox_deliver(&d, "x\n", 2, &e), EX_TEMPFAIL,
	    "a dotlock that is a symlink: tempfail");
	ok(lstat("victim.lock", &st) == 0 && S_ISLNK(st.st_mode),
	    "and the symlink is neither followed nor removed");
	unlink("victim.lock");

	/* An fcntl lock held by another process. */
	if (pipe(p) == -1)
		return 1;
	if ((pid = fork()) == 0) {
		struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };

		fd = open("victim", O_RDWR);
		fcntl(fd, F_SETLKW, &fl);
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	if (read(p[0], &c, 1) != 1)
		return 1;
	stat("victim", &st);
	is_int(mbox_deliver(&d, "x\n", 2, &e), EX_TEMPFAIL,
	    "an fcntl lock held elsewhere: tempfail");
	ok(strstr(e.text, "fcntl lock") != NULL, "saying why: %s", e.text);
	ok(access("victim.lock", F_OK) == -1, "no dotlock left behind");
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	is_int(mbox_deliver(&d, "x\n", 2, &e), EX_OK,
	    "once it is released, delivery works");

	/* Size limit. */
	stat("victim", &st);
	d.size_limit = (unsigned long long)st.st_size + 40;
	is_int(mbox_deliver(&d, "Subject: big\n\n0123456789\n", 25, &e),
	    EX_UNAVAILABLE, "past mailbox_size_limit: refused");
	is_str(e.enh, "5.2.2", "with 5.2.2");
	d.size_limit = 0;

	batch_tests();
	buf_free(&b);
	return tap_done();
}
