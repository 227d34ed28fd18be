//! `FactDataAggregation`: the facts grouped by the dimensions `$select`
//! names (all of them without `$select`), the selected measures summed;
//! `$filter` applies to the facts before they are grouped. A sum that does
//! not fit the measures' `DECIMAL(31, 7)` is SAC's 4202, never a null.

use serde_json::{Map, Value};

use super::json_rows::sort;
use super::page::unserializable;
use crate::api::error::ApiError;
use crate::api::state::AppState;
use crate::store::facts::fits_measure;
use crate::store::filter::Filter;
use crate::store::FactTable;
use crate::tenant::ModelDef;

pub(super) fn rows(
    state: &AppState,
    m: &ModelDef,
    filter: Option<&Filter>,
    order: &[(String, bool)],
    select: Option<&[String]>,
) -> Result<Vec<Value>, ApiError> {
    let chosen = |c: &String| select.is_none_or(|s| s.contains(c));
    let group: Vec<String> = m.dimensions.iter().map(|d| d.name.clone()).filter(chosen).collect();
    let measures: Vec<String> = m.measures.iter().filter(|c| chosen(c)).cloned().collect();
    let groups = state.store().read(|r| r.fact_groups(&FactTable::of(m), &group, &measures, filter))?;
    let mut rows = Vec::with_capacity(groups.len());
    for g in groups {
        let mut row = Map::new();
        for (name, value) in group.iter().zip(g.dimensions) {
            row.insert(name.clone(), Value::String(value));
        }
        for (name, value) in measures.iter().zip(g.measures) {
            // A sum beyond DECIMAL(31, 7) is refused, never shown as null.
            if value.is_some_and(|v| !fits_measure(v)) {
                return Err(unserializable(name));
            }
            row.insert(name.clone(), value.map(Value::from).unwrap_or(Value::Null));
        }
        rows.push(Value::Object(row));
    }
    sort(&mut rows, order);
    Ok(rows)
}
