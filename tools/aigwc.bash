# bash completion for aigwc. Commands and options come from aigwc's own --help texts
# (the one source that also makes the man pages), so they never fall out of step.
# Installed by `make install` as share/bash-completion/completions/aigwc.
_aigwc() {
  local cur prev cmd words
  cur=${COMP_WORDS[COMP_CWORD]}
  prev=${COMP_WORDS[COMP_CWORD-1]}
  if [ "$COMP_CWORD" -eq 1 ]; then
    words=$("${COMP_WORDS[0]}" --help 2>/dev/null |
      awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { exit }')
    COMPREPLY=($(compgen -W "$words --help --version" -- "$cur"))
    return
  fi
  cmd=${COMP_WORDS[1]}
  case $prev in
    --format)
      # the formats the command's own help names on its --format lines
      words=$("${COMP_WORDS[0]}" "$cmd" --help 2>/dev/null | grep -- '--format' |
        grep -o -w 'text\|json\|table\|sarif\|junit\|github\|tap\|markdown\|csv' | sort -u)
      COMPREPLY=($(compgen -W "$words" -- "$cur")); return ;;
    --now|--within|--timeout|--retries|--examples|--min-coverage|--fail-on|--fail-if|--group-by)
      return ;;
  esac
  if [[ $cur == -* ]]; then
    words=$("${COMP_WORDS[0]}" "$cmd" --help 2>/dev/null | grep -o -- '\(^\|[ [(|]\)--\?[a-zA-Z][a-zA-Z-]*' |
      sed 's/^[ [(|]//' | grep '^-' | sort -u)
    COMPREPLY=($(compgen -W "$words --help" -- "$cur"))
    return
  fi
  # paths: policy sources, bundles, inputs, directories
  COMPREPLY=($(compgen -f -- "$cur"))
  compopt -o filenames 2>/dev/null
}
complete -F _aigwc aigwc
