//! The lifecycle of Data Import API jobs: READY_FOR_DATA (chunks arrive) ->
//! READY_FOR_WRITE (validated) -> PROCESSING (run) -> COMPLETED or FAILED.
//!
//! Rows are really validated (members exist, Version and Date valid,
//! measures numeric) and really written: Update replaces the measures a row
//! carries, Append adds to them, CleanAndReplace first deletes the facts of
//! each scope tuple the valid rows touch. The whole write of a job is one
//! transaction, which also sets COMPLETED: after a crash a job is either
//! written with every row once, or not at all and still PROCESSING (and the
//! clock writes it again).

use std::collections::{BTreeMap, BTreeSet, HashSet};

use sac_types::dataimport::{CreateJob, ImportJobStatus};

use super::conversion_jobs;
use super::lifecycle::import_job::{advance, is_open, is_processing, status_of, JobEvent};
use super::planning;
use super::staging::{self, Chunk};
use super::Engine;
use crate::clock::{utc_timestamp, ClockMode};
use crate::store::conversions::{ConversionChange, ConversionRow, ConversionTable};
use crate::store::facts::{FactTable, WriteMode};
use crate::store::{ChunkRecord, ImportJobRecord, Reader, StoreError, StoreResult, Writer};
use crate::tenant::{Dimension, DimensionKind, ModelDef, Row, Tenant};

/// What a job loads into.
pub enum Target<'t> {
    Model(&'t ModelDef),
    Dimension(&'t Dimension),
    /// A currency or unit conversion table (`engine::conversion_jobs`).
    Conversion(ConversionTable),
}

impl Target<'_> {
    pub fn id(&self) -> &str {
        match self {
            Target::Model(m) => &m.id,
            Target::Dimension(d) => &d.id,
            Target::Conversion(t) => conversion_jobs::table_id(t),
        }
    }

    pub fn columns(&self) -> Vec<String> {
        match self {
            Target::Model(m) => m.dimensions.iter().map(|d| d.name.clone()).chain(m.measures.iter().cloned()).collect(),
            Target::Dimension(d) => d.attributes.clone(),
            Target::Conversion(t) => conversion_jobs::columns(t),
        }
    }
}

/// The model, public dimension or conversion table named `id` (`t.G:ID` or bare).
pub fn find_target<'t>(tenant: &'t Tenant, id: &str) -> Option<Target<'t>> {
    let bare = tenant.strip_package(id).unwrap_or(id);
    tenant
        .model(bare)
        .map(Target::Model)
        .or_else(|| tenant.dimension(bare).map(Target::Dimension))
        .or_else(|| conversion_jobs::currency_table(tenant, bare).map(Target::Conversion))
        .or_else(|| conversion_jobs::unit_table(bare).map(Target::Conversion))
}

pub fn settings_of(job: &ImportJobRecord) -> CreateJob {
    serde_json::from_str(&job.settings).unwrap_or_default()
}

pub fn method_of(settings: &CreateJob) -> String {
    settings.job_settings.as_ref().and_then(|s| s.import_method.clone()).unwrap_or_else(|| "Update".into())
}

/// The dimensions a CleanAndReplace clears by: the model's Version and
/// those `dimensionScope` adds (SAP help fe6efb8a); a public dimension's
/// key when none are given.
fn scope_of(target: &Target<'_>, settings: &CreateJob) -> Vec<String> {
    if method_of(settings) != "CleanAndReplace" {
        return vec![];
    }
    let given = settings.job_settings.as_ref().and_then(|s| s.dimension_scope.clone()).unwrap_or_default();
    let mut scope: Vec<String> = match target {
        Target::Model(m) => {
            m.dimensions.iter().filter(|d| d.kind == DimensionKind::Version).map(|d| d.name.clone()).collect()
        }
        Target::Dimension(d) if given.is_empty() => vec![d.key_attribute().to_string()],
        Target::Dimension(_) | Target::Conversion(_) => vec![],
    };
    for name in given {
        if !scope.contains(&name) {
            scope.push(name);
        }
    }
    scope
}

/// Scope tuples a CleanAndReplace clears, as the validate answer lists them.
pub type Affected = Vec<BTreeMap<String, String>>;

/// How many active jobs (taking data or validated, not yet run) SAC allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ActiveJobLimits {
    pub per_owner: usize,
    pub per_model: usize,
}

/// Why a job was not created.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobLimit {
    /// The owner has `n` active jobs already (SAC's 1002).
    Owner(usize),
    /// The model has `n` active jobs already (SAC's 1007).
    Model(usize),
}

/// How many rows temporary storage holds at most.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StagingCaps {
    pub per_job: usize,
    pub all_jobs: usize,
}

/// Why an upload was not stored: the cap it would pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StagingCap {
    Job(usize),
    AllJobs(usize),
}

/// What a run request led to.
#[derive(Debug)]
pub enum RunOutcome {
    /// Writing started (or failed at once); the job as it is now.
    Started(ImportJobRecord),
    /// The job is not open (any more).
    NotOpen,
    /// No row was ever stored (SAC's 1011); the job stays as it was.
    NoRows(ImportJobRecord),
    /// Rows were stored and validation found every one invalid (SAC's
    /// 1033); the job stays validated.
    AllRowsInvalid(ImportJobRecord),
    /// Failed rows and `executeWithFailedRows: false` without the run's
    /// override (SAC's 2903): nothing written, the job stays validated.
    WriteCancelled(ImportJobRecord),
}

impl Engine {
    /// Creates a job unless its owner or its model already has as many
    /// active jobs as `limits` allow (counted under the writer lock).
    pub fn create_job(&self, job: &ImportJobRecord, limits: ActiveJobLimits) -> StoreResult<Result<(), JobLimit>> {
        let _writer = self.transition();
        let (by_owner, by_model) = self
            .store
            .read(|r| Ok((r.active_import_jobs_of_owner(&job.owner)?, r.active_import_jobs_of_model(&job.model)?)))?;
        if by_owner >= limits.per_owner {
            return Ok(Err(JobLimit::Owner(by_owner)));
        }
        if by_model >= limits.per_model {
            return Ok(Err(JobLimit::Model(by_model)));
        }
        self.store.write(|w| w.insert_import_job(job))?;
        Ok(Ok(()))
    }

    /// Stages an uploaded chunk of `job` (as the caller read it: the job
    /// must still be in that state, else [`StoreError::Conflict`]) unless
    /// it would hold more rows than `caps` allow; returns the job as it is now.
    pub fn upload(
        &self,
        job: &ImportJobRecord,
        chunks: &[ChunkRecord],
        caps: StagingCaps,
    ) -> StoreResult<Result<ImportJobRecord, StagingCap>> {
        let _writer = self.transition();
        self.store.write(|w| {
            let mut fresh = w.import_job(&job.job_id)?.ok_or_else(|| StoreError::Conflict("job deleted".into()))?;
            if fresh.status != job.status {
                return Err(StoreError::Conflict(format!("job {} is {}", job.job_id, fresh.status)));
            }
            let rows: usize = chunks.iter().map(|c| c.rows.max(0) as usize).sum();
            if fresh.total.max(0) as usize + rows > caps.per_job {
                return Ok(Err(StagingCap::Job(caps.per_job)));
            }
            if w.staged_rows()?.max(0) as usize + rows > caps.all_jobs {
                return Ok(Err(StagingCap::AllJobs(caps.all_jobs)));
            }
            let expected = advance(&mut fresh, JobEvent::Upload)?;
            for chunk in chunks {
                fresh.total = w.append_chunk(&job.job_id, chunk)?;
            }
            fresh.updated = utc_timestamp(self.now_ms());
            w.update_import_job(&fresh, &expected)?;
            Ok(Ok(fresh))
        })
    }

    /// Validates an open job; `None` when it is not open (any more).
    pub fn validate_job(&self, job_id: &str) -> StoreResult<Option<(ImportJobRecord, Affected)>> {
        let _writer = self.transition();
        match self.store.read(|r| r.import_job(job_id))? {
            Some(mut job) if is_open(&job) => {
                let affected = self.validate(&mut job)?;
                Ok(Some((job, affected)))
            }
            _ => Ok(None),
        }
    }

    /// Runs an open job (validating it first when needed): it fails at once
    /// when it has failed rows it may not skip, else it starts writing
    /// (asynchronously, as the clock says). A job without a valid row is
    /// not run at all.
    pub fn run_job(&self, job_id: &str, override_failed: bool) -> StoreResult<RunOutcome> {
        let _writer = self.transition();
        let Some(mut job) = self.store.read(|r| r.import_job(job_id))?.filter(is_open) else {
            return Ok(RunOutcome::NotOpen);
        };
        if status_of(&job) == ImportJobStatus::ReadyForData {
            self.validate(&mut job)?;
            if status_of(&job) == ImportJobStatus::Failed {
                return Ok(RunOutcome::Started(job));
            }
        }
        if job.total == 0 {
            return Ok(RunOutcome::NoRows(job));
        }
        if job.total <= job.failed {
            return Ok(RunOutcome::AllRowsInvalid(job));
        }
        let settings = settings_of(&job);
        let with_failed = settings.job_settings.as_ref().and_then(|s| s.execute_with_failed_rows).unwrap_or(true);
        if job.failed > 0 && !with_failed && !override_failed {
            return Ok(RunOutcome::WriteCancelled(job));
        }
        let now = self.now_ms();
        let clock = self.clock();
        (job.due_at_ms, job.polls_left) = clock.finish_plan(now);
        let expected = advance(&mut job, JobEvent::Run)?;
        job.updated = utc_timestamp(now);
        self.store.write(|w| w.update_import_job(&job, &expected))?;
        if clock == ClockMode::Immediate {
            self.write_job(&job.job_id)?;
            job = self.store.read(|r| r.import_job(job_id))?.unwrap_or(job);
        }
        Ok(RunOutcome::Started(job))
    }

    /// A status read of a job: a processing job whose time has come is
    /// written now; a poll-counted one comes one read closer.
    pub fn read_job(&self, job_id: &str) -> StoreResult<Option<ImportJobRecord>> {
        let Some(job) = self.store.read(|r| r.import_job(job_id))? else { return Ok(None) };
        if !is_processing(&job) {
            return Ok(Some(job));
        }
        let _writer = self.transition();
        let Some(mut job) = self.store.read(|r| r.import_job(job_id))? else { return Ok(None) };
        if is_processing(&job) {
            match (job.due_at_ms, job.polls_left) {
                (Some(due), _) if due <= self.now_ms() => {
                    self.write_job(job_id)?;
                }
                (_, Some(0)) => {
                    self.write_job(job_id)?;
                }
                (_, Some(n)) => {
                    // Bookkeeping only: the status stays, and guards the update.
                    job.polls_left = Some(n - 1);
                    let status = job.status.clone();
                    self.store.write(|w| w.update_import_job(&job, &status))?;
                }
                _ => {}
            }
        }
        self.store.read(|r| r.import_job(job_id))
    }

    pub fn delete_job(&self, job_id: &str) -> StoreResult<()> {
        let _writer = self.transition();
        self.store.write(|w| w.delete_import_job(job_id))
    }

    /// Writes a processing job now; false when it was not processing.
    pub(crate) fn finish_job(&self, job_id: &str) -> StoreResult<bool> {
        let _writer = self.transition();
        self.write_job(job_id)
    }

    /// Validates every staged row, records the rejected ones, and returns
    /// the scope tuples a CleanAndReplace would clear. (Writer lock held.)
    fn validate(&self, job: &mut ImportJobRecord) -> StoreResult<Affected> {
        let tenant = self.tenant();
        let Some(target) = find_target(&tenant, &job.model) else {
            let expected = advance(job, JobEvent::Fail)?;
            job.error = Some(format!("The model {} no longer exists", job.model));
            self.store.write(|w| w.update_import_job(job, &expected))?;
            return Ok(vec![]);
        };
        let settings = settings_of(job);
        let checker = self.store.read(|r| Checker::new(r, &target))?;
        let scope = scope_of(&target, &settings);
        let mut affected = BTreeSet::new();
        let mut rejected = Vec::new();
        self.store.read(|r| {
            for_each_chunk_in(r, &job.job_id, false, |first_row, chunk| {
                let layout = checker.layout(&chunk);
                for row in 0..chunk.len() {
                    match checker.check(&chunk, &layout, row) {
                        Some(reason) => rejected.push((first_row + row as i64, chunk.row(row), reason)),
                        None if !scope.is_empty() => {
                            affected.insert(scope_tuple(&chunk, &scope, row).into_iter().collect::<BTreeMap<_, _>>());
                        }
                        None => {}
                    }
                }
            })
        })?;
        job.failed = rejected.len() as i64;
        let expected = advance(job, JobEvent::Validate)?;
        job.updated = utc_timestamp(self.now_ms());
        self.store.write(|w| {
            w.set_rejected_rows(&job.job_id, &rejected)?;
            w.update_import_job(job, &expected)
        })?;
        Ok(affected.into_iter().collect())
    }

    /// Writes the valid rows of a processing job and marks it COMPLETED (or
    /// FAILED), in one transaction. (Writer lock held.)
    fn write_job(&self, job_id: &str) -> StoreResult<bool> {
        let tenant = self.tenant();
        self.store.write(|w| {
            let Some(mut job) = w.import_job(job_id)?.filter(is_processing) else {
                return Ok(false);
            };
            // Taken only for a job really written now, so that a count of N
            // faults exactly the next N jobs.
            let failure = self.failures.take_import_run_failure();
            let crash_after = self.failures.take_crash_after_rows();
            job.due_at_ms = None;
            job.polls_left = None;
            job.updated = utc_timestamp(self.now_ms());
            let target = find_target(&tenant, &job.model);
            let expected = match (failure, target) {
                (Some(message), _) => {
                    job.error = Some(message);
                    advance(&mut job, JobEvent::Fail)?
                }
                (None, None) => {
                    job.error = Some(format!("The model {} no longer exists", job.model));
                    advance(&mut job, JobEvent::Fail)?
                }
                (None, Some(target)) => {
                    w.with_audit(&job.owner, &planning::audit_time(self.now_ms()), |w| {
                        write_rows(w, &target, &job, crash_after)
                    })?;
                    advance(&mut job, JobEvent::Write)?
                }
            };
            w.update_import_job(&job, &expected)?;
            // The job has ended: its uploaded rows are not needed any more.
            w.delete_chunks(job_id)?;
            Ok(true)
        })
    }
}

/// Calls `f` with each staged chunk of a job, parsed and mapped, in order.
/// With `deleted`, the chunks of rows to delete (`DeletedData`) instead.
fn for_each_chunk_in(r: &Reader<'_>, job_id: &str, deleted: bool, mut f: impl FnMut(i64, Chunk)) -> StoreResult<()> {
    let count = r.chunk_count(job_id)?;
    for index in 0..count {
        let Some(record) = r.chunk(job_id, index)? else { continue };
        if staging::is_deleted(&record.content_type) != deleted {
            continue;
        }
        let mut chunk = staging::parse(&record.content_type, &record.body)
            .map_err(|e| StoreError::Corrupt(format!("staged chunk {index} of job {job_id}: {e}")))?;
        chunk.apply_mapping(&serde_json::from_str(&record.mapping).unwrap_or_default());
        f(record.first_row, chunk);
    }
    Ok(())
}

/// A stored row of a conversion table job, as the table's write API takes it.
fn conversion_row(chunk: &Chunk, row: usize) -> ConversionRow {
    chunk.row(row).into_iter().map(|(k, v)| (k, serde_json::Value::String(v))).collect()
}

fn scope_tuple(chunk: &Chunk, scope: &[String], row: usize) -> Vec<(String, String)> {
    scope
        .iter()
        .map(|d| {
            let value = chunk.columns.iter().position(|c| c == d).and_then(|c| chunk.get(row, c)).unwrap_or_default();
            (d.clone(), value.to_string())
        })
        .collect()
}

/// Writes the rows validation kept, chunk by chunk.
fn write_rows(w: &Writer<'_>, target: &Target<'_>, job: &ImportJobRecord, crash_after: Option<u64>) -> StoreResult<()> {
    let mut written: u64 = 0;
    let mut count_row = || {
        if crash_after == Some(written) {
            // The crash fault: die as `kill -9` would, mid-transaction.
            tracing::warn!(rows = written, "crash fault: aborting the emulator in the middle of a write");
            std::process::abort();
        }
        written += 1;
    };
    let settings = settings_of(job);
    let rejected: HashSet<i64> = w.rejected_row_numbers(&job.job_id)?;
    let scope = scope_of(target, &settings);
    let mut cleared: BTreeSet<Vec<(String, String)>> = BTreeSet::new();
    let columns = target.columns();
    let mode = if method_of(&settings) == "Append" { WriteMode::Append } else { WriteMode::Update };
    let table = match target {
        Target::Model(m) => Some(FactTable::of(m)),
        Target::Dimension(_) | Target::Conversion(_) => None,
    };
    let flip = reversed_accounts(w, target, &settings)?;
    let mut outcome = Ok(());
    let mut conversion: Option<(&ConversionTable, ConversionChange)> = match target {
        Target::Conversion(table) => {
            let mut deleted = Vec::new();
            for_each_chunk_in(w, &job.job_id, true, |_, chunk| {
                deleted.extend((0..chunk.len()).map(|row| conversion_row(&chunk, row)));
            })?;
            let mode = conversion_jobs::write_mode(&settings);
            Some((table, ConversionChange { mode, deleted, rows: Vec::new() }))
        }
        _ => None,
    };
    for_each_chunk_in(w, &job.job_id, false, |first_row, chunk| {
        if outcome.is_err() {
            return;
        }
        let at: Vec<Option<usize>> = columns.iter().map(|c| chunk.columns.iter().position(|x| x == c)).collect();
        let valid = (0..chunk.len()).filter(|row| !rejected.contains(&(first_row + *row as i64)));
        outcome = match (target, &table) {
            (Target::Model(m), Some(table)) => (|| {
                let dims = m.dimensions.len();
                let mut writer = w.fact_writer(table, mode)?;
                let mut values: Vec<&str> = Vec::with_capacity(dims);
                let mut measures: Vec<Option<f64>> = Vec::with_capacity(m.measures.len());
                for row in valid {
                    count_row();
                    if !scope.is_empty() {
                        let tuple = scope_tuple(&chunk, &scope, row);
                        if !cleared.contains(&tuple) {
                            w.delete_facts(table, &tuple)?;
                            cleared.insert(tuple);
                        }
                    }
                    values.clear();
                    measures.clear();
                    values.extend(at[..dims].iter().map(|c| c.and_then(|c| chunk.get(row, c)).unwrap_or("")));
                    measures.extend(
                        at[dims..].iter().map(|c| c.and_then(|c| chunk.get(row, c)).and_then(|v| v.parse().ok())),
                    );
                    if let Some((account, flipped)) = &flip {
                        if flipped.contains(values[*account]) {
                            measures.iter_mut().flatten().for_each(|m| *m = -*m);
                        }
                    }
                    writer.write(&values, &measures)?;
                }
                Ok(())
            })(),
            (Target::Dimension(d), _) => {
                let members: Vec<Row> = valid
                    .inspect(|_| count_row())
                    .map(|row| {
                        columns
                            .iter()
                            .zip(&at)
                            .filter_map(|(name, c)| Some((name.clone(), chunk.get(row, (*c)?)?.to_string())))
                            .collect()
                    })
                    .collect();
                w.overwrite_members(&d.id, d.key_attribute(), &members)
            }
            (Target::Conversion(_), _) => {
                if let Some((_, change)) = conversion.as_mut() {
                    change.rows.extend(valid.inspect(|_| count_row()).map(|row| conversion_row(&chunk, row)));
                }
                Ok(())
            }
            _ => Ok(()),
        };
    })?;
    if let (Ok(()), Some((table, change))) = (&outcome, &conversion) {
        outcome = w.apply_conversion_change(table, change).map(|_| ());
    }
    if outcome.is_ok() {
        // A crash fault set to the job's row count fires here: every row is
        // written, nothing is committed yet.
        count_row();
    }
    outcome
}

/// With `reverseSignByAccountType` (SAP help fe6efb8a): the account
/// dimension's place among the model's dimensions and its members of type
/// INC and LEQ, whose values change sign on the way in.
fn reversed_accounts(
    r: &Reader<'_>,
    target: &Target<'_>,
    settings: &CreateJob,
) -> StoreResult<Option<(usize, HashSet<String>)>> {
    let on = settings.job_settings.as_ref().and_then(|s| s.reverse_sign_by_account_type).unwrap_or(false);
    let Target::Model(m) = target else { return Ok(None) };
    let Some((at, dim)) = m.dimensions.iter().enumerate().find(|(_, d)| d.kind == DimensionKind::Account) else {
        return Ok(None);
    };
    let (true, Some(members_of)) = (on, &dim.members_of) else { return Ok(None) };
    Ok(Some((at, r.members_with_account_type(members_of, &["INC", "LEQ"])?)))
}

/// What validation checks of a stored row (SAP help d4d46a0f): what needs
/// master data. Structure, keys and types were checked when the row
/// arrived (`engine::arrival`).
struct Checker<'t> {
    target: &'t Target<'t>,
    /// The target's columns; for a model its dimensions first, then its measures.
    columns: Vec<String>,
    /// Per model dimension: the members its values must be.
    members: Vec<Option<HashSet<String>>>,
}

impl<'t> Checker<'t> {
    fn new(r: &Reader<'_>, target: &'t Target<'t>) -> StoreResult<Self> {
        let mut members = Vec::new();
        if let Target::Model(m) = target {
            for d in &m.dimensions {
                members.push(match &d.members_of {
                    Some(dim) => Some(r.member_ids(dim)?),
                    None => None,
                });
            }
        }
        Ok(Checker { target, columns: target.columns(), members })
    }

    /// Where each target column stands in a chunk.
    fn layout(&self, chunk: &Chunk) -> Vec<Option<usize>> {
        self.columns.iter().map(|c| chunk.columns.iter().position(|x| x == c)).collect()
    }

    fn check(&self, chunk: &Chunk, at: &[Option<usize>], row: usize) -> Option<String> {
        let Target::Model(m) = self.target else { return None };
        for (i, d) in m.dimensions.iter().enumerate() {
            let v = at[i].and_then(|c| chunk.get(row, c)).unwrap_or_default();
            let valid = match d.kind {
                DimensionKind::Version => m.versions.iter().any(|x| x == v),
                DimensionKind::Date => true,
                DimensionKind::Generic | DimensionKind::Account => {
                    self.members[i].as_ref().is_some_and(|ids| ids.contains(v))
                }
            };
            if !valid {
                return Some(format!("Invalid column value for: {}", d.name));
            }
        }
        None
    }
}
