"""Writes the 200-rule set the detection benchmark loads: a mix like a real deployment's.

- 150 stateless CloudTrail rules indexed by eventName (each also tests the caller and a CIDR);
- 30 CloudTrail rules no index can place (a user-agent substring), which share one prefilter;
- 10 VPC flow rules (a port and an action);
- 10 stateful CloudTrail rules (threshold windows that stay open: state, never a finding).

Usage: python3 bench/rules200.py OUT_DIR
"""
import os
import sys

APIS = ["DescribeInstances", "GetObject", "PutObject", "AssumeRole", "Decrypt", "Encrypt",
        "GetParameter", "ListBuckets", "CreateLogStream", "PutLogEvents", "GetSecretValue",
        "DescribeVolumes", "RunInstances", "TerminateInstances", "CreateUser", "DeleteUser",
        "AttachRolePolicy", "PutBucketPolicy", "DeleteBucket", "CreateFunction20150331",
        "UpdateFunctionCode20150331v2", "ConsoleLogin", "StopLogging", "DeleteTrail",
        "CreateAccessKey", "GetCallerIdentity", "ListRoles", "DescribeSecurityGroups",
        "AuthorizeSecurityGroupIngress", "CreateSnapshot"]


def main() -> int:
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    docs = []
    for i in range(150):
        docs.append(f"""id: bench.stateless.{i}
type: Bench:IAMUser/Stateless{i}
severity: 2
match:
  eventName: {APIS[i % len(APIS)]}
  userIdentity.type: {{neq: Bench{i}}}
  sourceIPAddress: {{cidr: 203.0.{i % 256}.0/24}}
""")
    for i in range(30):
        docs.append(f"""id: bench.unindexed.{i}
type: Bench:IAMUser/Unindexed{i}
severity: 2
match:
  userAgent: {{icontains: scanner-{i}}}
""")
    for i in range(10):
        docs.append(f"""id: bench.flow.{i}
type: Bench:EC2/Flow{i}
severity: 2
log_types: [vpcflow]
match:
  dstport: {1000 + i}
  action: REJECT
""")
    for i in range(10):
        docs.append(f"""id: bench.stateful.{i}
type: Bench:IAMUser/Threshold{i}
severity: 2
match:
  eventName: {APIS[i]}
stateful:
  threshold: {{count: 1000000, window: 10m, group_by: [sourceIPAddress]}}
""")
    with open(os.path.join(out, "bench.yaml"), "w") as f:
        f.write("\n---\n".join(docs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
