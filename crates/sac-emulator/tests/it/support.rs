//! Starting emulators and talking to them the way a SAC client does.

use reqwest::header::HeaderMap;
use reqwest::redirect::Policy;
use reqwest::{Response, StatusCode};
use sac_emulator::{ClockMode, Config, RunningEmulator};
use sac_types::error::LOGIN_PAGE_MARKER;
use sac_types::legacy::{EPM_SESSION_PATH, SERVICE_PATH};
use sac_types::oauth::TokenResponse;
use serde_json::{json, Value};

pub const SCHEDULE: &str = "F58CA15F78AA9039E200586F05E2BB93";
pub const MAPPING: &str = "F48CA15F78AA9039E200586F05E2BB93";
pub const MODEL: &str = "t.G:ZEPPART_001";
pub const USER_CLIENT: (&str, &str) = ("sacctl-user", "sacctl-user-secret");
pub const API_CLIENT: (&str, &str) = ("sacctl-api", "sacctl-api-secret");

pub struct Emu {
    pub emu: RunningEmulator,
    /// No cookie store and no redirects: tests see exactly what SAC sends.
    pub http: reqwest::Client,
}

/// A CSRF token with the session cookie it belongs to.
#[derive(Clone, Debug)]
pub struct Session {
    pub csrf: String,
    pub cookie: String,
}

pub async fn start_with(config: Config) -> Emu {
    let emu = sac_emulator::spawn(config).await.expect("emulator starts");
    let http = reqwest::Client::builder().redirect(Policy::none()).build().unwrap();
    Emu { emu, http }
}

/// An emulator whose runs finish at once.
pub async fn start() -> Emu {
    start_with(Config { clock: ClockMode::Immediate, ..Config::default() }).await
}

pub fn set_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("JSESSIONID="))
        .map(|v| v.split(';').next().unwrap().to_string())
}

pub async fn is_login_page(response: Response) -> bool {
    let status = response.status();
    let html = response.headers().get("content-type").is_some_and(|v| v.to_str().unwrap().starts_with("text/html"));
    let body = response.text().await.unwrap();
    status == StatusCode::OK && html && body.contains(LOGIN_PAGE_MARKER) && body.contains("/approuter/v1/redirect")
}

impl Emu {
    pub fn tenant(&self, path: &str) -> String {
        format!("{}{path}", self.emu.urls.tenant_url)
    }

    /// A plain GET on the tenant domain.
    pub async fn get(&self, path: &str) -> Response {
        self.http.get(self.tenant(path)).send().await.unwrap()
    }

    pub fn api(&self, path: &str) -> String {
        format!("{}{path}", self.emu.urls.api_url)
    }

    pub async fn token_request(&self, client: (&str, &str), form: &[(&str, &str)]) -> Response {
        self.http.post(&self.emu.urls.token_url).basic_auth(client.0, Some(client.1)).form(form).send().await.unwrap()
    }

    pub async fn token(&self, client: (&str, &str), form: &[(&str, &str)]) -> TokenResponse {
        let response = self.token_request(client, form).await;
        assert_eq!(response.status(), 200, "token request {form:?}");
        response.json().await.unwrap()
    }

    pub async fn password_token(&self, user: &str) -> String {
        self.token(USER_CLIENT, &[("grant_type", "password"), ("username", user), ("password", "Welcome1!")])
            .await
            .access_token
    }

    pub async fn client_credentials_token(&self) -> String {
        self.token(API_CLIENT, &[("grant_type", "client_credentials")]).await.access_token
    }

    /// The UI's logon call with `x-csrf-token: fetch`.
    pub async fn csrf_fetch(&self, token: &str) -> Session {
        let response = self
            .http
            .get(self.tenant(&format!("{EPM_SESSION_PATH}?action=logon")))
            .bearer_auth(token)
            .header("x-csrf-token", "Fetch")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let csrf = response.headers()["x-csrf-token"].to_str().unwrap().to_string();
        let cookie = set_cookie(response.headers()).expect("a session cookie");
        Session { csrf, cookie }
    }

    /// `POST dataintegration?action=...&tenant=G` on the tenant domain.
    pub async fn legacy(&self, action: &str, token: Option<&str>, session: Option<&Session>, body: &Value) -> Response {
        self.legacy_at(&self.tenant(SERVICE_PATH), action, token, session, body).await
    }

    pub async fn legacy_at(
        &self,
        base: &str,
        action: &str,
        token: Option<&str>,
        session: Option<&Session>,
        body: &Value,
    ) -> Response {
        let mut request = self.http.post(format!("{base}?action={action}&tenant=G")).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(s) = session {
            request = request.header("x-csrf-token", &s.csrf).header("cookie", &s.cookie);
        }
        request.send().await.unwrap()
    }

    pub async fn schedule_logs(&self, token: &str, session: &Session) -> Value {
        let body = json!({"jobType": "bpcDataImport", "modelName": MODEL, "mappingId": []});
        let response = self.legacy("getScheduleLogsByModel", Some(token), Some(session), &body).await;
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    /// Newest run of the demo schedule.
    pub async fn newest_run(&self, token: &str, session: &Session) -> Value {
        let logs = self.schedule_logs(token, session).await;
        logs["data"][0]["refreshLogs"][0].clone()
    }

    pub async fn run_schedule(&self, token: &str, session: &Session) -> Response {
        self.legacy("runScheduledJob", Some(token), Some(session), &json!({"name": SCHEDULE, "mappingId": MAPPING}))
            .await
    }

    pub async fn admin(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut request = self.http.request(method, self.tenant(path));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    /// `POST /emulator/tenant` with a TOML body.
    pub async fn load_tenant_toml(&self, toml: String) -> Response {
        let request = self.http.post(self.tenant("/emulator/tenant")).header("content-type", "application/toml");
        request.body(toml).send().await.unwrap()
    }

    pub async fn post_admin(&self, path: &str, body: Value) -> Value {
        let (status, value) = self.admin(reqwest::Method::POST, path, Some(body)).await;
        assert!(status.is_success(), "{path}: {status} {value}");
        value
    }

    pub async fn rows(&self, model: &str) -> Value {
        let (status, value) =
            self.admin(reqwest::Method::GET, &format!("/emulator/models/{model}/rows?limit=100000"), None).await;
        assert_eq!(status, 200, "{value}");
        value
    }
}
