//! The job engine: the only writer of schedule runs, Data Import jobs and
//! multi action executions.
//!
//! Every change of one of them (start, upload, validate, run, a status read
//! that advances a poll-counted job, the clock's tick, an admin release)
//! is a method of [`Engine`], which takes one lock for the whole transition
//! and commits it in one store transaction whose `UPDATE`s are guarded by
//! the status they expect. Two paths can therefore never advance the same
//! job twice, and a crash leaves each job either before or after a
//! transition, never half-way: a write that was under way is redone from
//! the start after a restart and applies each row once.
//!
//! The engine also keeps the schedule logs in memory (they are read on
//! every poll), rebuilt from the store whenever a run changes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, RwLock};

use crate::clock::ClockMode;
use crate::store::{Store, StoreResult, Writer};
use crate::tenant::Tenant;

pub mod arrival;
pub mod calendar;
pub mod conversion_jobs;
pub mod data_actions;
pub mod faults;
pub mod import_jobs;
mod lifecycle;
pub mod multiactions;
pub mod planning;
pub mod runs;
pub mod staging;

pub use faults::{Fault, Faults};

/// The runs of one schedule as the logs show them, newest first, with a
/// slot where the HTTP layer memoises its serialised answer (a new log
/// replaces the whole value, so the memo never outlives the runs).
#[derive(Debug, Default)]
pub struct ScheduleLog {
    pub runs: Vec<crate::store::RunRecord>,
    pub memo: OnceLock<Box<serde_json::value::RawValue>>,
}

impl ScheduleLog {
    /// True when some run is not shown yet (log lag) or still running.
    pub fn has_hidden(&self) -> bool {
        self.runs.iter().any(|r| r.hidden_reads > 0)
    }
}

pub struct Engine {
    store: Arc<Store>,
    tenant: RwLock<Arc<Tenant>>,
    clock: Mutex<ClockMode>,
    /// Every fault in force (request faults too: the middleware takes them here).
    failures: Faults,
    /// Held for the whole of every transition: one writer.
    writer: Mutex<()>,
    logs: RwLock<HashMap<String, Arc<ScheduleLog>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Engine {
    /// An engine over `store`, running against `tenant`.
    pub fn new(store: Arc<Store>, tenant: Tenant, clock: ClockMode) -> StoreResult<Self> {
        let engine = Engine {
            store,
            tenant: RwLock::new(Arc::new(tenant)),
            clock: Mutex::new(clock),
            failures: Faults::default(),
            writer: Mutex::new(()),
            logs: RwLock::new(HashMap::new()),
        };
        engine.store.write(|w| planning::create_tables(w, &engine.tenant()))?;
        engine.reload_logs(None)?;
        Ok(engine)
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn tenant(&self) -> Arc<Tenant> {
        self.tenant.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn clock(&self) -> ClockMode {
        *lock(&self.clock)
    }

    pub fn set_clock(&self, mode: ClockMode) {
        *lock(&self.clock) = mode;
    }

    /// Unix milliseconds now, emulator time (the store's clock).
    pub fn now_ms(&self) -> i64 {
        self.store.clock().now_ms()
    }

    pub fn faults(&self) -> &Faults {
        &self.failures
    }

    /// Takes the writer lock: every transition runs under it.
    fn transition(&self) -> MutexGuard<'_, ()> {
        lock(&self.writer)
    }

    /// Replaces everything by a fresh copy of `tenant` (definitions, source
    /// rows, members, facts, past runs), plus what `extra` writes, in one
    /// transaction.
    pub fn reset(&self, tenant: Tenant, extra: impl FnOnce(&Writer<'_>) -> StoreResult<()>) -> StoreResult<()> {
        let _writer = self.transition();
        self.store.wipe()?;
        *self.tenant.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(tenant.clone());
        self.store.write(|w| {
            for source in &tenant.sources {
                for object in &source.objects {
                    w.replace_source_rows(&source.name, &object.name, &object.rows)?;
                }
            }
            for dim in &tenant.dimensions {
                w.upsert_members(&dim.id, dim.key_attribute(), &dim.members)?;
            }
            planning::create_tables(w, &tenant)?;
            planning::seed_facts(w, &tenant)?;
            w.seed_conversions(&tenant)?;
            runs::replay_history(w, &tenant, self.now_ms())?;
            calendar::seed(w, &tenant)?;
            extra(w)
        })?;
        self.failures.clear();
        self.reload_logs(None)
    }

    /// Finishes everything whose time has come (the clock's tick).
    pub fn tick(&self) -> StoreResult<()> {
        let now = self.now_ms();
        let due_runs: Vec<String> =
            self.running_runs(None).filter(|r| r.due_at_ms.is_some_and(|d| d <= now)).map(|r| r.execution_id).collect();
        let due_jobs = self
            .store
            .read(|r| r.processing_import_jobs())?
            .into_iter()
            .filter(|j| j.due_at_ms.is_some_and(|d| d <= now));
        let due_jobs: Vec<String> = due_jobs.map(|j| j.job_id).collect();
        let due_executions: Vec<String> = self
            .store
            .read(|r| r.running_ma_executions())?
            .into_iter()
            .filter(|e| e.due_at_ms.is_some_and(|d| d <= now))
            .map(|e| e.execution_id)
            .collect();
        for id in due_executions {
            self.finish_execution(&id)?;
        }
        for id in due_jobs {
            self.finish_job(&id)?;
        }
        for id in due_runs {
            self.finish_run(&id)?;
        }
        self.advance_calendar(false)
    }

    /// Finishes pinned runs, jobs and executions: the one named, or all of
    /// them. Returns how many.
    pub fn release(&self, id: Option<&str>) -> StoreResult<usize> {
        let wanted = |candidate: &str| id.is_none_or(|id| id == candidate);
        let runs: Vec<String> = self.running_runs(None).map(|r| r.execution_id).filter(|e| wanted(e)).collect();
        let executions: Vec<String> = self
            .store
            .read(|r| r.running_ma_executions())?
            .into_iter()
            .map(|e| e.execution_id)
            .filter(|e| wanted(e))
            .collect();
        let jobs: Vec<String> = self
            .store
            .read(|r| r.processing_import_jobs())?
            .into_iter()
            .map(|j| j.job_id)
            .filter(|j| wanted(j))
            .collect();
        let mut released = 0;
        for e in &executions {
            released += usize::from(self.finish_execution(e)?);
        }
        for j in &jobs {
            released += usize::from(self.finish_job(j)?);
        }
        for r in &runs {
            released += usize::from(self.finish_run(r)?);
        }
        Ok(released)
    }

    /// The log of a schedule, from memory.
    pub fn schedule_log(&self, schedule_id: &str) -> Arc<ScheduleLog> {
        self.logs.read().unwrap_or_else(|p| p.into_inner()).get(schedule_id).cloned().unwrap_or_default()
    }

    /// Running runs, of one schedule or of all, from memory.
    fn running_runs(&self, schedule_id: Option<&str>) -> impl Iterator<Item = crate::store::RunRecord> {
        let logs = self.logs.read().unwrap_or_else(|p| p.into_inner());
        let running: Vec<_> = logs
            .iter()
            .filter(|(id, _)| schedule_id.is_none_or(|s| s == id.as_str()))
            .flat_map(|(_, log)| log.runs.iter().filter(|r| lifecycle::run::is_running(r)).cloned())
            .collect();
        running.into_iter()
    }

    /// Rebuilds the in-memory logs from the store: of one schedule, or all.
    fn reload_logs(&self, schedule_id: Option<&str>) -> StoreResult<()> {
        let fresh = match schedule_id {
            Some(id) => self.store.read(|r| r.runs_of(id))?,
            None => self.store.read(|r| r.all_runs())?,
        };
        let mut grouped: HashMap<String, Vec<crate::store::RunRecord>> = HashMap::new();
        for run in fresh {
            grouped.entry(run.schedule_id.clone()).or_default().push(run);
        }
        let mut logs = self.logs.write().unwrap_or_else(|p| p.into_inner());
        match schedule_id {
            Some(id) => {
                let runs = grouped.remove(id).unwrap_or_default();
                logs.insert(id.to_string(), Arc::new(ScheduleLog { runs, memo: OnceLock::new() }));
            }
            None => {
                *logs = grouped
                    .into_iter()
                    .map(|(id, runs)| (id, Arc::new(ScheduleLog { runs, memo: OnceLock::new() })))
                    .collect();
            }
        }
        Ok(())
    }
}
