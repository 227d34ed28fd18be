//! Calendar events through the Calendar API: run a process (a copy of it,
//! or the event opened again), wait for its whole hierarchy, change its
//! status, and what an event means (exit status, JSON document, lines).
//!
//! The start is sent once. A copy whose answer is lost cannot be found
//! again (the API lists no events), so it ends with exit 8 and nothing is
//! sent again; an opening whose answer is lost is read back, and the wait
//! goes on only when the event is open or running now.

use sac_client::calendar::{CalendarOutcome, CalendarReporter, CalendarStatus, Event, Hierarchy, StatusChange};
use sac_client::{Client, Error, ErrorClass};
use serde_json::{json, Value};

use super::outcome::{Note, Outcome};
use super::wait::Waiting;
use crate::exit::ExitStatus;
use crate::failure::{Failure, WithGoing};
use crate::going::{sacctl_command, Going};
use crate::report::finish;
use crate::site::doc_url;

/// How to start an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Start {
    /// Copy the event with its hierarchy and activate the copy (else open
    /// the event itself again).
    pub copy: bool,
    /// Let SAC notify the event's users.
    pub notify: bool,
}

/// An event that was started: the one to wait for.
pub struct Started {
    pub event_id: String,
    /// The event it is a copy of.
    pub copy_of: Option<String>,
    going: Going,
}

impl Started {
    /// The note once it started (stderr).
    pub fn note(&self) -> String {
        match &self.copy_of {
            Some(reference) => format!(
                "copied calendar event {reference} to {} and activated it (resume: {})",
                self.event_id, self.going.resume
            ),
            None => format!("opened calendar event {} (resume: {})", self.event_id, self.going.resume),
        }
    }

    /// `calendar run` without `--wait`: exit 0, the event's id.
    pub fn outcome(&self) -> Outcome {
        let json = finish(
            json!({"event_id": self.event_id, "copy_of": self.copy_of, "status": "started"}),
            ExitStatus::Success,
            Some(&self.going.resume),
        );
        Outcome {
            exit: ExitStatus::Success,
            json,
            lines: vec![self.event_id.clone()],
            notes: Vec::new(),
            message: None,
        }
    }
}

/// The event `event_id`, for error documents and notes.
fn going(profile: &str, event_id: &str) -> Going {
    Going::new(format!("calendar event {event_id}"), sacctl_command(&["calendar", "wait", event_id], profile))
        .id("event_id", event_id)
}

/// An error of a calendar command; a missing event says what may hide it.
fn calendar_failure(error: Error) -> Failure {
    let hint = match &error {
        _ if error.class() == ErrorClass::NotFound => Some(
            "check the id; the Calendar API sees only events whose owner turned on \"Allow External API Access\" \
             in the event's settings",
        ),
        Error::ClientNotAllowed { .. } => Some(concat!(
            "the OAuth client needs purpose API Access and \"Calendar Events\" under Access (System > \
             Administration > App Integration); see ",
            doc_url!("paths")
        )),
        _ => None,
    };
    let mut failure = Failure::from(error);
    if let Some(hint) = hint {
        failure.hints.insert(0, hint.into());
    }
    failure
}

/// Starts `event_id` as `start` says. Reopening an event that is open or
/// running already is refused with exit 7 (it is going: wait for it).
pub async fn start(client: &Client, profile: &str, event_id: &str, start: Start) -> Result<Started, Failure> {
    let calendar = client.calendar();
    if start.copy {
        let copy = calendar.copy(event_id, true, start.notify).await.map_err(calendar_failure)?;
        let going = going(profile, &copy.id);
        going.declare();
        // autoActivate activates "if possible" (93a8101e): a copy left
        // inactive is activated by opening it (inactive -> open, 9afa17f5).
        let event = calendar.event(&copy.id).await.map_err(calendar_failure).going(&going)?;
        if event.status() == CalendarStatus::Inactive {
            calendar
                .set_status(&copy.id, StatusChange::Open, start.notify)
                .await
                .map_err(calendar_failure)
                .going(&going)?;
        }
        return Ok(Started { event_id: copy.id, copy_of: Some(event_id.to_string()), going });
    }
    let before = calendar.event(event_id).await.map_err(calendar_failure)?;
    let going = going(profile, event_id);
    if matches!(before.status(), CalendarStatus::Open | CalendarStatus::InProgress) {
        let mut failure = Failure::new(
            ExitStatus::AlreadyRunning,
            anyhow::anyhow!("calendar event {event_id} is {} already", before.status()),
        );
        failure.hints = vec![format!("wait for it with `{}`", going.resume), "or run a copy of it with --copy".into()];
        return Err(failure.going(&going));
    }
    if !StatusChange::Open.allowed_from(&before.status()) {
        return Err(Failure::new(
            ExitStatus::Usage,
            anyhow::anyhow!(
                "calendar event {event_id} is {}: SAC opens only inactive, ended or held events",
                before.status()
            ),
        ));
    }
    going.declare();
    match calendar.set_status(event_id, StatusChange::Open, start.notify).await {
        Ok(_) => {}
        // The answer is lost: read what SAC did instead of sending it again.
        // An event changes only when it is opened (it was neither open nor
        // running before), so any change, running or already ended again,
        // is our opening; an event exactly as before was not opened (yet).
        Err(e) if e.class() == ErrorClass::Unreachable => {
            let now = calendar.event(event_id).await.map_err(calendar_failure).going(&going)?;
            if now == before {
                let mut failure = Failure::new(
                    ExitStatus::Unreachable,
                    anyhow::anyhow!(
                        "it is unknown whether calendar event {event_id} was opened: the answer was lost ({e}) and the \
                         event is {} as before",
                        now.status()
                    ),
                );
                failure.hints = vec![format!("look at `sacctl calendar show {event_id}` before running it again")];
                return Err(failure.going(&going));
            }
        }
        Err(e) => return Err(calendar_failure(e).going(&going)),
    }
    Ok(Started { event_id: event_id.to_string(), copy_of: None, going })
}

/// Waits for `event_id` to end (or the timeout), then reads its hierarchy.
/// Any end counts: the event is ours (a copy we made, an event our PATCH
/// opened, whose answer already says `open`), or one `calendar wait` was
/// asked about.
pub async fn wait<R: CalendarReporter>(
    client: &Client,
    profile: &str,
    event_id: &str,
    waiting: &Waiting,
    reporter: &R,
) -> Result<Outcome, Failure> {
    let going = going(profile, event_id);
    going.declare();
    let calendar = client.calendar();
    let outcome =
        calendar.wait(event_id, &waiting.policy(), true, reporter).await.map_err(calendar_failure).going(&going)?;
    let (event, timed_out) = match outcome {
        CalendarOutcome::Finished(event) => (event, false),
        CalendarOutcome::TimedOut(event) => (event, true),
    };
    let hierarchy = calendar.hierarchy(&event.id).await.map_err(calendar_failure).going(&going)?;
    // The top as the wait saw it end (the hierarchy's read is later).
    let hierarchy = Hierarchy { event, children: hierarchy.children };
    let exit = if timed_out { ExitStatus::Timeout } else { exit_for(&hierarchy.event.status(), waiting.warnings_ok) };
    let resume = going.resume;
    let mut outcome = document(&hierarchy, timed_out, exit, timed_out.then_some(resume.as_str()));
    if timed_out {
        outcome.notes.push(Note::Always(format!(
            "gave up waiting; calendar event {event_id} is {}. Resume with: {resume}",
            hierarchy.event.status()
        )));
    }
    Ok(outcome)
}

/// `calendar show`: the event and its hierarchy as they stand (exit 0).
pub async fn show(client: &Client, event_id: &str) -> Result<Outcome, Failure> {
    let hierarchy = client.calendar().hierarchy(event_id).await.map_err(calendar_failure)?;
    Ok(document(&hierarchy, false, ExitStatus::Success, None))
}

/// `calendar hold|cancel`: the change, refused before sending when page
/// 9afa17f5's table does not allow it from the event's status.
pub async fn change(client: &Client, event_id: &str, change: StatusChange, notify: bool) -> Result<Outcome, Failure> {
    let calendar = client.calendar();
    let before = calendar.event(event_id).await.map_err(calendar_failure)?;
    if !change.allowed_from(&before.status()) {
        return Err(Failure::new(
            ExitStatus::Usage,
            anyhow::anyhow!(
                "calendar event {event_id} is {}: SAC does not change it to {} (allowed from: {})",
                before.status(),
                change.as_str(),
                match change {
                    StatusChange::Open => "inactive, ended or on hold",
                    StatusChange::OnHold => "open, in progress or on hold",
                    StatusChange::Canceled => "open, in progress or on hold",
                }
            ),
        ));
    }
    let after = calendar.set_status(event_id, change, notify).await.map_err(calendar_failure)?;
    let status = after.status.clone().map(|s| s.as_str().to_string()).unwrap_or_else(|| change.as_str().into());
    let json = finish(
        json!({"event_id": event_id, "previous_status": before.status().as_str(), "status": status}),
        ExitStatus::Success,
        None,
    );
    Ok(Outcome {
        exit: ExitStatus::Success,
        json,
        lines: vec![format!("calendar event {event_id}: {} -> {status}", before.status())],
        notes: Vec::new(),
        message: None,
    })
}

/// Whether the Calendar API serves this identity (`auth doctor`): event
/// `event` is read when given; else an id no event has is asked for, and
/// "not found" shows the service accepted the client (SAC checks the
/// client's access first, 14de88fd).
pub async fn probe(client: &Client, event: Option<&str>) -> Result<String, Error> {
    match event {
        Some(id) => {
            let event = client.calendar().event(id).await?;
            Ok(format!("event {id} ({}) is {}", event.name.as_deref().unwrap_or("no name"), event.status()))
        }
        None => match client.calendar().event("sacctl-doctor-no-such-event").await {
            Err(Error::NotFound { .. }) | Ok(_) => {
                Ok("the Calendar API accepts this client (--event EVENT reads one event)".into())
            }
            Err(e) => Err(e),
        },
    }
}

/// The exit status an event's status means (docs/exit-codes.md).
pub fn exit_for(status: &CalendarStatus, warnings_ok: bool) -> ExitStatus {
    match status {
        CalendarStatus::Successful => ExitStatus::Success,
        CalendarStatus::PartiallySuccessful if warnings_ok => ExitStatus::Success,
        CalendarStatus::PartiallySuccessful => ExitStatus::Warnings,
        CalendarStatus::Canceled => ExitStatus::Cancelled,
        // Still going: only reported after a timeout.
        CalendarStatus::Inactive | CalendarStatus::Open | CalendarStatus::InProgress | CalendarStatus::OnHold => {
            ExitStatus::Timeout
        }
        CalendarStatus::Failed | CalendarStatus::Other(_) => ExitStatus::JobFailed,
    }
}

/// One event's entry of the document.
fn entry(event: &Event, parent: Option<&str>) -> Value {
    let mut entry = json!({
        "event_id": event.id,
        "name": event.name,
        "type": event.kind,
        "status": event.status.as_ref().map(CalendarStatus::as_str),
        "progress": event.progress,
        "start_time": event.utc_start_date,
        "end_time": event.utc_end_date,
    });
    if let Some(parent) = parent {
        entry["parent_id"] = parent.into();
    }
    if !event.extra.is_empty() {
        entry["details"] = Value::Object(event.extra.clone());
    }
    entry
}

/// Every child below `node`, depth first, each naming its parent.
fn children(node: &Hierarchy, out: &mut Vec<(Value, String)>) {
    for child in &node.children {
        out.push((entry(&child.event, Some(&node.event.id)), line(&child.event, "  ")));
        children(child, out);
    }
}

fn line(event: &Event, indent: &str) -> String {
    let mut text = format!("{indent}{} {}", event.kind.as_deref().unwrap_or("event"), event.id);
    if let Some(name) = &event.name {
        text.push_str(&format!(" ({name})"));
    }
    text.push_str(&format!(": {}", event.status()));
    if let Some(progress) = &event.progress {
        text.push_str(&format!(", {progress}%"));
    }
    text
}

/// An event and its hierarchy as an outcome: the document (docs/output.md),
/// a line per event, and the children that did not succeed as the message.
fn document(hierarchy: &Hierarchy, timed_out: bool, exit: ExitStatus, resume: Option<&str>) -> Outcome {
    let mut rows = Vec::new();
    children(hierarchy, &mut rows);
    let mut doc = entry(&hierarchy.event, None);
    doc["timed_out"] = timed_out.into();
    doc["children"] = Value::Array(rows.iter().map(|(v, _)| v.clone()).collect());
    let json = finish(doc, exit, resume);
    let mut lines = vec![line(&hierarchy.event, "")];
    lines.extend(rows.into_iter().map(|(_, l)| l));
    let message = hierarchy
        .descendants()
        .into_iter()
        .filter(|e| {
            matches!(
                e.status(),
                CalendarStatus::Failed | CalendarStatus::PartiallySuccessful | CalendarStatus::Canceled
            )
        })
        .map(|e| format!("{} {}", e.name.as_deref().unwrap_or(&e.id), e.status()))
        .reduce(|a, b| format!("{a}; {b}"));
    Outcome { exit, json, lines, notes: Vec::new(), message }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_per_status() {
        assert_eq!(exit_for(&CalendarStatus::Successful, false), ExitStatus::Success);
        assert_eq!(exit_for(&CalendarStatus::PartiallySuccessful, false), ExitStatus::Warnings);
        assert_eq!(exit_for(&CalendarStatus::PartiallySuccessful, true), ExitStatus::Success);
        assert_eq!(exit_for(&CalendarStatus::Failed, true), ExitStatus::JobFailed);
        assert_eq!(exit_for(&CalendarStatus::Canceled, false), ExitStatus::Cancelled);
        assert_eq!(exit_for(&CalendarStatus::InProgress, false), ExitStatus::Timeout);
        assert_eq!(exit_for(&CalendarStatus::Other("x".into()), false), ExitStatus::JobFailed);
    }

    #[test]
    fn the_document_lists_every_child_with_its_parent() {
        let event = |id: &str, status: &str| -> Event {
            serde_json::from_value(json!({"id": id, "name": format!("n{id}"), "status": status})).unwrap()
        };
        let tree = Hierarchy {
            event: event("P", "partiallySuccessful"),
            children: vec![
                Hierarchy {
                    event: event("A", "successful"),
                    children: vec![Hierarchy { event: event("A1", "failed"), children: vec![] }],
                },
                Hierarchy { event: event("B", "successful"), children: vec![] },
            ],
        };
        let outcome = document(&tree, false, ExitStatus::Warnings, None);
        let ids: Vec<_> = outcome.json["children"].as_array().unwrap().iter().map(|c| c["event_id"].clone()).collect();
        assert_eq!(ids, ["A", "A1", "B"]);
        assert_eq!(outcome.json["children"][1]["parent_id"], "A");
        assert_eq!(outcome.json["exit_code"], 6);
        assert_eq!(outcome.message.as_deref(), Some("nA1 failed"));
        assert_eq!(outcome.lines.len(), 4);
    }

    #[test]
    fn the_resume_line_quotes_a_hostile_event_id() {
        assert_eq!(going("default", "$(touch x)").resume, "sacctl calendar wait '$(touch x)'");
    }
}
