#!/bin/sh
# SPDX-License-Identifier: ISC
# mx-lookup against a real DNS server: dnsmasq serving the zone in
# t/fixtures/dns on a loopback port, and fakedns.py for the failures a zone
# cannot show (SERVFAIL, REFUSED, silence).
. "$top_srcdir/t/test-lib.sh"
. "$FIXTURES/dns/lib.sh"

dns_start
S="-s 127.0.0.1:$DNS_PORT"
# The fake servers, started here: a test runs in a subshell, and what it
# starts in the background would outlive it.
fakedns_start servfail && servfail=$FAKEDNS_PORT
fakedns_start refused && refused=$FAKEDNS_PORT
fakedns_start silent && silent=$FAKEDNS_PORT
# BATTERY M-02: "dest.invalid MX 10" with a pointer past the end
# M-09: 1000 MX records, over TCP after a truncated UDP reply
fakedns_start big:1000 && big=$FAKEDNS_PORT
fakedns_start hex:123481800001000100000000046465737407696e76616c696400000f0001c00c000f00010000003c0004000affff &&
    hostile=$FAKEDNS_PORT
# M-11: spoofed answers, with a wrong ID or for another question
fakedns_start spoof:id && spoofid=$FAKEDNS_PORT
fakedns_start spoof:question && spoofq=$FAKEDNS_PORT
TAB=$(printf '\t')

test_expect_success 'two MX: sorted by preference' "
	mx-lookup $S example.test >out &&
	printf '10\tmx1.example.test\n20\tmx2.example.test\n' >want &&
	test_cmp want out
"

test_expect_success '-a: one line per address, A before AAAA' "
	mx-lookup -a $S example.test >out &&
	printf '%s\n' '10	mx1.example.test	192.0.2.10' \
	    '10	mx1.example.test	2001:db8::10' \
	    '20	mx2.example.test	192.0.2.20' >want &&
	test_cmp want out
"

test_expect_success '-j: one JSON object per domain' "
	mx-lookup -j $S example.test >out &&
	cat >want <<-\EOF &&
	{\"domain\":\"example.test\",\"ascii\":\"example.test\",\"status\":0,\"dsn\":\"2.0.0\",\"implicit\":false,\"hosts\":[{\"pref\":10,\"host\":\"mx1.example.test\",\"addresses\":[\"192.0.2.10\",\"2001:db8::10\"]},{\"pref\":20,\"host\":\"mx2.example.test\",\"addresses\":[\"192.0.2.20\"]}],\"skipped\":[]}
	EOF
	test_cmp want out &&
	/usr/bin/python3 -c 'import json,sys; json.load(open(\"out\"))'
"

test_expect_success 'equal preferences: shuffled, backup last' "
	mx-lookup $S --seed 1 eq.example.test >out &&
	test \$(wc -l <out) = 5 &&
	head -4 out | cut -f1 | sort -u >prefs &&
	echo 10 >want && test_cmp want prefs &&
	head -4 out | cut -f2 | sort >hosts &&
	printf '%s.example.test\n' a b c d >want && test_cmp want hosts &&
	tail -1 out >last &&
	printf '20\tbackup.example.test\n' >want && test_cmp want last
"

test_expect_success '--seed makes the shuffle reproducible' "
	mx-lookup $S --seed 7 eq.example.test >one &&
	mx-lookup $S --seed 7 eq.example.test >two &&
	test_cmp one two &&
	for s in 1 2 3 4 5 6 8 9 10 11; do
		mx-lookup $S --seed \$s eq.example.test
	done | paste -d' ' - - - - - | sort -u >orders &&
	test \$(wc -l <orders) -ge 3
"

test_expect_success 'no seed: the order varies between runs' "
	for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
		mx-lookup $S eq.example.test
	done | paste -d' ' - - - - - | sort -u >orders &&
	test \$(wc -l <orders) -ge 2
"

test_expect_success 'no MX, only A: the domain is its own MX, preference 0' "
	mx-lookup -a $S aonly.example.test >out &&
	printf '0\taonly.example.test\t192.0.2.40\n' >want &&
	test_cmp want out
"

test_expect_success 'no MX, only AAAA: implicit MX too' "
	mx-lookup -a $S v6only.example.test >out &&
	printf '0\tv6only.example.test\t2001:db8::41\n' >want &&
	test_cmp want out
"

test_expect_success '--explain says why (implicit MX)' "
	mx-lookup --explain $S aonly.example.test >out &&
	test_grep '^; question: aonly.example.test IN MX' out &&
	test_grep '^; answer: the domain exists but has no MX record' out &&
	test_grep '^; no MX: .*implicit MX, RFC 5321 5.1' out &&
	test_grep '^; *aonly.example.test A 192.0.2.40' out &&
	test_grep '^0	aonly.example.test$' out
"

test_expect_success '--explain shows the records, the sort, the shuffle' "
	mx-lookup --explain --seed 3 $S eq.example.test >out &&
	test_grep '^; answer: 5 MX records' out &&
	test_grep '^;  *eq.example.test MX 20 backup.example.test' out &&
	test_grep '^; shuffle: 4 hosts of preference 10' out &&
	test_grep '^; sort: by preference' out
"

test_expect_success 'neither MX nor address: exit 68, 5.1.2' "
	test_expect_code 68 mx-lookup $S empty.example.test >out 2>err &&
	echo '5.1.2 empty.example.test has no MX and no address record' >want &&
	head -1 err >first && test_cmp want first &&
	! test -s out
"

test_expect_success 'null MX: exit 69, 5.1.10' "
	test_expect_code 69 mx-lookup $S nullmx.example.test >out 2>err &&
	echo '5.1.10 nullmx.example.test does not accept mail (null MX)' >want &&
	test_cmp want err && ! test -s out
"

test_expect_success 'null MX explained' "
	test_expect_code 69 mx-lookup --explain $S nullmx.example.test >out &&
	test_grep 'null MX (RFC 7505)' out
"

test_expect_success 'NXDOMAIN: exit 68, 5.1.2' "
	test_expect_code 68 mx-lookup $S nosuch.example.test 2>err &&
	echo '5.1.2 nosuch.example.test: no such domain (NXDOMAIN)' >want &&
	test_cmp want err
"

test_expect_success 'an MX host without addresses is reported and skipped' "
	mx-lookup $S noaddr.example.test >out 2>err &&
	printf '20\tmx2.example.test\n' >want && test_cmp want out &&
	test_grep 'skipped: ghost.example.test has no address' err
"

test_expect_success 'skipped hosts are listed in -j' "
	mx-lookup -j $S noaddr.example.test >out 2>/dev/null &&
	test_grep '\"skipped\":\[{\"pref\":10,\"host\":\"ghost.example.test\",\"reason\":' out
"

test_expect_success 'only MX hosts without addresses: exit 68, 5.4.4' "
	test_expect_code 68 mx-lookup $S allghost.example.test 2>err &&
	test_grep '^5.4.4 no MX host of allghost.example.test has an address' err
"

test_expect_success 'an MX name that is no host name is skipped' "
	mx-lookup $S badname.example.test >out 2>err &&
	printf '20\tmx2.example.test\n' >want && test_cmp want out &&
	test_grep 'bad_name.example.test.* not a valid host name' err
"

test_expect_success 'an MX target that is a CNAME is followed' "
	mx-lookup -a $S cname.example.test >out &&
	printf '10\talias.example.test\t192.0.2.20\n' >want &&
	test_cmp want out
"

test_expect_success '--explain shows the CNAME step of an MX target' "
	mx-lookup --explain -a $S cname.example.test >out &&
	test_grep '^;  *cname.example.test MX 10 alias.example.test$' out &&
	test_grep '^;  *alias.example.test is an alias: CNAME mx2.example.test (a mail host should not be one, RFC 2181 10.3; followed)$' out &&
	test_grep '^;  *alias.example.test A 192.0.2.20$' out &&
	grep -n . out | grep -e 'is an alias' -e ' A 192.0.2.20' | head -2 >order &&
	head -1 order | grep -q 'is an alias' &&
	tail -1 out >last &&
	printf '10\talias.example.test\t192.0.2.20\n' >want && test_cmp want last
"

test_expect_success 'M-07: an MX exchange written as an address is a name' "
	test_expect_code 68 mx-lookup --explain -a $S iplit.example.test >out 2>err &&
	test_grep '^; question: 127.0.0.2 IN A, 127.0.0.2 IN AAAA$' out &&
	test_grep '^;  *skip: 127.0.0.2 has no address' out &&
	! grep -v '^;' out &&
	test_grep '^5.4.4 no MX host of iplit.example.test has an address' err
"

test_expect_success 'M-11: answers with a wrong ID or question are ignored' "
	RES_OPTIONS='timeout:1 attempts:1' &&
	export RES_OPTIONS &&
	for p in $spoofid $spoofq; do
		test_expect_code 75 mx-lookup -s 127.0.0.1:\$p dest.invalid \
		    >out 2>err &&
		test_grep '^4.4.3 dest.invalid MX: no answer from the name server (timed out)' err &&
		! grep -q evil out err || return 1
	done
"

test_expect_success 'a U-label domain is asked in A-labels, both shown' "
	mx-lookup $S bücher.example.test >out &&
	printf '; bücher.example.test = xn--bcher-kva.example.test\n10\tmx1.example.test\n' >want &&
	test_cmp want out &&
	mx-lookup -j $S bücher.example.test >out &&
	test_grep '\"domain\":\"bücher.example.test\",\"ascii\":\"xn--bcher-kva.example.test\"' out
"

test_expect_success 'a domain that is no domain: exit 65' "
	test_expect_code 65 mx-lookup $S 'a..b.example' 2>err &&
	test_grep '^5.1.2 ' err
"

test_expect_success 'several domains: a column for the domain, first error wins' "
	test_expect_code 69 mx-lookup $S example.test nullmx.example.test \
	    nosuch.example.test >out 2>err &&
	printf 'example.test\t10\tmx1.example.test\nexample.test\t20\tmx2.example.test\n' >want &&
	test_cmp want out &&
	head -1 err >first &&
	echo '5.1.10 nullmx.example.test does not accept mail (null MX)' >want &&
	test_cmp want first && test_grep 'NXDOMAIN' err
"

test_expect_success 'domains one per line on stdin' "
	printf 'example.test\n\n# a comment\naonly.example.test\n' |
	    mx-lookup $S >out &&
	printf 'example.test\t10\tmx1.example.test\nexample.test\t20\tmx2.example.test\naonly.example.test\t0\taonly.example.test\n' >want &&
	test_cmp want out
"

test_expect_success 'the dns_server parameter names the server' "
	echo 'dns_server = 127.0.0.1:$DNS_PORT' >main.cf &&
	mx-lookup -C main.cf aonly.example.test >out &&
	printf '0\taonly.example.test\n' >want && test_cmp want out
"

test_expect_success 'a closed port: exit 75, 4.4.3' "
	closed=\$(/usr/bin/python3 -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((\"127.0.0.1\", 0)); print(s.getsockname()[1])') &&
	test_expect_code 75 mx-lookup -s 127.0.0.1:\$closed example.test 2>err &&
	test_grep '^4.4.3 example.test MX: name server unreachable' err
"

test_expect_success 'SERVFAIL: exit 75, 4.4.3' "
	test_expect_code 75 mx-lookup -s 127.0.0.1:$servfail example.test 2>err &&
	test_grep '^4.4.3 example.test MX: name server failure (SERVFAIL)' err
"

test_expect_success 'REFUSED: exit 75, 4.4.3' "
	test_expect_code 75 mx-lookup -s 127.0.0.1:$refused example.test 2>err &&
	test_grep '^4.4.3 example.test MX: query refused (REFUSED)' err
"

test_expect_success 'no answer (timeout): exit 75, 4.4.3' "
	RES_OPTIONS='timeout:1 attempts:1' &&
	export RES_OPTIONS &&
	test_expect_code 75 mx-lookup -s 127.0.0.1:$silent example.test 2>err &&
	test_grep '^4.4.3 example.test MX: no answer from the name server (timed out)' err
"

test_expect_success 'a hostile reply (pointer past the end): exit 75' "
	test_expect_code 75 mx-lookup -s 127.0.0.1:$hostile dest.invalid 2>err &&
	test_grep '^4.4.3 dest.invalid MX: malformed reply' err
"

test_expect_success 'M-09: TC bit, then TCP; 1000 MX capped at 64, best first' "
	mx-lookup -s 127.0.0.1:$big big.test >out &&
	test \$(wc -l <out) = 64 &&
	head -1 out >first && printf '1\tmx999.big.test\n' >want &&
	test_cmp want first &&
	tail -1 out >last && printf '64\tmx936.big.test\n' >want &&
	test_cmp want last
"

test_expect_success 'usage errors: exit 64' "
	test_expect_code 64 mx-lookup -x example.test 2>err &&
	test_grep '^usage: mx-lookup' err &&
	test_expect_code 64 mx-lookup --seed abc example.test &&
	test_expect_code 78 mx-lookup -s nameserver example.test
"
test_done
