/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for libmail/maildir: names, a delivery into tmp/ then new/,
 * a name collision in new/, and symlinked tmp/ or new/ refused.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "maildir.h"
#include "tap.h"

static int
count(const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static int
file_is(const char *path, const char *want)
{
	char	 got[4096];
	FILE	*f;
	size_t	 n;

	if ((f = fopen(path, "rb")) == NULL)
		return 0;
	n = fread(got, 1, sizeof got - 1, f);
	got[n] = '\0';
	fclose(f);
	if (n != strlen(want) || memcmp(got, want, n) != 0) {
		diag("got \"%s\", want \"%s\"", got, want);
		return 0;
	}
	return 1;
}

int
main(void)
{
	struct maildir_dest d;
	struct mail_err	 e;
	struct timeval	 tv = { 1800000000, 42 };
	char		 name[512], path[1024], first[512];
	int		 fd;

	log_open("t-maildir", LOG_TO_STDERR);
	maildir_name(name, sizeof name, &tv, 123, 7, "mx.example.test");
	is_str(name, "1800000000.M000042P123Q7.mx.example.test",
	    "name: seconds, microseconds, pid, counter, host");
	maildir_name(name, sizeof name, &tv, 1, 0, "a/b:c");
	is_str(name, "1800000000.M000042P1Q0.a\\057b\\072c",
	    "/ and : in the host are encoded");
	is_int(maildir_name(name, 10, &tv, 1, 0, "h"), -1,
	    "a name that does not fit is an error");

	if ((mkdir("t", 0755) == -1 && errno != EEXIST) ||
	    (mkdir("t/trash.unit-maildir", 0700) == -1 && errno != EEXIST) ||
	    chdir("t/trash.unit-maildir") == -1)
		return 1;
	system("rm -rf Maildir bad1 bad2 elsewhere");
	memset(&d, 0, sizeof d);
	d.path = "Maildir/";
	d.sender = "dude@example.org";
	d.rcpt = "walter@example.test";
	is_int(maildir_deliver(&d, "Subject: x\n\nFrom body\n", 22, name,
	    sizeof name, &e), EX_OK, "deliver into a new Maildir");
	is_int(count("Maildir/new"), 1, "one file in new/");
	is_int(count("Maildir/tmp"), 0, "none left in tmp/");
	is_int(count("Maildir/cur"), 0, "cur/ exists and is empty");
	ok(strstr(name, ",S=88") != NULL, "the name carries the size: %s",
	    name);
	snprintf(path, sizeof path, "Maildir/new/%s", name);
	ok(file_is(path, "Return-Path: <dude@example.org>\nDelivered-To: "
	    "walter@example.test\nSubject: x\n\nFrom body\n"),
	    "headers prepended, body unquoted");

	/* A name already in new/ is never replaced. */
	snprintf(first, sizeof first, "%s", name);
	d.first_name = first;
	is_int(maildir_deliver(&d, "two\n", 4, name, sizeof name, &e), EX_OK,
	    "deliver when the first name is taken");
	ok(strcmp(name, first) != 0, "it got another name");
	is_int(count("Maildir/new"), 2, "both messages are in new/");
	ok(file_is(path, "Return-Path: <dude@example.org>\nDelivered-To: "
	    "walter@example.test\nSubject: x\n\nFrom body\n"),
	    "the first is unchanged");
	d.first_name = NULL;

	/* Symlinked tmp/ or new/ */
	mkdir("elsewhere", 0700);
	mkdir("bad1", 0700);
	symlink("../elsewhere", "bad1/tmp");
	d.path = "bad1";
	is_int(maildir_deliver(&d, "x\n", 2, NULL, 0, &e), EX_TEMPFAIL,
	    "a symlinked tmp/ is refused");
	ok(strstr(e.text, "symbolic link") != NULL, "saying why: %s", e.text);
	is_int(count("elsewhere"), 0, "nothing written through it");
	mkdir("bad2", 0700);
	mkdir("bad2/tmp", 0700);
	symlink("../elsewhere", "bad2/new");
	d.path = "bad2";
	is_int(maildir_deliver(&d, "x\n", 2, NULL, 0, &e), EX_TEMPFAIL,
	    "a symlinked new/ is refused");
	is_int(count("elsewhere"), 0, "nothing written through it");
	is_int(count("bad2/tmp"), 0, "nothing left in tmp/");
	fd = open("bad3", O_WRONLY | O_CREAT, 0600);
	close(fd);
	d.path = "bad3";
	is_int(maildir_deliver(&d, "x\n", 2, NULL, 0, &e), EX_TEMPFAIL,
	    "a Maildir that is a file is refused");
	return tap_done();
}
