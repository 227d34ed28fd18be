#!/usr/bin/env bash
# `sacctl mcp` driven by the official MCP Python SDK (`mcp` from PyPI) in a throwaway venv, against
# an emulator on free loopback ports with the demo tenant: the tools with their annotations, the
# seed's schedule run and waited for (89 rows read, 1 rejected, progress notifications), its rejected
# rows, a small file pushed into SALES_PLAN and exported back, an error with the CLI's hint, and the
# refusals of --read-only and of a model outside --allow (docs/mcp.md).
# Needs python3 (3.10+), cargo, PyPI. Takes well under a minute once sacctl is built.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=../../.ci/lib.sh
. "$here/../../.ci/lib.sh"
started=$(date +%s)
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "venv: mcp==2.3.0..." >&2
make_venv "$work/venv" "mcp==2.3.0"

# Runs end after a second, so the wait reports progress before the outcome.
start_emulator "$work/emulator" --job-duration 1s
trap 'kill "$EMULATOR_PID" 2>/dev/null || true; rm -rf "$work"' EXIT

status=0
SACCTL_BIN="$(sacctl_binary)" "$work/venv/bin/python" "$here/test_mcp.py" || status=$?
if [[ $status -ne 0 ]]; then
    echo "== emulator log (last 40 lines)" >&2
    tail -40 "$work/emulator/emulator.log" >&2
fi
echo "run-tests.sh took $(($(date +%s) - started)) s" >&2
exit "$status"
