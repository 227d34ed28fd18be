//! A page of an entity set as OData JSON: its rows, written straight from
//! what the store read.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::store::facts::FactRow;
use crate::store::FactTable;

/// The rows of a page: facts as stored, or master data already in JSON.
pub(super) enum Rows {
    Facts(FactTable, Vec<FactRow>),
    Values(Vec<Value>),
}

impl Rows {
    pub(super) fn len(&self) -> usize {
        match self {
            Rows::Facts(_, rows) => rows.len(),
            Rows::Values(rows) => rows.len(),
        }
    }

    pub(super) fn truncate(&mut self, n: usize) {
        match self {
            Rows::Facts(_, rows) => rows.truncate(n),
            Rows::Values(rows) => rows.truncate(n),
        }
    }
}

/// An OData page; its keys in the order the answer has always had (sorted,
/// as a JSON object's keys are serialised).
#[derive(Serialize)]
pub(super) struct Page<'a> {
    #[serde(rename = "@odata.context")]
    pub(super) context: String,
    #[serde(rename = "@odata.nextLink", skip_serializing_if = "Option::is_none")]
    pub(super) next_link: Option<String>,
    pub(super) value: PageRows<'a>,
}

/// The rows of a page as JSON objects with `$select`'s columns (all when
/// absent), keys sorted. Facts are written straight from the stored
/// values, dimensions as strings and measures as numbers (null when absent),
/// without building a JSON tree per row.
pub(super) struct PageRows<'a> {
    pub(super) rows: &'a Rows,
    pub(super) select: Option<&'a [String]>,
}

impl Serialize for PageRows<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        let wanted = |name: &str| self.select.is_none_or(|s| s.iter().any(|c| c == name));
        let mut seq = serializer.serialize_seq(Some(self.rows.len()))?;
        match self.rows {
            Rows::Facts(table, rows) => {
                // (name, Ok(dimension index) | Err(measure index)), sorted by name.
                let mut columns: Vec<(&str, Result<usize, usize>)> = Vec::new();
                columns.extend(table.dimensions.iter().enumerate().map(|(i, n)| (n.as_str(), Ok(i))));
                columns.extend(table.measures.iter().enumerate().map(|(i, n)| (n.as_str(), Err(i))));
                columns.retain(|(name, _)| wanted(name));
                columns.sort_by(|a, b| a.0.cmp(b.0));
                struct Fact<'r>(&'r [(&'r str, Result<usize, usize>)], &'r FactRow);
                impl Serialize for Fact<'_> {
                    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                        let mut map = serializer.serialize_map(Some(self.0.len()))?;
                        for (name, at) in self.0 {
                            match at {
                                Ok(i) => map.serialize_entry(name, &self.1.dimensions[*i])?,
                                Err(i) => map.serialize_entry(name, &self.1.measures[*i])?,
                            }
                        }
                        map.end()
                    }
                }
                for row in rows {
                    seq.serialize_element(&Fact(&columns, row))?;
                }
            }
            Rows::Values(rows) => {
                for row in rows {
                    match row.as_object() {
                        Some(object) if self.select.is_some() => {
                            let kept: Map<String, Value> =
                                object.iter().filter(|(k, _)| wanted(k)).map(|(k, v)| (k.clone(), v.clone())).collect();
                            seq.serialize_element(&kept)?;
                        }
                        _ => seq.serialize_element(row)?,
                    }
                }
            }
        }
        seq.end()
    }
}
