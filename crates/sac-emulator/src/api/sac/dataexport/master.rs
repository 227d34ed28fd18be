//! Master data: `<Dimension>Master` and `<Dimension>MasterWithHierarchy`,
//! the members of one dimension with `ID`, `Description` and its
//! attributes (see `tenant::MasterSet`); and `MasterData`, the member
//! combinations the facts hold, joined with the master data of each
//! generic and account dimension as `<Dim>.<property>` (SAP Help 78009df9…).

use std::collections::HashMap;

use serde_json::{json, Map, Value};

use crate::api::state::AppState;
use crate::store::{FactTable, StoreResult};
use crate::tenant::{DimensionKind, MasterSet, ModelDef, Row, Tenant};

pub(super) fn master_rows(state: &AppState, m: &ModelDef, set: &str) -> StoreResult<Option<Vec<Value>>> {
    let tenant = state.tenant();
    let Some(master) = tenant.master_set(m, set) else {
        return Ok(None);
    };
    let rows = state.store().read(|r| r.master_rows(&master))?;
    Ok(Some(rows.into_iter().map(|row| json!(row)).collect()))
}

/// The dimensions `MasterData` covers: generic and account ones (SAC:
/// "Generic and organization dimensions are supported"; accounts appear
/// in its sample).
fn joined<'t>(tenant: &'t Tenant, m: &'t ModelDef) -> Vec<MasterSet<'t>> {
    tenant
        .master_sets(m)
        .into_iter()
        .filter(|s| matches!(s.dimension.kind, DimensionKind::Generic | DimensionKind::Account))
        .collect()
}

/// `Country.ID`, `Country.Description`, ... for every joined dimension.
pub(super) fn master_data_columns(tenant: &Tenant, m: &ModelDef) -> Vec<String> {
    joined(tenant, m)
        .iter()
        .flat_map(|s| s.properties().into_iter().map(move |p| format!("{}.{p}", s.dimension.name)))
        .collect()
}

/// One row per combination of members of the joined dimensions that the
/// facts hold, in the order of those members.
pub(super) fn master_data_rows(state: &AppState, m: &ModelDef) -> StoreResult<Vec<Value>> {
    let tenant = state.tenant();
    let sets = joined(&tenant, m);
    let names: Vec<String> = sets.iter().map(|s| s.dimension.name.clone()).collect();
    let (combinations, members) = state.store().read(|r| {
        let combinations = r.fact_groups(&FactTable::of(m), &names, &[], None)?;
        let members = sets
            .iter()
            .map(|s| Ok(r.master_rows(s)?.into_iter().map(|row| (row["ID"].clone(), row)).collect()))
            .collect::<StoreResult<Vec<HashMap<String, Row>>>>()?;
        Ok((combinations, members))
    })?;
    Ok(combinations
        .into_iter()
        .map(|combination| {
            let mut row = Map::new();
            for ((set, id), members) in sets.iter().zip(&combination.dimensions).zip(&members) {
                let fallback = set.row(&Row::from([("ID".to_string(), id.clone())]));
                let member = members.get(id).unwrap_or(&fallback);
                for p in set.properties() {
                    let value = member.get(&p).cloned().unwrap_or_default();
                    row.insert(format!("{}.{p}", set.dimension.name), Value::String(value));
                }
            }
            Value::Object(row)
        })
        .collect())
}
