//! The planning calendar: processes with their tasks, each with its status,
//! dates, owner, whether it is open for external API access and the
//! execution a multi action task started. Read only: events change through
//! the Calendar API (`/api/v1/calendar/events`), as a client would change them.

use axum::extract::State;
use axum::response::Response;
use maud::html;

use super::layout::{badge, page, Frame, Nav};
use super::SignedIn;
use crate::api::openapi::responses::ConsolePageRefusals;
use crate::api::openapi::tags;
use crate::api::state::AppState;
use crate::store::CalendarEventRecord;
use crate::tenant::EventKind;

/// `GET /emulator/ui/calendar`
#[utoipa::path(
    get,
    path = "/emulator/ui/calendar",
    tag = tags::CONSOLE,
    security(("session" = [])),
    responses(
        (status = 200, description = "The calendar's processes and tasks with their statuses (HTML)", content_type = "text/html"),
        ConsolePageRefusals,
    ),
)]
pub async fn list(who: SignedIn, State(state): State<AppState>) -> Result<Response, Response> {
    let tenant = state.tenant();
    let engine = state.engine_handle();
    let events = super::blocking(move || {
        engine.advance_calendar(false)?;
        engine.store().read(|r| r.calendar_events())
    })
    .await?;
    let live = events.iter().any(|e| e.status.is_active());
    let tasks_of = |id: &str| -> Vec<&CalendarEventRecord> {
        events.iter().filter(|e| e.spec.parent.as_deref() == Some(id)).collect()
    };
    let roots: Vec<&CalendarEventRecord> = events.iter().filter(|e| e.spec.parent.is_none()).collect();
    let row = |e: &CalendarEventRecord, task: bool| {
        html! {
            tr.task[task] {
                td { @if task { "\u{21b3} " } (e.spec.name) br; code { (e.id()) } }
                td { (e.spec.kind.as_api()) }
                td { (badge(e.status.as_str())) }
                td { (e.spec.start) }
                td { (e.spec.end) }
                td { (e.spec.owner) }
                td { (if e.spec.allow_external_api_access { "yes" } else { "no" }) }
                td {
                    @if let (EventKind::MultiActionTask, Some(id)) = (e.spec.kind, &e.execution_id) {
                        a href={ "/emulator/ui/executions/" (id) } { code { (id) } }
                    } @else if let Some(ma) = &e.spec.multi_action {
                        code { (tenant.object_name(ma)) }
                    } @else if let Some(da) = &e.spec.data_action {
                        code { (da.id) }
                    }
                    @if let Some(from) = &e.copied_from { br; "copy of " code { (from) } }
                }
            }
        }
    };
    let content = html! {
        p { "Events change through the Calendar API: "
            code { "GET|PATCH /api/v1/calendar/events/{id}" } ", " code { "POST /api/v1/calendar/events" } "." }
        table {
            thead { tr {
                th { "Event" } th { "Type" } th { "Status" } th { "Start (UTC)" } th { "End (UTC)" }
                th { "Owner" } th { "API access" } th { "Runs" }
            } }
            tbody {
                @for root in &roots {
                    (row(root, false))
                    @for task in tasks_of(root.id()) { (row(task, true)) }
                }
                @if events.is_empty() { tr { td.empty colspan="8" { "The tenant has no calendar events." } } }
            }
        }
    };
    Ok(page(Frame { title: "Calendar", nav: Nav::Calendar, who: &who, tenant: &tenant.letter, live }, content))
}
