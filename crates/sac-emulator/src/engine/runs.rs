//! Runs of data import schedules.
//!
//! A run really reads the source object's stored rows, maps them onto the
//! target dimension's attributes, validates them (the key must be present,
//! checked attributes must name existing members of their dimension), writes
//! the valid members and records the rejected ones, all in one transaction.
//! When it finishes is set by the [`ClockMode`] in force when it started: at
//! once, after a delay, after N log reads, or when released.

use std::collections::{BTreeMap, HashSet};

use sac_types::legacy::RunStatus;

use super::lifecycle::run::{advance, is_running, RunEvent};
use super::Engine;
use crate::clock::{utc_timestamp, ClockMode};
use crate::secrets::random_id;
use crate::store::{Rejection, RunRecord, StoreResult, Writer};
use crate::tenant::{Row, ScheduleDef, Tenant};

/// `RunStatus::Running` as stored (a constant for SQL guards and matches).
pub(crate) const RUNNING: i64 = 5;

impl Engine {
    /// Starts a run of `schedule` for `user` and returns it as stored.
    ///
    /// Starting a run while another run of the same schedule is in flight
    /// stops both (field notes on SAC: "both end up stopped").
    pub fn start_run(&self, schedule: &ScheduleDef, user: &str) -> StoreResult<RunRecord> {
        let _writer = self.transition();
        let now = self.now_ms();
        let clock = self.clock();
        let (due_at_ms, polls_left) = clock.finish_plan(now);
        let mut run = new_run(schedule, user, now, due_at_ms, polls_left, self.failures.take_run_failure());
        run.hidden_reads = self.failures.take_log_lag();
        let in_flight: Vec<RunRecord> = self.running_runs(Some(&schedule.schedule_id)).collect();
        let tenant = self.tenant();
        self.store.write(|w| {
            if !in_flight.is_empty() {
                for mut other in in_flight {
                    let was = stop(
                        &mut other,
                        now,
                        "Stopped: another run of this data import was started while this run was in progress",
                    )?;
                    w.update_run(&other, was)?;
                }
                stop(
                    &mut run,
                    now,
                    "Stopped: this run was started while another run of the data import was in progress",
                )?;
                return w.insert_run(&run);
            }
            w.insert_run(&run)?;
            if clock == ClockMode::Immediate {
                finish(w, &tenant, &mut run, now)?;
            }
            Ok(())
        })?;
        self.reload_logs(Some(&schedule.schedule_id))?;
        Ok(run)
    }

    /// Finishes a running run now; false when it was not running.
    pub(crate) fn finish_run(&self, execution_id: &str) -> StoreResult<bool> {
        let _writer = self.transition();
        let tenant = self.tenant();
        let finished = self.store.write(|w| match w.run(execution_id)? {
            Some(mut run) if is_running(&run) => {
                finish(w, &tenant, &mut run, self.now_ms())?;
                Ok(Some(run.schedule_id))
            }
            _ => Ok(None),
        })?;
        match finished {
            Some(schedule_id) => {
                self.reload_logs(Some(&schedule_id))?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Counts one log read of each schedule in `schedule_ids`: due runs
    /// finish, poll-counted runs that have been seen running often enough
    /// finish now. Costs nothing when none of them is running.
    pub fn note_log_read(&self, schedule_ids: &[String]) -> StoreResult<()> {
        let now = self.now_ms();
        for schedule_id in schedule_ids {
            for run in self.running_runs(Some(schedule_id)) {
                if run.due_at_ms.is_some_and(|due| due <= now) || run.polls_left == Some(0) && run.hidden_reads == 0 {
                    self.finish_run(&run.execution_id)?;
                } else if let (Some(n), 0) = (run.polls_left, run.hidden_reads) {
                    self.adjust_run(&run.execution_id, |r| r.polls_left = Some(n - 1))?;
                }
            }
        }
        Ok(())
    }

    /// After a log read of `schedule_ids` that did not show the runs hidden
    /// by log lag: each comes one read closer to showing.
    pub fn note_hidden_read(&self, schedule_ids: &[String]) -> StoreResult<()> {
        for schedule_id in schedule_ids {
            let log = self.schedule_log(schedule_id);
            for run in log.runs.iter().filter(|r| r.hidden_reads > 0) {
                let reads = run.hidden_reads;
                self.adjust_run(&run.execution_id, |r| r.hidden_reads = reads - 1)?;
            }
        }
        Ok(())
    }

    /// Changes bookkeeping fields of a run without changing its status.
    fn adjust_run(&self, execution_id: &str, change: impl FnOnce(&mut RunRecord)) -> StoreResult<()> {
        let _writer = self.transition();
        let changed = self.store.write(|w| match w.run(execution_id)? {
            Some(mut run) => {
                let status = run.status;
                change(&mut run);
                w.update_run(&run, status)?;
                Ok(Some(run.schedule_id))
            }
            None => Ok(None),
        })?;
        if let Some(schedule_id) = changed {
            self.reload_logs(Some(&schedule_id))?;
        }
        Ok(())
    }
}

/// A run that starts now.
fn new_run(
    schedule: &ScheduleDef,
    user: &str,
    now: i64,
    due_at_ms: Option<i64>,
    polls_left: Option<i64>,
    fail_message: Option<String>,
) -> RunRecord {
    RunRecord {
        execution_id: random_id(),
        schedule_id: schedule.schedule_id.clone(),
        status: RunStatus::Running.code(),
        start_time: utc_timestamp(now),
        end_time: None,
        user: user.to_string(),
        all_count: 0,
        rejected_count: 0,
        inserted_count: 0,
        message: None,
        due_at_ms,
        polls_left,
        fail_message,
        hidden_reads: 0,
    }
}

/// Runs a schedule to its end at once, inside the caller's transaction (a
/// multi action's data-import step).
pub(crate) fn run_now(
    w: &Writer<'_>,
    tenant: &Tenant,
    schedule: &ScheduleDef,
    user: &str,
    fail_message: Option<String>,
    now: i64,
) -> StoreResult<RunRecord> {
    let mut run = new_run(schedule, user, now, None, None, fail_message);
    w.insert_run(&run)?;
    finish(w, tenant, &mut run, now)?;
    Ok(run)
}

/// Stops a running run; returns the status it had (see [`advance`]).
fn stop(run: &mut RunRecord, now: i64, why: &str) -> StoreResult<i64> {
    let was = advance(run, RunEvent::Stopped)?;
    run.end_time = Some(utc_timestamp(now));
    run.message = Some(why.to_string());
    run.due_at_ms = None;
    run.polls_left = None;
    Ok(was)
}

/// Writes the runs of the tenant's history, as if they had happened (`now`
/// stamps them until their own times replace it).
pub(crate) fn replay_history(w: &Writer<'_>, tenant: &Tenant, now: i64) -> StoreResult<()> {
    for past in &tenant.history {
        let Some(schedule) = tenant.schedule(&past.schedule_id) else { continue };
        let mut run = new_run(schedule, &past.user, now, None, None, None);
        run.execution_id = past.execution_id.clone();
        run.start_time = past.start_time.clone();
        w.insert_run(&run)?;
        finish(w, tenant, &mut run, now)?;
        let finished = run.status;
        run.end_time = Some(past.end_time.clone());
        w.update_run(&run, finished)?;
    }
    Ok(())
}

/// Executes a running run: reads, maps, validates, writes, records; the
/// run's update is guarded by its running status.
fn finish(w: &Writer<'_>, tenant: &Tenant, run: &mut RunRecord, now: i64) -> StoreResult<()> {
    run.end_time = Some(utc_timestamp(now));
    run.due_at_ms = None;
    run.polls_left = None;
    let Some(schedule) = tenant.schedule(&run.schedule_id) else {
        let was = advance(run, RunEvent::Failed)?;
        run.message = Some(format!("The data import {} no longer exists", run.schedule_id));
        return w.update_run(run, was);
    };
    if let Some(message) = run.fail_message.take() {
        let was = advance(run, RunEvent::Failed)?;
        run.message = Some(message);
        return w.update_run(run, was);
    }
    let rows = w.source_rows(&schedule.source, &schedule.object)?;
    let key_attr =
        tenant.dimension(&schedule.target).map(|d| d.key_attribute().to_string()).unwrap_or_else(|| "ID".into());
    let mut check_members: BTreeMap<&str, HashSet<String>> = BTreeMap::new();
    for dim in schedule.checks.values() {
        check_members.insert(dim, w.member_ids(dim)?);
    }
    let mut members = Vec::with_capacity(rows.len());
    let mut rejections: BTreeMap<(String, String, String, String), i64> = BTreeMap::new();
    for row in &rows {
        match map_row(schedule, &key_attr, row, &check_members) {
            Ok(member) => members.push(member),
            Err(r) => *rejections.entry((r.source_col, r.target_col, r.issue, r.value)).or_default() += 1,
        }
    }
    w.upsert_members(&schedule.target, &key_attr, &members)?;
    let rejected: i64 = rejections.values().sum();
    let lines: Vec<Rejection> = rejections
        .into_iter()
        .map(|((source_col, target_col, issue, value), records)| Rejection {
            source_col,
            target_col,
            issue,
            value,
            records,
        })
        .collect();
    w.insert_rejections(&run.execution_id, &lines)?;
    run.all_count = rows.len() as i64;
    run.rejected_count = rejected;
    run.inserted_count = members.len() as i64;
    let was = advance(run, RunEvent::Written { rejects: rejected > 0 })?;
    w.update_run(run, was)
}

/// Maps one source row onto the target's attributes, or says why it is rejected.
fn map_row(
    schedule: &ScheduleDef,
    key_attr: &str,
    row: &Row,
    check_members: &BTreeMap<&str, HashSet<String>>,
) -> Result<Row, Rejection> {
    let mut member = Row::new();
    for (target, field) in &schedule.columns {
        let value = row.get(field).map(|v| v.trim().to_string()).unwrap_or_default();
        member.insert(target.clone(), value);
    }
    let reject = |target: &str, issue: String, value: &str| Rejection {
        source_col: schedule.columns.get(target).cloned().unwrap_or_default(),
        target_col: target.to_string(),
        issue,
        value: value.to_string(),
        records: 1,
    };
    let key = &member[key_attr];
    if key.is_empty() {
        return Err(reject(key_attr, "The member ID is empty".into(), ""));
    }
    if key.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(reject(key_attr, "The member ID contains invalid characters".into(), key));
    }
    for (target, dim) in &schedule.checks {
        let value = member.get(target).map(String::as_str).unwrap_or_default();
        if value.is_empty() {
            continue;
        }
        if !check_members.get(dim.as_str()).is_some_and(|ids| ids.contains(value)) {
            return Err(reject(
                target,
                format!("Invalid member: \"{value}\" does not exist in dimension {dim}"),
                value,
            ));
        }
    }
    Ok(member)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn running_is_sacs_code() {
        assert_eq!(RUNNING, RunStatus::Running.code());
    }
}
