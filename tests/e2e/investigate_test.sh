#!/usr/bin/env bash
# End-to-end checks of `sentinel search`, `investigate` and `flows` over a store ingested (by
# `sentinel analyze`, so findings are there too) from the fixture incident
# (tests/unit/investigate/data), the GuardDuty example and, when present, the public corpus.
# Usage: investigate_test.sh <path-to-sentinel> <repo-root>. Prints "N passed, M failed" last and
# exits non-zero when any check failed. No network.
set -u

if [ $# -ne 2 ]; then
  echo "usage: $0 <path-to-sentinel> <repo-root>" >&2
  exit 2
fi
SENTINEL=$1
REPO=$2
command -v python3 >/dev/null || { echo "python3 is required" >&2; exit 2; }
# shellcheck source=lib.sh
. "$REPO/tests/e2e/lib.sh"

CORPUS=${SENTINEL_CORPUS:-$REPO/../shared/corpus}
DB=$TMP/s.db
INPUTS=("$REPO/tests/unit/investigate/data" "$REPO/examples/aws-logs/guardduty")
run analyze analyze --db "$DB" "${INPUTS[@]}"
expect_rc analyze 0
if grep -q "^GuardDuty's own findings in the store: [1-9]" "$TMP/analyze.out"; then
  pass "analyze: the summary counts GuardDuty's stored findings apart"
else
  fail "analyze: no GuardDuty line in the summary" "$(tail -n 5 "$TMP/analyze.out")"
fi

# Who deleted the security group?
run sg search --db "$DB" --event 'Delete*SecurityGroup*' -o jsonl
expect_rc sg 0
py "sg: dave deleted it, carol's attempt failed" "$TMP/sg.out" '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert [r["principal"] for r in rows] == ["arn:aws:sts::123456789012:assumed-role/NetOps/dave", "arn:aws:iam::123456789012:user/carol"], rows
assert "errorCode" not in rows[0] and rows[1]["errorCode"] == "Client.DependencyViolation", rows
'

# Who accessed the bucket at 2 AM?
run bucket search --db "$DB" --resource payroll-exports --hour 02-03 -o csv
expect_rc bucket 0
py "bucket: two reads by eve at 02:xx, not the 14:05 one" "$TMP/bucket.out" '
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
assert len(rows) == 2, rows
assert all(r["principal / interface"].endswith(":user/eve") and r["time"].startswith("2024-03-09T02:") for r in rows), rows
'

# Every call from an IP, as a table: escaped (the fixture has an ESC in a user agent).
run ip search --db "$DB" --ip 203.0.113.50
expect_rc ip 0
expect_grep "ip: flows are part of it" "$TMP/ip.out" "flows"
expect_grep "ip: the count on stderr" "$TMP/ip.err" "5 event(s)"
if grep -q $'\x1b' "$TMP/ip.out"; then fail "ip: raw ESC in the table"; else pass "ip: no raw ESC"; fi

run explain search --db "$DB" --access-key ASIAEXAMPLEDAVE00001 --explain
expect_grep "explain: the access key postings" "$TMP/explain.out" "postings of the access key"
if grep -qF '\n' "$TMP/explain.out" || [ "$(wc -l < "$TMP/explain.out")" -lt 2 ]; then
  fail "explain: one plan line per line (no escaped line breaks)"
else
  pass "explain: one plan line per line"
fi

# Resource ids are found through their postings, and answer what the raw records answer: the
# same searches on a copy of the store whose segments lack the postings' mark (as a store
# written before them) read the raw records instead.
run explain_res search --db "$DB" --resource sg-0a1b2c3d4e5f67890 --explain
expect_grep "explain: the resource id postings" "$TMP/explain_res.out" "postings of the resource id"
cp "$DB" "$TMP/nomark.db"
python3 -c '
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
n = c.execute("DELETE FROM ct_post WHERE term = ?", (8 << 56,)).rowcount
c.commit()
sys.exit(0 if n > 0 else 1)' "$TMP/nomark.db" || fail "resource ids: no segment had the mark"
run explain_nomark search --db "$TMP/nomark.db" --resource sg-0a1b2c3d4e5f67890 --explain
if grep -q "postings of the resource id" "$TMP/explain_nomark.out"; then
  fail "resource ids: a store without the mark still used the postings"
else
  pass "resource ids: a store without the mark reads the records"
fi
for v in i-0a1b2c3d4e5f60001 eni-0a1b2c3d4e5f60001 sg-0a1b2c3d4e5f67890 0a1b2c3d4e5f60001; do
  run res_a search --db "$DB" --resource "$v" --type cloudtrail -o csv
  run res_b search --db "$TMP/nomark.db" --resource "$v" --type cloudtrail -o csv
  if [ -s "$TMP/res_a.out" ] && cmp -s "$TMP/res_a.out" "$TMP/res_b.out"; then
    pass "resource ids: --resource $v as without the postings"
  else
    fail "resource ids: --resource $v differs from the raw records' answer" "$(diff "$TMP/res_a.out" "$TMP/res_b.out" | head -n 5)"
  fi
done
for v in i-0a1b2c3d4e5f60001 eni-0a1b2c3d4e5f60001; do
  run inv_a investigate --db "$DB" "$v" -o json
  run inv_b investigate --db "$TMP/nomark.db" "$v" -o json
  if [ -s "$TMP/inv_a.out" ] && cmp -s "$TMP/inv_a.out" "$TMP/inv_b.out"; then
    pass "resource ids: investigate $v as without the postings"
  else
    fail "resource ids: investigate $v differs" "$(diff "$TMP/inv_a.out" "$TMP/inv_b.out" | head -n 5)"
  fi
done

run badhour search --db "$DB" --hour 25
expect_rc badhour 2
expect_grep "badhour: says why" "$TMP/badhour.err" "not an hour range"

# investigate: kinds from the shape, text and JSON.
SUMMARY_SUBJECTS=(203.0.113.50 ASIAEXAMPLEDAVE00001 i-0a1b2c3d4e5f60001 arn:aws:iam::123456789012:user/eve)
run inv_ip investigate --db "$DB" 203.0.113.50 -o json
expect_rc inv_ip 0
py "investigate IP: summary and timeline" "$TMP/inv_ip.out" '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["kind"] == "IP address" and d["counts"]["cloudtrail"] == 3 and d["counts"]["flows"] == 2, d["counts"]
assert d["firstSeen"] == "2024-03-09T02:30:00Z", d["firstSeen"]
assert {"value": "payroll-exports", "count": 2} in d["resources"], d["resources"]
assert d["peers"][0]["address"] == "10.0.1.10" and d["peers"][0]["bytesIn"] == 60000
t = [e["time"] for e in d["timeline"]]
assert t == sorted(t)
'
run inv_key investigate --db "$DB" ASIAEXAMPLEDAVE00001
expect_rc inv_key 0
expect_grep "investigate key: kind" "$TMP/inv_key.out" "(access key)"
expect_grep "investigate key: APIs with failures counted" "$TMP/inv_key.out" "ec2:DeleteSecurityGroup 1"
run inv_i investigate --db "$DB" i-0a1b2c3d4e5f60001
expect_grep "investigate instance: its big transfer" "$TMP/inv_i.out" "198.51.100.99  in 0 B  out 5.0 MB"
# A finding by its id (the GuardDuty example's, or one analyze raised).
run fid query --db "$DB" -o csv "SELECT id FROM findings ORDER BY product, id LIMIT 1"
FID=$(sed -n 2p "$TMP/fid.out" | tr -d '\r')
if [ -n "$FID" ]; then
  run inv_f investigate --db "$DB" "$FID"
  expect_rc inv_f 0
  expect_grep "investigate finding: recognised" "$TMP/inv_f.out" "(finding"
else
  fail "no finding in the store"
fi

# flows
cat >"$TMP/sentinel.yaml" <<'EOF'
networks:
  gateway: {vpcs: [vpc-0aaa1111bbbb22220], cidrs: [10.0.0.0/16]}
  backend: {vpcs: [vpc-0ccc3333dddd44440], cidrs: [10.1.0.0/16]}
EOF
run matrix flows matrix --db "$DB" --config "$TMP/sentinel.yaml" --since 2024-03-09 --until 2024-03-10 -o json
expect_rc matrix 0
py "matrix: totals" "$TMP/matrix.out" '
import json, sys
cells = {(c["from"], c["to"]): c for c in json.load(open(sys.argv[1]))}
gb = cells[("gateway", "backend")]
assert (gb["bytes"], gb["flows"], gb["rejected"]) == (3720, 6, 2), gb
assert cells[("backend", "gateway")]["bytes"] == 18000
assert cells[("gateway", "(internet)")]["bytes"] == 5060000
assert sum(c["flows"] for c in cells.values()) == 23
'
run why_ok flows why --db "$DB" 10.0.1.10 10.1.2.20 --port 5432
expect_grep "why: accepted pair" "$TMP/why_ok.out" "verdict: 10.0.1.10 reaches 10.1.2.20"
run why_no flows why --db "$DB" 10.0.1.55 10.1.2.20
expect_grep "why: rejected pair" "$TMP/why_no.out" "verdict: 10.0.1.55 cannot reach 10.1.2.20"
expect_grep "why: which side" "$TMP/why_no.out" "ingress at 10.1.2.20 (eni-0c3d4e5f6a7b80002)"
run top flows top --db "$DB" --by dst --limit 1 -o csv --since 2024-03-09 --until 2024-03-10
expect_grep "top: biggest destination" "$TMP/top.out" "198.51.100.99,5000000"
run vol flows volume --db "$DB" --by eni --entity eni-0a1b2c3d4e5f60001
expect_grep "volume: the 03:00 spike" "$TMP/vol.out" "2024-03-09T03:00:00Z"
expect_grep "volume: marked" "$TMP/vol.out" "FAR ABOVE"

if [ -d "$CORPUS/panther-labs__panther-analysis" ]; then
  C=$CORPUS/panther-labs__panther-analysis/_extracted/test_scenarios
  run corpus_ingest ingest --db "$DB" "$C/compromised-root-creds__attacker_cloudtrail.cloudtrail.json"
  run corpus_ingest2 ingest --db "$DB" --type vpcflow "$C/compromised-root-creds__attacker_vpc.vpcflow.log"
  run corpus_ip search --db "$DB" --ip 92.55.146.245 -o jsonl
  py "corpus: the attacker IP in CloudTrail and flows" "$TMP/corpus_ip.out" '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
types = {r["type"] for r in rows}
assert types == {"cloudtrail", "flows"}, types
assert any(r.get("eventName") == "ConsoleLogin" for r in rows)
'
  run corpus_why flows why --db "$DB" 172.31.77.31 172.31.77.1
  expect_grep "corpus why: v2 reject, side from the interface" "$TMP/corpus_why.out" "egress at 172.31.77.31"
  SUMMARY_SUBJECTS+=(92.55.146.245)
elif [ "${CI:-}" = "true" ]; then
  fail "corpus missing at $CORPUS"
fi

# The text form counts what JSON lists but keeps only the first values of each summary list: each
# line is JSON's first 12 values ("value count", APIs with "(n failed)", values past 72 bytes cut)
# and ", ... N more" for the rest (lines with values that need escaping: the suffix only).
for v in "${SUMMARY_SUBJECTS[@]}"; do
  run sum_t investigate --db "$DB" "$v"
  run sum_j investigate --db "$DB" "$v" -o json
  py "investigate $v: text summary lines are JSON's lists cut" "$TMP/sum_j.out" '
import json, sys
d = json.load(open(sys.argv[1]))
text = open(sys.argv[1].replace("sum_j.out", "sum_t.out"), encoding="utf-8", errors="replace").read()
lines = {l[:13].rstrip(): l[13:] for l in text.split("\n\nTimeline")[0].splitlines()[1:]}
checked = 0
for label, key in [("Accounts", "accounts"), ("Regions", "regions"), ("APIs", "apis"),
                   ("Resources", "resources"), ("Principals", "principals"),
                   ("Access keys", "accessKeys"), ("Source IPs", "sourceIPs"),
                   ("User agents", "userAgents"), ("Domains", "domains")]:
    vals = d[key]
    if not vals:
        assert label not in lines, label
        continue
    got = lines[label]
    more = ", ... %d more" % (len(vals) - 12) if len(vals) > 12 else ""
    assert got.endswith(more), (label, got[-40:], more)
    if all(all(32 <= ord(c) < 127 for c in x["value"]) for x in vals[:12]):
        parts = []
        for x in vals[:12]:
            val = x["value"] if len(x["value"]) <= 72 else x["value"][:69] + "..."
            part = "%s %d" % (val, x["count"])
            if key == "apis" and x["errors"] > 0:
                part += " (%d failed)" % x["errors"]
            parts.append(part)
        assert got == ", ".join(parts) + more, (label, got, ", ".join(parts) + more)
    checked += 1
assert checked >= 2, checked
'
done

e2e_finish
