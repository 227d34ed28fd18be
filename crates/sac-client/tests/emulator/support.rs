//! What every test here shares: the emulator, a client per grant, the admin
//! API and the request log.

pub use std::time::Duration;

pub use sac_client::config::{parse_url, SamlSource};
pub use sac_client::poll::WaitPolicy;
pub use sac_client::report::Silent;
pub use sac_client::schedule::{self, IfRunning, Target, WaitOutcome};
pub use sac_client::{Client, ClientConfig, Error, ErrorClass, Grant, RetryPolicy, Secret};
pub use sac_emulator::{ClockMode, Config, RunningEmulator};
pub use sac_types::legacy::RunStatus;
pub use serde_json::{json, Value};

pub const MODEL: &str = "t.G:ZEPPART_001";
pub const SCHEDULE: &str = "F58CA15F78AA9039E200586F05E2BB93";
pub const SERVICE: &str = "/sap/fpa/services/rest/fpa/dataintegration";

pub async fn emulator(clock: ClockMode) -> RunningEmulator {
    sac_emulator::spawn(Config { clock, ..Config::default() }).await.unwrap()
}

pub fn config(emu: &RunningEmulator, grant: Grant) -> ClientConfig {
    let (id, secret) = match grant {
        Grant::ClientCredentials => ("sacctl-api", "sacctl-api-secret"),
        _ => ("sacctl-user", "sacctl-user-secret"),
    };
    let mut config = ClientConfig::new(
        parse_url("tenant", &emu.urls.tenant_url).unwrap(),
        parse_url("token", &emu.urls.token_url).unwrap(),
        id,
        Secret::new(secret),
        grant,
    );
    config.user = Some("JDOE".into());
    config.password = Some(Secret::new("Welcome1!"));
    config.retry = RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(200),
        budget: Duration::from_secs(10),
    };
    config
}

pub fn client(emu: &RunningEmulator, grant: Grant) -> Client {
    Client::new(config(emu, grant)).unwrap()
}

pub fn target() -> Target {
    Target { model: MODEL.into(), schedule_id: SCHEDULE.into(), mapping_id: None }
}

pub fn fast(timeout: Duration) -> WaitPolicy {
    WaitPolicy {
        min_interval: Duration::from_millis(20),
        max_interval: Duration::from_millis(100),
        timeout,
        appear_grace: Duration::from_millis(500),
    }
}

pub async fn admin(emu: &RunningEmulator, path: &str, body: Value) -> Value {
    let response =
        reqwest::Client::new().post(format!("{}{path}", emu.urls.tenant_url)).json(&body).send().await.unwrap();
    assert!(response.status().is_success(), "{path}");
    response.json().await.unwrap_or(Value::Null)
}

pub async fn requests(emu: &RunningEmulator) -> Vec<Value> {
    let log: Value =
        reqwest::get(format!("{}/emulator/requests", emu.urls.tenant_url)).await.unwrap().json().await.unwrap();
    log["requests"].as_array().unwrap().clone()
}

pub fn count(requests: &[Value], path: &str, query: &str) -> usize {
    requests.iter().filter(|r| r["path"] == path && r["query"].as_str().unwrap().contains(query)).count()
}

pub async fn run_to_end(client: &Client, policy: &WaitPolicy) -> sac_types::legacy::RefreshLog {
    let di = client.data_integration();
    let started = schedule::start(&di, &target(), IfRunning::Fail, policy, &Silent, None).await.unwrap();
    match schedule::wait(&di, &target(), &started.execution_id, policy, &Silent).await.unwrap() {
        WaitOutcome::Finished(log) => log,
        WaitOutcome::TimedOut(log) => panic!("timed out: {log:?}"),
    }
}
