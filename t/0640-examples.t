#!/bin/sh
# The lecture's four setups as shipped in examples/main.cf.*, each loaded
# as it is with the sandbox's paths (and the test peers' addresses)
# appended, which override the file's own lines.  Each gets a local and a
# remote message from sendmail, and the test looks where they went:
# local-only bounces the remote one; the satellite hands it to the
# bracketed relayhost, an address used as it is; the internet site finds
# the MX in the test DNS zone (multi.example.test: 127.0.0.2, then .3);
# the smarthost setup logs in over STARTTLS before it relays.
. "$top_srcdir/t/test-lib.sh"
. "$FIXTURES/queue/setup.sh"
. "$FIXTURES/dns/lib.sh"
. "$FIXTURES/smtpd/lib.sh"

# example NAME [NAME=VALUE...] - NAME.cf: the example, the sandbox after it
example() {
	name=$1
	shift
	{
		cat "$top_srcdir/examples/main.cf.$name" &&
		cat <<-EOC &&
		config_directory = $S
		mail_spool_directory = $S/spool
		local_passwd_file = $S/passwd
		queue_directory = $S/queue
		mda_deliver_program = $top_builddir/mda-deliver
		smtp_send_program = $top_builddir/smtp-send
		smtp_connect_timeout = 5s
		EOC
		for nv in "$@"; do
			echo "${nv%%=*} = ${nv#*=}"
		done
	} >"$S/$name.cf"
}

# smx NAME ARGS... - sendmail with NAME.cf, its log in NAME.log
smx() {
	cf=$1
	shift
	sendmail -C "$S/$cf.cf" -v "$@" 2>"$S/$cf.log"
}

# is_empty - the queue holds nothing
is_empty() {
	want "$(nqueued)" 0 "queue files"
}

for ex in "local-only:Local only" "satellite:Satellite system" \
    "internet-site:Internet Site" "smarthost:Internet with smarthost"; do
	test_expect_success "examples/main.cf.${ex%%:*}: names its setup, loads cleanly" '
		grep -q "^# main.cf.${ex%%:*} - the lecture.s \"${ex#*:}\"" \
		    "$top_srcdir/examples/main.cf.${ex%%:*}" &&
		example "${ex%%:*}" &&
		mailq -C "$S/${ex%%:*}.cf" >out 2>err &&
		echo "Mail queue is empty" >want && test_cmp want out &&
		! grep -v "overrides line" err
	'
done

# ---- local only
example local-only
test_expect_success 'local-only: mail to root goes to walter (aliases)' '
	printf "Subject: lo local\n\nx\n" | smx local-only -f dude root@localhost &&
	want "$(count_msgs spool/walter)" 1 "walter" &&
	is_empty
'

test_expect_success 'local-only: remote mail bounces at once, with the reason' '
	printf "Subject: lo remote\n\nx\n" |
	    smx local-only -f dude carol@remote.test &&
	grep -q "to=<carol@remote.test>, relay=none, .*dsn=5.4.4, status=bounced (mail for remote domains is not delivered from this system" local-only.log &&
	want "$(count_msgs spool/dude)" 1 "dude (the bounce)" &&
	grep -q "^Action: failed" spool/dude &&
	grep -q "^Final-Recipient: rfc822; carol@remote.test" spool/dude &&
	is_empty
'

# ---- satellite: relayhost = [127.0.0.1]:PORT, a dead name server
far_start sat 127.0.0.1
SAT_PORT=$FAR_PORT
example satellite "relayhost=[127.0.0.1]:$SAT_PORT" \
    "dns_server=127.0.0.1:9" "smtp_tls_security_level=none"
test_expect_success 'satellite: mail to root stays here' '
	printf "Subject: sat local\n\nx\n" | smx satellite -f dude root@localhost &&
	want "$(count_msgs spool/walter)" 2 "walter" &&
	is_empty
'

test_expect_success 'satellite: remote mail to the bracketed relayhost, no DNS' '
	printf "Subject: sat remote\n\nx\n" |
	    smx satellite -f dude carol@remote.test &&
	grep -q "to=<carol@remote.test>, relay=127.0.0.1\[127.0.0.1\]:$SAT_PORT, .*status=sent" satellite.log &&
	want "$(count_msgs sat/spool/carol)" 1 "carol on the relay" &&
	grep -q "^From: .*<dude@example.com>$" sat/spool/carol &&
	is_empty
'

test_expect_success 'satellite: a bare name is not local, it goes to the relay' '
	printf "Subject: sat bare\n\nx\n" | smx satellite -f dude carol &&
	grep -q "to=<carol@example.com>, relay=127.0.0.1\[127.0.0.1\]:$SAT_PORT, .*status=sent" satellite.log &&
	want "$(count_msgs sat/spool/carol)" 2 "carol on the relay"
'

# ---- internet site: MX of multi.example.test, 127.0.0.2 first
dns_start
far_start net 127.0.0.2
NET_PORT=$FAR_PORT NET_PID=$FAR_PID
example internet-site "dns_server=127.0.0.1:$DNS_PORT" \
    "smtp_tcp_port=$NET_PORT" "smtp_tls_security_level=none"
test_expect_success 'internet site: mail to root stays here' '
	printf "Subject: net local\n\nx\n" |
	    smx internet-site -f dude root@example.com &&
	want "$(count_msgs spool/walter)" 3 "walter" &&
	is_empty
'

test_expect_success 'internet site: remote mail goes to the MX with the best preference' '
	printf "Subject: net remote\n\nx\n" |
	    smx internet-site -f dude carol@multi.example.test &&
	grep -q "to=<carol@multi.example.test>, relay=mxa.example.test\[127.0.0.2\]:$NET_PORT, .*status=sent" internet-site.log &&
	want "$(count_msgs net/spool/carol)" 1 "carol at the MX" &&
	is_empty
'

far_start net2 "127.0.0.3:$NET_PORT"
kill "$NET_PID"
i=0
while kill -0 "$NET_PID" 2>/dev/null && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
test_expect_success 'internet site: the best MX down, the next one takes it' '
	printf "Subject: net second\n\nx\n" |
	    smx internet-site -f dude carol@multi.example.test &&
	grep -q "to=<carol@multi.example.test>, relay=mxb.example.test\[127.0.0.3\]:$NET_PORT, .*status=sent" internet-site.log &&
	want "$(count_msgs net2/spool/carol)" 1 "carol at the second MX" &&
	is_empty
'

test_expect_success 'internet site: a domain that does not exist bounces (5.1.2)' '
	n=$(count_msgs spool/dude) &&
	printf "Subject: net none\n\nx\n" |
	    smx internet-site -f dude carol@nosuch.example.test &&
	grep -q "to=<carol@nosuch.example.test>, .*dsn=5.1.2, status=bounced" internet-site.log &&
	want "$(count_msgs spool/dude)" $((n + 1)) "dude (the bounce)" &&
	is_empty
'

# ---- internet with smarthost: STARTTLS, then AUTH PLAIN
make_certs
printf "alice %s\n" "$(openssl passwd -6 alicepw)" >users
postmap users
# shellcheck disable=SC2086
far_start smart 127.0.0.1 $TLSOPT -o smtpd_sasl_auth_enable=yes \
    -o "smtpd_sasl_user_maps=hash:$TRASH/users" -o smtpd_sasl_failure_delay=0
SMART_PORT=$FAR_PORT
printf "[127.0.0.1]:%s alice:alicepw\n" "$SMART_PORT" >sasl_passwd
postmap sasl_passwd
example smarthost "relayhost=[127.0.0.1]:$SMART_PORT" \
    "smtp_tls_CAfile=$TRASH/ca.pem" "dns_server=127.0.0.1:9"
test_expect_success 'smarthost: mail to root stays here' '
	printf "Subject: smart local\n\nx\n" |
	    smx smarthost -f dude root@example.com &&
	want "$(count_msgs spool/walter)" 4 "walter" &&
	is_empty
'

test_expect_success 'smarthost: remote mail through the relay, TLS and AUTH' '
	printf "Subject: smart remote\n\nx\n" |
	    smx smarthost -f dude carol@remote.test &&
	grep -q "to=<carol@remote.test>, relay=127.0.0.1\[127.0.0.1\]:$SMART_PORT, .*status=sent" smarthost.log &&
	want "$(count_msgs smart/spool/carol)" 1 "carol on the relay" &&
	grep -q "with ESMTPSA id" smart/spool/carol &&
	is_empty
'

test_expect_success 'smarthost: a wrong password gets 535, the message waits' '
	printf "[127.0.0.1]:%s alice:wrong\n" "$SMART_PORT" >sasl_passwd &&
	postmap sasl_passwd &&
	printf "Subject: smart wrong\n\nx\n" |
	    smx smarthost -f dude carol@remote.test &&
	grep -q "to=<carol@remote.test>, .*status=deferred (.*535" smarthost.log &&
	want "$(count_msgs smart/spool/carol)" 1 "carol on the relay" &&
	want "$(nqueued)" 1 "queue files"
'

test_done
