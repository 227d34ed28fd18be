//! Planning models: their fact tables, the seed facts, and the data action
//! that copies one version into another.

use crate::store::facts::{FactTable, WriteMode};
use crate::store::{StoreResult, Writer};
use crate::tenant::{ModelDef, Tenant};

/// Creates the fact table of every model of `tenant` (if missing).
pub(crate) fn create_tables(w: &Writer<'_>, tenant: &Tenant) -> StoreResult<()> {
    for model in &tenant.models {
        w.create_fact_table(&FactTable::of(model))?;
    }
    Ok(())
}

/// Writes the seed facts of every model.
pub(crate) fn seed_facts(w: &Writer<'_>, tenant: &Tenant) -> StoreResult<()> {
    for model in &tenant.models {
        let table = FactTable::of(model);
        let mut writer = w.fact_writer(&table, WriteMode::Update)?;
        for row in &model.facts {
            let dims: Vec<&str> =
                table.dimensions.iter().map(|d| row.get(d).map(String::as_str).unwrap_or("")).collect();
            let measures: Vec<Option<f64>> =
                table.measures.iter().map(|m| row.get(m).and_then(|v| v.parse::<f64>().ok())).collect();
            writer.write(&dims, &measures)?;
        }
    }
    Ok(())
}

/// Replaces version `to` of `model` by a copy of version `from`; returns the
/// number of rows copied.
pub(crate) fn copy_version(w: &Writer<'_>, model: &ModelDef, from: &str, to: &str) -> StoreResult<usize> {
    w.copy_facts(&FactTable::of(model), "Version", from, to)
}
