//! `GET /emulator/`: a page that shows the emulator's state and refreshes itself.

use axum::extract::State;
use axum::response::{IntoResponse, Response};

use super::openapi::tags;
use super::responses::{escape, internal};
use super::state::AppState;

/// `GET /emulator/`: a page that shows the emulator's state and refreshes itself.
#[utoipa::path(
    get,
    path = "/emulator/",
    tag = tags::ADMIN,
    security((), ("adminToken" = [])),
    responses(
        (status = 200, description = "The emulator's state (HTML)", content_type = "text/html"),
        (status = 421, description = "The Host does not name the emulator", content_type = "application/json"),
    ),
)]
pub async fn dashboard(State(state): State<AppState>) -> Response {
    if let Err(e) = state.engine().tick() {
        return internal(e);
    }
    let tenant = state.tenant();
    let store = state.store();
    let mut schedules = String::new();
    for s in &tenant.schedules {
        let log = state.engine().schedule_log(&s.schedule_id);
        let rows: String = log
            .runs
            .iter()
            .take(10)
            .map(|r| {
                format!(
                    "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}/{}/{}</td><td>{}</td></tr>",
                    escape(&r.execution_id),
                    r.status,
                    escape(&r.user),
                    escape(&r.start_time),
                    escape(r.end_time.as_deref().unwrap_or("")),
                    r.all_count,
                    r.rejected_count,
                    r.inserted_count,
                    escape(r.message.as_deref().unwrap_or(""))
                )
            })
            .collect();
        schedules.push_str(&format!(
            "<h3>{} &rarr; {} <small><code>{}</code></small></h3><table><tr><th>execution</th><th>status</th><th>user</th>\
<th>start (UTC)</th><th>end (UTC)</th><th>read/rejected/inserted</th><th>message</th></tr>{rows}</table>",
            escape(&s.mapping_name),
            escape(&tenant.object_name(&s.target)),
            escape(&s.schedule_id)
        ));
    }
    let dimensions: String = tenant
        .dimensions
        .iter()
        .map(|d| {
            let count = store.read(|r| r.member_count(&d.id)).unwrap_or(-1);
            format!(
                "<li><a href=\"/emulator/models/{id}/rows\"><code>{name}</code></a>: {count} members</li>",
                id = escape(&d.id),
                name = escape(&tenant.object_name(&d.id))
            )
        })
        .collect();
    let mut executions = String::new();
    for ma in &tenant.multi_actions {
        for e in store.read(|r| r.ma_executions_of(&ma.id)).unwrap_or_default().into_iter().take(10) {
            executions.push_str(&format!(
                "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&tenant.object_name(&ma.id)),
                escape(&e.execution_id),
                escape(&e.status),
                escape(&e.user),
                escape(&e.start_time),
                escape(e.end_time.as_deref().unwrap_or(""))
            ));
        }
    }
    let jobs: String = store
        .read(|r| r.recent_import_jobs(10))
        .unwrap_or_default()
        .into_iter()
        .map(|j| {
            format!(
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}/{}</td><td>{}</td></tr>",
                escape(&j.job_id),
                escape(&j.model),
                escape(&j.owner),
                escape(&j.status),
                j.total,
                j.failed,
                escape(&j.updated)
            )
        })
        .collect();
    let faults = serde_json::to_string(&*state.faults()).unwrap_or_default();
    let requests: String = state
        .requests()
        .iter()
        .rev()
        .take(20)
        .map(|r| {
            format!(
                "<tr><td>{}</td><td>{:?}</td><td>{} {}</td><td>{}</td><td>{} ms</td></tr>",
                escape(&r.time),
                r.domain,
                escape(&r.method),
                escape(&if r.query.is_empty() { r.path.clone() } else { format!("{}?{}", r.path, r.query) }),
                r.status,
                r.duration_ms
            )
        })
        .collect();
    let urls = state.urls().cloned();
    let body = format!(
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="2">
<title>SAC emulator - tenant {letter}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.2em .5em;font-size:90%}}</style>
</head><body><h1>SAC emulator &mdash; tenant {letter}</h1>
<p>Browser domain and token service: <code>{tenant_url}</code> &middot; direct API domain: <code>{api_url}</code> &middot; clock: <code>{clock}</code></p>
<h2>Data imports</h2>{schedules}
<h2>Multi action executions</h2><table><tr><th>multi action</th><th>execution</th><th>status</th><th>user</th><th>start (UTC)</th><th>end (UTC)</th></tr>{executions}</table>
<h2>Data Import jobs</h2><table><tr><th>job</th><th>model</th><th>owner</th><th>status</th><th>rows/failed</th><th>updated</th></tr>{jobs}</table>
<h2>Dimensions</h2><ul>{dimensions}</ul>
<h2>Faults in force</h2><pre>{faults}</pre>
<h2>Last requests</h2><table><tr><th>time</th><th>domain</th><th>request</th><th>status</th><th>took</th></tr>{requests}</table>
</body></html>"#,
        letter = escape(&tenant.letter),
        tenant_url = escape(&urls.as_ref().map(|u| u.tenant_url.clone()).unwrap_or_default()),
        api_url = escape(&urls.as_ref().map(|u| u.api_url.clone()).unwrap_or_default()),
        clock = escape(&serde_json::to_string(&state.clock()).unwrap_or_default()),
        faults = escape(&faults),
    );
    axum::response::Html(body).into_response()
}

/// The dashboard's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(dashboard))]
pub(crate) struct Doc;
