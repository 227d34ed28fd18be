"""Operators that run SAC loads through sacctl: a data import (schedule), a multi action, a Data
Import API push, a calendar process (Calendar API), a chain of them.

Each run operator starts the SAC run without waiting, records its id (XCom `sac_run_id`, and an
Airflow Variable that outlives the try, see inflight.py), then waits for it with sacctl's own wait
command: in the task (default) or, with `deferrable=True`, in the triggerer, freeing the worker.
A later try of the same task instance (a retry, a clear) that finds the record re-attaches to
that run instead of starting another. Killing the task stops only the waiting: the log shows the
command that resumes it, and the SAC run goes on.

Exit codes become task states: 0 success; 6 (rows rejected, multi action with warning) and 7
(another run in flight, nothing started) as `on_warnings` / `on_already_running` say (fail, skip
or success); 2, 3, 4 fail without retry (a retry cannot cure them); anything else fails (retried
if the task has retries).
"""

from __future__ import annotations

import asyncio
import re
import shlex
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowException, AirflowFailException, AirflowSkipException

from sacctl_airflow import inflight
from sacctl_airflow.hook import SacctlHook
from sacctl_airflow.result import HOPELESS, TIMED_OUT, Action, SacctlResult, action_for, parse_document
from sacctl_airflow.triggers import SacctlWaitTrigger


class SacctlOperator(BaseOperator):
    """What every sacctl operator shares: the hook, the exit-code mapping, XCom, on_kill."""

    ui_color = "#d1e8ff"

    def __init__(
        self,
        *,
        sacctl_conn_id: str | None = None,
        sacctl_bin: str = "sacctl",
        on_warnings: str = "fail",
        on_already_running: str = "fail",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.sacctl_conn_id = sacctl_conn_id
        self.sacctl_bin = sacctl_bin
        self.on_warnings = Action.parse(on_warnings, "on_warnings")
        self.on_already_running = Action.parse(on_already_running, "on_already_running")
        self._hook: SacctlHook | None = None
        self._resume: str | None = None

    @property
    def hook(self) -> SacctlHook:
        if self._hook is None:
            self._hook = SacctlHook(self.sacctl_conn_id, self.sacctl_bin)
        return self._hook

    def settle(self, context: Any, result: SacctlResult, going: bool = False) -> Any:
        """The task's end for a final RESULT: its document as the return value (XCom), or an
        exception that fails or skips the task. GOING: the SAC run may go on without the task."""
        self.log.info("%s", result.describe())
        if going:
            self.log.warning(
                "the SAC run goes on without this task; a retry or a clear of this task re-attaches to it; "
                "by hand: %s",
                result.resume or self._resume,
            )
        action = action_for(result.exit_code, self.on_warnings, self.on_already_running)
        if action is Action.SUCCESS:
            return result.document
        if action is Action.SKIP:
            raise AirflowSkipException(result.describe())
        if result.exit_code in HOPELESS:
            raise AirflowFailException(result.describe())
        raise AirflowException(result.describe())

    def on_kill(self) -> None:
        self.hook.terminate()
        self.log.warning(
            "task killed: sacctl stopped waiting, the SAC run is left alone and goes on; resume with: %s "
            "(or clear this task: it re-attaches)",
            self._resume or "(no run was started yet)",
        )


class SacctlRunOperator(SacctlOperator):
    """Start a SAC run, record it, wait for it (in the task or deferred), re-attach on a new try.

    Subclasses say how to start (`start_args`), how a start that goes on looks
    (`start_goes_on`), and how to wait (`wait_args`, `blocking_wait`).
    """

    kind = ""
    blocking_wait = True

    def __init__(
        self,
        *,
        deferrable: bool = False,
        wait_timeout: timedelta | None = timedelta(hours=2),
        poll_interval: float = 15.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.deferrable = deferrable
        self.wait_timeout = wait_timeout
        self.poll_interval = poll_interval
        self._trigger: SacctlWaitTrigger | None = None

    def start_args(self) -> list[str]:
        raise NotImplementedError

    def wait_args(self, run_id: str) -> list[str]:
        raise NotImplementedError

    def start_goes_on(self, result: SacctlResult) -> bool:
        """Whether the start left a run going that must be waited for (else it is final)."""
        return result.exit_code == 0

    def resume_command(self, run_id: str) -> str:
        return shlex.join([self.sacctl_bin if "/" not in self.sacctl_bin else "sacctl", *self.wait_args(run_id)])

    def execute(self, context: Any) -> Any:
        ti = context["ti"]
        record = inflight.load(ti)
        if record is not None and record.kind == self.kind:
            self.log.info(
                "re-attaching to %s run %s, started by try %s at %s; not starting another",
                self.kind,
                record.run_id,
                record.try_number,
                record.started_at,
            )
        else:
            result = self.hook.run(self.start_args())
            if result.run_id is None or not self.start_goes_on(result):
                if result.run_id:
                    ti.xcom_push(key="sac_run_id", value=result.run_id)
                return self.settle(context, result)
            record = inflight.InFlight(
                kind=self.kind,
                run_id=result.run_id,
                try_number=int(getattr(ti, "try_number", 0) or 0),
                started_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                resume=self.resume_command(result.run_id),
            )
            inflight.save(ti, record)
            self.log.info("started %s run %s", self.kind, record.run_id)
        self._resume = record.resume
        ti.xcom_push(key="sac_run_id", value=record.run_id)
        ti.xcom_push(key="sac_resume", value=record.resume)
        deadline = None
        if self.wait_timeout is not None:
            deadline = datetime.now(timezone.utc).timestamp() + self.wait_timeout.total_seconds()
        trigger = SacctlWaitTrigger(
            self.wait_args(record.run_id),
            self.sacctl_conn_id,
            self.sacctl_bin,
            self.poll_interval,
            deadline,
            self.blocking_wait,
        )
        if self.deferrable:
            self.defer(trigger=trigger, method_name="execute_complete")
        self._trigger = trigger
        return self.finish(context, asyncio.run(trigger.wait(self.log.info)))

    def execute_complete(self, context: Any, event: dict[str, Any]) -> Any:
        self._resume = context["ti"].xcom_pull(task_ids=self.task_id, key="sac_resume")
        return self.finish(context, SacctlResult.from_event(event))

    def finish(self, context: Any, result: SacctlResult) -> Any:
        if not result.still_going:
            inflight.forget(context["ti"])
        return self.settle(context, result, result.still_going)

    def on_kill(self) -> None:
        if self._trigger is not None:
            self._trigger.hook.terminate()
        super().on_kill()


def _opt(flag: str, value: Any) -> list[str]:
    return [] if value in (None, "") else [flag, str(value)]


class SacScheduleRunOperator(SacctlRunOperator):
    """Run a Data Management schedule (data import) and wait for its outcome.

    `if_running`: what sacctl does when a run of this data import is already in flight: `fail`
    (exit 7, then `on_already_running`), `wait` (for it, then start), `start` (SAC stops both).

    One try of this task at a time across all runs of the DAG (`max_active_tis_per_dag=1` unless
    given): Airflow's scheduler, not a lock on one worker, keeps two workers (on any hosts) from
    triggering the data import at once, so SAC never stops both runs. Tasks of several DAGs that
    run the same data import share one `pool` of one slot for the same reason.
    """

    kind = "schedule"
    template_fields: Sequence[str] = ("schedule_id", "model", "mapping")

    def __init__(
        self,
        *,
        schedule_id: str,
        model: str | None = None,
        mapping: str | None = None,
        if_running: str = "fail",
        **kwargs: Any,
    ) -> None:
        # Airflow's own concurrency control: never two tries of this trigger at once, on any worker.
        kwargs.setdefault("max_active_tis_per_dag", 1)
        super().__init__(**kwargs)
        if if_running not in ("fail", "wait", "start"):
            raise ValueError(f"if_running must be fail, wait or start; got {if_running!r}")
        self.schedule_id = schedule_id
        self.model = model
        self.mapping = mapping
        self.if_running = if_running

    def start_args(self) -> list[str]:
        return [
            "schedule",
            "run",
            self.schedule_id,
            *_opt("--model", self.model),
            *_opt("--mapping", self.mapping),
            "--if-running",
            self.if_running,
        ]

    def wait_args(self, run_id: str) -> list[str]:
        return ["schedule", "wait", self.schedule_id, *_opt("--model", self.model), "--execution", run_id]


class SacMultiActionRunOperator(SacctlRunOperator):
    """Run a multi action (needs a user identity) and wait for its outcome. `parameters`:
    parameter name to a member id or a list of them (`params` is Airflow's own)."""

    kind = "multiaction"
    template_fields: Sequence[str] = ("multiaction", "parameters")

    def __init__(self, *, multiaction: str, parameters: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.multiaction = multiaction
        self.parameters = parameters or {}

    def start_args(self) -> list[str]:
        args = ["multiaction", "run", self.multiaction]
        for name, value in self.parameters.items():
            members = value if isinstance(value, (list, tuple)) else [value]
            args += ["--param", f"{name}={','.join(map(str, members))}"]
        return args

    def wait_args(self, run_id: str) -> list[str]:
        return ["multiaction", "wait", self.multiaction, run_id]


class SacCalendarRunOperator(SacctlRunOperator):
    """Run a calendar process (or task) through the Calendar API and wait for it and every child
    event: SAP's documented machine-to-machine way to run a multi action, with a client-credentials
    connection (the OAuth client needs "Calendar Events" under Access; see docs/paths.md).

    `copy=True` (default) runs a fresh copy of the event with its whole hierarchy, so each DAG run
    has its own event and the template stays as it is; `copy=False` opens the event itself again
    (refused with exit 7, `on_already_running`, while it is open or running). The run id (XCom
    `sac_run_id`) is the event that runs: the copy's id. Exit 6 (partially successful) follows
    `on_warnings`; failed and canceled processes fail the task.
    """

    kind = "calendar"
    template_fields: Sequence[str] = ("event_id",)

    def __init__(self, *, event_id: str, copy: bool = True, notify: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.event_id = event_id
        self.copy = copy
        self.notify = notify

    def start_args(self) -> list[str]:
        args = ["calendar", "run", self.event_id]
        if self.copy:
            args.append("--copy")
        if self.notify:
            args.append("--notify")
        return args

    def wait_args(self, run_id: str) -> list[str]:
        return ["calendar", "wait", run_id]


class SacImportPushOperator(SacctlRunOperator):
    """Push a CSV (or JSON) file into a model through the Data Import API.

    The upload happens in the task (the rows travel from the worker); once SAC writes, the task
    waits for the job like the other operators (`import status`, deferrable). A try killed during
    the upload (SIGTERM) deletes its job, which never ran and wrote nothing, before sacctl exits,
    so killed tries do not pile up open jobs against SAC's limits per user and model.
    """

    kind = "import"
    blocking_wait = False
    template_fields: Sequence[str] = ("model", "file", "mapping", "defaults", "rejects_out")

    def __init__(
        self,
        *,
        model: str,
        file: str,
        import_type: str | None = None,
        method: str | None = None,
        scope: Sequence[str] | None = None,
        mapping: dict[str, str] | None = None,
        defaults: dict[str, str] | None = None,
        max_failed_rows: int | None = None,
        rejects_out: str | None = None,
        ignore_additional_columns: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.model = model
        self.file = file
        self.import_type = import_type
        self.method = method
        self.scope = scope
        self.mapping = mapping or {}
        self.defaults = defaults or {}
        self.max_failed_rows = max_failed_rows
        self.rejects_out = rejects_out
        self.ignore_additional_columns = ignore_additional_columns

    def start_args(self) -> list[str]:
        args = ["import", "push", "--model", self.model, "--file", self.file]
        args += _opt("--type", self.import_type) + _opt("--method", self.method)
        args += _opt("--scope", ",".join(self.scope) if self.scope else None)
        for source, target in self.mapping.items():
            args += ["--mapping", f"{source}={target}"]
        for column, value in self.defaults.items():
            args += ["--default", f"{column}={value}"]
        args += _opt("--max-failed-rows", self.max_failed_rows) + _opt("--rejects-out", self.rejects_out)
        if self.ignore_additional_columns:
            args.append("--ignore-additional-columns")
        # Upload and start the write, then hand the waiting to the trigger.
        return [*args, "--timeout", "0s"]

    def start_goes_on(self, result: SacctlResult) -> bool:
        # Exit 5 with the job writing; a job stopped before its run (resume: `import delete`)
        # wrote nothing and is not waited for.
        doc = result.document or {}
        not_run = "import delete" in (result.resume or "") or doc.get("status") in ("READY_FOR_DATA", "READY_FOR_WRITE")
        return result.exit_code == TIMED_OUT and not not_run

    def wait_args(self, run_id: str) -> list[str]:
        return ["import", "status", run_id]


class SacChainRunOperator(SacctlOperator):
    """Run a chain file (`sacctl chain run`) and end with the chain's exit code.

    The chain's state file is kept per task instance in `state_dir`: a retry or a clear of a chain
    that did not succeed resumes it (`--resume`): steps that succeeded are not run again, steps
    whose SAC run is still going are waited for again, the rest run. A chain that succeeded runs
    anew. With Celery or Kubernetes executors, `state_dir` must be storage every worker sees.
    Not deferrable: the chain itself schedules its steps, in this task.
    """

    template_fields: Sequence[str] = ("chain_file", "chain_vars", "state_dir")

    def __init__(
        self,
        *,
        chain_file: str,
        state_dir: str,
        chain_vars: dict[str, Any] | None = None,
        parallel: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.chain_file = chain_file
        self.state_dir = state_dir
        self.chain_vars = chain_vars or {}
        self.parallel = parallel

    def state_path(self, ti: Any) -> Path:
        name = f"{ti.task_id}" + (f".{ti.map_index}" if getattr(ti, "map_index", -1) >= 0 else "")
        run = re.sub(r"[^A-Za-z0-9_.-]", "_", ti.run_id)
        return Path(self.state_dir) / ti.dag_id / run / f"{name}.state.json"

    def execute(self, context: Any) -> Any:
        ti = context["ti"]
        state = self.state_path(ti)
        state.parent.mkdir(parents=True, exist_ok=True)
        args = ["chain", "run", self.chain_file, "--state", str(state)]
        previous = parse_document(state.read_text()) if state.exists() else None
        if previous is not None and previous.get("outcome") != "success":
            self.log.info(
                "resuming the chain from %s (it ended %s): succeeded steps are skipped, runs still going "
                "re-attached, the rest run",
                state,
                previous.get("outcome"),
            )
            args += ["--resume", str(state)]
        elif state.exists():
            state.replace(state.with_suffix(".previous.json"))
        for name, value in self.chain_vars.items():
            args += ["--var", f"{name}={value}"]
        args += _opt("--parallel", self.parallel)
        self._resume = shlex.join(["sacctl", "chain", "run", self.chain_file, "--resume", str(state)])
        ti.xcom_push(key="sac_state_file", value=str(state))
        ti.xcom_push(key="sac_resume", value=self._resume)
        result = self.hook.run(args)
        return self.settle(context, result, result.still_going)
