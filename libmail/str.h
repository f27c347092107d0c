/* SPDX-License-Identifier: ISC */
/*
 * str - small string helpers and the one bounded number parser.
 */
#ifndef MAILPATH_STR_H
#define MAILPATH_STR_H

#include <stddef.h>

int	 str_tonum(const char *, long long, long long, long long *);
int	 str_toduration(const char *, int, long long *);
void	 str_lower(char *);
void	 str_lower_n(char *, size_t);
int	 str_has_ctl(const char *, size_t);
int	 str_is_ascii(const char *, size_t);
char	*str_trim(char *);
char	*str_dup(const char *);
int	 str_copy(char *, size_t, const char *);

#endif
