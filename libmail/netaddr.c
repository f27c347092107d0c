/* SPDX-License-Identifier: ISC */
/*
 * netaddr - numeric IPv4/IPv6 addresses and CIDR matching for mynetworks.
 *
 * Only numeric forms are accepted (inet_pton); nothing here resolves a
 * name, so a list can be checked without DNS and a peer cannot influence
 * the result through its reverse zone.  Input comes from the
 * configuration and from getpeername(); the SMTP literal forms "[1.2.3.4]"
 * and "[IPv6:...]" are accepted so address literals can be compared too.
 */
#include "config.h"

#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <netdb.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "netaddr.h"
#include "str.h"

static const unsigned char v4mapped[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

static void
unmap(struct netaddr *a)
{
	if (a->family == AF_INET6 && memcmp(a->a, v4mapped, 12) == 0) {
		memmove(a->a, a->a + 12, 4);
		memset(a->a + 4, 0, 12);
		a->family = AF_INET;
	}
}

/* netaddr_parse - a numeric address, bare or as an SMTP literal */
int
netaddr_parse(const char *s, struct netaddr *a)
{
	char	tmp[NETADDR_STRLEN];
	size_t	n = strlen(s);

	memset(a, 0, sizeof *a);
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		s++;
		n -= 2;
	}
	if (n >= 5 && strncasecmp(s, "IPv6:", 5) == 0) {
		s += 5;
		n -= 5;
		if (n >= sizeof tmp)
			goto bad;
		memcpy(tmp, s, n);
		tmp[n] = '\0';
		if (inet_pton(AF_INET6, tmp, a->a) != 1)
			goto bad;
		a->family = AF_INET6;
		unmap(a);
		return 0;
	}
	if (n >= sizeof tmp)
		goto bad;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if (inet_pton(AF_INET, tmp, a->a) == 1) {
		a->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, tmp, a->a) == 1) {
		a->family = AF_INET6;
		unmap(a);
		return 0;
	}
bad:
	memset(a, 0, sizeof *a);
	errno = EINVAL;
	return -1;
}

/* netaddr_from_sockaddr - the address part of a socket address */
int
netaddr_from_sockaddr(const struct sockaddr *sa, socklen_t len,
    struct netaddr *a)
{
	memset(a, 0, sizeof *a);
	if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const void *)sa;

		memcpy(a->a, &in->sin_addr, 4);
		a->family = AF_INET;
		return 0;
	}
	if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		memcpy(a->a, &in6->sin6_addr, 16);
		a->family = AF_INET6;
		unmap(a);
		return 0;
	}
	errno = EAFNOSUPPORT;
	return -1;
}

/* netaddr_format - the numeric form, without brackets */
int
netaddr_format(const struct netaddr *a, char *out, size_t size)
{
	if ((a->family != AF_INET && a->family != AF_INET6) ||
	    inet_ntop(a->family, a->a, out, (socklen_t)size) == NULL) {
		if (size > 0)
			out[0] = '\0';
		errno = ENOSPC;
		return -1;
	}
	return 0;
}

/* netaddr_equal - same family and address */
int
netaddr_equal(const struct netaddr *a, const struct netaddr *b)
{
	return a->family != 0 && a->family == b->family &&
	    memcmp(a->a, b->a, 16) == 0;
}

/* netmask_parse - "net/bits", "[v6net]/bits" or a single address */
int
netmask_parse(const char *s, struct netmask *m)
{
	char		 tmp[NETADDR_STRLEN];
	const char	*slash = strrchr(s, '/');
	long long	 bits;
	size_t		 n, i;
	int		 max, mapped;

	memset(m, 0, sizeof *m);
	n = slash != NULL ? (size_t)(slash - s) : strlen(s);
	if (n == 0 || n >= sizeof tmp)
		goto bad;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	mapped = strncasecmp(tmp, "::ffff:", 7) == 0 ||
	    strncasecmp(tmp, "[::ffff:", 8) == 0;
	if (netaddr_parse(tmp, &m->net) == -1)
		goto bad;
	max = m->net.family == AF_INET ? 32 : 128;
	if (slash == NULL)
		bits = max;
	else if (str_tonum(slash + 1, 0, mapped ? 128 : max, &bits) == -1)
		goto bad;
	if (mapped && m->net.family == AF_INET && slash != NULL) {
		/* "::ffff:10.0.0.0/104" is the IPv4 /8 it spells. */
		if (bits < 96)
			goto bad;
		bits -= 96;
	}
	m->bits = (int)bits;
	/* Host bits below the prefix must be zero ("10.1.2.3/8" is a typo). */
	for (i = 0; i < 16; i++) {
		int	keep = m->bits - (int)i * 8;
		unsigned char mask;

		if (keep >= 8)
			continue;
		mask = keep <= 0 ? 0 : (unsigned char)(0xff << (8 - keep));
		if (m->net.a[i] & ~mask)
			goto bad;
	}
	return 0;
bad:
	memset(m, 0, sizeof *m);
	errno = EINVAL;
	return -1;
}

/* netmask_match - true when a lies inside m */
int
netmask_match(const struct netmask *m, const struct netaddr *a)
{
	int	i, full = m->bits / 8, rest = m->bits % 8;
	unsigned char mask;

	if (a->family == 0 || a->family != m->net.family)
		return 0;
	for (i = 0; i < full; i++)
		if (a->a[i] != m->net.a[i])
			return 0;
	if (rest == 0)
		return 1;
	mask = (unsigned char)(0xff << (8 - rest));
	return (a->a[full] & mask) == m->net.a[full];
}

/* netmask_list - parse each entry of a list into a mask */
int
netmask_list(char *const *items, size_t n, struct netmask **out,
    struct mail_err *e)
{
	struct netmask	*v;
	size_t		 i;

	*out = NULL;
	if ((v = calloc(n > 0 ? n : 1, sizeof *v)) == NULL)
		return mail_err_errno(e, errno, "netmask list");
	for (i = 0; i < n; i++) {
		if (netmask_parse(items[i], &v[i]) == -1) {
			free(v);
			return mail_err_set(e, EX_CONFIG, NULL,
			    "bad network \"%s\": want ADDRESS or ADDRESS/BITS "
			    "(IPv6 as [ADDRESS]/BITS)", items[i]);
		}
	}
	*out = v;
	return EX_OK;
}

/* netmask_list_match - true when a lies inside any of the n masks */
int
netmask_list_match(const struct netmask *v, size_t n,
    const struct netaddr *a)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (netmask_match(&v[i], a))
			return 1;
	return 0;
}

/* netaddr_listen - bind and listen on a numeric ADDR:PORT */
int
netaddr_listen(const char *spec, int backlog, struct mail_err *e)
{
	struct addrinfo	 hints, *res;
	char		 host[NETADDR_STRLEN];
	const char	*colon = strrchr(spec, ':'), *h;
	size_t		 n;
	int		 fd, one = 1, rc;

	if (colon == NULL || colon[1] == '\0')
		return mail_err_set(e, EX_USAGE, NULL, "%s: want ADDR:PORT",
		    spec), -1;
	n = (size_t)(colon - spec);
	h = spec;
	if (n >= 2 && spec[0] == '[' && spec[n - 1] == ']') {
		h++;
		n -= 2;
	}
	if (n >= sizeof host)
		return mail_err_set(e, EX_USAGE, NULL, "%s: address too long",
		    spec), -1;
	memcpy(host, h, n);
	host[n] = '\0';
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
	if ((rc = getaddrinfo(n == 0 || strcmp(host, "*") == 0 ? NULL : host,
	    colon + 1, &hints, &res)) != 0)
		return mail_err_set(e, EX_USAGE, NULL, "%s: %s", spec,
		    gai_strerror(rc)), -1;
	fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC,
	    res->ai_protocol);
	if (fd == -1) {
		mail_err_errno(e, errno, "%s: socket", spec);
		goto fail;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (res->ai_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
		    sizeof one);
	if (bind(fd, res->ai_addr, res->ai_addrlen) == -1 ||
	    listen(fd, backlog) == -1) {
		mail_err_errno(e, errno, "%s", spec);
		close(fd);
		fd = -1;
		goto fail;
	}
	freeaddrinfo(res);
	return fd;
fail:
	freeaddrinfo(res);
	e->ex = EX_OSERR;
	return -1;
}

/* netaddr_port - the port a socket is bound to */
int
netaddr_port(int fd)
{
	struct sockaddr_storage	ss;
	socklen_t		len = sizeof ss;

	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		return -1;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return -1;
}
