"""Checks what `airflow dags test` of an example DAG did, in Airflow's database and in the emulator.

Usage: check_example_run.py DAGS_TEST_LOG   (AIRFLOW_HOME and EMULATOR_URL set)
"""

import json
import os
import sys
import urllib.request

from airflow.models import DagRun, TaskInstance, Variable
from airflow.models.xcom import XComModel
from airflow.utils.session import create_session

TASKS = {"sac_planning": ["master_data", "plan_facts", "copy_to_plan"]}
dag_id, log_file = "sac_planning", sys.argv[1]
problems = []


def emulator(path):
    with urllib.request.urlopen(os.environ["EMULATOR_URL"] + path) as answer:
        return json.load(answer)


def xcom(session, run, task_id, key):
    row = session.query(XComModel).filter_by(dag_id=dag_id, run_id=run.run_id, task_id=task_id, key=key).one_or_none()
    return None if row is None else row.value


with create_session() as session:
    runs = session.query(DagRun).filter_by(dag_id=dag_id).all()
    if len(runs) != 1:
        sys.exit(f"FAIL want one run of {dag_id}, found {len(runs)}")
    run = runs[0]
    if run.state != "success":
        problems.append(f"the DAG run ended {run.state}")
    states = {ti.task_id: ti.state for ti in session.query(TaskInstance).filter_by(dag_id=dag_id, run_id=run.run_id)}
    for task in TASKS[dag_id]:
        if states.get(task) != "success":
            problems.append(f"task {task} ended {states.get(task)}")
    results = {task: xcom(session, run, task, "return_value") or {} for task in TASKS[dag_id]}
    ids = {task: xcom(session, run, task, "sac_run_id") for task in TASKS[dag_id]}
    left = [v.key for v in session.query(Variable).all() if v.key.startswith("sacctl_inflight")]
    if left:
        problems.append(f"in-flight records left behind: {left}")

log = open(log_file).read()
for secret in ("sacctl-user-secret", "sacctl-api-secret", "Welcome1!"):
    if secret in log:
        problems.append(f"a secret ({secret[:4]}...) appears in the task logs")

for task, value in ids.items():
    if not value:
        problems.append(f"task {task} pushed no sac_run_id")
master = results["master_data"]
if master.get("state") != "succeeded" or master.get("execution_id") != ids["master_data"]:
    problems.append(f"master_data returned {master}, want the succeeded run {ids['master_data']}")
if log.count("new_state=deferred") != 2:
    problems.append("want master_data and copy_to_plan deferred once each")
# plan_facts wrote its three public.Plan rows of 202607; copy_to_plan then copies public.Actual over
# public.Plan (the data action replaces the target version), so what stays is the copy's 60 rows.
# The push operator returns the job's final status as SAC answers it (counts as numbers or strings).
facts = results["plan_facts"]
counts = facts.get("additionalInformation") or {}
if facts.get("jobStatus") != "COMPLETED" or str(counts.get("totalNumberRowsInJob")) != "3":
    problems.append(f"plan_facts returned {facts}, want a COMPLETED job of 3 rows")
rows = emulator("/emulator/models/t.G:SALES_PLAN/rows?Version=public.Plan&Date=202601&Part=P0005")
if rows.get("total", 0) < 1:
    problems.append(f"copy_to_plan's rows are not in public.Plan of SALES_PLAN: {rows}")

for problem in problems:
    print(f"FAIL {problem}")
if problems:
    sys.exit(1)
print(f"ok   {dag_id}: {len(TASKS[dag_id])} task(s) succeeded, SAC runs {ids}")
