//! Which new run of a schedule is ours, by evidence rather than by order.
//!
//! SAC's trigger answers with the schedule, never the run, so the run has to
//! be found in the logs. A run is ours only if everything known allows it:
//! it was not there before the trigger and no other process of this host
//! claimed it; it was started by our user (when the token names one); and it
//! started between the server's time just before the trigger and the
//! server's time of the trigger's answer (both from the `Date` headers, so
//! the local clock never matters). When more than one run passes, nobody
//! can tell which one is ours, and the caller is told so instead of a guess.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sac_types::legacy::{RefreshLog, RunStatus};

/// Slack on the server times: SAC's front door (which stamps `Date`) and
/// the backend (which stamps `startTime`) are different machines, and both
/// count whole seconds. **Assumption**: their clocks agree within a second.
pub const CLOCK_TOLERANCE_SECS: i64 = 1;

/// What is known about our trigger.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Evidence {
    /// Runs that were in the logs before the trigger, or that another
    /// process of this host claimed.
    pub known: HashSet<String>,
    /// Our SAC user, when the token names one.
    pub user: Option<String>,
    /// The server's time just before the trigger was sent.
    pub not_before: Option<DateTime<Utc>>,
    /// The server's time of the trigger's answer (none when it was lost).
    pub not_after: Option<DateTime<Utc>>,
}

/// What the logs say about our run.
#[derive(Clone, Debug, PartialEq)]
pub enum Attribution {
    /// No new run that could be ours (yet).
    Missing,
    /// Exactly one run could be ours; `others` are new runs that cannot.
    Ours { run: RefreshLog, others: Vec<RefreshLog> },
    /// More than one run could be ours.
    Ambiguous(Vec<RefreshLog>),
}

/// A run's start time, if it reads as RFC 3339.
pub fn started_at(run: &RefreshLog) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(&run.start_time).ok().map(|t| t.with_timezone(&Utc))
}

fn ended_at(run: &RefreshLog) -> Option<DateTime<Utc>> {
    run.end_time.as_deref().and_then(|t| DateTime::parse_from_rfc3339(t).ok()).map(|t| t.with_timezone(&Utc))
}

/// Why a new run cannot be ours, or `None` if it may be.
pub fn why_not_ours(run: &RefreshLog, evidence: &Evidence) -> Option<String> {
    if let Some(user) = &evidence.user {
        if !run.user.is_empty() && !run.user.eq_ignore_ascii_case(user) {
            return Some(format!("started by {}, not by {user}", run.user));
        }
    }
    let start = started_at(run)?.timestamp();
    if let Some(before) = evidence.not_before {
        if start < before.timestamp() - CLOCK_TOLERANCE_SECS {
            return Some(format!("started at {}, before the trigger was sent", run.start_time));
        }
    }
    if let Some(after) = evidence.not_after {
        if start > after.timestamp() + CLOCK_TOLERANCE_SECS {
            return Some(format!("started at {}, after SAC had answered the trigger", run.start_time));
        }
    }
    None
}

/// Sorts the runs of one schedule (any order) against the evidence.
pub fn attribute(runs: &[RefreshLog], evidence: &Evidence) -> Attribution {
    let (candidates, others): (Vec<RefreshLog>, Vec<RefreshLog>) = runs
        .iter()
        .filter(|r| !evidence.known.contains(&r.execution_id))
        .cloned()
        .partition(|r| why_not_ours(r, evidence).is_none());
    match candidates.len() {
        0 => Attribution::Missing,
        1 => Attribution::Ours { run: candidates.into_iter().next().expect("one candidate"), others },
        _ => Attribution::Ambiguous(candidates),
    }
}

/// True when `other` ran while `ours` ran (SAC then stops both). Runs that
/// merely touch (one ends in the second the next starts) do not overlap,
/// unless the earlier one was stopped right then, which is SAC stopping both.
pub fn overlaps(ours: &RefreshLog, other: &RefreshLog) -> bool {
    if ours.execution_id == other.execution_id {
        return false;
    }
    let (Some(our_start), Some(other_start)) = (started_at(ours), started_at(other)) else {
        return false;
    };
    let began_before_we_ended = ended_at(ours).is_none_or(|end| other_start < end)
        || (ours.status == RunStatus::Stopped && ended_at(ours) == Some(other_start));
    let ended_after_we_began = match ended_at(other) {
        None => true,
        Some(end) => end > our_start || (other.status == RunStatus::Stopped && end == our_start),
    };
    began_before_we_ended && ended_after_we_began
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(id: &str, user: &str, start: &str, end: Option<&str>, status: RunStatus) -> RefreshLog {
        serde_json::from_value(serde_json::json!({
            "executionId": id, "status": status.code(), "startTime": start, "endTime": end, "user": user,
        }))
        .unwrap()
    }

    fn at(text: &str) -> Option<DateTime<Utc>> {
        Some(DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc))
    }

    fn evidence() -> Evidence {
        Evidence {
            known: ["OLD".to_string()].into(),
            user: Some("JDOE".into()),
            not_before: at("2026-11-27T10:00:10Z"),
            not_after: at("2026-11-27T10:00:11Z"),
        }
    }

    #[test]
    fn the_one_new_run_of_our_user_in_the_window_is_ours() {
        let runs = [
            run("LATE", "JDOE", "2026-11-27T10:00:15Z", None, RunStatus::Running),
            run("OURS", "JDOE", "2026-11-27T10:00:11Z", None, RunStatus::Running),
            run("UI", "KSMITH", "2026-11-27T10:00:11Z", None, RunStatus::Running),
            run("LAGGED", "JDOE", "2026-11-27T10:00:05Z", None, RunStatus::Running),
            run("OLD", "JDOE", "2026-11-27T09:00:00Z", Some("2026-11-27T09:01:00Z"), RunStatus::Succeeded),
        ];
        let Attribution::Ours { run, others } = attribute(&runs, &evidence()) else { panic!("ours is known") };
        assert_eq!(run.execution_id, "OURS");
        let others: Vec<&str> = others.iter().map(|r| r.execution_id.as_str()).collect();
        assert_eq!(others, ["LATE", "UI", "LAGGED"]);
        assert!(why_not_ours(&runs[0], &evidence()).unwrap().contains("after SAC had answered"));
        assert!(why_not_ours(&runs[2], &evidence()).unwrap().contains("KSMITH"));
        assert!(why_not_ours(&runs[3], &evidence()).unwrap().contains("before the trigger"));
    }

    #[test]
    fn two_runs_that_the_evidence_cannot_tell_apart_are_not_guessed() {
        let runs = [
            run("A", "JDOE", "2026-11-27T10:00:10Z", None, RunStatus::Stopped),
            run("B", "JDOE", "2026-11-27T10:00:11Z", None, RunStatus::Stopped),
        ];
        assert!(matches!(attribute(&runs, &evidence()), Attribution::Ambiguous(c) if c.len() == 2));
        // A lost answer leaves the window open at the end: a later run may be ours too.
        let lost = Evidence { not_after: None, ..evidence() };
        let runs = [run("A", "JDOE", "2026-11-27T10:00:10Z", None, RunStatus::Running)];
        assert!(matches!(attribute(&runs, &lost), Attribution::Ours { .. }));
        assert_eq!(attribute(&[], &lost), Attribution::Missing);
        // Runs claimed by another process of this host are never ours.
        let mut claimed = evidence();
        claimed.known.insert("A".into());
        assert_eq!(attribute(&runs, &claimed), Attribution::Missing);
    }

    #[test]
    fn overlap_means_running_at_the_same_time() {
        let ours = run("O", "JDOE", "2026-11-27T10:00:10Z", Some("2026-11-27T10:00:20Z"), RunStatus::Succeeded);
        let during = run("D", "JDOE", "2026-11-27T10:00:15Z", None, RunStatus::Running);
        let after = run("A", "JDOE", "2026-11-27T10:00:20Z", None, RunStatus::Running);
        let before = run("B", "JDOE", "2026-11-27T10:00:01Z", Some("2026-11-27T10:00:10Z"), RunStatus::Succeeded);
        assert!(overlaps(&ours, &during));
        assert!(!overlaps(&ours, &after), "started as ours ended");
        assert!(!overlaps(&ours, &before), "ended as ours started");
        // SAC stops both in the second the second run starts.
        let stopped = run("S", "JDOE", "2026-11-27T10:00:10Z", Some("2026-11-27T10:00:12Z"), RunStatus::Stopped);
        let second = run("T", "JDOE", "2026-11-27T10:00:12Z", Some("2026-11-27T10:00:12Z"), RunStatus::Stopped);
        assert!(overlaps(&stopped, &second) && overlaps(&second, &stopped));
        assert!(!overlaps(&ours, &ours));
    }
}
