#!/bin/sh
# mda-deliver: each rule of resolution and mailbox handling, with its exit
# status and the first line on stderr.
. "$top_srcdir/t/test-lib.sh"
. "$FIXTURES/mda/setup.sh"

SP=$S/spool

test_expect_success 'deliver to a local user: From_, Return-Path, Delivered-To, blank line' '
	printf "Subject: one\r\n\r\nFrom here\r\n>From there\r\n" |
	    deliver -f dude@example.org walter 2>err &&
	! test -s err &&
	cat >want <<-EOF &&
	From dude@example.org DATE
	Return-Path: <dude@example.org>
	Delivered-To: walter@example.test
	Subject: one

	>From here
	>>From there

	EOF
	strip_from "$SP/walter" >got &&
	test_cmp want got
'

test_expect_success 'the mailbox is created 0600, owned by the user, no lock left' '
	test "$(stat -c %a:%u "$SP/walter")" = "600:$UID_" &&
	! test -e "$SP/walter.lock"
'

test_expect_success 'null sender: MAILER-DAEMON and Return-Path: <>' '
	printf "Subject: two\n\nx\n" | deliver -f "<>" walter &&
	test "$(count_msgs "$SP/walter")" = 2 &&
	grep -q "^From MAILER-DAEMON " "$SP/walter" &&
	grep -q "^Return-Path: <>$" "$SP/walter"
'

test_expect_success 'user@mydestination, upper case; one mailbox gets one copy' '
	printf "Subject: d\n\nx\n" | deliver DUDE@Example.TEST dude@example.test &&
	test "$(count_msgs "$SP/dude")" = 1 &&
	grep -q "^Delivered-To: dude@example.test$" "$SP/dude"
'

test_expect_success 'user+ext goes to user, Delivered-To keeps the extension' '
	printf "Subject: d\n\nx\n" | deliver dude+box@example.test &&
	test "$(count_msgs "$SP/dude")" = 2 &&
	grep -q "^Delivered-To: dude+box@example.test$" "$SP/dude"
'

test_expect_success 'unknown user: 67, 5.1.1' '
	printf "x\n" | test_expect_code 67 deliver nosuch 2>err &&
	first_line err "5.1.1 nosuch: no such user"
'

test_expect_success 'domain not in mydestination: 69, 5.1.2' '
	printf "x\n" | test_expect_code 69 deliver a@remote.test 2>err &&
	first_line err "5.1.2 a@remote.test: remote.test is not a local domain (mydestination)"
'

# Smuggled recipients: refused, nothing written anywhere.
ls "$SP" >spool.before
for r in "|touch $PUB/pwn" "/tmp/x" ":include:/etc/passwd" "../etc/passwd" \
    "\"/etc/passwd\"@example.test" "\"|id\"@example.test" "\"a/b\"@example.test" \
    "\\\\walter"; do
	test_expect_success "recipient '$r' is refused: 65, 5.1.3" "
		printf 'x\n' | test_expect_code 65 deliver '$r' 2>err &&
		grep -q '^5\.1\.3 ' err &&
		ls '$SP' >spool.after && test_cmp spool.before spool.after &&
		! test -e '$PUB/pwn'
	"
done

test_expect_success 'several recipients: one line per failure, 75 wins over 67' '
	aliases "far: someone@remote.test" &&
	printf "x\n" | test_expect_code 75 deliver nosuch walter far 2>err &&
	first_line err "5.1.1 nosuch: no such user" &&
	sed -n 2p err | grep -q "^4\.3\.0 far: someone@remote.test is remote" &&
	test "$(count_msgs "$SP/walter")" = 3
'

test_expect_success 'missing alias table: 75, 4.3.0' '
	rm -f "$S/aliases.tdb" &&
	printf "x\n" | test_expect_code 75 deliver walter 2>err &&
	grep -q "^4\.3\.0 .*aliases.tdb" err
'

test_expect_success 'aliases: a list, duplicates once' '
	aliases "team: walter, dude" "all: team, walter, team, dude" &&
	printf "Subject: all\n\nx\n" | deliver all &&
	test "$(grep -c "^Subject: all" "$SP/walter")" = 1 &&
	test "$(grep -c "^Subject: all" "$SP/dude")" = 1
'

test_expect_success 'an alias naming itself: its own mailbox, no loop (H-08)' '
	aliases "self: self, bob" &&
	printf "Subject: self\n\nx\n" | deliver self &&
	test "$(count_msgs "$SP/self")" = 1 &&
	test "$(count_msgs "$SP/bob")" = 1
'

test_expect_success 'alias loop: 69, 5.4.6, nothing delivered (H-08)' '
	aliases "loopa: loopb" "loopb: walter, loopa" &&
	cp "$SP/walter" walter.before &&
	printf "x\n" | test_expect_code 69 deliver loopa 2>err &&
	first_line err "5.4.6 loopa: alias loop: loopa is in its own expansion through loopb" &&
	cmp walter.before "$SP/walter"
'

test_expect_success 'expansion depth limit: 69, 5.4.6 (H-09)' '
	i=1; : >al &&
	while [ $i -lt 30 ]; do echo "a$i: a$((i + 1))" >>al; i=$((i + 1)); done &&
	echo "a30: walter" >>al &&
	cp al "$S/aliases" && newaliases -C "$S/main.cf" -f "$S/aliases" &&
	printf "x\n" | test_expect_code 69 deliver a1 2>err &&
	first_line err "5.4.6 a1: alias expansion deeper than 20 levels" &&
	printf "x\n" | deliver a15
'

test_expect_success 'fan-out: one copy; too many targets: 69, 5.5.3 (H-09)' '
	awk "BEGIN { l = \"fan:\"; for (i = 1; i <= 50; i++) l = l \" f\" i \",\";
	    print l \" walter\";
	    for (i = 1; i <= 50; i++) { l = \"f\" i \":\";
	        for (j = 1; j <= 100; j++) l = l \" bob,\"; print l \" bob\" } }" >"$S/aliases" &&
	awk "BEGIN { l = \"bomb:\"; for (i = 1; i <= 200; i++) l = l \" g\" i \",\";
	    print l \" walter\";
	    for (i = 1; i <= 200; i++) { l = \"g\" i \":\";
	        for (j = 1; j <= 60; j++) l = l \" x\" i \"y\" j \"@remote.test,\"; print l \" bob\" } }" >>"$S/aliases" &&
	newaliases -C "$S/main.cf" -f "$S/aliases" 2>nwa.err &&
	before=$(count_msgs "$SP/bob") &&
	printf "Subject: fan\n\nx\n" | deliver fan &&
	test "$(count_msgs "$SP/bob")" = $((before + 1)) &&
	printf "x\n" | test_expect_code 69 deliver bomb 2>err &&
	grep -q "^5\.5\.3 bomb: more than 1000 deliveries" err
'

test_expect_success 'Delivered-To for the recipient already there: 69, 5.4.6' '
	printf "Delivered-To: Walter@example.test\nSubject: loop\n\nx\n" |
	    test_expect_code 69 deliver walter 2>err &&
	first_line err "5.4.6 walter: mail forwarding loop (Delivered-To: walter@example.test is already in the message)" &&
	printf "Delivered-To: other@example.test\n\nx\n" | deliver walter
'

test_expect_success 'canonical maps: rewritten once, recipient_ before plain (H-11)' '
	printf "walter@example.test dude@example.test\n" >rc &&
	printf "dude@example.test walter@example.test\n@example.test bob@example.test\n" >cm &&
	postmap hash:rc && postmap hash:cm &&
	cp "$S/main.cf" canon.cf &&
	printf "recipient_canonical_maps = hash:$TRASH/rc\ncanonical_maps = hash:$TRASH/cm\n" >>canon.cf &&
	: >"$S/aliases" && newaliases -C "$S/main.cf" -f "$S/aliases" &&
	printf "Subject: canon\n\nx\n" | mda-deliver -C canon.cf -n walter >plan &&
	test_grep "recipient_canonical_maps: walter@example.test -> dude@example.test" plan &&
	test_grep "canonical_maps: dude@example.test -> walter@example.test" plan &&
	test_grep "^action	mailbox	$SP/walter	" plan &&
	printf "Subject: canon\n\nx\n" | mda-deliver -C canon.cf -n someone >plan2 &&
	test_grep "^action	mailbox	$SP/bob	" plan2
'

test_expect_success '-n prints the tree and the actions, and delivers nothing' '
	aliases "team: walter, dude, \"|/bin/cat\", $PUB/archive" &&
	cp "$SP/walter" before &&
	printf "x\n" | deliver -n team >plan &&
	cmp before "$SP/walter" && ! test -e "$PUB/archive" &&
	test_grep "^  alias team: walter, dude" plan &&
	test_grep "^action	mailbox	$SP/dude	uid=$UID_	gid=$GID_	lock=fcntl,dotlock $SP/dude.lock	mode=0600$" plan &&
	test_grep "^action	command	/bin/cat	uid=[0-9]*	gid=[0-9]*	shell=no$" plan &&
	test_grep "^action	file	$PUB/archive	uid=[0-9]*	gid=[0-9]*	lock=fcntl	mode=0600$" plan
'

test_expect_success '-v narrates locking, writing, fsync' '
	printf "x\n" | deliver -v walter 2>err &&
	test_grep "locking (fcntl, then $SP/walter.lock)" err &&
	test_grep "walter: fsync done" err
'

test_expect_success '/file and /dir/ alias targets: mbox append and Maildir, never as root (H-07)' '
	aliases "archive: $PUB/archive" "md: $PUB/md/" &&
	printf "Subject: arch\n\nFrom x\n" | deliver archive &&
	printf "Subject: arch\n\nFrom x\n" | deliver archive &&
	test "$(count_msgs "$PUB/archive")" = 2 &&
	grep -q "^>From x" "$PUB/archive" &&
	printf "Subject: md\n\nx\n" | deliver md &&
	test "$(ls "$PUB/md/new" | wc -l)" = 1 &&
	if [ "$UID_" = 0 ]; then test "$(stat -c %u "$PUB/archive")" != 0; fi
'

test_expect_success 'a command gets the message and a filtered environment (H-02, H-03)' '
	aliases "rep: \"|/bin/bash -c '\''read -r l; echo 4.2.1 \$l S=\$SENDER R=\$RECIPIENT L=\$LOCAL E=\$EXTENSION D=\$DOMAIN O=\$ORIGINAL_RECIPIENT; exit 75'\''\"" &&
	printf "x\n" | test_expect_code 75 deliver -f "() { :; }; /bin/touch $PUB/shock" \
	    "\"rep+\$(id)\`id\`\"@example.test" 2>err &&
	grep -F "4.2.1 " err | grep -F "Return-Path: <() { :; }; /bin/touch $PUB/shock>" &&
	grep -F " S=_____:_____/bin/touch_$PUB/shock R=rep+__id__id_@example.test L=rep+__id__id_ E=__id__id_ D=example.test O=_rep+__id__id__@example.test" err &&
	! test -e "$PUB/shock"
'

test_expect_success 'an extension with a path in it is refused as a recipient (H-02)' '
	printf "x\n" | test_expect_code 65 deliver "\"rep+\$(touch\${IFS}$PUB/pwn)\"@example.test" 2>err &&
	grep -q "^5\.1\.3 " err && ! test -e "$PUB/pwn"
'

test_expect_success 'a command runs as someone other than root, without a shell when it can' '
	aliases "who: |$PUB/who.sh" &&
	printf "#!/bin/sh\necho 4.0.0 uid=\$(id -u) args=\$#\nexit 75\n" >"$PUB/who.sh" &&
	chmod 755 "$PUB/who.sh" &&
	printf "x\n" | test_expect_code 75 deliver who 2>err &&
	uid=$(sed -n "s/.*uid=\([0-9]*\).*/\1/p" err) &&
	test -n "$uid" && test "$uid" != 0 &&
	test_grep "args=0" err
'

test_expect_success 'a command status: 0 ok, sysexits passed on, others 69' '
	aliases "ok: \"|/bin/sh -c \\\"cat >/dev/null\\\"\"" "nu: \"|/bin/sh -c \\\"echo gone; exit 67\\\"\"" \
	    "odd: \"|/bin/sh -c \\\"exit 3\\\"\"" &&
	printf "x\n" | deliver ok &&
	printf "x\n" | test_expect_code 67 deliver nu 2>err &&
	test_grep "^5\.1\.1 nu: |/bin/sh -c \"echo gone; exit 67\": status 67: gone" err &&
	printf "x\n" | test_expect_code 69 deliver odd 2>err &&
	test_grep "^5\.3\.0 odd: .*status 3" err
'

test_expect_success ':include: local names work, commands in it are refused (5.7.1)' '
	printf "walter\n# comment\ndude\n" >"$PUB/list" &&
	printf "walter, |/bin/true\n" >"$PUB/list2" &&
	chmod 644 "$PUB/list" "$PUB/list2" &&
	aliases "list: :include:$PUB/list" "list2: :include:$PUB/list2" &&
	printf "x\n" | deliver -n list >plan &&
	test_grep "^action	mailbox	$SP/dude" plan &&
	printf "x\n" | test_expect_code 69 deliver list2 2>err &&
	first_line err "5.7.1 list2: mail to |/bin/true is not allowed from include $PUB/list2 (allow_mail_to_commands)"
'

test_expect_success '.forward replaces the mailbox; \\user and self go to the mailbox' '
	: >"$S/aliases" && newaliases -C "$S/main.cf" -f "$S/aliases" &&
	printf "walter\n" >"$S/home/bob/.forward" &&
	printf "\\\\self, walter\n" >"$S/home/self/.forward" &&
	printf "x\n" | deliver -n bob >plan &&
	test_grep "^action	mailbox	$SP/walter" plan &&
	! grep -q "$SP/bob" plan &&
	printf "x\n" | deliver -n self >plan &&
	test_grep "^action	mailbox	$SP/self" plan &&
	test_grep "^action	mailbox	$SP/walter" plan
'

test_expect_success '.forward or home writable by others: 75, 4.7.0 (G-09)' '
	chmod 666 "$S/home/bob/.forward" &&
	printf "x\n" | test_expect_code 75 deliver bob 2>err &&
	first_line err "4.7.0 $S/home/bob/.forward: not a regular file, writable by others, hard-linked or someone else'\''s; not used" &&
	chmod 644 "$S/home/bob/.forward" && chmod 777 "$S/home/bob" &&
	printf "x\n" | test_expect_code 75 deliver bob 2>err &&
	first_line err "4.7.0 bob: home directory $S/home/bob is writable by anyone; .forward not used" &&
	chmod 755 "$S/home/bob" && rm "$S/home/bob/.forward" "$S/home/self/.forward"
'

test_expect_success 'a hard-linked .forward: 75, 4.7.0, not used' '
	echo walter >fw && ln fw "$S/home/bob/.forward" &&
	printf "x\n" | test_expect_code 75 deliver bob 2>err &&
	grep -q "^4\.7\.0 $S/home/bob/.forward: not a regular file" err &&
	rm "$S/home/bob/.forward"
'

if [ "$UID_" = 0 ]; then
	test_expect_success 'a .forward owned by someone else: 75, 4.7.0 (as root)' '
		echo walter >"$S/home/bob/.forward" && chown 65534 "$S/home/bob/.forward" &&
		printf "x\n" | test_expect_code 75 deliver bob 2>err &&
		grep -q "^4\.7\.0 $S/home/bob/.forward: " err &&
		rm "$S/home/bob/.forward"
	'
else
	# Only root can give a file away: a .forward of root's stands in.
	test_expect_success 'a .forward owned by someone else (root): 75, 4.7.0, not used' '
		conf_with fwroot.cf "forward_path=/etc/passwd" &&
		printf "x\n" | test_expect_code 75 mda-deliver -C fwroot.cf bob 2>err &&
		first_line err "4.7.0 /etc/passwd: not a regular file, writable by others, hard-linked or someone else'\''s; not used"
	'
fi

test_expect_success 'home_mailbox = Maildir/ delivers into ~/Maildir' '
	conf_with md.cf home_mailbox=Maildir/ &&
	printf "Subject: md\n\nx\n" | mda-deliver -C md.cf walter &&
	test "$(ls "$S/home/walter/Maildir/new" | wc -l)" = 1 &&
	test "$(ls "$S/home/walter/Maildir/tmp" | wc -l)" = 0
'

test_expect_success 'a Debian-style spool (2775, group G): new mailboxes 0660 with group G' '
	mkdir deb && if [ "$UID_" = 0 ]; then chgrp mail deb; fi && chmod 2775 deb &&
	conf_with deb.cf mail_spool_directory=$TRASH/deb &&
	printf "x\n" | mda-deliver -C deb.cf -n walter >plan &&
	test_grep "^action	mailbox	$TRASH/deb/walter	uid=$UID_	gid=$(stat -c %g deb)	.*	mode=0660$" plan &&
	printf "x\n" | mda-deliver -C deb.cf walter &&
	test "$(stat -c %a:%u:%g deb/walter)" = "660:$UID_:$(stat -c %g deb)"
'

# Mailbox file attacks (G-02, G-04, G-05): 75, 4.2.0, nothing written.
test_expect_success 'dangling symlink as mailbox: refused, target not created (G-02)' '
	ln -s "$TRASH/newfile" "$SP/dude2" &&
	echo "dude2:x:$UID_:$GID_::$S/home/dude:/bin/sh" >>"$S/passwd" &&
	printf "x\n" | test_expect_code 75 deliver dude2 2>err &&
	first_line err "4.2.0 $SP/dude2: mailbox is a symbolic link" &&
	! test -e "$TRASH/newfile"
'

test_expect_success 'symlink to a file: refused, file unchanged' '
	echo secret >target && rm "$SP/dude2" && ln -s "$TRASH/target" "$SP/dude2" &&
	printf "x\n" | test_expect_code 75 deliver dude2 2>err &&
	first_line err "4.2.0 $SP/dude2: mailbox is a symbolic link" &&
	test "$(cat target)" = secret
'

test_expect_success 'hard-linked mailbox: refused, unchanged' '
	rm "$SP/dude2" && ln target "$SP/dude2" &&
	printf "x\n" | test_expect_code 75 deliver dude2 2>err &&
	first_line err "4.2.0 $SP/dude2: mailbox has 2 links" &&
	test "$(cat target)" = secret
'

test_expect_success 'FIFO and directory as mailbox: refused at once (G-05)' '
	rm "$SP/dude2" && mkfifo "$SP/dude2" &&
	printf "x\n" | test_expect_code 75 timeout 5 mda-deliver -C "$S/main.cf" dude2 2>err &&
	first_line err "4.2.0 $SP/dude2: mailbox is not a regular file" &&
	rm "$SP/dude2" && mkdir "$SP/dude2" &&
	printf "x\n" | test_expect_code 75 deliver dude2 2>err &&
	first_line err "4.2.0 $SP/dude2: mailbox is not a regular file" &&
	rmdir "$SP/dude2"
'

# A mailbox owned by someone else (G-04): t/0450-mda-battery.t.

test_expect_success 'stale dotlock removed; fresh dotlock: bounded wait, 75 (G-11, I-07)' '
	conf_with lock.cf deliver_lock_attempts=3 deliver_lock_delay=1s &&
	touch -d "1 hour ago" "$SP/walter.lock" &&
	n=$(count_msgs "$SP/walter") &&
	printf "x\n" | mda-deliver -C lock.cf walter 2>err &&
	test_grep "removed a stale lock" err &&
	! test -e "$SP/walter.lock" &&
	touch "$SP/walter.lock" &&
	cp "$SP/walter" before &&
	printf "x\n" | test_expect_code 75 mda-deliver -C lock.cf walter 2>err &&
	test_grep "^4\.2\.0 $SP/walter: cannot get the dotlock after 3 attempts" err &&
	cmp before "$SP/walter" && rm "$SP/walter.lock"
'

test_expect_success 'no final newline; a mailbox ending mid-line (G-13)' '
	printf "From a\n\nhalf" >"$SP/bob" &&
	printf "Subject: x\n\nabc" | deliver bob &&
	printf "Subject: y\n\ndef\n" | deliver bob &&
	strip_from "$SP/bob" >got &&
	printf "From a\n\nhalf\nFrom MAILER-DAEMON DATE\nReturn-Path: <>\nDelivered-To: bob@example.test\nSubject: x\n\nabc\n\nFrom MAILER-DAEMON DATE\nReturn-Path: <>\nDelivered-To: bob@example.test\nSubject: y\n\ndef\n\n" >want &&
	test_cmp want got
'

test_expect_success 'message_size_limit: 65, 5.3.4' '
	conf_with small.cf message_size_limit=100 &&
	head -c 200 /dev/zero | test_expect_code 65 mda-deliver -C small.cf walter 2>err &&
	first_line err "5.3.4 message is larger than 100 bytes"
'

test_expect_success 'mailbox_size_limit: 69, 5.2.2, mailbox unchanged' '
	conf_with mbl.cf mailbox_size_limit=1000 &&
	head -c 2000 /dev/zero | tr "\0" x | test_expect_code 69 mda-deliver -C mbl.cf dude 2>err &&
	grep -q "^5\.2\.2 .*mailbox size limit exceeded" err
'

test_expect_success 'usage: 64; bad configuration: 78' '
	test_expect_code 64 mda-deliver 2>err </dev/null &&
	test_grep "^usage: mda-deliver" err &&
	echo "this is not a parameter line" >bad.cf &&
	printf "x\n" | test_expect_code 78 mda-deliver -C bad.cf walter 2>err &&
	grep -q "^4\.3\.5 " err
'

test_expect_success '-v narrates the alias expansion too' '
	aliases "team: walter, dude" &&
	printf "x\n" | deliver -v team 2>err &&
	test_grep "^mda-deliver:   alias team: walter, dude$" err &&
	test_grep "^mda-deliver:       -> mailbox $SP/dude$" err &&
	test_grep "delivering to mailbox $SP/walter as uid " err
'

# env.py records its environment as exec() gave it (a shell would add PWD).
printf '#!/usr/bin/python3\nimport os, sys\nwith open(sys.argv[1], "wb") as f:\n    f.write(open("/proc/self/environ", "rb").read().replace(b"\\0", b"\\n"))\n    f.write(b"CWD=" + os.getcwd().encode() + b"\\n")\n' >"$PUB/env.py"
chmod 755 "$PUB/env.py"

test_expect_success 'a command from the alias table: exactly the documented environment' '
	aliases "envd: |$PUB/env.py $PUB/env.out" &&
	printf "x\n" | deliver -f s@example.org envd+x 2>err && ! test -s err &&
	if [ "$UID_" = 0 ]; then
		user=nobody shell=$(getent passwd nobody | cut -d: -f7)
	else
		user=uid$UID_ shell=/bin/sh
	fi &&
	sort "$PUB/env.out" >got &&
	sort >want <<-EOF &&
	CWD=/
	DOMAIN=example.test
	EXTENSION=x
	HOME=/
	LOCAL=envd+x
	LOGNAME=$user
	ORIGINAL_RECIPIENT=envd+x
	PATH=/usr/bin:/bin
	RECIPIENT=envd+x@example.test
	SENDER=s@example.org
	SHELL=$shell
	USER=$user
	EOF
	test_cmp want got
'

# carol: a user of her own (uid 1234) when we are root, so that
# "becomes the recipient" shows; ourselves otherwise.
if [ "$UID_" = 0 ]; then CU=1234 CG=1234; else CU=$UID_ CG=$GID_; fi
mkdir -p "$PUB/carol" && chmod 755 "$PUB/carol"
echo "carol:x:$CU:$CG:carol:$PUB/carol:/bin/sh" >>"$S/passwd"
[ "$UID_" = 0 ] && chown "$CU:$CG" "$PUB/carol"
mkdir "$PUB/spool" && chmod 1777 "$PUB/spool"
conf_with pub.cf mail_spool_directory=$PUB/spool

test_expect_success 'the mailbox is created and written as the recipient (uid, gid)' '
	: >"$S/aliases" && newaliases -C "$S/main.cf" -f "$S/aliases" &&
	printf "x\n" | mda-deliver -C pub.cf -n carol >plan &&
	test_grep "^action	mailbox	$PUB/spool/carol	uid=$CU	gid=$CG	" plan &&
	printf "Subject: c\n\nx\n" | mda-deliver -C pub.cf carol &&
	test "$(stat -c %u:%g:%a "$PUB/spool/carol")" = "$CU:$CG:600" &&
	test "$(count_msgs "$PUB/spool/carol")" = 1
'

test_expect_success 'a .forward command runs as its user, in the home, with its name' '
	printf "|$PUB/env.py $PUB/carol/env.out\n" >"$PUB/carol/.forward" &&
	[ "$UID_" != 0 ] || chown "$CU:$CG" "$PUB/carol/.forward" &&
	printf "x\n" | mda-deliver -C pub.cf carol 2>err && ! test -s err &&
	test "$(stat -c %u "$PUB/carol/env.out")" = "$CU" &&
	test_grep "^USER=carol$" "$PUB/carol/env.out" &&
	test_grep "^HOME=$PUB/carol$" "$PUB/carol/env.out" &&
	test_grep "^CWD=$PUB/carol$" "$PUB/carol/env.out" &&
	rm "$PUB/carol/.forward"
'

test_expect_success ':include: commands run as the file owner (when allowed)' '
	printf "|$PUB/env.py $PUB/carol/inc.out\n" >"$PUB/carol/list" &&
	[ "$UID_" != 0 ] || chown "$CU:$CG" "$PUB/carol/list" &&
	aliases "inc: :include:$PUB/carol/list" &&
	conf_with inc.cf mail_spool_directory=$PUB allow_mail_to_commands=alias,include &&
	printf "x\n" | mda-deliver -C inc.cf inc 2>err && ! test -s err &&
	test "$(stat -c %u "$PUB/carol/inc.out")" = "$CU" &&
	printf "x\n" | test_expect_code 69 mda-deliver -C pub.cf inc 2>err &&
	grep -q "^5\.7\.1 inc: mail to |$PUB/env.py" err
'

test_expect_success 'with no local_passwd_file, the system passwd database' '
	conf_with sys.cf local_passwd_file= &&
	nu=$(id -u nobody) &&
	if [ "$UID_" = 0 ]; then au=$nu; else au=$UID_; fi &&
	printf "x\n" | mda-deliver -C sys.cf -n nobody >plan &&
	test_grep "user nobody (uid $nu, gid $(id -g nobody), home " plan &&
	test_grep "^action	mailbox	$SP/nobody	uid=$au	" plan &&
	printf "x\n" | test_expect_code 67 mda-deliver -C sys.cf -n walter 2>err &&
	first_line err "5.1.1 walter: no such user"
'

mda_cleanup
test_done
