#!/usr/bin/env bash
# The main job on the bundled example data: what `make demo` prints. First what was read, then
# the findings of the shipped rules.
set -euo pipefail
bin=${1:-build/release/src/sentinel}
cd "$(dirname "$0")/.."
echo "== sentinel stats examples/ =="
"$bin" stats examples/aws-logs examples/damaged || true
echo
echo "== sentinel detect examples/ (rules/) =="
"$bin" detect --rules rules/ examples/aws-logs examples/damaged
