/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for libmail/smtpc: line ends made CRLF (also across read
 * boundaries), long lines folded, the size limit, the TLS level names.
 * The protocol itself is tested against real servers in t/0310.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "smtpc.h"
#include "tap.h"

static const struct {
	const char	*in;
	const char	*want;
} crlf[] = {
	{ "a\nb\n", "a\r\nb\r\n" },
	{ "a\r\nb\r\n", "a\r\nb\r\n" },
	{ "a\rb\r", "a\r\nb\r\n" },
	{ "a\r\r\nb", "a\r\n\r\nb" },
	{ "\n.\n", "\r\n.\r\n" },
	{ "a\n\rb", "a\r\n\r\nb" },
	{ "", "" },
	{ "no end", "no end" },
};

/* the message text through a pipe, as smtpc_read sees stdin */
static int
read_text(const char *text, size_t len, size_t max, struct buf *b,
    struct mail_err *e)
{
	int	fd[2], ex;

	if (pipe(fd) == -1)
		return -1;
	if (write(fd[1], text, len) != (ssize_t)len)
		return -1;
	close(fd[1]);
	ex = smtpc_read(fd[0], b, max, e);
	close(fd[0]);
	return ex;
}

int
main(void)
{
	struct buf	 b = BUF_INIT(4096);
	struct mail_err	 e;
	char		 name[64], *long_line, *want;
	size_t		 i, k, n;
	int		 cr, ex;

	for (i = 0; i < sizeof crlf / sizeof crlf[0]; i++) {
		/* whole, then one byte at a time (a CR ends a chunk) */
		buf_reset(&b);
		cr = 0;
		smtpc_crlf(&b, crlf[i].in, strlen(crlf[i].in), &cr);
		if (cr)
			buf_add(&b, "\n", 1);
		snprintf(name, sizeof name, "CRLF, case %zu, whole", i);
		is_str(buf_str(&b), crlf[i].want, name);
		buf_reset(&b);
		cr = 0;
		for (k = 0; crlf[i].in[k] != '\0'; k++)
			smtpc_crlf(&b, crlf[i].in + k, 1, &cr);
		if (cr)
			buf_add(&b, "\n", 1);
		snprintf(name, sizeof name, "CRLF, case %zu, byte by byte", i);
		is_str(buf_str(&b), crlf[i].want, name);
	}
	buf_free(&b);

	ex = read_text("Subject: x\n\nbody", 16, 1000, &b, &e);
	is_int(ex, EX_OK, "smtpc_read reads a message");
	is_str(buf_str(&b), "Subject: x\r\n\r\nbody\r\n",
	    "and ends its last line");
	buf_free(&b);

	ex = read_text("0123456789\n0123456789\n", 22, 20, &b, &e);
	is_int(ex, EX_DATAERR, "more than the limit: EX_DATAERR");
	is_str(e.enh, "5.3.4", "  5.3.4");
	buf_free(&b);

	/* A 2500-octet line: folded at 998 octets, twice. */
	n = 2500;
	long_line = malloc(n + 2);
	want = malloc(n + 16);
	memset(long_line, '.', n);
	long_line[n] = '\n';
	ex = read_text(long_line, n + 1, 10000, &b, &e);
	is_int(ex, EX_OK, "a long line is read");
	memset(want, '.', 998);
	memcpy(want + 998, "\r\n ", 3);
	memset(want + 1001, '.', 997);
	memcpy(want + 1998, "\r\n ", 3);
	memset(want + 2001, '.', 505);
	memcpy(want + 2506, "\r\n", 3);
	is_str(buf_str(&b), want, "  and folded with CRLF SP every 998 octets");
	is_int(b.len, n + 2 + 6, "  its length");
	buf_free(&b);
	ex = read_text(long_line, 998, 10000, &b, &e);
	is_int(b.len, 1000, "a line of exactly 998 octets is not folded");
	buf_free(&b);
	free(long_line);
	free(want);

	is_int(smtpc_tls_level("none"), SMTPC_TLS_NONE, "tls none");
	is_int(smtpc_tls_level(""), SMTPC_TLS_NONE, "tls empty is none");
	is_int(smtpc_tls_level("may"), SMTPC_TLS_MAY, "tls may");
	is_int(smtpc_tls_level("encrypt"), SMTPC_TLS_ENCRYPT, "tls encrypt");
	is_int(smtpc_tls_level("verify"), SMTPC_TLS_VERIFY, "tls verify");
	is_int(smtpc_tls_level("secure"), SMTPC_TLS_VERIFY,
	    "tls secure is verify");
	is_int(smtpc_tls_level("dane"), -1, "tls dane is unknown");
	is_str(smtpc_status(SMTPC_DEFERRED), "deferred", "status words");
	return tap_done();
}
