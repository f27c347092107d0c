/* SPDX-License-Identifier: ISC */
/*
 * dns - the next hop for a mail domain: MX, A and AAAA through glibc's
 * resolver, with RFC 5321 section 5.1 and RFC 7505 applied (preference
 * order, equal preferences shuffled, implicit MX, null MX).
 */
#ifndef MAILPATH_DNS_H
#define MAILPATH_DNS_H

#include <stddef.h>
#include <stdint.h>

#include "exitcode.h"

#define DNS_NAME_MAX	255	/* octets of a name in text form */
#define DNS_MX_MAX	64	/* MX hosts kept, best first */
#define DNS_ADDR_MAX	16	/* addresses kept per host and family */

struct dns_addr {
	int	 family;		/* AF_INET or AF_INET6 */
	unsigned char bytes[16];	/* network order */
	char	 text[46];		/* inet_ntop() form */
};

struct dns_host {
	int	 pref;			/* MX preference; 0: implicit MX */
	char	 name[DNS_NAME_MAX + 1];	/* A-labels, lower case */
	struct dns_addr *addr;		/* naddr addresses, A first */
	size_t	 naddr;
	int	 ex;			/* EX_OK, or why it has no address */
	char	 why[600];		/* the reason when ex != EX_OK */
};

struct dns_mx {
	char	 domain[DNS_NAME_MAX + 1];	/* A-labels, as asked */
	char	 udomain[DNS_NAME_MAX + 1];	/* as given (U-labels) */
	int	 implicit;		/* no MX: the domain is its own MX */
	struct dns_host *host;		/* nhost hosts in the order to try */
	size_t	 nhost;
	size_t	 nusable;		/* hosts with at least one address */
};

struct dns_res;

/* flags for dns_mx() */
#define DNS_F_ADDR	0x01	/* also look up every host's addresses */

/*
 * dns_open - a resolver from /etc/resolv.conf; server, when not NULL or
 * "", replaces its name servers: "ADDR" or "ADDR:PORT" (IPv4), as the -s
 * option and the dns_server parameter give it.  EX_OK, EX_CONFIG for a
 * bad server, EX_OSERR when res_ninit fails.  Free with dns_close().
 */
int	 dns_open(struct dns_res **, const char *, struct mail_err *);

/*
 * dns_seed - make the shuffling of equal preferences reproducible; without
 * it the order comes from getrandom().
 */
void	 dns_seed(struct dns_res *, uint64_t);

/*
 * dns_set_explain - fn is called with each step of the decision, one
 * line of text at a time (the question, the records, the sort, the
 * shuffle, the fallback); NULL turns it off.
 */
void	 dns_set_explain(struct dns_res *, void (*)(const char *, void *),
	    void *);

/*
 * dns_set_timeout - seconds per try and number of tries (res_state's
 * retrans and retry); 0 keeps resolv.conf's.
 */
void	 dns_set_timeout(struct dns_res *, int, int);

/*
 * dns_mx - the hosts that take mail for domain (U-labels or A-labels), in
 * the order to try.  EX_OK with mx filled (nusable may still be 0 without
 * DNS_F_ADDR); EX_NOHOST (5.1.2) for a domain that does not exist or has
 * neither MX nor address, or whose MX hosts all have no address (5.4.4);
 * EX_UNAVAILABLE (5.1.10) for a null MX; EX_TEMPFAIL (4.4.3) for SERVFAIL,
 * REFUSED, a timeout or an unreachable server; EX_DATAERR (5.1.2) for a
 * domain that is no host name.  mx is the caller's; its contents are freed
 * with dns_mx_free() (also after an error).
 */
int	 dns_mx(struct dns_res *, const char *, int, struct dns_mx *,
	    struct mail_err *);

/*
 * dns_mx_reply - dns_mx() on a reply to "domain IN MX" already at hand (a
 * test feeds it hostile replies): the same checks, the same results; a
 * malformed reply is EX_TEMPFAIL (4.4.3).
 */
int	 dns_mx_reply(struct dns_res *, const char *, const unsigned char *,
	    int, int, struct dns_mx *, struct mail_err *);

/*
 * dns_host_addr - look up the A and AAAA records of h->name into h (A
 * first).  EX_OK with at least one address; EX_NOHOST when there is none;
 * EX_TEMPFAIL when the server failed; the reason also in h->why.
 */
int	 dns_host_addr(struct dns_res *, struct dns_host *, struct mail_err *);

void	 dns_mx_free(struct dns_mx *);
void	 dns_close(struct dns_res *);

/*
 * dns_parse - the records of type type that answer name in a reply of len
 * bytes: CNAMEs in the answer are followed (at most 8), each record's RDATA
 * is given to fn with the reply, as ns_parserr() found it.  The count of
 * records given, or -1 for a malformed reply or a CNAME chain too long.
 * Exposed for the unit tests, which feed it hostile replies.
 */
int	 dns_parse(const unsigned char *, int, const char *, int,
	    int (*)(const unsigned char *, const unsigned char *,
	    const unsigned char *, size_t, void *), void *);

#endif
