/* SPDX-License-Identifier: ISC */
/* Unit tests for libmail/netaddr: parsing, formatting, CIDR matching. */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdlib.h>
#include <string.h>

#include "netaddr.h"
#include "tap.h"

static const struct {
	const char	*in;
	int		 ok;
	const char	*out;	/* formatted */
} parses[] = {
	{ "127.0.0.1", 1, "127.0.0.1" },
	{ "[192.0.2.7]", 1, "192.0.2.7" },
	{ "::1", 1, "::1" },
	{ "[::1]", 1, "::1" },
	{ "IPv6:2001:db8::1", 1, "2001:db8::1" },
	{ "[IPv6:2001:DB8::1]", 1, "2001:db8::1" },
	{ "::ffff:10.1.2.3", 1, "10.1.2.3" },		/* mapped = IPv4 */
	{ "[IPv6:::ffff:127.0.0.1]", 1, "127.0.0.1" },
	{ "1.2.3", 0, "" },
	{ "256.1.1.1", 0, "" },
	{ "localhost", 0, "" },
	{ "", 0, "" },
	{ "[127.0.0.1", 0, "" },
	{ "IPv6:127.0.0.1", 0, "" },
	{ "1.2.3.4 ", 0, "" },
};

static const struct {
	const char	*mask;
	const char	*addr;
	int		 want;	/* 1 match, 0 no match, -1 mask refused */
} matches[] = {
	{ "127.0.0.0/8", "127.0.0.1", 1 },
	{ "127.0.0.0/8", "127.255.255.255", 1 },
	{ "127.0.0.0/8", "128.0.0.1", 0 },
	{ "127.0.0.1", "127.0.0.1", 1 },
	{ "127.0.0.1", "127.0.0.2", 0 },
	{ "127.0.0.1/32", "127.0.0.9", 0 },
	{ "10.0.0.0/9", "10.127.1.1", 1 },
	{ "10.0.0.0/9", "10.128.1.1", 0 },
	{ "0.0.0.0/0", "203.0.113.5", 1 },
	{ "0.0.0.0/0", "::1", 0 },			/* families differ */
	{ "[::1]/128", "::1", 1 },
	{ "[::1]/128", "::2", 0 },
	{ "[2001:db8::]/32", "2001:db8:ffff::1", 1 },
	{ "[2001:db8::]/32", "2001:db9::1", 0 },
	{ "2001:db8::/33", "2001:db8:7fff::1", 1 },
	{ "2001:db8::/33", "2001:db8:8000::1", 0 },
	{ "[fe80::]/10", "febf::1", 1 },
	{ "[fe80::]/10", "fec0::1", 0 },
	{ "127.0.0.0/8", "::ffff:127.0.0.1", 1 },	/* mapped client */
	{ "[::ffff:10.0.0.0]/104", "10.9.9.9", 1 },
	{ "[::ffff:10.0.0.0]/104", "11.9.9.9", 0 },
	{ "10.1.2.3/8", "10.1.2.3", -1 },		/* host bits set */
	{ "127.0.0.0/33", "127.0.0.1", -1 },
	{ "127.0.0.0/-1", "127.0.0.1", -1 },
	{ "127.0.0.0/", "127.0.0.1", -1 },
	{ "127.0.0.0/8x", "127.0.0.1", -1 },
	{ "[::]/129", "::1", -1 },
	{ "/8", "127.0.0.1", -1 },
	{ "example.test", "127.0.0.1", -1 },
};

int
main(void)
{
	struct netaddr		 a, b;
	struct netmask		 m, *v;
	struct mail_err		 e;
	struct sockaddr_in6	 sin6;
	struct sockaddr_in	 sin;
	char			 out[NETADDR_STRLEN];
	char			*list[] = { "10.0.0.0/8", "[::1]/128", NULL };
	char			*bad[] = { "10.0.0.0/8", "mx.example.test" };
	size_t			 i;
	int			 rc;

	for (i = 0; i < sizeof parses / sizeof parses[0]; i++) {
		rc = netaddr_parse(parses[i].in, &a);
		if (!is_int(rc == 0, parses[i].ok, parses[i].in))
			continue;
		if (rc == 0) {
			netaddr_format(&a, out, sizeof out);
			is_str(out, parses[i].out, "formats back");
		}
	}
	for (i = 0; i < sizeof matches / sizeof matches[0]; i++) {
		rc = netmask_parse(matches[i].mask, &m);
		if (matches[i].want == -1) {
			is_int(rc, -1, matches[i].mask);
			continue;
		}
		if (!is_int(rc, 0, matches[i].mask))
			continue;
		netaddr_parse(matches[i].addr, &a);
		if (!is_int(netmask_match(&m, &a), matches[i].want,
		    matches[i].addr))
			diag("mask %s", matches[i].mask);
	}

	is_int(netmask_list(list, 2, &v, &e), EX_OK, "a list parses");
	netaddr_parse("10.2.3.4", &a);
	is_int(netmask_list_match(v, 2, &a), 1, "list: IPv4 member");
	netaddr_parse("::1", &a);
	is_int(netmask_list_match(v, 2, &a), 1, "list: IPv6 member");
	netaddr_parse("192.0.2.1", &a);
	is_int(netmask_list_match(v, 2, &a), 0, "list: outsider");
	memset(&a, 0, sizeof a);
	is_int(netmask_list_match(v, 2, &a), 0, "list: unknown peer never "
	    "matches");
	free(v);
	is_int(netmask_list(bad, 2, &v, &e), EX_CONFIG, "a host name in "
	    "the list is a configuration error");
	ok(strstr(e.text, "mx.example.test") != NULL, "naming the entry: %s",
	    e.text);
	is_int(netmask_list(list, 0, &v, &e), EX_OK, "an empty list");
	is_int(netmask_list_match(v, 0, &a), 0, "matches nothing");
	free(v);

	memset(&sin6, 0, sizeof sin6);
	sin6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "::ffff:192.0.2.9", &sin6.sin6_addr);
	is_int(netaddr_from_sockaddr((struct sockaddr *)&sin6, sizeof sin6,
	    &a), 0, "sockaddr_in6");
	netaddr_format(&a, out, sizeof out);
	is_str(out, "192.0.2.9", "a mapped peer is its IPv4 address");
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	inet_pton(AF_INET, "192.0.2.9", &sin.sin_addr);
	netaddr_from_sockaddr((struct sockaddr *)&sin, sizeof sin, &b);
	is_int(netaddr_equal(&a, &b), 1, "and equals the same IPv4 peer");
	is_int(netaddr_from_sockaddr((struct sockaddr *)&sin, 4, &b), -1,
	    "a short sockaddr is refused");
	is_int(netaddr_format(&b, out, sizeof out), -1,
	    "an empty address does not format");
	return tap_done();
}
