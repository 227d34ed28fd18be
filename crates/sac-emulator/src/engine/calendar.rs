//! The planning calendar's events: seeded from the tenant, changed by the
//! Calendar API's PATCH (SAP help 9afa17f5) and copy (93a8101e), and moved
//! by time: a process starts at its start date, a task of a started
//! process when its trigger fires (SAP Help de944ce1: start date,
//! dependencies, or with the process), an automatic task runs its multi
//! action or data action through the engine, and a process ends as its
//! tasks did.
//!
//! Every change is written under the engine's writer lock in one
//! transaction whose updates name the status they expect. A multi action
//! task's execution is recorded in the same transaction that starts the
//! task, so a crash never leaves one without the other; the execution then
//! finishes as any other does (at once, timed, poll-counted or released).

use std::collections::HashMap;

use serde_json::Value;

use super::data_actions::{data_action_run, SUCCESSFUL};
pub use super::lifecycle::calendar_event::Requested;
use super::lifecycle::calendar_event::{next, patch, process_outcome, Progress};
use super::multiactions::{message, utc_millis};
use super::{planning, Engine};
use crate::clock::ClockMode;
use crate::secrets::random_id;
use crate::store::{CalendarEventRecord, DataActionRunRecord, MaExecutionRecord, StoreError, StoreResult, Writer};
use crate::tenant::calendar::{instant, Trigger};
use crate::tenant::{EventKind, EventStatus, Role, Tenant};

/// Why a PATCH or a copy was not done.
#[derive(Debug)]
pub enum CalendarError {
    /// No such event.
    NotFound,
    /// SAP's table has no row for this change.
    Refused {
        from: EventStatus,
        requested: Requested,
    },
    Store(StoreError),
}

impl From<StoreError> for CalendarError {
    fn from(e: StoreError) -> Self {
        CalendarError::Store(e)
    }
}

/// An event with its tasks (for a process), as read.
pub struct EventView {
    pub event: CalendarEventRecord,
    pub children: Vec<CalendarEventRecord>,
}

/// Writes the tenant's calendar as seeded (inside a reset's transaction).
pub(crate) fn seed(w: &Writer<'_>, tenant: &Tenant) -> StoreResult<()> {
    for def in &tenant.calendar {
        let record =
            CalendarEventRecord { spec: def.clone(), status: def.status, execution_id: None, copied_from: None };
        w.insert_calendar_event(&record)?;
    }
    Ok(())
}

/// What one pass over the calendar did.
#[derive(Default)]
struct Pass {
    changed: bool,
    /// Multi action executions it started.
    started: Vec<String>,
}

impl Engine {
    /// An event and its tasks, after letting the calendar move; a client's
    /// read (`count_read`) counts as a status read of the tasks' running
    /// executions, the look-up before a change does not.
    pub fn calendar_event(&self, event_id: &str, count_read: bool) -> StoreResult<Option<EventView>> {
        self.advance_calendar(count_read)?;
        self.store.read(|r| {
            let Some(event) = r.calendar_event(event_id)? else { return Ok(None) };
            let children = r.calendar_children(event_id)?;
            Ok(Some(EventView { event, children }))
        })
    }

    /// Changes an event's status as a PATCH asks (a process's tasks follow
    /// where SAP's table allows the same change), then lets the calendar
    /// move. Returns the event with the status the change gave it: an
    /// opened event whose time has come (and whose process runs) is In
    /// Progress, whatever its tasks then did.
    pub fn patch_calendar_event(
        &self,
        event_id: &str,
        requested: Requested,
    ) -> Result<CalendarEventRecord, CalendarError> {
        let mut changed = {
            let _writer = self.transition();
            self.store.write(|w| {
                let Some(event) = w.calendar_event(event_id)? else { return Ok(Err(CalendarError::NotFound)) };
                let Some(to) = patch(event.status, requested) else {
                    return Ok(Err(CalendarError::Refused { from: event.status, requested }));
                };
                let parent = event.spec.parent.as_deref().map(|p| w.calendar_event(p)).transpose()?.flatten();
                let parent_status = parent.map(|p| p.status);
                let own = apply(w, event, to, parent_status)?;
                if own.spec.kind == EventKind::Process {
                    for child in w.calendar_children(event_id)? {
                        if let Some(to) = patch(child.status, requested) {
                            apply(w, child, to, Some(own.status))?;
                        }
                    }
                }
                Ok(Ok(own))
            })??
        };
        self.advance_calendar(false)?;
        // An opened event that started meanwhile (its time had come) is
        // answered In Progress, whatever it went on to do.
        let now = self.store.read(|r| r.calendar_event(event_id))?.ok_or(CalendarError::NotFound)?;
        if changed.status == EventStatus::Open && now.status != EventStatus::Open {
            changed.status = EventStatus::InProgress;
        }
        Ok(changed)
    }

    /// Copies an event with all its tasks (SAP help 93a8101e): the copy
    /// starts now (emulator time), its tasks keep their place relative to
    /// it, users, triggers and dependencies are copied (dependencies point
    /// at the copies). Activated when `activate` asks for it, else
    /// inactive. Returns the copy.
    pub fn copy_calendar_event(&self, event_id: &str, activate: bool) -> Result<CalendarEventRecord, CalendarError> {
        let now = self.now_ms();
        let copy_id = {
            let _writer = self.transition();
            self.store.write(|w| {
                let Some(root) = w.calendar_event(event_id)? else { return Ok(Err(CalendarError::NotFound)) };
                let children =
                    if root.spec.kind == EventKind::Process { w.calendar_children(event_id)? } else { vec![] };
                let shift = now - instant(&root.spec.start).unwrap_or(now);
                let ids: HashMap<String, String> =
                    std::iter::once(&root).chain(&children).map(|e| (e.id().to_string(), random_id())).collect();
                let status = if activate { EventStatus::Open } else { EventStatus::Inactive };
                for original in std::iter::once(&root).chain(&children) {
                    let mut spec = original.spec.clone();
                    spec.id = ids[original.id()].clone();
                    spec.parent = spec.parent.map(|p| ids.get(&p).cloned().unwrap_or(p));
                    for d in &mut spec.dependencies {
                        if let Some(new) = ids.get(&d.event) {
                            d.event = new.clone();
                        }
                    }
                    spec.start = utc_millis(instant(&spec.start).unwrap_or(now) + shift);
                    spec.end = utc_millis(instant(&spec.end).unwrap_or(now) + shift);
                    spec.status = status;
                    let copy = CalendarEventRecord {
                        spec,
                        status,
                        execution_id: None,
                        copied_from: Some(original.id().to_string()),
                    };
                    w.insert_calendar_event(&copy)?;
                }
                Ok(Ok(ids[event_id].clone()))
            })??
        };
        self.advance_calendar(false)?;
        self.store.read(|r| r.calendar_event(&copy_id))?.ok_or(CalendarError::NotFound)
    }

    /// Lets the calendar move as far as it can now: processes whose start
    /// came start, triggered tasks run, tasks whose job ended end, processes
    /// whose tasks all ended end. `count_read`: count one status read of
    /// each running multi action execution first (poll-counted clocks).
    pub fn advance_calendar(&self, count_read: bool) -> StoreResult<()> {
        if !self.store.read(|r| r.calendar_has_active())? {
            return Ok(());
        }
        if count_read {
            let running: Vec<String> =
                self.store.read(|r| r.calendar_events())?.into_iter().filter_map(running_job).collect();
            for execution_id in running {
                self.read_execution(&execution_id)?;
            }
        }
        // Each pass moves every event one step; a chain of dependencies
        // needs one pass per link.
        for _ in 0..32 {
            let tenant = self.tenant();
            let pass = {
                let _writer = self.transition();
                let now = self.now_ms();
                self.store.write(|w| one_pass(self, w, &tenant, now))?
            };
            if self.clock() == ClockMode::Immediate {
                for execution_id in &pass.started {
                    self.finish_execution(execution_id)?;
                }
            }
            if !pass.changed {
                break;
            }
        }
        Ok(())
    }
}

/// The execution a multi action task in progress waits for.
fn running_job(e: CalendarEventRecord) -> Option<String> {
    (e.spec.kind == EventKind::MultiActionTask && e.status == EventStatus::InProgress).then_some(e.execution_id)?
}

/// Sets `event` to `to` as a PATCH asked (the table allowed it) and returns
/// it as written. A task opened again starts afresh, unless it was held
/// while its job ran: then it follows that job again. A task whose process
/// is on hold stays on hold.
fn apply(
    w: &Writer<'_>,
    mut event: CalendarEventRecord,
    to: EventStatus,
    parent: Option<EventStatus>,
) -> StoreResult<CalendarEventRecord> {
    let from = event.status;
    event.status = match to {
        EventStatus::Open if parent == Some(EventStatus::OnHold) && event.spec.kind != EventKind::Process => {
            EventStatus::OnHold
        }
        EventStatus::Open if from == EventStatus::OnHold && event.execution_id.is_some() => EventStatus::InProgress,
        EventStatus::Open => {
            event.execution_id = None;
            EventStatus::Open
        }
        other => other,
    };
    w.update_calendar_event(&event, from)?;
    Ok(event)
}

/// One pass over every event, in the order they were created.
fn one_pass(engine: &Engine, w: &Writer<'_>, tenant: &Tenant, now: i64) -> StoreResult<Pass> {
    let mut events = w.calendar_events()?;
    let index: HashMap<String, usize> = events.iter().enumerate().map(|(i, e)| (e.id().to_string(), i)).collect();
    let mut pass = Pass::default();
    for i in 0..events.len() {
        let event = events[i].clone();
        let status_of = |id: &str| index.get(id).map(|&j| events[j].status);
        let parent = event.spec.parent.as_deref().and_then(status_of);
        let due = instant(&event.spec.start).is_some_and(|start| start <= now);
        let mut moved = event.clone();
        let progress = match (event.spec.kind, event.status) {
            (EventKind::Process, EventStatus::Open) if due => Some(Progress::Start),
            (EventKind::Process, EventStatus::InProgress) => {
                let tasks: Vec<EventStatus> =
                    events.iter().filter(|e| e.spec.parent.as_deref() == Some(event.id())).map(|e| e.status).collect();
                process_outcome(&tasks).map(Progress::End)
            }
            // A task moves only while its process runs (or it has none).
            (_, EventStatus::Open) if parent.is_some() && parent != Some(EventStatus::InProgress) => None,
            (EventKind::GeneralTask, EventStatus::Open) if due => Some(Progress::Start),
            (kind, EventStatus::Open) if kind.is_automatic() => {
                let fired = match event.spec.trigger {
                    Trigger::StartDate => due,
                    Trigger::Parent => parent == Some(EventStatus::InProgress) || (parent.is_none() && due),
                    Trigger::Dependencies => event
                        .spec
                        .dependencies
                        .iter()
                        .all(|d| status_of(&d.event).is_some_and(|s| d.statuses.contains(&s))),
                };
                if fired {
                    moved = start_task(engine, w, tenant, moved, now, &mut pass)?;
                }
                None
            }
            (EventKind::MultiActionTask, EventStatus::InProgress) => {
                let execution = match &event.execution_id {
                    Some(id) => w.ma_execution(id)?,
                    None => None,
                };
                match execution.as_ref().map(|e| e.status.as_str()) {
                    Some("running") => None,
                    Some("successful") => Some(Progress::End(EventStatus::Successful)),
                    Some("warning") => Some(Progress::End(EventStatus::PartiallySuccessful)),
                    _ => Some(Progress::End(EventStatus::Failed)),
                }
            }
            _ => None,
        };
        if let Some(progress) = progress {
            let to = next(moved.status, progress)
                .ok_or_else(|| StoreError::Conflict(format!("calendar event {} cannot {progress:?}", event.id())))?;
            moved.status = to;
        }
        if moved != event {
            w.update_calendar_event(&moved, event.status)?;
            events[i] = moved;
            pass.changed = true;
        }
    }
    Ok(pass)
}

/// Starts an automatic task whose trigger fired: a multi action task's
/// execution is recorded (it runs as the task's owner); a data action
/// task's copy runs now and ends the task.
fn start_task(
    engine: &Engine,
    w: &Writer<'_>,
    tenant: &Tenant,
    mut task: CalendarEventRecord,
    now: i64,
    pass: &mut Pass,
) -> StoreResult<CalendarEventRecord> {
    task.status = next(task.status, Progress::Start).unwrap_or(task.status);
    match task.spec.kind {
        EventKind::MultiActionTask => {
            let multi_action = task.spec.multi_action.clone().unwrap_or_default();
            let parameters: serde_json::Map<String, Value> =
                task.spec.parameters.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
            let (due_at_ms, polls_left) = engine.clock().finish_plan(now);
            let mut execution = MaExecutionRecord {
                execution_id: random_id(),
                multi_action,
                status: "running".into(),
                user: task.spec.owner.clone(),
                start_time: utc_millis(now),
                end_time: None,
                parameters: Value::Object(parameters).to_string(),
                messages: "[]".into(),
                due_at_ms,
                polls_left,
            };
            // The owner runs it: a viewer may not, as on the Multi Actions API.
            let owner = tenant.user(&task.spec.owner);
            if owner.is_none_or(|u| u.role == Role::Viewer) {
                execution.status = "failed".into();
                execution.end_time = Some(utc_millis(now));
                (execution.due_at_ms, execution.polls_left) = (None, None);
                let text = format!(
                    "User {} is not authorized to execute the multi action {}",
                    task.spec.owner, execution.multi_action
                );
                execution.messages =
                    Value::Array(vec![message("403", "error", text, Value::Array(vec![]))]).to_string();
            }
            w.insert_ma_execution(&execution)?;
            pass.started.push(execution.execution_id.clone());
            task.execution_id = Some(execution.execution_id);
        }
        EventKind::DataActionTask => {
            let Some(action) = task.spec.data_action.clone() else { return Ok(task) };
            let run = run_data_action(engine, w, tenant, &action, &task.spec.owner, now, ("calendar", task.id()))?;
            let outcome = if run.status == SUCCESSFUL { EventStatus::Successful } else { EventStatus::Failed };
            task.execution_id = Some(run.run_id);
            task.status = next(task.status, Progress::End(outcome)).unwrap_or(outcome);
        }
        EventKind::Process | EventKind::GeneralTask => {}
    }
    Ok(task)
}

/// Runs a calendar task's data action (a version copy) as `user` and records
/// the run; `started_by` names what ran it (`calendar`, the event).
fn run_data_action(
    engine: &Engine,
    w: &Writer<'_>,
    tenant: &Tenant,
    action: &crate::tenant::calendar::DataActionDef,
    user: &str,
    now: i64,
    started_by: (&str, &str),
) -> StoreResult<DataActionRunRecord> {
    let outcome = match (engine.failures.take_data_action_failure(), tenant.model(&action.model)) {
        (Some(why), _) => Err(why),
        (None, Some(model)) => Ok(planning::copy_version(w, model, &action.from, &action.to, user, now)?),
        (None, None) => Err(format!("The model {} does not exist", action.model)),
    };
    let run = data_action_run(
        &action.id,
        (&action.model, &action.from, &action.to),
        user,
        now,
        outcome.map(|n| n as i64),
        started_by,
    );
    w.insert_data_action_run(&run)?;
    Ok(run)
}
