//! `FactData`: one page of a model's facts, read from its typed table.

use crate::api::state::AppState;
use crate::store::facts::FactRow;
use crate::store::filter::Filter;
use crate::store::{FactQuery, FactTable};
use crate::tenant::ModelDef;

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
