/* SPDX-License-Identifier: ISC */
/*
 * conf - the configuration file, main.cf syntax, Postfix's parameter
 * names: "name = value", continuation lines that start with white space,
 * '#' comment lines, $name / ${name} / $(name) expansion at use time,
 * ${name?text} and ${name:text} as in Postfix.  Every parameter has a
 * compiled-in default (see the table in conf.c); unknown names are warned
 * about with file:line.
 */
#ifndef MAILPATH_CONF_H
#define MAILPATH_CONF_H

#include <stddef.h>

#include "exitcode.h"

struct mail_conf;

/*
 * conf_load - read path; NULL means $MAILPATH_CONF, else
 * $(sysconfdir)/mailpath/main.cf.  A missing file is an error only when it
 * was named (-C or the environment); otherwise the defaults stand.
 * EX_OK, or EX_CONFIG with e naming file:line (syntax, a $-expansion loop
 * or error: every value is expanded once here).  Warnings (unknown names,
 * a name set twice, $name of nothing) go to log_warn().  *cp is the
 * caller's, freed with conf_free(); NULL on error.
 */
int	 conf_load(struct mail_conf **, const char *, struct mail_err *);

/* conf_set - override one parameter (-o name=value); EX_OK or EX_CONFIG */
int	 conf_set(struct mail_conf *, const char *, const char *,
	    struct mail_err *);

/*
 * conf_get - the expanded value of a parameter, "" when empty, NULL when
 * the name is neither known nor set in the file.  The string belongs to
 * the configuration and stays valid until conf_free().
 */
const char *conf_get(const struct mail_conf *, const char *);

/* conf_get_raw - the value before expansion (postconf -x shows the other) */
const char *conf_get_raw(const struct mail_conf *, const char *);

/* conf_get_bool - "yes" 1, "no" 0, anything else -1 (and a warning) */
int	 conf_get_bool(const struct mail_conf *, const char *);

/*
 * conf_get_num - a whole number >= 0; conf_get_time - a Postfix time
 * value ("300s", "5d"; def_unit, e.g. 's', for a bare number), in
 * seconds.  EX_OK or EX_CONFIG naming the parameter and its value.
 */
int	 conf_get_num(const struct mail_conf *, const char *, long long *,
	    struct mail_err *);
int	 conf_get_time(const struct mail_conf *, const char *, int,
	    long long *, struct mail_err *);

/*
 * conf_list - split a list value the way Postfix does (commas and/or
 * white space); returns a NULL-terminated vector the caller frees with
 * conf_list_free(), count in *np.  NULL with errno on allocation failure.
 */
char	**conf_list(const char *, size_t *);
void	 conf_list_free(char **);

/*
 * conf_in_list - 1 when word is one of the list parameter's words (ASCII
 * case ignored: "mydestination", "allow_mail_to_commands"), else 0; 0 also
 * when memory runs out.
 */
int	 conf_in_list(const struct mail_conf *, const char *, const char *);

/* conf_file - the file that was read, NULL when only defaults are in use */
const char *conf_file(const struct mail_conf *);

/*
 * conf_foreach - fn(name, raw value, set, arg) for every known parameter
 * and every name set in the file or by conf_set, in strcmp order; set is
 * 1 when the value was set (postconf -n), 0 for a default.
 */
void	 conf_foreach(const struct mail_conf *,
	    void (*)(const char *, const char *, int, void *), void *);

void	 conf_free(struct mail_conf *);

#endif
