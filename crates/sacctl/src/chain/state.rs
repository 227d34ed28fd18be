//! The state of a chain run: each step's SAC ids, outcome and times. It is
//! written atomically (a new file renamed over the old) after every
//! change, so a chain killed at any point can be resumed from it. The same
//! document is what `chain run --output json` prints (docs/output.md).

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
}

impl ChainState {
    pub fn step_mut(&mut self, name: &str) -> &mut StepState {
        self.steps.iter_mut().find(|s| s.name == name).expect("steps of the chain are in its state")
    }

    pub fn step(&self, name: &str) -> Option<&StepState> {
        self.steps.iter().find(|s| s.name == name)
    }

    /// Reads a state file written by `chain run`.
    pub fn read(path: &Path) -> Result<ChainState, String> {
        let text =
            std::fs::read_to_string(path).map_err(|e| format!("cannot read the state file {}: {e}", path.display()))?;
        let state: ChainState = serde_json::from_str(&text)
            .map_err(|e| format!("{} is not a chain state file written by sacctl: {e}", path.display()))?;
        if state.format != FORMAT {
            return Err(format!(
                "{} has state format {}, this sacctl reads format {FORMAT}",
                path.display(),
                state.format
            ));
        }
        Ok(state)
    }

    /// Writes the state to `path` atomically: a reader (or a resume after
    /// a crash) sees the old document or the new one, never half of one.
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
        serde_json::to_writer_pretty(&mut tmp, self).map_err(std::io::Error::other)?;
        tmp.write_all(b"\n")?;
        tmp.as_file().sync_all()?;
        tmp.persist(path).map_err(|e| e.error)?;
        Ok(())
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
