#!/usr/bin/env bash
# The store end to end: ingest is idempotent and resumable. A run killed with SIGKILL at random
# points and run again loses no event and duplicates none, and the file passes integrity_check.
# Also: re-ingest adds nothing, files added later are picked up, show is byte-exact, query
# refuses writes, CSV defuses formulas, prune deletes by event time, analyze stores findings.
# Usage: store_test.sh SENTINEL REPO
set -uo pipefail
SENTINEL=$1
REPO=$2
# shellcheck source=tests/e2e/lib.sh
source "$REPO/tests/e2e/lib.sh"

# ---- input: CloudTrail NDJSON files with unique eventIDs, and flow-log files -------------------
in=$TMP/in
mkdir -p "$in/ct" "$in/flows"
CT_FILES=40
CT_PER_FILE=1500
FLOW_FILES=8
FLOWS_PER_FILE=40000
# Under the sanitizers (SENTINEL_SANITIZED=1, set by ctest in that build; many times slower) the
# same files with a quarter of the records: the kills still land at random points of a whole run.
if [ "${SENTINEL_SANITIZED:-0}" = 1 ]; then
  CT_PER_FILE=375
  FLOWS_PER_FILE=10000
fi
for f in $(seq 1 $CT_FILES); do
  awk -v f="$f" -v n=$CT_PER_FILE 'BEGIN {
    for (i = 0; i < n; i++) {
      printf "{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"IAMUser\",\"arn\":\"arn:aws:iam::111122223333:user/u%d\",\"accessKeyId\":\"AKIA%016d\"},\"eventTime\":\"2024-01-%02dT%02d:%02d:%02dZ\",\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetObject\",\"awsRegion\":\"us-east-1\",\"sourceIPAddress\":\"198.51.%d.%d\",\"userAgent\":\"aws-cli/2\",\"requestParameters\":{\"bucketName\":\"b%d\",\"key\":\"k%d\"},\"eventID\":\"%08x-0000-4000-8000-%012x\",\"recipientAccountId\":\"111122223333\"}\n", i % 50, f * 100000 + i, 1 + f % 28, i % 24, i % 60, (i * 7) % 60, f, i % 250, f, i, f, i
    }
  }' >"$in/ct/trail_$f.json"
done
for f in $(seq 1 $FLOW_FILES); do
  awk -v f="$f" -v n=$FLOWS_PER_FILE 'BEGIN {
    print "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
    for (i = 0; i < n; i++) {
      printf "2 111122223333 eni-%08d 10.%d.%d.%d 172.16.%d.%d %d 443 6 %d %d %d %d %s OK\n", f, f, int(i / 250) % 250, i % 250, i % 200, (i * 3) % 250, 1024 + i % 60000, 1 + i % 9, 40 + i, 1704067200 + f * 3600 + i, 1704067260 + f * 3600 + i, (i % 13 == 0) ? "REJECT" : "ACCEPT"
    }
  }' >"$in/flows/flows_$f.log"
done
gzip -q "$in"/flows/flows_1.log "$in"/ct/trail_1.json
WANT_CT=$((CT_FILES * CT_PER_FILE))
WANT_FLOWS=$((FLOW_FILES * FLOWS_PER_FILE))

count() { "$SENTINEL" query --db "$1" -o csv "$2" | tail -n 1 | tr -d '\r'; }
integrity() { "$SENTINEL" query --db "$1" -o csv "PRAGMA integrity_check" | tail -n 1 | tr -d '\r'; }

# ---- SIGKILL at random points -----------------------------------------------------------------
# The kill points are drawn over the length of a whole run on this machine (measured first), so
# the test keeps killing mid-run however fast ingest gets. A run that finishes before its kill is
# checked like the final one (every event once, integrity ok), then the store starts over.
db=$TMP/killed.db
start_ns=$(date +%s%N)
"$SENTINEL" ingest --threads 2 --db "$TMP/timing.db" "$in" >/dev/null 2>&1
full_ms=$((($(date +%s%N) - start_ns) / 1000000))
rm -f "$TMP"/timing.db*
[ "$full_ms" -lt 50 ] && full_ms=50
kills=0
attempts=0
completed=0
RANDOM=42
check_whole() { # DB LABEL: all events once
  local ct flows
  ct=$(count "$1" "SELECT count(*) || '/' || count(DISTINCT eventID) FROM cloudtrail")
  flows=$(count "$1" "SELECT count(*) || '/' || count(DISTINCT record) FROM flows")
  if [ "$ct" != "$WANT_CT/$WANT_CT" ] || [ "$flows" != "$WANT_FLOWS/$WANT_FLOWS" ]; then
    fail "$2" "CloudTrail $ct, flows $flows (want $WANT_CT/$WANT_CT, $WANT_FLOWS/$WANT_FLOWS)"
  fi
}
while [ "$kills" -lt 12 ] && [ "$attempts" -lt 60 ]; do
  attempts=$((attempts + 1))
  "$SENTINEL" ingest --threads 2 --db "$db" "$in" >/dev/null 2>"$TMP/kill.err" &
  pid=$!
  # 2% .. 100% of a whole run: early (schema, first transaction) to late (last files).
  delay_ms=$((full_ms * (2 + RANDOM % 99) / 100))
  sleep "$((delay_ms / 1000)).$(printf '%03d' $((delay_ms % 1000)))"
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null && kills=$((kills + 1))
    wait "$pid" 2>/dev/null
  elif wait "$pid" 2>/dev/null; then
    completed=$((completed + 1))
    check_whole "$db" "a run that finished between kills"
    rm -f "$db" "$db-wal" "$db-shm"
    continue
  fi
  # Each time, whatever was committed is whole: integrity holds and no event is there twice.
  # (Killed before the schema committed, the file holds nothing yet: the next run creates it.)
  if [ -f "$db" ]; then
    ic=$(integrity "$db" 2>"$TMP/ic.err")
    if [ "$ic" != "ok" ] && ! grep -q "schema version 0" "$TMP/ic.err"; then
      fail "integrity after kill $kills" "$ic $(cat "$TMP/ic.err")"
    fi
  fi
done
if [ "$kills" -ge 10 ]; then
  pass "ingest killed with SIGKILL at $kills random points ($completed runs finished first; a run takes ${full_ms} ms)"
else
  fail "could kill ingest only $kills times in $attempts attempts (too fast?)"
fi
run final ingest --db "$db" "$in"
expect_rc final 0
got_ct=$(count "$db" "SELECT count(*) FROM cloudtrail")
got_distinct=$(count "$db" "SELECT count(DISTINCT eventID) FROM cloudtrail")
got_flows=$(count "$db" "SELECT count(*) FROM flows")
got_distinct_flows=$(count "$db" "SELECT count(DISTINCT record) FROM flows")
if [ "$got_ct" = "$WANT_CT" ] && [ "$got_distinct" = "$WANT_CT" ]; then
  pass "after the kills: all $WANT_CT CloudTrail events, none twice"
else
  fail "CloudTrail after kills" "want $WANT_CT, got $got_ct ($got_distinct distinct)"
fi
if [ "$got_flows" = "$WANT_FLOWS" ] && [ "$got_distinct_flows" = "$WANT_FLOWS" ]; then
  pass "after the kills: all $WANT_FLOWS flow records, none twice"
else
  fail "flows after kills" "want $WANT_FLOWS, got $got_flows ($got_distinct_flows distinct)"
fi
ic=$(integrity "$db")
[ "$ic" = "ok" ] && pass "integrity_check ok" || fail "integrity_check" "$ic"

# ---- idempotence and checkpoints --------------------------------------------------------------
run again ingest --db "$db" "$in"
expect_rc again 0
if grep -q "Stored 0 new events from 0 files" "$TMP/again.out"; then
  pass "re-ingesting the same tree adds nothing"
else
  fail "re-ingest" "$(cat "$TMP/again.out")"
fi
mkdir -p "$in/later"
printf '%s\n' '{"eventVersion":"1.08","eventTime":"2024-02-01T00:00:00Z","eventSource":"ec2.amazonaws.com","eventName":"DeleteSecurityGroup","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.77","userAgent":"=cmd|calc","eventID":"aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee","recipientAccountId":"111122223333"}' >"$in/later/new.json"
run later ingest --db "$db" "$in"
if grep -q "Stored 1 new events from 1 files" "$TMP/later.out"; then
  pass "a file added later is picked up, alone"
else
  fail "file added later" "$(cat "$TMP/later.out")"
fi

# ---- show, query ----------------------------------------------------------------------------
run show show --db "$db" aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee
if cmp -s "$TMP/show.out" "$in/later/new.json"; then
  pass "show prints the raw record byte-exact"
else
  fail "show" "$(head -c 300 "$TMP/show.out")"
fi
line=$(sed -n 5p "$in/flows/flows_2.log")
fid=$(count "$db" "SELECT event_id FROM flows WHERE record = '$line'")
run showflow show --db "$db" "$fid"
if [ "$(cat "$TMP/showflow.out")" = "$line" ]; then
  pass "show prints a flow line byte-exact"
else
  fail "show flow" "$fid: $(cat "$TMP/showflow.out")"
fi
run csv query --db "$db" -o csv "SELECT userAgent FROM cloudtrail WHERE eventName = 'DeleteSecurityGroup'"
if grep -q "^'=cmd|calc" "$TMP/csv.out"; then
  pass "CSV defuses a cell starting with ="
else
  fail "CSV defusing" "$(cat "$TMP/csv.out")"
fi
run write query --db "$db" "DELETE FROM ct_events"
expect_rc write 2
grep -q "read-only" "$TMP/write.err" && pass "query refuses a write with a clear error" ||
  fail "write refusal message" "$(cat "$TMP/write.err")"
run attach query --db "$db" "ATTACH '$TMP/other.db' AS o"
expect_rc attach 2
run json query --db "$db" -o json "SELECT count(*) AS n FROM flows WHERE srcaddr = '10.3.0.7'"
grep -q '"n":' "$TMP/json.out" && pass "query -o json" || fail "json" "$(cat "$TMP/json.out")"

# ---- prune ------------------------------------------------------------------------------------
run prune prune --db "$db" --older-than 10d --now 2024-01-20T00:00:00Z
expect_rc prune 0
left=$(count "$db" "SELECT count(*) FROM cloudtrail WHERE eventTime < '2024-01-10'")
[ "$left" = "0" ] && pass "prune removed events older than the cut-off" || fail "prune" "$left left"
kept=$(count "$db" "SELECT count(*) FROM cloudtrail WHERE eventTime >= '2024-01-10'")
[ "$kept" -gt 0 ] && pass "prune kept newer events" || fail "prune kept" "$kept"

# ---- analyze ----------------------------------------------------------------------------------
adb=$TMP/analyze.db
run analyze analyze --db "$adb" --rules "$REPO/rules" "$REPO/examples/aws-logs"
expect_rc analyze 0
grep -q "^Findings: " "$TMP/analyze.out" && pass "analyze prints a findings summary" ||
  fail "analyze summary" "$(head -20 "$TMP/analyze.out") $(head -5 "$TMP/analyze.err")"
nf=$(count "$adb" "SELECT count(*) FROM findings WHERE product = 'sentinel'")
[ "${nf:-0}" -gt 0 ] && pass "analyze stored $nf findings" || fail "analyze findings" "$nf"

# Analysing in two parts (the second run sees only the files the first did not) gives the
# findings of one run: the detection state lives in the store.
find "$REPO/examples/aws-logs" -type f | sort >"$TMP/all.txt"
sdb=$TMP/split.db
"$SENTINEL" analyze --db "$sdb" --rules "$REPO/rules" $(head -n 14 "$TMP/all.txt") >/dev/null 2>&1
"$SENTINEL" analyze --db "$sdb" --rules "$REPO/rules" "$REPO/examples/aws-logs" >/dev/null 2>&1
q="SELECT id, type, count, severity, eventFirstSeen, eventLastSeen FROM findings WHERE product = 'sentinel' ORDER BY id"
"$SENTINEL" query --db "$adb" -o csv "$q" >"$TMP/one.csv"
"$SENTINEL" query --db "$sdb" -o csv "$q" >"$TMP/split.csv"
if cmp -s "$TMP/one.csv" "$TMP/split.csv"; then
  pass "analyze in two parts gives the findings of one run"
else
  fail "split analyze" "$(diff "$TMP/one.csv" "$TMP/split.csv" | head -5)"
fi

# --- alarms and filter over the store = over the files ------------------------------------------
"$SENTINEL" alarms --output json "$REPO/examples/aws-logs" >"$TMP/alarms_files.json" 2>/dev/null
run alarmsdb alarms --db "$adb" --output json
expect_rc alarmsdb 0
if [ -s "$TMP/alarms_files.json" ] && cmp -s "$TMP/alarms_files.json" "$TMP/alarmsdb.out"; then
  pass "alarms --db gives the alarms of the same logs read from files"
else
  fail "alarms --db" "$(diff "$TMP/alarms_files.json" "$TMP/alarmsdb.out" | head -5)"
fi
run alarmsnone alarms
expect_rc alarmsnone 2

e2e_finish
