/* SPDX-License-Identifier: ISC */
/*
 * log - one channel for what a program has to say: syslog with the mail
 * facility, or stderr when interactive or asked to, in Postfix's shape:
 * "program[pid]: QUEUEID: key=value, ..." in syslog, "program: warning: ..."
 * on stderr.
 */
#ifndef MAILPATH_LOG_H
#define MAILPATH_LOG_H

#include <stdarg.h>

#define LOG_TO_STDERR	0x01	/* write to stderr */
#define LOG_TO_SYSLOG	0x02	/* write to syslog(LOG_MAIL) */
#define LOG_AUTO	0x04	/* stderr if it is a terminal, else syslog */

void	 log_open(const char *, int);
void	 log_set_verbose(int);
int	 log_verbose(void);
const char *log_progname(void);
void	 log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_error(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_vmsg(int, const char *, const char *, va_list)
	    __attribute__((format(printf, 3, 0)));
void	 log_set_hook(void (*)(int, const char *));
int	 log_warnings(void);

#endif
