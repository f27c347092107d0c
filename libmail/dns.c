/* SPDX-License-Identifier: ISC */
/*
 * dns - MX, A and AAAA through glibc's resolver (res_nquery, ns_parse),
 * and the RFC 5321 section 5.1 / RFC 7505 decision on top of them: MX
 * hosts sorted by preference, equal preferences shuffled, the domain as
 * its own MX when it has none, a null MX ("0 .") as a permanent refusal.
 *
 * Trusts nothing in a reply: ns_initparse/ns_parserr check the record
 * framing, dn_expand the name compression (pointer loops and names past
 * the end of the message fail there), and every host name is checked by
 * addr_hostname_ok() before it is used.  Only NXDOMAIN, "no MX and no
 * address" and a null MX are permanent; a server failure, a refusal, a
 * timeout or a malformed reply is temporary, so no mail bounces because
 * a name server had a bad minute.
 *
 * The server can be named ("ADDR[:PORT]"), which replaces resolv.conf's
 * list in res_state's nsaddr_list: glibc keeps IPv6 servers elsewhere
 * (_u._ext), so only IPv4 servers can be named this way.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <netdb.h>
#include <resolv.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "dns.h"
#include "str.h"

#define CNAME_MAX	8	/* CNAMEs followed in one reply */

struct dns_res {
	struct __res_state st;
	uint64_t	 rng;
	void		(*explain)(const char *, void *);
	void		*arg;
};

/* what a query came to */
enum q {
	Q_OK, Q_NXDOMAIN, Q_NODATA, Q_TEMP
};

static void __attribute__((format(printf, 2, 3)))
explain(struct dns_res *r, const char *fmt, ...)
{
	char	line[600];
	va_list	ap;

	if (r == NULL || r->explain == NULL)
		return;
	va_start(ap, fmt);
	if (vsnprintf(line, sizeof line, fmt, ap) < 0)
		line[0] = '\0';
	va_end(ap);
	r->explain(line, r->arg);
}

/* dns_open - a resolver, optionally pointed at one server */
int
dns_open(struct dns_res **rp, const char *server, struct mail_err *e)
{
	struct dns_res		*r;
	struct sockaddr_in	 sa;
	char			 host[64];
	const char		*colon;
	long long		 port = NS_DEFAULTPORT;
	size_t			 n;

	*rp = NULL;
	memset(&sa, 0, sizeof sa);
	if (server != NULL && *server != '\0') {
		colon = strchr(server, ':');
		n = colon != NULL ? (size_t)(colon - server) : strlen(server);
		if (n == 0 || n >= sizeof host)
			return mail_err_set(e, EX_CONFIG, NULL,
			    "bad DNS server \"%s\": want ADDR[:PORT]", server);
		memcpy(host, server, n);
		host[n] = '\0';
		sa.sin_family = AF_INET;
		if (inet_pton(AF_INET, host, &sa.sin_addr) != 1 ||
		    (colon != NULL && str_tonum(colon + 1, 1, 65535,
		    &port) == -1))
			return mail_err_set(e, EX_CONFIG, NULL,
			    "bad DNS server \"%s\": want an IPv4 ADDR[:PORT]",
			    server);
		sa.sin_port = htons((uint16_t)port);
	}
	if ((r = calloc(1, sizeof *r)) == NULL)
		return mail_err_errno(e, errno, "dns");
	if (res_ninit(&r->st) == -1) {
		free(r);
		return mail_err_set(e, EX_OSERR, "4.4.3",
		    "cannot initialise the resolver");
	}
	/* A mail domain is always fully qualified: no search list. */
	r->st.options &= ~(RES_DNSRCH | RES_DEFNAMES);
	if (sa.sin_family == AF_INET) {
		r->st.nsaddr_list[0] = sa;
		r->st.nscount = 1;
	}
	if (getrandom(&r->rng, sizeof r->rng, GRND_NONBLOCK) !=
	    (ssize_t)sizeof r->rng)
		r->rng = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	*rp = r;
	mail_err_clear(e);
	return EX_OK;
}

/* dns_seed - a reproducible shuffle */
void
dns_seed(struct dns_res *r, uint64_t seed)
{
	r->rng = seed;
}

/* dns_set_explain - where the steps of the decision go */
void
dns_set_explain(struct dns_res *r, void (*fn)(const char *, void *),
    void *arg)
{
	r->explain = fn;
	r->arg = arg;
}

/* dns_set_timeout - seconds per try, number of tries */
void
dns_set_timeout(struct dns_res *r, int secs, int tries)
{
	if (secs > 0)
		r->st.retrans = secs;
	if (tries > 0)
		r->st.retry = tries;
}

/* dns_close - free a resolver */
void
dns_close(struct dns_res *r)
{
	if (r == NULL)
		return;
	res_nclose(&r->st);
	free(r);
}

/* splitmix64: small, seedable, good enough to order MX hosts */
static uint64_t
rnd(struct dns_res *r)
{
	uint64_t	z;

	z = (r->rng += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static const char *
typename(int type)
{
	switch (type) {
	case ns_t_mx:
		return "MX";
	case ns_t_a:
		return "A";
	case ns_t_aaaa:
		return "AAAA";
	default:
		return "?";
	}
}

/*
 * query - one question; *lenp is the reply's length on Q_OK.  why gets a
 * reason for the other outcomes.
 */
static enum q
query(struct dns_res *r, const char *name, int type, unsigned char *ans,
    int size, int *lenp, char *why, size_t whysize)
{
	int	len, rcode;

	memset(ans, 0, NS_HFIXEDSZ);
	errno = 0;
	len = res_nquery(&r->st, name, ns_c_in, type, ans, size);
	if (len >= 0) {
		*lenp = len;
		return Q_OK;
	}
	switch (r->st.res_h_errno) {
	case HOST_NOT_FOUND:
		snprintf(why, whysize, "%s: no such domain (NXDOMAIN)", name);
		return Q_NXDOMAIN;
	case NO_DATA:
		snprintf(why, whysize, "%s: no %s record", name,
		    typename(type));
		return Q_NODATA;
	default:
		rcode = ans[3] & 0x0f;
		if (rcode == ns_r_servfail)
			snprintf(why, whysize, "%s %s: name server failure "
			    "(SERVFAIL)", name, typename(type));
		else if (rcode == ns_r_refused)
			snprintf(why, whysize, "%s %s: query refused (REFUSED)",
			    name, typename(type));
		else if (errno == ECONNREFUSED)
			snprintf(why, whysize, "%s %s: name server unreachable "
			    "(connection refused)", name, typename(type));
		else if (rcode != 0)
			snprintf(why, whysize, "%s %s: name server error "
			    "(rcode %d)", name, typename(type), rcode);
		else
			snprintf(why, whysize, "%s %s: no answer from the name "
			    "server (timed out)", name, typename(type));
		return Q_TEMP;
	}
}

static int
same_name(const char *a, const char *b)
{
	size_t	la = strlen(a), lb = strlen(b);

	/* ns_parserr gives names without the final dot; callers may not. */
	if (la > 0 && a[la - 1] == '.')
		la--;
	if (lb > 0 && b[lb - 1] == '.')
		lb--;
	return la == lb && strncasecmp(a, b, la) == 0;
}

/*
 * parse - dns_parse(), with each CNAME that is followed explained through
 * r (NULL: silently)
 */
static int
parse(struct dns_res *r, const unsigned char *ans, int len, const char *name,
    int type, int (*fn)(const unsigned char *, const unsigned char *,
    const unsigned char *, size_t, void *), void *arg)
{
	ns_msg	 m;
	ns_rr	 rr;
	char	 cur[NS_MAXDNAME], next[NS_MAXDNAME];
	int	 i, count, hops, found, given = 0;

	if (ns_initparse(ans, len, &m) == -1)
		return -1;
	count = ns_msg_count(m, ns_s_an);
	if (str_copy(cur, sizeof cur, name) == -1)
		return -1;
	for (hops = 0;; hops++) {
		found = 0;
		for (i = 0; i < count; i++) {
			if (ns_parserr(&m, ns_s_an, i, &rr) == -1)
				return -1;
			if (ns_rr_type(rr) != ns_t_cname ||
			    !same_name(ns_rr_name(rr), cur))
				continue;
			if (dn_expand(ns_msg_base(m), ns_msg_end(m),
			    ns_rr_rdata(rr), next, sizeof next) < 0)
				return -1;
			found = 1;
			break;
		}
		if (!found)
			break;
		if (hops == CNAME_MAX) {
			explain(r, "  more than %d CNAMEs from %s: a loop?",
			    CNAME_MAX, name);
			return -1;
		}
		if (type == ns_t_mx)
			explain(r, "  %s is an alias: CNAME %s", cur, next);
		else
			explain(r, "  %s is an alias: CNAME %s (a mail host "
			    "should not be one, RFC 2181 10.3; followed)", cur,
			    next);
		memcpy(cur, next, sizeof cur);
	}
	for (i = 0; i < count; i++) {
		if (ns_parserr(&m, ns_s_an, i, &rr) == -1)
			return -1;
		if ((int)ns_rr_type(rr) != type || ns_rr_class(rr) != ns_c_in ||
		    !same_name(ns_rr_name(rr), cur))
			continue;
		if (fn(ns_msg_base(m), ns_msg_end(m), ns_rr_rdata(rr),
		    ns_rr_rdlen(rr), arg) == -1)
			return -1;
		given++;
	}
	return given;
}

/* dns_parse - the records of one type answering name, CNAMEs followed */
int
dns_parse(const unsigned char *ans, int len, const char *name, int type,
    int (*fn)(const unsigned char *, const unsigned char *,
    const unsigned char *, size_t, void *), void *arg)
{
	return parse(NULL, ans, len, name, type, fn, arg);
}

/* collecting MX records: the best DNS_MX_MAX, by preference */
struct mxset {
	struct dns_host	*h;
	size_t		 n;
	size_t		 seen;
	int		 nullmx;
};

static int
mx_rr(const unsigned char *base, const unsigned char *end,
    const unsigned char *rd, size_t rdlen, void *arg)
{
	struct mxset	*s = arg;
	struct dns_host	*h;
	char		 name[NS_MAXDNAME];
	int		 pref, n;
	size_t		 i, worst;

	if (rdlen < 3)
		return -1;
	pref = (rd[0] << 8) | rd[1];
	n = dn_expand(base, end, rd + 2, name, sizeof name);
	if (n < 0 || (size_t)n != rdlen - 2)
		return -1;
	s->seen++;
	if (name[0] == '\0' || strcmp(name, ".") == 0) {
		s->nullmx++;
		return 0;
	}
	if (s->n < DNS_MX_MAX) {
		h = &s->h[s->n++];
	} else {
		/* Full: replace the worst kept one, if this one is better. */
		worst = 0;
		for (i = 1; i < s->n; i++)
			if (s->h[i].pref > s->h[worst].pref)
				worst = i;
		if (s->h[worst].pref <= pref)
			return 0;
		h = &s->h[worst];
	}
	memset(h, 0, sizeof *h);
	h->pref = pref;
	if (strlen(name) > DNS_NAME_MAX)
		return -1;
	memcpy(h->name, name, strlen(name) + 1);
	str_lower(h->name);
	return 0;
}

/* collecting addresses of one family */
struct addrset {
	struct dns_host	*h;
	int		 family;
};

static int
addr_rr(const unsigned char *base, const unsigned char *end,
    const unsigned char *rd, size_t rdlen, void *arg)
{
	struct addrset	*s = arg;
	struct dns_addr	*a;
	size_t		 want = s->family == AF_INET ? 4 : 16;

	(void)base;
	(void)end;
	if (rdlen != want)
		return -1;
	if (s->h->naddr >= 2 * DNS_ADDR_MAX)
		return 0;
	a = &s->h->addr[s->h->naddr];
	memset(a, 0, sizeof *a);
	a->family = s->family;
	memcpy(a->bytes, rd, want);
	if (inet_ntop(s->family, rd, a->text, sizeof a->text) == NULL)
		return -1;
	s->h->naddr++;
	return 0;
}

/* dns_host_addr - A and AAAA of one host */
int
dns_host_addr(struct dns_res *r, struct dns_host *h, struct mail_err *e)
{
	static const int	 types[2] = { ns_t_a, ns_t_aaaa };
	unsigned char		*ans;
	struct addrset		 s;
	char			 why[600];
	size_t			 first, k;
	int			 i, len, temp = 0;
	enum q			 q;

	free(h->addr);
	h->naddr = 0;
	h->addr = calloc(2 * DNS_ADDR_MAX, sizeof *h->addr);
	ans = malloc(NS_MAXMSG);
	if (h->addr == NULL || ans == NULL) {
		free(ans);
		h->ex = mail_err_errno(e, errno, "dns");
		snprintf(h->why, sizeof h->why, "%s", e->text);
		return h->ex;
	}
	h->why[0] = '\0';
	for (i = 0; i < 2; i++) {
		q = query(r, h->name, types[i], ans, NS_MAXMSG, &len, why,
		    sizeof why);
		if (q == Q_TEMP) {
			temp = 1;
			snprintf(h->why, sizeof h->why, "%s", why);
			explain(r, "  %s", why);
			continue;
		}
		if (q != Q_OK) {
			explain(r, "  %s", why);
			if (q == Q_NXDOMAIN)
				break;	/* no name: no other type either */
			continue;
		}
		s.h = h;
		s.family = types[i] == ns_t_a ? AF_INET : AF_INET6;
		first = h->naddr;
		if (parse(r, ans, len, h->name, types[i], addr_rr, &s) ==
		    -1) {
			temp = 1;
			snprintf(h->why, sizeof h->why, "%s %s: malformed "
			    "reply", h->name, typename(types[i]));
			explain(r, "  %s", h->why);
		}
		for (k = first; k < h->naddr; k++)
			explain(r, "  %s %s %s", h->name, typename(types[i]),
			    h->addr[k].text);
	}
	free(ans);
	if (h->naddr > 0) {
		h->ex = EX_OK;
		h->why[0] = '\0';
		mail_err_clear(e);
		return EX_OK;
	}
	if (temp) {
		h->ex = EX_TEMPFAIL;
		return mail_err_set(e, EX_TEMPFAIL, "4.4.3", "%s", h->why);
	}
	h->ex = EX_NOHOST;
	snprintf(h->why, sizeof h->why, "%s has no address (no A or AAAA "
	    "record)", h->name);
	return mail_err_set(e, EX_NOHOST, "5.4.4", "%s", h->why);
}

static int
by_pref(const void *a, const void *b)
{
	const struct dns_host	*x = a, *y = b;

	return (x->pref > y->pref) - (x->pref < y->pref);
}

/* sort by preference, then shuffle each run of equal preference */
static void
order(struct dns_res *r, struct dns_host *h, size_t n)
{
	struct dns_host	 t;
	size_t		 i, j, k, lo;

	qsort(h, n, sizeof *h, by_pref);
	for (lo = 0; lo < n; lo = i) {
		for (i = lo + 1; i < n && h[i].pref == h[lo].pref; i++)
			;
		if (i - lo < 2)
			continue;
		for (j = i - 1; j > lo; j--) {
			k = lo + (size_t)(rnd(r) % (j - lo + 1));
			t = h[j];
			h[j] = h[k];
			h[k] = t;
		}
		explain(r, "shuffle: %zu hosts of preference %d in random "
		    "order (RFC 5321 5.1)", i - lo, h[lo].pref);
	}
}

static int
temp_err(struct mail_err *e, const char *why)
{
	return mail_err_set(e, EX_TEMPFAIL, "4.4.3", "%s", why);
}

/* the domain has no MX: it is its own, of preference 0 (RFC 5321 5.1) */
static int
implicit_mx(struct dns_res *r, struct dns_mx *mx, struct mail_err *e)
{
	int	ex;

	explain(r, "no MX: the domain is its own mail host, preference 0 "
	    "(implicit MX, RFC 5321 5.1)");
	mx->implicit = 1;
	if ((mx->host = calloc(1, sizeof *mx->host)) == NULL)
		return mail_err_errno(e, errno, "dns");
	mx->nhost = 1;
	memcpy(mx->host[0].name, mx->domain, sizeof mx->host[0].name);
	explain(r, "question: %s IN A, %s IN AAAA", mx->domain, mx->domain);
	ex = dns_host_addr(r, &mx->host[0], e);
	if (ex == EX_OK) {
		mx->nusable = 1;
		return EX_OK;
	}
	if (ex == EX_NOHOST)
		return mail_err_set(e, EX_NOHOST, "5.1.2", "%s has no MX and "
		    "no address record", mx->udomain);
	return ex;
}

/* the MX records of a reply, ordered, checked, with addresses */
static int
from_reply(struct dns_res *r, const unsigned char *ans, int len, int flags,
    struct dns_mx *mx, struct mail_err *e)
{
	struct mail_err	 ae;
	struct mxset	 s;
	size_t		 i;
	int		 ex, temp = 0;

	memset(&s, 0, sizeof s);
	if ((s.h = calloc(DNS_MX_MAX, sizeof *s.h)) == NULL)
		return mail_err_errno(e, errno, "dns");
	mx->host = s.h;
	if (parse(r, ans, len, mx->domain, ns_t_mx, mx_rr, &s) == -1) {
		explain(r, "answer: malformed reply; try again later");
		return mail_err_set(e, EX_TEMPFAIL, "4.4.3", "%s MX: malformed "
		    "reply from the name server", mx->domain);
	}
	mx->nhost = s.n;
	explain(r, "answer: %zu MX record%s", s.seen, s.seen == 1 ? "" : "s");
	for (i = 0; i < s.n; i++)
		explain(r, "  %s MX %d %s", mx->domain, s.h[i].pref,
		    s.h[i].name);
	if (s.nullmx > 0 && s.n == 0) {
		explain(r, "  %s MX 0 . -- a null MX (RFC 7505): the domain "
		    "accepts no mail", mx->domain);
		return mail_err_set(e, EX_UNAVAILABLE, "5.1.10", "%s does not "
		    "accept mail (null MX)", mx->udomain);
	}
	if (s.nullmx > 0)
		explain(r, "  a null MX beside other MX records is ignored "
		    "(RFC 7505 3.3)");
	if (s.n == 0) {
		explain(r, "answer: no MX record for the name asked");
		free(mx->host);
		mx->host = NULL;
		return implicit_mx(r, mx, e);
	}
	if (s.seen > s.n + (size_t)s.nullmx)
		explain(r, "kept the %zu best of %zu MX records", s.n, s.seen);
	explain(r, "sort: by preference, lowest first");
	order(r, mx->host, mx->nhost);
	for (i = 0; i < mx->nhost; i++) {
		struct dns_host	*h = &mx->host[i];

		if (!addr_hostname_ok(h->name)) {
			h->ex = EX_DATAERR;
			snprintf(h->why, sizeof h->why, "MX %d of %s: \"%s\" "
			    "is not a valid host name", h->pref, mx->domain,
			    h->name);
			explain(r, "  skip: %s", h->why);
			continue;
		}
		if (!(flags & DNS_F_ADDR))
			continue;
		explain(r, "question: %s IN A, %s IN AAAA", h->name, h->name);
		ex = dns_host_addr(r, h, &ae);
		if (ex == EX_OK) {
			mx->nusable++;
			continue;
		}
		if (ex == EX_TEMPFAIL)
			temp = 1;
		explain(r, "  skip: %s", h->why);
	}
	if ((flags & DNS_F_ADDR) && mx->nusable == 0) {
		if (temp)
			return mail_err_set(e, EX_TEMPFAIL, "4.4.3", "no MX "
			    "host of %s has an address now (name server "
			    "failure)", mx->udomain);
		return mail_err_set(e, EX_NOHOST, "5.4.4", "no MX host of %s "
		    "has an address", mx->udomain);
	}
	if (!(flags & DNS_F_ADDR)) {
		for (i = 0; i < mx->nhost; i++)
			if (mx->host[i].ex == EX_OK)
				mx->nusable++;
	}
	mail_err_clear(e);
	return EX_OK;
}

static int
set_domain(struct dns_res *r, const char *domain, struct dns_mx *mx,
    struct mail_err *e)
{
	struct mail_err	 ae;

	memset(mx, 0, sizeof *mx);
	if (str_copy(mx->udomain, sizeof mx->udomain, domain) == -1 ||
	    addr_domain_ascii(domain, mx->domain, sizeof mx->domain, &ae) !=
	    EX_OK) {
		mx->domain[0] = '\0';
		return mail_err_set(e, EX_DATAERR, "5.1.2", "%s: not a valid "
		    "domain name", domain);
	}
	if (strcmp(mx->domain, mx->udomain) != 0)
		explain(r, "%s is %s in A-labels (IDNA)", mx->udomain,
		    mx->domain);
	return EX_OK;
}

/* dns_mx - the mail hosts of a domain, in the order to try */
int
dns_mx(struct dns_res *r, const char *domain, int flags, struct dns_mx *mx,
    struct mail_err *e)
{
	unsigned char	*ans;
	char		 why[600];
	int		 len, ex;

	if ((ex = set_domain(r, domain, mx, e)) != EX_OK)
		return ex;
	if ((ans = malloc(NS_MAXMSG)) == NULL)
		return mail_err_errno(e, errno, "dns");
	explain(r, "question: %s IN MX", mx->domain);
	switch (query(r, mx->domain, ns_t_mx, ans, NS_MAXMSG, &len, why,
	    sizeof why)) {
	case Q_NXDOMAIN:
		explain(r, "answer: NXDOMAIN, the domain does not exist");
		ex = mail_err_set(e, EX_NOHOST, "5.1.2", "%s: no such "
		    "domain (NXDOMAIN)", mx->udomain);
		break;
	case Q_TEMP:
		explain(r, "answer: %s; try again later", why);
		ex = temp_err(e, why);
		break;
	case Q_NODATA:
		explain(r, "answer: the domain exists but has no MX record");
		ex = implicit_mx(r, mx, e);
		break;
	case Q_OK:
		ex = from_reply(r, ans, len, flags, mx, e);
		break;
	}
	free(ans);
	return ex;
}

/* dns_mx_reply - dns_mx() on a reply already at hand */
int
dns_mx_reply(struct dns_res *r, const char *domain,
    const unsigned char *ans, int len, int flags, struct dns_mx *mx,
    struct mail_err *e)
{
	int	ex;

	if ((ex = set_domain(r, domain, mx, e)) != EX_OK)
		return ex;
	return from_reply(r, ans, len, flags, mx, e);
}

/* dns_mx_free - free what dns_mx() put into mx */
void
dns_mx_free(struct dns_mx *mx)
{
	size_t	i;

	if (mx->host != NULL)
		for (i = 0; i < mx->nhost; i++)
			free(mx->host[i].addr);
	free(mx->host);
	mx->host = NULL;
	mx->nhost = mx->nusable = 0;
}
