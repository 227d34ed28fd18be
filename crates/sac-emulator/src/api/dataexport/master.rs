//! `<Dimension>Master`: the members of one dimension.

use serde_json::{json, Value};

use crate::api::state::AppState;
use crate::store::FactTable;
use crate::tenant::{DimensionKind, ModelDef};

pub(super) fn master_rows(state: &AppState, m: &ModelDef, set: &str) -> crate::store::StoreResult<Option<Vec<Value>>> {
    let Some(dim) = set.strip_suffix("Master").and_then(|name| m.dimensions.iter().find(|d| d.name == name)) else {
        return Ok(None);
    };
    let ids: Vec<String> = match (dim.kind, &dim.members_of) {
        (DimensionKind::Version, _) => m.versions.clone(),
        (DimensionKind::Generic, Some(members)) => {
            let mut ids: Vec<String> = state.store().read(|r| r.member_ids(members))?.into_iter().collect();
            ids.sort();
            ids
        }
        _ => state.store().read(|r| r.fact_values(&FactTable::of(m), &dim.name))?,
    };
    Ok(Some(ids.into_iter().map(|id| json!({"ID": id})).collect()))
}
