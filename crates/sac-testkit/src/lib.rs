//! What the workspace's tests share, so that each is written once: the
//! emulator in the test's own process ([`start`]), as a real `sacctl
//! emulator` process that can be killed and started again
//! ([`EmulatorProcess`]), its admin API ([`Admin`]) and the demo tenant's
//! ids ([`demo`]).
//!
//! Tests reach the emulator only through its public surfaces: HTTP, the
//! `sacctl` binary, [`sac_emulator::spawn`] and its `Config`.

mod admin;
mod process;

pub use admin::{count, Admin};
pub use process::EmulatorProcess;
/// The demo tenant's ids, as the emulator defines them.
pub use sac_emulator::tenant::demo;
pub use sac_emulator::{ClockMode, Config, RunningEmulator, Urls};

/// An access token from the token service at `token_url`, for `client`
/// (id, secret) with the grant in `form`.
pub async fn access_token(token_url: &str, client: (&str, &str), form: &[(&str, &str)]) -> String {
    let request = reqwest::Client::new().post(token_url).basic_auth(client.0, Some(client.1)).form(form);
    let response = request.send().await.expect("the token service answers");
    let status = response.status();
    let answer: serde_json::Value = response.json().await.expect("a JSON answer");
    assert!(status.is_success(), "token request {form:?}: {status} {answer}");
    answer["access_token"].as_str().expect("an access token").to_string()
}

/// An emulator in this process on free loopback ports, with `clock`.
pub async fn start(clock: ClockMode) -> RunningEmulator {
    start_with(Config { clock, ..Config::default() }).await
}

/// An emulator in this process on free loopback ports, as configured.
pub async fn start_with(config: Config) -> RunningEmulator {
    sac_emulator::spawn(config).await.expect("the emulator starts")
}
