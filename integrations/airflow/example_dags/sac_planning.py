"""The nightly planning load: master data (the data import of ZEPPART), then plan facts through
the Data Import API, then the multi action that copies Actual into Plan.

Connections: `sac_user` (a user identity: schedules and multi actions need one) and `sac_import`
(a technical client with Data Import access). See integrations/airflow/README.md.
"""

import os
from datetime import datetime, timedelta
from pathlib import Path

from airflow.sdk import dag

from sacctl_airflow.operators import (
    SacImportPushOperator,
    SacMultiActionRunOperator,
    SacScheduleRunOperator,
)

FACTS = os.environ.get("SAC_FACTS_FILE", str(Path(__file__).with_name("facts-202607.csv")))


@dag(
    schedule="30 2 * * *",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=5)},
    tags=["sac"],
)
def sac_planning():
    master = SacScheduleRunOperator(
        task_id="master_data",
        sacctl_conn_id="sac_user",
        schedule_id="F58CA15F78AA9039E200586F05E2BB93",
        model="t.G:ZEPPART_001",
        deferrable=True,  # the worker is free while SAC imports
        poll_interval=2,
    )
    facts = SacImportPushOperator(
        task_id="plan_facts",
        sacctl_conn_id="sac_import",
        model="SALES_PLAN",
        file=FACTS,
        on_warnings="success",  # rows rejected: keep going, they are in the task log
        poll_interval=1,
    )
    copy = SacMultiActionRunOperator(
        task_id="copy_to_plan",
        sacctl_conn_id="sac_user",
        multiaction="t.G:MA_LOAD_ZEPPART",
        parameters={"TargetVersion": "public.Plan"},
        deferrable=True,
        poll_interval=2,
    )
    master >> facts >> copy


sac_planning()
