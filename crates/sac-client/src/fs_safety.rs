//! The files sacctl keeps for itself (trigger locks and claims, cached
//! tokens) must not be redirected by someone else. On Unix their directory
//! has to be the user's own and not writable by group or others, and files
//! are opened without following a symbolic link, so a link planted at one of
//! their names is refused instead of having its target written. Elsewhere
//! nothing is checked. (The emulator has its own check of its data directory.)

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;

/// Makes `options` fail on a symbolic link at the file's own name.
pub(crate) fn no_follow(options: &mut OpenOptions) -> &mut OpenOptions {
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(options, rustix::fs::OFlags::NOFOLLOW.bits() as i32);
    options
}

/// Refuses `dir` when another user owns it or group or others may write in it.
#[cfg(unix)]
pub(crate) fn check_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(dir)?;
    let problem = if meta.uid() != rustix::process::geteuid().as_raw() {
        format!("it belongs to another user (uid {}): use a directory of your own", meta.uid())
    } else if meta.mode() & 0o022 != 0 {
        format!("group or others may write in it (mode {:o}): run `chmod 700 {}`", meta.mode() & 0o7777, dir.display())
    } else {
        return Ok(());
    };
    Err(std::io::Error::new(std::io::ErrorKind::PermissionDenied, format!("refusing {}: {problem}", dir.display())))
}

#[cfg(not(unix))]
pub(crate) fn check_private_dir(_dir: &Path) -> std::io::Result<()> {
    Ok(())
}

/// Replaces `path` with `bytes` whole: written to a new owner-only file next
/// to it, created exclusively (never through a link), then renamed over it
/// (a link at `path` itself is replaced, its target left alone).
pub(crate) fn replace(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{}.tmp", std::process::id()));
    let tmp = path.with_file_name(name);
    // Left by a crashed process of the same pid (removing a link removes the link only).
    let _ = std::fs::remove_file(&tmp);
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    no_follow(&mut options);
    let write = || -> std::io::Result<()> {
        let mut file = options.open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    };
    write().inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// Reads `path` as text without following a link at its name.
pub(crate) fn read_to_string(path: &Path) -> std::io::Result<String> {
    let mut text = String::new();
    std::io::Read::read_to_string(&mut no_follow(OpenOptions::new().read(true)).open(path)?, &mut text)?;
    Ok(text)
}

/// For tests: a file outside the checked directory that a planted link
/// points at, and the check that nothing wrote to it or changed its mode.
#[cfg(all(test, unix))]
pub(crate) mod bait {
    use std::os::unix::fs::PermissionsExt;
    use std::path::{Path, PathBuf};

    pub fn plant(outside: &Path, link: &Path) -> PathBuf {
        let target = outside.join("precious");
        std::fs::write(&target, "precious").unwrap();
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o644)).unwrap();
        std::os::unix::fs::symlink(&target, link).unwrap();
        target
    }

    pub fn assert_untouched(target: &Path) {
        assert_eq!(std::fs::read_to_string(target).unwrap(), "precious");
        assert_eq!(std::fs::metadata(target).unwrap().permissions().mode() & 0o777, 0o644);
    }

    pub fn make_world_writable(dir: &Path) {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn a_private_dir_passes_and_a_group_or_world_writable_one_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        check_private_dir(dir.path()).unwrap();
        for mode in [0o770, 0o702, 0o777] {
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(mode)).unwrap();
            let e = check_private_dir(dir.path()).unwrap_err().to_string();
            assert!(e.contains(&format!("chmod 700 {}", dir.path().display())), "{e}");
        }
    }

    #[test]
    fn replace_never_writes_through_a_link_at_the_name_or_at_the_temporary_name() {
        let (dir, outside) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let path = dir.path().join("f");
        let target = bait::plant(outside.path(), &path);
        std::os::unix::fs::symlink(&target, dir.path().join(format!("f.{}.tmp", std::process::id()))).unwrap();
        assert!(read_to_string(&path).is_err(), "a link is not read through");
        replace(&path, b"new").unwrap();
        assert_eq!(read_to_string(&path).unwrap(), "new");
        assert!(!std::fs::symlink_metadata(&path).unwrap().is_symlink());
        bait::assert_untouched(&target);
    }
}
