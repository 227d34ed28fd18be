#!/usr/bin/env bash
# Fuzzes every endpoint of a local SAC emulator from its own OpenAPI document
# (/emulator/openapi.json) with Schemathesis from PyPI, in a throwaway venv:
#  1. an emulator on free loopback ports (state in a temporary directory);
#  2. a user's bearer token (password grant, JDOE) with the CSRF token and session cookie of
#     that token, sent with every request, so that authenticated paths are reached;
#  3. `schemathesis run` against the browser domain (every operation) and against the direct API
#     domain (the operations it serves), checking: no 5xx, every answer within
#     FUZZ_MAX_RESPONSE_TIME seconds (no hang), and the emulator still alive at the end (no crash);
#  4. hostile.py: hand-made cases a schema-driven fuzzer does not reach (a $filter nested
#     thousands deep, expressions and values tens of kilobytes long, JSON, TOML and SAML bodies
#     nested 100,000 deep), on both domains: no 5xx, an answer in time, the emulator alive after each;
#  5. last, the operations that end sessions or replace the tenant (reset, tenant loading, and
#     advancing the emulator time, which expires the pass's token and session).
# Not fuzzed: POST /emulator/faults, whose job is to make the emulator answer 5xx, drop
# connections, delay answers or abort on purpose, and POST /emulator/shutdown, which stops it.
#
# Bounds (environment): FUZZ_MAX_EXAMPLES test cases per operation and phase (default 25),
# FUZZ_MAX_TIME seconds per schemathesis run (default 120), FUZZ_MAX_RESPONSE_TIME (default 5),
# FUZZ_SEED (default 1), FUZZ_REPORT_DIR to keep the reports (JUnit XML, NDJSON events).
# Needs python3 (3.10+), cargo, PyPI. See docs/fuzzing.md for the figures of a run.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=../../.ci/lib.sh
. "$here/../../.ci/lib.sh"
started=$(date +%s)
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

max_examples="${FUZZ_MAX_EXAMPLES:-25}"
max_time="${FUZZ_MAX_TIME:-120}"
max_response_time="${FUZZ_MAX_RESPONSE_TIME:-5}"
seed="${FUZZ_SEED:-1}"
reports="${FUZZ_REPORT_DIR:-$work/reports}"
mkdir -p "$reports"

echo "venv: schemathesis (current)..." >&2
make_venv "$work/venv" schemathesis
st="$work/venv/bin/schemathesis"
"$st" --version >&2

start_emulator "$work/emulator" --job-duration 1s
trap 'kill "$EMULATOR_PID" 2>/dev/null || true; rm -rf "$work"' EXIT
tenant="$SACCTL_TENANT_URL"
api="$SACCTL_API_URL"

# A user token, and the CSRF token + session cookie that belong to it.
token="$(curl -sfS -u sacctl-user:sacctl-user-secret -d grant_type=password -d username=JDOE \
    --data-urlencode 'password=Welcome1!' "$SACCTL_TOKEN_URL" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')"
curl -sfS -D "$work/csrf.headers" -o /dev/null -H "Authorization: Bearer $token" -H "x-csrf-token: Fetch" \
    "$tenant/api/v1/csrf"
csrf="$(grep -i '^x-csrf-token:' "$work/csrf.headers" | cut -d' ' -f2 | tr -d '\r')"
cookie="$(grep -i '^set-cookie: JSESSIONID=' "$work/csrf.headers" | cut -d' ' -f2 | cut -d';' -f1)"
[[ -n "$csrf" && -n "$cookie" ]] || { echo "FAIL no CSRF token or session cookie from /api/v1/csrf" >&2; exit 1; }
curl -sfS -o "$work/openapi.json" "$tenant/emulator/openapi.json"

fuzz() {
    local name="$1" url="$2"
    shift 2
    echo "== schemathesis: $name ($url)" >&2
    local rc=0
    # From the work directory: Schemathesis keeps its example database in ./.schemathesis.
    (cd "$work" && "$st" run "$work/openapi.json" --url "$url" \
        --checks not_a_server_error --max-response-time "$max_response_time" \
        --max-examples "$max_examples" --max-time "$max_time" --seed "$seed" \
        --request-timeout "$((max_response_time * 2))" --workers 2 --no-color \
        --suppress-health-check all --warnings off \
        -H "Authorization: Bearer $token" -H "x-csrf-token: $csrf" -H "Cookie: $cookie" \
        --report junit,ndjson --report-junit-path "$reports/$name.xml" --report-ndjson-path "$reports/$name.ndjson" \
        "$@") || rc=$?
    if ! kill -0 "$EMULATOR_PID" 2>/dev/null; then
        echo "FAIL the emulator died during the $name pass:" >&2
        tail -40 "$work/emulator/emulator.log" >&2
        exit 1
    fi
    return "$rc"
}

status=0
# Operations that end the session or replace the tenant come last, in their own pass.
last='^/emulator/(reset|tenant|clock/advance)$'
fuzz browser-domain "$tenant" --exclude-operation-id add_fault --exclude-operation-id shutdown \
    --exclude-path-regex "$last" || status=1
# The API domain serves the paths that carry no `servers` of their own.
shared="$(python3 -c 'import json,sys,re
doc = json.load(open(sys.argv[1]))
print("^(" + "|".join(re.escape(p) for p, item in doc["paths"].items() if "servers" not in item) + ")$")' "$work/openapi.json")"
fuzz api-domain "$api" --include-path-regex "$shared" || status=1
echo "== hostile cases (deep nesting, long expressions)" >&2
"$work/venv/bin/python" "$here/hostile.py" "$tenant" "$api" "$token" "$csrf" "$cookie" || status=1
# Three operations: a quarter of the time budget is plenty.
max_time=$(((max_time + 3) / 4)) fuzz browser-domain-resets "$tenant" --include-path-regex "$last" || status=1

curl -sfS -o /dev/null "$tenant/emulator/health" || { echo "FAIL the emulator does not answer after fuzzing" >&2; exit 1; }
echo "== figures (all passes)" >&2
"$work/venv/bin/python" "$here/summary.py" "$reports"/*.ndjson >&2
echo "fuzz run took $(($(date +%s) - started)) s; reports in $reports" >&2
if [[ "$status" != 0 ]]; then
    echo "FAIL schemathesis found failures (see above)" >&2
    exit 1
fi
