/* SPDX-License-Identifier: ISC */
/*
 * rewrite - canonical maps: an address through the tables of a list
 * parameter (canonical_maps, sender_canonical_maps,
 * recipient_canonical_maps), in Postfix's lookup order.
 */
#ifndef MAILPATH_REWRITE_H
#define MAILPATH_REWRITE_H

#include "addr.h"
#include "buf.h"
#include "conf.h"
#include "exitcode.h"

/*
 * rewrite_canon - look a up in the tables of param (NULL or empty: none)
 * as user@domain, then user (when domain is in mydestination), then
 * @domain; the first table with an entry wins.  A value "@domain" keeps
 * the local part, a value without a domain keeps a's domain.  1 when a
 * was rewritten (the value as applied, before parsing, in raw when raw is
 * not NULL), 0 when no table has an entry, -1 with e filled: EX_TEMPFAIL
 * for a missing or unreadable table, EX_CONFIG (4.3.5) for a value that is
 * no address ("WHAT: PARAM maps it to a bad address").
 */
int	 rewrite_canon(const struct mail_conf *, const char *, const char *,
	    struct addr *, struct buf *, struct mail_err *);

#endif
