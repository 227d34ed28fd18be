//! Rows held as JSON objects (master data, aggregates, audit entries): the
//! columns of their set, a cell for the filter, and their order. A leaf the
//! set modules share.

use std::cmp::Ordering;

use serde_json::Value;

use crate::store::filter::Cell;

/// The columns of a set: text columns (keys) and number columns (measures).
pub(super) struct SetColumns {
    pub keys: Vec<String>,
    pub measures: Vec<String>,
}

/// A JSON row's cell for the filter: strings are text, numbers and null
/// are measures.
pub(super) fn cell<'r>(row: &'r Value, column: &str) -> Option<Cell<'r>> {
    match row.get(column)? {
        Value::String(s) => Some(Cell::Text(s)),
        Value::Number(n) => Some(Cell::Number(n.as_f64())),
        Value::Null => Some(Cell::Number(None)),
        _ => None,
    }
}

/// Sorts rows by `order` (column, descending?); a stable sort, so ties keep
/// the order they were read in. Nulls and absent cells come first.
pub(super) fn sort(rows: &mut [Value], order: &[(String, bool)]) {
    if order.is_empty() {
        return;
    }
    rows.sort_by(|a, b| {
        for (column, desc) in order {
            let o = compare(a.get(column), b.get(column));
            let o = if *desc { o.reverse() } else { o };
            if o != Ordering::Equal {
                return o;
            }
        }
        Ordering::Equal
    });
}

fn compare(a: Option<&Value>, b: Option<&Value>) -> Ordering {
    match (a, b) {
        (Some(Value::String(x)), Some(Value::String(y))) => x.cmp(y),
        (Some(Value::Number(x)), Some(Value::Number(y))) => {
            x.as_f64().unwrap_or(0.0).partial_cmp(&y.as_f64().unwrap_or(0.0)).unwrap_or(Ordering::Equal)
        }
        (None | Some(Value::Null), None | Some(Value::Null)) => Ordering::Equal,
        (None | Some(Value::Null), _) => Ordering::Less,
        (_, None | Some(Value::Null)) => Ordering::Greater,
        _ => Ordering::Equal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sort_by_several_columns_nulls_first() {
        let mut rows = vec![
            json!({"A": "x", "N": 2}),
            json!({"A": "y", "N": null}),
            json!({"A": "x", "N": 1}),
            json!({"A": "y", "N": 5}),
        ];
        sort(&mut rows, &[("A".into(), true), ("N".into(), false)]);
        let got: Vec<(String, Value)> =
            rows.iter().map(|r| (r["A"].as_str().unwrap().into(), r["N"].clone())).collect();
        assert_eq!(
            got,
            [("y".into(), Value::Null), ("y".into(), json!(5)), ("x".into(), json!(1)), ("x".into(), json!(2))]
        );
    }

    #[test]
    fn cells_of_json_rows() {
        let row = json!({"T": "a", "N": 1.5, "Z": null});
        assert_eq!(cell(&row, "T"), Some(Cell::Text("a")));
        assert_eq!(cell(&row, "N"), Some(Cell::Number(Some(1.5))));
        assert_eq!(cell(&row, "Z"), Some(Cell::Number(None)));
        assert_eq!(cell(&row, "X"), None);
    }
}
