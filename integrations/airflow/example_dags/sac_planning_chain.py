"""The same planning load as sac_planning, as one chain file run by one task. A retry or a clear
of a chain that failed resumes it: steps that succeeded are not run again.

`SAC_CHAIN_STATE_DIR`: where the chain's state files live; with Celery or Kubernetes executors,
storage that every worker sees.
"""

import os
from datetime import datetime, timedelta
from pathlib import Path

from airflow.sdk import dag

from sacctl_airflow.operators import SacChainRunOperator

HERE = Path(__file__).parent


@dag(
    schedule="30 2 * * *",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=5)},
    tags=["sac"],
)
def sac_planning_chain():
    SacChainRunOperator(
        task_id="plan_load",
        sacctl_conn_id="sac_user",
        chain_file=str(HERE / "plan.toml"),
        chain_vars={"version": "public.Plan"},
        state_dir=os.environ.get("SAC_CHAIN_STATE_DIR", "/var/lib/airflow/sacctl-chains"),
    )


sac_planning_chain()
