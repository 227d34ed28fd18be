//! Planning models: their fact tables, the seed facts, and the data action
//! that copies one version into another.

use crate::store::facts::{FactTable, WriteMode};
use crate::store::{StoreResult, Writer};
use crate::tenant::{ModelDef, Tenant};

/// Creates the fact table of every model of `tenant` (if missing), with
/// Data Audit on or off as the model says.
pub(crate) fn create_tables(w: &Writer<'_>, tenant: &Tenant) -> StoreResult<()> {
    for model in &tenant.models {
        let table = FactTable::of(model);
        w.create_fact_table(&table)?;
        w.set_audit(&table, model.audit)?;
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

/// Replaces version `to` of `model` by a copy of version `from`, as `user`
/// did it (Data Audit); returns the number of rows copied.
pub(crate) fn copy_version(
    w: &Writer<'_>,
    model: &ModelDef,
    from: &str,
    to: &str,
    user: &str,
    now_ms: i64,
) -> StoreResult<usize> {
    w.with_audit(user, &audit_time(now_ms), |w| w.copy_facts(&FactTable::of(model), "Version", from, to))
}

/// `now_ms` as Data Audit stamps a change (UTC, milliseconds).
pub(crate) fn audit_time(now_ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(now_ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
