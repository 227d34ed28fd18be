"""A retried task re-attaches to the SAC run its earlier try started, never starts another.

Each test runs a DAG of tests/dags/sac_reattach.py with `airflow dags test` against an emulator
whose clock is manual (runs stay in flight until released). Every try before the re-attach ends
while the run is pinned; the test releases the clock when the log says a try re-attached, and
then checks that the emulator received exactly one start.
"""

import re
import subprocess
from pathlib import Path

from conftest import get, post

DAGS = Path(__file__).parent / "dags" / "sac_reattach.py"


def run_dag(dag_id, env, emulator):
    """`airflow dags test DAG_ID`; releases the emulator's clock once a try re-attached."""
    process = subprocess.Popen(
        ["airflow", "dags", "test", dag_id, "-f", str(DAGS)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    lines, released = [], False
    for line in process.stdout:
        lines.append(line)
        if not released and "re-attaching to" in line:
            post(emulator["SACCTL_TENANT_URL"] + "/emulator/clock/release")
            released = True
    process.wait()
    return "".join(lines)


def starts(emulator, method, path, query=""):
    requests = get(emulator["SACCTL_TENANT_URL"] + "/emulator/requests")["requests"]
    return [r for r in requests if r["method"] == method and r["path"] == path and query in r["query"]]


def dag_state(output):
    found = re.findall(r"DagRun Finished: .*?state=(\w+)", output)
    return found[-1] if found else None


def test_killed_try_is_retried_and_reattaches(emulator, airflow_env):
    output = run_dag("sac_reattach_killed", airflow_env, emulator)
    started = re.findall(r"started schedule run ([0-9A-F]{32})", output)
    assert len(started) == 1, output[-4000:]
    run = started[0]
    # The first try was killed by execution_timeout: on_kill left the run alone and said how to resume.
    assert re.search(r"task killed: .*resume with: sacctl schedule wait F58CA15F78AA9039E200586F05E2BB93 "
                     rf"--model t\.G:ZEPPART_001 --execution {run}", output), output[-4000:]
    assert f"re-attaching to schedule run {run}" in output, output[-4000:]
    assert dag_state(output) == "success", output[-4000:]
    triggers = starts(emulator, "POST", "/sap/fpa/services/rest/fpa/dataintegration", "action=runScheduledJob")
    assert len(triggers) == 1, triggers


def test_deferred_try_that_timed_out_reattaches(emulator, airflow_env):
    output = run_dag("sac_reattach_deferred", airflow_env, emulator)
    started = re.findall(r"started multiaction run ([0-9A-F]{32})", output)
    assert len(started) == 1, output[-4000:]
    assert "new_state=deferred" in output
    assert f"re-attaching to multiaction run {started[0]}" in output, output[-4000:]
    assert dag_state(output) == "success", output[-4000:]
    executions = starts(emulator, "POST", "/api/v1/multiActions/t.G:MA_LOAD_ZEPPART/executions")
    assert len(executions) == 1, executions


def test_retried_chain_resumes_and_runs_only_the_failed_step(emulator, airflow_env, tmp_path):
    post(emulator["SACCTL_TENANT_URL"] + "/emulator/clock", {"mode": "immediate"})
    post(emulator["SACCTL_TENANT_URL"] + "/emulator/faults", {"fail_data_actions": 1, "message": "version public.Plan is locked"})
    env = {**airflow_env, "SAC_CHAIN_STATE_DIR": str(tmp_path / "chains")}
    output = run_dag("sac_chain_resume", env, emulator)
    assert "resuming the chain from" in output, output[-4000:]
    assert dag_state(output) == "success", output[-4000:]
    triggers = starts(emulator, "POST", "/sap/fpa/services/rest/fpa/dataintegration", "action=runScheduledJob")
    assert len(triggers) == 1, triggers
    pushes = starts(emulator, "POST", "/api/v1/dataimport/models/SALES_PLAN/factData")
    assert len(pushes) == 1, pushes
    executions = starts(emulator, "POST", "/api/v1/multiActions/t.G:MA_LOAD_ZEPPART/executions")
    assert len(executions) == 2, executions


def test_deferred_calendar_process_with_client_credentials_reattaches_to_its_copy(emulator, airflow_env):
    output = run_dag("sac_calendar_deferred", airflow_env, emulator)
    started = re.findall(r"started calendar run ([0-9A-Fa-f-]+)", output)
    assert len(started) == 1, output[-4000:]
    copy = started[0]
    assert copy != "C4E7A1B2D3F44C5D8E9FA0B1C2D3E4F5", "a copy runs, not the template"
    assert "new_state=deferred" in output
    assert f"re-attaching to calendar run {copy}" in output, output[-4000:]
    assert dag_state(output) == "success", output[-4000:]
    copies = starts(emulator, "POST", "/api/v1/calendar/events")
    assert len(copies) == 1, "one copy, whatever the tries: %s" % copies
