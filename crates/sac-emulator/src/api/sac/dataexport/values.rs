//! The entity sets besides `FactData` whose rows are built as JSON objects:
//! `<Dim>Master`, `<Dim>MasterWithHierarchy`, `MasterData`
//! ([`super::master`]), `FactDataAggregation` ([`super::aggregation`]) and
//! `AuditData` ([`super::audit`]). For each: its columns (what `$filter`,
//! `$orderby` and `$select` may name), who may read it, and its rows with
//! `$filter` applied, in `$orderby` order; then [`answer`] serves them with
//! the same `$count`, paging and formats as `FactData`. The sets of the
//! other namespaces go the same way through [`answer_provider`].

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;

use super::conversions::{self, Shape, ShapeColumn};
use super::json_rows::{cell, sort, SetColumns};
use super::namespaces::Provider;
use super::odata::{check_select, filter_and_order, Columns};
use super::page::{Page, Rows, Window};
use super::public_dimensions;
use super::query::{Format, Options};
use super::unknown_set;
use super::{aggregation, audit, master};
use crate::api::caller::Caller;
use crate::api::error::ApiError;
use crate::api::state::AppState;
use crate::store::filter::Filter;
use crate::tenant::{ModelDef, Tenant};

/// The columns of `set`, or `None` when the model has no such set.
pub(super) fn columns_of(tenant: &Tenant, m: &ModelDef, set: &str) -> Option<SetColumns> {
    match set {
        "MasterData" => Some(SetColumns { keys: master::master_data_columns(tenant, m), measures: vec![] }),
        "FactDataAggregation" => Some(SetColumns {
            keys: m.dimensions.iter().map(|d| d.name.clone()).collect(),
            measures: m.measures.clone(),
        }),
        "AuditData" => Some(audit::columns(m)),
        _ => tenant.master_set(m, set).map(|s| SetColumns { keys: s.properties(), measures: vec![] }),
    }
}

/// SAC's refusal of a read of `set`, if it refuses it.
pub(super) fn admit(caller: &Caller, m: &ModelDef, set: &str) -> Result<(), ApiError> {
    match set {
        "AuditData" => audit::admit(caller, m),
        _ => Ok(()),
    }
}

/// The rows of `set` that pass `filter`, in `order` (then as read).
/// `select` picks the groups of `FactDataAggregation`.
pub(super) fn rows(
    state: &AppState,
    m: &ModelDef,
    set: &str,
    filter: Option<&Filter>,
    order: &[(String, bool)],
    select: Option<&[String]>,
) -> Result<Vec<Value>, ApiError> {
    let mut rows = match set {
        "MasterData" => master::master_data_rows(state, m)?,
        // Grouped in SQL, with the filter applied to the facts.
        "FactDataAggregation" => return aggregation::rows(state, m, filter, order, select),
        "AuditData" => audit::rows(state, m)?,
        _ => master::master_rows(state, m, set)?.unwrap_or_default(),
    };
    if let Some(f) = filter {
        rows.retain(|r| f.matches(&|c| cell(r, c)));
    }
    sort(&mut rows, order);
    Ok(rows)
}

/// Who asks for which set of which model, and the set's absolute URL.
pub(super) struct Request<'a> {
    pub state: &'a AppState,
    pub caller: &'a Caller,
    pub m: &'a ModelDef,
    pub set: &'a str,
    pub url: &'a str,
}

/// One page of `set`, whose `columns` [`columns_of`] gave.
pub(super) fn answer(
    req: &Request<'_>,
    columns: SetColumns,
    options: &Options,
    window: Window,
) -> Result<Response, ApiError> {
    admit(req.caller, req.m, req.set)?;
    let listing = Listing { set: req.set, context: format!("$metadata#{}", req.set), url: req.url, order: None };
    serve(&listing, columns, options, window, |filter, order, select| {
        rows(req.state, req.m, req.set, filter, order, select)
    })
}

/// What a page of a set is called and where it lives: the set's name,
/// its `@odata.context` and its absolute URL.
pub(super) struct Listing<'a> {
    pub set: &'a str,
    pub context: String,
    pub url: &'a str,
    /// The columns in their `$metadata` order, when not keys then measures.
    pub order: Option<Vec<String>>,
}

/// One page of a set whose rows `read` gives (with `$filter` applied, in
/// `$orderby` order): `$select`, `$count`, paging and both formats.
pub(super) fn serve(
    listing: &Listing<'_>,
    columns: SetColumns,
    options: &Options,
    window: Window,
    read: impl FnOnce(Option<&Filter>, &[(String, bool)], Option<&[String]>) -> Result<Vec<Value>, ApiError>,
) -> Result<Response, ApiError> {
    let known = Columns { dimensions: &columns.keys, measures: &columns.measures };
    let (filter, order) = filter_and_order(options, &known)?;
    let all: Vec<String> = columns.keys.into_iter().chain(columns.measures).collect();
    check_select(options.select.as_deref(), &all, listing.set)?;
    let selected = read(filter.as_ref(), &order, options.select.as_deref())?;
    let count = options.count.then_some(selected.len() as i64);
    let page = selected.into_iter().skip(window.offset as usize).take(window.fetch() as usize).collect();
    let mut rows = Rows::Values { columns: listing.order.clone().unwrap_or(all), rows: page };
    let next_link = window.finish(&mut rows, options, listing.url);
    let page = Page {
        context: listing.context.clone(),
        next_link,
        count,
        rows: &rows,
        select: options.select.as_deref(),
        started: options.started,
    };
    Ok(match options.format {
        Some(Format::Csv) => page.csv(options.delimiter.as_deref()),
        _ => page.json(),
    })
}

/// The rows of a set outside `sac` (currency tables, public dimensions,
/// unit tables), whose `shape` is known: filtered and sorted in memory.
pub(super) fn shaped_rows(rows: Vec<Value>, filter: Option<&Filter>, order: &[(String, bool)]) -> Vec<Value> {
    let mut rows = rows;
    if let Some(f) = filter {
        rows.retain(|r| f.matches(&|c| cell(r, c)));
    }
    sort(&mut rows, order);
    rows
}

/// The columns of a shape as `$filter` sees them: numbers, and text.
pub(super) fn shape_columns(shape: &Shape) -> SetColumns {
    let (numbers, texts): (Vec<&ShapeColumn>, Vec<&ShapeColumn>) = shape.columns.iter().partition(|c| c.is_number());
    SetColumns {
        keys: texts.into_iter().map(|c| c.name.clone()).collect(),
        measures: numbers.into_iter().map(|c| c.name.clone()).collect(),
    }
}

/// One page of `set` of a provider outside `sac` (page `859c3671`,
/// `8fa6971e`, `b0dae84e`, `91794c97`, `03cfa63a`, `10ee4cf2`); `url` is
/// the set's absolute URL.
pub(super) fn answer_provider(
    state: &AppState,
    provider: &Provider<'_>,
    set: &str,
    options: &Options,
    window: Window,
    url: &str,
) -> Result<Response, ApiError> {
    let tenant = state.tenant();
    let shape = match provider {
        Provider::PublicDimension(d) if set == "PublicDimensionData" => public_dimensions::shape(d),
        _ => match conversions::shape(provider, set) {
            Some(Ok(shape)) => shape,
            Some(Err(bad)) => {
                return Err(ApiError::api(
                    StatusCode::BAD_REQUEST,
                    "1401",
                    format!("{set} limits the table to {bad}, which is not one of its columns [1401]"),
                ))
            }
            None => return Err(unknown_set(&provider.id(&tenant), set)),
        },
    };
    // The unit tables and public dimensions answer with an absolute
    // context (pages `03cfa63a`, `10ee4cf2`; changelog `644d83e8` 1.2.0),
    // the currency tables and the standard view with a relative one.
    let base = url.split_once("/providers/").map_or(url, |(base, _)| base);
    let (namespace, id) = (provider.namespace(), provider.id(&tenant));
    let context = match provider {
        Provider::Unit(_) => format!("{base}/providers/{namespace}/{id}/$metadata#{set}"),
        Provider::PublicDimension(_) => {
            format!("{base}/providers/{namespace}/{}/$metadata#{set}", id.replace(':', "%3A"))
        }
        _ => format!("$metadata#{}", shape.type_name),
    };
    let order = Some(shape.columns.iter().map(|c| c.name.clone()).collect());
    let listing = Listing { set, context, url, order };
    serve(&listing, shape_columns(&shape), options, window, |filter, order, _| {
        let rows = match provider {
            Provider::PublicDimension(d) => public_dimensions::rows(state.store(), d, &shape)?,
            other => conversions::rows(&tenant, state.store(), other, &shape)?,
        };
        Ok(shaped_rows(rows, filter, order))
    })
}
