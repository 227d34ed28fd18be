"""`sacctl mcp` driven by the official MCP Python SDK (`mcp` from PyPI) against a running emulator.

Run by run-tests.sh, which starts the emulator (SACCTL_TENANT_URL, SACCTL_API_URL, SACCTL_TOKEN_URL)
and passes the sacctl binary as SACCTL_BIN. Every expectation comes from the demo tenant's documented
seed (docs/emulator.md): data import F58CA15F78AA9039E200586F05E2BB93 of t.G:ZEPPART_001 reads 89 rows
and rejects 1; SALES_PLAN is the planning model the Data Import and Data Export APIs serve.
Each check reports PASS or FAIL on stdout and the run goes on, so one run shows every failure; the
exit code is 1 if any check failed.
"""

import asyncio
import csv
import os
import sys
import tempfile
import traceback
import json
import urllib.request

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

SACCTL = os.environ["SACCTL_BIN"]
MODEL = "t.G:ZEPPART_001"
SCHEDULE = "F58CA15F78AA9039E200586F05E2BB93"
PLAN = "SALES_PLAN"
# The demo tenant's planner (a user: schedules need one).
CREDENTIALS = {
    "SACCTL_CLIENT_ID": "sacctl-user",
    "SACCTL_CLIENT_SECRET": "sacctl-user-secret",
    "SACCTL_GRANT": "password",
    "SACCTL_USER": "JDOE",
    "SACCTL_PASSWORD": "Welcome1!",
}
# Two rows for a month the seed does not have (it has 2026-01..06).
MONTH = "202609"
PUSHED = [
    ("public.Plan", MONTH, "P0001", "AT", "123.5", "7"),
    ("public.Plan", MONTH, "P0002", "IN", "456.25", "9"),
]

results = []


def admin_post(path, body):
    """The emulator's admin API (loopback, no auth), as the browser test uses it."""
    url = os.environ["SACCTL_TENANT_URL"].rstrip("/") + path
    data = json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method="POST", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return r.status


def seed_one_bad_source_row():
    """The seed's 89 source rows with the last one's country unknown: the run reads 89, rejects 1."""
    rows = [{"ZEPPART": f"P{n:04}", "COUNTRY": "DE"} for n in range(1, 89)]
    rows.append({"ZEPPART": "P0089", "COUNTRY": "XX"})
    assert admin_post("/emulator/sources/ZW2_IMPORT/ZEPPART/rows", {"rows": rows, "replace": True}) == 200


async def check(name, fn):
    try:
        await fn()
    except Exception:  # noqa: BLE001 - every failure is reported, then the run goes on
        results.append((name, False))
        print(f"FAIL {name}")
        traceback.print_exc(file=sys.stdout)
    else:
        results.append((name, True))
        print(f"PASS {name}")
    sys.stdout.flush()


def server(*flags):
    env = dict(os.environ)
    env.update(CREDENTIALS)
    env["SACCTL_CACHE_DIR"] = tempfile.mkdtemp()
    return StdioServerParameters(command=SACCTL, args=["mcp", *flags], env=env)


class Session:
    """One `sacctl mcp` process with an initialized client session, and all it said on stderr."""

    def __init__(self, *flags):
        self.params = server(*flags)
        self.errlog = tempfile.TemporaryFile(mode="w+")

    async def __aenter__(self):
        self._stdio = stdio_client(self.params, errlog=self.errlog)
        read, write = await self._stdio.__aenter__()
        self._session = ClientSession(read, write)
        self.session = await self._session.__aenter__()
        await self.session.initialize()
        return self

    async def __aexit__(self, *exc):
        await self._session.__aexit__(*exc)
        await self._stdio.__aexit__(*exc)

    def stderr(self):
        self.errlog.seek(0)
        return self.errlog.read()


def text_of(result):
    return "\n".join(c.text for c in result.content if getattr(c, "type", "") == "text")


async def main():
    seed_one_bad_source_row()
    seen = {}
    outputs = []

    async with Session() as s:
        session = s.session

        async def tools_with_annotations():
            tools = {t.name: t for t in (await session.list_tools()).tools}
            for name in ["list_models", "list_schedules", "schedule_runs", "run_rejections", "run_schedule",
                         "wait_schedule_run", "run_multi_action", "run_calendar_event", "push_file", "export",
                         "export_to_file", "describe_model", "show_calendar_event", "auth_doctor", "recent_activity"]:
                assert name in tools, f"{name} missing from {sorted(tools)}"
            run = tools["run_schedule"].annotations
            assert run.read_only_hint is False and run.destructive_hint is True and run.idempotent_hint is False, run
            assert tools["list_models"].annotations.read_only_hint is True
            assert tools["export"].annotations.read_only_hint is True
            assert tools["push_file"].annotations.destructive_hint is True
            schema = tools["run_schedule"].input_schema
            assert set(schema["required"]) == {"model", "schedule_id"}, schema
            seen["tools"] = tools

        await check("list tools with their annotations and typed input schemas", tools_with_annotations)

        async def run_the_seed_schedule():
            progress = []

            async def on_progress(value, total, message):
                progress.append((value, message))

            result = await session.call_tool(
                "run_schedule", {"model": MODEL, "schedule_id": SCHEDULE, "wait_seconds": 120},
                progress_callback=on_progress)
            outputs.append(text_of(result))
            assert not result.is_error, text_of(result)
            doc = result.structured_content
            assert doc["rows"]["read"] == 89, doc
            assert doc["rows"]["rejected"] == 1, doc
            assert doc["state"] == "succeeded_with_rejects" and doc["exit_code"] == 6, doc
            assert progress, "no progress notifications while the run ran"
            assert any(doc["execution_id"] in (m or "") for _, m in progress), progress
            values = [v for v, _ in progress]
            assert values == sorted(values), f"progress goes up: {values}"
            seen["execution_id"] = doc["execution_id"]
            print(f"  {len(progress)} progress notifications; last: {progress[-1][1]}")

        await check("run the seed's schedule and wait: 89 rows read, progress seen", run_the_seed_schedule)

        async def rejected_rows():
            result = await session.call_tool("run_rejections", {"execution_id": seen["execution_id"]})
            outputs.append(text_of(result))
            assert not result.is_error, text_of(result)
            doc = result.structured_content
            assert doc["rows_total"] == 1 and len(doc["rows"]) == 1, doc
            runs = await session.call_tool("schedule_runs", {"model": MODEL, "schedule_id": SCHEDULE, "limit": 1})
            assert runs.structured_content["runs"][0]["execution_id"] == seen["execution_id"], runs.structured_content

        await check("read the run's rejected rows and its place in the recent runs", rejected_rows)

        async def push_and_export_back():
            folder = tempfile.mkdtemp()
            path = os.path.join(folder, "rows.csv")
            with open(path, "w", newline="") as f:
                writer = csv.writer(f)
                writer.writerow(["Version", "Date", "Part", "Country", "Amount", "Quantity"])
                writer.writerows(PUSHED)
            pushed = await session.call_tool("push_file", {"model": PLAN, "file": path, "wait_seconds": 120})
            outputs.append(text_of(pushed))
            assert not pushed.is_error, text_of(pushed)
            assert pushed.structured_content["exit_code"] == 0, pushed.structured_content
            query = {"model": PLAN, "filter": f"Version eq 'public.Plan' and Date eq '{MONTH}'", "orderby": "Part"}
            exported = await session.call_tool("export", query)
            outputs.append(text_of(exported))
            assert not exported.is_error, text_of(exported)
            rows = exported.structured_content["rows"]
            assert [(r["Part"], r["Country"], float(r["Amount"])) for r in rows] == [
                ("P0001", "AT", 123.5), ("P0002", "IN", 456.25)], rows
            out = os.path.join(folder, "back.csv")
            written = await session.call_tool("export_to_file", {**query, "out": out})
            assert written.structured_content["rows"] == 2, written.structured_content
            with open(out) as f:
                assert len(list(csv.DictReader(f))) == 2

        await check("push a small file into a model and export it back", push_and_export_back)

        async def errors_carry_the_cli_hints():
            result = await session.call_tool("schedule_runs", {"model": MODEL, "schedule_id": "0" * 32})
            assert result.is_error, text_of(result)
            assert "hint: check the id; `sacctl schedule list --model t.G:ZEPPART_001`" in text_of(result), text_of(result)
            doc = result.structured_content
            assert doc["outcome"] == "not_found" and doc["exit_code"] == 4, doc

        await check("an unknown schedule is an error with the CLI's hint", errors_carry_the_cli_hints)
        outputs.append(s.stderr())

    async with Session("--read-only") as s:
        async def read_only_refuses_writes():
            names = {t.name for t in (await s.session.list_tools()).tools}
            assert "run_schedule" not in names and "push_file" not in names, names
            assert "list_models" in names and "export" in names, names
            newest = {"model": MODEL, "schedule_id": SCHEDULE, "limit": 1}
            before = (await s.session.call_tool("schedule_runs", newest)).structured_content["runs"]
            result = await s.session.call_tool("run_schedule", {"model": MODEL, "schedule_id": SCHEDULE})
            assert result.is_error, text_of(result)
            assert "--read-only" in text_of(result), text_of(result)
            after = (await s.session.call_tool("schedule_runs", newest)).structured_content["runs"]
            assert before == after, f"the refused run did not start: {before} / {after}"

        await check("--read-only serves only reading tools and refuses a run", read_only_refuses_writes)
        outputs.append(s.stderr())

    async with Session("--allow", MODEL) as s:
        async def allow_refuses_other_models():
            result = await s.session.call_tool("export", {"model": PLAN})
            assert result.is_error, text_of(result)
            assert "SALES_PLAN is not in this MCP session's --allow list" in text_of(result), text_of(result)
            listed = await s.session.call_tool("list_models", {})
            ids = [m["modelID"] for m in listed.structured_content["models"]]
            assert PLAN not in ids, ids
            ok = await s.session.call_tool("list_schedules", {"model": MODEL})
            assert not ok.is_error and ok.structured_content["schedules"], text_of(ok)

        await check("--allow refuses a model outside it", allow_refuses_other_models)
        outputs.append(s.stderr())

    async def no_secret_in_results_or_logs():
        text = "\n".join(outputs)
        for secret in [CREDENTIALS["SACCTL_CLIENT_SECRET"], CREDENTIALS["SACCTL_PASSWORD"]]:
            assert secret not in text, f"{secret!r} reached a result or log"

    await check("no secret in any result or log", no_secret_in_results_or_logs)

    failed = [name for name, ok in results if not ok]
    print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
