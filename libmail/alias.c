/* SPDX-License-Identifier: ISC */
/*
 * alias - aliases(5): the parser, the target-list splitter, the lint and
 * the build behind newaliases(1) and sendmail -bi.
 *
 * The syntax is Postfix's postalias: "name: target, target", logical lines
 * through lline (white-space-led continuation, '#' lines), the name quoted
 * when it holds special characters, a comma inside quotes not splitting.
 * Where postalias only warns and skips a bad line (no colon, nothing after
 * the colon, an "@" in the name), we stop with file:line and leave the old
 * table alone: a half-applied alias file is worse than an old one.
 *
 * The value stored is the target list as written, trimmed; nothing in it
 * is evaluated at build time.  alias_split() takes it apart at delivery.
 *
 * Trusts nothing in the source: lines are bounded by lline, entries by
 * ALIAS_MAX_ENTRIES, and control bytes are refused.  The lint only reads:
 * it stats :include: files and looks names up in the passwd database.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "alias.h"
#include "buf.h"
#include "conf.h"
#include "lline.h"
#include "log.h"
#include "map.h"
#include "priv.h"
#include "str.h"

#define ALIAS_MAX_ENTRIES	(1UL << 24)	/* more is not an alias file */
#define ALIAS_CHAIN_MAX		1024		/* longest loop chain shown */
#define INCLUDE_PREFIX		":include:"
#define INCLUDE_LEN		(sizeof INCLUDE_PREFIX - 1)

/* alias_kind_of - the kind of a target as delivery will see it */
enum alias_kind
alias_kind_of(const char *t)
{
	if (t[0] == '|')
		return ALIAS_COMMAND;
	if (t[0] == '/')
		return ALIAS_FILE;
	if (strncasecmp(t, INCLUDE_PREFIX, INCLUDE_LEN) == 0)
		return ALIAS_INCLUDE;
	if (strchr(t, '@') != NULL)
		return ALIAS_REMOTE;
	return ALIAS_LOCAL;
}

static int
is_ws(int c)
{
	return c == ' ' || c == '\t';
}

/*
 * alias_split - call fn for each target of a stored list: split at commas
 * outside double quotes, white space around a target trimmed, quotes
 * removed (inside them \" and \\ stand for " and \).  An empty element
 * ("a,,b", a trailing comma) is skipped as sendmail and Postfix do; an
 * empty quoted target ("") is an error.  EX_OK, EX_DATAERR (unterminated
 * quote, empty quoted target; no file:line: the caller knows where),
 * EX_TEMPFAIL (memory), or what fn returned.
 */
int
alias_split(const char *value, alias_target_fn fn, void *arg,
    struct mail_err *e)
{
	struct buf	 t;
	const char	*p = value;
	size_t		 keep;
	int		 inq, quoted, rc = EX_OK;

	buf_init(&t, strlen(value) + 1);
	for (;;) {
		while (is_ws(*p))
			p++;
		buf_reset(&t);
		inq = quoted = 0;
		keep = 0;
		while (*p != '\0' && (inq || *p != ',')) {
			if (inq && *p == '\\' && p[1] != '\0')
				p++;
			else if (*p == '"') {
				inq = !inq;
				quoted = 1;
				p++;
				keep = t.len;
				continue;
			}
			if (buf_addc(&t, *p++) == -1) {
				rc = mail_err_errno(e, errno, "alias_split");
				goto out;
			}
			if (inq)
				keep = t.len;
		}
		if (inq) {
			rc = mail_err_set(e, EX_DATAERR, NULL,
			    "unterminated quoted string in target list");
			goto out;
		}
		/* Trailing white space goes, unless it was quoted. */
		while (t.len > keep && is_ws(t.s[t.len - 1]))
			buf_truncate(&t, t.len - 1);
		if (t.len == 0 && quoted) {
			rc = mail_err_set(e, EX_DATAERR, NULL,
			    "empty quoted target in target list");
			goto out;
		}
		if (t.len > 0 && (rc = fn(arg, alias_kind_of(t.s), t.s)) != 0)
			goto out;
		if (*p != ',')
			break;
		p++;
	}
out:
	buf_free(&t);
	return rc;
}

/* has_bad_ctl - a control byte other than TAB, or DEL */
static int
has_bad_ctl(const char *s)
{
	for (; *s != '\0'; s++)
		if (((unsigned char)*s < 0x20 && *s != '\t') || *s == 0x7f)
			return 1;
	return 0;
}

static int
count_target(void *arg, enum alias_kind k, const char *t)
{
	(*(size_t *)arg)++;
	return 0;
}

/*
 * parse_name - the name at the start of s into name (unquoted, folded);
 * returns the byte after the colon, or NULL with e filled.
 */
static const char *
parse_name(const char *s, struct buf *name, const char *file,
    unsigned long line, struct mail_err *e)
{
	const char	*p = s, *q, *end;

	buf_reset(name);
	if (*p == '"') {
		for (p++; *p != '"'; p++) {
			if (*p == '\0') {
				mail_err_set(e, EX_DATAERR, NULL,
				    "%s:%lu: unterminated quoted name", file,
				    line);
				return NULL;
			}
			if (*p == '\\' && p[1] != '\0')
				p++;
			if (buf_addc(name, *p) == -1)
				goto nomem;
		}
		p++;
		while (is_ws(*p))
			p++;
		if (*p != ':') {
			mail_err_set(e, EX_DATAERR, NULL, *p == '\0' ?
			    "%s:%lu: missing colon after the name" :
			    "%s:%lu: text between the quoted name and the "
			    "colon", file, line);
			return NULL;
		}
	} else {
		if ((q = strchr(p, ':')) == NULL) {
			mail_err_set(e, EX_DATAERR, NULL,
			    "%s:%lu: missing colon after the name (want "
			    "\"name: target, ...\")", file, line);
			return NULL;
		}
		for (end = q; end > p && is_ws(end[-1]); end--)
			;
		if ((q = memchr(p, '"', (size_t)(end - p))) != NULL ||
		    (q = memchr(p, ' ', (size_t)(end - p))) != NULL ||
		    (q = memchr(p, '\t', (size_t)(end - p))) != NULL) {
			mail_err_set(e, EX_DATAERR, NULL,
			    "%s:%lu: %s in the name: quote the whole name",
			    file, line, *q == '"' ? "a quote" :
			    "white space");
			return NULL;
		}
		/*
		 * Postfix's postalias refuses an unquoted "@" or "%" too
		 * ("name must be local"), but only warns and skips.
		 */
		if ((q = memchr(p, '@', (size_t)(end - p))) != NULL ||
		    (q = memchr(p, '%', (size_t)(end - p))) != NULL) {
			mail_err_set(e, EX_DATAERR, NULL,
			    "%s:%lu: the name must be a local part without "
			    "\"%c\" (quote the name if the \"%c\" belongs to "
			    "it)", file, line, *q, *q);
			return NULL;
		}
		if (buf_add(name, p, (size_t)(end - p)) == -1)
			goto nomem;
		p = strchr(p, ':');
	}
	if (name->len == 0) {
		mail_err_set(e, EX_DATAERR, NULL, "%s:%lu: empty name", file,
		    line);
		return NULL;
	}
	if (str_has_ctl(name->s, name->len)) {
		mail_err_set(e, EX_DATAERR, NULL,
		    "%s:%lu: control character in the name", file, line);
		return NULL;
	}
	str_lower(name->s);
	return p + 1;
nomem:
	mail_err_errno(e, errno, "%s:%lu", file, line);
	return NULL;
}

/*
 * alias_parse - read an aliases file, calling fn for each entry with the
 * name (unquoted, folded to lower case), the target list as written
 * (trimmed; continuation lines joined by lline with one space), file and
 * the entry's first line.  Each list is checked with alias_split() so a
 * quoting error names its line now, not at delivery.  EX_OK; EX_DATAERR
 * with "file:line: reason"; EX_TEMPFAIL for a read error or no memory; or
 * what fn returned.
 */
int
alias_parse(FILE *fp, const char *file, alias_fn fn, void *arg,
    struct mail_err *e)
{
	struct lline	 l;
	struct buf	 name = BUF_INIT(LLINE_MAX);
	const char	*v;
	char		*val;
	char		 why[sizeof e->text];
	size_t		 ntarget;
	int		 rc;

	lline_init(&l, fp, file);
	while ((rc = lline_read(&l, e)) == 1) {
		if (has_bad_ctl(l.line.s)) {
			rc = mail_err_set(e, EX_DATAERR, NULL,
			    "%s:%lu: control character in line", file,
			    l.start);
			goto done;
		}
		if ((v = parse_name(l.line.s, &name, file, l.start, e)) ==
		    NULL) {
			rc = e->ex;
			goto done;
		}
		/* v points into l.line.s: trimming in place is ours to do. */
		val = str_trim(l.line.s + (v - l.line.s));
		ntarget = 0;
		if (*val != '\0' &&
		    (rc = alias_split(val, count_target, &ntarget, e)) != 0) {
			snprintf(why, sizeof why, "%s", e->text);
			rc = mail_err_set(e, rc, NULL, "%s:%lu: %s", file,
			    l.start, why);
			goto done;
		}
		if (ntarget == 0) {
			rc = mail_err_set(e, EX_DATAERR, NULL,
			    "%s:%lu: \"%s:\" has no target", file, l.start,
			    name.s);
			goto done;
		}
		if ((rc = fn(arg, name.s, val, file, l.start)) != 0)
			goto done;
	}
	rc = rc == 0 ? EX_OK : e->ex;
done:
	lline_free(&l);
	buf_free(&name);
	return rc;
}

/*
 * The parsed file in memory: the lint needs every name before it can
 * judge a target, and the build wants the entry count up front.
 */
struct ent {
	char		*name;		/* folded; the value follows its NUL */
	char		*value;
	unsigned long	 line;
	size_t		 first;		/* duplicate of entry first-1; 0: not */
	size_t		*out;		/* lint: the aliases this one names */
	size_t		 nout, capout;
};

struct aset {
	const char	*file;
	struct ent	*v;
	size_t		 n, cap;
	size_t		*slot;		/* open addressing: index+1, 0 free */
	size_t		 nslot;		/* a power of two */
	size_t		 ndup;
	int		 err;		/* errno of a failed collect() */
};

struct uset {				/* names from local_passwd_file */
	char		**slot;
	size_t		 nslot, n;
};

static uint32_t
hash(const char *s)
{
	uint32_t	h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static int
collect(void *arg, const char *name, const char *value, const char *file,
    unsigned long line)
{
	struct aset	*a = arg;
	struct ent	*nv;
	size_t		 nl = strlen(name), vl = strlen(value), ncap;
	char		*p;

	if (a->n == a->cap) {
		if (a->cap >= ALIAS_MAX_ENTRIES) {
			a->err = E2BIG;
			return -1;
		}
		ncap = a->cap == 0 ? 64 : a->cap * 2;
		if ((nv = reallocarray(a->v, ncap, sizeof *nv)) == NULL) {
			a->err = ENOMEM;
			return -1;
		}
		a->v = nv;
		a->cap = ncap;
	}
	if ((p = malloc(nl + vl + 2)) == NULL) {
		a->err = ENOMEM;
		return -1;
	}
	memcpy(p, name, nl + 1);
	memcpy(p + nl + 1, value, vl + 1);
	memset(&a->v[a->n], 0, sizeof a->v[a->n]);
	a->v[a->n].name = p;
	a->v[a->n].value = p + nl + 1;
	a->v[a->n].line = line;
	a->n++;
	return 0;
}

static void
aset_free(struct aset *a)
{
	size_t	i;

	for (i = 0; i < a->n; i++) {
		free(a->v[i].name);
		free(a->v[i].out);
	}
	free(a->v);
	free(a->slot);
	memset(a, 0, sizeof *a);
}

/* aset_find - the entry for name, or -1 */
static long
aset_find(const struct aset *a, const char *name)
{
	size_t	i, j;

	if (a->nslot == 0)
		return -1;
	for (i = hash(name) & (a->nslot - 1); (j = a->slot[i]) != 0;
	    i = (i + 1) & (a->nslot - 1))
		if (strcmp(a->v[j - 1].name, name) == 0)
			return (long)(j - 1);
	return -1;
}

/*
 * aset_index - index the names; a later entry with a name seen before is
 * a duplicate: the first wins, as in Postfix.  0, or -1 (ENOMEM).
 */
static int
aset_index(struct aset *a, int flags)
{
	size_t	i, s;
	long	f;

	for (a->nslot = 16; a->nslot < 2 * a->n; a->nslot *= 2)
		;
	if ((a->slot = calloc(a->nslot, sizeof *a->slot)) == NULL)
		return -1;
	for (i = 0; i < a->n; i++) {
		if ((f = aset_find(a, a->v[i].name)) >= 0) {
			a->v[i].first = (size_t)f + 1;
			a->ndup++;
			if (!(flags & ALIAS_F_NODUPWARN))
				log_warn("%s:%lu: duplicate alias \"%s\" "
				    "ignored: first defined at %s:%lu",
				    a->file, a->v[i].line, a->v[i].name,
				    a->file, a->v[f].line);
			continue;
		}
		for (s = hash(a->v[i].name) & (a->nslot - 1);
		    a->slot[s] != 0; s = (s + 1) & (a->nslot - 1))
			;
		a->slot[s] = i + 1;
	}
	return 0;
}

static void
uset_free(struct uset *u)
{
	size_t	i;

	for (i = 0; i < u->nslot; i++)
		free(u->slot[i]);
	free(u->slot);
	memset(u, 0, sizeof *u);
}

static int
uset_add(struct uset *u, const char *name)
{
	struct uset	 bigger;
	size_t		 i, s;

	if (2 * (u->n + 1) > u->nslot) {
		if (u->nslot >= 2 * ALIAS_MAX_ENTRIES) {
			errno = E2BIG;
			return -1;
		}
		bigger.nslot = u->nslot == 0 ? 64 : 2 * u->nslot;
		bigger.n = u->n;
		if ((bigger.slot = calloc(bigger.nslot, sizeof *bigger.slot))
		    == NULL)
			return -1;
		for (i = 0; i < u->nslot; i++) {
			if (u->slot[i] == NULL)
				continue;
			for (s = hash(u->slot[i]) & (bigger.nslot - 1);
			    bigger.slot[s] != NULL;
			    s = (s + 1) & (bigger.nslot - 1))
				;
			bigger.slot[s] = u->slot[i];
		}
		free(u->slot);
		*u = bigger;
	}
	for (s = hash(name) & (u->nslot - 1); u->slot[s] != NULL;
	    s = (s + 1) & (u->nslot - 1))
		if (strcmp(u->slot[s], name) == 0)
			return 0;
	if ((u->slot[s] = str_dup(name)) == NULL)
		return -1;
	u->n++;
	return 0;
}

/*
 * uset_load - the user names of a passwd-format file (a sandbox's own
 * users).  EX_OK or EX_CONFIG.
 */
static int
uset_load(struct uset *u, const char *path, struct mail_err *e)
{
	FILE		*fp;
	struct passwd	*pw;
	int		 rc = EX_OK;

	if ((fp = fopen(path, "re")) == NULL)
		return mail_err_set(e, EX_CONFIG, NULL,
		    "local_passwd_file %s: %s", path, strerror(errno));
	errno = 0;
	while ((pw = fgetpwent(fp)) != NULL)
		if (uset_add(u, pw->pw_name) == -1) {
			rc = mail_err_errno(e, errno, "%s", path);
			break;
		}
	if (rc == EX_OK && ferror(fp))
		rc = mail_err_set(e, EX_CONFIG, NULL,
		    "local_passwd_file %s: %s", path, strerror(errno));
	fclose(fp);
	return rc;
}

struct lint {
	struct aset	*a;
	struct uset	*u;		/* NULL: ask getpwnam() */
	size_t		 cur;		/* the entry being checked */
	int		 self;		/* it names itself */
	struct buf	 tmp;
	struct mail_err	*e;
};

static int
is_user(const struct lint *L, const char *name)
{
	size_t	s;

	if (L->u == NULL)
		return getpwnam(name) != NULL;
	if (L->u->nslot == 0)
		return 0;
	for (s = hash(name) & (L->u->nslot - 1); L->u->slot[s] != NULL;
	    s = (s + 1) & (L->u->nslot - 1))
		if (strcmp(L->u->slot[s], name) == 0)
			return 1;
	return 0;
}

static int
add_edge(struct ent *x, size_t to)
{
	size_t	*n, cap;

	if (x->nout == x->capout) {
		cap = x->capout == 0 ? 4 : 2 * x->capout;
		if ((n = reallocarray(x->out, cap, sizeof *n)) == NULL)
			return -1;
		x->out = n;
		x->capout = cap;
	}
	x->out[x->nout++] = to;
	return 0;
}

/* lint_target - check one target of the entry L->cur */
static int
lint_target(void *arg, enum alias_kind k, const char *t)
{
	struct lint	*L = arg;
	struct ent	*x = &L->a->v[L->cur];
	const char	*path, *name = t;
	struct stat	 st;
	long		 j;
	int		 direct = 0;

	if (k == ALIAS_INCLUDE) {
		path = t + INCLUDE_LEN;
		if (path[0] != '/')
			log_warn("%s:%lu: %s -> %s: not an absolute path",
			    L->a->file, x->line, x->name, t);
		else if (stat(path, &st) == -1)
			log_warn("%s:%lu: %s -> %s: %s", L->a->file, x->line,
			    x->name, t, strerror(errno));
		return 0;
	}
	if (k != ALIAS_LOCAL)
		return 0;
	/* "\name" is name's mailbox, never looked up as an alias. */
	if (name[0] == '\\') {
		name++;
		direct = 1;
	}
	if (buf_set(&L->tmp, name, strlen(name)) == -1)
		return mail_err_errno(L->e, errno, "%s", L->a->file);
	str_lower(L->tmp.s);
	if (!direct && (j = aset_find(L->a, L->tmp.s)) >= 0) {
		if ((size_t)j == L->cur)
			L->self = 1;
		else if (add_edge(x, (size_t)j) == -1)
			return mail_err_errno(L->e, errno, "%s", L->a->file);
		return 0;
	}
	if (!is_user(L, L->tmp.s))
		log_warn("%s:%lu: alias \"%s\": target \"%s\" is %s",
		    L->a->file, x->line, x->name, t, direct ?
		    "not a local user" : "neither an alias nor a local user");
	return 0;
}

/*
 * sccs - Tarjan's strongly connected components, without recursion (a
 * chain of a million aliases must not overflow the stack).  comp[i] is
 * the component of entry i, size[c] how many entries it has.
 */
static int
sccs(struct aset *a, size_t *comp, size_t *size)
{
	size_t	*idx, *low, *stk, *cs, *cpos, sp = 0, csp = 0, next = 1;
	size_t	 ncomp = 0, i, v, w;
	char	*on;
	int	 rc = -1;

	idx = calloc(a->n, sizeof *idx);
	low = calloc(a->n, sizeof *low);
	stk = calloc(a->n, sizeof *stk);
	cs = calloc(a->n, sizeof *cs);
	cpos = calloc(a->n, sizeof *cpos);
	on = calloc(a->n, 1);
	if (idx == NULL || low == NULL || stk == NULL || cs == NULL ||
	    cpos == NULL || on == NULL)
		goto out;
	for (i = 0; i < a->n; i++) {
		if (idx[i] != 0)
			continue;
		idx[i] = low[i] = next++;
		stk[sp++] = i;
		on[i] = 1;
		cs[csp] = i;
		cpos[csp++] = 0;
		while (csp > 0) {
			v = cs[csp - 1];
			if (cpos[csp - 1] < a->v[v].nout) {
				w = a->v[v].out[cpos[csp - 1]++];
				if (idx[w] == 0) {
					idx[w] = low[w] = next++;
					stk[sp++] = w;
					on[w] = 1;
					cs[csp] = w;
					cpos[csp++] = 0;
				} else if (on[w] && idx[w] < low[v])
					low[v] = idx[w];
				continue;
			}
			csp--;
			if (csp > 0 && low[v] < low[cs[csp - 1]])
				low[cs[csp - 1]] = low[v];
			if (low[v] != idx[v])
				continue;
			size[ncomp] = 0;
			do {
				w = stk[--sp];
				on[w] = 0;
				comp[w] = ncomp;
				size[ncomp]++;
			} while (w != v);
			ncomp++;
		}
	}
	rc = 0;
out:
	free(idx);
	free(low);
	free(stk);
	free(cs);
	free(cpos);
	free(on);
	return rc;
}

/*
 * report_loop - the shortest way from entry s back to itself inside its
 * component (breadth first), as "a -> b -> a".  seen and from are scratch
 * arrays of a->n, seen all zero on entry and left so.
 */
static void
report_loop(struct aset *a, size_t s, const size_t *comp, size_t *from,
    size_t *queue, char *seen)
{
	struct buf	 chain = BUF_INIT(ALIAS_CHAIN_MAX);
	size_t		 head = 0, tail = 0, v, w, k, last = s, n = 0;
	int		 found = 0, cut = 0;

	queue[tail++] = s;
	seen[s] = 1;
	while (head < tail && !found) {
		v = queue[head++];
		for (k = 0; k < a->v[v].nout; k++) {
			w = a->v[v].out[k];
			if (w == s) {
				last = v;
				found = 1;
				break;
			}
			if (seen[w] || comp[w] != comp[s])
				continue;
			seen[w] = 1;
			from[w] = v;
			queue[tail++] = w;
		}
	}
	for (v = 0; v < tail; v++)
		seen[queue[v]] = 0;
	/* The queue is free now: it holds the path, last first. */
	for (v = last; v != s; v = from[v])
		queue[n++] = v;
	cut = buf_adds(&chain, a->v[s].name) == -1;
	while (n > 0 && !cut)
		cut = buf_printf(&chain, " -> %s", a->v[queue[--n]].name) == -1;
	if (!cut)
		cut = buf_printf(&chain, " -> %s", a->v[s].name) == -1;
	log_warn("%s:%lu: alias loop: %s%s", a->file, a->v[s].line,
	    buf_str(&chain), cut ? " ..." : "");
	buf_free(&chain);
}

/* lint_loops - one warning per alias loop, at its first line in the file */
static int
lint_loops(struct aset *a, struct mail_err *e)
{
	size_t	*comp, *size, *from, *queue;
	char	*seen, *done;
	size_t	 i;
	int	 rc = EX_OK;

	comp = calloc(a->n, sizeof *comp);
	size = calloc(a->n, sizeof *size);
	from = calloc(a->n, sizeof *from);
	queue = calloc(a->n, sizeof *queue);
	seen = calloc(a->n, 1);
	done = calloc(a->n, 1);
	if (comp == NULL || size == NULL || from == NULL || queue == NULL ||
	    seen == NULL || done == NULL || sccs(a, comp, size) == -1) {
		rc = mail_err_errno(e, ENOMEM, "%s: loop check", a->file);
		goto out;
	}
	for (i = 0; i < a->n; i++) {
		if (size[comp[i]] < 2 || done[comp[i]])
			continue;
		done[comp[i]] = 1;
		report_loop(a, i, comp, from, queue, seen);
	}
out:
	free(comp);
	free(size);
	free(from);
	free(queue);
	free(seen);
	free(done);
	return rc;
}

/*
 * lint - check every entry (duplicates were reported by aset_index).
 * Warnings only; EX_OK, or EX_TEMPFAIL when memory runs out.
 */
static int
lint(struct aset *a, struct uset *u, struct mail_err *e)
{
	struct lint	L;
	int		rc = EX_OK;

	memset(&L, 0, sizeof L);
	L.a = a;
	L.u = u;
	L.e = e;
	buf_init(&L.tmp, LLINE_MAX);
	for (L.cur = 0; L.cur < a->n; L.cur++) {
		if (a->v[L.cur].first != 0)
			continue;
		L.self = 0;
		if ((rc = alias_split(a->v[L.cur].value, lint_target, &L, e))
		    != EX_OK)
			break;
		/*
		 * "self: self, bob" is no loop: Postfix delivers a name
		 * found in its own expansion to that user's mailbox.  So
		 * there has to be such a user.
		 */
		if (L.self && !is_user(&L, a->v[L.cur].name))
			log_warn("%s:%lu: alias \"%s\" lists itself, which "
			    "means the mailbox of user \"%s\", but there is "
			    "no such local user", a->file, a->v[L.cur].line,
			    a->v[L.cur].name, a->v[L.cur].name);
	}
	buf_free(&L.tmp);
	if (rc == EX_OK)
		rc = lint_loops(a, e);
	return rc;
}

/* load - parse fp into a, index it, lint it */
static int
load(struct aset *a, FILE *fp, const char *file, const char *passwd_file,
    int flags, struct mail_err *e)
{
	struct uset	u;
	int		rc;

	memset(a, 0, sizeof *a);
	memset(&u, 0, sizeof u);
	a->file = file;
	if ((rc = alias_parse(fp, file, collect, a, e)) != EX_OK) {
		if (rc == -1)
			rc = a->err == E2BIG ? mail_err_set(e, EX_DATAERR,
			    NULL, "%s: more than %lu entries", file,
			    ALIAS_MAX_ENTRIES) : mail_err_errno(e, a->err,
			    "%s", file);
		return rc;
	}
	if (aset_index(a, flags) == -1)
		return mail_err_errno(e, errno, "%s", file);
	if (passwd_file != NULL && *passwd_file != '\0' &&
	    (rc = uset_load(&u, passwd_file, e)) != EX_OK)
		return rc;
	rc = lint(a, passwd_file != NULL && *passwd_file != '\0' ? &u : NULL,
	    e);
	uset_free(&u);
	return rc;
}

/* alias_check - parse and lint, build nothing; see alias.h */
int
alias_check(FILE *fp, const char *file, const char *passwd_file, int flags,
    struct mail_err *e)
{
	struct aset	a;
	int		rc;

	rc = load(&a, fp, file, passwd_file, flags, e);
	aset_free(&a);
	return rc;
}

/* compile - write the entries of a into table; the old one stays on error */
static int
compile(struct aset *a, const char *table, struct mail_err *e)
{
	struct map_build	*b;
	size_t			 i;
	int			 rc;

	if ((rc = map_build_begin(&b, table, a->n - a->ndup + 1, 0, 0644, e))
	    != EX_OK)
		return rc;
	for (i = 0; i < a->n; i++) {
		if (a->v[i].first != 0)
			continue;
		if (map_build_put(b, a->v[i].name, strlen(a->v[i].name),
		    a->v[i].value, strlen(a->v[i].value), MAP_PUT_FIRST, e)
		    == -1) {
			map_build_abort(b);
			return e->ex;
		}
	}
	/*
	 * Sendmail's "the database is complete" marker, which Postfix's
	 * postalias adds too.  A "@" entry from the file (quoted) wins.
	 */
	if (map_build_put(b, "@", 1, "@", 1, MAP_PUT_FIRST, e) == -1) {
		map_build_abort(b);
		return e->ex;
	}
	return map_build_commit(b, e);
}

/* alias_build - parse, lint and compile one table; see alias.h */
int
alias_build(const struct mail_conf *c, const char *table, int flags,
    struct mail_err *e)
{
	char		 src[PATH_MAX], tdb[PATH_MAX];
	const char	*pwfile = conf_get(c, "local_passwd_file");
	struct stat	 st;
	struct aset	 a;
	struct priv	 ids;
	struct mail_err	 scratch;
	FILE		*fp;
	int		 fd, rc, rc2;

	memset(&a, 0, sizeof a);
	if ((rc = map_names(table, src, sizeof src, tdb, sizeof tdb, e)) !=
	    EX_OK)
		return rc;
	if ((fd = open(src, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1)
		return mail_err_errno(e, errno, "open %s", src);
	if (fstat(fd, &st) == -1) {
		rc = mail_err_errno(e, errno, "fstat %s", src);
		close(fd);
		return rc;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return mail_err_set(e, EX_NOINPUT, NULL,
		    "%s: not a regular file", src);
	}
	if ((fp = fdopen(fd, "r")) == NULL) {
		rc = mail_err_errno(e, errno, "%s", src);
		close(fd);
		return rc;
	}
	if ((rc = priv_owner(&ids, &st, src, e)) == EX_OK) {
		rc = load(&a, fp, src, pwfile, flags, e);
		if (rc == EX_OK && !(flags & ALIAS_F_LINT_ONLY)) {
			rc = compile(&a, table, e);
			if (rc == EX_OK)
				log_debug("%s: %zu aliases, %zu duplicates "
				    "ignored", tdb, a.n - a.ndup, a.ndup);
		}
	}
	fclose(fp);
	aset_free(&a);
	if ((rc2 = priv_restore(&ids, rc == EX_OK ? e : &scratch)) != EX_OK &&
	    rc == EX_OK)
		rc = rc2;
	return rc;
}

/*
 * default_db - alias_database when the configuration has no value for it:
 * the aliases file next to the configuration file.
 */
static int
default_db(const struct mail_conf *c, char *out, size_t size)
{
	const char	*f = conf_file(c), *slash;
	int		 n;

	if (f != NULL && (slash = strrchr(f, '/')) != NULL)
		n = snprintf(out, size, "hash:%.*s/aliases", (int)(slash - f),
		    f);
	else if (f != NULL)
		n = snprintf(out, size, "hash:aliases");
	else
		n = snprintf(out, size, "hash:%s/aliases", MAILPATH_SYSCONFDIR);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* alias_build_all - every table in alias_database; see alias.h */
int
alias_build_all(const struct mail_conf *c, int flags, struct mail_err *e)
{
	char		 def[PATH_MAX + 8];
	const char	*v = conf_get(c, "alias_database");
	char		**list;
	size_t		 n, i;
	int		 rc = EX_OK;

	if (v == NULL) {
		if (default_db(c, def, sizeof def) == -1)
			return mail_err_set(e, EX_CONFIG, NULL,
			    "alias_database: default path too long");
		v = def;
	}
	if ((list = conf_list(v, &n)) == NULL)
		return mail_err_errno(e, errno, "alias_database");
	if (n == 0)
		log_debug("alias_database is empty: nothing to build");
	for (i = 0; i < n && rc == EX_OK; i++)
		rc = alias_build(c, list[i], flags, e);
	conf_list_free(list);
	return rc;
}
