"""Figures of schemathesis runs from their NDJSON event reports: requests sent, operations
reached, status codes, the slowest answer, failed checks. Usage: summary.py REPORT.ndjson..."""

import collections
import json
import re
import sys

# Scenarios of one operation are labelled "METHOD /path"; stateful ones chain several.
OPERATION = re.compile(r"^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|TRACE) /")


def main(paths):
    requests = 0
    statuses = collections.Counter()
    operations = set()
    slowest = (0.0, "")
    failures = collections.Counter()
    for path in paths:
        with open(path, encoding="utf-8") as events:
            for line in events:
                event = json.loads(line)
                finished = event.get("ScenarioFinished")
                if not finished:
                    continue
                recorder = finished["recorder"]
                for interaction in recorder.get("interactions", {}).values():
                    request, response = interaction["request"], interaction.get("response")
                    requests += 1
                    if OPERATION.match(recorder["label"]):
                        operations.add(recorder["label"])
                    if response is None:
                        statuses["no answer"] += 1
                        continue
                    statuses[str(response["status_code"])] += 1
                    if response["elapsed"] > slowest[0]:
                        slowest = (response["elapsed"], f'{request["method"]} {request["uri"]}')
                for checks in recorder.get("checks", {}).values():
                    for check in checks:
                        if check["status"] == "failure":
                            failures[f'{check["name"]}: {recorder["label"]}'] += 1
    print(f"requests: {requests}")
    print(f"operations reached (alone; stateful chains come on top): {len(operations)}")
    print("statuses: " + ", ".join(f"{s} x{n}" for s, n in sorted(statuses.items())))
    print(f"slowest answer: {slowest[0]:.3f} s ({slowest[1]})")
    print(f"failed checks: {sum(failures.values())}")
    for name, count in failures.most_common():
        print(f"  {name} x{count}")


if __name__ == "__main__":
    main(sys.argv[1:])
