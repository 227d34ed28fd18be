"""SAP's sample client sacapi 1.0.1 (PyPI), unchanged, against a running emulator.

Only its URL attributes are pointed at the emulator (they are plain attributes set in
SACConnection.__init__). Every expectation is computed from the emulator's store, read
independently through the admin API (`/emulator/models/.../rows`), or from the demo tenant's
documented seed (docs/emulator.md, "Planning model SALES_PLAN").

Run by run-tests.sh, which starts the emulator and sets SACCTL_TENANT_URL and SACCTL_TOKEN_URL.
Each check reports PASS or FAIL on stdout, and the run goes on after a failure, so one run shows
every failure at once; the exit code is 1 if any check failed.
"""

import json
import os
import sys
import time
import traceback
import urllib.parse
import urllib.request

# sacapi runs over plain http on loopback; oauthlib refuses that unless told otherwise.
os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"

from sacapi.sacapi import InvalidRowsError, SACConnection  # noqa: E402

TENANT = os.environ["SACCTL_TENANT_URL"].rstrip("/")
TOKEN_URL = os.environ["SACCTL_TOKEN_URL"]
CLIENT, SECRET = "sacctl-api", "sacctl-api-secret"
MODEL = "SALES_PLAN"
KEYS = ["Version", "Date", "Part", "Country"]
MEASURES = ["Amount", "Quantity"]
# The two rows the valid upload writes: a month the seed does not have (2026-01..06).
UPLOAD_MONTH = "202607"
UPLOAD = [
    {"Version": "public.Plan", "Date": UPLOAD_MONTH, "Part": "P0001", "Country": "AT", "Amount": 500.25, "Quantity": 5},
    {"Version": "public.Plan", "Date": UPLOAD_MONTH, "Part": "P0002", "Country": "IN", "Amount": 610.5, "Quantity": 6},
]

results = []


def check(name):
    """Runs the decorated function as one named check and records PASS/FAIL."""

    def wrap(fn):
        try:
            fn()
        except Exception:  # noqa: BLE001 - every failure is reported, then the run goes on
            results.append((name, False))
            print(f"FAIL {name}")
            traceback.print_exc(file=sys.stdout)
        else:
            results.append((name, True))
            print(f"PASS {name}")
        sys.stdout.flush()
        return fn

    return wrap


def admin(method, path, query=None):
    url = TENANT + path + ("?" + urllib.parse.urlencode(query) if query else "")
    req = urllib.request.Request(url, method=method)
    with urllib.request.urlopen(req) as r:
        body = r.read()
        return json.loads(body) if body else None


def store_rows(**conditions):
    """The model's facts as the store holds them (admin API), measures as floats."""
    out = admin("GET", f"/emulator/models/t.G:{MODEL}/rows", dict(conditions, limit=100000))
    rows = out["rows"]
    assert out["total"] >= len(rows)
    for r in rows:
        for m in MEASURES:
            if r.get(m) is not None:
                r[m] = float(r[m])
    return rows


def key(row):
    return tuple(row[k] for k in KEYS)


def as_set(rows):
    """Rows as comparable tuples: keys plus measures (as floats; a missing measure is None)."""
    return sorted(key(r) + tuple(None if r.get(m) is None else float(r[m]) for m in MEASURES) for r in rows)


def factdata_requests():
    """The FactData requests the emulator saw since the log was last cleared (path + query)."""
    reqs = admin("GET", "/emulator/requests")["requests"]
    return [r for r in reqs if r["path"].endswith(f"/{MODEL}/FactData")]


def bearer_get(conn, url):
    """A GET with the client's own session (token + cookie), for the job status only."""
    r = conn.oauth.get(url)
    assert r.status_code == 200, (url, r.status_code, r.text)
    return r.json()


admin("POST", "/emulator/reset")
SEED = store_rows()
assert len(SEED) == 60, f"the demo tenant seeds 60 rows, the store has {len(SEED)}"

conn = SACConnection("emulator", "local")
conn.urlAccessToken = TOKEN_URL
conn.urlExportNamespaces = TENANT + "/api/v1/dataexport/administration/Namespaces"
conn.urlExportProviders = TENANT + "/api/v1/dataexport/administration/Namespaces(NamespaceID='sac')/Providers"
conn.urlExportProviderRoot = TENANT + "/api/v1/dataexport/providers/sac"
conn.urlImportModels = TENANT + "/api/v1/dataimport/models"
conn.urlImportJobs = TENANT + "/api/v1/dataimport/jobs"
state = {}


@check("connect: token (Basic client auth) and CSRF token from GET /dataimport/models")
def _():
    conn.connect(CLIENT, SECRET)
    assert conn.accessToken["token_type"].lower() == "bearer", conn.accessToken
    assert conn.accessToken["access_token"]
    assert conn.csrfTokenStatus is True, "no x-csrf-token header on GET /dataimport/models"
    assert conn.httpPostHeader["x-csrf-token"] not in ("", "fetch", "Required")


@check("getProviders: every model of the tenant; SALES_PLAN's name, description, ServiceURL ending in /")
def _():
    models = {m["id"] for m in admin("GET", "/emulator/tenant")["models"]}
    assert MODEL in models
    assert set(conn.providers) == models, (list(conn.providers), models)
    p = conn.providers[MODEL]
    assert p.providerName == MODEL
    assert p.description == "Sales planning by part and country"
    assert p.serviceURL == f"{TENANT}/api/v1/dataexport/providers/sac/{MODEL}/", p.serviceURL


@check("searchProviders: substring of the model name finds it, another finds nothing")
def _():
    assert conn.searchProviders("SALES") == {MODEL: MODEL}
    models = {m["id"] for m in admin("GET", "/emulator/tenant")["models"]}
    # The emulator names each provider by its model id.
    assert conn.searchProviders("PLAN") == {m: m for m in models if "PLAN" in m}
    assert conn.searchProviders("NO_SUCH_MODEL") == {}


@check("getModelMetadata: versions, dimensions with descriptions, measures, mapping")
def _():
    meta = conn.getModelMetadata(MODEL)
    state["meta"] = meta
    assert set(meta.versions) == {"Version"}, meta.versions
    assert set(meta.versions["Version"]) == {"public.Actual", "public.Plan", "public.Forecast"}
    assert meta.versions["Version"]["public.Actual"] == "Actual", meta.versions
    assert meta.targetVersion == "public.Actual"
    # sacapi files the date dimension under `dimensions` (its own bug, l. 635-638).
    assert set(meta.dimensions) == {"Date", "Part", "Country"}, list(meta.dimensions)
    parts = meta.dimensions["Part"]
    assert len(parts) == 89 and "P0001" in parts and "P0089" in parts, len(parts)
    assert all(isinstance(d, str) for d in parts.values())
    assert {"AT", "IN", "US"} <= set(meta.dimensions["Country"])
    assert {f"2026{m:02d}" for m in range(1, 7)} <= set(meta.dimensions["Date"])
    assert meta.measures == MEASURES, meta.measures
    assert meta.accounts == {}
    assert meta.mapping == {c: c for c in ["Date", "Part", "Country"] + MEASURES}, meta.mapping


def meta():
    assert "meta" in state, "needs getModelMetadata, which failed"
    return state["meta"]


def reset_filters():
    conn.addFilterProvider(MODEL)  # sacapi's own reset: no filters, no order, gate `and`


@check("getFactData whole: the 60 seeded rows, keys as strings, measures as numbers")
def _():
    reset_filters()
    rows = conn.getFactData(meta())
    assert len(rows) == 60, len(rows)
    assert as_set(rows) == as_set(SEED)
    for r in rows:
        assert set(r) == set(KEYS + MEASURES), r
        assert all(isinstance(r[k], str) for k in KEYS), r
        assert all(isinstance(r[m], (int, float)) for m in MEASURES), r


@check("getFactData pagesize=7: every row once, over ceil(60/7)=9 pages of nextLinks")
def _():
    reset_filters()
    admin("DELETE", "/emulator/requests")
    rows = conn.getFactData(meta(), pagesize=7)
    assert as_set(rows) == as_set(SEED), len(rows)
    reqs = factdata_requests()
    assert len(reqs) == 9, [(r["query"], r["status"]) for r in reqs]
    assert all(r["status"] == 200 for r in reqs)
    assert "pagesize=7" in reqs[0]["query"], reqs[0]["query"]


def filtered(setup, expected_rows, pagesize=None, ordered_by=None):
    meta()
    reset_filters()
    setup()
    rows = conn.getFactData(meta(), pagesize=pagesize)
    assert as_set(rows) == as_set(expected_rows), (len(rows), len(expected_rows), conn.resolveFilter(MODEL))
    if ordered_by:
        col, direction = ordered_by
        values = [r[col] for r in rows]
        assert values == sorted(values, reverse=direction == "desc"), values
    return rows


F = conn.filterOperators
S = conn.filterStringOperations


@check("filter eq: Part eq 'P0003' gives its 6 rows")
def _():
    expected = [r for r in SEED if r["Part"] == "P0003"]
    assert len(expected) == 6
    filtered(lambda: conn.addLogicalFilter(MODEL, "Part", "P0003", F.EQUAL), expected)


@check("filter or (gate set to or): two parts, 12 rows, none lost")
def _():
    def setup():
        conn.filterLogicGates[MODEL] = conn.LG_OR
        conn.addLogicalFilter(MODEL, "Part", "P0003", F.EQUAL)
        conn.addLogicalFilter(MODEL, "Part", "P0004", F.EQUAL)

    filtered(setup, [r for r in SEED if r["Part"] in ("P0003", "P0004")])


@check("filter not (gate not): not Part eq 'P0003' and (not Part eq 'P0004'), 48 rows")
def _():
    def setup():
        conn.filterLogicGates[MODEL] = conn.LG_NOT
        conn.addLogicalFilter(MODEL, "Part", "P0003", F.EQUAL)
        conn.addLogicalFilter(MODEL, "Part", "P0004", F.EQUAL)

    filtered(setup, [r for r in SEED if r["Part"] not in ("P0003", "P0004")])


@check("filter ge and lt on Date: 202603 <= Date < 202605, 20 rows")
def _():
    def setup():
        conn.addLogicalFilter(MODEL, "Date", "202603", F.GREATER_THAN_OR_EQUAL)
        conn.addLogicalFilter(MODEL, "Date", "202605", F.LESS_THAN)

    filtered(setup, [r for r in SEED if "202603" <= r["Date"] < "202605"])


@check("filter ne and le: Country ne 'AT' and Part le 'P0003', 12 rows")
def _():
    def setup():
        conn.addLogicalFilter(MODEL, "Country", "AT", F.NOT_EQUAL)
        conn.addLogicalFilter(MODEL, "Part", "P0003", F.LESS_THAN_OR_EQUAL)

    filtered(setup, [r for r in SEED if r["Country"] != "AT" and r["Part"] <= "P0003"])


@check("string filters: contains(Part,'001'), startswith(Country,'A'), endswith(Part,'5')")
def _():
    filtered(lambda: conn.addStringFilter(MODEL, "Part", "001", S.CONTAINS), [r for r in SEED if "001" in r["Part"]])
    filtered(lambda: conn.addStringFilter(MODEL, "Country", "A", S.STARTS_WITH), [r for r in SEED if r["Country"].startswith("A")])
    filtered(lambda: conn.addStringFilter(MODEL, "Part", "5", S.ENDS_WITH), [r for r in SEED if r["Part"].endswith("5")])


@check("setFilterOrderBy: Amount desc over all rows, and Date desc with a filter and pagesize=4")
def _():
    filtered(lambda: conn.setFilterOrderBy(MODEL, "Amount", "desc"), SEED, ordered_by=("Amount", "desc"))

    def setup():
        conn.setFilterOrderBy(MODEL, "Date", "desc")
        conn.filterLogicGates[MODEL] = conn.LG_OR
        conn.addLogicalFilter(MODEL, "Part", "P0001", F.EQUAL)
        conn.addLogicalFilter(MODEL, "Part", "P0002", F.EQUAL)

    expected = [r for r in SEED if r["Part"] in ("P0001", "P0002")]
    filtered(setup, expected, pagesize=4, ordered_by=("Date", "desc"))


def wait_for_job_of_this_client(before):
    """The job upload() ran (the one job of this client not listed before), once it has ended."""
    jobs_url = conn.urlImportJobs
    for _ in range(300):
        jobs = [j for j in bearer_get(conn, jobs_url) if j["jobID"] not in before]
        assert len(jobs) <= 1, jobs
        if jobs and jobs[0]["status"] in ("COMPLETED", "FAILED"):
            return jobs[0]
        time.sleep(0.1)
    raise AssertionError(f"the upload's job did not end within 30 s: {jobs}")


@check("upload of valid rows: job COMPLETED, rows read back with getFactData")
def _():
    reset_filters()
    before = {j["jobID"] for j in bearer_get(conn, conn.urlImportJobs)}
    assert conn.upload(meta(), [dict(r) for r in UPLOAD]) is None
    job = wait_for_job_of_this_client(before)
    assert job["status"] == "COMPLETED", job
    assert as_set(store_rows(Date=UPLOAD_MONTH)) == as_set(UPLOAD)
    reset_filters()
    conn.addLogicalFilter(MODEL, "Date", UPLOAD_MONTH, F.EQUAL)
    assert as_set(conn.getFactData(meta())) == as_set(UPLOAD)
    reset_filters()
    assert len(conn.getFactData(meta())) == 62


@check("upload of an unknown member: InvalidRowsError FAILED_VALIDATION, job deleted, nothing written")
def _():
    reset_filters()
    bad = {"Version": "public.Plan", "Date": "202608", "Part": "P9999", "Country": "AT", "Amount": 1, "Quantity": 1}
    before = {j["jobID"] for j in bearer_get(conn, conn.urlImportJobs)}
    try:
        conn.upload(meta(), [bad])
    except InvalidRowsError as e:
        info = e.args[0]
    else:
        raise AssertionError("upload of an unknown Part member raised nothing")
    assert info["status"] == "FAILED_VALIDATION", info
    assert info["failedNumberRows"] == 1, info
    assert len(info["failedRows"]) == 1, info
    reason = info["failedRows"][0]["_REJECTION_REASON"]
    assert "Part" in reason, reason
    assert info["failedRows"][0]["Part"] == "P9999"
    after = {j["jobID"] for j in bearer_get(conn, conn.urlImportJobs)}
    assert after == before, "sacapi deletes the failed job (DELETE 204); it is still listed"
    assert store_rows(Date="202608") == []


@check("upload with a row that is not an object: InvalidRowsError FAILED_INITIAL_LOAD")
def _():
    reset_filters()
    good = dict(UPLOAD[0], Date="202609")
    try:
        conn.upload(meta(), [good, "not a row"])
    except InvalidRowsError as e:
        info = e.args[0]
    else:
        raise AssertionError("upload with a non-object row raised nothing")
    assert info["status"] == "FAILED_INITIAL_LOAD", info
    assert len(info["failedNumberRows"]) == 1, info  # sacapi puts the failed rows list here
    assert store_rows(Date="202609") == []


@check("getAuditData: the upload's writes, by the client, with before and after values")
def _():
    entries = conn.getAuditData(meta())
    assert isinstance(entries, list), entries
    mine = sorted((e for e in entries if e.get("Date") == UPLOAD_MONTH), key=lambda e: e["Part"])
    assert [e["Part"] for e in mine] == ["P0001", "P0002"], entries[-5:]
    for entry, row in zip(mine, UPLOAD):
        assert entry["Version"] == row["Version"] and entry["Country"] == row["Country"], entry
        assert entry["Audit_User"] == CLIENT, entry
        assert entry["Audit_Time"], entry
        for m in MEASURES:
            # Created by the upload: no value before, the uploaded one after, flag 2 (created).
            assert entry[f"Audit_Old_{m}"] is None, entry
            assert entry[f"Audit_New_{m}"] == row[m], entry
            assert entry[f"Audit_Delta_{m}"] == row[m], entry
            assert entry[f"Audit_Flag_{m}"] == 2, entry
    # The refused uploads wrote nothing, so they left no audit entry either.
    assert not [e for e in entries if e.get("Date") in ("202608", "202609")], entries[-5:]


failed = [n for n, ok in results if not ok]
print(f"\n{len(results) - len(failed)} of {len(results)} checks passed")
sys.exit(1 if failed else 0)
