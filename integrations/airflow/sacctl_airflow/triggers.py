"""Waits for a SAC run without holding a worker: the trigger runs sacctl's own wait (or status)
command asynchronously until the run ends, and hands back the final result.

The same trigger does the waiting of non-deferrable operators too (run in the task's process), so
both modes share one loop. It is safe to run again from its serialised form (a restarted
triggerer): waiting for a run is idempotent, it never starts one.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from sacctl_airflow.hook import SacctlHook
from sacctl_airflow.result import TIMED_OUT, SacctlResult

# Longest single `wait --timeout` (a blocking wait is re-issued after it, so a triggerer that
# restarts loses at most this much of its sleep, never the run).
MAX_WAIT_CHUNK_SECS = 600


class SacctlWaitTrigger(BaseTrigger):
    """Repeats ARGV until its exit is not 5 (still running) or DEADLINE (epoch seconds) passes.

    `blocking=True`: ARGV is a wait command (`schedule wait`, `multiaction wait`) that takes
    `--timeout` and `--poll-interval`; it is given the time left (at most 10 minutes a call).
    `blocking=False`: ARGV is a status read (`import status`); it is repeated every
    `poll_interval` seconds.
    """

    def __init__(
        self,
        argv: list[str],
        sacctl_conn_id: str | None,
        sacctl_bin: str = "sacctl",
        poll_interval: float = 30.0,
        deadline: float | None = None,
        blocking: bool = True,
    ) -> None:
        super().__init__()
        self.argv = list(argv)
        self.sacctl_conn_id = sacctl_conn_id
        self.sacctl_bin = sacctl_bin
        self.poll_interval = float(poll_interval)
        self.deadline = deadline
        self.blocking = blocking
        self.hook = SacctlHook(sacctl_conn_id, sacctl_bin)

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            "sacctl_airflow.triggers.SacctlWaitTrigger",
            {
                "argv": self.argv,
                "sacctl_conn_id": self.sacctl_conn_id,
                "sacctl_bin": self.sacctl_bin,
                "poll_interval": self.poll_interval,
                "deadline": self.deadline,
                "blocking": self.blocking,
            },
        )

    def _left(self) -> float | None:
        return None if self.deadline is None else self.deadline - time.time()

    async def wait(self, on_stderr: Callable[[str], None] | None = None) -> SacctlResult:
        """Wait for the run's end (or the deadline); the last result."""
        env = await self.hook.aenvironment()
        while True:
            args = list(self.argv)
            left = self._left()
            if self.blocking:
                chunk = MAX_WAIT_CHUNK_SECS if left is None else max(1, min(MAX_WAIT_CHUNK_SECS, int(left)))
                args += ["--timeout", f"{chunk}s", "--poll-interval", f"{max(1, int(self.poll_interval))}s"]
            result = await self.hook.arun(args, env, on_stderr)
            left = self._left()
            if result.exit_code != TIMED_OUT or (left is not None and left <= 0):
                return result
            if not self.blocking:
                await asyncio.sleep(self.poll_interval if left is None else max(0.0, min(self.poll_interval, left)))

    async def run(self) -> AsyncIterator[TriggerEvent]:
        result = await self.wait(self.log.info)
        yield TriggerEvent(result.to_event())

    async def on_kill(self) -> None:
        # The task was cleared or marked while deferred: stop waiting, leave the SAC run alone.
        self.hook.terminate()
