//! What a client needs to know: the three URLs, the OAuth client, the grant.
//!
//! URLs are always given whole (tenant URL, token URL, optional direct API
//! URL): hosts are never built from tenant or region names, because SAC
//! tenants live under several domains (`sapanalytics.cloud`,
//! `hcs.cloud.sap`, `analytics.cloud.sap`).

use std::path::PathBuf;
use std::time::Duration;

use url::Url;

use crate::error::{Error, Result};
use crate::secret::Secret;

/// How the client gets its access token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grant {
    /// Technical access (purpose API Access): no user context.
    ClientCredentials,
    /// A user's login through `sacctl login`; refreshed with its refresh token.
    AuthorizationCode,
    /// User and password sent to the token service (where the client allows it).
    Password,
    /// A SAML 2.0 assertion from the company's IdP (RFC 7522).
    Saml2Bearer,
}

impl Grant {
    pub fn parse(text: &str) -> Result<Self> {
        Ok(match text.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "client_credentials" => Grant::ClientCredentials,
            "authorization_code" | "refresh_token" | "login" => Grant::AuthorizationCode,
            "password" => Grant::Password,
            "saml2_bearer" | "saml" | "saml_bearer" | "urn:ietf:params:oauth:grant-type:saml2-bearer" => {
                Grant::Saml2Bearer
            }
            _ => {
                return Err(Error::Config(
                    "unknown grant: use client_credentials, authorization_code, password or saml2_bearer".into(),
                ))
            }
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Grant::ClientCredentials => "client_credentials",
            Grant::AuthorizationCode => "authorization_code",
            Grant::Password => "password",
            Grant::Saml2Bearer => "saml2_bearer",
        }
    }

    /// True when tokens of this grant carry a user.
    pub fn has_user(self) -> bool {
        self != Grant::ClientCredentials
    }
}

/// Where a SAML assertion comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SamlSource {
    /// A file holding the assertion (XML, or base64 of it).
    File(PathBuf),
    /// A command whose standard output is the assertion (run by `sh -c`).
    Command(String),
}

/// Everything the client needs. Build it with [`ClientConfig::new`] and set
/// the optional parts.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// Browser domain, e.g. `https://acme.eu10.hcs.cloud.sap`.
    pub tenant_url: Url,
    /// Direct API domain, e.g. `https://acme.api.eu10.hcs.cloud.sap` (preferred for public APIs).
    pub api_url: Option<Url>,
    /// Full token endpoint, e.g. `https://acme.authentication.eu10.hana.ondemand.com/oauth/token`.
    pub token_url: Url,
    pub client_id: String,
    pub client_secret: Secret,
    pub grant: Grant,
    /// For the password grant.
    pub user: Option<String>,
    pub password: Option<Secret>,
    pub saml: Option<SamlSource>,
    /// Directory of the on-disk token cache; `None` keeps tokens in memory only.
    pub cache_dir: Option<PathBuf>,
    /// Name under which tokens are cached (the profile).
    pub profile: String,
    /// PEM file with extra root certificates (corporate TLS inspection).
    pub ca_bundle: Option<PathBuf>,
    /// Explicit proxy URL; otherwise HTTPS_PROXY / HTTP_PROXY / NO_PROXY apply.
    pub proxy: Option<Url>,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    pub retry: RetryPolicy,
}

/// How hard to try before giving up on an answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per request, the first included.
    pub max_attempts: u32,
    /// First back-off; doubles per attempt up to `max_delay`. Each pause is
    /// drawn between half and all of that (jitter, so that clients refused
    /// together do not come back together), never more than `max_delay`.
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// Total time one request may spend retrying.
    pub budget: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 6,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(15),
            budget: Duration::from_secs(90),
        }
    }
}

/// Checks a URL given in settings: absolute, http(s), no query or fragment.
pub fn parse_url(name: &str, value: &str) -> Result<Url> {
    // Messages never quote the value: a mistyped setting may hold a secret.
    let url = Url::parse(value.trim()).map_err(|e| Error::Config(format!("{name} is not a URL ({e})")))?;
    if !matches!(url.scheme(), "https" | "http") {
        return Err(Error::Config(format!("{name} must start with https://")));
    }
    if url.host_str().is_none() {
        return Err(Error::Config(format!("{name} has no host")));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::Config(format!("{name} must not carry a query or fragment")));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::Config(format!("{name} must not carry credentials: give them as client id and secret")));
    }
    Ok(url)
}

/// Checks the token URL: a URL as [`parse_url`] takes it whose path ends in
/// `/oauth/token`, the token endpoint App Integration lists as "Token URL".
/// Another path (the bare host, `.../oauth`) gets no OAuth answer, and the
/// error says so before any request instead of blaming the credentials.
pub fn parse_token_url(name: &str, value: &str) -> Result<Url> {
    let url = parse_url(name, value)?;
    if !url.path().trim_end_matches('/').ends_with("/oauth/token") {
        return Err(Error::Config(format!(
            "{name} must end in /oauth/token: give the 'Token URL' of System > Administration > App Integration \
             (https://<subdomain>.authentication.<region>.hana.ondemand.com/oauth/token)"
        )));
    }
    Ok(url)
}

/// Checks a tenant or API URL: a URL as [`parse_url`] takes it with no path,
/// since sacctl adds the paths of SAC's services itself. A URL copied from
/// the browser (`https://host/sap/fpa/ui/app.html#...`) is refused with the
/// part to keep.
pub fn parse_host_url(name: &str, value: &str) -> Result<Url> {
    let trimmed = value.trim();
    let url = match Url::parse(trimmed) {
        // A URL copied from the browser also has a fragment: the path is
        // what to name. Credentials are refused by `parse_url` (never echoed).
        Ok(url)
            if !url.path().trim_end_matches('/').is_empty()
                && url.username().is_empty()
                && url.password().is_none()
                && url.host_str().is_some() =>
        {
            url
        }
        _ => return parse_url(name, value),
    };
    let host = url.host_str().unwrap_or_default();
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    Err(Error::Config(format!(
        "{name} must be the address of the tenant only, without a path: give {}://{host}{port} (sacctl adds the paths \
         of SAC's services itself)",
        url.scheme()
    )))
}

impl ClientConfig {
    pub fn new(
        tenant_url: Url,
        token_url: Url,
        client_id: impl Into<String>,
        client_secret: Secret,
        grant: Grant,
    ) -> Self {
        ClientConfig {
            tenant_url,
            api_url: None,
            token_url,
            client_id: client_id.into(),
            client_secret,
            grant,
            user: None,
            password: None,
            saml: None,
            cache_dir: None,
            profile: "default".into(),
            ca_bundle: None,
            proxy: None,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            retry: RetryPolicy::default(),
        }
    }

    /// Checks that the settings the grant needs are there.
    pub fn validate(&self) -> Result<()> {
        if self.client_id.trim().is_empty() {
            return Err(Error::Config("the OAuth client id is empty (SACCTL_CLIENT_ID)".into()));
        }
        if self.client_secret.is_empty() {
            return Err(Error::Config(
                "the OAuth client secret is empty (SACCTL_CLIENT_SECRET, client_secret_file or client_secret_cmd)"
                    .into(),
            ));
        }
        match self.grant {
            Grant::Password if self.user.is_none() || self.password.is_none() => Err(Error::Config(
                "the password grant needs a user and a password (SACCTL_USER, SACCTL_PASSWORD)".into(),
            )),
            Grant::Saml2Bearer if self.saml.is_none() => Err(Error::Config(
                "the SAML bearer grant needs an assertion (SACCTL_SAML_ASSERTION_FILE or SACCTL_SAML_ASSERTION_CMD)"
                    .into(),
            )),
            _ => Ok(()),
        }
    }

    /// The authorization endpoint that belongs to the token endpoint.
    pub fn authorize_url(&self) -> Url {
        let mut url = self.token_url.clone();
        let path = url.path().trim_end_matches('/').trim_end_matches("/token").to_string();
        url.set_path(&format!("{path}/authorize"));
        url
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_parse_in_their_usual_spellings() {
        assert_eq!(Grant::parse("client_credentials").unwrap(), Grant::ClientCredentials);
        assert_eq!(Grant::parse("SAML2-Bearer").unwrap(), Grant::Saml2Bearer);
        assert_eq!(Grant::parse("authorization_code").unwrap(), Grant::AuthorizationCode);
        assert!(Grant::parse("implicit").unwrap_err().to_string().contains("unknown grant"));
    }

    #[test]
    fn urls_are_checked() {
        assert!(parse_url("SACCTL_TENANT_URL", "https://acme.eu10.hcs.cloud.sap").is_ok());
        assert!(parse_url("SACCTL_TENANT_URL", "acme.eu10.hcs.cloud.sap").is_err());
        assert!(parse_url("SACCTL_TENANT_URL", "ftp://x").is_err());
        assert!(parse_url("SACCTL_TOKEN_URL", "https://x/oauth/token?grant_type=client_credentials").is_err());
        assert!(parse_url("SACCTL_TOKEN_URL", "https://id:secret@x/oauth/token").is_err());
        let token = |v| parse_token_url("SACCTL_TOKEN_URL", v).map_err(|e| e.to_string());
        assert!(token("https://a.authentication.eu10.hana.ondemand.com/oauth/token").is_ok());
        assert!(token("http://127.0.0.1:9/oauth/token/").is_ok());
        for wrong in ["https://a.authentication.eu10.hana.ondemand.com", "https://a.example/oauth", "https://a/token"] {
            assert!(token(wrong).unwrap_err().contains("must end in /oauth/token"), "{wrong}");
        }
        let host = |v| parse_host_url("SACCTL_TENANT_URL", v).map_err(|e| e.to_string());
        assert!(host("https://acme.eu10.hcs.cloud.sap/").is_ok());
        let app = host("https://acme.eu10.hcs.cloud.sap/sap/fpa/ui/app.html#/home").unwrap_err();
        assert!(app.contains("without a path: give https://acme.eu10.hcs.cloud.sap "), "{app}");
        assert!(host("http://127.0.0.1:8080/x").unwrap_err().contains("give http://127.0.0.1:8080 "));
        assert!(!host("https://user:pw@acme/x").unwrap_err().contains("pw"));
    }

    #[test]
    fn debug_output_hides_secrets() {
        let mut c = ClientConfig::new(
            parse_url("t", "https://t.example").unwrap(),
            parse_url("k", "https://auth.example/oauth/token").unwrap(),
            "id",
            "client-secret-value".into(),
            Grant::Password,
        );
        c.password = Some("password-value".into());
        let debug = format!("{c:?}");
        assert!(!debug.contains("client-secret-value") && !debug.contains("password-value"), "{debug}");
    }

    #[test]
    fn authorize_url_sits_beside_the_token_url() {
        let c = ClientConfig::new(
            parse_url("t", "https://t.example").unwrap(),
            parse_url("k", "https://auth.example/oauth/token").unwrap(),
            "id",
            "s".into(),
            Grant::AuthorizationCode,
        );
        assert_eq!(c.authorize_url().as_str(), "https://auth.example/oauth/authorize");
    }
}
