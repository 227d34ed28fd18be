//! Incremental exports (`sacctl export --delta NAME`): a named Data Export
//! subscription chain per model and filter, kept in sacctl's state
//! directory. The first run reads every row and opens the chain; each later
//! run writes only the rows changed since and the keys deleted since.
//!
//! Exactly once: the state names the subscription to read next. A run
//! writes its CSV to a temporary file next to `--out`, syncs it, renames it
//! into place, and only then moves the state to the next subscription
//! (written the same way). A run killed before that reads the same
//! subscription again, which SAC answers with the same rows: nothing is
//! lost and nothing repeated.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use sac_client::delta::Item;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::outcome::{Note, Outcome};
use crate::exit::ExitStatus;
use crate::failure::Failure;

/// The column that marks each line of a delta file.
pub const CHANGE_COLUMN: &str = "_DELTA";

/// What sacctl keeps of a named subscription.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct DeltaState {
    pub name: String,
    pub tenant: String,
    pub model: String,
    pub filter: Option<String>,
    /// The subscription to read next.
    pub next: String,
    /// Whether `next` is the chain's first (its read is the full load).
    pub initial: bool,
}

/// Where named subscriptions are kept: `$SACCTL_STATE_DIR/subscriptions`,
/// else `$XDG_STATE_HOME/sacctl/subscriptions` (or the platform's local data
/// directory).
pub fn state_dir() -> Result<PathBuf, Failure> {
    std::env::var_os("SACCTL_STATE_DIR")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| dirs::state_dir().or_else(dirs::data_local_dir).map(|d| d.join("sacctl")))
        .map(|d| d.join("subscriptions"))
        .ok_or_else(|| Failure::usage("no state directory: set SACCTL_STATE_DIR to a directory sacctl may write"))
}

/// A subscription name: letters, digits, `-`, `_` and `.`, up to 64, not
/// starting with a dot (it names a file).
pub fn check_name(name: &str) -> Result<(), Failure> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    match ok {
        true => Ok(()),
        false => Err(Failure::usage(format!(
            "--delta {name:?} is not a subscription name: use letters, digits, '-', '_' and '.' (up to 64, no leading dot)"
        ))),
    }
}

fn state_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.json"))
}

/// The state of subscription `name`, if sacctl keeps one.
pub fn load(dir: &Path, name: &str) -> Result<Option<DeltaState>, Failure> {
    let path = state_path(dir, name);
    match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text).map(Some).map_err(|e| {
            Failure::usage(format!("{} is not a subscription state ({e}): delete it to start over", path.display()))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Failure::usage(format!("cannot read {}: {e}", path.display()))),
    }
}

/// Every named subscription sacctl keeps, by name.
pub fn all(dir: &Path) -> Result<Vec<DeltaState>, Failure> {
    let mut states = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(states),
        Err(e) => return Err(Failure::usage(format!("cannot read {}: {e}", dir.display()))),
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(name) = name.strip_suffix(".json").filter(|n| check_name(n).is_ok()) {
            if let Some(state) = load(dir, name)? {
                states.push(state);
            }
        }
    }
    states.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(states)
}

/// A file written in full or not at all: the bytes go to a temporary file
/// beside `path` (`.<file>.partial`, one per target: runs of one
/// subscription never overlap), which [`Partial::commit`] syncs and renames
/// into place, then syncs the directory. A crash leaves the old file.
struct Partial {
    temp: PathBuf,
    path: PathBuf,
    file: Option<File>,
}

impl Partial {
    fn begin(path: &Path) -> std::io::Result<Partial> {
        let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let temp = dir.join(format!(".{name}.partial"));
        let file = OpenOptions::new().write(true).create(true).truncate(true).open(&temp)?;
        Ok(Partial { temp, path: path.to_path_buf(), file: Some(file) })
    }

    fn file(&mut self) -> &mut File {
        self.file.as_mut().expect("open until committed")
    }

    fn commit(mut self) -> std::io::Result<()> {
        let file = self.file.take().expect("open until committed");
        file.sync_all()?;
        drop(file);
        std::fs::rename(&self.temp, &self.path)?;
        let dir = self.path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        File::open(dir)?.sync_all()
    }
}

impl Drop for Partial {
    fn drop(&mut self) {
        if self.file.is_some() {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

fn replace_file(path: &Path, write: impl FnOnce(&mut File) -> std::io::Result<()>) -> std::io::Result<()> {
    let mut partial = Partial::begin(path)?;
    write(partial.file())?;
    partial.commit()
}

pub fn save(dir: &Path, state: &DeltaState) -> Result<(), Failure> {
    let io =
        |e: std::io::Error| Failure::usage(format!("cannot write the subscription state in {}: {e}", dir.display()));
    std::fs::create_dir_all(dir).map_err(io)?;
    let text = serde_json::to_string_pretty(state).expect("a state serializes");
    replace_file(&state_path(dir, &state.name), |f| f.write_all(text.as_bytes())).map_err(io)
}

/// Forgets subscription `name` here (the chain in SAC is the caller's).
pub fn forget(dir: &Path, name: &str) -> Result<(), Failure> {
    match std::fs::remove_file(state_path(dir, name)) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Failure::usage(format!("cannot delete the state of {name}: {e}"))),
    }
}

/// Holds `<name>.lock` so that two runs of one subscription never overlap.
fn lock(dir: &Path, name: &str) -> Result<File, Failure> {
    let io = |e: std::io::Error| Failure::usage(format!("cannot lock subscription {name} in {}: {e}", dir.display()));
    std::fs::create_dir_all(dir).map_err(io)?;
    let file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(dir.join(format!("{name}.lock")))
        .map_err(io)?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(Failure::new(
            ExitStatus::Usage,
            anyhow::anyhow!("another sacctl is exporting subscription {name}: wait for it to end"),
        )),
        Err(std::fs::TryLockError::Error(e)) => Err(io(e)),
    }
}

/// What one delta export is asked to do.
pub struct DeltaExport<'a> {
    pub name: &'a str,
    pub model: &'a str,
    pub filter: Option<&'a str>,
    pub out: &'a Path,
}

fn cell(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
            _ => n.to_string(),
        },
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// A chain deleted in SAC (1215) cannot go on: say how to start over.
fn gone(e: sac_client::Error, name: &str) -> Failure {
    match e {
        sac_client::Error::NotFound { ref what, .. } if what == "subscription" => {
            let mut failure = Failure::from(e);
            failure.hints = vec![format!(
                "the subscription chain of {name} no longer exists in SAC (deleted there): \
                 `sacctl export subscriptions delete {name}`, then export again for a new full load"
            )];
            failure
        }
        other => other.into(),
    }
}

/// Runs one delta export of `request` and returns its outcome.
pub async fn export_delta(client: &sac_client::Client, request: &DeltaExport<'_>) -> Result<Outcome, Failure> {
    check_name(request.name)?;
    let dir = state_dir()?;
    let _lock = lock(&dir, request.name)?;
    let tenant = client.config().tenant_url.to_string();
    let state = match load(&dir, request.name)? {
        Some(state) => {
            if state.model != request.model || state.filter.as_deref() != request.filter || state.tenant != tenant {
                return Err(Failure::usage(format!(
                    "subscription {} follows model {} (filter {}) on {}: use another --delta name, or \
                     `sacctl export subscriptions delete {}` to start it over",
                    state.name,
                    state.model,
                    state.filter.as_deref().unwrap_or("none"),
                    state.tenant,
                    state.name
                )));
            }
            state
        }
        None => {
            let description = format!("sacctl export --delta {}", request.name);
            let first = client.delta().open(request.model, request.filter, &description).await?;
            let state = DeltaState {
                name: request.name.into(),
                tenant,
                model: request.model.into(),
                filter: request.filter.map(str::to_string),
                next: first,
                initial: true,
            };
            save(&dir, &state)?;
            state
        }
    };
    let columns = client.data_export().fact_columns(request.model).await?;
    let out = request.out;
    let io = |e: std::io::Error| Failure::usage(format!("cannot write {}: {e}", out.display()));
    let mut partial = Partial::begin(out).map_err(io)?;
    let csv_io = |e: csv::Error| sac_client::Error::Config(format!("cannot write {}: {e}", out.display()));
    let mut writer = csv::Writer::from_writer(std::io::BufWriter::new(partial.file()));
    let mut header: Vec<&str> = columns.iter().map(String::as_str).collect();
    header.push(CHANGE_COLUMN);
    writer.write_record(&header).map_err(|e| Failure::usage(format!("cannot write {}: {e}", out.display())))?;
    let read = client
        .delta()
        .read(request.model, &state.next, |items| {
            for item in items {
                match item {
                    Item::Row(row) => {
                        let cells = columns.iter().map(|c| cell(row.get(c)));
                        writer.write_record(cells.chain(std::iter::once("upsert".to_string()))).map_err(csv_io)?;
                    }
                    Item::Deleted(key) => {
                        let cells = columns
                            .iter()
                            .map(|c| key.iter().find(|(k, _)| k == c).map(|(_, v)| v.clone()).unwrap_or_default());
                        writer.write_record(cells.chain(std::iter::once("delete".to_string()))).map_err(csv_io)?;
                    }
                }
            }
            Ok(())
        })
        .await
        .map_err(|e| gone(e, request.name))?;
    writer.flush().map_err(io)?;
    drop(writer);
    partial.commit().map_err(io)?;
    // Only now, with the file safe, does the chain move on.
    let advanced = DeltaState { next: read.next_id.clone(), initial: false, ..state.clone() };
    save(&dir, &advanced)?;
    let json = json!({
        "subscription": request.name,
        "model": request.model,
        "filter": request.filter,
        "initial": state.initial,
        "subscription_id": state.next,
        "next_subscription_id": read.next_id,
        "file": out.display().to_string(),
        "changed": read.rows,
        "deleted": read.deleted,
    });
    let what = if state.initial { "full load" } else { "changes" };
    Ok(Outcome {
        exit: ExitStatus::Success,
        json: crate::report::finish(json, ExitStatus::Success, None),
        lines: vec![],
        notes: vec![Note::Info(format!(
            "subscription {} ({what}): {} rows changed, {} deleted, written to {}",
            request.name,
            read.rows,
            read.deleted,
            out.display()
        ))],
        message: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_file_names() {
        assert!(check_name("nightly-sales_1.v2").is_ok());
        for bad in ["", ".hidden", "a/b", "../x", "a b", &"x".repeat(65)] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_replaced_file_is_whole_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        replace_file(&path, |f| f.write_all(b"one")).unwrap();
        replace_file(&path, |f| f.write_all(b"two")).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "two");
        let failed = replace_file(&path, |_| Err(std::io::Error::other("disk full")));
        assert!(failed.is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "two", "a failed write keeps the old file");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary file is left");
    }
}
