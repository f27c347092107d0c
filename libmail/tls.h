/* SPDX-License-Identifier: ISC */
/*
 * tls - the server side of STARTTLS (RFC 3207) with OpenSSL, on any pair
 * of file descriptors (inetd's 0 and 1 may be two pipes), presented to
 * the SMTP engine as one more struct smtpd_io.
 */
#ifndef MAILPATH_TLS_H
#define MAILPATH_TLS_H

#include <stddef.h>

#include "exitcode.h"
#include "smtpd.h"

struct tls_server;

/*
 * tls_server_end - forget the session's TLS state, so that the next
 * session of the same process starts in plain text
 */
void	 tls_server_end(struct tls_server *);

/*
 * tls_server_new - a server context with this certificate chain and key
 * (PEM), TLS 1.2 or later.  EX_OK, or EX_CONFIG with e naming the file
 * and OpenSSL's reason.  Load it before dropping privileges.
 */
int	 tls_server_new(struct tls_server **, const char *, const char *,
	    struct mail_err *);
void	 tls_server_free(struct tls_server *);

/*
 * tls_server_starttls - an smtpd_ops.starttls for t: the handshake on the
 * descriptors of the smtpd_fdio in io->ctx, then io reads and writes
 * through TLS.  0, or -1 (the session must end).
 */
int	 tls_server_starttls(void *, struct smtpd_io *, char *, size_t);

#endif
