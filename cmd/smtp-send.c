/* SPDX-License-Identifier: ISC */
/*
 * smtp-send - hand the message on stdin to the next hop of each recipient
 * (its MX hosts, or the relay host), over SMTP on libcurl, and say what
 * became of each recipient.  The envelope comes from the command line; the
 * options, the configuration and the message are checked by libmail
 * (smtpc, addr) before anything is sent.  Credentials come only from the
 * smtp_sasl_password_maps table, never from the command line.
 */
#include "config.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "exitcode.h"
#include "log.h"
#include "smtpc.h"
#include "str.h"
#include "table.h"

static void
usage(void)
{
	fprintf(stderr, "usage: smtp-send [-jv] [-C config] [-f sender] "
	    "[-r relay] recipient ... <message\n");
	exit(EX_USAGE);
}

static void
transcript(const char *line, void *arg)
{
	(void)arg;
	fprintf(stderr, "%s\n", line);
}

static void
fail(const struct mail_err *e)
{
	fprintf(stderr, "%s %s\n", e->enh, e->text);
	exit(e->ex);
}

/* a time parameter in seconds; def when the name is unknown */
static long
seconds(const struct mail_conf *c, const char *name, long def)
{
	struct mail_err	e;
	long long	v;

	if (conf_get(c, name) == NULL)
		return def;
	if (conf_get_time(c, name, 's', &v, &e) != EX_OK)
		fail(&e);
	return (long)v;
}

static void
print_result(const struct smtpc_rcpt *r, int json)
{
	struct buf	b = BUF_INIT(8192);

	if (json) {
		buf_adds(&b, "{\"recipient\":");
		table_json_str(&b, r->arg, strlen(r->arg));
		buf_adds(&b, ",\"dsn\":");
		table_json_str(&b, r->dsn, strlen(r->dsn));
		buf_printf(&b, ",\"status\":\"%s\",\"code\":%d,\"reply\":",
		    smtpc_status(r->status), r->reply);
		table_json_str(&b, r->text, strlen(r->text));
		buf_adds(&b, ",\"relay\":");
		table_json_str(&b, r->relay, strlen(r->relay));
		buf_addc(&b, '}');
	} else
		buf_printf(&b, "%s\t%s\t%s\t%s\t%s", r->arg, r->dsn,
		    smtpc_status(r->status), r->text, r->relay);
	puts(buf_str(&b));
	buf_free(&b);
}

int
main(int argc, char *argv[])
{
	struct mail_conf	*conf;
	struct smtpc_opts	 o;
	struct smtpc_rcpt	*r;
	struct mail_err		 e;
	struct buf		 msg, from = BUF_INIT(512);
	struct passwd		*pw;
	const char		*cpath = NULL, *sender = NULL, *v;
	long long		 max;
	int			 c, jflag = 0, vflag = 0, ex, i, auth;

	log_open(argv[0], LOG_TO_STDERR);
	memset(&o, 0, sizeof o);
	while ((c = getopt(argc, argv, "C:f:jr:v")) != -1) {
		switch (c) {
		case 'C':
			cpath = optarg;
			break;
		case 'f':
			sender = optarg;
			break;
		case 'j':
			jflag = 1;
			break;
		case 'r':
			o.relay = optarg;
			break;
		case 'v':
			vflag = 1;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();

	if (conf_load(&conf, cpath, &e) != EX_OK)
		fail(&e);
	if (o.relay == NULL)
		o.relay = conf_get(conf, "relayhost");
	if ((v = conf_get(conf, "smtp_helo_name")) == NULL || *v == '\0')
		v = conf_get(conf, "myhostname");
	o.helo = v;
	if ((o.tls = smtpc_tls_level(conf_get(conf,
	    "smtp_tls_security_level"))) == -1) {
		mail_err_set(&e, EX_CONFIG, "4.3.5", "smtp_tls_security_level: "
		    "want none, may, encrypt, verify or secure, not \"%s\"",
		    conf_get(conf, "smtp_tls_security_level"));
		fail(&e);
	}
	o.cafile = conf_get(conf, "smtp_tls_CAfile");
	o.wrapper = conf_get(conf, "smtp_tls_wrappermode") != NULL &&
	    conf_get_bool(conf, "smtp_tls_wrappermode") == 1;
	auth = conf_get_bool(conf, "smtp_sasl_auth_enable");
	if (auth == 1)
		o.sasl_maps = conf_get(conf, "smtp_sasl_password_maps");
	o.auth_cleartext = conf_get(conf, "smtp_tls_auth_only") != NULL &&
	    conf_get_bool(conf, "smtp_tls_auth_only") == 0;
	o.dns_server = conf_get(conf, "dns_server");
	if ((o.port = smtpc_port(conf_get(conf, "smtp_tcp_port"))) == -1) {
		mail_err_set(&e, EX_CONFIG, "4.3.5", "smtp_tcp_port: want a "
		    "port number or smtp, submission, smtps, not \"%s\"",
		    conf_get(conf, "smtp_tcp_port"));
		fail(&e);
	}
	o.connect_timeout = seconds(conf, "smtp_connect_timeout", 30);
	/* libcurl has one timeout per reply: the longest of Postfix's. */
	o.reply_timeout = seconds(conf, "smtp_data_done_timeout", 600);
	if (vflag)
		o.transcript = transcript;
	if (conf_get_num(conf, "message_size_limit", &max, &e) != EX_OK)
		fail(&e);
	if (max <= 0 || max > 1024LL * 1024 * 1024)
		max = 1024LL * 1024 * 1024;

	if (sender == NULL) {
		/* Like sendmail: the user, at myorigin. */
		if ((pw = getpwuid(getuid())) == NULL) {
			mail_err_set(&e, EX_NOUSER, "5.1.7", "who are you? "
			    "(uid %ld has no name); use -f", (long)getuid());
			fail(&e);
		}
		if (buf_printf(&from, "%s@%s", pw->pw_name,
		    conf_get(conf, "myorigin")) == -1) {
			mail_err_errno(&e, errno, "sender");
			fail(&e);
		}
		sender = from.s;
	}

	if (smtpc_read(STDIN_FILENO, &msg, (size_t)max, &e) != EX_OK)
		fail(&e);
	if ((r = calloc((size_t)argc, sizeof *r)) == NULL) {
		mail_err_errno(&e, errno, "recipients");
		fail(&e);
	}
	for (i = 0; i < argc; i++)
		r[i].arg = argv[i];
	ex = smtpc_send(&o, sender, &msg, r, (size_t)argc, &e);
	if (ex == EX_DATAERR && e.ex == EX_DATAERR)
		fail(&e);	/* the sender: nothing was tried */
	/* The first line on stderr: the first recipient that was not sent. */
	for (i = 0; ex != EX_OK && i < argc; i++)
		if (r[i].status != SMTPC_SENT) {
			fprintf(stderr, "%s %s: %s\n", r[i].dsn, r[i].arg,
			    r[i].text);
			break;
		}
	for (i = 0; i < argc; i++)
		print_result(&r[i], jflag);
	free(r);
	buf_free(&msg);
	buf_free(&from);
	conf_free(conf);
	return ex;
}
