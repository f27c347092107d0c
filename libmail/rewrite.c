/* SPDX-License-Identifier: ISC */
/*
 * rewrite - canonical maps, one lookup for every program that rewrites:
 * mda-deliver (recipients) and sendmail (envelope and headers, on the way
 * into the queue).
 *
 * Trusts the tables no more than the wire: a value is parsed as an
 * address (control bytes refused) before it replaces one.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "map.h"
#include "rewrite.h"
#include "str.h"

/* find - the first entry for a in the tables; 1, 0 or -1 as rewrite_canon */
static int
find(const struct mail_conf *c, char **names, const struct addr *a,
    struct buf *v, struct mail_err *e)
{
	struct buf	 key = BUF_INIT(600);
	struct map	*m;
	size_t		 i;
	int		 r = 0, step, ex;

	for (i = 0; names[i] != NULL && r == 0; i++) {
		if ((ex = map_open(&m, names[i], MAP_FOLD, e)) != EX_OK) {
			/* A table not built yet: the mail waits for it. */
			if (ex == EX_NOINPUT)
				e->ex = EX_TEMPFAIL;
			r = -1;
			break;
		}
		for (step = 0; step < 3 && r == 0; step++) {
			buf_reset(&key);
			if (step == 0)
				(void)buf_printf(&key, "%s@%s", a->local,
				    a->domain);
			else if (step == 1 && conf_in_list(c,
			    "mydestination", a->domain))
				(void)buf_adds(&key, a->local);
			else if (step == 2)
				(void)buf_printf(&key, "@%s", a->domain);
			else
				continue;
			str_lower(key.s);
			r = map_get(m, key.s, key.len, v, e);
		}
		map_close(m);
	}
	buf_free(&key);
	return r;
}

/* rewrite_canon - a through the tables of param, once */
int
rewrite_canon(const struct mail_conf *c, const char *param, const char *what,
    struct addr *a, struct buf *raw, struct mail_err *e)
{
	struct buf	  v = BUF_INIT(1024), t = BUF_INIT(1024);
	struct addr	  na;
	const char	 *list;
	char		**names;
	int		  r;

	if (param == NULL || (list = conf_get(c, param)) == NULL ||
	    *list == '\0')
		return 0;
	if ((names = conf_list(list, NULL)) == NULL) {
		mail_err_errno(e, errno, "memory");
		return -1;
	}
	r = find(c, names, a, &v, e);
	conf_list_free(names);
	if (r == 1) {
		if (v.s[0] == '@')
			(void)buf_adds(&t, a->local);
		if (buf_add(&t, v.s, v.len) == -1 || str_has_ctl(t.s, t.len) ||
		    addr_parse_mailbox(t.s, t.len, ADDR_P_UTF8 |
		    ADDR_P_NO_DOMAIN, &na, e) != EX_OK) {
			mail_err_set(e, EX_CONFIG, "4.3.5",
			    "%s: %s maps it to a bad address", what, param);
			r = -1;
		} else {
			if (na.domain[0] == '\0')
				memcpy(na.domain, a->domain, sizeof na.domain);
			*a = na;
			if (raw != NULL && buf_set(raw, t.s, t.len) == -1)
				buf_reset(raw);
		}
	}
	buf_free(&v);
	buf_free(&t);
	return r;
}
