"""The SAC run a task instance started and has not yet seen end, kept across tries.

Airflow clears a task's XComs when a new try starts (a retry, a clear), so the run id cannot live
there alone. It is kept in an Airflow Variable, in the metadata database that every worker of
every executor reaches (no shared disk needed): set once SAC names the run, removed once the task
saw the run's end. A try that finds one re-attaches to that run instead of starting another.
The value holds ids and the resume command, never a secret.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from airflow.sdk import Variable

PREFIX = "sacctl_inflight"


@dataclass(frozen=True)
class InFlight:
    kind: str
    run_id: str
    try_number: int
    started_at: str
    resume: str | None = None


def key_for(ti: Any) -> str:
    map_index = getattr(ti, "map_index", -1)
    suffix = f":{map_index}" if map_index is not None and map_index >= 0 else ""
    return f"{PREFIX}:{ti.dag_id}:{ti.task_id}:{ti.run_id}{suffix}"


def load(ti: Any) -> InFlight | None:
    raw = Variable.get(key_for(ti), default=None)
    if not raw:
        return None
    try:
        return InFlight(**json.loads(raw))
    except (TypeError, ValueError):
        return None


def save(ti: Any, record: InFlight) -> None:
    Variable.set(key_for(ti), json.dumps(asdict(record)), description="run of a sacctl task in flight")


def forget(ti: Any) -> None:
    try:
        Variable.delete(key_for(ti))
    except Exception:  # noqa: BLE001 - already gone is fine; a failure here must not fail the task
        pass
