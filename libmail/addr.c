/* SPDX-License-Identifier: ISC */
/*
 * addr - RFC 5321 paths and mailboxes, with domains in A-labels.
 *
 * Trusts nothing it is given: every byte of an address comes from the wire
 * or a command line.  A parse either accepts the whole text or says exactly
 * what is wrong; nothing is cut, guessed or silently repaired (except one
 * trailing dot of a domain, which is dropped).  Reasons never echo input
 * bytes other than printable ASCII, so they can go into an SMTP reply.
 *
 * libidn2 is trusted for IDNA2008/TR46 only (IDN2_NFC_INPUT |
 * IDN2_NONTRANSITIONAL): it passes "a..b", "a_b" and spaces through
 * unchanged, so host name syntax is checked here, after the conversion.
 * It is called only for non-ASCII domains and for ASCII labels that claim
 * to be A-labels ("xn--"), which it verifies.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <idn2.h>

#include "addr.h"
#include "str.h"

#define LABEL_MAX	63	/* octets, RFC 1035 2.3.4 */
#define IDN_FLAGS	(IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL)

/* fail - a syntax error: EX_DATAERR, 5.1.3 (5.1.7 for a sender) */
static int __attribute__((format(printf, 3, 4)))
fail(struct mail_err *e, int flags, const char *fmt, ...)
{
	char	text[sizeof e->text];
	va_list	ap;

	va_start(ap, fmt);
	if (vsnprintf(text, sizeof text, fmt, ap) < 0)
		text[0] = '\0';
	va_end(ap);
	return mail_err_set(e, EX_DATAERR,
	    (flags & ADDR_P_SENDER) ? "5.1.7" : "5.1.3", "%s", text);
}

/* bad_char - "invalid character 'c' in where", never echoing raw bytes */
static void
bad_char(char *why, size_t whysz, unsigned char c, const char *where)
{
	if (c > 0x20 && c < 0x7f)
		snprintf(why, whysz, "invalid character '%c' in %s", c, where);
	else if (c == ' ')
		snprintf(why, whysz, "invalid character (space) in %s", where);
	else
		snprintf(why, whysz, "invalid byte 0x%02x in %s", c, where);
}

/* non_ascii - RFC 6531 3.5: 8-bit addresses only after SMTPUTF8 */
static int
non_ascii(struct mail_err *e, const char *where)
{
	return mail_err_set(e, EX_DATAERR, "5.6.7",
	    "non-ASCII %s needs SMTPUTF8", where);
}

/* idn_fail - a libidn2 error; only running out of memory is temporary */
static int
idn_fail(struct mail_err *e, int flags, int rc)
{
	if (rc == IDN2_MALLOC)
		return mail_err_set(e, EX_TEMPFAIL, "4.3.0", "bad IDN: %s",
		    idn2_strerror(rc));
	return fail(e, flags, "bad IDN: %s", idn2_strerror(rc));
}

/*
 * ctl_check - refuse C0 controls and DEL anywhere in the text, before any
 * parsing: a quoted string or a quoted-pair is no way to smuggle a CR.
 */
static int
ctl_check(const char *s, size_t n, int flags, struct mail_err *e)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] == 0x7f)
			return fail(e, flags,
			    "control character 0x%02x in address",
			    (unsigned char)s[i]);
	return EX_OK;
}

/*
 * utf8_why - NULL when s is well-formed UTF-8 (RFC 3629) without C1
 * controls, else what is wrong, to follow "has".
 */
static const char *
utf8_why(const char *str, size_t n)
{
	const unsigned char	*s = (const unsigned char *)str;
	size_t			 i, k, len;
	unsigned long		 cp, min;

	for (i = 0; i < n; i += len) {
		if (s[i] < 0x80) {
			len = 1;
			continue;
		}
		if (s[i] >= 0xc0 && s[i] <= 0xdf) {
			len = 2, cp = s[i] & 0x1f, min = 0x80;
		} else if (s[i] >= 0xe0 && s[i] <= 0xef) {
			len = 3, cp = s[i] & 0x0f, min = 0x800;
		} else if (s[i] >= 0xf0 && s[i] <= 0xf7) {
			len = 4, cp = s[i] & 0x07, min = 0x10000;
		} else
			return "a byte that cannot start a UTF-8 character";
		for (k = 1; k < len; k++) {
			if (i + k >= n || (s[i + k] & 0xc0) != 0x80)
				return "a truncated UTF-8 sequence";
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < min)
			return "an overlong UTF-8 sequence";
		if (cp >= 0xd800 && cp <= 0xdfff)
			return "a UTF-16 surrogate encoded in UTF-8";
		if (cp > 0x10ffff)
			return "a UTF-8 character above U+10FFFF";
		if (cp <= 0x9f)
			return "a C1 control character";
	}
	return NULL;
}

/* utf8_check - EX_OK when s may be used as (flags permit) UTF-8 */
static int
utf8_check(const char *s, size_t n, int flags, const char *where,
    struct mail_err *e)
{
	const char	*why;

	if (str_is_ascii(s, n))
		return EX_OK;
	if (!(flags & ADDR_P_UTF8))
		return non_ascii(e, where);
	if ((why = utf8_why(s, n)) != NULL)
		return fail(e, flags, "%s has %s", where, why);
	return EX_OK;
}

/* is_atext - RFC 5321 atext; a non-ASCII byte counts (RFC 6531) */
static int
is_atext(unsigned char c)
{
	if (c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/*
 * dot_string_why - NULL when s is an RFC 5321 Dot-string, else why not;
 * *bad gets the offending character, if one is to blame.
 */
static const char *
dot_string_why(const char *s, size_t n, unsigned char *bad)
{
	size_t	i;

	*bad = '\0';
	if (n == 0)
		return "empty local part";
	if (s[0] == '.')
		return "local part starts with a dot";
	if (s[n - 1] == '.')
		return "local part ends with a dot";
	for (i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (s[i + 1] == '.')
				return "local part has two dots in a row";
		} else if (!is_atext((unsigned char)s[i])) {
			*bad = (unsigned char)s[i];
			return "invalid character";
		}
	}
	return NULL;
}

/* because - put reason r into why; -1 */
static int
because(char *why, size_t whysz, const char *r)
{
	snprintf(why, whysz, "%s", r);
	return -1;
}

/*
 * hostname_why - 0 when s is an LDH host name, else -1 with the reason in
 * why.  RFC 1123 2.1: labels of letters, digits and hyphens, 1-63 octets,
 * no hyphen at either end.
 */
static int
hostname_why(const char *s, char *why, size_t whysz)
{
	size_t		 i, label = 0, n = strlen(s);
	unsigned char	 c;

	if (n == 0)
		return because(why, whysz, "empty domain");
	if (n > ADDR_DOMAIN_MAX)
		return because(why, whysz, "domain longer than 255 octets");
	for (i = 0; i <= n; i++) {
		c = (unsigned char)s[i];
		if (c == '.' || c == '\0') {
			if (label == 0)
				return because(why, whysz,
				    "empty domain label");
			if (s[i - 1] == '-')
				return because(why, whysz,
				    "domain label ends with a hyphen");
			label = 0;
			continue;
		}
		if (c == '-' && label == 0)
			return because(why, whysz,
			    "domain label starts with a hyphen");
		if (c != '-' && !(c >= 'a' && c <= 'z') &&
		    !(c >= 'A' && c <= 'Z') && !(c >= '0' && c <= '9')) {
			bad_char(why, whysz, c, "domain");
			return -1;
		}
		if (++label > LABEL_MAX)
			return because(why, whysz,
			    "domain label longer than 63 octets");
	}
	return 0;
}

/* addr_hostname_ok - true when s is a valid LDH host name (A-labels) */
int
addr_hostname_ok(const char *s)
{
	char	why[64];

	return s != NULL && hostname_why(s, why, sizeof why) == 0;
}

/* has_alabel - true when a label of s starts with "xn--" (any case) */
static int
has_alabel(const char *s)
{
	const char	*p;

	for (p = s; ; p++) {
		if (strncasecmp(p, "xn--", 4) == 0)
			return 1;
		if ((p = strchr(p, '.')) == NULL)
			return 0;
	}
}

/*
 * to_ascii - the domain d (n octets, no literal) to lower-case A-labels in
 * out; *idn is set when it was given with non-ASCII characters.
 */
static int
to_ascii(const char *d, size_t n, int flags, char *out, size_t outsz,
    int *idn, struct mail_err *e)
{
	char	 tmp[ADDR_DOMAIN_MAX + 1], why[128];
	char	*conv = NULL, *res = tmp;
	size_t	 len;
	int	 rc, ascii;

	*idn = 0;
	if (n == 0)
		return fail(e, flags, "empty domain");
	if (n > ADDR_DOMAIN_MAX)
		return fail(e, flags, "domain longer than %d octets",
		    ADDR_DOMAIN_MAX);
	if ((rc = ctl_check(d, n, flags, e)) != EX_OK)
		return rc;
	if ((rc = utf8_check(d, n, flags, "domain", e)) != EX_OK)
		return rc;
	ascii = str_is_ascii(d, n);
	memcpy(tmp, d, n);
	tmp[n] = '\0';
	if (ascii)
		str_lower(tmp);
	if (!ascii || has_alabel(tmp)) {
		/* libidn2 keeps a trailing dot; it is dropped below. */
		rc = idn2_to_ascii_8z(tmp, &conv, IDN_FLAGS);
		if (rc != IDN2_OK)
			return idn_fail(e, flags, rc);
		str_lower(conv);
		res = conv;
	}
	len = strlen(res);
	if (len > 0 && res[len - 1] == '.')
		res[--len] = '\0';
	if (hostname_why(res, why, sizeof why) == -1) {
		idn2_free(conv);
		return fail(e, flags, "%s", why);
	}
	if (len >= outsz) {
		idn2_free(conv);
		return fail(e, flags, "domain longer than %zu octets",
		    outsz - 1);
	}
	memcpy(out, res, len + 1);
	idn2_free(conv);
	*idn = !ascii;
	return EX_OK;
}

/* addr_domain_ascii - a domain to lower-case A-labels, checked */
int
addr_domain_ascii(const char *d, char *out, size_t outsz, struct mail_err *e)
{
	int	idn;

	mail_err_clear(e);
	if (outsz > 0)
		out[0] = '\0';
	return to_ascii(d, strlen(d), ADDR_P_UTF8, out, outsz, &idn, e);
}

/* addr_domain_unicode - A-labels back to U-labels for display */
int
addr_domain_unicode(const char *d, char *out, size_t outsz,
    struct mail_err *e)
{
	char	*conv = NULL;
	size_t	 len;
	int	 rc;

	mail_err_clear(e);
	if (outsz > 0)
		out[0] = '\0';
	if ((rc = ctl_check(d, strlen(d), 0, e)) != EX_OK)
		return rc;
	if ((rc = idn2_to_unicode_8z8z(d, &conv, 0)) != IDN2_OK)
		return idn_fail(e, 0, rc);
	len = strlen(conv);
	if (len >= outsz) {
		idn2_free(conv);
		return fail(e, 0, "domain longer than %zu octets", outsz - 1);
	}
	memcpy(out, conv, len + 1);
	idn2_free(conv);
	return EX_OK;
}

/*
 * literal - an address literal "[...]" (RFC 5321 4.1.3), kept as written:
 * a dotted quad or "IPv6:" and an IPv6 address, both checked by inet_pton.
 */
static int
literal(const char *d, size_t n, int flags, struct addr *a,
    struct mail_err *e)
{
	char		 ip[64];
	unsigned char	 bin[16];
	const char	*close;
	size_t		 len;

	if ((close = memchr(d, ']', n)) == NULL)
		return fail(e, flags, "address literal lacks ']'");
	if (close != d + n - 1)
		return fail(e, flags, "text after the address literal");
	len = n - 2;
	if (len >= sizeof ip)
		return fail(e, flags, "address literal too long");
	memcpy(ip, d + 1, len);
	ip[len] = '\0';
	if (strncasecmp(ip, "IPv6:", 5) == 0) {
		if (inet_pton(AF_INET6, ip + 5, bin) != 1)
			return fail(e, flags, "bad IPv6 address literal");
	} else if (strchr(ip, ':') != NULL) {
		return fail(e, flags, "unsupported address literal tag");
	} else if (inet_pton(AF_INET, ip, bin) != 1)
		return fail(e, flags, "bad IPv4 address literal");
	memcpy(a->domain, d, n);
	a->domain[n] = '\0';
	memcpy(a->udomain, d, n);
	a->udomain[n] = '\0';
	a->flags |= ADDR_LITERAL;
	return EX_OK;
}

/* domain - the domain part: a literal, or a name into A-labels */
static int
domain(const char *d, size_t n, int flags, struct addr *a,
    struct mail_err *e)
{
	int	rc, idn;

	if (n > 0 && d[0] == '[')
		return literal(d, n, flags, a, e);
	if ((rc = to_ascii(d, n, flags, a->domain, sizeof a->domain, &idn,
	    e)) != EX_OK)
		return rc;
	memcpy(a->udomain, d, n);	/* n <= ADDR_DOMAIN_MAX: checked */
	a->udomain[n] = '\0';
	if (idn)
		a->flags |= ADDR_IDN;
	return EX_OK;
}

/* atdomain_end - the ',' or ':' that ends the at-domain at s[i], or n */
static size_t
atdomain_end(const char *s, size_t i, size_t n)
{
	int	lit = 0;

	for (; i < n; i++) {
		if (s[i] == '[')
			lit = 1;
		else if (s[i] == ']')
			lit = 0;
		else if (!lit && (s[i] == ',' || s[i] == ':'))
			break;
	}
	return i;
}

/*
 * route - the length of the source route "@d,@d:" that starts s, each
 * domain in it checked; 0 on failure, with *rc and e set.
 */
static size_t
route(const char *s, size_t n, int flags, int *rc, struct mail_err *e)
{
	struct addr	scratch;
	size_t		i = 0, j;

	for (;;) {
		if (i >= n || s[i] != '@' || (j = atdomain_end(s, i + 1,
		    n)) >= n) {
			*rc = fail(e, flags, "malformed source route");
			return 0;
		}
		memset(&scratch, 0, sizeof scratch);
		if ((*rc = domain(s + i + 1, j - i - 1, flags, &scratch,
		    e)) != EX_OK)
			return 0;
		i = j + 1;
		if (s[j] == ':')
			return i;
	}
}

/*
 * quoted - a Quoted-string local part (s[0] is the opening quote, s[n - 1]
 * the closing one, as local_end() found them) into its internal form
 */
static int
quoted(const char *s, size_t n, int flags, struct addr *a,
    struct mail_err *e)
{
	size_t		 i, o = 0;
	unsigned char	 c;

	for (i = 1; ; i++) {
		if (i >= n)
			return fail(e, flags, "quoted local part lacks "
			    "its closing quote");
		c = (unsigned char)s[i];
		if (c == '"')
			break;
		if (c == '\\') {
			if (++i >= n)
				return fail(e, flags, "quoted local part lacks "
				    "its closing quote");
			c = (unsigned char)s[i];
			/* quoted-pairSMTP is ASCII only */
			if (c >= 0x80)
				return fail(e, flags, "backslash before a "
				    "non-ASCII byte in local part");
		}
		/* The caller checked: i < ADDR_LOCAL_MAX, so o < it too. */
		a->local[o++] = (char)c;
	}
	a->local[o] = '\0';
	if (o == 0)
		return fail(e, flags, "empty quoted local part");
	return EX_OK;
}

/* local_end - where the local part of s ends (an '@', or n) */
static size_t
local_end(const char *s, size_t n)
{
	size_t	i;

	if (n > 0 && s[0] == '"') {
		for (i = 1; i < n && s[i] != '"'; i++)
			if (s[i] == '\\')
				i++;
		return i < n ? i + 1 : n;
	}
	for (i = n; i > 0; i--)
		if (s[i - 1] == '@')
			return i - 1;
	return n;
}

/* mailbox - "local@domain" (or a bare local part) into a */
static int
mailbox(const char *s, size_t n, int flags, struct addr *a,
    struct mail_err *e)
{
	unsigned char	 bad;
	const char	*why;
	char		 text[64];
	size_t		 lend;
	int		 rc;

	lend = local_end(s, n);
	if (lend > ADDR_LOCAL_MAX)
		return fail(e, flags, "local part longer than %d octets",
		    ADDR_LOCAL_MAX);
	if (lend > 0 && s[0] == '"') {
		if ((rc = quoted(s, lend, flags, a, e)) != EX_OK)
			return rc;
		if (lend < n && s[lend] != '@')
			return fail(e, flags,
			    "text after the quoted local part");
	} else {
		if ((why = dot_string_why(s, lend, &bad)) != NULL) {
			if (bad != '\0') {
				bad_char(text, sizeof text, bad, "local part");
				why = text;
			}
			return fail(e, flags, "%s", why);
		}
		memcpy(a->local, s, lend);
		a->local[lend] = '\0';
	}
	if ((rc = utf8_check(a->local, strlen(a->local), flags, "local part",
	    e)) != EX_OK)
		return rc;
	if (!str_is_ascii(a->local, strlen(a->local)))
		a->flags |= ADDR_SMTPUTF8;
	if (dot_string_why(a->local, strlen(a->local), &bad) != NULL)
		a->flags |= ADDR_QUOTED;
	if (lend == n) {
		if (flags & ADDR_P_NO_DOMAIN)
			return EX_OK;
		return fail(e, flags, "address has no domain");
	}
	return domain(s + lend + 1, n - lend - 1, flags, a, e);
}

/*
 * parse - the common part of both parsers: s is the path without its
 * brackets, or the mailbox; pathlen is its length as a path, brackets
 * included.
 */
static int
parse(const char *s, size_t n, size_t pathlen, int flags, struct addr *a,
    struct mail_err *e)
{
	size_t	skip;
	int	rc = EX_OK;

	if (pathlen > ADDR_PATH_MAX)
		return fail(e, flags, "path longer than %d octets",
		    ADDR_PATH_MAX);
	if (n == 0) {
		if (!(flags & ADDR_P_NULL_OK))
			return fail(e, flags,
			    "the null path <> is not allowed here");
		a->flags = ADDR_NULL;
		return EX_OK;
	}
	/* A first at-domain that ends in ',' or ':' starts a route. */
	if (s[0] == '@' && atdomain_end(s, 1, n) < n) {
		if (!(flags & ADDR_P_ROUTE_OK))
			return fail(e, flags, "source routes are not accepted");
		if ((skip = route(s, n, flags, &rc, e)) == 0)
			return rc;
		s += skip;
		n -= skip;
	}
	return mailbox(s, n, flags, a, e);
}

/* parse_any - a path (with its brackets) or a mailbox into a */
static int
parse_any(const char *s, size_t n, int path, int flags, struct addr *a,
    struct mail_err *e)
{
	int	rc;

	memset(a, 0, sizeof *a);
	mail_err_clear(e);
	if ((rc = ctl_check(s, n, flags, e)) != EX_OK)
		;
	else if (!path)
		rc = parse(s, n, n + 2, flags, a, e);
	else if (n == 0 || s[0] != '<')
		rc = fail(e, flags, "missing '<'");
	else if (s[n - 1] != '>')
		rc = fail(e, flags, memchr(s, '>', n) != NULL ?
		    "text after '>'" : "missing '>'");
	else
		rc = parse(s + 1, n - 2, n, flags, a, e);
	if (rc != EX_OK)
		memset(a, 0, sizeof *a);
	return rc;
}

/* addr_parse_path - parse an RFC 5321 Path "<local@domain>" */
int
addr_parse_path(const char *s, size_t n, int flags, struct addr *a,
    struct mail_err *e)
{
	return parse_any(s, n, 1, flags, a, e);
}

/* addr_parse_mailbox - parse "local@domain" without brackets */
int
addr_parse_mailbox(const char *s, size_t n, int flags, struct addr *a,
    struct mail_err *e)
{
	return parse_any(s, n, 0, flags, a, e);
}

/* addr_format - the external form of a, appended to b */
int
addr_format(const struct addr *a, struct buf *b)
{
	size_t		 old = b->len, i, n;
	unsigned char	 bad;
	int		 rc = 0;

	if (a->flags & ADDR_NULL)
		return buf_add(b, "", 0);
	n = strnlen(a->local, sizeof a->local);
	if (dot_string_why(a->local, n, &bad) == NULL)
		rc = buf_add(b, a->local, n);
	else {
		rc = buf_addc(b, '"');
		for (i = 0; i < n && rc == 0; i++) {
			if (a->local[i] == '"' || a->local[i] == '\\')
				rc = buf_addc(b, '\\');
			if (rc == 0)
				rc = buf_addc(b, a->local[i]);
		}
		if (rc == 0)
			rc = buf_addc(b, '"');
	}
	if (rc == 0 && a->domain[0] != '\0')
		rc = buf_printf(b, "@%s", a->domain);
	if (rc == -1)
		buf_truncate(b, old);
	return rc;
}
