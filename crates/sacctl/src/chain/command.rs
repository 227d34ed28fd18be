//! A `command` step: a local program run without a shell (a site's own
//! extract before a SAC import, a notification after it). It succeeds on
//! exit 0; its output goes to sacctl's stderr, each line prefixed with the
//! step's name, and the last lines of its stderr are kept for the step's
//! result. It never sees sacctl's secrets unless the step's `env` names them.

use std::collections::{BTreeMap, VecDeque};
use std::io::Write;
use std::path::PathBuf;
use std::process::{ExitStatus as ProcessStatus, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};

use crate::exit::ExitStatus;
use crate::report::finish;
use crate::settings::env::SECRETS;

/// What a `command` step runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Program {
    /// The program and its arguments (at least the program), variables replaced.
    pub run: Vec<String>,
    /// Set in the program's environment, over what it inherits.
    pub env: BTreeMap<String, String>,
    /// Where it runs.
    pub workdir: PathBuf,
}

/// How many of the last stderr lines the result keeps, and how long each may be.
const TAIL_LINES: usize = 20;
const TAIL_LINE_BYTES: usize = 400;

/// How the program ended: the step's exit status, its result document and,
/// when it failed, why.
pub struct Finished {
    pub exit: ExitStatus,
    pub json: Value,
    pub message: Option<String>,
}

/// Runs `program` for the step `step` and waits for it at most `timeout`;
/// past it the program and every process of its group are killed.
pub async fn run(step: &str, program: &Program, timeout: Duration) -> Finished {
    let started = Instant::now();
    let mut command = Command::new(&program.run[0]);
    command
        .args(&program.run[1..])
        .current_dir(&program.workdir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for name in SECRETS {
        command.env_remove(name);
    }
    command.envs(&program.env);
    // Its own process group: a timeout (or the chain's end) kills what it
    // started too, and a Ctrl-C reaches sacctl only, which ends it.
    #[cfg(unix)]
    command.process_group(0);
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(e) => {
            let message = format!("cannot start {} in {}: {e}", program.run[0], program.workdir.display());
            return finished(program, ExitStatus::Usage, json!({}), started, Vec::new(), Some(message));
        }
    };
    let mut group = Group::of(&child);
    let tail = Mutex::new(VecDeque::new());
    let (stdout, stderr) = (child.stdout.take(), child.stderr.take());
    let ran = tokio::time::timeout(timeout, async {
        let (status, (), ()) =
            tokio::join!(child.wait(), forward(step, stdout, None), forward(step, stderr, Some(&tail)));
        status
    })
    .await;
    let tail: Vec<String> = tail.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner()).into();
    match ran {
        Ok(Ok(status)) => {
            // It ended on its own: what it left running in the background is its business.
            group.forget();
            ended(program, status, started, tail)
        }
        Ok(Err(e)) => {
            let message = format!("lost track of {}: {e}", program.run[0]);
            finished(program, ExitStatus::JobFailed, json!({}), started, tail, Some(message))
        }
        Err(_) => {
            group.kill();
            let _ = child.wait().await;
            let message = format!(
                "{} ran longer than the step's timeout, {}, and was killed",
                program.run[0],
                humantime::format_duration(timeout)
            );
            finished(program, ExitStatus::Timeout, json!({"timed_out": true}), started, tail, Some(message))
        }
    }
}

/// The outcome of a program that exited (or was killed by someone else).
fn ended(program: &Program, status: ProcessStatus, started: Instant, tail: Vec<String>) -> Finished {
    if status.success() {
        return finished(program, ExitStatus::Success, json!({"program_exit_code": 0}), started, tail, None);
    }
    let (how, doc) = match status.code() {
        Some(code) => (format!("exited with code {code}"), json!({"program_exit_code": code})),
        None => {
            #[cfg(unix)]
            let signal = std::os::unix::process::ExitStatusExt::signal(&status);
            #[cfg(not(unix))]
            let signal: Option<i32> = None;
            (format!("was killed by signal {}", signal.unwrap_or(0)), json!({"signal": signal}))
        }
    };
    let mut message = format!("{} {how}", program.run[0]);
    if let Some(last) = tail.last() {
        message.push_str(&format!(": {last}"));
    }
    finished(program, ExitStatus::JobFailed, doc, started, tail, Some(message))
}

fn finished(
    program: &Program,
    exit: ExitStatus,
    mut doc: Value,
    started: Instant,
    stderr_tail: Vec<String>,
    message: Option<String>,
) -> Finished {
    if let Some(map) = doc.as_object_mut() {
        map.insert("run".into(), json!(program.run));
        map.insert("workdir".into(), json!(program.workdir));
        map.insert("secs".into(), json!(started.elapsed().as_secs_f64()));
        map.insert("stderr_tail".into(), json!(stderr_tail));
    }
    Finished { exit, json: finish(doc, exit, None), message }
}

/// Copies the program's lines to sacctl's stderr as `[step] line`; with
/// `tail`, keeps the last lines there too (cut to a bounded length).
async fn forward(step: &str, from: Option<impl AsyncRead + Unpin>, tail: Option<&Mutex<VecDeque<String>>>) {
    let Some(from) = from else { return };
    let mut reader = BufReader::new(from);
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\n', '\r']);
        // One write per line: lines of steps side by side never mix.
        let _ = writeln!(std::io::stderr().lock(), "[{step}] {text}");
        if let Some(tail) = tail {
            let mut tail = tail.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            if tail.len() == TAIL_LINES {
                tail.pop_front();
            }
            tail.push_back(cut(text, TAIL_LINE_BYTES));
        }
    }
}

/// `text` cut to at most `max` bytes, on a character boundary.
fn cut(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &text[..end])
}

/// The program's process group, killed when the step gives up on it
/// (timeout) or is dropped (the chain was interrupted), unless forgotten.
struct Group {
    #[cfg(unix)]
    leader: Option<rustix::process::Pid>,
}

impl Group {
    fn of(child: &Child) -> Self {
        #[cfg(unix)]
        let leader = child.id().and_then(|id| i32::try_from(id).ok()).and_then(rustix::process::Pid::from_raw);
        #[cfg(not(unix))]
        let _ = child;
        Group {
            #[cfg(unix)]
            leader,
        }
    }

    fn forget(&mut self) {
        #[cfg(unix)]
        {
            self.leader = None;
        }
    }

    /// (Elsewhere than Unix, `kill_on_drop` ends the program itself.)
    fn kill(&mut self) {
        #[cfg(unix)]
        if let Some(leader) = self.leader.take() {
            let _ = rustix::process::kill_process_group(leader, rustix::process::Signal::KILL);
        }
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        self.kill();
    }
}

#[cfg(test)]
mod tests {
    use super::cut;

    #[test]
    fn long_lines_are_cut_on_a_character_boundary() {
        assert_eq!(cut("short", 10), "short");
        assert_eq!(cut("ääää", 3), "ä...");
    }
}
