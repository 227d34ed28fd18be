//! `AuditData`: the changes of an audited model's facts (SAP Help
//! c56c2ede…): the fact's dimensions, `Audit_Time`, `Audit_User`, and per
//! measure `M` the columns `Audit_Old_M`, `Audit_New_M`, `Audit_Delta_M`
//! and `Audit_Flag_M`. Only for technical clients (two-legged OAuth); a
//! model with Data Audit off answers `[3905]`.

use axum::http::StatusCode;
use serde_json::{Map, Value};

use super::json_rows::SetColumns;
use crate::api::caller::Caller;
use crate::api::error::ApiError;
use crate::api::state::AppState;
use crate::store::{AuditRecord, StoreResult};
use crate::tenant::ModelDef;

const KINDS: [&str; 4] = ["Old", "New", "Delta", "Flag"];

pub(super) fn columns(m: &ModelDef) -> SetColumns {
    let mut keys: Vec<String> = m.dimensions.iter().map(|d| d.name.clone()).collect();
    keys.extend(["Audit_Time".to_string(), "Audit_User".to_string()]);
    let measures = m.measures.iter().flat_map(|name| KINDS.map(|k| format!("Audit_{k}_{name}"))).collect();
    SetColumns { keys, measures }
}

pub(super) fn admit(caller: &Caller, m: &ModelDef) -> Result<(), ApiError> {
    if !m.audit {
        return Err(ApiError::api(
            StatusCode::BAD_REQUEST,
            "3905",
            format!(
                "Data audit is not enabled for the provider {}: turn on Data Audit in its model preferences [3905]",
                m.id
            ),
        ));
    }
    if caller.service()?.user.is_some() {
        return Err(ApiError::api(
            StatusCode::FORBIDDEN,
            "403",
            "AuditData is available to technical clients only (two-legged OAuth, client credentials)",
        ));
    }
    Ok(())
}

/// Every logged change, oldest first.
pub(super) fn rows(state: &AppState, m: &ModelDef) -> StoreResult<Vec<Value>> {
    let records = state.store().read(|r| r.audit_records(&crate::store::FactTable::of(m), 0, i64::MAX))?;
    Ok(records.iter().map(|rec| row(m, rec)).collect())
}

fn row(m: &ModelDef, rec: &AuditRecord) -> Value {
    let mut row = Map::new();
    for (d, value) in m.dimensions.iter().zip(&rec.dimensions) {
        row.insert(d.name.clone(), Value::String(value.clone()));
    }
    row.insert("Audit_Time".into(), Value::String(rec.time.clone()));
    row.insert("Audit_User".into(), Value::String(rec.user.clone()));
    for (i, name) in m.measures.iter().enumerate() {
        let (old, new) = (rec.old.get(i).copied().flatten(), rec.new.get(i).copied().flatten());
        let delta = match (old, new) {
            (None, None) => None,
            _ => Some(round(new.unwrap_or(0.0) - old.unwrap_or(0.0))),
        };
        let number = |v: Option<f64>| v.map(Value::from).unwrap_or(Value::Null);
        row.insert(format!("Audit_Old_{name}"), number(old));
        row.insert(format!("Audit_New_{name}"), number(new));
        row.insert(format!("Audit_Delta_{name}"), number(delta));
        row.insert(format!("Audit_Flag_{name}"), Value::from(flag(old, new)));
    }
    Value::Object(row)
}

/// 2 a value was created, 1 changed, 3 deleted, 0 unchanged.
fn flag(old: Option<f64>, new: Option<f64>) -> i64 {
    match (old, new) {
        (None, Some(_)) => 2,
        (Some(_), None) => 3,
        (Some(a), Some(b)) if a != b => 1,
        _ => 0,
    }
}

fn round(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_and_deltas() {
        assert_eq!(flag(None, Some(1.0)), 2);
        assert_eq!(flag(Some(1.0), Some(2.0)), 1);
        assert_eq!(flag(Some(1.0), None), 3);
        assert_eq!(flag(Some(1.0), Some(1.0)), 0);
        assert_eq!(round(0.3 - 0.1), 0.2);
    }
}
