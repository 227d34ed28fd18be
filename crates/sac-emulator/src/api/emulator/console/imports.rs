//! Data Import API jobs: their state and counts, and the invalid rows of one.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;

use super::layout::{self, badge, page, Frame, Nav};
use super::SignedIn;
use crate::api::openapi::responses::ConsolePageRefusals;
use crate::api::openapi::tags;
use crate::api::state::AppState;

/// How many jobs the list shows, and invalid rows a job page.
const JOBS_SHOWN: i64 = 200;
const INVALID_ROWS_SHOWN: i64 = 1000;

/// `GET /emulator/ui/imports`
#[utoipa::path(
    get,
    path = "/emulator/ui/imports",
    tag = tags::CONSOLE,
    security(("session" = [])),
    responses(
        (status = 200, description = "Data Import API jobs, newest first (HTML)", content_type = "text/html"),
        ConsolePageRefusals,
    ),
)]
pub async fn list(who: SignedIn, State(state): State<AppState>) -> Result<Response, Response> {
    let engine = state.engine_handle();
    let jobs = super::blocking(move || {
        engine.tick()?;
        engine.store().read(|r| r.recent_import_jobs(JOBS_SHOWN))
    })
    .await?;
    let tenant = state.tenant();
    let live = jobs.iter().any(|j| j.status == "PROCESSING");
    let content = html! {
        p { "Jobs of the Data Import API (" code { "/api/v1/dataimport/..." } "), newest first." }
        table {
            thead { tr {
                th { "Job" } th { "Model" } th { "Type" } th { "Owner" } th { "Status" }
                th.num { "Rows" } th.num { "Failed" } th { "Updated (UTC)" } th { "Error" }
            } }
            tbody {
                @for j in &jobs {
                    tr {
                        td { a href={ "/emulator/ui/imports/" (j.job_id) } { code { (j.job_id) } } }
                        td { code { (tenant.object_name(&j.model)) } }
                        td { (j.import_type) }
                        td { (j.owner) }
                        td { (badge(&j.status)) }
                        td.num { (j.total) }
                        td.num { (j.failed) }
                        td { (j.updated) }
                        td { (j.error.as_deref().unwrap_or("")) }
                    }
                }
                @if jobs.is_empty() { tr { td.empty colspan="9" { "No Data Import jobs yet." } } }
            }
        }
    };
    Ok(page(Frame { title: "Data Import jobs", nav: Nav::Imports, who: &who, tenant: &tenant.letter, live }, content))
}

/// `GET /emulator/ui/imports/{id}`: one job and its invalid rows.
#[utoipa::path(
    get,
    path = "/emulator/ui/imports/{id}",
    tag = tags::CONSOLE,
    security(("session" = [])),
    params(
        ("id" = String, Path, description = "The job id"),
    ),
    responses(
        (status = 200, description = "One job with its settings and invalid rows (HTML)", content_type = "text/html"),
        (status = 303, description = "No browser session: to /login?url=<this page>"),
        (status = 403, description = "The signed-in user is not a user of the tenant", content_type = "text/html"),
        (status = 404, description = "No such job", content_type = "text/html"),
        (status = 421, description = "The Host does not name the emulator", content_type = "application/json"),
    ),
)]
pub async fn job(who: SignedIn, State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, Response> {
    let engine = state.engine_handle();
    let wanted = id.clone();
    let read = super::blocking(move || {
        engine.tick()?;
        engine.store().read(|r| {
            let job = r.import_job(&wanted)?;
            let rows = match &job {
                Some(_) => r.rejected_import_rows(&wanted, INVALID_ROWS_SHOWN)?,
                None => vec![],
            };
            Ok((job, rows))
        })
    })
    .await;
    let (Some(job), rows) = read? else {
        return Err(layout::error_page(StatusCode::NOT_FOUND, &format!("There is no Data Import job {id}.")));
    };
    let tenant = state.tenant();
    let mut columns: Vec<String> = Vec::new();
    for (row, _) in &rows {
        for k in row.keys() {
            if !columns.contains(k) {
                columns.push(k.clone());
            }
        }
    }
    let settings = serde_json::from_str::<serde_json::Value>(&job.settings)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or(job.settings.clone());
    let content = html! {
        dl.facts {
            dt { "Model" } dd { code { (tenant.object_name(&job.model)) } }
            dt { "Import type" } dd { (job.import_type) }
            dt { "Owner" } dd { (job.owner) }
            dt { "Status" } dd.status { (badge(&job.status)) }
            dt { "Rows" } dd { (job.total) }
            dt { "Failed rows" } dd { (job.failed) }
            dt { "Updated (UTC)" } dd { (job.updated) }
            @if let Some(error) = &job.error { dt { "Error" } dd { (error) } }
        }
        details { summary { "Mapping, default values and job settings" } pre { (settings) } }
        h2 { "Invalid rows" }
        table #invalid-rows {
            thead { tr { @for c in &columns { th { (c) } } th { "Reason" } } }
            tbody {
                @for (row, reason) in &rows {
                    tr { @for c in &columns { td { (row.get(c).map(String::as_str).unwrap_or("")) } } td.issue { (reason) } }
                }
                @if rows.is_empty() { tr { td.empty colspan=(columns.len() + 1) { "No invalid rows." } } }
            }
        }
    };
    let title = format!("Import job {}", job.job_id);
    let live = job.status == "PROCESSING";
    Ok(page(Frame { title: &title, nav: Nav::Imports, who: &who, tenant: &tenant.letter, live }, content))
}
