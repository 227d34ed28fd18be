//! The UI layer's data integration service
//! (`/sap/fpa/services/rest/fpa/dataintegration`): the Data Management
//! schedules the seed story triggers from outside.
//!
//! This service is undocumented and needs a user context (authorization
//! code, SAML bearer or password grant) and a browser-domain session with
//! its CSRF token; the client does all of that.

use chrono::{DateTime, Utc};
use reqwest::Method;
use sac_types::legacy::{
    Envelope, Mapping, MappingByIdRequest, RunScheduledJobData, RunScheduledJobRequest, Schedule, ScheduleLogsRequest,
    JOB_TYPE_DATA_IMPORT, REJECTIONS_PATH_PREFIX, SERVICE_PATH,
};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::client::Client;
use crate::error::{Error, Result};
use crate::http::{self, Idempotency};
use crate::ids::tenant_of;

pub struct DataIntegration<'c> {
    client: &'c Client,
}

// The handler is reached through the client (`client.data_integration()`); the
// accessor lives here so that `client.rs` needs no handler.
impl Client {
    /// The UI layer's data integration service (Data Management schedules).
    pub fn data_integration(&self) -> DataIntegration<'_> {
        DataIntegration::new(self)
    }
}

impl<'c> DataIntegration<'c> {
    fn new(client: &'c Client) -> Self {
        DataIntegration { client }
    }

    async fn call<T: DeserializeOwned>(
        &self,
        tenant: &str,
        action: &str,
        body: &impl Serialize,
        idempotency: Idempotency,
    ) -> Result<T> {
        Ok(self.call_dated(tenant, action, body, idempotency).await?.0)
    }

    /// A call, with the server's time of its answer (its `Date` header).
    async fn call_dated<T: DeserializeOwned>(
        &self,
        tenant: &str,
        action: &str,
        body: &impl Serialize,
        idempotency: Idempotency,
    ) -> Result<(T, Option<DateTime<Utc>>)> {
        let mut url = self.client.tenant_url(SERVICE_PATH, &[]);
        url.query_pairs_mut().append_pair("action", action).append_pair("tenant", tenant);
        let body = serde_json::to_value(body).expect("request bodies serialize");
        let answer = self.client.ui_request(Method::POST, url, Some(&body), idempotency).await?;
        let value: serde_json::Value = answer.json()?;
        if value.as_object().is_some_and(|o| o.is_empty()) {
            return Err(Error::Config(format!(
                "the data integration service did nothing for tenant id {tenant:?}: the tenant id (the X in t.X:MODEL) is wrong"
            )));
        }
        let envelope: Envelope<T> = serde_json::from_value(value).map_err(|e| Error::Decode {
            context: format!("action {action}"),
            problem: e.to_string(),
            snippet: http::snippet(&answer.body),
        })?;
        Ok((envelope.data, answer.server_time()))
    }

    /// The SAC user our token names (or the configured one), if any.
    pub async fn user(&self) -> Option<String> {
        self.client.tokens().status().await.and_then(|s| s.user).or_else(|| self.client.config().user.clone())
    }

    /// The data imports (schedules) of a model with their runs, newest first.
    /// `model` is the full name, `t.G:ZEPPART_001`.
    pub async fn schedules(&self, model: &str) -> Result<Vec<Schedule>> {
        Ok(self.schedules_dated(model).await?.0)
    }

    /// The schedules of a model, with the server's time of the answer.
    pub async fn schedules_dated(&self, model: &str) -> Result<(Vec<Schedule>, Option<DateTime<Utc>>)> {
        let tenant = tenant_of(model).ok_or_else(|| {
            Error::Config(format!("{model:?} is not a model name of the form t.<TENANT>:<ID> (e.g. t.G:ZEPPART_001)"))
        })?;
        let body =
            ScheduleLogsRequest { job_type: JOB_TYPE_DATA_IMPORT.into(), model_name: model.into(), mapping_id: vec![] };
        // A read, although SAC wants it as POST: safe to repeat.
        self.call_dated(tenant, "getScheduleLogsByModel", &body, Idempotency::Safe).await
    }

    /// One schedule of a model, or `NotFound`.
    pub async fn schedule(&self, model: &str, schedule_id: &str) -> Result<Schedule> {
        let schedules = self.schedules(model).await?;
        match schedules.iter().position(|s| s.schedule_id == schedule_id) {
            Some(at) => Ok(schedules.into_iter().nth(at).expect("found")),
            None => Err(self.no_schedule(model, schedule_id, &schedules).await),
        }
    }

    /// The error for a data import `schedule_id` that is not among
    /// `schedules`, the model's. The service answers a model that does not
    /// exist with an empty list, as it does a model without data imports: a
    /// model id typo would read as a missing data import. So an empty list
    /// is told apart through the Data Import API's model (404: no such model).
    pub async fn no_schedule(&self, model: &str, schedule_id: &str, schedules: &[Schedule]) -> Error {
        if !schedules.is_empty() {
            let ids: Vec<&str> = schedules.iter().map(|s| s.schedule_id.as_str()).collect();
            return Error::NotFound {
                what: "data import".into(),
                message: format!(
                    "model {model} has no data import {schedule_id} (its data imports: {})",
                    ids.join(", ")
                ),
            };
        }
        match self.client.data_import().model(model).await {
            Err(Error::NotFound { .. }) => {
                Error::NotFound { what: "model".into(), message: format!("no model {model} exists") }
            }
            Ok(_) => Error::NotFound {
                what: "data import".into(),
                message: format!("model {model} has no data imports, so none with id {schedule_id}"),
            },
            // The client may not read that API: both causes stay open.
            Err(_) => Error::NotFound {
                what: "model".into(),
                message: format!(
                    "no data import {schedule_id} found: no model {model} exists, or it has no data imports"
                ),
            },
        }
    }

    /// The definition of a data import by its mapping id.
    pub async fn mapping(&self, tenant: &str, mapping_id: &str) -> Result<Mapping> {
        let body = MappingByIdRequest { mapping_id: mapping_id.into() };
        self.call(tenant, "getMappingById", &body, Idempotency::Safe).await.map_err(|e| match e {
            Error::NotFound { message, .. } => Error::NotFound { what: "mapping".into(), message },
            other => other,
        })
    }

    /// Sends `runScheduledJob` once and returns the server's time of its
    /// answer. Sent again only after a 429 or a connection that was never
    /// made; after any other failure the caller must look at the logs
    /// before anything else (as `schedule::start` does).
    pub async fn trigger(
        &self,
        tenant: &str,
        schedule_id: &str,
        mapping_id: Option<&str>,
    ) -> Result<Option<DateTime<Utc>>> {
        let body =
            RunScheduledJobRequest { schedule_id: schedule_id.into(), mapping_id: mapping_id.map(str::to_string) };
        let (started, at): (RunScheduledJobData, _) =
            self.call_dated(tenant, "runScheduledJob", &body, Idempotency::Unsafe).await.map_err(|e| match e {
                Error::NotFound { message, .. } => Error::NotFound { what: "data import".into(), message },
                other => other,
            })?;
        // The answer names the schedule it started: the only evidence it gives.
        if started.schedule_id != schedule_id {
            return Err(Error::Decode {
                context: "action runScheduledJob".into(),
                problem: format!("the answer names data import {}, not {schedule_id}", started.schedule_id),
                snippet: String::new(),
            });
        }
        Ok(at)
    }

    /// The rejected rows of a run, as SAC's CSV (`Source,Target,Issue,Value,Records`).
    pub async fn rejections(&self, execution_id: &str) -> Result<String> {
        let prefix = REJECTIONS_PATH_PREFIX.trim_end_matches('/');
        let mut url = self.client.tenant_url(prefix, &[execution_id, "rejections"]);
        url.query_pairs_mut().append_pair("app", "SAC");
        let answer = self.client.ui_request(Method::GET, url, None, Idempotency::Safe).await.map_err(|e| match e {
            Error::NotFound { message, .. } => Error::NotFound { what: "execution".into(), message },
            other => other,
        })?;
        Ok(answer.body)
    }
}
