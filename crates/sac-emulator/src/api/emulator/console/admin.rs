//! Faults in force and the clock, with forms to add and clear faults, set
//! the clock, release pinned runs, jobs and executions, and reset the tenant.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::layout::{self, badge, page, post_form, Frame, Nav};
use super::SignedIn;
use crate::admin::{self, AdminError};
use crate::api::emulator::faults::FaultSpec;
use crate::api::openapi::responses::ConsolePageRefusals;
use crate::api::openapi::tags;
use crate::api::state::AppState;
use crate::clock::ClockMode;
use crate::engine::faults::Armed;
use crate::engine::runs::RUNNING;
use crate::engine::Fault;

/// The console's page for a refused operation.
fn refused(what: &str, error: AdminError) -> Response {
    match error {
        AdminError::Invalid(why) => layout::error_page(StatusCode::BAD_REQUEST, &format!("{what}: {why}.")),
        AdminError::NotFound(why) => layout::error_page(StatusCode::NOT_FOUND, &format!("{what}: {why}.")),
        AdminError::Store(e) => layout::internal(e),
    }
}

/// One fault in force as a row of the faults table.
fn fault_row(armed: &Armed) -> Markup {
    let does = serde_json::to_string(&FaultSpec::from(&armed.fault)).unwrap_or_default();
    let (path, method, what) = match &armed.fault {
        Fault::Request(r) => (r.path.as_str(), r.method.as_deref().unwrap_or("any"), html! { code { (does) } }),
        Fault::FailRuns(c) => {
            ("", "", html! { "The next " b { (armed.remaining) } " runs and import jobs fail: " (c.message) })
        }
        Fault::FailImportRuns(c) => {
            ("", "", html! { "The next " b { (armed.remaining) } " import jobs fail, writing nothing: " (c.message) })
        }
        Fault::FailDataActions(c) => {
            ("", "", html! { "The next " b { (armed.remaining) } " data-action steps fail: " (c.message) })
        }
        Fault::LogLag { reads, .. } => (
            "",
            "",
            html! { "The next " b { (armed.remaining) } " runs stay out of the logs for " (reads) " log reads" },
        ),
        Fault::CrashAfterRows { rows } => {
            ("", "", html! { "The emulator aborts when the next Data Import write has written " b { (rows) } " rows" })
        }
    };
    html! {
        tr { td { code { (path) } } td { (method) } td { (what) } td.num { (armed.remaining) } }
    }
}

fn clock_text(mode: ClockMode) -> String {
    match mode {
        ClockMode::Immediate => "immediate: runs and jobs finish by the time they are started".into(),
        ClockMode::Delay { seconds } => format!("delay: runs and jobs take {seconds} s"),
        ClockMode::Polls { polls } => format!("polls: runs and jobs report running to {polls} status reads"),
        ClockMode::Manual => "manual: runs and jobs stay running until released".into(),
    }
}

/// `GET /emulator/ui/admin`
#[utoipa::path(
    get,
    path = "/emulator/ui/admin",
    tag = tags::CONSOLE,
    security(("session" = [])),
    responses(
        (status = 200, description = "The clock, what runs, the faults in force, with their forms (HTML)", content_type = "text/html"),
        ConsolePageRefusals,
    ),
)]
pub async fn show(who: SignedIn, State(state): State<AppState>) -> Response {
    let engine = state.engine_handle();
    let pinned = super::blocking(move || {
        engine.tick()?;
        engine.store().read(|r| Ok((r.running_ma_executions()?, r.processing_import_jobs()?)))
    })
    .await;
    let (executions, jobs) = match pinned {
        Ok(p) => p,
        Err(r) => return r,
    };
    let tenant = state.tenant();
    let runs: Vec<_> = tenant
        .schedules
        .iter()
        .flat_map(|s| {
            state
                .engine()
                .schedule_log(&s.schedule_id)
                .runs
                .iter()
                .filter(|r| r.status == RUNNING)
                .cloned()
                .collect::<Vec<_>>()
        })
        .collect();
    let faults = admin::faults(state.engine());
    let clock = state.clock();
    let release = |id: &str, back: &str| -> Markup {
        post_form(
            &who,
            "/emulator/ui/release",
            "Release",
            html! {
                input type="hidden" name="id" value=(id);
                input type="hidden" name="back" value=(back);
            },
        )
    };
    let live = !runs.is_empty() || !executions.is_empty() || !jobs.is_empty();
    let content = html! {
        section #clock {
            h2 { "Clock" }
            p { "In force: " b { (clock_text(clock)) } }
            (post_form(&who, "/emulator/ui/clock", "Set the clock", html! {
                label { "Mode " select name="mode" {
                    option value="immediate" selected[clock == ClockMode::Immediate] { "immediate" }
                    option value="delay" selected[matches!(clock, ClockMode::Delay { .. })] { "delay (seconds)" }
                    option value="polls" selected[matches!(clock, ClockMode::Polls { .. })] { "polls (status reads)" }
                    option value="manual" selected[clock == ClockMode::Manual] { "manual (until released)" }
                } }
                " "
                label { "Seconds or reads " input name="amount" type="number" min="0" step="any" size="6" placeholder="2"; }
                " "
            }))
        }
        section #pinned {
            h2 { "In progress" }
            table {
                thead { tr { th { "What" } th { "Id" } th { "Status" } th { "Started by" } th {} } }
                tbody {
                    @for r in &runs {
                        tr { td { "Run of " (tenant.schedule(&r.schedule_id).map(|s| s.mapping_name.as_str()).unwrap_or("")) }
                             td { a href={ "/emulator/ui/runs/" (r.execution_id) } { code { (r.execution_id) } } }
                             td { (badge("Running")) } td { (r.user) } td { (release(&r.execution_id, "/emulator/ui/admin")) } }
                    }
                    @for e in &executions {
                        tr { td { "Execution of " (tenant.object_name(&e.multi_action)) }
                             td { a href={ "/emulator/ui/executions/" (e.execution_id) } { code { (e.execution_id) } } }
                             td { (badge(&e.status)) } td { (e.user) } td { (release(&e.execution_id, "/emulator/ui/admin")) } }
                    }
                    @for j in &jobs {
                        tr { td { "Import job into " (tenant.object_name(&j.model)) }
                             td { a href={ "/emulator/ui/imports/" (j.job_id) } { code { (j.job_id) } } }
                             td { (badge(&j.status)) } td { (j.owner) } td { (release(&j.job_id, "/emulator/ui/admin")) } }
                    }
                    @if !live { tr { td.empty colspan="5" { "Nothing is running." } } }
                }
            }
            @if live { (post_form(&who, "/emulator/ui/release", "Release all", html! { input type="hidden" name="back" value="/emulator/ui/admin"; })) }
        }
        section #faults {
            h2 { "Faults in force" }
            table {
                thead { tr { th { "Path prefix" } th { "Method" } th { "Does" } th.num { "Remaining" } } }
                tbody {
                    @for f in &faults { (fault_row(f)) }
                    @if faults.is_empty() { tr { td.empty colspan="4" { "No request faults." } } }
                }
            }
            (post_form(&who, "/emulator/ui/faults/clear", "Clear all faults", html! {}))
            h3 { "Add a fault" }
            (post_form(&who, "/emulator/ui/faults", "Add the fault", html! {
                div.grid {
                    label { "Kind " select name="kind" {
                        option value="status" { "answer with a status" }
                        option value="delay" { "delay the answer" }
                        option value="drop" { "drop the connection unanswered" }
                        option value="drop_response" { "handle, then drop the answer" }
                        option value="fail_runs" { "fail the next runs" }
                        option value="fail_import_runs" { "fail the next import job runs" }
                        option value="fail_data_actions" { "fail the next data actions" }
                        option value="log_lag_reads" { "hide the next run from N log reads" }
                        option value="expire_csrf" { "make the session's CSRF token stale" }
                        option value="expire_token" { "expire the bearer token" }
                        option value="crash_after_rows" { "abort after N rows of the next import write" }
                    } }
                    label { "Path prefix " input name="path" placeholder="/api/v1/csrf"; }
                    label { "Method " input name="method" placeholder="any" size="6"; }
                    label { "Status " input name="status" type="number" min="200" max="599" placeholder="503"; }
                    label { "Retry-After (s) " input name="retry_after" type="number" min="0"; }
                    label { "Delay (ms) " input name="delay_ms" type="number" min="0"; }
                    label { "Count (runs, jobs, actions, reads) " input name="count" type="number" min="0"; }
                    label { "Times " input name="times" type="number" min="1" placeholder="1"; }
                    label { "Message " input name="message" placeholder="(SAC's default)"; }
                }
            }))
        }
        section #reset {
            h2 { "Reset" }
            p { "Back to the seed tenant: runs, jobs, executions, tokens and sessions are forgotten (you are signed out)." }
            (post_form(&who, "/emulator/ui/reset", "Reset the emulator", html! {}))
        }
    };
    page(Frame { title: "Faults & clock", nav: Nav::Admin, who: &who, tenant: &tenant.letter, live }, content)
}

/// The add-a-fault form.
#[derive(Deserialize)]
pub struct FaultForm {
    kind: String,
    #[serde(default)]
    path: String,
    #[serde(default)]
    method: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    retry_after: String,
    #[serde(default)]
    delay_ms: String,
    #[serde(default)]
    count: String,
    #[serde(default)]
    times: String,
    #[serde(default)]
    message: String,
}

/// The admin API's fault body for a filled-in form, or what is wrong with it.
fn fault_spec(form: &FaultForm) -> Result<FaultSpec, String> {
    let mut spec = Map::new();
    let mut number = |key: &str, text: &str| -> Result<(), String> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(());
        }
        let n: u64 = text.parse().map_err(|_| format!("{key} must be a whole number, not {text:?}"))?;
        spec.insert(key.to_string(), json!(n));
        Ok(())
    };
    // The kinds that are a flag rather than a number.
    let flag = match form.kind.as_str() {
        "status" => {
            number("status", &form.status)?;
            number("retry_after", &form.retry_after)?;
            None
        }
        "delay" => {
            number("delay_ms", &form.delay_ms)?;
            None
        }
        "fail_runs" | "fail_import_runs" | "fail_data_actions" | "log_lag_reads" | "crash_after_rows" => {
            number(&form.kind, &form.count)?;
            None
        }
        "drop" | "drop_response" => Some((form.kind.clone(), json!(true))),
        "expire_csrf" => Some(("expire".to_string(), json!("csrf"))),
        "expire_token" => Some(("expire".to_string(), json!("token"))),
        other => return Err(format!("unknown kind of fault {other:?}")),
    };
    number("times", &form.times)?;
    spec.extend(flag);
    for (key, value) in [("path", &form.path), ("method", &form.method), ("message", &form.message)] {
        if !value.trim().is_empty() {
            spec.insert(key.to_string(), json!(value.trim()));
        }
    }
    serde_json::from_value(Value::Object(spec)).map_err(|e| e.to_string())
}

/// `POST /emulator/ui/faults`
#[utoipa::path(
    post,
    path = "/emulator/ui/faults",
    tag = tags::CONSOLE,
    security(("session" = [])),
    request_body(description = "The console's form token (field csrf), kind and the fault's fields", content((String = "application/x-www-form-urlencoded"))),
    responses(
        (status = 303, description = "The fault is in force: to the faults"),
        (status = 400, description = "Not a fault the admin API takes", content_type = "text/html"),
        (status = 403, description = "No session, no or another session's form token, or Origin names another site", content_type = "application/json"),
        (status = 415, description = "The body is not a form (application/x-www-form-urlencoded)", content_type = "application/json"),
        (status = 421, description = "The Host does not name the emulator", content_type = "application/json"),
    ),
)]
pub async fn add_fault(_who: SignedIn, State(state): State<AppState>, Form(form): Form<FaultForm>) -> Response {
    match fault_spec(&form).and_then(Fault::try_from) {
        Ok(fault) => {
            admin::arm_fault(state.engine(), fault);
            super::see_other("/emulator/ui/admin#faults")
        }
        Err(why) => layout::error_page(StatusCode::BAD_REQUEST, &format!("The fault was not added: {why}.")),
    }
}

/// `POST /emulator/ui/faults/clear`
#[utoipa::path(
    post,
    path = "/emulator/ui/faults/clear",
    tag = tags::CONSOLE,
    security(("session" = [])),
    request_body(description = "The console's form token (field csrf)", content((String = "application/x-www-form-urlencoded"))),
    responses(
        (status = 303, description = "No faults any more: to the faults"),
        (status = 403, description = "No session, no or another session's form token, or Origin names another site", content_type = "application/json"),
        (status = 415, description = "The body is not a form (application/x-www-form-urlencoded)", content_type = "application/json"),
        (status = 421, description = "The Host does not name the emulator", content_type = "application/json"),
    ),
)]
pub async fn clear_faults(_who: SignedIn, State(state): State<AppState>) -> Response {
    admin::clear_faults(state.engine());
    super::see_other("/emulator/ui/admin#faults")
}

#[derive(Deserialize)]
pub struct ClockForm {
    mode: String,
    #[serde(default)]
    amount: String,
}

fn clock_mode(form: &ClockForm) -> Result<ClockMode, String> {
    let amount = form.amount.trim();
    let amount = if amount.is_empty() { None } else { Some(amount) };
    match form.mode.as_str() {
        "immediate" => Ok(ClockMode::Immediate),
        "manual" => Ok(ClockMode::Manual),
        "delay" => {
            let seconds: f64 =
                amount.unwrap_or("2").parse().map_err(|_| "the delay is a number of seconds".to_string())?;
            Ok(ClockMode::Delay { seconds })
        }
        "polls" => {
            let polls: u32 = amount.unwrap_or("3").parse().map_err(|_| "the reads are a whole number".to_string())?;
            Ok(ClockMode::Polls { polls })
        }
        other => Err(format!("unknown clock mode {other:?}")),
    }
}

/// `POST /emulator/ui/clock`
#[utoipa::path(
    post,
    path = "/emulator/ui/clock",
    tag = tags::CONSOLE,
    security(("session" = [])),
    request_body(description = "The console's form token (field csrf), mode and amount", content((String = "application/x-www-form-urlencoded"))),
    responses(
        (status = 303, description = "The clock is set: to the clock"),
        (status = 400, description = "Not a clock mode", content_type = "text/html"),
        (status = 403, description = "No session, no or another session's form token, or Origin names another site", content_type = "application/json"),
        (status = 415, description = "The body is not a form (application/x-www-form-urlencoded)", content_type = "application/json"),
        (status = 421, description = "The Host does not name the emulator", content_type = "application/json"),
    ),
)]
pub async fn set_clock(_who: SignedIn, State(state): State<AppState>, Form(form): Form<ClockForm>) -> Response {
    let changed =
        clock_mode(&form).map_err(AdminError::Invalid).and_then(|mode| admin::set_clock(state.engine(), mode));
    match changed {
        Ok(_) => super::see_other("/emulator/ui/admin#clock"),
        Err(e) => refused("The clock was not changed", e),
    }
}

#[derive(Deserialize)]
pub struct ReleaseForm {
    #[serde(default)]
    id: String,
    #[serde(default)]
    back: String,
}

/// `POST /emulator/ui/release`: finishes one pinned run, job or execution, or all.
#[utoipa::path(
    post,
    path = "/emulator/ui/release",
    tag = tags::CONSOLE,
    security(("session" = [])),
    request_body(description = "The console's form token (field csrf), id (none: all) and back", content((String = "application/x-www-form-urlencoded"))),
    responses(
        (status = 303, description = "Released: back to the page given in `back`"),
        (status = 404, description = "Nothing with that id is running", content_type = "text/html"),
        (status = 403, description = "No session, no or another session's form token, or Origin names another site", content_type = "application/json"),
        (status = 415, description = "The body is not a form (application/x-www-form-urlencoded)", content_type = "application/json"),
        (status = 421, description = "The Host does not name the emulator", content_type = "application/json"),
    ),
)]
pub async fn release(_who: SignedIn, State(state): State<AppState>, Form(form): Form<ReleaseForm>) -> Response {
    let id = Some(form.id.trim().to_string()).filter(|i| !i.is_empty());
    let engine = state.engine_handle();
    match crate::api::blocking(move || admin::release(&engine, id.as_deref())).await {
        Ok(_) => {
            let back = form.back.trim();
            super::see_other(if back.starts_with("/emulator/ui") { back } else { "/emulator/ui/admin" })
        }
        Err(AdminError::NotFound(_)) => layout::error_page(
            StatusCode::NOT_FOUND,
            &format!("Nothing with id {} is running (it may have finished already).", form.id.trim()),
        ),
        Err(e) => refused("Nothing was released", e),
    }
}

/// `POST /emulator/ui/reset`: back to the seed tenant (the session ends with it).
#[utoipa::path(
    post,
    path = "/emulator/ui/reset",
    tag = tags::CONSOLE,
    security(("session" = [])),
    request_body(description = "The console's form token (field csrf)", content((String = "application/x-www-form-urlencoded"))),
    responses(
        (status = 303, description = "Back to the seed tenant; the session is gone: to the console (then the login)"),
        (status = 403, description = "No session, no or another session's form token, or Origin names another site", content_type = "application/json"),
        (status = 415, description = "The body is not a form (application/x-www-form-urlencoded)", content_type = "application/json"),
        (status = 421, description = "The Host does not name the emulator", content_type = "application/json"),
    ),
)]
pub async fn reset(_who: SignedIn, State(state): State<AppState>) -> Response {
    let seeding = state.clone();
    match crate::api::blocking(move || admin::reset(&seeding, seeding.engine())).await {
        Ok(_) => super::see_other(super::ROOT),
        Err(e) => refused("The emulator was not reset", e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(kind: &str, pairs: &[(&str, &str)]) -> FaultForm {
        let get = |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string()).unwrap_or_default();
        FaultForm {
            kind: kind.into(),
            path: get("path"),
            method: get("method"),
            status: get("status"),
            retry_after: get("retry_after"),
            delay_ms: get("delay_ms"),
            count: get("count"),
            times: get("times"),
            message: get("message"),
        }
    }

    #[test]
    fn forms_become_the_admin_api_bodies() {
        let spec = fault_spec(&form("status", &[("path", "/api/v1/csrf"), ("status", "503"), ("times", "2")])).unwrap();
        assert_eq!((spec.status, spec.times, spec.path.as_deref()), (Some(503), Some(2), Some("/api/v1/csrf")));
        let spec = fault_spec(&form("fail_runs", &[("count", "1"), ("message", "down")])).unwrap();
        assert_eq!((spec.fail_runs, spec.message.as_deref()), (Some(1), Some("down")));
        let spec = fault_spec(&form("fail_import_runs", &[("count", "2")])).unwrap();
        assert_eq!((spec.fail_import_runs, spec.fail_runs), (Some(2), None));
        assert!(fault_spec(&form("drop", &[("path", "/x")])).unwrap().drop);
        let expire = fault_spec(&form("expire_token", &[("path", "/x")])).unwrap();
        assert_eq!(expire.expire, Some(crate::api::emulator::faults::Expire::Token));
        let crash = fault_spec(&form("crash_after_rows", &[("count", "0")])).unwrap();
        assert_eq!(Fault::try_from(crash), Ok(Fault::CrashAfterRows { rows: 0 }));
        assert!(fault_spec(&form("status", &[("status", "five")])).unwrap_err().contains("whole number"));
        assert!(fault_spec(&form("nonsense", &[])).is_err());
        let clock = |mode: &str, amount: &str| clock_mode(&ClockForm { mode: mode.into(), amount: amount.into() });
        assert_eq!(clock("delay", "1.5"), Ok(ClockMode::Delay { seconds: 1.5 }));
        assert_eq!(clock("polls", ""), Ok(ClockMode::Polls { polls: 3 }));
        assert!(clock("delay", "x").is_err());
    }
}
