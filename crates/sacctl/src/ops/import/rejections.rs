//! The first reasons SAC gave for refusing rows, for a push's report: the
//! rows refused as they arrived (the upload answers' `failedRows`, SAP's
//! guide `d9dc1eb6`) and those validation found (`invalidRows`, with
//! `_REJECTION_REASON`), so that one run tells why rows failed.

use sac_types::dataimport::{InvalidRows, REJECTION_REASON};
use serde_json::{json, Map, Value};

/// How many rejected rows a report shows.
pub const SHOWN: usize = 5;

/// A rejected row and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Rejection {
    pub reason: String,
    /// The row's values, as SAC sent them back.
    pub row: Map<String, Value>,
}

impl Rejection {
    pub fn json(&self) -> Value {
        json!({"reason": self.reason, "row": self.row})
    }

    /// `reason (Version=public.Plan, Date=202607, ...)`.
    pub fn line(&self) -> String {
        let values: Vec<String> = self
            .row
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => format!("{k}={s}"),
                other => format!("{k}={other}"),
            })
            .collect();
        if values.is_empty() {
            self.reason.clone()
        } else {
            format!("{} ({})", self.reason, values.join(", "))
        }
    }
}

/// The first [`SHOWN`] rejections: those refused on arrival first, then
/// those validation found, each row once.
pub fn first(on_arrival: &[Value], invalid: &InvalidRows) -> Vec<Rejection> {
    let arrived = on_arrival.iter().map(|entry| Rejection {
        reason: entry.get("reason").and_then(Value::as_str).unwrap_or("no reason given").to_string(),
        row: entry.get("row").and_then(Value::as_object).cloned().unwrap_or_default(),
    });
    let validated = invalid.failed_rows.iter().map(|row| {
        let mut values: Map<String, Value> = row.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        let reason = match values.remove(REJECTION_REASON) {
            Some(Value::String(s)) => s,
            _ => "no reason given".to_string(),
        };
        Rejection { reason, row: values }
    });
    let mut shown: Vec<Rejection> = Vec::new();
    for rejection in arrived.chain(validated) {
        if shown.len() == SHOWN {
            break;
        }
        if !shown.contains(&rejection) {
            shown.push(rejection);
        }
    }
    shown
}

/// Every rejected row SAC named, in the shape of `invalidRows` (a row's
/// columns and `_REJECTION_REASON`): those refused on arrival first (as many
/// as were kept), then those validation found, for `--rejects-out`.
pub fn all(on_arrival: &[Value], invalid: &InvalidRows) -> InvalidRows {
    let arrived = on_arrival.iter().map(|entry| {
        let mut row: std::collections::BTreeMap<String, Value> = entry
            .get("row")
            .and_then(Value::as_object)
            .map(|o| o.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        let reason = entry.get("reason").cloned().unwrap_or(Value::String("no reason given".into()));
        row.insert(REJECTION_REASON.into(), reason);
        row
    });
    InvalidRows { failed_rows: arrived.chain(invalid.failed_rows.iter().cloned()).collect() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrival_first_then_validation_each_row_once() {
        let arrival =
            vec![json!({"row": {"Date": "202301"}, "reason": "Row is missing values for primary key(s) - Part"})];
        let invalid: InvalidRows = serde_json::from_value(json!({"failedRows": [
            {"Date": "202301", "_REJECTION_REASON": "Row is missing values for primary key(s) - Part"},
            {"Part": "P9999", "Date": "202301", "_REJECTION_REASON": "Invalid member P9999 for Part"}
        ]}))
        .unwrap();
        let shown = first(&arrival, &invalid);
        assert_eq!(shown.len(), 2, "{shown:?}");
        assert_eq!(shown[1].line(), "Invalid member P9999 for Part (Date=202301, Part=P9999)");
        assert_eq!(shown[0].json()["row"]["Date"], "202301");
        let both = all(&arrival, &invalid);
        assert_eq!(both.failed_rows.len(), 3);
        assert_eq!(both.failed_rows[0][REJECTION_REASON], "Row is missing values for primary key(s) - Part");
        let many: Vec<Value> = (0..9).map(|i| json!({"row": {"N": i}, "reason": "x"})).collect();
        assert_eq!(first(&many, &InvalidRows { failed_rows: vec![] }).len(), SHOWN);
    }
}
