/* SPDX-License-Identifier: ISC */
/*
 * addr - RFC 5321 paths and mailboxes, with domains in A-labels.
 *
 * A parsed address keeps the local part in its internal (unquoted) form
 * and the domain in lower-case A-labels (through libidn2, IDN2_NFC_INPUT |
 * IDN2_NONTRANSITIONAL), or an address literal in brackets as written.
 * CR, LF, NUL and other control bytes are refused everywhere, also inside
 * quotes and as quoted-pairs.  UTF-8 (with ADDR_P_UTF8) must be well-formed:
 * overlong forms, surrogates, truncated sequences and C1 controls (U+0080
 * to U+009F, NEL among them) are refused.
 *
 * Source routes ("<@a,@b:user@c>"): RFC 5321 section 4.1.1.3 says a server
 * should accept and ignore them; by default we refuse them with 5.1.3
 * "source routes are not accepted", as modern MTAs do against relay
 * tricks.  A caller that wants RFC 5321's behaviour passes ADDR_P_ROUTE_OK:
 * the route is then checked for syntax and dropped.
 *
 * The 64-octet limit counts the local part as written, quotes and
 * backslashes included, so the external form always fits it too.  A local
 * part is never case-folded; an ASCII domain is only lower-cased.
 *
 * Where we differ from RFC 5321 on purpose: an empty quoted local part
 * ("") is refused; a local part may not mix dot-atoms and quoted strings
 * (RFC 5322's obsolete syntax); only IPv4 and "IPv6:" address literals are
 * known (a general-address-literal with another tag is refused).
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
#define ADDR_P_ROUTE_OK	0x10	/* a source route is checked and dropped */

/* flags in struct addr */
#define ADDR_NULL	0x01	/* the null reverse-path <> */
#define ADDR_QUOTED	0x02	/* the local part needs quoting */
#define ADDR_LITERAL	0x04	/* domain is an address literal [..] */
#define ADDR_SMTPUTF8	0x08	/* needs SMTPUTF8 (UTF-8 in the local part) */
#define ADDR_IDN	0x10	/* domain was given in U-labels */

struct addr {
	char	local[ADDR_LOCAL_MAX + 1];	/* internal form, no quotes */
	char	domain[ADDR_DOMAIN_MAX + 1];	/* A-labels, lower case */
	char	udomain[ADDR_DOMAIN_MAX + 1];	/* as given, for display */
	int	flags;
};

/*
 * addr_parse_path - parse "<local@domain>" (RFC 5321 Path; "<>" with
 * ADDR_P_NULL_OK); addr_parse_mailbox - parse "local@domain" without
 * brackets ("" is the null path there, with ADDR_P_NULL_OK).  n is the
 * length (the text need not be NUL-terminated).  The domain is split off
 * at the last "@" outside quotes.  EX_OK, or EX_DATAERR with e saying
 * what is wrong (5.1.3, or 5.1.7 with ADDR_P_SENDER; 5.6.7 for non-ASCII
 * without ADDR_P_UTF8), or EX_TEMPFAIL (4.3.0) when libidn2 runs out of
 * memory.  On failure *a is zeroed.  A bare local part (ADDR_P_NO_DOMAIN)
 * leaves domain and udomain empty.
 */
int	 addr_parse_path(const char *, size_t, int, struct addr *,
	    struct mail_err *);
int	 addr_parse_mailbox(const char *, size_t, int, struct addr *,
	    struct mail_err *);

/*
 * addr_domain_ascii - a domain to lower-case A-labels, validated as a host
 * name (LDH labels of 1-63 octets, no empty label; one trailing dot
 * allowed and dropped).  U-labels are converted only when the domain is
 * not ASCII, or an ASCII label starts with "xn--" (checked by libidn2).
 * EX_OK, or EX_DATAERR (5.1.3) with the reason ("bad IDN: " and libidn2's
 * text), or EX_TEMPFAIL when libidn2 runs out of memory.
 */
int	 addr_domain_ascii(const char *, char *, size_t, struct mail_err *);

/*
 * addr_domain_unicode - A-labels back to U-labels for display; EX_OK,
 * EX_DATAERR, or EX_TEMPFAIL when libidn2 runs out of memory.
 */
int	 addr_domain_unicode(const char *, char *, size_t, struct mail_err *);

/*
 * addr_hostname_ok - true when s is a valid LDH host name (A-labels; no
 * trailing dot, at most 255 octets; letters of either case)
 */
int	 addr_hostname_ok(const char *);

/*
 * addr_format - the external form, "local@domain" with the local part
 * quoted where RFC 5321 needs it ("" for the null path); appended to b.
 * 0, or -1 with errno and b unchanged.
 */
int	 addr_format(const struct addr *, struct buf *);

#endif
