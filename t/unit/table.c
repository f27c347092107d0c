/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for libmail/table: every rule of the source syntax, its
 * errors with file:line, table_key, and the output formats (quoting for
 * -s, JSON escaping for -j).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "buf.h"
#include "lline.h"
#include "log.h"
#include "table.h"
#include "tap.h"

static struct buf	warnings = BUF_INIT(4096);

static void
hook(int pri, const char *line)
{
	if (pri == LOG_WARNING)
		buf_printf(&warnings, "%s|", line);
}

/* collect - record each entry as "LINE:key=value|" */
static int
collect(void *arg, const char *k, size_t klen, const char *v, size_t vlen,
    const char *file, unsigned long line)
{
	struct buf	*out = arg;

	if (strlen(k) != klen || strlen(v) != vlen)
		return buf_adds(out, "(length mismatch)"), 0;
	if (strcmp(file, "src") != 0)
		return buf_adds(out, "(wrong file name)"), 0;
	buf_printf(out, "%lu:%s=%s|", line, k, v);
	return 0;
}

/* stop - stops the parse at the second entry with 42 */
static int
stop(void *arg, const char *k, size_t klen, const char *v, size_t vlen,
    const char *file, unsigned long line)
{
	int	*n = arg;

	(void)k, (void)klen, (void)v, (void)vlen, (void)file, (void)line;
	return ++*n == 2 ? 42 : 0;
}

static const struct {
	const char	*name;
	const char	*in;
	int		 flags;
	int		 ex;
	const char	*want;		/* entries, or the error text */
	const char	*warn;		/* warnings, "|"-terminated */
} cases[] = {
	{ "key whitespace value", "root walter\n", TABLE_FOLD, EX_OK,
	    "1:root=walter|", "" },
	{ "tabs and runs of blanks separate", "a\t \tb c  d\n", TABLE_FOLD,
	    EX_OK, "1:a=b c  d|", "" },
	{ "trailing white space is dropped", "a b \t \n", TABLE_FOLD, EX_OK,
	    "1:a=b|", "" },
	{ "keys fold to lower case", "Root Walter\n", TABLE_FOLD, EX_OK,
	    "1:root=Walter|", "" },
	{ "no folding without TABLE_FOLD (-f)", "Root Walter\n", 0, EX_OK,
	    "1:Root=Walter|", "" },
	{ "UTF-8 keys fold in ASCII only", "B\xc3\x9c" "cher.Example x\n",
	    TABLE_FOLD, EX_OK, "1:b\xc3\x9c" "cher.example=x|", "" },
	{ "comment and blank lines", "# c\n\n  \t\na 1\n   # indented\nb 2\n",
	    TABLE_FOLD, EX_OK, "4:a=1|6:b=2|", "" },
	{ "continuation lines", "a 1\n  2\n\t3\nb 4\n", TABLE_FOLD, EX_OK,
	    "1:a=1 2 3|4:b=4|", "" },
	{ "a value on the continuation line only", "a\n  1\n", TABLE_FOLD,
	    EX_OK, "1:a=1|", "" },
	{ "CRLF line ends", "a 1\r\n  2\r\nb 3\r\n", TABLE_FOLD, EX_OK,
	    "1:a=1 2|3:b=3|", "" },
	{ "no final newline", "a 1", TABLE_FOLD, EX_OK, "1:a=1|", "" },
	{ "# inside a value is data", "a b # c\n", TABLE_FOLD, EX_OK,
	    "1:a=b # c|", "" },
	{ "quoted key with white space", "\"A b\" v\n", TABLE_FOLD, EX_OK,
	    "1:a b=v|", "" },
	{ "quoted key with \\\" and \\\\", "\"x\\\"y\\\\z\" v\n", 0, EX_OK,
	    "1:x\"y\\z=v|", "" },
	{ "other backslashes in quotes stay", "\"a\\nb\" v\n", 0, EX_OK,
	    "1:a\\nb=v|", "" },
	{ "backslash outside quotes is literal", "a\\b v\n", 0, EX_OK,
	    "1:a\\b=v|", "" },
	{ "quoted part of a key", "\"j doe\"@Example.com v\n", TABLE_FOLD,
	    EX_OK, "1:j doe@example.com=v|", "" },
	{ "# and : inside quotes", "\"#a:b\" x\n", 0, EX_OK, "1:#a:b=x|", "" },
	{ "quotes in the value stay", "a \"b c\"\n", 0, EX_OK,
	    "1:a=\"b c\"|", "" },
	{ "key: value warns", "postmaster: root\n", TABLE_FOLD, EX_OK,
	    "1:postmaster:=root|",
	    "src:1: record is in \"key: value\" format; is this an alias "
	    "file?|" },
	{ "TABLE_QUIET: no warning", "postmaster: root\n",
	    TABLE_FOLD | TABLE_QUIET, EX_OK, "1:postmaster:=root|", "" },
	{ "quoted colon does not warn", "\"a:\" b\n", 0, EX_OK, "1:a:=b|",
	    "" },
	{ "duplicates are the caller's business", "a 1\na 2\n", 0, EX_OK,
	    "1:a=1|2:a=2|", "" },
	{ "key without value", "a 1\nnokey\n", TABLE_FOLD, EX_DATAERR,
	    "src:2: key \"nokey\" has no value (expected \"key whitespace "
	    "value\")", "" },
	{ "key with only blanks after it", "a 1\n\nk \t\n", TABLE_FOLD,
	    EX_DATAERR, "src:3: key \"k\" has no value (expected \"key "
	    "whitespace value\")", "" },
	{ "alias line without value hints", "x:\n", TABLE_FOLD, EX_DATAERR,
	    "src:1: key \"x:\" has no value (expected \"key whitespace "
	    "value\"); is this an alias file?", "" },
	{ "unterminated quote", "a 1\n\"a b c\n", TABLE_FOLD, EX_DATAERR,
	    "src:2: unterminated quoted key (a \" without its closing \")",
	    "" },
	{ "empty quoted key", "\"\" v\n", TABLE_FOLD, EX_DATAERR,
	    "src:1: empty key (\"\")", "" },
	{ "continuation at the start", "  a b\n", TABLE_FOLD, EX_DATAERR,
	    "src:1: continuation line without a line to continue", "" },
	{ "error line is where the entry starts", "a 1\n\"b\n  c\n",
	    TABLE_FOLD, EX_DATAERR,
	    "src:2: unterminated quoted key (a \" without its closing \")",
	    "" },
};

static void
test_parse(void)
{
	struct mail_err	e;
	struct buf	out = BUF_INIT(1 << 20);
	FILE		*fp;
	size_t		 i;
	int		 rc;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		buf_reset(&out);
		buf_reset(&warnings);
		fp = fmemopen((void *)cases[i].in, strlen(cases[i].in), "r");
		rc = table_parse(fp, "src", cases[i].flags, collect, &out, &e);
		fclose(fp);
		is_int(rc, cases[i].ex, cases[i].name);
		if (cases[i].ex == EX_OK)
			is_str(buf_str(&out), cases[i].want, cases[i].name);
		else
			is_str(e.text, cases[i].want, cases[i].name);
		is_str(buf_str(&warnings), cases[i].warn, cases[i].name);
	}
	buf_free(&out);
}

static void
test_parse_limits(void)
{
	struct mail_err	e;
	struct buf	in = BUF_INIT(4 << 20), out = BUF_INIT(4 << 20);
	FILE		*fp;
	int		 n = 0, rc;

	/* NUL byte: an error naming the line, never a silent cut */
	fp = fmemopen("a 1\nb \0x\n", 9, "r");
	rc = table_parse(fp, "src", TABLE_FOLD, collect, &out, &e);
	fclose(fp);
	is_int(rc, EX_DATAERR, "a NUL byte is a data error");
	is_str(e.text, "src:2: NUL byte in line", "a NUL byte names its line");

	/* a line just under the limit is fine; one past it is an error */
	buf_adds(&in, "k ");
	while (in.len < LLINE_MAX - 1)
		buf_addc(&in, 'v');
	buf_adds(&in, "\n");
	buf_reset(&out);
	fp = fmemopen(in.s, in.len, "r");
	rc = table_parse(fp, "src", TABLE_FOLD, collect, &out, &e);
	fclose(fp);
	is_int(rc, EX_OK, "a 1 MiB - 1 byte line parses");
	is_int(out.len, strlen("1:k=") + LLINE_MAX - 3 + strlen("|"),
	    "with its whole value");
	buf_truncate(&in, in.len - 1);
	buf_adds(&in, "vv\n");
	fp = fmemopen(in.s, in.len, "r");
	rc = table_parse(fp, "src", TABLE_FOLD, collect, &out, &e);
	fclose(fp);
	is_int(rc, EX_DATAERR, "a line over 1 MiB is a data error");
	is_str(e.text, "src:1: line longer than 1048576 bytes",
	    "the overlong line is named");

	/* a callback's result stops the parse and comes back as is */
	fp = fmemopen("a 1\nb 2\nc 3\n", 12, "r");
	rc = table_parse(fp, "src", 0, stop, &n, &e);
	fclose(fp);
	is_int(rc, 42, "a callback's non-zero result is returned");
	is_int(n, 2, "and no entry after it is read");
	buf_free(&in);
	buf_free(&out);
}

static const struct {
	const char	*in;
	int		 flags;
	size_t		 outsz;
	int		 ex;
	const char	*want;
} keys[] = {
	{ "Root", TABLE_FOLD, 64, EX_OK, "root" },
	{ "Root", 0, 64, EX_OK, "Root" },
	{ "\"A b\"", TABLE_FOLD, 64, EX_OK, "a b" },
	{ "a b", TABLE_FOLD, 64, EX_OK, "a b" },
	{ "\"q\\\"\\\\\"", 0, 64, EX_OK, "q\"\\" },
	{ "\"j doe\"@x", 0, 64, EX_OK, "j doe@x" },
	{ "B\xc3\x9c" "CHER", TABLE_FOLD, 64, EX_OK, "b\xc3\x9c" "cher" },
	{ "abcd", 0, 5, EX_OK, "abcd" },
	{ "abcde", 0, 5, EX_DATAERR, "key longer than 4 bytes" },
	{ "\"ab", 0, 64, EX_DATAERR, "unterminated quoted key: \"ab" },
	{ "", 0, 64, EX_DATAERR, "empty key" },
	{ "\"\"", 0, 64, EX_DATAERR, "empty key" },
};

static void
test_key(void)
{
	struct mail_err	e;
	char		out[64];
	size_t		i, n;
	int		rc;

	for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		n = 999;
		rc = table_key(keys[i].in, keys[i].flags, out, keys[i].outsz,
		    &n, &e);
		is_int(rc, keys[i].ex, keys[i].in);
		if (rc == EX_OK) {
			is_str(out, keys[i].want, keys[i].in);
			is_int(n, strlen(keys[i].want), "length of the key");
		} else
			is_str(e.text, keys[i].want, keys[i].in);
	}
}

static const struct {
	const char	*k, *v;
	size_t		 klen, vlen;
	int		 flags;
	const char	*want;
} formats[] = {
	{ "root", "walter", 4, 6, TABLE_QUOTE, "root\twalter\n" },
	{ "a b", "v", 3, 1, TABLE_QUOTE, "\"a b\"\tv\n" },
	{ "a b", "v", 3, 1, 0, "a b\tv\n" },
	{ "x\"y\\", "v", 4, 1, TABLE_QUOTE, "\"x\\\"y\\\\\"\tv\n" },
	{ "a\\b", "v", 3, 1, TABLE_QUOTE, "a\\b\tv\n" },
	{ "#a", "v", 2, 1, TABLE_QUOTE, "\"#a\"\tv\n" },
	{ "a\tb", "v", 3, 1, TABLE_QUOTE, "\"a\tb\"\tv\n" },
	{ "root", "walter", 4, 6, TABLE_JSON,
	    "{\"key\":\"root\",\"value\":\"walter\"}\n" },
	{ "q\"\\", "a\tb\nc\r\x01\x1f\x7f", 3, 9, TABLE_JSON,
	    "{\"key\":\"q\\\"\\\\\",\"value\":\"a\\tb\\nc\\r\\u0001\\u001f"
	    "\\u007f\"}\n" },
	{ "b\xc3\xbc" "cher", "\xe2\x82\xac\xf0\x9f\x93\xa7", 7, 7,
	    TABLE_JSON, "{\"key\":\"b\xc3\xbc" "cher\",\"value\":\"\xe2\x82"
	    "\xac\xf0\x9f\x93\xa7\"}\n" },
	{ "\xff", "\xc3(\xe0\x80\xaf\xed\xa0\x80\xc3", 1, 9, TABLE_JSON,
	    "{\"key\":\"\\ufffd\",\"value\":\"\\ufffd(\\ufffd\\ufffd\\ufffd"
	    "\\ufffd\\ufffd\\ufffd\\ufffd\"}\n" },
	{ "n\0ul", "v", 4, 1, TABLE_JSON,
	    "{\"key\":\"n\\u0000ul\",\"value\":\"v\"}\n" },
};

static void
test_format(void)
{
	struct buf	b = BUF_INIT(256), small = BUF_INIT(8);
	char		name[64];
	size_t		i;

	for (i = 0; i < sizeof formats / sizeof formats[0]; i++) {
		snprintf(name, sizeof name, "format case %zu (%s)", i,
		    formats[i].flags & TABLE_JSON ? "JSON" : "text");
		buf_reset(&b);
		is_int(table_format(&b, formats[i].flags, formats[i].k,
		    formats[i].klen, formats[i].v, formats[i].vlen), 0, name);
		is_str(buf_str(&b), formats[i].want, name);
	}
	buf_adds(&small, "ab");
	is_int(table_format(&small, TABLE_JSON, "key", 3, "value", 5), -1,
	    "a record past the buffer's maximum fails");
	is_str(buf_str(&small), "ab", "and leaves the buffer as it was");
	is_int(table_quote(&small, "a b c", 5), -1,
	    "a quoted key past the maximum fails");
	is_str(buf_str(&small), "ab", "and leaves the buffer as it was");
	buf_free(&b);
	buf_free(&small);
}

int
main(void)
{
	log_open("table", LOG_TO_STDERR);
	log_set_hook(hook);
	test_parse();
	test_parse_limits();
	test_key();
	test_format();
	buf_free(&warnings);
	return tap_done();
}
