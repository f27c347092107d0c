/* SPDX-License-Identifier: ISC */
/*
 * addr - RFC 5321 paths and mailboxes, with domains in A-labels.
 *
 * A parsed address keeps the local part in its internal (unquoted) form
 * and the domain in lower-case A-labels (through libidn2, IDN2_NFC_INPUT |
 * IDN2_NONTRANSITIONAL), or an address literal in brackets as written.
 * CR, LF, NUL and other control bytes are refused everywhere.
 */
#ifndef MAILPATH_ADDR_H
#define MAILPATH_ADDR_H

#include <stddef.h>

#include "buf.h"
#include "exitcode.h"

#define ADDR_LOCAL_MAX	64	/* octets, RFC 5321 4.5.3.1.1 */
#define ADDR_DOMAIN_MAX	255	/* octets, RFC 5321 4.5.3.1.2 */
#define ADDR_PATH_MAX	256	/* octets with the brackets, 4.5.3.1.3 */

/* flags given to the parsers */
#define ADDR_P_NULL_OK	0x01	/* "<>" is accepted (MAIL FROM) */
#define ADDR_P_NO_DOMAIN 0x02	/* a bare local part is accepted */
#define ADDR_P_UTF8	0x04	/* UTF-8 local parts/domains allowed */
#define ADDR_P_SENDER	0x08	/* errors say 5.1.7 (sender) not 5.1.3 */

/* flags in struct addr */
#define ADDR_NULL	0x01	/* the null reverse-path <> */
#define ADDR_QUOTED	0x02	/* the local part needs quoting */
#define ADDR_LITERAL	0x04	/* domain is an address literal [..] */
#define ADDR_SMTPUTF8	0x08	/* needs SMTPUTF8 (UTF-8 in the local part) */
#define ADDR_IDN	0x10	/* domain was given in U-labels */

struct addr {
	char	local[ADDR_LOCAL_MAX + 1];	/* internal form, no quotes */
	char	domain[ADDR_DOMAIN_MAX + 1];	/* A-labels, lower case */
	char	udomain[ADDR_DOMAIN_MAX + 1];	/* as given (U-labels) */
	int	flags;
};

/*
 * addr_parse_path - parse "<local@domain>" (RFC 5321 Path; "<>" with
 * ADDR_P_NULL_OK); addr_parse_mailbox - parse "local@domain" without
 * brackets.  n is the length (the text need not be NUL-terminated).
 * EX_OK, or EX_DATAERR with e saying what is wrong (5.1.3, or 5.1.7 with
 * ADDR_P_SENDER; 5.6.7 for UTF-8 without ADDR_P_UTF8).
 */
int	 addr_parse_path(const char *, size_t, int, struct addr *,
	    struct mail_err *);
int	 addr_parse_mailbox(const char *, size_t, int, struct addr *,
	    struct mail_err *);

/*
 * addr_domain_ascii - a domain to lower-case A-labels, validated as a host
 * name (LDH labels of 1-63 octets, no empty label; one trailing dot
 * allowed and dropped).  EX_OK, or EX_DATAERR with the libidn2 reason.
 */
int	 addr_domain_ascii(const char *, char *, size_t, struct mail_err *);

/* addr_domain_unicode - A-labels back to U-labels for display; EX_OK/EX_DATAERR */
int	 addr_domain_unicode(const char *, char *, size_t, struct mail_err *);

/* addr_hostname_ok - true when s is a valid LDH host name (A-labels) */
int	 addr_hostname_ok(const char *);

/*
 * addr_format - the external form, "local@domain" with the local part
 * quoted where RFC 5321 needs it ("" for the null path); appended to b.
 * 0, or -1 with errno.
 */
int	 addr_format(const struct addr *, struct buf *);

#endif
