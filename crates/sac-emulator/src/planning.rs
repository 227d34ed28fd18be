//! Planning models: fact rows, their keys, and the data action that copies
//! one version into another.

use crate::state::AppState;
use crate::store::StoreResult;
use crate::tenant::{ModelDef, Row};

/// The key of a fact: its dimension values in the model's order.
pub fn fact_key(model: &ModelDef, row: &Row) -> String {
    model
        .dimensions
        .iter()
        .map(|d| row.get(&d.name).map(String::as_str).unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\u{1f}")
}

/// Writes the seed facts of every model.
pub(crate) fn seed_facts(state: &AppState) -> StoreResult<()> {
    let tenant = state.tenant();
    for model in &tenant.models {
        let rows: Vec<(String, Row)> = model.facts.iter().map(|r| (fact_key(model, r), r.clone())).collect();
        state.store().upsert_facts(&model.id, &rows)?;
    }
    Ok(())
}

/// Replaces version `to` of `model` by a copy of version `from`; returns the
/// number of rows copied.
pub fn copy_version(state: &AppState, model: &ModelDef, from: &str, to: &str) -> StoreResult<usize> {
    let store = state.store();
    let source = store.facts(&model.id, &[("Version".into(), from.into())], 0, i64::MAX)?;
    store.delete_facts(&model.id, &[("Version".into(), to.into())])?;
    let copies: Vec<(String, Row)> = source
        .into_iter()
        .map(|mut row| {
            row.insert("Version".into(), to.into());
            (fact_key(model, &row), row)
        })
        .collect();
    store.upsert_facts(&model.id, &copies)?;
    Ok(copies.len())
}
