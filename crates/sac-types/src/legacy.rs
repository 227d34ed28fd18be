//! The undocumented data integration service of SAC's UI layer,
//! `POST /sap/fpa/services/rest/fpa/dataintegration?action=...&tenant=X`.
//!
//! Request bodies come from the seed story (browser dev-tools captures);
//! field names of the log entries from practitioners' field notes. Shapes
//! that no source shows are the emulator's documented assumptions.

use serde::{Deserialize, Serialize};

/// Path of the data integration service on the tenant (browser) domain.
pub const SERVICE_PATH: &str = "/sap/fpa/services/rest/fpa/dataintegration";
/// Path of the UI layer's session service (`?action=logon` fetches a CSRF token).
pub const EPM_SESSION_PATH: &str = "/sap/fpa/services/rest/epm/session";
/// Rejected rows of one run, as CSV: `/wrangling/api/dm/executions/<id>/rejections?app=SAC`.
pub const REJECTIONS_PATH_PREFIX: &str = "/wrangling/api/dm/executions/";
/// The only job type seen in captures.
pub const JOB_TYPE_DATA_IMPORT: &str = "bpcDataImport";

/// `{"status":200,"data":...}`: every successful answer of the service.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Envelope<T> {
    pub status: u16,
    pub data: T,
}

/// An error answer of the service. `errorCode` is SAC's stable number
/// (3000: the user does not exist in the tenant).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    pub status: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<u32>,
    pub message: String,
}

/// Body of `action=getScheduleLogsByModel`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleLogsRequest {
    pub job_type: String,
    pub model_name: String,
    #[serde(default)]
    pub mapping_id: Vec<String>,
}

/// One schedule (a data import job definition) with its run logs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Schedule {
    pub schedule_id: String,
    pub mapping_id: String,
    #[serde(default)]
    pub mapping_name: String,
    pub model_name: String,
    pub job_type: String,
    /// The *recurrence* status of the schedule (`STOPPED` when not
    /// recurring), not the state of a run.
    #[serde(default)]
    pub status: String,
    /// Runs, newest first.
    #[serde(default)]
    pub refresh_logs: Vec<RefreshLog>,
}

/// One run of a schedule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefreshLog {
    pub execution_id: String,
    pub status: RunStatus,
    /// UTC, RFC 3339 (`2020-11-13T09:15:02Z`).
    pub start_time: String,
    #[serde(default)]
    pub end_time: Option<String>,
    #[serde(default)]
    pub user: String,
    #[serde(default)]
    pub wrangling_and_update_result: WranglingResult,
    /// Why a run failed or stopped; absent on success.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WranglingResult {
    #[serde(default)]
    pub data: RowCounts,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RowCounts {
    pub all_count: u64,
    pub rejected_count: u64,
    pub inserted_count: u64,
}

/// Numeric run status of a log entry.
///
/// 5, 1, 2, 3 and 4 come from field notes; `Failed` (6) is the emulator's
/// assumption, as no source shows the code of a failed run. Any other number
/// is kept as `Other` so a client can report it instead of guessing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "i64", into = "i64")]
pub enum RunStatus {
    Running,
    Succeeded,
    SucceededWithRejects,
    Cancelled,
    Stopped,
    Failed,
    Other(i64),
}

impl RunStatus {
    pub fn code(self) -> i64 {
        match self {
            RunStatus::Running => 5,
            RunStatus::Succeeded => 1,
            RunStatus::SucceededWithRejects => 2,
            RunStatus::Cancelled => 3,
            RunStatus::Stopped => 4,
            RunStatus::Failed => 6,
            RunStatus::Other(code) => code,
        }
    }

    /// True once the run will not change any more.
    pub fn is_terminal(self) -> bool {
        !matches!(self, RunStatus::Running)
    }
}

impl From<i64> for RunStatus {
    fn from(code: i64) -> Self {
        match code {
            5 => RunStatus::Running,
            1 => RunStatus::Succeeded,
            2 => RunStatus::SucceededWithRejects,
            3 => RunStatus::Cancelled,
            4 => RunStatus::Stopped,
            6 => RunStatus::Failed,
            other => RunStatus::Other(other),
        }
    }
}

impl From<RunStatus> for i64 {
    fn from(status: RunStatus) -> i64 {
        status.code()
    }
}

/// Body of `action=runScheduledJob`. The seed calls the id the data import's
/// `name`; field notes call it `scheduleId`. Both are accepted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunScheduledJobRequest {
    #[serde(alias = "name")]
    pub schedule_id: String,
    #[serde(default)]
    pub mapping_id: Option<String>,
}

/// `data` of a successful `runScheduledJob`: the schedule that was started
/// (not the run: find the run in the schedule's logs).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunScheduledJobData {
    pub schedule_id: String,
}

/// Body of `action=getMappingById`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MappingByIdRequest {
    pub mapping_id: String,
}

/// A data import job definition: where rows come from and where they go.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Mapping {
    pub mapping_id: String,
    pub mapping_name: String,
    pub schedule_id: String,
    pub model_name: String,
    pub job_type: String,
    /// `Update` (upsert members), the UI's default.
    pub update_method: String,
    pub source: MappingSource,
    pub columns: Vec<ColumnMapping>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MappingSource {
    pub connection_name: String,
    pub connection_type: String,
    pub system: String,
    pub object_name: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ColumnMapping {
    pub source: String,
    pub target: String,
}
