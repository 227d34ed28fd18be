//! The entity sets of the currency and unit conversion providers:
//! `CurrencyTable` (page `859c3671`), `{limiter}___Distinct` (page
//! `8fa6971e`), the unit tables' `ConversionRates`, `UnitDescriptions`,
//! `UnitGroups`, `GroupDescriptions` (pages `03cfa63a`, `10ee4cf2`) and the
//! simplified `StandardUnitConversion/ConversionRates` (pages `91794c97`,
//! `eb90ae27`). Each is a [`Shape`] (columns with their types and keys)
//! and its rows as JSON objects, read from `store::conversions`.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::namespaces::Provider;
use crate::store::conversions::{Column, ColumnType, ConversionRow, ConversionTable, UnitTable};
use crate::store::{Store, StoreResult};
use crate::tenant::Tenant;

/// One column of a set outside `sac`: its name, type and length, and
/// whether it is part of the key.
#[derive(Clone, Debug)]
pub(super) struct ShapeColumn {
    pub name: String,
    pub data_type: ColumnType,
    pub max_length: u32,
    pub key: bool,
    pub nullable: bool,
}

impl ShapeColumn {
    fn of(c: &Column) -> Self {
        ShapeColumn {
            name: c.name.into(),
            data_type: c.data_type,
            max_length: c.max_length,
            key: c.key,
            nullable: c.nullable || !c.key,
        }
    }

    pub(super) fn text(name: &str, max_length: u32, key: bool) -> Self {
        ShapeColumn { name: name.into(), data_type: ColumnType::Text, max_length, key, nullable: !key }
    }

    fn number(name: &str, data_type: ColumnType) -> Self {
        ShapeColumn { name: name.into(), data_type, max_length: 31, key: false, nullable: true }
    }

    /// Numbers are what `$filter` compares with numbers; all else is text.
    pub fn is_number(&self) -> bool {
        matches!(self.data_type, ColumnType::Integer | ColumnType::Decimal)
    }
}

/// The columns of a set, in the order its rows and `$metadata` give them.
#[derive(Clone, Debug)]
pub(super) struct Shape {
    /// The entity type's name (the set's, except for `___Distinct`, which
    /// answers as `CurrencyTable`).
    pub type_name: String,
    pub columns: Vec<ShapeColumn>,
}

/// The exported `rate` column: the currency table's id (page `859c3671`).
const RATE: &str = "rate";

const STANDARD_COLUMNS: [(&str, ColumnType); 16] = [
    ("Language", ColumnType::Text),
    ("GroupID", ColumnType::Text),
    ("GroupIDText", ColumnType::Text),
    ("UnitOfMeasurement", ColumnType::Text),
    ("IsoCode", ColumnType::Text),
    ("UnitOfMeasurementCommercialFormat", ColumnType::Text),
    ("UnitOfMeasurementTechnicalFormat", ColumnType::Text),
    ("UnitOfMeasurementShortText", ColumnType::Text),
    ("UnitOfMeasurementLongText", ColumnType::Text),
    ("IsBaseUnitInGroup", ColumnType::Text),
    ("Numerator", ColumnType::Integer),
    ("Denominator", ColumnType::Integer),
    ("BaseTenExponent", ColumnType::Integer),
    ("AdditiveConstant", ColumnType::Decimal),
    ("BaseTenExponentFloatingPoint", ColumnType::Integer),
    ("NumberDecimalPlacesForDisplay", ColumnType::Integer),
];

/// The shape of `set` of a currency or unit provider, or `None` when the
/// provider has no such set. `Err` carries the limiter of a
/// `___Distinct` set that names a column the table lacks.
pub(super) fn shape(provider: &Provider<'_>, set: &str) -> Option<Result<Shape, String>> {
    match provider {
        Provider::Currency(id) => {
            let table = ConversionTable::Currency(id.clone());
            let mut columns = vec![ShapeColumn::text(RATE, 256, true)];
            columns.extend(table.columns().iter().map(ShapeColumn::of));
            if set == "CurrencyTable" {
                return Some(Ok(Shape { type_name: set.into(), columns }));
            }
            let limiters: Vec<&str> = set.strip_suffix("___Distinct")?.split("___").collect();
            if let Some(bad) = limiters.iter().find(|l| !columns.iter().any(|c| c.name == **l) || **l == RATE) {
                return Some(Err(bad.to_string()));
            }
            // Only the limited columns, in the table's order, after `rate`.
            columns.retain(|c| c.name == RATE || limiters.contains(&c.name.as_str()));
            Some(Ok(Shape { type_name: "CurrencyTable".into(), columns }))
        }
        Provider::Unit(t) if set == t.entity_set() => {
            let columns = ConversionTable::Unit(*t).columns().iter().map(ShapeColumn::of).collect();
            Some(Ok(Shape { type_name: set.into(), columns }))
        }
        Provider::StandardUnits if set == "ConversionRates" => {
            let columns = STANDARD_COLUMNS
                .iter()
                .map(|(name, ty)| match ty {
                    ColumnType::Text => ShapeColumn::text(name, 60, matches!(*name, "Language" | "UnitOfMeasurement")),
                    _ => ShapeColumn::number(name, *ty),
                })
                .collect();
            Some(Ok(Shape { type_name: set.into(), columns }))
        }
        _ => None,
    }
}

/// The rows of `shape` for `provider`, in key order; a `___Distinct` set
/// gives each combination of its columns once.
pub(super) fn rows(tenant: &Tenant, store: &Store, provider: &Provider<'_>, shape: &Shape) -> StoreResult<Vec<Value>> {
    match provider {
        Provider::Currency(id) => {
            let stored = store.read(|r| r.conversion_rows(&ConversionTable::Currency(id.clone())))?;
            let rate = Value::String(tenant.object_name(id));
            let mut seen = std::collections::HashSet::new();
            let mut rows = Vec::new();
            for row in stored {
                let mut out = Map::new();
                out.insert(RATE.into(), rate.clone());
                for c in &shape.columns[1..] {
                    out.insert(c.name.clone(), row.get(&c.name).cloned().unwrap_or(Value::Null));
                }
                let out = Value::Object(out);
                if seen.insert(out.to_string()) {
                    rows.push(out);
                }
            }
            Ok(rows)
        }
        Provider::Unit(t) => {
            let stored = store.read(|r| r.conversion_rows(&ConversionTable::Unit(*t)))?;
            Ok(stored.into_iter().map(|r| Value::Object(r.into_iter().collect())).collect())
        }
        Provider::StandardUnits => standard_rows(store),
        _ => Ok(vec![]),
    }
}

/// `StandardUnitConversion`: one row per unit and language of `T006A`,
/// with the unit's rates (`T006`), its group's text (`T006T`) and whether
/// it is its group's base unit (`T006D`).
fn standard_rows(store: &Store) -> StoreResult<Vec<Value>> {
    let read = |t| store.read(|r| r.conversion_rows(&ConversionTable::Unit(t)));
    let text = |row: &ConversionRow, c: &str| row.get(c).and_then(Value::as_str).unwrap_or("").to_string();
    let units: HashMap<String, ConversionRow> =
        read(UnitTable::T006)?.into_iter().map(|r| (text(&r, "MSEHI"), r)).collect();
    let bases: HashMap<String, String> =
        read(UnitTable::T006D)?.into_iter().map(|r| (text(&r, "DIMID"), text(&r, "MSSIE"))).collect();
    let group_texts: HashMap<(String, String), String> = read(UnitTable::T006T)?
        .into_iter()
        .map(|r| ((text(&r, "SPRAS"), text(&r, "DIMID")), text(&r, "TXDIM")))
        .collect();
    let mut rows = Vec::new();
    for description in read(UnitTable::T006A)? {
        let id = text(&description, "MSEHI");
        let Some(unit) = units.get(&id) else { continue };
        let group = text(unit, "DIMID");
        let spras = text(&description, "SPRAS");
        let number = |c: &str| unit.get(c).cloned().unwrap_or(Value::from(0));
        let is_base = bases.get(&group).is_some_and(|b| *b == id);
        let pairs: [(&str, Value); 16] = [
            ("Language", text(&description, "LANGUAGE").into()),
            ("GroupID", group.clone().into()),
            ("GroupIDText", group_texts.get(&(spras, group)).cloned().unwrap_or_default().into()),
            ("UnitOfMeasurement", id.clone().into()),
            ("IsoCode", text(unit, "ISOCODE").into()),
            ("UnitOfMeasurementCommercialFormat", text(&description, "MSEH3").into()),
            ("UnitOfMeasurementTechnicalFormat", text(&description, "MSEH6").into()),
            ("UnitOfMeasurementShortText", text(&description, "MSEHT").into()),
            ("UnitOfMeasurementLongText", text(&description, "MSEHL").into()),
            ("IsBaseUnitInGroup", if is_base { "X" } else { "" }.into()),
            ("Numerator", number("ZAEHL")),
            ("Denominator", number("NENNR")),
            ("BaseTenExponent", number("EXP10")),
            ("AdditiveConstant", number("ADDKO")),
            ("BaseTenExponentFloatingPoint", number("EXPON")),
            ("NumberDecimalPlacesForDisplay", number("DECAN")),
        ];
        rows.push(Value::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()));
    }
    Ok(rows)
}
