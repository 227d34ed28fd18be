"""Runs sacctl for Airflow: settings from an Airflow connection into the child's environment.

Secrets never go on sacctl's command line (other users of the host can read process arguments):
the connection's password and `user_password` reach sacctl as SACCTL_CLIENT_SECRET and
SACCTL_PASSWORD in its environment. Without a connection, sacctl reads the worker's SACCTL_*
variables and its profile, as on a shell.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable, Mapping
from typing import Any

from airflow.sdk import BaseHook

from sacctl_airflow.result import SacctlResult, parse_document

# Connection extras and the variable each becomes (docs/quickstart.md lists the variables).
EXTRAS = {
    "tenant_url": "SACCTL_TENANT_URL",
    "api_url": "SACCTL_API_URL",
    "token_url": "SACCTL_TOKEN_URL",
    "tenant_id": "SACCTL_TENANT_ID",
    "grant": "SACCTL_GRANT",
    "user": "SACCTL_USER",
    "user_password": "SACCTL_PASSWORD",
    "profile": "SACCTL_PROFILE",
    "config": "SACCTL_CONFIG",
    "cache_dir": "SACCTL_CACHE_DIR",
    "ca_bundle": "SACCTL_CA_BUNDLE",
    "proxy": "SACCTL_PROXY",
    "client_secret_file": "SACCTL_CLIENT_SECRET_FILE",
    "password_file": "SACCTL_PASSWORD_FILE",
    "http_timeout": "SACCTL_HTTP_TIMEOUT",
}


# Each secret's sources: sacctl refuses two of one family at the same level (exit 2), so a
# connection that gives one drops the worker's others.
SECRET_FAMILIES = [
    ("SACCTL_CLIENT_SECRET", "SACCTL_CLIENT_SECRET_FILE", "SACCTL_CLIENT_SECRET_CMD"),
    ("SACCTL_PASSWORD", "SACCTL_PASSWORD_FILE", "SACCTL_PASSWORD_CMD"),
    ("SACCTL_SAML_ASSERTION_FILE", "SACCTL_SAML_ASSERTION_CMD"),
]


def merged_environment(base: Mapping[str, str], settings: Mapping[str, str]) -> dict[str, str]:
    """BASE (the worker's environment) with a connection's SETTINGS over it."""
    env = dict(base)
    for family in SECRET_FAMILIES:
        if any(name in settings for name in family):
            for name in family:
                env.pop(name, None)
    env.update(settings)
    return env


def connection_environment(conn: Any) -> dict[str, str]:
    """SACCTL_* variables from a connection: host is the tenant URL, login the OAuth client id,
    password its secret, the rest from the extras above (an unknown extra is an error)."""
    extra = dict(conn.extra_dejson or {})
    unknown = sorted(set(extra) - set(EXTRAS))
    if unknown:
        raise ValueError(
            f"connection {conn.conn_id}: unknown extra {', '.join(unknown)}; known: {', '.join(sorted(EXTRAS))}"
        )
    env = {EXTRAS[key]: str(value) for key, value in extra.items() if value not in (None, "")}
    if conn.host and "SACCTL_TENANT_URL" not in env:
        host = conn.host if "://" in conn.host else f"https://{conn.host}"
        env["SACCTL_TENANT_URL"] = host + (f":{conn.port}" if conn.port else "")
    if conn.login:
        env["SACCTL_CLIENT_ID"] = conn.login
    if conn.password:
        env["SACCTL_CLIENT_SECRET"] = conn.password
    return env


class SacctlHook(BaseHook):
    """Runs `sacctl ... --output json` with the settings of connection `sacctl_conn_id`."""

    conn_name_attr = "sacctl_conn_id"
    default_conn_name = "sacctl_default"
    conn_type = "sacctl"
    hook_name = "SAP Analytics Cloud (sacctl)"

    def __init__(self, sacctl_conn_id: str | None = None, sacctl_bin: str = "sacctl", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sacctl_conn_id = sacctl_conn_id
        self.sacctl_bin = sacctl_bin
        self._process: asyncio.subprocess.Process | None = None

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        return {
            "hidden_fields": ["schema"],
            "relabeling": {"host": "Tenant URL", "login": "OAuth client id", "password": "OAuth client secret"},
            "placeholders": {
                "host": "https://acme.eu10.hcs.cloud.sap",
                "extra": '{"token_url": "https://acme.authentication.eu10.hana.ondemand.com/oauth/token", '
                '"grant": "client_credentials"}',
            },
        }

    def environment(self) -> dict[str, str]:
        if not self.sacctl_conn_id:
            return dict(os.environ)
        return merged_environment(os.environ, connection_environment(self.get_connection(self.sacctl_conn_id)))

    async def aenvironment(self) -> dict[str, str]:
        if not self.sacctl_conn_id:
            return dict(os.environ)
        conn = await self.aget_connection(self.sacctl_conn_id)
        return merged_environment(os.environ, connection_environment(conn))

    async def arun(
        self,
        args: list[str],
        env: Mapping[str, str],
        on_stderr: Callable[[str], None] | None = None,
    ) -> SacctlResult:
        """Run sacctl with ARGS and `--output json`; each stderr line goes to ON_STDERR as it comes."""
        argv = [self.sacctl_bin, *args, "--output", "json"]
        try:
            process = await asyncio.create_subprocess_exec(
                *argv,
                env=dict(env),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
        except OSError as err:
            raise RuntimeError(f"cannot start {self.sacctl_bin}: {err} (set sacctl_bin or PATH)") from err
        self._process = process
        lines: list[str] = []

        async def read_stderr() -> None:
            assert process.stderr is not None
            async for raw in process.stderr:
                line = raw.decode(errors="replace").rstrip("\n")
                lines.append(line)
                if on_stderr:
                    on_stderr(line)

        assert process.stdout is not None
        stdout, _ = await asyncio.gather(process.stdout.read(), read_stderr())
        code = await process.wait()
        self._process = None
        return SacctlResult(code, parse_document(stdout.decode(errors="replace")), "\n".join(lines), argv[1:])

    def run(self, args: list[str], on_stderr: Callable[[str], None] | None = None) -> SacctlResult:
        """The blocking form of arun, with the connection's environment."""
        return asyncio.run(self.arun(args, self.environment(), on_stderr or self.log.info))

    def terminate(self) -> None:
        """Ask a running sacctl to stop (SIGTERM): it stops waiting, prints its document with the
        resume command and exits 143. The SAC run itself goes on."""
        process = self._process
        if process is not None and process.returncode is None:
            try:
                process.send_signal(signal.SIGTERM)
            except ProcessLookupError:
                pass
