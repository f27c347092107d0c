/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for libmail/local: how a recipient resolves, driven through
 * local_deliver() with LOCAL_DRYRUN, whose plan lists the final actions
 * ("action TAB kind TAB target ...").  A sandbox made with mkdtemp holds a
 * passwd-format file (local_passwd_file), homes with .forward files,
 * include files, and alias and canonical tables built with map.h.  Each
 * row of the table is one run: the parameters it changes, its
 * recipients, and the exit status, enhanced code, reason and actions it
 * must give.  Covers the canonical lookup order (user@domain, user for
 * local domains, @domain), rewriting once (H-11), alias expansion with
 * duplicates, self, loops and the depth and size limits (H-08, H-09),
 * user+ext, .forward, :include:, mydestination, Delivered-To loops and
 * smuggled recipients.  Also local_sanitize(), local_read_message() and
 * local_become() (in a child: as root, for good; as anyone else, a no-op).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "exitcode.h"
#include "local.h"
#include "log.h"
#include "map.h"
#include "tap.h"

static char	S[256];		/* the sandbox */

#define MSG	"Subject: t\n\nx\n"

static const struct row {
	const char	*name;
	const char	*set;		/* "name=value;name=value" */
	const char	*rcpt[4];
	const char	*msg;		/* NULL: MSG */
	int		 ex;
	const char	*enh;		/* NULL: not checked (EX_OK) */
	const char	*text;		/* the reason starts so; NULL: any */
	const char	*acts;		/* "kind target" lines, $S expanded */
	const char	*plan;		/* the plan has this; NULL: any */
} rows[] = {
	/* Plain users and mydestination. */
	{ "a bare local part", NULL, { "walter" }, NULL, EX_OK, NULL, NULL,
	  "mailbox $S/spool/walter\n", "walter@example.test" },
	{ "user@mydestination, any case", NULL, { "Walter@EXAMPLE.test" },
	  NULL, EX_OK, NULL, NULL, "mailbox $S/spool/walter\n", NULL },
	{ "the second mydestination domain", NULL, { "walter@localhost" },
	  NULL, EX_OK, NULL, NULL, "mailbox $S/spool/walter\n",
	  "walter@localhost" },
	{ "a domain not in mydestination", NULL, { "walter@remote.test" },
	  NULL, EX_UNAVAILABLE, "5.1.2",
	  "walter@remote.test: remote.test is not a local domain", "", NULL },
	{ "no subdomain matching", NULL, { "walter@sub.example.test" },
	  NULL, EX_UNAVAILABLE, "5.1.2", NULL, "", NULL },
	{ "a bare name is local even when myorigin is not in mydestination",
	  "myorigin=other.test", { "walter" }, NULL, EX_OK, NULL, NULL,
	  "mailbox $S/spool/walter\n", "walter@other.test" },
	{ "but name@myorigin is not", "myorigin=other.test",
	  { "walter@other.test" }, NULL, EX_UNAVAILABLE, "5.1.2", NULL, "",
	  NULL },
	{ "unknown user", NULL, { "nosuch" }, NULL, EX_NOUSER, "5.1.1",
	  "nosuch: no such user", "", NULL },
	{ "home_mailbox: an mbox in the home", "home_mailbox=Mailbox",
	  { "walter" }, NULL, EX_OK, NULL, NULL,
	  "mailbox $S/home/walter/Mailbox\n", NULL },
	{ "home_mailbox ending in /: a Maildir", "home_mailbox=Maildir/",
	  { "walter" }, NULL, EX_OK, NULL, NULL,
	  "maildir $S/home/walter/Maildir/\n", NULL },

	/* user+ext. */
	{ "user+ext falls back to the user", NULL, { "bob+box" }, NULL, EX_OK,
	  NULL, NULL, "mailbox $S/spool/bob\n", "bob+box@example.test" },
	{ "alias user+ext is looked up first", NULL, { "lst+special" }, NULL,
	  EX_OK, NULL, NULL, "mailbox $S/spool/dude\n", "alias lst+special:" },
	{ "then the alias user", NULL, { "lst+other" }, NULL, EX_OK, NULL,
	  NULL, "mailbox $S/spool/walter\n", "alias lst: walter" },
	{ "no recipient_delimiter, no fallback", "recipient_delimiter=",
	  { "bob+box" }, NULL, EX_NOUSER, "5.1.1", NULL, "", NULL },
	{ "another delimiter", "recipient_delimiter=-", { "bob-box" }, NULL,
	  EX_OK, NULL, NULL, "mailbox $S/spool/bob\n", NULL },
	{ "an unknown user with an extension", NULL, { "nosuch+x" }, NULL,
	  EX_NOUSER, "5.1.1", NULL, "", NULL },

	/* Canonical maps: the lookup order, once per table list (H-11). */
	{ "canonical user@domain first", "canonical_maps=hash:$S/cmorder",
	  { "x" }, NULL, EX_OK, NULL, NULL, "mailbox $S/spool/walter\n",
	  "canonical_maps: x@example.test -> walter@example.test" },
	{ "canonical user before @domain", "canonical_maps=hash:$S/cmorder",
	  { "y" }, NULL, EX_OK, NULL, NULL, "mailbox $S/spool/dude\n", NULL },
	{ "canonical user for any local domain",
	  "canonical_maps=hash:$S/cmorder", { "y@localhost" }, NULL, EX_OK,
	  NULL, NULL, "mailbox $S/spool/dude\n", NULL },
	{ "canonical @domain last", "canonical_maps=hash:$S/cmorder",
	  { "zzz" }, NULL, EX_OK, NULL, NULL, "mailbox $S/spool/bob\n",
	  NULL },
	{ "canonical @domain -> @domain keeps the local part",
	  "canonical_maps=hash:$S/cmorder", { "walter@other.test" }, NULL,
	  EX_OK, NULL, NULL, "mailbox $S/spool/walter\n",
	  "walter@other.test -> walter@example.test" },
	{ "canonical user is not tried for a remote domain",
	  "canonical_maps=hash:$S/cmorder", { "y@remote.test" }, NULL,
	  EX_UNAVAILABLE, "5.1.2", NULL, "", NULL },
	{ "a canonical loop a->b, b->a: once, a goes to b",
	  "canonical_maps=hash:$S/cmloop", { "walter" }, NULL, EX_OK, NULL,
	  NULL, "mailbox $S/spool/dude\n", NULL },
	{ "and b goes to a", "canonical_maps=hash:$S/cmloop", { "dude" },
	  NULL, EX_OK, NULL, NULL, "mailbox $S/spool/walter\n", NULL },
	{ "recipient_canonical_maps, then canonical_maps",
	  "recipient_canonical_maps=hash:$S/cmloop;canonical_maps=hash:$S/cm2",
	  { "walter" }, NULL, EX_OK, NULL, NULL, "mailbox $S/spool/bob\n",
	  "recipient_canonical_maps: walter@example.test -> dude@example.test"
	},
	{ "canonical output with CR: refused", "canonical_maps=hash:$S/cmbad",
	  { "walter" }, NULL, EX_CONFIG, "4.3.5",
	  "walter: canonical_maps maps it to a bad address", "", NULL },
	{ "canonical output with NUL: refused", "canonical_maps=hash:$S/cmbad",
	  { "dude" }, NULL, EX_CONFIG, "4.3.5", NULL, "", NULL },
	{ "canonical output naming a command is only a name",
	  "canonical_maps=hash:$S/cmbad", { "bob" }, NULL, EX_NOUSER, "5.1.1",
	  NULL, "", NULL },
	{ "a missing canonical table: tempfail",
	  "canonical_maps=hash:$S/none", { "walter" }, NULL, EX_TEMPFAIL,
	  "4.3.0", NULL, "", NULL },

	/* Aliases (H-08, H-09). */
	{ "an alias list", NULL, { "team" }, NULL, EX_OK, NULL, NULL,
	  "mailbox $S/spool/walter\nmailbox $S/spool/dude\n", NULL },
	{ "duplicates once", NULL, { "all" }, NULL, EX_OK, NULL, NULL,
	  "mailbox $S/spool/walter\nmailbox $S/spool/dude\n",
	  "team (duplicate, skipped)" },
	{ "fan-out, depth first, each target once", NULL, { "fan" }, NULL,
	  EX_OK, NULL, NULL, "mailbox $S/spool/bob\nmailbox $S/spool/walter\n"
	  "mailbox $S/spool/dude\n", NULL },
	{ "a name in its own expansion: its mailbox, no loop", NULL,
	  { "self" }, NULL, EX_OK, NULL, NULL,
	  "mailbox $S/spool/self\nmailbox $S/spool/bob\n", NULL },
	{ "an alias loop: 5.4.6, nothing delivered", NULL, { "loopa" }, NULL,
	  EX_UNAVAILABLE, "5.4.6",
	  "loopa: alias loop: loopa is in its own expansion through loopb",
	  "", NULL },
	{ "the loop found from its other end", NULL, { "loopb" }, NULL,
	  EX_UNAVAILABLE, "5.4.6", NULL, "", NULL },
	{ "20 levels deep: delivered", NULL, { "c2" }, NULL, EX_OK, NULL, NULL,
	  "mailbox $S/spool/walter\n", NULL },
	{ "21 levels deep: 5.4.6", NULL, { "c1" }, NULL, EX_UNAVAILABLE,
	  "5.4.6", "c1: alias expansion deeper than 20 levels", "", NULL },
	{ "more than 1000 deliveries: 5.5.3", NULL, { "big" }, NULL,
	  EX_UNAVAILABLE, "5.5.3", "big: more than 1000 deliveries", "",
	  NULL },
	{ "more than 10000 targets: 5.5.3", NULL, { "steps" }, NULL,
	  EX_UNAVAILABLE, "5.5.3", "steps: more than 10000 alias targets", "",
	  NULL },
	{ "a target named 50 times: one action", NULL, { "dups" }, NULL,
	  EX_OK, NULL, NULL,
	  "remote x@remote.test\nmailbox $S/spool/bob\n", NULL },
	{ "\\user: the mailbox, not the alias", NULL, { "bs" }, NULL, EX_OK,
	  NULL, NULL, "mailbox $S/spool/bob\n", NULL },
	{ "an unknown name in an alias: 5.1.1", NULL, { "ghost" }, NULL,
	  EX_NOUSER, "5.1.1", NULL, "", NULL },
	{ "a remote target", NULL, { "far" }, NULL, EX_OK, NULL, NULL,
	  "remote someone@remote.test\n", NULL },
	{ "an address in mydestination is a local name", NULL, { "near" },
	  NULL, EX_OK, NULL, NULL, "mailbox $S/spool/walter\n", NULL },
	{ "a |command target", NULL, { "pipe" }, NULL, EX_OK, NULL, NULL,
	  "command /bin/cat\n", "shell=no" },
	{ "a command with shell syntax gets a shell", NULL, { "shpipe" }, NULL,
	  EX_OK, NULL, NULL, "command cat >/dev/null\n", "shell=yes" },
	{ "a /file target", NULL, { "arch" }, NULL, EX_OK, NULL, NULL,
	  "file $S/archive\n", "lock=fcntl\tmode=0600" },
	{ "a /dir/ target: Maildir", NULL, { "md" }, NULL, EX_OK, NULL, NULL,
	  "maildir $S/md/\n", NULL },
	{ "a /file target with ..: 5.7.1", NULL, { "dotdot" }, NULL,
	  EX_UNAVAILABLE, "5.7.1", NULL, "", NULL },
	{ "commands not allowed from aliases", "allow_mail_to_commands=forward",
	  { "pipe" }, NULL, EX_UNAVAILABLE, "5.7.1",
	  "pipe: mail to |/bin/cat is not allowed from alias pipe "
	  "(allow_mail_to_commands)", "", NULL },
	{ "files not allowed from aliases", "allow_mail_to_files=", { "arch" },
	  NULL, EX_UNAVAILABLE, "5.7.1", NULL, "", NULL },
	{ "a missing alias table: tempfail", "alias_maps=hash:$S/none",
	  { "walter" }, NULL, EX_TEMPFAIL, "4.3.0", NULL, "", NULL },
	{ "no alias_maps: users only", "alias_maps=", { "walter" }, NULL,
	  EX_OK, NULL, NULL, "mailbox $S/spool/walter\n", NULL },

	/* :include: */
	{ ":include: of local names", NULL, { "inc" }, NULL, EX_OK, NULL, NULL,
	  "mailbox $S/spool/walter\nmailbox $S/spool/dude\n", ":include:" },
	{ "a command in an include file: refused", NULL, { "inccmd" }, NULL,
	  EX_UNAVAILABLE, "5.7.1", NULL, "", NULL },
	{ "a file in an include file: refused", NULL, { "incfile" }, NULL,
	  EX_UNAVAILABLE, "5.7.1", NULL, "", NULL },
	{ "allowed when allow_mail_to_commands names include",
	  "allow_mail_to_commands=alias,forward,include", { "inccmd" }, NULL,
	  EX_OK, NULL, NULL, "mailbox $S/spool/walter\ncommand /bin/true\n",
	  NULL },
	{ "an include file others can write: 4.7.0", NULL, { "incopen" }, NULL,
	  EX_TEMPFAIL, "4.7.0", NULL, "", NULL },
	{ "a missing include file: 4.3.5", NULL, { "incmissing" }, NULL,
	  EX_CONFIG, "4.3.5", NULL, "", NULL },
	{ "a relative include path: 4.3.5", NULL, { "increl" }, NULL,
	  EX_CONFIG, "4.3.5", NULL, "", NULL },

	/* .forward */
	{ ".forward replaces the mailbox; \\self keeps it", NULL, { "fwd" },
	  NULL, EX_OK, NULL, NULL,
	  "mailbox $S/spool/walter\nmailbox $S/spool/fwd\n", ".forward" },
	{ "an empty .forward: the mailbox", NULL, { "fwdempty" }, NULL, EX_OK,
	  NULL, NULL, "mailbox $S/spool/fwdempty\n", NULL },
	{ "a command in .forward", NULL, { "fwdcmd" }, NULL, EX_OK, NULL, NULL,
	  "command /bin/cat\n", NULL },
	{ ".forward others can write: 4.7.0 (G-09)", NULL, { "fwdbad" }, NULL,
	  EX_TEMPFAIL, "4.7.0", NULL, "", NULL },
	{ "home others can write: 4.7.0 (G-09)", NULL, { "fwdhome" }, NULL,
	  EX_TEMPFAIL, "4.7.0",
	  "fwdhome: home directory $S/home/fwdhome is writable by anyone", "",
	  NULL },
	{ ".forward files in a loop: 5.4.6", NULL, { "fwdloop" }, NULL,
	  EX_UNAVAILABLE, "5.4.6", NULL, "", NULL },
	{ "forward_path empty: no .forward", "forward_path=", { "fwd" }, NULL,
	  EX_OK, NULL, NULL, "mailbox $S/spool/fwd\n", NULL },
	{ "forward_path with $user", "forward_path=$home/.fwd-$user",
	  { "fwdempty" }, NULL, EX_OK, NULL, NULL, "mailbox $S/spool/dude\n",
	  NULL },

	/* Delivered-To loops. */
	{ "Delivered-To for this recipient: 5.4.6", NULL, { "walter" },
	  "Delivered-To: Walter@Example.Test \nSubject: l\n\nx\n",
	  EX_UNAVAILABLE, "5.4.6",
	  "walter: mail forwarding loop (Delivered-To: walter@example.test "
	  "is already in the message)", "", NULL },
	{ "Delivered-To for another recipient", NULL, { "walter" },
	  "Delivered-To: dude@example.test\n\nx\n", EX_OK, NULL, NULL,
	  "mailbox $S/spool/walter\n", NULL },
	{ "Delivered-To in the body does not count", NULL, { "walter" },
	  "Subject: l\n\nDelivered-To: walter@example.test\n", EX_OK, NULL,
	  NULL, "mailbox $S/spool/walter\n", NULL },
	{ "Delivered-To of the rewritten address",
	  "canonical_maps=hash:$S/cmloop", { "walter" },
	  "Delivered-To: dude@example.test\n\nx\n", EX_UNAVAILABLE, "5.4.6",
	  NULL, "", NULL },

	/* Smuggled recipients: never a command, a file or a path. */
	{ "|command as a recipient", NULL, { "|touch /tmp/pwn-local" }, NULL,
	  EX_DATAERR, "5.1.3", NULL, "", NULL },
	{ "/file as a recipient", NULL, { "/etc/passwd" }, NULL, EX_DATAERR,
	  "5.1.3", NULL, "", NULL },
	{ ":include: as a recipient", NULL, { ":include:/etc/passwd" }, NULL,
	  EX_DATAERR, "5.1.3", NULL, "", NULL },
	{ "../etc/passwd", NULL, { "../etc/passwd" }, NULL, EX_DATAERR, "5.1.3",
	  NULL, "", NULL },
	{ "a quoted /path@domain", NULL, { "\"/etc/passwd\"@example.test" },
	  NULL, EX_DATAERR, "5.1.3", NULL, "", NULL },
	{ "a quoted |command@domain", NULL, { "\"|id\"@example.test" }, NULL,
	  EX_DATAERR, "5.1.3", NULL, "", NULL },
	{ "a quoted a/b@domain", NULL, { "\"a/b\"@example.test" }, NULL,
	  EX_DATAERR, "5.1.3", NULL, "", NULL },
	{ "a quoted :include:@domain", NULL,
	  { "\":include:/etc/passwd\"@example.test" }, NULL, EX_DATAERR,
	  "5.1.3", NULL, "", NULL },
	{ "\\user as a recipient", NULL, { "\\walter" }, NULL, EX_DATAERR,
	  "5.1.3", NULL, "", NULL },
	{ "a leading dot", NULL, { "\".walter\"@example.test" }, NULL,
	  EX_DATAERR, "5.1.3", NULL, "", NULL },
	{ "an extension with a path (H-02)", NULL,
	  { "\"pipe+$(touch${IFS}/tmp/pwn-ext)\"@example.test" }, NULL,
	  EX_DATAERR, "5.1.3", NULL, "", NULL },
	{ "a control character", NULL, { "walter\r\nrcpt" }, NULL, EX_DATAERR,
	  "5.1.3", NULL, "", NULL },
	{ "an empty recipient", NULL, { "" }, NULL, EX_DATAERR, "5.1.3", NULL,
	  "", NULL },

	/* Several recipients. */
	{ "the first permanent failure counts", NULL,
	  { "nosuch", "walter@remote.test", "walter" }, NULL, EX_NOUSER,
	  "5.1.1", NULL, "mailbox $S/spool/walter\n", NULL },
	{ "in either order", NULL, { "walter@remote.test", "nosuch" }, NULL,
	  EX_UNAVAILABLE, "5.1.2", NULL, "", NULL },
	{ "a temporary failure wins", NULL, { "nosuch", "incopen" }, NULL,
	  EX_TEMPFAIL, "4.7.0", NULL, "", NULL },
};

/* subst - in with each "$S" replaced by the sandbox */
static const char *
subst(const char *in, struct buf *out)
{
	const char	*p;

	buf_reset(out);
	for (p = in; *p != '\0'; p++) {
		if (p[0] == '$' && p[1] == 'S') {
			(void)buf_adds(out, S);
			p++;
		} else
			(void)buf_addc(out, *p);
	}
	(void)buf_add(out, "", 0);
	return buf_str(out);
}

static int
put_file(const char *rel, const char *text, mode_t mode)
{
	struct buf	 p = BUF_INIT(4096), t = BUF_INIT(1 << 20);
	FILE		*f;
	int		 r = -1;

	if ((f = fopen(subst(rel, &p), "w")) != NULL) {
		r = fputs(subst(text, &t), f) == EOF ? -1 : 0;
		if (fclose(f) == EOF || chmod(buf_str(&p), mode) == -1)
			r = -1;
	}
	if (r == -1)
		diag("cannot write %s: %s", buf_str(&p), strerror(errno));
	buf_free(&p);
	buf_free(&t);
	return r;
}

/*
 * A table is built with map.h directly: tb_begin, tb_put for each entry
 * ($S expanded in values; vlen 0: the value's strlen), tb_end.
 */
static struct map_build	*tb;
static int		 tb_err;

static void
tb_begin(const char *name)
{
	struct mail_err	 e;
	char		 path[512];

	snprintf(path, sizeof path, "hash:%s/%s", S, name);
	tb_err = 0;
	if (map_build_begin(&tb, path, 2000, 0, 0644, &e) != EX_OK) {
		diag("building %s: %s %s", path, e.enh, e.text);
		tb = NULL;
		tb_err = -1;
	}
}

static void
tb_put(const char *k, const char *v, size_t vlen)
{
	struct mail_err	 e;
	struct buf	 sv = BUF_INIT(1 << 20);

	if (tb == NULL)
		return;
	if (vlen == 0) {
		v = subst(v, &sv);
		vlen = strlen(v);
	}
	if (map_build_put(tb, k, strlen(k), v, vlen, MAP_PUT_REPLACE, &e) ==
	    -1) {
		diag("putting %s: %s", k, e.text);
		tb_err = -1;
	}
	buf_free(&sv);
}

static int
tb_end(void)
{
	struct mail_err	 e;

	if (tb == NULL)
		return -1;
	if (tb_err != 0) {
		map_build_abort(tb);
		return -1;
	}
	if (map_build_commit(tb, &e) != EX_OK) {
		diag("commit: %s", e.text);
		return -1;
	}
	return 0;
}

static const char *const fixed_aliases[] = {
	"team", "walter, dude",
	"all", "team, walter, team, dude",
	"self", "self, bob",
	"loopa", "loopb",
	"loopb", "walter, loopa",
	"fan", "f1, f2, f3, walter",
	"f1", "bob, bob, walter",
	"f2", "bob, f1",
	"f3", "dude, bob",
	"lst", "walter",
	"lst+special", "dude",
	"far", "someone@remote.test",
	"near", "Walter@Example.TEST",
	"pipe", "|/bin/cat",
	"shpipe", "\"|cat >/dev/null\"",
	"arch", "$S/archive",
	"md", "$S/md/",
	"dotdot", "$S/../etc/x",
	"inc", ":include:$S/list",
	"inccmd", ":include:$S/listcmd",
	"incfile", ":include:$S/listfile",
	"incopen", ":include:$S/listopen",
	"incmissing", ":include:$S/nonexistent",
	"increl", ":include:list",
	"ghost", "nosuchuser",
	"bs", "\\bob",
	NULL
};

/* aliases - the alias table every row shares */
static int
aliases(void)
{
	struct buf	 v = BUF_INIT(1 << 20);
	size_t		 i, j;
	char		 k[32];

	tb_begin("aliases");
	for (i = 0; fixed_aliases[i] != NULL; i += 2)
		tb_put(fixed_aliases[i], fixed_aliases[i + 1], 0);
	/* c1 -> c2 -> ... -> c20 -> walter: c1 is 21 levels deep. */
	for (i = 1; i <= 20; i++) {
		snprintf(k, sizeof k, "c%zu", i);
		buf_reset(&v);
		if (i < 20)
			(void)buf_printf(&v, "c%zu", i + 1);
		else
			(void)buf_adds(&v, "walter");
		tb_put(k, buf_str(&v), 0);
	}
	/* 1001 distinct remote targets. */
	buf_reset(&v);
	for (i = 1; i <= 1001; i++)
		(void)buf_printf(&v, "%sr%zu@remote.test", i > 1 ? ", " : "",
		    i);
	tb_put("big", buf_str(&v), 0);
	/* 101 aliases of 100 targets each: 10100 targets looked at. */
	buf_reset(&v);
	for (i = 1; i <= 101; i++)
		(void)buf_printf(&v, "%ss%zu", i > 1 ? ", " : "", i);
	tb_put("steps", buf_str(&v), 0);
	buf_reset(&v);
	for (j = 1; j <= 100; j++)
		(void)buf_printf(&v, "%sy@remote.test", j > 1 ? ", " : "");
	for (i = 1; i <= 101; i++) {
		snprintf(k, sizeof k, "s%zu", i);
		tb_put(k, buf_str(&v), 0);
	}
	/* The same targets 50 times: one reference each. */
	buf_reset(&v);
	for (j = 1; j <= 50; j++)
		(void)buf_printf(&v, "%sx@remote.test, \\bob, bob",
		    j > 1 ? ", " : "");
	tb_put("dups", buf_str(&v), 0);
	buf_free(&v);
	return tb_end();
}

/* canonical - the canonical tables the rows name */
static int
canonical(void)
{
	int	r = 0;

	tb_begin("cmorder");
	tb_put("x@example.test", "walter@example.test", 0);
	tb_put("x", "dude@example.test", 0);
	tb_put("y", "dude@example.test", 0);
	tb_put("@example.test", "bob@example.test", 0);
	tb_put("@other.test", "@example.test", 0);
	r |= tb_end();
	tb_begin("cmloop");
	tb_put("walter@example.test", "dude@example.test", 0);
	tb_put("dude@example.test", "walter@example.test", 0);
	r |= tb_end();
	tb_begin("cm2");
	tb_put("dude@example.test", "bob@example.test", 0);
	r |= tb_end();
	tb_begin("cmbad");
	tb_put("walter@example.test", "dude\r@example.test", 0);
	tb_put("dude@example.test", "bob\0@example.test", 16);
	tb_put("bob@example.test", "\"|/bin/sh\"@example.test", 0);
	r |= tb_end();
	return r;
}

/* include files and .forward files: path, contents, mode */
static const struct {
	const char	*path, *text;
	mode_t		 mode;
} files[] = {
	{ "$S/list", "walter\n# a comment\n\ndude, walter\n", 0644 },
	{ "$S/listcmd", "walter\n|/bin/true\n", 0644 },
	{ "$S/listfile", "$S/archive2\n", 0644 },
	{ "$S/listopen", "walter\n", 0666 },
	{ "$S/home/fwd/.forward", "walter, \\fwd\n", 0644 },
	{ "$S/home/fwdempty/.forward", "\n", 0644 },
	{ "$S/home/fwdempty/.fwd-fwdempty", "dude\n", 0644 },
	{ "$S/home/fwdcmd/.forward", "|/bin/cat\n", 0644 },
	{ "$S/home/fwdbad/.forward", "walter\n", 0666 },
	{ "$S/home/fwdhome/.forward", "walter\n", 0644 },
	{ "$S/home/fwdloop/.forward", "fwdloop2\n", 0644 },
	{ "$S/home/fwdloop2/.forward", "fwdloop\n", 0644 },
};

static int
sandbox(void)
{
	static const char *const users[] = {
		"walter", "dude", "bob", "self", "fwd", "fwdempty", "fwdcmd",
		"fwdbad", "fwdhome", "fwdloop", "fwdloop2", NULL
	};
	struct buf	 pw = BUF_INIT(1 << 16), path = BUF_INIT(4096);
	char		 tmpl[] = "/tmp/t-local.XXXXXX";
	size_t		 i;
	int		 r = 0;

	if (mkdtemp(tmpl) == NULL || realpath(tmpl, S) == NULL)
		return -1;
	(void)buf_printf(&path, "%s/home", S);
	r |= mkdir(buf_str(&path), 0755);
	buf_reset(&path);
	(void)buf_printf(&path, "%s/spool", S);
	r |= mkdir(buf_str(&path), 0755);
	for (i = 0; users[i] != NULL; i++) {
		(void)buf_printf(&pw, "%s:x:%lu:%lu:%s:%s/home/%s:/bin/sh\n",
		    users[i], (unsigned long)getuid(), (unsigned long)getgid(),
		    users[i], S, users[i]);
		buf_reset(&path);
		(void)buf_printf(&path, "%s/home/%s", S, users[i]);
		r |= mkdir(buf_str(&path), 0755);
	}
	r |= put_file("$S/passwd", buf_str(&pw), 0644);
	r |= put_file("$S/main.cf",
	    "myhostname = mx.example.test\n"
	    "mydomain = example.test\n"
	    "myorigin = example.test\n"
	    "mydestination = example.test, localhost\n"
	    "mail_spool_directory = $S/spool\n"
	    "local_passwd_file = $S/passwd\n"
	    "alias_maps = hash:$S/aliases\n", 0644);
	for (i = 0; i < sizeof files / sizeof files[0]; i++)
		r |= put_file(files[i].path, files[i].text, files[i].mode);
	buf_reset(&path);
	(void)buf_printf(&path, "%s/home/fwdhome", S);
	r |= chmod(buf_str(&path), 0777);
	r |= aliases();
	r |= canonical();
	buf_free(&pw);
	buf_free(&path);
	return r;
}

/* actions - "kind target" of each action line of the plan */
static void
actions(const char *plan, struct buf *out)
{
	const char	*p, *nl, *t1, *t2;

	buf_reset(out);
	(void)buf_add(out, "", 0);
	for (p = plan; *p != '\0'; p = *nl ? nl + 1 : nl) {
		if ((nl = strchr(p, '\n')) == NULL)
			nl = p + strlen(p);
		if (strncmp(p, "action\t", 7) != 0)
			continue;
		t1 = p + 7;
		if ((t2 = memchr(t1, '\t', (size_t)(nl - t1))) == NULL)
			continue;
		(void)buf_add(out, t1, (size_t)(t2 - t1));
		(void)buf_addc(out, ' ');
		t1 = t2 + 1;
		if ((t2 = memchr(t1, '\t', (size_t)(nl - t1))) == NULL)
			t2 = nl;
		(void)buf_add(out, t1, (size_t)(t2 - t1));
		(void)buf_addc(out, '\n');
	}
}

/* never_root - no command or file action runs as uid 0 */
static int
never_root(const char *plan)
{
	const char	*p;

	for (p = plan; (p = strstr(p, "action\t")) != NULL; p++)
		if ((strncmp(p + 7, "command\t", 8) == 0 ||
		    strncmp(p + 7, "file\t", 5) == 0) &&
		    strstr(p, "\tuid=0\t") != NULL &&
		    strstr(p, "\tuid=0\t") < strchr(p, '\n'))
			return 0;
	return 1;
}

static void
run_row(const struct row *r)
{
	struct mail_conf	*conf;
	struct mail_err		 e;
	struct buf		 plan = BUF_INIT(1 << 20), got = BUF_INIT(1 << 20);
	struct buf		 want = BUF_INIT(1 << 16), cf = BUF_INIT(4096);
	char			*set, *nv, *next, *eq;
	const char		*msg = r->msg != NULL ? r->msg : MSG, *w;
	int			 n, ex;

	(void)buf_printf(&cf, "%s/main.cf", S);
	if (conf_load(&conf, buf_str(&cf), &e) != EX_OK) {
		ok(0, "%s: configuration: %s %s", r->name, e.enh, e.text);
		goto out;
	}
	if (r->set != NULL) {
		set = strdup(subst(r->set, &cf));
		for (nv = set; nv != NULL; nv = next) {
			if ((next = strchr(nv, ';')) != NULL)
				*next++ = '\0';
			if ((eq = strchr(nv, '=')) == NULL)
				continue;
			*eq = '\0';
			if (conf_set(conf, nv, eq + 1, &e) != EX_OK)
				diag("%s: conf_set %s: %s", r->name, nv,
				    e.text);
		}
		free(set);
	}
	for (n = 0; n < 4 && r->rcpt[n] != NULL; n++)
		;
	ex = local_deliver(conf, "sender@example.org",
	    (char *const *)r->rcpt, n, msg, strlen(msg), LOCAL_DRYRUN, &plan,
	    NULL, NULL, &e);
	if (!is_int(ex, r->ex, r->name))
		diag("%s %s", e.enh, e.text);
	if (r->enh != NULL)
		is_str(e.enh, r->enh, "  enhanced code");
	if (r->text != NULL) {
		w = subst(r->text, &want);
		if (!ok(strncmp(e.text, w, strlen(w)) == 0, "  reason"))
			diag("got \"%s\", want \"%s...\"", e.text, w);
	}
	actions(buf_str(&plan), &got);
	is_str(buf_str(&got), subst(r->acts, &want), "  actions");
	if (r->plan != NULL) {
		w = subst(r->plan, &want);
		if (!ok(strstr(buf_str(&plan), w) != NULL,
		    "  the plan says \"%s\"", w))
			diag("plan:\n%s", buf_str(&plan));
	}
	if (!never_root(buf_str(&plan)))
		ok(0, "  a command or file runs as root:\n%s", buf_str(&plan));
	conf_free(conf);
out:
	buf_free(&plan);
	buf_free(&got);
	buf_free(&want);
	buf_free(&cf);
}

static const struct {
	const char	*in, *want;
} sanitize[] = {
	{ "walter@example.test", "walter@example.test" },
	{ "a!b%c-d_e=f+g:h,i.j/k", "a!b%c-d_e=f+g:h,i.j/k" },
	{ "$(touch /tmp/pwn)", "__touch_/tmp/pwn_" },
	{ "`id`", "_id_" },
	{ "() { :; }; /bin/touch /tmp/shock", "_____:_____/bin/touch_/tmp/shock" },
	{ "a;b|c&d<e>f", "a_b_c_d_e_f" },
	{ "quote\"s'and\\", "quote_s_and_" },
	{ "tab\there\nnl\r", "tab_here_nl_" },
	{ "Gr\303\274\303\237e", "Gr____e" },
	{ "", "" },
};

static void
read_message(const char *in, unsigned long long max, int want_ex,
    const char *want, const char *name)
{
	struct buf	 msg;
	struct mail_err	 e;
	int		 p[2], ex;

	if (pipe(p) == -1) {
		ok(0, "%s: pipe: %s", name, strerror(errno));
		return;
	}
	if (write(p[1], in, strlen(in)) != (ssize_t)strlen(in))
		diag("short write to the pipe");
	close(p[1]);
	ex = local_read_message(p[0], &msg, max, &e);
	close(p[0]);
	is_int(ex, want_ex, name);
	if (want_ex == EX_OK)
		is_str(buf_str(&msg), want, "  the message");
	else
		is_str(e.enh, want, "  enhanced code");
	buf_free(&msg);
}

/*
 * become - local_become() in a child.  As root: every id and the group
 * list are the new ones afterwards, and root cannot be had back.  As
 * anyone else: nothing changes.  The child's status says which check
 * failed (0: none).
 */
static int
become(uid_t uid, gid_t gid)
{
	uid_t	ru, eu, su, me = geteuid();
	gid_t	rg, eg, sg, groups[4];
	pid_t	pid;
	int	st, n;

	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		if (local_become(uid, gid) == -1)
			_exit(1);
		if (getresuid(&ru, &eu, &su) == -1 ||
		    getresgid(&rg, &eg, &sg) == -1)
			_exit(2);
		if (me != 0)
			_exit(ru == me && eu == me && su == me ? 0 : 3);
		if (ru != uid || eu != uid || su != uid)
			_exit(4);
		if (rg != gid || eg != gid || sg != gid)
			_exit(5);
		n = getgroups(4, groups);
		if (n != 1 || groups[0] != gid)
			_exit(6);
		if (setuid(0) == 0 || seteuid(0) == 0)
			_exit(7);
		_exit(0);
	}
	if (waitpid(pid, &st, 0) == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

int
main(void)
{
	char	 v[256], rm[sizeof S + 16];
	size_t	 i;

	log_open("t-local", LOG_TO_STDERR);
	umask(022);
	for (i = 0; i < sizeof sanitize / sizeof sanitize[0]; i++) {
		snprintf(v, sizeof v, "%s", sanitize[i].in);
		local_sanitize(v);
		is_str(v, sanitize[i].want, "local_sanitize");
	}
	read_message("a\r\nb\r\n\r\nc\rd\n", 0, EX_OK, "a\nb\n\nc\rd\n",
	    "read: CR LF becomes LF, a bare CR stays");
	read_message("", 0, EX_OK, "", "read: an empty message");
	read_message("0123456789", 10, EX_OK, "0123456789",
	    "read: exactly the limit");
	read_message("0123456789x", 10, EX_DATAERR, "5.3.4",
	    "read: one byte over the limit");

	is_int(become(1234, 1235), 0, geteuid() == 0 ?
	    "local_become: uid, gid and groups are the new ones, for good" :
	    "local_become: not root, nothing changes");

	if (sandbox() != 0) {
		ok(0, "sandbox in %s: %s", S, strerror(errno));
		return tap_done();
	}
	for (i = 0; i < sizeof rows / sizeof rows[0]; i++)
		run_row(&rows[i]);
	snprintf(rm, sizeof rm, "rm -rf '%s'", S);
	if (system(rm) != 0)
		diag("could not remove %s", S);
	return tap_done();
}
