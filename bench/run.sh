#!/usr/bin/env bash
# The emulator's benchmarks in one command (docs/benchmarks.md): a 1M-row
# `sacctl import push` (emulator in memory and with --data-dir) next to the
# Python sqlite3 baseline, authenticated polls next to /emulator/health under
# oha, polls with a long run history, a 1M-row export (whole and page by
# page), a delta export after 1% of the rows changed, and the emulator's peak RSS. Prints one Markdown table on stdout;
# progress goes to stderr.
#
# It talks to sacctl's CLI, HTTP and the emulator's admin API only, never to
# emulator internals, so it measures any version of the emulator alike.
#
#   bash bench/run.sh                       # the full run (about 3-4 minutes after the build)
#   bash bench/run.sh --out table.md        # also write the table to a file
#   bash bench/run.sh --smoke               # 10k rows, 1 s loads: does the script work?
#   bash bench/run.sh --tune                # push timings for several --chunk-rows/--parallel, then exit
#                                           # (tune_settings="50000:2 50000:4" picks which)
#   bash bench/run.sh --rows 200000 --load 3s --chunk-rows 100000 --parallel 2
set -euo pipefail
called_from=$PWD
cd "$(dirname "$0")/.."

usage() { awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "$0"; }

rows=1000000 load=5s history=10000 chunk_rows=50000 parallel=2 out="" tune=false
connections="1 16 64"
emulator_flags=()
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) rows=10000 load=1s history=1000 emulator_flags=(--export-page-size 1000) ;;
    --out) out=${2:?--out needs a file}; shift ;;
    --rows) rows=${2:?--rows needs a number}; shift ;;
    --load) load=${2:?--load needs a duration like 5s}; shift ;;
    --history) history=${2:?--history needs a number}; shift ;;
    --chunk-rows) chunk_rows=${2:?--chunk-rows needs a number}; shift ;;
    --parallel) parallel=${2:?--parallel needs a number}; shift ;;
    --tune) tune=true ;;
    -h | --help) usage; exit 0 ;;
    *) echo "bench: unknown option $1 (see bash bench/run.sh --help)" >&2; exit 2 ;;
  esac
  shift
done
case "$out" in "" | /*) ;; *) out="$called_from/$out" ;; esac

log() { printf 'bench: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

for tool in python3 curl cargo; do
  command -v "$tool" > /dev/null || die "$tool is needed and not on PATH"
done
[ -x /usr/bin/time ] || die "/usr/bin/time is needed (Debian: apt-get install time)"
oha=$(command -v oha || echo "$HOME/.cargo/bin/oha")
if [ ! -x "$oha" ]; then
  log "oha (the HTTP load generator) is not installed: installing it with 'cargo install --locked oha' (a few minutes, once)"
  cargo install --locked oha >&2
fi
"$oha" --version > /dev/null || die "oha does not run"
# oha 1.x before 1.5 spelled its JSON output --json.
oha_json=(--output-format json)
"$oha" --help | grep -q -- --output-format || oha_json=(--json)

log "building sacctl (release)"
cargo build --release -q -p sacctl
bin=${CARGO_TARGET_DIR:-target}/release/sacctl

work=$(mktemp -d "${TMPDIR:-/tmp}/sacctl-bench.XXXXXX")
cleanup() {
  local pid
  for pid in $(cat "$work/pids" 2> /dev/null); do kill "$pid" 2> /dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
# Nothing of the user's setup may leak in: no profile, no cached token, no proxy.
export XDG_CONFIG_HOME="$work/config" SACCTL_CACHE_DIR="$work/cache" NO_PROXY=127.0.0.1 no_proxy=127.0.0.1
unset SACCTL_PROFILE SACCTL_CONFIG HTTP_PROXY HTTPS_PROXY http_proxy https_proxy ALL_PROXY all_proxy
results="$work/results"
record() { printf '%s=%s\n' "$1" "$2" >> "$results"; }
clk_tck=$(getconf CLK_TCK)

# --- the emulator --------------------------------------------------------------

# start_emulator NAME [FLAGS...]: a fresh emulator on free ports; sets $emu
# (its pid) and exports the SACCTL_*_URL variables it prints.
start_emulator() {
  local name=$1
  shift
  "$bin" emulator --port 0 --api-port 0 --print-env --job-duration 0s "${emulator_flags[@]}" "$@" \
    > "$work/$name.env" 2> "$work/$name.log" &
  emu=$!
  echo "$emu" >> "$work/pids"
  for _ in $(seq 1200); do
    [ "$(wc -l < "$work/$name.env")" -ge 3 ] && break
    kill -0 "$emu" 2> /dev/null || { cat "$work/$name.log" >&2; die "the emulator ($name) ended before it was ready"; }
    sleep 0.1
  done
  [ "$(wc -l < "$work/$name.env")" -ge 3 ] || die "the emulator ($name) was not ready after 120 s"
  set -a
  . "$work/$name.env"
  set +a
}

stop_emulator() {
  kill "$emu"
  wait "$emu" 2> /dev/null || true
}

emu_cpu_ticks() { awk '{print $14 + $15}' "/proc/$emu/stat"; }
emu_status_mib() { awk -v k="$1:" '$1 == k {printf "%.1f", $2 / 1024}' "/proc/$emu/status"; }
ticks_to_s() { python3 -c "print(f'{($2 - $1) / $clk_tck:.2f}')"; }
# time_sacctl LABEL ARGS...: runs sacctl under /usr/bin/time, stdout to $work/LABEL.out.
time_sacctl() {
  local label=$1
  shift
  /usr/bin/time -f '%e %M %U %S' -o "$work/$label.time" "$bin" --quiet "$@" > "$work/$label.out" \
    || die "sacctl $* failed (exit $?): $(tail -n 5 "$work/$label.time")"
}
# sacctl_figures LABEL PREFIX: wall, CPU and peak RSS of a time_sacctl run.
sacctl_figures() {
  local wall rss user sys
  read -r wall rss user sys < "$work/$1.time"
  record "$2_wall_s" "$wall"
  record "$2_sacctl_cpu_s" "$(python3 -c "print(f'{$user + $sys:.2f}')")"
  record "$2_sacctl_rss_mib" "$(python3 -c "print(f'{$rss / 1024:.1f}')")"
}
# bearer CURL_CONFIG: a token from the token service, written as an
# Authorization header to $work/auth (curl reads it with -H @file). The
# credentials reach curl as a config on stdin, not on its command line.
bearer() {
  printf '%s\n' "$1" | curl -sSf -K - "$SACCTL_TOKEN_URL" \
    | python3 -c 'import json, sys; print("Authorization: Bearer " + json.load(sys.stdin)["access_token"])' > "$work/auth"
}
api_client='user = "sacctl-api:sacctl-api-secret"
data = "grant_type=client_credentials"'
jdoe='user = "sacctl-user:sacctl-user-secret"
data = "grant_type=password"
data = "username=JDOE"
data-urlencode = "password=Welcome1!"'
# stored_rows: how many facts SALES_PLAN holds (the admin API's total).
stored_rows() {
  curl -sSf "$SACCTL_TENANT_URL/emulator/models/t.G:SALES_PLAN/rows?limit=1" \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["total"])'
}

# The technical client of the demo tenant, as bench users would push.
export SACCTL_CLIENT_ID=sacctl-api SACCTL_CLIENT_SECRET=sacctl-api-secret SACCTL_GRANT=client_credentials

# push LABEL: the whole file into SALES_PLAN of the running emulator, checked.
push() {
  local label=$1 before written stored held
  rm -rf "$SACCTL_CACHE_DIR"
  held=$(stored_rows)
  before=$(emu_cpu_ticks)
  time_sacctl "push_$label" import push --model SALES_PLAN --file "$work/facts.csv" \
    --chunk-rows "$chunk_rows" --parallel "$parallel" --timeout 30m --output json
  record "push_${label}_emu_cpu_s" "$(ticks_to_s "$before" "$(emu_cpu_ticks)")"
  record "push_${label}_emu_hwm_mib" "$(emu_status_mib VmHWM)"
  sacctl_figures "push_$label" "push_$label"
  written=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["rows_written"])' "$work/push_$label.out")
  # Every row has a new key: the model must hold exactly that many more.
  stored=$(($(stored_rows) - held))
  record "push_${label}_written" "$written"
  record "push_${label}_stored" "$stored"
  [ "$written" = "$rows" ] && [ "$stored" = "$rows" ] \
    || die "push ($label): $written rows written and $stored stored, of $rows"
  log "push ($label): $(cut -d' ' -f1 "$work/push_$label.time") s for $rows rows"
}

# Other work on the machine skews every figure: the table states the load.
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
commit=$(git rev-parse --short HEAD 2> /dev/null || echo unknown)
dirty=$(git status --porcelain --untracked-files=no 2> /dev/null | grep -q . && echo ", uncommitted changes" || true)
log "writing $rows fact rows"
python3 bench/gen_facts.py "$rows" > "$work/facts.csv"

# --- --tune: which client settings push fastest ----------------------------------

if $tune; then
  printf '| --chunk-rows | --parallel | wall s | rows/s | sacctl peak RSS MiB | emulator CPU s |\n|---:|---:|---:|---:|---:|---:|\n'
  for setting in ${tune_settings:-25000:2 50000:1 50000:2 50000:4 100000:1 100000:2 100000:4}; do
    chunk_rows=${setting%:*} parallel=${setting#*:}
    start_emulator tune
    push tune
    stop_emulator
    read -r wall rss _ < "$work/push_tune.time"
    emu_cpu=$(awk -F= '$1 == "push_tune_emu_cpu_s" {print $2}' "$results")
    python3 -c "import sys; c, p, w, r, n, e = sys.argv[1:]; print(f'| {int(c):,} | {p} | {float(w):.1f} | {int(n) / float(w):,.0f} | {int(r) / 1024:.0f} | {e} |')" \
      "$chunk_rows" "$parallel" "$wall" "$rss" "$rows" "$emu_cpu"
    : > "$results"
  done
  exit 0
fi

# --- 1 and 2: push, baseline, export, RSS ----------------------------------------

record rows "$rows"
log "Python sqlite3 baseline (in memory, then a WAL file)"
python3 bench/tools.py baseline "$work/facts.csv" "$work" >> "$results"

log "push, emulator in memory"
start_emulator mem
push mem

log "export (sacctl), then page by page (curl)"
before=$(emu_cpu_ticks)
time_sacctl export export --model SALES_PLAN --out "$work/export.csv"
record export_emu_cpu_s "$(ticks_to_s "$before" "$(emu_cpu_ticks)")"
sacctl_figures export export
exported=$(($(wc -l < "$work/export.csv") - 1))
total=$(stored_rows)
[ "$exported" = "$total" ] || die "export: $exported rows exported of $total stored"
record export_rows "$exported"
bearer "$api_client"
python3 bench/tools.py pages "$SACCTL_API_URL/api/v1/dataexport/providers/sac/SALES_PLAN/FactData" "$work/auth" "$emu" \
  >> "$results"
paged=$(awk -F= '$1 == "pages_rows" {print $2}' "$results")
[ "$paged" = "$total" ] || die "export pages: $paged rows read of $total stored"
record emu_mem_hwm_mib "$(emu_status_mib VmHWM)"
record emu_mem_rss_mib "$(emu_status_mib VmRSS)"

# A delta export (issue 17): a named subscription's full load, then 1% of the
# rows changed by a push with Update, then the delta, which must hold exactly
# those rows and cost about 1% of the full export above.
log "delta export: full load, 1% changed, delta"
export SACCTL_STATE_DIR="$work/state"
time_sacctl delta_full export --model SALES_PLAN --delta bench --out "$work/delta_full.csv" --output json
sacctl_figures delta_full delta_full
changes=$((rows / 100))
python3 -c 'import sys
lines = open(sys.argv[1]).read().splitlines()
n = int(sys.argv[2])
print(lines[0])
for line in lines[1 : n + 1]:
    cells = line.split(",")
    cells[4] = str(float(cells[4]) + 1)
    print(",".join(cells))' "$work/facts.csv" "$changes" > "$work/changes.csv"
time_sacctl delta_push import push --model SALES_PLAN --file "$work/changes.csv" --timeout 30m --output json
before=$(emu_cpu_ticks)
time_sacctl delta export --model SALES_PLAN --delta bench --out "$work/delta.csv" --output json
record delta_emu_cpu_s "$(ticks_to_s "$before" "$(emu_cpu_ticks)")"
sacctl_figures delta delta
delta_changed=$(python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(d["changed"] + d["deleted"])' "$work/delta.out")
[ "$delta_changed" = "$changes" ] || die "delta export: $delta_changed rows of $changes changed"
record delta_rows "$delta_changed"
stop_emulator

log "push, emulator with --data-dir"
start_emulator disk --data-dir "$work/data"
push disk
stop_emulator

# --- 3 and 4: polls ----------------------------------------------------------

poll_path="/sap/fpa/services/rest/fpa/dataintegration?action=getScheduleLogsByModel&tenant=G"
poll_body='{"jobType":"bpcDataImport","modelName":"t.G:ZEPPART_001","mappingId":[]}'

# check_poll: one poll with curl; prints the number of runs in the answer.
check_poll() {
  local status
  status=$(curl -sS -o "$work/poll.json" -w '%{http_code} %{content_type}' -X POST -H "@$work/auth" \
    -H 'content-type: application/json' --data "$poll_body" "$SACCTL_API_URL$poll_path")
  python3 bench/tools.py check-poll "$work/poll.json" ${status% *} "${status#* }"
}
# load PREFIX CONNECTIONS URL [OHA FLAGS...]: one bounded oha run, summarised.
load() {
  local prefix=$1 c=$2 url=$3 before
  shift 3
  before=$(emu_cpu_ticks)
  "$oha" --no-tui "${oha_json[@]}" -w -z "$load" -c "$c" "$@" "$url" > "$work/$prefix.oha.json" \
    || die "oha failed on $url"
  record "${prefix}_emu_cpu_s" "$(ticks_to_s "$before" "$(emu_cpu_ticks)")"
  python3 bench/tools.py oha "$prefix" "$work/$prefix.oha.json" >> "$results"
}
poll_flags() {
  # The demo tenant's token for the local emulator, the only place oha can take a header from.
  printf '%s\0' -m POST -H "$(cat "$work/auth")" -T application/json -d "$poll_body"
}

log "polls and health at $connections connections, $load each"
start_emulator polls
bearer "$jdoe"
runs=$(check_poll)
[ "$runs" -ge 1 ] || die "the poll shows no runs"
mapfile -d '' flags < <(poll_flags)
record connections "$connections"
for c in $connections; do
  load "health_c$c" "$c" "$SACCTL_TENANT_URL/emulator/health"
  load "poll_c$c" "$c" "$SACCTL_API_URL$poll_path" "${flags[@]}"
done
stop_emulator

log "polls with $history more runs in the log"
"$bin" emulator --print-tenant | python3 bench/tools.py history-tenant "$history" > "$work/history.toml"
start_emulator history --tenant "$work/history.toml"
bearer "$jdoe"
runs=$(check_poll)
[ "$runs" -gt "$history" ] || die "the poll shows $runs runs, expected more than $history"
record history_runs "$runs"
mapfile -d '' flags < <(poll_flags)
load hist_c1 1 "$SACCTL_API_URL$poll_path" "${flags[@]}"
stop_emulator

# --- the table -------------------------------------------------------------------

cpu=$(lscpu 2> /dev/null | sed -n 's/^Model name: *//p' | head -n 1)
mem=$(awk '/MemTotal/ {printf "%.0f", $2 / 1048576}' /proc/meminfo)
record caption "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $commit$dirty; $(nproc) cores ($cpu), $mem GiB, load average $load_before at the start and $(cut -d' ' -f1-3 /proc/loadavg) at the end; push --chunk-rows $chunk_rows --parallel $parallel; oha $load per load, loopback"
python3 bench/tools.py table "$results" > "$work/table.md"
cat "$work/table.md"
if [ -n "$out" ]; then cp "$work/table.md" "$out" && log "table written to $out"; fi
