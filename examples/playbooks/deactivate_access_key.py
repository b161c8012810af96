#!/usr/bin/env python3
"""Sentinel response hook: deactivate the access key a finding names.

Reads one finding (GuardDuty JSON) on stdin; prints `aws iam update-access-key ... --status
Inactive` for resource.accessKeyDetails, or runs it with --run (argv, never a shell). The key id
and user name are checked against IAM's formats first.

Config (sentinel.yaml):
  respond:
    actions:
      - name: deactivate-key
        when: {type: ["UnauthorizedAccess:IAMUser/*", "CredentialAccess:IAMUser/*"],
               min_severity: 7}
        command: {argv: [examples/playbooks/deactivate_access_key.py], env: [PATH, AWS_PROFILE]}
"""
import json
import re
import shlex
import subprocess
import sys

KEY = re.compile(r"^(AKIA|ASIA)[A-Z0-9]{12,124}$")
USER = re.compile(r"^[\w+=,.@-]{1,64}$")


def main():
    run = "--run" in sys.argv[1:]
    try:
        f = json.load(sys.stdin)
    except ValueError as e:
        print("deactivate_access_key: stdin is not a finding: %s" % e, file=sys.stderr)
        sys.exit(2)
    d = (f.get("resource") or {}).get("accessKeyDetails") or {}
    key, user = d.get("accessKeyId", ""), d.get("userName", "")
    if not KEY.match(key) or not USER.match(user):
        print("deactivate_access_key: no valid accessKeyId/userName in the finding",
              file=sys.stderr)
        sys.exit(2)
    if key.startswith("ASIA"):
        # Temporary credentials cannot be deactivated; revoke the role's sessions instead.
        print("# %s is a temporary (STS) key: revoke the role's active sessions "
              "(IAM console: Revoke active sessions) instead" % key)
        return
    cmd = ["aws", "iam", "update-access-key", "--user-name", user, "--access-key-id", key,
           "--status", "Inactive"]
    print(" ".join(shlex.quote(a) for a in cmd))
    if run:
        subprocess.run(cmd, check=True)


if __name__ == "__main__":
    main()
