/* SPDX-License-Identifier: ISC */
/*
 * netaddr - IPv4 and IPv6 addresses and CIDR lists (mynetworks).
 *
 * An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is kept as the IPv4
 * address it carries, so a client that reaches an IPv6 socket from IPv4
 * matches 127.0.0.0/8 like any other.
 */
#ifndef MAILPATH_NETADDR_H
#define MAILPATH_NETADDR_H

#include <stddef.h>
#include <sys/socket.h>

#include "exitcode.h"

#define NETADDR_STRLEN	64	/* enough for any formatted address */

struct netaddr {
	int		family;		/* AF_INET, AF_INET6, 0 = none */
	unsigned char	a[16];		/* network byte order */
};

struct netmask {
	struct netaddr	net;
	int		bits;		/* prefix length */
};

/*
 * netaddr_parse - a numeric address, "1.2.3.4", "::1", "[::1]" or
 * "IPv6:::1" (the SMTP literal form); 0, or -1 (EINVAL).
 */
int	 netaddr_parse(const char *, struct netaddr *);

/* netaddr_from_sockaddr - the address of a socket peer; 0 or -1 (EAFNOSUPPORT) */
int	 netaddr_from_sockaddr(const struct sockaddr *, socklen_t,
	    struct netaddr *);

/* netaddr_format - "1.2.3.4" or "2001:db8::1"; 0, or -1 (ENOSPC) */
int	 netaddr_format(const struct netaddr *, char *, size_t);

/* netaddr_equal - same family and address */
int	 netaddr_equal(const struct netaddr *, const struct netaddr *);

/*
 * netmask_parse - "10.0.0.0/8", "[2001:db8::]/32", "127.0.0.1" (a host);
 * host bits set below the prefix are refused, as Postfix does.  0, or -1.
 */
int	 netmask_parse(const char *, struct netmask *);

/* netmask_match - true when a lies inside m */
int	 netmask_match(const struct netmask *, const struct netaddr *);

/*
 * netmask_list - parse the n entries of a list (conf_list() splits
 * "127.0.0.0/8, [::1]/128"): a vector of n masks the caller frees with
 * free().  EX_OK, or EX_CONFIG naming the bad entry (host names and tables
 * are not supported here), EX_TEMPFAIL when out of memory.
 */
int	 netmask_list(char *const *, size_t, struct netmask **,
	    struct mail_err *);

/* netmask_list_match - true when a lies inside any of the n masks */
int	 netmask_list_match(const struct netmask *, size_t,
	    const struct netaddr *);

/*
 * netaddr_listen - a listening TCP socket (close-on-exec) for
 * "ADDR:PORT", "[V6ADDR]:PORT" or "*:PORT" (numeric only; port 0 picks
 * a free port).  The descriptor, or -1 with e filled (EX_USAGE for a bad
 * spec, EX_OSERR when the socket cannot be bound).
 */
int	 netaddr_listen(const char *, int, struct mail_err *);

/* netaddr_port - the local port a socket is bound to, or -1 */
int	 netaddr_port(int);

#endif
