//! The token service (XSUAA) shapes: RFC 6749 token responses and errors.

use serde::{Deserialize, Serialize};

/// Grant type URN of the SAML 2.0 bearer assertion grant (RFC 7522).
pub const SAML2_BEARER_GRANT: &str = "urn:ietf:params:oauth:grant-type:saml2-bearer";

/// A successful answer of `POST /oauth/token`, in XSUAA's shape.
///
/// Holds secrets: it has no `Debug` that would print them.
#[derive(Clone, Serialize, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    /// Always `bearer` (lower case) from XSUAA.
    pub token_type: String,
    /// Seconds until the access token expires (3599 on observed tenants).
    pub expires_in: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// Space separated scopes.
    #[serde(default)]
    pub scope: String,
    #[serde(default)]
    pub jti: String,
}

impl std::fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenResponse")
            .field("access_token", &"[redacted]")
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .field("refresh_token", &self.refresh_token.as_ref().map(|_| "[redacted]"))
            .field("scope", &self.scope)
            .field("jti", &self.jti)
            .finish()
    }
}

/// An RFC 6749 section 5.2 error body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthError {
    /// `invalid_request`, `invalid_client`, `invalid_grant`,
    /// `unauthorized_client`, `unsupported_grant_type`, `invalid_scope`,
    /// or `invalid_token` (RFC 6750) on resource servers.
    pub error: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
}
