#!/bin/sh
# Man pages (tools/man.sh, from each command's --help) and bash completion
# (tools/aigwc.bash, from the same texts): one page per command that `aigwc --help`
# lists, each with its synopsis and options; troff finds nothing to warn about (when
# groff is installed); completion offers the commands, a command's options and its
# formats.
. "$ROOT/tests/e2e/lib.sh"
cd "$ROOT" || exit 1
sh tools/man.sh "$AIGWC" "$TMP/man" 2>"$TMP/man.err" && ok || { bad "man.sh failed"; cat "$TMP/man.err"; }
cmds=$("$AIGWC" --help | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { exit }')
[ "$(echo "$cmds" | wc -w)" -ge 10 ] && ok || bad "man: commands: $cmds"
for c in $cmds; do
  f="$TMP/man/aigwc-$c.1"
  if [ -s "$f" ] && grep -q "^\.TH AIGWC-$(echo "$c" | tr a-z A-Z) 1" "$f" && grep -q '^\.SH SYNOPSIS' "$f" &&
     grep -q "^aigwc $c" "$f"; then ok; else bad "man: aigwc-$c.1"; fi
  grep -q "^\.BR aigwc\\\\-$c (1)" "$TMP/man/aigwc.1" && ok || bad "man: aigwc.1 does not refer to aigwc-$c(1)"
done
grep -q '^  \\-\\-fail\\-if WHAT' "$TMP/man/aigwc-audit.1" && ok || bad "man: aigwc-audit.1 lacks --fail-if"
if command -v groff >/dev/null 2>&1; then
  for f in "$TMP"/man/*.1; do
    w=$(groff -man -Tutf8 -ww -z "$f" 2>&1)
    [ -z "$w" ] && ok || bad "man: $(basename "$f"): $w"
  done
fi
# completion
if command -v bash >/dev/null 2>&1; then
  mkdir -p "$TMP/bin" && ln -s "$AIGWC" "$TMP/bin/aigwc"
  PATH="$TMP/bin:$PATH" bash -c '
    . tools/aigwc.bash
    t() { COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=(); _aigwc; echo "${COMPREPLY[*]}"; }
    t aigwc au; t aigwc audit --fail; t aigwc eval --format ""; t aigwc lint --format s' >"$TMP/comp" 2>&1
  printf 'audit\n--fail-if\njson table\nsarif\n' >"$TMP/comp.want"
  check "bash completion" "$TMP/comp.want" "$TMP/comp"
fi
finish
