//! Starting emulators and talking to them the way a SAC client does.

use reqwest::header::HeaderMap;
use reqwest::redirect::Policy;
use reqwest::{Response, StatusCode};
use sac_emulator::{ClockMode, Config, RunningEmulator};
pub use sac_testkit::demo::{
    API_CLIENT, MAPPING_ID as MAPPING, PARTS_MODEL as MODEL, PASSWORD, PLANNER, SCHEDULE_ID as SCHEDULE, USER_CLIENT,
};
use sac_testkit::Admin;
use sac_types::error::LOGIN_PAGE_MARKER;
use sac_types::legacy::{EPM_SESSION_PATH, SERVICE_PATH};
use sac_types::oauth::TokenResponse;
use serde_json::{json, Value};

pub struct Emu {
    pub emu: RunningEmulator,
    /// No cookie store and no redirects: tests see exactly what SAC sends.
    pub http: reqwest::Client,
    /// The admin API (`/emulator/...`).
    pub admin_api: Admin,
}

/// A CSRF token with the session cookie it belongs to.
#[derive(Clone, Debug)]
pub struct Session {
    pub csrf: String,
    pub cookie: String,
}

pub async fn start_with(config: Config) -> Emu {
    let emu = sac_testkit::start_with(config).await;
    let http = reqwest::Client::builder().redirect(Policy::none()).build().unwrap();
    let admin_api = Admin::new(&emu.urls.tenant_url);
    Emu { emu, http, admin_api }
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
        self.token(USER_CLIENT, &[("grant_type", "password"), ("username", user), ("password", PASSWORD)])
            .await
            .access_token
    }

    /// The tokens the refresh token of `tokens` is exchanged for.
    pub async fn refresh(&self, client: (&str, &str), tokens: &TokenResponse) -> TokenResponse {
        let refresh_token = tokens.refresh_token.as_deref().expect("a refresh token");
        self.token(client, &[("grant_type", "refresh_token"), ("refresh_token", refresh_token)]).await
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

    /// Any request to the tenant domain, asserting nothing: status and body.
    pub async fn admin(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        self.admin_api.send(method, path, body.as_ref()).await
    }

    /// `POST /emulator/tenant` with a TOML body, which must load.
    pub async fn load_tenant_toml(&self, toml: String) {
        self.admin_api.load_tenant_toml(toml).await;
    }

    pub async fn post_admin(&self, path: &str, body: Value) -> Value {
        self.admin_api.post(path, &body).await
    }

    /// A fact data job of SALES_PLAN created on the API domain: its id.
    pub async fn create_sales_job(&self, technical_token: &str) -> String {
        let create = self.http.post(self.api("/api/v1/dataimport/models/SALES_PLAN/factData"));
        let created = create.bearer_auth(technical_token).json(&json!({})).send().await.unwrap();
        assert_eq!(created.status(), 201);
        let created: Value = created.json().await.unwrap();
        created["jobID"].as_str().expect("a job id").to_string()
    }

    /// `GET path` on the tenant domain with a bearer token and
    /// `x-csrf-token: fetch` as a public API client sends it.
    pub async fn api_csrf_fetch(&self, token: &str, path: &str) -> Response {
        let request = self.http.get(self.tenant(path)).bearer_auth(token).header("x-csrf-token", "fetch");
        request.header("x-sap-sac-custom-auth", "true").send().await.unwrap()
    }

    pub async fn rows(&self, model: &str) -> Value {
        let (status, value) =
            self.admin(reqwest::Method::GET, &format!("/emulator/models/{model}/rows?limit=100000"), None).await;
        assert_eq!(status, 200, "{value}");
        value
    }
}
