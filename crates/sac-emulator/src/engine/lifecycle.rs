//! The life of each kind of job the engine runs: which status follows which
//! on what event. Every status change the engine writes goes through the
//! `next` function of its kind (by way of `advance`), so a new status or
//! event is one match arm here, and a move a job's life does not allow
//! fails the same way for every caller.
//!
//! Statuses are the enums of `sac-types`; the store keeps them as SAC
//! writes them (a number for runs, text for jobs and executions). Each
//! `advance` returns the status the record had as stored, which guards the
//! store's update: a job that moved on meanwhile is a conflict, as a
//! refused move is.
//!
//! A leaf module: the engine's job kinds use it, it uses none of them.

use crate::store::StoreError;

/// The runs of data import schedules.
pub mod run {
    use sac_types::legacy::RunStatus;

    use super::StoreError;
    use crate::store::{RunRecord, StoreResult};

    /// What ends a run.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum RunEvent {
        /// Its rows were written; `rejects` when some were refused.
        Written { rejects: bool },
        /// It could not run (a fault, or its schedule is gone).
        Failed,
        /// Another run of its schedule ran alongside it (SAC stops both).
        Stopped,
    }

    /// A run is created running and ends once; an ended run moves no more.
    pub fn next(from: RunStatus, event: RunEvent) -> Option<RunStatus> {
        match (from, event) {
            (RunStatus::Running, RunEvent::Written { rejects: false }) => Some(RunStatus::Succeeded),
            (RunStatus::Running, RunEvent::Written { rejects: true }) => Some(RunStatus::SucceededWithRejects),
            (RunStatus::Running, RunEvent::Failed) => Some(RunStatus::Failed),
            (RunStatus::Running, RunEvent::Stopped) => Some(RunStatus::Stopped),
            _ => None,
        }
    }

    /// Moves `run` by `event`; returns the status it had as stored.
    pub fn advance(run: &mut RunRecord, event: RunEvent) -> StoreResult<i64> {
        let from = run.status;
        let to = next(RunStatus::from(from), event).ok_or_else(|| {
            StoreError::Conflict(format!("run {} has ended (status {from}): it cannot be {event:?}", run.execution_id))
        })?;
        run.status = to.code();
        Ok(from)
    }

    /// True while the run is running (events still move it).
    pub fn is_running(run: &RunRecord) -> bool {
        RunStatus::from(run.status) == RunStatus::Running
    }
}

/// The jobs of the Data Import API.
pub mod import_job {
    use sac_types::dataimport::ImportJobStatus;

    use super::StoreError;
    use crate::store::{ImportJobRecord, StoreResult};

    /// What moves a job.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum JobEvent {
        /// A chunk of rows arrived.
        Upload,
        /// Its rows were checked.
        Validate,
        /// Writing started.
        Run,
        /// Its rows were written.
        Write,
        /// It cannot go on (failed rows it may not skip, its model is gone, a fault).
        Fail,
    }

    /// READY_FOR_DATA (chunks arrive; another chunk after a validation opens
    /// the job again) -> READY_FOR_WRITE (validated) -> PROCESSING ->
    /// COMPLETED, or FAILED from any status before that. An ended job moves
    /// no more.
    pub fn next(from: &ImportJobStatus, event: JobEvent) -> Option<ImportJobStatus> {
        use ImportJobStatus::{Completed, Failed, Processing, ReadyForData, ReadyForWrite};
        match (from, event) {
            (ReadyForData | ReadyForWrite, JobEvent::Upload) => Some(ReadyForData),
            (ReadyForData | ReadyForWrite, JobEvent::Validate) => Some(ReadyForWrite),
            (ReadyForWrite, JobEvent::Run) => Some(Processing),
            (Processing, JobEvent::Write) => Some(Completed),
            (ReadyForData | ReadyForWrite | Processing, JobEvent::Fail) => Some(Failed),
            _ => None,
        }
    }

    /// The job's status as the API names it (the store keeps its text).
    pub fn status_of(job: &ImportJobRecord) -> ImportJobStatus {
        ImportJobStatus::from(job.status.as_str())
    }

    /// Moves `job` by `event`; returns the status it had as stored.
    pub fn advance(job: &mut ImportJobRecord, event: JobEvent) -> StoreResult<String> {
        let to = next(&status_of(job), event).ok_or_else(|| {
            StoreError::Conflict(format!("job {} is {}: it cannot take {event:?}", job.job_id, job.status))
        })?;
        Ok(std::mem::replace(&mut job.status, to.as_str().to_string()))
    }

    /// Open: the job takes data and may be validated and run.
    pub fn is_open(job: &ImportJobRecord) -> bool {
        status_of(job).is_open()
    }

    pub fn is_processing(job: &ImportJobRecord) -> bool {
        status_of(job) == ImportJobStatus::Processing
    }
}

/// The executions of multi actions.
pub mod execution {
    use sac_types::multiaction::MultiActionStatus;

    use super::StoreError;
    use crate::store::{MaExecutionRecord, StoreResult};

    /// What ends an execution: its steps ran, all or up to a failing one.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum ExecutionEvent {
        /// Every step ran.
        StepsRan,
        /// A step failed after `committed` earlier steps had committed.
        StepFailed { committed: usize },
    }

    /// An execution is created running (or failed, when a parameter is
    /// wrong) and ends once: `successful`, `failed` when its first step
    /// failed, `warning` (successful with warning) when a later one did.
    pub fn next(from: &MultiActionStatus, event: ExecutionEvent) -> Option<MultiActionStatus> {
        match (from, event) {
            (MultiActionStatus::Running, ExecutionEvent::StepsRan) => Some(MultiActionStatus::Successful),
            (MultiActionStatus::Running, ExecutionEvent::StepFailed { committed: 0 }) => {
                Some(MultiActionStatus::Failed)
            }
            (MultiActionStatus::Running, ExecutionEvent::StepFailed { .. }) => Some(MultiActionStatus::Warning),
            _ => None,
        }
    }

    fn status_of(execution: &MaExecutionRecord) -> MultiActionStatus {
        MultiActionStatus::from(execution.status.clone())
    }

    pub fn is_running(execution: &MaExecutionRecord) -> bool {
        status_of(execution) == MultiActionStatus::Running
    }

    /// Moves `execution` by `event`; returns the status it had as stored.
    pub fn advance(execution: &mut MaExecutionRecord, event: ExecutionEvent) -> StoreResult<String> {
        let to = next(&status_of(execution), event).ok_or_else(|| {
            StoreError::Conflict(format!(
                "execution {} has ended ({}): it cannot end again",
                execution.execution_id, execution.status
            ))
        })?;
        Ok(std::mem::replace(&mut execution.status, to.as_str().to_string()))
    }
}

#[cfg(test)]
mod tests {
    use sac_types::dataimport::ImportJobStatus;
    use sac_types::legacy::RunStatus;
    use sac_types::multiaction::MultiActionStatus;

    use super::execution::ExecutionEvent;
    use super::import_job::JobEvent;
    use super::run::RunEvent;
    use super::*;

    #[test]
    fn a_run_ends_once() {
        let events = [
            RunEvent::Written { rejects: false },
            RunEvent::Written { rejects: true },
            RunEvent::Failed,
            RunEvent::Stopped,
        ];
        let ends: Vec<_> = events.iter().map(|e| run::next(RunStatus::Running, *e)).collect();
        assert_eq!(
            ends,
            [RunStatus::Succeeded, RunStatus::SucceededWithRejects, RunStatus::Failed, RunStatus::Stopped].map(Some)
        );
        for end in ends.into_iter().flatten().chain([RunStatus::Cancelled, RunStatus::Other(9)]) {
            for event in events {
                assert_eq!(run::next(end, event), None, "{end:?} moved by {event:?}");
            }
        }
    }

    #[test]
    fn a_job_moves_forward_and_ends_once() {
        use ImportJobStatus::*;
        let path = [
            (JobEvent::Upload, ReadyForData),
            (JobEvent::Validate, ReadyForWrite),
            (JobEvent::Upload, ReadyForData),
            (JobEvent::Validate, ReadyForWrite),
            (JobEvent::Run, Processing),
            (JobEvent::Write, Completed),
        ];
        let mut status = ReadyForData;
        for (event, to) in path {
            status = import_job::next(&status, event).unwrap_or_else(|| panic!("{status:?} refused {event:?}"));
            assert_eq!(status, to);
        }
        assert_eq!(import_job::next(&ReadyForData, JobEvent::Run), None, "validated first");
        assert_eq!(import_job::next(&Processing, JobEvent::Upload), None);
        for from in [ReadyForData, ReadyForWrite, Processing] {
            assert_eq!(import_job::next(&from, JobEvent::Fail), Some(Failed));
        }
        let events = [JobEvent::Upload, JobEvent::Validate, JobEvent::Run, JobEvent::Write, JobEvent::Fail];
        for ended in [Completed, Failed, Other("X".into())] {
            for event in events {
                assert_eq!(import_job::next(&ended, event), None, "{ended:?} moved by {event:?}");
            }
        }
    }

    #[test]
    fn an_execution_ends_once_by_how_its_steps_went() {
        let running = MultiActionStatus::Running;
        let next = execution::next;
        assert_eq!(next(&running, ExecutionEvent::StepsRan), Some(MultiActionStatus::Successful));
        assert_eq!(next(&running, ExecutionEvent::StepFailed { committed: 0 }), Some(MultiActionStatus::Failed));
        assert_eq!(next(&running, ExecutionEvent::StepFailed { committed: 2 }), Some(MultiActionStatus::Warning));
        for ended in [MultiActionStatus::Successful, MultiActionStatus::Failed, MultiActionStatus::Warning] {
            assert_eq!(next(&ended, ExecutionEvent::StepsRan), None, "{ended:?}");
            assert_eq!(next(&ended, ExecutionEvent::StepFailed { committed: 0 }), None, "{ended:?}");
        }
    }
}
