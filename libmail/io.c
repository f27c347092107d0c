/* SPDX-License-Identifier: ISC */
/*
 * io - buffered reading of lines from a file descriptor.
 *
 * Trusts nothing it reads: a line longer than the maximum is an error
 * naming its number, never cut; the buffer never grows past max plus one
 * read's worth.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "io.h"

#define IO_CHUNK	(1 << 20)	/* bytes asked of one read(2) */

/* io_lines_init - start reading lines from fd */
int
io_lines_init(struct io_lines *in, int fd, const char *name, size_t max,
    void (*before_read)(void *), void *arg, struct mail_err *e)
{
	memset(in, 0, sizeof *in);
	in->fd = fd;
	in->name = name;
	in->max = max;
	in->cap = max + IO_CHUNK + 2;
	in->before_read = before_read;
	in->arg = arg;
	if ((in->b = malloc(in->cap)) == NULL)
		return mail_err_errno(e, errno, "%s", name);
	return EX_OK;
}

/* io_lines_next - the next line, or NULL at the end or on an error */
char *
io_lines_next(struct io_lines *in, size_t *len, struct mail_err *e)
{
	char	*p, *nl;
	ssize_t	 n;

	mail_err_clear(e);
	for (;;) {
		p = in->b + in->start;
		nl = memchr(p, '\n', in->end - in->start);
		if (nl != NULL || (in->eof && in->end > in->start)) {
			if (nl == NULL)
				nl = in->b + in->end;
			if ((size_t)(nl - p) > in->max + (nl > p &&
			    nl[-1] == '\r'))
				break;
			in->start = (size_t)(nl - in->b) +
			    (nl < in->b + in->end);
			*nl = '\0';
			if (nl > p && nl[-1] == '\r')
				*--nl = '\0';
			in->line++;
			*len = (size_t)(nl - p);
			return p;
		}
		if (in->eof)
			return NULL;
		if (in->end - in->start > in->max)
			break;
		memmove(in->b, p, in->end - in->start);
		in->end -= in->start;
		in->start = 0;
		if (in->before_read != NULL)
			in->before_read(in->arg);
		n = read(in->fd, in->b + in->end, in->cap - in->end - 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			mail_err_errno(e, errno, "read %s", in->name);
			return NULL;
		}
		if (n == 0)
			in->eof = 1;
		in->end += (size_t)n;
	}
	/* Too long: an error, never a line cut in two. */
	mail_err_set(e, EX_DATAERR, NULL, "%s:%lu: line longer than %zu bytes",
	    in->name, in->line + 1, in->max);
	in->eof = 1;
	in->start = in->end;
	return NULL;
}

/* io_lines_free - release the buffer */
void
io_lines_free(struct io_lines *in)
{
	free(in->b);
	in->b = NULL;
}

/* io_stdfds - 0, 1 and 2 open */
void
io_stdfds(void)
{
	int	fd;

	while ((fd = open("/dev/null", O_RDWR)) >= 0 && fd <= 2)
		;
	if (fd > 2)
		close(fd);
}
