/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for libmail/dns: the RFC 5321 5.1 / RFC 7505 decision on
 * replies at hand, and hostile replies (BATTERY.md 6.13, M family), each
 * of which must end as a temporary error without reading out of bounds.
 * The resolver points at a closed port, so a fallback that would need a
 * query (the implicit MX) fails fast and temporarily.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "dns.h"
#include "tap.h"

/* Replies to "dest.invalid IN MX", made by a script; see each case. */
/* two MX: 20 mx2.dest.invalid, then 10 mx1 + pointer to the question */
static const char r_good[] =
    "123481800001000200000000046465737407696e76616c696400000f0001c00c"
    "000f00010000003c00140014036d7832046465737407696e76616c696400c00c"
    "000f00010000003c0008000a036d7831c00c";
/* a null MX: "0 ." */
static const char r_nullmx[] =
    "123481800001000100000000046465737407696e76616c696400000f0001c00c"
    "000f00010000003c0003000000";
/* a null MX beside MX 10 mx1.dest.invalid */
static const char r_nullmix[] =
    "123481800001000200000000046465737407696e76616c696400000f0001c00c"
    "000f00010000003c0003000000c00c000f00010000003c0014000a036d783104"
    "6465737407696e76616c696400";
/* BATTERY M-02: the exchange is a pointer past the end */
static const char r_ptrend[] =
    "123481800001000100000000046465737407696e76616c696400000f0001c00c"
    "000f00010000003c0004000affff";
/* M-02: the exchange is a pointer to itself */
static const char r_ptrself[] =
    "123481800001000100000000046465737407696e76616c696400000f0001c00c"
    "000f00010000003c0004000ac02c";
/* M-02: the exchange points into the header */
static const char r_ptrhdr[] =
    "123481800001000100000000046465737407696e76616c696400000f0001c00c"
    "000f00010000003c0004000ac002";
/* M-03: a label of 64 octets */
static const char r_label64[] =
    "123481800001000100000000046465737407696e76616c696400000f0001c00c"
    "000f00010000003c0044000a4061616161616161616161616161616161616161"
    "6161616161616161616161616161616161616161616161616161616161616161"
    "6161616161616161616161616100";
/* M-04: RDLENGTH 0x0400 with 4 octets present */
static const char r_rdlen[] =
    "123481800001000100000000046465737407696e76616c696400000f0001c00c"
    "000f00010000003c0400000ac00c";
/* M-04: ANCOUNT 65535 with one record */
static const char r_ancount[] =
    "123481800001ffff00000000046465737407696e76616c696400000f0001c00c"
    "000f00010000003c0014000a036d7831046465737407696e76616c696400";
/* M-04: a header cut after 7 octets */
static const char r_trunchdr[] =
    "12348180000100";
/* M-10: dest.invalid CNAME a.invalid CNAME dest.invalid */
static const char r_cnloop[] =
    "123481800001000200000000046465737407696e76616c696400000f0001c00c"
    "000500010000003c000b016107696e76616c696400016107696e76616c696400"
    "000500010000003c000e046465737407696e76616c696400";
/* dest.invalid CNAME a.invalid, a.invalid MX 5 mx.a.invalid */
static const char r_cnchain[] =
    "123481800001000200000000046465737407696e76616c696400000f0001c00c"
    "000500010000003c000b016107696e76616c696400016107696e76616c696400"
    "000f00010000003c00100005026d78016107696e76616c696400";
/* an MX record for other.invalid only */
static const char r_other[] =
    "123481800001000100000000046465737407696e76616c696400000f0001056f"
    "7468657207696e76616c696400000f00010000003c0014000a036d7831046465"
    "737407696e76616c696400";
/* M-07: the exchange is 192.0.2.1 written as a name */
static const char r_iplit[] =
    "123481800001000100000000046465737407696e76616c696400000f0001c00c"
    "000f00010000003c000d000a0331393201300132013100";
/* MX 10 bad_name.dest.invalid, MX 20 ok.dest.invalid */
static const char r_under[] =
    "123481800001000200000000046465737407696e76616c696400000f0001c00c"
    "000f00010000003c0019000a086261645f6e616d65046465737407696e76616c"
    "696400c00c000f00010000003c00130014026f6b046465737407696e76616c69"
    "6400";
/* an MX whose RDATA goes on after the name */
static const char r_extra[] =
    "123481800001000100000000046465737407696e76616c696400000f0001c00c"
    "000f00010000003c0016000a036d7831046465737407696e76616c6964007878";
/* M-03: an exchange of five 63-octet labels (320 octets) */
static const char r_long[] =
    "123481800001000100000000046465737407696e76616c696400000f0001c00c"
    "000f00010000003c0143000a3f78787878787878787878787878787878787878"
    "7878787878787878787878787878787878787878787878787878787878787878"
    "7878787878787878787878783f78787878787878787878787878787878787878"
    "7878787878787878787878787878787878787878787878787878787878787878"
    "7878787878787878787878783f78787878787878787878787878787878787878"
    "7878787878787878787878787878787878787878787878787878787878787878"
    "7878787878787878787878783f78787878787878787878787878787878787878"
    "7878787878787878787878787878787878787878787878787878787878787878"
    "7878787878787878787878783f78787878787878787878787878787878787878"
    "7878787878787878787878787878787878787878787878787878787878787878"
    "78787878787878787878787800";

/* s with its line ends made '|', for a TAP diagnostic */
static const char *
oneline(char *s)
{
	char	*p;

	for (p = s; (p = strchr(p, '\n')) != NULL; )
		*p = '|';
	return s;
}

/* --explain lines, one per line of b */
static void
collect(const char *line, void *arg)
{
	buf_printf(arg, "%s\n", line);
}

static size_t
unhex(const char *hex, unsigned char *out, size_t size)
{
	size_t	n = 0;
	int	hi, lo;

	for (; hex[0] != '\0' && hex[1] != '\0' && n < size; hex += 2) {
		hi = hex[0] <= '9' ? hex[0] - '0' : hex[0] - 'a' + 10;
		lo = hex[1] <= '9' ? hex[1] - '0' : hex[1] - 'a' + 10;
		out[n++] = (unsigned char)(hi << 4 | lo);
	}
	return n;
}

static const struct {
	const char	*name;
	const char	*hex;
	int		 ex;		/* want */
	const char	*enh;
	size_t		 nhost;
	const char	*first;		/* the first usable host */
} cases[] = {
	{ "two MX, compressed names", r_good, EX_OK, "2.0.0", 2,
	    "mx1.dest.invalid" },
	{ "null MX", r_nullmx, EX_UNAVAILABLE, "5.1.10", 0, NULL },
	{ "null MX beside another is ignored", r_nullmix, EX_OK, "2.0.0", 1,
	    "mx1.dest.invalid" },
	{ "M-02 pointer past the end", r_ptrend, EX_TEMPFAIL, "4.4.3", 0,
	    NULL },
	{ "M-02 pointer to itself", r_ptrself, EX_TEMPFAIL, "4.4.3", 0, NULL },
	{ "M-02 pointer into the header", r_ptrhdr, EX_TEMPFAIL, "4.4.3", 0,
	    NULL },
	{ "M-03 a 64-octet label", r_label64, EX_TEMPFAIL, "4.4.3", 0, NULL },
	{ "M-03 a name of 320 octets", r_long, EX_TEMPFAIL, "4.4.3", 0, NULL },
	{ "M-04 RDLENGTH past the end", r_rdlen, EX_TEMPFAIL, "4.4.3", 0,
	    NULL },
	{ "M-04 ANCOUNT 65535 with one record", r_ancount, EX_TEMPFAIL,
	    "4.4.3", 0, NULL },
	{ "M-04 truncated header", r_trunchdr, EX_TEMPFAIL, "4.4.3", 0, NULL },
	{ "MX RDATA longer than its name", r_extra, EX_TEMPFAIL, "4.4.3", 0,
	    NULL },
	{ "M-10 CNAME loop", r_cnloop, EX_TEMPFAIL, "4.4.3", 0, NULL },
	{ "CNAME followed to the MX", r_cnchain, EX_OK, "2.0.0", 1,
	    "mx.a.invalid" },
	{ "M-07 an IP literal as exchange is a name", r_iplit, EX_OK, "2.0.0",
	    1, "192.0.2.1" },
	{ "an MX that is no host name is skipped", r_under, EX_OK, "2.0.0", 2,
	    "ok.dest.invalid" },
	{ "MX of another name: implicit MX, server down", r_other,
	    EX_TEMPFAIL, "4.4.3", 1, NULL },
};

/* a reply with n MX records, preference n..1, named hNNN.dest.invalid */
static size_t
many(unsigned char *p, size_t size, int n, int samepref)
{
	static const unsigned char head[] = {
		0x12, 0x34, 0x81, 0x80, 0x00, 0x01, 0x00, 0x00, 0, 0, 0, 0,
		4, 'd', 'e', 's', 't', 7, 'i', 'n', 'v', 'a', 'l', 'i', 'd', 0,
		0x00, 0x0f, 0x00, 0x01
	};
	size_t	len = sizeof head;
	int	i, pref;

	memcpy(p, head, sizeof head);
	p[6] = (unsigned char)(n >> 8);
	p[7] = (unsigned char)n;
	for (i = 0; i < n && len + 24 < size; i++) {
		pref = samepref ? 10 : n - i;
		/* owner: pointer to the question; MX, IN, TTL 60, RDLENGTH 9 */
		memcpy(p + len, "\xc0\x0c\x00\x0f\x00\x01\x00\x00\x00\x3c"
		    "\x00\x09", 12);
		len += 12;
		p[len++] = (unsigned char)(pref >> 8);
		p[len++] = (unsigned char)pref;
		p[len++] = 4;
		p[len++] = 'h';
		p[len++] = (unsigned char)('0' + i / 100 % 10);
		p[len++] = (unsigned char)('0' + i / 10 % 10);
		p[len++] = (unsigned char)('0' + i % 10);
		p[len++] = 0xc0;
		p[len++] = 0x0c;
	}
	return len;
}

static void
order_of(struct dns_res *r, const unsigned char *ans, size_t len,
    struct buf *out)
{
	struct dns_mx	mx;
	struct mail_err	e;
	size_t		i;

	buf_reset(out);
	if (dns_mx_reply(r, "dest.invalid", ans, (int)len, 0, &mx, &e) !=
	    EX_OK)
		buf_adds(out, "error");
	for (i = 0; i < mx.nhost; i++)
		buf_printf(out, "%s ", mx.host[i].name);
	dns_mx_free(&mx);
}

int
main(void)
{
	static unsigned char	 ans[65536];
	struct dns_res		*r;
	struct dns_mx		 mx;
	struct mail_err		 e;
	struct buf		 a = BUF_INIT(4096), b = BUF_INIT(4096);
	size_t			 i, len, k;
	int			 ex, sorted, distinct;

	if (dns_open(&r, "127.0.0.1:1", &e) != EX_OK) {
		ok(0, "dns_open: %s", e.text);
		return tap_done();
	}
	dns_set_timeout(r, 1, 1);

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		len = unhex(cases[i].hex, ans, sizeof ans);
		ex = dns_mx_reply(r, "dest.invalid", ans, (int)len, 0, &mx, &e);
		is_int(ex, cases[i].ex, cases[i].name);
		is_str(ex == EX_OK ? "2.0.0" : e.enh, cases[i].enh,
		    "  its enhanced status code");
		is_int(mx.nhost, cases[i].nhost, "  its number of hosts");
		if (cases[i].first != NULL) {
			for (k = 0; k < mx.nhost && mx.host[k].ex != EX_OK; k++)
				;
			is_str(k < mx.nhost ? mx.host[k].name : NULL,
			    cases[i].first, "  its first usable host");
		}
		dns_mx_free(&mx);
	}

	/* The good reply lists 20 before 10: sorted, 10 comes first. */
	len = unhex(r_good, ans, sizeof ans);
	dns_mx_reply(r, "dest.invalid", ans, (int)len, 0, &mx, &e);
	is_int(mx.host[0].pref, 10, "lowest preference first");
	is_int(mx.host[1].pref, 20, "then the next");
	dns_mx_free(&mx);

	/* M-09: 1000 MX records are capped, best kept, in order. */
	len = many(ans, sizeof ans, 1000, 0);
	ex = dns_mx_reply(r, "dest.invalid", ans, (int)len, 0, &mx, &e);
	is_int(ex, EX_OK, "M-09 1000 MX records");
	is_int(mx.nhost, DNS_MX_MAX, "  capped at DNS_MX_MAX");
	sorted = mx.nhost > 0 && mx.host[0].pref == 1;
	for (k = 1; k < mx.nhost; k++)
		if (mx.host[k].pref != mx.host[k - 1].pref + 1)
			sorted = 0;
	ok(sorted, "  the best %d kept, sorted by preference", DNS_MX_MAX);
	dns_mx_free(&mx);

	/* Equal preferences: shuffled, the same way for the same seed. */
	len = many(ans, sizeof ans, 8, 1);
	dns_seed(r, 42);
	order_of(r, ans, len, &a);
	dns_seed(r, 42);
	order_of(r, ans, len, &b);
	is_str(b.s, a.s, "the same seed gives the same order");
	distinct = 0;
	for (k = 1; k <= 20; k++) {
		dns_seed(r, k);
		order_of(r, ans, len, &b);
		if (strcmp(a.s, b.s) != 0)
			distinct++;
	}
	ok(distinct >= 15, "other seeds give other orders (%d of 20)",
	    distinct);

	/* Domains are checked and converted before any question. */
	ex = dns_mx_reply(r, "bad domain", ans, (int)len, 0, &mx, &e);
	is_int(ex, EX_DATAERR, "a domain with a space is refused");
	dns_mx_free(&mx);
	len = unhex(r_good, ans, sizeof ans);
	ex = dns_mx_reply(r, "b\xc3\xbc" "cher.example", ans, (int)len, 0,
	    &mx, &e);
	is_str(mx.domain, "xn--bcher-kva.example", "U-labels become A-labels");
	is_str(mx.udomain, "b\xc3\xbc" "cher.example", "and are kept as given");
	dns_mx_free(&mx);

	/* --explain says which CNAMEs were followed, and that a loop ends. */
	buf_reset(&a);
	dns_set_explain(r, collect, &a);
	len = unhex(r_cnchain, ans, sizeof ans);
	dns_mx_reply(r, "dest.invalid", ans, (int)len, 0, &mx, &e);
	dns_mx_free(&mx);
	if (!ok(strstr(a.s, "  dest.invalid is an alias: CNAME a.invalid\n") !=
	    NULL, "the CNAME step is explained"))
		diag("got: %s", oneline(a.s));
	buf_reset(&a);
	len = unhex(r_cnloop, ans, sizeof ans);
	dns_mx_reply(r, "dest.invalid", ans, (int)len, 0, &mx, &e);
	dns_mx_free(&mx);
	if (!ok(strstr(a.s, "  more than 8 CNAMEs from dest.invalid: a loop?\n") !=
	    NULL, "a CNAME loop is explained"))
		diag("got: %s", oneline(a.s));
	dns_set_explain(r, NULL, NULL);

	dns_close(r);
	ex = dns_open(&r, "localhost:53", &e);
	is_int(ex, EX_CONFIG, "a server must be an IPv4 address");
	ok(r == NULL, "  and no resolver is made");
	ex = dns_open(&r, "127.0.0.1:0", &e);
	is_int(ex, EX_CONFIG, "port 0 is refused");

	buf_free(&a);
	buf_free(&b);
	return tap_done();
}
