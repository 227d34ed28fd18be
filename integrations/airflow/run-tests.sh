#!/usr/bin/env bash
# Tests the sacctl Airflow provider in a real Airflow, against a local SAC emulator:
#  1. a venv with the current apache-airflow from PyPI and this provider (nothing cached across runs);
#  2. the example DAG end to end with `airflow dags test` (data import -> Data Import push ->
#     multi action, two tasks deferred), checked in Airflow's database and in the emulator;
#  3. pytest: unit tests; both example DAGs load; the re-attach tests (a retried task waits for
#     the run its earlier try started, using the emulator's manual clock; a retried chain, run
#     from the example chain file, resumes and runs only its failed step).
# Needs python3 (3.10+), cargo, PyPI. No constraints file: Airflow publishes it outside PyPI.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=../../.ci/lib.sh
. "$here/../../.ci/lib.sh"
started=$(date +%s)
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

bin="$(sacctl_binary)"
export SACCTL_BIN="$bin" PATH="$(dirname "$bin"):$PATH"

echo "venv: apache-airflow (current) + sacctl-airflow..." >&2
# From a copy: building the package writes build/ and *.egg-info next to its sources.
cp -r "$here" "$work/provider"
rm -rf "$work/provider/build" "$work/provider"/*.egg-info
make_venv "$work/venv" apache-airflow "$work/provider[test]"
"$work/venv/bin/airflow" version >&2
export PATH="$work/venv/bin:$PATH"

export AIRFLOW_HOME="$work/airflow"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__CORE__DAGS_FOLDER="$here/example_dags"
airflow db migrate >"$work/migrate.log" 2>&1 || { cat "$work/migrate.log"; exit 1; }

start_emulator "$work/emulator" --job-duration 1s
trap 'kill "$EMULATOR_PID" 2>/dev/null || true; rm -rf "$work"' EXIT

# Two connections as a deployment would have them: a user (the demo tenant's JDOE with the
# password grant; a real tenant uses authorization_code or SAML bearer) and a technical client.
# The secrets are in the connections; the provider hands them to sacctl in its environment.
conn() {
    python - "$@" <<'EOF'
import json, os, sys
login, secret, grant, *user = sys.argv[1:]
extra = {"token_url": os.environ["SACCTL_TOKEN_URL"], "api_url": os.environ["SACCTL_API_URL"],
         "tenant_id": "G", "grant": grant, "cache_dir": os.environ["AIRFLOW_HOME"] + "/sacctl-cache"}
if user:
    extra.update(user=user[0], user_password=user[1])
print(json.dumps({"conn_type": "sacctl", "host": os.environ["SACCTL_TENANT_URL"], "login": login,
                  "password": secret, "extra": extra}))
EOF
}
AIRFLOW_CONN_SAC_USER="$(conn sacctl-user sacctl-user-secret password JDOE 'Welcome1!')"
AIRFLOW_CONN_SAC_IMPORT="$(conn sacctl-api sacctl-api-secret client_credentials)"
export AIRFLOW_CONN_SAC_USER AIRFLOW_CONN_SAC_IMPORT
export EMULATOR_URL="$SACCTL_TENANT_URL"
# The provider must not depend on the worker's own SACCTL_* settings: only the connections count.
unset SACCTL_TENANT_URL SACCTL_API_URL SACCTL_TOKEN_URL

echo "== airflow dags test sac_planning" >&2
dags_started=$(date +%s)
airflow dags test sac_planning 2026-11-27 >"$work/dags-test.log" 2>&1 || {
    tail -80 "$work/dags-test.log"
    echo "FAIL airflow dags test sac_planning exited non-zero"
    exit 1
}
echo "dags test took $(($(date +%s) - dags_started)) s" >&2
python "$here/tests/check_example_run.py" "$work/dags-test.log" || {
    tail -120 "$work/dags-test.log"
    exit 1
}

echo "== pytest" >&2
cd "$here"
python -m pytest -q -p no:cacheprovider tests
echo "run-tests.sh took $(($(date +%s) - started)) s" >&2
