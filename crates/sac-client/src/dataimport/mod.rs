//! The Data Import API (`/api/v1/dataimport`): models, jobs, and a push
//! pipeline that streams a CSV file of any size into a model in chunks.
//!
//! Nothing is written to the model before the job runs, so a push that
//! fails half-way (a lost chunk, too many invalid rows) deletes its job and
//! leaves the model as it was.

use std::time::Instant;

use reqwest::Method;
use sac_types::dataimport::{
    CreateJob, InvalidRows, JobCreated, JobStatus, JobSummary, ModelDetail, ModelList, ModelSummary, UploadResult,
    ValidateResult,
};

mod push;

pub use push::{push_csv, rejects_csv, PushOptions, PushOutcome, ARRIVAL_SAMPLE};

use crate::client::{Body, Client};
use crate::error::{Error, Result, WRITE_CANCELLED};
use crate::http::{Idempotency, Limit};
use crate::ids::ModelId;
use crate::poll::WaitPolicy;

const BASE: &str = "/api/v1/dataimport";

/// A conversion table's kind: currency (`/currencyConversions`, pages
/// 65-69) or unit (`/unitConversions`, pages 70-74).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Conversion {
    Currency,
    Unit,
}

impl Conversion {
    fn segment(self) -> &'static str {
        match self {
            Conversion::Currency => "currencyConversions",
            Conversion::Unit => "unitConversions",
        }
    }

    /// What it is called in messages.
    pub fn what(self) -> &'static str {
        match self {
            Conversion::Currency => "currency conversion table",
            Conversion::Unit => "unit conversion table",
        }
    }
}

/// The counts of `DeletedData` in an upload's answer (`d9dc1eb6`).
#[derive(Clone, Debug, Default, PartialEq, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeletedCounts {
    #[serde(default)]
    pub total_number_deleted_rows_in_current_request: Option<serde_json::Value>,
    #[serde(default)]
    pub failed_deleted_data_number_rows: Option<serde_json::Value>,
    #[serde(default)]
    pub failed_deleted_data_rows: Vec<serde_json::Value>,
}

impl DeletedCounts {
    fn number(v: &Option<serde_json::Value>) -> u64 {
        match v {
            Some(serde_json::Value::Number(n)) => n.as_u64().unwrap_or(0),
            Some(serde_json::Value::String(s)) => s.trim().parse().unwrap_or(0),
            _ => 0,
        }
    }

    /// Rows to delete that SAC took.
    pub fn taken(&self) -> u64 {
        Self::number(&self.total_number_deleted_rows_in_current_request).saturating_sub(self.failed())
    }

    /// Rows to delete that SAC refused.
    pub fn failed(&self) -> u64 {
        Self::number(&self.failed_deleted_data_number_rows)
    }
}

pub struct DataImport<'c> {
    client: &'c Client,
}

fn not_found(e: Error, what: &str) -> Error {
    match e {
        Error::NotFound { message, .. } => Error::NotFound { what: what.into(), message },
        other => other,
    }
}

// The handler is reached through the client (`client.data_import()`); the
// accessor lives here so that `client.rs` needs no handler.
impl Client {
    /// The Data Import API.
    pub fn data_import(&self) -> DataImport<'_> {
        DataImport::new(self)
    }
}

impl<'c> DataImport<'c> {
    fn new(client: &'c Client) -> Self {
        DataImport { client }
    }

    async fn get<T: serde::de::DeserializeOwned>(&self, segments: &[&str], what: &str, limit: Limit) -> Result<T> {
        let answer = self
            .client
            .api_request(Method::GET, BASE, segments, None, Idempotency::Safe, limit)
            .await
            .map_err(|e| not_found(e, what))?;
        answer.json()
    }

    pub async fn models(&self) -> Result<Vec<ModelSummary>> {
        Ok(self.get::<ModelList>(&["models"], "model", Limit::Status).await?.models)
    }

    pub async fn model(&self, model: &str) -> Result<ModelDetail> {
        self.get(&["models", ModelId::of(model).as_str()], "model", Limit::Status).await
    }

    pub async fn metadata(&self, model: &str) -> Result<serde_json::Value> {
        self.get(&["models", ModelId::of(model).as_str(), "metadata"], "model", Limit::Status).await
    }

    /// Creates a job (`import_type` e.g. `factData`; `publicDimensionData`
    /// for a public dimension's master data).
    pub async fn create_job(&self, model: &str, import_type: &str, settings: &CreateJob) -> Result<JobCreated> {
        let body = serde_json::to_value(settings).expect("settings serialize");
        let id = ModelId::of(model);
        let segments: Vec<&str> = if import_type == "publicDimensionData" {
            vec!["publicDimensions", id.as_str(), "publicDimensionData"]
        } else {
            vec!["models", id.as_str(), import_type]
        };
        let answer = self
            .client
            .api_request(Method::POST, BASE, &segments, Some(Body::Json(&body)), Idempotency::Unsafe, Limit::Status)
            .await
            .map_err(|e| not_found(e, "model"))?;
        answer.json()
    }

    /// Creates a job for conversion table `table` (SAP's guide, pages 67, 69,
    /// 72, 74: `5b7149de`, `b6f2a0ab`, `b3de11f1`): of `import_type`, or of
    /// the one SAC infers from the table when `None`.
    pub async fn create_conversion_job(
        &self,
        kind: Conversion,
        table: &str,
        import_type: Option<&str>,
        settings: &CreateJob,
    ) -> Result<JobCreated> {
        let body = serde_json::to_value(settings).expect("settings serialize");
        let mut segments = vec![kind.segment(), table];
        segments.extend(import_type);
        let answer = self
            .client
            .api_request(Method::POST, BASE, &segments, Some(Body::Json(&body)), Idempotency::Unsafe, Limit::Status)
            .await
            .map_err(|e| not_found(e, kind.what()))?;
        answer.json()
    }

    /// Sends rows as JSON (`{"Data":[...], "DeletedData":[...]}`), the one
    /// way to send `DeletedData` (`d9dc1eb6`); answers the upload's counts
    /// and those of the deleted rows. Sent once, as [`Self::upload_csv`].
    pub async fn upload_json(&self, job_id: &str, body: &serde_json::Value) -> Result<(UploadResult, DeletedCounts)> {
        let answer = self
            .client
            .api_request(
                Method::POST,
                BASE,
                &["jobs", job_id],
                Some(Body::Json(body)),
                Idempotency::Unsafe,
                Limit::Status,
            )
            .await
            .map_err(|e| not_found(e, "job"))?;
        Ok((answer.json()?, answer.json()?))
    }

    /// Sends one chunk of CSV (header line first). Sent again only when SAC
    /// certainly did not take it (429, connection refused); after a 5xx or a
    /// lost answer the push fails and its job is deleted: nothing is written twice.
    pub async fn upload_csv(&self, job_id: &str, csv: bytes::Bytes) -> Result<UploadResult> {
        let body = Body::Text { content_type: "text/csv", text: csv };
        let answer = self
            .client
            .api_request(Method::POST, BASE, &["jobs", job_id], Some(body), Idempotency::Unsafe, Limit::Status)
            .await
            .map_err(|e| not_found(e, "job"))?;
        answer.json()
    }

    pub async fn validate(&self, job_id: &str) -> Result<ValidateResult> {
        let answer = self
            .client
            .api_request(Method::POST, BASE, &["jobs", job_id, "validate"], None, Idempotency::Safe, Limit::Status)
            .await
            .map_err(|e| not_found(e, "job"))?;
        answer.json()
    }

    pub async fn invalid_rows(&self, job_id: &str) -> Result<InvalidRows> {
        self.get(&["jobs", job_id, "invalidRows"], "job", Limit::Bulk).await
    }

    /// Starts writing. After an answer that leaves the outcome open, the
    /// job's status tells whether it started; the run is never sent twice.
    pub async fn run(&self, job_id: &str, override_failed_rows: bool) -> Result<JobStatus> {
        let body = serde_json::json!({"overrideExecuteWithFailedRows": override_failed_rows});
        match self
            .client
            .api_request(
                Method::POST,
                BASE,
                &["jobs", job_id, "run"],
                Some(Body::Json(&body)),
                Idempotency::Unsafe,
                Limit::Status,
            )
            .await
        {
            Ok(answer) => answer.json(),
            Err(e @ (Error::Transport { .. } | Error::Decode { .. } | Error::Unavailable { .. })) => {
                let status = self.status(job_id).await?;
                // Still open: the run did not start, and the caller may run it again.
                if status.job_status.is_open() {
                    Err(e)
                } else {
                    Ok(status)
                }
            }
            // 2903 comes with a GUID as its code and the number in brackets (`fe6efb8a`).
            Err(Error::Rejected { message, .. }) if message.contains(&format!("[{WRITE_CANCELLED}]")) => {
                Err(Error::ImportRefused { code: WRITE_CANCELLED, message })
            }
            Err(e) => Err(not_found(e, "job")),
        }
    }

    pub async fn status(&self, job_id: &str) -> Result<JobStatus> {
        self.get(&["jobs", job_id, "status"], "job", Limit::Status).await
    }

    pub async fn delete(&self, job_id: &str) -> Result<()> {
        self.client
            .api_request(Method::DELETE, BASE, &["jobs", job_id], None, Idempotency::Safe, Limit::Status)
            .await
            .map_err(|e| not_found(e, "job"))?;
        Ok(())
    }

    pub async fn jobs(&self) -> Result<Vec<JobSummary>> {
        self.get(&["jobs"], "job", Limit::Status).await
    }

    /// Polls the job until it is COMPLETED or FAILED, or the timeout.
    /// Returns the last status and whether it timed out.
    pub async fn wait(&self, job_id: &str, policy: &WaitPolicy) -> Result<(JobStatus, bool)> {
        let began = Instant::now();
        let mut last_seen: Option<JobStatus> = None;
        loop {
            let read_started = Instant::now();
            let Some(read) = policy.by_deadline(began, policy.timeout, self.status(job_id)).await else {
                return match last_seen {
                    Some(status) => Ok((status, true)),
                    None => {
                        Err(Error::WaitTimedOut { what: format!("the status of job {job_id}"), waited: policy.timeout })
                    }
                };
            };
            let status = read?;
            last_seen = Some(status.clone());
            if status.job_status.is_terminal() {
                return Ok((status, false));
            }
            if began.elapsed() >= policy.timeout {
                return Ok((status, true));
            }
            policy.sleep_before_next(began, read_started, policy.timeout).await;
        }
    }
}
