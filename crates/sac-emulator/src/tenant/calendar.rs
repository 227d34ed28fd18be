//! The planning calendar of a tenant: processes and their tasks as the
//! tenant description lists them (SAP help "api/v1/calendar", page hash
//! 11cb2108; the statuses and their changes: 9afa17f5, "PATCH").
//!
//! A process groups tasks (its children); a task is a general task (done by
//! people, never by the emulator), an automatic multi action task (runs one
//! multi action of the tenant with fixed parameter values) or an automatic
//! data action task (copies one version of a model into another). Automatic
//! tasks start when their trigger fires: their start date, the events they
//! depend on reaching chosen statuses, or their process starting. Plain
//! data; the rules live in `engine::calendar`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Tenant;

/// The access-list entry a two-legged client needs for the Calendar API
/// (SAP help 14de88fd: the Calendar Service listed under Access).
pub const CALENDAR_SERVICE: &str = "Calendar Service";

/// What kind of calendar event.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// Groups tasks; its status follows theirs.
    Process,
    /// Work people do and mark done in SAC's UI.
    GeneralTask,
    /// Runs a multi action when its trigger fires.
    MultiActionTask,
    /// Runs a data action (a version copy) when its trigger fires.
    DataActionTask,
}

impl EventKind {
    /// The name the Calendar API answers in `type` (an assumption: SAP's
    /// sample shows no type).
    pub fn as_api(self) -> &'static str {
        match self {
            EventKind::Process => "process",
            EventKind::GeneralTask => "generalTask",
            EventKind::MultiActionTask => "multiActionTask",
            EventKind::DataActionTask => "dataActionTask",
        }
    }

    pub fn is_automatic(self) -> bool {
        matches!(self, EventKind::MultiActionTask | EventKind::DataActionTask)
    }
}

/// A calendar event's status, as the Calendar API spells it (`inProgress`
/// in SAP's GET sample edcc5a16; `open`, `onHold`, `canceled` in the PATCH
/// body of 9afa17f5; the other names follow the same camel case).
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(rename_all = "camelCase")]
pub enum EventStatus {
    Inactive,
    Open,
    InProgress,
    Successful,
    PartiallySuccessful,
    Failed,
    OnHold,
    Canceled,
}

impl EventStatus {
    pub const ALL: [EventStatus; 8] = [
        EventStatus::Inactive,
        EventStatus::Open,
        EventStatus::InProgress,
        EventStatus::Successful,
        EventStatus::PartiallySuccessful,
        EventStatus::Failed,
        EventStatus::OnHold,
        EventStatus::Canceled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventStatus::Inactive => "inactive",
            EventStatus::Open => "open",
            EventStatus::InProgress => "inProgress",
            EventStatus::Successful => "successful",
            EventStatus::PartiallySuccessful => "partiallySuccessful",
            EventStatus::Failed => "failed",
            EventStatus::OnHold => "onHold",
            EventStatus::Canceled => "canceled",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        EventStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Ended: nothing moves it but a PATCH to `open`.
    pub fn is_ended(self) -> bool {
        matches!(
            self,
            EventStatus::Successful | EventStatus::PartiallySuccessful | EventStatus::Failed | EventStatus::Canceled
        )
    }

    /// Active: its time or trigger may start it, or it runs.
    pub fn is_active(self) -> bool {
        matches!(self, EventStatus::Open | EventStatus::InProgress)
    }
}

/// When an automatic task starts (SAP Help "Schedule Data Actions in the
/// Calendar", de944ce1: at the start date, on dependencies, or with the
/// process).
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// At its start date (and not before its process has started).
    #[default]
    StartDate,
    /// When every event it depends on has one of the statuses chosen.
    Dependencies,
    /// When its process starts.
    Parent,
}

/// An event this one waits for, and the statuses that count as done.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Dependency {
    pub event: String,
    pub statuses: Vec<EventStatus>,
}

/// The data action an automatic data action task runs: a copy of one
/// version of a planning model into another.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct DataActionDef {
    /// The data action's id as monitoring names it.
    pub id: String,
    pub model: String,
    pub from: String,
    pub to: String,
}

/// One event of the planning calendar.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CalendarEventDef {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub kind: EventKind,
    /// The process this task belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// A user of the tenant; automatic tasks run as their owner.
    pub owner: String,
    #[serde(default)]
    pub assignees: Vec<String>,
    /// UTC, RFC 3339.
    pub start: String,
    pub end: String,
    /// The owner's "Allow External API Access" (SAP help 11cb2108).
    #[serde(default)]
    pub allow_external_api_access: bool,
    /// The status it is seeded with (inactive by default: created, not activated).
    #[serde(default = "inactive")]
    pub status: EventStatus,
    #[serde(default)]
    pub trigger: Trigger,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<Dependency>,
    /// Multi action tasks: the multi action (id without package) and its parameter values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multi_action: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub parameters: BTreeMap<String, String>,
    /// Data action tasks: the data action.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_action: Option<DataActionDef>,
}

fn inactive() -> EventStatus {
    EventStatus::Inactive
}

/// The first inconsistency of the tenant's calendar, if any.
pub(super) fn problem(tenant: &Tenant) -> Option<String> {
    let events = &tenant.calendar;
    let find = |id: &str| events.iter().find(|e| e.id == id);
    for (i, e) in events.iter().enumerate() {
        let at = format!("calendar event {}", e.id);
        if e.id.is_empty() || !e.id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
            return Some(format!("{at}: the id must be letters, digits, _ or -"));
        }
        if events[..i].iter().any(|other| other.id == e.id) {
            return Some(format!("{at} is listed twice"));
        }
        if tenant.user(&e.owner).is_none_or(|u| !u.in_tenant) {
            return Some(format!("{at}: owner {} is not a user of the tenant", e.owner));
        }
        if let Some(a) = e.assignees.iter().find(|a| tenant.user(a).is_none()) {
            return Some(format!("{at}: assignee {a} is not a user of the tenant"));
        }
        let (Some(start), Some(end)) = (instant(&e.start), instant(&e.end)) else {
            return Some(format!("{at}: start and end must be UTC timestamps such as 2026-01-01T06:00:00Z"));
        };
        if end < start {
            return Some(format!("{at}: ends before it starts"));
        }
        if e.status == EventStatus::InProgress {
            return Some(format!("{at}: an event cannot be seeded inProgress (seed it open: it starts by itself)"));
        }
        match (&e.parent, e.kind) {
            (Some(_), EventKind::Process) => return Some(format!("{at}: a process cannot have a parent")),
            (Some(p), _) if find(p).is_none_or(|p| p.kind != EventKind::Process) => {
                return Some(format!("{at}: its parent {p} is not a process of the calendar"));
            }
            _ => {}
        }
        for d in &e.dependencies {
            let Some(other) = find(&d.event) else {
                return Some(format!("{at} depends on unknown event {}", d.event));
            };
            if other.id == e.id || other.parent != e.parent || d.statuses.is_empty() {
                return Some(format!(
                    "{at}: a dependency names another event of the same process and at least one status"
                ));
            }
        }
        if e.trigger == Trigger::Dependencies && e.dependencies.is_empty() {
            return Some(format!("{at}: the trigger dependencies needs dependencies"));
        }
        if e.trigger == Trigger::Parent && e.parent.is_none() {
            return Some(format!("{at}: the trigger parent needs a parent process"));
        }
        match e.kind {
            EventKind::MultiActionTask => {
                let Some(ma) = e.multi_action.as_deref().and_then(|id| tenant.multi_action(id)) else {
                    return Some(format!("{at}: a multi action task names a multi action of the tenant"));
                };
                for p in &ma.parameters {
                    let member = e.parameters.get(&p.id);
                    let valid = member.is_some_and(|m| {
                        tenant.model(&p.version_of).is_some_and(|model| model.versions.iter().any(|v| v == m))
                    });
                    if !valid {
                        return Some(format!("{at}: parameter {} needs a version of {}", p.id, p.version_of));
                    }
                }
            }
            EventKind::DataActionTask => {
                let Some(da) = &e.data_action else {
                    return Some(format!("{at}: a data action task names its data action"));
                };
                let Some(model) = tenant.model(&da.model) else {
                    return Some(format!("{at}: data action {} copies in unknown model {}", da.id, da.model));
                };
                if ![&da.from, &da.to].iter().all(|v| model.versions.contains(v)) {
                    return Some(format!("{at}: data action {} copies between versions of {}", da.id, da.model));
                }
            }
            EventKind::Process | EventKind::GeneralTask => {}
        }
    }
    None
}

/// A UTC timestamp as Unix milliseconds.
pub fn instant(text: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(text).ok().map(|t| t.timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A change that breaks the demo tenant.
    type Change = fn(&mut Tenant);

    fn broken(change: impl FnOnce(&mut Tenant)) -> String {
        let mut tenant = Tenant::demo();
        change(&mut tenant);
        tenant.validate().expect_err("refused").to_string()
    }

    #[test]
    fn the_demo_calendar_is_consistent_and_bad_calendars_are_refused_with_the_reason() {
        assert_eq!(problem(&Tenant::demo()), None);
        let cases: [(&str, Change); 9] = [
            ("listed twice", |t| t.calendar.push(t.calendar[0].clone())),
            ("owner NOBODY", |t| t.calendar[0].owner = "NOBODY".into()),
            ("UTC timestamps", |t| t.calendar[0].start = "tomorrow".into()),
            ("ends before it starts", |t| t.calendar[0].end = "2020-01-01T00:00:00Z".into()),
            ("seeded inProgress", |t| t.calendar[0].status = EventStatus::InProgress),
            ("not a process", |t| t.calendar[1].parent = Some("NOPE".into())),
            ("names a multi action", |t| t.calendar[1].multi_action = Some("NOPE".into())),
            ("parameter TargetVersion", |t| t.calendar[1].parameters.clear()),
            ("depends on unknown event", |t| {
                t.calendar[1].dependencies =
                    vec![Dependency { event: "NOPE".into(), statuses: vec![EventStatus::Successful] }]
            }),
        ];
        for (wanted, change) in cases {
            let message = broken(change);
            assert!(message.contains(wanted), "{wanted}: {message}");
        }
    }

    #[test]
    fn statuses_have_the_calendar_apis_names() {
        let names: Vec<&str> = EventStatus::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(
            names,
            ["inactive", "open", "inProgress", "successful", "partiallySuccessful", "failed", "onHold", "canceled"]
        );
        for status in EventStatus::ALL {
            assert_eq!(EventStatus::parse(status.as_str()), Some(status));
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{}\"", status.as_str()));
        }
    }
}
