#!/usr/bin/env python3
"""The number-crunching half of bench/run.sh (the shell half starts the
processes): the Python sqlite3 baseline, per-page timing of a Data Export
read, oha summaries, checks that a poll answer is real, a tenant with a long
run history, and the final Markdown table.

Every subcommand that measures prints `key=value` lines; run.sh appends them
to one results file, and `table` turns that file into the report.

    tools.py baseline FACTS.CSV DIR        # upsert the rows into SQLite: memory, then a WAL file in DIR
    tools.py pages URL HEADER_FILE PID     # GET the FactData pages one by one with curl, timing each
    tools.py oha PREFIX OHA.JSON           # requests/s, p50, p99 of one oha run (all answers must be 200)
    tools.py check-poll BODY CODE TYPE     # a getScheduleLogsByModel answer is JSON with runs (prints the count)
    tools.py history-tenant N < DEMO.TOML  # the demo tenant with N more finished runs in its history
    tools.py table RESULTS                 # the Markdown table
"""
import csv
import datetime
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import tomllib


def fail(message):
    print(f"bench: {message}", file=sys.stderr)
    sys.exit(1)


def emit(**values):
    for key, value in values.items():
        print(f"{key}={value}")


# --- the sqlite3 baseline ---------------------------------------------------

UPSERT = (
    "INSERT INTO facts VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (Version, Date, Part, Country) "
    "DO UPDATE SET Amount = excluded.Amount, Quantity = excluded.Quantity"
)


def upsert_seconds(conn, rows):
    """Times the upsert of all rows in one transaction, commit (and, for a
    file, the close that checkpoints the WAL) included."""
    start = time.perf_counter()
    conn.execute(
        "CREATE TABLE facts (Version TEXT NOT NULL, Date TEXT NOT NULL, Part TEXT NOT NULL, "
        "Country TEXT NOT NULL, Amount REAL, Quantity REAL, PRIMARY KEY (Version, Date, Part, Country))"
    )
    with conn:
        conn.executemany(UPSERT, rows)
    stored = conn.execute("SELECT count(*) FROM facts").fetchone()[0]
    conn.close()
    elapsed = time.perf_counter() - start
    if stored != len(rows):
        fail(f"the sqlite3 baseline stored {stored} of {len(rows)} rows")
    return elapsed


def baseline(csv_path, directory):
    # Parsing is not timed: the baseline is the store's work alone.
    with open(csv_path, newline="") as f:
        reader = csv.reader(f)
        next(reader)
        rows = [(v, d, p, c, float(a), float(q)) for v, d, p, c, a, q in reader]
    memory = upsert_seconds(sqlite3.connect(":memory:"), rows)
    path = os.path.join(directory, "baseline.sqlite3")
    conn = sqlite3.connect(path)
    # The emulator's --data-dir settings.
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    wal = upsert_seconds(conn, rows)
    emit(baseline_rows=len(rows), baseline_memory_s=f"{memory:.3f}", baseline_wal_s=f"{wal:.3f}")


# --- Data Export pages ---------------------------------------------------------

def cpu_ticks(pid):
    """utime + stime of a process, in clock ticks (/proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def pages(url, header_file, pid):
    """Follows @odata.nextLink with curl (the bearer header read from a file,
    never from argv), timing each page and the emulator's CPU for it: does a
    late page cost more? (CPU time holds up when the machine is busy; wall
    time does not.)"""
    tick_ms = 1000 / os.sysconf("SC_CLK_TCK")
    times, cpus, rows, size = [], [], 0, 0
    with tempfile.TemporaryDirectory() as tmp:
        body = os.path.join(tmp, "page.json")
        while url:
            before = cpu_ticks(pid)
            done = subprocess.run(
                ["curl", "-sS", "-o", body, "-w", "%{http_code} %{time_total}", "-H", f"@{header_file}", url],
                capture_output=True, text=True,
            )
            if done.returncode != 0:
                fail(f"curl failed on {url}: {done.stderr.strip()}")
            cpus.append((cpu_ticks(pid) - before) * tick_ms)
            code, seconds = done.stdout.split()
            if code != "200":
                fail(f"export page {len(times) + 1} answered HTTP {code}: {open(body).read(300)}")
            with open(body) as f:
                page = json.load(f)
            rows += len(page["value"])
            size = size or len(page["value"])
            times.append(float(seconds) * 1000)
            url = page.get("@odata.nextLink")
    k = min(5, len(times))
    first, last = sum(times[:k]) / k, sum(times[-k:]) / k
    emit(pages_first5_cpu_ms=f"{sum(cpus[:k]) / k:.1f}", pages_last5_cpu_ms=f"{sum(cpus[-k:]) / k:.1f}")
    emit(pages_count=len(times), pages_rows=rows, pages_size=size, pages_first_ms=f"{times[0]:.1f}",
         pages_first5_ms=f"{first:.1f}", pages_last5_ms=f"{last:.1f}", pages_max_ms=f"{max(times):.1f}",
         pages_total_s=f"{sum(times) / 1000:.2f}", pages_k=k)


# --- oha -------------------------------------------------------------------

def oha(prefix, path):
    with open(path) as f:
        report = json.load(f)
    codes = report.get("statusCodeDistribution", {})
    errors = report.get("errorDistribution", {})
    if set(codes) != {"200"} or errors:
        fail(f"{prefix}: not every answer was 200: status codes {codes}, errors {errors}")
    latency = report["latencyPercentiles"]
    emit(**{
        f"{prefix}_rps": f"{report['summary']['requestsPerSec']:.0f}",
        f"{prefix}_p50_ms": f"{latency['p50'] * 1000:.3f}",
        f"{prefix}_p99_ms": f"{latency['p99'] * 1000:.3f}",
        f"{prefix}_requests": codes["200"],
    })


# --- polls -----------------------------------------------------------------

def check_poll(body_path, code, content_type):
    """A poll that 'works' but answers the login page (200 text/html) is the
    classic failure; insist on the JSON envelope with the schedule's runs."""
    with open(body_path, "rb") as f:
        raw = f.read()
    if code != "200" or not content_type.startswith("application/json"):
        fail(f"the poll answered HTTP {code} {content_type}: {raw[:300]!r}")
    answer = json.loads(raw)
    if answer.get("status") != 200 or not answer.get("data"):
        fail(f"the poll answered no schedules: {raw[:300]!r}")
    print(sum(len(s.get("refreshLogs", [])) for s in answer["data"]))


def history_tenant(n):
    """Appends N finished runs of the tenant's first schedule, one minute
    apart, older than the runs already there."""
    text = sys.stdin.read()
    tenant = tomllib.loads(text)
    schedule = tenant["schedules"][0]["schedule_id"]
    user = next(u["id"] for u in tenant["users"] if u.get("role") == "planner")
    start = datetime.datetime(2015, 1, 1, tzinfo=datetime.timezone.utc)
    entries = []
    for i in range(n):
        begin = start + datetime.timedelta(minutes=i)
        entries.append(
            f'\n[[history]]\nschedule_id = "{schedule}"\nexecution_id = "B{i:031X}"\nuser = "{user}"\n'
            f'start_time = "{begin:%Y-%m-%dT%H:%M:%SZ}"\nend_time = "{begin + datetime.timedelta(seconds=30):%Y-%m-%dT%H:%M:%SZ}"\n'
        )
    out = text.rstrip("\n") + "\n" + "".join(entries)
    if len(tomllib.loads(out)["history"]) != len(tenant.get("history", [])) + n:
        fail("the generated tenant does not hold the added history")
    sys.stdout.write(out)


# --- the table -------------------------------------------------------------

MB_MIB = 1e6 / 2**20  # the targets are in MB; figures are in MiB


def table(path):
    r = {}
    with open(path) as f:
        for line in f:
            key, _, value = line.rstrip("\n").partition("=")
            r[key] = value
    f_ = lambda k: float(r[k])
    n = int(r["rows"])
    lines = []

    def row(what, result, target="", met=None):
        mark = "" if met is None else ("yes" if met else "**no**")
        lines.append(f"| {what} | {result} | {target} | {mark} |")

    base_mem, base_wal = f_("baseline_memory_s"), f_("baseline_wal_s")
    row(f"Python sqlite3 upsert of the {n:,} pre-parsed rows, in memory",
        f"{base_mem:.2f} s, {n / base_mem:,.0f} rows/s", "the reference")
    row(f"Python sqlite3 upsert, file database with WAL",
        f"{base_wal:.2f} s, {n / base_wal:,.0f} rows/s", "the reference for --data-dir")
    for label, title in (("mem", "emulator in memory"), ("disk", "emulator with --data-dir")):
        wall = f_(f"push_{label}_wall_s")
        ratio = wall / base_mem
        if label == "mem":
            target, met = "no slower than sqlite3 in memory (<= 1.0x)", ratio <= 1.0
        else:
            target, met = "within 1.5x of sqlite3 in memory", ratio <= 1.5
        row(f"`import push` {n:,} rows, {title}: wall",
            f"{wall:.1f} s, {n / wall:,.0f} rows/s; {ratio:.2f}x sqlite3 in memory"
            + (f", {wall / base_wal:.2f}x sqlite3 WAL file" if label == "disk" else ""),
            target, met)
        rss = f_(f"push_{label}_sacctl_rss_mib")
        row(f"  sacctl during that push", f"CPU {f_(f'push_{label}_sacctl_cpu_s'):.1f} s, peak RSS {rss:.0f} MiB",
            "RSS < 64 MB", rss < 64 * MB_MIB)
        row(f"  emulator during that push",
            f"CPU {f_(f'push_{label}_emu_cpu_s'):.1f} s, peak RSS {f_(f'push_{label}_emu_hwm_mib'):.0f} MiB", "")
        row(f"  rows arrived", f"{r[f'push_{label}_written']} written (push JSON), {r[f'push_{label}_stored']} stored (admin API)",
            f"all {n:,}", r[f"push_{label}_written"] == r[f"push_{label}_stored"] == str(n))
    def per_request(prefix):
        return f"emulator CPU {f_(f'{prefix}_emu_cpu_s') * 1e6 / f_(f'{prefix}_requests'):,.0f} us/request"

    for c in r["connections"].split():
        health, poll = f"health_c{c}", f"poll_c{c}"
        share = f_(f"{poll}_rps") / f_(f"{health}_rps")
        row(f"`GET /emulator/health`, {c} connection{'s' if c != '1' else ''}",
            f"{f_(f'{health}_rps'):,.0f} req/s, p50 {f_(f'{health}_p50_ms'):.2f} ms, p99 {f_(f'{health}_p99_ms'):.2f} ms; "
            + per_request(health))
        result = (f"{f_(f'{poll}_rps'):,.0f} req/s ({share:.0%} of health), "
                  f"p50 {f_(f'{poll}_p50_ms'):.2f} ms, p99 {f_(f'{poll}_p99_ms'):.2f} ms; " + per_request(poll))
        if c == "64":
            row(f"authenticated `getScheduleLogsByModel`, {c} connections", result,
                ">= 60% of health, p99 < 10 ms", share >= 0.6 and f_(f"{poll}_p99_ms") < 10)
        else:
            row(f"authenticated `getScheduleLogsByModel`, {c} connection{'s' if c != '1' else ''}", result)
    row(f"`getScheduleLogsByModel` with {int(r['history_runs']):,} runs in the log, 1 connection",
        f"{f_('hist_c1_rps'):,.0f} req/s, p50 {f_('hist_c1_p50_ms'):.2f} ms, p99 {f_('hist_c1_p99_ms'):.2f} ms; "
        + per_request("hist_c1"),
        "p50 < 2 ms", f_("hist_c1_p50_ms") < 2)
    ex = f_("export_wall_s")
    exported = int(r["export_rows"])
    row(f"`sacctl export` of {exported:,} rows (in memory)",
        f"{ex:.1f} s, {exported / ex:,.0f} rows/s; sacctl CPU {f_('export_sacctl_cpu_s'):.1f} s, "
        f"peak RSS {f_('export_sacctl_rss_mib'):.0f} MiB; emulator CPU {f_('export_emu_cpu_s'):.1f} s",
        ">= 300,000 rows/s", exported / ex >= 300_000)
    first, last = f_("pages_first5_ms"), f_("pages_last5_ms")
    k = r["pages_k"]
    row(f"export page by page (curl, {r['pages_count']} pages of up to {int(r['pages_size']):,} rows)",
        f"first {f_('pages_first_ms'):.0f} ms; first {k} {first:.0f} ms, last {k} {last:.0f} ms on average "
        f"({last / first:.2f}x); slowest {f_('pages_max_ms'):.0f} ms; {f_('pages_total_s'):.1f} s in all; "
        f"emulator CPU per page: first {k} {f_('pages_first5_cpu_ms'):.0f} ms, last {k} {f_('pages_last5_cpu_ms'):.0f} ms",
        "every page as fast as the first (emulator CPU of the last 5 <= 1.25x the first 5)",
        f_("pages_last5_cpu_ms") <= 1.25 * max(f_("pages_first5_cpu_ms"), 1000 / os.sysconf("SC_CLK_TCK")))
    if "delta_wall_s" in r:
        dw, changed = f_("delta_wall_s"), int(r["delta_rows"])
        row(f"`sacctl export --delta` after {changed:,} of {exported:,} rows changed (1%), against the export above",
            f"{dw:.2f} s ({dw / ex:.1%} of the full export's {ex:.1f} s); emulator CPU {f_('delta_emu_cpu_s'):.2f} s; "
            f"the subscription's full load {f_('delta_full_wall_s'):.1f} s",
            "about 1% of the full export (<= 5%)", dw <= 0.05 * ex)
    hwm = f_("emu_mem_hwm_mib")
    row(f"emulator peak RSS with {n:,} facts in memory (after push and export)",
        f"{hwm:.0f} MiB (now {f_('emu_mem_rss_mib'):.0f} MiB)", "< 400 MB", hwm < 400 * MB_MIB)

    print(r["caption"])
    print()
    print("| benchmark | result | target (issue 7) | met |")
    print("|---|---|---|---|")
    print("\n".join(lines))


def main(argv):
    commands = {
        "baseline": (baseline, 2), "pages": (pages, 3), "oha": (oha, 2), "check-poll": (check_poll, 3),
        "history-tenant": (lambda n: history_tenant(int(n)), 1), "table": (table, 1),
    }
    if len(argv) < 2 or argv[1] not in commands or len(argv) - 2 != commands[argv[1]][1]:
        fail(f"usage: see the top of {argv[0]}")
    commands[argv[1]][0](*argv[2:])


if __name__ == "__main__":
    main(sys.argv)
