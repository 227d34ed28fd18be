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

/// An emulator in this process on free loopback ports, with `clock`.
pub async fn start(clock: ClockMode) -> RunningEmulator {
    start_with(Config { clock, ..Config::default() }).await
}

/// An emulator in this process on free loopback ports, as configured.
pub async fn start_with(config: Config) -> RunningEmulator {
    sac_emulator::spawn(config).await.expect("the emulator starts")
}
