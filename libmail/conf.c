/* SPDX-License-Identifier: ISC */
/*
 * conf - read main.cf the way Postfix reads it and hand out parameter
 * values.
 *
 * A file is a list of "name = value" logical lines (lline.c joins the
 * continuation lines and drops the comments).  Values are stored raw and
 * expanded late, so "$myhostname" in myorigin means whatever myhostname
 * finally is, wherever in the file it was set.  Every parameter is
 * expanded once after the file is read and again after each conf_set(),
 * so a loop ("a = $b", "b = $a"), a bad "$" or an overlong value is an
 * EX_CONFIG naming file:line at start-up, never a surprise later; after
 * that conf_get() only looks up a string.
 *
 * Trusts nothing in the file: names are checked character by character,
 * control characters in values are refused (a CR in smtpd_banner would
 * forge SMTP replies), expansion is bounded in depth and in length, and
 * the number of parameters is bounded.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "exitcode.h"
#include "lline.h"
#include "log.h"
#include "str.h"

#ifndef MAILPATH_SYSCONFDIR
#define MAILPATH_SYSCONFDIR	"/etc/mailpath"
#endif
#ifndef MAILPATH_LOCALSTATEDIR
#define MAILPATH_LOCALSTATEDIR	"/var"
#endif

#define CONF_NAME_MAX	100		/* longest parameter name */
#define CONF_VALUE_MAX	LLINE_MAX	/* longest value, raw or expanded */
#define CONF_PARAMS_MAX	4096		/* known plus user-defined names */
#define CONF_DEPTH_MAX	100		/* $-expansion nesting, as Postfix */

#define P_RAW		0x01	/* never expanded here (forward_path) */

struct xctx;

/* A parameter's compiled-in default. */
struct conf_def {
	const char	*name;
	const char	*def;		/* raw default, may hold $name */
	int		(*fn)(struct xctx *, struct buf *); /* or computed */
	int		 flags;		/* P_* */
};

static int	def_myhostname(struct xctx *, struct buf *);
static int	def_mydomain(struct xctx *, struct buf *);
static int	def_config_directory(struct xctx *, struct buf *);

/*
 * The defaults: Postfix's names and defaults where Postfix has the
 * parameter, adapted to mailpath.  To add one: a line here (any order,
 * conf_new sorts), its entry in man5/main.cf.5 (t/unit/conf checks that),
 * and the code that reads it.
 */
static const struct conf_def defs[] = {
	/* Who we are. */
	/* this host's name: gethostname(), fully qualified via /etc/hosts */
	{ "myhostname", NULL, def_myhostname, 0 },
	/* myhostname without its first label, else "localdomain" */
	{ "mydomain", NULL, def_mydomain, 0 },
	/* the domain that unqualified sender addresses get */
	{ "myorigin", "$myhostname", NULL, 0 },
	/* domains delivered here rather than relayed */
	{ "mydestination", "$myhostname, localhost.$mydomain, localhost",
	    NULL, 0 },
	/* the directory of the main.cf that was read */
	{ "config_directory", NULL, def_config_directory, 0 },
	/* the name the SMTP banner and bounces show */
	{ "mail_name", "mailpath", NULL, 0 },

	/* Where mail goes. */
	/* next hop for all remote mail; [host]:port skips the MX lookup */
	{ "relayhost", "", NULL, 0 },
	/* remote domains we accept mail for and relay */
	{ "relay_domains", "", NULL, 0 },
	/* clients allowed to relay through us */
	{ "mynetworks", "127.0.0.0/8 [::1]/128", NULL, 0 },
	/* addresses smtp-listen -l binds when given none */
	{ "inet_interfaces", "all", NULL, 0 },
	/* name server for MX/A/AAAA lookups, empty: the resolver's own */
	{ "dns_server", "", NULL, 0 },

	/* Tables. */
	/* the alias tables newaliases rebuilds */
	{ "alias_database", "hash:$config_directory/aliases", NULL, 0 },
	/* the alias tables local delivery looks up */
	{ "alias_maps", "$alias_database", NULL, 0 },
	/* rewrite sender and recipient addresses */
	{ "canonical_maps", "", NULL, 0 },
	/* rewrite sender addresses only */
	{ "sender_canonical_maps", "", NULL, 0 },
	/* rewrite recipient addresses only */
	{ "recipient_canonical_maps", "", NULL, 0 },

	/* Local delivery. */
	/* where the mbox files USER live */
	{ "mail_spool_directory", MAILPATH_LOCALSTATEDIR "/mail", NULL, 0 },
	/* mailbox relative to the home directory ("Maildir/"), empty: spool */
	{ "home_mailbox", "", NULL, 0 },
	/* largest mailbox in bytes, 0: no limit */
	{ "mailbox_size_limit", "51200000", NULL, 0 },
	/* user.ext: the separator between user and extension */
	{ "recipient_delimiter", "+", NULL, 0 },
	/* the user that deliveries to commands and files run as */
	{ "default_privs", "nobody", NULL, 0 },
	/* which alias kinds may deliver to |command */
	{ "allow_mail_to_commands", "alias, forward", NULL, 0 },
	/* which alias kinds may deliver to /file */
	{ "allow_mail_to_files", "alias, forward", NULL, 0 },
	/* .forward files; $home etc. are expanded per recipient, not here */
	{ "forward_path", "$home/.forward", NULL, P_RAW },
	/* passwd-format file for user lookups, empty: the system's */
	{ "local_passwd_file", "", NULL, 0 },
	/* tries at getting both mailbox locks (fcntl and dotlock) */
	{ "deliver_lock_attempts", "20", NULL, 0 },
	/* the longest wait between two lock attempts */
	{ "deliver_lock_delay", "1s", NULL, 0 },
	/* a dotlock older than this is removed */
	{ "stale_lock_time", "500s", NULL, 0 },
	/* a |command delivery is killed after this long (75) */
	{ "command_time_limit", "1000s", NULL, 0 },
	/* notify comsat(8) of new mail */
	{ "biff", "no", NULL, 0 },

	/* The queue. */
	/* where queued messages live */
	{ "queue_directory", MAILPATH_LOCALSTATEDIR "/spool/mailpath",
	    NULL, 0 },
	/* owner of the queue, empty: whoever runs the programs */
	{ "mail_owner", "", NULL, 0 },
	/* largest message in bytes, 0: no limit */
	{ "message_size_limit", "10240000", NULL, 0 },
	/* give up on a message after this long */
	{ "maximal_queue_lifetime", "5d", NULL, 0 },
	/* give up on a bounce after this long */
	{ "bounce_queue_lifetime", "5d", NULL, 0 },
	/* a bounce with RET=FULL has messages up to this size, whole */
	{ "bounce_size_limit", "50000", NULL, 0 },
	/* shortest wait before retrying a deferred message */
	{ "minimal_backoff_time", "300s", NULL, 0 },
	/* longest wait before retrying a deferred message */
	{ "maximal_backoff_time", "4000s", NULL, 0 },
	/* how often sendmail -q scans the queue in daemon mode */
	{ "queue_run_delay", "300s", NULL, 0 },
	/* sendmail: background, interactive or queue (-odb, -odi, -odq) */
	{ "delivery_mode", "background", NULL, 0 },
	/* warn the sender after this long, 0h: never */
	{ "delay_warning_time", "0h", NULL, 0 },
	/* bytes the queue's file system must keep free (452 at MAIL) */
	{ "queue_minfree", "0", NULL, 0 },
	/* Received: headers after which a message is a loop */
	{ "hopcount_limit", "50", NULL, 0 },
	/* the queue runner's local delivery program */
	{ "mda_deliver_program", "", NULL, 0 },
	/* the queue runner's SMTP client program */
	{ "smtp_send_program", MAILPATH_BINDIR "/smtp-send", NULL, 0 },
	/* remote mail: "smtp", or "error" to bounce it (local only) */
	{ "default_transport", "smtp", NULL, 0 },

	/* The SMTP server. */
	/* text after "220 " in the greeting */
	{ "smtpd_banner", "$myhostname ESMTP $mail_name", NULL, 0 },
	/* most recipients per message */
	{ "smtpd_recipient_limit", "1000", NULL, 0 },
	/* how long to wait for the client */
	{ "smtpd_timeout", "300s", NULL, 0 },
	/* errors after which the client is disconnected */
	{ "smtpd_hard_error_limit", "20", NULL, 0 },
	/* server certificate (PEM) for STARTTLS */
	{ "smtpd_tls_cert_file", "", NULL, 0 },
	/* server private key (PEM) for STARTTLS */
	{ "smtpd_tls_key_file", "", NULL, 0 },
	/* none, may (offer STARTTLS) or encrypt (require it) */
	{ "smtpd_tls_security_level", "may", NULL, 0 },
	/* offer AUTH to clients */
	{ "smtpd_sasl_auth_enable", "no", NULL, 0 },
	/* which login may use which sender address */
	{ "smtpd_sender_login_maps", "", NULL, 0 },
	/* the longest a whole SMTP session may last */
	{ "smtpd_session_timeout", "3600s", NULL, 0 },
	/* how long to watch for early talkers before the greeting */
	{ "smtpd_greet_pause", "0s", NULL, 0 },
	/* a bare CR or LF: reject (521 in DATA) or normalize */
	{ "smtpd_forbid_bare_newline", "reject", NULL, 0 },
	/* pipelining without PIPELINING: 554 and a disconnect */
	{ "smtpd_forbid_unauth_pipelining", "yes", NULL, 0 },
	/* offer AUTH only after STARTTLS */
	{ "smtpd_tls_auth_only", "yes", NULL, 0 },
	/* table of user -> crypt(3) hash, built with postmap */
	{ "smtpd_sasl_user_maps", "", NULL, 0 },
	/* failed AUTH attempts per session before 421 */
	{ "smtpd_sasl_failure_limit", "3", NULL, 0 },
	/* pause after each failed AUTH */
	{ "smtpd_sasl_failure_delay", "1s", NULL, 0 },
	/* refuse unknown local recipients at RCPT (asks mda-deliver -n) */
	{ "smtpd_reject_unlisted_recipient", "no", NULL, 0 },
	/* submission: the From: header must be the login's as well */
	{ "smtpd_submission_header_from_check", "no", NULL, 0 },

	/* The SMTP client. */
	/* none, may, encrypt, verify or secure */
	{ "smtp_tls_security_level", "may", NULL, 0 },
	/* CA certificates to verify servers, empty: the system's */
	{ "smtp_tls_CAfile", "", NULL, 0 },
	/* authenticate to the next hop */
	{ "smtp_sasl_auth_enable", "no", NULL, 0 },
	/* table of next hop -> user:password */
	{ "smtp_sasl_password_maps", "", NULL, 0 },
	/* the name smtp-send gives in EHLO */
	{ "smtp_helo_name", "$myhostname", NULL, 0 },
	/* port of MX hosts and of relay hosts given without one */
	{ "smtp_tcp_port", "smtp", NULL, 0 },
	/* connection, greeting, EHLO, STARTTLS and AUTH, together */
	{ "smtp_connect_timeout", "30s", NULL, 0 },
	/* each later reply (libcurl has one per-reply timeout) */
	{ "smtp_data_done_timeout", "600s", NULL, 0 },
	/* yes: TLS from the start (smtps) instead of STARTTLS */
	{ "smtp_tls_wrappermode", "no", NULL, 0 },
	/* credentials only inside TLS */
	{ "smtp_tls_auth_only", "yes", NULL, 0 },
};

#define NDEFS	(sizeof defs / sizeof defs[0])

/* One parameter of one configuration. */
struct param {
	const char		*name;
	char			*own;	/* name storage of a user-defined one */
	const struct conf_def	*def;	/* NULL: user-defined (a macro) */
	char			*val;	/* set by the file or conf_set */
	unsigned long		 line;	/* where val was set, 0: conf_set */
	char			*exp;	/* the expanded value */
	int			 state;	/* expansion: X_NONE, X_BUSY, X_DONE */
	int			 ref;	/* named by some $name */
};

#define X_NONE	0
#define X_BUSY	1
#define X_DONE	2

struct mail_conf {
	struct param	*p;		/* sorted by name */
	size_t		 n, cap;
	char		*path;		/* the file read, NULL: defaults */
	char		*dir;		/* its directory, absolute */
	char		 host[256];	/* gethostname(), maybe qualified */
};

/* One expansion or one scan. */
struct xctx {
	struct mail_conf	*c;
	struct mail_err		*e;
	struct param		*stack[CONF_DEPTH_MAX + 1];
	int			 sp;
	int			 depth;	/* walk and expand frames */
	struct param		*cur;	/* scan: whose value */
	int			 warn;	/* scan: warn about undefined names */
};

static int
namechar(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || ch == '_';
}

static size_t
namelen(const char *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n && namechar((unsigned char)s[i]); i++)
		;
	return i;
}

static int
bycmp(const void *a, const void *b)
{
	return strcmp(((const struct param *)a)->name,
	    ((const struct param *)b)->name);
}

static struct param *
find(const struct mail_conf *c, const char *name)
{
	struct param	key;

	key.name = name;
	return bsearch(&key, c->p, c->n, sizeof c->p[0], bycmp);
}

static struct param *
findn(const struct mail_conf *c, const char *name, size_t n)
{
	char	tmp[CONF_NAME_MAX + 1];

	if (n > CONF_NAME_MAX)
		return NULL;
	memcpy(tmp, name, n);
	tmp[n] = '\0';
	return find(c, tmp);
}

/* "file:line: " for a parameter set in the file, else "" */
static const char *
where(const struct mail_conf *c, const struct param *p, char *b, size_t sz)
{
	int	n;

	b[0] = '\0';
	if (p != NULL && p->line > 0 && c->path != NULL) {
		n = snprintf(b, sz, "%s:%lu: ", c->path, p->line);
		if (n < 0 || (size_t)n >= sz)
			b[0] = '\0';
	}
	return b;
}

/* The raw value: what the file or conf_set gave, else the default. */
static const char *
rawval(const struct param *p)
{
	if (p->val != NULL)
		return p->val;
	if (p->def->fn != NULL)
		return p->exp != NULL ? p->exp : "";
	return p->def->def;
}

/* check_name - 0, or EX_CONFIG with pfx (file:line) and the reason */
static int
check_name(const char *name, const char *pfx, struct mail_err *e)
{
	size_t	n = strlen(name), k;

	if (n == 0)
		return mail_err_set(e, EX_CONFIG, NULL,
		    "%sempty parameter name", pfx);
	if (n > CONF_NAME_MAX)
		return mail_err_set(e, EX_CONFIG, NULL,
		    "%sparameter name longer than %d bytes: \"%.40s...\"",
		    pfx, CONF_NAME_MAX, name);
	if ((k = namelen(name, n)) < n) {
		unsigned char	ch = (unsigned char)name[k];

		if (ch >= 0x20 && ch < 0x7f)
			return mail_err_set(e, EX_CONFIG, NULL,
			    "%sbad character '%c' in parameter name "
			    "\"%s\" (want letters, digits, _)", pfx, ch,
			    name);
		return mail_err_set(e, EX_CONFIG, NULL,
		    "%sbad character \\x%02x in parameter name (want "
		    "letters, digits, _)", pfx, ch);
	}
	return 0;
}

/* check_value - 0, or EX_CONFIG: no control characters but tab */
static int
check_value(const char *name, const char *v, const char *pfx,
    struct mail_err *e)
{
	const unsigned char	*s;

	for (s = (const unsigned char *)v; *s != '\0'; s++)
		if ((*s < 0x20 && *s != '\t') || *s == 0x7f)
			return mail_err_set(e, EX_CONFIG, NULL,
			    "%scontrol character \\x%02x in the value of %s",
			    pfx, *s, name);
	if (strlen(v) > CONF_VALUE_MAX)
		return mail_err_set(e, EX_CONFIG, NULL,
		    "%svalue of %s longer than %d bytes", pfx, name,
		    CONF_VALUE_MAX);
	return 0;
}

/* add - the parameter name, inserted in order when new; NULL: ENOMEM/E2BIG */
static struct param *
add(struct mail_conf *c, const char *name)
{
	struct param	*p, *np;
	size_t		 i, ncap;

	if ((p = find(c, name)) != NULL)
		return p;
	if (c->n >= CONF_PARAMS_MAX) {
		errno = E2BIG;
		return NULL;
	}
	if (c->n == c->cap) {
		ncap = c->cap * 2;
		if ((np = realloc(c->p, ncap * sizeof c->p[0])) == NULL)
			return NULL;
		c->p = np;
		c->cap = ncap;
	}
	for (i = 0; i < c->n && strcmp(c->p[i].name, name) < 0; i++)
		;
	memmove(&c->p[i + 1], &c->p[i], (c->n - i) * sizeof c->p[0]);
	p = &c->p[i];
	memset(p, 0, sizeof *p);
	if ((p->own = str_dup(name)) == NULL) {
		memmove(&c->p[i], &c->p[i + 1], (c->n - i) * sizeof c->p[0]);
		return NULL;
	}
	p->name = p->own;
	c->n++;
	return p;
}

/* drop - remove a user-defined parameter again (a failed conf_set) */
static void
drop(struct mail_conf *c, struct param *p)
{
	size_t	i = (size_t)(p - c->p);

	free(p->own);
	free(p->val);
	free(p->exp);
	memmove(&c->p[i], &c->p[i + 1], (c->n - i - 1) * sizeof c->p[0]);
	c->n--;
}

/*
 * fqdn - this host's name: gethostname(), and when that has no dot, the
 * canonical name /etc/hosts gives it ("127.0.1.1 host.example.org host",
 * as Debian's installer writes).  No DNS: a mail program must start on a
 * machine whose resolver is broken or slow.
 */
static void
fqdn(char *host, size_t sz)
{
	FILE		*fp;
	char		 line[1024], *canon, *t;
	size_t		 hl, cl, tl;
	int		 seen;
	static const char ws[] = " \t";

	if (gethostname(host, sz) == -1 || host[0] == '\0')
		str_copy(host, sz, "localhost");
	host[sz - 1] = '\0';
	if (strchr(host, '.') != NULL || (fp = fopen("/etc/hosts", "r")) ==
	    NULL)
		return;
	hl = strlen(host);
	while (fgets(line, sizeof line, fp) != NULL) {
		line[strcspn(line, "#\n")] = '\0';
		/* address, canonical name, aliases */
		t = line + strspn(line, ws);
		t += strcspn(t, ws);
		canon = t + strspn(t, ws);
		cl = strcspn(canon, ws);
		seen = cl == hl && strncasecmp(canon, host, hl) == 0;
		for (t = canon + cl; !seen && *t != '\0'; t += tl) {
			t += strspn(t, ws);
			tl = strcspn(t, ws);
			seen = tl == hl && strncasecmp(t, host, hl) == 0;
		}
		if (seen && cl > hl + 1 && strncasecmp(canon, host, hl) == 0 &&
		    canon[hl] == '.' && cl < sz) {
			memcpy(host, canon, cl);
			host[cl] = '\0';
			break;
		}
	}
	fclose(fp);
}

static struct mail_conf *
conf_new(void)
{
	struct mail_conf	*c;
	size_t			 i;

	if ((c = calloc(1, sizeof *c)) == NULL)
		return NULL;
	c->cap = NDEFS + 16;
	if ((c->p = calloc(c->cap, sizeof c->p[0])) == NULL) {
		free(c);
		return NULL;
	}
	for (i = 0; i < NDEFS; i++) {
		c->p[i].name = defs[i].name;
		c->p[i].def = &defs[i];
	}
	c->n = NDEFS;
	qsort(c->p, c->n, sizeof c->p[0], bycmp);
	fqdn(c->host, sizeof c->host);
	return c;
}

static const char *expand(struct xctx *, struct param *);
static int	reclass(struct mail_err *);
static int	walk(struct xctx *, const char *, size_t, struct buf *);
static int	walk1(struct xctx *, const char *, size_t, struct buf *);

/* value - the expanded value of a name, "" when undefined; NULL: error */
static const char *
value(struct xctx *x, const char *name, size_t n)
{
	struct param	*p;

	if ((p = findn(x->c, name, n)) == NULL)
		return "";
	return expand(x, p);
}

static int
toolong(struct xctx *x)
{
	char	pfx[512];
	struct param *p = x->stack[0];

	mail_err_set(x->e, EX_CONFIG, NULL,
	    "%sexpanded value of %s longer than %d bytes",
	    where(x->c, p, pfx, sizeof pfx), p->name, CONF_VALUE_MAX);
	return -1;
}

static int
macerr(struct xctx *x, const char *what, const char *s, size_t n)
{
	char		 pfx[512];
	struct param	*p = x->cur != NULL ? x->cur : x->stack[x->sp - 1];

	mail_err_set(x->e, EX_CONFIG, NULL, "%s%s: %s in \"%.*s\"",
	    where(x->c, p, pfx, sizeof pfx), p->name, what,
	    n > 60 ? 60 : (int)n, s);
	return -1;
}

/*
 * walk - expand text s[0..n) into out, or, with out NULL, scan it: note
 * every name it refers to (conditional texts included) and check its
 * syntax.  One parser for both, so what the scan accepts is what
 * expansion understands.  0, or -1 with x->e filled.
 */
static int
walk1(struct xctx *x, const char *s, size_t n, struct buf *out)
{
	const char	*name, *text, *v, *start;
	size_t		 i, k, nl, tl;
	int		 open, close, level, op;
	struct param	*p;

	for (i = 0; i < n; ) {
		if (s[i] != '$') {
			for (k = i; k < n && s[k] != '$'; k++)
				;
			if (out != NULL && buf_add(out, s + i, k - i) == -1)
				return toolong(x);
			i = k;
			continue;
		}
		start = s + i;
		if (++i < n && s[i] == '$') {
			if (out != NULL && buf_addc(out, '$') == -1)
				return toolong(x);
			i++;
			continue;
		}
		op = 0;
		text = NULL;
		tl = 0;
		if (i < n && (s[i] == '{' || s[i] == '(')) {
			open = s[i];
			close = open == '{' ? '}' : ')';
			name = s + ++i;
			nl = namelen(name, n - i);
			if (nl == 0)
				return macerr(x, "missing name after $", start,
				    n - (size_t)(start - s));
			i += nl;
			if (i < n && (s[i] == '?' || s[i] == ':')) {
				op = s[i++];
				text = s + i;
				/* Nesting counts the same bracket only. */
				for (level = 1; i < n; i++) {
					if (s[i] == open)
						level++;
					else if (s[i] == close &&
					    --level == 0)
						break;
				}
				tl = (size_t)(s + i - text);
			}
			if (i >= n || s[i] != close)
				return macerr(x, close == '}' ?
				    "missing '}'" : "missing ')'", start,
				    n - (size_t)(start - s));
			i++;
		} else {
			name = s + i;
			nl = namelen(name, n - i);
			if (nl == 0)
				return macerr(x, "'$' without a name (write "
				    "$$ for a literal $)", start,
				    n - (size_t)(start - s));
			i += nl;
		}
		if (nl > CONF_NAME_MAX)
			return macerr(x, "name too long", start, nl + 1);
		if (out == NULL) {
			/* Scan: remember the reference, check the text. */
			if ((p = findn(x->c, name, nl)) != NULL)
				p->ref = 1;
			else if (op == 0 && x->warn) {
				char	pfx[512];

				log_warn("%s%s: $%.*s is not a parameter; it "
				    "expands to nothing",
				    where(x->c, x->cur, pfx, sizeof pfx),
				    x->cur->name, (int)nl, name);
			}
			if (op != 0 && walk(x, text, tl, NULL) ==
			    -1)
				return -1;
			continue;
		}
		if ((v = value(x, name, nl)) == NULL)
			return -1;
		if (op == 0) {
			if (buf_adds(out, v) == -1)
				return toolong(x);
		} else if ((op == '?') == (*v != '\0')) {
			/* ${name?text}: name non-empty; ${name:text}: empty */
			if (walk(x, text, tl, out) == -1)
				return -1;
		}
	}
	return 0;
}

/*
 * walk - walk1 for the text of ${name?text}, within the depth limit,
 * which counts nested texts and nested parameters together (as Postfix's
 * 100 levels), so neither can exhaust the stack.
 */
static int
walk(struct xctx *x, const char *s, size_t n, struct buf *out)
{
	int	rc;

	if (x->depth >= CONF_DEPTH_MAX)
		return macerr(x, "$-expansion nested deeper than 100 levels",
		    s, n);
	x->depth++;
	rc = walk1(x, s, n, out);
	x->depth--;
	return rc;
}

/* loop - EX_CONFIG naming the cycle "a -> b -> a" that p closes */
static int
loop(struct xctx *x, struct param *p)
{
	struct buf	chain = BUF_INIT(400);
	char		pfx[512];
	int		i;

	for (i = 0; i < x->sp && x->stack[i] != p; i++)
		;
	for (; i < x->sp; i++)
		if (buf_adds(&chain, x->stack[i]->name) == -1 ||
		    buf_adds(&chain, " -> ") == -1)
			break;
	buf_adds(&chain, p->name);
	mail_err_set(x->e, EX_CONFIG, NULL,
	    "%sloop in $-expansion: %s", where(x->c, p, pfx, sizeof pfx),
	    buf_str(&chain));
	buf_free(&chain);
	return -1;
}

/* expand - p's expanded value, computed once; NULL with x->e filled */
static const char *
expand(struct xctx *x, struct param *p)
{
	struct buf	out = BUF_INIT(CONF_VALUE_MAX);
	const char	*raw;
	char		 pfx[512];
	int		 rc;

	if (p->state == X_DONE)
		return p->exp;
	if (p->state == X_BUSY)
		return loop(x, p), NULL;
	if (x->depth >= CONF_DEPTH_MAX) {
		mail_err_set(x->e, EX_CONFIG, NULL,
		    "%s$-expansion of %s nested deeper than %d levels",
		    where(x->c, x->stack[0], pfx, sizeof pfx),
		    x->stack[0]->name, CONF_DEPTH_MAX);
		return NULL;
	}
	p->state = X_BUSY;
	x->stack[x->sp++] = p;
	x->depth++;
	if (p->val == NULL && p->def->fn != NULL)
		rc = p->def->fn(x, &out);
	else if (p->def != NULL && (p->def->flags & P_RAW)) {
		raw = rawval(p);
		rc = buf_adds(&out, raw) == -1 ? toolong(x) : 0;
	} else {
		raw = rawval(p);
		rc = walk1(x, raw, strlen(raw), &out);
	}
	x->sp--;
	x->depth--;
	if (rc == 0 && out.s == NULL && buf_adds(&out, "") == -1) {
		mail_err_errno(x->e, errno, "configuration");
		rc = -1;
	}
	if (rc == -1) {
		buf_free(&out);
		p->state = X_NONE;
		return NULL;
	}
	p->exp = out.s;
	p->state = X_DONE;
	return p->exp;
}

/* myhostname: gethostname(); no dot: ".$mydomain" if set, ".localdomain" */
static int
def_myhostname(struct xctx *x, struct buf *out)
{
	struct param	*d;
	const char	*v = "localdomain";

	if (strchr(x->c->host, '.') != NULL)
		return buf_adds(out, x->c->host) == -1 ? toolong(x) : 0;
	if ((d = find(x->c, "mydomain")) != NULL && d->val != NULL &&
	    (v = expand(x, d)) == NULL)
		return -1;
	if (buf_printf(out, "%s.%s", x->c->host, v) == -1)
		return toolong(x);
	return 0;
}

/* mydomain: myhostname without its first label, else "localdomain" */
static int
def_mydomain(struct xctx *x, struct buf *out)
{
	const char	*h, *dot;

	if ((h = value(x, "myhostname", strlen("myhostname"))) == NULL)
		return -1;
	if ((dot = strchr(h, '.')) == NULL || dot[1] == '\0')
		dot = ".localdomain";
	return buf_adds(out, dot + 1) == -1 ? toolong(x) : 0;
}

/* config_directory: where the file was read, else the compiled-in one */
static int
def_config_directory(struct xctx *x, struct buf *out)
{
	const char	*d = x->c->dir != NULL ? x->c->dir : MAILPATH_SYSCONFDIR;

	return buf_adds(out, d) == -1 ? toolong(x) : 0;
}

/* recompute - expand every parameter afresh; EX_OK or EX_CONFIG */
static int
recompute(struct mail_conf *c, struct mail_err *e)
{
	struct xctx	x;
	size_t		i;

	memset(&x, 0, sizeof x);
	x.c = c;
	x.e = e;
	for (i = 0; i < c->n; i++) {
		free(c->p[i].exp);
		c->p[i].exp = NULL;
		c->p[i].state = X_NONE;
	}
	for (i = 0; i < c->n; i++) {
		x.sp = 0;
		if (expand(&x, &c->p[i]) == NULL)
			return e->ex == EX_CONFIG ? EX_CONFIG : reclass(e);
	}
	return EX_OK;
}

/* scan - check the $-syntax of p's raw value, mark what it refers to */
static int
scan(struct mail_conf *c, struct param *p, int warn, struct mail_err *e)
{
	struct xctx	x;
	const char	*raw;

	if ((p->def != NULL && (p->def->flags & P_RAW)) ||
	    (p->val == NULL && p->def->fn != NULL))
		return EX_OK;
	memset(&x, 0, sizeof x);
	x.c = c;
	x.e = e;
	x.cur = p;
	x.warn = warn;
	raw = rawval(p);
	return walk1(&x, raw, strlen(raw), NULL) == -1 ? e->ex : EX_OK;
}

static int
byline(const void *a, const void *b)
{
	const struct param *pa = *(struct param *const *)a;
	const struct param *pb = *(struct param *const *)b;

	return pa->line < pb->line ? -1 : pa->line > pb->line;
}

/*
 * check - after the file: syntax of every value, then the warnings
 * (unknown names, in file order), then the expansion.
 */
static int
check(struct mail_conf *c, struct mail_err *e)
{
	struct param	**unk;
	size_t		  i, nu = 0;
	int		  rc;

	for (i = 0; i < c->n; i++)
		if ((rc = scan(c, &c->p[i], c->p[i].line > 0, e)) != EX_OK)
			return rc;
	if ((unk = calloc(c->n, sizeof *unk)) == NULL)
		return mail_err_errno(e, errno, "configuration");
	for (i = 0; i < c->n; i++)
		if (c->p[i].def == NULL && !c->p[i].ref && c->p[i].line > 0)
			unk[nu++] = &c->p[i];
	qsort(unk, nu, sizeof *unk, byline);
	for (i = 0; i < nu; i++)
		log_warn("%s:%lu: unknown parameter %s", c->path, unk[i]->line,
		    unk[i]->name);
	free(unk);
	return recompute(c, e);
}

/* parse - one logical line "name = value" at line no */
static int
parse(struct mail_conf *c, char *s, unsigned long no, struct mail_err *e)
{
	char		 pfx[512], *eq, *name, *val;
	struct param	*p;
	int		 n;

	n = snprintf(pfx, sizeof pfx, "%s:%lu: ", c->path, no);
	if (n < 0 || (size_t)n >= sizeof pfx)
		pfx[0] = '\0';
	if ((eq = strchr(s, '=')) == NULL)
		return mail_err_set(e, EX_CONFIG, NULL,
		    "%smissing '=' in \"%.60s\" (want name = value)", pfx, s);
	*eq = '\0';
	name = str_trim(s);
	val = str_trim(eq + 1);
	if ((n = check_name(name, pfx, e)) != 0 ||
	    (n = check_value(name, val, pfx, e)) != 0)
		return n;
	if ((p = add(c, name)) == NULL)
		return errno == E2BIG ? mail_err_set(e, EX_CONFIG, NULL,
		    "%smore than %d parameters", pfx, CONF_PARAMS_MAX) :
		    mail_err_errno(e, errno, "%s", c->path);
	if (p->line > 0)
		log_warn("%s%s overrides line %lu", pfx, name, p->line);
	free(p->val);
	if ((p->val = str_dup(val)) == NULL)
		return mail_err_errno(e, errno, "%s", c->path);
	p->line = no;
	return EX_OK;
}

/* absdir - the directory of path, made absolute against the cwd */
static char *
absdir(const char *path)
{
	struct buf	 b = BUF_INIT(8192);
	char		 cwd[4096];
	const char	*slash = strrchr(path, '/');
	size_t		 n;
	int		 rc = 0;

	n = slash == NULL ? 0 : slash == path ? 1 : (size_t)(slash - path);
	if (path[0] != '/') {
		while (n >= 2 && path[0] == '.' && path[1] == '/') {
			path += 2;	/* "./etc/main.cf" is "etc/main.cf" */
			n -= 2;
		}
		if (n == 1 && path[0] == '.')
			n = 0;
		rc = buf_adds(&b, getcwd(cwd, sizeof cwd) != NULL ? cwd : ".");
		if (rc == 0 && n > 0)
			rc = buf_addc(&b, '/');
	}
	if (rc == -1 || buf_add(&b, path, n) == -1 || b.s == NULL) {
		buf_free(&b);
		errno = ENAMETOOLONG;
		return NULL;
	}
	return b.s;
}

/* reclass - a problem reading the configuration is EX_CONFIG */
static int
reclass(struct mail_err *e)
{
	char	text[sizeof e->text];

	memcpy(text, e->text, sizeof text);
	return mail_err_set(e, EX_CONFIG, NULL, "%s", text);
}

/* readfile - every line of fp into c */
static int
readfile(struct mail_conf *c, FILE *fp, struct mail_err *e)
{
	struct lline	l;
	int		rc, ex = EX_OK;

	lline_init(&l, fp, c->path);
	while ((rc = lline_read(&l, e)) == 1)
		if ((ex = parse(c, l.line.s, l.start, e)) != EX_OK)
			break;
	if (rc == -1)
		ex = reclass(e);
	lline_free(&l);
	return ex;
}

/*
 * conf_load - read path; NULL means $MAILPATH_CONF (when set and not
 * empty), else MAILPATH_SYSCONFDIR "/main.cf", whose absence is no error.
 */
int
conf_load(struct mail_conf **cp, const char *path, struct mail_err *e)
{
	struct mail_conf	*c;
	FILE			*fp;
	const char		*env;
	int			 named = 1, ex;

	*cp = NULL;
	mail_err_clear(e);
	if (path == NULL && (env = getenv("MAILPATH_CONF")) != NULL &&
	    *env != '\0')
		path = env;
	if (path == NULL) {
		path = MAILPATH_SYSCONFDIR "/main.cf";
		named = 0;
	}
	if (*path == '\0')
		return mail_err_set(e, EX_CONFIG, NULL,
		    "empty configuration file name");
	if ((c = conf_new()) == NULL) {
		mail_err_errno(e, errno, "configuration");
		return reclass(e);
	}
	if ((fp = fopen(path, "r")) == NULL) {
		if (errno != ENOENT || named) {
			mail_err_errno(e, errno, "%s", path);
			conf_free(c);
			return reclass(e);
		}
		ex = recompute(c, e);
	} else {
		if ((c->path = str_dup(path)) == NULL ||
		    (c->dir = absdir(path)) == NULL) {
			mail_err_errno(e, errno, "%s", path);
			ex = reclass(e);
		} else if ((ex = readfile(c, fp, e)) == EX_OK)
			ex = check(c, e);
		fclose(fp);
	}
	if (ex != EX_OK) {
		conf_free(c);
		return e->ex == EX_CONFIG ? ex : reclass(e);
	}
	*cp = c;
	return EX_OK;
}

/*
 * conf_set - override one parameter (-o name=value), as if the file had
 * said so; the value is checked and the configuration expanded again, and
 * on EX_CONFIG nothing changed.
 */
int
conf_set(struct mail_conf *c, const char *name, const char *val,
    struct mail_err *e)
{
	struct mail_err	 scratch;
	struct param	*p;
	char		*old;
	unsigned long	 oline;
	int		 ex, isnew;

	if ((ex = check_name(name, "", e)) != 0 ||
	    (ex = check_value(name, val, "", e)) != 0)
		return ex;
	isnew = find(c, name) == NULL;
	if ((p = add(c, name)) == NULL)
		return mail_err_errno(e, errno, "%s", name), reclass(e);
	old = p->val;
	oline = p->line;
	if ((p->val = str_dup(val)) == NULL) {
		p->val = old;
		if (isnew)
			drop(c, p);
		return mail_err_errno(e, errno, "%s", name), reclass(e);
	}
	p->line = 0;
	if ((ex = scan(c, p, 0, e)) == EX_OK && (ex = recompute(c, e)) ==
	    EX_OK) {
		free(old);
		return EX_OK;
	}
	free(p->val);
	p->val = old;
	p->line = oline;
	if (isnew)
		drop(c, p);
	/* The old values expanded before, so they expand again. */
	recompute(c, &scratch);
	return ex;
}

/* conf_get - the expanded value; NULL for a name neither known nor set */
const char *
conf_get(const struct mail_conf *c, const char *name)
{
	const struct param	*p = find(c, name);

	return p == NULL ? NULL : p->exp;
}

/* conf_get_raw - the value before expansion */
const char *
conf_get_raw(const struct mail_conf *c, const char *name)
{
	const struct param	*p = find(c, name);

	return p == NULL ? NULL : rawval(p);
}

/* conf_get_bool - yes 1, no 0 (any case), else -1 and a warning */
int
conf_get_bool(const struct mail_conf *c, const char *name)
{
	const char	*v = conf_get(c, name);

	if (v == NULL) {
		log_warn("unknown parameter %s", name);
		return -1;
	}
	if (strcasecmp(v, "yes") == 0)
		return 1;
	if (strcasecmp(v, "no") == 0)
		return 0;
	log_warn("parameter %s: bad value \"%s\" (want yes or no)", name, v);
	return -1;
}

/* conf_get_num - a whole number >= 0; EX_OK or EX_CONFIG */
int
conf_get_num(const struct mail_conf *c, const char *name, long long *out,
    struct mail_err *e)
{
	const char	*v = conf_get(c, name);

	if (v == NULL)
		return mail_err_set(e, EX_CONFIG, NULL,
		    "unknown parameter %s", name);
	if (str_tonum(v, 0, LLONG_MAX, out) == -1)
		return mail_err_set(e, EX_CONFIG, NULL,
		    "parameter %s: %s \"%.100s\" (want a whole number >= 0)",
		    name, errno == ERANGE ? "number out of range" :
		    "bad number", v);
	return EX_OK;
}

/* conf_get_time - a time in seconds ("300s", "5d"); EX_OK or EX_CONFIG */
int
conf_get_time(const struct mail_conf *c, const char *name, int def_unit,
    long long *out, struct mail_err *e)
{
	const char	*v = conf_get(c, name);

	if (v == NULL)
		return mail_err_set(e, EX_CONFIG, NULL,
		    "unknown parameter %s", name);
	if (str_toduration(v, def_unit, out) == -1)
		return mail_err_set(e, EX_CONFIG, NULL,
		    "parameter %s: %s \"%.100s\" (want a number and one of "
		    "s, m, h, d, w)", name, errno == ERANGE ?
		    "time out of range" : "bad time", v);
	return EX_OK;
}

/*
 * conf_list - split at commas and white space, empty items dropped; one
 * allocation (pointers, then the strings), freed by conf_list_free.
 */
char **
conf_list(const char *s, size_t *np)
{
	static const char	 sep[] = ", \t\r\n";
	size_t			 n = 0, len, i, k;
	char			**v, *t;

	for (i = 0; s[i] != '\0'; ) {
		i += strspn(s + i, sep);
		if (s[i] == '\0')
			break;
		n++;
		i += strcspn(s + i, sep);
	}
	len = i;
	if ((v = malloc((n + 1) * sizeof *v + len + 1)) == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	t = (char *)(v + n + 1);
	memcpy(t, s, len + 1);
	for (i = 0, k = 0; k < n; k++) {
		i += strspn(t + i, sep);
		v[k] = t + i;
		i += strcspn(t + i, sep);
		if (t[i] != '\0')
			t[i++] = '\0';
	}
	v[n] = NULL;
	if (np != NULL)
		*np = n;
	return v;
}

/* conf_list_free - free what conf_list returned (NULL is fine) */
void
conf_list_free(char **v)
{
	free(v);
}

/* conf_file - the file that was read, NULL when only defaults are in use */
const char *
conf_file(const struct mail_conf *c)
{
	return c->path;
}

/*
 * conf_foreach - fn(name, raw value, set, arg) for every parameter, known
 * or set, in strcmp order; set is 1 when the file or conf_set gave the
 * value (postconf -n), 0 for a default.
 */
void
conf_foreach(const struct mail_conf *c,
    void (*fn)(const char *, const char *, int, void *), void *arg)
{
	size_t	i;

	for (i = 0; i < c->n; i++)
		if (c->p[i].def != NULL || c->p[i].val != NULL)
			fn(c->p[i].name, rawval(&c->p[i]),
			    c->p[i].val != NULL, arg);
}

/* conf_free - release c and every string it handed out (NULL is fine) */
void
conf_free(struct mail_conf *c)
{
	size_t	i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n; i++) {
		free(c->p[i].own);
		free(c->p[i].val);
		free(c->p[i].exp);
	}
	free(c->p);
	free(c->path);
	free(c->dir);
	free(c);
}

/* conf_in_list - is word in the list parameter? */
int
conf_in_list(const struct mail_conf *c, const char *param, const char *word)
{
	const char	 *v = conf_get(c, param);
	char		**w;
	size_t		  i;
	int		  hit = 0;

	if ((w = conf_list(v != NULL ? v : "", NULL)) == NULL)
		return 0;
	for (i = 0; w[i] != NULL && !hit; i++)
		hit = strcasecmp(w[i], word) == 0;
	conf_list_free(w);
	return hit;
}
