#!/usr/bin/env bash
# The main job on the bundled example data: what `make demo` prints.
set -euo pipefail
bin=${1:-build/release/src/sentinel}
cd "$(dirname "$0")/.."
echo "== sentinel stats examples/ =="
"$bin" stats examples/
