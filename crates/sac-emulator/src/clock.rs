//! Time: the emulator's own time (wall time plus the offset the admin API
//! moves forward), how long runs and jobs take (the clock mode the admin API
//! sets) and the timestamps SAC writes. A leaf module: it uses nothing of
//! the crate.

use std::sync::atomic::{AtomicI64, Ordering};

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

/// The time of one emulator: wall time plus an offset that only grows
/// (`POST /emulator/clock/advance`), so that a test can let tokens, sessions
/// and timed runs expire without waiting. Every expiry check and every time
/// the emulator writes reads it. Each emulator has its own (the store owns
/// it): emulators running side by side in one process do not share time.
#[derive(Debug, Default)]
pub struct Clock {
    offset_ms: AtomicI64,
}

impl Clock {
    /// A clock `offset_ms` ahead of wall time.
    pub fn ahead_by(offset_ms: i64) -> Self {
        Clock { offset_ms: AtomicI64::new(offset_ms) }
    }

    /// Unix milliseconds now, emulator time.
    pub fn now_ms(&self) -> i64 {
        chrono::Utc::now().timestamp_millis() + self.offset_ms()
    }

    /// Unix seconds now, emulator time (rounded down, as a timestamp is).
    pub fn now_secs(&self) -> i64 {
        self.now_ms().div_euclid(1000)
    }

    /// True when `at_secs` (an expiry) has passed, emulator time: see [`has_passed`].
    pub fn has_passed(&self, at_secs: i64) -> bool {
        has_passed(at_secs, self.now_secs())
    }

    /// Now, emulator time, as a date.
    pub fn now_utc(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::from_timestamp_millis(self.now_ms()).unwrap_or_default()
    }

    /// How far the emulator is ahead of wall time.
    pub fn offset_ms(&self) -> i64 {
        self.offset_ms.load(Ordering::SeqCst)
    }

    /// Moves the offset to `offset_ms` unless it is already further: time
    /// never goes back, whatever order two advances land in.
    pub fn raise_offset(&self, offset_ms: i64) {
        self.offset_ms.fetch_max(offset_ms, Ordering::SeqCst);
    }

    /// Back to wall time (a reset forgets everything, the offset too).
    pub fn rewind(&self) {
        self.offset_ms.store(0, Ordering::SeqCst);
    }
}

/// True when `at_secs`, a moment in whole Unix seconds such as an expiry,
/// has passed at `now_secs`: once the time is in a later second. Expiries
/// are stamped from the second something was issued in (rounded down), so
/// read this way a lifetime of N seconds lasts at least N seconds, as the
/// `expires_in` a client is told promises, and less than N + 1.
pub fn has_passed(at_secs: i64, now_secs: i64) -> bool {
    at_secs < now_secs
}

/// UTC RFC 3339 with second precision (`2020-11-13T09:15:02Z`), as SAC logs.
pub fn utc_timestamp(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_offset_only_grows_until_rewound() {
        let clock = Clock::default();
        let wall = clock.now_ms();
        clock.raise_offset(3_600_000);
        clock.raise_offset(60_000);
        assert_eq!(clock.offset_ms(), 3_600_000, "a smaller offset never takes time back");
        assert!(clock.now_ms() >= wall + 3_600_000);
        clock.rewind();
        assert_eq!(clock.offset_ms(), 0);
        assert_eq!(Clock::ahead_by(5).offset_ms(), 5);
    }

    #[test]
    fn an_expiry_passes_in_the_second_after_it() {
        assert!(!has_passed(100, 99));
        assert!(!has_passed(100, 100), "a lifetime lasts its whole last second");
        assert!(has_passed(100, 101));
    }
}
