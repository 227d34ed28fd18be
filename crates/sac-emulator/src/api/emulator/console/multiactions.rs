//! Multi actions: their parameters and steps, "Run now" with parameter
//! values, their executions and the messages of one.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use maud::html;
use serde_json::Value;

use super::layout::{self, badge, page, post_form, Frame, Nav};
use super::SignedIn;
use crate::api::openapi::responses::ConsolePageRefusals;
use crate::api::openapi::tags;
use crate::api::state::AppState;
use crate::tenant::MultiActionStep;

/// How many executions of a multi action the list shows.
const EXECUTIONS_SHOWN: usize = 25;

/// The form field of a parameter's value.
fn field(parameter: &str) -> String {
    format!("p.{parameter}")
}

/// `GET /emulator/ui/multiactions`
#[utoipa::path(
    get,
    path = "/emulator/ui/multiactions",
    tag = tags::CONSOLE,
    security(("session" = [])),
    responses(
        (status = 200, description = "Multi actions with their steps, parameters and executions (HTML)", content_type = "text/html"),
        ConsolePageRefusals,
    ),
)]
pub async fn list(who: SignedIn, State(state): State<AppState>) -> Result<Response, Response> {
    let tenant = state.tenant();
    let engine = state.engine_handle();
    let t = tenant.clone();
    let executions = super::blocking(move || {
        engine.tick()?;
        engine
            .store()
            .read(|r| t.multi_actions.iter().map(|ma| r.ma_executions_of(&ma.id)).collect::<Result<Vec<_>, _>>())
    })
    .await?;
    let live = executions.iter().flatten().any(|e| e.status == "running");
    let content = html! {
        @for (ma, runs) in tenant.multi_actions.iter().zip(&executions) {
            section.multiaction id={ "ma-" (ma.id) } {
                h2 { code { (tenant.object_name(&ma.id)) } }
                p { (ma.description) }
                ol.steps {
                    @for step in &ma.steps {
                        li { @match step {
                            MultiActionStep::DataImport { schedule_id } => {
                                "Data import " code { (tenant.schedule(schedule_id).map(|s| s.mapping_name.as_str()).unwrap_or(schedule_id)) }
                            }
                            MultiActionStep::CopyVersion { model, from, to_parameter } => {
                                "Copy " code { (from) } " of " code { (model) } " into the version of parameter " code { (to_parameter) }
                            }
                        } }
                    }
                }
                @if who.may_run() {
                    (post_form(&who, &format!("/emulator/ui/multiactions/{}/run", ma.id), "Run now", html! {
                        @for p in &ma.parameters {
                            label {
                                (p.id) " "
                                select name=(field(&p.id)) {
                                    @for v in tenant.model(&p.version_of).map(|m| m.versions.as_slice()).unwrap_or(&[]) {
                                        option value=(v) { (v) }
                                    }
                                }
                            }
                            " "
                        }
                    }))
                } @else {
                    p.note { "Viewers may not execute multi actions." }
                }
                table {
                    thead { tr { th { "Execution" } th { "Status" } th { "User" } th { "Start (UTC)" } th { "End (UTC)" } th { "Parameters" } } }
                    tbody {
                        @for e in runs.iter().take(EXECUTIONS_SHOWN) {
                            tr {
                                td { a href={ "/emulator/ui/executions/" (e.execution_id) } { code { (e.execution_id) } } }
                                td { (badge(&e.status)) }
                                td { (e.user) }
                                td { (e.start_time) }
                                td { (e.end_time.as_deref().unwrap_or("")) }
                                td { code { (e.parameters) } }
                            }
                        }
                        @if runs.is_empty() { tr { td.empty colspan="6" { "No executions yet." } } }
                    }
                }
            }
        }
        @if tenant.multi_actions.is_empty() { p.empty { "The tenant has no multi actions." } }
    };
    Ok(page(Frame { title: "Multi actions", nav: Nav::MultiActions, who: &who, tenant: &tenant.letter, live }, content))
}

/// `POST /emulator/ui/multiactions/{id}/run`: an execution as the signed-in
/// user, with the parameter values of the form (`p.<parameter>=<member>`).
#[utoipa::path(
    post,
    path = "/emulator/ui/multiactions/{id}/run",
    tag = tags::CONSOLE,
    security(("session" = [])),
    params(
        ("id" = String, Path, description = "The multi action id (bare)"),
    ),
    request_body(description = "The console's form token (field csrf) and p.<parameter>=<member> per parameter", content((String = "application/x-www-form-urlencoded"))),
    responses(
        (status = 303, description = "An execution started as the signed-in user: to its page"),
        (status = 400, description = "A parameter has no value", content_type = "text/html"),
        (status = 404, description = "No such multi action", content_type = "text/html"),
        (status = 403, description = "Viewers may not execute multi actions", content_type = "text/html"),
        (status = 403, description = "No session, no or another session's form token, or Origin names another site", content_type = "application/json"),
        (status = 415, description = "The body is not a form (application/x-www-form-urlencoded)", content_type = "application/json"),
        (status = 421, description = "The Host does not name the emulator", content_type = "application/json"),
    ),
)]
pub async fn run_now(
    who: SignedIn,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let tenant = state.tenant();
    let Some(ma) = tenant.multi_action(&id).cloned() else {
        return layout::error_page(StatusCode::NOT_FOUND, &format!("The multi action {id} does not exist."));
    };
    if !who.may_run() {
        return layout::error_page(
            StatusCode::FORBIDDEN,
            &format!("User {} is not authorized to execute the multi action {id}.", who.user),
        );
    }
    let mut chosen = serde_json::Map::new();
    for p in &ma.parameters {
        match fields.iter().find(|(k, _)| *k == field(&p.id)) {
            Some((_, member)) => chosen.insert(p.id.clone(), Value::String(member.clone())),
            None => {
                return layout::error_page(
                    StatusCode::BAD_REQUEST,
                    &format!("No value was provided for the parameter {}.", p.id),
                )
            }
        };
    }
    let execution = crate::api::sac::multiactions::new_execution(&state, &tenant, &ma, who.user.clone(), chosen);
    let engine = state.engine_handle();
    match super::blocking(move || engine.start_execution(execution)).await {
        Ok(e) => super::see_other(&format!("/emulator/ui/executions/{}", e.execution_id)),
        Err(r) => r,
    }
}

/// `GET /emulator/ui/executions/{id}`: one execution and its messages.
#[utoipa::path(
    get,
    path = "/emulator/ui/executions/{id}",
    tag = tags::CONSOLE,
    security(("session" = [])),
    params(
        ("id" = String, Path, description = "The execution id"),
    ),
    responses(
        (status = 200, description = "One multi action execution with its messages (HTML)", content_type = "text/html"),
        (status = 303, description = "No browser session: to /login?url=<this page>"),
        (status = 403, description = "The signed-in user is not a user of the tenant", content_type = "text/html"),
        (status = 404, description = "No such execution", content_type = "text/html"),
        (status = 421, description = "The Host does not name the emulator", content_type = "application/json"),
    ),
)]
pub async fn execution(
    who: SignedIn,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, Response> {
    let engine = state.engine_handle();
    let wanted = id.clone();
    let found = super::blocking(move || {
        engine.tick()?;
        engine.store().read(|r| r.ma_execution(&wanted))
    })
    .await;
    let Some(e) = found? else {
        return Err(layout::error_page(StatusCode::NOT_FOUND, &format!("There is no multi action execution {id}.")));
    };
    let tenant = state.tenant();
    let messages: Vec<Value> = serde_json::from_str(&e.messages).unwrap_or_default();
    let text = |m: &Value, k: &str| m.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let running = e.status == "running";
    let content = html! {
        p { "Execution of " a href={ "/emulator/ui/multiactions#ma-" (e.multi_action) } { code { (tenant.object_name(&e.multi_action)) } } }
        dl.facts {
            dt { "Status" } dd.status { (badge(&e.status)) }
            dt { "User" } dd { (e.user) }
            dt { "Started (UTC)" } dd { (e.start_time) }
            dt { "Ended (UTC)" } dd { (e.end_time.as_deref().unwrap_or("\u{2014}")) }
            dt { "Parameters" } dd { code { (e.parameters) } }
        }
        @if running {
            p.note { "The execution is in progress; this page follows it." }
            (post_form(&who, "/emulator/ui/release", "Release this execution", html! {
                input type="hidden" name="id" value=(e.execution_id);
                input type="hidden" name="back" value={ "/emulator/ui/executions/" (e.execution_id) };
            }))
        }
        h2 { "Messages" }
        table #messages {
            thead { tr { th { "Severity" } th { "Code" } th { "Message" } th { "Details" } } }
            tbody {
                @for m in &messages {
                    tr {
                        td { (badge(&text(m, "severity"))) }
                        td { code { (text(m, "code")) } }
                        td { (text(m, "message")) }
                        td { code { (m.get("details").map(Value::to_string).unwrap_or_default()) } }
                    }
                }
                @if messages.is_empty() { tr { td.empty colspan="4" { "No messages." } } }
            }
        }
    };
    let title = format!("Execution {}", e.execution_id);
    Ok(page(Frame { title: &title, nav: Nav::MultiActions, who: &who, tenant: &tenant.letter, live: running }, content))
}
