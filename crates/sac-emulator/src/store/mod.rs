//! Everything the emulator remembers, in SQLite: the tenant description and
//! keys (`meta`), tokens and sessions (as digests), source rows, dimension
//! members, runs and their rejected rows, one typed table of facts per
//! planning model, Data Import jobs with their uploaded chunks, and multi
//! action executions.
//!
//! In memory by default; with a data directory the database lives in
//! `<dir>/emulator.sqlite3` in WAL mode and survives restarts, and a lock
//! file keeps a second emulator off the same directory.
//!
//! Access goes through [`Store::read`] and [`Store::write`]: a write runs in
//! one transaction that commits only when the closure succeeds, so a crash
//! leaves either all of a change or none of it. Statements are prepared
//! once per connection (`prepare_cached`). Tokens and sessions, read on
//! every request, are also kept in memory ([`auth`]). The store also keeps
//! the emulator's time ([`Clock`]): tokens, sessions and runs are stamped
//! and compared by it, and its offset is kept in `meta` so that it neither
//! goes back across a restart nor survives a wipe.
//!
//! This layer holds data only: the rules live in `engine` and `auth`.

use std::fs::File;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use crate::clock::Clock;

pub mod aggregate;
pub mod audit;
pub mod auth;
pub mod calendar;
pub mod changes;
pub mod conversions;
pub mod data_actions;
pub mod executions;
mod fact_log;
pub mod facts;
pub mod filter;
#[cfg(test)]
mod filter_props;
pub mod import_jobs;
pub mod master;
pub mod runs;
mod schema;
pub mod sources;
mod sql;

pub use audit::AuditRecord;
pub use auth::{AuthCodeRecord, SessionKind, SessionRecord, TokenKind, TokenRecord};
pub use calendar::CalendarEventRecord;
pub use changes::{NetChange, SubscriptionRecord};
pub use data_actions::DataActionRunRecord;
pub use executions::MaExecutionRecord;
pub use facts::{FactQuery, FactTable};
pub use import_jobs::{ChunkRecord, ImportJobRecord};
pub use runs::{Rejection, RunRecord};
use schema::SCHEMA_VERSION;

/// Tables that hold the tenant's state (the typed fact tables come on top).
const STATE_TABLES: [&str; 18] = [
    "calendar_events",
    "data_action_runs",
    "audit_batches",
    "audit_context",
    "import_jobs",
    "import_chunks",
    "import_rejects",
    "meta",
    "tokens",
    "auth_codes",
    "sessions",
    "source_rows",
    "members",
    "runs",
    "rejections",
    "ma_executions",
    "facts_tables",
    "subscriptions",
];

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the emulator's database failed: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("cannot prepare the data directory {path}: {source}")]
    DataDir { path: String, source: std::io::Error },
    #[error(
        "the data directory {path} is in use by another emulator (it holds {path}/emulator.lock): \
         stop that emulator first, or start this one with another --data-dir"
    )]
    Locked { path: String },
    #[error(
        "the data directory {path} was written by a newer emulator (schema version {found}, this one \
         knows up to {SCHEMA_VERSION}): start that emulator, or this one with a new --data-dir"
    )]
    NewerSchema { path: String, found: usize },
    /// The data directory could be tampered with by someone else, or holds
    /// a symbolic link that would make the emulator write its target.
    #[error("refusing the data directory {path}: {problem}")]
    Unsafe { path: String, problem: String },
    /// Bringing an older database to this layout failed (nothing changed).
    #[error("cannot bring the emulator's database to schema version {SCHEMA_VERSION}")]
    Migration(#[source] rusqlite_migration::Error),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// A write found the record in another state than it expected (a guard
    /// against two paths advancing the same job); nothing was written.
    #[error("conflict: {0}")]
    Conflict(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// The `meta` key of how far the emulator's time is ahead of wall time (ms).
const META_CLOCK_OFFSET: &str = "clock_offset_ms";

/// The database: one connection, serialised.
pub struct Store {
    conn: Mutex<Connection>,
    /// Tokens and sessions, read on every request.
    pub(crate) auth: auth::AuthCache,
    /// The emulator's time, which everything stored is stamped and compared by.
    clock: Clock,
    /// The data directory's lock, held while this store serves.
    lock: Mutex<Option<File>>,
}

/// Read access inside [`Store::read`] or [`Store::write`].
pub struct Reader<'c> {
    conn: &'c Connection,
}

/// Write access: exists only inside the transaction of [`Store::write`].
pub struct Writer<'c> {
    reader: Reader<'c>,
}

impl<'c> Deref for Writer<'c> {
    type Target = Reader<'c>;
    fn deref(&self) -> &Reader<'c> {
        &self.reader
    }
}

impl Reader<'_> {
    fn conn(&self) -> &Connection {
        self.conn
    }

    pub fn meta(&self, key: &str) -> StoreResult<Option<String>> {
        let mut stmt = self.conn.prepare_cached("SELECT value FROM meta WHERE key = ?1")?;
        Ok(stmt.query_row([key], |r| r.get(0)).optional()?)
    }

    /// The stored offset of the emulator's time (0 when none is).
    fn clock_offset(&self) -> StoreResult<i64> {
        match self.meta(META_CLOCK_OFFSET)? {
            Some(ms) => ms.parse().map_err(|_| StoreError::Corrupt(format!("clock offset {ms:?}"))),
            None => Ok(0),
        }
    }
}

impl Writer<'_> {
    pub fn set_meta(&self, key: &str, value: &str) -> StoreResult<()> {
        self.conn()
            .prepare_cached(
                "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )?
            .execute(params![key, value])?;
        Ok(())
    }
}

impl Store {
    /// Opens the database in `data_dir` (taking its lock), or in memory when `None`.
    pub fn open(data_dir: Option<&Path>) -> StoreResult<Self> {
        let (mut conn, lock) = match data_dir {
            Some(dir) => {
                let io = |source| StoreError::DataDir { path: dir.display().to_string(), source };
                owner_only::create_dir(dir).map_err(io)?;
                check_data_dir(dir)?;
                let lock = lock_dir(dir)?;
                let path = dir.join("emulator.sqlite3");
                // SQLite gives the -wal and -shm files the database's mode.
                owner_only::create_files(dir, &DATA_FILES[..4]).map_err(io)?;
                let conn = Connection::open(&path)?;
                conn.pragma_update(None, "journal_mode", "WAL")?;
                // FULL: a committed job survives a power cut too, not only a crash.
                conn.pragma_update(None, "synchronous", "FULL")?;
                (conn, Some(lock))
            }
            None => (Connection::open_in_memory()?, None),
        };
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.set_prepared_statement_cache_capacity(256);
        schema::migrate(&mut conn, data_dir)?;
        let offset = Reader { conn: &conn }.clock_offset()?;
        Ok(Store {
            conn: Mutex::new(conn),
            auth: auth::AuthCache::default(),
            clock: Clock::ahead_by(offset),
            lock: Mutex::new(lock),
        })
    }

    /// The emulator's time.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Moves the emulator's time `ms` forward (the caller checks `ms` is
    /// positive and bounded); the new offset.
    pub fn advance_clock(&self, ms: i64) -> StoreResult<i64> {
        // Read and written in one transaction, so two advances add up.
        let offset = self.write(|w| {
            let offset = w.clock_offset()?.saturating_add(ms);
            w.set_meta(META_CLOCK_OFFSET, &offset.to_string())?;
            Ok(offset)
        })?;
        self.clock.raise_offset(offset);
        Ok(offset)
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves SQLite consistent (every
        // change runs in a transaction that rolls back when dropped), so a
        // poisoned lock is safe to keep using.
        self.conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `f` with read access.
    pub fn read<T>(&self, f: impl FnOnce(&Reader<'_>) -> StoreResult<T>) -> StoreResult<T> {
        let conn = self.conn();
        f(&Reader { conn: &conn })
    }

    /// Runs `f` in one transaction: committed when `f` returns `Ok`, rolled
    /// back (nothing written) when it returns `Err` or panics.
    pub fn write<T>(&self, f: impl FnOnce(&Writer<'_>) -> StoreResult<T>) -> StoreResult<T> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = f(&Writer { reader: Reader { conn: &tx } })?;
        tx.commit()?;
        Ok(value)
    }

    /// Forgets everything: the state of a fresh emulator, back on wall time.
    pub fn wipe(&self) -> StoreResult<()> {
        self.write(|w| {
            for table in changes::tables(w)? {
                w.conn().execute_batch(&format!("DROP TABLE IF EXISTS {}", sql::quote(&table)))?;
            }
            for table in audit::tables(w)? {
                w.conn().execute_batch(&format!("DROP TABLE IF EXISTS {}", sql::quote(&table)))?;
            }
            for table in facts::tables(w)? {
                w.conn().execute_batch(&format!("DROP TABLE IF EXISTS {}", sql::quote(&table)))?;
            }
            for table in STATE_TABLES {
                w.conn().execute(&format!("DELETE FROM {table}"), [])?;
            }
            for table in conversions::TABLES {
                w.conn().execute(&format!("DELETE FROM {table}"), [])?;
            }
            Ok(())
        })?;
        // Statements prepared against dropped tables must not be reused.
        self.conn().flush_prepared_statement_cache();
        self.auth.clear();
        self.clock.rewind();
        Ok(())
    }

    /// Lets go of the data directory (at shutdown), so that another
    /// emulator may open it even while this value still lives.
    pub fn release_lock(&self) {
        self.lock.lock().unwrap_or_else(|p| p.into_inner()).take();
    }
}

/// The files of a data directory: the database with its WAL and shared
/// memory, the lock, and the log of an emulator started with `--detach`.
pub const DATA_FILES: [&str; 5] =
    ["emulator.sqlite3", "emulator.sqlite3-wal", "emulator.sqlite3-shm", "emulator.lock", "emulator.log"];

/// Refuses (on Unix) a data directory that another user owns or that group
/// or others may write in (they could swap its files), and a symbolic link
/// at any of [`DATA_FILES`] (the emulator would write and chmod its target;
/// SQLite opens the -wal and -shm files itself, so they are checked first).
/// The directory itself may be a link. Elsewhere nothing is checked.
#[cfg_attr(not(unix), allow(unused_variables))]
pub fn check_data_dir(dir: &Path) -> StoreResult<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let refuse = |problem: String| Err(StoreError::Unsafe { path: dir.display().to_string(), problem });
        let meta =
            std::fs::metadata(dir).map_err(|source| StoreError::DataDir { path: dir.display().to_string(), source })?;
        if meta.uid() != rustix::process::geteuid().as_raw() {
            return refuse(format!("it belongs to another user (uid {}): use a directory of your own", meta.uid()));
        }
        if meta.mode() & 0o022 != 0 {
            let mode = meta.mode() & 0o7777;
            return refuse(format!(
                "group or others may write in it (mode {mode:o}): run `chmod 700 {}`",
                dir.display()
            ));
        }
        for name in DATA_FILES {
            let path = dir.join(name);
            if std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
                return refuse(format!("{} is a symbolic link (never written through): remove it", path.display()));
            }
        }
    }
    Ok(())
}

/// The data directory holds the signing keys and the demo users' passwords:
/// it is created 0700 and its files 0600 whatever the umask (on Unix).
mod owner_only {
    use std::fs::{DirBuilder, OpenOptions};
    use std::path::Path;

    /// Creates `dir` (and missing parents) 0700; an existing one is left as it is.
    pub fn create_dir(dir: &Path) -> std::io::Result<()> {
        let mut builder = DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir)
    }

    /// Open options that create a file 0600 and fail on a symbolic link.
    #[cfg_attr(not(unix), allow(unused_mut))]
    pub fn options() -> OpenOptions {
        let mut options = OpenOptions::new();
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600).custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32);
        }
        options
    }

    /// Makes those of `names` that exist 0600 (files of an older emulator
    /// may have been created 0644); creates the first one when missing.
    pub fn create_files(dir: &Path, names: &[&str]) -> std::io::Result<()> {
        for (i, name) in names.iter().enumerate() {
            let path = dir.join(name);
            if i == 0 {
                options().create(true).truncate(false).write(true).open(&path)?;
            }
            // Not through a link (`check_data_dir` refused them already).
            #[cfg(unix)]
            if std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_file()) {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
            }
        }
        Ok(())
    }
}

/// Takes `<dir>/emulator.lock` for this process (the OS drops it when the
/// process dies, `kill -9` included).
fn lock_dir(dir: &Path) -> StoreResult<File> {
    let path: PathBuf = dir.join("emulator.lock");
    let file = owner_only::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|source| StoreError::DataDir { path: path.display().to_string(), source })?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(StoreError::Locked { path: dir.display().to_string() }),
        Err(std::fs::TryLockError::Error(source)) => {
            Err(StoreError::DataDir { path: path.display().to_string(), source })
        }
    }
}

fn parse_json<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> StoreResult<T> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("{what} {text:?}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_leaves_nothing() {
        let store = Store::open(None).unwrap();
        let result: StoreResult<()> = store.write(|w| {
            w.set_meta("k", "v")?;
            Err(StoreError::Conflict("stop".into()))
        });
        assert!(result.is_err());
        assert_eq!(store.read(|r| r.meta("k")).unwrap(), None);
    }

    #[test]
    fn data_dir_survives_reopen_and_is_locked_while_open() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = Store::open(Some(dir.path())).unwrap();
            store.write(|w| w.set_meta("k", "v")).unwrap();
            let second = Store::open(Some(dir.path())).err().expect("a second store is refused");
            assert!(second.to_string().contains("in use by another emulator"), "{second}");
            store.release_lock();
            drop(Store::open(Some(dir.path())).expect("released"));
        }
        let store = Store::open(Some(dir.path())).unwrap();
        assert_eq!(store.read(|r| r.meta("k")).unwrap().as_deref(), Some("v"));
    }

    #[test]
    fn the_clock_offset_adds_up_survives_reopen_and_a_wipe_rewinds_it() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = Store::open(Some(dir.path())).unwrap();
            assert_eq!(store.advance_clock(60_000).unwrap(), 60_000);
            assert_eq!(store.advance_clock(1_000).unwrap(), 61_000);
            assert_eq!(store.clock().offset_ms(), 61_000);
            store.release_lock();
        }
        let store = Store::open(Some(dir.path())).unwrap();
        assert_eq!(store.clock().offset_ms(), 61_000, "time does not go back across a restart");
        store.wipe().unwrap();
        assert_eq!(store.clock().offset_ms(), 0);
        assert_eq!(store.advance_clock(5_000).unwrap(), 5_000, "nor does a wiped offset come back");
    }

    #[cfg(unix)]
    fn private_dir() -> (tempfile::TempDir, PathBuf) {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir(&data).unwrap();
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o700)).unwrap();
        (dir, data)
    }

    #[cfg(unix)]
    #[test]
    fn a_symbolic_link_at_any_file_of_the_data_directory_is_refused_and_its_target_untouched() {
        use std::os::unix::fs::PermissionsExt;
        for name in DATA_FILES {
            let (outside, data) = private_dir();
            let target = outside.path().join("precious");
            std::fs::write(&target, "precious").unwrap();
            std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o644)).unwrap();
            std::os::unix::fs::symlink(&target, data.join(name)).unwrap();
            let Err(e) = Store::open(Some(&data)) else { panic!("{name}: a link was accepted") };
            assert!(matches!(e, StoreError::Unsafe { .. }), "{name}: {e}");
            assert!(e.to_string().contains(&format!("{} is a symbolic link", data.join(name).display())), "{e}");
            assert_eq!(std::fs::read_to_string(&target).unwrap(), "precious", "{name}");
            assert_eq!(std::fs::metadata(&target).unwrap().permissions().mode() & 0o777, 0o644, "{name}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_data_directory_others_may_write_in_is_refused_and_a_private_one_accepted() {
        use std::os::unix::fs::PermissionsExt;
        let (_outside, data) = private_dir();
        for mode in [0o777, 0o770, 0o703] {
            std::fs::set_permissions(&data, std::fs::Permissions::from_mode(mode)).unwrap();
            let Err(e) = Store::open(Some(&data)) else { panic!("mode {mode:o} was accepted") };
            assert!(e.to_string().contains(&format!("chmod 700 {}", data.display())), "{e}");
            assert_eq!(std::fs::read_dir(&data).unwrap().count(), 0, "nothing was created in it");
        }
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o700)).unwrap();
        Store::open(Some(&data)).unwrap();
    }
}
