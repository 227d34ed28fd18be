#!/usr/bin/env bash
# Benchmark: how soon `sacctl schedule run --wait` sees the end of a run, and
# how many status reads the wait costs, for jobs of 1 s, 10 s and 60 s on the
# emulator's clock (`--job-duration`: a run ends N s after its trigger).
#
# From the emulator's request log (GET /emulator/requests, `at_ms` and
# `duration_ms` of each request): the run ends at most N s after the trigger
# request arrived, and sacctl learns it from the answer to its last
# getScheduleLogsByModel read. Latency = end of that answer - (trigger + N s),
# an upper bound (the run starts while the trigger is handled, a millisecond
# or so after it arrived). Reads = getScheduleLogsByModel requests after the
# trigger (finding the new run, then waiting for its end). The goal is a
# latency within max(250 ms, 5% of the job) for the default --poll-interval.
#
#   bash bench/detect.sh              # 1 s, 10 s and 60 s jobs, 3 runs each
#   bash bench/detect.sh 5 "3 30"     # 5 runs each of 3 s and 30 s jobs
#   SACCTL_BIN=target/debug/sacctl bash bench/detect.sh   # an existing build
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
lengths=(${2:-1 10 60})
bin=${SACCTL_BIN:-}
if [ -z "$bin" ]; then
  cargo build --release -q -p sacctl
  bin=target/release/sacctl
fi
work=$(mktemp -d)
trap 'kill $(cat "$work/emu.pid" 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT

printf '| job | run | latency ms | goal ms | status reads | reads/s | sacctl wall s | exit |\n|---:|---:|---:|---:|---:|---:|---:|---:|\n'
for n in "${lengths[@]}"; do
  "$bin" emulator --port 0 --api-port 0 --print-env --job-duration "${n}s" > "$work/env" 2> "$work/emu.log" &
  echo $! > "$work/emu.pid"
  for _ in $(seq 100); do [ "$(wc -l < "$work/env")" -ge 3 ] && break; sleep 0.1; done
  set -a; . "$work/env"; set +a
  export SACCTL_CLIENT_ID=sacctl-user SACCTL_CLIENT_SECRET=sacctl-user-secret SACCTL_GRANT=password
  export SACCTL_USER=JDOE SACCTL_PASSWORD='Welcome1!' SACCTL_CACHE_DIR="$work/cache"
  for r in $(seq "$runs"); do
    curl -s -X DELETE "$SACCTL_TENANT_URL/emulator/requests" > /dev/null
    set +e
    /usr/bin/time -f '%e' -o "$work/time" "$bin" --quiet schedule run F58CA15F78AA9039E200586F05E2BB93 \
        --model t.G:ZEPPART_001 --wait --output json > "$work/result.json"
    code=$?
    set -e
    curl -s "$SACCTL_TENANT_URL/emulator/requests" > "$work/requests.json"
    python3 - "$n" "$r" "$(cat "$work/time")" "$code" "$work/requests.json" <<'EOF'
import json, sys
n, r, wall, code, path = float(sys.argv[1]), sys.argv[2], float(sys.argv[3]), sys.argv[4], sys.argv[5]
requests = json.load(open(path))["requests"]
trigger = next(q for q in requests if "runScheduledJob" in q["query"] and q["status"] == 200)
reads = [q for q in requests if "getScheduleLogsByModel" in q["query"] and q["at_ms"] > trigger["at_ms"]]
seen = reads[-1]["at_ms"] + reads[-1]["duration_ms"]
latency = seen - (trigger["at_ms"] + n * 1000)
goal = max(250, 0.05 * n * 1000)
span = (seen - trigger["at_ms"]) / 1000
print(f"| {n:g} s | {r} | {latency:.0f} | {goal:.0f} | {len(reads)} | {len(reads) / span:.2f} | {wall:.2f} | {code} |")
EOF
  done
  kill "$(cat "$work/emu.pid")"; wait "$(cat "$work/emu.pid")" 2>/dev/null || true
done
