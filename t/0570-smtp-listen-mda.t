#!/bin/sh
# smtp-listen -- mda-deliver: the local-only setup end to end in a
# sandbox (users from local_passwd_file, all of them the test's own uid).
# With smtpd_reject_unlisted_recipient = yes an unknown local user is
# refused at RCPT time, so nothing bounces later; users and aliases pass
# and the mail lands in their mbox files, read back with Python's mailbox.
. "$top_srcdir/t/test-lib.sh"
. "$FIXTURES/smtpd/lib.sh"

u=$(id -u)
g=$(id -g)
mkdir -p spool home/alice home/bob
printf "alice:x:%s:%s::%s/home/alice:/bin/sh\nbob:x:%s:%s::%s/home/bob:/bin/sh\n" \
    "$u" "$g" "$TRASH" "$u" "$g" "$TRASH" >passwd
printf "postmaster: alice\nlist: alice, bob\n" >aliases
cat >main.cf <<EOC
myhostname = mx.example.test
mydestination = example.test, \$myhostname
mynetworks = 127.0.0.1/32
smtpd_banner = \$myhostname ESMTP
local_passwd_file = $TRASH/passwd
alias_database = hash:$TRASH/aliases
alias_maps = hash:$TRASH/aliases
mail_spool_directory = $TRASH/spool
smtpd_reject_unlisted_recipient = yes
EOC
newaliases -C main.cf 2>/dev/null
smtp-listen -1 -l 127.0.0.1:0 -C main.cf -- mda-deliver -C "$TRASH/main.cf" \
    >port 2>log &
test_bg $!
i=0
while [ ! -s port ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
P=$(cat port)

test_expect_success 'an unknown local user is refused at RCPT time (550 5.1.1)' '
	$CHAT -r 127.0.0.9 $P "EHLO c\r\n" "MAIL FROM:<a@remote.invalid>\r\n" \
	    "RCPT TO:<nosuch@example.test>\r\n" "RCPT TO:<bob@example.test>\r\n" \
	    "RCPT TO:<list@example.test>\r\n" "RCPT TO:<Postmaster>\r\n" "DATA\r\n" \
	    "Subject: to the team\r\n\r\nhello\r\n.\r\n" "QUIT\r\n" >chat.out &&
	expect_replies "220 250 250 550 250 250 250 354 250 221 EOF" chat.out &&
	grep -q "^S: 550 5.1.1 <nosuch@example.test>: Recipient address rejected: User unknown in local recipient table" chat.out
'

test_expect_success 'the others got it in their mbox: bob once, alice as list and postmaster' '
	/usr/bin/python3 - <<-\EOP
	import mailbox
	bob = [m["Subject"] for m in mailbox.mbox("spool/bob")]
	alice = [m["Subject"] for m in mailbox.mbox("spool/alice")]
	assert bob == ["to the team"], bob
	assert alice and set(alice) == {"to the team"}, alice
	m = mailbox.mbox("spool/bob")[0]
	assert m["Received"].startswith("from c ([127.0.0.9])"), m["Received"]
	EOP
'

test_expect_success 'the lecture message, Lebowski to a local walter, lands in his mbox' '
	printf "walter:x:%s:%s::%s/home/bob:/bin/sh\n" "$u" "$g" "$TRASH" >>passwd &&
	msg=$(sed "s/\$/\\\\r\\\\n/" "$FIXTURES/smtpd/lecture.msg" | tr -d "\n") &&
	$CHAT $P "HELO dude-mbp.example.com\r\n" "MAIL FROM:<dude@example.com>\r\n" \
	    "RCPT TO:<walter@example.test>\r\n" "DATA\r\n" "$msg.\r\n" "QUIT\r\n" >chat.out &&
	expect_replies "220 250 250 250 354 250 221 EOF" chat.out &&
	/usr/bin/python3 -c "
import mailbox
m = mailbox.mbox(\"spool/walter\")[0]
assert m[\"Subject\"] == \"Bowling\", m[\"Subject\"]
assert \"Bowling tonite?\" in m.get_payload()
"
'

test_done
