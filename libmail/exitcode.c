/* SPDX-License-Identifier: ISC */
/*
 * exitcode - the one table between sysexits codes, SMTP replies and
 * enhanced status codes.
 *
 * The table is Postfix's sys_exits mapping with one deliberate change:
 * nothing that may succeed later is permanent.  An I/O error (a full disk,
 * a failed fsync), an OS resource shortage and a configuration mistake are
 * 4.x.x, so a message waits for the administrator instead of bouncing.
 * smtp-listen turns a hand-off's exit status into a reply with this table,
 * and the queue turns it into a bounce or a deferral.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "exitcode.h"

static const struct {
	int		 ex;
	const char	*name;
	const char	*enh;
	int		 reply;
	const char	*text;
} table[] = {
	{ EX_OK,	  "EX_OK",	    "2.0.0", 250, "ok" },
	{ EX_USAGE,	  "EX_USAGE",	    "5.3.0", 554, "command line usage error" },
	{ EX_DATAERR,	  "EX_DATAERR",	    "5.6.0", 554, "data format error" },
	{ EX_NOINPUT,	  "EX_NOINPUT",	    "5.3.0", 554, "cannot open input" },
	{ EX_NOUSER,	  "EX_NOUSER",	    "5.1.1", 550, "user unknown" },
	{ EX_NOHOST,	  "EX_NOHOST",	    "5.1.2", 550, "host or domain name not found" },
	{ EX_UNAVAILABLE, "EX_UNAVAILABLE", "5.3.0", 554, "service unavailable" },
	{ EX_SOFTWARE,	  "EX_SOFTWARE",    "5.3.0", 554, "internal software error" },
	{ EX_OSERR,	  "EX_OSERR",	    "4.3.0", 451, "system resource problem" },
	{ EX_OSFILE,	  "EX_OSFILE",	    "5.3.0", 554, "critical OS file missing" },
	{ EX_CANTCREAT,	  "EX_CANTCREAT",   "5.2.0", 550, "cannot create user output file" },
	{ EX_IOERR,	  "EX_IOERR",	    "4.3.0", 451, "input/output error" },
	{ EX_TEMPFAIL,	  "EX_TEMPFAIL",    "4.3.0", 451, "temporary failure" },
	{ EX_PROTOCOL,	  "EX_PROTOCOL",    "5.5.0", 554, "remote error in protocol" },
	{ EX_NOPERM,	  "EX_NOPERM",	    "5.7.0", 554, "permission denied" },
	{ EX_CONFIG,	  "EX_CONFIG",	    "4.3.5", 451, "local configuration error" },
};

static int
lookup(int ex)
{
	size_t	i;

	for (i = 0; i < sizeof table / sizeof table[0]; i++)
		if (table[i].ex == ex)
			return (int)i;
	return -1;
}

/* exitcode_enh - the enhanced status code for an exit status */
const char *
exitcode_enh(int ex)
{
	int	i = lookup(ex);

	return i < 0 ? "5.3.0" : table[i].enh;
}

/* exitcode_text - a short description of an exit status */
const char *
exitcode_text(int ex)
{
	int	i = lookup(ex);

	return i < 0 ? "unknown error" : table[i].text;
}

/* exitcode_name - the sysexits.h name ("EX_TEMPFAIL") */
const char *
exitcode_name(int ex)
{
	int	i = lookup(ex);

	return i < 0 ? "EX_UNKNOWN" : table[i].name;
}

/* exitcode_reply - the SMTP reply code for a program's exit status */
int
exitcode_reply(int ex)
{
	int	i = lookup(ex);

	return i < 0 ? 554 : table[i].reply;
}

/* exitcode_is_temp - true when a later attempt may succeed */
int
exitcode_is_temp(int ex)
{
	return exitcode_enh(ex)[0] == '4';
}

/*
 * exitcode_from_errno - the exit status for a failed system call.  Only
 * errors that no retry can cure are permanent.
 */
int
exitcode_from_errno(int err)
{
	switch (err) {
	case ENOENT:
	case ENOTDIR:
		return EX_NOINPUT;
	case EACCES:
	case EPERM:
	case EROFS:
		/* An administrator can fix these; the mail should wait. */
		return EX_TEMPFAIL;
	case ELOOP:
	case EMLINK:
		return EX_CANTCREAT;
	case E2BIG:
	case EMSGSIZE:
	case EFBIG:
		return EX_DATAERR;
	case EINVAL:
		return EX_DATAERR;
	default:
		/* ENOSPC, EDQUOT, EIO, ENOMEM, EAGAIN, EINTR, ...: later. */
		return EX_TEMPFAIL;
	}
}

/* exitcode_from_reply - the exit status for a program that got this reply */
int
exitcode_from_reply(int reply, const char *enh)
{
	if (reply >= 200 && reply < 400)
		return EX_OK;
	if (reply >= 400 && reply < 500)
		return EX_TEMPFAIL;
	if (enh != NULL && strcmp(enh, "5.1.1") == 0)
		return EX_NOUSER;
	if (enh != NULL && (strcmp(enh, "5.1.2") == 0 ||
	    strcmp(enh, "5.1.10") == 0))
		return EX_NOHOST;
	if (reply >= 500 && reply < 600)
		return EX_UNAVAILABLE;
	return EX_PROTOCOL;
}

static int
vset(struct mail_err *e, int ex, const char *enh, const char *fmt,
    va_list ap)
{
	int	n;

	e->ex = ex;
	if (enh == NULL)
		enh = exitcode_enh(ex);
	n = snprintf(e->enh, sizeof e->enh, "%s", enh);
	if (n < 0 || (size_t)n >= sizeof e->enh)
		snprintf(e->enh, sizeof e->enh, "%s", exitcode_enh(ex));
	n = vsnprintf(e->text, sizeof e->text, fmt, ap);
	if (n < 0)
		e->text[0] = '\0';
	/* A reason that was cut keeps what fits: it is still a reason. */
	return ex;
}

/*
 * mail_err_set - fill in an error record; enh NULL means the table's code
 * for ex.  Returns ex, so "return mail_err_set(...)" reads naturally.
 */
int
mail_err_set(struct mail_err *e, int ex, const char *enh, const char *fmt,
    ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vset(e, ex, enh, fmt, ap);
	va_end(ap);
	return ex;
}

/*
 * mail_err_errno - fill in an error record for a failed system call:
 * "what: strerror(err)", exit status from exitcode_from_errno().
 */
int
mail_err_errno(struct mail_err *e, int err, const char *fmt, ...)
{
	char	what[400];
	va_list	ap;
	int	ex = exitcode_from_errno(err);

	va_start(ap, fmt);
	if (vsnprintf(what, sizeof what, fmt, ap) < 0)
		what[0] = '\0';
	va_end(ap);
	return mail_err_set(e, ex, NULL, "%s: %s", what, strerror(err));
}

/* mail_err_clear - no error */
void
mail_err_clear(struct mail_err *e)
{
	e->ex = EX_OK;
	snprintf(e->enh, sizeof e->enh, "2.0.0");
	e->text[0] = '\0';
}
