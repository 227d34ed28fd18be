//! The emulator's admin API (`/emulator/...` on the tenant domain) as a
//! test calls it: each call asserts that the emulator accepted it, so a
//! test that sets something up cannot go on without it.

use reqwest::{Method, StatusCode};
use sac_emulator::ClockMode;
use serde_json::Value;

/// A client of one emulator's admin API.
#[derive(Clone, Debug)]
pub struct Admin {
    http: reqwest::Client,
    tenant_url: String,
}

impl Admin {
    /// The admin API of the emulator whose browser domain is `tenant_url`.
    pub fn new(tenant_url: &str) -> Self {
        Admin { http: reqwest::Client::new(), tenant_url: tenant_url.trim_end_matches('/').to_string() }
    }

    /// Any request to the tenant domain: its status and its body (JSON, or
    /// the text as a JSON string). Asserts nothing.
    pub async fn send(&self, method: Method, path: &str, body: Option<&Value>) -> (StatusCode, Value) {
        let mut request = self.http.request(method, format!("{}{path}", self.tenant_url));
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.unwrap_or_else(|e| panic!("{path}: {e}"));
        let status = response.status();
        let text = response.text().await.unwrap_or_else(|e| panic!("{path}: {e}"));
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    /// A request that must succeed (2xx); its body.
    pub async fn expect_success(&self, method: Method, path: &str, body: Option<&Value>) -> Value {
        let (status, value) = self.send(method.clone(), path, body).await;
        assert!(status.is_success(), "{method} {path}: {status} {value}");
        value
    }

    /// `POST path` with a JSON body, which must succeed.
    pub async fn post(&self, path: &str, body: &Value) -> Value {
        self.expect_success(Method::POST, path, Some(body)).await
    }

    /// `GET path`, which must succeed.
    pub async fn get(&self, path: &str) -> Value {
        self.expect_success(Method::GET, path, None).await
    }

    /// `POST /emulator/reset`: the tenant as it was seeded.
    pub async fn reset(&self) {
        self.expect_success(Method::POST, "/emulator/reset", None).await;
    }

    /// `POST /emulator/clock`: how runs progress from now on.
    pub async fn clock(&self, mode: ClockMode) {
        let mode = serde_json::to_value(mode).expect("a clock mode is JSON");
        self.post("/emulator/clock", &mode).await;
    }

    /// `POST /emulator/clock/advance`: the emulator's time moves `seconds`
    /// forward, so tokens, sessions and timed runs age without the test
    /// waiting. The answer: the new time (`now`) and `offset_seconds`.
    pub async fn advance_clock(&self, seconds: i64) -> Value {
        self.post("/emulator/clock/advance", &serde_json::json!({ "seconds": seconds })).await
    }

    /// `POST /emulator/clock/release`: runs held by the manual clock finish.
    pub async fn release(&self) -> Value {
        self.post("/emulator/clock/release", &Value::Object(Default::default())).await
    }

    /// `POST /emulator/faults`: arms a fault, given in the admin API's JSON.
    pub async fn fault(&self, fault: &Value) -> Value {
        self.post("/emulator/faults", fault).await
    }

    /// `GET /emulator/faults`: the faults in force.
    pub async fn faults(&self) -> Value {
        self.get("/emulator/faults").await
    }

    /// `DELETE /emulator/faults`.
    pub async fn clear_faults(&self) {
        self.expect_success(Method::DELETE, "/emulator/faults", None).await;
    }

    /// `GET /emulator/requests`: the requests the emulator saw, oldest first.
    pub async fn requests(&self) -> Vec<Value> {
        let log = self.get("/emulator/requests").await;
        log["requests"].as_array().unwrap_or_else(|| panic!("a request log: {log}")).clone()
    }

    /// `DELETE /emulator/requests`: counts start again from zero.
    pub async fn clear_requests(&self) {
        self.expect_success(Method::DELETE, "/emulator/requests", None).await;
    }

    /// `POST /emulator/tenant` with a TOML tenant, which must load.
    pub async fn load_tenant_toml(&self, toml: String) -> Value {
        let request = self.http.post(format!("{}/emulator/tenant", self.tenant_url));
        let response = request.header("content-type", "application/toml").body(toml).send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(status.is_success(), "POST /emulator/tenant: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    }

    /// `GET /emulator/models/{model}/rows?limit=1000000{filter}`: the stored
    /// rows of a model or dimension. `filter` is more of the query
    /// (`&Version=public.Plan`), or empty.
    pub async fn rows(&self, model: &str, filter: &str) -> Vec<Value> {
        let answer = self.get(&format!("/emulator/models/{model}/rows?limit=1000000{filter}")).await;
        answer["rows"].as_array().unwrap_or_else(|| panic!("rows of {model}: {answer}")).clone()
    }
}

/// How many requests of a log went to `path` with `query` in their query.
pub fn count(requests: &[Value], path: &str, query: &str) -> usize {
    requests.iter().filter(|r| r["path"] == path && r["query"].as_str().is_some_and(|q| q.contains(query))).count()
}
