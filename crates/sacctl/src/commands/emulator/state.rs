//! The state file of a running emulator, `<data dir>/emulator.json`: its
//! pid and the URLs a client can reach. The emulator writes it once it
//! listens and removes it when it stops; whether it still runs is told by
//! the data directory's lock (`emulator.lock`, held by the emulator's
//! store while it serves and dropped by the OS when the process dies), so
//! a file left by a killed emulator is recognised as stale.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The file name, in the data directory.
pub const STATE_FILE: &str = "emulator.json";
/// The lock the emulator's store holds while it serves.
const LOCK_FILE: &str = "emulator.lock";

/// What `sacctl emulator env` / `status` / `stop` need of a running emulator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceState {
    pub pid: u32,
    /// The tenant letter (`t.X:` in object ids).
    pub tenant: String,
    pub tenant_url: String,
    pub api_url: String,
    pub token_url: String,
    pub data_dir: PathBuf,
    pub started_at: String,
    pub version: String,
}

impl ServiceState {
    /// The settings a client needs, in the order they are printed.
    pub fn variables(&self) -> Vec<(&'static str, String)> {
        vec![
            ("SACCTL_TENANT_URL", self.tenant_url.clone()),
            ("SACCTL_API_URL", self.api_url.clone()),
            ("SACCTL_TOKEN_URL", self.token_url.clone()),
            ("SACCTL_TENANT_ID", self.tenant.clone()),
            (crate::cli::EMULATOR_DIR_ENV, self.data_dir.display().to_string()),
        ]
    }
}

/// A URL a client can reach for a listener: an unspecified address
/// (`0.0.0.0`, `::`) is served on loopback too, and is never a destination.
pub fn reachable_url(addr: SocketAddr) -> String {
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}", SocketAddr::new(ip, addr.port()))
}

/// Writes the state file whole or not at all (0600, like the rest of the
/// data directory).
pub fn write(dir: &Path, state: &ServiceState) -> std::io::Result<()> {
    let mut file = tempfile::Builder::new().prefix(".emulator.json").tempfile_in(dir)?;
    serde_json::to_writer_pretty(&mut file, state)?;
    std::io::Write::write_all(&mut file, b"\n")?;
    file.persist(dir.join(STATE_FILE)).map_err(|e| e.error)?;
    Ok(())
}

/// Removes the state file (gone already is fine).
pub fn remove(dir: &Path) {
    match std::fs::remove_file(dir.join(STATE_FILE)) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => tracing::warn!("cannot remove {}: {e}", dir.join(STATE_FILE).display()),
    }
}

/// What a data directory says about its emulator.
#[derive(Debug)]
pub enum Found {
    Running(ServiceState),
    /// Nothing runs; `stale` is the pid of a state file left by an emulator
    /// that died without removing it (the file is removed now).
    NotRunning {
        stale: Option<u32>,
    },
    /// An emulator holds the directory but has not written its state (it
    /// is starting, or it runs in the foreground of an older sacctl).
    Starting,
}

/// Why the state could not be read.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The I/O error is the source, printed as its own `caused by:` line
    /// (so not in this message too).
    #[error("cannot read {path}")]
    Io { path: String, source: std::io::Error },
    #[error("{path} is not an emulator state file ({message}); remove it if no emulator runs there")]
    Corrupt { path: String, message: String },
}

/// Whether an emulator holds the data directory's lock. Taking it to find
/// out would make a starting emulator fail, so it is released at once.
pub fn held(dir: &Path) -> Result<bool, StateError> {
    let path = dir.join(LOCK_FILE);
    let file = match std::fs::File::open(&path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(source) => return Err(StateError::Io { path: path.display().to_string(), source }),
    };
    match file.try_lock() {
        Ok(()) => Ok(false),
        Err(std::fs::TryLockError::WouldBlock) => Ok(true),
        Err(std::fs::TryLockError::Error(source)) => Err(StateError::Io { path: path.display().to_string(), source }),
    }
}

/// Reads the state of the emulator of `dir`, removing a stale state file.
pub fn find(dir: &Path) -> Result<Found, StateError> {
    let path = dir.join(STATE_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(source) => return Err(StateError::Io { path: path.display().to_string(), source }),
    };
    let running = held(dir)?;
    let Some(text) = text else {
        return Ok(if running { Found::Starting } else { Found::NotRunning { stale: None } });
    };
    let state: Result<ServiceState, _> = serde_json::from_str(&text);
    match (running, state) {
        (true, Ok(state)) => Ok(Found::Running(state)),
        (true, Err(e)) => Err(StateError::Corrupt { path: path.display().to_string(), message: e.to_string() }),
        (false, state) => {
            remove(dir);
            Ok(Found::NotRunning { stale: state.ok().map(|s| s.pid) })
        }
    }
}

/// The data directory of the background emulator when none is named:
/// `$SACCTL_EMULATOR_DIR`, else `$XDG_STATE_HOME/sacctl/emulator` (or the
/// platform's local data directory).
pub fn default_dir() -> Option<PathBuf> {
    std::env::var_os(crate::cli::EMULATOR_DIR_ENV)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| dirs::state_dir().or_else(dirs::data_local_dir).map(|d| d.join("sacctl").join("emulator")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cause_of_an_unreadable_state_file_is_printed_once() {
        let error =
            StateError::Io { path: "/srv/emu/state.json".into(), source: std::io::Error::other("disk on fire") };
        let doc = crate::report::failure_json(&crate::failure::Failure::new(crate::exit::ExitStatus::Usage, error));
        assert_eq!(doc["error"], "cannot read /srv/emu/state.json");
        assert_eq!(doc["causes"], serde_json::json!(["disk on fire"]));
    }

    #[test]
    fn unspecified_addresses_become_loopback_urls() {
        assert_eq!(reachable_url("0.0.0.0:8030".parse().unwrap()), "http://127.0.0.1:8030");
        assert_eq!(reachable_url("[::]:8030".parse().unwrap()), "http://[::1]:8030");
        assert_eq!(reachable_url("192.168.1.5:8031".parse().unwrap()), "http://192.168.1.5:8031");
        assert_eq!(reachable_url("[fe80::1]:9".parse().unwrap()), "http://[fe80::1]:9");
    }

    fn state(dir: &Path) -> ServiceState {
        ServiceState {
            pid: 4242,
            tenant: "G".into(),
            tenant_url: "http://127.0.0.1:1".into(),
            api_url: "http://127.0.0.1:2".into(),
            token_url: "http://127.0.0.1:1/oauth/token".into(),
            data_dir: dir.to_path_buf(),
            started_at: "2026-11-28T00:00:00Z".into(),
            version: "0".into(),
        }
    }

    #[test]
    fn a_state_file_counts_only_while_the_lock_is_held() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(find(dir.path()).unwrap(), Found::NotRunning { stale: None }));

        write(dir.path(), &state(dir.path())).unwrap();
        let lock = std::fs::File::create(dir.path().join(LOCK_FILE)).unwrap();
        lock.lock().unwrap();
        match find(dir.path()).unwrap() {
            Found::Running(found) => assert_eq!(found, state(dir.path())),
            other => panic!("{other:?}"),
        }
        drop(lock);
        assert!(matches!(find(dir.path()).unwrap(), Found::NotRunning { stale: Some(4242) }));
        assert!(!dir.path().join(STATE_FILE).exists(), "the stale file is removed");
    }

    #[test]
    fn a_held_lock_without_a_state_file_is_an_emulator_starting() {
        let dir = tempfile::tempdir().unwrap();
        let lock = std::fs::File::create(dir.path().join(LOCK_FILE)).unwrap();
        lock.lock().unwrap();
        assert!(matches!(find(dir.path()).unwrap(), Found::Starting));
        std::fs::write(dir.path().join(STATE_FILE), "not json").unwrap();
        assert!(matches!(find(dir.path()), Err(StateError::Corrupt { .. })));
    }

    #[cfg(unix)]
    #[test]
    fn the_state_file_is_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &state(dir.path())).unwrap();
        let mode = std::fs::metadata(dir.path().join(STATE_FILE)).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
