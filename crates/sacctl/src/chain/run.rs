//! `sacctl chain run`: starts each step once the steps it needs succeeded,
//! up to `--parallel` at once, records every change in the state file, and
//! ends with the worst outcome of its steps.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use futures_util::stream::{FuturesUnordered, StreamExt};
use sac_client::Client;

use super::file::{Action, Chain, OnFailure, Step};
use super::load::load_with;
use super::plan::order;
use super::state::{self, ChainState, StateFile, StepState, StepStatus};
use super::steps::{self, Identity, Outcome, Recorder, Resume};
use super::summary::{summary, worst};
use crate::cli::{ChainRunArgs, ConnectionArgs};
use crate::connect::connect;
use crate::exit::ExitStatus;
use crate::failure::Failure;
use crate::output::Printer;
use crate::settings::Settings;
use crate::shell;
use crate::signals::interrupted;

/// The state and the one place that writes it.
struct Ledger {
    /// The state and its file, under one lock: one writer.
    state: Mutex<(ChainState, StateFile)>,
    path: PathBuf,
    printer: Printer,
}

impl Ledger {
    /// Changes the state and records the change at once (the steps that
    /// changed, appended to the state file's journal).
    fn update<T>(&self, change: impl FnOnce(&mut ChainState) -> T) -> T {
        let mut guard = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let (state, file) = &mut *guard;
        let before = state.clone();
        let out = change(state);
        if let Err(e) = file.record(&before, state) {
            self.printer.important(&format!("warning: cannot write the state file {}: {e}", self.path.display()));
        }
        out
    }

    /// Writes the state whole, as the chain ended, and drops the journal.
    fn compact(&self) {
        let mut guard = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let (state, file) = &mut *guard;
        if let Err(e) = file.compact(state) {
            self.printer.important(&format!("warning: cannot write the state file {}: {e}", self.path.display()));
        }
        tracing::info!(bytes = file.written(), "state file written");
    }

    fn read<T>(&self, look: impl FnOnce(&ChainState) -> T) -> T {
        look(&self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).0)
    }
}

struct StepRecorder<'a> {
    ledger: &'a Ledger,
    name: &'a str,
    /// What SAC calls the step's id: "SAC run" or "execution".
    id_name: &'static str,
}

impl Recorder for StepRecorder<'_> {
    fn execution(&self, id: &str) {
        let known = self.ledger.update(|s| {
            let step = s.step_mut(self.name);
            let known = step.execution_id.as_deref() == Some(id);
            step.execution_id = Some(id.to_string());
            known
        });
        if !known {
            self.ledger.printer.note(&format!("step {}: {} {id}", self.name, self.id_name));
        }
    }

    fn job(&self, id: &str) {
        self.ledger.update(|s| s.step_mut(self.name).job_id = Some(id.to_string()));
        self.ledger.printer.note(&format!("step {}: Data Import job {id}", self.name));
    }
}

/// What to pass on to a resumed run: `--var` values, quoted for a shell.
fn resume_command(chain: &Path, state: &Path, vars: &[String]) -> String {
    let (chain, state) = (chain.to_string_lossy(), state.to_string_lossy());
    let mut words = vec!["sacctl", "chain", "run", &chain, "--resume", &state];
    for var in vars {
        words.extend(["--var", var.as_str()]);
    }
    shell::command(words)
}

/// The state to start from: fresh, or taken over from `previous`.
fn initial_state(
    chain: &Chain,
    previous: Option<(&Path, &ChainState)>,
    state_path: &Path,
    resume: String,
) -> (ChainState, BTreeMap<String, Resume>) {
    let mut resumes = BTreeMap::new();
    let mut steps = Vec::new();
    for step in order(chain) {
        let mut fresh = StepState::new(&step.name, step.kind);
        let before = previous.and_then(|(_, p)| p.step(&step.name)).filter(|p| p.kind == step.kind);
        match before {
            Some(done) if done.state == StepStatus::Succeeded => {
                fresh = done.clone();
                fresh.attempts = 0;
                fresh.resumed = Some("done".into());
            }
            Some(going) if going.in_flight() => {
                let resume = match (&going.execution_id, &going.job_id) {
                    (Some(id), _) if step.kind != "import" => Resume::Execution(id.clone()),
                    (_, Some(job)) => Resume::Job(job.clone()),
                    (Some(id), None) => Resume::Execution(id.clone()),
                    (None, None) => Resume::Fresh,
                };
                fresh.execution_id = going.execution_id.clone();
                fresh.job_id = going.job_id.clone();
                resumes.insert(step.name.clone(), resume);
            }
            _ => {}
        }
        steps.push(fresh);
    }
    let state = ChainState {
        format: state::FORMAT,
        chain: chain.path.clone(),
        state_file: state_path.to_path_buf(),
        vars: chain.vars.clone(),
        outcome: "running".into(),
        exit_code: None,
        resumed_from: previous.map(|(path, _)| path.to_path_buf()),
        started_at: state::now(),
        ended_at: None,
        resume,
        steps,
        journal: None,
    };
    (state, resumes)
}

/// The id recorded for a step, as a way to take it up again.
fn recorded(ledger: &Ledger, step: &Step) -> Option<Resume> {
    ledger.read(|s| {
        let st = s.step(&step.name)?;
        match (step.kind, &st.execution_id, &st.job_id) {
            ("import", _, Some(job)) => Some(Resume::Job(job.clone())),
            ("import", _, None) => None,
            (_, Some(id), _) => Some(Resume::Execution(id.clone())),
            _ => None,
        }
    })
}

/// A step with its retries; resolves to its name and last outcome.
async fn run_step<'a>(
    ledger: &'a Ledger,
    step: &'a Step,
    who: &'a Identity<'a>,
    mut resume: Resume,
) -> (&'a str, Outcome) {
    let id_name = match step.action {
        Action::MultiAction { .. } | Action::WaitMultiAction { .. } => "multi action execution",
        Action::Calendar { .. } => "calendar event",
        _ => "SAC run",
    };
    let recorder = StepRecorder { ledger, name: &step.name, id_name };
    let mut attempt = 0;
    loop {
        attempt += 1;
        ledger.update(|s| s.step_mut(&step.name).attempts = attempt);
        let outcome = steps::attempt(step, who, &resume, &recorder).await;
        if attempt > step.retries {
            return (&step.name, outcome);
        }
        // A failed run is started again; a run SAC could not be asked about
        // is waited for again. Nothing else is retried: it cannot get
        // better by itself, or a second run could start beside the first.
        resume = match outcome.exit {
            ExitStatus::JobFailed => Resume::Fresh,
            ExitStatus::Unreachable => match recorded(ledger, step) {
                Some(again) => again,
                None => return (&step.name, outcome),
            },
            _ => return (&step.name, outcome),
        };
        ledger.printer.note(&format!(
            "step {}: attempt {attempt} ended with exit {} ({}); trying again in {}",
            step.name,
            outcome.exit.code(),
            outcome.message.as_deref().unwrap_or("no message"),
            humantime::format_duration(step.retry_delay)
        ));
        tokio::time::sleep(step.retry_delay).await;
    }
}

/// The connection of a step: the chain's, with the step's profile.
fn connection_of(base: &ConnectionArgs, step: &Step) -> ConnectionArgs {
    let mut connection = base.clone();
    if let Some(profile) = &step.profile {
        connection.profile = Some(profile.clone());
    }
    connection
}

pub async fn run(printer: Printer, args: ChainRunArgs) -> Result<ExitStatus, Failure> {
    let previous = match &args.resume {
        Some(path) => Some((path.as_path(), ChainState::read(path).map_err(Failure::usage)?)),
        None => None,
    };
    // A resumed chain goes on with the variables it ran with, unless given again.
    let mut chain = load_with(&args.chain, &previous.as_ref().map(|(_, s)| s.vars.clone()).unwrap_or_default())?;
    // Absolute paths in the state and the resume command: a scheduler may
    // resume from another working directory.
    chain.path = std::fs::canonicalize(&chain.path).unwrap_or(chain.path);
    if let Some((path, prev)) = &previous {
        if prev.chain.file_name() != chain.path.file_name() {
            printer.important(&format!(
                "warning: {} was written for the chain {}, not {}",
                path.display(),
                prev.chain.display(),
                chain.path.display()
            ));
        }
    }
    let state_path =
        args.state.clone().or_else(|| args.resume.clone()).unwrap_or_else(|| state::default_path(&chain.path));
    let state_path = std::path::absolute(&state_path).unwrap_or(state_path);
    // One client per identity, shared by its steps (one token, one session).
    let mut identities: BTreeMap<Option<String>, (Settings, Client)> = BTreeMap::new();
    for step in &chain.steps {
        if !identities.contains_key(&step.profile) {
            let connection = connection_of(&args.connection, step);
            let (settings, client) = connect(&connection).map_err(|mut f| {
                if let Some(profile) = &step.profile {
                    f.error = f.error.context(format!("step {} runs as profile {profile}", step.name));
                }
                f
            })?;
            identities.insert(step.profile.clone(), (settings, client));
        }
    }
    let who: BTreeMap<&Option<String>, Identity<'_>> =
        identities.iter().map(|(k, (settings, client))| (k, Identity { settings, client })).collect();
    // Listen for SIGINT/SIGTERM before the first step starts (one poll
    // registers the handlers), so no signal can end the chain unrecorded.
    let mut interrupt = std::pin::pin!(interrupted());
    let early = tokio::select! {
        biased;
        signal = &mut interrupt => Some(signal),
        () = std::future::ready(()) => None,
    };
    if let Some(signal) = early {
        return Ok(signal);
    }
    let _lock = match state::lock(&state_path) {
        Ok(Some(lock)) => lock,
        Ok(None) => {
            let mut failure = Failure::new(
                ExitStatus::AlreadyRunning,
                anyhow::anyhow!("another sacctl chain run is using the state file {}", state_path.display()),
            );
            failure.hints.push("wait for it to end, or give this run its own --state FILE".into());
            return Err(failure);
        }
        Err(e) => {
            return Err(Failure::usage(format!("cannot lock the state file {}: {e}", state_path.display())));
        }
    };
    let resume = resume_command(&chain.path, &state_path, &args.chain.vars);
    let (state, mut resumes) =
        initial_state(&chain, previous.as_ref().map(|(p, s)| (*p, s)), &state_path, resume.clone());
    if previous.is_none() {
        // Starting over where an unfinished chain left its state runs its
        // finished steps again: say so, with the way back.
        if let Ok(old) = ChainState::read(&state_path) {
            if old.exit_code != Some(0) {
                printer.important(&format!(
                    "note: {} held a chain that ended {}; starting over from the first step (to go on from it instead: sacctl chain run ... --resume {})",
                    state_path.display(),
                    old.outcome,
                    shell::word(&state_path.to_string_lossy())
                ));
            }
        }
    }
    let mut state = state;
    let file = StateFile::create(&state_path, &mut state)
        .map_err(|e| Failure::usage(format!("cannot write the state file {}: {e}", state_path.display())))?;
    if args.state.is_none() && args.resume.is_none() {
        printer.important(&format!("state file: {}", state_path.display()));
    }
    let ledger = Ledger { state: Mutex::new((state, file)), path: state_path.clone(), printer };
    let order = order(&chain);
    let mut running = FuturesUnordered::new();
    let mut stopped_by: Option<String> = None;
    // The exit status of each step that ended in this run of the chain.
    let mut exits: Vec<ExitStatus> = Vec::new();
    let interrupt = loop {
        skip_after_failures(&ledger, &order);
        if stopped_by.is_none() {
            for step in &order {
                if running.len() >= usize::from(args.parallel) {
                    break;
                }
                let ready = ledger.read(|s| {
                    s.step(&step.name).is_some_and(|st| st.state == StepStatus::Pending)
                        && step.needs.iter().all(|n| s.step(n).is_some_and(|d| d.state == StepStatus::Succeeded))
                });
                if !ready {
                    continue;
                }
                let resume = resumes.remove(&step.name).unwrap_or(Resume::Fresh);
                let how = if resume == Resume::Fresh { "starting" } else { "waiting again for its SAC run" };
                printer.note(&format!("step {} ({}): {how}", step.name, step.kind));
                ledger.update(|s| {
                    let st = s.step_mut(&step.name);
                    st.state = StepStatus::Running;
                    st.started_at = Some(state::now());
                    st.ended_at = None;
                    st.exit_code = None;
                    st.message = None;
                    st.result = None;
                    if resume != Resume::Fresh {
                        st.resumed = Some("reattached".into());
                    }
                });
                running.push(run_step(&ledger, step, &who[&step.profile], resume));
            }
        }
        if running.is_empty() {
            break None;
        }
        tokio::select! {
            Some((name, outcome)) = running.next() => {
                let step = chain.step(name).expect("a step of the chain");
                let status = StepStatus::of_exit(outcome.exit);
                exits.push(outcome.exit);
                printer.note(&format!("step {name}: {} (exit {})", status.name(), outcome.exit.code()));
                ledger.update(|s| {
                    let st = s.step_mut(name);
                    st.state = status;
                    st.exit_code = Some(outcome.exit.code());
                    st.ended_at = Some(state::now());
                    st.message = outcome.message;
                    st.result = outcome.result;
                });
                if status != StepStatus::Succeeded && step.on_failure == OnFailure::Stop && stopped_by.is_none() {
                    if ledger.read(|s| s.steps.iter().any(|st| st.state == StepStatus::Pending)) {
                        printer.note(&format!("step {name} did not succeed: no further step starts (on_failure = \"stop\")"));
                    }
                    stopped_by = Some(name.to_string());
                }
            }
            signal = &mut interrupt => break Some(signal),
        }
    };
    drop(running);
    // Steps resumed as done succeeded: they add nothing worse than 0.
    let exit = worst(exits.into_iter().chain(interrupt));
    ledger.update(|s| finish(s, exit, stopped_by.as_deref()));
    ledger.compact();
    let final_state = ledger.read(Clone::clone);
    if printer.json() {
        printer.result_json(&serde_json::to_value(&final_state).expect("the state serializes"));
    }
    printer.note(&summary(&final_state));
    if exit != ExitStatus::Success {
        // The summary says how it ended, unless --quiet left it out.
        let ended = if printer.quiet {
            format!("chain ended {} (exit {}); ", final_state.outcome, exit.code())
        } else {
            String::new()
        };
        printer.important(&format!("{ended}resume with: {resume}"));
    }
    Ok(exit)
}

/// Marks pending steps whose needs did not succeed as skipped.
fn skip_after_failures(ledger: &Ledger, order: &[&Step]) {
    let blocked: Vec<(String, String)> = ledger.read(|s| {
        let mut blocked = Vec::new();
        // In order, so a skip reaches the steps after it in this one pass.
        let mut skipped: Vec<&str> = Vec::new();
        for step in order {
            if s.step(&step.name).is_none_or(|st| st.state != StepStatus::Pending) {
                continue;
            }
            let failed = step.needs.iter().find(|n| {
                skipped.contains(&n.as_str())
                    || s.step(n).is_some_and(|d| {
                        !matches!(d.state, StepStatus::Pending | StepStatus::Running | StepStatus::Succeeded)
                    })
            });
            if let Some(need) = failed {
                let why = s.step(need).map(|d| d.state.name()).unwrap_or("skipped");
                let why = if skipped.contains(&need.as_str()) { "skipped" } else { why };
                blocked.push((step.name.clone(), format!("needs {need}, which ended {why}")));
                skipped.push(&step.name);
            }
        }
        blocked
    });
    if !blocked.is_empty() {
        ledger.update(|s| {
            for (name, why) in blocked {
                let st = s.step_mut(&name);
                st.state = StepStatus::Skipped;
                st.message = Some(why);
            }
        });
    }
}

/// Settles the end state with the chain's exit status.
fn finish(state: &mut ChainState, exit: ExitStatus, stopped_by: Option<&str>) {
    for st in &mut state.steps {
        match st.state {
            StepStatus::Pending => {
                st.state = StepStatus::NotRun;
                st.message = stopped_by.map(|s| format!("the chain stopped after step {s} did not succeed"));
            }
            StepStatus::Running => {
                st.state = StepStatus::Interrupted;
                st.message = Some(if st.kind == "command" {
                    "the chain was interrupted; its program was killed".into()
                } else {
                    "the chain was interrupted; its SAC run (if any) goes on".into()
                });
            }
            _ => {}
        }
    }
    state.outcome = exit.outcome().to_string();
    state.exit_code = Some(exit.code());
    state.ended_at = Some(state::now());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_resume_command_quotes_paths_and_variables_for_a_shell() {
        let plain = resume_command(
            Path::new("/etc/sacctl/load.toml"),
            Path::new("/var/lib/load.json"),
            &["timeout=1s".to_string()],
        );
        assert_eq!(plain, "sacctl chain run /etc/sacctl/load.toml --resume /var/lib/load.json --var timeout=1s");
        let vars = ["version=public.Plan;touch x".to_string(), "who=$(id)".to_string(), "it's=a b".to_string()];
        let hostile = resume_command(Path::new("/my chains/load.toml"), Path::new("/tmp/s.json"), &vars);
        assert_eq!(
            hostile,
            "sacctl chain run '/my chains/load.toml' --resume /tmp/s.json --var 'version=public.Plan;touch x' \
             --var 'who=$(id)' --var \"it's=a b\""
        );
    }
}
