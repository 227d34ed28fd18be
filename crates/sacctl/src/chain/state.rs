//! The state of a chain run: each step's SAC ids, outcome and times. The
//! same document is what `chain run --output json` prints (docs/output.md).
//!
//! On disk a running chain keeps it as a snapshot (written atomically: a
//! new file renamed over the old) and a journal next to it,
//! `<state>.journal`, with one line per change: the step that changed,
//! whole, synced before the chain goes on. What is written grows with what
//! changed, not with the chain (a rewrite of the whole state per change
//! made 1,000 steps write about 1 GB). At its end the chain writes the
//! snapshot whole again and removes the journal. A chain killed at any
//! point is resumed from the snapshot with its journal applied; the
//! snapshot names the journal it goes with (`journal`), so a journal left
//! from an earlier run is never applied to a newer snapshot.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::exit::ExitStatus;

/// The version of the state document's shape.
pub const FORMAT: u32 = 1;

/// Where a step stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    /// Not reached yet.
    Pending,
    /// Started; its SAC run (if any) was in flight at the last write.
    Running,
    /// Finished well (exit 0).
    Succeeded,
    /// Finished with rejected rows or a multi action warning (exit 6).
    Warnings,
    /// Did not succeed (exit 1, 2, 3, 4, 7, 8 or 9).
    Failed,
    /// Gave up waiting; the SAC run goes on (exit 5). (A command's program was killed.)
    TimedOut,
    /// The chain was interrupted while the step ran; its SAC run goes on
    /// (a command's program was killed).
    Interrupted,
    /// A step it needs did not succeed.
    Skipped,
    /// The chain stopped (a step failed with `on_failure = "stop"`) before it.
    NotRun,
}

impl StepStatus {
    pub fn name(self) -> &'static str {
        match self {
            StepStatus::Pending => "pending",
            StepStatus::Running => "running",
            StepStatus::Succeeded => "succeeded",
            StepStatus::Warnings => "warnings",
            StepStatus::Failed => "failed",
            StepStatus::TimedOut => "timed_out",
            StepStatus::Interrupted => "interrupted",
            StepStatus::Skipped => "skipped",
            StepStatus::NotRun => "not_run",
        }
    }

    /// The status a step's exit status means.
    pub fn of_exit(exit: ExitStatus) -> StepStatus {
        match exit {
            ExitStatus::Success => StepStatus::Succeeded,
            ExitStatus::Warnings => StepStatus::Warnings,
            ExitStatus::Timeout => StepStatus::TimedOut,
            ExitStatus::Interrupted | ExitStatus::Terminated => StepStatus::Interrupted,
            _ => StepStatus::Failed,
        }
    }
}

/// One step's state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepState {
    pub name: String,
    pub kind: String,
    pub state: StepStatus,
    /// The step's exit code, once it ended.
    pub exit_code: Option<u8>,
    /// Attempts made in this run of the chain (0 when skipped or resumed as done).
    pub attempts: u32,
    /// The SAC run of a schedule step, or the execution of a multi action step.
    pub execution_id: Option<String>,
    /// The Data Import API job of an import step.
    pub job_id: Option<String>,
    /// UTC, RFC 3339.
    pub started_at: Option<String>,
    pub ended_at: Option<String>,
    /// How this run of the chain took the step over from the resumed state:
    /// `done` (succeeded before, not run again) or `reattached` (waited again
    /// for the SAC run still going).
    pub resumed: Option<String>,
    /// Why it failed, was skipped or stopped.
    pub message: Option<String>,
    /// The document of the step's own command (`schedule run --wait`,
    /// `multiaction run --wait`, `import push`, `export`) with `--output json`.
    pub result: Option<Value>,
}

impl StepState {
    pub fn new(name: &str, kind: &str) -> Self {
        StepState {
            name: name.into(),
            kind: kind.into(),
            state: StepStatus::Pending,
            exit_code: None,
            attempts: 0,
            execution_id: None,
            job_id: None,
            started_at: None,
            ended_at: None,
            resumed: None,
            message: None,
            result: None,
        }
    }

    /// The SAC id to wait for again on resume, if the step's run may
    /// still be going.
    pub fn in_flight(&self) -> bool {
        matches!(self.state, StepStatus::Running | StepStatus::TimedOut | StepStatus::Interrupted)
            && (self.execution_id.is_some() || self.job_id.is_some())
    }
}

/// The whole chain.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChainState {
    pub format: u32,
    /// The chain file.
    pub chain: PathBuf,
    /// This file.
    pub state_file: PathBuf,
    /// The variables in force (defaults and --var).
    pub vars: BTreeMap<String, String>,
    /// `running` while the chain runs, then the outcome of its exit code
    /// (`success`, `job_failed`, ... as in every JSON document of sacctl).
    pub outcome: String,
    /// The chain's exit code once it ended (docs/exit-codes.md).
    pub exit_code: Option<u8>,
    /// The state file this run resumed, if any.
    pub resumed_from: Option<PathBuf>,
    pub started_at: String,
    pub ended_at: Option<String>,
    /// The command that resumes this chain.
    pub resume: String,
    /// In an order that runs each step after what it needs.
    pub steps: Vec<StepState>,
    /// While the chain runs: the generation of the journal that goes with
    /// this snapshot (absent once the chain ended).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub journal: Option<String>,
}

/// One line of the journal: its header (the generation it belongs to),
/// a step as it stands now, or the chain's own fields.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Entry {
    Journal(String),
    Step(StepState),
    Chain { outcome: String, exit_code: Option<u8>, ended_at: Option<String> },
}

/// `<state>.journal`, next to the state file.
pub fn journal_path(state: &Path) -> PathBuf {
    let mut name = state.file_name().unwrap_or_default().to_os_string();
    name.push(".journal");
    state.with_file_name(name)
}

/// The state file of a running chain: its snapshot and its journal.
pub struct StateFile {
    path: PathBuf,
    journal: Option<std::fs::File>,
    /// Bytes written to the snapshot and the journal so far.
    written: u64,
}

impl StateFile {
    /// Starts the files of `state` at `path`: a new snapshot naming a new
    /// journal generation, then that journal (empty but for its header),
    /// put in place of any older one.
    pub fn create(path: &Path, state: &mut ChainState) -> std::io::Result<StateFile> {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
        let generation = format!("{}-{nanos}", std::process::id());
        state.journal = Some(generation.clone());
        let mut file = StateFile { path: path.to_path_buf(), journal: None, written: 0 };
        file.written += state.write(path)?;
        let journal = journal_path(path);
        let mut tmp = tempfile::NamedTempFile::new_in(parent_of(&journal))?;
        let header = line(&Entry::Journal(generation))?;
        tmp.write_all(&header)?;
        tmp.as_file().sync_all()?;
        let mut handle = tmp.persist(&journal).map_err(|e| e.error)?;
        handle.flush()?;
        file.written += header.len() as u64;
        file.journal = Some(handle);
        Ok(file)
    }

    /// Appends what changed from `before` to `after` (each step that
    /// changed, the chain's fields if they did) and syncs it.
    pub fn record(&mut self, before: &ChainState, after: &ChainState) -> std::io::Result<()> {
        let mut lines = Vec::new();
        for step in &after.steps {
            if before.step(&step.name) != Some(step) {
                lines.extend(line(&Entry::Step(step.clone()))?);
            }
        }
        if (&before.outcome, before.exit_code, &before.ended_at) != (&after.outcome, after.exit_code, &after.ended_at) {
            let chain = Entry::Chain {
                outcome: after.outcome.clone(),
                exit_code: after.exit_code,
                ended_at: after.ended_at.clone(),
            };
            lines.extend(line(&chain)?);
        }
        if lines.is_empty() {
            return Ok(());
        }
        let Some(journal) = self.journal.as_mut() else {
            return Err(std::io::Error::other("the chain's journal is closed"));
        };
        journal.write_all(&lines)?;
        journal.sync_data()?;
        self.written += lines.len() as u64;
        Ok(())
    }

    /// Writes `state` whole as the snapshot of a chain that ended (no
    /// journal) and removes the journal.
    pub fn compact(&mut self, state: &mut ChainState) -> std::io::Result<()> {
        state.journal = None;
        self.written += state.write(&self.path)?;
        self.journal = None;
        match std::fs::remove_file(journal_path(&self.path)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// Bytes written to the snapshot and the journal so far.
    pub fn written(&self) -> u64 {
        self.written
    }
}

fn line(entry: &Entry) -> std::io::Result<Vec<u8>> {
    let mut bytes = serde_json::to_vec(entry).map_err(std::io::Error::other)?;
    bytes.push(b'\n');
    Ok(bytes)
}

fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

impl ChainState {
    pub fn step_mut(&mut self, name: &str) -> &mut StepState {
        self.steps.iter_mut().find(|s| s.name == name).expect("steps of the chain are in its state")
    }

    pub fn step(&self, name: &str) -> Option<&StepState> {
        self.steps.iter().find(|s| s.name == name)
    }

    /// Reads a state file written by `chain run`, with the changes its
    /// journal holds when the chain did not end (killed, or still running).
    pub fn read(path: &Path) -> Result<ChainState, String> {
        let text =
            std::fs::read_to_string(path).map_err(|e| format!("cannot read the state file {}: {e}", path.display()))?;
        let mut state: ChainState = serde_json::from_str(&text)
            .map_err(|e| format!("{} is not a chain state file written by sacctl: {e}", path.display()))?;
        if state.format != FORMAT {
            return Err(format!(
                "{} has state format {}, this sacctl reads format {FORMAT}",
                path.display(),
                state.format
            ));
        }
        if let Some(generation) = state.journal.take() {
            state.replay(&journal_path(path), &generation);
        }
        Ok(state)
    }

    /// Applies the journal at `journal` if it is of `generation`, line by
    /// line up to the first that is not whole (a crash mid-append).
    fn replay(&mut self, journal: &Path, generation: &str) {
        let Ok(text) = std::fs::read_to_string(journal) else { return };
        let mut entries = text.split_inclusive('\n').filter(|l| l.ends_with('\n'));
        let header = entries.next().and_then(|l| serde_json::from_str::<Entry>(l).ok());
        if header != Some(Entry::Journal(generation.to_string())) {
            return;
        }
        for entry in entries.map(serde_json::from_str::<Entry>) {
            match entry {
                Ok(Entry::Step(step)) => match self.steps.iter_mut().find(|s| s.name == step.name) {
                    Some(known) => *known = step,
                    None => self.steps.push(step),
                },
                Ok(Entry::Chain { outcome, exit_code, ended_at }) => {
                    (self.outcome, self.exit_code, self.ended_at) = (outcome, exit_code, ended_at);
                }
                Ok(Entry::Journal(_)) | Err(_) => break,
            }
        }
    }

    /// Writes the state to `path` atomically: a reader (or a resume after
    /// a crash) sees the old document or the new one, never half of one.
    /// Returns the bytes written.
    pub fn write(&self, path: &Path) -> std::io::Result<u64> {
        let mut tmp = tempfile::NamedTempFile::new_in(parent_of(path))?;
        let mut bytes = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        bytes.push(b'\n');
        tmp.write_all(&bytes)?;
        tmp.as_file().sync_all()?;
        tmp.persist(path).map_err(|e| e.error)?;
        Ok(bytes.len() as u64)
    }
}

/// Takes `<state>.lock` for this process, so two chains never write one
/// state file (the OS drops the lock when the process dies, `kill -9`
/// included). `Ok(None)`: another process holds it.
pub fn lock(state: &Path) -> std::io::Result<Option<std::fs::File>> {
    let mut name = state.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    let mut options = std::fs::File::options();
    options.create(true).truncate(false).write(true);
    // A link planted at the lock's name is refused, not written through.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, rustix::fs::OFlags::NOFOLLOW.bits() as i32);
    let file = options.open(state.with_file_name(name))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => Ok(None),
        Err(std::fs::TryLockError::Error(e)) => Err(e),
    }
}

/// Where the state goes without `--state`: `<chain>.state.json` next to the chain.
pub fn default_path(chain: &Path) -> PathBuf {
    let stem = chain.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "chain".into());
    chain.with_file_name(format!("{stem}.state.json"))
}

/// The current time, UTC, RFC 3339 (seconds).
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_are_whole_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.state.json");
        let mut state = ChainState {
            format: FORMAT,
            chain: dir.path().join("c.toml"),
            state_file: path.clone(),
            vars: BTreeMap::new(),
            outcome: "running".into(),
            exit_code: None,
            resumed_from: None,
            started_at: now(),
            ended_at: None,
            resume: String::new(),
            steps: vec![StepState::new("a", "schedule")],
            journal: None,
        };
        state.write(&path).unwrap();
        state.step_mut("a").execution_id = Some("E1".into());
        state.write(&path).unwrap();
        assert_eq!(ChainState::read(&path).unwrap(), state);
        // Only the state file is left behind, no temporary file.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        assert_eq!(default_path(Path::new("/x/load.toml")), Path::new("/x/load.state.json"));
        std::fs::write(&path, "{}").unwrap();
        assert!(ChainState::read(&path).unwrap_err().contains("not a chain state file"));
    }

    fn chain_of(dir: &Path, steps: usize) -> ChainState {
        ChainState {
            format: FORMAT,
            chain: dir.join("c.toml"),
            state_file: dir.join("c.state.json"),
            vars: BTreeMap::new(),
            outcome: "running".into(),
            exit_code: None,
            resumed_from: None,
            started_at: now(),
            ended_at: None,
            resume: "sacctl chain run c.toml --resume c.state.json".into(),
            steps: (0..steps).map(|i| StepState::new(&format!("step{i}"), "schedule")).collect(),
            journal: None,
        }
    }

    /// Takes step `i` through one of the changes a run records: started,
    /// its SAC id known, ended.
    fn change(state: &mut ChainState, i: usize, change: usize) {
        let step = state.step_mut(&format!("step{i}"));
        match change {
            0 => (step.state, step.started_at) = (StepStatus::Running, Some(now())),
            1 => step.execution_id = Some(format!("{i:032X}")),
            _ => (step.state, step.exit_code, step.ended_at) = (StepStatus::Succeeded, Some(0), Some(now())),
        }
    }

    /// Runs a chain of `steps` steps through its state file (three changes
    /// per step, then the end): the bytes written, as the file counts them.
    fn bytes_for_a_chain_of(steps: usize) -> u64 {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.state.json");
        let mut state = chain_of(dir.path(), steps);
        let mut file = StateFile::create(&path, &mut state).unwrap();
        for i in 0..steps {
            for c in 0..3 {
                let before = state.clone();
                change(&mut state, i, c);
                file.record(&before, &state).unwrap();
            }
        }
        // The counter is the files' real size: the snapshot plus the journal, appended only.
        let on_disk = std::fs::metadata(&path).unwrap().len() + std::fs::metadata(journal_path(&path)).unwrap().len();
        assert_eq!(file.written(), on_disk);
        let before = state.clone();
        (state.outcome, state.exit_code, state.ended_at) = ("success".into(), Some(0), Some(now()));
        file.record(&before, &state).unwrap();
        file.compact(&mut state).unwrap();
        assert!(!journal_path(&path).exists(), "compacted: no journal left");
        assert_eq!(ChainState::read(&path).unwrap(), state);
        file.written()
    }

    #[test]
    fn the_bytes_written_grow_with_the_changes_not_with_the_chain_squared() {
        let (small, large) = (bytes_for_a_chain_of(100), bytes_for_a_chain_of(400));
        // Four times the steps: about four times the bytes (a whole rewrite
        // per change would be about sixteen times).
        let ratio = large as f64 / small as f64;
        assert!((3.5..5.0).contains(&ratio), "{small} bytes for 100 steps, {large} for 400: {ratio:.1}x");
        // And per change about one step's line, not the state (about 300 bytes a step).
        assert!(large < 400 * 3 * 600 + 2 * 400 * 600, "{large} bytes for 400 steps");
    }

    #[test]
    fn a_chain_killed_mid_run_reads_back_with_its_journal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.state.json");
        let mut state = chain_of(dir.path(), 3);
        let mut file = StateFile::create(&path, &mut state).unwrap();
        for (i, c) in [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1)] {
            let before = state.clone();
            change(&mut state, i, c);
            file.record(&before, &state).unwrap();
        }
        // Killed (-9): no compaction. The snapshot alone is stale; with its journal it is whole.
        drop(file);
        let snapshot: ChainState = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(snapshot.step("step1").unwrap().execution_id, None);
        let read = ChainState::read(&path).unwrap();
        assert_eq!(read.steps, state.steps);
        assert_eq!(read.step("step1").unwrap().execution_id.as_deref(), Some("00000000000000000000000000000001"));
        // A line cut short by the crash is left out.
        let mut journal = std::fs::OpenOptions::new().append(true).open(journal_path(&path)).unwrap();
        journal.write_all(br#"{"step":{"name":"step2","kind":"sched"#).unwrap();
        assert_eq!(ChainState::read(&path).unwrap().steps, state.steps);
        // A journal of another generation (an earlier run's) is never applied.
        let mut newer = state.clone();
        newer.journal = Some("another-generation".into());
        newer.step_mut("step2").message = Some("newer snapshot".into());
        newer.write(&path).unwrap();
        let read = ChainState::read(&path).unwrap();
        assert_eq!(read.step("step2").unwrap().message.as_deref(), Some("newer snapshot"));
        assert_eq!(read.step("step1").unwrap().execution_id, state.step("step1").unwrap().execution_id);
    }

    #[cfg(unix)]
    #[test]
    fn a_link_at_the_lock_name_is_refused_and_its_target_untouched() {
        use std::os::unix::fs::PermissionsExt;
        let (dir, outside) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let target = outside.path().join("precious");
        std::fs::write(&target, "precious").unwrap();
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o644)).unwrap();
        std::os::unix::fs::symlink(&target, dir.path().join("c.state.json.lock")).unwrap();
        assert!(lock(&dir.path().join("c.state.json")).is_err());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "precious");
        assert_eq!(std::fs::metadata(&target).unwrap().permissions().mode() & 0o777, 0o644);
        assert!(lock(&dir.path().join("d.state.json")).unwrap().is_some(), "a plain lock file is taken");
    }
}
