#!/usr/bin/env bash
# Benchmark: `sacctl import push` of 100k and 1M fact rows from CSV into the
# emulator (release build, loopback). Prints, per size: wall time, rows/s end
# to end, sacctl's peak RSS and CPU time, the emulator's busy time (the sum
# of its Data Import request durations; uploads overlap with --parallel 2, so
# it can exceed the wall time) and the emulator's peak RSS.
#
#   bash bench/push.sh            # 100000 and 1000000 rows
#   bash bench/push.sh 20000      # other sizes
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("${@:-100000 1000000}")
cargo build --release -q -p sacctl
bin=target/release/sacctl
work=$(mktemp -d)
trap 'kill $(cat "$work/emu.pid" 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT

printf '| rows | wall s | rows/s | sacctl peak RSS MiB | sacctl CPU s | emulator busy s | emulator peak RSS MiB |\n|---:|---:|---:|---:|---:|---:|---:|\n'
for n in ${sizes[@]}; do
  python3 bench/gen_facts.py "$n" > "$work/facts.csv"
  "$bin" emulator --port 0 --api-port 0 --print-env --job-duration 0s > "$work/env" 2> "$work/emu.log" &
  echo $! > "$work/emu.pid"
  for _ in $(seq 100); do [ "$(wc -l < "$work/env")" -ge 3 ] && break; sleep 0.1; done
  set -a; . "$work/env"; set +a
  export SACCTL_CLIENT_ID=sacctl-api SACCTL_CLIENT_SECRET=sacctl-api-secret SACCTL_GRANT=client_credentials
  export SACCTL_CACHE_DIR="$work/cache"
  /usr/bin/time -f '%e %M %U %S' -o "$work/time" "$bin" --quiet import push --model SALES_PLAN \
      --file "$work/facts.csv" --chunk-rows 50000 --parallel 2 --timeout 30m --output json > "$work/result.json"
  read -r wall rss_kb user sys < "$work/time"
  busy=$(curl -s "$SACCTL_TENANT_URL/emulator/requests" | python3 -c 'import json,sys; print(round(sum(r["duration_ms"] for r in json.load(sys.stdin)["requests"] if r["path"].startswith("/api/v1/dataimport"))/1000, 1))')
  written=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["rows_written"])' "$work/result.json")
  [ "$written" = "$n" ] || { echo "only $written of $n rows written" >&2; exit 1; }
  emu_rss=$(awk '/VmHWM/ {print int($2/1024)}' "/proc/$(cat "$work/emu.pid")/status")
  kill "$(cat "$work/emu.pid")"; wait "$(cat "$work/emu.pid")" 2>/dev/null || true
  python3 -c "import sys; n,w,r,u,s,b,e=sys.argv[1:]; print(f'| {int(n):,} | {float(w):.1f} | {int(n)/float(w):,.0f} | {int(r)/1024:.0f} | {float(u)+float(s):.1f} | {b} | {e} |')" "$n" "$wall" "$rss_kb" "$user" "$sys" "$busy" "$emu_rss"
done
