#!/usr/bin/env bash
# SAP's own Python sample client, sacapi 1.0.1 from PyPI, run unchanged against a local SAC
# emulator: a throwaway venv with sacapi==1.0.1 (nothing cached across runs), an emulator on free
# loopback ports with the demo tenant, then test_sacapi.py, which points sacapi's URL attributes at
# the emulator and checks getProviders, searchProviders, getModelMetadata, getFactData (whole, with
# pagesize, with its filters and setFilterOrderBy), upload (valid rows read back; invalid rows give
# InvalidRowsError) and getAuditData against the emulator's store.
# Needs python3 (3.10+), cargo, PyPI. Takes well under a minute once sacctl is built.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=../../.ci/lib.sh
. "$here/../../.ci/lib.sh"
started=$(date +%s)
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "venv: sacapi==1.0.1..." >&2
make_venv "$work/venv" "sacapi==1.0.1"

# Import jobs end at once, so the rows an upload writes can be read back without waiting.
start_emulator "$work/emulator" --job-duration 0s
trap 'kill "$EMULATOR_PID" 2>/dev/null || true; rm -rf "$work"' EXIT

status=0
"$work/venv/bin/python" "$here/test_sacapi.py" || status=$?
if [[ $status -ne 0 ]]; then
    echo "== emulator log (last 40 lines)" >&2
    tail -40 "$work/emulator/emulator.log" >&2
fi
echo "run-tests.sh took $(($(date +%s) - started)) s" >&2
exit "$status"
