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
    /// Not in SAP's example answer (`80680a8a`); read when a server sends it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
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
    /// Empty for an info message that has no code (written without one).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub code: String,
    #[serde(default)]
    pub severity: String,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub details: Vec<serde_json::Value>,
}

/// A refusal of the Multi Actions API: `{"messages":[{code, severity,
/// message, details}]}` (SAP's REST API guide, pages 87-89).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MessagesBody {
    pub messages: Vec<Message>,
}

impl MessagesBody {
    /// The first message's code as a number (`596000996`), if it is one.
    pub fn code(&self) -> Option<u32> {
        self.messages.first().and_then(|m| m.code.parse().ok())
    }

    /// The messages in one line: `text [code]; ...`.
    pub fn text(&self) -> String {
        self.messages
            .iter()
            .map(|m| if m.code.is_empty() { m.message.clone() } else { format!("{} [{}]", m.message, m.code) })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

impl Message {
    /// The step the message is about (`details[].stepName`), if any.
    pub fn step_name(&self) -> Option<&str> {
        self.details.iter().find_map(|d| d.get("stepName").and_then(serde_json::Value::as_str))
    }

    /// The step's logs (`details[].logs[]`): `(severity, message)`.
    pub fn logs(&self) -> Vec<(&str, &str)> {
        self.details
            .iter()
            .filter_map(|d| d.get("logs").and_then(serde_json::Value::as_array))
            .flatten()
            .map(|l| {
                let field = |name: &str| l.get(name).and_then(serde_json::Value::as_str).unwrap_or_default();
                (field("severity"), field("message"))
            })
            .collect()
    }

    /// True when the message reports a step that failed while it ran: an
    /// error naming a step, an error of category 80 (code `580xxxyyy`,
    /// "errors returned from step execution"), or an error in a step's logs.
    pub fn is_step_failure(&self) -> bool {
        let error = |s: &str| s.eq_ignore_ascii_case("error");
        let category_80 = self.code.len() == 9 && self.code.get(1..3) == Some("80");
        (error(&self.severity) && (self.step_name().is_some() || category_80))
            || self.logs().iter().any(|(severity, _)| error(severity))
    }
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
