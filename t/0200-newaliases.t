#!/bin/sh
# SPDX-License-Identifier: ISC
# newaliases: the lecture's aliases file built and queried, the aliases(5)
# syntax (continuation, comments, quoting, case folding, CRLF), targets
# kept byte for byte, errors with file:line that leave the old table
# alone, every lint warning with its text, -n -w -f -C -c, MAILPATH_CONF,
# alias_database with two tables, exit codes, mode and owner of a table.
. "$top_srcdir/t/test-lib.sh"

# A sandbox: its own users (walter, dude) and a configuration beside them.
setup() {
	printf '%s\n' 'walter:x:1001:1001::/home/walter:/bin/sh' \
	    'dude:x:1002:1002::/home/dude:/bin/sh' >passwd &&
	cat >main.cf <<-EOF
	alias_database = hash:$PWD/aliases
	local_passwd_file = $PWD/passwd
	EOF
}

# sum FILE - a checksum to show a table was not touched
sum() {
	cksum <"$1"
}

test_expect_success 'the lecture: root: walter, postmaster: root' '
	setup &&
	printf "root: walter\npostmaster: root\n" >aliases &&
	newaliases -C main.cf 2>err &&
	test ! -s err &&
	test -f aliases.tdb &&
	test "$(postmap -q root hash:aliases)" = walter &&
	test "$(postmap -q postmaster hash:aliases)" = root &&
	test "$(tdbdump -k root aliases.tdb)" = walter
'

test_expect_success 'the table is mode 0644 whatever the umask' '
	(umask 077 && newaliases -C main.cf) &&
	test "$(stat -c %a aliases.tdb)" = 644
'

test_expect_success 'the "@" marker is stored, as Postfix and sendmail do' '
	test "$(postmap -q @ hash:aliases)" = @
'

test_expect_success 'a name not in the table is not found' '
	test_expect_code 1 postmap -q nobody hash:aliases >out &&
	test ! -s out
'

test_expect_success 'continuation lines and comments' '
	cat >aliases <<-\EOF &&
	# the staff
	staff: walter,

	  # a comment inside the list ends nothing
	  dude,
	    root
	root: walter
	EOF
	newaliases -C main.cf 2>err &&
	test ! -s err &&
	test "$(postmap -q staff hash:aliases)" = "walter, dude, root"
'

test_expect_success 'names are folded to lower case (K-04)' '
	printf "Root: Walter\n" >aliases &&
	newaliases -C main.cf &&
	test "$(postmap -q root hash:aliases)" = Walter &&
	test "$(postmap -q ROOT hash:aliases)" = Walter
'

test_expect_success 'quoted names keep their special characters' '
	cat >aliases <<-\EOF &&
	"a:b": walter
	"x y": dude
	"x@y": walter
	"#hash": dude
	EOF
	newaliases -C main.cf 2>err &&
	test ! -s err &&
	test "$(postmap -q a:b hash:aliases)" = walter &&
	test "$(postmap -q "x y" hash:aliases)" = dude &&
	test "$(postmap -q x@y hash:aliases)" = walter &&
	test "$(postmap -q "#hash" hash:aliases)" = dude
'

test_expect_success 'targets are stored byte for byte (K-05)' '
	cat >aliases <<-\EOF &&
	prog: "|/usr/bin/prog -x \"a b\""
	inc: :include:/dev/null
	file: /var/log/mail-archive
	mixed: walter,  "|cmd a, b" ,dude@example.com
	EOF
	newaliases -C main.cf 2>err &&
	test ! -s err &&
	printf "%s\n" "\"|/usr/bin/prog -x \\\"a b\\\"\"" >want &&
	postmap -q prog hash:aliases >got &&
	test_cmp want got &&
	test "$(postmap -q inc hash:aliases)" = ":include:/dev/null" &&
	test "$(postmap -q file hash:aliases)" = /var/log/mail-archive &&
	test "$(postmap -q mixed hash:aliases)" = \
	    "walter,  \"|cmd a, b\" ,dude@example.com" &&
	test "$(tdbdump -k inc aliases.tdb)" = ":include:/dev/null"
'

test_expect_success 'CRLF line ends are read as LF (K-03)' '
	printf "root: walter\r\npostmaster: root\r\n" >aliases &&
	newaliases -C main.cf &&
	printf "walter\n" >want &&
	postmap -q root hash:aliases >got &&
	test_cmp want got
'

# bad_source NAME CONTENT WANT - the build fails with 65 and the message
# WANT, and the table built before is exactly as it was.
bad_source() {
	printf "root: walter\n" >aliases &&
	newaliases -C main.cf &&
	before=$(sum aliases.tdb) &&
	printf "$2" >aliases &&
	test_expect_code 65 newaliases -C main.cf 2>err &&
	echo "newaliases: fatal: $3" >want &&
	test_cmp want err &&
	test "$(sum aliases.tdb)" = "$before" &&
	test "$(postmap -q root hash:aliases)" = walter
}

test_expect_success 'a line without a colon: error, old table kept' '
	bad_source nocolon "root: walter\nroot walter\n" \
	    "$PWD/aliases:2: missing colon after the name (want \"name: target, ...\")"
'

test_expect_success 'an empty right-hand side: error, old table kept' '
	bad_source empty "a: walter\nx:\n" "$PWD/aliases:2: \"x:\" has no target"
'

test_expect_success 'a continuation line at the start: error (K-03)' '
	bad_source cont "  root: walter\n" \
	    "$PWD/aliases:1: continuation line without a line to continue"
'

test_expect_success 'an unquoted @ in a name: error' '
	bad_source at "a: walter\nroot@example.com: walter\n" \
	    "$PWD/aliases:2: the name must be a local part without \"@\" (quote the name if the \"@\" belongs to it)"
'

test_expect_success 'an unterminated quote: error' '
	bad_source quote "a: \"|cmd\n" \
	    "$PWD/aliases:1: unterminated quoted string in target list"
'

test_expect_success 'a NUL byte: error, old table kept (K-03)' '
	bad_source nul "a: walter\nb: wal\\000ter\n" \
	    "$PWD/aliases:2: NUL byte in line"
'

test_expect_success 'a 1 MiB line: error, old table kept (K-03)' '
	printf "root: walter\n" >aliases &&
	newaliases -C main.cf &&
	before=$(sum aliases.tdb) &&
	{ printf "big: "; head -c 1048576 /dev/zero | tr "\\000" a; echo; } \
	    >aliases &&
	test_expect_code 65 newaliases -C main.cf 2>err &&
	echo "newaliases: fatal: $PWD/aliases:1: line longer than 1048576 bytes" >want &&
	test_cmp want err &&
	test "$(sum aliases.tdb)" = "$before"
'

test_expect_success 'a long line under the limit is kept whole' '
	{ printf "big: "; head -c 100000 /dev/zero | tr "\\000" a; echo; } \
	    >aliases &&
	newaliases -C main.cf 2>err &&
	test "$(postmap -q big hash:aliases | wc -c)" = 100001
'

# lint CONTENT - build with the sandbox's users; the warnings in "got"
lint() {
	printf "$1" >aliases &&
	newaliases -C main.cf 2>got
}

test_expect_success 'lint: an alias loop names its chain' '
	lint "loopa: loopb\nloopb: loopa\n" &&
	echo "newaliases: warning: $PWD/aliases:1: alias loop: loopa -> loopb -> loopa" >want &&
	test_cmp want got &&
	test "$(postmap -q loopa hash:aliases)" = loopb
'

test_expect_success 'lint: a longer loop, found from its first line' '
	lint "root: walter\nx: y\ny: z, walter\nz: X\n" &&
	echo "newaliases: warning: $PWD/aliases:2: alias loop: x -> y -> z -> x" >want &&
	test_cmp want got
'

test_expect_success 'lint: self: self, walter is no loop' '
	lint "walter: walter, dude\n" &&
	test ! -s got
'

test_expect_success 'lint: self: self, bob when self is no user' '
	lint "self: self, dude\n" &&
	echo "newaliases: warning: $PWD/aliases:1: alias \"self\" lists itself, which means the mailbox of user \"self\", but there is no such local user" >want &&
	test_cmp want got
'

test_expect_success 'lint: a target that is neither an alias nor a user' '
	lint "root: walter\npostmaster: root, bob\n" &&
	echo "newaliases: warning: $PWD/aliases:2: alias \"postmaster\": target \"bob\" is neither an alias nor a local user" >want &&
	test_cmp want got
'

test_expect_success 'lint: users come from local_passwd_file' '
	lint "root: dude\n" &&
	test ! -s got &&
	echo "bob:x:1003:1003::/home/bob:/bin/sh" >>passwd &&
	lint "postmaster: root, bob\nroot: walter\n" &&
	test ! -s got
'

test_expect_success 'lint: an :include: file that does not exist' '
	lint "list: walter, :include:$PWD/no-such-list\n" &&
	echo "newaliases: warning: $PWD/aliases:1: list -> :include:$PWD/no-such-list: No such file or directory" >want &&
	test_cmp want got &&
	: >no-such-list &&
	lint "list: walter, :include:$PWD/no-such-list\n" &&
	test ! -s got
'

test_expect_success 'lint: a duplicate name, the first wins' '
	lint "root: walter\nRoot: dude\n" &&
	echo "newaliases: warning: $PWD/aliases:2: duplicate alias \"root\" ignored: first defined at $PWD/aliases:1" >want &&
	test_cmp want got &&
	test "$(postmap -q root hash:aliases)" = walter
'

test_expect_success '-w: no warning for duplicates, the others stay' '
	printf "root: walter\nroot: dude\nx: carol\n" >aliases &&
	newaliases -w -C main.cf 2>got &&
	echo "newaliases: warning: $PWD/aliases:3: alias \"x\": target \"carol\" is neither an alias nor a local user" >want &&
	test_cmp want got
'

test_expect_success 'warnings never fail the build' '
	lint "a: b\nb: a\nc: nobody-here\nc: x\n" &&
	test "$(wc -l <got)" = 3 &&
	test "$(postmap -q c hash:aliases)" = nobody-here
'

test_expect_success '-n checks and builds nothing' '
	rm -f aliases.tdb &&
	printf "a: b\nb: a\n" >aliases &&
	newaliases -n -C main.cf 2>got &&
	test_grep "alias loop: a -> b -> a" got &&
	test ! -e aliases.tdb &&
	newaliases -C main.cf 2>/dev/null &&
	before=$(sum aliases.tdb) &&
	printf "a: walter\n" >aliases &&
	newaliases -n -C main.cf &&
	test "$(sum aliases.tdb)" = "$before" &&
	test "$(postmap -q a hash:aliases)" = b
'

test_expect_success '-n still reports syntax errors' '
	printf "a walter\n" >aliases &&
	test_expect_code 65 newaliases -n -C main.cf 2>err &&
	test_grep "aliases:1: missing colon" err
'

test_expect_success 'alias_database with two tables builds both' '
	mkdir -p two &&
	printf "root: walter\n" >two/one &&
	printf "postmaster: dude\n" >two/other &&
	cat >two/main.cf <<-EOF &&
	alias_database = hash:$PWD/two/one, tdb:$PWD/two/other
	local_passwd_file = $PWD/passwd
	EOF
	newaliases -C two/main.cf 2>err &&
	test ! -s err &&
	test "$(postmap -q root hash:two/one)" = walter &&
	test "$(postmap -q postmaster hash:two/other)" = dude
'

test_expect_success 'the first table that fails stops the run' '
	printf "bad\n" >two/one &&
	rm -f two/other.tdb &&
	test_expect_code 65 newaliases -C two/main.cf 2>err &&
	test_grep "two/one:1: missing colon" err &&
	test ! -e two/other.tdb
'

test_expect_success 'MAILPATH_CONF names the configuration' '
	printf "root: walter\n" >two/one &&
	rm -f two/one.tdb &&
	MAILPATH_CONF=$PWD/two/main.cf newaliases &&
	test "$(postmap -q root hash:two/one)" = walter
'

test_expect_success '-c DIR reads DIR/main.cf' '
	rm -f two/one.tdb &&
	newaliases -c "$PWD/two" &&
	test "$(postmap -q root hash:two/one)" = walter
'

test_expect_success 'by default the aliases file is next to the configuration' '
	mkdir -p etc &&
	echo "local_passwd_file = $PWD/passwd" >etc/main.cf &&
	printf "root: walter\n" >etc/aliases &&
	newaliases -C etc/main.cf &&
	test "$(postmap -q root hash:etc/aliases)" = walter
'

test_expect_success '-f builds just the file given' '
	printf "abuse: dude\n" >single &&
	rm -f two/one.tdb &&
	newaliases -C two/main.cf -f single &&
	test "$(postmap -q abuse hash:single)" = dude &&
	test ! -e two/one.tdb
'

test_expect_success 'exit 66 when the source is missing' '
	test_expect_code 66 newaliases -C main.cf -f no-such-file 2>err &&
	test_grep "no-such-file: No such file or directory" err
'

test_expect_success 'exit 78 for a configuration error' '
	test_expect_code 78 newaliases -C no-such.cf 2>err &&
	test -s err &&
	echo "alias_database = lmdb:$PWD/aliases" >bad.cf &&
	test_expect_code 78 newaliases -C bad.cf 2>err &&
	test -s err &&
	printf "local_passwd_file = %s\n" "$PWD/no-passwd" >nopw.cf &&
	printf "root: walter\n" >aliases &&
	test_expect_code 78 newaliases -C nopw.cf -f aliases 2>err &&
	test_grep "no-passwd" err
'

test_expect_success 'exit 64 for bad usage' '
	test_expect_code 64 newaliases -x 2>err &&
	test_grep "^usage: newaliases" err &&
	test_expect_code 64 newaliases extra 2>/dev/null &&
	test_expect_code 64 newaliases -C a -c b 2>err &&
	test_grep "^usage: newaliases" err
'

test_expect_success 'the table belongs to the owner of its source (K-06)' '
	mkdir -p own &&
	printf "root: walter\n" >own/aliases &&
	if [ "$(id -u)" = 0 ]; then
		chown nobody own own/aliases
	fi &&
	newaliases -C main.cf -f own/aliases &&
	test "$(stat -c %u own/aliases.tdb)" = "$(stat -c %u own/aliases)" &&
	test "$(stat -c %a own/aliases.tdb)" = 644
'

test_expect_success '-v says what was built' '
	printf "root: walter\n" >aliases &&
	newaliases -v -C main.cf 2>err &&
	test_grep "aliases.tdb: 1 aliases, 0 duplicates ignored" err
'

test_done
