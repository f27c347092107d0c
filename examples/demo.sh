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
mkdir -p "$DEMO/etc" "$DEMO/var/mail" "$DEMO/var/spool"
cd "$DEMO"

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
mydestination = \$myhostname, localhost.\$mydomain, localhost
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

printf '\nThe demo is done; its files are in %s.\n' "$DEMO"
