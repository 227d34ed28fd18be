//! The client: one HTTP connection pool with a cookie jar, the token
//! source, and the CSRF token of the session.

use std::sync::Arc;

use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use sac_types::dataimport::errors;
use sac_types::legacy::EPM_SESSION_PATH;
use url::Url;

use crate::auth::TokenSource;
use crate::config::ClientConfig;
use crate::error::{Error, Result};
use crate::http::{self, Answer, Idempotency, Limit};
use crate::secret::Secret;

/// Which CSRF token a browser-domain write needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Layer {
    /// The UI layer (`/sap/fpa/...`), token from `epm/session?action=logon`.
    Ui,
    /// The public APIs (`/api/v1/...`), token from `GET /api/v1/csrf`.
    Api,
}

/// A request body.
pub(crate) enum Body<'a> {
    Json(&'a serde_json::Value),
    /// A body of another type (CSV chunks); cheap to clone for retries.
    Text {
        content_type: &'static str,
        text: bytes::Bytes,
    },
}

/// A client for one SAC tenant and one identity.
pub struct Client {
    config: Arc<ClientConfig>,
    http: reqwest::Client,
    tokens: TokenSource,
    /// The CSRF tokens of the browser-domain session, one per layer (the
    /// cookie is in the jar).
    csrf_ui: tokio::sync::Mutex<Option<Secret>>,
    csrf_api: tokio::sync::Mutex<Option<Secret>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("tenant_url", &self.config.tenant_url.as_str())
            .field("client_id", &self.config.client_id)
            .field("grant", &self.config.grant)
            .finish_non_exhaustive()
    }
}

/// `base` + `path` + percent-encoded `segments`, keeping any path `base` has.
fn join(base: &Url, path: &str, segments: &[&str]) -> Url {
    let mut url = base.clone();
    let prefix = url.path().trim_end_matches('/').to_string();
    url.set_path(&format!("{prefix}{path}"));
    if !segments.is_empty() {
        url.path_segments_mut().expect("http URLs have paths").extend(segments);
    }
    url
}

fn build_http(config: &ClientConfig, cookies: bool) -> Result<reqwest::Client> {
    let mut headers = HeaderMap::new();
    headers.insert("accept", HeaderValue::from_static("application/json"));
    // Asks SAC for token-based rather than browser-style authentication
    // (SAP's CSRF documentation for the public APIs).
    headers.insert("x-sap-sac-custom-auth", HeaderValue::from_static("true"));
    let mut builder = reqwest::Client::builder()
        .user_agent(concat!("sacctl/", env!("CARGO_PKG_VERSION")))
        .default_headers(headers)
        .cookie_store(cookies)
        // Never follow redirects: a redirect from SAC means "log in", and
        // following it could send credentials elsewhere.
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(config.connect_timeout)
        .timeout(config.request_timeout);
    if let Some(proxy) = &config.proxy {
        builder = builder.proxy(
            reqwest::Proxy::all(proxy.as_str()).map_err(|e| Error::Config(format!("proxy {}: {e}", proxy.as_str())))?,
        );
    }
    if let Some(path) = &config.ca_bundle {
        let pem = std::fs::read(path)
            .map_err(|e| Error::Config(format!("cannot read the CA bundle {}: {e}", path.display())))?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|e| Error::Config(format!("the CA bundle {} is not PEM: {e}", path.display())))?;
        for cert in certs {
            builder = builder.add_root_certificate(cert);
        }
    }
    builder.build().map_err(|e| Error::Config(format!("cannot set up HTTPS: {e}")))
}

impl Client {
    pub fn new(config: ClientConfig) -> Result<Self> {
        config.validate()?;
        let http = build_http(&config, true)?;
        let token_http = build_http(&config, false)?;
        let config = Arc::new(config);
        let tokens = TokenSource::new(config.clone(), token_http);
        Ok(Client {
            config,
            http,
            tokens,
            csrf_ui: tokio::sync::Mutex::new(None),
            csrf_api: tokio::sync::Mutex::new(None),
        })
    }

    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    pub fn tokens(&self) -> &TokenSource {
        &self.tokens
    }

    /// Opens the browser-domain session: a token, then a CSRF token with its
    /// cookie (what `sacctl auth doctor` checks).
    pub async fn open_session(&self) -> Result<()> {
        let token = self.tokens.access_token().await?;
        self.csrf_token(&token, Layer::Ui).await.map(|_| ())
    }

    /// Checks that the public API layer accepts the token: `GET /api/v1/csrf`
    /// on the direct API domain (or the browser domain when none is set).
    pub async fn check_public_api(&self) -> Result<()> {
        self.api_request(Method::GET, "/api/v1/csrf", &[], None, Idempotency::Safe, Limit::Status).await.map(|_| ())
    }

    /// A URL on the browser domain. `segments` are percent-encoded, so an id
    /// can never change the path.
    pub(crate) fn tenant_url(&self, path: &str, segments: &[&str]) -> Url {
        join(&self.config.tenant_url, path, segments)
    }

    /// Where a public API call goes: the direct API domain when configured
    /// (no CSRF), else the browser domain with the CSRF token of `/api/v1/csrf`.
    fn api_url(&self, path: &str, segments: &[&str]) -> (Url, Option<Layer>) {
        match &self.config.api_url {
            Some(api) => (join(api, path, segments), None),
            None => (self.tenant_url(path, segments), Some(Layer::Api)),
        }
    }

    fn csrf_slot(&self, layer: Layer) -> &tokio::sync::Mutex<Option<Secret>> {
        match layer {
            Layer::Ui => &self.csrf_ui,
            Layer::Api => &self.csrf_api,
        }
    }

    /// The CSRF token of our session for a layer, fetched once (one fetch at
    /// a time): the UI layer's logon call, or `GET /api/v1/csrf`.
    async fn csrf_token(&self, token: &Secret, layer: Layer) -> Result<Secret> {
        let mut csrf = self.csrf_slot(layer).lock().await;
        if let Some(existing) = csrf.as_ref() {
            return Ok(existing.clone());
        }
        let mut url = match layer {
            Layer::Ui => self.tenant_url(EPM_SESSION_PATH, &[]),
            Layer::Api => self.tenant_url("/api/v1/csrf", &[]),
        };
        if layer == Layer::Ui {
            url.query_pairs_mut().append_pair("action", "logon");
        }
        let response = http::send(&self.config.retry, Idempotency::Safe, || {
            self.http
                .get(url.clone())
                .bearer_auth(token.expose())
                .header("x-csrf-token", "fetch")
                .header("x-sap-sac-custom-auth", "true")
        })
        .await?;
        let answer = Answer::read(response, Limit::Status).await?;
        if answer.is_login_page() {
            return Err(Error::LoginPage { endpoint: answer.endpoint, grant: self.config.grant.as_str().into() });
        }
        if !answer.status.is_success() {
            return Err(self.refusal(answer).await);
        }
        let fetched = answer
            .headers
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty() && !v.eq_ignore_ascii_case("required"))
            .ok_or_else(|| Error::Decode {
                context: answer.endpoint.clone(),
                problem: "the CSRF fetch returned no x-csrf-token header".into(),
                snippet: http::snippet(&answer.body),
            })?;
        let fetched = Secret::new(fetched);
        *csrf = Some(fetched.clone());
        Ok(fetched)
    }

    /// Forgets the CSRF token `used`, unless another task already replaced it.
    async fn drop_csrf(&self, used: &Secret, layer: Layer) {
        let mut csrf = self.csrf_slot(layer).lock().await;
        if csrf.as_ref().is_some_and(|c| c.expose() == used.expose()) {
            *csrf = None;
        }
    }

    /// A request to the UI layer on the browser domain: bearer token, and
    /// for writes the CSRF token with its session cookie. A refused token is
    /// renewed once and a refused CSRF token fetched again once.
    pub(crate) async fn ui_request(
        &self,
        method: Method,
        url: Url,
        body: Option<&serde_json::Value>,
        idempotency: Idempotency,
    ) -> Result<Answer> {
        // The UI layer's answers hold schedule lists, logs and rejected rows.
        self.request(method, url, body.map(Body::Json), idempotency, Some(Layer::Ui), Limit::Bulk).await
    }

    /// A request to a public API (`/api/v1/...`), see [`Client::api_url`].
    pub(crate) async fn api_request(
        &self,
        method: Method,
        path: &str,
        segments: &[&str],
        body: Option<Body<'_>>,
        idempotency: Idempotency,
        limit: Limit,
    ) -> Result<Answer> {
        let (url, layer) = self.api_url(path, segments);
        self.request(method, url, body, idempotency, layer, limit).await
    }

    /// A GET on a public API with query parameters.
    pub(crate) async fn api_get_query(&self, path: &str, segments: &[&str], query: &[(&str, &str)]) -> Result<Answer> {
        let (mut url, layer) = self.api_url(path, segments);
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        // Data Export pages and `$metadata`.
        self.request(Method::GET, url, None, Idempotency::Safe, layer, Limit::Bulk).await
    }

    /// A DELETE on a public API with query parameters (a Data Export
    /// subscription chain).
    pub(crate) async fn api_delete_query(
        &self,
        path: &str,
        segments: &[&str],
        query: &[(&str, &str)],
    ) -> Result<Answer> {
        let (mut url, layer) = self.api_url(path, segments);
        url.query_pairs_mut().extend_pairs(query);
        self.request(Method::DELETE, url, None, Idempotency::Safe, layer, Limit::Status).await
    }

    /// A GET of a URL SAC handed out (a next page), with the bearer token.
    pub(crate) async fn api_get_url(&self, url: Url) -> Result<Answer> {
        self.request(Method::GET, url, None, Idempotency::Safe, None, Limit::Bulk).await
    }

    /// Sends with the bearer token and, for writes on the browser domain,
    /// the CSRF token of `csrf_layer`.
    async fn request(
        &self,
        method: Method,
        url: Url,
        body: Option<Body<'_>>,
        idempotency: Idempotency,
        csrf_layer: Option<Layer>,
        limit: Limit,
    ) -> Result<Answer> {
        let write = method != Method::GET;
        let mut token_renewed = false;
        let mut csrf_refetched = false;
        loop {
            let token = self.tokens.access_token().await?;
            let attempt = async {
                let csrf = match csrf_layer {
                    Some(layer) if write => Some((self.csrf_token(&token, layer).await?, layer)),
                    _ => None,
                };
                let response = http::send(&self.config.retry, idempotency, || {
                    let mut request = self
                        .http
                        .request(method.clone(), url.clone())
                        .bearer_auth(token.expose())
                        .header("x-requested-with", "XMLHttpRequest");
                    if let Some((csrf, _)) = &csrf {
                        request = request.header("x-csrf-token", csrf.expose());
                    }
                    match &body {
                        Some(Body::Json(json)) => request = request.json(json),
                        Some(Body::Text { content_type, text }) => {
                            request = request.header("content-type", *content_type).body(text.clone())
                        }
                        None => {}
                    }
                    request
                })
                .await?;
                Ok::<_, Error>((Answer::read(response, limit).await?, csrf))
            };
            let outcome: Result<std::convert::Infallible> = match attempt.await {
                Ok((answer, _)) if answer.is_login_page() => {
                    Err(Error::LoginPage { endpoint: answer.endpoint, grant: self.config.grant.as_str().into() })
                }
                Ok((answer, _)) if answer.status == StatusCode::UNAUTHORIZED => {
                    Err(Error::Unauthorized { status: 401, description: answer.message() })
                }
                Ok((answer, Some((csrf, layer)))) if answer.csrf_required() => {
                    if csrf_refetched {
                        return Err(Error::Csrf);
                    }
                    tracing::info!("SAC refused the CSRF token; fetching a new one");
                    csrf_refetched = true;
                    self.drop_csrf(&csrf, layer).await;
                    continue;
                }
                Ok((answer, _)) if answer.status.is_success() => return Ok(answer),
                Ok((answer, _)) => return Err(self.refusal(answer).await),
                Err(e) => Err(e),
            };
            match outcome {
                Err(e) if e.is_auth_refusal() && !token_renewed => {
                    tracing::info!(error = %e, "SAC refused the token; getting a new one");
                    token_renewed = true;
                    self.tokens.invalidate(&token).await;
                    *self.csrf_ui.lock().await = None;
                    *self.csrf_api.lock().await = None;
                }
                Err(e) => return Err(e),
                Ok(never) => match never {},
            }
        }
    }

    /// The typed error for an answer that is not a success.
    async fn refusal(&self, answer: Answer) -> Error {
        let message = answer.message();
        match (answer.sac_code(), answer.status.as_u16()) {
            (Some(3000), _) => Error::UserNotInTenant {
                message,
                grant: self.config.grant.as_str().into(),
                user: self.tokens.status().await.and_then(|s| s.user).or_else(|| self.config.user.clone()),
            },
            (Some(3401), _) => Error::ClientNotAllowed { message },
            (Some(code @ 1001..=1011), 400) | (Some(code @ errors::JOB_NOT_FOUND), 404) => {
                Error::ImportRefused { code, message }
            }
            // The Multi Actions API's nine-digit codes (sccxxxyyy, SAP's guide page 89).
            (Some(code @ 100_000_000..=999_999_999), status @ 400..=499) if status != 401 => {
                Error::MultiActionRefused { status, code, message }
            }
            (_, 404) => Error::NotFound { what: "resource".into(), message },
            (_, 401) => Error::Unauthorized { status: 401, description: message },
            (_, 403) => Error::Forbidden { status: 403, message },
            (_, status @ (429 | 500..=599)) => {
                Error::Unavailable { status, attempts: answer.tries.attempts, elapsed: answer.tries.elapsed, message }
            }
            (_, status) => Error::Rejected { status, message },
        }
    }
}
