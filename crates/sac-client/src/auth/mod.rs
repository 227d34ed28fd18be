//! Access tokens: obtained by the configured grant, cached (in memory and
//! on disk), refreshed a minute before they expire and once more when SAC
//! refuses one.

pub mod cache;
pub mod login;

use std::sync::Arc;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use sac_types::oauth::{OAuthError, TokenResponse, SAML2_BEARER_GRANT};

use crate::config::{ClientConfig, Grant, SamlSource};
use crate::error::{Error, Result};
use crate::http::{self, Answer, Idempotency, Limit};
use crate::secret::Secret;
use cache::{CachedTokens, TokenCache};

/// Tokens are renewed this many seconds before they expire.
const EARLY_SECS: i64 = 60;

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Hands out valid access tokens for one configuration.
pub struct TokenSource {
    config: Arc<ClientConfig>,
    http: reqwest::Client,
    cache: Option<TokenCache>,
    key: String,
    current: tokio::sync::Mutex<Option<CachedTokens>>,
}

/// What `sacctl auth status` shows of the cached login (never the tokens).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenStatus {
    pub user: Option<String>,
    /// Unix seconds.
    pub expires_at: i64,
    pub has_refresh_token: bool,
    pub cache_file: Option<String>,
}

impl TokenSource {
    pub(crate) fn new(config: Arc<ClientConfig>, http: reqwest::Client) -> Self {
        let cache = config.cache_dir.as_deref().map(|dir| TokenCache::new(dir, &config.profile));
        let key = cache::key(&config);
        TokenSource { config, http, cache, key, current: tokio::sync::Mutex::new(None) }
    }

    pub fn grant(&self) -> Grant {
        self.config.grant
    }

    /// A token that is valid for at least another minute.
    pub async fn access_token(&self) -> Result<Secret> {
        let mut current = self.current.lock().await;
        if current.is_none() {
            *current = self.cache.as_ref().and_then(|c| c.load(&self.key));
        }
        if let Some(tokens) = current.as_ref().filter(|t| t.expires_at - EARLY_SECS > now()) {
            return Ok(Secret::new(tokens.access_token.clone()));
        }
        let refresh = current.as_ref().and_then(|t| t.refresh_token.clone());
        let fresh = match refresh {
            Some(refresh) => match self.refresh(&refresh, current.as_ref().and_then(|t| t.user.clone())).await {
                Ok(tokens) => tokens,
                // A dead refresh token: grants that can start over do so.
                Err(Error::OAuth { ref error, .. })
                    if error == "invalid_grant" && self.config.grant != Grant::AuthorizationCode =>
                {
                    self.obtain().await?
                }
                Err(e) => return Err(e),
            },
            None => self.obtain().await?,
        };
        self.store(&fresh)?;
        let access = Secret::new(fresh.access_token.clone());
        *current = Some(fresh);
        Ok(access)
    }

    /// Forgets `used` if it is still the current token, so the next call
    /// gets a new one (after SAC refused it).
    pub async fn invalidate(&self, used: &Secret) {
        let mut current = self.current.lock().await;
        if let Some(tokens) = current.as_mut().filter(|t| t.access_token == used.expose()) {
            tokens.expires_at = 0;
        }
    }

    /// The cached login, if any.
    pub async fn status(&self) -> Option<TokenStatus> {
        let mut current = self.current.lock().await;
        if current.is_none() {
            *current = self.cache.as_ref().and_then(|c| c.load(&self.key));
        }
        current.as_ref().map(|t| TokenStatus {
            user: t.user.clone(),
            expires_at: t.expires_at,
            has_refresh_token: t.refresh_token.is_some(),
            cache_file: self.cache.as_ref().map(|c| c.path().display().to_string()),
        })
    }

    /// Removes the cached tokens. Returns whether there were any.
    pub async fn logout(&self) -> Result<bool> {
        let mut current = self.current.lock().await;
        let had = current.take().is_some();
        let removed = match &self.cache {
            Some(cache) => cache.remove()?,
            None => false,
        };
        Ok(had || removed)
    }

    fn store(&self, tokens: &CachedTokens) -> Result<()> {
        match &self.cache {
            Some(cache) => cache.save(tokens),
            None => Ok(()),
        }
    }

    async fn obtain(&self) -> Result<CachedTokens> {
        let config = &self.config;
        let (form, user) = match config.grant {
            Grant::ClientCredentials => (vec![("grant_type", "client_credentials".to_string())], None),
            Grant::Password => {
                let user = config.user.clone().unwrap_or_default();
                let password = config.password.as_ref().map(|p| p.expose().to_string()).unwrap_or_default();
                (
                    vec![("grant_type", "password".into()), ("username", user.clone()), ("password", password)],
                    Some(user),
                )
            }
            Grant::Saml2Bearer => {
                let assertion = load_assertion(config.saml.as_ref()).await?;
                (vec![("grant_type", SAML2_BEARER_GRANT.into()), ("assertion", assertion.expose().to_string())], None)
            }
            Grant::AuthorizationCode => {
                return Err(Error::Login(format!(
                    "the authorization code grant needs a login, and profile {:?} has none (or it expired)",
                    config.profile
                )))
            }
        };
        self.request(form, user).await
    }

    async fn refresh(&self, refresh: &str, user: Option<String>) -> Result<CachedTokens> {
        let mut tokens = self
            .request(vec![("grant_type", "refresh_token".into()), ("refresh_token", refresh.to_string())], user)
            .await?;
        if tokens.refresh_token.is_none() {
            tokens.refresh_token = Some(refresh.to_string());
        }
        Ok(tokens)
    }

    /// Redeems an authorization code (after `sacctl login`) and caches the tokens.
    pub async fn exchange_code(&self, code: &str, redirect_uri: &str, verifier: &str) -> Result<TokenStatus> {
        let form = vec![
            ("grant_type", "authorization_code".to_string()),
            ("code", code.to_string()),
            ("redirect_uri", redirect_uri.to_string()),
            ("code_verifier", verifier.to_string()),
        ];
        let tokens = self.request(form, None).await?;
        if tokens.refresh_token.is_none() {
            tracing::warn!(
                "the token service sent no refresh token: the login lasts only as long as this access token"
            );
        }
        self.store(&tokens)?;
        let status = TokenStatus {
            user: tokens.user.clone(),
            expires_at: tokens.expires_at,
            has_refresh_token: tokens.refresh_token.is_some(),
            cache_file: self.cache.as_ref().map(|c| c.path().display().to_string()),
        };
        *self.current.lock().await = Some(tokens);
        Ok(status)
    }

    async fn request(&self, form: Vec<(&'static str, String)>, user: Option<String>) -> Result<CachedTokens> {
        let grant = form.first().map(|(_, g)| g.clone()).unwrap_or_default();
        let grant_name = if grant == SAML2_BEARER_GRANT { "saml2_bearer".to_string() } else { grant };
        let config = &self.config;
        let response = http::send(&config.retry, Idempotency::Safe, || {
            self.http
                .post(config.token_url.clone())
                .basic_auth(&config.client_id, Some(config.client_secret.expose()))
                .header("accept", "application/json")
                .form(&form)
        })
        .await?;
        let answer = Answer::read(response, Limit::Token).await?;
        if answer.status.is_success() {
            let tokens: TokenResponse = answer.json().map_err(|e| match e {
                Error::Decode { snippet, .. } => Error::Decode {
                    context: "the token request".into(),
                    problem: "no token in the answer (is SACCTL_TOKEN_URL the 'Token URL' of App Integration?)".into(),
                    snippet,
                },
                other => other,
            })?;
            let user = jwt_user(&tokens.access_token).or(user);
            return Ok(CachedTokens {
                key: self.key.clone(),
                expires_at: now() + tokens.expires_in as i64,
                access_token: tokens.access_token,
                refresh_token: tokens.refresh_token,
                user,
            });
        }
        if let Ok(e) = serde_json::from_str::<OAuthError>(&answer.body) {
            return Err(Error::OAuth {
                status: answer.status.as_u16(),
                error: e.error,
                description: e.error_description,
                grant: grant_name,
            });
        }
        Err(if answer.status.is_server_error() || answer.status.as_u16() == 429 {
            Error::Unavailable {
                status: answer.status.as_u16(),
                attempts: answer.tries.attempts,
                elapsed: answer.tries.elapsed,
                message: answer.message(),
            }
        } else if answer.status.as_u16() == 405 {
            // Something that takes no POST there: not the token endpoint.
            Error::Config(
                "SACCTL_TOKEN_URL answered HTTP 405 (it takes no POST): it is not the token endpoint; give the \
                 'Token URL' of System > Administration > App Integration, which ends in /oauth/token"
                    .into(),
            )
        } else if answer.is_login_page() || answer.status.as_u16() == 404 {
            Error::Decode {
                context: "the token request".into(),
                problem: format!(
                    "HTTP {} without an OAuth answer (is SACCTL_TOKEN_URL right?)",
                    answer.status.as_u16()
                ),
                snippet: http::snippet(&answer.body),
            }
        } else {
            Error::OAuth {
                status: answer.status.as_u16(),
                error: "unauthorized".into(),
                description: Some(answer.message()),
                grant: grant_name,
            }
        })
    }
}

/// The user a JWT access token names (`user_name`), if it is a readable JWT.
pub fn jwt_user(token: &str) -> Option<String> {
    let payload = token.split('.').nth(1)?;
    let claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?).ok()?;
    claims.get("user_name").and_then(|v| v.as_str()).map(str::to_string)
}

/// Reads a SAML assertion from its file or command and base64-encodes it
/// when it is raw XML.
async fn load_assertion(source: Option<&SamlSource>) -> Result<Secret> {
    let raw = match source {
        Some(SamlSource::File(path)) => tokio::fs::read_to_string(path)
            .await
            .map_err(|e| Error::Config(format!("cannot read the SAML assertion file {}: {e}", path.display())))?,
        Some(SamlSource::Command(command)) => {
            let output = tokio::process::Command::new("sh")
                .arg("-c")
                .arg(command)
                .stdin(std::process::Stdio::null())
                .output()
                .await
                .map_err(|e| Error::Config(format!("cannot run the SAML assertion command: {e}")))?;
            if !output.status.success() {
                return Err(Error::Config(format!(
                    "the SAML assertion command failed ({}): {}",
                    output.status,
                    http::snippet(String::from_utf8_lossy(&output.stderr).trim())
                )));
            }
            String::from_utf8(output.stdout)
                .map_err(|_| Error::Config("the SAML assertion command printed something that is not UTF-8".into()))?
        }
        None => return Err(Error::Config("no SAML assertion source is configured".into())),
    };
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(Error::Config("the SAML assertion is empty".into()));
    }
    Ok(Secret::new(if trimmed.starts_with('<') { STANDARD.encode(trimmed) } else { trimmed.to_string() }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_user_of_a_jwt() {
        let claims = URL_SAFE_NO_PAD.encode(r#"{"user_name":"JDOE"}"#);
        assert_eq!(jwt_user(&format!("h.{claims}.s")).as_deref(), Some("JDOE"));
        assert_eq!(jwt_user("opaque-token"), None);
    }

    #[tokio::test]
    async fn assertions_from_files_and_commands() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.xml");
        std::fs::write(&file, "<saml2:Assertion/>\n").unwrap();
        let from_file = load_assertion(Some(&SamlSource::File(file))).await.unwrap();
        assert_eq!(from_file.expose(), STANDARD.encode("<saml2:Assertion/>"));
        let from_cmd = load_assertion(Some(&SamlSource::Command("echo QUJD".into()))).await.unwrap();
        assert_eq!(from_cmd.expose(), "QUJD");
        let failing = load_assertion(Some(&SamlSource::Command("echo nope >&2; exit 3".into()))).await.unwrap_err();
        assert!(failing.to_string().contains("nope"), "{failing}");
    }
}
