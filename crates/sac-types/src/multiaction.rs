//! The Multi Actions API (`/api/v1/multiActions`), per SAP's help pages.

use serde::{Deserialize, Serialize};

/// Body of `POST /api/v1/multiActions/<package>:<id>/executions`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionRequest {
    pub parameter_values: Vec<ParameterValue>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ParameterValue {
    pub parameter_id: String,
    pub value: MemberValue,
}

/// `{"memberIds":["public.Plan"],"hierarchyId":null}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MemberValue {
    pub member_ids: Vec<String>,
    #[serde(default)]
    pub hierarchy_id: Option<String>,
}

/// The answer to a start: the execution id and where to read its status.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionStarted {
    pub execution_id: String,
    #[serde(default)]
    pub status: Option<MultiActionStatus>,
    #[serde(default)]
    pub links: Vec<Link>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub rel: String,
    pub href: String,
}

/// `GET .../executions/<executionId>`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionStatus {
    pub execution_id: String,
    pub status: MultiActionStatus,
    #[serde(default)]
    pub utc_start_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utc_end_date: Option<String>,
    #[serde(default)]
    pub execution_result: ExecutionResult,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ExecutionResult {
    #[serde(default)]
    pub messages: Vec<Message>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Message {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub severity: String,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub details: Vec<serde_json::Value>,
}

/// `running`, `successful`, `failed`, `warning` (successful with warning);
/// any other value is kept.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum MultiActionStatus {
    Running,
    Successful,
    Failed,
    Warning,
    Other(String),
}

impl From<String> for MultiActionStatus {
    fn from(s: String) -> Self {
        match s.to_ascii_lowercase().as_str() {
            "running" => MultiActionStatus::Running,
            "successful" => MultiActionStatus::Successful,
            "failed" => MultiActionStatus::Failed,
            "warning" => MultiActionStatus::Warning,
            _ => MultiActionStatus::Other(s),
        }
    }
}

impl From<MultiActionStatus> for String {
    fn from(s: MultiActionStatus) -> String {
        s.as_str().to_string()
    }
}

impl MultiActionStatus {
    pub fn as_str(&self) -> &str {
        match self {
            MultiActionStatus::Running => "running",
            MultiActionStatus::Successful => "successful",
            MultiActionStatus::Failed => "failed",
            MultiActionStatus::Warning => "warning",
            MultiActionStatus::Other(s) => s,
        }
    }

    pub fn is_terminal(&self) -> bool {
        *self != MultiActionStatus::Running
    }
}
