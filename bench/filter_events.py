#!/usr/bin/env python3
"""The Python baseline: load a CloudTrail {"Records":[...]} file with the standard json
module and print, as compact JSON lines, the records whose eventName matches (what
`jq -c '.Records[] | select(.eventName=="X")'` does)."""
import json
import sys


def main() -> int:
    if len(sys.argv) != 3:
        print("usage: filter_events.py FILE EVENT_NAME", file=sys.stderr)
        return 2
    path, name = sys.argv[1], sys.argv[2]
    with open(path, "rb") as f:
        doc = json.load(f)
    write = sys.stdout.write
    for record in doc["Records"]:
        if record.get("eventName") == name:
            write(json.dumps(record, separators=(",", ":"), ensure_ascii=False))
            write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
