"""DAGs for the re-attach tests: each try of their one task ends while the SAC run is still going
(killed by execution_timeout, or the wait's own timeout when deferred); the next try must
re-attach to that run, not start another."""

from datetime import datetime, timedelta

from airflow.sdk import dag

import os
from pathlib import Path

from sacctl_airflow.operators import (
    SacCalendarRunOperator,
    SacChainRunOperator,
    SacMultiActionRunOperator,
    SacScheduleRunOperator,
)

RETRIES = {"retries": 8, "retry_delay": timedelta(seconds=0)}


@dag(schedule=None, start_date=datetime(2026, 1, 1), catchup=False, default_args=RETRIES)
def sac_reattach_killed():
    SacScheduleRunOperator(
        task_id="master_data",
        sacctl_conn_id="sac_user",
        schedule_id="F58CA15F78AA9039E200586F05E2BB93",
        model="t.G:ZEPPART_001",
        poll_interval=1,
        # Airflow kills a try that runs longer: on_kill, then a retry.
        execution_timeout=timedelta(seconds=6),
    )


@dag(schedule=None, start_date=datetime(2026, 1, 1), catchup=False, default_args=RETRIES)
def sac_reattach_deferred():
    SacMultiActionRunOperator(
        task_id="copy_to_plan",
        sacctl_conn_id="sac_user",
        multiaction="t.G:MA_LOAD_ZEPPART",
        parameters={"TargetVersion": "public.Plan"},
        deferrable=True,
        poll_interval=1,
        # The trigger gives up after this (exit 5): the try fails, the run goes on.
        wait_timeout=timedelta(seconds=3),
    )


@dag(schedule=None, start_date=datetime(2026, 1, 1), catchup=False, default_args={"retries": 1, "retry_delay": 0})
def sac_chain_resume():
    SacChainRunOperator(
        task_id="plan_load",
        sacctl_conn_id="sac_user",
        chain_file=str(Path(__file__).parents[2] / "example_dags" / "plan.toml"),
        state_dir=os.environ.get("SAC_CHAIN_STATE_DIR", "/tmp"),
    )


@dag(schedule=None, start_date=datetime(2026, 1, 1), catchup=False, default_args=RETRIES)
def sac_calendar_deferred():
    # The demo's "Monthly BW load": a copy per run, with client credentials only.
    SacCalendarRunOperator(
        task_id="monthly_bw_load",
        sacctl_conn_id="sac_calendar",
        event_id="C4E7A1B2D3F44C5D8E9FA0B1C2D3E4F5",
        deferrable=True,
        poll_interval=1,
        # The trigger gives up after this (exit 5): the try fails, the process goes on.
        wait_timeout=timedelta(seconds=3),
    )


sac_reattach_killed()
sac_reattach_deferred()
sac_calendar_deferred()
sac_chain_resume()
