//! The overview, the planning models and public dimensions, and the rows of
//! one of them (paged; a model's facts filtered by any of its dimensions).

use std::collections::{BTreeSet, HashMap};

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;

use super::layout::{self, page, pager, paging, Frame, Nav};
use super::SignedIn;
use crate::api::openapi::responses::ConsolePageRefusals;
use crate::api::openapi::tags;
use crate::api::state::AppState;
use crate::store::{FactQuery, FactTable, Reader, StoreResult};
use crate::tenant::Row;

/// How many values a filter field offers to pick from.
const FILTER_CHOICES: usize = 200;

/// How many members of a dimension a filtered page looks at (the store
/// pages members by key only, so attribute filters apply in memory).
const MEMBER_SCAN: i64 = 100_000;

/// The values each column offers for filtering.
type Choices = Vec<(String, Vec<String>)>;

/// A page of a dimension's members: by key from the store when nothing is
/// filtered, else filtered by attribute values in memory; with the values
/// each attribute offers for filtering.
fn member_page(
    r: &Reader<'_>,
    dimension: &str,
    attributes: &[String],
    filter: &[(String, String)],
    offset: i64,
    limit: i64,
) -> StoreResult<(Vec<Row>, Choices)> {
    let all = r.members(dimension, 0, MEMBER_SCAN)?;
    let choices = attributes
        .iter()
        .map(|a| {
            let values: BTreeSet<&String> = all.iter().filter_map(|m| m.get(a)).filter(|v| !v.is_empty()).collect();
            (a.clone(), values.into_iter().take(FILTER_CHOICES).cloned().collect())
        })
        .collect();
    let rows = if filter.is_empty() {
        r.members(dimension, offset, limit)?
    } else {
        all.into_iter()
            .filter(|m| filter.iter().all(|(k, v)| m.get(k) == Some(v)))
            .skip(offset as usize)
            .take(limit as usize)
            .collect()
    };
    Ok((rows, choices))
}

/// `GET /emulator/ui`: the tenant at a glance.
#[utoipa::path(
    get,
    path = "/emulator/ui",
    tag = tags::CONSOLE,
    security(("session" = [])),
    responses(
        (status = 200, description = "The tenant at a glance: URLs, clock, counts (HTML)", content_type = "text/html"),
        ConsolePageRefusals,
    ),
)]
pub async fn overview(who: SignedIn, State(state): State<AppState>) -> Result<Response, Response> {
    let tenant = state.tenant();
    let engine = state.engine_handle();
    let counts = super::blocking(move || {
        engine.tick()?;
        engine.store().read(|r| Ok((r.recent_import_jobs(1000)?.len(), r.running_ma_executions()?.len())))
    })
    .await;
    let (jobs, running_executions) = counts?;
    let running_runs: usize = tenant
        .schedules
        .iter()
        .map(|s| state.engine().schedule_log(&s.schedule_id).runs.iter().filter(|r| r.status == 5).count())
        .sum();
    let urls = state.urls().cloned();
    let clock = serde_json::to_string(&state.clock()).unwrap_or_default();
    let content = html! {
        p.lead { "A local SAP Analytics Cloud tenant: what it holds, what ran and why, and the knobs that make it misbehave on purpose." }
        dl.facts {
            dt { "Browser domain and token service" } dd { code { (urls.as_ref().map(|u| u.tenant_url.as_str()).unwrap_or("")) } }
            dt { "Direct API domain" } dd { code { (urls.as_ref().map(|u| u.api_url.as_str()).unwrap_or("")) } }
            dt { "Clock" } dd { code { (clock) } }
        }
        div.cards {
            a.card href="/emulator/ui/models" { b { (tenant.models.len()) } " planning models, " b { (tenant.dimensions.len()) } " public dimensions" }
            a.card href="/emulator/ui/schedules" { b { (tenant.schedules.len()) } " data imports, " b { (running_runs) } " running" }
            a.card href="/emulator/ui/imports" { b { (jobs) } " Data Import jobs" }
            a.card href="/emulator/ui/multiactions" { b { (tenant.multi_actions.len()) } " multi actions, " b { (running_executions) } " running" }
            a.card href="/emulator/ui/admin" { b { (crate::admin::faults(state.engine()).len()) } " faults in force" }
        }
    };
    let live = running_runs > 0 || running_executions > 0;
    Ok(page(Frame { title: "Overview", nav: Nav::Overview, who: &who, tenant: &tenant.letter, live }, content))
}

/// `GET /emulator/ui/models`: planning models and public dimensions.
#[utoipa::path(
    get,
    path = "/emulator/ui/models",
    tag = tags::CONSOLE,
    security(("session" = [])),
    responses(
        (status = 200, description = "Planning models and public dimensions with their row counts (HTML)", content_type = "text/html"),
        ConsolePageRefusals,
    ),
)]
pub async fn list(who: SignedIn, State(state): State<AppState>) -> Result<Response, Response> {
    let tenant = state.tenant();
    let store_counts = {
        let t = tenant.clone();
        let engine = state.engine_handle();
        super::blocking(move || {
            engine.store().read(|r| {
                let facts = t.models.iter().map(|m| r.fact_count(&FactTable::of(m))).collect::<Result<Vec<_>, _>>()?;
                let members = t.dimensions.iter().map(|d| r.member_count(&d.id)).collect::<Result<Vec<_>, _>>()?;
                Ok((facts, members))
            })
        })
        .await
    };
    let (facts, members) = store_counts?;
    let content = html! {
        h2 { "Planning models" }
        table {
            thead { tr { th { "Model" } th { "Description" } th { "Dimensions" } th { "Measures" } th { "Versions" } th.num { "Rows" } } }
            tbody {
                @for (model, count) in tenant.models.iter().zip(&facts) {
                    tr {
                        td { a href={ "/emulator/ui/models/" (model.id) } { code { (tenant.object_name(&model.id)) } } }
                        td { (model.description) }
                        td { @for (i, d) in model.dimensions.iter().enumerate() { @if i > 0 { ", " } (d.name) } }
                        td { (model.measures.join(", ")) }
                        td { (model.versions.join(", ")) }
                        td.num { (count) }
                    }
                }
            }
        }
        h2 { "Public dimensions" }
        table {
            thead { tr { th { "Dimension" } th { "Description" } th { "Attributes" } th.num { "Members" } } }
            tbody {
                @for (dim, count) in tenant.dimensions.iter().zip(&members) {
                    tr {
                        td { a href={ "/emulator/ui/models/" (dim.id) } { code { (tenant.object_name(&dim.id)) } } }
                        td { (dim.description) }
                        td { (dim.attributes.join(", ")) }
                        td.num { (count) }
                    }
                }
            }
        }
    };
    Ok(page(
        Frame { title: "Models and dimensions", nav: Nav::Models, who: &who, tenant: &tenant.letter, live: false },
        content,
    ))
}

/// `GET /emulator/ui/models/{id}?offset=&limit=&<Dimension>=<member>...`:
/// the facts of a planning model or the members of a public dimension.
#[utoipa::path(
    get,
    path = "/emulator/ui/models/{id}",
    tag = tags::CONSOLE,
    security(("session" = [])),
    params(
        ("id" = String, Path, description = "A model or dimension, `t.G:ID` or bare `ID`"),
        ("offset" = Option<i64>, Query, description = "Rows to skip (default 0)"),
        ("limit" = Option<i64>, Query, description = "Rows to show (default 50, at most 1000)"),
    ),
    responses(
        (status = 200, description = "The stored facts of a model, paged and filtered by any dimension (`?Version=public.Plan`), or the members of a dimension (HTML)", content_type = "text/html"),
        (status = 303, description = "No browser session: to /login?url=<this page>"),
        (status = 403, description = "The signed-in user is not a user of the tenant", content_type = "text/html"),
        (status = 404, description = "No such model or dimension", content_type = "text/html"),
        (status = 421, description = "The Host does not name the emulator", content_type = "application/json"),
    ),
)]
pub async fn rows(
    who: SignedIn,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, Response> {
    let tenant = state.tenant();
    let bare = tenant.strip_package(&id).unwrap_or(&id).to_string();
    let model = tenant.model(&bare).cloned();
    let Some(description) = model
        .as_ref()
        .map(|m| m.description.clone())
        .or_else(|| tenant.dimension(&bare).map(|d| d.description.clone()))
    else {
        return Err(layout::error_page(
            StatusCode::NOT_FOUND,
            &format!("Tenant {} has no model or dimension {id}.", tenant.letter),
        ));
    };
    let (offset, limit) = paging(&q, 50);
    let table = model.as_ref().map(FactTable::of);
    // Filters: only the model's dimensions, only non-empty values.
    let filter: Vec<(String, String)> = match &table {
        Some(t) => t
            .dimensions
            .iter()
            .filter_map(|d| q.get(d).map(|v| v.trim()).filter(|v| !v.is_empty()).map(|v| (d.clone(), v.to_string())))
            .collect(),
        None => {
            let attributes = tenant.dimension(&bare).map(|d| d.attributes.clone()).unwrap_or_default();
            attributes
                .into_iter()
                .filter_map(|a| q.get(&a).map(|v| v.trim().to_string()).filter(|v| !v.is_empty()).map(|v| (a, v)))
                .collect()
        }
    };
    let attributes = tenant.dimension(&bare).map(|d| d.attributes.clone()).unwrap_or_default();
    let engine = state.engine_handle();
    let (read_table, read_filter, read_bare) = (table.clone(), filter.clone(), bare.clone());
    let read = super::blocking(move || {
        engine.tick()?;
        engine.store().read(|r| match &read_table {
            Some(t) => {
                let query = FactQuery { conditions: &read_filter, offset, limit: limit + 1, ..Default::default() };
                let rows: Vec<Row> = r.facts(t, &query)?.iter().map(|f| f.to_row(t)).collect();
                let mut choices = Vec::new();
                for d in &t.dimensions {
                    let mut values = r.fact_values(t, d)?;
                    values.truncate(FILTER_CHOICES);
                    choices.push((d.clone(), values));
                }
                Ok((r.fact_count(t)?, rows, choices))
            }
            None => {
                let (rows, choices) = member_page(r, &read_bare, &attributes, &read_filter, offset, limit + 1)?;
                Ok((r.member_count(&read_bare)?, rows, choices))
            }
        })
    })
    .await;
    let (total, mut rows, choices) = read?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let columns: Vec<String> = match (&table, tenant.dimension(&bare)) {
        (Some(t), _) => t.dimensions.iter().chain(&t.measures).cloned().collect(),
        (None, Some(d)) => {
            let mut columns = d.attributes.clone();
            for row in &rows {
                columns.extend(row.keys().filter(|k| !columns.contains(k)).cloned().collect::<Vec<_>>());
            }
            columns
        }
        (None, None) => vec![],
    };
    let keep: String = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(filter.iter()).finish();
    let base = format!("/emulator/ui/models/{bare}");
    let name = tenant.object_name(&bare);
    let content = html! {
        p { (description) " \u{00b7} " code { (name) } " \u{00b7} " (total) (if table.is_some() { " rows stored" } else { " members" }) }
        @if !choices.is_empty() {
            form.filter method="get" action=(base) {
                @for (dim, values) in &choices {
                    label {
                        (dim)
                        input name=(dim) list={ "values-" (dim) } value=(q.get(dim).map(String::as_str).unwrap_or("")) placeholder="any";
                        datalist id={ "values-" (dim) } { @for v in values { option value=(v) {} } }
                    }
                }
                input type="hidden" name="limit" value=(limit);
                button type="submit" { "Filter" }
                " " a href=(base) { "clear" }
            }
        }
        table.rows {
            thead { tr { @for c in &columns { th { (c) } } } }
            tbody {
                @for row in &rows {
                    tr { @for c in &columns { td { (row.get(c).map(String::as_str).unwrap_or("")) } } }
                }
                @if rows.is_empty() { tr { td.empty colspan=(columns.len().max(1)) { "No rows match." } } }
            }
        }
        (pager(&base, &keep, offset, limit, rows.len(), more))
    };
    Ok(page(Frame { title: &name, nav: Nav::Models, who: &who, tenant: &tenant.letter, live: false }, content))
}
