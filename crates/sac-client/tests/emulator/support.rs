//! What every test here shares: the emulator, a client per grant, the admin
//! API and the request log.

pub use std::time::Duration;

pub use sac_client::config::{parse_url, SamlSource};
pub use sac_client::poll::WaitPolicy;
pub use sac_client::report::Silent;
pub use sac_client::schedule::{self, IfRunning, Target, WaitOutcome};
pub use sac_client::{Client, ClientConfig, Error, ErrorClass, Grant, RetryPolicy, Secret};
pub use sac_emulator::{ClockMode, Config, RunningEmulator};
use sac_testkit::demo::{API_CLIENT, PASSWORD, PLANNER, USER_CLIENT};
pub use sac_testkit::demo::{PARTS_MODEL as MODEL, SCHEDULE_ID as SCHEDULE};
pub use sac_testkit::{count, start as emulator, Admin};
pub use sac_types::legacy::RunStatus;
pub use sac_types::legacy::SERVICE_PATH as SERVICE;
pub use serde_json::{json, Value};

pub fn config(emu: &RunningEmulator, grant: Grant) -> ClientConfig {
    let (id, secret) = match grant {
        Grant::ClientCredentials => API_CLIENT,
        _ => USER_CLIENT,
    };
    let mut config = ClientConfig::new(
        parse_url("tenant", &emu.urls.tenant_url).unwrap(),
        parse_url("token", &emu.urls.token_url).unwrap(),
        id,
        Secret::new(secret),
        grant,
    );
    config.user = Some(PLANNER.into());
    config.password = Some(Secret::new(PASSWORD));
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

/// `POST` to the emulator's admin API, which must succeed.
pub async fn admin(emu: &RunningEmulator, path: &str, body: Value) -> Value {
    Admin::new(&emu.urls.tenant_url).post(path, &body).await
}

pub async fn requests(emu: &RunningEmulator) -> Vec<Value> {
    Admin::new(&emu.urls.tenant_url).requests().await
}

pub async fn run_to_end(client: &Client, policy: &WaitPolicy) -> sac_types::legacy::RefreshLog {
    let di = client.data_integration();
    let started = schedule::start(&di, &target(), IfRunning::Fail, policy, &Silent, None).await.unwrap();
    match schedule::wait(&di, &target(), &started.execution_id, policy, &Silent).await.unwrap() {
        WaitOutcome::Finished(log) => log,
        WaitOutcome::TimedOut(log) => panic!("timed out: {log:?}"),
    }
}
