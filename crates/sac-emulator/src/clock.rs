//! Time: how long runs and jobs take (the clock mode the admin API sets) and
//! the timestamps SAC writes. A leaf module: it uses nothing of the crate.

use serde::{Deserialize, Serialize};

/// How runs progress from the moment they start.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum ClockMode {
    /// A run is finished by the time the trigger answers.
    Immediate,
    /// A run takes `seconds` of wall-clock time.
    Delay { seconds: f64 },
    /// A run reports "running" to `polls` log reads, then finishes.
    Polls { polls: u32 },
    /// A run stays running until `POST /emulator/clock/release`.
    Manual,
}

impl ClockMode {
    /// When something started at `now_ms` under this clock finishes: a due
    /// time (timed), a number of status reads (poll-counted), or neither
    /// (pinned until released).
    pub fn finish_plan(self, now_ms: i64) -> (Option<i64>, Option<i64>) {
        match self {
            ClockMode::Immediate => (Some(now_ms), None),
            ClockMode::Delay { seconds } => (Some(now_ms + (seconds * 1000.0) as i64), None),
            ClockMode::Polls { polls } => (None, Some(i64::from(polls))),
            ClockMode::Manual => (None, None),
        }
    }
}

/// Unix seconds now.
pub fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Unix milliseconds now.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// UTC RFC 3339 with second precision (`2020-11-13T09:15:02Z`), as SAC logs.
pub fn utc_timestamp(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
