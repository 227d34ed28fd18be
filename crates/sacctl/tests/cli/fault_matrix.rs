//! The fault matrix of docs/reliability.md: every fault against every
//! operation, each cell a real `sacctl` process against a real `sacctl
//! emulator --data-dir` process on loopback. A cell records the exit code,
//! how many runs or jobs started, and whether rows were lost or doubled.
//!
//! The test fails when a cell breaks a promise (two runs, a doubled or lost
//! row, success without a run) and when docs/reliability.md does not hold
//! the table it measured. `SACCTL_WRITE_FAULT_MATRIX=1 cargo test -p sacctl
//! --test cli fault_matrix` writes the table instead. A read that measures
//! a cell and fails fails the test: it is never counted as zero.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::common::*;

const MA: &str = MULTI_ACTION;
/// Rows the push sends (Append, amount 1 each): a re-sent chunk shows as a
/// sum above this, a lost one as fewer rows.
const PUSH_ROWS: usize = 200;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    ScheduleRun,
    MultiActionRun,
    ImportPush,
    Export,
}

const OPS: [Op; 4] = [Op::ScheduleRun, Op::MultiActionRun, Op::ImportPush, Op::Export];

impl Op {
    fn title(self) -> &'static str {
        match self {
            Op::ScheduleRun => "`schedule run --wait`",
            Op::MultiActionRun => "`multiaction run --wait`",
            Op::ImportPush => "`import push`",
            Op::Export => "`export`",
        }
    }

    /// The request a fault hits: the one that starts or writes something
    /// (the first chunk for a push, the first page for an export).
    fn target(self) -> Value {
        match self {
            Op::ScheduleRun => json!({"path": "/sap/fpa/services/rest/fpa/dataintegration?action=runScheduledJob"}),
            Op::MultiActionRun => json!({"path": format!("/api/v1/multiActions/{MA}/executions"), "method": "POST"}),
            Op::ImportPush => json!({"path": "/api/v1/dataimport/jobs/", "method": "POST"}),
            Op::Export => json!({"path": "/api/v1/dataexport/providers/sac/SALES_PLAN/FactData", "method": "GET"}),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    Status(u16),
    Delay,
    Drop,
    DropAnswer,
    ExpiredToken,
    StaleCsrf,
    KillRestart,
    Gone,
    Signal(&'static str),
}

const FAULTS: [Fault; 13] = [
    Fault::Status(429),
    Fault::Status(500),
    Fault::Status(502),
    Fault::Status(503),
    Fault::Delay,
    Fault::Drop,
    Fault::DropAnswer,
    Fault::ExpiredToken,
    Fault::StaleCsrf,
    Fault::KillRestart,
    Fault::Gone,
    Fault::Signal("TERM"),
    Fault::Signal("INT"),
];

impl Fault {
    fn title(self) -> String {
        match self {
            Fault::Status(429) => "429 with Retry-After 1".into(),
            Fault::Status(s) => format!("{s}"),
            Fault::Delay => "answer later than the HTTP timeout".into(),
            Fault::Drop => "connection dropped (request not handled)".into(),
            Fault::DropAnswer => "answer dropped (request handled)".into(),
            Fault::ExpiredToken => "access token expired".into(),
            Fault::StaleCsrf => "CSRF token stale".into(),
            Fault::KillRestart => "emulator killed (-9) and restarted on its --data-dir".into(),
            Fault::Gone => "emulator killed, gone beyond the retry budget".into(),
            Fault::Signal(s) => format!("SIG{s} to sacctl"),
        }
    }

    /// The counted fault the emulator injects on the operation's target.
    fn injected(self, op: Op) -> Option<Value> {
        let mut fault = op.target();
        let extra = match self {
            Fault::Status(429) => json!({"status": 429, "retry_after": 1}),
            Fault::Status(s) => json!({"status": s}),
            Fault::Delay => json!({"delay_ms": 2500}),
            Fault::Drop => json!({"drop": true}),
            Fault::DropAnswer => json!({"drop_response": true}),
            Fault::ExpiredToken => json!({"expire": "token"}),
            Fault::StaleCsrf => json!({"expire": "csrf"}),
            // The export has no wait: its page is held while the process or
            // the emulator is stopped.
            Fault::KillRestart | Fault::Gone | Fault::Signal(_) if op == Op::Export => json!({"delay_ms": 4000}),
            Fault::KillRestart | Fault::Gone | Fault::Signal(_) => return None,
        };
        fault.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        Some(fault)
    }
}

/// A `sacctl emulator` process on a data directory, so it can be killed
/// and started again where it was; runs take 2 s, export pages hold 100 rows.
fn start_emulator(dir: &Path) -> EmulatorProcess {
    EmulatorProcess::start_in(SACCTL, dir, ["--job-duration", "2s", "--export-page-size", "100"])
}

/// One cell's measure.
#[derive(Debug)]
struct Cell {
    exit: i32,
    /// Runs, executions or jobs that started (None: the operation starts none).
    started: Option<usize>,
    /// "none lost", or what was lost or doubled.
    rows: String,
    /// A promise broken, if any.
    broken: Option<String>,
}

impl Cell {
    fn text(&self) -> String {
        let started = self.started.map(|n| format!("{n} started")).unwrap_or_else(|| "reads only".into());
        format!("{} · {started} · {}", self.exit, self.rows)
    }
}

/// `sacctl` as JDOE (password grant) against `emulator`, with its own
/// token cache `cache` under `home`.
fn as_jdoe(emulator: &EmulatorProcess, home: &Path, cache: &str) -> Command {
    let mut command = sacctl_in(home);
    command
        .envs(profile(&emulator.urls, Who::Planner))
        .env("XDG_CACHE_HOME", home.join(cache))
        // No API domain: the public APIs go through the browser domain,
        // with its CSRF token and session cookie, like the UI layer.
        .env_remove("SACCTL_API_URL");
    command
}

fn sacctl(emulator: &EmulatorProcess, home: &Path, op: Op, fault: Fault, out: &Path, data: &Path) -> Command {
    let mut command = as_jdoe(emulator, home, "cache");
    command
        .env("SACCTL_RETRY_ATTEMPTS", "4")
        .env("SACCTL_HTTP_TIMEOUT", if fault == Fault::Delay { "1s" } else { "10s" })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let wait = ["--poll-interval", "200ms", "--timeout", "60s"];
    // Only runs and executions may lag behind in SAC's lists; a push's job is known at once.
    let appear = ["--appear-timeout", "3s"];
    match op {
        Op::ScheduleRun => {
            command.args(["schedule", "run", SCHEDULE, "--model", MODEL, "--wait"]).args(wait).args(appear)
        }
        Op::MultiActionRun => command
            .args(["multiaction", "run", MA, "--param", "TargetVersion=public.Plan", "--wait"])
            .args(wait)
            .args(appear),
        Op::ImportPush => command
            .args(["import", "push", "--model", "SALES_PLAN", "--method", "Append", "--chunk-rows", "50"])
            .args(["--parallel", "1", "--file"])
            .arg(data)
            .args(wait),
        Op::Export => command.args(["export", "--model", "SALES_PLAN", "--out"]).arg(out),
    };
    command.args(["--output", "json"]);
    command
}

/// Waits until the operation is in the middle of its work: waiting for its
/// run, execution or job, or (export) holding its first page.
async fn until_in_flight(admin: &Admin, op: Op) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let requests = admin.requests().await;
        let seen = |method: &str, fragment: &str| {
            requests.iter().any(|r| {
                r["method"] == method
                    && format!("{}?{}", r["path"].as_str().unwrap_or_default(), r["query"].as_str().unwrap_or_default())
                        .contains(fragment)
            })
        };
        let ready = match op {
            Op::ScheduleRun => {
                seen("POST", "runScheduledJob")
                    && requests
                        .iter()
                        .filter(|r| r["query"].as_str().unwrap_or_default().contains("getScheduleLogsByModel"))
                        .count()
                        >= 2
            }
            Op::MultiActionRun => seen("GET", "/executions/"),
            Op::ImportPush => seen("GET", "/status"),
            // The token is fetched; the first page is then held for 4 s.
            Op::Export => seen("POST", "/oauth/token"),
        };
        if ready {
            tokio::time::sleep(Duration::from_millis(if op == Op::Export { 700 } else { 100 })).await;
            return;
        }
        assert!(Instant::now() < deadline, "{op:?} never got under way");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn push_file(dir: &Path) -> PathBuf {
    let mut csv = String::from("Version,Date,Part,Country,Amount,Quantity\n");
    for i in 0..PUSH_ROWS {
        csv.push_str(&format!("public.Forecast,2028{:02},P{:04},DE,1,1\n", i / 89 + 1, i % 89 + 1));
    }
    let path = dir.join("rows.csv");
    std::fs::write(&path, csv).unwrap();
    path
}

/// Runs one cell from a fresh emulator and measures it.
async fn cell(op: Op, fault: Fault) -> Cell {
    let dir = tempfile::tempdir().unwrap();
    let data = push_file(dir.path());
    let out = dir.path().join("export.csv");
    let mut emulator = start_emulator(&dir.path().join("sac"));
    let admin = emulator.admin();
    let runs_before = runs(&emulator, dir.path());
    if let Some(injected) = fault.injected(op) {
        admin.fault(&injected).await;
    }
    let mut child = sacctl(&emulator, dir.path(), op, fault, &out, &data).spawn().unwrap();
    match fault {
        Fault::KillRestart => {
            until_in_flight(&admin, op).await;
            emulator.restart();
        }
        Fault::Gone => {
            until_in_flight(&admin, op).await;
            emulator.kill();
        }
        Fault::Signal(name) => {
            until_in_flight(&admin, op).await;
            let pid = child.id().to_string();
            assert!(Command::new("kill").args([&format!("-{name}"), &pid]).status().unwrap().success());
        }
        _ => {}
    }
    let output = wait_with_timeout(&mut child, Duration::from_secs(90)).await;
    if !emulator.is_started() {
        emulator.restart();
    }
    settle().await;
    measure(op, &emulator, dir.path(), &output, &out, runs_before).await
}

async fn wait_with_timeout(child: &mut Child, limit: Duration) -> Output {
    let deadline = Instant::now() + limit;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("sacctl did not end within {limit:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    use std::io::Read;
    child.stdout.take().unwrap().read_to_end(&mut stdout).unwrap();
    child.stderr.take().unwrap().read_to_end(&mut stderr).unwrap();
    Output { status: child.wait().unwrap(), stdout, stderr }
}

/// Lets runs, executions and jobs that outlived sacctl finish (2 s clock).
async fn settle() {
    tokio::time::sleep(Duration::from_millis(2600)).await;
}

/// Runs in the schedule's logs (multi actions run it too).
fn runs(emulator: &EmulatorProcess, home: &Path) -> usize {
    let doc = sacctl_read(emulator, home, &["schedule", "logs", "--model", MODEL, "--limit", "1000"]);
    doc[0]["refreshLogs"].as_array().map(Vec::len).unwrap_or_else(|| panic!("the schedule's runs in {doc}"))
}

/// A read for measuring, with a token cache of its own: its JSON document.
/// A read that fails fails the test (a measure, not an outcome).
fn sacctl_read(emulator: &EmulatorProcess, home: &Path, args: &[&str]) -> Value {
    let output = as_jdoe(emulator, home, "cache-reader").args(args).args(["--output", "json"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "measuring with {args:?}: {}", describe(&output));
    json_doc(&output)
}

async fn measure(
    op: Op,
    emulator: &EmulatorProcess,
    home: &Path,
    output: &Output,
    out: &Path,
    runs_before: usize,
) -> Cell {
    let exit = output.status.code().unwrap_or(-1);
    let admin = emulator.admin();
    let mut broken = Vec::new();
    let docs = serde_json::Deserializer::from_slice(&output.stdout).into_iter::<Value>().count();
    if docs != 1 {
        broken.push(format!("{docs} JSON documents on stdout"));
    }
    let (started, rows) = match op {
        Op::ScheduleRun | Op::MultiActionRun => {
            let started = runs(emulator, home).saturating_sub(runs_before);
            let members = admin.get(&format!("/emulator/models/{MODEL}/rows?limit=100000")).await["total"]
                .as_u64()
                .expect("the members' total");
            let rows = if members == 89 { "none lost".to_string() } else { format!("{members} of 89 members") };
            (Some(started), rows)
        }
        Op::ImportPush => {
            let mut stored = Vec::new();
            for month in ["202801", "202802", "202803"] {
                stored.extend(admin.rows("t.G:SALES_PLAN", &format!("&Version=public.Forecast&Date={month}")).await);
            }
            let amount = |r: &Value| r["Amount"].as_str().and_then(|a| a.parse().ok()).or(r["Amount"].as_f64());
            let sum: f64 = stored.iter().map(|r| amount(r).unwrap_or_else(|| panic!("an Amount in {r}"))).sum();
            let jobs = sacctl_read(emulator, home, &["import", "jobs"]);
            let started = jobs.as_array().map(Vec::len).unwrap_or_else(|| panic!("a list of jobs: {jobs}"));
            let rows = match (stored.len(), sum as usize) {
                (0, _) => "none written".to_string(),
                (n, s) if n == PUSH_ROWS && s == PUSH_ROWS => "none lost".to_string(),
                (n, s) if s > n => format!("DOUBLED: {} rows written twice", s - n),
                (n, _) => format!("LOST: {} of {PUSH_ROWS} rows", PUSH_ROWS - n),
            };
            if exit == 0 && rows != "none lost" {
                broken.push(format!("exit 0 but {rows}"));
            }
            if rows.starts_with("LOST") && exit != 0 {
                broken.push(format!("half a push written: {rows}"));
            }
            (Some(started), rows)
        }
        Op::Export => {
            let model = admin.rows("t.G:SALES_PLAN", "").await.len();
            let lines = match std::fs::read_to_string(out) {
                Ok(text) => text.lines().count().saturating_sub(1),
                // The one read that may find nothing: a failed export writes no file.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
                Err(e) => panic!("reading {}: {e}", out.display()),
            };
            let rows = match lines {
                n if n == model => "none lost".to_string(),
                0 if exit != 0 => "no file".to_string(),
                n if exit != 0 => format!("file stops at {n} of {model} rows"),
                n => format!("LOST: {n} of {model} rows"),
            };
            if exit == 0 && lines != model {
                broken.push(format!("exit 0 but {lines} of {model} rows"));
            }
            (None, rows)
        }
    };
    if let Some(n) = started {
        if n > 1 {
            broken.push(format!("{n} runs or jobs started"));
        }
        if exit == 0 && n != 1 {
            broken.push(format!("exit 0 with {n} runs or jobs"));
        }
    }
    if rows.starts_with("DOUBLED") {
        broken.push(rows.clone());
    }
    let broken = (!broken.is_empty()).then(|| format!("{}\n{}", broken.join("; "), describe(output)));
    Cell { exit, started, rows, broken }
}

fn table(cells: &[(Fault, Vec<Cell>)]) -> String {
    let mut text = String::from("| fault |");
    for op in OPS {
        text.push_str(&format!(" {} |", op.title()));
    }
    text.push_str("\n|---|");
    text.push_str(&"---|".repeat(OPS.len()));
    text.push('\n');
    for (fault, row) in cells {
        text.push_str(&format!("| {} |", fault.title()));
        for cell in row {
            text.push_str(&format!(" {} |", cell.text()));
        }
        text.push('\n');
    }
    text
}

const BEGIN: &str = "<!-- fault matrix: begin (generated by crates/sacctl/tests/cli/fault_matrix.rs) -->\n";
const END: &str = "<!-- fault matrix: end -->\n";

#[test]
fn the_fault_matrix_keeps_its_promises_and_docs_hold_it() {
    let began = Instant::now();
    let jobs: Vec<(usize, Fault, Op)> = FAULTS
        .iter()
        .flat_map(|&f| OPS.iter().map(move |&op| (f, op)))
        .enumerate()
        .map(|(i, (f, o))| (i, f, o))
        .collect();
    let results = Arc::new(std::sync::Mutex::new(Vec::new()));
    let queue = Arc::new(std::sync::Mutex::new(jobs));
    // Cells mostly wait (on the job clock, on back-off): several at once.
    let workers: Vec<_> = (0..6)
        .map(|_| {
            let (queue, results) = (queue.clone(), results.clone());
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                loop {
                    let Some((i, fault, op)) = queue.lock().unwrap().pop() else { return };
                    let measured = runtime.block_on(cell(op, fault));
                    results.lock().unwrap().push((i, measured));
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().expect("a cell panicked");
    }
    let mut results = Arc::try_unwrap(results).unwrap().into_inner().unwrap();
    results.sort_by_key(|(i, _)| *i);
    let mut cells = results.into_iter().map(|(_, c)| c);
    let rows: Vec<(Fault, Vec<Cell>)> = FAULTS.iter().map(|&f| (f, cells.by_ref().take(OPS.len()).collect())).collect();
    let broken: Vec<String> = rows
        .iter()
        .flat_map(|(fault, row)| {
            row.iter().zip(OPS).filter_map(move |(c, op)| {
                c.broken.as_ref().map(|why| format!("{} x {}: {why}", fault.title(), op.title()))
            })
        })
        .collect();
    let table = table(&rows);
    #[allow(clippy::print_stderr)]
    {
        eprintln!("{table}\nmeasured in {:.0} s", began.elapsed().as_secs_f64());
    }
    assert!(broken.is_empty(), "promises broken:\n{}", broken.join("\n\n"));

    let doc = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/reliability.md");
    let text = std::fs::read_to_string(&doc).unwrap_or_default();
    let (Some(start), Some(end)) = (text.find(BEGIN), text.find(END)) else {
        panic!("docs/reliability.md has no fault matrix markers");
    };
    let committed = &text[start + BEGIN.len()..end];
    if std::env::var_os("SACCTL_WRITE_FAULT_MATRIX").is_some() {
        let updated = format!("{}{BEGIN}{table}{END}{}", &text[..start], &text[end + END.len()..]);
        std::fs::write(&doc, updated).unwrap();
    } else {
        assert_eq!(
            committed, table,
            "docs/reliability.md is not current: SACCTL_WRITE_FAULT_MATRIX=1 cargo test -p sacctl --test cli fault_matrix"
        );
    }
}
