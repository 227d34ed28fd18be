"""Both example DAGs load in Airflow (the chain one runs end to end in test_reattach's chain test,
from the same chain file)."""

from pathlib import Path

from airflow.dag_processing.dagbag import DagBag

EXAMPLES = Path(__file__).parents[1] / "example_dags"


def test_example_dags_load_without_errors():
    bag = DagBag(dag_folder=str(EXAMPLES))
    assert bag.import_errors == {}
    assert set(bag.dag_ids) == {"sac_planning", "sac_planning_chain"}
    assert [t.task_id for t in bag.dags["sac_planning"].topological_sort()] == [
        "master_data", "plan_facts", "copy_to_plan"]
