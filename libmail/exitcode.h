/* SPDX-License-Identifier: ISC */
/*
 * exitcode - the one table between sysexits codes, SMTP replies and
 * enhanced status codes (RFC 3463), and the error record that mail-level
 * functions fill in.
 */
#ifndef MAILPATH_EXITCODE_H
#define MAILPATH_EXITCODE_H

#include <sysexits.h>

/*
 * What went wrong, decided once where the facts are: the sysexits code a
 * program exits with, the enhanced status code and the text for the first
 * line on stderr ("5.1.1 walter: no such user").
 */
struct mail_err {
	int	 ex;		/* EX_* */
	char	 enh[16];	/* "4.3.0" */
	char	 text[512];	/* reason, no enhanced code, no newline */
};

int	 mail_err_set(struct mail_err *, int, const char *, const char *, ...)
	    __attribute__((format(printf, 4, 5)));
int	 mail_err_errno(struct mail_err *, int, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
void	 mail_err_clear(struct mail_err *);

const char *exitcode_enh(int);
const char *exitcode_text(int);
int	 exitcode_reply(int);
int	 exitcode_is_temp(int);
int	 exitcode_from_errno(int);
int	 exitcode_from_reply(int, const char *);
const char *exitcode_name(int);

#endif
