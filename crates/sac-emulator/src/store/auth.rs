//! Tokens, authorization codes and sessions, stored as digests (never the
//! secrets themselves).
//!
//! Every request checks a token or a session, so both are kept in memory
//! too: reads come from the cache, writes go to SQLite first and then to the
//! cache (write-through). A session's sliding idle timeout moves on every
//! request; it is written to SQLite only when it moved by a minute or more,
//! so that a restart loses at most a minute of idle time.

use std::collections::HashMap;
use std::sync::RwLock;

use rusqlite::{params, OptionalExtension};

use super::{Store, StoreResult};

/// How far a session's expiry may move in memory before it is written.
const SESSION_WRITE_SLACK_SECS: i64 = 60;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    Access,
    Refresh,
}

impl TokenKind {
    fn as_str(self) -> &'static str {
        match self {
            TokenKind::Access => "access",
            TokenKind::Refresh => "refresh",
        }
    }
}

/// What the emulator knows about an issued token (never the token itself).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRecord {
    pub kind: TokenKind,
    pub jti: String,
    pub client_id: String,
    /// `None` for client-credentials tokens (no user context).
    pub user: Option<String>,
    pub grant_type: String,
    pub scope: String,
    /// Unix seconds.
    pub expires_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthCodeRecord {
    pub client_id: String,
    pub user: String,
    pub redirect_uri: Option<String>,
    pub challenge: Option<String>,
    pub expires_at: i64,
    pub used: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionKind {
    /// Logged in with the login form: the cookie alone authenticates.
    Browser,
    /// Opened by a CSRF fetch with a bearer token: the cookie carries the
    /// CSRF token, the bearer token still authenticates each call.
    Token,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRecord {
    pub digest: String,
    pub kind: SessionKind,
    pub user: Option<String>,
    pub client_id: Option<String>,
    pub csrf: Option<String>,
    pub expires_at: i64,
}

/// A cached session and the expiry last written to SQLite.
#[derive(Clone)]
struct CachedSession {
    record: SessionRecord,
    stored_expires_at: i64,
}

/// The in-memory copy of tokens and sessions. `None` in a map means "known
/// not to exist" is not cached: a miss always asks SQLite.
#[derive(Default)]
pub(crate) struct AuthCache {
    tokens: RwLock<HashMap<String, TokenRecord>>,
    sessions: RwLock<HashMap<String, CachedSession>>,
}

impl AuthCache {
    pub(crate) fn clear(&self) {
        self.tokens.write().unwrap_or_else(|p| p.into_inner()).clear();
        self.sessions.write().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

impl Store {
    // ---- tokens -------------------------------------------------------

    pub fn insert_token(&self, digest: &str, t: &TokenRecord) -> StoreResult<()> {
        self.conn()
            .prepare_cached(
                "INSERT INTO tokens (digest, kind, jti, client_id, user, grant_type, scope, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                digest,
                t.kind.as_str(),
                t.jti,
                t.client_id,
                t.user,
                t.grant_type,
                t.scope,
                t.expires_at
            ])?;
        self.auth.tokens.write().unwrap_or_else(|p| p.into_inner()).insert(digest.to_string(), t.clone());
        Ok(())
    }

    pub fn token(&self, digest: &str) -> StoreResult<Option<TokenRecord>> {
        if let Some(t) = self.auth.tokens.read().unwrap_or_else(|p| p.into_inner()).get(digest) {
            return Ok(Some(t.clone()));
        }
        let found = self
            .conn()
            .prepare_cached(
                "SELECT kind, jti, client_id, user, grant_type, scope, expires_at FROM tokens WHERE digest = ?1",
            )?
            .query_row([digest], |r| {
                let kind: String = r.get(0)?;
                Ok(TokenRecord {
                    kind: if kind == "refresh" { TokenKind::Refresh } else { TokenKind::Access },
                    jti: r.get(1)?,
                    client_id: r.get(2)?,
                    user: r.get(3)?,
                    grant_type: r.get(4)?,
                    scope: r.get(5)?,
                    expires_at: r.get(6)?,
                })
            })
            .optional()?;
        if let Some(t) = &found {
            self.auth.tokens.write().unwrap_or_else(|p| p.into_inner()).insert(digest.to_string(), t.clone());
        }
        Ok(found)
    }

    /// Makes a token expire at `at` (unix seconds), as an injected fault does.
    pub fn expire_token(&self, digest: &str, at: i64) -> StoreResult<()> {
        self.conn()
            .prepare_cached("UPDATE tokens SET expires_at = ?2 WHERE digest = ?1")?
            .execute(params![digest, at])?;
        if let Some(t) = self.auth.tokens.write().unwrap_or_else(|p| p.into_inner()).get_mut(digest) {
            t.expires_at = at;
        }
        Ok(())
    }

    // ---- authorization codes ------------------------------------------

    pub fn insert_auth_code(&self, digest: &str, c: &AuthCodeRecord) -> StoreResult<()> {
        self.conn()
            .prepare_cached(
                "INSERT INTO auth_codes (digest, client_id, user, redirect_uri, challenge, expires_at, used)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0)",
            )?
            .execute(params![digest, c.client_id, c.user, c.redirect_uri, c.challenge, c.expires_at])?;
        Ok(())
    }

    /// Returns the code and marks it used (codes are single use).
    pub fn take_auth_code(&self, digest: &str) -> StoreResult<Option<AuthCodeRecord>> {
        self.write(|w| {
            let code = w
                .conn()
                .prepare_cached(
                    "SELECT client_id, user, redirect_uri, challenge, expires_at, used FROM auth_codes WHERE digest = ?1",
                )?
                .query_row([digest], |r| {
                    Ok(AuthCodeRecord {
                        client_id: r.get(0)?,
                        user: r.get(1)?,
                        redirect_uri: r.get(2)?,
                        challenge: r.get(3)?,
                        expires_at: r.get(4)?,
                        used: r.get::<_, i64>(5)? != 0,
                    })
                })
                .optional()?;
            w.conn().prepare_cached("UPDATE auth_codes SET used = 1 WHERE digest = ?1")?.execute([digest])?;
            Ok(code)
        })
    }

    // ---- sessions -----------------------------------------------------

    pub fn insert_session(&self, s: &SessionRecord) -> StoreResult<()> {
        let kind = match s.kind {
            SessionKind::Browser => "browser",
            SessionKind::Token => "token",
        };
        self.conn()
            .prepare_cached(
                "INSERT INTO sessions (digest, kind, user, client_id, csrf, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![s.digest, kind, s.user, s.client_id, s.csrf, s.expires_at])?;
        let cached = CachedSession { record: s.clone(), stored_expires_at: s.expires_at };
        self.auth.sessions.write().unwrap_or_else(|p| p.into_inner()).insert(s.digest.clone(), cached);
        Ok(())
    }

    /// The session, if it exists and has not expired at `now`.
    pub fn session(&self, digest: &str, now: i64) -> StoreResult<Option<SessionRecord>> {
        let cached = self.auth.sessions.read().unwrap_or_else(|p| p.into_inner()).get(digest).map(|c| c.record.clone());
        let record = match cached {
            Some(record) => Some(record),
            None => self.load_session(digest)?,
        };
        Ok(record.filter(|s| !crate::clock::has_passed(s.expires_at, now)))
    }

    fn load_session(&self, digest: &str) -> StoreResult<Option<SessionRecord>> {
        let found = self
            .conn()
            .prepare_cached("SELECT digest, kind, user, client_id, csrf, expires_at FROM sessions WHERE digest = ?1")?
            .query_row([digest], |r| {
                let kind: String = r.get(1)?;
                Ok(SessionRecord {
                    digest: r.get(0)?,
                    kind: if kind == "browser" { SessionKind::Browser } else { SessionKind::Token },
                    user: r.get(2)?,
                    client_id: r.get(3)?,
                    csrf: r.get(4)?,
                    expires_at: r.get(5)?,
                })
            })
            .optional()?;
        if let Some(s) = &found {
            let cached = CachedSession { record: s.clone(), stored_expires_at: s.expires_at };
            self.auth.sessions.write().unwrap_or_else(|p| p.into_inner()).insert(digest.to_string(), cached);
        }
        Ok(found)
    }

    /// Slides the idle timeout of a session.
    pub fn touch_session(&self, digest: &str, expires_at: i64) -> StoreResult<()> {
        let write = {
            let mut sessions = self.auth.sessions.write().unwrap_or_else(|p| p.into_inner());
            match sessions.get_mut(digest) {
                Some(c) => {
                    c.record.expires_at = expires_at;
                    let due = (expires_at - c.stored_expires_at).abs() >= SESSION_WRITE_SLACK_SECS;
                    if due {
                        c.stored_expires_at = expires_at;
                    }
                    due
                }
                None => true,
            }
        };
        if write {
            self.conn()
                .prepare_cached("UPDATE sessions SET expires_at = ?2 WHERE digest = ?1")?
                .execute(params![digest, expires_at])?;
        }
        Ok(())
    }

    pub fn set_session_csrf(&self, digest: &str, csrf: Option<&str>) -> StoreResult<()> {
        self.conn()
            .prepare_cached("UPDATE sessions SET csrf = ?2 WHERE digest = ?1")?
            .execute(params![digest, csrf])?;
        if let Some(c) = self.auth.sessions.write().unwrap_or_else(|p| p.into_inner()).get_mut(digest) {
            c.record.csrf = csrf.map(str::to_string);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_codes_are_single_use() {
        let store = Store::open(None).unwrap();
        let code = AuthCodeRecord {
            client_id: "c".into(),
            user: "u".into(),
            redirect_uri: None,
            challenge: None,
            expires_at: 10,
            used: false,
        };
        store.insert_auth_code("d", &code).unwrap();
        assert!(!store.take_auth_code("d").unwrap().unwrap().used);
        assert!(store.take_auth_code("d").unwrap().unwrap().used);
        assert!(store.take_auth_code("other").unwrap().is_none());
    }

    #[test]
    fn sessions_come_from_memory_and_expire() {
        let store = Store::open(None).unwrap();
        let s = SessionRecord {
            digest: "d".into(),
            kind: SessionKind::Token,
            user: None,
            client_id: Some("c".into()),
            csrf: None,
            expires_at: 100,
        };
        store.insert_session(&s).unwrap();
        store.set_session_csrf("d", Some("t")).unwrap();
        assert_eq!(store.session("d", 50).unwrap().unwrap().csrf.as_deref(), Some("t"));
        store.touch_session("d", 120).unwrap();
        assert!(store.session("d", 110).unwrap().is_some());
        assert!(store.session("d", 130).unwrap().is_none());
        // Forgetting the cache falls back to SQLite, which has the CSRF token.
        store.auth.clear();
        assert_eq!(store.session("d", 50).unwrap().unwrap().csrf.as_deref(), Some("t"));
    }
}
