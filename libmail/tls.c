/* SPDX-License-Identifier: ISC */
/*
 * tls - STARTTLS for smtp-listen with OpenSSL (DEPENDENCIES.md 5.2).
 *
 * The descriptors are switched to non-blocking mode for the handshake and
 * every later read and write, and each OpenSSL call that wants more is
 * followed by poll() with the caller's timeout, so a client that stalls
 * in the middle of a TLS record cannot hold the process forever.  The
 * engine discards its plaintext buffer before calling us (CVE-2011-0411);
 * OpenSSL reads the descriptor itself from then on.  One tls_server
 * serves one session at a time (smtp-listen forks per connection).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "log.h"
#include "smtpd.h"
#include "tls.h"

struct tls_server {
	SSL_CTX		*ctx;
	SSL		*ssl;
	int		 rfd, wfd;
	int		 timeout_ms;
};

static const char *
sslerr(void)
{
	unsigned long	e = ERR_get_error();

	return e != 0 ? ERR_reason_error_string(e) : "unknown error";
}

/* tls_server_new - load the certificate and key */
int
tls_server_new(struct tls_server **tp, const char *cert, const char *key,
    struct mail_err *e)
{
	struct tls_server	*t;

	*tp = NULL;
	if ((t = calloc(1, sizeof *t)) == NULL)
		return mail_err_errno(e, errno, "TLS");
	t->rfd = t->wfd = -1;
	if ((t->ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		free(t);
		return mail_err_set(e, EX_CONFIG, NULL, "TLS: %s", sslerr());
	}
	SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(t->ctx, SSL_OP_NO_RENEGOTIATION);
	if (SSL_CTX_use_certificate_chain_file(t->ctx, cert) != 1) {
		mail_err_set(e, EX_CONFIG, NULL, "smtpd_tls_cert_file %s: %s",
		    cert, sslerr());
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(t->ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(t->ctx) != 1) {
		mail_err_set(e, EX_CONFIG, NULL, "smtpd_tls_key_file %s: %s",
		    key, sslerr());
		goto fail;
	}
	*tp = t;
	return EX_OK;
fail:
	SSL_CTX_free(t->ctx);
	free(t);
	return EX_CONFIG;
}

/* tls_server_end - forget the session's TLS state */
void
tls_server_end(struct tls_server *t)
{
	if (t != NULL && t->ssl != NULL) {
		SSL_free(t->ssl);
		t->ssl = NULL;
	}
}

/* tls_server_free - the context and any session */
void
tls_server_free(struct tls_server *t)
{
	if (t == NULL)
		return;
	if (t->ssl != NULL)
		SSL_free(t->ssl);
	SSL_CTX_free(t->ctx);
	free(t);
}

/*
 * wait - after an OpenSSL call returned r: poll for what it wants.  1 to
 * retry, 0 on timeout (errno ETIMEDOUT), -1 on a real error or the end.
 */
static int
wait(struct tls_server *t, int r, int ms)
{
	struct pollfd	pfd;
	int		n;

	switch (SSL_get_error(t->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		pfd.fd = t->rfd;
		pfd.events = POLLIN;
		break;
	case SSL_ERROR_WANT_WRITE:
		pfd.fd = t->wfd;
		pfd.events = POLLOUT;
		break;
	case SSL_ERROR_ZERO_RETURN:
		errno = 0;
		return -1;
	default:
		ERR_clear_error();
		if (errno == 0)
			errno = EPROTO;
		return -1;
	}
	do
		n = poll(&pfd, 1, ms);
	while (n == -1 && errno == EINTR);
	if (n == 0)
		errno = ETIMEDOUT;
	return n > 0 ? 1 : n;
}

static ssize_t
t_read(void *ctx, void *p, size_t n, int ms)
{
	struct tls_server	*t = ctx;
	int			 r, w;

	for (;;) {
		errno = 0;
		if ((r = SSL_read(t->ssl, p, n > 0x7fffffff ? 0x7fffffff :
		    (int)n)) > 0)
			return r;
		if ((w = wait(t, r, ms)) == 1)
			continue;
		if (w == -1 && errno == 0)
			return 0;	/* close_notify */
		return -1;
	}
}

static int
t_write(void *ctx, const void *p, size_t n)
{
	struct tls_server	*t = ctx;
	int			 r;

	while (n > 0) {
		errno = 0;
		r = SSL_write(t->ssl, p, n > 0x7fffffff ? 0x7fffffff : (int)n);
		if (r > 0) {
			p = (const char *)p + r;
			n -= (size_t)r;
			continue;
		}
		if (wait(t, r, t->timeout_ms) != 1)
			return -1;
	}
	return 0;
}

static int
t_poll(void *ctx, int ms)
{
	struct tls_server	*t = ctx;
	struct pollfd		 pfd;
	int			 n;

	if (SSL_pending(t->ssl) > 0)
		return 1;
	pfd.fd = t->rfd;
	pfd.events = POLLIN;
	do
		n = poll(&pfd, 1, ms);
	while (n == -1 && errno == EINTR);
	return n;
}

static int
nonblock(int fd)
{
	int	fl = fcntl(fd, F_GETFL);

	return fl == -1 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* tls_server_starttls - the handshake; then io goes through TLS */
int
tls_server_starttls(void *ctx, struct smtpd_io *io, char *info, size_t size)
{
	struct tls_server	*t = ctx;
	struct smtpd_fdio	*f = io->ctx;
	time_t			 deadline;
	int			 r, w, ms;

	if (t->ssl != NULL || (t->ssl = SSL_new(t->ctx)) == NULL)
		return -1;
	t->rfd = f->rfd;
	t->wfd = f->wfd;
	t->timeout_ms = f->timeout_ms;
	if (nonblock(t->rfd) == -1 || nonblock(t->wfd) == -1 ||
	    SSL_set_rfd(t->ssl, t->rfd) != 1 ||
	    SSL_set_wfd(t->ssl, t->wfd) != 1)
		return -1;
	deadline = time(NULL) + (t->timeout_ms + 999) / 1000;
	for (;;) {
		errno = 0;
		if ((r = SSL_accept(t->ssl)) == 1)
			break;
		ms = (int)(deadline - time(NULL)) * 1000;
		if (ms <= 0 || (w = wait(t, r, ms)) != 1) {
			log_info("TLS handshake failed: %s",
			    errno == ETIMEDOUT ? "timeout" : sslerr());
			return -1;
		}
	}
	snprintf(info, size, "%s with cipher %s", SSL_get_version(t->ssl),
	    SSL_get_cipher_name(t->ssl));
	io->ctx = t;
	io->read = t_read;
	io->write = t_write;
	io->poll = t_poll;
	return 0;
}
