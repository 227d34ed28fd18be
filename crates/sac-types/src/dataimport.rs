//! The Data Import API (`/api/v1/dataimport`). Field names follow SAP's
//! help pages where they show them (validate, invalidRows) and the public
//! clients that read them elsewhere (`jobID`, `jobURL`, `upsertedNumberRows`,
//! `jobStatus`, `additionalInformation`).

use serde::{Deserialize, Serialize};

/// The wire names of [`ImportJobStatus`], for code that keeps a status as
/// text (the emulator's store).
pub mod status {
    pub const READY_FOR_DATA: &str = "READY_FOR_DATA";
    pub const READY_FOR_WRITE: &str = "READY_FOR_WRITE";
    pub const PROCESSING: &str = "PROCESSING";
    pub const COMPLETED: &str = "COMPLETED";
    pub const FAILED: &str = "FAILED";
}

/// A job's status (`jobStatus`): READY_FOR_DATA (chunks arrive) ->
/// READY_FOR_WRITE (validated) -> PROCESSING (being written) -> COMPLETED
/// or FAILED. Names are matched exactly as SAC writes them; any other value
/// is kept as `Other` (and written back unchanged), so a client can report
/// it instead of failing on it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum ImportJobStatus {
    ReadyForData,
    ReadyForWrite,
    Processing,
    Completed,
    Failed,
    Other(String),
}

impl ImportJobStatus {
    pub fn as_str(&self) -> &str {
        match self {
            ImportJobStatus::ReadyForData => status::READY_FOR_DATA,
            ImportJobStatus::ReadyForWrite => status::READY_FOR_WRITE,
            ImportJobStatus::Processing => status::PROCESSING,
            ImportJobStatus::Completed => status::COMPLETED,
            ImportJobStatus::Failed => status::FAILED,
            ImportJobStatus::Other(s) => s,
        }
    }

    /// True once the job will not change any more (COMPLETED or FAILED).
    pub fn is_terminal(&self) -> bool {
        matches!(self, ImportJobStatus::Completed | ImportJobStatus::Failed)
    }

    /// True while the job takes data and may be validated and run.
    pub fn is_open(&self) -> bool {
        matches!(self, ImportJobStatus::ReadyForData | ImportJobStatus::ReadyForWrite)
    }
}

impl From<&str> for ImportJobStatus {
    fn from(s: &str) -> Self {
        match s {
            status::READY_FOR_DATA => ImportJobStatus::ReadyForData,
            status::READY_FOR_WRITE => ImportJobStatus::ReadyForWrite,
            status::PROCESSING => ImportJobStatus::Processing,
            status::COMPLETED => ImportJobStatus::Completed,
            status::FAILED => ImportJobStatus::Failed,
            other => ImportJobStatus::Other(other.to_string()),
        }
    }
}

impl From<String> for ImportJobStatus {
    fn from(s: String) -> Self {
        match ImportJobStatus::from(s.as_str()) {
            ImportJobStatus::Other(_) => ImportJobStatus::Other(s),
            known => known,
        }
    }
}

impl From<ImportJobStatus> for String {
    fn from(s: ImportJobStatus) -> String {
        match s {
            ImportJobStatus::Other(s) => s,
            known => known.as_str().to_string(),
        }
    }
}

impl std::fmt::Display for ImportJobStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `GET /models`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelList {
    pub models: Vec<ModelSummary>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelSummary {
    #[serde(rename = "modelID")]
    pub model_id: String,
    #[serde(rename = "modelName", default)]
    pub model_name: String,
    #[serde(rename = "modelDescription", default)]
    pub model_description: String,
    #[serde(rename = "modelURL", default, skip_serializing_if = "Option::is_none")]
    pub model_url: Option<String>,
}

/// `GET /models/{id}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelDetail {
    /// Not in SAP's sample answer: absent means the model asked for.
    #[serde(rename = "modelID", default)]
    pub model_id: String,
    #[serde(rename = "modelName", default)]
    pub model_name: String,
    #[serde(rename = "modelDescription", default)]
    pub model_description: String,
    #[serde(default)]
    pub versions: Vec<Version>,
    /// The import types the model takes, each with the job settings it allows.
    #[serde(rename = "importTypes", default)]
    pub import_types: Vec<ImportType>,
    /// Import type -> the URL that creates a job of that type.
    #[serde(rename = "importTypeUrls", default)]
    pub import_type_urls: std::collections::BTreeMap<String, String>,
    /// Where the column metadata is (`.../models/{id}/metadata`).
    #[serde(rename = "metadataURL", default, skip_serializing_if = "Option::is_none")]
    pub metadata_url: Option<String>,
}

/// One entry of `importTypes` (SAP help, `/models/{modelID}` GET).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportType {
    pub import_type: String,
    /// Setting name -> what it may be (SAC does not document the inner shape).
    #[serde(default)]
    pub available_job_settings: serde_json::Value,
}

impl ModelDetail {
    /// The names of the import types, in SAC's order.
    pub fn import_type_names(&self) -> Vec<&str> {
        self.import_types.iter().map(|t| t.import_type.as_str()).collect()
    }
}

/// `GET /publicDimensions/{id}`: like a model's detail, for a public dimension.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PublicDimensionDetail {
    #[serde(rename = "dimensionID")]
    pub dimension_id: String,
    #[serde(rename = "dimensionName", default)]
    pub dimension_name: String,
    #[serde(rename = "dimensionDescription", default)]
    pub dimension_description: String,
    #[serde(rename = "importTypes", default)]
    pub import_types: Vec<ImportType>,
    #[serde(rename = "importTypeUrls", default)]
    pub import_type_urls: std::collections::BTreeMap<String, String>,
    #[serde(rename = "metadataURL", default, skip_serializing_if = "Option::is_none")]
    pub metadata_url: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Version {
    pub id: String,
    #[serde(default)]
    pub description: String,
}

/// `GET /models/{id}/metadata`: the columns of each import type.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ColumnSet {
    pub keys: Vec<String>,
    pub columns: Vec<Column>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Column {
    pub column_name: String,
    pub column_data_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u32>,
    pub is_key: bool,
    /// `PROPERTY`, or `DATE` for the date dimension.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub property_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description_name: Option<String>,
    /// Digits of a decimal column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision: Option<u32>,
    /// Digits after the point of a decimal column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<u32>,
}

/// SAC's numbered Data Import errors (SAP help "Error Codes and
/// Troubleshooting"): the number stands in the error body's `code` and in
/// brackets at the end of its message.
pub mod errors {
    /// The action is not allowed in the job's state.
    pub const ACTION_NOT_SUPPORTED: u32 = 1001;
    /// The caller has as many active jobs as SAC allows.
    pub const USER_JOB_LIMIT: u32 = 1002;
    pub const PRECONDITION_FAILED: u32 = 1003;
    /// A target field of the mapping is not a column of the model.
    pub const UNKNOWN_TARGET_FIELD: u32 = 1004;
    pub const IMPORT_TYPE_NOT_INFERABLE: u32 = 1005;
    pub const BAD_BODY: u32 = 1006;
    /// The model has as many active jobs as SAC allows.
    pub const MODEL_JOB_LIMIT: u32 = 1007;
    pub const MAPPING_NOT_READABLE: u32 = 1008;
    pub const EMPTY_MAPPING_COLUMN: u32 = 1009;
    /// The job is being written.
    pub const IN_PROGRESS: u32 = 1010;
    /// Nothing valid to write.
    pub const NO_VALID_RECORDS: u32 = 1011;
    /// The job is someone else's.
    pub const NOT_YOUR_JOB: u32 = 1012;
    /// Rows were staged, and validation found every one of them invalid.
    pub const ALL_ROWS_INVALID: u32 = 1033;
    pub const CONTENT_TYPE_NOT_SUPPORTED: u32 = 1200;
    pub const BODY_TOO_LARGE: u32 = 1201;
    /// A chunk without its `Data` rows.
    pub const DATA_MISSING: u32 = 1202;
    /// A chunk's own Mapping cannot be read.
    pub const CHUNK_MAPPING_INCORRECT: u32 = 1203;
    pub const TEMPORARY_STORE_INSERT_FAILED: u32 = 1205;
    pub const INVALID_IMPORT_TYPE: u32 = 1301;
    /// No job has the id given.
    pub const JOB_NOT_FOUND: u32 = 1603;
    pub const MODEL_NOT_FOUND: u32 = 1704;
    pub const INVALID_URL_PARAMETER: u32 = 1706;
    /// `executeWithFailedRows: false` and validation found failed rows.
    pub const WRITE_CANCELLED: u32 = 2903;

    /// SAC's message for a number.
    pub fn message(code: u32) -> Option<&'static str> {
        Some(match code {
            1001 => "Request job action is not supported.",
            1002 => "Current user reached limit of maximum number of active jobs.",
            1003 => "Request not allowed on the selected job. Preconditions failed.",
            1004 => "The following target fields are incorrect or do not exist on the model.",
            1005 => "Unable to infer import type.",
            1006 => "Request body is incorrect or missing.",
            1007 => "Current modelID reached limit or maximum number of active jobs.",
            1008 => "Unable to serialize mapping hash map.",
            1009 => "A source or target column in the mapping is empty.",
            1010 => "Request already in progress.",
            1011 => "Temporary storage does not contain valid records.",
            1012 => "User is not allowed to interact with selected job.",
            1033 => "Every row in temporary storage is invalid.",
            1101 => "Request not allowed on the system.",
            1200 => "The supplied content type is not supported by the Data Import Service.",
            1201 => "The request body sent is too large to be processed by the Data Import Service.",
            1202 => "Request body data incorrect or missing.",
            1203 => "Request body mapping is incorrect.",
            1205 => "Failed to insert data to temporary data store.",
            1301 => "Invalid import type.",
            1603 => "Job ID not found.",
            1704 => "Model does not exist.",
            1706 => "Invalid URL parameter.",
            2903 => "One or more failed rows detected. Write cancelled",
            _ => return None,
        })
    }
}

/// Body of `POST /models/{id}[/{importType}]`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CreateJob {
    /// `{"<model column>": "<source column>"}`.
    #[serde(rename = "Mapping", default, skip_serializing_if = "Option::is_none")]
    pub mapping: Option<std::collections::BTreeMap<String, String>>,
    /// Values for columns the data does not carry.
    #[serde(rename = "DefaultValues", default, skip_serializing_if = "Option::is_none")]
    pub default_values: Option<std::collections::BTreeMap<String, String>>,
    #[serde(rename = "JobSettings", default, skip_serializing_if = "Option::is_none")]
    pub job_settings: Option<JobSettings>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobSettings {
    /// `Update` (default), `Append`, `CleanAndReplace`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import_method: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dimension_scope: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execute_with_failed_rows: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignore_additional_columns: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_formats: Option<std::collections::BTreeMap<String, String>>,
    /// Pivoted CSV: where the pivoted columns start and what they are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pivot_options: Option<PivotOptions>,
    /// Flip the sign of values booked on INC and LEQ accounts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reverse_sign_by_account_type: Option<bool>,
}

/// The job setting `pivotOptions` (SAP help fe6efb8a): the columns from
/// `pivotColumnStart` on (counted from 1) are values of `pivotKeyName`,
/// each cell a value of `pivotValueName`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PivotOptions {
    pub pivot_column_start: usize,
    pub pivot_key_name: String,
    pub pivot_value_name: String,
}

/// Answer to a job creation. The conversion tables' pages (SAP help
/// 5b7149de, b3de11f1) write `JobID` and `JobURL`; both spellings are read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobCreated {
    #[serde(rename = "jobID", alias = "JobID")]
    pub job_id: String,
    #[serde(rename = "jobURL", alias = "JobURL")]
    pub job_url: String,
}

/// Answer to `POST /jobs/{id}` (a chunk of rows).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadResult {
    #[serde(deserialize_with = "count::read")]
    pub total_number_rows_in_current_request: u64,
    #[serde(deserialize_with = "count::read")]
    pub upserted_number_rows: u64,
    #[serde(deserialize_with = "count::read")]
    pub failed_number_rows: u64,
    /// `{"row": {...}, "reason": "..."}` per row refused on arrival (`d9dc1eb6`).
    #[serde(default)]
    pub failed_rows: Vec<serde_json::Value>,
    /// SAP's sample writes this count as a string ("1"); both are read.
    #[serde(deserialize_with = "count::read")]
    pub total_number_rows_in_job: u64,
    #[serde(rename = "validateJobURL", default)]
    pub validate_job_url: String,
    #[serde(rename = "runJobURL", default)]
    pub run_job_url: String,
}

/// Answer to `POST /jobs/{id}/validate` (SAP help example).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidateResult {
    pub job_status: ImportJobStatus,
    #[serde(deserialize_with = "count::read")]
    pub total_number_rows_in_job: u64,
    #[serde(deserialize_with = "count::read")]
    pub failed_number_rows: u64,
    #[serde(rename = "invalidRowsURL", default)]
    pub invalid_rows_url: String,
    #[serde(rename = "jobStatusURL", default)]
    pub job_status_url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_information: Option<serde_json::Value>,
}

/// `GET /jobs/{id}/invalidRows`: rows with `_REJECTION_REASON`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvalidRows {
    pub failed_rows: Vec<std::collections::BTreeMap<String, serde_json::Value>>,
}

/// The column that says why a row was rejected.
pub const REJECTION_REASON: &str = "_REJECTION_REASON";

/// `GET /jobs/{id}/status` and the answer to `POST /jobs/{id}/run`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", from = "JobStatusWire")]
pub struct JobStatus {
    #[serde(rename = "jobID", default)]
    pub job_id: String,
    pub job_status: ImportJobStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_status_description: Option<String>,
    #[serde(default)]
    pub additional_information: JobCounts,
    #[serde(rename = "invalidRowsURL", default, skip_serializing_if = "Option::is_none")]
    pub invalid_rows_url: Option<String>,
    #[serde(rename = "jobStatusURL", default, skip_serializing_if = "Option::is_none")]
    pub job_status_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<JobError>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobCounts {
    #[serde(default, deserialize_with = "count::read")]
    pub total_number_rows_in_job: u64,
    #[serde(default, deserialize_with = "count::read")]
    pub failed_number_rows: u64,
}

/// [`JobStatus`] as read: the status page (SAP help a020ece7) puts the
/// counts in `additionalInformation`, the run answer (26e872f0) at the top.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JobStatusWire {
    #[serde(rename = "jobID", default)]
    job_id: String,
    job_status: ImportJobStatus,
    #[serde(default)]
    job_status_description: Option<String>,
    #[serde(default)]
    additional_information: Option<JobCounts>,
    #[serde(default, deserialize_with = "count::read_option")]
    total_number_rows_in_job: Option<u64>,
    #[serde(default, deserialize_with = "count::read_option")]
    failed_number_rows: Option<u64>,
    #[serde(rename = "invalidRowsURL", default)]
    invalid_rows_url: Option<String>,
    #[serde(rename = "jobStatusURL", default)]
    job_status_url: Option<String>,
    #[serde(default)]
    error: Option<JobError>,
}

impl From<JobStatusWire> for JobStatus {
    fn from(w: JobStatusWire) -> Self {
        let mut counts = w.additional_information.unwrap_or_default();
        counts.total_number_rows_in_job = w.total_number_rows_in_job.unwrap_or(counts.total_number_rows_in_job);
        counts.failed_number_rows = w.failed_number_rows.unwrap_or(counts.failed_number_rows);
        JobStatus {
            job_id: w.job_id,
            job_status: w.job_status,
            job_status_description: w.job_status_description,
            additional_information: counts,
            invalid_rows_url: w.invalid_rows_url,
            job_status_url: w.job_status_url,
            error: w.error,
        }
    }
}

/// Row counts, which SAC writes as numbers or as strings of digits.
mod count {
    use serde::{Deserialize, Deserializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Count {
        Number(u64),
        Text(String),
    }

    fn parse<E: serde::de::Error>(c: Count) -> Result<u64, E> {
        match c {
            Count::Number(n) => Ok(n),
            Count::Text(t) => t.trim().parse().map_err(|_| E::custom(format!("{t:?} is not a row count"))),
        }
    }

    pub fn read<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        parse(Count::deserialize(d)?)
    }

    pub fn read_option<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
        Option::<Count>::deserialize(d)?.map(parse).transpose()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobError {
    pub message: String,
}

/// One entry of `GET /jobs`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobSummary {
    #[serde(rename = "jobID")]
    pub job_id: String,
    #[serde(rename = "modelID")]
    pub model_id: String,
    pub owner: String,
    pub status: ImportJobStatus,
    #[serde(rename = "importType")]
    pub import_type: String,
    #[serde(rename = "lastUpdatedTime")]
    pub last_updated_time: String,
}

#[cfg(test)]
mod tests {
    use super::{ImportJobStatus, UploadResult};

    #[test]
    fn upload_counts_read_as_numbers_or_strings() {
        let answer = r#"{"totalNumberRowsInCurrentRequest":2,"upsertedNumberRows":1,"failedNumberRows":1,
            "failedRows":[{"row":{"Date":"202301"},"reason":"Row is missing values for primary key(s) - Bicycle"}],
            "validateJobURL":"v","runJobURL":"r","totalNumberRowsInJob":"1"}"#;
        let read: UploadResult = serde_json::from_str(answer).unwrap();
        assert_eq!((read.total_number_rows_in_job, read.failed_number_rows), (1, 1));
        assert!(serde_json::from_str::<UploadResult>(&answer.replace("\"1\"}", "\"x\"}")).is_err());
    }

    #[test]
    fn counts_read_as_numbers_or_strings_at_either_place() {
        let status: super::JobStatus = serde_json::from_str(
            r#"{"jobStatus":"COMPLETED","additionalInformation":{"totalNumberRowsInJob":"5","failedNumberRows":"1"}}"#,
        )
        .unwrap();
        assert_eq!(
            (status.additional_information.total_number_rows_in_job, status.additional_information.failed_number_rows),
            (5, 1)
        );
        let run: super::JobStatus =
            serde_json::from_str(r#"{"jobStatus":"PROCESSING","totalNumberRowsInJob":1000,"failedNumberRows":0}"#)
                .unwrap();
        assert_eq!(run.additional_information.total_number_rows_in_job, 1000);
        assert!(serde_json::from_str::<super::JobStatus>(r#"{"jobStatus":"FAILED","failedNumberRows":"x"}"#).is_err());
    }

    #[test]
    fn job_statuses_read_and_write_exactly_as_sac_sends_them() {
        let names = ["READY_FOR_DATA", "READY_FOR_WRITE", "PROCESSING", "COMPLETED", "FAILED", "QUEUED", "completed"];
        for name in names {
            let json = format!("\"{name}\"");
            let status: ImportJobStatus = serde_json::from_str(&json).unwrap();
            assert_eq!(serde_json::to_string(&status).unwrap(), json);
        }
        let read = |name: &str| serde_json::from_str::<ImportJobStatus>(&format!("\"{name}\"")).unwrap();
        assert_eq!(read("COMPLETED"), ImportJobStatus::Completed);
        assert_eq!(read("completed"), ImportJobStatus::Other("completed".into()), "names are matched exactly");
        assert!(read("FAILED").is_terminal() && !read("PROCESSING").is_terminal());
        assert!(read("READY_FOR_WRITE").is_open() && !read("PROCESSING").is_open());
    }
}
