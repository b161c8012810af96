#!/usr/bin/env bash
# End-to-end checks of `sentinel detect` and `sentinel rules test` over the fixtures in
# tests/fixtures/detect/: every shipped rule fires on logs/ and none on benign/; the JSON output
# formats carry their required fields; --min-severity, --fail-on, suppression from sentinel.yaml,
# config errors, embedded rule tests and byte-identical reruns.
# Usage: detect_test.sh <path-to-sentinel> <repo-root>. Prints "N passed, M failed" last and
# exits non-zero when any check failed. No network.
set -u

if [ $# -ne 2 ]; then
  echo "usage: $0 <path-to-sentinel> <repo-root>" >&2
  exit 2
fi
SENTINEL=$1
REPO=$2
if [ ! -x "$SENTINEL" ]; then
  echo "not an executable: $SENTINEL" >&2
  exit 2
fi
command -v python3 >/dev/null || { echo "python3 is required" >&2; exit 2; }

RULES=$REPO/rules
# The checks below pin the findings of these six shipped rules over the fixtures, so the rule
# packs can grow without touching this file (the whole rules/ folder is checked by
# `sentinel rules test` in ctest, and by the accuracy tests).
RULE_ARGS=()
RULE_FILES=()
for r in cloudtrail/cloudtrail_logging_disabled cloudtrail/console_login_failures \
  cloudtrail/pentest_user_agents cloudtrail/root_credential_usage route53/dga_like_domains \
  vpcflow/portscan; do
  RULE_ARGS+=(--rules "$RULES/$r.yaml")
  RULE_FILES+=("$RULES/$r.yaml")
done
FIX=$REPO/tests/fixtures/detect
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

EXPECTED_TYPES='["CredentialAccess:IAMUser/ConsoleLoginFailures.Burst", "PenTest:IAMUser/KaliLinux", "Policy:IAMUser/RootCredentialUsage", "Recon:EC2/Portscan", "Stealth:IAMUser/CloudTrailLoggingDisabled", "Trojan:EC2/DGADomainRequest.C!DNS"]'

# --- every shipped rule fires on logs/, once ---------------------------------------------------
run jsonl detect "${RULE_ARGS[@]}" --output jsonl "$FIX/logs"
expect_rc jsonl 0
py "jsonl: one finding per shipped rule, the expected types" "$TMP/jsonl.out" "
import json, sys
fs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
types = sorted(f['type'] for f in fs)
assert types == $EXPECTED_TYPES, types
for f in fs:
    for k in ('id', 'type', 'severity', 'accountId', 'region', 'service'):
        assert k in f, (k, f)
    assert f['accountId'] == '111122223333', f
burst = [f for f in fs if f['type'].endswith('Burst')][0]
assert burst['service']['count'] == 5, burst['service']
"
expect_grep "summary on stderr for machine formats" "$TMP/jsonl.err" "Findings: 6"

# --- benign logs raise nothing -----------------------------------------------------------------
run benign detect "${RULE_ARGS[@]}" --output jsonl "$FIX/benign"
expect_rc benign 0
if [ ! -s "$TMP/benign.out" ]; then pass "benign: no findings"; else
  fail "benign: no findings" "$(head -c 400 "$TMP/benign.out")"; fi
expect_grep "benign: events were read" "$TMP/benign.err" "Read 12 events from 3 files (0 rejects)"

# --- output formats ----------------------------------------------------------------------------
run gd detect "${RULE_ARGS[@]}" --output guardduty "$FIX/logs"
expect_rc gd 0
py "guardduty: valid JSON with the required fields" "$TMP/gd.out" "
import json, sys
doc = json.load(open(sys.argv[1]))
fs = doc['Findings']
assert len(fs) == 6, len(fs)
for f in fs:
    for k in ('id', 'type', 'severity', 'accountId', 'region', 'service'):
        assert k in f, (k, f)
    assert isinstance(f['severity'], (int, float))
assert sorted(f['type'] for f in fs) == $EXPECTED_TYPES
"

run asff detect "${RULE_ARGS[@]}" --output asff "$FIX/logs"
expect_rc asff 0
py "asff: valid JSON with the required fields" "$TMP/asff.out" "
import json, sys
fs = json.load(open(sys.argv[1]))['Findings']
assert len(fs) == 6, len(fs)
for f in fs:
    for k in ('SchemaVersion', 'Id', 'ProductArn', 'GeneratorId', 'AwsAccountId', 'Types',
              'CreatedAt', 'UpdatedAt', 'Severity', 'Title', 'Description', 'Resources'):
        assert k in f, (k, sorted(f))
    assert isinstance(f['Types'], list) and f['Types'], f['Types']
    assert isinstance(f['Resources'], list) and f['Resources'], f['Resources']
"

run ocsf detect "${RULE_ARGS[@]}" --output ocsf "$FIX/logs"
expect_rc ocsf 0
py "ocsf: one valid JSON object per line with the required fields" "$TMP/ocsf.out" "
import json, sys
fs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert len(fs) == 6, len(fs)
for f in fs:
    assert f['class_uid'] == 2004, f['class_uid']
    assert f['finding_info']['uid'], f['finding_info']
    assert f['metadata']['version'], f['metadata']
"

run table detect "${RULE_ARGS[@]}" "$FIX/logs"
expect_rc table 0
expect_grep "table: lists the DGA finding" "$TMP/table.out" "Trojan:EC2/DGADomainRequest.C!DNS"
expect_grep "table: summary" "$TMP/table.out" "Findings: 6 (critical 0, high 1, medium 3, low 2)"

# --- --min-severity ----------------------------------------------------------------------------
run minsev detect "${RULE_ARGS[@]}" --output jsonl --min-severity 5 "$FIX/logs"
expect_rc minsev 0
py "--min-severity 5 keeps only findings at or above 5" "$TMP/minsev.out" "
import json, sys
fs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert len(fs) == 4, [f['type'] for f in fs]
assert all(f['severity'] >= 5 for f in fs)
"
run minsev9 detect "${RULE_ARGS[@]}" --output jsonl --min-severity 9 "$FIX/logs"
if [ "$RC" -eq 0 ] && [ ! -s "$TMP/minsev9.out" ]; then pass "--min-severity 9: nothing"; else
  fail "--min-severity 9: nothing" "rc=$RC $(head -c 300 "$TMP/minsev9.out")"; fi

# --- --fail-on ---------------------------------------------------------------------------------
run failon detect "${RULE_ARGS[@]}" --output jsonl --fail-on 5 "$FIX/logs"
expect_rc failon 3
run failon_benign detect "${RULE_ARGS[@]}" --output jsonl --fail-on 5 "$FIX/benign"
expect_rc failon_benign 0
run failon_high detect "${RULE_ARGS[@]}" --output jsonl --fail-on 9 "$FIX/logs"
expect_rc failon_high 0

# --- suppression from sentinel.yaml ------------------------------------------------------------
run supp detect "${RULE_ARGS[@]}" --config "$FIX/config/suppress.yaml" --output jsonl "$FIX/logs"
expect_rc supp 0
py "suppression: the port scan is archived, the rest printed" "$TMP/supp.out" "
import json, sys
fs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
types = [f['type'] for f in fs]
assert len(fs) == 5 and 'Recon:EC2/Portscan' not in types, types
"
expect_grep "suppression: counted as suppressed" "$TMP/supp.err" "1 suppressed"
run supp_show detect "${RULE_ARGS[@]}" --config "$FIX/config/suppress.yaml" --output jsonl \
  --show-archived "$FIX/logs"
expect_rc supp_show 0
py "--show-archived prints the archived finding, marked archived" "$TMP/supp_show.out" "
import json, sys
fs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
scan = [f for f in fs if f['type'] == 'Recon:EC2/Portscan']
assert len(fs) == 6 and len(scan) == 1, [f['type'] for f in fs]
assert scan[0]['service'].get('archived') is True, scan[0]['service']
"
# A suppressed finding does not trip --fail-on.
run supp_failon detect "${RULE_ARGS[@]}" --config "$FIX/config/suppress.yaml" --output jsonl \
  --fail-on 5 "$FIX/logs/vpcflow.log"
expect_rc supp_failon 0

# --- config errors -----------------------------------------------------------------------------
run cfg_key detect "${RULE_ARGS[@]}" --config "$FIX/config/unknown_key.yaml" "$FIX/logs"
expect_rc cfg_key 2
expect_grep "unknown config key is named" "$TMP/cfg_key.err" "rulez: unknown key"
run cfg_list detect "${RULE_ARGS[@]}" --config "$FIX/config/bad_list_format.yaml" "$FIX/logs"
expect_rc cfg_list 2
expect_grep "bad list format names the key" "$TMP/cfg_list.err" "lists[0].format"
expect_grep "bad list format names the value" "$TMP/cfg_list.err" "XML"

# --- embedded rule tests -----------------------------------------------------------------------
run rtest rules test "${RULE_FILES[@]}"
expect_rc rtest 0
expect_grep "rules test: every shipped test passes" "$TMP/rtest.out" "6 rules: 13 passed, 0 failed"
run rtest_fail rules test "$FIX/failing_rules"
expect_rc rtest_fail 1
expect_grep "rules test: names the failing rule and test" "$TMP/rtest_fail.out" \
  "FAIL fixture.failing_rule / expects a finding that never comes: expected 1 findings, got 0"

# --- determinism -------------------------------------------------------------------------------
for fmt in jsonl guardduty asff ocsf table; do
  run "again1_$fmt" detect "${RULE_ARGS[@]}" --output "$fmt" "$FIX/logs"
  run "again2_$fmt" detect "${RULE_ARGS[@]}" --output "$fmt" "$FIX/logs/route53.log" \
    "$FIX/logs/vpcflow.log" "$FIX/logs/cloudtrail.json"
  if cmp -s "$TMP/again1_$fmt.out" "$TMP/again2_$fmt.out"; then
    pass "$fmt: byte-identical across runs and input orders"
  else
    fail "$fmt: byte-identical across runs and input orders" \
      "$(diff "$TMP/again1_$fmt.out" "$TMP/again2_$fmt.out" | head -5)"
  fi
done
if cmp -s "$TMP/again1_jsonl.out" "$TMP/jsonl.out"; then pass "jsonl: identical to the first run"
else fail "jsonl: identical to the first run"; fi

e2e_finish
