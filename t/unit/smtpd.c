/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for libmail/smtpd: whole sessions driven by scripted client
 * writes (one segment = one write; the next is sent after the server
 * answered), the replies compared by their codes and texts, and what was
 * handed over compared with what should have been.  The cases follow
 * BATTERY.md families S (framing), B (parsing, limits), D (relay) and E
 * (headers); their tags are in the names.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "buf.h"
#include "exitcode.h"
#include "handoff.h"
#include "log.h"
#include "map.h"
#include "netaddr.h"
#include "smtpd.h"
#include "tap.h"

struct seg {
	const char	*p;	/* NULL: the client stays silent (timeout) */
	size_t		 n;
};
#define S(x)	{ x, sizeof(x) - 1 }
#define SILENCE	{ NULL, 1 }
#define END	{ NULL, 0 }

/* the scripted client */
struct script {
	const struct seg *seg;
	size_t		 i, off;
	int		 started, early;
	struct buf	 out;
};

/* what the "queue" got */
struct sink {
	struct buf	 cur, last, env;
	int		 open, nmsg;
	int		 result;	/* what msg_close answers */
};

#define T_TRUSTED	0x01	/* client 127.0.0.1 (in mynetworks) */
#define T_NORMALIZE	0x02	/* smtpd_forbid_bare_newline = normalize */
#define T_EARLY		0x04	/* first segment came before the greeting */
#define T_RLIMIT	0x08	/* smtpd_recipient_limit = 2 */
#define T_LENIENT	0x10	/* smtpd_forbid_unauth_pipelining = no */
#define T_SMALL		0x20	/* message_size_limit = 100 */
#define T_TEMPFAIL	0x40	/* the hand-off answers EX_TEMPFAIL */
#define T_NOUSER	0x80	/* the hand-off answers EX_NOUSER */
#define T_SUBMIT	0x100	/* submission role */
#define T_HOPS3		0x200	/* hopcount_limit = 3 */
#define T_TLS		0x400	/* STARTTLS offered (a stand-in handshake) */
#define T_AUTH		0x800	/* AUTH offered: alice/alicepw */
#define T_PLAINAUTH	0x1000	/* smtpd_tls_auth_only = no */
#define T_TAIL		0x2000	/* the message ends with body */
#define T_LOGINMAP	0x4000	/* smtpd_sender_login_maps = loginmap */
#define T_FROMCHK	0x8000	/* smtpd_submission_header_from_check */

static char loginmap[256];	/* the table T_LOGINMAP names, made in main */

static struct buf dsn = BUF_INIT(4096);	/* DSN data of the last message */

struct tcase {
	const char	*name;
	int		 flags;
	struct seg	 seg[14];
	const char	*codes;		/* final reply codes, in order */
	int		 nmsg;		/* messages handed over */
	const char	*reply;		/* a line the server must have sent */
	const char	*body;		/* text in the last message */
	const char	*env;		/* "sender|rcpt,rcpt" of the last message */
};

#define EHLO	S("EHLO client.remote.invalid\r\n")
#define FROM	S("MAIL FROM:<alice@remote.invalid>\r\n")
#define TO	S("RCPT TO:<bob@example.test>\r\n")
#define DATA	S("DATA\r\n")
#define TX	EHLO, FROM, TO, DATA
#define SMUG(x)	S("Subject: one\r\n\r\nbody-one" x "MAIL FROM:<admin@example.test>\r\n" \
		    "RCPT TO:<bob@example.test>\r\nDATA\r\nSubject: SMUGGLED\r\n\r\nevil\r\n.\r\n")
#define QUIT	S("QUIT\r\n")

static const struct tcase cases[] = {
	/* The lecture's telnet dialogue, Lebowski to Sobchak. */
	{ "lecture dialogue", T_TAIL, { S("HELO dude-mbp.example.com\r\n"),
	    S("MAIL FROM:<dude@example.com>\r\n"),
	    S("RCPT TO:<walter@example.org>\r\n"), DATA,
	    S("From: Jeff Lebowski <dude@example.com>\r\n"
	    "To: Walter Sobchak <walter@example.org>\r\nSubject: Bowling\r\n"
	    "\r\nYo Walter -\r\n\r\nBowling tonite?\r\n\r\n--Dude\r\n.\r\n"),
	    QUIT, END }, "220 250 250 250 354 250 221", 1,
	    "354 End data with <CR><LF>.<CR><LF>",
	    "Subject: Bowling\n\nYo Walter -\n\nBowling tonite?\n\n--Dude\n",
	    "dude@example.com|walter@example.org" },
	{ "EHLO lists the extensions", 0, { EHLO, QUIT, END },
	    "220 250 221", 0, "250-PIPELINING", NULL, NULL },
	{ "PIPELINING: MAIL RCPT DATA in one write", 0, { EHLO,
	    S("MAIL FROM:<a@remote.invalid>\r\nRCPT TO:<bob@example.test>\r\n"
	    "RCPT TO:<carol@example.test>\r\nDATA\r\n"),
	    S("Subject: p\r\n\r\nx\r\n.\r\nQUIT\r\n"), END },
	    "220 250 250 250 250 354 250 221", 1, NULL, "Subject: p\n\nx\n",
	    "a@remote.invalid|bob@example.test,carol@example.test" },

	/* S: framing and smuggling */
	{ "S-04 CR.CRLF smuggling, reject", 0, { TX, SMUG("\r.\r\n"), END },
	    "220 250 250 250 354 521", 0,
	    "521 5.5.2 mx.example.test Error: bare <CR> received", NULL, NULL },
	{ "S-04 CR.CRLF smuggling, normalize", T_NORMALIZE,
	    { TX, SMUG("\r.\r\n"), END }, "220 250 250 250 354 250", 1, NULL,
	    "body-one\n.\nMAIL FROM:<admin@example.test>\n", NULL },
	{ "S-05 \\r.\\r, reject", 0, { TX, SMUG("\r.\r"), END },
	    "220 250 250 250 354 521", 0, NULL, NULL, NULL },
	{ "S-05 \\r.\\r, normalize", T_NORMALIZE, { TX, SMUG("\r.\r"), END },
	    "220 250 250 250 354 250", 1, NULL,
	    "\nMAIL FROM:<admin@example.test>\n", NULL },
	{ "S-05 \\r\\n.\\r, reject", 0, { TX, SMUG("\r\n.\r"), END },
	    "220 250 250 250 354 521", 0, NULL, NULL, NULL },
	{ "S-05 \\r\\n.\\r, normalize", T_NORMALIZE,
	    { TX, SMUG("\r\n.\r"), END }, "220 250 250 250 354 250", 1, NULL,
	    "\nMAIL FROM:<admin@example.test>\n", NULL },
	{ "S-05 \\n.\\r, reject", 0, { TX, SMUG("\n.\r"), END },
	    "220 250 250 250 354 521", 0,
	    "521 5.5.2 mx.example.test Error: bare <LF> received", NULL, NULL },
	{ "S-05 \\n.\\r, normalize", T_NORMALIZE, { TX, SMUG("\n.\r"), END },
	    "220 250 250 250 354 250", 1, NULL,
	    "\nMAIL FROM:<admin@example.test>\n", NULL },
	{ "SMUG(\\n.\\n), reject", 0, { TX, SMUG("\n.\n"), END },
	    "220 250 250 250 354 521", 0, NULL, NULL, NULL },
	{ "SMUG(\\n.\\n), normalize", T_NORMALIZE, { TX, SMUG("\n.\n"), END },
	    "220 250 250 250 354 250", 1, NULL,
	    "body-one\n.\nMAIL FROM:<admin@example.test>\n", NULL },
	{ "SMUG(\\n.\\r\\n), normalize", T_NORMALIZE,
	    { TX, SMUG("\n.\r\n"), END }, "220 250 250 250 354 250", 1, NULL,
	    "\nMAIL FROM:<admin@example.test>\n", NULL },
	{ "S-06 NUL before the dot", 0, { TX, SMUG("\r\n\0.\r\n"), END },
	    "220 250 250 250 354 554", 0,
	    "554 5.6.0 Error: NUL byte in message", NULL, NULL },
	{ "S-06 NUL after the dot", 0, { TX, SMUG("\r\n.\0\r\n"), END },
	    "220 250 250 250 354 554", 0, NULL, NULL, NULL },
	{ "S-07 bare LF in headers, reject", 0, { TX,
	    S("From: x@y\nBcc: victim@remote.invalid\r\nSubject: s\r\n\r\nb\r\n"
	    ".\r\n"), END }, "220 250 250 250 354 521", 0, NULL, NULL, NULL },
	{ "S-07 bare LF in headers, normalize", T_NORMALIZE, { TX,
	    S("From: x@y\nBcc: victim@remote.invalid\r\nSubject: s\r\n\r\nb\r\n"
	    ".\r\n"), END }, "220 250 250 250 354 250", 1, NULL,
	    "\nFrom: x@y\nBcc: victim@remote.invalid\nSubject: s\n\nb\n",
	    NULL },
	/* RFC 5321 4.5.2: the first dot of a longer line goes. */
	{ "S-09 dot-unstuffing", T_TAIL, { TX,
	    S("S: d\r\n\r\n..\r\n...\r\n..foo\r\n.bar\r\n.\r\n"), END },
	    "220 250 250 250 354 250", 1, NULL, "\n\n.\n..\n.foo\nbar\n", NULL },
	{ "S-10 pipelining after HELO", 0, { S("HELO c\r\n"),
	    S("MAIL FROM:<alice@remote.invalid>\r\nRCPT TO:<bob@example.test>"
	    "\r\n"), END }, "220 250 554", 0,
	    "554 5.5.0 Error: SMTP protocol synchronization", NULL, NULL },
	{ "S-10 lenient when allowed", T_LENIENT, { S("HELO c\r\n"),
	    S("MAIL FROM:<alice@remote.invalid>\r\nRCPT TO:<bob@example.test>"
	    "\r\n"), END }, "220 250 250 250", 0, NULL, NULL, NULL },
	{ "S-11 early talker", T_EARLY, { S("EHLO x\r\nMAIL FROM:<a@remote."
	    "invalid>\r\n"), END }, "554", 0, NULL, NULL, NULL },
	{ "S-12 EHLO not last in its packet", 0, { S("EHLO x\r\nMAIL FROM:<"
	    "alice@remote.invalid>\r\n"), END }, "220 554", 0, NULL, NULL,
	    NULL },
	{ "DATA not last in its packet", 0, { EHLO, FROM, TO,
	    S("DATA\r\nSubject: x\r\n\r\ny\r\n.\r\n"), END },
	    "220 250 250 250 554", 0, NULL, NULL, NULL },

	/* B: command parsing and limits */
	{ "B-05 bare CR inside a command", 0, { S("RSET\rQUIT\r\n"), END },
	    "220 500", 0, "500 5.5.2 Error: bare <CR> received", NULL, NULL },
	{ "bare LF after a command, reject", 0, { S("NOOP\n"), QUIT, END },
	    "220 500 221", 0, "500 5.5.2 Error: bare <LF> received", NULL,
	    NULL },
	{ "bare LF after a command, normalize", T_NORMALIZE,
	    { S("NOOP\n"), QUIT, END }, "220 250 221", 0, NULL, NULL, NULL },
	{ "B-06 HELO and EHLO without argument", 0, { S("HELO\r\n"),
	    S("EHLO\r\n"), S("EHLO   \r\n"), END }, "220 501 501 501", 0,
	    "501 5.5.4 Syntax: EHLO hostname", NULL, NULL },
	{ "B-07 MAIL before HELO", 0, { S("MAIL FROM:<me@example.test>\r\n"),
	    END }, "220 503", 0, "503 5.5.1 Error: send HELO/EHLO first",
	    NULL, NULL },
	{ "B-08 sequence errors leave the session usable", 0, { EHLO,
	    S("RCPT TO:<bob@example.test>\r\n"), DATA, FROM,
	    S("MAIL FROM:<x@remote.invalid>\r\n"), DATA,
	    S("RCPT TO:<x@remote.invalid>\r\n"), DATA, S("NOOP\r\n"), END },
	    "220 250 503 503 250 503 503 554 554 250", 0,
	    "554 5.5.1 Error: no valid recipients", NULL, NULL },
	{ "B-09 sender syntax", 0, { EHLO, S("MAIL FROM:<;sleep 66;>\r\n"),
	    S("MAIL FROM:<a@>\r\n"), S("MAIL FROM:<@a>\r\n"),
	    S("MAIL FROM:< @a>\r\n"), S("MAIL FROM:<a@ >\r\n"),
	    S("MAIL FROM:<a:@a>\r\n"), S("MAIL FROM:<a>\r\n"),
	    S("MAIL FROM:<user@example.test> OPT\r\n"),
	    S("MAIL FROM:user@example.test\r\n"), S("MAIL FROM:<>\r\n"), END },
	    "220 250 501 501 501 501 501 501 501 555 501 250", 0, NULL, NULL,
	    NULL },
	{ "B-10 source routes are dropped", 0, { EHLO,
	    S("MAIL FROM:<@relay.invalid:alice@remote.invalid>\r\n"),
	    S("RCPT TO:<@mx.example.test:bob@example.test>\r\n"), DATA,
	    S("\r\nx\r\n.\r\n"), END }, "220 250 250 250 354 250", 1, NULL,
	    NULL, "alice@remote.invalid|bob@example.test" },
	{ "B-11 a 64-octet local part is fine, 65 is not", 0, { EHLO, S(
	    "MAIL FROM:<aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "a@remote.invalid>\r\n"), S(
	    "MAIL FROM:<aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "@remote.invalid>\r\n"), END }, "220 250 501 250", 0, NULL, NULL,
	    NULL },
	{ "B-13 unknown ESMTP parameter", 0, { EHLO,
	    S("MAIL FROM:<alice@remote.invalid> FOO=bar\r\n"), END },
	    "220 250 555", 0, "555 5.5.4 Unsupported option: FOO", NULL,
	    NULL },
	{ "parameters need EHLO", 0, { S("HELO c\r\n"),
	    S("MAIL FROM:<alice@remote.invalid> BODY=8BITMIME\r\n"), END },
	    "220 250 555", 0, NULL, NULL, NULL },
	{ "B-14 SIZE", 0, { EHLO,
	    S("MAIL FROM:<a@remote.invalid> SIZE=99999999999999999999\r\n"),
	    S("MAIL FROM:<a@remote.invalid> SIZE=-1\r\n"),
	    S("MAIL FROM:<a@remote.invalid> SIZE=10240001\r\n"),
	    S("MAIL FROM:<a@remote.invalid> SIZE=x\r\n"),
	    S("MAIL FROM:<a@remote.invalid> SIZE=10240000 BODY=8BITMIME\r\n"),
	    END }, "220 250 552 501 552 501 250", 0,
	    "552 5.3.4 Message size exceeds fixed limit", NULL, NULL },
	{ "B-16 8-bit sender without SMTPUTF8", 0, { EHLO,
	    S("MAIL FROM:<f\xc3\xb6\xc3\xa4@remote.invalid>\r\n"), END },
	    "220 250 553", 0, NULL, NULL, NULL },
	{ "B-16 bad UTF-8 with SMTPUTF8", 0, { EHLO,
	    S("MAIL FROM:<f\xc3@remote.invalid> SMTPUTF8\r\n"), END },
	    "220 250 501", 0, NULL, NULL, NULL },
	{ "SMTPUTF8 sender and recipient", 0, { EHLO,
	    S("MAIL FROM:<f\xc3\xb6\xc3\xa4@remote.invalid> SMTPUTF8\r\n"),
	    S("RCPT TO:<j\xc3\xb6rg@example.test>\r\n"), DATA,
	    S("\r\nx\r\n.\r\n"), END }, "220 250 250 250 354 250", 1, NULL,
	    "with UTF8SMTP", "f\xc3\xb6\xc3\xa4@remote.invalid|"
	    "j\xc3\xb6rg@example.test" },
	{ "B-17 message over the size limit", T_SMALL, { TX,
	    S("Subject: big\r\n\r\n0123456789012345678901234567890123456789\r\n"
	    "0123456789012345678901234567890123456789\r\n"
	    "0123456789012345678901234567890123456789\r\n.\r\n"),
	    FROM, END }, "220 250 250 250 354 552 250", 0,
	    "552 5.3.4 Error: message file too big", NULL, NULL },
	{ "B-19 idle timeout", 0, { EHLO, SILENCE, END }, "220 250 421", 0,
	    "421 4.4.2 mx.example.test Error: timeout exceeded", NULL, NULL },
	{ "B-19 timeout inside DATA", 0, { TX, S("Subject: x\r\n"), SILENCE,
	    END }, "220 250 250 250 354 421", 0, NULL, NULL, NULL },
	{ "B-20 error limit", 0, { S("XYZZY\r\nXYZZY\r\nXYZZY\r\nXYZZY\r\n"
	    "XYZZY\r\nXYZZY\r\nXYZZY\r\nXYZZY\r\nXYZZY\r\nXYZZY\r\n"),
	    S("XYZZY\r\nXYZZY\r\nXYZZY\r\nXYZZY\r\n"
	    "XYZZY\r\nXYZZY\r\nXYZZY\r\nXYZZY\r\nXYZZY\r\nXYZZY\r\n"),
	    S("XYZZY\r\nXYZZY\r\nXYZZY\r\nXYZZY\r\nXYZZY\r\n"), END },
	    "220 502 502 502 502 502 502 502 502 502 502 502 502 502 502 502 "
	    "502 502 502 502 502 421", 0,
	    "421 4.7.0 mx.example.test Error: too many errors", NULL, NULL },
	{ "B-21 VRFY and EXPN leak nothing", 0, { EHLO, S("VRFY pipe\r\n"),
	    S("EXPN list\r\n"), S("VRFY\r\n"), END }, "220 250 252 502 501", 0,
	    "252 2.0.0 Cannot VRFY user, but will accept message and attempt "
	    "delivery", NULL, NULL },
	{ "RSET, NOOP, HELP, QUIT", 0, { EHLO, FROM, S("RSET\r\n"), TO,
	    S("NOOP hello\r\n"), S("HELP\r\n"), S("RSET x\r\n"), QUIT, END },
	    "220 250 250 250 503 250 214 501 221", 0, NULL, NULL, NULL },
	{ "a second HELO resets the transaction", 0, { EHLO, FROM, EHLO, TO,
	    END }, "220 250 250 250 503", 0, NULL, NULL, NULL },
	{ "control characters in a command", 0, { S("EHLO a\x0b" "b\x1b[31mc\r\n"),
	    S("\r\n"), END }, "220 501 500", 0, NULL, NULL, NULL },
	{ "too many recipients", T_RLIMIT, { EHLO, FROM, TO,
	    S("RCPT TO:<carol@example.test>\r\n"),
	    S("RCPT TO:<alice@example.test>\r\n"), DATA, S("\r\nx\r\n.\r\n"),
	    END }, "220 250 250 250 250 452 354 250", 1,
	    "452 4.5.3 Error: too many recipients", NULL,
	    "alice@remote.invalid|bob@example.test,carol@example.test" },
	{ "submission role wants AUTH", T_SUBMIT, { EHLO, FROM, END },
	    "220 250 530", 0, "530 5.7.0 Authentication required", NULL,
	    NULL },

	/* D: relay control, from an outside address */
	{ "D-00 positive control", 0, { S("EHLO c\r\n"),
	    S("MAIL FROM:<x@remote.invalid>\r\n"), TO, DATA,
	    S("Subject: ok\r\n\r\nok\r\n.\r\n"), END },
	    "220 250 250 250 354 250", 1, NULL, "Subject: ok\n", NULL },
	{ "D-01 null sender to a remote domain", 0, { EHLO,
	    S("MAIL FROM:<>\r\n"), S("RCPT TO:<relaytest@remote.invalid>\r\n"),
	    DATA, END }, "220 250 250 554 554", 0,
	    "554 5.7.1 <relaytest@remote.invalid>: Relay access denied", NULL,
	    NULL },
	{ "D-02..04 forged and literal senders", 0, { EHLO,
	    S("MAIL FROM:<antispam@mx.example.test>\r\n"),
	    S("RCPT TO:<relaytest@remote.invalid>\r\n"), S("RSET\r\n"),
	    S("MAIL FROM:<antispam@[192.0.2.1]>\r\n"),
	    S("RCPT TO:<relaytest@remote.invalid>\r\n"), END },
	    "220 250 250 554 250 250 554", 0, NULL, NULL, NULL },
	{ "D-06..09 percent hack, quoted forms, double @", 0, { EHLO, FROM,
	    S("RCPT TO:<relaytest%remote.invalid@mx.example.test>\r\n"),
	    S("RCPT TO:<\"relaytest@remote.invalid\">\r\n"),
	    S("RCPT TO:<\"relaytest%remote.invalid\">\r\n"),
	    S("RCPT TO:<\"relaytest@remote.invalid\"@example.test>\r\n"),
	    S("RCPT TO:<relaytest@remote.invalid@[192.0.2.1]>\r\n"), DATA,
	    END }, "220 250 250 554 554 554 554 501 554", 0, NULL, NULL,
	    NULL },
	{ "D-12 source route through our literal", 0, { EHLO, FROM,
	    S("RCPT TO:<@[192.0.2.1]:relaytest@remote.invalid>\r\n"), END },
	    "220 250 250 554", 0, NULL, NULL, NULL },
	{ "D-14..15 bang paths", 0, { EHLO, FROM,
	    S("RCPT TO:<remote.invalid!relaytest>\r\n"),
	    S("RCPT TO:<remote.invalid!relaytest@[192.0.2.1]>\r\n"), END },
	    "220 250 250 554 554", 0, NULL, NULL, NULL },
	{ "D-18 trailing dot and case", 0, { EHLO, FROM,
	    S("RCPT TO:<bob@EXAMPLE.TEST.>\r\n"),
	    S("RCPT TO:<x@remote.invalid.>\r\n"), END }, "220 250 250 250 554",
	    0, NULL, NULL, NULL },
	{ "D-19 address literals", 0, { EHLO, FROM,
	    S("RCPT TO:<x@[198.51.100.7]>\r\n"),
	    S("RCPT TO:<x@[IPv6:2001:db8::1]>\r\n"),
	    S("RCPT TO:<bob@[192.0.2.1]>\r\n"), END },
	    "220 250 250 554 554 250", 0, NULL, NULL, NULL },
	{ "D-20 unqualified recipients are local", 0, { EHLO, FROM,
	    S("RCPT TO:<postmaster>\r\n"), S("RCPT TO:<Postmaster>\r\n"),
	    S("RCPT TO:<nosuchuser>\r\n"), DATA, S("\r\nx\r\n.\r\n"), END },
	    "220 250 250 250 250 550 354 250", 1,
	    "550 5.1.1 <nosuchuser@mx.example.test>: Recipient address "
	    "rejected: User unknown in local recipient table", NULL,
	    "alice@remote.invalid|postmaster@mx.example.test,"
	    "Postmaster@mx.example.test" },
	{ "D-21 XCLIENT, XFORWARD, PROXY", 0, {
	    S("PROXY TCP4 127.0.0.1 127.0.0.1 1 25\r\n"), EHLO,
	    S("XCLIENT ADDR=127.0.0.1\r\n"), S("XFORWARD ADDR=127.0.0.1\r\n"),
	    FROM, S("RCPT TO:<relaytest@remote.invalid>\r\n"), END },
	    "220 502 250 502 502 250 554", 0, NULL, NULL, NULL },
	{ "relay_domains and their subdomains", 0, { EHLO, FROM,
	    S("RCPT TO:<x@relay.test>\r\n"), S("RCPT TO:<x@a.relay.test>\r\n"),
	    S("RCPT TO:<x@notrelay.test>\r\n"),
	    S("RCPT TO:<x%y@relay.test>\r\n"), END },
	    "220 250 250 250 250 554 554", 0, NULL, NULL, NULL },
	{ "mynetworks may relay", T_TRUSTED, { EHLO, FROM,
	    S("RCPT TO:<relaytest@remote.invalid>\r\n"), DATA,
	    S("\r\nx\r\n.\r\n"), END }, "220 250 250 250 354 250", 1, NULL,
	    "from client.remote.invalid ([127.0.0.1])",
	    "alice@remote.invalid|relaytest@remote.invalid" },
	{ "temporary local lookup failure", 0, { EHLO, FROM,
	    S("RCPT TO:<tempuser@example.test>\r\n"), END }, "220 250 250 450",
	    0, NULL, NULL, NULL },

	/* E: headers */
	{ "E-01 HELO made safe for the Received: header", 0,
	    { S("EHLO a(b)c\\d;e\r\n"), FROM, TO, DATA, S("\r\nx\r\n.\r\n"),
	    END }, "220 250 250 250 354 250", 1, NULL,
	    "Received: from a?b?c?d?e ([192.0.2.9])\n\tby mx.example.test "
	    "(mailpath) with ESMTP id ", NULL },
	{ "E-05 client Return-Path and Content-Length are dropped", T_TAIL, { TX,
	    S("Return-Path: <ceo@example.test>\r\nContent-Length: 5\r\n"
	    "  folded\r\nSubject: s\r\n\r\nContent-Length: 7\r\n.\r\n"), END },
	    "220 250 250 250 354 250", 1, NULL,
	    "\nSubject: s\n\nContent-Length: 7\n", NULL },
	{ "E-06 hop count at the limit", T_HOPS3, { TX,
	    S("Received: a\r\nReceived: b\r\nreceived: c\r\n\r\nx\r\n.\r\n"),
	    END }, "220 250 250 250 354 250", 1, NULL, NULL, NULL },
	{ "E-06 hop count over the limit", T_HOPS3, { TX,
	    S("Received: a\r\nReceived: b\r\nreceived: c\r\nRECEIVED: d\r\n"
	    "\r\nx\r\n.\r\n"), END }, "220 250 250 250 354 554", 0,
	    "554 5.4.6 Error: too many hops (4 Received: headers)", NULL,
	    NULL },
	{ "E-06 Received: in the body does not count", T_HOPS3, { TX,
	    S("Received: a\r\n\r\nReceived: b\r\nReceived: c\r\nReceived: d"
	    "\r\n.\r\n"), END }, "220 250 250 250 354 250", 1, NULL, NULL,
	    NULL },
	{ "E-08 NUL in the body", 0, { TX, S("Subject: a\r\n\r\nabc\0def\r\n"
	    ".\r\n"), FROM, END }, "220 250 250 250 354 554 250", 0, NULL, NULL,
	    NULL },

	/* STARTTLS, with a handshake that always works */
	{ "STARTTLS is offered and resets the session", T_TLS, { EHLO,
	    S("STARTTLS\r\n"), FROM, EHLO, FROM, TO, DATA,
	    S("Subject: tls\r\n\r\nx\r\n.\r\n"), END },
	    "220 250 220 503 250 250 250 354 250", 1, "250 STARTTLS\r\n",
	    "\n\t(using TLSv1.3 with cipher TEST)\n\tby mx.example.test "
	    "(mailpath) with ESMTPS id ", NULL },
	{ "CVE-2011-0411 plaintext behind STARTTLS is discarded",
	    T_TLS | T_LENIENT, { EHLO, S("STARTTLS\r\nNOOP INJECTED\r\n"),
	    FROM, END }, "220 250 220 503", 0, NULL, NULL, NULL },
	{ "STARTTLS with more behind it, pipelining forbidden", T_TLS,
	    { EHLO, S("STARTTLS\r\nNOOP INJECTED\r\n"), END },
	    "220 250 554", 0, NULL, NULL, NULL },
	{ "C-03 a second STARTTLS", T_TLS, { EHLO, S("STARTTLS\r\n"),
	    S("STARTTLS\r\n"), S("NOOP\r\n"), END }, "220 250 220 554 250",
	    0, "554 5.5.1 Error: TLS already active", NULL, NULL },
	{ "STARTTLS with an argument", T_TLS, { EHLO, S("STARTTLS now\r\n"),
	    END }, "220 250 501", 0, NULL, NULL, NULL },
	{ "STARTTLS when TLS is not configured", 0, { EHLO,
	    S("STARTTLS\r\n"), END }, "220 250 502", 0, NULL, NULL, NULL },

	/* AUTH, against a stand-in password check */
#define PLAIN_ALICE	"AGFsaWNlAGFsaWNlcHc="	/* \0alice\0alicepw */
#define PLAIN_BAD	"AGJvYgB3cm9uZ3B3"	/* \0bob\0wrongpw */
	{ "AUTH before TLS: 538 5.7.11", T_AUTH | T_TLS, { EHLO,
	    S("AUTH PLAIN " PLAIN_ALICE "\r\n"), END }, "220 250 538", 0,
	    "538 5.7.11 Encryption required", NULL, NULL },
	{ "AUTH is offered only after TLS", T_AUTH | T_TLS, { EHLO,
	    S("STARTTLS\r\n"), EHLO, END }, "220 250 220 250", 0,
	    "250-DSN\r\n250 STARTTLS\r\n220 2.0.0 Ready to start TLS\r\n"
	    "250-mx.example.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
	    "250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n"
	    "250-CHUNKING\r\n250-DSN\r\n250 AUTH PLAIN LOGIN\r\n", NULL, NULL },
	{ "AUTH PLAIN with an initial response, then relaying",
	    T_AUTH | T_TLS, { EHLO, S("STARTTLS\r\n"), EHLO,
	    S("AUTH PLAIN " PLAIN_ALICE "\r\n"),
	    S("MAIL FROM:<alice@remote.invalid> AUTH=<>\r\n"),
	    S("RCPT TO:<x@remote.invalid>\r\n"), DATA, S("\r\nx\r\n.\r\n"),
	    END }, "220 250 220 250 235 250 250 354 250", 1,
	    "235 2.7.0 Authentication successful", "with ESMTPSA id ",
	    "alice@remote.invalid|x@remote.invalid" },
	{ "AUTH PLAIN after a 334 challenge", T_AUTH | T_PLAINAUTH, { EHLO,
	    S("AUTH PLAIN\r\n"), S(PLAIN_ALICE "\r\n"), END },
	    "220 250 334 235", 0, "334 \r\n", NULL, NULL },
	{ "AUTH LOGIN", T_AUTH | T_PLAINAUTH, { EHLO, S("AUTH LOGIN\r\n"),
	    S("YWxpY2U=\r\n"), S("YWxpY2Vwdw==\r\n"), END },
	    "220 250 334 334 235", 0, "334 VXNlcm5hbWU6", NULL, NULL },
	{ "AUTH LOGIN with the user name given", T_AUTH | T_PLAINAUTH, { EHLO,
	    S("AUTH LOGIN YWxpY2U=\r\n"), S("YWxpY2Vwdw==\r\n"), END },
	    "220 250 334 235", 0, "334 UGFzc3dvcmQ6", NULL, NULL },
	{ "C-10 AUTH robustness: bad base64, cancel, unknown mechanism",
	    T_AUTH | T_PLAINAUTH, { EHLO, S("AUTH PLAIN !!!notbase64\r\n"),
	    S("AUTH PLAIN\r\n"), S("*\r\n"), S("AUTH CRAM-MD5\r\n"),
	    S("AUTH PLAIN AGFsaWNl\r\n"), S("AUTH\r\n"), END },
	    "220 250 501 334 501 504 535 501", 0,
	    "501 5.7.0 Authentication aborted", NULL, NULL },
	{ "C-10 failed AUTHs end the session", T_AUTH | T_PLAINAUTH, { EHLO,
	    S("AUTH PLAIN " PLAIN_BAD "\r\n"), S("AUTH PLAIN " PLAIN_BAD "\r\n"),
	    S("AUTH PLAIN " PLAIN_BAD "\r\n"), S("NOOP\r\n"), END },
	    "220 250 535 535 535 421", 0,
	    "421 4.7.0 mx.example.test Error: too many failed authentications",
	    NULL, NULL },
	{ "C-09 control characters in the login name", T_AUTH | T_PLAINAUTH,
	    { EHLO, S("AUTH PLAIN AGFsaWNlDQpYLUluamVjdGVkOiB5ZXMAYWxpY2Vwdw=="
	    "\r\n"), END }, "220 250 535", 0, NULL, NULL, NULL },
	{ "AUTH twice, and AUTH inside a transaction", T_AUTH | T_PLAINAUTH,
	    { EHLO, FROM, S("AUTH PLAIN " PLAIN_ALICE "\r\n"), S("RSET\r\n"),
	    S("AUTH PLAIN " PLAIN_ALICE "\r\n"),
	    S("AUTH PLAIN " PLAIN_ALICE "\r\n"), END },
	    "220 250 250 503 250 235 503", 0, NULL, NULL, NULL },
	{ "AUTH not configured", 0, { EHLO, S("AUTH PLAIN " PLAIN_ALICE "\r\n"),
	    END }, "220 250 502", 0, NULL, NULL, NULL },
	{ "C-05 submission without AUTH: 530", T_SUBMIT | T_AUTH | T_PLAINAUTH,
	    { EHLO, S("MAIL FROM:<alice@example.test>\r\n"), END },
	    "220 250 530", 0, NULL, NULL, NULL },
	{ "C-06 submission: only the user's own sender", T_SUBMIT | T_AUTH |
	    T_PLAINAUTH, { EHLO, S("AUTH PLAIN " PLAIN_ALICE "\r\n"),
	    S("MAIL FROM:<bob@example.test>\r\n"),
	    S("MAIL FROM:<alice@remote.invalid>\r\n"),
	    S("MAIL FROM:<alice@example.test>\r\n"),
	    S("RCPT TO:<x@remote.invalid>\r\n"), END },
	    "220 250 235 553 553 250 250", 0,
	    "553 5.7.1 <bob@example.test>: Sender address rejected: not "
	    "owned by user alice", NULL, NULL },

	/* smtpd_sender_login_maps; the default owners without it */
#define SUBAUTH	EHLO, S("AUTH PLAIN " PLAIN_ALICE "\r\n")
	{ "submission: the default owners are login@ myorigin and "
	    "mydestination", T_SUBMIT | T_AUTH | T_PLAINAUTH, { SUBAUTH,
	    S("MAIL FROM:<alice@example.net>\r\n"), S("RSET\r\n"),
	    S("MAIL FROM:<alice@mx.example.test>\r\n"), S("RSET\r\n"),
	    S("MAIL FROM:<>\r\n"), S("RSET\r\n"),
	    S("MAIL FROM:<alice@relay.test>\r\n"),
	    S("MAIL FROM:<alicex@example.test>\r\n"), END },
	    "220 250 235 250 250 250 250 250 250 553 553", 0,
	    "553 5.7.1 <alice@relay.test>: Sender address rejected: not "
	    "owned by user alice", NULL, NULL },
	{ "C-06 smtpd_sender_login_maps: address, local part, @domain",
	    T_SUBMIT | T_AUTH | T_PLAINAUTH | T_LOGINMAP, { SUBAUTH,
	    S("MAIL FROM:<Sales@Example.TEST>\r\n"), S("RSET\r\n"),
	    S("MAIL FROM:<info@example.org>\r\n"), S("RSET\r\n"),
	    S("MAIL FROM:<anyone@shared.test>\r\n"), S("RSET\r\n"),
	    S("MAIL FROM:<carol@example.test>\r\n"),
	    S("MAIL FROM:<info@remote.invalid>\r\n"),
	    S("MAIL FROM:<alice@example.net>\r\n"),
	    S("MAIL FROM:<alice@example.test>\r\n"), END },
	    "220 250 235 250 250 250 250 250 250 553 553 553 250", 0,
	    "553 5.7.1 <carol@example.test>: Sender address rejected: not "
	    "owned by user alice", NULL, NULL },

	/* smtpd_submission_header_from_check */
#define SUBTX	SUBAUTH, S("MAIL FROM:<alice@example.test>\r\n"), \
		    S("RCPT TO:<x@remote.invalid>\r\n"), DATA
	{ "From: check: the login's own address passes", T_SUBMIT | T_AUTH |
	    T_PLAINAUTH | T_FROMCHK, { SUBTX,
	    S("From: \"Smith, Alice\" <alice@example.test> (Bob "
	    "<bob@example.test>)\r\nSubject: s\r\n\r\nb\r\n.\r\n"), END },
	    "220 250 235 250 250 354 250", 1, NULL, NULL, NULL },
	{ "From: check: another user's address gets 550 5.7.1", T_SUBMIT |
	    T_AUTH | T_PLAINAUTH | T_FROMCHK, { SUBTX,
	    S("From: Bob <bob@example.test>\r\n\r\nb\r\n.\r\n"),
	    S("NOOP\r\n"), END }, "220 250 235 250 250 354 550 250", 0,
	    "550 5.7.1 <bob@example.test>: From: header address not owned "
	    "by user alice", NULL, NULL },
	{ "From: check: every address of the list, and of every From:",
	    T_SUBMIT | T_AUTH | T_PLAINAUTH | T_FROMCHK, { SUBTX,
	    S("From: alice@example.test\r\nFrom: us: alice@example.net,\r\n"
	    "  bob@example.test;\r\n\r\nb\r\n.\r\n"), END },
	    "220 250 235 250 250 354 550", 0,
	    "550 5.7.1 <bob@example.test>: From: header address not owned "
	    "by user alice", NULL, NULL },
	{ "From: check: empty groups and no From: pass", T_SUBMIT | T_AUTH |
	    T_PLAINAUTH | T_FROMCHK, { SUBTX,
	    S("From: undisclosed:;, alice@example.net\r\n\r\nb\r\n.\r\n"),
	    S("MAIL FROM:<alice@example.test>\r\n"),
	    S("RCPT TO:<x@remote.invalid>\r\n"), DATA,
	    S("Subject: no from\r\n\r\nb\r\n.\r\n"), END },
	    "220 250 235 250 250 354 250 250 250 354 250", 2, NULL, NULL,
	    NULL },
	{ "From: check: an address that does not parse gets 550", T_SUBMIT |
	    T_AUTH | T_PLAINAUTH | T_FROMCHK, { SUBTX,
	    S("From: <alice@@example.test>\r\n\r\nb\r\n.\r\n"), END },
	    "220 250 235 250 250 354 550", 0,
	    "550 5.7.1 From: header address not understood", NULL, NULL },
	{ "From: check: a From: in the body does not count", T_SUBMIT |
	    T_AUTH | T_PLAINAUTH | T_FROMCHK, { SUBTX,
	    S("Subject: s\r\n\r\nFrom: bob@example.test\r\n.\r\n"), END },
	    "220 250 235 250 250 354 250", 1, NULL, NULL, NULL },
	{ "From: check: with the login table, over BDAT", T_SUBMIT | T_AUTH |
	    T_PLAINAUTH | T_FROMCHK | T_LOGINMAP, { SUBAUTH,
	    S("MAIL FROM:<alice@example.test>\r\n"),
	    S("RCPT TO:<x@remote.invalid>\r\n"),
	    S("BDAT 32 LAST\r\nFrom: x@shared.test\r\nFrom: a@b\r\n"),
	    S("MAIL FROM:<alice@example.test>\r\n"),
	    S("RCPT TO:<x@remote.invalid>\r\n"),
	    S("BDAT 31 LAST\r\nFrom: sales@example.test\r\n\r\nb\r\n"), END },
	    "220 250 235 250 250 550 250 250 250", 1,
	    "550 5.7.1 <a@b>: From: header address not owned by user alice",
	    NULL, NULL },
	{ "From: check off by default", T_SUBMIT | T_AUTH | T_PLAINAUTH,
	    { SUBTX, S("From: bob@example.test\r\n\r\nb\r\n.\r\n"), END },
	    "220 250 235 250 250 354 250", 1, NULL, NULL, NULL },

	/* CHUNKING (RFC 3030) */
	{ "BDAT in two chunks", T_TAIL, { EHLO, FROM, TO,
	    S("BDAT 12\r\nSubject: b\r\n"), S("BDAT 8 LAST\r\n\r\nbody\r\n"),
	    QUIT, END }, "220 250 250 250 250 250 221", 1,
	    "250 2.0.0 Ok: 12 octets received", "\nSubject: b\n\nbody\n",
	    "alice@remote.invalid|bob@example.test" },
	{ "BDAT: dots and bare LF are plain data", T_TAIL, { EHLO, FROM, TO,
	    S("BDAT 17 LAST\r\nS: d\r\n\r\n.\n.x\r\n.\r\n"), END },
	    "220 250 250 250 250", 1, NULL, "\nS: d\n\n.\n.x\n.\n", NULL },
	{ "BDAT: text without a final CR LF", T_TAIL, { EHLO, FROM, TO,
	    S("BDAT 12 LAST\r\n\r\nno-newline"), END }, "220 250 250 250 250",
	    1, NULL, "\n\nno-newline\n", NULL },
	{ "BDAT without MAIL: the chunk is skipped", 0, { EHLO,
	    S("BDAT 6 LAST\r\nNOOP\r\n"), S("NOOP\r\n"), END },
	    "220 250 503 250", 0, NULL, NULL, NULL },
	{ "DATA after BDAT", 0, { EHLO, FROM, TO, S("BDAT 3\r\nabc"), DATA,
	    S("BDAT 0 LAST\r\n"), END }, "220 250 250 250 250 503 250", 1,
	    "503 5.5.1 Error: DATA after BDAT", "\nabc\n", NULL },
	{ "BDAT with a bad size ends the session", 0, { EHLO,
	    S("BDAT x\r\n"), S("NOOP\r\n"), END }, "220 250 501", 0, NULL,
	    NULL, NULL },
	{ "BDAT over the size limit", T_SMALL, { EHLO, FROM, TO,
	    S("BDAT 60\r\n0123456789012345678901234567890123456789012345678901234567\r\n"),
	    S("BDAT 60 LAST\r\n0123456789012345678901234567890123456789012345678901234567\r\n"),
	    FROM, END }, "220 250 250 250 250 552 250", 0, NULL, NULL, NULL },
	{ "RSET drops a half-received BDAT message", 0, { EHLO, FROM, TO,
	    S("BDAT 3\r\nabc"), S("RSET\r\n"), S("BDAT 3 LAST\r\nabc"), END },
	    "220 250 250 250 250 250 503", 0, NULL, NULL, NULL },

	/* DSN (RFC 3461): checked, and kept for the queue */
	{ "DSN parameters are checked", 0, { EHLO,
	    S("MAIL FROM:<a@remote.invalid> RET=BAD\r\n"),
	    S("MAIL FROM:<a@remote.invalid> ENVID=a=b\r\n"),
	    S("MAIL FROM:<a@remote.invalid> RET=FULL RET=HDRS\r\n"),
	    S("MAIL FROM:<a@remote.invalid> RET=HDRS ENVID=q+2Bx\r\n"),
	    S("RCPT TO:<bob@example.test> NOTIFY=NEVER,SUCCESS\r\n"),
	    S("RCPT TO:<bob@example.test> NOTIFY=BOGUS\r\n"),
	    S("RCPT TO:<bob@example.test> NOTIFY=SUCCESS,\r\n"),
	    S("RCPT TO:<bob@example.test> ORCPT=bob@example.test\r\n"),
	    S("RCPT TO:<bob@example.test> ORCPT=rfc822;b+4\r\n"),
	    S("RCPT TO:<bob@example.test> FOO=1\r\n"), END },
	    "220 250 501 501 501 250 501 501 501 501 501 555", 0, NULL, NULL,
	    NULL },
	{ "DSN: NOTIFY needs EHLO", 0, { S("HELO c\r\n"), FROM,
	    S("RCPT TO:<bob@example.test> NOTIFY=NEVER\r\n"), END },
	    "220 250 250 555", 0, NULL, NULL, NULL },

	/* the hand-off's answer becomes the reply */
	{ "a temporary hand-off failure is 451", T_TEMPFAIL, { TX,
	    S("\r\nx\r\n.\r\n"), END }, "220 250 250 250 354 451", 0,
	    "451 4.3.0 try later", NULL, NULL },
	{ "a permanent hand-off failure is 554 with its reason", T_NOUSER,
	    { TX, S("\r\nx\r\n.\r\n"), END }, "220 250 250 250 354 554", 0,
	    "554 5.1.1 bob: no such user", NULL, NULL },
};

/* scripted I/O */

static ssize_t
s_read(void *ctx, void *p, size_t n, int ms)
{
	struct script	*sc = ctx;
	const struct seg *g;
	size_t		 k;

	sc->started = 1;
	for (;;) {
		g = &sc->seg[sc->i];
		if (g->p == NULL && g->n == 0)
			return 0;
		if (g->p == NULL) {
			sc->i++;
			errno = ETIMEDOUT;
			return -1;
		}
		if (sc->off < g->n)
			break;
		sc->i++;
		sc->off = 0;
	}
	k = g->n - sc->off < n ? g->n - sc->off : n;
	memcpy(p, g->p + sc->off, k);
	sc->off += k;
	return (ssize_t)k;
}

static int
s_write(void *ctx, const void *p, size_t n)
{
	struct script	*sc = ctx;

	return buf_add(&sc->out, p, n);
}

static int
s_poll(void *ctx, int ms)
{
	struct script	*sc = ctx;
	const struct seg *g = &sc->seg[sc->i];

	if (!sc->started)
		return sc->early;
	return g->p != NULL && sc->off < g->n;
}

/* the test's "queue" */

#define SINK_INIT { BUF_INIT(1 << 20), BUF_INIT(1 << 20), BUF_INIT(4096), \
	0, 0, 0 }

static void
sink_free(struct sink *k)
{
	buf_free(&k->cur);
	buf_free(&k->last);
	buf_free(&k->env);
}

static int
k_rcpt(void *ctx, const struct addr *a, struct mail_err *e)
{
	if (strcmp(a->local, "nosuchuser") == 0)
		return mail_err_set(e, EX_NOUSER, NULL, "no such user");
	if (strcmp(a->local, "tempuser") == 0)
		return mail_err_set(e, EX_TEMPFAIL, "4.3.0", "lookup failed");
	return EX_OK;
}

static int
k_open(void *ctx, const struct smtpd_env *env, struct mail_err *e)
{
	struct sink	*k = ctx;

	buf_reset(&k->cur);
	k->open = 1;
	return EX_OK;
}

static int
k_line(void *ctx, const char *p, size_t n)
{
	struct sink	*k = ctx;

	if (buf_add(&k->cur, p, n) == -1 || buf_addc(&k->cur, '\n') == -1)
		return -1;
	return 0;
}

static int
k_close(void *ctx, const struct smtpd_env *env, int commit,
    struct mail_err *e)
{
	struct sink	*k = ctx;
	size_t		 i;

	k->open = 0;
	if (!commit)
		return EX_OK;
	if (k->result == EX_TEMPFAIL)
		return mail_err_set(e, EX_TEMPFAIL, "4.3.0", "try later");
	if (k->result != EX_OK)
		return mail_err_set(e, k->result, "5.1.1", "bob: no such user");
	k->nmsg++;
	buf_reset(&dsn);
	buf_printf(&dsn, "ret=%d envid=%s", env->ret, env->envid != NULL ?
	    env->envid : "-");
	for (i = 0; i < env->nrcpt; i++)
		buf_printf(&dsn, " %s:%d:%s", env->rcpt[i], env->notify[i],
		    env->orcpt[i] != NULL ? env->orcpt[i] : "-");
	buf_set(&k->last, buf_str(&k->cur), k->cur.len);
	buf_reset(&k->env);
	buf_printf(&k->env, "%s|", env->sender);
	for (i = 0; i < env->nrcpt; i++)
		buf_printf(&k->env, "%s%s", i ? "," : "", env->rcpt[i]);
	return EX_OK;
}

static const struct smtpd_io script_io = { NULL, s_read, s_write, s_poll };

static int
k_auth(void *ctx, const char *user, const char *pass, struct mail_err *e)
{
	return strcmp(user, "alice") == 0 && strcmp(pass, "alicepw") == 0 ?
	    EX_OK : EX_NOPERM;
}

static int
k_starttls(void *ctx, struct smtpd_io *io, char *info, size_t size)
{
	snprintf(info, size, "TLSv1.3 with cipher TEST");
	return 0;
}

static void
setup(struct smtpd_conf *c, struct smtpd_peer *peer, int flags)
{
	static char	*dest[] = { "mx.example.test", "example.test",
	    "example.org", NULL };
	static char	*relay[] = { "relay.test", NULL };
	static struct netmask nets[1];

	smtpd_conf_defaults(c);
	snprintf(c->myhostname, sizeof c->myhostname, "mx.example.test");
	snprintf(c->banner, sizeof c->banner, "mx.example.test ESMTP");
	c->mydestination = dest;
	c->relay_domains = relay;
	netmask_parse("127.0.0.1/32", &nets[0]);
	c->mynetworks = nets;
	c->nmynetworks = 1;
	if (flags & T_NORMALIZE)
		c->bare_newline = SMTPD_NL_NORMALIZE;
	if (flags & T_RLIMIT)
		c->recipient_limit = 2;
	if (flags & T_LENIENT)
		c->forbid_pipelining = 0;
	if (flags & T_SMALL)
		c->message_size_limit = 100;
	if (flags & T_SUBMIT)
		c->submission = 1;
	if (flags & T_HOPS3)
		c->hopcount_limit = 3;
	if (flags & T_PLAINAUTH)
		c->tls_auth_only = 0;
	if (flags & T_LOGINMAP)
		c->sender_login_maps = loginmap;
	if (flags & T_FROMCHK)
		c->header_from_check = 1;
	snprintf(c->myorigin, sizeof c->myorigin, "example.net");
	c->auth_failure_delay_ms = 0;
	memset(peer, 0, sizeof *peer);
	netaddr_parse(flags & T_TRUSTED ? "127.0.0.1" : "192.0.2.9",
	    &peer->addr);
	netaddr_parse("192.0.2.1", &peer->local);
}

/* codes - the final reply codes of a transcript, space-separated */
static void
codes(const char *out, struct buf *b)
{
	const char	*p;

	buf_reset(b);
	for (p = out; *p != '\0'; p = strchr(p, '\n') + 1) {
		if (strlen(p) >= 4 && p[3] == ' ')
			buf_printf(b, "%s%.3s", b->len ? " " : "", p);
		if (strchr(p, '\n') == NULL)
			break;
	}
}

/* run - one session; returns what smtpd_session returned */
static int
run(const struct seg *seg, int flags, struct script *sc, struct sink *k)
{
	struct smtpd_conf	c;
	struct smtpd_peer	peer;
	struct smtpd_io		io = script_io;
	struct smtpd_ops	ops;

	setup(&c, &peer, flags);
	memset(sc, 0, sizeof *sc);
	buf_init(&sc->out, 1 << 20);
	sc->seg = seg;
	sc->early = (flags & T_EARLY) != 0;
	io.ctx = sc;
	buf_reset(&k->cur);
	buf_reset(&k->last);
	buf_reset(&k->env);
	k->nmsg = 0;
	k->open = 0;
	k->result = flags & T_TEMPFAIL ? EX_TEMPFAIL : flags & T_NOUSER ?
	    EX_NOUSER : EX_OK;
	memset(&ops, 0, sizeof ops);
	ops.ctx = k;
	ops.rcpt_check = k_rcpt;
	ops.msg_open = k_open;
	ops.msg_line = k_line;
	ops.msg_close = k_close;
	if (flags & T_TLS)
		ops.starttls = k_starttls;
	if (flags & T_AUTH)
		ops.auth = k_auth;
	return smtpd_session(&c, &peer, &io, &ops);
}

static void
show(const char *out)
{
	const char	*p, *e;

	for (p = out; *p != '\0'; p = e + 1) {
		if ((e = strchr(p, '\n')) == NULL)
			break;
		diag("S: %.*s", (int)(e - p - 1), p);
	}
}

static void
table(void)
{
	struct script	 sc;
	struct sink	 k = SINK_INIT;
	struct buf	 got = BUF_INIT(4096);
	size_t		 i;
	int		 good;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct tcase *t = &cases[i];

		run(t->seg, t->flags, &sc, &k);
		codes(buf_str(&sc.out), &got);
		good = is_str(buf_str(&got), t->codes, t->name);
		good &= is_int(k.nmsg, t->nmsg, "  messages handed over");
		good &= ok(!k.open, "  no message left open");
		if (t->reply != NULL && !ok(strstr(buf_str(&sc.out),
		    t->reply) != NULL, "  reply \"%s\"", t->reply))
			good = 0;
		if (t->body != NULL && !ok((t->flags & T_TAIL) ?
		    k.last.len >= strlen(t->body) && strcmp(buf_str(&k.last) +
		    k.last.len - strlen(t->body), t->body) == 0 :
		    strstr(buf_str(&k.last), t->body) != NULL,
		    "  message has the expected text")) {
			diag("got \"%s\"", buf_str(&k.last));
			good = 0;
		}
		if (t->env != NULL)
			good &= is_str(buf_str(&k.env), t->env, "  envelope");
		if (!good)
			show(buf_str(&sc.out));
		buf_free(&sc.out);
	}
	buf_free(&got);
	sink_free(&k);
}

/* expect - run one session and compare its reply codes */
static void
expect(const struct seg *seg, const char *want, const char *name,
    struct sink *k, struct buf *out)
{
	struct script	sc;
	struct buf	got = BUF_INIT(4096);

	run(seg, 0, &sc, k);
	codes(buf_str(&sc.out), &got);
	is_str(buf_str(&got), want, name);
	buf_reset(out);
	buf_adds(out, buf_str(&sc.out));
	buf_free(&got);
	buf_free(&sc.out);
}

/* twomsg - two messages in one session: a must pass, b must not */
static void
twomsg(const struct buf *a, const struct buf *b, const char *name,
    struct sink *k, struct buf *out)
{
	struct seg seg[] = { TX, { a->s, a->len }, FROM, TO, DATA,
	    { b->s, b->len }, END };

	expect(seg, "220 250 250 250 354 250 250 250 354 554", name, k, out);
}

/* cases whose input is too big for the table */
static void
lengths(void)
{
	struct sink	 k = SINK_INIT;
	struct buf	 got = BUF_INIT(4096), a = BUF_INIT(1 << 20),
			 b = BUF_INIT(1 << 20);
	size_t		 i;

	/* B-01: 512 octets with CR LF is the longest command line */
	buf_adds(&a, "NOOP ");
	for (i = 0; i < 505; i++)
		buf_addc(&a, 'x');
	buf_adds(&a, "\r\n");
	is_int(a.len, 512, "B-01 line is 512 octets");
	buf_adds(&b, "NOOP ");
	for (i = 0; i < 506; i++)
		buf_addc(&b, 'x');
	buf_adds(&b, "\r\n");
	{
		struct seg seg[] = { { a.s, a.len }, { b.s, b.len },
		    S("NOOP\r\n"), END };

		expect(seg, "220 250 500 250", "B-01 512 octets pass, 513 get "
		    "500, the session goes on", &k, &got);
	}

	/* B-03: a flood without a line end ends in 421, memory bounded */
	buf_reset(&a);
	for (i = 0; i < 200000; i++)
		buf_addc(&a, 'A');
	{
		struct seg seg[] = { { a.s, a.len }, END };

		expect(seg, "220 500 421", "B-03 unterminated flood: 500, then "
		    "421 too many errors", &k, &got);
	}

	/* 998 octets of text and CR LF pass; 999 are refused, not cut */
	buf_reset(&a);
	buf_reset(&b);
	buf_adds(&a, "Subject: l\r\n\r\n");
	buf_adds(&b, "Subject: l\r\n\r\n");
	for (i = 0; i < 998; i++) {
		buf_addc(&a, 'y');
		buf_addc(&b, 'y');
	}
	buf_addc(&b, 'z');
	buf_adds(&a, "\r\n.\r\n");
	buf_adds(&b, "\r\n.\r\n");
	twomsg(&a, &b, "a 998-octet line passes, a 999-octet line is "
	    "refused", &k, &got);
	is_int(k.nmsg, 1, "only the first message was handed over");
	ok(strstr(buf_str(&got), "554 5.6.0 Error: message text line longer "
	    "than 1000 octets") != NULL, "and says why");

	/* E-06 at the default limit: 50 Received: pass, 51 do not */
	buf_reset(&a);
	buf_reset(&b);
	for (i = 0; i < 50; i++) {
		buf_adds(&a, "Received: from x by y; Fri, 1 Jan 2021 00:00:00 "
		    "+0000\r\n");
		buf_adds(&b, "Received: from x by y; Fri, 1 Jan 2021 00:00:00 "
		    "+0000\r\n");
	}
	buf_adds(&b, "Received: one more\r\n");
	buf_adds(&a, "\r\nx\r\n.\r\n");
	buf_adds(&b, "\r\nx\r\n.\r\n");
	twomsg(&a, &b, "E-06 50 Received: headers pass, 51 are a loop", &k,
	    &got);
	buf_free(&a);
	buf_free(&b);
	buf_free(&got);
	sink_free(&k);
}

/* DSN data reaches the caller with the message */
static void
dsnkept(void)
{
	static const struct seg seg[] = { EHLO,
	    S("MAIL FROM:<a@remote.invalid> RET=HDRS ENVID=q+2Bx\r\n"),
	    S("RCPT TO:<bob@example.test> NOTIFY=SUCCESS,FAILURE "
	    "ORCPT=rfc822;Bob+40example.test\r\n"),
	    S("RCPT TO:<carol@example.test>\r\n"), DATA,
	    S("\r\nx\r\n.\r\n"), END };
	struct sink	 k = SINK_INIT;
	struct buf	 out = BUF_INIT(4096);

	expect(seg, "220 250 250 250 250 354 250", "DSN parameters accepted",
	    &k, &out);
	is_str(buf_str(&dsn), "ret=2 envid=q+2Bx bob@example.test:6:rfc822;"
	    "Bob+40example.test carol@example.test:0:-", "and handed over");
	buf_free(&out);
	sink_free(&k);
}

/* the exact transcript of a plain session */
static void
transcript(void)
{
	static const struct seg seg[] = { EHLO, FROM, TO, S("RCPT TO:<x@"
	    "remote.invalid>\r\n"), DATA, S("Subject: t\r\n\r\nhi\r\n.\r\n"),
	    QUIT, END };
	struct script	 sc;
	struct sink	 k = SINK_INIT;
	char		 want[2048], *q;
	const char	*out;
	int		 n;

	run(seg, 0, &sc, &k);
	out = buf_str(&sc.out);
	/* The queue id is the one varying part. */
	q = strstr(out, "queued as ");
	n = snprintf(want, sizeof want,
	    "220 mx.example.test ESMTP\r\n"
	    "250-mx.example.test\r\n"
	    "250-PIPELINING\r\n"
	    "250-SIZE 10240000\r\n"
	    "250-ENHANCEDSTATUSCODES\r\n"
	    "250-8BITMIME\r\n"
	    "250-SMTPUTF8\r\n"
	    "250-CHUNKING\r\n"
	    "250 DSN\r\n"
	    "250 2.1.0 Ok\r\n"
	    "250 2.1.5 Ok\r\n"
	    "554 5.7.1 <x@remote.invalid>: Relay access denied\r\n"
	    "354 End data with <CR><LF>.<CR><LF>\r\n"
	    "250 2.0.0 Ok: queued as %.*s\r\n"
	    "221 2.0.0 Bye\r\n", q != NULL ? (int)strcspn(q + 10, "\r") : 0,
	    q != NULL ? q + 10 : "");
	ok(n > 0 && (size_t)n < sizeof want, "want fits");
	is_str(out, want, "exact transcript of a plain session");
	ok(strstr(buf_str(&k.last), "\tby mx.example.test (mailpath) with "
	    "ESMTP id ") != NULL, "Received: names us and the protocol");
	ok(strstr(buf_str(&k.last), "\n\tfor <bob@example.test>; ") != NULL,
	    "Received: names the one recipient");
	buf_free(&sc.out);
	sink_free(&k);
}

/* the hand-off to a real command */
/* nocommand - a command that cannot be started is a temporary failure */
static void
nocommand(void)
{
	char		*argv[] = { "/nonexistent/hand-off", NULL };
	struct handoff	 h;
	struct mail_err	 e;
	char		*rcpt[] = { "bob@example.test" };

	handoff_init(&h, argv, ".");
	is_int(handoff_open(&h, &e), EX_OK, "hand-off spool opened");
	handoff_line(&h, "Subject: x", 10);
	is_int(handoff_run(&h, "a@b.test", rcpt, 1, &e), EX_CONFIG,
	    "a command that does not exist: EX_CONFIG");
	is_str(e.enh, "4.3.5", "  with 4.3.5");
	is_str(e.text, "cannot run /nonexistent/hand-off: No such file or "
	    "directory", "  and the reason");
	handoff_close(&h);
	buf_free(&h.wbuf);
}

static void
handoff(void)
{
	static const struct {
		const char	*script;
		const char	*reply;
	} runs[] = {
		{ "cat > handoff.out; echo \"$@\" > handoff.args", "250 2.0.0 Ok" },
		{ "cat >/dev/null; echo '4.2.2 mailbox full' >&2; exit 75",
		    "451 4.2.2 mailbox full" },
		{ "cat >/dev/null; echo '5.1.1 bob: no such user' >&2; exit 67",
		    "554 5.1.1 bob: no such user" },
		{ "echo 'no code here' >&2; exit 69",
		    "554 5.3.0 no code here" },
		{ "echo '5.2.2 wrong class' >&2; exit 75",
		    "451 4.3.0 wrong class" },
		{ "exit 1", "554 5.3.0 unknown error" },
		{ "echo \"warning: x\" >&2; echo \"5.1.1 bob: no such user\" >&2;"
		    " exit 67", "554 5.1.1 bob: no such user" },
		{ "echo \"warning: x\" >&2; exit 67", "554 5.1.1 warning: x" },
		{ "printf \"4.2.2 full\" >&2; exit 75", "451 4.2.2 full" },
		{ "kill -9 $$", "451 4.3.0 sh: killed by signal 9" },
		{ "printf '4.3.0 a\\033[31mb\\r\\n' >&2; exit 75",
		    "451 4.3.0 a?[31mb?" },
		/* posix_spawn: only fds 0-2 reach the command */
		{ "for fd in 3 4 5 6 7 8 9; do test -e /proc/$$/fd/$fd && "
		    "{ echo \"5.0.0 fd $fd open\" >&2; exit 69; }; done; "
		    "test -t 1 && exit 69; cat >/dev/null; echo x",
		    "250 2.0.0 Ok" },
	};
	static const struct seg seg[] = { EHLO,
	    S("MAIL FROM:<alice@remote.invalid>\r\n"),
	    S("RCPT TO:<-oQ/tmp/x@example.test>\r\n"), TO, DATA,
	    S("Subject: h\r\n\r\n..dot\r\nbody\r\n.\r\n"), END };
	struct smtpd_conf	c;
	struct smtpd_peer	peer;
	struct smtpd_io		io = script_io;
	struct smtpd_ops	ops;
	struct handoff		h;
	struct script		sc;
	struct buf		file = BUF_INIT(65536);
	char			*argv[] = { "sh", "-c", NULL, "sh", NULL };
	size_t			 i;
	FILE			*fp;
	char			 line[512];

	for (i = 0; i < sizeof runs / sizeof runs[0]; i++) {
		argv[2] = (char *)runs[i].script;
		setup(&c, &peer, 0);
		memset(&sc, 0, sizeof sc);
		buf_init(&sc.out, 65536);
		sc.seg = seg;
		io.ctx = &sc;
		memset(&ops, 0, sizeof ops);
		handoff_init(&h, argv, ".");
		handoff_ops(&h, &ops);
		smtpd_session(&c, &peer, &io, &ops);
		if (!ok(strstr(buf_str(&sc.out), runs[i].reply) != NULL,
		    "hand-off: %s", runs[i].script)) {
			diag("want %s", runs[i].reply);
			show(buf_str(&sc.out));
		}
		handoff_close(&h);
		buf_free(&h.wbuf);
		buf_free(&sc.out);
	}
	if ((fp = fopen("handoff.args", "r")) != NULL &&
	    fgets(line, sizeof line, fp) != NULL) {
		is_str(line, "-f alice@remote.invalid -- -oQ/tmp/x@example.test "
		    "bob@example.test\n", "envelope after -f and --");
		fclose(fp);
	} else
		ok(0, "the command wrote its arguments");
	if ((fp = fopen("handoff.out", "r")) != NULL) {
		while (fgets(line, sizeof line, fp) != NULL)
			buf_adds(&file, line);
		fclose(fp);
	}
	{
		const char *want = "Received: from client.remote.invalid "
		    "([192.0.2.9])\n";

		ok(strncmp(buf_str(&file), want, strlen(want)) == 0,
		    "the command's stdin starts with our Received:");
	}
	ok(strstr(buf_str(&file), "\nSubject: h\n\n.dot\nbody\n") != NULL &&
	    strchr(buf_str(&file), '\r') == NULL,
	    "then the message, unstuffed, with LF line ends");
	unlink("handoff.out");
	unlink("handoff.args");
	buf_free(&file);
	nocommand();
}

/* mkloginmap - the table T_LOGINMAP names, in a fresh directory */
static void
mkloginmap(char *dir)
{
	static const char *const kv[][2] = {
		{ "alice@example.test", "alice" },
		{ "sales@example.test", "bob, ALICE" },
		{ "carol@example.test", "carol" },
		{ "info", "alice" },
		{ "@shared.test", "carol alice" },
	};
	struct map_build	*mb;
	struct mail_err		 e;
	size_t			 i;
	int			 rc;

	snprintf(loginmap, sizeof loginmap, "hash:%s/logins", dir);
	rc = map_build_begin(&mb, loginmap, 8, 0, 0600, &e);
	for (i = 0; rc == EX_OK && i < sizeof kv / sizeof kv[0]; i++)
		if (map_build_put(mb, kv[i][0], strlen(kv[i][0]), kv[i][1],
		    strlen(kv[i][1]), MAP_PUT_FIRST, &e) == -1)
			rc = EX_SOFTWARE;
	if (rc == EX_OK)
		rc = map_build_commit(mb, &e);
	else
		map_build_abort(mb);
	if (!ok(rc == EX_OK, "login table built"))
		diag("%s", e.text);
}

int
main(void)
{
	char	dir[] = "/tmp/smtpd-test.XXXXXX", path[300];

	log_open("smtpd-test", 0);	/* no output from the engine's log */
	if (mkdtemp(dir) == NULL)
		return 99;
	mkloginmap(dir);
	table();
	lengths();
	transcript();
	dsnkept();
	handoff();
	buf_free(&dsn);
	snprintf(path, sizeof path, "%s/logins.tdb", dir);
	unlink(path);
	rmdir(dir);
	return tap_done();
}
