//! The Data Import API, `/api/v1/dataimport` (SAP help: "api/v1/dataimport").
//!
//! The job lifecycle of SAP's pages: create a job for a model (or a public
//! dimension), post rows in chunks (JSON `{"Data":[...]}` or CSV), validate,
//! run (asynchronous), read the status, read the invalid rows, delete.
//! Rows are really validated (members exist, Version and Date valid,
//! measures numeric) and really written: Update upserts, Append adds to the
//! measures, CleanAndReplace first deletes the facts of its scope.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use sac_types::dataimport::{
    status, Column, ColumnSet, CreateJob, InvalidRows, JobCounts, JobCreated, JobError, JobStatus, JobSummary,
    ModelDetail, ModelList, ModelSummary, UploadResult, ValidateResult, Version, REJECTION_REASON,
};
use serde_json::{json, Value};

use crate::auth::api_principal;
use crate::auth::Principal;
use crate::planning::fact_key;
use crate::responses::{api_error, internal};
use crate::secrets::random_id;
use crate::state::{now_ms, utc_timestamp, AppState, ClockMode};
use crate::store::{ImportJobRecord, StoreResult};
use crate::tenant::{Dimension, DimensionKind, ModelDef, Role, Row, Tenant};
use crate::Domain;

/// Rows validated or written per batch (memory stays flat for big jobs).
const BATCH: i64 = 10_000;
/// Invalid rows returned at most (SAC's UI speaks of a sample past 2000).
const INVALID_ROWS_CAP: i64 = 2000;

/// What a job loads into.
enum Target<'t> {
    Model(&'t ModelDef),
    Dimension(&'t Dimension),
}

impl Target<'_> {
    fn id(&self) -> &str {
        match self {
            Target::Model(m) => &m.id,
            Target::Dimension(d) => &d.id,
        }
    }

    fn columns(&self) -> Vec<String> {
        match self {
            Target::Model(m) => m.dimensions.iter().map(|d| d.name.clone()).chain(m.measures.iter().cloned()).collect(),
            Target::Dimension(d) => d.attributes.clone(),
        }
    }
}

fn find_target<'t>(tenant: &'t Tenant, id: &str) -> Option<Target<'t>> {
    let bare = tenant.strip_package(id).unwrap_or(id);
    tenant.model(bare).map(Target::Model).or_else(|| tenant.dimension(bare).map(Target::Dimension))
}

fn not_found(what: &str, id: &str) -> Response {
    api_error(
        StatusCode::NOT_FOUND,
        "404",
        &format!("The {what} {id} does not exist or you are not authorized to access it"),
    )
}

fn bad_request(text: &str) -> Response {
    api_error(StatusCode::BAD_REQUEST, "400", text)
}

/// Who may use the Data Import API: a user of the tenant, or a technical
/// client whose access list has the Data Import Service (else SAC's 3401).
/// Returns the job owner.
fn importer(state: &AppState, domain: Domain, headers: &HeaderMap, write: bool) -> Result<String, Response> {
    let principal: Principal = api_principal(state, domain, headers)?;
    let tenant = state.tenant();
    match principal.user {
        None => {
            let client_id = principal.client_id.unwrap_or_default();
            let allowed =
                tenant.client(&client_id).is_some_and(|c| c.access.iter().any(|a| a == "Data Import Service"));
            if !allowed {
                return Err(api_error(
                    StatusCode::BAD_REQUEST,
                    "3401",
                    "OAuth Client is not allowed to interact with API [3401]",
                ));
            }
            Ok(client_id)
        }
        Some(user) => match tenant.user(&user) {
            Some(u) if u.in_tenant && (u.role != Role::Viewer || !write) => Ok(u.id.clone()),
            Some(u) if u.in_tenant => {
                Err(api_error(StatusCode::FORBIDDEN, "403", &format!("User {} may not import data", u.id)))
            }
            _ => Err(api_error(
                StatusCode::FORBIDDEN,
                "403",
                &format!("User {user} does not exist in tenant {}", tenant.letter),
            )),
        },
    }
}

/// The caller's job: who may use the API, and whether the job is theirs (else 404).
fn job_for(
    state: &AppState,
    domain: Domain,
    headers: &HeaderMap,
    job_id: &str,
    write: bool,
) -> Result<ImportJobRecord, Response> {
    let owner = importer(state, domain, headers, write)?;
    owned_job(state, &owner, job_id)
}

/// The caller's job while it still takes data or can be validated and run
/// (READY_FOR_DATA, READY_FOR_WRITE); else 400 "The job X <what> (status S)".
fn open_job_for(
    state: &AppState,
    domain: Domain,
    headers: &HeaderMap,
    job_id: &str,
    what: &str,
) -> Result<ImportJobRecord, Response> {
    let job = job_for(state, domain, headers, job_id, true)?;
    if job.status != status::READY_FOR_DATA && job.status != status::READY_FOR_WRITE {
        return Err(bad_request(&format!("The job {job_id} {what} (status {})", job.status)));
    }
    Ok(job)
}

/// A job of this owner, or 404.
fn owned_job(state: &AppState, owner: &str, job_id: &str) -> Result<ImportJobRecord, Response> {
    match state.store().import_job(job_id).map_err(internal)? {
        Some(job) if job.owner == owner => Ok(job),
        _ => Err(not_found("job", job_id)),
    }
}

fn base_url(state: &AppState, domain: Domain) -> String {
    format!("{}/api/v1/dataimport", state.domain_url(domain))
}

// ---- models ------------------------------------------------------------------

/// `GET /models` (also hands out a CSRF token on `x-csrf-token: fetch`).
pub async fn models(
    State(state): State<AppState>,
    Extension(domain): Extension<Domain>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = importer(&state, domain, &headers, false) {
        return r;
    }
    let tenant = state.tenant();
    let base = base_url(&state, domain);
    let models = tenant
        .models
        .iter()
        .map(|m| ModelSummary {
            model_id: m.id.clone(),
            model_name: m.id.clone(),
            model_description: m.description.clone(),
            model_url: Some(format!("{base}/models/{}", m.id)),
        })
        .collect();
    crate::csrf::attach(&state, &headers, Json(ModelList { models }).into_response())
}

/// `GET /models/{id}`.
pub async fn model(
    State(state): State<AppState>,
    Extension(domain): Extension<Domain>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Err(r) = importer(&state, domain, &headers, false) {
        return r;
    }
    let tenant = state.tenant();
    let Some(Target::Model(m)) = find_target(&tenant, &id) else {
        return not_found("model", &id);
    };
    let versions = m
        .versions
        .iter()
        .map(|v| Version { id: v.clone(), description: v.trim_start_matches("public.").to_string() })
        .collect();
    let detail = ModelDetail {
        model_id: m.id.clone(),
        model_name: m.id.clone(),
        model_description: m.description.clone(),
        versions,
        import_types: vec!["factData".into(), "privateFactData".into()],
    };
    crate::csrf::attach(&state, &headers, Json(detail).into_response())
}

/// `GET /models/{id}/metadata`.
pub async fn metadata(
    State(state): State<AppState>,
    Extension(domain): Extension<Domain>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Err(r) = importer(&state, domain, &headers, false) {
        return r;
    }
    let tenant = state.tenant();
    let Some(Target::Model(m)) = find_target(&tenant, &id) else {
        return not_found("model", &id);
    };
    let mut columns: Vec<Column> = m
        .dimensions
        .iter()
        .map(|d| Column {
            column_name: d.name.clone(),
            column_data_type: "string".into(),
            max_length: Some(if d.kind == DimensionKind::Date { 6 } else { 256 }),
            is_key: true,
        })
        .collect();
    columns.extend(m.measures.iter().map(|name| Column {
        column_name: name.clone(),
        column_data_type: "decimal".into(),
        max_length: None,
        is_key: false,
    }));
    let set = ColumnSet { keys: m.dimensions.iter().map(|d| d.name.clone()).collect(), columns };
    Json(json!({"factData": set, "privateFactData": set})).into_response()
}

/// `GET /publicDimensions`.
pub async fn public_dimensions(
    State(state): State<AppState>,
    Extension(domain): Extension<Domain>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = importer(&state, domain, &headers, false) {
        return r;
    }
    let tenant = state.tenant();
    let dims: Vec<Value> = tenant
        .dimensions
        .iter()
        .map(|d| json!({"dimensionID": d.id, "dimensionName": d.id, "dimensionDescription": d.description}))
        .collect();
    Json(json!({"publicDimensions": dims})).into_response()
}

// ---- jobs --------------------------------------------------------------------

/// `POST /models/{id}` and `POST /models/{id}/{importType}`.
pub async fn create_model_job(
    State(state): State<AppState>,
    Extension(domain): Extension<Domain>,
    headers: HeaderMap,
    Path(params): Path<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let id = params.get("id").cloned().unwrap_or_default();
    let import_type = params.get("import_type").cloned().unwrap_or_else(|| "factData".into());
    create_job(&state, domain, &headers, &id, &import_type, &body, false)
}

/// `POST /publicDimensions/{id}/publicDimensionData`.
pub async fn create_dimension_job(
    State(state): State<AppState>,
    Extension(domain): Extension<Domain>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    create_job(&state, domain, &headers, &id, "publicDimensionData", &body, true)
}

fn create_job(
    state: &AppState,
    domain: Domain,
    headers: &HeaderMap,
    id: &str,
    import_type: &str,
    body: &Bytes,
    dimension: bool,
) -> Response {
    let owner = match importer(state, domain, headers, true) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let tenant = state.tenant();
    let target = match find_target(&tenant, id) {
        Some(t @ Target::Dimension(_)) if dimension => t,
        Some(t @ Target::Model(_)) if !dimension => t,
        _ => return not_found(if dimension { "public dimension" } else { "model" }, id),
    };
    if !dimension && !["factData", "privateFactData"].contains(&import_type) {
        let known = ["masterData", "masterFactData"];
        let why =
            if known.contains(&import_type) { "is not supported for this model" } else { "is not an import type" };
        return bad_request(&format!("Import type {import_type} {why}: use factData or privateFactData"));
    }
    let settings: CreateJob = if body.iter().all(u8::is_ascii_whitespace) {
        CreateJob::default()
    } else {
        match serde_json::from_slice(body) {
            Ok(s) => s,
            Err(e) => return bad_request(&format!("Invalid request body: {e}")),
        }
    };
    if let Err(why) = check_settings(&target, &settings) {
        return bad_request(&why);
    }
    let job = ImportJobRecord {
        job_id: random_id().to_ascii_lowercase(),
        model: target.id().to_string(),
        import_type: import_type.to_string(),
        owner,
        status: status::READY_FOR_DATA.into(),
        settings: serde_json::to_string(&settings).expect("settings serialize"),
        total: 0,
        failed: 0,
        error: None,
        updated: utc_timestamp(now_ms()),
        due_at_ms: None,
        polls_left: None,
    };
    if let Err(e) = state.store().insert_import_job(&job) {
        return internal(e);
    }
    let created =
        JobCreated { job_url: format!("{}/jobs/{}", base_url(state, domain), job.job_id), job_id: job.job_id };
    (StatusCode::CREATED, Json(created)).into_response()
}

fn check_settings(target: &Target<'_>, settings: &CreateJob) -> Result<(), String> {
    let columns = target.columns();
    if let Some(mapping) = &settings.mapping {
        if let Some(bad) = mapping.keys().find(|k| !columns.contains(k)) {
            return Err(format!(
                "Mapping names {bad}, which is not a column of {} ({})",
                target.id(),
                columns.join(", ")
            ));
        }
    }
    if let Some(js) = &settings.job_settings {
        let method = js.import_method.as_deref().unwrap_or("Update");
        if !["Update", "Append", "CleanAndReplace"].contains(&method) {
            return Err(format!("importMethod {method} is not supported: use Update, Append or CleanAndReplace"));
        }
        if let Some(scope) = &js.dimension_scope {
            if let Some(bad) = scope.iter().find(|d| !columns.contains(d)) {
                return Err(format!("dimensionScope names {bad}, which is not a dimension of {}", target.id()));
            }
        }
    }
    Ok(())
}

/// Reads a request body up to `limit` bytes, or answers SAC-shaped 413.
async fn read_body(body: Body, limit: usize) -> Result<Bytes, Response> {
    axum::body::to_bytes(body, limit).await.map_err(|_| {
        api_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "413",
            &format!("The request body is larger than {limit} bytes: send the rows in smaller chunks"),
        )
    })
}

/// Parses the rows of a chunk: JSON `{"Data":[...]}` or CSV with a header row.
/// Rows that parsed, rows that did not (with a reason), and any Mapping or
/// DefaultValues sent with the chunk.
type ParsedChunk = (Vec<Row>, Vec<Value>, Option<CreateJob>);

fn parse_rows(content_type: &str, body: &[u8]) -> Result<ParsedChunk, String> {
    if content_type.starts_with("text/csv") {
        let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).flexible(true).from_reader(body);
        let headers = reader.headers().map_err(|e| format!("Invalid CSV: {e}"))?.clone();
        let mut rows = Vec::new();
        let mut failed = Vec::new();
        for record in reader.records() {
            match record {
                Ok(r) if r.len() == headers.len() => {
                    rows.push(headers.iter().zip(r.iter()).map(|(h, v)| (h.to_string(), v.to_string())).collect())
                }
                Ok(r) => failed
                    .push(json!({"row": r.iter().collect::<Vec<_>>(), REJECTION_REASON: "Wrong number of columns"})),
                Err(e) => return Err(format!("Invalid CSV: {e}")),
            }
        }
        return Ok((rows, failed, None));
    }
    let value: Value = serde_json::from_slice(body).map_err(|e| format!("Invalid request body: {e}"))?;
    let data = value.get("Data").and_then(Value::as_array).ok_or("The body must be {\"Data\":[{...}]} or text/csv")?;
    let mut rows = Vec::with_capacity(data.len());
    let mut failed = Vec::new();
    for item in data {
        let Some(object) = item.as_object() else {
            failed.push(json!({"row": item, REJECTION_REASON: "A row must be a JSON object"}));
            continue;
        };
        let mut row = Row::new();
        let mut bad = None;
        for (k, v) in object {
            match v {
                Value::String(s) => {
                    row.insert(k.clone(), s.trim().to_string());
                }
                Value::Number(n) => {
                    row.insert(k.clone(), n.to_string());
                }
                Value::Null => {}
                _ => bad = Some(k.clone()),
            }
        }
        match bad {
            Some(column) => {
                failed.push(json!({"row": item, REJECTION_REASON: format!("Invalid column value for: {column}")}))
            }
            None => rows.push(row),
        }
    }
    let overrides: CreateJob = serde_json::from_value(value).unwrap_or_default();
    Ok((rows, failed, Some(overrides)))
}

/// Renames source columns to model columns and fills defaults.
fn apply_mapping(rows: &mut [Row], settings: &CreateJob) {
    let mapping = settings.mapping.clone().unwrap_or_default();
    let defaults = settings.default_values.clone().unwrap_or_default();
    for row in rows.iter_mut() {
        for (model_column, source_column) in &mapping {
            if let Some(value) = row.remove(source_column) {
                row.insert(model_column.clone(), value);
            }
        }
        for (column, value) in &defaults {
            row.entry(column.clone()).or_insert_with(|| value.clone());
        }
    }
}

/// `POST /jobs/{id}`: a chunk of rows.
pub async fn upload(
    State(state): State<AppState>,
    Extension(domain): Extension<Domain>,
    headers: HeaderMap,
    Path(job_id): Path<String>,
    body: Body,
) -> Response {
    let mut job = match open_job_for(&state, domain, &headers, &job_id, "is not accepting data") {
        Ok(j) => j,
        Err(r) => return r,
    };
    let limits = state.options().import_limits;
    let bytes = match read_body(body, limits.max_body_bytes).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("application/json");
    let (mut rows, failed_rows, overrides) = match parse_rows(content_type, &bytes) {
        Ok(parsed) => parsed,
        Err(why) => return bad_request(&why),
    };
    let in_request = rows.len() + failed_rows.len();
    if in_request > limits.max_rows_per_request {
        return bad_request(&format!(
            "The request contains {in_request} rows; at most {} rows are allowed per request",
            limits.max_rows_per_request
        ));
    }
    let mut settings: CreateJob = serde_json::from_str(&job.settings).unwrap_or_default();
    if let Some(o) = overrides {
        if o.mapping.is_some() {
            settings.mapping = o.mapping;
        }
        if o.default_values.is_some() {
            settings.default_values = o.default_values;
        }
    }
    apply_mapping(&mut rows, &settings);
    let total = match state.store().append_import_rows(&job.job_id, &rows) {
        Ok(t) => t,
        Err(e) => return internal(e),
    };
    job.total = total;
    job.status = status::READY_FOR_DATA.into();
    job.updated = utc_timestamp(now_ms());
    if let Err(e) = state.store().update_import_job(&job) {
        return internal(e);
    }
    let base = base_url(&state, domain);
    let result = UploadResult {
        total_number_rows_in_current_request: in_request as u64,
        upserted_number_rows: rows.len() as u64,
        failed_number_rows: failed_rows.len() as u64,
        failed_rows,
        total_number_rows_in_job: total as u64,
        validate_job_url: format!("{base}/jobs/{job_id}/validate"),
        run_job_url: format!("{base}/jobs/{job_id}/run"),
    };
    (StatusCode::CREATED, Json(result)).into_response()
}

/// Why a row cannot be written, if it cannot.
struct Checker<'t> {
    target: &'t Target<'t>,
    ignore_additional: bool,
    columns: HashSet<String>,
    members: HashMap<String, HashSet<String>>,
}

impl<'t> Checker<'t> {
    fn new(state: &AppState, target: &'t Target<'t>, settings: &CreateJob) -> StoreResult<Self> {
        let mut members = HashMap::new();
        if let Target::Model(m) = target {
            for d in &m.dimensions {
                if let Some(dim) = &d.members_of {
                    members.insert(d.name.clone(), state.store().member_ids(dim)?);
                }
            }
        }
        let ignore_additional =
            settings.job_settings.as_ref().and_then(|s| s.ignore_additional_columns).unwrap_or(false);
        Ok(Checker { target, ignore_additional, columns: target.columns().into_iter().collect(), members })
    }

    fn check(&self, row: &mut Row) -> Option<String> {
        let extra: Vec<String> = row.keys().filter(|k| !self.columns.contains(*k)).cloned().collect();
        if !extra.is_empty() {
            if !self.ignore_additional {
                return Some(format!("Unknown column: {}", extra.join(", ")));
            }
            for k in extra {
                row.remove(&k);
            }
        }
        match self.target {
            Target::Dimension(d) => {
                let key = d.key_attribute();
                match row.get(key) {
                    Some(v) if !v.is_empty() && !v.contains(char::is_whitespace) => None,
                    Some(_) => Some(format!("Invalid column value for: {key}")),
                    None => Some(format!("Missing value for column: {key}")),
                }
            }
            Target::Model(m) => {
                for d in &m.dimensions {
                    let Some(value) = row.get(&d.name).filter(|v| !v.is_empty()) else {
                        return Some(format!("Missing value for column: {}", d.name));
                    };
                    let valid = match d.kind {
                        DimensionKind::Version => m.versions.contains(value),
                        DimensionKind::Date => valid_month(value),
                        DimensionKind::Generic => self.members.get(&d.name).is_some_and(|ids| ids.contains(value)),
                    };
                    if !valid {
                        return Some(format!("Invalid column value for: {}", d.name));
                    }
                }
                if !m.measures.iter().any(|name| row.contains_key(name)) {
                    return Some(format!("Missing value: the row has none of the measures {}", m.measures.join(", ")));
                }
                for name in &m.measures {
                    if let Some(value) = row.get(name) {
                        if value.parse::<f64>().map(|f| !f.is_finite()).unwrap_or(true) {
                            return Some(format!("Invalid column value for: {name}"));
                        }
                    }
                }
                None
            }
        }
    }
}

fn valid_month(value: &str) -> bool {
    value.len() == 6
        && value.chars().all(|c| c.is_ascii_digit())
        && (1900..=2100).contains(&value[..4].parse::<u32>().unwrap_or(0))
        && (1..=12).contains(&value[4..].parse::<u32>().unwrap_or(0))
}

/// Validates every staged row, records the reasons, and returns the scope
/// tuples a CleanAndReplace would clear.
fn validate(state: &AppState, job: &mut ImportJobRecord) -> StoreResult<Vec<BTreeMap<String, String>>> {
    let tenant = state.tenant();
    let Some(target) = find_target(&tenant, &job.model) else {
        job.status = status::FAILED.into();
        job.error = Some(format!("The model {} no longer exists", job.model));
        state.store().update_import_job(job)?;
        return Ok(vec![]);
    };
    let settings: CreateJob = serde_json::from_str(&job.settings).unwrap_or_default();
    let checker = Checker::new(state, &target, &settings)?;
    let scope = scope_of(&target, &settings);
    let mut affected = BTreeSet::new();
    let mut failed = 0;
    let mut after = -1;
    loop {
        let batch = state.store().import_rows(&job.job_id, after, BATCH)?;
        let Some(last) = batch.last().map(|(seq, _, _)| *seq) else { break };
        let mut reasons = Vec::with_capacity(batch.len());
        for (seq, mut row, _) in batch {
            let reason = checker.check(&mut row);
            if reason.is_some() {
                failed += 1;
            } else if !scope.is_empty() {
                affected.insert(
                    scope
                        .iter()
                        .map(|d| (d.clone(), row.get(d).cloned().unwrap_or_default()))
                        .collect::<BTreeMap<_, _>>(),
                );
            }
            reasons.push((seq, reason));
        }
        state.store().set_import_reasons(&job.job_id, &reasons)?;
        after = last;
    }
    job.failed = failed;
    job.status = status::READY_FOR_WRITE.into();
    job.updated = utc_timestamp(now_ms());
    state.store().update_import_job(job)?;
    Ok(affected.into_iter().collect())
}

fn method_of(settings: &CreateJob) -> String {
    settings.job_settings.as_ref().and_then(|s| s.import_method.clone()).unwrap_or_else(|| "Update".into())
}

/// The dimensions a CleanAndReplace clears by (default: Version).
fn scope_of(target: &Target<'_>, settings: &CreateJob) -> Vec<String> {
    if method_of(settings) != "CleanAndReplace" {
        return vec![];
    }
    match (target, settings.job_settings.as_ref().and_then(|s| s.dimension_scope.clone())) {
        (_, Some(scope)) if !scope.is_empty() => scope,
        (Target::Model(_), _) => vec!["Version".into()],
        (Target::Dimension(d), _) => vec![d.key_attribute().to_string()],
    }
}

/// `POST /jobs/{id}/validate`.
pub async fn validate_job(
    State(state): State<AppState>,
    Extension(domain): Extension<Domain>,
    headers: HeaderMap,
    Path(job_id): Path<String>,
) -> Response {
    let mut job = match open_job_for(&state, domain, &headers, &job_id, "cannot be validated") {
        Ok(j) => j,
        Err(r) => return r,
    };
    let affected = match validate(&state, &mut job) {
        Ok(a) => a,
        Err(e) => return internal(e),
    };
    let base = base_url(&state, domain);
    let settings: CreateJob = serde_json::from_str(&job.settings).unwrap_or_default();
    let result = ValidateResult {
        job_status: job.status.clone(),
        total_number_rows_in_job: job.total as u64,
        failed_number_rows: job.failed as u64,
        invalid_rows_url: format!("{base}/jobs/{job_id}/invalidRows"),
        job_status_url: format!("{base}/jobs/{job_id}/status"),
        additional_information: (method_of(&settings) == "CleanAndReplace")
            .then(|| json!({"cleanAndReplaceAffectedRows": affected})),
    };
    (StatusCode::CREATED, Json(result)).into_response()
}

/// `GET /jobs/{id}/invalidRows`.
pub async fn invalid_rows(
    State(state): State<AppState>,
    Extension(domain): Extension<Domain>,
    headers: HeaderMap,
    Path(job_id): Path<String>,
) -> Response {
    if let Err(r) = job_for(&state, domain, &headers, &job_id, false) {
        return r;
    }
    match state.store().rejected_import_rows(&job_id, INVALID_ROWS_CAP) {
        Ok(rows) => {
            let failed_rows = rows
                .into_iter()
                .map(|(row, reason)| {
                    let mut out: BTreeMap<String, Value> =
                        row.into_iter().map(|(k, v)| (k, Value::String(v))).collect();
                    out.insert(REJECTION_REASON.into(), Value::String(reason));
                    out
                })
                .collect();
            Json(InvalidRows { failed_rows }).into_response()
        }
        Err(e) => internal(e),
    }
}

/// `POST /jobs/{id}/run`: validates when needed, then writes asynchronously.
pub async fn run_job(
    State(state): State<AppState>,
    Extension(domain): Extension<Domain>,
    headers: HeaderMap,
    Path(job_id): Path<String>,
    body: Bytes,
) -> Response {
    let mut job = match open_job_for(&state, domain, &headers, &job_id, "cannot run") {
        Ok(j) => j,
        Err(r) => return r,
    };
    let override_failed = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.get("overrideExecuteWithFailedRows").and_then(Value::as_bool))
        .unwrap_or(false);
    let result = (|| -> StoreResult<()> {
        if job.status == status::READY_FOR_DATA {
            validate(&state, &mut job)?;
        }
        let settings: CreateJob = serde_json::from_str(&job.settings).unwrap_or_default();
        let with_failed = settings.job_settings.as_ref().and_then(|s| s.execute_with_failed_rows).unwrap_or(true);
        if job.failed > 0 && !with_failed && !override_failed {
            job.status = status::FAILED.into();
            job.error = Some(format!(
                "The job has {} failed rows and executeWithFailedRows is false: nothing was written",
                job.failed
            ));
            job.updated = utc_timestamp(now_ms());
            return state.store().update_import_job(&job);
        }
        let now = now_ms();
        (job.due_at_ms, job.polls_left) = state.clock().finish_plan(now);
        job.status = status::PROCESSING.into();
        job.updated = utc_timestamp(now);
        state.store().update_import_job(&job)?;
        if state.clock() == ClockMode::Immediate {
            write(&state, &mut job)?;
        }
        Ok(())
    })();
    if let Err(e) = result {
        return internal(e);
    }
    (StatusCode::CREATED, Json(job_status(&state, domain, &job))).into_response()
}

fn job_status(state: &AppState, domain: Domain, job: &ImportJobRecord) -> JobStatus {
    let base = base_url(state, domain);
    JobStatus {
        job_id: job.job_id.clone(),
        job_status: job.status.clone(),
        job_status_description: Some(
            match job.status.as_str() {
                status::READY_FOR_DATA => "The job accepts data",
                status::READY_FOR_WRITE => "The data is validated and ready to be written",
                status::PROCESSING => "The data is being written to the model",
                status::COMPLETED => "The data was written to the model",
                _ => "The job failed",
            }
            .into(),
        ),
        additional_information: JobCounts {
            total_number_rows_in_job: job.total as u64,
            failed_number_rows: job.failed as u64,
        },
        invalid_rows_url: (job.failed > 0).then(|| format!("{base}/jobs/{}/invalidRows", job.job_id)),
        job_status_url: Some(format!("{base}/jobs/{}/status", job.job_id)),
        error: job.error.clone().map(|message| JobError { message }),
    }
}

/// `GET /jobs/{id}/status`.
pub async fn job_status_handler(
    State(state): State<AppState>,
    Extension(domain): Extension<Domain>,
    headers: HeaderMap,
    Path(job_id): Path<String>,
) -> Response {
    let mut job = match job_for(&state, domain, &headers, &job_id, false) {
        Ok(j) => j,
        Err(r) => return r,
    };
    let read = (|| -> StoreResult<()> {
        advance(&state)?;
        if let Some(fresh) = state.store().import_job(&job_id)? {
            job = fresh;
        }
        if job.status == status::PROCESSING {
            match job.polls_left {
                Some(0) => write(&state, &mut job)?,
                Some(n) => {
                    job.polls_left = Some(n - 1);
                    state.store().update_import_job(&job)?;
                }
                None => {}
            }
        }
        Ok(())
    })();
    if let Err(e) = read {
        return internal(e);
    }
    Json(job_status(&state, domain, &job)).into_response()
}

/// `DELETE /jobs/{id}`.
pub async fn delete_job(
    State(state): State<AppState>,
    Extension(domain): Extension<Domain>,
    headers: HeaderMap,
    Path(job_id): Path<String>,
) -> Response {
    if let Err(r) = job_for(&state, domain, &headers, &job_id, true) {
        return r;
    }
    match state.store().delete_import_job(&job_id) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => internal(e),
    }
}

/// `GET /jobs`: the caller's jobs.
pub async fn list_jobs(
    State(state): State<AppState>,
    Extension(domain): Extension<Domain>,
    headers: HeaderMap,
) -> Response {
    let owner = match importer(&state, domain, &headers, false) {
        Ok(o) => o,
        Err(r) => return r,
    };
    match state.store().import_jobs_of(&owner) {
        Ok(jobs) => Json(
            jobs.into_iter()
                .map(|j| JobSummary {
                    job_id: j.job_id,
                    model_id: j.model,
                    owner: j.owner,
                    status: j.status,
                    import_type: j.import_type,
                    last_updated_time: j.updated,
                })
                .collect::<Vec<_>>(),
        )
        .into_response(),
        Err(e) => internal(e),
    }
}

/// Finishes processing jobs whose time has come.
pub fn advance(state: &AppState) -> StoreResult<()> {
    let now = now_ms();
    for mut job in state.store().processing_import_jobs()? {
        if job.due_at_ms.is_some_and(|due| due <= now) {
            write(state, &mut job)?;
        }
    }
    Ok(())
}

/// Finishes processing jobs: the one named, or all. Returns how many.
pub fn release(state: &AppState, job_id: Option<&str>) -> StoreResult<usize> {
    let mut released = 0;
    for mut job in state.store().processing_import_jobs()? {
        if job_id.is_none_or(|id| id == job.job_id) {
            write(state, &mut job)?;
            released += 1;
        }
    }
    Ok(released)
}

/// Writes the valid rows of a job into its model or dimension.
fn write(state: &AppState, job: &mut ImportJobRecord) -> StoreResult<()> {
    let tenant = state.tenant();
    job.due_at_ms = None;
    job.polls_left = None;
    job.updated = utc_timestamp(now_ms());
    if let Some(message) = crate::engine::take_run_failure(state) {
        job.status = status::FAILED.into();
        job.error = Some(message);
        return state.store().update_import_job(job);
    }
    let Some(target) = find_target(&tenant, &job.model) else {
        job.status = status::FAILED.into();
        job.error = Some(format!("The model {} no longer exists", job.model));
        return state.store().update_import_job(job);
    };
    let settings: CreateJob = serde_json::from_str(&job.settings).unwrap_or_default();
    let method = method_of(&settings);
    let store = state.store();
    let ignore_additional = settings.job_settings.as_ref().and_then(|s| s.ignore_additional_columns).unwrap_or(false);
    let columns: HashSet<String> = target.columns().into_iter().collect();
    let scope = scope_of(&target, &settings);
    if !scope.is_empty() {
        // CleanAndReplace: clear each scope tuple the valid rows touch, once.
        let mut cleared = BTreeSet::new();
        let mut after = -1;
        loop {
            let batch = store.import_rows(&job.job_id, after, BATCH)?;
            let Some(last) = batch.last().map(|(seq, _, _)| *seq) else { break };
            for (_, row, reason) in batch {
                if reason.is_none() {
                    let tuple: Vec<(String, String)> =
                        scope.iter().map(|d| (d.clone(), row.get(d).cloned().unwrap_or_default())).collect();
                    if cleared.insert(tuple.clone()) {
                        match &target {
                            Target::Model(m) => {
                                store.delete_facts(&m.id, &tuple)?;
                            }
                            Target::Dimension(_) => {}
                        }
                    }
                }
            }
            after = last;
        }
    }
    let mut after = -1;
    loop {
        let batch = store.import_rows(&job.job_id, after, BATCH)?;
        let Some(last) = batch.last().map(|(seq, _, _)| *seq) else { break };
        let valid: Vec<Row> = batch
            .into_iter()
            .filter(|(_, _, reason)| reason.is_none())
            .map(|(_, mut row, _)| {
                if ignore_additional {
                    row.retain(|k, _| columns.contains(k));
                }
                row
            })
            .collect();
        match &target {
            Target::Model(m) if method == "Append" => {
                let mut keyed = Vec::with_capacity(valid.len());
                for row in valid {
                    let key = fact_key(m, &row);
                    let mut merged = store.fact(&m.id, &key)?.unwrap_or_default();
                    for (column, value) in row {
                        if m.measures.contains(&column) {
                            let sum = merged.get(&column).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0)
                                + value.parse::<f64>().unwrap_or(0.0);
                            merged.insert(column, format_number(sum));
                        } else {
                            merged.insert(column, value);
                        }
                    }
                    keyed.push((key, merged));
                }
                store.upsert_facts(&m.id, &keyed)?;
            }
            Target::Model(m) => {
                let keyed: Vec<(String, Row)> = valid.into_iter().map(|r| (fact_key(m, &r), r)).collect();
                store.upsert_facts(&m.id, &keyed)?;
            }
            Target::Dimension(d) => {
                store.upsert_members(&d.id, d.key_attribute(), &valid)?;
            }
        }
        after = last;
    }
    job.status = status::COMPLETED.into();
    store.update_import_job(job)
}

/// A sum without float noise (`0.30000000000000004` -> `0.3`).
fn format_number(value: f64) -> String {
    let rounded = (value * 1e6).round() / 1e6;
    if rounded.fract() == 0.0 && rounded.abs() < 1e15 {
        format!("{}", rounded as i64)
    } else {
        format!("{rounded}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months() {
        assert!(valid_month("202601"));
        assert!(!valid_month("202613"));
        assert!(!valid_month("A02301"));
        assert!(!valid_month("2026-01"));
    }

    #[test]
    fn numbers_add_up_cleanly() {
        assert_eq!(format_number(0.1 + 0.2), "0.3");
        assert_eq!(format_number(3.0), "3");
    }

    #[test]
    fn csv_and_json_chunks() {
        let (rows, failed, _) =
            parse_rows("text/csv", b"Version,Date,Amount\npublic.Actual,202601,1.5\nx,y\n").unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0]["Amount"], "1.5");
        assert_eq!(failed.len(), 1);
        let (rows, failed, _) =
            parse_rows("application/json", br#"{"Data":[{"Version":"public.Actual","Amount":2},{"x":[1]},5]}"#)
                .unwrap();
        assert_eq!(rows[0]["Amount"], "2");
        assert_eq!(failed.len(), 2);
        assert!(parse_rows("application/json", b"{}").is_err());
    }
}
