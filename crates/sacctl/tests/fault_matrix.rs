//! The fault matrix of docs/reliability.md: every fault against every
//! operation, each cell a real `sacctl` process against a real `sacctl
//! emulator --data-dir` process on loopback. A cell records the exit code,
//! how many runs or jobs started, and whether rows were lost or doubled.
//!
//! The test fails when a cell breaks a promise (two runs, a doubled or lost
//! row, success without a run) and when docs/reliability.md does not hold
//! the table it measured. `SACCTL_WRITE_FAULT_MATRIX=1 cargo test -p sacctl
//! --test fault_matrix` writes the table instead.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const MODEL: &str = "t.G:ZEPPART_001";
const SCHEDULE: &str = "F58CA15F78AA9039E200586F05E2BB93";
const MA: &str = "t.G:MA_LOAD_ZEPPART";
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

/// A free loopback port (bound, then released for the emulator).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A `sacctl emulator` process on fixed ports and a data directory, so it
/// can be killed and started again where it was.
struct Emulator {
    child: Option<Child>,
    port: u16,
    api_port: u16,
    dir: PathBuf,
    base: String,
}

impl Emulator {
    fn start(dir: &Path) -> Emulator {
        let (port, api_port) = (free_port(), free_port());
        let mut emulator =
            Emulator { child: None, port, api_port, dir: dir.to_path_buf(), base: format!("http://127.0.0.1:{port}") };
        emulator.restart();
        emulator
    }

    fn restart(&mut self) {
        let child = Command::new(env!("CARGO_BIN_EXE_sacctl"))
            .args(["emulator", "--port", &self.port.to_string(), "--api-port", &self.api_port.to_string()])
            .arg("--data-dir")
            .arg(&self.dir)
            .args(["--job-duration", "2s", "--export-page-size", "100"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while reqwest::blocking::get(format!("{}/emulator/health", self.base)).is_err() {
            assert!(Instant::now() < deadline, "the emulator did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn admin(&self, path: &str, body: Value) {
        let r = reqwest::blocking::Client::new().post(format!("{}{path}", self.base)).json(&body).send().unwrap();
        assert!(r.status().is_success(), "{path}: {}", r.status());
    }

    fn requests(&self) -> Vec<Value> {
        let log: Value =
            reqwest::blocking::get(format!("{}/emulator/requests", self.base)).unwrap().json().unwrap_or_default();
        log["requests"].as_array().cloned().unwrap_or_default()
    }

    fn rows(&self, filter: &str) -> Vec<Value> {
        let url = format!("{}/emulator/models/t.G:SALES_PLAN/rows?limit=100000{filter}", self.base);
        let rows: Value = reqwest::blocking::get(url).unwrap().json().unwrap();
        rows["rows"].as_array().cloned().unwrap_or_default()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.kill();
    }
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
fn as_jdoe(emulator: &Emulator, home: &Path, cache: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sacctl"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_CACHE_HOME", home.join(cache))
        // No API domain: the public APIs go through the browser domain,
        // with its CSRF token and session cookie, like the UI layer.
        .env("SACCTL_TENANT_URL", &emulator.base)
        .env("SACCTL_TOKEN_URL", format!("{}/oauth/token", emulator.base))
        .env("SACCTL_CLIENT_ID", "sacctl-user")
        .env("SACCTL_CLIENT_SECRET", "sacctl-user-secret")
        .env("SACCTL_GRANT", "password")
        .env("SACCTL_USER", "JDOE")
        .env("SACCTL_PASSWORD", "Welcome1!");
    command
}

fn sacctl(emulator: &Emulator, home: &Path, op: Op, fault: Fault, out: &Path, data: &Path) -> Command {
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
fn until_in_flight(emulator: &Emulator, op: Op) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let requests = emulator.requests();
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
            std::thread::sleep(Duration::from_millis(if op == Op::Export { 700 } else { 100 }));
            return;
        }
        assert!(Instant::now() < deadline, "{op:?} never got under way");
        std::thread::sleep(Duration::from_millis(50));
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
fn cell(op: Op, fault: Fault) -> Cell {
    let dir = tempfile::tempdir().unwrap();
    let data = push_file(dir.path());
    let out = dir.path().join("export.csv");
    let mut emulator = Emulator::start(&dir.path().join("sac"));
    let runs_before = runs(&emulator, dir.path());
    if let Some(injected) = fault.injected(op) {
        emulator.admin("/emulator/faults", injected);
    }
    let mut child = sacctl(&emulator, dir.path(), op, fault, &out, &data).spawn().unwrap();
    match fault {
        Fault::KillRestart => {
            until_in_flight(&emulator, op);
            emulator.kill();
            emulator.restart();
        }
        Fault::Gone => {
            until_in_flight(&emulator, op);
            emulator.kill();
        }
        Fault::Signal(name) => {
            until_in_flight(&emulator, op);
            let pid = child.id().to_string();
            assert!(Command::new("kill").args([&format!("-{name}"), &pid]).status().unwrap().success());
        }
        _ => {}
    }
    let output = wait_with_timeout(&mut child, Duration::from_secs(90));
    if emulator.child.is_none() {
        emulator.restart();
    }
    settle();
    measure(op, &emulator, dir.path(), &output, &out, runs_before)
}

fn wait_with_timeout(child: &mut Child, limit: Duration) -> Output {
    let deadline = Instant::now() + limit;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("sacctl did not end within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    use std::io::Read;
    child.stdout.take().unwrap().read_to_end(&mut stdout).unwrap();
    child.stderr.take().unwrap().read_to_end(&mut stderr).unwrap();
    Output { status: child.wait().unwrap(), stdout, stderr }
}

/// Lets runs, executions and jobs that outlived sacctl finish (2 s clock).
fn settle() {
    std::thread::sleep(Duration::from_millis(2600));
}

/// Runs in the schedule's logs (multi actions run it too).
fn runs(emulator: &Emulator, home: &Path) -> usize {
    let output = sacctl_read(emulator, home, &["schedule", "logs", "--model", MODEL, "--limit", "1000"]);
    let doc: Value = serde_json::from_slice(&output.stdout).unwrap_or_default();
    doc[0]["refreshLogs"].as_array().map(Vec::len).unwrap_or(0)
}

/// A read for measuring, with a token cache of its own.
fn sacctl_read(emulator: &Emulator, home: &Path, args: &[&str]) -> Output {
    as_jdoe(emulator, home, "cache-reader").args(args).args(["--output", "json"]).output().unwrap()
}

fn describe(output: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn measure(op: Op, emulator: &Emulator, home: &Path, output: &Output, out: &Path, runs_before: usize) -> Cell {
    let exit = output.status.code().unwrap_or(-1);
    let mut broken = Vec::new();
    let docs = serde_json::Deserializer::from_slice(&output.stdout).into_iter::<Value>().count();
    if docs != 1 {
        broken.push(format!("{docs} JSON documents on stdout"));
    }
    let (started, rows) = match op {
        Op::ScheduleRun | Op::MultiActionRun => {
            let started = runs(emulator, home).saturating_sub(runs_before);
            let members =
                reqwest::blocking::get(format!("{}/emulator/models/{MODEL}/rows?limit=100000", emulator.base))
                    .unwrap()
                    .json::<Value>()
                    .unwrap()["total"]
                    .as_u64()
                    .unwrap_or(0);
            let rows = if members == 89 { "none lost".to_string() } else { format!("{members} of 89 members") };
            (Some(started), rows)
        }
        Op::ImportPush => {
            let stored = emulator
                .rows("&Version=public.Forecast&Date=202801")
                .into_iter()
                .chain(emulator.rows("&Version=public.Forecast&Date=202802"))
                .chain(emulator.rows("&Version=public.Forecast&Date=202803"))
                .collect::<Vec<_>>();
            let sum: f64 = stored
                .iter()
                .map(|r| r["Amount"].as_str().and_then(|a| a.parse().ok()).or(r["Amount"].as_f64()).unwrap_or(0.0))
                .sum();
            let jobs = sacctl_read(emulator, home, &["import", "jobs"]);
            let jobs: Value = serde_json::from_slice(&jobs.stdout).unwrap_or_default();
            let started = jobs.as_array().map(Vec::len).unwrap_or(0);
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
            let model = emulator.rows("").len();
            let lines = std::fs::read_to_string(out).map(|t| t.lines().count().saturating_sub(1)).unwrap_or(0);
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

const BEGIN: &str = "<!-- fault matrix: begin (generated by crates/sacctl/tests/fault_matrix.rs) -->\n";
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
            std::thread::spawn(move || loop {
                let Some((i, fault, op)) = queue.lock().unwrap().pop() else { return };
                let measured = cell(op, fault);
                results.lock().unwrap().push((i, measured));
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
            "docs/reliability.md is not current: SACCTL_WRITE_FAULT_MATRIX=1 cargo test -p sacctl --test fault_matrix"
        );
    }
}
