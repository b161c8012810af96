#!/usr/bin/env bash
# The main job on the bundled example data: what `make demo` prints. `sentinel analyze` stores
# the logs in a temporary store, runs the shipped rules and summarises the findings; then one
# query over the store.
set -euo pipefail
bin=${1:-build/release/src/sentinel}
cd "$(dirname "$0")/.."
db=$(mktemp -d "${TMPDIR:-/tmp}/sentinel-demo.XXXXXX")/demo.db
trap 'rm -rf "$(dirname "$db")"' EXIT
echo "== sentinel analyze examples/ (rules/, store $db) =="
"$bin" analyze --no-progress --rules rules/ --db "$db" examples/aws-logs examples/damaged
echo
echo "== sentinel query: what did 185.220.101.34 (a Tor exit) do? =="
"$bin" query --db "$db" --max-width 48 \
  "SELECT eventTime, eventName, userIdentity_arn, errorCode FROM cloudtrail
   WHERE sourceIPAddress = '185.220.101.34' ORDER BY eventTime LIMIT 8"
