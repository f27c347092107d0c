/* SPDX-License-Identifier: ISC */
/*
 * local - resolve local recipients and deliver to them, after Postfix's
 * local(8).
 *
 * A recipient goes through two phases.  First it is expanded into a plan:
 * the canonical maps rewrite it once (recipient_canonical_maps, then
 * canonical_maps; keys user@domain, user, @domain), a Delivered-To: header
 * naming it means a mail loop (5.4.6), then aliases (user+ext, then user),
 * the user's ~/.forward and :include: files are followed, depth-first,
 * with duplicates dropped, a name met again on its own path reported as a
 * loop (5.4.6), a name in its own expansion delivered to its own mailbox,
 * and the depth, the number of targets looked at and the number of final
 * actions bounded.  Only when the whole expansion succeeded are the
 * actions carried out, so an alias loop or an unknown user delivers
 * nothing at all for that recipient.
 *
 * Trusts the configuration and the alias tables (root's word); trusts a
 * .forward only when neither it nor the home directory can be written by
 * others, and an :include: file only for local names unless
 * allow_mail_to_commands / allow_mail_to_files name "include".  Never runs
 * a command or writes a /file as root: those run as the owner of the
 * alias table, the .forward's user or the include file's owner, and
 * default_privs where that would be root.  Recipient values put into a
 * command's environment are filtered as Postfix's
 * command_expansion_filter does.  Run as root, every delivery happens in
 * a child process that has become the user for good first; run as anyone
 * else, the same code delivers as that user.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "alias.h"
#include "buf.h"
#include "conf.h"
#include "exitcode.h"
#include "local.h"
#include "log.h"
#include "maildir.h"
#include "map.h"
#include "mbox.h"
#include "queue.h"
#include "rewrite.h"
#include "str.h"
#include "user.h"

#define MSG_MAX_DEFAULT	(1ULL << 31)	/* when message_size_limit is 0 */
#define FILE_MAX	(64 * 1024)	/* a .forward or :include: file */
#define OUT_MAX		1024		/* command output kept */

enum act_kind { A_MBOX, A_MAILDIR, A_FILE, A_CMD, A_REMOTE };

static const char *const act_name[] = {
	"mailbox", "maildir", "file", "command", "remote"
};

struct action {
	enum act_kind	 kind;
	char		 target[4096];	/* path, command or address */
	uid_t		 uid;		/* run as */
	gid_t		 gid;
	uid_t		 owner;		/* an mbox must belong to */
	gid_t		 cgid;		/* group of a new mbox, -1: leave */
	mode_t		 mode;		/* mode of a new mbox */
	int		 mflags;	/* MBOX_* */
	char		 user[65];	/* whose privileges, for the env */
	char		 home[1024];
	char		 shell[256];
	char		 dto[ADDR_PATH_MAX + 1];	/* Delivered-To, batched */
	int		 done;
	struct mail_err	 res;
};

#define PENDING		(-1)	/* res.ex of an append waiting in a batch */

/* where a target came from, and whose rights it has */
enum origin { O_TOP, O_ALIAS, O_FORWARD, O_INCLUDE };
static const char *const origin_name[] = {
	"recipient", "alias", "forward", "include"
};

struct frame {
	struct ctx	*c;
	const char	*name;		/* the alias, user or file expanded */
	enum origin	 origin;
	struct user	 priv;		/* rights of commands and files */
	int		 depth;
};

struct ctx {
	const struct mail_conf	*conf;
	const char		*sender;
	const char		*msg;
	size_t			 msglen;
	int			 flags;
	struct buf		*plan;
	struct mail_err		*e;
	char			**mydest;
	char			**amapnames;
	struct map		**amaps;
	size_t			 namaps;
	struct action		*acts;
	size_t			 nacts, capacts;
	size_t			*refs;		/* this recipient's actions */
	size_t			 nrefs;
	char			**seen;		/* names expanded */
	size_t			 nseen;
	const char		*stack[LOCAL_DEPTH_MAX + 2];
	unsigned		 steps;
	int			 root;
	int			 last_rcpt;	/* no recipient after this one */
	struct local_batch	*batch;		/* appends wait here; or NULL */
	size_t			 bmsg;		/* this message's index there */
	struct stat		 spool;
	int			 spool_ok;
	/* the recipient being expanded */
	char			 orig[ADDR_PATH_MAX + 1];
	char			 rcpt[ADDR_PATH_MAX + 1];
	char			 local[ADDR_LOCAL_MAX + 1];
	char			 ext[ADDR_LOCAL_MAX + 1];
	char			 domain[ADDR_DOMAIN_MAX + 1];
};

static int	expand_name(struct ctx *, const char *, int);
static int	batch_put(struct ctx *, struct action *, struct mail_err *);

/* local_read_message - the whole message, CR LF as LF, size bounded */
int
local_read_message(int fd, struct buf *msg, unsigned long long max,
    struct mail_err *e)
{
	char		 chunk[65536];
	ssize_t		 r;
	size_t		 i, o;

	if (max == 0 || max > MSG_MAX_DEFAULT)
		max = MSG_MAX_DEFAULT;
	buf_init(msg, (size_t)max);
	for (;;) {
		r = read(fd, chunk, sizeof chunk);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			mail_err_errno(e, errno, "reading the message");
			return e->ex = EX_TEMPFAIL;
		}
		if (r == 0)
			break;
		if (buf_add(msg, chunk, (size_t)r) == -1) {
			if (errno == E2BIG)
				return mail_err_set(e, EX_DATAERR, "5.3.4",
				    "message is larger than %llu bytes", max);
			mail_err_errno(e, errno, "reading the message");
			return e->ex = EX_TEMPFAIL;
		}
	}
	if (msg->s == NULL && buf_add(msg, "", 0) == -1) {
		mail_err_errno(e, errno, "reading the message");
		return e->ex = EX_TEMPFAIL;
	}
	for (i = o = 0; i < msg->len; i++) {
		if (msg->s[i] == '\r' && i + 1 < msg->len &&
		    msg->s[i + 1] == '\n')
			continue;
		msg->s[o++] = msg->s[i];
	}
	buf_truncate(msg, o);
	return EX_OK;
}

/* local_sanitize - Postfix's command_expansion_filter, in place */
void
local_sanitize(char *s)
{
	static const char	ok[] = "!@%-_=+:,./";

	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) || (unsigned char)*s > 0x7f)
			if (strchr(ok, *s) == NULL || *s == '\0')
				*s = '_';
}

/* local_become - become uid/gid for good, checked */
int
local_become(uid_t uid, gid_t gid)
{
	uid_t	ru, eu, su;
	gid_t	rg, eg, sg;

	if (geteuid() != 0)
		return 0;
	if (setgroups(1, &gid) == -1 || setresgid(gid, gid, gid) == -1 ||
	    setresuid(uid, uid, uid) == -1)
		return -1;
	if (getresuid(&ru, &eu, &su) == -1 || getresgid(&rg, &eg, &sg) == -1)
		return -1;
	if (ru != uid || eu != uid || su != uid || rg != gid || eg != gid ||
	    sg != gid || (uid != 0 && setuid(0) != -1)) {
		errno = EPERM;
		return -1;
	}
	return 0;
}

static void
plan(struct ctx *c, int depth, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
plan(struct ctx *c, int depth, const char *fmt, ...)
{
	struct buf	line = BUF_INIT(8192);
	va_list		ap;

	if (buf_printf(&line, "%*s", depth * 2, "") == 0) {
		va_start(ap, fmt);
		(void)buf_vprintf(&line, fmt, ap);
		va_end(ap);
	}
	log_debug("%s", buf_str(&line));
	if (c->plan != NULL)
		(void)buf_printf(c->plan, "%s\n", buf_str(&line));
	buf_free(&line);
}

static long long
num(const struct mail_conf *conf, const char *name, long long def)
{
	const char	*v = conf_get(conf, name);
	long long	 n;

	/* Unset or empty: the default (conf.c has the same ones). */
	if (v == NULL || *v == '\0')
		return def;
	if (str_toduration(v, 's', &n) == 0 || str_tonum(v, 0, LLONG_MAX,
	    &n) == 0)
		return n;
	log_warn("parameter %s: bad value \"%s\"; using %lld", name, v, def);
	return def;
}

static int
domain_local(const struct ctx *c, const char *domain)
{
	size_t	i;

	for (i = 0; c->mydest[i] != NULL; i++)
		if (strcasecmp(c->mydest[i], domain) == 0)
			return 1;
	return 0;
}

/* add_action - append an action unless an equal one exists */
static int
add_action(struct ctx *c, const struct action *a, int depth)
{
	struct action	*na;
	size_t		 i, k;

	for (i = 0; i < c->nacts; i++)
		if (c->acts[i].kind == a->kind && c->acts[i].uid == a->uid &&
		    strcmp(c->acts[i].target, a->target) == 0) {
			plan(c, depth, "(same %s as before: %s)",
			    act_name[a->kind], a->target);
			goto ref;
		}
	if (c->nacts >= LOCAL_ACTS_MAX)
		return mail_err_set(c->e, EX_UNAVAILABLE, "5.5.3",
		    "%s: more than %d deliveries", c->orig, LOCAL_ACTS_MAX);
	if (c->nacts == c->capacts) {
		size_t ncap = c->capacts ? c->capacts * 2 : 16;

		if ((na = reallocarray(c->acts, ncap, sizeof *na)) == NULL)
			return mail_err_errno(c->e, errno, "memory");
		c->acts = na;
		if ((c->refs = reallocarray(c->refs, ncap, sizeof *c->refs))
		    == NULL)
			return mail_err_errno(c->e, errno, "memory");
		c->capacts = ncap;
	}
	c->acts[c->nacts] = *a;
	i = c->nacts++;
	plan(c, depth, "-> %s %s", act_name[a->kind], a->target);
ref:
	/*
	 * A recipient refers to each action once, however often its
	 * expansion names it: so nrefs <= nacts <= capacts.
	 */
	for (k = 0; k < c->nrefs; k++)
		if (c->refs[k] == i)
			return EX_OK;
	c->refs[c->nrefs++] = i;
	return EX_OK;
}

/* privs - the rights for a command or file: never root */
static int
privs(struct ctx *c, const struct user *u, struct action *a)
{
	struct user	np;
	const char	*name = conf_get(c->conf, "default_privs");
	int		r;

	if (u->uid != 0) {
		a->uid = u->uid;
		a->gid = u->gid;
		snprintf(a->user, sizeof a->user, "%s", u->name);
		snprintf(a->home, sizeof a->home, "%s", u->home);
		snprintf(a->shell, sizeof a->shell, "%s", u->shell);
		return EX_OK;
	}
	if (name == NULL || *name == '\0')
		name = "nobody";
	r = user_lookup(conf_get(c->conf, "local_passwd_file"), name, &np,
	    c->e);
	if (r == 0)
		r = user_lookup(NULL, name, &np, c->e);
	if (r == -1)
		return c->e->ex;
	if (r == 0 || np.uid == 0)
		return mail_err_set(c->e, EX_CONFIG, "4.3.5",
		    "default_privs %s: %s", name, r == 0 ? "no such user" :
		    "must not be root");
	a->uid = np.uid;
	a->gid = np.gid;
	snprintf(a->user, sizeof a->user, "%s", np.name);
	snprintf(a->home, sizeof a->home, "%s", "/");
	snprintf(a->shell, sizeof a->shell, "%s", np.shell);
	return EX_OK;
}

/* mailbox - the action for a user's own mailbox */
static int
mailbox(struct ctx *c, const struct user *u, int depth)
{
	struct action	 a;
	const char	*hm = conf_get(c->conf, "home_mailbox");
	const char	*spool = conf_get(c->conf, "mail_spool_directory");
	int		 n;

	memset(&a, 0, sizeof a);
	a.uid = u->uid;
	a.gid = u->gid;
	a.owner = c->root ? u->uid : geteuid();
	a.cgid = (gid_t)-1;
	a.mode = 0600;
	a.mflags = MBOX_CHECK_OWNER;
	snprintf(a.user, sizeof a.user, "%s", u->name);
	snprintf(a.home, sizeof a.home, "%s", u->home);
	if (hm != NULL && *hm != '\0') {
		n = snprintf(a.target, sizeof a.target, "%s/%s", u->home, hm);
		a.kind = hm[strlen(hm) - 1] == '/' ? A_MAILDIR : A_MBOX;
	} else {
		n = snprintf(a.target, sizeof a.target, "%s/%s",
		    spool ? spool : "/var/mail", u->name);
		a.kind = A_MBOX;
		/* Debian: 2775 root:mail; mailboxes 0660 user:mail. */
		if (c->spool_ok && (c->spool.st_mode & S_ISGID) &&
		    (c->spool.st_mode & S_IWGRP) &&
		    !(c->spool.st_mode & S_IWOTH)) {
			a.gid = a.cgid = c->spool.st_gid;
			a.mode = 0660;
		}
	}
	if (n < 0 || (size_t)n >= sizeof a.target)
		return mail_err_set(c->e, EX_CONFIG, "4.3.5",
		    "%s: mailbox path too long", u->name);
	return add_action(c, &a, depth);
}

static int
alias_target(void *arg, enum alias_kind kind, const char *t);

/* split_lines - each line of a .forward or include file as a target list */
static int
split_lines(struct frame *f, char *text)
{
	char	*line, *next;
	int	 ex;

	for (line = text; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		line = str_trim(line);
		if (*line == '\0' || *line == '#')
			continue;
		if ((ex = alias_split(line, alias_target, f, f->c->e)) != EX_OK)
			return ex;
	}
	return EX_OK;
}

/*
 * read_trusted - read a .forward or include file on behalf of uid: a
 * regular file that group and others cannot write.  A .forward must
 * belong to uid and have one link (read as root, a hard link to a file
 * the user cannot read would show it); an include file must belong to uid
 * or be readable by anyone, unless uid is root.  1 read, 0 missing, or an
 * EX_* (negative) with c->e filled.
 */
static int
read_trusted(struct ctx *c, const char *path, uid_t uid, int forward,
    struct buf *text, struct stat *st)
{
	char	 chunk[4096];
	ssize_t	 r;
	int	 fd;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1 && (errno == ENOENT || errno == ENOTDIR))
		return 0;
	if (fd == -1) {
		mail_err_errno(c->e, errno, "%s", path);
		c->e->ex = EX_TEMPFAIL;
		if (errno == ELOOP)
			mail_err_set(c->e, EX_TEMPFAIL, "4.7.0",
			    "%s: is a symbolic link", path);
		return -c->e->ex;
	}
	if (fstat(fd, st) == -1 || !S_ISREG(st->st_mode) ||
	    (st->st_mode & (S_IWGRP | S_IWOTH)) ||
	    (forward && (st->st_uid != uid || st->st_nlink != 1)) ||
	    (!forward && uid != 0 && st->st_uid != uid &&
	    !(st->st_mode & S_IROTH))) {
		close(fd);
		return -mail_err_set(c->e, EX_TEMPFAIL, "4.7.0",
		    "%s: not a regular file, writable by others, hard-linked "
		    "or someone else's; not used", path);
	}
	buf_init(text, FILE_MAX);
	while ((r = read(fd, chunk, sizeof chunk)) > 0)
		if (buf_add(text, chunk, (size_t)r) == -1)
			break;
	close(fd);
	if (r != 0) {
		buf_free(text);
		return -mail_err_set(c->e, EX_TEMPFAIL, "4.3.0",
		    "%s: cannot read it, or longer than %d bytes", path,
		    FILE_MAX);
	}
	if (buf_add(text, "", 0) == -1 || memchr(text->s, '\0', text->len)) {
		buf_free(text);
		return -mail_err_set(c->e, EX_TEMPFAIL, "4.3.0",
		    "%s: NUL byte or out of memory", path);
	}
	return 1;
}

/* expand_path - forward_path's $home, $user, $extension, ... for u */
static int
expand_path(struct ctx *c, const struct user *u, const char *in,
    struct buf *out)
{
	const char	*p, *v, *end;
	char		 name[64];
	size_t		 n;

	buf_reset(out);
	for (p = in; *p != '\0'; p++) {
		if (*p != '$') {
			if (buf_addc(out, *p) == -1)
				return -1;
			continue;
		}
		p++;
		if (*p == '{' && (end = strchr(p, '}')) != NULL)
			p++;
		else
			for (end = p; isalnum((unsigned char)*end) ||
			    *end == '_'; end++)
				;
		n = (size_t)(end - p);
		if (n >= sizeof name)
			return -1;
		memcpy(name, p, n);
		name[n] = '\0';
		p = *end == '}' ? end : end - 1;
		if (strcmp(name, "home") == 0)
			v = u->home;
		else if (strcmp(name, "user") == 0)
			v = u->name;
		else if (strcmp(name, "extension") == 0)
			v = c->ext;
		else if (strcmp(name, "local") == 0)
			v = c->local;
		else if (strcmp(name, "domain") == 0)
			v = c->domain;
		else if (strcmp(name, "recipient") == 0)
			v = c->rcpt;
		else if ((v = conf_get(c->conf, name)) == NULL)
			v = "";
		if (buf_adds(out, v) == -1)
			return -1;
	}
	return 0;
}

/* forward - the user's .forward; 1 used, 0 none, -EX on error */
static int
forward(struct ctx *c, const struct user *u, int depth)
{
	struct frame	 f;
	struct buf	 path = BUF_INIT(4096), text;
	struct stat	 st, hst;
	const char	*fp = conf_get_raw(c->conf, "forward_path");
	char		**v;
	size_t		 i;
	int		 r = 0, ex;

	if (fp == NULL || (v = conf_list(fp, NULL)) == NULL)
		return 0;
	for (i = 0; v[i] != NULL && r == 0; i++) {
		if (expand_path(c, u, v[i], &path) == -1) {
			r = -mail_err_set(c->e, EX_CONFIG, "4.3.5",
			    "forward_path: %s: too long or bad", v[i]);
			break;
		}
		r = read_trusted(c, buf_str(&path), u->uid, 1, &text, &st);
		if (r <= 0)
			continue;
		if (stat(u->home, &hst) == 0 && (hst.st_mode & S_IWOTH)) {
			buf_free(&text);
			r = -mail_err_set(c->e, EX_TEMPFAIL, "4.7.0",
			    "%s: home directory %s is writable by anyone; "
			    ".forward not used", u->name, u->home);
			break;
		}
		if (str_trim(text.s)[0] == '\0') {
			buf_free(&text);
			r = 0;
			continue;
		}
		plan(c, depth, ".forward %s", buf_str(&path));
		memset(&f, 0, sizeof f);
		f.c = c;
		f.name = u->name;
		f.origin = O_FORWARD;
		f.priv = *u;
		f.depth = depth + 1;
		ex = split_lines(&f, text.s);
		buf_free(&text);
		r = ex == EX_OK ? 1 : -ex;
	}
	conf_list_free(v);
	buf_free(&path);
	return r;
}

/* deliver_user - a user: .forward (unless told not to) or the mailbox */
static int
deliver_user(struct ctx *c, const struct user *u, int depth, int nofwd)
{
	int	r;

	plan(c, depth, "user %s (uid %lu, gid %lu, home %s)", u->name,
	    (unsigned long)u->uid, (unsigned long)u->gid, u->home);
	if (!nofwd) {
		r = forward(c, u, depth + 1);
		if (r < 0)
			return c->e->ex;
		if (r == 1)
			return EX_OK;
	}
	return mailbox(c, u, depth + 1);
}

static int
find_user(struct ctx *c, const char *name, struct user *u)
{
	const char	*file = conf_get(c->conf, "local_passwd_file");
	const char	*d = conf_get(c->conf, "recipient_delimiter");
	char		 base[ADDR_LOCAL_MAX + 1];
	int		 r;

	if ((r = user_lookup(file, name, u, c->e)) != 0)
		return r;
	if (d != NULL && *d != '\0' && strchr(name, d[0]) != NULL) {
		snprintf(base, sizeof base, "%s", name);
		base[strcspn(base, d)] = '\0';
		return user_lookup(file, base, u, c->e);
	}
	return 0;
}

/* include - an :include: file, its owner's rights */
static int
include(struct frame *pf, const char *path)
{
	struct ctx	*c = pf->c;
	struct frame	 f;
	struct buf	 text;
	struct stat	 st;
	struct action	 tmp;
	int		 r, ex;

	if (path[0] != '/')
		return mail_err_set(c->e, EX_CONFIG, "4.3.5",
		    ":include:%s: not an absolute path", path);
	if (pf->depth >= LOCAL_DEPTH_MAX)
		return mail_err_set(c->e, EX_UNAVAILABLE, "5.4.6",
		    "%s: expansion deeper than %d levels", c->orig,
		    LOCAL_DEPTH_MAX);
	r = read_trusted(c, path, c->root ? pf->priv.uid : 0, 0, &text,
	    &st);
	if (r == 0)
		return mail_err_set(c->e, EX_CONFIG, "4.3.5",
		    ":include:%s: no such file", path);
	if (r < 0)
		return -r;
	plan(c, pf->depth, ":include:%s (owner uid %lu)", path,
	    (unsigned long)st.st_uid);
	memset(&f, 0, sizeof f);
	f.c = c;
	f.name = path;
	f.origin = O_INCLUDE;
	f.depth = pf->depth + 1;
	/* The file's owner decides; root's file gets default_privs. */
	f.priv.uid = st.st_uid;
	f.priv.gid = st.st_gid;
	snprintf(f.priv.name, sizeof f.priv.name, "uid%lu",
	    (unsigned long)st.st_uid);
	snprintf(f.priv.home, sizeof f.priv.home, "/");
	if (privs(c, &f.priv, &tmp) != EX_OK) {
		buf_free(&text);
		return c->e->ex;
	}
	ex = split_lines(&f, text.s);
	buf_free(&text);
	return ex;
}

/* target_action - a |command or /file target */
static int
target_action(struct frame *f, enum alias_kind kind, const char *t)
{
	struct ctx	*c = f->c;
	struct action	 a;
	const char	*param = kind == ALIAS_COMMAND ?
			    "allow_mail_to_commands" : "allow_mail_to_files";
	int		 ex;

	if (!conf_in_list(c->conf, param, origin_name[f->origin]))
		return mail_err_set(c->e, EX_UNAVAILABLE, "5.7.1",
		    "%s: mail to %s is not allowed from %s %s (%s)", c->orig,
		    t, origin_name[f->origin], f->name, param);
	memset(&a, 0, sizeof a);
	if ((ex = privs(c, &f->priv, &a)) != EX_OK)
		return ex;
	a.cgid = (gid_t)-1;
	a.mode = 0600;
	a.owner = a.uid;
	if (kind == ALIAS_COMMAND) {
		a.kind = A_CMD;
		t++;
		while (*t == ' ' || *t == '\t')
			t++;
		if (*t == '\0')
			return mail_err_set(c->e, EX_CONFIG, "4.3.5",
			    "%s: empty command in %s", c->orig, f->name);
	} else {
		a.kind = t[strlen(t) - 1] == '/' ? A_MAILDIR : A_FILE;
		a.mflags = MBOX_NO_DOTLOCK;
		if (strstr(t, "/../") != NULL || strcmp(t + strlen(t) - 3,
		    "/..") == 0)
			return mail_err_set(c->e, EX_UNAVAILABLE, "5.7.1",
			    "%s: file target %s has \"..\"", c->orig, t);
	}
	if (snprintf(a.target, sizeof a.target, "%s", t) >=
	    (int)sizeof a.target)
		return mail_err_set(c->e, EX_CONFIG, "4.3.5",
		    "%s: target too long", c->orig);
	return add_action(c, &a, f->depth);
}

/* alias_target - one target of an alias, .forward or include line */
static int
alias_target(void *arg, enum alias_kind kind, const char *t)
{
	struct frame	*f = arg;
	struct ctx	*c = f->c;
	struct action	 a;
	struct addr	 ad;
	struct user	 u;
	char		 name[ADDR_LOCAL_MAX + 2];
	int		 nofwd = 0, r;

	if (++c->steps > LOCAL_STEPS_MAX)
		return mail_err_set(c->e, EX_UNAVAILABLE, "5.5.3",
		    "%s: more than %d alias targets", c->orig, LOCAL_STEPS_MAX);
	switch (kind) {
	case ALIAS_COMMAND:
	case ALIAS_FILE:
		return target_action(f, kind, t);
	case ALIAS_INCLUDE:
		return include(f, t + 9);
	case ALIAS_REMOTE:
		if (addr_parse_mailbox(t, strlen(t), ADDR_P_UTF8, &ad, c->e)
		    != EX_OK)
			return mail_err_set(c->e, EX_CONFIG, "4.3.5",
			    "%s: bad target %s in %s", c->orig, t, f->name);
		if (!domain_local(c, ad.domain)) {
			memset(&a, 0, sizeof a);
			a.kind = A_REMOTE;
			a.uid = (uid_t)-1;
			snprintf(a.target, sizeof a.target, "%s", t);
			return add_action(c, &a, f->depth);
		}
		t = ad.local;
		break;
	case ALIAS_LOCAL:
		break;
	}
	if (*t == '\\') {
		nofwd = 1;
		t++;
	}
	if (snprintf(name, sizeof name, "%s", t) >= (int)sizeof name)
		return mail_err_set(c->e, EX_UNAVAILABLE, "5.1.3",
		    "%s: target %s too long", c->orig, t);
	str_lower(name);
	/* A name in its own expansion goes to its own mailbox. */
	if (nofwd || strcmp(name, f->name) == 0) {
		if ((r = find_user(c, name, &u)) == -1)
			return c->e->ex;
		if (r == 0)
			return mail_err_set(c->e, EX_NOUSER, "5.1.1",
			    "%s: %s: no such user", c->orig, name);
		return deliver_user(c, &u, f->depth, 1);
	}
	return expand_name(c, name, f->depth);
}

static struct map *
amap(struct ctx *c, size_t i)
{
	if (c->amaps[i] == NULL &&
	    map_open(&c->amaps[i], c->amapnames[i], MAP_FOLD, c->e) != EX_OK) {
		c->amaps[i] = NULL;
		if (c->e->ex == EX_NOINPUT)
			c->e->ex = EX_TEMPFAIL;
	}
	return c->amaps[i];
}

/* alias_lookup - 1 found (value in v, owner in *st), 0 no, -1 error */
static int
alias_lookup(struct ctx *c, const char *name, struct buf *v,
    struct stat *st)
{
	size_t	i;
	int	r;

	for (i = 0; i < c->namaps; i++) {
		if (amap(c, i) == NULL)
			return -1;
		r = map_get(c->amaps[i], name, strlen(name), v, c->e);
		if (r != 0) {
			if (r == 1 && stat(map_path(c->amaps[i]), st) == -1) {
				mail_err_errno(c->e, errno, "%s",
				    map_path(c->amaps[i]));
				c->e->ex = EX_TEMPFAIL;
				return -1;
			}
			return r;
		}
	}
	return 0;
}

/* expand_name - a local name: alias, else user */
static int
expand_name(struct ctx *c, const char *name, int depth)
{
	struct frame	 f;
	struct buf	 v = BUF_INIT(MAP_VALUE_MAX);
	struct stat	 st;
	struct user	 u;
	const char	*d = conf_get(c->conf, "recipient_delimiter");
	char		 base[ADDR_LOCAL_MAX + 1];
	const char	*key = name;
	int		 i, r, ex;
	size_t		 k;

	if (depth > LOCAL_DEPTH_MAX)
		return mail_err_set(c->e, EX_UNAVAILABLE, "5.4.6",
		    "%s: alias expansion deeper than %d levels", c->orig,
		    LOCAL_DEPTH_MAX);
	for (i = 0; i < depth; i++)
		if (c->stack[i] != NULL && strcmp(c->stack[i], name) == 0)
			return mail_err_set(c->e, EX_UNAVAILABLE, "5.4.6",
			    "%s: alias loop: %s is in its own expansion "
			    "through %s", c->orig, name, c->stack[depth - 1]);
	for (k = 0; k < c->nseen; k++)
		if (strcmp(c->seen[k], name) == 0) {
			plan(c, depth, "%s (duplicate, skipped)", name);
			return EX_OK;
		}
	if (c->nseen >= LOCAL_STEPS_MAX)
		return mail_err_set(c->e, EX_UNAVAILABLE, "5.5.3",
		    "%s: too many names", c->orig);
	if ((c->seen[c->nseen] = str_dup(name)) == NULL)
		return mail_err_errno(c->e, errno, "memory");
	c->nseen++;
	c->stack[depth] = name;
	c->stack[depth + 1] = NULL;

	r = alias_lookup(c, name, &v, &st);
	if (r == 0 && d != NULL && *d != '\0' && strchr(name, d[0])) {
		snprintf(base, sizeof base, "%s", name);
		base[strcspn(base, d)] = '\0';
		key = base;
		r = alias_lookup(c, base, &v, &st);
	}
	if (r == -1)
		return c->e->ex;
	if (r == 1) {
		plan(c, depth, "alias %s: %s", key, buf_str(&v));
		memset(&f, 0, sizeof f);
		f.c = c;
		f.name = key;
		f.origin = O_ALIAS;
		f.depth = depth + 1;
		/* The table's owner: default_privs when that is root. */
		f.priv.uid = st.st_uid;
		f.priv.gid = st.st_gid;
		snprintf(f.priv.name, sizeof f.priv.name, "uid%lu",
		    (unsigned long)st.st_uid);
		snprintf(f.priv.home, sizeof f.priv.home, "/");
		ex = alias_split(buf_str(&v), alias_target, &f, c->e);
		buf_free(&v);
		c->stack[depth] = NULL;
		return ex;
	}
	buf_free(&v);
	if ((r = find_user(c, name, &u)) == -1)
		return c->e->ex;
	if (r == 0)
		return mail_err_set(c->e, EX_NOUSER, "5.1.1",
		    "%s: no such user", name);
	ex = deliver_user(c, &u, depth, 0);
	c->stack[depth] = NULL;
	return ex;
}

/* canonical - rewrite once per table list; EX_OK with *a updated */
static int
canonical(struct ctx *c, const char *param, struct addr *a)
{
	struct buf	raw = BUF_INIT(1024);
	char		before[ADDR_LOCAL_MAX + ADDR_DOMAIN_MAX + 2];
	int		r;

	snprintf(before, sizeof before, "%s@%s", a->local, a->domain);
	if ((r = rewrite_canon(c->conf, param, c->orig, a, &raw, c->e)) == 1)
		plan(c, 1, "%s: %s -> %s", param, before, buf_str(&raw));
	buf_free(&raw);
	return r == -1 ? c->e->ex : EX_OK;
}

/* delivered_to - true when the header has Delivered-To: rcpt */
static int
delivered_to(const char *msg, size_t n, const char *rcpt)
{
	const char	*p = msg, *end = msg + n, *nl, *v;
	size_t		 len = strlen(rcpt);

	while (p < end && *p != '\n') {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		if (nl - p > 13 && strncasecmp(p, "Delivered-To:", 13) == 0) {
			for (v = p + 13; v < nl && (*v == ' ' || *v == '\t');
			    v++)
				;
			while (nl > v && (nl[-1] == ' ' || nl[-1] == '\t'))
				nl--;
			if ((size_t)(nl - v) == len &&
			    strncasecmp(v, rcpt, len) == 0)
				return 1;
		}
		p = memchr(p, '\n', (size_t)(end - p));
		p = p == NULL ? end : p + 1;
	}
	return 0;
}

/* resolve - a command-line recipient to its actions */
static int
resolve(struct ctx *c, const char *arg)
{
	struct addr	 a;
	const char	*d = conf_get(c->conf, "recipient_delimiter");
	const char	*origin = conf_get(c->conf, "myorigin");
	size_t		 n = strlen(arg);
	char		 why[sizeof c->e->text];
	int		 ex, bare;

	snprintf(c->orig, sizeof c->orig, "%s", arg);
	if (str_has_ctl(arg, n) || n == 0 || arg[0] == '|' ||
	    arg[0] == '/' || strncasecmp(arg, ":include:", 9) == 0)
		return mail_err_set(c->e, EX_DATAERR, "5.1.3",
		    "%s: not a recipient address", c->orig);
	if (addr_parse_mailbox(arg, n, ADDR_P_UTF8 | ADDR_P_NO_DOMAIN, &a,
	    c->e) != EX_OK) {
		snprintf(why, sizeof why, "%s", c->e->text);
		return mail_err_set(c->e, EX_DATAERR, "5.1.3", "%s: %s",
		    c->orig, why);
	}
	/* Quoting must not smuggle a command, a file or a path in. */
	if (a.local[0] == '|' || a.local[0] == '/' || a.local[0] == '\\' ||
	    strchr(a.local, '/') != NULL || a.local[0] == '.' ||
	    strncasecmp(a.local, ":include:", 9) == 0)
		return mail_err_set(c->e, EX_DATAERR, "5.1.3",
		    "%s: not a recipient address", c->orig);
	/* A bare local part is local whatever myorigin is. */
	if ((bare = a.domain[0] == '\0'))
		snprintf(a.domain, sizeof a.domain, "%s",
		    origin != NULL ? origin : "localhost");
	str_lower(a.domain);
	if ((ex = canonical(c, "recipient_canonical_maps", &a)) != EX_OK ||
	    (ex = canonical(c, "canonical_maps", &a)) != EX_OK)
		return ex;
	if (!domain_local(c, a.domain) && !(bare && strcmp(a.domain, origin ?
	    origin : "localhost") == 0))
		return mail_err_set(c->e, EX_UNAVAILABLE, "5.1.2",
		    "%s: %s is not a local domain (mydestination)", c->orig,
		    a.domain);
	snprintf(c->local, sizeof c->local, "%s", a.local);
	str_lower(c->local);
	c->ext[0] = '\0';
	if (d != NULL && *d != '\0' && (n = strcspn(c->local, d)) <
	    strlen(c->local))
		snprintf(c->ext, sizeof c->ext, "%s", c->local + n + 1);
	snprintf(c->domain, sizeof c->domain, "%s", a.domain);
	if (snprintf(c->rcpt, sizeof c->rcpt, "%s@%s", c->local, a.domain) >=
	    (int)sizeof c->rcpt)
		return mail_err_set(c->e, EX_DATAERR, "5.1.3",
		    "%s: address too long", c->orig);
	plan(c, 0, "%s", c->rcpt);
	if (delivered_to(c->msg, c->msglen, c->rcpt))
		return mail_err_set(c->e, EX_UNAVAILABLE, "5.4.6",
		    "%s: mail forwarding loop (Delivered-To: %s is already in "
		    "the message)", c->orig, c->rcpt);
	c->steps = 0;
	c->stack[0] = NULL;
	return expand_name(c, c->local, 1);
}

/* ---- carrying out the actions ---- */

/* fail_all - res[0..n) all get e */
static void
fail_all(struct mail_err *res, size_t n, const struct mail_err *e)
{
	size_t	i;

	for (i = 0; i < n; i++)
		res[i] = *e;
}

/* header_msg - Return-Path and Delivered-To in front of the message */
static int
with_headers(struct ctx *c, struct buf *out, struct mail_err *e)
{
	char	hdr[1200];
	int	n;

	if ((n = mbox_headers(hdr, sizeof hdr, c->sender, c->rcpt)) < 0)
		return mail_err_set(e, EX_DATAERR, "5.6.0",
		    "envelope with control characters");
	buf_init(out, c->msglen + (size_t)n + 1);
	if (buf_add(out, hdr, (size_t)n) == -1 ||
	    buf_add(out, c->msg, c->msglen) == -1)
		return mail_err_errno(e, errno, "memory");
	return EX_OK;
}

/* mbox_dest_of - the mbox (or /file) of a, with the locking parameters */
static void
mbox_dest_of(const struct mail_conf *conf, const struct action *a,
    struct mbox_dest *md)
{
	memset(md, 0, sizeof *md);
	md->path = a->target;
	md->uid = a->owner;
	md->gid = a->cgid;
	md->mode = a->mode;
	md->flags = a->mflags;
	md->lock_attempts = (int)num(conf, "deliver_lock_attempts", 20);
	md->lock_delay_ms = (int)num(conf, "deliver_lock_delay", 1) * 1000;
	md->stale_lock = num(conf, "stale_lock_time", 500);
	md->size_limit = (unsigned long long)num(conf, "mailbox_size_limit",
	    51200000);
	if (md->lock_attempts < 1)
		md->lock_attempts = 1;
}

static int
do_store(struct ctx *c, const struct action *a, struct mail_err *e)
{
	struct mbox_dest	md;
	struct maildir_dest	dd;

	if (a->kind == A_MAILDIR) {
		memset(&dd, 0, sizeof dd);
		dd.path = a->target;
		dd.sender = c->sender;
		dd.rcpt = c->rcpt;
		return maildir_deliver(&dd, c->msg, c->msglen, NULL, 0, e);
	}
	mbox_dest_of(c->conf, a, &md);
	md.sender = c->sender;
	md.rcpt = c->rcpt;
	return mbox_deliver(&md, c->msg, c->msglen, e);
}

/*
 * in_child - fn(arg, res) in a child that has become a's user for good;
 * its n results come back through a pipe.  A child that cannot be made,
 * cannot change its ids or dies: every result a temporary failure.
 */
static void
in_child(const struct action *a, void (*fn)(void *, struct mail_err *),
    void *arg, struct mail_err *res, size_t n)
{
	struct mail_err	 e;
	size_t		 got = 0, want = n * sizeof *res, i;
	ssize_t		 r;
	pid_t		 pid;
	int		 p[2], st;

	if (pipe(p) == -1 || (pid = fork()) == -1) {
		mail_err_errno(&e, errno, "%s: cannot start the delivery",
		    a->target);
		e.ex = EX_TEMPFAIL;
		fail_all(res, n, &e);
		return;
	}
	if (pid == 0) {
		close(p[0]);
		if (local_become(a->uid, a->gid) == -1) {
			mail_err_errno(&e, errno, "cannot become uid %lu gid "
			    "%lu", (unsigned long)a->uid, (unsigned long)a->gid);
			e.ex = EX_TEMPFAIL;
			fail_all(res, n, &e);
		} else
			fn(arg, res);
		(void)mbox_writeall(p[1], res, want);
		_exit(0);
	}
	close(p[1]);
	while (got < want) {
		r = read(p[0], (char *)res + got, want - got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(p[0]);
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	if (got != want) {
		mail_err_set(&e, EX_TEMPFAIL, "4.3.0",
		    "%s: delivery process died", a->target);
		fail_all(res, n, &e);
	}
	for (i = 0; i < n; i++) {
		res[i].enh[sizeof res[i].enh - 1] = '\0';
		res[i].text[sizeof res[i].text - 1] = '\0';
	}
}

struct store_arg {
	struct ctx		*c;
	const struct action	*a;
};

/* store_fn - in_child's side of store */
static void
store_fn(void *arg, struct mail_err *res)
{
	struct store_arg	*sa = arg;

	(void)do_store(sa->c, sa->a, res);
}

/* store - a mailbox, Maildir or file, as the user when we are root */
static int
store(struct ctx *c, const struct action *a, int last, struct mail_err *e)
{
	struct store_arg	sa;

	if (!c->root)
		return do_store(c, a, e);
	/*
	 * The last delivery of the run needs no child: become the user
	 * here, as the child would, and save a fork.
	 */
	if (last) {
		if (local_become(a->uid, a->gid) == -1) {
			mail_err_errno(e, errno, "cannot become uid %lu gid %lu",
			    (unsigned long)a->uid, (unsigned long)a->gid);
			return e->ex = EX_TEMPFAIL;
		}
		c->root = 0;
		return do_store(c, a, e);
	}
	sa.c = c;
	sa.a = a;
	in_child(a, store_fn, &sa, e, 1);
	return e->ex;
}

static int
shell_syntax(const char *s)
{
	return strpbrk(s, "|&;<>()$`\\\"'*?[#~={}%\n") != NULL;
}

static void
setenv_clean(const char *name, const char *value)
{
	char	v[1024];

	snprintf(v, sizeof v, "%s", value);
	local_sanitize(v);
	setenv(name, v, 1);
}

/* child - set up and exec a command; never returns */
static void
child(struct ctx *c, const struct action *a, int in, int out)
{
	char	*argv[64], cmd[4096], *p;
	int	 i, fd;

	if (dup2(in, 0) == -1 || dup2(out, 1) == -1 || dup2(out, 2) == -1)
		_exit(EX_OSERR);
	for (fd = 3; fd < 1024; fd++)
		close(fd);
	if (local_become(a->uid, a->gid) == -1) {
		dprintf(1, "4.3.0 cannot become uid %lu\n",
		    (unsigned long)a->uid);
		_exit(EX_TEMPFAIL);
	}
	if (chdir(a->home[0] ? a->home : "/") == -1 && chdir("/") == -1)
		_exit(EX_OSERR);
	clearenv();
	setenv("PATH", "/usr/bin:/bin", 1);
	setenv("SHELL", a->shell[0] ? a->shell : "/bin/sh", 1);
	setenv_clean("HOME", a->home[0] ? a->home : "/");
	setenv_clean("USER", a->user);
	setenv_clean("LOGNAME", a->user);
	setenv_clean("SENDER", c->sender);
	setenv_clean("RECIPIENT", c->rcpt);
	setenv_clean("ORIGINAL_RECIPIENT", c->orig);
	setenv_clean("LOCAL", c->local);
	setenv_clean("DOMAIN", c->domain);
	setenv_clean("EXTENSION", c->ext);
	signal(SIGPIPE, SIG_DFL);
	if (shell_syntax(a->target)) {
		execl("/bin/sh", "sh", "-c", a->target, (char *)NULL);
	} else {
		snprintf(cmd, sizeof cmd, "%s", a->target);
		i = 0;
		for (p = cmd; *p != '\0' && i < 63; ) {
			while (*p == ' ' || *p == '\t')
				*p++ = '\0';
			if (*p == '\0')
				break;
			argv[i++] = p;
			while (*p != '\0' && *p != ' ' && *p != '\t')
				p++;
		}
		argv[i] = NULL;
		execvp(argv[0], argv);
	}
	dprintf(1, "5.3.0 cannot execute %s: %s\n", a->target, strerror(errno));
	_exit(EX_UNAVAILABLE);
}

/* command - run a |command with the message on stdin; its status counts */
static int
command(struct ctx *c, const struct action *a, struct mail_err *e)
{
	struct buf	 msg;
	struct pollfd	 pfd;
	char		 out[OUT_MAX + 1], junk[4096], *nl, *p;
	size_t		 got = 0;
	long long	 limit = num(c->conf, "command_time_limit", 1000);
	time_t		 deadline = time(NULL) + limit;
	pid_t		 pid;
	ssize_t		 r;
	int		 mfd, p2[2], st, ex;

	if ((ex = with_headers(c, &msg, e)) != EX_OK)
		return ex;
	mfd = memfd_create("mda-deliver", MFD_CLOEXEC);
	if (mfd == -1 || mbox_writeall(mfd, msg.s, msg.len) == -1 ||
	    lseek(mfd, 0, SEEK_SET) == -1 || pipe(p2) == -1) {
		mail_err_errno(e, errno, "%s: preparing the message", a->target);
		buf_free(&msg);
		if (mfd != -1)
			close(mfd);
		return e->ex = EX_TEMPFAIL;
	}
	buf_free(&msg);
	if ((pid = fork()) == -1) {
		mail_err_errno(e, errno, "fork");
		close(mfd);
		close(p2[0]);
		close(p2[1]);
		return e->ex = EX_TEMPFAIL;
	}
	if (pid == 0)
		child(c, a, mfd, p2[1]);
	close(mfd);
	close(p2[1]);
	pfd.fd = p2[0];
	pfd.events = POLLIN;
	for (;;) {
		long left = (long)(deadline - time(NULL));

		if (left <= 0 || poll(&pfd, 1, (int)(left > 1000 ? 1000000 :
		    left * 1000)) == 0) {
			if (time(NULL) < deadline)
				continue;
			kill(pid, SIGKILL);
			close(p2[0]);
			waitpid(pid, &st, 0);
			return mail_err_set(e, EX_TEMPFAIL, "4.3.0",
			    "%s: |%s: killed after %lld s "
			    "(command_time_limit)", c->orig, a->target, limit);
		}
		if (got < OUT_MAX)
			r = read(p2[0], out + got, OUT_MAX - got);
		else
			r = read(p2[0], junk, sizeof junk);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (got < OUT_MAX)
			got += (size_t)r;
	}
	close(p2[0]);
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	out[got] = '\0';
	if ((nl = strchr(out, '\n')) != NULL)
		*nl = '\0';
	for (p = out; *p != '\0'; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			*p = '?';
	if (WIFSIGNALED(st))
		return mail_err_set(e, EX_TEMPFAIL, "4.3.0",
		    "%s: |%s: killed by signal %d", c->orig, a->target,
		    WTERMSIG(st));
	ex = WEXITSTATUS(st);
	if (ex == EX_OK)
		return mail_err_set(e, EX_OK, NULL, "%s", out);
	if (ex < EX__BASE || ex > EX__MAX)
		ex = EX_UNAVAILABLE;
	/* "4.x.y text" or "5.x.y text" from the command is kept. */
	p = out;
	if ((p[0] == '4' || p[0] == '5') && p[1] == '.' &&
	    strspn(p + 2, "0123456789.") >= 3 && strchr(p, ' ') != NULL &&
	    (p[0] == '4') == (exitcode_is_temp(ex) != 0)) {
		nl = strchr(p, ' ');
		*nl = '\0';
		return mail_err_set(e, ex, p, "%s: |%s: %s", c->orig,
		    a->target, nl + 1);
	}
	return mail_err_set(e, ex, NULL, "%s: |%s: status %d%s%s", c->orig,
	    a->target, WEXITSTATUS(st), *out ? ": " : "", out);
}

/*
 * requeue - a remote target: a new message in the queue with the same
 * sender and content and this one recipient, as Postfix's local(8) hands
 * forwarded mail to cleanup.  Delivered-To: names the local recipient, so
 * the copy coming back here is seen as a loop.  The queue must exist
 * (sendmail and the runner make it); mda-deliver does not create one.
 */
static int
requeue(struct ctx *c, const struct action *a, struct mail_err *e)
{
	const char	*dir = conf_get(c->conf, "queue_directory");
	char		*to[1], id[QUEUE_ID_MAX];
	struct buf	 msg;
	struct mail_err	 qe;
	int		 ex;

	if (str_has_ctl(c->rcpt, strlen(c->rcpt)))
		return mail_err_set(e, EX_DATAERR, "5.6.0",
		    "envelope with control characters");
	buf_init(&msg, c->msglen + sizeof c->rcpt + 32);
	if (buf_printf(&msg, "Delivered-To: %s\n", c->rcpt) == -1 ||
	    buf_add(&msg, c->msg, c->msglen) == -1) {
		buf_free(&msg);
		return mail_err_errno(e, ENOMEM, "%s", a->target);
	}
	to[0] = (char *)a->target;
	ex = queue_enqueue(dir != NULL ? dir : "", c->sender, to, 1, msg.s,
	    msg.len, (long long)time(NULL), id, &qe);
	buf_free(&msg);
	if (ex != EX_OK)
		return mail_err_set(e, EX_TEMPFAIL, "4.3.0", "%s: %s is "
		    "remote, and the queue cannot take it: %s", c->orig,
		    a->target, qe.text);
	log_info("%s: forwarded to <%s> as %s", c->orig, a->target, id);
	return mail_err_set(e, EX_OK, NULL, "forwarded as %s", id);
}

static int
run(struct ctx *c, struct action *a, int last, struct mail_err *e)
{
	mail_err_clear(e);
	switch (a->kind) {
	case A_REMOTE:
		return requeue(c, a, e);
	case A_FILE:
		/*
		 * As in Postfix, /dev/null is a target that takes the mail
		 * and keeps nothing: it is not a regular file, so the mbox
		 * rules would refuse it.
		 */
		if (strcmp(a->target, "/dev/null") == 0) {
			log_debug("%s: discarded into /dev/null", c->orig);
			return mail_err_set(e, EX_OK, NULL, "discarded");
		}
		break;
	case A_CMD:
		log_debug("running |%s as uid %lu", a->target,
		    (unsigned long)(c->root ? a->uid : geteuid()));
		return command(c, a, e);
	default:
		break;
	}
	if (c->batch != NULL && a->kind != A_MAILDIR)
		return batch_put(c, a, e);
	log_debug("delivering to %s %s as uid %lu", act_name[a->kind],
	    a->target, (unsigned long)(c->root ? a->uid : geteuid()));
	return store(c, a, last, e);
}

static void
plan_actions(struct ctx *c)
{
	const struct action	*a;
	size_t			 i;

	if (c->plan == NULL)
		return;
	for (i = 0; i < c->nrefs; i++) {
		a = &c->acts[c->refs[i]];
		(void)buf_printf(c->plan, "action\t%s\t%s", act_name[a->kind],
		    a->target);
		if (a->kind != A_REMOTE)
			(void)buf_printf(c->plan, "\tuid=%lu\tgid=%lu",
			    (unsigned long)(c->root ? a->uid : geteuid()),
			    (unsigned long)(c->root ? a->gid : getegid()));
		if (a->kind == A_MBOX)
			(void)buf_printf(c->plan, "\tlock=fcntl,dotlock %s.lock"
			    "\tmode=%04o", a->target, (unsigned)a->mode);
		else if (a->kind == A_FILE)
			(void)buf_printf(c->plan, "\tlock=fcntl\tmode=%04o",
			    (unsigned)a->mode);
		else if (a->kind == A_CMD)
			(void)buf_printf(c->plan, "\tshell=%s",
			    shell_syntax(a->target) ? "yes" : "no");
		else if (a->kind == A_REMOTE)
			(void)buf_printf(c->plan, "\t(queued anew)");
		(void)buf_addc(c->plan, '\n');
	}
}

/* one - expand and deliver one recipient */
static int
one(struct ctx *c, const char *arg, struct mail_err *e)
{
	struct mail_err	 r;
	size_t		 i;
	int		 ex, worst = EX_OK;

	c->nrefs = 0;
	c->e = e;
	mail_err_clear(e);
	if ((ex = resolve(c, arg)) != EX_OK)
		return ex;
	plan_actions(c);
	if (c->flags & LOCAL_DRYRUN)
		return EX_OK;
	for (i = 0; i < c->nrefs; i++) {
		struct action *a = &c->acts[c->refs[i]];

		if (!a->done) {
			run(c, a, c->last_rcpt && i + 1 == c->nrefs, &a->res);
			a->done = 1;
		}
		r = a->res;
		if (r.ex == EX_OK)
			continue;
		if (worst == EX_OK || (exitcode_is_temp(r.ex) &&
		    !exitcode_is_temp(worst))) {
			worst = r.ex;
			*e = r;
		}
	}
	return worst;
}

/* ctx_init - the context for one message; EX_OK or e filled */
static int
ctx_init(struct ctx *c, const struct mail_conf *conf, const char *sender,
    const char *msg, size_t msglen, int flags, struct mail_err *e)
{
	const char	*spool = conf_get(conf, "mail_spool_directory");
	size_t		 k;

	memset(c, 0, sizeof *c);
	c->conf = conf;
	c->sender = sender != NULL ? sender : "";
	c->msg = msg;
	c->msglen = msglen;
	c->flags = flags;
	c->e = e;
	c->root = geteuid() == 0;
	mail_err_clear(e);
	c->spool_ok = spool != NULL && stat(spool, &c->spool) == 0;
	c->mydest = conf_list(conf_get(conf, "mydestination") ?
	    conf_get(conf, "mydestination") : "", NULL);
	c->amapnames = conf_list(conf_get(conf, "alias_maps") ?
	    conf_get(conf, "alias_maps") : "", &c->namaps);
	c->seen = calloc(LOCAL_STEPS_MAX, sizeof *c->seen);
	c->amaps = calloc(c->namaps + 1, sizeof *c->amaps);
	if (c->mydest == NULL || c->amapnames == NULL || c->seen == NULL ||
	    c->amaps == NULL)
		return mail_err_errno(e, errno, "memory");
	for (k = 0; c->mydest[k] != NULL; k++)
		str_lower(c->mydest[k]);
	return EX_OK;
}

/* seen_reset - forget the names expanded for the last recipient */
static void
seen_reset(struct ctx *c)
{
	size_t	k;

	for (k = 0; k < c->nseen; k++)
		free(c->seen[k]);
	c->nseen = 0;
}

/* ctx_free - what ctx_init and the expansion took */
static void
ctx_free(struct ctx *c)
{
	size_t	k;

	for (k = 0; c->amaps != NULL && k < c->namaps; k++)
		if (c->amaps[k] != NULL)
			map_close(c->amaps[k]);
	free(c->amaps);
	free(c->seen);
	free(c->acts);
	free(c->refs);
	conf_list_free(c->mydest);
	conf_list_free(c->amapnames);
}

/* local_deliver - expand and deliver to each recipient */
int
local_deliver(const struct mail_conf *conf, const char *sender,
    char *const *rcpts, int n, const char *msg, size_t msglen, int flags,
    struct buf *planbuf, local_report_fn report, void *arg,
    struct mail_err *e)
{
	struct ctx	 c;
	struct mail_err	 r;
	int		 i, ex, worst = EX_OK;

	if ((ex = ctx_init(&c, conf, sender, msg, msglen, flags, e)) !=
	    EX_OK)
		goto out;
	c.plan = planbuf;
	for (i = 0; i < n; i++) {
		c.last_rcpt = i + 1 == n;
		ex = one(&c, rcpts[i], &r);
		if (report != NULL)
			report(arg, rcpts[i], &r);
		if (ex != EX_OK && (worst == EX_OK ||
		    (exitcode_is_temp(ex) && !exitcode_is_temp(worst)))) {
			worst = ex;
			*e = r;
		}
		seen_reset(&c);
	}
	ex = worst;
out:
	ctx_free(&c);
	return ex;
}

/*
 * ---- batches: the queue runner's way ----
 *
 * The runner hands over many messages before it needs their results.
 * Everything but mailbox and /file appends is carried out at once, as
 * local_deliver does; the appends wait, and local_batch_commit() makes
 * them per mailbox under one pair of locks with one fsync() (a child
 * that has become the mailbox's user, when we are root).  Only then are
 * the recipients reported, so nothing is called delivered before it is
 * on disk: the durability of a message at a time, at the price of one
 * fsync() per mailbox and batch.
 */

struct bmsg {				/* one message of a batch */
	const char	*sender;
	const char	*msg;
	size_t		 msglen;
	struct action	*acts;		/* its actions, with their results */
	size_t		 nacts;
	size_t		*refs;		/* the recipients' actions in a row */
	size_t		*first;		/* n + 1 offsets into refs */
	struct mail_err	*pre;		/* failures before any action */
	char		**rcpts;
	int		 n;
	local_report_fn	 report;
	void		*arg;
};

struct bent {				/* an append that waits */
	size_t		 m;		/* the message */
	size_t		 a;		/* its action */
};

struct local_batch {
	const struct mail_conf	*conf;
	struct bmsg		*msgs;
	size_t			 nmsgs, capmsgs;
	struct bent		*ents;
	size_t			 nents, capents;
};

/* batch_put - an append, to wait for the commit */
static int
batch_put(struct ctx *c, struct action *a, struct mail_err *e)
{
	struct local_batch	*b = c->batch;
	struct bent		*n;
	size_t			 cap;

	if (b->nents == b->capents) {
		cap = b->capents ? b->capents * 2 : 64;
		if ((n = reallocarray(b->ents, cap, sizeof *n)) == NULL)
			return mail_err_errno(e, errno, "memory");
		b->ents = n;
		b->capents = cap;
	}
	b->ents[b->nents].m = c->bmsg;
	b->ents[b->nents++].a = (size_t)(a - c->acts);
	(void)str_copy(a->dto, sizeof a->dto, c->rcpt);
	e->ex = PENDING;
	return PENDING;
}

/* local_batch_new - an empty batch */
struct local_batch *
local_batch_new(const struct mail_conf *conf)
{
	struct local_batch	*b;

	if ((b = calloc(1, sizeof *b)) != NULL)
		b->conf = conf;
	return b;
}

/* bmsg_free - one message's part of the batch */
static void
bmsg_free(struct bmsg *m)
{
	int	i;

	for (i = 0; m->rcpts != NULL && i < m->n; i++)
		free(m->rcpts[i]);
	free(m->rcpts);
	free(m->acts);
	free(m->refs);
	free(m->first);
	free(m->pre);
}

/* bmsg_alloc - room for n recipients; 0 or -1 */
static int
bmsg_alloc(struct bmsg *m, char *const *rcpts, int n)
{
	int	i;

	m->n = n;
	if ((m->rcpts = calloc((size_t)n + 1, sizeof *m->rcpts)) == NULL ||
	    (m->first = calloc((size_t)n + 1, sizeof *m->first)) == NULL ||
	    (m->pre = calloc((size_t)n + 1, sizeof *m->pre)) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if ((m->rcpts[i] = str_dup(rcpts[i])) == NULL)
			return -1;
	return 0;
}

/* batch_one - expand one recipient; appends wait, the rest is done */
static void
batch_one(struct ctx *c, struct bmsg *m, int i)
{
	struct action	*a;
	size_t		 k, *nr;

	c->nrefs = 0;
	c->e = &m->pre[i];
	mail_err_clear(c->e);
	m->first[i + 1] = m->first[i];
	if (resolve(c, m->rcpts[i]) != EX_OK)
		return;
	for (k = 0; k < c->nrefs; k++) {
		a = &c->acts[c->refs[k]];
		if (!a->done) {
			mail_err_clear(&a->res);
			(void)run(c, a, 0, &a->res);
			a->done = 1;
		}
	}
	if ((nr = reallocarray(m->refs, m->first[i] + c->nrefs + 1,
	    sizeof *nr)) == NULL) {
		mail_err_errno(&m->pre[i], ENOMEM, "memory");
		return;
	}
	m->refs = nr;
	memcpy(m->refs + m->first[i], c->refs, c->nrefs * sizeof *c->refs);
	m->first[i + 1] = m->first[i] + c->nrefs;
}

/* local_batch_add - a message for the batch; EX_OK or e filled */
int
local_batch_add(struct local_batch *b, const char *sender,
    char *const *rcpts, int n, const char *msg, size_t msglen,
    local_report_fn report, void *arg, struct mail_err *e)
{
	struct bmsg	*m;
	struct ctx	 c;
	size_t		 cap;
	int		 i, ex;

	if (b->nmsgs == b->capmsgs) {
		cap = b->capmsgs ? b->capmsgs * 2 : 16;
		if ((m = reallocarray(b->msgs, cap, sizeof *m)) == NULL)
			return mail_err_errno(e, errno, "memory");
		b->msgs = m;
		b->capmsgs = cap;
	}
	m = &b->msgs[b->nmsgs];
	memset(m, 0, sizeof *m);
	m->sender = sender != NULL ? sender : "";
	m->msg = msg;
	m->msglen = msglen;
	m->report = report;
	m->arg = arg;
	if (bmsg_alloc(m, rcpts, n) == -1) {
		bmsg_free(m);
		return mail_err_errno(e, ENOMEM, "memory");
	}
	if ((ex = ctx_init(&c, b->conf, sender, msg, msglen, 0, e)) != EX_OK) {
		ctx_free(&c);
		bmsg_free(m);
		return ex;
	}
	c.batch = b;
	c.bmsg = b->nmsgs;
	for (i = 0; i < n; i++) {
		batch_one(&c, m, i);
		seen_reset(&c);
	}
	/* The actions stay with the message until the commit. */
	m->acts = c.acts;
	m->nacts = c.nacts;
	c.acts = NULL;
	ctx_free(&c);
	b->nmsgs++;
	return EX_OK;
}

/* same_box - ents x and y append to the same file the same way */
static int
same_box(const struct local_batch *b, const struct bent *x,
    const struct bent *y)
{
	const struct action	*p = &b->msgs[x->m].acts[x->a];
	const struct action	*q = &b->msgs[y->m].acts[y->a];

	return p->uid == q->uid && p->gid == q->gid && p->owner == q->owner &&
	    p->cgid == q->cgid && p->mode == q->mode &&
	    p->mflags == q->mflags && strcmp(p->target, q->target) == 0;
}

struct many_arg {
	const struct mbox_dest	*md;
	const struct mbox_item	*it;
	size_t			 n;
};

/* many_fn - in_child's side of commit_box */
static void
many_fn(void *arg, struct mail_err *res)
{
	struct many_arg	*ma = arg;

	(void)mbox_deliver_many(ma->md, ma->it, ma->n, res);
}

/* commit_box - the entries ents[0..n) into their one mailbox */
static void
commit_box(struct local_batch *b, const struct bent *ents, size_t n,
    int root)
{
	struct mbox_dest	 md;
	struct many_arg		 ma;
	struct mbox_item	*it;
	struct mail_err		*res, e;
	const struct bmsg	*m;
	struct action		*a = &b->msgs[ents[0].m].acts[ents[0].a];
	size_t			 i;

	it = calloc(n, sizeof *it);
	res = calloc(n, sizeof *res);
	if (it == NULL || res == NULL) {
		mail_err_errno(&e, ENOMEM, "memory");
		for (i = 0; i < n; i++)
			b->msgs[ents[i].m].acts[ents[i].a].res = e;
		free(it);
		free(res);
		return;
	}
	mbox_dest_of(b->conf, a, &md);
	for (i = 0; i < n; i++) {
		m = &b->msgs[ents[i].m];
		it[i].sender = m->sender;
		it[i].rcpt = m->acts[ents[i].a].dto;
		it[i].msg = m->msg;
		it[i].len = m->msglen;
	}
	log_debug("delivering %zu messages to %s %s as uid %lu", n,
	    act_name[a->kind], a->target,
	    (unsigned long)(root ? a->uid : geteuid()));
	ma.md = &md;
	ma.it = it;
	ma.n = n;
	if (root)
		in_child(a, many_fn, &ma, res, n);
	else
		(void)mbox_deliver_many(&md, it, n, res);
	for (i = 0; i < n; i++)
		b->msgs[ents[i].m].acts[ents[i].a].res = res[i];
	free(it);
	free(res);
}

/* worst - the result a recipient's actions add up to, as one() has it */
static struct mail_err
worst(const struct bmsg *m, int ri)
{
	const struct mail_err	*x;
	struct mail_err		 r = m->pre[ri];
	size_t			 i, n;

	if (r.ex != EX_OK)
		return r;
	for (i = m->first[ri]; i < m->first[ri + 1]; i++) {
		x = &m->acts[m->refs[i]].res;
		if (x->ex != EX_OK && (r.ex == EX_OK ||
		    (exitcode_is_temp(x->ex) && !exitcode_is_temp(r.ex))))
			r = *x;
	}
	if (r.ex != EX_OK)
		return r;
	/* All done: "forwarded as ID ID..." names the copies queued. */
	for (i = m->first[ri]; i < m->first[ri + 1]; i++) {
		x = &m->acts[m->refs[i]].res;
		if (m->acts[m->refs[i]].kind != A_REMOTE ||
		    strncmp(x->text, "forwarded as ", 13) != 0)
			continue;
		n = strlen(r.text);
		(void)snprintf(r.text + n, sizeof r.text - n, "%s%s",
		    n == 0 ? "forwarded as " : " ", x->text + 13);
	}
	return r;
}

/* local_batch_commit - the appends, then every recipient's report */
void
local_batch_commit(struct local_batch *b)
{
	struct bent	*grp = NULL;
	struct bmsg	*m;
	struct mail_err	 r;
	char		*done = NULL;
	size_t		 i, j, k, n;
	int		 root = geteuid() == 0, ri;

	/* The appends in groups per mailbox, each in the order queued. */
	if (b->nents > 0 && ((grp = calloc(b->nents, sizeof *grp)) == NULL ||
	    (done = calloc(b->nents, 1)) == NULL)) {
		mail_err_errno(&r, ENOMEM, "memory");
		for (i = 0; i < b->nents; i++)
			b->msgs[b->ents[i].m].acts[b->ents[i].a].res = r;
		b->nents = 0;
	}
	for (i = 0; i < b->nents; i++) {
		if (done[i])
			continue;
		for (j = i, n = 0; j < b->nents; j++)
			if (!done[j] && same_box(b, &b->ents[i], &b->ents[j])) {
				grp[n++] = b->ents[j];
				done[j] = 1;
			}
		commit_box(b, grp, n, root);
	}
	free(done);
	free(grp);
	for (k = 0; k < b->nmsgs; k++) {
		m = &b->msgs[k];
		for (ri = 0; ri < m->n; ri++) {
			r = worst(m, ri);
			if (m->report != NULL)
				m->report(m->arg, m->rcpts[ri], &r);
		}
		bmsg_free(m);
	}
	b->nmsgs = 0;
	b->nents = 0;
}

/* local_batch_free - the batch, with what was never committed */
void
local_batch_free(struct local_batch *b)
{
	size_t	k;

	if (b == NULL)
		return;
	for (k = 0; k < b->nmsgs; k++)
		bmsg_free(&b->msgs[k]);
	free(b->msgs);
	free(b->ents);
	free(b);
}
