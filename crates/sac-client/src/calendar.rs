//! The Calendar API (`/api/v1/calendar`, SAP help "api/v1/calendar", page
//! hash 11cb2108): read a calendar event, change its status, copy it with
//! its whole hierarchy. SAP's documented machine-to-machine way to run a
//! planning process, and through its multi action tasks a multi action,
//! with a client-credentials token (14de88fd: the OAuth client needs
//! purpose API Access and the Calendar Service in its access list).
//!
//! Writes (PATCH, POST) need a CSRF token (8b910196), which the client
//! fetches on the browser domain as for every public API.

use std::fmt;
use std::time::{Duration, Instant};

use reqwest::Method;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::json;

use crate::client::{Body, Client};
use crate::error::{Error, Result};
use crate::http::{Idempotency, Limit};
use crate::poll::WaitPolicy;

const BASE: &str = "/api/v1/calendar/events";

/// A calendar event's status as SAC shows it. The GET's sample names
/// `inProgress` (edcc5a16); the PATCH takes `open`, `onHold`, `canceled`
/// (9afa17f5), whose table names the others (Inactive, Successful,
/// Partially Successful, Failed). **Assumption**: their wire names are the
/// same camelCase words. A word sacctl does not know is kept as it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CalendarStatus {
    Inactive,
    Open,
    InProgress,
    Successful,
    PartiallySuccessful,
    Failed,
    OnHold,
    Canceled,
    Other(String),
}

impl CalendarStatus {
    /// The word SAC uses.
    pub fn as_str(&self) -> &str {
        match self {
            CalendarStatus::Inactive => "inactive",
            CalendarStatus::Open => "open",
            CalendarStatus::InProgress => "inProgress",
            CalendarStatus::Successful => "successful",
            CalendarStatus::PartiallySuccessful => "partiallySuccessful",
            CalendarStatus::Failed => "failed",
            CalendarStatus::OnHold => "onHold",
            CalendarStatus::Canceled => "canceled",
            CalendarStatus::Other(word) => word,
        }
    }

    /// Reads SAC's word, in any case and with or without separators
    /// ("inProgress", "IN_PROGRESS", "Partially Successful").
    pub fn parse(word: &str) -> Self {
        let key: String = word.chars().filter(char::is_ascii_alphanumeric).collect::<String>().to_ascii_lowercase();
        match key.as_str() {
            "inactive" => CalendarStatus::Inactive,
            "open" => CalendarStatus::Open,
            "inprogress" => CalendarStatus::InProgress,
            "successful" => CalendarStatus::Successful,
            "partiallysuccessful" => CalendarStatus::PartiallySuccessful,
            "failed" => CalendarStatus::Failed,
            "onhold" => CalendarStatus::OnHold,
            "canceled" | "cancelled" => CalendarStatus::Canceled,
            _ => CalendarStatus::Other(word.to_string()),
        }
    }

    /// The event has ended: nothing more happens unless it is opened again
    /// (9afa17f5 lists `open` from each of these).
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            CalendarStatus::Successful
                | CalendarStatus::PartiallySuccessful
                | CalendarStatus::Failed
                | CalendarStatus::Canceled
        )
    }
}

impl fmt::Display for CalendarStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for CalendarStatus {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for CalendarStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        Ok(CalendarStatus::parse(&String::deserialize(d)?))
    }
}

/// The statuses the PATCH sets (9afa17f5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusChange {
    Open,
    OnHold,
    Canceled,
}

impl StatusChange {
    pub fn as_str(self) -> &'static str {
        match self {
            StatusChange::Open => "open",
            StatusChange::OnHold => "onHold",
            StatusChange::Canceled => "canceled",
        }
    }

    /// Whether page 9afa17f5's table allows this change from `current`.
    pub fn allowed_from(self, current: &CalendarStatus) -> bool {
        use CalendarStatus as S;
        match self {
            StatusChange::Open => matches!(
                current,
                S::Inactive | S::Canceled | S::Successful | S::PartiallySuccessful | S::Failed | S::OnHold
            ),
            StatusChange::Canceled => matches!(current, S::Open | S::InProgress | S::OnHold),
            StatusChange::OnHold => matches!(current, S::Open | S::InProgress | S::OnHold),
        }
    }
}

/// A child event as an event lists it: its id, or the child itself.
/// **Assumption**: SAP's GET sample (edcc5a16) shows no children; the
/// emulator lists them, and sacctl reads either form.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum ChildRef {
    Id(String),
    Event(Box<Event>),
}

impl ChildRef {
    pub fn id(&self) -> &str {
        match self {
            ChildRef::Id(id) => id,
            ChildRef::Event(event) => &event.id,
        }
    }
}

/// A calendar event (edcc5a16): the fields SAP's sample shows, and what
/// else SAC sends kept in `extra`.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utc_start_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utc_end_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<CalendarStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress: Option<serde_json::Number>,
    /// The event's kind (process, task, ...), when SAC names it.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, alias = "childEvents", alias = "children", skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<ChildRef>,
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl Event {
    /// The status, `Other("")` when SAC sent none.
    pub fn status(&self) -> CalendarStatus {
        self.status.clone().unwrap_or(CalendarStatus::Other(String::new()))
    }
}

#[derive(Deserialize)]
struct EventAnswer {
    event: Event,
}

/// The copy's id and dates (93a8101e).
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Copied {
    pub id: String,
    #[serde(default)]
    pub utc_start_date: Option<String>,
    #[serde(default)]
    pub utc_end_date: Option<String>,
}

#[derive(Deserialize)]
struct CopyAnswer {
    event: Copied,
}

/// Progress while waiting for an event.
pub trait CalendarReporter: Send + Sync {
    fn polled(&self, event: &Event, elapsed: Duration);
}

impl CalendarReporter for crate::report::Silent {
    fn polled(&self, _: &Event, _: Duration) {}
}

/// How a wait for an event ended.
#[derive(Clone, Debug, PartialEq)]
pub enum CalendarOutcome {
    Finished(Event),
    TimedOut(Event),
}

/// An event and its descendants, as read once.
#[derive(Clone, Debug, PartialEq)]
pub struct Hierarchy {
    pub event: Event,
    pub children: Vec<Hierarchy>,
}

impl Hierarchy {
    /// Every event below the top, depth first.
    pub fn descendants(&self) -> Vec<&Event> {
        let mut out = Vec::new();
        for child in &self.children {
            out.push(&child.event);
            out.extend(child.descendants());
        }
        out
    }
}

/// Events read at most for one hierarchy (a loop of child ids cannot
/// keep sacctl reading).
pub const MAX_EVENTS: usize = 500;

pub struct Calendar<'c> {
    client: &'c Client,
}

impl Client {
    /// The Calendar API.
    pub fn calendar(&self) -> Calendar<'_> {
        Calendar { client: self }
    }
}

fn check_id(id: &str) -> Result<()> {
    if id.trim().is_empty() || id.chars().any(char::is_control) {
        return Err(Error::Config(format!("calendar event id {id:?} is empty or has control characters")));
    }
    Ok(())
}

fn not_found(e: Error) -> Error {
    match e {
        Error::NotFound { message, .. } => Error::NotFound { what: "calendar event".into(), message },
        other => other,
    }
}

impl Calendar<'_> {
    /// `GET /events/{id}` (edcc5a16).
    pub async fn event(&self, id: &str) -> Result<Event> {
        check_id(id)?;
        let answer = self
            .client
            .api_request(Method::GET, BASE, &[id], None, Idempotency::Safe, Limit::Status)
            .await
            .map_err(not_found)?;
        Ok(answer.json::<EventAnswer>()?.event)
    }

    /// The event and every descendant, each read once (at most
    /// [`MAX_EVENTS`]; a child listed twice is read once).
    pub async fn hierarchy(&self, id: &str) -> Result<Hierarchy> {
        let mut seen = std::collections::HashSet::new();
        let top = self.event(id).await?;
        seen.insert(top.id.clone());
        // Depth first with an explicit stack of (path of child indices).
        let mut root = Hierarchy { event: top, children: Vec::new() };
        let mut pending: Vec<Vec<usize>> = vec![Vec::new()];
        while let Some(path) = pending.pop() {
            let node = node_at(&mut root, &path);
            let refs = node.event.children.clone();
            for child in refs {
                if !seen.insert(child.id().to_string()) {
                    continue;
                }
                if seen.len() > MAX_EVENTS {
                    return Err(Error::Decode {
                        context: format!("{BASE}/{id}"),
                        problem: format!("the hierarchy has more than {MAX_EVENTS} events"),
                        snippet: String::new(),
                    });
                }
                // A child as the parent lists it is enough, unless it may
                // have children of its own (a process): then it is read.
                let event = match child {
                    ChildRef::Event(e) if e.status.is_some() && !may_have_children(&e) => *e,
                    other => self.event(other.id()).await?,
                };
                let node = node_at(&mut root, &path);
                node.children.push(Hierarchy { event, children: Vec::new() });
                let mut next = path.clone();
                next.push(node.children.len() - 1);
                pending.push(next);
            }
        }
        Ok(root)
    }

    /// `PATCH /events/{id}` with `status` (9afa17f5). Sent once: a lost
    /// answer is not sent again (the caller reads the event instead).
    pub async fn set_status(&self, id: &str, status: StatusChange, notify: bool) -> Result<Event> {
        check_id(id)?;
        let body = json!({"status": status.as_str(), "notify": notify});
        let answer = self
            .client
            .api_request(Method::PATCH, BASE, &[id], Some(Body::Json(&body)), Idempotency::Unsafe, Limit::Status)
            .await
            .map_err(not_found)?;
        Ok(answer.json::<EventAnswer>()?.event)
    }

    /// `POST /events`: a copy of `reference` with its whole hierarchy,
    /// starting today (93a8101e). Sent once; when its answer is lost
    /// nobody can tell whether a copy exists (the API lists no events), so
    /// the error says so and nothing is sent again.
    pub async fn copy(&self, reference: &str, auto_activate: bool, notify: bool) -> Result<Copied> {
        check_id(reference)?;
        let body = json!({"referenceEventId": reference, "autoActivate": auto_activate, "notify": notify});
        let answer = self
            .client
            .api_request(Method::POST, BASE, &[], Some(Body::Json(&body)), Idempotency::Unsafe, Limit::Status)
            .await
            .map_err(|e| match e {
                Error::Transport { .. } | Error::Decode { .. } | Error::Unavailable { status: 500.., .. } => {
                    Error::TriggerUnknown {
                        schedule_id: format!("copy of calendar event {reference}"),
                        reason: format!(
                            "the answer to the copy was lost ({e}); the Calendar API lists no events to check, so look \
                             at the calendar in SAC before copying again"
                        ),
                    }
                }
                other => not_found(other),
            })?;
        Ok(answer.json::<CopyAnswer>()?.event)
    }

    /// Polls event `id` until it ends or the policy's timeout. Terminal
    /// statuses count only once `started` is true or the event was seen
    /// open or in progress, so an event re-opened by PATCH is not taken
    /// for finished by its previous run's status.
    pub async fn wait(
        &self,
        id: &str,
        policy: &WaitPolicy,
        mut started: bool,
        reporter: &dyn CalendarReporter,
    ) -> Result<CalendarOutcome> {
        let began = Instant::now();
        loop {
            let read_started = Instant::now();
            let event = self.event(id).await?;
            reporter.polled(&event, began.elapsed());
            let status = event.status();
            if matches!(status, CalendarStatus::Open | CalendarStatus::InProgress) {
                started = true;
            }
            if started && status.is_terminal() {
                return Ok(CalendarOutcome::Finished(event));
            }
            if began.elapsed() >= policy.timeout {
                return Ok(CalendarOutcome::TimedOut(event));
            }
            policy.sleep_before_next(began, read_started, policy.timeout).await;
        }
    }
}

/// Whether an event as listed by its parent may have children: a process
/// (or a child whose kind is not named).
fn may_have_children(event: &Event) -> bool {
    event.kind.as_deref().is_none_or(|kind| kind.to_ascii_lowercase().contains("process"))
}

fn node_at<'h>(root: &'h mut Hierarchy, path: &[usize]) -> &'h mut Hierarchy {
    path.iter().fold(root, |node, &i| &mut node.children[i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_read_in_any_spelling() {
        for (word, status) in [
            ("inProgress", CalendarStatus::InProgress),
            ("IN_PROGRESS", CalendarStatus::InProgress),
            ("Partially Successful", CalendarStatus::PartiallySuccessful),
            ("onHold", CalendarStatus::OnHold),
            ("cancelled", CalendarStatus::Canceled),
            ("inactive", CalendarStatus::Inactive),
        ] {
            assert_eq!(CalendarStatus::parse(word), status, "{word}");
        }
        assert_eq!(CalendarStatus::parse("paused"), CalendarStatus::Other("paused".into()));
        let event: Event = serde_json::from_value(json!({
            "id": "E1", "status": "partiallySuccessful", "progress": 50, "childEvents": ["C1", {"id": "C2", "status": "failed"}],
            "owner": "JDOE"
        }))
        .unwrap();
        assert_eq!(event.status(), CalendarStatus::PartiallySuccessful);
        assert_eq!(event.children.iter().map(ChildRef::id).collect::<Vec<_>>(), ["C1", "C2"]);
        assert_eq!(event.extra["owner"], "JDOE");
        assert_eq!(serde_json::to_value(&event).unwrap()["status"], "partiallySuccessful");
    }

    /// Page 9afa17f5's table, row by row, and what it leaves out.
    #[test]
    fn the_transition_table_of_the_guide() {
        use CalendarStatus as S;
        let all = [
            S::Inactive,
            S::Open,
            S::InProgress,
            S::Successful,
            S::PartiallySuccessful,
            S::Failed,
            S::OnHold,
            S::Canceled,
        ];
        let allowed = |change: StatusChange| all.iter().filter(|s| change.allowed_from(s)).cloned().collect::<Vec<_>>();
        assert_eq!(
            allowed(StatusChange::Open),
            [S::Inactive, S::Successful, S::PartiallySuccessful, S::Failed, S::OnHold, S::Canceled]
        );
        assert_eq!(allowed(StatusChange::Canceled), [S::Open, S::InProgress, S::OnHold]);
        assert_eq!(allowed(StatusChange::OnHold), [S::Open, S::InProgress, S::OnHold]);
        assert!(!S::OnHold.is_terminal() && !S::Inactive.is_terminal() && S::Canceled.is_terminal());
    }
}
