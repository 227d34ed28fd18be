//! Executions of multi actions. Steps really run, in one transaction: a
//! data-import step runs its schedule (a run shows in the schedule's logs),
//! a copy step copies one version of a model into the version a parameter
//! names. A step that fails after an earlier one committed ends the
//! execution as `warning` (successful with warning), a failing first step
//! as `failed`.
//!
//! Messages follow SAP's message format and code convention (pages 88 and
//! 89 of the REST API guide, `ff7815c6`, `ad2758ce`): a code `sccxxxyyy`
//! (severity, category, task type, number). A step that fails while it
//! runs is reported as one generic error of category 80 whose `details`
//! name the step (`stepName`) and carry the step's own `logs`. A step that
//! ran gets an `info` message without a code: SAP documents no info codes.

use sac_types::legacy::RunStatus;
use serde_json::{json, Value};

use super::lifecycle::execution::{advance, is_running, ExecutionEvent};
use super::{data_actions, planning, runs, Engine};
use crate::clock::ClockMode;
use crate::store::{MaExecutionRecord, StoreResult, Writer};
use crate::tenant::{MultiActionStep, Tenant};

/// A message of `executionResult.messages`.
pub fn message(code: &str, severity: &str, text: String, details: Value) -> Value {
    json!({"code": code, "severity": severity, "message": text, "details": details})
}

/// An `info` message about a step that ran: no `code`, since SAP's guide
/// documents none for info messages (`ad2758ce`) and the emulator invents none.
fn info(text: String) -> Value {
    json!({"severity": "info", "message": text, "details": []})
}

/// Task types of the code convention (`ad2758ce`): 001 data action, 002 data import.
const TASK_DATA_ACTION: &str = "001";
const TASK_DATA_IMPORT: &str = "002";

/// The generic error of a step that failed while it ran: severity 5,
/// category 80 (errors returned from step execution), the step's task type;
/// the number `000` is the emulator's (**assumption**: SAP documents the
/// pattern, not the numbers). `details` names the step and carries its logs
/// (`ff7815c6`: `stepName` and `logs` of `{message, severity}`).
fn step_failed(task: &str, step_name: &str, why: String) -> Value {
    message(
        &format!("580{task}000"),
        "error",
        format!("The step {step_name} failed while it ran; see its logs."),
        json!([{"stepName": step_name, "logs": [{"message": why, "severity": "error"}]}]),
    )
}

/// `2023-07-12T10:08:28.000Z`, as the Multi Actions API writes times.
pub fn utc_millis(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

impl Engine {
    /// Records a new execution; a running one finishes at once under the
    /// immediate clock. Returns it as stored.
    pub fn start_execution(&self, execution: MaExecutionRecord) -> StoreResult<MaExecutionRecord> {
        let _writer = self.transition();
        self.store.write(|w| w.insert_ma_execution(&execution))?;
        if is_running(&execution) && self.clock() == ClockMode::Immediate {
            self.run_steps(&execution.execution_id)?;
        }
        Ok(self.store.read(|r| r.ma_execution(&execution.execution_id))?.unwrap_or(execution))
    }

    /// A status read: a running execution whose time has come finishes; a
    /// poll-counted one comes one read closer.
    pub fn read_execution(&self, execution_id: &str) -> StoreResult<Option<MaExecutionRecord>> {
        let Some(execution) = self.store.read(|r| r.ma_execution(execution_id))? else { return Ok(None) };
        if !is_running(&execution) {
            return Ok(Some(execution));
        }
        let _writer = self.transition();
        if let Some(mut execution) = self.store.read(|r| r.ma_execution(execution_id))?.filter(is_running) {
            match (execution.due_at_ms, execution.polls_left) {
                (Some(due), _) if due <= self.now_ms() => {
                    self.run_steps(execution_id)?;
                }
                (_, Some(0)) => {
                    self.run_steps(execution_id)?;
                }
                (_, Some(n)) => {
                    // Bookkeeping only: the status stays, and guards the update.
                    execution.polls_left = Some(n - 1);
                    let status = execution.status.clone();
                    self.store.write(|w| w.update_ma_execution(&execution, &status))?;
                }
                _ => {}
            }
        }
        self.store.read(|r| r.ma_execution(execution_id))
    }

    /// Finishes a running execution now; false when it was not running.
    pub(crate) fn finish_execution(&self, execution_id: &str) -> StoreResult<bool> {
        let _writer = self.transition();
        self.run_steps(execution_id)
    }

    /// Runs the steps and records the outcome, in one transaction. (Writer lock held.)
    fn run_steps(&self, execution_id: &str) -> StoreResult<bool> {
        let tenant = self.tenant();
        let mut schedules = Vec::new();
        let done = self.store.write(|w| {
            let Some(mut execution) = w.ma_execution(execution_id)?.filter(is_running) else {
                return Ok(false);
            };
            let was = finish(self, w, &tenant, &mut execution, &mut schedules)?;
            w.update_ma_execution(&execution, &was)?;
            Ok(true)
        })?;
        for schedule_id in schedules {
            self.reload_logs(Some(&schedule_id))?;
        }
        Ok(done)
    }
}

/// Runs the steps of `execution` in order and sets its outcome; returns
/// the status it had (see [`advance`]).
fn finish(
    engine: &Engine,
    w: &Writer<'_>,
    tenant: &Tenant,
    execution: &mut MaExecutionRecord,
    schedules: &mut Vec<String>,
) -> StoreResult<String> {
    let parameters: serde_json::Map<String, Value> = serde_json::from_str(&execution.parameters).unwrap_or_default();
    let mut messages = Vec::new();
    let mut committed = 0usize;
    let mut failed = false;
    let steps = tenant.multi_action(&execution.multi_action).map(|m| m.steps.clone()).unwrap_or_default();
    for (index, step) in steps.iter().enumerate() {
        let number = index + 1;
        let (task, kind) = match step {
            MultiActionStep::DataImport { .. } => (TASK_DATA_IMPORT, "Data Import"),
            MultiActionStep::CopyVersion { .. } => (TASK_DATA_ACTION, "Data Action"),
        };
        let step_name = format!("{kind} {number}");
        let outcome = match step {
            MultiActionStep::DataImport { schedule_id } => match tenant.schedule(schedule_id) {
                Some(schedule) => {
                    let failure = engine.failures.take_run_failure();
                    let run = runs::run_now(w, tenant, schedule, &execution.user, failure, engine.now_ms())?;
                    schedules.push(schedule_id.clone());
                    let rows = run.inserted_count;
                    match run.message {
                        Some(why) if RunStatus::from(run.status) == RunStatus::Failed => Err(why),
                        _ => Ok(format!("Data import {schedule_id} imported {rows} rows (run {})", run.execution_id)),
                    }
                }
                None => Err(format!("The data import {schedule_id} does not exist")),
            },
            MultiActionStep::CopyVersion { model, from, to_parameter } => {
                let to = parameters.get(to_parameter).and_then(Value::as_str).unwrap_or_default().to_string();
                let now = engine.now_ms();
                let copied = match (engine.failures.take_data_action_failure(), tenant.model(model)) {
                    (Some(why), _) => Err(why),
                    (None, Some(def)) => Ok(planning::copy_version(w, def, from, &to, &execution.user, now)? as i64),
                    (None, None) => Err(format!("The model {model} does not exist")),
                };
                // Each data action execution is a line of the monitoring's planningDataAction.
                let step = format!("{} step {number}", execution.multi_action);
                let origin = ("multiAction", execution.execution_id.as_str());
                let run = data_actions::data_action_run(
                    &step,
                    (model, from, &to),
                    &execution.user,
                    now,
                    copied.clone(),
                    origin,
                );
                w.insert_data_action_run(&run)?;
                copied.map(|n| format!("Data action copied {n} rows of {model} from {from} to {to}"))
            }
        };
        match outcome {
            Ok(text) => {
                committed += 1;
                messages.push(info(format!("Step {number} ({step_name}): {text}")));
            }
            Err(why) => {
                failed = true;
                messages.push(step_failed(task, &step_name, why));
                break;
            }
        }
    }
    let was =
        advance(execution, if failed { ExecutionEvent::StepFailed { committed } } else { ExecutionEvent::StepsRan })?;
    execution.end_time = Some(utc_millis(engine.now_ms()));
    execution.messages = Value::Array(messages).to_string();
    execution.due_at_ms = None;
    execution.polls_left = None;
    Ok(was)
}
