//! `FactData`: one page of a model's facts, read from its typed table,
//! with `$filter` and `$orderby` run in SQL.

use axum::http::StatusCode;
use axum::response::Response;

use super::odata::{check_select, filter_and_order, Columns};
use super::page::{Page, Rows, Window};
use super::query::{Format, Options};
use crate::api::error::ApiError;
use crate::api::state::AppState;
use crate::store::facts::FactRow;
use crate::store::filter::Filter;
use crate::store::{FactQuery, FactTable};
use crate::tenant::ModelDef;

/// `GET …/FactData`: one page. `url` is the set's absolute URL.
pub(super) fn answer(
    state: &AppState,
    m: &ModelDef,
    options: &Options,
    window: Window,
    url: &str,
) -> Result<Response, ApiError> {
    let table = FactTable::of(m);
    let known = Columns { dimensions: &table.dimensions, measures: &table.measures };
    let (filter, order) = filter_and_order(options, &known)?;
    if let Some(select) = &options.select {
        let all: Vec<String> = table.dimensions.iter().chain(&table.measures).cloned().collect();
        check_select(Some(select), &all, "FactData")?;
        let missing: Vec<&str> = table.dimensions.iter().filter(|k| !select.contains(k)).map(String::as_str).collect();
        if !missing.is_empty() {
            return Err(ApiError::api(
                StatusCode::BAD_REQUEST,
                "1402",
                format!("$select must contain every key column of FactData; add {} [1402]", missing.join(", ")),
            ));
        }
    }
    let count = match options.count {
        true => Some(state.store().read(|r| r.fact_count_matching(&table, filter.as_ref()))?),
        false => None,
    };
    let text = options.filter.as_deref().unwrap_or("");
    let rows = match window.take {
        0 => vec![],
        _ => fact_page(state, m, (text, filter.as_ref()), &order, window.offset, window.take)?,
    };
    let mut rows = Rows::Facts(table, rows);
    let next_link = window.finish(&mut rows, options, url);
    let page = Page {
        context: "$metadata#FactData".into(),
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

/// Up to `take + 1` facts from position `offset` (the extra one tells
/// whether another page follows). A page that continues the previous one
/// seeks past that page's last key instead of skipping `offset` rows, so
/// that every page costs what the first one does. Pages in an `$orderby`
/// order skip `offset` rows (the cursors hold keys, which say nothing about
/// a position in another order). `filter` is the `$filter` text (what the
/// cursors are kept by) and its parsed form.
pub(super) fn fact_page(
    state: &AppState,
    m: &ModelDef,
    (text, filter): (&str, Option<&Filter>),
    order: &[(String, bool)],
    offset: i64,
    take: i64,
) -> crate::store::StoreResult<Vec<FactRow>> {
    let table = FactTable::of(m);
    let seek = order.is_empty();
    let cursor = if seek { state.export_cursors().take(&m.id, text, offset) } else { None };
    let query = match &cursor {
        Some(key) => FactQuery { filter, after: Some(key), offset: 0, limit: take + 1, ..Default::default() },
        None => FactQuery { filter, order, offset, limit: take + 1, ..Default::default() },
    };
    let rows = state.store().read(|r| r.facts(&table, &query))?;
    let last_of_page = usize::try_from(take).ok().and_then(|t| t.checked_sub(1)).and_then(|i| rows.get(i));
    if let Some(last) = last_of_page.filter(|_| seek) {
        state.export_cursors().put(&m.id, text, offset + take, last.dimensions.clone());
    }
    Ok(rows)
}
