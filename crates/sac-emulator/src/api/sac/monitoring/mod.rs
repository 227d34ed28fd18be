//! The Monitoring API, `GET /api/v1/monitoring/{model}` (SAP help
//! "api/v1/monitoring", page hash 3e7214f8): the statistics of one of SAC's
//! system models as a CSV file.
//!
//! Every model SAP lists is served, each from what the emulator truthfully
//! knows: `dataManagement` (SAC's DM_SCHEDULE) one line per run of a Data
//! Management schedule, whoever started it (`data_management.rs`);
//! `planningDataAction` (PLANNING_DATA_ACTIONS) one line per data action
//! execution, of multi actions and of calendar tasks (`data_actions.rs`);
//! `user` the tenant's users and `resource` its models, dimensions and
//! multi actions, `planningVersion` each model version with its facts; the
//! models the emulator has no data for (licenses, sessions, performance,
//! errors) answer their header and no lines (`system.rs`). A name SAP does not list is a 400.
//!
//! What SAP's page leaves open, and the emulator decides (assumptions, also
//! in docs/emulator.md): who may call it (as the Data Export API: a tenant
//! user, or a technical client with [`ACCESS`] in its access list); the
//! columns: every model's file starts with the seven sort keys SAP names,
//! then columns of its own; the default order (newest first, since SAP only
//! says FALSE sorts ascending); `from`/`till` filter on `timestamp`, bounds
//! included; and every refusal (400, the public APIs' error shape).

mod data_actions;
mod data_management;
mod system;

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::caller::Caller;
use crate::api::error::ApiError;
use crate::api::openapi::tags;
use crate::api::state::AppState;

/// The Data Management schedules' runs (DM_SCHEDULE).
pub const DATA_MANAGEMENT: &str = "dataManagement";
/// The data actions' executions (PLANNING_DATA_ACTIONS).
pub const PLANNING_DATA_ACTION: &str = "planningDataAction";

/// The models SAP lists, with the names of SAC's statistics behind them.
const MODELS: [(&str, &str); 14] = [
    ("error", "ERROR_LOG"),
    ("license", "LICENSE"),
    ("licenseConcurrent", "CONCURRENT_LICENSE"),
    ("resource", "RESOURCE"),
    ("resourceRecentAccess", "RESOURCE_RECENT_ACCESS"),
    ("user", "SAC_USERS"),
    ("userAdoption", "USER_ADOPTION"),
    ("userLive", "LIVE_USERS"),
    ("userSession", "SESSION"),
    ("backend", "SAC_STATISTICS_MDS_QUERY_PERF"),
    ("client", "SAC_PERFORMANCE_E2E"),
    (DATA_MANAGEMENT, "DM_SCHEDULE"),
    ("planningVersion", "VERSION_STATISTICS_VIEW"),
    (PLANNING_DATA_ACTION, "PLANNING_DATA_ACTIONS"),
];

/// The access-list entry a technical client needs (SAP names none for this
/// API; named after the other services' entries).
pub const ACCESS: &str = "Monitoring Service";

/// The column keys SAP names (as `sortKey`'s values), in its order. They
/// are every file's first columns; each model adds its own after them.
pub const SORT_KEYS: [&str; 7] = ["type", "fileName", "description", "userName", "status", "activity", "timestamp"];
const TIMESTAMP: usize = 6;

/// `pageSize`'s bounds and default (SAP: 1 to 100,000, default 100,000).
const MAX_PAGE_SIZE: usize = 100_000;
const DEFAULT_CSV_NAME: &str = "monitoring.csv";

/// The query parameters, checked.
#[derive(Debug)]
struct Request {
    page_size: usize,
    page_index: usize,
    sort_key: usize,
    descending: bool,
    from: Option<DateTime<Utc>>,
    till: Option<DateTime<Utc>>,
    csv_name: String,
}

fn bad_parameter(message: String) -> ApiError {
    ApiError::api(StatusCode::BAD_REQUEST, "400", message)
}

fn number(query: &HashMap<String, String>, name: &str, default: usize, max: usize) -> Result<usize, ApiError> {
    let Some(text) = query.get(name) else { return Ok(default) };
    match text.parse::<usize>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(bad_parameter(format!("{name} must be a whole number from 1 to {max}, not '{text}'"))),
    }
}

fn instant(query: &HashMap<String, String>, name: &str) -> Result<Option<DateTime<Utc>>, ApiError> {
    let Some(text) = query.get(name) else { return Ok(None) };
    DateTime::parse_from_rfc3339(text).map(|t| Some(t.with_timezone(&Utc))).map_err(|_| {
        bad_parameter(format!("{name} must be a UTC timestamp such as 2024-10-28T10:09:29.879Z, not '{text}'"))
    })
}

impl Request {
    fn parse(query: &HashMap<String, String>) -> Result<Self, ApiError> {
        let sort_key = match query.get("sortKey") {
            None => TIMESTAMP,
            Some(key) => SORT_KEYS.iter().position(|k| k == key).ok_or_else(|| {
                bad_parameter(format!("sortKey must be one of {}, not '{key}'", SORT_KEYS.join(", ")))
            })?,
        };
        let descending = match query.get("sortDescending").map(|v| v.to_ascii_lowercase()) {
            None => true,
            Some(v) if v == "true" => true,
            Some(v) if v == "false" => false,
            Some(_) => return Err(bad_parameter("sortDescending must be TRUE or FALSE".into())),
        };
        let csv_name = query.get("csvName").cloned().unwrap_or_else(|| DEFAULT_CSV_NAME.into());
        // The name goes into a header: nothing that would end or break it.
        if csv_name.is_empty() || csv_name.chars().any(|c| c.is_control() || matches!(c, '"' | '/' | '\\')) {
            return Err(bad_parameter(format!("csvName must be a file name, not '{csv_name}'")));
        }
        Ok(Request {
            page_size: number(query, "pageSize", MAX_PAGE_SIZE, MAX_PAGE_SIZE)?,
            page_index: number(query, "pageIndex", 1, usize::MAX)?,
            sort_key,
            descending,
            from: instant(query, "from")?,
            till: instant(query, "till")?,
            csv_name,
        })
    }
}

/// Any user of the tenant, or a technical client with [`ACCESS`] in its
/// access list (else SAC's 3401).
fn monitor(state: &AppState, caller: &Caller) -> Result<(), ApiError> {
    let principal = caller.service()?;
    let tenant = state.tenant();
    match principal.user {
        None => {
            let client_id = principal.client_id.unwrap_or_default();
            match tenant.client(&client_id) {
                Some(c) if c.access.iter().any(|a| a == ACCESS) => Ok(()),
                _ => Err(ApiError::api(
                    StatusCode::BAD_REQUEST,
                    "3401",
                    "OAuth Client is not allowed to interact with API [3401]",
                )),
            }
        }
        Some(user) => match tenant.user(&user) {
            Some(u) if u.in_tenant => Ok(()),
            _ => Err(ApiError::api(
                StatusCode::FORBIDDEN,
                "403",
                format!("User {user} does not exist in tenant {}", tenant.letter),
            )),
        },
    }
}

/// One line of a model's statistics: the cells of [`SORT_KEYS`] then the
/// model's own columns, and its `timestamp` as a time to filter and sort by.
struct Line {
    cells: Vec<String>,
    started: Option<DateTime<Utc>>,
}

impl Line {
    /// A line whose `timestamp` cell is an RFC 3339 time (or empty).
    fn new(cells: Vec<String>) -> Self {
        let started = DateTime::parse_from_rfc3339(&cells[TIMESTAMP]).ok().map(|t| t.with_timezone(&Utc));
        Line { cells, started }
    }
}

/// The lines of the page asked for, from the lines of every run, newest
/// first. Runs with equal keys stay in the order they happened, newest first
/// when descending and oldest first when ascending (the sort is stable), so
/// one order is the other reversed.
fn page(mut lines: Vec<Line>, request: &Request) -> Vec<Line> {
    lines.retain(|l| {
        request.from.is_none_or(|from| l.started.is_some_and(|t| t >= from))
            && request.till.is_none_or(|till| l.started.is_some_and(|t| t <= till))
    });
    if !request.descending {
        lines.reverse();
    }
    let key = request.sort_key;
    lines.sort_by(|a, b| {
        let order = if key == TIMESTAMP { a.started.cmp(&b.started) } else { a.cells[key].cmp(&b.cells[key]) };
        if request.descending {
            order.reverse()
        } else {
            order
        }
    });
    let skip = (request.page_index - 1).saturating_mul(request.page_size);
    lines.into_iter().skip(skip).take(request.page_size).collect()
}

fn csv(columns: &[&str], lines: &[Line], csv_name: &str) -> Result<Response, ApiError> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let header: Vec<&str> = SORT_KEYS.iter().chain(columns).copied().collect();
    out.write_record(&header).map_err(ApiError::internal)?;
    for line in lines {
        out.write_record(&line.cells).map_err(ApiError::internal)?;
    }
    let body = out.into_inner().map_err(ApiError::internal)?;
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    let disposition =
        HeaderValue::from_str(&format!("attachment; filename=\"{csv_name}\"")).map_err(ApiError::internal)?;
    headers.insert(header::CONTENT_DISPOSITION, disposition);
    Ok(response)
}

/// `GET /api/v1/monitoring/{model}`.
#[utoipa::path(
    get,
    path = "/api/v1/monitoring/{model}",
    tag = tags::MONITORING,
    security(("bearer" = []), ("session" = [])),
    params(
        ("model" = String, Path, description = "A system model SAP lists: `dataManagement` (DM_SCHEDULE), `planningDataAction` (PLANNING_DATA_ACTIONS), `user`, `resource`, ...", example = "dataManagement"),
        ("csvName" = Option<String>, Query, description = "The file name in Content-Disposition (default monitoring.csv)"),
        ("pageSize" = Option<usize>, Query, description = "Lines per page, 1 to 100000 (default 100000)"),
        ("pageIndex" = Option<usize>, Query, description = "The page, from 1 (default 1)"),
        ("sortKey" = Option<String>, Query, description = "type, fileName, description, userName, status, activity or timestamp (default timestamp)"),
        ("sortDescending" = Option<String>, Query, description = "TRUE (default) or FALSE"),
        ("from" = Option<String>, Query, description = "Only lines whose timestamp is at or after this UTC time"),
        ("till" = Option<String>, Query, description = "Only lines whose timestamp is at or before this UTC time"),
    ),
    responses(
        (status = 200, description = "The statistics: one line per schedule run (dataManagement), per data action execution (planningDataAction), ...", content_type = "text/csv"),
        (status = 400, description = "An unknown model, a bad parameter, or a technical client without access (3401)", content_type = "application/json"),
        (status = 401, description = "No valid bearer token (API domain)", content_type = "application/json"),
        (status = 403, description = "The user is not in the tenant", content_type = "application/json"),
    ),
)]
pub async fn statistics(
    State(state): State<AppState>,
    caller: Caller,
    Path(model): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    monitor(&state, &caller)?;
    if !MODELS.iter().any(|(id, _)| *id == model) {
        let known: Vec<&str> = MODELS.iter().map(|(id, _)| *id).collect();
        return Err(bad_parameter(format!("Unknown monitoring model {model}: one of {}", known.join(", "))));
    }
    let request = Request::parse(&query)?;
    let tenant = state.tenant();
    let (columns, lines): (&[&str], Vec<Line>) = match model.as_str() {
        DATA_MANAGEMENT => {
            let runs = state.store().read(|r| r.all_runs())?;
            (&data_management::COLUMNS, runs.into_iter().map(|run| data_management::line(&tenant, run)).collect())
        }
        PLANNING_DATA_ACTION => {
            let runs = state.store().read(|r| r.data_action_runs())?;
            // Oldest first as stored; the page's order is newest first unless asked otherwise.
            (&data_actions::COLUMNS, runs.into_iter().rev().map(|run| data_actions::line(&tenant, run)).collect())
        }
        "planningVersion" => (&system::VERSION_COLUMNS, state.store().read(|r| system::versions(&tenant, r))?),
        other => system::statistics(&tenant, other),
    };
    csv(columns, &page(lines, &request), &request.csv_name)
}

/// The Monitoring API, which both domains serve.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(statistics))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The lines' execution ids, in order.
    fn ids(lines: &[Line]) -> Vec<&str> {
        lines.iter().map(|l| l.cells[SORT_KEYS.len()].as_str()).collect()
    }

    fn query(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn at(id: &str, user: &str, start: &str) -> Line {
        let mut cells = vec![String::new(); SORT_KEYS.len() + 7];
        cells[3] = user.into();
        cells[TIMESTAMP] = start.into();
        cells[SORT_KEYS.len()] = id.into();
        Line { cells, started: DateTime::parse_from_rfc3339(start).ok().map(|t| t.with_timezone(&Utc)) }
    }

    fn lines() -> Vec<Line> {
        vec![
            at("c", "B", "2026-01-03T00:00:00Z"),
            at("b", "A", "2026-01-02T00:00:00.5Z"),
            at("a", "B", "2026-01-01T00:00:00Z"),
        ]
    }

    #[test]
    fn defaults_sort_newest_first_on_one_page() {
        let request = Request::parse(&query(&[])).unwrap();
        assert_eq!((request.page_size, request.page_index, request.descending), (100_000, 1, true));
        assert_eq!(request.csv_name, "monitoring.csv");
        assert_eq!(ids(&page(lines(), &request)), ["c", "b", "a"]);
    }

    #[test]
    fn sorting_filtering_and_paging() {
        let request = Request::parse(&query(&[("sortKey", "userName"), ("sortDescending", "FALSE")])).unwrap();
        assert_eq!(ids(&page(lines(), &request)), ["b", "a", "c"], "equal keys oldest first");
        let request = Request::parse(&query(&[("sortKey", "userName")])).unwrap();
        assert_eq!(ids(&page(lines(), &request)), ["c", "a", "b"], "equal keys newest first");
        let request = Request::parse(&query(&[("from", "2026-01-02T00:00:00.5Z"), ("till", "2026-01-02T23:00:00Z")]));
        assert_eq!(ids(&page(lines(), &request.unwrap())), ["b"]);
        let request = Request::parse(&query(&[("pageSize", "2"), ("pageIndex", "2")])).unwrap();
        assert_eq!(ids(&page(lines(), &request)), ["a"]);
        let request = Request::parse(&query(&[("pageSize", "2"), ("pageIndex", "3")])).unwrap();
        assert!(page(lines(), &request).is_empty());
    }

    #[test]
    fn bad_parameters_are_refused() {
        for (name, value) in [
            ("pageSize", "0"),
            ("pageSize", "100001"),
            ("pageIndex", "0"),
            ("pageIndex", "x"),
            ("sortKey", "executionId"),
            ("sortDescending", "yes"),
            ("from", "yesterday"),
            ("csvName", "a\"b.csv"),
            ("csvName", ""),
        ] {
            assert!(Request::parse(&query(&[(name, value)])).is_err(), "{name}={value}");
        }
    }
}
