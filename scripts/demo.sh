#!/usr/bin/env bash
# The main job on the bundled example data: what `make demo` prints. `sentinel analyze` stores
# the logs (and GuardDuty's own exported findings) in a temporary store, runs the shipped rules
# with the dataset's threat lists and AWS ranges (examples/simulated/sentinel.yaml) and
# summarises the findings; then one query over the store.
set -euo pipefail
bin=${1:-build/release/src/sentinel}
cd "$(dirname "$0")/.."
db=$(mktemp -d "${TMPDIR:-/tmp}/sentinel-demo.XXXXXX")/demo.db
trap 'rm -rf "$(dirname "$db")"' EXIT
echo "== sentinel analyze examples/ (rules/, examples/simulated/sentinel.yaml, store $db) =="
"$bin" analyze --no-progress --rules rules/ --config examples/simulated/sentinel.yaml --db "$db" \
  examples/aws-logs examples/guardduty/AWSLogs examples/damaged
echo
echo "== sentinel query: what did 185.220.101.34 (a Tor exit) do? =="
"$bin" query --db "$db" --max-width 48 \
  "SELECT eventTime, eventName, userIdentity_arn, errorCode FROM cloudtrail
   WHERE sourceIPAddress = '185.220.101.34' ORDER BY eventTime LIMIT 8"
