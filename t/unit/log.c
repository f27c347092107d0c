/* SPDX-License-Identifier: ISC */
/* Unit tests for libmail/log: sanitising, counting, verbosity. */
#include "config.h"

#include <string.h>
#include <syslog.h>

#include "log.h"
#include "tap.h"

static char	last[2048];
static int	lastpri = -1, calls;

static void
hook(int pri, const char *line)
{
	snprintf(last, sizeof last, "%s", line);
	lastpri = pri;
	calls++;
}

int
main(void)
{
	log_open("/usr/sbin/postmap", 0);
	log_set_hook(hook);
	is_str(log_progname(), "postmap", "program name without directory");

	log_warn("%s:%d: duplicate entry", "canonical", 3);
	is_str(last, "canonical:3: duplicate entry", "warning text");
	is_int(lastpri, LOG_WARNING, "warning priority");
	is_int(log_warnings(), 1, "warnings are counted");

	log_info("ABC123: to=<%s>, status=sent", "walter@example.com");
	is_str(last, "ABC123: to=<walter@example.com>, status=sent",
	    "Postfix-shaped record");

	log_error("bad line: %s", "x\r\ny\033[2J");
	is_str(last, "bad line: x??y?[2J", "control bytes shown as ?");

	calls = 0;
	log_debug("quiet");
	is_int(calls, 0, "debug is silent without -v");
	log_set_verbose(1);
	log_debug("loud");
	is_int(calls, 1, "debug shows with -v");
	is_int(log_verbose(), 1, "verbosity level");
	return tap_done();
}
