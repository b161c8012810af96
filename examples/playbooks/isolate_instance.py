#!/usr/bin/env python3
"""Sentinel response hook: lock down the EC2 instance a finding names.

Reads one finding (GuardDuty JSON) on stdin. Prints the exact aws CLI commands that move the
instance into an isolation security group (no inbound rules, egress revoked) and tag it; with
--run it runs them (argv lists, never a shell). Values are checked against AWS's id formats
first, so nothing from the finding can become an option or a shell word.

Config (sentinel.yaml):
  respond:
    actions:
      - name: isolate-instance
        when: {type: ["Backdoor:EC2/*", "CryptoCurrency:EC2/*", "UnauthorizedAccess:EC2/*"],
               min_severity: 7, resource_tag: {Environment: prod}}
        command: {argv: [examples/playbooks/isolate_instance.py], env: [PATH, AWS_PROFILE],
                  timeout_ms: 60000}
"""
import json
import re
import shlex
import subprocess
import sys

INSTANCE = re.compile(r"^i-[0-9a-f]{8,17}$")
VPC = re.compile(r"^vpc-[0-9a-f]{8,17}$")
REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
FINDING_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def fail(msg):
    print("isolate_instance: " + msg, file=sys.stderr)
    sys.exit(2)


def main():
    run = "--run" in sys.argv[1:]
    try:
        f = json.load(sys.stdin)
    except ValueError as e:
        fail("stdin is not a finding: %s" % e)
    res = f.get("resource") or {}
    inst = res.get("instanceDetails") or {}
    iid = inst.get("instanceId", "")
    region = f.get("region", "")
    fid = f.get("id", "")
    if not INSTANCE.match(iid):
        fail("no valid instanceId in the finding (%r)" % iid[:40])
    if not REGION.match(region):
        fail("no valid region in the finding")
    if not FINDING_ID.match(fid):
        fail("finding id is not a plain id")
    vpc = ""
    for ni in inst.get("networkInterfaces") or []:
        if VPC.match(ni.get("vpcId", "")):
            vpc = ni["vpcId"]
            break
    base = ["aws", "--region", region, "ec2"]
    cmds = []
    if not vpc:
        cmds.append(base + ["describe-instances", "--instance-ids", iid, "--query",
                            "Reservations[0].Instances[0].VpcId", "--output", "text"])
    name = "sentinel-isolation-" + iid
    cmds.append(base + ["create-security-group", "--group-name", name, "--description",
                        "Sentinel isolation for " + iid, "--vpc-id", vpc or "VPC_ID",
                        "--query", "GroupId", "--output", "text"])
    cmds.append(base + ["revoke-security-group-egress", "--group-id", "SG_ID",
                        "--ip-permissions",
                        '[{"IpProtocol":"-1","IpRanges":[{"CidrIp":"0.0.0.0/0"}]}]'])
    cmds.append(base + ["modify-instance-attribute", "--instance-id", iid, "--groups", "SG_ID"])
    cmds.append(base + ["create-tags", "--resources", iid, "--tags",
                        "Key=sentinel:isolated,Value=" + fid])
    if not run:
        for c in cmds:
            print(" ".join(shlex.quote(a) for a in c))
        return
    sg = ""
    for c in cmds:
        c = [vpc if a == "VPC_ID" else sg if a == "SG_ID" else a for a in c]
        out = subprocess.run(c, check=True, capture_output=True, text=True).stdout.strip()
        if c[4] == "describe-instances":
            vpc = out
            if not VPC.match(vpc):
                fail("describe-instances returned no VPC")
        elif c[4] == "create-security-group":
            sg = out
        print(" ".join(shlex.quote(a) for a in c))


if __name__ == "__main__":
    main()
