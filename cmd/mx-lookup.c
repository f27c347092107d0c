/* SPDX-License-Identifier: ISC */
/*
 * mx-lookup - which hosts take mail for a domain, in the order a mail
 * server tries them (RFC 5321 5.1, RFC 7505), through libmail's dns.
 * Domains come as operands or one per line on stdin; they are untrusted
 * and checked by dns_mx() before any query.
 */
#include "config.h"

#include <sys/socket.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "conf.h"
#include "dns.h"
#include "exitcode.h"
#include "log.h"
#include "str.h"
#include "table.h"

static int	aflag, jflag, explain_flag, ndomains;

static void
usage(void)
{
	fprintf(stderr, "usage: mx-lookup [-aj] [-C config] [-s server[:port]] "
	    "[--explain] [--seed N] [domain ...]\n");
	exit(EX_USAGE);
}

/* json_str - s as a JSON string (table.c's escaping) */
static void
json_str(struct buf *b, const char *s)
{
	table_json_str(b, s, strlen(s));
}

static void
explain_line(const char *line, void *arg)
{
	(void)arg;
	printf("; %s\n", line);
}

static void
print_text(const struct dns_mx *mx)
{
	const struct dns_host	*h;
	size_t			 i, k;

	if (strcmp(mx->domain, mx->udomain) != 0)
		printf("; %s = %s\n", mx->udomain, mx->domain);
	for (i = 0; i < mx->nhost; i++) {
		h = &mx->host[i];
		if (h->ex != EX_OK)
			continue;
		if (ndomains > 1)
			printf("%s\t", mx->domain);
		if (!aflag) {
			printf("%d\t%s\n", h->pref, h->name);
			continue;
		}
		for (k = 0; k < h->naddr; k++) {
			if (k > 0 && ndomains > 1)
				printf("%s\t", mx->domain);
			printf("%d\t%s\t%s\n", h->pref, h->name,
			    h->addr[k].text);
		}
	}
}

static void
print_json(const struct dns_mx *mx, int ex, const struct mail_err *e)
{
	const struct dns_host	*h;
	struct buf		 b = BUF_INIT(1024 * 1024);
	size_t			 i, k;
	int			 first = 1;

	buf_adds(&b, "{\"domain\":");
	json_str(&b, mx->udomain[0] ? mx->udomain : "");
	buf_adds(&b, ",\"ascii\":");
	json_str(&b, mx->domain);
	buf_printf(&b, ",\"status\":%d,\"dsn\":", ex);
	json_str(&b, ex == EX_OK ? "2.0.0" : e->enh);
	if (ex != EX_OK) {
		buf_adds(&b, ",\"error\":");
		json_str(&b, e->text);
	}
	buf_printf(&b, ",\"implicit\":%s,\"hosts\":[",
	    mx->implicit ? "true" : "false");
	for (i = 0; ex == EX_OK && i < mx->nhost; i++) {
		h = &mx->host[i];
		if (h->ex != EX_OK)
			continue;
		buf_printf(&b, "%s{\"pref\":%d,\"host\":", first ? "" : ",",
		    h->pref);
		json_str(&b, h->name);
		buf_adds(&b, ",\"addresses\":[");
		for (k = 0; k < h->naddr; k++) {
			if (k > 0)
				buf_addc(&b, ',');
			json_str(&b, h->addr[k].text);
		}
		buf_adds(&b, "]}");
		first = 0;
	}
	buf_adds(&b, "],\"skipped\":[");
	first = 1;
	for (i = 0; ex == EX_OK && i < mx->nhost; i++) {
		h = &mx->host[i];
		if (h->ex == EX_OK)
			continue;
		buf_printf(&b, "%s{\"pref\":%d,\"host\":", first ? "" : ",",
		    h->pref);
		json_str(&b, h->name);
		buf_adds(&b, ",\"reason\":");
		json_str(&b, h->why);
		buf_addc(&b, '}');
		first = 0;
	}
	buf_adds(&b, "]}");
	puts(buf_str(&b));
	buf_free(&b);
}

static int
lookup(struct dns_res *r, const char *domain, struct mail_err *first)
{
	struct dns_mx	 mx;
	struct mail_err	 e;
	size_t		 i;
	int		 ex;

	ex = dns_mx(r, domain, DNS_F_ADDR, &mx, &e);
	if (ex != EX_OK && first->ex == EX_OK) {
		*first = e;
		/* The first line on stderr: the caller may quote it. */
		fprintf(stderr, "%s %s\n", e.enh, e.text);
	} else if (ex != EX_OK)
		log_error("%s %s", e.enh, e.text);
	if (ex == EX_OK)
		for (i = 0; i < mx.nhost; i++)
			if (mx.host[i].ex != EX_OK)
				log_warn("%s: skipped: %s", mx.udomain,
				    mx.host[i].why);
	if (jflag)
		print_json(&mx, ex, &e);
	else if (ex == EX_OK)
		print_text(&mx);
	dns_mx_free(&mx);
	fflush(stdout);
	return ex;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "explain", no_argument, NULL, 'E' },
		{ "seed", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 }
	};
	struct mail_conf	*conf = NULL;
	struct dns_res		*r;
	struct mail_err		 e, first;
	const char		*cpath = NULL, *server = NULL;
	char			 line[1024];
	long long		 seed = 0;
	int			 c, seeded = 0, ex, oargc;
	size_t			 n;

	log_open(argv[0], LOG_TO_STDERR);
	while ((c = getopt_long(argc, argv, "aC:js:", longopts, NULL)) != -1) {
		switch (c) {
		case 'a':
			aflag = 1;
			break;
		case 'C':
			cpath = optarg;
			break;
		case 'j':
			jflag = 1;
			break;
		case 's':
			server = optarg;
			break;
		case 'E':
			explain_flag = 1;
			break;
		case 'S':
			if (str_tonum(optarg, 0, INT64_MAX, &seed) == -1) {
				fprintf(stderr, "5.3.0 --seed %s: want a whole "
				    "number\n", optarg);
				exit(EX_USAGE);
			}
			seeded = 1;
			break;
		default:
			usage();
		}
	}
	oargc = argc;
	argc -= optind;
	argv += optind;

	if (conf_load(&conf, cpath, &e) != EX_OK) {
		fprintf(stderr, "%s %s\n", e.enh, e.text);
		exit(e.ex);
	}
	if (server == NULL)
		server = conf_get(conf, "dns_server");
	if (dns_open(&r, server, &e) != EX_OK) {
		fprintf(stderr, "%s %s\n", e.enh, e.text);
		conf_free(conf);
		exit(e.ex);
	}
	if (seeded)
		dns_seed(r, (uint64_t)seed);
	if (explain_flag && !jflag)
		dns_set_explain(r, explain_line, NULL);

	mail_err_clear(&first);
	/* Several domains, or a list on stdin: each line names its domain. */
	ndomains = argc == 1 ? 1 : 2;
	for (; argc > 0; argc--, argv++)
		lookup(r, *argv, &first);
	while (ndomains == 2 && optind == oargc &&
	    fgets(line, sizeof line, stdin) != NULL) {
		n = strcspn(line, "\n");
		if (line[n] != '\n' && !feof(stdin)) {
			fprintf(stderr, "5.1.2 a line on stdin is too long\n");
			ex = EX_DATAERR;
			goto out;
		}
		line[n] = '\0';
		if (*str_trim(line) == '\0' || *str_trim(line) == '#')
			continue;
		lookup(r, str_trim(line), &first);
	}
	ex = first.ex;
out:
	dns_close(r);
	conf_free(conf);
	return ex;
}
