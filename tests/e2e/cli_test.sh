#!/usr/bin/env bash
# End-to-end checks of the `sentinel` command line: help, exit codes, rejects on stderr, stdin,
# directory walks and S3 key routing, output formats, terminal escaping, thread determinism and
# one corpus count. Usage: cli_test.sh <path-to-sentinel> <repo-root>
# Prints "N passed, M failed" last and exits non-zero when any check failed. No network.
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

# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

# Test data, written here (not taken from the repository) so the script stands alone.
python3 - "$TMP" <<'PYEOF'
import gzip, json, os, sys
tmp = sys.argv[1]
ACCT = "111122223333"

def rec(i, name="DescribeInstances", source="ec2.amazonaws.com", region="us-east-1", **extra):
    r = {
        "eventVersion": "1.09",
        "userIdentity": {"type": "IAMUser", "principalId": "AIDAEXAMPLEUSERID0001",
                         "arn": "arn:aws:iam::111122223333:user/alice", "accountId": ACCT,
                         "accessKeyId": "AKIAIOSFODNN7EXAMPLE", "userName": "alice"},
        "eventTime": "2024-01-15T02:%02d:%02dZ" % (i // 60 % 60, i % 60),
        "eventSource": source, "eventName": name, "awsRegion": region,
        "sourceIPAddress": "198.51.100.%d" % (i % 250 + 1),
        "userAgent": "aws-cli/2.15.10 Python/3.11.6 Linux/6.1 exe/x86_64",
        "requestParameters": {"maxResults": 100}, "responseElements": None,
        "requestID": "req-%08d" % i, "eventID": "evt-%08d" % i, "readOnly": True,
        "eventType": "AwsApiCall", "managementEvent": True, "recipientAccountId": ACCT,
        "eventCategory": "Management",
    }
    r.update(extra)
    return r

def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())

def doc(records):
    return json.dumps({"Records": records}, separators=(",", ":"))

# good.json: three good records.
write(f"{tmp}/good.json", doc([rec(i) for i in range(3)]))
# one_bad.json: a Records array, one record per line, the middle one missing its closing brace.
lines = [json.dumps(rec(i), separators=(",", ":")) for i in range(3)]
write(f"{tmp}/one_bad.json", '{"Records":[\n' + lines[0] + ",\n" + lines[1][:-1] + ",\n" +
      lines[2] + "\n]}\n")
# garbage.bin: nothing any parser reads.
write(f"{tmp}/garbage.bin", b"\x13\x37 this is not a log \x00\xfe\xff\n" * 20)

# S3-style tree. The record in the CloudTrail object carries no account or region of its own,
# so those must come from the object key.
tree = f"{tmp}/tree/AWSLogs/111122223333"
keyless = rec(0, name="ListBuckets", source="s3.amazonaws.com")
for k in ("recipientAccountId", "awsRegion"):
    del keyless[k]
del keyless["userIdentity"]["accountId"]
write(f"{tree}/CloudTrail/us-east-1/2024/01/15/"
      "111122223333_CloudTrail_us-east-1_20240115T0210Z_abcdefgh12345678.json.gz",
      gzip.compress(doc([keyless, rec(1, region="us-east-1")]).encode(), mtime=0))
write(f"{tree}/CloudTrail/eu-west-1/2024/01/15/"
      "111122223333_CloudTrail_eu-west-1_20240115T0215Z_ijklmnop12345678.json.gz",
      gzip.compress(doc([rec(2, region="eu-west-1")]).encode(), mtime=0))
digest = {"awsAccountId": ACCT, "digestStartTime": "2024-01-15T01:14:15Z",
          "digestEndTime": "2024-01-15T02:14:15Z", "digestS3Bucket": "example-trail-bucket",
          "digestS3Object": "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/01/15/x.json.gz",
          "newestEventTime": "2024-01-15T02:01:00Z", "oldestEventTime": "2024-01-15T02:00:00Z",
          "previousDigestSignature": None,
          "logFiles": [{"s3Bucket": "example-trail-bucket", "s3Object": "a.json.gz",
                        "hashValue": "00", "hashAlgorithm": "SHA-256",
                        "eventName": "NotAnEvent", "eventSource": "digest.test"}]}
write(f"{tree}/CloudTrail-Digest/us-east-1/2024/01/15/"
      "111122223333_CloudTrail-Digest_us-east-1_example-trail_us-east-1_20240115T021415Z.json.gz",
      gzip.compress(json.dumps(digest).encode(), mtime=0))

# Hostile field values for the table: ANSI escape, CR/LF, a C1 control, a tab, a BEL.
hostile = rec(7, name="Delete\u001b[31mEverything\r\nFAKE LINE\u0007",
              userAgent="curl\u001b]0;pwned\u0007/8.0\r\n")
hostile["userIdentity"]["arn"] = "arn:aws:iam::111122223333:user/\u001b[2Jmallory\r\u0085\t"
hostile["sourceIPAddress"] = "203.0.113.9\u001b[0m"
write(f"{tmp}/hostile.json", doc([hostile, rec(8)]))

# Several files for the thread-determinism check: different sizes so workers finish out of order.
for f in range(8):
    n = 400 if f % 3 == 0 else 15
    recs = [rec(f * 1000 + i, region=["us-east-1", "eu-west-1", "ap-south-1"][f % 3])
            for i in range(n)]
    write(f"{tmp}/many/sub{f % 2}/file{f}.json", doc(recs))
PYEOF
[ $? -eq 0 ] || { echo "could not write the test data"; echo "0 passed, 1 failed"; exit 1; }

# --- help -----------------------------------------------------------------------------------
run help --help
expect_rc help 0
expect_grep "app --help lists parse" "$TMP/help.out" "parse"
expect_grep "app --help lists stats" "$TMP/help.out" "stats"

run parse_help parse --help
expect_rc parse_help 0
for opt in PATH --type --flow-format --threads --max-decompressed --strict --output jsonl table; do
  expect_grep "parse --help mentions $opt" "$TMP/parse_help.out" "$opt"
done

run stats_help stats --help
expect_rc stats_help 0
for opt in PATH --type --threads --strict --output json; do
  expect_grep "stats --help mentions $opt" "$TMP/stats_help.out" "$opt"
done

# --- usage errors exit 2 --------------------------------------------------------------------
run usage_nosub
expect_rc usage_nosub 2
run usage_unknown_opt parse --no-such-option "$TMP/good.json"
expect_rc usage_unknown_opt 2
run usage_missing_path parse
expect_rc usage_missing_path 2
run usage_stats_missing_path stats
expect_rc usage_stats_missing_path 2
run usage_bad_type parse --type nonsense "$TMP/good.json"
expect_rc usage_bad_type 2
run usage_bad_output parse --output xml "$TMP/good.json"
expect_rc usage_bad_output 2
run usage_unknown_sub frobnicate "$TMP/good.json"
expect_rc usage_unknown_sub 2

# --- nothing readable exits 1 ---------------------------------------------------------------
run garbage_parse parse "$TMP/garbage.bin"
expect_rc garbage_parse 1
expect_grep "garbage file: reject names the file" "$TMP/garbage_parse.err" "garbage.bin"
run garbage_stats stats "$TMP/garbage.bin"
expect_rc garbage_stats 1
expect_grep "garbage file: stats says nothing readable" "$TMP/garbage_stats.err" \
  "nothing readable"
run missing_parse parse "$TMP/does-not-exist.json"
expect_rc missing_parse 1
expect_grep "missing path: named on stderr" "$TMP/missing_parse.err" "does-not-exist.json"
run missing_stats stats "$TMP/does-not-exist.json"
expect_rc missing_stats 1
expect_grep "missing path: stats says nothing readable" "$TMP/missing_stats.err" \
  "nothing readable"

# --- one bad record: exit 0, reject on stderr; --strict makes it 1 --------------------------
run one_bad parse "$TMP/one_bad.json"
expect_rc one_bad 0
py "one bad record: the two good records are printed" "$TMP/one_bad.out" '
import json, sys
ids = [json.loads(l)["event_id"] for l in open(sys.argv[1])]
assert ids == ["evt-00000000", "evt-00000002"], ids'
# The broken record starts on line 3 and is record 1 (0-based) of the file.
expect_grep "one bad record: reject names path, line and record" "$TMP/one_bad.err" \
  "$TMP/one_bad.json:3 (record 1"
expect_grep "one bad record: reject gives the reason" "$TMP/one_bad.err" "invalid_json"
run one_bad_strict parse --strict "$TMP/one_bad.json"
expect_rc one_bad_strict 1
run one_bad_stats_strict stats --strict "$TMP/one_bad.json"
expect_rc one_bad_stats_strict 1
run good_strict parse --strict "$TMP/good.json"
expect_rc good_strict 0

# --- stdin ----------------------------------------------------------------------------------
"$SENTINEL" parse - <"$TMP/good.json" >"$TMP/stdin_plain.out" 2>"$TMP/stdin_plain.err"
RC=$?
expect_rc stdin_plain 0
py "stdin plain: three events" "$TMP/stdin_plain.out" '
import json, sys
ls = [json.loads(l) for l in open(sys.argv[1])]
assert len(ls) == 3 and all(e["source"]["path"] == "-" for e in ls), ls'
gzip -c "$TMP/good.json" | "$SENTINEL" parse - >"$TMP/stdin_gz.out" 2>"$TMP/stdin_gz.err"
RC=$?
expect_rc stdin_gz 0
if cmp -s "$TMP/stdin_plain.out" "$TMP/stdin_gz.out"; then
  pass "stdin gzip: same events as plain"
else
  fail "stdin gzip: differs from plain" "$(diff "$TMP/stdin_plain.out" "$TMP/stdin_gz.out" | head -5)"
fi
"$SENTINEL" parse - </dev/null >"$TMP/stdin_empty.out" 2>"$TMP/stdin_empty.err"
RC=$?
expect_rc stdin_empty 1

# --- directory walk, S3 key routing, digest listed not parsed --------------------------------
run tree_parse parse "$TMP/tree"
expect_rc tree_parse 0
py "tree: three events, account and region from the key" "$TMP/tree_parse.out" '
import json, sys
ls = [json.loads(l) for l in open(sys.argv[1])]
assert len(ls) == 3, len(ls)
k = [e for e in ls if e["event_name"] == "ListBuckets"]
assert len(k) == 1, k
assert k[0]["account"] == "111122223333" and k[0]["region"] == "us-east-1", k[0]
assert "recipient_account_id" not in k[0] and "aws_region" not in k[0], k[0]
assert {e["region"] for e in ls} == {"us-east-1", "eu-west-1"}
assert not any(e.get("event_source") == "digest.test" for e in ls)
assert not any("CloudTrail-Digest" in e["source"]["path"] for e in ls)'
expect_grep "tree: digest file reported on stderr" "$TMP/tree_parse.err" "CloudTrail-Digest"
run tree_stats stats --output json "$TMP/tree"
expect_rc tree_stats 0
py "tree: stats json counts events, files and the digest" "$TMP/tree_stats.out" '
import json, sys
s = json.load(open(sys.argv[1]))
assert s["events"] == 3, s["events"]
assert s["files"] == 3 and s["readable_files"] == 3 and s["gzip_files"] == 3, s
assert s["events_by_log_type"]["cloudtrail"] == 3
assert s["files_by_log_type"]["cloudtrail"] == 2, s["files_by_log_type"]
assert s["files_by_log_type"]["cloudtrail_digest"] == 1
assert len(s["digest_files"]) == 1 and "CloudTrail-Digest" in s["digest_files"][0]
assert s["events_by_account"] == {"111122223333": 3}, s["events_by_account"]
assert s["events_by_region"] == {"us-east-1": 2, "eu-west-1": 1}, s["events_by_region"]
assert s["rejects"] == 0, s["rejects"]
assert s["time_range"]["first"].startswith("2024-01-15T02:00:00")'
run tree_stats_text stats "$TMP/tree"
expect_grep "tree: stats text lists the digest file" "$TMP/tree_stats_text.out" \
  "CloudTrail digest files: 1"

# --- output formats -------------------------------------------------------------------------
run jsonl parse --output jsonl "$TMP/good.json" "$TMP/one_bad.json" "$TMP/hostile.json"
expect_rc jsonl 0
py "parse --output jsonl: one JSON object per line" "$TMP/jsonl.out" '
import json, sys
n = 0
for line in open(sys.argv[1], "rb"):
    assert line.endswith(b"\n")
    o = json.loads(line)
    assert isinstance(o, dict) and o["log_type"] == "cloudtrail" and "record" in o
    n += 1
assert n == 3 + 2 + 2, n'
py "parse jsonl: hostile field round-trips exactly" "$TMP/jsonl.out" '
import json, sys
ls = [json.loads(l) for l in open(sys.argv[1])]
h = [e for e in ls if e["event_id"] == "evt-00000007"][0]
assert h["event_name"] == "Delete\u001b[31mEverything\r\nFAKE LINE\u0007", repr(h["event_name"])
assert h["record"]["userAgent"].startswith("curl\u001b]0;")'

run table parse --output table "$TMP/hostile.json"
expect_rc table 0
py "table: no ESC, CR, BEL or C1 byte from log fields" "$TMP/table.out" '
import sys
b = open(sys.argv[1], "rb").read()
assert b"\x1b" not in b, "ESC"
assert b"\r" not in b, "CR"
assert b"\x07" not in b, "BEL"
assert "\u0085".encode() not in b, "C1 NEL"'
py "table: one line per event, control characters shown escaped" "$TMP/table.out" '
import sys
lines = open(sys.argv[1], "rb").read().split(b"\n")
assert lines[-1] == b"" and len(lines) == 3, lines
assert b"FAKE LINE" in lines[0] and b"mallory" in lines[0], lines[0]
assert b"\\x1b[31m" in lines[0] and b"\\r\\n" in lines[0], lines[0]'
run table_err parse --output table "$TMP/does-not-exist-"$'\033'"[31m.json"
py "stderr: no ESC byte from a path" "$TMP/table_err.err" '
import sys
assert b"\x1b" not in open(sys.argv[1], "rb").read()'

run stats_json stats --output json "$TMP/good.json" "$TMP/one_bad.json" "$TMP/garbage.bin"
expect_rc stats_json 0
py "stats --output json: valid with expected counts" "$TMP/stats_json.out" '
import json, sys
s = json.load(open(sys.argv[1]))
assert s["events"] == 5, s["events"]
assert s["events_by_log_type"] == {"cloudtrail": 5, "vpcflow": 0, "route53": 0, "guardduty": 0}
assert s["files"] == 3 and s["readable_files"] == 2, (s["files"], s["readable_files"])
assert s["rejects"] == 2, s["rejects"]
assert s["rejects_by_reason"] == {"invalid_json": 1, "unknown_format": 1}, s["rejects_by_reason"]
assert s["events_by_event_source"] == {"ec2.amazonaws.com": 5}
assert s["files_by_log_type"]["unknown"] == 1'

# --- stats --by: streaming group-by ----------------------------------------------------------
run by_json stats --output json --by sourceIPAddress "$TMP/many"
expect_rc by_json 0
py "stats --by: one group per value, counts add up, sorted by count" "$TMP/by_json.out" '
import json, sys
s = json.load(open(sys.argv[1]))
assert s["by"] == "sourceIPAddress" and s["events"] == 3 * 400 + 5 * 15, s
gs = s["groups"]
assert sum(g["count"] for g in gs) == s["events"] and s["groups_total"] == len(gs) == 250, len(gs)
assert [g["count"] for g in gs] == sorted((g["count"] for g in gs), reverse=True)
assert all(g["key"].startswith("198.51.100.") for g in gs) and s["overflow"] is None'
run by_t1 stats --output json --threads 1 --by eventName --top 1 "$TMP/many"
run by_t4 stats --output json --threads 4 --by eventName --top 1 "$TMP/many"
py "stats --by --top 1: the largest group, same over 1 and 4 threads" "$TMP/by_t1.out" '
import json, sys
a = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[1].replace("by_t1", "by_t4")))
assert a["groups"] == b["groups"] == [{"key": "DescribeInstances", "count": 1275}], a["groups"]'
run by_nested stats --output json --by userIdentity.userName --sum requestParameters.maxResults "$TMP/good.json"
expect_rc by_nested 0
py "stats --by a JSON path --sum a number" "$TMP/by_nested.out" '
import json, sys
s = json.load(open(sys.argv[1]))
assert s["groups"] == [{"key": "alice", "count": 3, "sum": 300, "summed": 3}], s["groups"]'
python3 - "$TMP" <<'PYEOF'
import sys
rows = ["version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"]
for i, (src, b) in enumerate([("10.0.0.1", 100), ("10.0.0.2", 7), ("10.0.0.1", 50), ("10.0.0.3", "-")]):
    rows.append(f"2 111122223333 eni-0a1b2c3d {src} 10.0.1.9 4{i}000 443 6 3 {b} 1700000000 1700000060 ACCEPT OK")
open(sys.argv[1] + "/flows.log", "w").write("\n".join(rows) + "\n")
PYEOF
run by_flow stats --output json --type vpcflow --by srcaddr --sum bytes "$TMP/flows.log"
expect_rc by_flow 0
py "stats --by srcaddr --sum bytes: flows, sorted by sum, missing bytes not summed" "$TMP/by_flow.out" '
import json, sys
s = json.load(open(sys.argv[1]))
g = [(x["key"], x["count"], x["sum"], x["summed"]) for x in s["groups"]]
assert g == [("10.0.0.1", 2, 150, 2), ("10.0.0.2", 1, 7, 1), ("10.0.0.3", 1, 0, 0)], g'
run by_cap stats --output json --by eventID --max-groups 5 "$TMP/many"
py "stats --by --max-groups: bounded, the rest counted as overflow" "$TMP/by_cap.out" '
import json, sys
s = json.load(open(sys.argv[1]))
assert s["groups_total"] == 5 and s["overflow"]["count"] == s["events"] - sum(g["count"] for g in s["groups"]) > 0, s'
# IPv4 keys take the flow fast path (32-bit keys, prefetch pipeline); IPv6 and "-" do not. Two
# files over two threads, many groups, --max-groups: the same numbers as a plain Python count.
python3 - "$TMP" <<'PYEOF'
import json, sys
head = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
want = {}
for n in (1, 2):
    rows = [head]
    for i in range(6000):
        k = (i * 7919 + n * 13) % 2500
        src = f"10.{k % 3}.{k // 256 % 256}.{k % 256}" if k % 50 else f"2001:db8::{k:x}"
        if k % 97 == 0:
            src = "-"
        b = "-" if i % 11 == 0 else str(i % 1000)
        rows.append(f"2 111122223333 eni-0a1b2c3d {src} 10.0.1.9 40000 443 6 3 {b} 1700000000 1700000060 ACCEPT OK")
        g = want.setdefault("" if src == "-" else src, [0, 0, 0])
        g[0] += 1
        if b != "-":
            g[1] += int(b)
            g[2] += 1
    open(f"{sys.argv[1]}/flowsv4_{n}.log", "w").write("\n".join(rows) + "\n")
json.dump(want, open(sys.argv[1] + "/flowsv4_want.json", "w"))
PYEOF
run by_v4 stats --output json --threads 2 --type vpcflow --by srcaddr --sum bytes "$TMP/flowsv4_1.log" "$TMP/flowsv4_2.log"
expect_rc by_v4 0
py "stats --by srcaddr (IPv4 fast path, IPv6, missing) over 2 files x 2 threads: exact" "$TMP/by_v4.out" '
import json, sys
s = json.load(open(sys.argv[1]))
want = json.load(open(sys.argv[1].replace("by_v4.out", "flowsv4_want.json")))
got = {g["key"]: [g["count"], g["sum"], g["summed"]] for g in s["groups"]}
assert got == want, [(k, got.get(k), v) for k, v in want.items() if got.get(k) != v][:5]
assert s["events"] == 12000 and s["groups_total"] == len(want) and s["overflow"] is None, s["groups_total"]
sums = [g["sum"] for g in s["groups"]]
assert sums == sorted(sums, reverse=True)'
run by_v4_cap stats --output json --threads 1 --type vpcflow --by srcaddr --max-groups 100 "$TMP/flowsv4_1.log"
expect_rc by_v4_cap 0
expect_grep "stats --by --max-groups: the limit is reported on stderr" "$TMP/by_v4_cap.err" "group limit (--max-groups 100) was reached"
py "stats --by srcaddr --max-groups: kept groups exact, the rest in overflow" "$TMP/by_v4_cap.out" '
import json, sys
s = json.load(open(sys.argv[1]))
assert s["groups_total"] == 100 and s["max_groups"] == 100, s["groups_total"]
assert sum(g["count"] for g in s["groups"]) + s["overflow"]["count"] == s["events"] == 6000, s'
run by_text stats --by sourceIPAddress "$TMP/hostile.json"
expect_rc by_text 0
py "stats --by text: group keys escaped for the terminal" "$TMP/by_text.out" '
import sys
t = open(sys.argv[1], "rb").read()
assert b"\x1b" not in t and b"203.0.113.9\\x1b[0m" in t, t'
run by_bad_path stats --by "a..b" "$TMP/good.json"
expect_rc by_bad_path 2
run sum_without_by stats --sum bytes "$TMP/good.json"
expect_rc sum_without_by 2

# --- threads: identical output, input order kept --------------------------------------------
# parse, and filter (which prints a file's matches in 32 KB pieces once every earlier file is
# printed, while other threads' files wait their turn): byte-identical over 1, 2 and 4 threads.
for cmd in parse filter; do
  args=(parse)
  [ "$cmd" = filter ] && args=(filter '{ $.eventSource = "ec2.amazonaws.com" }')
  for t in 1 2 4; do
    run "${cmd}_t$t" "${args[@]}" --threads "$t" "$TMP/many"
    expect_rc "${cmd}_t$t" 0
  done
  if cmp -s "$TMP/${cmd}_t1.out" "$TMP/${cmd}_t2.out" && cmp -s "$TMP/${cmd}_t1.out" "$TMP/${cmd}_t4.out"
  then
    pass "$cmd threads 1/2/4: byte-identical output"
  else
    fail "$cmd threads: output differs between thread counts"
  fi
  py "$cmd threads: files in sorted path order, records in file order" "$TMP/${cmd}_t2.out" '
import json, sys
ls = [json.loads(l) for l in open(sys.argv[1])]
assert len(ls) == 3 * 400 + 5 * 15, len(ls)
def place(e):  # (file, record number or event id) of a parse event or a filter match
    if "logStreamName" in e:
        return e["logStreamName"], json.loads(e["message"])["eventID"]
    return e["source"]["path"], e["source"]["record"]
paths = []
for e in ls:
    if not paths or paths[-1] != place(e)[0]:
        paths.append(place(e)[0])
assert paths == sorted(paths) and len(paths) == 8, paths
for p in paths:
    recs = [place(e)[1] for e in ls if place(e)[0] == p]
    assert recs == (list(range(len(recs))) if isinstance(recs[0], int) else sorted(set(recs))), p'
done

# --- corpus conformance ---------------------------------------------------------------------
CORPUS_FILE="$REPO/../shared/corpus/opensearch-project__opensearch-catalog/integrations/observability/aws_cloudtrail/data/raw-large-samples.json"
if [ -f "$CORPUS_FILE" ]; then
  run corpus stats --output json "$CORPUS_FILE"
  expect_rc corpus 0
  py "corpus raw-large-samples.json: exactly 840 events" "$TMP/corpus.out" '
import json, sys
s = json.load(open(sys.argv[1]))
assert s["events"] == 840, s["events"]
assert s["events_by_log_type"]["cloudtrail"] == 840'
elif [ "${CI:-}" = "true" ]; then
  fail "corpus file missing under CI=true: $CORPUS_FILE"
else
  echo "skip - corpus file missing: $CORPUS_FILE"
fi

e2e_finish
