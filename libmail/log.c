/* SPDX-License-Identifier: ISC */
/*
 * log - syslog with the mail facility, or stderr.
 *
 * Messages are sanitised before they leave: a control byte that came from
 * a file or the wire is shown as '?', so no log line can be forged by the
 * data it describes.  Lines are cut at a fixed length, never allocated.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"

static const char	*progname = "mailpath";
static int		 where = LOG_TO_STDERR;
static int		 verbose;
static int		 nwarn;
static void		(*hook)(int, const char *);

/* log_open - name the program and choose where messages go */
void
log_open(const char *name, int flags)
{
	const char	*p;

	if (name != NULL) {
		p = strrchr(name, '/');
		progname = p != NULL ? p + 1 : name;
	}
	if (flags & LOG_AUTO)
		flags = isatty(STDERR_FILENO) ? LOG_TO_STDERR : LOG_TO_SYSLOG;
	where = flags;
	if (where & LOG_TO_SYSLOG)
		openlog(progname, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

/* log_set_verbose - debug messages are shown when level > 0 */
void
log_set_verbose(int level)
{
	verbose = level;
}

/* log_verbose - the verbosity level */
int
log_verbose(void)
{
	return verbose;
}

/* log_progname - the name messages carry */
const char *
log_progname(void)
{
	return progname;
}

/* log_warnings - how many warnings were logged so far */
int
log_warnings(void)
{
	return nwarn;
}

/* log_set_hook - also hand every formatted message to fn (tests) */
void
log_set_hook(void (*fn)(int, const char *))
{
	hook = fn;
}

/* log_vmsg - format, sanitise and emit one message at a syslog priority */
void
log_vmsg(int pri, const char *label, const char *fmt, va_list ap)
{
	char	 line[2048];
	char	*p;
	int	 n;

	n = vsnprintf(line, sizeof line, fmt, ap);
	if (n < 0)
		return;
	for (p = line; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	if (pri == LOG_WARNING)
		nwarn++;
	if (hook != NULL)
		hook(pri, line);
	if (where & LOG_TO_STDERR) {
		if (label != NULL)
			fprintf(stderr, "%s: %s: %s\n", progname, label, line);
		else
			fprintf(stderr, "%s: %s\n", progname, line);
	}
	if (where & LOG_TO_SYSLOG) {
		if (label != NULL)
			syslog(pri, "%s: %s", label, line);
		else
			syslog(pri, "%s", line);
	}
}

/* log_info - a record of what happened ("QUEUEID: to=<...>, status=sent") */
void
log_info(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vmsg(LOG_INFO, NULL, fmt, ap);
	va_end(ap);
}

/* log_warn - something is wrong but work goes on */
void
log_warn(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vmsg(LOG_WARNING, "warning", fmt, ap);
	va_end(ap);
}

/* log_error - something failed */
void
log_error(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vmsg(LOG_ERR, "error", fmt, ap);
	va_end(ap);
}

/* log_debug - shown with -v only */
void
log_debug(const char *fmt, ...)
{
	va_list	ap;

	if (verbose <= 0)
		return;
	va_start(ap, fmt);
	log_vmsg(LOG_DEBUG, NULL, fmt, ap);
	va_end(ap);
}
