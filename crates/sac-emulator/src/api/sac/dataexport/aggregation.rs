//! `FactDataAggregation`: the facts grouped by the dimensions `$select`
//! names (all of them without `$select`), the selected measures summed;
//! `$filter` applies to the facts before they are grouped.

use serde_json::{Map, Value};

use super::json_rows::sort;
use crate::api::state::AppState;
use crate::store::filter::Filter;
use crate::store::{FactTable, StoreResult};
use crate::tenant::ModelDef;

pub(super) fn rows(
    state: &AppState,
    m: &ModelDef,
    filter: Option<&Filter>,
    order: &[(String, bool)],
    select: Option<&[String]>,
) -> StoreResult<Vec<Value>> {
    let chosen = |c: &String| select.is_none_or(|s| s.contains(c));
    let group: Vec<String> = m.dimensions.iter().map(|d| d.name.clone()).filter(chosen).collect();
    let measures: Vec<String> = m.measures.iter().filter(|c| chosen(c)).cloned().collect();
    let groups = state.store().read(|r| r.fact_groups(&FactTable::of(m), &group, &measures, filter))?;
    let mut rows: Vec<Value> = groups
        .into_iter()
        .map(|g| {
            let mut row = Map::new();
            for (name, value) in group.iter().zip(g.dimensions) {
                row.insert(name.clone(), Value::String(value));
            }
            for (name, value) in measures.iter().zip(g.measures) {
                row.insert(name.clone(), value.map(Value::from).unwrap_or(Value::Null));
            }
            Value::Object(row)
        })
        .collect();
    sort(&mut rows, order);
    Ok(rows)
}
