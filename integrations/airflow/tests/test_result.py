"""Unit tests: reading sacctl's output defensively, exit codes to task states, connections to
the child's environment (secrets there, never on the command line)."""

import json
from types import SimpleNamespace

import pytest

from sacctl_airflow.hook import connection_environment, merged_environment
from sacctl_airflow.operators import (
    SacCalendarRunOperator,
    SacImportPushOperator,
    SacMultiActionRunOperator,
    SacScheduleRunOperator,
)
from sacctl_airflow.result import Action, SacctlResult, action_for, parse_document


def test_document_is_the_json_object_even_with_text_around_it():
    assert parse_document('{"a": 1}\n') == {"a": 1}
    assert parse_document('warning: x\n{\n  "exit_code": 5\n}\n') == {"exit_code": 5}
    assert parse_document("") is None
    assert parse_document("not json") is None
    assert parse_document("[1, 2]") == {"value": [1, 2]}


def test_run_id_and_resume_come_from_the_document_or_from_stderr():
    doc = {"execution_id": "ABC", "resume": "sacctl schedule wait S --execution ABC", "exit_code": 5}
    result = SacctlResult(5, doc)
    assert (result.run_id, result.resume, result.outcome, result.still_going) == (
        "ABC", "sacctl schedule wait S --execution ABC", "timed_out", True)
    old = SacctlResult(143, None, "started run X of data import S (resume: sacctl schedule wait S --execution X)")
    assert old.resume == "sacctl schedule wait S --execution X"
    assert old.still_going and old.outcome == "terminated"
    assert SacctlResult(4, {"job_id": "j"}).run_id == "j"
    assert SacctlResult(0, {"event_id": "E", "copy_of": "T"}).run_id == "E"
    assert not SacctlResult(1, None).still_going


def test_describe_names_the_exit_the_error_and_the_hints():
    result = SacctlResult(3, {"outcome": "auth_failed", "error": "login page", "hints": ["use a user"]})
    assert result.describe() == "sacctl exited 3 (auth_failed): login page; hint: use a user"
    assert "boom" in SacctlResult(8, None, "progress\nerror: boom").describe()


def test_events_round_trip_through_json():
    result = SacctlResult(6, {"rows": {"rejected": 2}}, "a\nb", ["import", "status", "j"])
    assert SacctlResult.from_event(json.loads(json.dumps(result.to_event()))) == result


@pytest.mark.parametrize(
    "code, warnings, running, want",
    [
        (0, "fail", "fail", "success"),
        (6, "fail", "fail", "fail"),
        (6, "skip", "fail", "skip"),
        (6, "success", "fail", "success"),
        (7, "fail", "skip", "skip"),
        (7, "fail", "success", "success"),
        (1, "success", "success", "fail"),
        (5, "success", "success", "fail"),
        (9, "success", "success", "fail"),
    ],
)
def test_exit_codes_map_to_task_states(code, warnings, running, want):
    assert action_for(code, Action(warnings), Action(running)).value == want


def test_bad_choices_are_refused_at_dag_parse_time():
    with pytest.raises(ValueError, match="on_warnings must be one of"):
        SacScheduleRunOperator(task_id="t", schedule_id="S", on_warnings="ignore")
    with pytest.raises(ValueError, match="if_running"):
        SacScheduleRunOperator(task_id="t", schedule_id="S", if_running="maybe")


def connection(**fields):
    base = dict(conn_id="c", host=None, port=None, login=None, password=None, extra_dejson={})
    return SimpleNamespace(**{**base, **fields})


def test_connection_settings_and_secrets_go_to_the_environment():
    env = connection_environment(connection(
        host="acme.eu10.hcs.cloud.sap", login="client", password="s3cret",
        extra_dejson={"token_url": "https://t/oauth/token", "grant": "password", "user": "JDOE",
                      "user_password": "pw"},
    ))
    assert env == {
        "SACCTL_TENANT_URL": "https://acme.eu10.hcs.cloud.sap", "SACCTL_TOKEN_URL": "https://t/oauth/token",
        "SACCTL_GRANT": "password", "SACCTL_USER": "JDOE", "SACCTL_PASSWORD": "pw",
        "SACCTL_CLIENT_ID": "client", "SACCTL_CLIENT_SECRET": "s3cret",
    }


def test_unknown_connection_extras_are_refused_with_the_known_ones():
    with pytest.raises(ValueError, match="unknown extra tenant_ulr; known: .*tenant_url"):
        connection_environment(connection(extra_dejson={"tenant_ulr": "x"}))


def test_command_lines_carry_no_secret_and_start_without_waiting():
    schedule = SacScheduleRunOperator(task_id="a", schedule_id="S", model="t.G:M")
    assert schedule.start_args() == ["schedule", "run", "S", "--model", "t.G:M", "--if-running", "fail"]
    assert schedule.wait_args("R") == ["schedule", "wait", "S", "--model", "t.G:M", "--execution", "R"]
    multi = SacMultiActionRunOperator(task_id="b", multiaction="t.G:MA", parameters={"V": ["a", "b"], "W": "c"})
    assert multi.start_args() == ["multiaction", "run", "t.G:MA", "--param", "V=a,b", "--param", "W=c"]
    push = SacImportPushOperator(task_id="c", model="M", file="f.csv", mapping={"A": "B"}, method="Append")
    assert push.start_args() == ["import", "push", "--model", "M", "--file", "f.csv", "--method", "Append",
                                 "--mapping", "A=B", "--timeout", "0s"]
    assert push.wait_args("j") == ["import", "status", "j"]
    calendar = SacCalendarRunOperator(task_id="d", event_id="E1")
    assert calendar.start_args() == ["calendar", "run", "E1", "--copy"]
    assert calendar.wait_args("C1") == ["calendar", "wait", "C1"]
    reopen = SacCalendarRunOperator(task_id="e", event_id="E1", copy=False, notify=True)
    assert reopen.start_args() == ["calendar", "run", "E1", "--notify"]


def test_an_import_push_is_waited_for_only_once_its_job_writes():
    push = SacImportPushOperator(task_id="c", model="M", file="f.csv")
    writing = SacctlResult(5, {"job_id": "j", "status": "PROCESSING", "resume": "sacctl import status j"})
    not_run = SacctlResult(5, {"job_id": "j", "status": None, "resume": "sacctl import delete j"})
    assert push.start_goes_on(writing)
    assert not push.start_goes_on(not_run)
    assert not push.start_goes_on(SacctlResult(0, {"job_id": "j", "status": "COMPLETED"}))


def test_a_connection_secret_replaces_the_workers_other_sources_of_it():
    worker = {"PATH": "/bin", "SACCTL_CLIENT_SECRET_FILE": "/etc/s", "SACCTL_PASSWORD_CMD": "pass x"}
    env = merged_environment(worker, {"SACCTL_CLIENT_SECRET": "s3cret"})
    assert env == {"PATH": "/bin", "SACCTL_CLIENT_SECRET": "s3cret", "SACCTL_PASSWORD_CMD": "pass x"}


def test_a_schedule_runs_one_try_at_a_time_across_dag_runs_unless_told_otherwise():
    schedule = SacScheduleRunOperator(task_id="a", schedule_id="S", model="t.G:M")
    assert schedule.max_active_tis_per_dag == 1
    pooled = SacScheduleRunOperator(task_id="b", schedule_id="S", pool="sac_schedule_S", max_active_tis_per_dag=2)
    assert (pooled.pool, pooled.max_active_tis_per_dag) == ("sac_schedule_S", 2)
    multi = SacMultiActionRunOperator(task_id="c", multiaction="t.G:MA")
    assert multi.max_active_tis_per_dag is None, "only data imports are stopped by a second run"
