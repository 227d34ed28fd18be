//! The Multi Actions API: start a multi action with parameter values, read
//! its status, wait for it. SAP's supported way to run an import (a
//! multi action with a data-import step) from outside, under a user.

use std::time::Instant;

use reqwest::Method;
use sac_types::multiaction::{ExecutionRequest, ExecutionStarted, ExecutionStatus, MemberValue, ParameterValue};

use crate::client::{Body, Client};
use crate::config::Grant;
use crate::error::{Error, Result};
use crate::http::{Idempotency, Limit};
use crate::ids::tenant_of;
use crate::poll::WaitPolicy;
use crate::report::MaReporter;

const BASE: &str = "/api/v1/multiActions";

/// A parameter value: the parameter and its member ids.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Param {
    pub id: String,
    pub members: Vec<String>,
}

impl Param {
    /// Parses `NAME=MEMBER[,MEMBER...]`.
    pub fn parse(text: &str) -> Result<Self> {
        let (id, members) = text
            .split_once('=')
            .ok_or_else(|| Error::Config(format!("parameter {text:?} must look like NAME=MEMBER[,MEMBER]")))?;
        let members: Vec<String> = members.split(',').map(|m| m.trim().to_string()).filter(|m| !m.is_empty()).collect();
        if id.trim().is_empty() || members.is_empty() {
            return Err(Error::Config(format!("parameter {text:?} must look like NAME=MEMBER[,MEMBER]")));
        }
        Ok(Param { id: id.trim().to_string(), members })
    }
}

/// How a wait for an execution ended.
#[derive(Clone, Debug, PartialEq)]
pub enum MaOutcome {
    Finished(ExecutionStatus),
    TimedOut(ExecutionStatus),
}

pub struct MultiActions<'c> {
    client: &'c Client,
}

fn check_id(id: &str) -> Result<()> {
    if tenant_of(id).is_none() {
        return Err(Error::Config(format!(
            "multi action id {id:?} must be <package>:<object>, e.g. t.G:MA_LOAD_ZEPPART"
        )));
    }
    Ok(())
}

fn not_found(e: Error, what: &str) -> Error {
    match e {
        Error::NotFound { message, .. } | Error::MultiActionRefused { status: 404, message, .. } => {
            Error::NotFound { what: what.into(), message }
        }
        other => other,
    }
}

// The handler is reached through the client (`client.multi_actions()`); the
// accessor lives here so that `client.rs` needs no handler.
impl Client {
    /// The Multi Actions API.
    pub fn multi_actions(&self) -> MultiActions<'_> {
        MultiActions::new(self)
    }
}

impl<'c> MultiActions<'c> {
    fn new(client: &'c Client) -> Self {
        MultiActions { client }
    }

    fn needs_user(&self) -> Result<()> {
        let grant = self.client.config().grant;
        if grant == Grant::ClientCredentials {
            return Err(Error::NeedsUser { api: "multi actions".into(), grant: grant.as_str().into() });
        }
        Ok(())
    }

    /// Starts an execution. The POST is sent once: it is retried only when
    /// SAC certainly did not act on it (429, connection refused).
    pub async fn start(&self, id: &str, params: &[Param]) -> Result<ExecutionStarted> {
        self.needs_user()?;
        check_id(id)?;
        let request = ExecutionRequest {
            parameter_values: params
                .iter()
                .map(|p| ParameterValue {
                    parameter_id: p.id.clone(),
                    value: MemberValue { member_ids: p.members.clone(), hierarchy_id: None },
                })
                .collect(),
        };
        let body = serde_json::to_value(&request).expect("requests serialize");
        let answer = self
            .client
            .api_request(Method::POST, BASE, &[id, "executions"], Some(Body::Json(&body)), Idempotency::Unsafe, Limit::Status)
            .await
            .map_err(|e| match e {
                // Any 5xx too: only a 429 or a refused connection prove that
                // nothing started, and those were retried (see crate::http).
                Error::Transport { .. } | Error::Decode { .. } | Error::Unavailable { status: 500.., .. } => Error::TriggerUnknown {
                    schedule_id: id.into(),
                    reason: format!("the answer to the start was lost ({e}); the Multi Actions API has no list of executions to check"),
                },
                other => not_found(other, "multi action"),
            })?;
        answer.json()
    }

    pub async fn status(&self, id: &str, execution_id: &str) -> Result<ExecutionStatus> {
        self.needs_user()?;
        check_id(id)?;
        let answer = self
            .client
            .api_request(Method::GET, BASE, &[id, "executions", execution_id], None, Idempotency::Safe, Limit::Status)
            .await
            .map_err(|e| not_found(e, "multi action execution"))?;
        answer.json()
    }

    /// Polls until the execution ends or the policy's timeout.
    pub async fn wait(
        &self,
        id: &str,
        execution_id: &str,
        policy: &WaitPolicy,
        reporter: &dyn MaReporter,
    ) -> Result<MaOutcome> {
        let began = Instant::now();
        let mut last_seen: Option<ExecutionStatus> = None;
        loop {
            let read_started = Instant::now();
            let Some(read) = policy.by_deadline(began, policy.timeout, self.status(id, execution_id)).await else {
                return match last_seen {
                    Some(status) => Ok(MaOutcome::TimedOut(status)),
                    None => Err(Error::WaitTimedOut {
                        what: format!("the status of execution {execution_id} of multi action {id}"),
                        waited: policy.timeout,
                    }),
                };
            };
            let status = match read {
                // Right after the start SAC may not know the execution yet.
                Err(Error::NotFound { .. }) if began.elapsed() < policy.appear_grace => None,
                other => Some(other?),
            };
            if let Some(status) = status {
                last_seen = Some(status.clone());
                reporter.polled(&status, began.elapsed());
                if status.status.is_terminal() {
                    return Ok(MaOutcome::Finished(status));
                }
                if began.elapsed() >= policy.timeout {
                    return Ok(MaOutcome::TimedOut(status));
                }
            }
            policy.sleep_before_next(began, read_started, policy.timeout).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Param;

    #[test]
    fn params_parse() {
        assert_eq!(
            Param::parse("TargetVersion=public.Plan").unwrap(),
            Param { id: "TargetVersion".into(), members: vec!["public.Plan".into()] }
        );
        assert_eq!(Param::parse("Time=202601, 202602").unwrap().members, vec!["202601", "202602"]);
        assert!(Param::parse("NoEquals").is_err());
        assert!(Param::parse("X=").is_err());
    }
}
