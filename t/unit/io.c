/* SPDX-License-Identifier: ISC */
/* Unit tests for libmail/io: lines from a descriptor, bounded. */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include "io.h"
#include "tap.h"

static int	reads;

static void
count(void *arg)
{
	(void)arg;
	reads++;
}

/* feed - a pipe holding text; the read end */
static int
feed(const char *text, size_t n)
{
	int	p[2];

	if (pipe(p) == -1)
		return -1;
	if (write(p[1], text, n) != (ssize_t)n)
		return -1;
	close(p[1]);
	return p[0];
}

int
main(void)
{
	struct io_lines	 in;
	struct mail_err	 e;
	char		*l, big[300];
	size_t		 len;
	int		 fd;

	fd = feed("one\r\ntwo\n\nthree", 16);
	reads = 0;
	is_int(io_lines_init(&in, fd, "stdin", 100, count, NULL, &e), EX_OK,
	    "init");
	l = io_lines_next(&in, &len, &e);
	is_str(l, "one", "a CRLF line loses its CR");
	is_int(len, 3, "  and its length says so");
	ok(reads == 1, "the hook runs before the first read (%d)", reads);
	is_str(io_lines_next(&in, &len, &e), "two", "an LF line");
	is_str(io_lines_next(&in, &len, &e), "", "an empty line is a line");
	is_str(io_lines_next(&in, &len, &e), "three",
	    "the last line needs no newline");
	is_int(in.line, 4, "lines are counted");
	ok(io_lines_next(&in, &len, &e) == NULL, "then the end");
	is_int(e.ex, EX_OK, "  which is no error");
	io_lines_free(&in);
	close(fd);

	memset(big, 'x', sizeof big);
	big[sizeof big - 1] = '\n';
	fd = feed(big, sizeof big);
	io_lines_init(&in, fd, "stdin", 100, NULL, NULL, &e);
	ok(io_lines_next(&in, &len, &e) == NULL, "a line over the maximum");
	is_int(e.ex, EX_DATAERR, "  is a data error");
	is_str(e.text, "stdin:1: line longer than 100 bytes",
	    "  naming its line, never cut");
	io_lines_free(&in);
	close(fd);

	fd = feed("a\0b\n", 4);
	io_lines_init(&in, fd, "stdin", 100, NULL, NULL, &e);
	l = io_lines_next(&in, &len, &e);
	ok(l != NULL && len == 3 && memcmp(l, "a\0b", 3) == 0,
	    "a NUL byte is kept and counted in the length");
	io_lines_free(&in);
	close(fd);

	io_lines_init(&in, 999, "bad", 100, NULL, NULL, &e);
	ok(io_lines_next(&in, &len, &e) == NULL && e.ex != EX_OK,
	    "a read error is an error: %s", e.text);
	io_lines_free(&in);
	return tap_done();
}
