//! The on-disk token cache: one owner-only JSON file per profile, written
//! atomically, so that a scheduler step running `sacctl` every minute reuses
//! its token instead of fetching a new one each time.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::ClientConfig;
use crate::error::{Error, Result};
use crate::fs_safety;

/// A cached token set. Written to disk only with owner-only permissions.
#[derive(Clone, Serialize, Deserialize)]
pub struct CachedTokens {
    /// Identifies the settings the tokens were obtained with; tokens of
    /// other settings are never reused.
    pub key: String,
    pub access_token: String,
    /// Unix seconds.
    pub expires_at: i64,
    #[serde(default)]
    pub refresh_token: Option<String>,
    #[serde(default)]
    pub user: Option<String>,
}

impl std::fmt::Debug for CachedTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedTokens")
            .field("expires_at", &self.expires_at)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

/// The cache key of a configuration: token URL, client and its secret,
/// grant and user (a changed secret or user never reuses old tokens). Only
/// a digest is stored.
pub fn key(config: &ClientConfig) -> String {
    let mut hasher = Sha256::new();
    let parts = [
        config.token_url.as_str(),
        &config.client_id,
        config.client_secret.expose(),
        config.grant.as_str(),
        config.user.as_deref().unwrap_or(""),
    ];
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    hasher.finalize().iter().take(16).map(|b| format!("{b:02x}")).collect()
}

pub struct TokenCache {
    path: PathBuf,
}

fn cache_error(path: &Path, source: std::io::Error) -> Error {
    Error::Cache { path: path.display().to_string(), source }
}

impl TokenCache {
    pub fn new(dir: &Path, profile: &str) -> Self {
        let safe: String =
            profile.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
        TokenCache { path: dir.join(format!("tokens-{safe}.json")) }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The cached tokens, if present, readable and made for `key`. A corrupt
    /// file counts as absent (it is rewritten on the next save).
    pub fn load(&self, key: &str) -> Option<CachedTokens> {
        let text = fs_safety::read_to_string(&self.path).ok()?;
        match serde_json::from_str::<CachedTokens>(&text) {
            Ok(tokens) if tokens.key == key => Some(tokens),
            Ok(_) => None,
            Err(e) => {
                tracing::warn!(path = %self.path.display(), error = %e, "ignoring an unreadable token cache");
                None
            }
        }
    }

    /// Writes the tokens: to a temporary owner-only file, then renamed.
    pub fn save(&self, tokens: &CachedTokens) -> Result<()> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        create_private_dir(dir).map_err(|e| cache_error(dir, e))?;
        fs_safety::check_private_dir(dir).map_err(|e| cache_error(dir, e))?;
        let text = serde_json::to_string(tokens).expect("tokens serialize");
        fs_safety::replace(&self.path, text.as_bytes()).map_err(|e| cache_error(&self.path, e))
    }

    pub fn remove(&self) -> Result<bool> {
        match std::fs::remove_file(&self.path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(cache_error(&self.path, e)),
        }
    }
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(dir)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(key: &str) -> CachedTokens {
        CachedTokens { key: key.into(), access_token: "a".into(), expires_at: 1, refresh_token: None, user: None }
    }

    #[test]
    fn saves_owner_only_and_loads_by_key() {
        let dir = tempfile::tempdir().unwrap();
        let cache = TokenCache::new(&dir.path().join("sub"), "prod/eu");
        cache.save(&tokens("k1")).unwrap();
        assert!(cache.path().ends_with("tokens-prod_eu.json"));
        assert!(cache.load("k1").is_some());
        assert!(cache.load("k2").is_none(), "tokens of other settings are not reused");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(cache.path()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(cache.path(), "not json").unwrap();
        assert!(cache.load("k1").is_none());
        assert!(cache.remove().unwrap());
        assert!(!cache.remove().unwrap());
    }

    #[cfg(unix)]
    #[test]
    fn a_link_at_the_cache_file_is_replaced_not_written_through() {
        use crate::fs_safety::bait;
        let (dir, outside) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let cache = TokenCache::new(dir.path(), "prod");
        let target = bait::plant(outside.path(), cache.path());
        assert!(cache.load("k1").is_none());
        cache.save(&tokens("k1")).unwrap();
        assert!(cache.load("k1").is_some());
        bait::assert_untouched(&target);
    }

    #[cfg(unix)]
    #[test]
    fn a_cache_directory_others_may_write_in_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        crate::fs_safety::bait::make_world_writable(dir.path());
        let cache = TokenCache::new(dir.path(), "prod");
        let e = cache.save(&tokens("k1")).unwrap_err();
        assert!(matches!(e, Error::Cache { .. }), "{e}");
        assert!(!cache.path().exists());
    }
}
