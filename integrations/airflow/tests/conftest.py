"""Fixtures: an emulator on free loopback ports (with the manual clock) and an Airflow home
whose connection `sac_user` points at it. Needs SACCTL_BIN (run-tests.sh sets it)."""

import json
import os
import shutil
import subprocess
import urllib.request
from pathlib import Path

import pytest

HERE = Path(__file__).parent


def post(url, body=None):
    data = json.dumps(body).encode() if body is not None else b""
    request = urllib.request.Request(url, data=data, method="POST", headers={"content-type": "application/json"})
    with urllib.request.urlopen(request) as answer:
        return json.loads(answer.read() or b"null")


def get(url):
    with urllib.request.urlopen(url) as answer:
        return json.load(answer)


@pytest.fixture
def emulator(tmp_path):
    """Starts `sacctl emulator`, sets its clock to manual, yields its URLs; stops it after."""
    process = subprocess.Popen(
        [os.environ["SACCTL_BIN"], "emulator", "--port", "0", "--api-port", "0", "--print-env",
         "--data-dir", str(tmp_path / "emulator")],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    urls = {}
    while len(urls) < 3:
        line = process.stdout.readline()
        if not line:
            raise RuntimeError("the emulator did not start")
        key, _, value = line.strip().partition("=")
        urls[key] = value
    post(urls["SACCTL_TENANT_URL"] + "/emulator/clock", {"mode": "manual"})
    yield urls
    process.terminate()
    process.wait(timeout=30)


@pytest.fixture(scope="session")
def migrated_home(tmp_path_factory):
    """An Airflow home with a migrated database, migrated once and copied for each test."""
    home = tmp_path_factory.mktemp("airflow-template")
    env = {**os.environ, "AIRFLOW_HOME": str(home), "AIRFLOW__CORE__LOAD_EXAMPLES": "False"}
    subprocess.run(["airflow", "db", "migrate"], env=env, check=True, capture_output=True)
    return home


@pytest.fixture
def airflow_env(tmp_path, emulator, migrated_home):
    """The environment of an `airflow` command: a migrated home, the test DAGs, sac_user."""
    # Only the database: a new airflow.cfg is written for the new home (the template's names its paths).
    (tmp_path / "airflow").mkdir()
    shutil.copy(migrated_home / "airflow.db", tmp_path / "airflow" / "airflow.db")
    env = dict(os.environ)
    for key in ("SACCTL_TENANT_URL", "SACCTL_API_URL", "SACCTL_TOKEN_URL"):
        env.pop(key, None)
    env.update(
        AIRFLOW_HOME=str(tmp_path / "airflow"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__DAGS_FOLDER=str(HERE / "dags"),
        AIRFLOW_CONN_SAC_USER=json.dumps({
            "conn_type": "sacctl",
            "host": emulator["SACCTL_TENANT_URL"],
            "login": "sacctl-user",
            "password": "sacctl-user-secret",
            "extra": {"token_url": emulator["SACCTL_TOKEN_URL"], "api_url": emulator["SACCTL_API_URL"],
                      "tenant_id": "G", "grant": "password", "user": "JDOE", "user_password": "Welcome1!",
                      "cache_dir": str(tmp_path / "sacctl-cache")},
        }),
        AIRFLOW_CONN_SAC_CALENDAR=json.dumps({
            "conn_type": "sacctl",
            "host": emulator["SACCTL_TENANT_URL"],
            "login": "sacctl-api",
            "password": "sacctl-api-secret",
            "extra": {"token_url": emulator["SACCTL_TOKEN_URL"], "api_url": emulator["SACCTL_API_URL"],
                      "tenant_id": "G", "grant": "client_credentials",
                      "cache_dir": str(tmp_path / "sacctl-cache-calendar")},
        }),
    )
    return env
