#!/bin/sh
# Writes the man pages aigwc(1) and aigwc-COMMAND(1), one per command, from the one
# source of each command's documentation: its own --help text (the command list of
# `aigwc --help` names the commands). Nothing is written by hand twice.
# Usage: tools/man.sh path/to/aigwc OUTDIR
set -eu
AIGWC=$1; OUT=$2
mkdir -p "$OUT"
version=$("$AIGWC" --version | awk '{ print $2 }')
# roff: backslashes written \e, a leading . or ' made literal, dashes kept as typed, and
# the few non-ASCII characters of the help texts spelled in ASCII (troff reads bytes)
esc() {
  sed -e 's/\\/\\e/g' -e "s/^\([.']\)/\\\\\&\1/" -e 's/-/\\-/g' \
    -e 's/…/.../g' -e 's/·/-/g' -e 's/×/x/g' -e 's/—/--/g' -e 's/→/->/g'
}
# page NAME SUMMARY < HELP: NAME's page; the usage lines (up to the
# first blank line) are the synopsis, the rest the description, as printed
page() {
  name=$1; summary=$2
  upper=$(printf '%s' "$name" | tr '[:lower:]' '[:upper:]')
  printf '.TH %s 1 "" "aigwc %s" "aigwc manual"\n' "$upper" "$version"
  printf '.SH NAME\n%s \\- %s\n' "$(printf '%s' "$name" | esc)" "$(printf '%s' "$summary" | esc)"
  awk 'BEGIN { s = 1 } s && /^$/ { s = 0; next } { print (s ? "S" : "D") $0 }' >"$OUT/.help"
  printf '.SH SYNOPSIS\n.nf\n'; sed -n -e 's/^Susage: //p' -e 's/^S//p' "$OUT/.help" | esc; printf '.fi\n'
  printf '.SH DESCRIPTION\n.nf\n'; sed -n 's/^D//p' "$OUT/.help" | esc; printf '.fi\n'
  rm -f "$OUT/.help"
}
cmds=$("$AIGWC" --help | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { exit }')
{
  "$AIGWC" --help | page aigwc "compile AI governance policies to a verified bundle and evaluate them"
  printf '.SH SEE ALSO\n'
  for c in $cmds; do printf '.BR aigwc\\-%s (1)\n' "$c"; done
} >"$OUT/aigwc.1"
for c in $cmds; do
  summary=$("$AIGWC" --help | awk -v c="$c" '$1 == c { $1 = ""; sub(/^ +/, ""); print; exit }')
  # --help exits 0 and prints on standard output
  { "$AIGWC" "$c" --help | page "aigwc-$c" "$summary"
    printf '.SH SEE ALSO\n.BR aigwc (1)\n'; } >"$OUT/aigwc-$c.1"
done
