//! The job engine: runs of data import schedules.
//!
//! A run really reads the source object's stored rows, maps them onto the
//! target dimension's attributes, validates them (the key must be present,
//! checked attributes must name existing members of their dimension), writes
//! the valid members and records the rejected ones. When it finishes is set
//! by the [`ClockMode`] in force when it started: at once, after a delay,
//! after N log reads, or when released.

use std::collections::{BTreeMap, HashSet};

use sac_types::legacy::RunStatus;

use crate::secrets::random_id;
use crate::state::{now_ms, utc_timestamp, AppState, ClockMode};
use crate::store::{Rejection, RunRecord, StoreResult};
use crate::tenant::{Row, ScheduleDef};

/// Starts a run of `schedule` for `user` and returns it as stored.
///
/// Starting a run while another run of the same schedule is in flight
/// stops both (field notes on SAC: "both end up stopped").
pub fn start_run(state: &AppState, schedule: &ScheduleDef, user: &str) -> StoreResult<RunRecord> {
    let store = state.store();
    let now = now_ms();
    let fail_message = take(&mut state.fail_runs());
    let (due_at_ms, polls_left) = state.clock().finish_plan(now);
    let mut run = new_run(schedule, user, now, due_at_ms, polls_left, fail_message);
    run.hidden_reads = take_log_lag(state);
    let in_flight: Vec<RunRecord> =
        store.runs_of(&schedule.schedule_id)?.into_iter().filter(|r| r.status == RunStatus::Running.code()).collect();
    if !in_flight.is_empty() {
        for mut other in in_flight {
            stop(
                &mut other,
                now,
                "Stopped: another run of this data import was started while this run was in progress",
            );
            store.update_run(&other)?;
        }
        stop(&mut run, now, "Stopped: this run was started while another run of the data import was in progress");
        store.insert_run(&run)?;
        return Ok(run);
    }
    store.insert_run(&run)?;
    if state.clock() == ClockMode::Immediate {
        finish(state, &mut run, now)?;
    }
    Ok(run)
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

/// Takes one firing of a counted failure.
fn take(slot: &mut Option<crate::state::FailRuns>) -> Option<String> {
    let f = slot.as_mut()?;
    f.count = f.count.saturating_sub(1);
    let message = f.message.clone();
    if f.count == 0 {
        *slot = None;
    }
    Some(message)
}

/// The message of an injected run failure, if one is due (import jobs).
pub fn take_run_failure(state: &AppState) -> Option<String> {
    take(&mut state.fail_runs())
}

/// The message of an injected data-action failure, if one is due.
pub fn take_data_action_failure(state: &AppState) -> Option<String> {
    take(&mut state.fail_data_actions())
}

/// Runs a schedule to its end at once (a multi action's data-import step).
pub fn run_now(state: &AppState, schedule: &ScheduleDef, user: &str) -> StoreResult<RunRecord> {
    let now = now_ms();
    let mut run = new_run(schedule, user, now, None, None, take(&mut state.fail_runs()));
    state.store().insert_run(&run)?;
    finish(state, &mut run, now)?;
    Ok(run)
}

fn stop(run: &mut RunRecord, now: i64, why: &str) {
    run.status = RunStatus::Stopped.code();
    run.end_time = Some(utc_timestamp(now));
    run.message = Some(why.to_string());
    run.due_at_ms = None;
    run.polls_left = None;
}

/// Finishes every timed run (and multi action execution) whose time has come.
pub fn advance(state: &AppState) -> StoreResult<()> {
    crate::multiactions::advance(state)?;
    crate::dataimport::advance(state)?;
    let now = now_ms();
    for mut run in state.store().runs_with_status(RunStatus::Running.code())? {
        if run.due_at_ms.is_some_and(|due| due <= now) {
            finish(state, &mut run, now)?;
        }
    }
    Ok(())
}

/// The number of log reads the next run stays out of the logs (a fault).
fn take_log_lag(state: &AppState) -> i64 {
    let mut lag = state.log_lag();
    match lag.as_mut() {
        Some((count, reads)) if *count > 0 => {
            *count -= 1;
            let reads = *reads;
            if *count == 0 {
                *lag = None;
            }
            i64::from(reads)
        }
        _ => 0,
    }
}

/// After a log read of `schedule_ids` that did not show the runs hidden by
/// log lag: each comes one read closer to showing.
pub fn note_hidden_read(state: &AppState, schedule_ids: &[String]) -> StoreResult<()> {
    for schedule_id in schedule_ids {
        for mut run in state.store().runs_of(schedule_id)? {
            if run.hidden_reads > 0 {
                run.hidden_reads -= 1;
                state.store().update_run(&run)?;
            }
        }
    }
    Ok(())
}

/// Counts one log read of each schedule in `schedule_ids`: poll-counted runs
/// that have been seen running often enough finish now.
pub fn note_log_read(state: &AppState, schedule_ids: &[String]) -> StoreResult<()> {
    advance(state)?;
    let now = now_ms();
    for mut run in state.store().runs_with_status(RunStatus::Running.code())? {
        if !schedule_ids.contains(&run.schedule_id) || run.hidden_reads > 0 {
            continue;
        }
        match run.polls_left {
            Some(0) => finish(state, &mut run, now)?,
            Some(n) => {
                run.polls_left = Some(n - 1);
                state.store().update_run(&run)?;
            }
            None => {}
        }
    }
    Ok(())
}

/// Finishes running runs: the one named, or all of them. Returns how many.
pub fn release(state: &AppState, execution_id: Option<&str>) -> StoreResult<usize> {
    let now = now_ms();
    let mut released = 0;
    for mut run in state.store().runs_with_status(RunStatus::Running.code())? {
        if execution_id.is_none_or(|id| id == run.execution_id) {
            finish(state, &mut run, now)?;
            released += 1;
        }
    }
    Ok(released)
}

/// Writes the runs of the tenant's history, as if they had happened.
pub(crate) fn replay_history(state: &AppState) -> StoreResult<()> {
    let tenant = state.tenant();
    for past in &tenant.history {
        let mut run = RunRecord {
            execution_id: past.execution_id.clone(),
            schedule_id: past.schedule_id.clone(),
            status: RunStatus::Running.code(),
            start_time: past.start_time.clone(),
            end_time: None,
            user: past.user.clone(),
            all_count: 0,
            rejected_count: 0,
            inserted_count: 0,
            message: None,
            due_at_ms: None,
            polls_left: None,
            fail_message: None,
            hidden_reads: 0,
        };
        state.store().insert_run(&run)?;
        finish(state, &mut run, now_ms())?;
        run.end_time = Some(past.end_time.clone());
        state.store().update_run(&run)?;
    }
    Ok(())
}

/// Executes a run: reads, maps, validates, writes, records.
fn finish(state: &AppState, run: &mut RunRecord, now: i64) -> StoreResult<()> {
    let tenant = state.tenant();
    let store = state.store();
    run.end_time = Some(utc_timestamp(now));
    run.due_at_ms = None;
    run.polls_left = None;
    let schedule = match tenant.schedule(&run.schedule_id) {
        Some(s) => s,
        None => {
            run.status = RunStatus::Failed.code();
            run.message = Some(format!("The data import {} no longer exists", run.schedule_id));
            return store.update_run(run);
        }
    };
    if let Some(message) = run.fail_message.take() {
        run.status = RunStatus::Failed.code();
        run.message = Some(message);
        return store.update_run(run);
    }
    let rows = store.source_rows(&schedule.source, &schedule.object)?;
    let key_attr =
        tenant.dimension(&schedule.target).map(|d| d.key_attribute().to_string()).unwrap_or_else(|| "ID".into());
    let mut check_members: BTreeMap<&str, HashSet<String>> = BTreeMap::new();
    for dim in schedule.checks.values() {
        check_members.insert(dim, store.member_ids(dim)?);
    }
    let mut members = Vec::with_capacity(rows.len());
    let mut rejections: BTreeMap<(String, String, String, String), i64> = BTreeMap::new();
    for row in &rows {
        match map_row(schedule, &key_attr, row, &check_members) {
            Ok(member) => members.push(member),
            Err(r) => *rejections.entry((r.source_col, r.target_col, r.issue, r.value)).or_default() += 1,
        }
    }
    store.upsert_members(&schedule.target, &key_attr, &members)?;
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
    store.insert_rejections(&run.execution_id, &lines)?;
    run.all_count = rows.len() as i64;
    run.rejected_count = rejected;
    run.inserted_count = members.len() as i64;
    run.status = if rejected > 0 { RunStatus::SucceededWithRejects } else { RunStatus::Succeeded }.code();
    store.update_run(run)
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
