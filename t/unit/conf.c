/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for libmail/conf: main.cf syntax, $-expansion, warnings,
 * defaults, the file search order, typed getters and the man page's list
 * of parameters.  Fixture files go into a fresh mkdtemp() directory.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "tap.h"

static char	tmpdir[1024];
static char	warns[8192];	/* warnings since the last load, "|"-joined */

/* hook - collect warnings, with the fixture directory cut off */
static void
hook(int pri, const char *line)
{
	size_t	n = strlen(tmpdir), used = strlen(warns);

	if (strncmp(line, tmpdir, n) == 0 && line[n] == '/')
		line += n + 1;
	snprintf(warns + used, sizeof warns - used, "%s%s", used ? "|" : "",
	    line);
}

/* fixture - write n bytes to tmpdir/name; the path, in a static buffer */
static const char *
fixture(const char *name, const char *text, size_t n)
{
	static char	 path[1100];
	FILE		*fp;

	snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	if ((fp = fopen(path, "w")) == NULL || fwrite(text, 1, n, fp) != n ||
	    fclose(fp) != 0) {
		diag("cannot write %s: %s", path, strerror(errno));
		exit(1);
	}
	return path;
}

/* loadn - main.cf with these n bytes; EX_* and *cp */
static int
loadn(const char *text, size_t n, struct mail_conf **cp, struct mail_err *e)
{
	warns[0] = '\0';
	return conf_load(cp, fixture("main.cf", text, n), e);
}

/* load - main.cf with this text */
static int
load(const char *text, struct mail_conf **cp, struct mail_err *e)
{
	return loadn(text, strlen(text), cp, e);
}

/* A file and what one parameter expands to. */
static const struct {
	const char	*name, *in, *param, *want;
} values[] = {
	{ "name = value", "relayhost = [smart.example]:587\n", "relayhost",
	    "[smart.example]:587" },
	{ "no white space around =", "relayhost=x.example\n", "relayhost",
	    "x.example" },
	{ "white space trimmed", "relayhost \t=   x.example \t \n",
	    "relayhost", "x.example" },
	{ "no final newline", "relayhost = x", "relayhost", "x" },
	{ "continuation lines join with a space",
	    "mydestination = a,\n    b,\n\tc\n", "mydestination", "a, b, c" },
	{ "comment and blank lines", "# c\n\nrelayhost = x\n  # i\n\n",
	    "relayhost", "x" },
	{ "a comment inside a continued value",
	    "mydestination = a,\n# c\n  b\n", "mydestination", "a, b" },
	{ "# inside a value is part of it", "smtpd_banner = hi # there\n",
	    "smtpd_banner", "hi # there" },
	{ "= inside a value", "mail_name = a=b\n", "mail_name", "a=b" },
	{ "empty value", "relayhost =\n", "relayhost", "" },
	{ "tab inside a value", "mail_name = a\tb\n", "mail_name", "a\tb" },
	{ "the last setting wins", "relayhost = a\nrelayhost = b\n",
	    "relayhost", "b" },
	{ "CRLF line ends", "relayhost = x\r\nmail_name = y\r\n  z\r\n",
	    "mail_name", "y z" },
	{ "$name", "mail_name = m\nsmtpd_banner = <$mail_name>\n",
	    "smtpd_banner", "<m>" },
	{ "${name}", "mail_name = m\nsmtpd_banner = ${mail_name}x\n",
	    "smtpd_banner", "mx" },
	{ "$(name)", "mail_name = m\nsmtpd_banner = $(mail_name)x\n",
	    "smtpd_banner", "mx" },
	{ "$name ends at a non-name character",
	    "mail_name = m\nsmtpd_banner = $mail_name.x-y\n", "smtpd_banner",
	    "m.x-y" },
	{ "expansion at use time: defined later",
	    "smtpd_banner = $mail_name\nmail_name = late\n", "smtpd_banner",
	    "late" },
	{ "expansion at use time: the last setting",
	    "mail_name = a\nsmtpd_banner = $mail_name\nmail_name = b\n",
	    "smtpd_banner", "b" },
	{ "$$ is a literal $", "mail_name = a$$b\n", "mail_name", "a$b" },
	{ "$$name is not expanded", "mail_name = $$myhostname\n",
	    "mail_name", "$myhostname" },
	{ "recursive expansion", "x = 1\ny = $x$x\nmail_name = $y-$y\n",
	    "mail_name", "11-11" },
	{ "a default refers to a file value",
	    "myhostname = h.example\nmail_name = M\n", "smtpd_banner",
	    "h.example ESMTP M" },
	{ "${name?text}, name set", "relayhost = r\nmail_name = ${relayhost?yes}\n",
	    "mail_name", "yes" },
	{ "${name?text}, name empty", "relayhost =\nmail_name = a${relayhost?yes}\n",
	    "mail_name", "a" },
	{ "${name?text}, name undefined", "mail_name = a${nosuch?yes}\n",
	    "mail_name", "a" },
	{ "${name:text}, name empty", "relayhost =\nmail_name = ${relayhost:no}\n",
	    "mail_name", "no" },
	{ "${name:text}, name set", "relayhost = r\nmail_name = a${relayhost:no}\n",
	    "mail_name", "a" },
	{ "${name:text}, name undefined", "mail_name = ${nosuch:dflt}\n",
	    "mail_name", "dflt" },
	{ "$(name?text)", "relayhost = r\nmail_name = $(relayhost?p)\n",
	    "mail_name", "p" },
	{ "nested ${a?$b}",
	    "relayhost = r\nx = B\nmail_name = ${relayhost?$x}\n", "mail_name",
	    "B" },
	{ "nested ${a?${b:c}}",
	    "relayhost = r\nmail_name = ${relayhost?<${nosuch:c}>}\n",
	    "mail_name", "<c>" },
	{ "braces nest inside the text",
	    "relayhost = r\nmail_name = ${relayhost?{x}}\n", "mail_name", "{x}" },
	{ "the other bracket does not nest",
	    "relayhost = r\nmail_name = $(relayhost?{x)\n", "mail_name", "{x" },
	{ "text may hold : and ?", "mail_name = ${nosuch:a:b?c}\n",
	    "mail_name", "a:b?c" },
	{ "an undefined name expands to nothing", "mail_name = <$nosuch>\n",
	    "mail_name", "<>" },
	{ "a user-defined macro", "site = example.org\nmyorigin = $site\n",
	    "myorigin", "example.org" },
	{ "a user-defined macro can be read", "site = example.org\n",
	    "site", "example.org" },
	{ "mydomain: myhostname without its first label",
	    "myhostname = mx.example.org\n", "mydomain", "example.org" },
	{ "mydomain: localdomain for a short myhostname",
	    "myhostname = box\n", "mydomain", "localdomain" },
	{ "mydestination default",
	    "myhostname = mx.example.org\n", "mydestination",
	    "mx.example.org, localhost.example.org, localhost" },
	{ "mydestination follows mydomain",
	    "myhostname = mx.example.org\nmydomain = example.net\n",
	    "mydestination", "mx.example.org, localhost.example.net, localhost" },
	{ "myorigin default", "myhostname = mx.example.org\n", "myorigin",
	    "mx.example.org" },
	{ "forward_path is not expanded here",
	    "forward_path = $home/.forward, $$x\n", "forward_path",
	    "$home/.forward, $$x" },
	{ "a parameter refers to forward_path raw",
	    "mail_name = $forward_path\n", "mail_name", "$home/.forward" },
	{ "UTF-8 in a value", "mail_name = Bäckerei\n", "mail_name",
	    "Bäckerei" },
};

/* A file and the EX_CONFIG error it gives. */
static const struct {
	const char	*name, *in, *want;
} errors[] = {
	{ "a line without =", "relayhost = x\nrelayhost x\n",
	    "main.cf:2: missing '=' in \"relayhost x\"" },
	{ "an empty name", "# c\n= x\n", "main.cf:2: empty parameter name" },
	{ "a name with -", "foo-bar = x\n",
	    "main.cf:1: bad character '-' in parameter name \"foo-bar\"" },
	{ "a name with a space", "foo bar = x\n",
	    "main.cf:1: bad character ' ' in parameter name" },
	{ "a name with $", "$x = y\n",
	    "main.cf:1: bad character '$' in parameter name" },
	{ "a name with a control byte", "a\033b = y\n",
	    "main.cf:1: bad character \\x1b in parameter name" },
	{ "a name too long",
	    "a1234567890123456789012345678901234567890123456789"
	    "01234567890123456789012345678901234567890123456789x = x\n",
	    "main.cf:1: parameter name longer than 100 bytes" },
	{ "a continuation line first", "  relayhost = x\n",
	    "main.cf:1: continuation line without a line to continue" },
	{ "a control byte in a value", "mail_name = a\001b\n",
	    "main.cf:1: control character \\x01 in the value of mail_name" },
	{ "a CR inside a value", "mail_name = a\rb\n",
	    "main.cf:1: control character \\x0d in the value of mail_name" },
	{ "a loop", "a = $b\nb = $a\n",
	    "main.cf:1: loop in $-expansion: a -> b -> a" },
	{ "a parameter refers to itself", "mail_name = x$mail_name\n",
	    "main.cf:1: loop in $-expansion: mail_name -> mail_name" },
	{ "a loop through a default", "myhostname = $myorigin\n",
	    "main.cf:1: loop in $-expansion: myhostname -> myorigin -> "
	    "myhostname" },
	{ "a loop through ${name?text}", "a = ${b?x}\nb = y$a\n",
	    "loop in $-expansion: a -> b -> a" },
	{ "a loop through ${name:text}", "a = ${nosuch:$b}\nb = $a\n",
	    "loop in $-expansion: a -> b -> a" },
	{ "a loop via mydomain", "myhostname = mx.$mydomain\n",
	    "main.cf:1: loop in $-expansion: myhostname -> mydomain -> "
	    "myhostname" },
	{ "$ at the end", "mail_name = a$\n",
	    "main.cf:1: mail_name: '$' without a name (write $$ for a literal "
	    "$) in \"$\"" },
	{ "$ before a space", "mail_name = a$ b\n",
	    "main.cf:1: mail_name: '$' without a name" },
	{ "${}", "mail_name = ${}\n",
	    "main.cf:1: mail_name: missing name after $ in \"${}\"" },
	{ "${ without }", "mail_name = ${relayhost\n",
	    "main.cf:1: mail_name: missing '}' in \"${relayhost\"" },
	{ "$( without )", "mail_name = $(relayhost}\n",
	    "main.cf:1: mail_name: missing ')'" },
	{ "${name junk}", "mail_name = ${relayhost x}\n",
	    "main.cf:1: mail_name: missing '}'" },
	{ "${name?text without }", "mail_name = ${relayhost?x\n",
	    "main.cf:1: mail_name: missing '}'" },
	{ "a bad $ in a branch not taken", "relayhost =\nmail_name = "
	    "${relayhost?$}\n", "main.cf:2: mail_name: '$' without a name" },
	{ "a bad $ in a parameter nobody uses", "foo = $\n",
	    "main.cf:1: foo: '$' without a name" },
};

/* A file and the warnings it gives, in order, "|"-joined. */
static const struct {
	const char	*name, *in, *want;
} warnings[] = {
	{ "known names give no warning",
	    "relayhost = x\nmyorigin = $mydomain\n", "" },
	{ "an unknown name",
	    "# 1\n# 2\n# 3\n# 4\n# 5\n# 6\n# 7\n# 8\n# 9\n# 10\n# 11\n"
	    "foo_bar = 1\n", "main.cf:12: unknown parameter foo_bar" },
	{ "unknown names in file order", "zz = 1\nrelayhost = x\naa = 2\n",
	    "main.cf:1: unknown parameter zz|main.cf:3: unknown parameter aa" },
	{ "a name used by $name is a macro", "site = x\nmyorigin = $site\n",
	    "" },
	{ "a name used before it is set", "myorigin = ${site}\nsite = x\n",
	    "" },
	{ "a name used inside ${a?$b}",
	    "site = x\nmyorigin = ${relayhost?$(site)}\n", "" },
	{ "a macro used by a macro only", "a = 1\nb = $a\n",
	    "main.cf:2: unknown parameter b" },
	{ "a name used by forward_path is not a use",
	    "home = x\nforward_path = $home/.forward\n",
	    "main.cf:1: unknown parameter home" },
	{ "a name set twice", "relayhost = a\n\nrelayhost = b\n",
	    "main.cf:3: relayhost overrides line 1" },
	{ "an undefined $name", "mail_name = $nosuch\n",
	    "main.cf:1: mail_name: $nosuch is not a parameter; it expands to "
	    "nothing" },
	{ "an undefined name in ${name:text} is fine",
	    "mail_name = ${nosuch:x}${nosuch2?y}\n", "" },
	{ "a misspelt name used by $name is taken for a macro",
	    "myorigin = $mydomian\nmydomian = x\n", "" },
	{ "a misspelt name", "relayhots = x\n",
	    "main.cf:1: unknown parameter relayhots" },
};

/* Every parameter's default, as conf_get_raw shows it. */
static const struct {
	const char	*name, *raw;
} defaults[] = {
	{ "myorigin", "$myhostname" },
	{ "mydestination", "$myhostname, localhost.$mydomain, localhost" },
	{ "relayhost", "" },
	{ "relay_domains", "" },
	{ "mynetworks", "127.0.0.0/8 [::1]/128" },
	{ "inet_interfaces", "all" },
	{ "alias_database", "hash:$config_directory/aliases" },
	{ "alias_maps", "$alias_database" },
	{ "canonical_maps", "" },
	{ "sender_canonical_maps", "" },
	{ "recipient_canonical_maps", "" },
	{ "mail_spool_directory", MAILPATH_LOCALSTATEDIR "/mail" },
	{ "home_mailbox", "" },
	{ "mailbox_size_limit", "51200000" },
	{ "message_size_limit", "10240000" },
	{ "queue_directory", MAILPATH_LOCALSTATEDIR "/spool/mailpath" },
	{ "maximal_queue_lifetime", "5d" },
	{ "bounce_queue_lifetime", "5d" },
	{ "bounce_size_limit", "50000" },
	{ "minimal_backoff_time", "300s" },
	{ "maximal_backoff_time", "4000s" },
	{ "queue_run_delay", "300s" },
	{ "delivery_mode", "background" },
	{ "delay_warning_time", "0h" },
	{ "queue_minfree", "0" },
	{ "mda_deliver_program", "" },
	{ "smtp_send_program", MAILPATH_BINDIR "/smtp-send" },
	{ "default_transport", "smtp" },
	{ "smtpd_banner", "$myhostname ESMTP $mail_name" },
	{ "mail_name", "mailpath" },
	{ "smtpd_tls_cert_file", "" },
	{ "smtpd_tls_key_file", "" },
	{ "smtpd_tls_security_level", "may" },
	{ "smtpd_session_timeout", "3600s" },
	{ "smtpd_greet_pause", "0s" },
	{ "smtpd_forbid_bare_newline", "reject" },
	{ "smtpd_forbid_unauth_pipelining", "yes" },
	{ "smtpd_tls_auth_only", "yes" },
	{ "smtpd_sasl_user_maps", "" },
	{ "smtpd_sasl_failure_limit", "3" },
	{ "smtpd_sasl_failure_delay", "1s" },
	{ "smtpd_reject_unlisted_recipient", "no" },
	{ "smtpd_submission_header_from_check", "no" },
	{ "smtp_tls_security_level", "may" },
	{ "smtp_tls_CAfile", "" },
	{ "smtp_sasl_password_maps", "" },
	{ "smtp_helo_name", "$myhostname" },
	{ "smtp_tcp_port", "smtp" },
	{ "smtp_connect_timeout", "30s" },
	{ "smtp_data_done_timeout", "600s" },
	{ "smtp_tls_wrappermode", "no" },
	{ "smtp_tls_auth_only", "yes" },
	{ "smtp_sasl_auth_enable", "no" },
	{ "smtpd_sasl_auth_enable", "no" },
	{ "smtpd_sender_login_maps", "" },
	{ "recipient_delimiter", "+" },
	{ "default_privs", "nobody" },
	{ "hopcount_limit", "50" },
	{ "smtpd_recipient_limit", "1000" },
	{ "smtpd_timeout", "300s" },
	{ "smtpd_hard_error_limit", "20" },
	{ "allow_mail_to_commands", "alias, forward" },
	{ "allow_mail_to_files", "alias, forward" },
	{ "forward_path", "$home/.forward" },
	{ "deliver_lock_attempts", "20" },
	{ "deliver_lock_delay", "1s" },
	{ "stale_lock_time", "500s" },
	{ "command_time_limit", "1000s" },
	{ "dns_server", "" },
	{ "local_passwd_file", "" },
	{ "mail_owner", "" },
	{ "biff", "no" },
};

static const struct {
	const char	*in, *want;
	size_t		 n;
} lists[] = {
	{ "a, b  c,,d", "a|b|c|d|", 4 },
	{ "", "", 0 },
	{ " ,\t, ", "", 0 },
	{ "one", "one|", 1 },
	{ "a,", "a|", 1 },
	{ ",a", "a|", 1 },
	{ "127.0.0.0/8 [::1]/128", "127.0.0.0/8|[::1]/128|", 2 },
	{ "x\ny\r\nz", "x|y|z|", 3 },
	{ "hash:/etc/a,\thash:/etc/b", "hash:/etc/a|hash:/etc/b|", 2 },
};

static const struct {
	const char	*val;
	int		 want;
} bools[] = {
	{ "yes", 1 }, { "no", 0 }, { "YES", 1 }, { "No", 0 },
	{ "maybe", -1 }, { "", -1 }, { "1", -1 }, { "yes no", -1 },
};

static const struct {
	const char	*val, *err;
	long long	 want;
} nums[] = {
	{ "51200000", NULL, 51200000 },
	{ "0", NULL, 0 },
	{ "9223372036854775807", NULL, 9223372036854775807LL },
	{ "-1", "parameter message_size_limit: number out of range \"-1\"",
	    0 },
	{ "10M", "parameter message_size_limit: bad number \"10M\" (want a "
	    "whole number >= 0)", 0 },
	{ "", "parameter message_size_limit: bad number \"\"", 0 },
	{ "1 2", "parameter message_size_limit: bad number \"1 2\"", 0 },
	{ "99999999999999999999",
	    "parameter message_size_limit: number out of range", 0 },
};

static const struct {
	const char	*val, *err;
	int		 unit;
	long long	 want;
} times[] = {
	{ "300s", NULL, 's', 300 },
	{ "5d", NULL, 's', 432000 },
	{ "4000s", NULL, 'd', 4000 },
	{ "0h", NULL, 's', 0 },
	{ "2m", NULL, 's', 120 },
	{ "1w", NULL, 's', 604800 },
	{ "5", NULL, 's', 5 },
	{ "5", NULL, 'd', 432000 },
	{ "5x", "parameter maximal_queue_lifetime: bad time \"5x\" (want a "
	    "number and one of s, m, h, d, w)", 's', 0 },
	{ "d", "parameter maximal_queue_lifetime: bad time \"d\"", 's', 0 },
	{ "", "parameter maximal_queue_lifetime: bad time \"\"", 's', 0 },
	{ "-5s", "parameter maximal_queue_lifetime: time out of range",
	    's', 0 },
	{ "5 d", "parameter maximal_queue_lifetime: bad time", 's', 0 },
};

static void
test_values(void)
{
	struct mail_conf	*c;
	struct mail_err		 e;
	size_t			 i;

	for (i = 0; i < sizeof values / sizeof values[0]; i++) {
		if (!is_int(load(values[i].in, &c, &e),
		    EX_OK, values[i].name)) {
			diag("error: %s", e.text);
			continue;
		}
		is_str(conf_get(c, values[i].param), values[i].want,
		    "  its value");
		conf_free(c);
	}
}

/* visible - s with control bytes as \\ooo, for a test name (static) */
static const char *
visible(const char *s)
{
	static char	out[256];
	size_t		used = 0;

	out[0] = '\0';
	for (; *s != '\0' && used + 5 < sizeof out; s++)
		used += (size_t)snprintf(out + used, sizeof out - used,
		    (unsigned char)*s < 0x20 ? "\\%03o" : "%c",
		    (unsigned char)*s);
	return out;
}

/* contains - ok() that got holds want, "got X, want Y" otherwise */
static int
contains(const char *got, const char *want, const char *name)
{
	if (!ok(got != NULL && strstr(got, want) != NULL, "%s", name)) {
		diag("  got \"%s\", want it to contain \"%s\"",
		    got ? got : "(null)", want);
		return 0;
	}
	return 1;
}

static void
test_errors(void)
{
	struct mail_conf	*c = (struct mail_conf *)&c;
	struct mail_err		 e;
	size_t			 i;
	int			 rc;

	for (i = 0; i < sizeof errors / sizeof errors[0]; i++) {
		rc = load(errors[i].in, &c, &e);
		is_int(rc, EX_CONFIG, errors[i].name);
		is_int(e.ex, EX_CONFIG, "  e.ex is EX_CONFIG");
		ok(c == NULL, "  no configuration is handed out");
		contains(e.text, errors[i].want, "  the error text");
		conf_free(c);
	}
}

static void
test_warnings(void)
{
	struct mail_conf	*c;
	struct mail_err		 e;
	size_t			 i;

	for (i = 0; i < sizeof warnings / sizeof warnings[0]; i++) {
		if (!is_int(load(warnings[i].in, &c,
		    &e), EX_OK, warnings[i].name)) {
			diag("error: %s", e.text);
			continue;
		}
		is_str(warns, warnings[i].want, "  the warnings");
		conf_free(c);
	}
}

/* test_limits - bytes and sizes that lline and the expander refuse */
static void
test_limits(void)
{
	struct mail_conf	*c;
	struct mail_err		 e;
	char			*big, *p;
	size_t			 n, i;

	is_int(loadn("relayhost = x\nmail_name = a\0b\n", 30, &c, &e),
	    EX_CONFIG, "a NUL byte is EX_CONFIG");
	contains(e.text, "main.cf:2: NUL byte in line", "  naming file:line");

	n = 1024 * 1024 + 100;
	if ((big = malloc(n)) == NULL)
		exit(1);
	memcpy(big, "relayhost = x\nmail_name = ", 26);
	memset(big + 26, 'x', n - 27);
	big[n - 1] = '\n';
	is_int(loadn(big, n, &c, &e), EX_CONFIG, "a 1 MiB line is EX_CONFIG");
	contains(e.text, "main.cf:2: line longer than 1048576 bytes",
	    "  naming file:line");

	/* 600 KB twice is more than the 1 MiB an expanded value may be. */
	p = big;
	memcpy(p, "b = ", 4);
	memset(p + 4, 'y', 600000);
	p += 600004;
	memcpy(p, "\na = $b$b\n", 10);
	is_int(loadn(big, (size_t)(p + 10 - big), &c, &e), EX_CONFIG,
	    "an expanded value over 1 MiB is EX_CONFIG");
	contains(e.text, "main.cf:2: expanded value of a longer than 1048576",
	    "  naming the parameter");

	/* p0 = $p1, ..., p120 = end: deeper than the limit. */
	p = big;
	for (i = 0; i < 120; i++)
		p += snprintf(p, 64, "p%zu = $p%zu\n", i, i + 1);
	p += snprintf(p, 64, "p120 = end\n");
	is_int(loadn(big, (size_t)(p - big), &c, &e), EX_CONFIG,
	    "a chain of 120 parameters is EX_CONFIG");
	contains(e.text, "nested deeper than 100 levels", "  saying why");

	/* ...but 50 are fine. */
	p = big;
	for (i = 0; i < 50; i++)
		p += snprintf(p, 64, "p%zu = $p%zu\n", i, i + 1);
	p += snprintf(p, 64, "p50 = end\n");
	if (is_int(loadn(big, (size_t)(p - big), &c, &e), EX_OK,
	    "a chain of 50 parameters expands"))
		is_str(conf_get(c, "p0"), "end", "  to the end of the chain");
	conf_free(c);

	/* ${x?${x?...}} 150 deep */
	p = big;
	p += snprintf(p, 64, "x = 1\ny = ");
	for (i = 0; i < 150; i++)
		p += snprintf(p, 8, "${x?");
	*p++ = 'z';
	for (i = 0; i < 150; i++)
		*p++ = '}';
	*p++ = '\n';
	is_int(loadn(big, (size_t)(p - big), &c, &e), EX_CONFIG,
	    "text nested 150 deep is EX_CONFIG");
	contains(e.text, "main.cf:2: y: $-expansion nested deeper than 100",
	    "  naming file:line");
	free(big);
}

/* test_defaults - an empty file: every default, computed ones too */
static void
test_defaults(void)
{
	struct mail_conf	*c;
	struct mail_err		 e;
	const char		*h, *d, *dot;
	char			 want[1200];
	size_t			 i;

	if (!is_int(load("", &c, &e), EX_OK, "an empty file loads")) {
		diag("error: %s", e.text);
		return;
	}
	is_str(warns, "", "  without warnings");
	for (i = 0; i < sizeof defaults / sizeof defaults[0]; i++) {
		snprintf(want, sizeof want, "default %s", defaults[i].name);
		is_str(conf_get_raw(c, defaults[i].name), defaults[i].raw,
		    want);
	}
	h = conf_get(c, "myhostname");
	d = conf_get(c, "mydomain");
	ok(h != NULL && *h != '\0' && (dot = strchr(h, '.')) != NULL &&
	    dot[1] != '\0', "myhostname is qualified: %s", h ? h : "(null)");
	dot = h != NULL ? strchr(h, '.') : NULL;
	is_str(d, dot != NULL ? dot + 1 : "?",
	    "mydomain is myhostname without its first label");
	is_str(conf_get(c, "myorigin"), h, "myorigin is myhostname");
	snprintf(want, sizeof want, "%s, localhost.%s, localhost", h, d);
	is_str(conf_get(c, "mydestination"), want, "mydestination expanded");
	snprintf(want, sizeof want, "%s ESMTP mailpath", h);
	is_str(conf_get(c, "smtpd_banner"), want, "smtpd_banner expanded");
	is_str(conf_get_raw(c, "myhostname"), h,
	    "a computed default's raw value is the value");
	snprintf(want, sizeof want, "hash:%s/aliases", tmpdir);
	is_str(conf_get(c, "alias_maps"), want,
	    "alias_maps: the aliases beside main.cf");
	is_str(conf_get(c, "config_directory"), tmpdir,
	    "config_directory: where main.cf is");
	is_str(conf_get(c, "forward_path"), "$home/.forward",
	    "forward_path stays raw");
	is_str(conf_get(c, "no_such_name"), NULL, "an unknown name: NULL");
	is_str(conf_get_raw(c, "no_such_name"), NULL, "  raw too");
	conf_free(c);

	is_int(load("myhostname = box\nmydomain = example.net\n", &c, &e),
	    EX_OK, "myhostname and mydomain set");
	is_str(conf_get(c, "myhostname"), "box", "  a short myhostname stays");
	is_str(conf_get(c, "mydestination"),
	    "box, localhost.example.net, localhost", "  mydestination");
	conf_free(c);

	is_int(load("config_directory = /x\n", &c, &e), EX_OK,
	    "config_directory set in the file");
	is_str(conf_get(c, "alias_database"), "hash:/x/aliases",
	    "  wins over the file's directory");
	conf_free(c);
}

struct walk {
	char	last[128];
	int	sorted, n, nset;
	char	setnames[256];
};

static void
each(const char *name, const char *raw, int set, void *arg)
{
	struct walk	*w = arg;
	size_t		 used;

	if (strcmp(name, w->last) <= 0)
		w->sorted = 0;
	snprintf(w->last, sizeof w->last, "%s", name);
	w->n++;
	if (set) {
		w->nset++;
		used = strlen(w->setnames);
		snprintf(w->setnames + used, sizeof w->setnames - used,
		    "%s=%s|", name, raw);
	}
}

/* man page entries ".It Va name" in order, NUL-separated; count in *np */
static char *
man_names(size_t *np)
{
	const char	*top = getenv("top_srcdir");
	char		 path[1100], line[512], *v = NULL, *nv;
	size_t		 len = 0, k;
	FILE		*fp;

	*np = 0;
	snprintf(path, sizeof path, "%s/man5/main.cf.5", top ? top : ".");
	if ((fp = fopen(path, "r")) == NULL) {
		diag("%s: %s", path, strerror(errno));
		return NULL;
	}
	while (fgets(line, sizeof line, fp) != NULL) {
		if (strncmp(line, ".It Va ", 7) != 0)
			continue;
		k = strcspn(line + 7, " \n");
		if ((nv = realloc(v, len + k + 1)) == NULL)
			break;
		v = nv;
		memcpy(v + len, line + 7, k);
		v[len + k] = '\0';
		len += k + 1;
		(*np)++;
	}
	fclose(fp);
	return v;
}

/* test_foreach - every parameter once, in order; each in the man page */
static void
test_foreach(void)
{
	struct mail_conf	*c;
	struct mail_err		 e;
	struct walk		 w;
	char			*names, *s;
	size_t			 nman, i, found;

	memset(&w, 0, sizeof w);
	w.sorted = 1;
	is_int(load("relayhost = [r]\nsite = s\n", &c, &e), EX_OK,
	    "load for conf_foreach");
	conf_foreach(c, each, &w);
	ok(w.sorted, "conf_foreach: strictly increasing names, no duplicates");
	is_int(w.n, (long long)(sizeof defaults / sizeof defaults[0]) + 3 + 1,
	    "conf_foreach: every default, 3 computed, 1 macro");
	is_int(w.nset, 2, "conf_foreach: 2 were set");
	is_str(w.setnames, "relayhost=[r]|site=s|",
	    "conf_foreach: set names with raw values");

	names = man_names(&nman);
	is_int((long long)nman, w.n - 1,
	    "main.cf(5) lists every parameter once");
	for (found = 0, i = 0, s = names; i < nman; i++, s += strlen(s) + 1)
		if (conf_get(c, s) == NULL)
			diag("main.cf(5) lists %s, which is no parameter", s);
		else
			found++;
	is_int((long long)found, (long long)nman,
	    "every parameter in main.cf(5) exists");
	free(names);
	conf_free(c);
}

/* test_example - examples/main.cf loads cleanly and says what it should */
static void
test_example(void)
{
	struct mail_conf	*c;
	struct mail_err		 e;
	const char		*top = getenv("top_srcdir");
	char			 path[1100], want[1200];

	snprintf(path, sizeof path, "%s/examples/main.cf", top ? top : ".");
	warns[0] = '\0';
	if (!is_int(conf_load(&c, path, &e), EX_OK, "examples/main.cf loads")) {
		diag("error: %s", e.text);
		return;
	}
	is_str(warns, "", "  without warnings");
	is_str(conf_get(c, "relayhost"), "[smarthost.example.com]:587",
	    "  relayhost");
	is_str(conf_get(c, "mydestination"), "mailserver.example.lan, "
	    "localhost.example.lan, localhost", "  mydestination");
	is_str(conf_get(c, "myorigin"), "example.com", "  myorigin");
	is_str(conf_get(c, "canonical_maps"), "", "  canonical_maps is off");
	snprintf(want, sizeof want, "hash:%s/aliases",
	    conf_get(c, "config_directory"));
	is_str(conf_get(c, "alias_maps"), want, "  alias_maps");
	conf_free(c);
}

/* test_search - explicit path, $MAILPATH_CONF, then the default */
static void
test_search(void)
{
	struct mail_conf	*c;
	struct mail_err		 e;
	char			 a[1100], b[1100], missing[1100];
	const char		*dflt = MAILPATH_SYSCONFDIR "/main.cf";

	snprintf(a, sizeof a, "%s", fixture("a.cf", "mail_name = A\n", 14));
	snprintf(b, sizeof b, "%s", fixture("b.cf", "mail_name = B\n", 14));
	snprintf(missing, sizeof missing, "%s/missing.cf", tmpdir);

	setenv("MAILPATH_CONF", a, 1);
	if (is_int(conf_load(&c, NULL, &e), EX_OK, "$MAILPATH_CONF is read")) {
		is_str(conf_get(c, "mail_name"), "A", "  its value");
		is_str(conf_file(c), a, "  conf_file names it");
		conf_free(c);
	}
	if (is_int(conf_load(&c, b, &e), EX_OK,
	    "an explicit path wins over $MAILPATH_CONF")) {
		is_str(conf_get(c, "mail_name"), "B", "  its value");
		conf_free(c);
	}
	setenv("MAILPATH_CONF", missing, 1);
	c = (struct mail_conf *)&c;
	is_int(conf_load(&c, NULL, &e), EX_CONFIG,
	    "a missing $MAILPATH_CONF file is EX_CONFIG");
	ok(c == NULL, "  and no configuration");
	contains(e.text, "missing.cf: No such file", "  naming the file");

	unsetenv("MAILPATH_CONF");
	is_int(conf_load(&c, missing, &e), EX_CONFIG,
	    "a missing explicit file is EX_CONFIG");
	contains(e.text, "missing.cf: No such file", "  naming the file");
	is_int(conf_load(&c, "", &e), EX_CONFIG, "an empty path is EX_CONFIG");
	is_int(conf_load(&c, tmpdir, &e), EX_CONFIG,
	    "a directory is EX_CONFIG");

	/* Without a name: the default file, whose absence is fine. */
	setenv("MAILPATH_CONF", "", 1);
	if (access(dflt, F_OK) == -1) {
		is_int(conf_load(&c, NULL, &e), EX_OK,
		    "no default file: defaults only");
		is_str(conf_file(c), NULL, "  conf_file is NULL");
		is_str(conf_get(c, "config_directory"), MAILPATH_SYSCONFDIR,
		    "  config_directory is the compiled-in one");
	} else {
		is_int(conf_load(&c, NULL, &e), EX_OK, "the default file");
		is_str(conf_file(c), dflt, "  is read");
	}
	conf_free(c);
	unsetenv("MAILPATH_CONF");
}

/* test_relative - config_directory is absolute for a relative path */
static void
test_relative(void)
{
	static const struct {
		const char	*path, *sub;
	} rel[] = {
		{ "main.cf", "" },
		{ "./main.cf", "" },
		{ "sub/main.cf", "/sub" },
		{ "./sub/main.cf", "/sub" },
	};
	struct mail_conf	*c;
	struct mail_err		 e;
	char			 cwd[1100], sub[1100], want[1200];
	size_t			 i;

	snprintf(sub, sizeof sub, "%s/sub", tmpdir);
	if (getcwd(cwd, sizeof cwd) == NULL || mkdir(sub, 0700) == -1 ||
	    chdir(tmpdir) == -1) {
		diag("setup: %s", strerror(errno));
		exit(1);
	}
	fixture("main.cf", "", 0);
	fixture("sub/main.cf", "", 0);
	for (i = 0; i < sizeof rel / sizeof rel[0]; i++) {
		snprintf(want, sizeof want, "%s%s", tmpdir, rel[i].sub);
		if (!is_int(conf_load(&c, rel[i].path, &e), EX_OK, rel[i].path))
			continue;
		is_str(conf_get(c, "config_directory"), want,
		    "  config_directory");
		conf_free(c);
	}
	if (chdir(cwd) == -1)
		exit(1);
	unlink(fixture("sub/main.cf", "", 0));
	rmdir(sub);
}

static void
test_set(void)
{
	struct mail_conf	*c;
	struct mail_err		 e;

	if (!is_int(load("myhostname = a.example\n", &c, &e), EX_OK,
	    "load for conf_set"))
		return;
	is_int(conf_set(c, "myhostname", "b.example", &e), EX_OK,
	    "conf_set myhostname");
	is_str(conf_get(c, "myorigin"), "b.example",
	    "  what refers to it follows");
	is_str(conf_get(c, "mydomain"), "example", "  mydomain too");
	is_str(conf_get_raw(c, "myhostname"), "b.example", "  raw value");
	is_int(conf_set(c, "bad-name", "x", &e), EX_CONFIG,
	    "conf_set checks the name");
	contains(e.text, "bad character '-' in parameter name", "  saying why");
	is_int(conf_set(c, "", "x", &e), EX_CONFIG, "conf_set: empty name");
	is_int(conf_set(c, "mail_name", "a\nb", &e), EX_CONFIG,
	    "conf_set: a newline in the value");
	is_int(conf_set(c, "myhostname", "$myorigin", &e), EX_CONFIG,
	    "conf_set: a loop is refused");
	contains(e.text, "loop in $-expansion", "  saying why");
	is_str(conf_get(c, "myorigin"), "b.example", "  and nothing changed");
	is_int(conf_set(c, "mail_name", "${relayhost?$}", &e), EX_CONFIG,
	    "conf_set: a bad $ in a branch not taken");
	is_str(conf_get(c, "mail_name"), "mailpath", "  and nothing changed");
	is_int(conf_set(c, "loopy", "$loopy", &e), EX_CONFIG,
	    "conf_set: a new macro that loops");
	is_str(conf_get(c, "loopy"), NULL, "  is not kept");
	is_int(conf_set(c, "site", "example.org", &e), EX_OK,
	    "conf_set: a new macro");
	is_int(conf_set(c, "myorigin", "$site", &e), EX_OK,
	    "conf_set: refer to it");
	is_str(conf_get(c, "myorigin"), "example.org", "  expanded");
	conf_free(c);
}

static void
test_getters(void)
{
	struct mail_conf	*c;
	struct mail_err		 e;
	char			 name[400], **l;
	size_t			 i, j, n, used;
	long long		 out;
	int			 rc;

	for (i = 0; i < sizeof lists / sizeof lists[0]; i++) {
		char	got[256] = "";

		l = conf_list(lists[i].in, &n);
		for (j = 0, used = 0; l != NULL && l[j] != NULL; j++) {
			snprintf(got + used, sizeof got - used, "%s|", l[j]);
			used = strlen(got);
		}
		snprintf(name, sizeof name, "conf_list \"%s\"",
		    visible(lists[i].in));
		is_str(got, lists[i].want, name);
		is_int((long long)n, (long long)lists[i].n, "  count");
		is_int((long long)j, (long long)n, "  NULL-terminated");
		conf_list_free(l);
	}
	conf_list_free(NULL);

	if (!is_int(load("", &c, &e), EX_OK, "load for the getters"))
		return;
	for (i = 0; i < sizeof bools / sizeof bools[0]; i++) {
		conf_set(c, "biff", bools[i].val, &e);
		warns[0] = '\0';
		snprintf(name, sizeof name, "conf_get_bool \"%s\"",
		    bools[i].val);
		is_int(conf_get_bool(c, "biff"), bools[i].want, name);
		if (bools[i].want == -1) {
			snprintf(name, sizeof name, "parameter biff: bad value "
			    "\"%s\" (want yes or no)", bools[i].val);
			is_str(warns, name, "  warns");
		} else
			is_str(warns, "", "  no warning");
	}
	warns[0] = '\0';
	is_int(conf_get_bool(c, "no_such"), -1, "conf_get_bool: unknown name");
	is_str(warns, "unknown parameter no_such", "  warns");

	for (i = 0; i < sizeof nums / sizeof nums[0]; i++) {
		conf_set(c, "message_size_limit", nums[i].val, &e);
		snprintf(name, sizeof name, "conf_get_num \"%s\"", nums[i].val);
		out = -42;
		rc = conf_get_num(c, "message_size_limit", &out, &e);
		if (nums[i].err == NULL) {
			is_int(rc, EX_OK, name);
			is_int(out, nums[i].want, "  value");
		} else {
			is_int(rc, EX_CONFIG, name);
			contains(e.text, nums[i].err, "  error");
			is_int(out, -42, "  out untouched");
		}
	}
	is_int(conf_get_num(c, "no_such", &out, &e), EX_CONFIG,
	    "conf_get_num: unknown name");
	contains(e.text, "unknown parameter no_such", "  error");

	for (i = 0; i < sizeof times / sizeof times[0]; i++) {
		conf_set(c, "maximal_queue_lifetime", times[i].val, &e);
		snprintf(name, sizeof name, "conf_get_time \"%s\" (unit %c)",
		    times[i].val, times[i].unit);
		rc = conf_get_time(c, "maximal_queue_lifetime", times[i].unit,
		    &out, &e);
		if (times[i].err == NULL) {
			is_int(rc, EX_OK, name);
			is_int(out, times[i].want, "  seconds");
		} else {
			is_int(rc, EX_CONFIG, name);
			contains(e.text, times[i].err, "  error");
		}
	}
	/* Every default of a typed parameter parses. */
	{
		static const char *const tnames[] = { "maximal_queue_lifetime",
		    "bounce_queue_lifetime", "minimal_backoff_time",
		    "maximal_backoff_time", "queue_run_delay",
		    "delay_warning_time", "smtpd_timeout" };
		static const char *const nnames[] = { "mailbox_size_limit",
		    "message_size_limit", "hopcount_limit",
		    "smtpd_recipient_limit", "smtpd_hard_error_limit" };
		static const char *const bnames[] = { "smtp_sasl_auth_enable",
		    "smtpd_sasl_auth_enable", "biff" };
		struct mail_conf	*d;

		if (is_int(load("", &d, &e), EX_OK, "defaults again")) {
			for (i = 0; i < sizeof tnames / sizeof tnames[0]; i++)
				is_int(conf_get_time(d, tnames[i], 's', &out,
				    &e), EX_OK, tnames[i]);
			for (i = 0; i < sizeof nnames / sizeof nnames[0]; i++)
				is_int(conf_get_num(d, nnames[i], &out, &e),
				    EX_OK, nnames[i]);
			for (i = 0; i < sizeof bnames / sizeof bnames[0]; i++)
				is_int(conf_get_bool(d, bnames[i]), 0,
				    bnames[i]);
			conf_free(d);
		}
	}
	conf_free(c);
}

/* test_in_list - conf_in_list, as local.c, submit.c and qrun.c use it */
static void
test_in_list(void)
{
	struct mail_conf	*lc;
	struct mail_err		 le;

	if (load("mydestination = a.example, B.Example  c.example\n", &lc,
	    &le) != EX_OK)
		return (void)ok(0, "load for conf_in_list: %s", le.text);
	ok(conf_in_list(lc, "mydestination", "b.example"),
	    "conf_in_list: a word of the list, case ignored");
	ok(!conf_in_list(lc, "mydestination", "b"),
	    "conf_in_list: not a part of a word");
	ok(!conf_in_list(lc, "relay_domains", "a.example"),
	    "conf_in_list: an empty list has no words");
	conf_free(lc);
}

int
main(void)
{
	const char	*t = getenv("TMPDIR");

	log_open("conf-test", 0);
	log_set_hook(hook);
	unsetenv("MAILPATH_CONF");
	snprintf(tmpdir, sizeof tmpdir, "%s/conf-test.XXXXXX",
	    t != NULL && *t == '/' ? t : "/tmp");
	if (mkdtemp(tmpdir) == NULL) {
		diag("mkdtemp %s: %s", tmpdir, strerror(errno));
		return 1;
	}

	test_values();
	test_errors();
	test_warnings();
	test_limits();
	test_defaults();
	test_foreach();
	test_example();
	test_search();
	test_relative();
	test_set();
	test_getters();
	test_in_list();

	unlink(fixture("main.cf", "", 0));
	unlink(fixture("a.cf", "", 0));
	unlink(fixture("b.cf", "", 0));
	rmdir(tmpdir);
	return tap_done();
}
