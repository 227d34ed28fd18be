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

/// The events of the planning calendar (SAP help "/events/{eventId}
/// (PATCH)", page hash 9afa17f5, for the changes a client asks for).
pub mod calendar_event {
    use crate::tenant::EventStatus;

    /// A status a PATCH asks for: the three SAP lists.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Requested {
        Open,
        OnHold,
        Canceled,
    }

    impl Requested {
        pub fn parse(text: &str) -> Option<Self> {
            match text {
                "open" => Some(Requested::Open),
                "onHold" => Some(Requested::OnHold),
                "canceled" => Some(Requested::Canceled),
                _ => None,
            }
        }

        pub fn as_str(self) -> &'static str {
            match self {
                Requested::Open => "open",
                Requested::OnHold => "onHold",
                Requested::Canceled => "canceled",
            }
        }
    }

    /// SAP's table of status changes by PATCH, row for row; every other
    /// pair is refused. `open` answers Open here: the engine then moves an
    /// event whose time has come to In Progress, and keeps a task whose
    /// process is on hold On Hold (the table's "Open or In Progress (or On
    /// Hold)").
    pub fn patch(from: EventStatus, requested: Requested) -> Option<EventStatus> {
        use EventStatus::*;
        match (requested, from) {
            (Requested::Open, Inactive | Canceled | Successful | PartiallySuccessful | Failed | OnHold) => Some(Open),
            (Requested::Canceled, Open | InProgress | OnHold) => Some(Canceled),
            (Requested::OnHold, Open | InProgress | OnHold) => Some(OnHold),
            _ => None,
        }
    }

    /// What moves an active event without a request.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Progress {
        /// Its time or trigger came: it starts.
        Start,
        /// Its job (or, for a process, its last task) ended so.
        End(EventStatus),
    }

    /// Open starts (In Progress); In Progress ends once, as its job or
    /// tasks went.
    pub fn next(from: EventStatus, progress: Progress) -> Option<EventStatus> {
        use EventStatus::*;
        match (from, progress) {
            (Open, Progress::Start) => Some(InProgress),
            (InProgress, Progress::End(to @ (Successful | PartiallySuccessful | Failed | Canceled))) => Some(to),
            _ => None,
        }
    }

    /// A process's outcome from its tasks', once every task has ended:
    /// successful when all succeeded, failed when none did, canceled when
    /// all were canceled, else partially successful (canceled tasks count
    /// as not done). `None` while a task has not ended, or without tasks.
    pub fn process_outcome(tasks: &[EventStatus]) -> Option<EventStatus> {
        use EventStatus::*;
        if tasks.is_empty() || !tasks.iter().all(|s| s.is_ended()) {
            return None;
        }
        let count = |wanted: &[EventStatus]| tasks.iter().filter(|s| wanted.contains(s)).count();
        Some(if count(&[Canceled]) == tasks.len() {
            Canceled
        } else if count(&[Successful]) == tasks.len() {
            Successful
        } else if count(&[Successful, PartiallySuccessful]) == 0 {
            Failed
        } else {
            PartiallySuccessful
        })
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

    #[test]
    fn calendar_events_change_as_page_94_lists_and_processes_follow_their_tasks() {
        use super::calendar_event::{next, patch, process_outcome, Progress, Requested};
        use crate::tenant::EventStatus::{self, *};
        let allowed: Vec<(Requested, EventStatus)> = EventStatus::ALL
            .into_iter()
            .flat_map(|from| [Requested::Open, Requested::OnHold, Requested::Canceled].map(|r| (r, from)))
            .filter(|(r, from)| patch(*from, *r).is_some())
            .collect();
        assert_eq!(allowed.len(), 12, "the twelve rows of SAP's table: {allowed:?}");
        assert_eq!(patch(Open, Requested::Open), None);
        assert_eq!(patch(InProgress, Requested::Open), None);
        assert_eq!(patch(Successful, Requested::Canceled), None);
        assert_eq!(patch(Inactive, Requested::OnHold), None);
        assert_eq!(next(Open, Progress::Start), Some(InProgress));
        assert_eq!(next(InProgress, Progress::End(Failed)), Some(Failed));
        assert_eq!(next(InProgress, Progress::End(Open)), None);
        assert_eq!(next(Successful, Progress::Start), None);
        assert_eq!(process_outcome(&[Successful, Successful]), Some(Successful));
        assert_eq!(process_outcome(&[Successful, Failed]), Some(PartiallySuccessful));
        assert_eq!(process_outcome(&[PartiallySuccessful]), Some(PartiallySuccessful));
        assert_eq!(process_outcome(&[Failed, Canceled]), Some(Failed));
        assert_eq!(process_outcome(&[Canceled, Canceled]), Some(Canceled));
        assert_eq!(process_outcome(&[Successful, InProgress]), None);
        assert_eq!(process_outcome(&[]), None);
    }
}
