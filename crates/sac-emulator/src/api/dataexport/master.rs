//! `<Dimension>Master` and `<Dimension>MasterWithHierarchy`: the members
//! of one dimension with `ID`, `Description` and its attributes (see
//! `tenant::MasterSet`).

use serde_json::{json, Value};

use crate::api::state::AppState;
use crate::tenant::ModelDef;

pub(super) fn master_rows(state: &AppState, m: &ModelDef, set: &str) -> crate::store::StoreResult<Option<Vec<Value>>> {
    let tenant = state.tenant();
    let Some(master) = tenant.master_set(m, set) else {
        return Ok(None);
    };
    let rows = state.store().read(|r| r.master_rows(&master))?;
    Ok(Some(rows.into_iter().map(|row| json!(row)).collect()))
}
