"""Apache Airflow provider for sacctl: operators and a trigger that run SAP Analytics Cloud
loads (data imports, multi actions, Data Import API pushes, chains) through the sacctl CLI."""

__version__ = "0.1.0"


def get_provider_info() -> dict:
    """What Airflow's provider manager reads (entry point `apache_airflow_provider`)."""
    return {
        "package-name": "sacctl-airflow",
        "name": "sacctl (SAP Analytics Cloud)",
        "description": "Run SAP Analytics Cloud loads through sacctl.",
        "versions": [__version__],
        "connection-types": [
            {"hook-class-name": "sacctl_airflow.hook.SacctlHook", "connection-type": "sacctl"},
        ],
        "triggers": [
            {"integration-name": "sacctl", "python-modules": ["sacctl_airflow.triggers"]},
        ],
    }
