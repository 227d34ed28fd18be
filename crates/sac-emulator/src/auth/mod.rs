//! Who is calling: bearer tokens, session cookies and CSRF tokens.
//!
//! SAC (behind its approuter) knows two ways in. A bearer token from the
//! token service, whose user context (or lack of one) decides what it may
//! reach; and a session cookie, either from a browser login or from a CSRF
//! fetch. On the browser domain every write must carry the CSRF token of the
//! session whose cookie it sends.

use axum::http::{HeaderMap, HeaderValue};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;

use crate::secrets::{constant_time_eq, digest, random_token};
use crate::store::{SessionKind, SessionRecord, Store, StoreResult, TokenKind, TokenRecord};

pub mod saml;

/// How long a session lives without requests (it slides with each one).
#[derive(Clone, Copy)]
pub struct Sessions<'s> {
    pub store: &'s Store,
    pub idle_secs: i64,
}

/// Name of the session cookie (the approuter's).
pub const SESSION_COOKIE: &str = "JSESSIONID";

/// The bearer token of the `Authorization` header, if any.
pub fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get("authorization")?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_string()).filter(|t| !t.is_empty())
}

/// Client id and secret of an HTTP Basic `Authorization` header, as sent.
/// (RFC 6749 2.3.1 wants both form-urlencoded first; most SAC clients send
/// them raw. The token service accepts both, see `oauth`.)
pub fn basic(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get("authorization")?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((id.to_string(), secret.to_string()))
}

/// The value of the session cookie, if sent.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all("cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_string())
}

/// The state of the bearer token of a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenCheck {
    Missing,
    /// Not a token this tenant issued (or a refresh token used as access token).
    Unknown,
    Expired,
    Valid(TokenRecord),
}

pub fn check_bearer(store: &Store, headers: &HeaderMap) -> StoreResult<TokenCheck> {
    let Some(token) = bearer(headers) else {
        return Ok(TokenCheck::Missing);
    };
    Ok(match store.token(&digest(&token))? {
        Some(t) if t.kind != TokenKind::Access => TokenCheck::Unknown,
        Some(t) if store.clock().has_passed(t.expires_at) => TokenCheck::Expired,
        Some(t) => TokenCheck::Valid(t),
        None => TokenCheck::Unknown,
    })
}

/// The live session named by the request's cookie; its idle timeout slides.
pub fn current_session(sessions: Sessions<'_>, headers: &HeaderMap) -> StoreResult<Option<SessionRecord>> {
    let Some(cookie) = session_cookie(headers) else {
        return Ok(None);
    };
    let now = sessions.store.clock().now_secs();
    let session = sessions.store.session(&digest(&cookie), now)?;
    if let Some(s) = &session {
        sessions.store.touch_session(&s.digest, now + sessions.idle_secs)?;
    }
    Ok(session)
}

/// Who a request acts for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub client_id: Option<String>,
    /// `None` for a technical (client-credentials) principal.
    pub user: Option<String>,
    /// True when a bearer token authenticated the request, false for a
    /// browser session.
    pub by_token: bool,
}

impl Principal {
    pub fn from_token(t: &TokenRecord) -> Self {
        Principal { client_id: Some(t.client_id.clone()), user: t.user.clone(), by_token: true }
    }

    pub fn from_browser_session(s: &SessionRecord) -> Option<Self> {
        (s.kind == SessionKind::Browser).then(|| Principal { client_id: None, user: s.user.clone(), by_token: false })
    }

    /// True when `session` was opened by this principal.
    fn owns(&self, session: &SessionRecord) -> bool {
        if self.by_token {
            session.kind == SessionKind::Token && session.client_id == self.client_id && session.user == self.user
        } else {
            session.kind == SessionKind::Browser && session.user == self.user
        }
    }
}

/// True when the request carries the CSRF token of a session that belongs
/// to `principal`, and the cookie of that session.
pub fn csrf_valid(headers: &HeaderMap, session: Option<&SessionRecord>, principal: &Principal) -> bool {
    let Some(sent) = headers.get("x-csrf-token").and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let Some(session) = session else {
        return false;
    };
    principal.owns(session) && session.csrf.as_deref().is_some_and(|expected| constant_time_eq(expected, sent))
}

/// The CSRF token of the web console's forms for a browser session: an
/// HMAC of the session's digest under the tenant's signing key. It differs
/// from the session's SAC CSRF token (a page of the console never learns
/// that one), is never stored, and dies with the session or a reset (new keys).
pub fn form_token(key: &[u8], session: &SessionRecord) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(b"emulator console form\0");
    mac.update(session.digest.as_bytes());
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// True when `sent` is the console's form token of `session` (a browser session).
pub fn form_token_valid(key: &[u8], session: &SessionRecord, sent: &str) -> bool {
    session.kind == SessionKind::Browser && constant_time_eq(&form_token(key, session), sent)
}

/// True when the request asks for a CSRF token (`x-csrf-token: fetch`, any case).
pub fn wants_csrf(headers: &HeaderMap) -> bool {
    headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).is_some_and(|v| v.trim().eq_ignore_ascii_case("fetch"))
}

/// The result of a CSRF fetch: the token, and a cookie to set when a new
/// session was opened.
pub struct CsrfGrant {
    pub token: String,
    pub set_cookie: Option<HeaderValue>,
}

/// Hands out the CSRF token of the principal's session, opening a session
/// when the request has none of its own.
pub fn fetch_csrf(
    sessions: Sessions<'_>,
    principal: &Principal,
    session: Option<SessionRecord>,
) -> StoreResult<CsrfGrant> {
    let (session, set_cookie) = match session.filter(|s| principal.owns(s)) {
        Some(s) => (s, None),
        None => {
            let kind = if principal.by_token { SessionKind::Token } else { SessionKind::Browser };
            let (cookie, s) = open_session(sessions, kind, principal.user.clone(), principal.client_id.clone())?;
            (s, Some(cookie))
        }
    };
    let token = match session.csrf {
        Some(token) => token,
        None => {
            let token = random_token(24);
            sessions.store.set_session_csrf(&session.digest, Some(&token))?;
            token
        }
    };
    Ok(CsrfGrant { token, set_cookie })
}

/// Opens a session and returns the `Set-Cookie` value that names it.
pub fn open_session(
    sessions: Sessions<'_>,
    kind: SessionKind,
    user: Option<String>,
    client_id: Option<String>,
) -> StoreResult<(HeaderValue, SessionRecord)> {
    let id = random_token(32);
    let record = SessionRecord {
        digest: digest(&id),
        kind,
        user,
        client_id,
        csrf: None,
        expires_at: sessions.store.clock().now_secs() + sessions.idle_secs,
    };
    sessions.store.insert_session(&record)?;
    let cookie = format!("{SESSION_COOKIE}={id}; Path=/; HttpOnly; SameSite=Lax");
    Ok((HeaderValue::from_str(&cookie).expect("cookie is ASCII"), record))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn parses_authorization_and_cookies() {
        assert_eq!(bearer(&headers(&[("authorization", "bearer abc")])).as_deref(), Some("abc"));
        assert_eq!(bearer(&headers(&[("authorization", "Basic abc")])), None);
        assert_eq!(bearer(&headers(&[("authorization", "Bearer ")])), None);
        let encoded = format!("Basic {}", STANDARD.encode("sacctl-api:s%3Aecret:x"));
        let b = headers(&[("authorization", encoded.as_str())]);
        assert_eq!(basic(&b), Some(("sacctl-api".into(), "s%3Aecret:x".into())));
        let c = headers(&[("cookie", "a=1; JSESSIONID=xyz"), ("cookie", "b=2")]);
        assert_eq!(session_cookie(&c).as_deref(), Some("xyz"));
        assert!(wants_csrf(&headers(&[("x-csrf-token", "Fetch")])));
        assert!(!wants_csrf(&headers(&[("x-csrf-token", "abc")])));
    }
}
