#!/bin/sh
# Seeds the source fuzz corpora (tests/fuzz/corpus/parse and compile) with every small
# .aigw file in the repository: examples, test inputs, policy libraries. Files are named
# after their path, so re-running updates a seed instead of adding a copy. Files bigger
# than 8 KiB are left out: libFuzzer mutates small inputs best.
# Usage: tools/fuzz-seed.sh
set -eu
cd "$(dirname "$0")/.."
n=0
for f in $(find . -name '*.aigw' -size -8k ! -path './build*' ! -path './tests/fuzz/*' \
             ! -path './node_modules/*' ! -path './.git/*' | sed 's|^\./||' | sort); do
  name=$(echo "${f%.aigw}" | tr '/' '_')
  for t in parse compile; do
    mkdir -p "tests/fuzz/corpus/$t"
    cp "$f" "tests/fuzz/corpus/$t/$name"
  done
  n=$((n + 1))
done
echo "fuzz-seed: $n files into tests/fuzz/corpus/parse and tests/fuzz/corpus/compile"
