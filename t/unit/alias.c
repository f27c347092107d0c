/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for libmail/alias: the aliases(5) parser (names, quoting,
 * continuation, errors with file:line), alias_split() and alias_kind_of(),
 * and the lint of alias_check() (its warnings captured through the log
 * hook, users from a passwd-format file written here).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "alias.h"
#include "buf.h"
#include "log.h"
#include "tap.h"

static struct buf	got = BUF_INIT(1 << 20);

/* record - each entry as "line|name|value\n" */
static int
record(void *arg, const char *name, const char *value, const char *file,
    unsigned long line)
{
	buf_printf(&got, "%lu|%s|%s\n", line, name, value);
	return 0;
}

static FILE *
mem(const char *s, size_t n)
{
	FILE	*fp = fmemopen((void *)s, n, "r");

	if (fp == NULL) {
		perror("fmemopen");
		exit(1);
	}
	return fp;
}

static const struct {
	const char	*in;
	int		 rc;
	const char	*want;		/* the entries, or the error text */
} parse_cases[] = {
	{ "root: walter\npostmaster: root\n", EX_OK,
	  "1|root|walter\n2|postmaster|root\n" },
	{ "Root: Alice\n", EX_OK, "1|root|Alice\n" },
	{ "# comment\n\nroot:walter\n   # indented comment\n", EX_OK,
	  "3|root|walter\n" },
	{ "staff: a,\n  b,\n\tc\nnext: x\n", EX_OK,
	  "1|staff|a, b, c\n4|next|x\n" },
	{ "list: a,\n# between\n  b\n", EX_OK, "1|list|a, b\n" },
	{ "root  :   walter   \n", EX_OK, "1|root|walter\n" },
	{ "\"a:b\": x\n\"x y\": z\n\"x@y\": w\n", EX_OK,
	  "1|a:b|x\n2|x y|z\n3|x@y|w\n" },
	{ "\"Q\\\"t\" : v\n", EX_OK, "1|q\"t|v\n" },
	{ "pipe: \"|/usr/bin/prog -x \\\"a b\\\"\"\n", EX_OK,
	  "1|pipe|\"|/usr/bin/prog -x \\\"a b\\\"\"\n" },
	{ "inc: :include:/path\nf: /file\n", EX_OK,
	  "1|inc|:include:/path\n2|f|/file\n" },
	{ "h: \"#not a comment\", b\n", EX_OK,
	  "1|h|\"#not a comment\", b\n" },
	{ "crlf: a\r\nnext: b\r\n", EX_OK, "1|crlf|a\n2|next|b\n" },
	{ "utf: j\xc3\xbcrgen\n\"j\xc3\xbcrgen\": x\n", EX_OK,
	  "1|utf|j\xc3\xbcrgen\n2|j\xc3\xbcrgen|x\n" },
	{ "x: a,,b,\n", EX_OK, "1|x|a,,b,\n" },
	{ "", EX_OK, "" },
	{ "nocolon walter\n", EX_DATAERR,
	  "f:1: missing colon after the name (want \"name: target, ...\")" },
	{ "ok: a\n\nx:\n", EX_DATAERR, "f:3: \"x:\" has no target" },
	{ "x:   ,  ,\n", EX_DATAERR, "f:1: \"x:\" has no target" },
	{ "  cont: a\n", EX_DATAERR,
	  "f:1: continuation line without a line to continue" },
	{ "a@b: c\n", EX_DATAERR, "f:1: the name must be a local part "
	  "without \"@\" (quote the name if the \"@\" belongs to it)" },
	{ "a%b: c\n", EX_DATAERR, "f:1: the name must be a local part "
	  "without \"%\" (quote the name if the \"%\" belongs to it)" },
	{ "a b: c\n", EX_DATAERR,
	  "f:1: white space in the name: quote the whole name" },
	{ "a\"b\": c\n", EX_DATAERR,
	  "f:1: a quote in the name: quote the whole name" },
	{ "\"open: c\n", EX_DATAERR, "f:1: unterminated quoted name" },
	{ "\"a\" x: c\n", EX_DATAERR,
	  "f:1: text between the quoted name and the colon" },
	{ "\"a\"\n", EX_DATAERR, "f:1: missing colon after the name" },
	{ ": c\n", EX_DATAERR, "f:1: empty name" },
	{ "\"\": c\n", EX_DATAERR, "f:1: empty name" },
	{ "a: \"open\n", EX_DATAERR,
	  "f:1: unterminated quoted string in target list" },
	{ "a: b, \"\"\n", EX_DATAERR,
	  "f:1: empty quoted target in target list" },
	{ "a: b\x01\n", EX_DATAERR, "f:1: control character in line" },
	{ "ok: a\nlater: b\n  more\nbad\n", EX_DATAERR,
	  "f:4: missing colon after the name (want \"name: target, ...\")" },
};

static void
test_parse(void)
{
	struct mail_err	 e;
	FILE		*fp;
	char		 name[64];
	size_t		 i;
	int		 rc;

	for (i = 0; i < sizeof parse_cases / sizeof parse_cases[0]; i++) {
		buf_reset(&got);
		mail_err_clear(&e);
		fp = mem(parse_cases[i].in, strlen(parse_cases[i].in));
		rc = alias_parse(fp, "f", record, NULL, &e);
		fclose(fp);
		snprintf(name, sizeof name, "parse case %zu: status", i);
		is_int(rc, parse_cases[i].rc, name);
		snprintf(name, sizeof name, "parse case %zu: %s", i,
		    parse_cases[i].rc == EX_OK ? "entries" : "error text");
		is_str(parse_cases[i].rc == EX_OK ? buf_str(&got) : e.text,
		    parse_cases[i].want, name);
	}
}

static void
test_parse_bytes(void)
{
	static const char	 nul[] = "a: b\nc: d\0e\n";
	struct mail_err		 e;
	struct buf		 big = BUF_INIT(2 << 20);
	FILE			*fp;
	int			 rc;
	size_t			 i;

	fp = mem(nul, sizeof nul - 1);
	rc = alias_parse(fp, "f", record, NULL, &e);
	fclose(fp);
	is_int(rc, EX_DATAERR, "a NUL byte is a data error");
	is_str(e.text, "f:2: NUL byte in line", "naming its line");

	/* A line of exactly 1 MiB is too long by the newline's worth. */
	buf_adds(&big, "x: ");
	for (i = 0; i < (1 << 20); i++)
		buf_addc(&big, 'a');
	buf_adds(&big, "\n");
	fp = mem(big.s, big.len);
	rc = alias_parse(fp, "f", record, NULL, &e);
	fclose(fp);
	is_int(rc, EX_DATAERR, "a 1 MiB line is a data error");
	is_str(e.text, "f:1: line longer than 1048576 bytes",
	    "naming its line and the limit");
	buf_free(&big);
}

/* stop - a callback that stops the parse at the second entry */
static int
stop(void *arg, const char *name, const char *value, const char *file,
    unsigned long line)
{
	return ++*(int *)arg == 2 ? 42 : 0;
}

static void
test_parse_stop(void)
{
	struct mail_err	 e;
	FILE		*fp;
	int		 n = 0, rc;

	fp = mem("a: b\nc: d\ne: f\n", 15);
	rc = alias_parse(fp, "f", stop, &n, &e);
	fclose(fp);
	is_int(rc, 42, "a callback's non-zero is returned");
	is_int(n, 2, "and stops the parse");
}

static int
targets(void *arg, enum alias_kind k, const char *t)
{
	static const char	*kinds = "LRCFI";

	buf_printf(&got, "%c[%s]", kinds[k], t);
	return 0;
}

static const struct {
	const char	*in;
	int		 rc;
	const char	*want;
} split_cases[] = {
	{ "walter", EX_OK, "L[walter]" },
	{ "a, b@example.com,\"|cmd x\" ,/var/log/x, :include:/etc/l",
	  EX_OK, "L[a]R[b@example.com]C[|cmd x]F[/var/log/x]I[:include:/etc/l]" },
	{ "\"|/usr/bin/prog -x \\\"a b\\\"\"", EX_OK,
	  "C[|/usr/bin/prog -x \"a b\"]" },
	{ "\"|echo a, b\", c", EX_OK, "C[|echo a, b]L[c]" },
	{ "\" padded \" ,x", EX_OK, "L[ padded ]L[x]" },
	{ "a,,b,", EX_OK, "L[a]L[b]" },
	{ "\"a\\\\b\"", EX_OK, "L[a\\b]" },
	{ "\\walter", EX_OK, "L[\\walter]" },
	{ ":INCLUDE:/x", EX_OK, "I[:INCLUDE:/x]" },
	{ "a b", EX_OK, "L[a b]" },
	{ "", EX_OK, "" },
	{ "\"a", EX_DATAERR, "unterminated quoted string in target list" },
	{ "a, \"\"", EX_DATAERR, "empty quoted target in target list" },
};

static void
test_split(void)
{
	struct mail_err	e;
	size_t		i;
	int		rc;

	for (i = 0; i < sizeof split_cases / sizeof split_cases[0]; i++) {
		buf_reset(&got);
		mail_err_clear(&e);
		rc = alias_split(split_cases[i].in, targets, NULL, &e);
		is_int(rc, split_cases[i].rc, "split status");
		if (rc == EX_OK)
			is_str(buf_str(&got), split_cases[i].want,
			    split_cases[i].in);
		else
			is_str(e.text, split_cases[i].want, split_cases[i].in);
	}
}

static const struct {
	const char	*in;
	enum alias_kind	 want;
} kind_cases[] = {
	{ "walter", ALIAS_LOCAL },
	{ "\\walter", ALIAS_LOCAL },
	{ "a@b", ALIAS_REMOTE },
	{ "|cmd", ALIAS_COMMAND },
	{ "|x@y", ALIAS_COMMAND },
	{ "/var/mail/x", ALIAS_FILE },
	{ "/dir/", ALIAS_FILE },
	{ ":include:/x", ALIAS_INCLUDE },
	{ ":Include:/x", ALIAS_INCLUDE },
	{ ":include", ALIAS_LOCAL },
};

static void
test_kind(void)
{
	size_t	i;

	for (i = 0; i < sizeof kind_cases / sizeof kind_cases[0]; i++)
		is_int(alias_kind_of(kind_cases[i].in), kind_cases[i].want,
		    kind_cases[i].in);
}

static struct buf	warnings = BUF_INIT(1 << 20);

static void
hook(int pri, const char *line)
{
	if (pri == LOG_WARNING)
		buf_printf(&warnings, "%s\n", line);
}

static const struct {
	const char	*in;
	int		 flags;
	const char	*want;
} lint_cases[] = {
	{ "root: walter\npostmaster: root\n", 0, "" },
	{ "loopa: loopb\nloopb: loopa\n", 0,
	  "f:1: alias loop: loopa -> loopb -> loopa\n" },
	{ "x: walter\na: b\nb: c, walter\nc: A\n", 0,
	  "f:2: alias loop: a -> b -> c -> a\n" },
	{ "a: b, c\nb: c\nc: a\n", 0,
	  "f:1: alias loop: a -> c -> a\n" },
	{ "self: self, walter\n", 0,
	  "f:1: alias \"self\" lists itself, which means the mailbox of "
	  "user \"self\", but there is no such local user\n" },
	{ "walter: walter, dude\n", 0, "" },
	{ "root: \\walter\nwalter: dude\n", 0, "" },
	{ "root: bob\n", 0,
	  "f:1: alias \"root\": target \"bob\" is neither an alias nor a "
	  "local user\n" },
	{ "root: \\nobody\n", 0,
	  "f:1: alias \"root\": target \"\\nobody\" is not a local user\n" },
	{ "root: Walter, x@y, \"|cmd\", /f\n", 0, "" },
	{ "list: :include:/nonexistent/list\n", 0,
	  "f:1: list -> :include:/nonexistent/list: No such file or "
	  "directory\n" },
	{ "list: :include:/dev/null\n", 0, "" },
	{ "list: :include:rel\n", 0,
	  "f:1: list -> :include:rel: not an absolute path\n" },
	{ "a: walter\nA: dude\n", 0,
	  "f:2: duplicate alias \"a\" ignored: first defined at f:1\n" },
	{ "a: walter\nA: dude\n", ALIAS_F_NODUPWARN, "" },
	{ "a: b\nb: a\na: walter\n", 0,
	  "f:3: duplicate alias \"a\" ignored: first defined at f:1\n"
	  "f:1: alias loop: a -> b -> a\n" },
};

static void
test_lint(const char *pw)
{
	struct mail_err	 e;
	FILE		*fp;
	char		 name[64];
	size_t		 i;
	int		 rc;

	log_set_hook(hook);
	for (i = 0; i < sizeof lint_cases / sizeof lint_cases[0]; i++) {
		buf_reset(&warnings);
		fp = mem(lint_cases[i].in, strlen(lint_cases[i].in));
		rc = alias_check(fp, "f", pw, lint_cases[i].flags, &e);
		fclose(fp);
		snprintf(name, sizeof name, "lint case %zu: status", i);
		is_int(rc, EX_OK, name);
		snprintf(name, sizeof name, "lint case %zu: warnings", i);
		is_str(buf_str(&warnings), lint_cases[i].want, name);
	}
	fp = mem("a: b\n", 5);
	rc = alias_check(fp, "f", "/nonexistent/passwd", 0, &e);
	fclose(fp);
	is_int(rc, EX_CONFIG, "a missing passwd file is a config error");
	fp = mem("a b\n", 4);
	rc = alias_check(fp, "f", pw, 0, &e);
	fclose(fp);
	is_int(rc, EX_DATAERR, "alias_check reports syntax errors");
	log_set_hook(NULL);
}

/* a long chain and a long loop: no recursion, one warning */
static void
test_lint_scale(const char *pw)
{
	struct buf	 in = BUF_INIT(8 << 20);
	struct mail_err	 e;
	FILE		*fp;
	int		 i, rc;

	for (i = 0; i < 200000; i++)
		buf_printf(&in, "c%d: c%d\n", i, i + 1);
	buf_printf(&in, "c%d: walter\n", i);
	for (i = 0; i < 200000; i++)
		buf_printf(&in, "l%d: l%d\n", i, (i + 1) % 200000);
	log_set_hook(hook);
	buf_reset(&warnings);
	fp = mem(in.s, in.len);
	rc = alias_check(fp, "f", pw, 0, &e);
	fclose(fp);
	log_set_hook(NULL);
	is_int(rc, EX_OK, "400001 aliases checked");
	ok(strncmp(buf_str(&warnings), "f:200002: alias loop: l0 -> l1 -> ",
	    34) == 0, "a 200000-alias loop is one warning at its first line");
	ok(strstr(buf_str(&warnings), " ...\n") != NULL &&
	    strchr(buf_str(&warnings), '\n') ==
	    buf_str(&warnings) + warnings.len - 1,
	    "its chain is cut, and nothing else is reported");
	buf_free(&in);
}

int
main(void)
{
	char	 pw[] = "alias-passwd.XXXXXX";
	FILE	*fp;
	int	 fd;

	log_open("alias", 0);	/* warnings reach the hook only */
	if ((fd = mkstemp(pw)) == -1 || (fp = fdopen(fd, "w")) == NULL) {
		perror(pw);
		return 1;
	}
	fprintf(fp, "walter:x:1001:1001::/home/walter:/bin/sh\n"
	    "dude:x:1002:1002::/home/dude:/bin/sh\n");
	fclose(fp);

	test_parse();
	test_parse_bytes();
	test_parse_stop();
	test_split();
	test_kind();
	test_lint(pw);
	test_lint_scale(pw);

	unlink(pw);
	buf_free(&got);
	buf_free(&warnings);
	return tap_done();
}
