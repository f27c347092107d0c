#!/bin/sh
# mda-deliver: what it writes is read back by real readers - Python's
# mailbox module (mbox and Maildir), mutt in batch mode, and Dovecot's
# IMAP server on a loopback port (mbox and Maildir: count, bodies, flags).
. "$top_srcdir/t/test-lib.sh"
. "$FIXTURES/mda/setup.sh"

PY=/usr/bin/python3
R="$FIXTURES/mda/readers.py"
SP=$S/spool

# Bodies that trip up mbox: From_ lines, >From lines, no final newline,
# CR LF line ends, 8-bit text, a long line.
printf 'Subject: one\n\nFrom the start\n>From quoted\n>>From twice\nend\n' >m1
printf 'Subject: two\r\n\r\nno final newline\r\nFrom x' >m2
{ printf 'Subject: three\nContent-Type: text/plain; charset=utf-8\n\nGr\303\274\303\237e \342\202\254\n'
  head -c 20000 /dev/zero | tr '\0' a; printf '\n\nFrom \n'; } >m3
MSGS="m1 m2 m3"

test_expect_success 'deliver three messages to an mbox and to a Maildir' '
	for m in $MSGS; do deliver -f sender@example.org walter <$m || exit 1; done &&
	conf_with md.cf home_mailbox=Maildir/ &&
	for m in $MSGS; do mda-deliver -C md.cf -f sender@example.org dude <$m || exit 1; done &&
	test "$(count_msgs "$SP/walter")" = 3 &&
	test "$(ls "$S/home/dude/Maildir/new" | wc -l)" = 3
'

test_expect_success 'Python mailbox.mbox: 3 messages, bodies intact after unquoting' '
	$PY "$R" mbox "$SP/walter" $MSGS
'

test_expect_success 'Python mailbox.Maildir: 3 messages, bodies byte for byte' '
	$PY "$R" maildir "$S/home/dude/Maildir" $MSGS
'

# mutt_pipe FOLDER NAME - mutt (batch, through a pty) opens FOLDER read-only
# and pipes every message, raw, into NAME.out, each followed by the
# separator readers.py splits at; its screen goes to NAME.ts.
mutt_pipe() {
	mkdir -p mutthome &&
	HOME=$TRASH/mutthome TERM=vt100 timeout 60 script -qec "mutt -n -F /dev/null -R -f $1 -e \"set shell=/bin/sh folder=$TRASH/mutthome sort=mailbox-order pipe_split=yes pipe_decode=no pipe_sep==MUTT-SEP= wait_key=no status_format=COUNT=%m index_format=IDX:%s:%c\" -e \"push <tag-pattern>.<enter><tag-prefix><pipe-message>cat>>$TRASH/$2.out<enter><exit>\"" $2.ts >/dev/null 2>&1 </dev/null
}

test_expect_success 'mutt (batch) reads the mbox: 3 messages, each piped byte for byte' '
	mutt_pipe "$SP/walter" mutt &&
	grep -aq "COUNT=3" mutt.ts &&
	grep -aq "IDX:one:" mutt.ts &&
	grep -aq "IDX:two:" mutt.ts &&
	grep -aq "IDX:three:" mutt.ts &&
	test_grep "^>From the start" mutt.out &&
	$PY "$R" mutt mbox mutt.out $MSGS
'

test_expect_success 'mutt (batch) reads the Maildir: 3 messages, each piped byte for byte' '
	mutt_pipe "$S/home/dude/Maildir" muttmd &&
	grep -aq "COUNT=3" muttmd.ts &&
	$PY "$R" mutt maildir muttmd.out $MSGS
'

# Dovecot reads a copy (run as root, Dovecot refuses to access mail as
# root, so the copy belongs to the uid it runs as).
if [ "$UID_" = 0 ]; then MU=65534 MG=65534; else MU=$UID_ MG=$GID_; fi
D=$PUB/dovecot
mkdir -p "$D"
cp "$SP/walter" "$D/inbox"
cp -r "$S/home/dude/Maildir" "$D/Maildir"
for kind in mbox maildir; do
	mkdir -p "$D/$kind"
	case $kind in
	mbox) loc="mbox:$D/mbox/mail:INBOX=$D/inbox" ;;
	maildir) loc="maildir:$D/Maildir" ;;
	esac
	cat >"$D/$kind/dovecot.conf" <<EOC
base_dir = $D/$kind/run
state_dir = $D/$kind/state
log_path = $D/$kind/log
mail_location = $loc
ssl = no
mail_uid = $MU
mail_gid = $MG
first_valid_uid = 0
first_valid_gid = 0
EOC
done
[ "$UID_" = 0 ] && chown -R "$MU:$MG" "$D"

for kind in mbox maildir; do
	test_expect_success "Dovecot IMAP on loopback ($kind): count, bodies, flags" "
		$PY '$R' imapd '$D/$kind/dovecot.conf' port.$kind &
		echo \$! >pid.$kind &&
		i=0; while ! test -s port.$kind && [ \$i -lt 100 ]; do sleep 0.1; i=\$((i + 1)); done &&
		$PY '$R' imap $kind \$(cat port.$kind) $MSGS
	"
	test_bg "$(cat pid.$kind 2>/dev/null)"
done

mda_cleanup
test_done
