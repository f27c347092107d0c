#!/bin/sh
# SPDX-License-Identifier: ISC
# postmap: the source syntax, every flag, exit codes, exact messages with
# file:line, atomic builds (a failed build leaves the old table), NUL
# conventions seen through tdbdump, JSON output, --check, ownership.
. "$top_srcdir/t/test-lib.sh"

# sum FILE - a checksum to show a table was not touched
sum() {
	cksum <"$1"
}

# lecture's canonical map
cat >canonical <<'EOF'
# /etc/mailpath/canonical
walter          walter.mueller@example.com
Root	walter
EOF

test_expect_success 'build a table; -q prints the value (exit 0)' '
	postmap canonical &&
	test -f canonical.tdb &&
	postmap -q walter canonical >out &&
	echo walter.mueller@example.com >want &&
	test_cmp want out
'

test_expect_success '-q of a missing key prints nothing and exits 1' '
	test_expect_code 1 postmap -q nobody canonical >out &&
	! test -s out
'

test_expect_success 'hash: and tdb: name the same file' '
	postmap -q walter hash:canonical >a &&
	postmap -q walter tdb:canonical >b &&
	test_cmp a b && test_cmp want a
'

test_expect_success 'keys are folded to lower case, and so are -q keys' '
	postmap -q root canonical >out && echo walter >want &&
	test_cmp want out &&
	postmap -q ROOT canonical >out && test_cmp want out
'

test_expect_success '-f keeps the case of keys, in builds and queries' '
	postmap -f canonical &&
	postmap -fq Root canonical >out && test_cmp want out &&
	test_expect_code 1 postmap -fq root canonical &&
	postmap canonical
'

test_expect_success 'white space: tabs and runs separate, trailing goes' '
	printf "a\t \tb  c \t\n" >ws && postmap ws &&
	postmap -q a ws >out && printf "b  c\n" >want && test_cmp want out
'

test_expect_success 'comment lines, blank lines, indented comments' '
	printf "# c\n\n   \na 1\n   # not a continuation\nb 2\n" >cm &&
	postmap cm && postmap -s cm | sort >out &&
	printf "a\t1\nb\t2\n" >want && test_cmp want out
'

test_expect_success '# after the key is part of the value' '
	printf "a b # c\n" >hv && postmap hv &&
	postmap -q a hv >out && echo "b # c" >want && test_cmp want out
'

test_expect_success 'continuation lines join with one space' '
	printf "a 1\n  2\n\t3\nb\n  4\n" >ct && postmap ct &&
	postmap -q a ct >out && echo "1 2 3" >want && test_cmp want out &&
	postmap -q b ct >out && echo 4 >want && test_cmp want out
'

test_expect_success 'CRLF line ends are read as LF' '
	printf "a 1\r\n  2\r\nb 3\r\n" >crlf && postmap crlf &&
	postmap -q a crlf >out && echo "1 2" >want && test_cmp want out &&
	postmap -q b crlf | od -c >out && ! grep -q "\\\\r" out
'

test_expect_success 'quoted keys: white space, \" and \\, quotes not kept' '
	cat >qk <<-\EOF &&
	"A b" 1
	"x\"y\\z" 2
	"j doe"@Example.com 3
	"#a" 4
	EOF
	postmap qk &&
	postmap -q "a b" qk >out && echo 1 >want && test_cmp want out &&
	postmap -q "\"A B\"" qk >out && test_cmp want out &&
	postmap -q "\"x\\\"y\\\\z\"" qk >out && echo 2 >want &&
	test_cmp want out &&
	postmap -q "\"j doe\"@example.com" qk >out && echo 3 >want &&
	test_cmp want out &&
	postmap -q "#a" qk >out && echo 4 >want && test_cmp want out
'

test_expect_success '-s quotes keys so its output builds the same table' '
	postmap -s qk | sort >out &&
	cat >want <<-\EOF &&
	"#a"	4
	"a b"	1
	"j doe@example.com"	3
	"x\"y\\z"	2
	EOF
	test_cmp want out &&
	postmap -s qk >qk2 && postmap qk2 &&
	postmap -s qk2 | sort >out2 && test_cmp out out2
'

test_expect_success 'duplicate keys: the first wins, with a warning' '
	printf "root a\nx y\nRoot b\nroot c\n" >dup &&
	postmap dup 2>err &&
	cat >want <<-\EOF &&
	postmap: warning: dup:3: duplicate entry "root", first at line 1, ignored
	postmap: warning: dup:4: duplicate entry "root", first at line 1, ignored
	EOF
	test_cmp want err &&
	postmap -q root dup >out && echo a >want && test_cmp want out
'

test_expect_success '-r: the last wins, silently' '
	postmap -r dup 2>err && ! test -s err &&
	postmap -q root dup >out && echo c >want && test_cmp want out
'

test_expect_success '-w: the first wins, silently' '
	postmap -w dup 2>err && ! test -s err &&
	postmap -q root dup >out && echo a >want && test_cmp want out
'

test_expect_success 'a "key: value" line: warning with the alias hint' '
	printf "x 1\npostmaster: root\n" >al &&
	postmap al 2>err &&
	echo "postmap: warning: al:2: record is in \"key: value\" format; is this an alias file?" >want &&
	test_cmp want err &&
	postmap -q postmaster: al >out && echo root >want && test_cmp want out
'

# a good table, then a bad source: the build must fail and leave it
printf 'a 1\nb 2\n' >keep
postmap keep
before=$(sum keep.tdb)

# build_fails MSG - building keep fails with 65 saying keep:MSG, and
# keep.tdb is left as it was
build_fails() {
	test_expect_code 65 postmap keep 2>err &&
	test_grep "^postmap: fatal: keep:$1" err &&
	test "$(sum keep.tdb)" = "$before"
}

test_expect_success 'a key without a value: exit 65, file:line, old table kept' '
	printf "a 1\n\n# c\nnovalue\nb 2\n" >keep &&
	test_expect_code 65 postmap keep 2>err &&
	echo "postmap: fatal: keep:4: key \"novalue\" has no value (expected \"key whitespace value\"); keep.tdb left as it was" >want &&
	test_cmp want err &&
	test "$(sum keep.tdb)" = "$before" &&
	postmap -q b keep >out && echo 2 >want && test_cmp want out
'

test_expect_success 'a failed build leaves no temporary file behind' '
	ls -a >files && ! grep -q "keep.tdb.tmp" files
'

test_expect_success '"x:" without a value: the error carries the alias hint' '
	printf "root:\n" >alx &&
	test_expect_code 65 postmap alx 2>err &&
	test_grep "alx:1: key \"root:\" has no value (expected \"key whitespace value\"); is this an alias file?" err
'

test_expect_success 'an unterminated quote: exit 65 with file:line' '
	printf "a 1\n\"b c 2\n" >keep &&
	build_fails "2: unterminated quoted key"
'

test_expect_success 'a NUL byte: exit 65 naming the line (BATTERY K-03)' '
	printf "a 1\nb \0002\n" >keep &&
	build_fails "2: NUL byte in line"
'

test_expect_success 'a line over 1 MiB: exit 65 naming the line (K-03)' '
	{ echo "a 1"; printf "b "; head -c 1048576 /dev/zero | tr "\0" v;
	  echo; } >keep &&
	build_fails "2: line longer than 1048576 bytes"
'

test_expect_success 'a value of almost 1 MiB is stored whole' '
	{ printf "b "; head -c 1000000 /dev/zero | tr "\0" v; echo; } >bigv &&
	postmap bigv && postmap -q b bigv >out &&
	test "$(wc -c <out)" -eq 1000001
'

test_expect_success 'a continuation line at the start: exit 65 (K-03)' '
	printf "  a 1\nb 2\n" >keep &&
	build_fails "1: continuation line without a line to continue"
'

test_expect_success 'a missing source: exit 66' '
	test_expect_code 66 postmap nosuch 2>err &&
	echo "postmap: fatal: open nosuch: No such file or directory" >want &&
	test_cmp want err
'

test_expect_success '-q on a missing table: exit 66' '
	test_expect_code 66 postmap -q a nosuch 2>err &&
	test_grep "nosuch.tdb does not exist" err
'

test_expect_success 'usage errors: exit 64 with the synopsis' '
	test_expect_code 64 postmap 2>err &&
	test_grep "^usage: postmap \[-fijNnrsvw\]" err &&
	test_expect_code 64 postmap -x canonical 2>err &&
	test_grep "^postmap: invalid option" err &&
	test_expect_code 64 postmap -s -q a canonical 2>err &&
	test_expect_code 64 postmap -i canonical dup </dev/null 2>err &&
	test_expect_code 64 postmap -q 2>err &&
	test_grep "^postmap: option requires an argument -- .q" err
'

test_expect_success 'an unsupported type (lmdb:) is a configuration error: 78' '
	test_expect_code 78 postmap lmdb:canonical 2>err &&
	test_grep "type lmdb: not supported" err
'

test_expect_success 'configuration: -C, -c and $MAILPATH_CONF, errors are 78' '
	mkdir -p etc && echo "myhostname = mx.example.test" >etc/main.cf &&
	postmap -c etc -q walter canonical >out &&
	postmap -C etc/main.cf -q walter canonical >out &&
	MAILPATH_CONF=etc/main.cf postmap -q walter canonical >out &&
	echo "no equals sign" >bad.cf &&
	test_expect_code 78 postmap -C bad.cf -q walter canonical 2>err &&
	test_grep "bad.cf:1:" err &&
	MAILPATH_CONF=bad.cf test_expect_code 78 postmap -q walter canonical &&
	MAILPATH_CONF=$PWD/none.cf test_expect_code 78 postmap -q a canonical \
	    2>err &&
	test_grep "none.cf: No such file or directory" err
'

cat >many <<'EOF'
alice	a@example.com
bob	b@example.com
carol	c@example.com
EOF
postmap many

test_expect_success '-q -: found keys as key<TAB>value, misses left out' '
	printf "Bob\nnobody\nalice\n\nzed\n" | postmap -q - many >out &&
	printf "Bob\tb@example.com\nalice\ta@example.com\n" >want &&
	test_cmp want out
'

test_expect_success '-q -: exit 1 when no key is found' '
	printf "x\ny\n" | test_expect_code 1 postmap -q - many >out &&
	! test -s out
'

test_expect_success '-q - with several tables: the first that has the key' '
	printf "alice other\nzed z\n" >more && postmap more &&
	printf "alice\nzed\n" | postmap -q - more many >out &&
	printf "alice\tother\nzed\tz\n" >want && test_cmp want out &&
	postmap -q zed many more >out && echo z >want && test_cmp want out
'

test_expect_success '-q -: one key at a time, each answered before the next' '
	cat >coproc.py <<-\EOF &&
	import subprocess, sys
	p = subprocess.Popen(["postmap", "-q", "-", "many"],
	    stdin=subprocess.PIPE, stdout=subprocess.PIPE)
	for k in ("alice", "bob"):
	    p.stdin.write(k.encode() + b"\n")
	    p.stdin.flush()
	    sys.stdout.write(p.stdout.readline().decode())
	p.stdin.close()
	sys.exit(p.wait())
	EOF
	timeout 10 /usr/bin/python3 coproc.py >out &&
	printf "alice\ta@example.com\nbob\tb@example.com\n" >want &&
	test_cmp want out
'

test_expect_success 'several tables are built in one run' '
	rm -f many.tdb more.tdb && postmap many more &&
	test -f many.tdb && test -f more.tdb
'

test_expect_success '-s: every entry as key<TAB>value' '
	postmap -s many | sort >out &&
	printf "alice\ta@example.com\nbob\tb@example.com\ncarol\tc@example.com\n" >want &&
	test_cmp want out
'

test_expect_success '-j: JSON lines for -q, -q - and -s' '
	postmap -j -q alice many >out &&
	echo "{\"key\":\"alice\",\"value\":\"a@example.com\"}" >want &&
	test_cmp want out &&
	echo bob | postmap -jq - many >out &&
	echo "{\"key\":\"bob\",\"value\":\"b@example.com\"}" >want &&
	test_cmp want out &&
	postmap -js many | sort >out && test "$(wc -l <out)" -eq 3 &&
	test_grep "^{\"key\":\"carol\",\"value\":\"c@example.com\"}$" out
'

test_expect_success '-j escapes quotes, backslashes and control bytes' '
	cat >jhead <<-\EOF &&
	"q\\\"k" a\b"c
	EOF
	{ tr -d "\n" <jhead; printf "\001d\033e\177\n"; } >js &&
	postmap js && postmap -js js >out &&
	cat >want <<-\EOF &&
	{"key":"q\\\"k","value":"a\\b\"c\u0001d\u001be\u007f"}
	EOF
	test_cmp want out &&
	/usr/bin/python3 -c "import json,sys; [json.loads(l) for l in sys.stdin]" <out
'

test_expect_success '-j passes valid UTF-8 through, replaces invalid bytes' '
	printf "k caf\303\251 \377\n" >ju && postmap ju &&
	postmap -jq k ju >out &&
	printf "{\"key\":\"k\",\"value\":\"caf\303\251 \\\\ufffd\"}\n" >want &&
	test_cmp want out
'

test_expect_success 'an IDN key is stored as written, folded in ASCII only' '
	printf "B\303\274cher.Example idn\n" >idn && postmap idn &&
	postmap -s idn >out && printf "b\303\274cher.example\tidn\n" >want &&
	test_cmp want out &&
	postmap -q "b$(printf "\303\274")cher.example" idn >out &&
	echo idn >want && test_cmp want out &&
	postmap -q "B$(printf "\303\274")CHER.EXAMPLE" idn >out &&
	test_cmp want out &&
	test_expect_code 1 postmap -q "b$(printf "\303\234")cher.example" idn &&
	test_expect_code 1 postmap -q xn--bcher-kva.example idn >out &&
	! test -s out
'

test_expect_success '-N stores keys and values with a NUL (tdbdump)' '
	printf "k v\n" >nul && postmap -N nul &&
	tdbdump nul.tdb >dump &&
	test_grep "key(2) = \"k\\\\00\"" dump &&
	test_grep "data(2) = \"v\\\\00\"" dump &&
	postmap -q k nul >out && echo v >want && test_cmp want out &&
	postmap -s nul >out && printf "k\tv\n" >want && test_cmp want out
'

test_expect_success '-n (and the default) store them without (tdbdump)' '
	postmap -n nul && tdbdump nul.tdb >dump &&
	test_grep "key(1) = \"k\"" dump &&
	test_grep "data(1) = \"v\"" dump &&
	tdbdump -k k nul.tdb >v && printf v >want && test_cmp want v &&
	postmap nul && tdbdump -k k nul.tdb >v && test_cmp want v
'

test_expect_success '-d KEY deletes (exit 0), then finds nothing (exit 1)' '
	printf "a 1\nb 2\nc 3\n" >del && postmap del &&
	postmap -d B del &&
	test_expect_code 1 postmap -q b del &&
	postmap -q a del >out && echo 1 >want && test_cmp want out &&
	before=$(sum del.tdb) &&
	test_expect_code 1 postmap -d b del &&
	test "$(sum del.tdb)" = "$before"
'

test_expect_success '-d -: keys from stdin, exit 0 when any was deleted' '
	printf "a\nzz\n" | postmap -d - del &&
	test_expect_code 1 postmap -q a del &&
	postmap -s del >out && printf "c\t3\n" >want && test_cmp want out &&
	printf "zz\n" | test_expect_code 1 postmap -d - del >out &&
	! test -s out
'

test_expect_success '-i: entries from stdin are added to the table' '
	printf "a 1\n" >inc && postmap inc &&
	printf "B 2\nc 3\n" | postmap -i inc &&
	postmap -s inc | sort >out &&
	printf "a\t1\nb\t2\nc\t3\n" >want && test_cmp want out
'

test_expect_success '-i: a duplicate keeps the old value, with a warning' '
	printf "a 9\n" | postmap -i inc 2>err &&
	echo "postmap: warning: stdin:1: duplicate entry \"a\", already in the table, ignored" >want &&
	test_cmp want err &&
	postmap -q a inc >out && echo 1 >want && test_cmp want out &&
	printf "a 9\n" | postmap -ri inc 2>err && ! test -s err &&
	postmap -q a inc >out && echo 9 >want && test_cmp want out
'

test_expect_success '-i is atomic: a syntax error on stdin changes nothing' '
	before=$(sum inc.tdb) &&
	printf "d 4\ne\n" | test_expect_code 65 postmap -i inc 2>err &&
	test_grep "^postmap: fatal: stdin:2: key \"e\" has no value" err &&
	test_expect_code 1 postmap -q d inc &&
	test "$(sum inc.tdb)" = "$before"
'

test_expect_success '-i creates a table that does not exist yet' '
	printf "x y\n" | postmap -i fresh && postmap -q x fresh >out &&
	echo y >want && test_cmp want out
'

test_expect_success '--check: a fresh table passes (exit 0, silent)' '
	postmap many && postmap --check many 2>err && ! test -s err
'

test_expect_success '--check: a table older than its source: exit 1, reason' '
	touch -d "2001-01-01" many.tdb &&
	test_expect_code 1 postmap --check many 2>err &&
	test_grep "many.tdb is older than its source many" err
'

test_expect_success '--check: a missing table: exit 1, reason' '
	rm -f many.tdb &&
	test_expect_code 1 postmap --check many 2>err &&
	test_grep "many.tdb does not exist" err
'

test_expect_success '--check: a missing source: exit 66' '
	test_expect_code 66 postmap --check nosuch 2>err &&
	test_grep "source nosuch: No such file or directory" err
'

test_expect_success '-v says what it does' '
	postmap -v many 2>err &&
	test_grep "^postmap: building many.tdb from many (4 lines)$" err &&
	test_grep "^postmap: many.tdb: 3 entries$" err
'

test_expect_success 'the new table is mode 0644 whatever the umask' '
	(umask 077 && postmap many) &&
	test "$(stat -c %a many.tdb)" = 644
'

if [ "$(id -u)" = 0 ]; then
	test_expect_success 'as root: a source owned by another user is built as that user (K-02)' '
		mkdir -p mallory && chown nobody mallory &&
		printf "a b\n" >mallory/map && chown nobody mallory/map &&
		echo secret >canary && chmod 600 canary &&
		csum=$(sum canary) &&
		ln -s "$PWD/canary" mallory/map.tdb &&
		postmap mallory/map &&
		test "$(stat -c %U mallory/map.tdb)" = nobody &&
		test "$(sum canary)" = "$csum" &&
		mkdir -p rootdir && printf "a b\n" >rootdir/map &&
		chown nobody rootdir/map &&
		test_expect_code 75 postmap rootdir/map 2>err &&
		test_grep "Permission denied" err && ! test -e rootdir/map.tdb
	'
else
	test_expect_success 'not root: postmap keeps its own uid' '
		printf "a b\n" >mine && postmap mine &&
		test "$(stat -c %u mine.tdb)" = "$(id -u)"
	'
fi

test_expect_success 'a 100,000-line table builds and answers' '
	awk "BEGIN { for (i = 0; i < 100000; i++) printf \"user%d@example.com local%d\n\", i, i }" >big &&
	postmap big &&
	postmap -q user99999@example.com big >out &&
	echo local99999 >want && test_cmp want out &&
	awk "BEGIN { for (i = 0; i < 100000; i += 7) printf \"user%d@example.com\n\", i }" |
	postmap -q - big | wc -l >n && test "$(cat n)" -eq 14286
'

test_done
