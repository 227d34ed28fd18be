//! Data Management: the data import schedules with their run logs, "Run
//! now", one run with its counts and message, and its rejected rows.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{html, Markup};
use sac_types::legacy::RunStatus;

use super::layout::{self, badge, page, post_form, Frame, Nav};
use super::SignedIn;
use crate::api::openapi::responses::ConsolePageRefusals;
use crate::api::openapi::tags;
use crate::api::state::AppState;
use crate::engine::runs::RUNNING;
use crate::store::RunRecord;

/// How many runs of a schedule the list shows.
const RUNS_SHOWN: usize = 25;

/// SAC's words for a run status.
pub fn status_text(code: i64) -> String {
    match RunStatus::from(code) {
        RunStatus::Running => "Running".into(),
        RunStatus::Succeeded => "Succeeded".into(),
        RunStatus::SucceededWithRejects => "Succeeded with rejects".into(),
        RunStatus::Cancelled => "Cancelled".into(),
        RunStatus::Stopped => "Stopped".into(),
        RunStatus::Failed => "Failed".into(),
        RunStatus::Other(code) => format!("Status {code}"),
    }
}

fn run_row(run: &RunRecord) -> Markup {
    html! {
        tr data-execution=(run.execution_id) {
            td { a href={ "/emulator/ui/runs/" (run.execution_id) } { code { (run.execution_id) } } }
            td { (badge(&status_text(run.status))) }
            td { (run.user) }
            td { (run.start_time) }
            td { (run.end_time.as_deref().unwrap_or("")) }
            td.num { (run.all_count) }
            td.num { (run.rejected_count) }
            td.num { (run.inserted_count) }
            td { (run.message.as_deref().unwrap_or("")) }
        }
    }
}

/// `GET /emulator/ui/schedules`
#[utoipa::path(
    get,
    path = "/emulator/ui/schedules",
    tag = tags::CONSOLE,
    security(("session" = [])),
    responses(
        (status = 200, description = "Data Management: each data import with its runs (HTML)", content_type = "text/html"),
        ConsolePageRefusals,
    ),
)]
pub async fn list(who: SignedIn, State(state): State<AppState>) -> Result<Response, Response> {
    let engine = state.engine_handle();
    super::blocking(move || engine.tick()).await?;
    let tenant = state.tenant();
    let mut live = false;
    let mut sections = Vec::new();
    for s in &tenant.schedules {
        let log = state.engine().schedule_log(&s.schedule_id);
        live |= log.runs.iter().any(|r| r.status == RUNNING);
        sections.push(html! {
            section.schedule id={ "schedule-" (s.schedule_id) } {
                h2 { (s.mapping_name) " \u{2192} " code { (tenant.object_name(&s.target)) } }
                p.meta {
                    "Data import " code { (s.schedule_id) } " from " (s.source) " / " (s.object)
                    " (" (s.job_type) ")"
                }
                @if who.may_run() {
                    (post_form(&who, &format!("/emulator/ui/schedules/{}/run", s.schedule_id), "Run now", html! {}))
                } @else {
                    p.note { "Viewers may not run data imports." }
                }
                table {
                    thead { tr {
                        th { "Execution" } th { "Status" } th { "User" } th { "Start (UTC)" } th { "End (UTC)" }
                        th.num { "Read" } th.num { "Rejected" } th.num { "Inserted" } th { "Message" }
                    } }
                    tbody {
                        @for run in log.runs.iter().take(RUNS_SHOWN) { (run_row(run)) }
                        @if log.runs.is_empty() { tr { td.empty colspan="9" { "No runs yet." } } }
                    }
                }
            }
        });
    }
    let content = html! {
        @for section in &sections { (section) }
        @if sections.is_empty() { p.empty { "The tenant has no data imports." } }
    };
    Ok(page(Frame { title: "Data Management", nav: Nav::Schedules, who: &who, tenant: &tenant.letter, live }, content))
}

/// `POST /emulator/ui/schedules/{id}/run`: "Run now", as the signed-in user.
#[utoipa::path(
    post,
    path = "/emulator/ui/schedules/{id}/run",
    tag = tags::CONSOLE,
    security(("session" = [])),
    params(
        ("id" = String, Path, description = "The data import (schedule) id"),
    ),
    request_body(description = "The console's form token (field csrf)", content((String = "application/x-www-form-urlencoded"))),
    responses(
        (status = 303, description = "A run started as the signed-in user: to its page"),
        (status = 404, description = "No such data import", content_type = "text/html"),
        (status = 403, description = "Viewers may not run data imports", content_type = "text/html"),
        (status = 403, description = "No session, no or another session's form token, or Origin names another site", content_type = "application/json"),
        (status = 415, description = "The body is not a form (application/x-www-form-urlencoded)", content_type = "application/json"),
        (status = 421, description = "The Host does not name the emulator", content_type = "application/json"),
    ),
)]
pub async fn run_now(who: SignedIn, State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let tenant = state.tenant();
    let Some(schedule) = tenant.schedule(&id).cloned() else {
        return layout::error_page(StatusCode::NOT_FOUND, &format!("The data import {id} does not exist."));
    };
    if !who.may_run() {
        return layout::error_page(
            StatusCode::FORBIDDEN,
            &format!("User {} is not authorized to execute data import jobs.", who.user),
        );
    }
    let engine = state.engine_handle();
    let user = who.user.clone();
    match super::blocking(move || engine.start_run(&schedule, &user)).await {
        Ok(run) => {
            tracing::info!(schedule = %id, execution = %run.execution_id, user = %who.user, "run started from the console");
            super::see_other(&format!("/emulator/ui/runs/{}", run.execution_id))
        }
        Err(r) => r,
    }
}

async fn find_run(state: &AppState, id: &str) -> Result<RunRecord, Response> {
    let engine = state.engine_handle();
    let wanted = id.to_string();
    let run = super::blocking(move || {
        engine.tick()?;
        engine.store().read(|r| r.run(&wanted))
    })
    .await?;
    run.ok_or_else(|| layout::error_page(StatusCode::NOT_FOUND, &format!("There is no run with execution id {id}.")))
}

/// `GET /emulator/ui/runs/{id}`: one run.
#[utoipa::path(
    get,
    path = "/emulator/ui/runs/{id}",
    tag = tags::CONSOLE,
    security(("session" = [])),
    params(
        ("id" = String, Path, description = "The execution id"),
    ),
    responses(
        (status = 200, description = "One run: status, user, times, counts, message (HTML)", content_type = "text/html"),
        (status = 303, description = "No browser session: to /login?url=<this page>"),
        (status = 403, description = "The signed-in user is not a user of the tenant", content_type = "text/html"),
        (status = 404, description = "No such run", content_type = "text/html"),
        (status = 421, description = "The Host does not name the emulator", content_type = "application/json"),
    ),
)]
pub async fn run(who: SignedIn, State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, Response> {
    let run = find_run(&state, &id).await?;
    let tenant = state.tenant();
    let running = run.status == RUNNING;
    let schedule = tenant.schedule(&run.schedule_id);
    let content = html! {
        p {
            "Run of " a href={ "/emulator/ui/schedules#schedule-" (run.schedule_id) } {
                (schedule.map(|s| s.mapping_name.as_str()).unwrap_or(run.schedule_id.as_str()))
            }
        }
        dl.facts #run {
            dt { "Status" } dd.status { (badge(&status_text(run.status))) }
            dt { "User" } dd { (run.user) }
            dt { "Started (UTC)" } dd { (run.start_time) }
            dt { "Ended (UTC)" } dd { (run.end_time.as_deref().unwrap_or("\u{2014}")) }
            dt { "Rows read" } dd.count data-count="read" { (run.all_count) }
            dt { "Rejected" } dd.count data-count="rejected" { (run.rejected_count) }
            dt { "Inserted or updated" } dd.count data-count="inserted" { (run.inserted_count) }
            @if let Some(message) = &run.message { dt { "Message" } dd { (message) } }
        }
        @if running {
            p.note {
                "The run is in progress; this page follows it. Under the manual clock it waits to be released."
            }
            (post_form(&who, "/emulator/ui/release", "Release this run", html! {
                input type="hidden" name="id" value=(run.execution_id);
                input type="hidden" name="back" value={ "/emulator/ui/runs/" (run.execution_id) };
            }))
        } @else {
            p { a #rejected-link href={ "/emulator/ui/runs/" (run.execution_id) "/rejections" } { "Rejected rows (" (run.rejected_count) ")" } }
        }
    };
    let title = format!("Run {}", run.execution_id);
    Ok(page(Frame { title: &title, nav: Nav::Schedules, who: &who, tenant: &tenant.letter, live: running }, content))
}

/// `GET /emulator/ui/runs/{id}/rejections`: the rejected rows with their reasons.
#[utoipa::path(
    get,
    path = "/emulator/ui/runs/{id}/rejections",
    tag = tags::CONSOLE,
    security(("session" = [])),
    params(
        ("id" = String, Path, description = "The execution id"),
    ),
    responses(
        (status = 200, description = "The rejected rows of a run with their issues (HTML)", content_type = "text/html"),
        (status = 303, description = "No browser session: to /login?url=<this page>"),
        (status = 403, description = "The signed-in user is not a user of the tenant", content_type = "text/html"),
        (status = 404, description = "No such run", content_type = "text/html"),
        (status = 421, description = "The Host does not name the emulator", content_type = "application/json"),
    ),
)]
pub async fn rejections(
    who: SignedIn,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, Response> {
    let run = find_run(&state, &id).await?;
    let engine = state.engine_handle();
    let wanted = id.clone();
    let lines = super::blocking(move || engine.store().read(|r| r.rejections(&wanted))).await?;
    let tenant = state.tenant();
    let content = html! {
        p {
            a href={ "/emulator/ui/runs/" (run.execution_id) } { "\u{2190} the run" } " \u{00b7} "
            (badge(&status_text(run.status))) " \u{00b7} " (run.rejected_count) " of " (run.all_count) " rows rejected \u{00b7} "
            a href={ "/wrangling/api/dm/executions/" (run.execution_id) "/rejections?app=SAC" } { "as CSV (SAC's download)" }
        }
        table #rejections {
            thead { tr { th { "Source column" } th { "Target column" } th { "Issue" } th { "Value" } th.num { "Records" } } }
            tbody {
                @for r in &lines {
                    tr { td { (r.source_col) } td { (r.target_col) } td.issue { (r.issue) } td { code { (r.value) } } td.num { (r.records) } }
                }
                @if lines.is_empty() { tr { td.empty colspan="5" { "No rows were rejected." } } }
            }
        }
    };
    let title = format!("Rejected rows of run {}", run.execution_id);
    Ok(page(Frame { title: &title, nav: Nav::Schedules, who: &who, tenant: &tenant.letter, live: false }, content))
}
