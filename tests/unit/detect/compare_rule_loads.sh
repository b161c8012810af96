#!/bin/sh
# Loads every rule file and every folder holding one under rules/, tests/golden, tests/fixtures
# and tests/unit with two sentinel binaries, as `rules list` (with the embedded tests) and as
# `detect --rules ... /dev/null` (without them), and compares stdout, stderr and the exit
# status: the rules listed and every refusal message (file, rule, line and column) must be the
# same. Usage: compare_rule_loads.sh OLD_SENTINEL NEW_SENTINEL [SOURCE_DIR]
set -u
old=$1
new=$2
src=${3:-$(cd "$(dirname "$0")/../../.." && pwd)}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$src" || exit 2
find rules tests/golden tests/fixtures tests/unit -type f \( -name '*.yml' -o -name '*.yaml' \) \
  2>/dev/null | sort >"$work/files"
{
  cat "$work/files"
  sed 's|/[^/]*$||' "$work/files" | sort -u
} >"$work/paths"
n=0
bad=0
while read -r p; do
  n=$((n + 1))
  for mode in list detect; do
    for which in old new; do
      eval bin=\$$which
      if [ $mode = list ]; then
        "$bin" rules list "$p" >"$work/$which.out" 2>"$work/$which.err"
      else
        "$bin" detect --rules "$p" --output jsonl /dev/null >"$work/$which.out" 2>"$work/$which.err"
      fi
      echo "rc=$?" >>"$work/$which.err"
    done
    if ! cmp -s "$work/old.out" "$work/new.out" || ! cmp -s "$work/old.err" "$work/new.err"; then
      bad=$((bad + 1))
      echo "DIFFERENT ($mode): $p"
      diff "$work/old.err" "$work/new.err" | head -5
    fi
  done
done <"$work/paths"
echo "$n paths, 2 modes each: $bad different"
[ "$bad" -eq 0 ]
