#!/bin/sh
# SPDX-License-Identifier: ISC
# demo.sh - "make demo": walk the part of the mail path that exists so far,
# step by step, unprivileged, in a scratch directory, on loopback only.
# Usage: demo.sh BUILDDIR SRCDIR
set -eu
BUILD=${1:-$(pwd)}
SRC=${2:-$(dirname "$0")/..}
PATH="$BUILD:$PATH"
export PATH
DEMO="$BUILD/demo.d"
rm -rf "$DEMO"
mkdir -p "$DEMO/etc" "$DEMO/var/mail" "$DEMO/var/spool" \
    "$DEMO/home/walter" "$DEMO/home/dude"
cd "$DEMO"

pids=""
trap 'for p in $pids; do kill $p 2>/dev/null || :; done' EXIT

# freeport - a free TCP/UDP port on 127.0.0.1
freeport() {
	/usr/bin/python3 -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

n=0
step() {
	n=$((n + 1))
	printf '\n\033[1m== %d. %s\033[0m\n' "$n" "$1"
	shift
	for line in "$@"; do
		printf '   %s\n' "$line"
	done
}
show() {
	printf '\n   $ %s\n' "$*"
	"$@" 2>&1 | sed 's/^/   /'
}
# showsh 'CMD; echo ...' - show a shell command line as typed, run it
showsh() {
	printf '\n   $ %s\n' "$1"
	sh -c "$1" 2>&1 | sed 's/^/   /'
}
# settle - wait (10 s at most) until the background queue runner is done
settle() {
	flock -w 10 "$DEMO/var/spool/mailpath/runner.lock" true || :
}
showfile() {
	printf '\n   $ cat %s\n' "$1"
	sed 's/^/   /' "$1"
}

cat <<'TXT'
mailpath demo: the mail path, one stage at a time.
Everything runs as you, inside demo.d/, with its own configuration:
no root, no system paths, no network beyond loopback.
TXT

step "A sandboxed configuration" \
    "main.cf uses Postfix's parameter names.  Every path comes from it, so" \
    "this demo's mail system lives entirely in demo.d/.  Its users come from" \
    "a passwd-format file instead of /etc/passwd."
me=$(id -u)
gid=$(id -g)
cat > etc/passwd <<PW
walter:x:$me:$gid:Walter Sobchak:$DEMO/home/walter:/bin/sh
dude:x:$me:$gid:Jeffrey Lebowski:$DEMO/home/dude:/bin/sh
PW
cat > etc/main.cf <<CF
# The lecture's server.
myhostname = mailserver.example.com
mydomain = example.com
myorigin = \$mydomain
mydestination = \$myhostname, \$mydomain, localhost.\$mydomain, localhost, example.org
mail_spool_directory = $DEMO/var/mail
queue_directory = $DEMO/var/spool/mailpath
local_passwd_file = $DEMO/etc/passwd
alias_database = hash:$DEMO/etc/aliases
alias_maps = \$alias_database
canonical_maps = hash:$DEMO/etc/canonical
CF
MAILPATH_CONF=$DEMO/etc/main.cf
export MAILPATH_CONF
showfile etc/main.cf

step "The lecture's /etc/aliases" \
    "Generic names like root and postmaster are forwarded to a person." \
    "The name on the left is only the part before the @."
cat > etc/aliases <<'AL'
# Mail for root is read by walter; the postmaster is whoever reads root's.
root: walter
postmaster: root
AL
showfile etc/aliases

step "newaliases compiles it" \
    "Mail programs read a compiled table (aliases.tdb), not the text file," \
    "so after every change: newaliases.  It also checks the file."
show newaliases
show ls etc

step "postmap -q asks the table, as the MDA will" \
    "The value is the target list as written; expansion happens at delivery."
show postmap -q root hash:etc/aliases
show postmap -q postmaster hash:etc/aliases
printf '   (exit status 1 means "not found", not an error:)\n'
showsh 'postmap -q nobody-here hash:etc/aliases; echo "exit status $?"'

step "newaliases warns about mistakes no peer reports" \
    "A loop, a target that is no user and no alias, a missing include file:" \
    "each warning names file:line.  The table is still built (warnings only)."
cat > etc/aliases <<'AL'
root: walter
postmaster: root
loopa: loopb
loopb: loopa
helpdesk: walterr
list: :include:/nonexistent/list
AL
showfile etc/aliases
show newaliases
printf '\n   (back to the lecture'"'"'s file)\n'
printf 'root: walter\npostmaster: root\n' > etc/aliases
newaliases

step "Canonical maps and postmap" \
    "canonical_maps rewrite sender and recipient addresses.  The format is" \
    "'key value' (no colon); after a change: postmap FILE."
cat > etc/canonical <<'CA'
root		walter@example.com
@mailserver.example.com	@example.com
CA
showfile etc/canonical
show postmap hash:etc/canonical
show postmap -q root hash:etc/canonical
show postmap -s hash:etc/canonical
show postmap -j -q @mailserver.example.com hash:etc/canonical

step "A table is never half-built" \
    "A syntax error names file:line and leaves the old table untouched;" \
    "postmap --check then tells that the table no longer matches its source."
printf 'root walter@example.com\n  continued\n"unterminated value\n' > etc/canonical
showsh 'postmap hash:etc/canonical; echo "exit status $?"'
show postmap -q root hash:etc/canonical
showsh 'postmap --check hash:etc/canonical; echo "exit status $?"'
printf '\n   (a good canonical file again, and rebuilt: root@localhost only)\n'
printf 'root@localhost\twalter@example.com\n' > etc/canonical
postmap hash:etc/canonical

step "The MDA: mda-deliver puts the lab's test mail for root into a mailbox" \
    "The lab: 'Test-Mail an root senden'.  Mail for root follows the alias" \
    "to walter.  -n first shows what would happen, without delivering."
printf 'root: walter\npostmaster: root\n' > etc/aliases
newaliases
cat > testmail <<'MAIL'
From: Jeff Lebowski <dude@example.com>
To: root
Subject: Test

Hallo root, this is the lab's test mail.
MAIL
showfile testmail
showsh 'mda-deliver -n -f dude@example.com root < testmail'
showsh 'mda-deliver -v -f dude@example.com root < testmail'
step "walter's mailbox" \
    "An mbox file in the spool, in Debian's format: a From_ line," \
    "Return-Path: and Delivered-To: added, a blank line after the message."
showfile var/mail/walter
showsh 'mda-deliver -f dude@example.com nosuchuser < testmail; echo "exit status $?"'

if DNSMASQ=$(command -v dnsmasq || ls /usr/sbin/dnsmasq 2>/dev/null); then
	step "DNS: which servers take mail for a domain" \
	    "The lecture's 'host -t MX example.org', against a DNS server of" \
	    "our own on loopback (dnsmasq) serving the lecture's zone.  Lower" \
	    "preference first; --explain tells each step of the decision."
	port=$(freeport)
	cat > etc/dnsmasq.conf <<DNS
port=$port
listen-address=127.0.0.1
bind-interfaces
no-resolv
no-hosts
local=/example.org/
mx-host=example.org,fks1.example.org,10
mx-host=example.org,lax1.example.org,50
host-record=fks1.example.org,192.0.2.10,2001:db8::10
host-record=lax1.example.org,192.0.2.50
host-record=noexchange.example.org,192.0.2.99
DNS
	"$DNSMASQ" -C etc/dnsmasq.conf -k --pid-file= --log-facility=- \
	    2>var/dnsmasq.log &
	pids="$pids $!"
	i=0
	until mx-lookup -s "127.0.0.1:$port" example.org >/dev/null 2>&1 ||
	    [ $i -ge 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	show mx-lookup -s "127.0.0.1:$port" example.org
	show mx-lookup -s "127.0.0.1:$port" -a example.org
	show mx-lookup -s "127.0.0.1:$port" --explain example.org
	printf '\n   (no MX record: the domain itself is the mail server)\n'
	show mx-lookup -s "127.0.0.1:$port" --explain noexchange.example.org
	showsh "mx-lookup -s 127.0.0.1:$port nothere.example.org; echo \"exit status \$?\""
fi

step "The SMTP dialogue: the lecture's telnet session, against smtp-listen" \
    "smtp-listen is the server (an MTA on port 25; here a free loopback" \
    "port), handing each message to mda-deliver.  We type the lecture's" \
    "lines one by one, as with telnet, and show each reply (S:) after each" \
    "command (C:).  walter@example.org is a local address here."
smtp-listen -l 127.0.0.1:0 -1 -- mda-deliver >var/listen.port 2>var/listen.log &
pids="$pids $!"
i=0
until [ -s var/listen.port ] || [ $i -ge 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
lport=$(head -1 var/listen.port)
printf '\n   $ telnet 127.0.0.1 %s\n' "$lport"
bash -c '
exec 3<>/dev/tcp/127.0.0.1/$1
replies() {
	while IFS= read -r line <&3; do
		printf "   S: %s\n" "${line%$(printf "\r")}"
		case $line in [0-9][0-9][0-9]-*) ;; *) break ;; esac
	done
}
send() {
	printf "   C: %s\n" "$1"
	printf "%s\r\n" "$1" >&3
}
replies
for c in "HELO dude-mbp.example.com" "MAIL FROM:<dude@example.com>" \
    "RCPT TO:<walter@example.org>" "DATA"; do
	send "$c"
	replies
done
for l in "From: Jeff Lebowski <dude@example.com>" \
    "To: Walter Sobchak <walter@example.org>" "Subject: Bowling" "" \
    "Yo Walter -" "" "Bowling tonite?" "" "--Dude" "."; do
	send "$l"
done
replies
send QUIT
replies
' demo "$lport"
step "ESMTP: the same message through smtp-send -v" \
    "smtp-send is the client (MTA or MUA side).  It says EHLO, so the" \
    "server lists its extensions; -v shows the dialogue the lecture's way."
cat > bowling <<'MAIL'
From: Jeff Lebowski <dude@example.com>
To: Walter Sobchak <walter@example.org>
Subject: Bowling

Yo Walter -

Bowling tonite?

--Dude
MAIL
showsh "smtp-send -v -r '[127.0.0.1]:$lport' -f dude@example.com walter@example.org < bowling"
step "walter's mailbox now holds three messages" \
    "The lab's test mail and the two Bowling ones.  smtp-listen added a" \
    "Received: header; mda-deliver the From_ line," \
    "Return-Path: and Delivered-To:."
showsh 'grep -c "^From " var/mail/walter; sed -n "/Bowling/,\$p" var/mail/walter | tail -n 22'

# ---- Lab 11.1 end to end: a satellite system with a smarthost ----

sport=$(freeport)
step "Lab 11.1: the satellite system" \
    "The lecture's 'Satellite system': local mail stays here, everything else" \
    "goes to a smarthost, named in brackets so that no MX lookup happens." \
    "The smarthost is a second smtp-listen (port $sport below), a mail server for" \
    "example.net, with mailboxes of its own."
mkdir -p smart/spool
printf 'sobchak:x:%s:%s::%s:/bin/sh\n' "$me" "$gid" "$DEMO/smart" >smart/passwd
# The smarthost offers STARTTLS (a self-signed certificate made here) and
# AUTH, with walter's password as a crypt(3) hash in a postmap table.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout smart/key.pem -out smart/cert.pem -days 2 \
    -subj "/CN=smarthost.example.net" 2>/dev/null
printf 'walter %s\n' "$(openssl passwd -6 bowling)" > smart/users
postmap smart/users
cat > smart/main.cf <<CF
myhostname = smarthost.example.net
mydestination = example.net
mail_spool_directory = $DEMO/smart/spool
local_passwd_file = $DEMO/smart/passwd
alias_maps =
smtpd_tls_cert_file = $DEMO/smart/cert.pem
smtpd_tls_key_file = $DEMO/smart/key.pem
smtpd_sasl_auth_enable = yes
smtpd_sasl_user_maps = hash:$DEMO/smart/users
CF
start_smarthost() {
	smtp-listen -C smart/main.cf -l "127.0.0.1:$sport" -- \
	    mda-deliver -C "$DEMO/smart/main.cf" >/dev/null 2>>smart/log &
	smart_pid=$!
	pids="$pids $smart_pid"
	i=0
	until bash -c "exec 3<>/dev/tcp/127.0.0.1/$sport" 2>/dev/null ||
	    [ $i -ge 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}
start_smarthost
cat >> etc/main.cf <<CF

# Lab 11.1: a satellite system (the lecture's Debian choice).
relayhost = [127.0.0.1]:$sport
mda_deliver_program = $BUILD/mda-deliver
smtp_send_program = $BUILD/smtp-send
# so that "sendmail -q" after a short wait finds the deferred mail due
minimal_backoff_time = 1s
# STARTTLS required, then AUTH with the password from a table
smtp_tls_security_level = encrypt
smtp_sasl_auth_enable = yes
smtp_sasl_password_maps = hash:$DEMO/etc/sasl_passwd
CF
printf '[127.0.0.1]:%s walter:bowling\n' "$sport" > etc/sasl_passwd
postmap etc/sasl_passwd
showsh "tail -n 11 etc/main.cf"
printf '\n   (the password is in a table, never on a command line:)\n'
showsh "sed 's/:bowling/:*******/' etc/sasl_passwd"

step "Send the test mail to root: sendmail root" \
    "sendmail is what cron, mail(1) and scripts call.  It puts the message" \
    "into the queue (a file, fsync()ed); by default a background runner" \
    "delivers it and sendmail returns at once (sendmail -odb).  With -v it" \
    "makes the attempt itself (-odi) and shows the log lines, Postfix's" \
    "shape: QUEUEID: to=<...>, status=sent.  root is local, its alias says" \
    "walter; the runner delivers with mda-deliver's code (relay=local), the" \
    "messages for one mailbox under one lock and one fsync().  Set" \
    "mda_deliver_program = mda-deliver to see it run as its own program."
showsh 'sendmail -v root < testmail'
show mailq
showsh 'grep -c "^From " var/mail/walter'

step "Mail to an external address goes through the smarthost" \
    "sobchak@example.net is not local: smtp-send hands it to the relayhost."
cat > tosobchak <<'MAIL'
From: Walter <walter@example.com>
To: Walter Sobchak <sobchak@example.net>
Subject: Lane 3

Shomer shabbos.
MAIL
showsh 'sendmail -v -f walter@mailserver.example.com sobchak@example.net < tosobchak'
showsh 'grep -c "^From " smart/spool/sobchak'
printf '\n   (the smarthost notes how it came: ESMTPSA = ESMTP with TLS and AUTH)\n'
showsh 'grep -A3 "^Received:" smart/spool/sobchak | head -n 4'
printf '\n   (and smtp-send -v shows the dialogue, TLS marked, the password hidden)\n'
showsh "smtp-send -v -r '[127.0.0.1]:$sport' -f walter@mailserver.example.com sobchak@example.net < tosobchak 2>&1 | grep -E 'STARTTLS|AUTH|TLS|235' | head -n 8"

step "The smarthost is down: the message waits in the queue" \
    "Nothing is lost: the recipient is deferred, mailq shows why and when" \
    "the next attempt is due (Postfix shows the reason, not the time)."
kill "$smart_pid"
wait "$smart_pid" 2>/dev/null || true
printf '\n   (-odi: the attempt is made before sendmail returns, so mailq shows its outcome)\n'
showsh 'sendmail -odi -f walter@mailserver.example.com sobchak@example.net < tosobchak; echo "exit status $?"'
show mailq
printf '\n   (-n adds what Postfix hides: when the next attempt is due)\n'
show mailq -n
show mailq -j

step "The smarthost is back: sendmail -q runs the queue" \
    "cron would run sendmail -q (or a runner, sendmail -q5m, stays up)."
start_smarthost
sleep 1
showsh 'sendmail -q -v'
show mailq
showsh 'grep -c "^From " smart/spool/sobchak'

step "Canonical maps: no mail leaves as root@localhost" \
    "canonical_maps rewrite the envelope and the header addresses once, when" \
    "the message enters the queue (the lecture's slide).  Here root@localhost" \
    "becomes a real address before the message goes out."
showfile etc/canonical
printf 'From: root@localhost\nTo: sobchak@example.net\nSubject: cron\n\ndisk full\n' > fromroot
showsh 'sendmail -f root@localhost sobchak@example.net < fromroot; echo "exit status $?"'
printf '\n   (sendmail queued it and returned; a background runner delivers it,\n'
printf '   as sendmail -odb does.  Wait for the runner, then look:)\n'
settle
showsh 'tail -n 8 smart/spool/sobchak'

printf '\nThe demo is done; its files are in %s.\n' "$DEMO"
