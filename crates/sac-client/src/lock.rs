//! One trigger per target per host: an OS file lock that a caller holds
//! from before its "already running?" check until its new run shows in the
//! logs, so two sacctl processes on one host can never both pass the check.
//!
//! The lock is the standard library's `File::lock` (flock on Unix,
//! LockFileEx on Windows, stable since Rust 1.89): the OS releases it when
//! the process ends in any way, crash and SIGKILL included, so no stale
//! lock is ever left behind, and no crate is needed for it. The lock file
//! lives in a directory of the caller's choice (sacctl: its cache
//! directory), named after a hash of the tenant URL and the target id.
//!
//! Next to it, a claims file lists the runs that holders of the lock have
//! claimed as theirs, so no later process on this host takes one of them
//! for its own. Several hosts (or OS users with separate directories) are
//! not covered: the scheduler's own mutex has to keep them apart, and the
//! attribution reports a run of another host after the fact.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::fs_safety;
use crate::report::LockReporter;

/// Claims kept per target: far more than runs in flight at once.
const CLAIMS_KEPT: usize = 100;

/// A held lock; released when dropped (or when the process ends).
#[derive(Debug)]
pub struct TriggerLock {
    file: File,
    claims: PathBuf,
}

fn lock_error(path: &Path, source: std::io::Error) -> Error {
    Error::Lock { path: path.display().to_string(), source }
}

/// The file name for a target of a tenant: `<kind>-<hash>`.
fn file_stem(tenant_url: &str, kind: &str, id: &str) -> String {
    let mut hash = Sha256::new();
    hash.update(tenant_url.trim_end_matches('/').as_bytes());
    hash.update([0]);
    hash.update(kind.as_bytes());
    hash.update([0]);
    hash.update(id.as_bytes());
    let digest: String = hash.finalize().iter().take(12).map(|b| format!("{b:02x}")).collect();
    format!("{kind}-{digest}")
}

impl TriggerLock {
    /// Takes the lock of target `id` (of `kind`, e.g. `schedule`) on
    /// `tenant_url`, waiting as long as another process holds it.
    pub async fn acquire(
        dir: &Path,
        tenant_url: &str,
        kind: &str,
        id: &str,
        reporter: &dyn LockReporter,
    ) -> Result<TriggerLock> {
        create_private_dir(dir).map_err(|e| lock_error(dir, e))?;
        fs_safety::check_private_dir(dir).map_err(|e| lock_error(dir, e))?;
        let stem = file_stem(tenant_url, kind, id);
        let path = dir.join(format!("{stem}.lock"));
        let claims = dir.join(format!("{stem}.claims"));
        let file = fs_safety::no_follow(OpenOptions::new().create(true).truncate(false).write(true))
            .open(&path)
            .map_err(|e| lock_error(&path, e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                reporter.waiting(&path);
                tracing::info!(path = %path.display(), "another process of this host is starting this target; waiting for it");
                // A blocking wait on a thread of its own: the runtime stays
                // free (signals are still handled while waiting).
                let (file, lock_path) = (file.try_clone().map_err(|e| lock_error(&path, e))?, path.clone());
                tokio::task::spawn_blocking(move || file.lock())
                    .await
                    .map_err(|e| lock_error(&lock_path, std::io::Error::other(e)))?
                    .map_err(|e| lock_error(&lock_path, e))?;
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(lock_error(&path, e)),
        }
        Ok(TriggerLock { file, claims })
    }

    /// Runs that holders of this lock claimed, oldest first.
    pub fn claimed(&self) -> Vec<String> {
        // A link planted at the name reads as no claims; `claim` replaces it.
        fs_safety::read_to_string(&self.claims)
            .map(|text| text.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect())
            .unwrap_or_default()
    }

    /// Records `execution_id` as claimed (only the holder writes the file).
    pub fn claim(&self, execution_id: &str) -> Result<()> {
        let mut ids = self.claimed();
        ids.retain(|id| id != execution_id);
        ids.push(execution_id.to_string());
        let keep = ids.len().saturating_sub(CLAIMS_KEPT);
        let text: String = ids[keep..].iter().map(|id| format!("{id}\n")).collect();
        fs_safety::replace(&self.claims, text.as_bytes()).map_err(|e| lock_error(&self.claims, e))
    }
}

impl Drop for TriggerLock {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

/// The lock directory, readable by its owner only on Unix (it names targets).
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Silent;

    #[test]
    fn one_file_per_tenant_and_target() {
        let a = file_stem("https://acme.eu10.hcs.cloud.sap", "schedule", "F58C");
        assert_eq!(a, file_stem("https://acme.eu10.hcs.cloud.sap/", "schedule", "F58C"));
        assert_ne!(a, file_stem("https://other.eu10.hcs.cloud.sap", "schedule", "F58C"));
        assert_ne!(a, file_stem("https://acme.eu10.hcs.cloud.sap", "schedule", "F58D"));
        assert!(a.starts_with("schedule-") && a.len() == "schedule-".len() + 24);
    }

    #[tokio::test]
    async fn a_second_holder_waits_until_the_first_lets_go_and_sees_its_claims() {
        let dir = tempfile::tempdir().unwrap();
        let first = TriggerLock::acquire(dir.path(), "http://t", "schedule", "S", &Silent).await.unwrap();
        first.claim("RUN1").unwrap();
        let dir_path = dir.path().to_path_buf();
        let second = tokio::spawn(async move {
            TriggerLock::acquire(&dir_path, "http://t", "schedule", "S", &Silent).await.unwrap().claimed()
        });
        // Another target is not held up by it.
        let other = TriggerLock::acquire(dir.path(), "http://t", "schedule", "T", &Silent).await.unwrap();
        assert!(other.claimed().is_empty());
        tokio::task::yield_now().await;
        assert!(!second.is_finished(), "the second holder waits");
        first.claim("RUN2").unwrap();
        drop(first);
        assert_eq!(second.await.unwrap(), vec!["RUN1", "RUN2"]);
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn links_in_the_lock_directory_are_never_written_through() {
        use crate::fs_safety::bait;
        let (dir, outside) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let stem = file_stem("http://t", "schedule", "S");
        let claims = bait::plant(outside.path(), &dir.path().join(format!("{stem}.claims")));
        let lock = TriggerLock::acquire(dir.path(), "http://t", "schedule", "S", &Silent).await.unwrap();
        assert!(lock.claimed().is_empty(), "a planted link is not read as claims");
        lock.claim("RUN1").unwrap();
        assert_eq!(lock.claimed(), vec!["RUN1"]);
        bait::assert_untouched(&claims);
        drop(lock);

        let stem = file_stem("http://t", "schedule", "T");
        let target = bait::plant(&outside.path().join(""), &dir.path().join(format!("{stem}.lock")));
        let e = TriggerLock::acquire(dir.path(), "http://t", "schedule", "T", &Silent).await.unwrap_err();
        assert!(matches!(e, Error::Lock { .. }), "{e}");
        bait::assert_untouched(&target);
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn a_lock_directory_others_may_write_in_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        crate::fs_safety::bait::make_world_writable(dir.path());
        let e = TriggerLock::acquire(dir.path(), "http://t", "schedule", "S", &Silent).await.unwrap_err();
        let cause = std::error::Error::source(&e).unwrap().to_string();
        assert!(cause.contains("chmod 700"), "{cause}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "nothing was created in it");
    }
}
