"""Hand-made hostile cases that a schema-driven fuzzer does not reach: queries nested thousands
deep, expressions and values hundreds of kilobytes long, JSON bodies nested past any parser's
recursion, on both domains. Every answer must be below 500 and come in time, and the emulator
must answer after each case (no crash, no stack overflow).

Usage: hostile.py TENANT_URL API_URL TOKEN CSRF COOKIE  (run.sh passes them)
Prints one line per case (status, milliseconds) and a summary; exits 1 on any 5xx, lost
connection or timeout. Standard library only.
"""

from __future__ import annotations

import base64
import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

TIMEOUT = 30
SET = "/api/v1/dataexport/providers/sac/SALES_PLAN/FactData"
ACTUAL = "Version eq 'public.Actual'"


def export_cases() -> list[tuple[str, dict[str, str]]]:
    """Data Export queries: deep nesting and long expressions of every kind the grammar has. Most
    are sized to fit the server's URL limit (about 64 KB once percent-encoded), so that they reach
    the query parser; a few go past it on purpose."""
    deep = 3_000
    term = "Date eq '1'"
    return [
        ("parentheses 3,000 deep", {"$filter": "(" * deep + ACTUAL + ")" * deep}),
        ("parentheses 8,000 deep", {"$filter": "(" * 8_000 + ACTUAL + ")" * 8_000}),
        ("unclosed parentheses 15,000 deep", {"$filter": "(" * 15_000 + ACTUAL}),
        ("not 1,500 deep", {"$filter": "not " * 1_500 + ACTUAL}),
        ("not( 4,000 deep", {"$filter": "not(" * 4_000 + ACTUAL + ")" * 4_000}),
        ("not and parentheses alternating", {"$filter": "not (" * 2_000 + ACTUAL + ")" * 2_000}),
        ("contains( nested 2,000 deep", {"$filter": "contains(" * 2_000 + "Part,'P'" + ")" * 2_000}),
        ("deep inside an and", {"$filter": f"{ACTUAL} and " + "(" * 4_000 + ACTUAL + ")" * 4_000}),
        ("1,000 or terms", {"$filter": " or ".join([ACTUAL] * 1_000)}),
        ("2,000 and terms", {"$filter": " and ".join([term] * 2_000)}),
        ("or of and chains, 1,600 terms", {"$filter": " or ".join([f"({term} and {term})"] * 800)}),
        ("200 conditions, the most allowed", {"$filter": " or ".join([term] * 200)}),
        ("a 40 KB string literal", {"$filter": "Part eq '" + "P" * 40_000 + "'"}),
        ("a 40 KB column name", {"$filter": "P" * 40_000 + " eq 'x'"}),
        ("a 40 KB number", {"$filter": "Amount gt " + "9" * 40_000}),
        ("a 40 KB decimal fraction", {"$filter": "Amount gt 0." + "1" * 40_000}),
        ("a number past f64", {"$filter": "Amount gt 1e400"}),
        ("quotes doubled 8,000 times", {"$filter": "Part eq '" + "''" * 8_000 + "'"}),
        ("2,500 orderby keys", {"$orderby": ",".join(["Date"] * 2_500)}),
        ("5,000 distinct orderby keys", {"$orderby": ",".join(f"C{i}" for i in range(5_000))}),
        ("orderby 40 KB name", {"$orderby": "D" * 40_000 + " desc"}),
        ("select 5,000 columns", {"$select": ",".join(["Date"] * 5_000)}),
        ("top past i64", {"$top": "9" * 40}),
        ("skip negative", {"$skip": "-1"}),
        ("skiptoken 40 KB", {"$skiptoken": "A" * 40_000}),
        ("control characters", {"$filter": "Part eq '\x00\x1b[2J\x7f'"}),
        ("a 14 KB URL of not(", {"$filter": "not(" * 3_500}),
        ("past the URL limit: parentheses 100,000 deep", {"$filter": "(" * 100_000 + ACTUAL + ")" * 100_000}),
        ("past the URL limit: 10,000 and terms", {"$filter": " and ".join([ACTUAL] * 10_000)}),
    ]


def deep_json(depth: int) -> str:
    return "[" * depth + "]" * depth


def body_cases() -> list[tuple[str, str, str, bytes, dict[str, str]]]:
    """Bodies nested far past any parser's recursion, or very long: JSON to the JSON endpoints,
    TOML to the tenant loader, XML in a SAML assertion, a form field of a megabyte. Each is
    (name, path, content type, body, extra headers)."""
    legacy = "/sap/fpa/services/rest/fpa/dataintegration?action=runScheduledJob&tenant=G"
    jobs = "/api/v1/dataimport/models/SALES_PLAN/factData"
    deep_object = '{"a":' * 100_000 + "1" + "}" * 100_000
    as_json = "application/json"
    saml = "<x>" * 100_000 + "</x>" * 100_000
    grant = urllib.parse.urlencode({
        "grant_type": "urn:ietf:params:oauth:grant-type:saml2-bearer",
        "assertion": base64.b64encode(saml.encode()).decode(),
    })
    client = {"Authorization": "Basic " + base64.b64encode(b"sacctl-user:sacctl-user-secret").decode()}
    return [
        ("import job: mapping nested 100,000 deep", jobs, as_json, ('{"Mapping":' + deep_json(100_000) + "}").encode(), {}),
        ("import job: an object nested 100,000 deep", jobs, as_json, deep_object.encode(), {}),
        ("import job: 1 MB mapping key", jobs, as_json, json.dumps({"Mapping": {"K" * 1_000_000: "Date"}}).encode(), {}),
        ("multi action: parameters nested 100,000 deep", "/api/v1/multiActions/t.G:MA_LOAD_ZEPPART/executions",
         as_json, ('{"parameterValues":' + deep_json(100_000) + "}").encode(), {}),
        ("legacy service: body nested 100,000 deep", legacy, as_json, deep_json(100_000).encode(), {}),
        ("legacy service: 50,000 keys", legacy, as_json, json.dumps({f"k{i}": i for i in range(50_000)}).encode(), {}),
        ("tenant: TOML arrays nested 100,000 deep", "/emulator/tenant", "application/toml",
         ("letter = " + deep_json(100_000)).encode(), {}),
        ("tenant: TOML inline tables nested 50,000 deep", "/emulator/tenant", "application/toml",
         ("letter = " + "{a = " * 50_000 + "1" + "}" * 50_000).encode(), {}),
        ("token: a SAML assertion nested 100,000 deep", "/oauth/token", "application/x-www-form-urlencoded",
         grant.encode(), client),
        ("token: a 1 MB password", "/oauth/token", "application/x-www-form-urlencoded",
         urllib.parse.urlencode({"grant_type": "password", "username": "JDOE", "password": "p" * 1_000_000}).encode(),
         client),
    ]


def send(method: str, url: str, headers: dict[str, str], body: bytes | None = None) -> tuple[int | None, str]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:
            answer.read()
            return answer.status, ""
    except urllib.error.HTTPError as e:
        return e.code, e.read()[:200].decode("utf-8", "replace")
    except Exception as e:  # a lost connection, a timeout: what this pass is looking for
        return None, f"{type(e).__name__}: {e}"


def main() -> int:
    tenant, api, token, csrf, cookie = sys.argv[1:6]
    auth = {"Authorization": f"Bearer {token}", "x-csrf-token": csrf, "Cookie": cookie,
            "x-sap-sac-custom-auth": "true"}
    failures, count, statuses = [], 0, {}
    cases = []
    for base in (tenant, api):
        for name, query in export_cases():
            url = base + SET + "?" + urllib.parse.urlencode(query, quote_via=urllib.parse.quote)
            cases.append((f"{name} ({base})", "GET", url, None))
    for name, path, content_type, body, extra in body_cases():
        cases.append((name, "POST", tenant + path, body, {"content-type": content_type, **extra}))
    for name, method, url, body, *extra in cases:
        headers = {**auth, **(extra[0] if extra else {})}
        began = time.monotonic()
        status, detail = send(method, url, headers, body)
        ms = int((time.monotonic() - began) * 1000)
        count += 1
        statuses[status] = statuses.get(status, 0) + 1
        print(f"{status or 'no answer'} {ms:>6} ms  {name}", file=sys.stderr)
        alive, _ = send("GET", tenant + "/emulator/health", {})
        if status is None or status >= 500 or alive != 200:
            failures.append(f"{name}: {status or detail} {detail}; the emulator answers health with {alive}")
    print(f"hostile cases: {count}, statuses {dict(sorted(statuses.items(), key=str))}", file=sys.stderr)
    for failure in failures:
        print(f"FAIL {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
