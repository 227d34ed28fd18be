//! The entity sets besides `FactData` whose rows are built as JSON objects:
//! `<Dim>Master`, `<Dim>MasterWithHierarchy`, `MasterData`
//! ([`super::master`]), `FactDataAggregation` ([`super::aggregation`]) and
//! `AuditData` ([`super::audit`]). For each: its columns (what `$filter`,
//! `$orderby` and `$select` may name), who may read it, and its rows with
//! `$filter` applied, in `$orderby` order; then [`answer`] serves them with
//! the same `$count`, paging and formats as `FactData`.

use std::cmp::Ordering;

use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::Value;

use super::page::{Page, Rows, Window};
use super::query::{Format, Options};
use super::{aggregation, audit, master};
use crate::api::odata::{parse_filter, parse_orderby, Columns};
use crate::api::responses::{api_error, internal};
use crate::api::state::AppState;
use crate::store::filter::{Cell, Filter};
use crate::store::StoreResult;
use crate::tenant::{ModelDef, Tenant};
use crate::Domain;

/// The columns of a set: text columns (keys) and number columns (measures).
pub(super) struct SetColumns {
    pub keys: Vec<String>,
    pub measures: Vec<String>,
}

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
pub(super) fn refusal(
    state: &AppState,
    domain: Domain,
    headers: &HeaderMap,
    m: &ModelDef,
    set: &str,
) -> Option<Response> {
    match set {
        "AuditData" => audit::refusal(state, domain, headers, m),
        _ => None,
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
) -> StoreResult<Vec<Value>> {
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
    pub domain: Domain,
    pub headers: &'a HeaderMap,
    pub m: &'a ModelDef,
    pub set: &'a str,
    pub url: &'a str,
}

/// One page of `set`, whose `columns` [`columns_of`] gave.
pub(super) fn answer(req: &Request<'_>, columns: SetColumns, options: &Options, window: Window) -> Response {
    if let Some(refused) = refusal(req.state, req.domain, req.headers, req.m, req.set) {
        return refused;
    }
    let known = Columns { dimensions: &columns.keys, measures: &columns.measures };
    let (filter, order) = match (
        options.filter.as_deref().map(|f| parse_filter(f, &known)).transpose(),
        options.orderby.as_deref().map(|o| parse_orderby(o, &known)).transpose(),
    ) {
        (Ok(filter), Ok(order)) => (filter, order.unwrap_or_default()),
        (Err(e), _) | (_, Err(e)) => return api_error(StatusCode::BAD_REQUEST, "400", &e),
    };
    let all: Vec<String> = columns.keys.into_iter().chain(columns.measures).collect();
    if let Some(bad) = options.select.iter().flatten().find(|c| !all.contains(c)) {
        let set = req.set;
        return api_error(
            StatusCode::BAD_REQUEST,
            "400",
            &format!("$select names {bad}, which is not a property of {set}"),
        );
    }
    let selected = match rows(req.state, req.m, req.set, filter.as_ref(), &order, options.select.as_deref()) {
        Ok(rows) => rows,
        Err(e) => return internal(e),
    };
    let count = options.count.then_some(selected.len() as i64);
    let page = selected.into_iter().skip(window.offset as usize).take(window.fetch() as usize).collect();
    let mut rows = Rows::Values { columns: all, rows: page };
    let next_link = window.finish(&mut rows, options, req.url);
    let page = Page {
        context: format!("$metadata#{}", req.set),
        next_link,
        count,
        rows: &rows,
        select: options.select.as_deref(),
    };
    match options.format {
        Some(Format::Csv) => page.csv(),
        _ => page.json(),
    }
}

/// A JSON row's cell for the filter: strings are text, numbers and null
/// are measures.
pub(super) fn cell<'r>(row: &'r Value, column: &str) -> Option<Cell<'r>> {
    match row.get(column)? {
        Value::String(s) => Some(Cell::Text(s)),
        Value::Number(n) => Some(Cell::Number(n.as_f64())),
        Value::Null => Some(Cell::Number(None)),
        _ => None,
    }
}

/// Sorts rows by `order` (column, descending?); a stable sort, so ties keep
/// the order they were read in. Nulls and absent cells come first.
pub(super) fn sort(rows: &mut [Value], order: &[(String, bool)]) {
    if order.is_empty() {
        return;
    }
    rows.sort_by(|a, b| {
        for (column, desc) in order {
            let o = compare(a.get(column), b.get(column));
            let o = if *desc { o.reverse() } else { o };
            if o != Ordering::Equal {
                return o;
            }
        }
        Ordering::Equal
    });
}

fn compare(a: Option<&Value>, b: Option<&Value>) -> Ordering {
    match (a, b) {
        (Some(Value::String(x)), Some(Value::String(y))) => x.cmp(y),
        (Some(Value::Number(x)), Some(Value::Number(y))) => {
            x.as_f64().unwrap_or(0.0).partial_cmp(&y.as_f64().unwrap_or(0.0)).unwrap_or(Ordering::Equal)
        }
        (None | Some(Value::Null), None | Some(Value::Null)) => Ordering::Equal,
        (None | Some(Value::Null), _) => Ordering::Less,
        (_, None | Some(Value::Null)) => Ordering::Greater,
        _ => Ordering::Equal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sort_by_several_columns_nulls_first() {
        let mut rows = vec![
            json!({"A": "x", "N": 2}),
            json!({"A": "y", "N": null}),
            json!({"A": "x", "N": 1}),
            json!({"A": "y", "N": 5}),
        ];
        sort(&mut rows, &[("A".into(), true), ("N".into(), false)]);
        let got: Vec<(String, Value)> =
            rows.iter().map(|r| (r["A"].as_str().unwrap().into(), r["N"].clone())).collect();
        assert_eq!(
            got,
            [("y".into(), Value::Null), ("y".into(), json!(5)), ("x".into(), json!(1)), ("x".into(), json!(2))]
        );
    }

    #[test]
    fn cells_of_json_rows() {
        let row = json!({"T": "a", "N": 1.5, "Z": null});
        assert_eq!(cell(&row, "T"), Some(Cell::Text("a")));
        assert_eq!(cell(&row, "N"), Some(Cell::Number(Some(1.5))));
        assert_eq!(cell(&row, "Z"), Some(Cell::Number(None)));
        assert_eq!(cell(&row, "X"), None);
    }
}
