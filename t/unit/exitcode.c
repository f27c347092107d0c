/* SPDX-License-Identifier: ISC */
/* Unit tests for libmail/exitcode: the table both ways. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "exitcode.h"
#include "tap.h"

static const struct {
	int		 ex;
	const char	*enh;
	int		 reply;
	int		 temp;
} rows[] = {
	{ EX_OK, "2.0.0", 250, 0 },
	{ EX_NOUSER, "5.1.1", 550, 0 },
	{ EX_NOHOST, "5.1.2", 550, 0 },
	{ EX_DATAERR, "5.6.0", 554, 0 },
	{ EX_UNAVAILABLE, "5.3.0", 554, 0 },
	{ EX_TEMPFAIL, "4.3.0", 451, 1 },
	{ EX_OSERR, "4.3.0", 451, 1 },
	{ EX_IOERR, "4.3.0", 451, 1 },		/* Postfix: 5.3.0 */
	{ EX_CONFIG, "4.3.5", 451, 1 },		/* Postfix: 5.3.5 */
	{ EX_NOPERM, "5.7.0", 554, 0 },
	{ EX_PROTOCOL, "5.5.0", 554, 0 },
	{ EX_CANTCREAT, "5.2.0", 550, 0 },
	{ 12345, "5.3.0", 554, 0 },
};

static const struct {
	int	err, ex;
} errs[] = {
	{ ENOSPC, EX_TEMPFAIL },
	{ EDQUOT, EX_TEMPFAIL },
	{ EIO, EX_TEMPFAIL },
	{ ENOMEM, EX_TEMPFAIL },
	{ EACCES, EX_TEMPFAIL },
	{ ENOENT, EX_NOINPUT },
	{ EFBIG, EX_DATAERR },
};

static const struct {
	int		 reply;
	const char	*enh;
	int		 ex;
} replies[] = {
	{ 250, "2.0.0", EX_OK },
	{ 354, NULL, EX_OK },
	{ 421, "4.4.2", EX_TEMPFAIL },
	{ 451, "4.3.0", EX_TEMPFAIL },
	{ 550, "5.1.1", EX_NOUSER },
	{ 550, "5.7.1", EX_UNAVAILABLE },
	{ 554, NULL, EX_UNAVAILABLE },
	{ 550, "5.1.10", EX_NOHOST },
	{ 999, NULL, EX_PROTOCOL },
};

int
main(void)
{
	struct mail_err	e;
	size_t		i;
	char		name[64];

	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		snprintf(name, sizeof name, "%s enhanced code",
		    exitcode_name(rows[i].ex));
		is_str(exitcode_enh(rows[i].ex), rows[i].enh, name);
		is_int(exitcode_reply(rows[i].ex), rows[i].reply, "  reply");
		is_int(exitcode_is_temp(rows[i].ex), rows[i].temp,
		    "  temporary?");
	}
	for (i = 0; i < sizeof errs / sizeof errs[0]; i++)
		is_int(exitcode_from_errno(errs[i].err), errs[i].ex,
		    strerror(errs[i].err));
	for (i = 0; i < sizeof replies / sizeof replies[0]; i++) {
		snprintf(name, sizeof name, "reply %d %s", replies[i].reply,
		    replies[i].enh ? replies[i].enh : "");
		is_int(exitcode_from_reply(replies[i].reply, replies[i].enh),
		    replies[i].ex, name);
	}

	/* a full disk is never permanent, whatever the code path */
	is_int(mail_err_errno(&e, ENOSPC, "write %s", "/var/mail/walter"),
	    EX_TEMPFAIL, "mail_err_errno returns the exit status");
	is_str(e.enh, "4.3.0", "a full disk is 4.3.0");
	is_str(e.text, "write /var/mail/walter: No space left on device",
	    "the reason names what failed");

	is_int(mail_err_set(&e, EX_NOUSER, NULL, "%s: no such user", "walter"),
	    EX_NOUSER, "mail_err_set returns ex");
	is_str(e.enh, "5.1.1", "default enhanced code from the table");
	is_int(mail_err_set(&e, EX_DATAERR, "5.6.7", "utf8"), EX_DATAERR,
	    "explicit enhanced code");
	is_str(e.enh, "5.6.7", "explicit code kept");
	mail_err_set(&e, EX_DATAERR, "5.1.3.12345678901234", "x");
	is_str(e.enh, "5.6.0", "an overlong code falls back to the table's");
	mail_err_clear(&e);
	is_int(e.ex, EX_OK, "clear");
	return tap_done();
}
