/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for libmail/listen: systemd socket activation (LISTEN_PID,
 * LISTEN_FDS), where the peer address comes from (the socket, never the
 * environment when there is one: BATTERY.md D-21), dropping root to a
 * user that does not exist, and the accept loop's connection limit
 * (F-10) on a real loopback socket.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exitcode.h"
#include "listen.h"
#include "log.h"
#include "netaddr.h"
#include "smtpd.h"
#include "tap.h"

static void
sdfds(void)
{
	static const struct {
		const char	*pid;	/* "self" for ours, NULL unset */
		const char	*fds;
		int		 want;
	} cases[] = {
		{ "self", "2", 2 },
		{ "self", "0", 0 },
		{ "self", "16", 16 },
		{ "self", "17", 0 },	/* more than LISTEN_MAX */
		{ "self", "-1", 0 },
		{ "self", "2x", 0 },
		{ "1", "2", 0 },	/* meant for another process */
		{ NULL, "2", 0 },
		{ "self", NULL, 0 },
	};
	char	pid[32], name[80];
	size_t	i;
	int	got;

	snprintf(pid, sizeof pid, "%ld", (long)getpid());
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		unsetenv("LISTEN_PID");
		unsetenv("LISTEN_FDS");
		if (cases[i].pid != NULL)
			setenv("LISTEN_PID", strcmp(cases[i].pid, "self") == 0 ?
			    pid : cases[i].pid, 1);
		if (cases[i].fds != NULL)
			setenv("LISTEN_FDS", cases[i].fds, 1);
		setenv("LISTEN_FDNAMES", "smtp", 1);
		got = listen_sd_fds();
		snprintf(name, sizeof name, "LISTEN_PID=%s LISTEN_FDS=%s",
		    cases[i].pid ? cases[i].pid : "(unset)",
		    cases[i].fds ? cases[i].fds : "(unset)");
		is_int(got, cases[i].want, name);
		ok(getenv("LISTEN_PID") == NULL && getenv("LISTEN_FDS") ==
		    NULL && getenv("LISTEN_FDNAMES") == NULL,
		    "  and the LISTEN_ variables are gone");
	}
}

/* dial - connect to port; with out, read the first line into it */
static int
dial(int port, char *out, size_t size)
{
	struct sockaddr_in	sin;
	struct pollfd		pfd;
	ssize_t			n;
	size_t			len = 0;
	int			fd;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)port);
	sin.sin_addr.s_addr = htonl(0x7f000001);
	if (connect(fd, (struct sockaddr *)&sin, sizeof sin) == -1) {
		close(fd);
		return -1;
	}
	if (out == NULL)
		return fd;
	out[0] = '\0';
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (len + 1 < size && poll(&pfd, 1, 5000) == 1 &&
	    (n = read(fd, out + len, size - len - 1)) > 0) {
		len += (size_t)n;
		out[len] = '\0';
		if (strchr(out, '\n') != NULL)
			break;
	}
	return fd;
}

/* peeris - listen_peer(fd) gives the address want ("" for unknown) */
static void
peeris(int fd, const char *want, const char *name)
{
	struct smtpd_peer	peer;
	char			got[NETADDR_STRLEN];

	listen_peer(fd, &peer);
	if (peer.addr.family == 0 ||
	    netaddr_format(&peer.addr, got, sizeof got) == -1)
		got[0] = '\0';
	is_str(got, want, name);
}

static void
peers(void)
{
	struct mail_err	e;
	int		p[2], lfd, c, s;

	if (pipe(p) == -1)
		return;
	unsetenv("TCPREMOTEIP");
	unsetenv("REMOTE_ADDR");
	unsetenv("REMOTE_HOST");
	peeris(p[0], "", "a pipe, no environment: unknown");
	setenv("REMOTE_ADDR", "192.0.2.7", 1);
	peeris(p[0], "192.0.2.7", "a pipe: REMOTE_ADDR");
	setenv("TCPREMOTEIP", "not-an-address", 1);
	peeris(p[0], "192.0.2.7", "a pipe: a bad TCPREMOTEIP is ignored");
	setenv("TCPREMOTEIP", "2001:db8::9", 1);
	peeris(p[0], "2001:db8::9", "a pipe: TCPREMOTEIP comes first");
	close(p[0]);
	close(p[1]);

	/* D-21: on a socket the environment does not count */
	if ((lfd = netaddr_listen("127.0.0.1:0", 4, &e)) == -1) {
		ok(0, "listen on 127.0.0.1:0: %s", e.text);
		return;
	}
	setenv("TCPREMOTEIP", "10.9.9.9", 1);
	c = dial(netaddr_port(lfd), NULL, 0);
	s = accept(lfd, NULL, NULL);
	peeris(s, "127.0.0.1", "D-21 a socket: getpeername, not TCPREMOTEIP");
	close(s);
	close(c);
	close(lfd);
	unsetenv("TCPREMOTEIP");
	unsetenv("REMOTE_ADDR");
}

static void
drop(void)
{
	struct mail_err	e;

	is_int(listen_drop("no-such-user.mailpath", &e), EX_OSERR,
	    "-u for a user that does not exist");
	ok(strstr(e.text, "no such user") != NULL, "  says so: %s", e.text);
}

/* greet - a session for the loop test: a greeting, then wait for EOF */
static int
greet(void *ctx, int fd)
{
	char	b[64];

	if (write(fd, "220 hi\r\n", 8) != 8)
		return EX_IOERR;
	while (read(fd, b, sizeof b) > 0)
		;
	return EX_OK;
}

static void
loop(void)
{
	struct mail_err	 e;
	char		 l1[128], l2[128], l3[128];
	int		 lfd, port, c1, c2, c3, i;
	pid_t		 pid;

	is_int(listen_loop(NULL, 0, 1, "mx.test", greet, NULL, &e),
	    EX_SOFTWARE, "listen_loop without listeners");
	if ((lfd = netaddr_listen("127.0.0.1:0", 16, &e)) == -1) {
		ok(0, "listen on 127.0.0.1:0: %s", e.text);
		return;
	}
	port = netaddr_port(lfd);
	if ((pid = fork()) == 0)
		_exit(listen_loop(&lfd, 1, 1, "mx.test", greet, NULL, &e));
	close(lfd);
	c1 = dial(port, l1, sizeof l1);
	c2 = dial(port, l2, sizeof l2);
	is_str(l1, "220 hi\r\n", "F-10 first session within the limit");
	is_str(l2, "421 4.7.0 mx.test Error: too many connections\r\n",
	    "F-10 one over the limit: 421");
	close(c2);
	close(c1);
	/* the slot comes back once the loop has reaped the child */
	for (i = 0; i < 50; i++) {
		c3 = dial(port, l3, sizeof l3);
		close(c3);
		if (strcmp(l3, "220 hi\r\n") == 0)
			break;
		usleep(100000);
	}
	is_str(l3, "220 hi\r\n", "F-10 the listener survives; the slot is "
	    "free again");
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

int
main(void)
{
	log_open("listen-test", 0);
	signal(SIGPIPE, SIG_IGN);
	sdfds();
	peers();
	drop();
	loop();
	return tap_done();
}
