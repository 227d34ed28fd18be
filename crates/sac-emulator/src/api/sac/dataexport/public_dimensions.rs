//! `PublicDimensionData` of the `sac_public_dimensions` namespace
//! (page `b0dae84e`, changelog `644d83e8` 1.2.0): the stored members of a
//! public dimension, `ID` first, then its attributes, with `Description`.

use serde_json::{Map, Value};

use super::conversions::{Shape, ShapeColumn};
use crate::store::{Store, StoreResult};
use crate::tenant::{Dimension, DESCRIPTION};

/// The member key column every public dimension has.
const ID: &str = "ID";
/// Member ids and texts are NVARCHAR(256), as the changelog's `$metadata` shows.
const LENGTH: u32 = 256;

/// The one set's shape: `ID` (the key), then the other attributes, with a
/// `Description` even when the dimension lists none.
pub(super) fn shape(d: &Dimension) -> Shape {
    let mut columns = vec![ShapeColumn::text(ID, LENGTH, true)];
    for a in d.attributes.iter().skip(1) {
        if a != ID {
            columns.push(ShapeColumn::text(a, LENGTH, false));
        }
    }
    if !columns.iter().any(|c| c.name == DESCRIPTION) {
        columns.push(ShapeColumn::text(DESCRIPTION, LENGTH, false));
    }
    Shape { type_name: "PublicDimensionData".into(), columns }
}

/// Every member, by id; an attribute a member lacks is empty.
pub(super) fn rows(store: &Store, d: &Dimension, shape: &Shape) -> StoreResult<Vec<Value>> {
    let members = store.read(|r| r.members(&d.id, 0, i64::MAX))?;
    let key = d.key_attribute();
    Ok(members
        .into_iter()
        .map(|m| {
            let mut row = Map::new();
            for c in &shape.columns {
                let source = if c.name == ID { key } else { c.name.as_str() };
                row.insert(c.name.clone(), Value::String(m.get(source).cloned().unwrap_or_default()));
            }
            Value::Object(row)
        })
        .collect())
}
