//! A provider's `$metadata`: one entity type per entity set (`FactData`,
//! `<Dim>Master`, ...), in schema `sac`, as CSDL XML or (with
//! `$format=JSON`) CSDL JSON. Properties carry their facets (`MaxLength`,
//! `Precision`, `Scale`) and the source's native type in the annotation
//! `Integration.OriginalDataType`, as SAC's Data Export Service does.
//!
//! A new set gets its entity type in [`entity_type`]; the container lists
//! every set of [`entity_sets`] that has one.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

use super::conversions::{self, Shape};
use super::namespaces::Provider;
use super::public_dimensions;
use super::query::Format;
use crate::api::error::ApiError;
use crate::store::conversions::ColumnType;
use crate::tenant::{DimensionKind, ModelDef, Tenant, MASTER_DATE};

/// The schema's namespace: entity types are `sac.FactData`, ...
const SCHEMA: &str = "sac";
/// The annotation term holding a property's native type.
const ORIGINAL_TYPE: &str = "Integration.OriginalDataType";
/// Dimension members are NVARCHAR(256); dates `YYYYMM`, 6 characters
/// (the lengths Data Import's metadata gives too).
const MEMBER_LENGTH: u32 = 256;
const DATE_LENGTH: u32 = 6;
/// Measures are DECIMAL(31, 7) (DataHub's fixture of a real answer).
const MEASURE_PRECISION: u32 = 31;
const MEASURE_SCALE: u32 = 7;

/// One property of an entity type.
pub(super) struct Property {
    pub name: String,
    /// `Edm.String` or `Edm.Decimal`.
    pub edm: &'static str,
    pub nullable: bool,
    pub max_length: Option<u32>,
    pub precision_scale: Option<(u32, u32)>,
    /// NVARCHAR, DECIMAL, ...
    pub original: &'static str,
}

impl Property {
    pub fn text(name: &str, max_length: u32) -> Property {
        Property {
            name: name.to_string(),
            edm: "Edm.String",
            nullable: false,
            max_length: Some(max_length),
            precision_scale: None,
            original: "NVARCHAR",
        }
    }

    pub fn integer(name: &str) -> Property {
        Property {
            name: name.to_string(),
            edm: "Edm.Int32",
            nullable: true,
            max_length: None,
            precision_scale: None,
            original: "INTEGER",
        }
    }

    pub fn decimal(name: &str) -> Property {
        Property {
            name: name.to_string(),
            edm: "Edm.Decimal",
            nullable: true,
            max_length: None,
            precision_scale: Some((MEASURE_PRECISION, MEASURE_SCALE)),
            original: "DECIMAL",
        }
    }
}

/// An entity type: its name (the set's), key and properties in order.
pub(super) struct EntityType {
    pub name: String,
    pub key: Vec<String>,
    pub properties: Vec<Property>,
}

/// The entity type of the set `set` of `m`, or `None` for a set without
/// one. `FactDataAggregation` has `FactData`'s type (its rows are facts,
/// grouped): clients such as sacapi read every entity type whose name holds
/// "FactData" as the model's facts, so there is only one.
pub(super) fn entity_type(tenant: &Tenant, m: &ModelDef, set: &str) -> Option<EntityType> {
    let length = |kind: DimensionKind| if kind == DimensionKind::Date { DATE_LENGTH } else { MEMBER_LENGTH };
    let dimensions = || m.dimensions.iter().map(move |d| Property::text(&d.name, length(d.kind)));
    let keys = || m.dimensions.iter().map(|d| d.name.clone()).collect::<Vec<_>>();
    match set {
        "FactData" | "FactDataAggregation" => {
            let properties = dimensions().chain(m.measures.iter().map(|name| Property::decimal(name))).collect();
            Some(EntityType { name: "FactData".into(), key: keys(), properties })
        }
        "AuditData" => {
            let columns = super::audit::columns(m);
            let mut properties: Vec<Property> = dimensions().collect();
            properties.extend(columns.keys[m.dimensions.len()..].iter().map(|c| Property::text(c, MEMBER_LENGTH)));
            properties.extend(columns.measures.iter().map(|c| {
                if c.starts_with("Audit_Flag_") {
                    Property::integer(c)
                } else {
                    Property::decimal(c)
                }
            }));
            let mut key = keys();
            key.extend(["Audit_Time".to_string(), "Audit_User".to_string()]);
            Some(EntityType { name: "AuditData".into(), key, properties })
        }
        "MasterData" => {
            let columns = super::master::master_data_columns(tenant, m);
            let key = columns.iter().filter(|c| c.ends_with(".ID")).cloned().collect();
            let properties = columns.iter().map(|c| Property::text(c, MEMBER_LENGTH)).collect();
            Some(EntityType { name: "MasterData".into(), key, properties })
        }
        _ => {
            let master = tenant.master_set(m, set)?;
            let properties = master
                .properties()
                .iter()
                .map(|p| {
                    let date = p == "ID" || p == MASTER_DATE;
                    Property::text(p, if date { length(master.dimension.kind) } else { MEMBER_LENGTH })
                })
                .collect();
            Some(EntityType { name: set.to_string(), key: vec!["ID".into()], properties })
        }
    }
}

/// The sets with their entity types; each type once, in the order of the
/// sets.
fn sets_and_types(tenant: &Tenant, m: &ModelDef) -> (Vec<(String, String)>, Vec<EntityType>) {
    let mut sets = Vec::new();
    let mut types: Vec<EntityType> = Vec::new();
    for set in entity_sets(tenant, m) {
        let Some(t) = entity_type(tenant, m, &set) else { continue };
        sets.push((set, t.name.clone()));
        if !types.iter().any(|known| known.name == t.name) {
            types.push(t);
        }
    }
    (sets, types)
}

/// The entity sets of a model that are served, in the order its service
/// document lists them: the tenant's sets that have an entity type.
pub(super) fn entity_sets(tenant: &Tenant, m: &ModelDef) -> Vec<String> {
    tenant.entity_sets(m).into_iter().filter(|set| entity_type(tenant, m, set).is_some()).collect()
}

/// `GET …/$metadata`: XML unless `$format` asks for JSON.
pub(super) fn document(tenant: &Tenant, m: &ModelDef, format: Option<Format>) -> Result<Response, ApiError> {
    match format {
        None | Some(Format::Xml) => Ok(xml(tenant, m)),
        Some(Format::Json) => Ok(Json(csdl_json(tenant, m)).into_response()),
        Some(Format::Csv) => Err(ApiError::api(
            StatusCode::BAD_REQUEST,
            "400",
            "$metadata is XML or JSON: use $format=xml or $format=JSON",
        )),
    }
}

/// The entity type of a set outside `sac`, from its shape.
fn shaped_type(shape: &Shape) -> EntityType {
    let properties = shape
        .columns
        .iter()
        .map(|c| {
            let mut p = match c.data_type {
                ColumnType::Integer => Property::integer(&c.name),
                ColumnType::Decimal => Property::decimal(&c.name),
                ColumnType::Date => Property { original: "DATE", ..Property::text(&c.name, c.max_length) },
                ColumnType::Text => Property::text(&c.name, c.max_length),
            };
            p.nullable = c.nullable;
            p
        })
        .collect();
    let key = shape.columns.iter().filter(|c| c.key).map(|c| c.name.clone()).collect();
    EntityType { name: shape.type_name.clone(), key, properties }
}

/// `GET …/$metadata` of a provider outside `sac`: the entity type of each
/// set of its service document (pages `8fa26259`, changelog `644d83e8`).
pub(super) fn provider_document(provider: &Provider<'_>, format: Option<Format>) -> Result<Response, ApiError> {
    let mut sets = Vec::new();
    let mut types = Vec::new();
    for set in provider.entity_sets() {
        let shape = match provider {
            Provider::PublicDimension(d) => public_dimensions::shape(d),
            other => match conversions::shape(other, &set) {
                Some(Ok(shape)) => shape,
                _ => continue,
            },
        };
        sets.push((set, shape.type_name.clone()));
        types.push(shaped_type(&shape));
    }
    match format {
        None | Some(Format::Xml) => Ok(xml_of(&sets, &types)),
        Some(Format::Json) => Ok(Json(csdl_json_of(sets, types)).into_response()),
        Some(Format::Csv) => Err(ApiError::api(
            StatusCode::BAD_REQUEST,
            "400",
            "$metadata is XML or JSON: use $format=xml or $format=JSON",
        )),
    }
}

/// `GET /administration/$metadata` (page `f2dcf405`): the entity types of
/// the administration service, `Namespaces` and `Providers`, their ids not
/// nullable (changelog `644d83e8`, 1.3.1), as XML or (`$format=JSON`) JSON.
pub(super) fn administration_document(format: Option<Format>) -> Result<Response, ApiError> {
    let id = |name: &str| Property { nullable: false, ..Property::text(name, MEMBER_LENGTH) };
    let text = |name: &str| Property { nullable: true, ..Property::text(name, 5000) };
    let namespaces = EntityType {
        name: "Namespaces".into(),
        key: vec!["NamespaceID".into()],
        properties: vec![id("NamespaceID"), text("Description")],
    };
    let providers = EntityType {
        name: "Providers".into(),
        key: vec!["NamespaceID".into(), "ProviderID".into()],
        properties: vec![
            id("NamespaceID"),
            id("ProviderID"),
            text("ProviderName"),
            text("Description"),
            text("ServiceURL"),
        ],
    };
    let sets = vec![("Namespaces".to_string(), "Namespaces".to_string()), ("Providers".into(), "Providers".into())];
    let types = vec![namespaces, providers];
    match format {
        None | Some(Format::Xml) => Ok(xml_of(&sets, &types)),
        Some(Format::Json) => Ok(Json(csdl_json_of(sets, types)).into_response()),
        Some(Format::Csv) => Err(ApiError::api(
            StatusCode::BAD_REQUEST,
            "400",
            "$metadata is XML or JSON: use $format=xml or $format=JSON",
        )),
    }
}

/// Escapes text for an XML attribute.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

fn xml(tenant: &Tenant, m: &ModelDef) -> Response {
    let (sets, types) = sets_and_types(tenant, m);
    xml_of(&sets, &types)
}

fn xml_of(sets: &[(String, String)], types: &[EntityType]) -> Response {
    let mut types_xml = String::new();
    for t in types {
        let keys: String = t.key.iter().map(|k| format!("<PropertyRef Name=\"{}\"/>", escape(k))).collect();
        types_xml.push_str(&format!("<EntityType Name=\"{}\"><Key>{keys}</Key>", escape(&t.name)));
        for p in &t.properties {
            let mut facets = String::new();
            if let Some(n) = p.max_length {
                facets.push_str(&format!(" MaxLength=\"{n}\""));
            }
            if let Some((precision, scale)) = p.precision_scale {
                facets.push_str(&format!(" Precision=\"{precision}\" Scale=\"{scale}\""));
            }
            types_xml.push_str(&format!(
                "<Property Name=\"{}\" Type=\"{}\" Nullable=\"{}\"{facets}>\
<Annotation Term=\"{ORIGINAL_TYPE}\"><String>{}</String></Annotation></Property>",
                escape(&p.name),
                p.edm,
                p.nullable,
                p.original
            ));
        }
        types_xml.push_str("</EntityType>");
    }
    let sets: String = sets
        .iter()
        .map(|(set, ty)| format!("<EntitySet Name=\"{}\" EntityType=\"{SCHEMA}.{}\"/>", escape(set), escape(ty)))
        .collect();
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><edmx:Edmx xmlns:edmx=\"http://docs.oasis-open.org/odata/ns/edmx\" Version=\"4.0\">\
<edmx:DataServices><Schema xmlns=\"http://docs.oasis-open.org/odata/ns/edm\" Namespace=\"{SCHEMA}\">{types_xml}\
<EntityContainer Name=\"Container\">{sets}</EntityContainer></Schema></edmx:DataServices></edmx:Edmx>"
    );
    let mut response = body.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/xml"));
    response
}

/// The same schema as CSDL JSON (OData CSDL JSON 4.01 conventions).
fn csdl_json(tenant: &Tenant, m: &ModelDef) -> Value {
    let (sets, types) = sets_and_types(tenant, m);
    csdl_json_of(sets, types)
}

fn csdl_json_of(sets: Vec<(String, String)>, types: Vec<EntityType>) -> Value {
    let mut schema = Map::new();
    let mut container = Map::new();
    container.insert("$Kind".into(), json!("EntityContainer"));
    for (set, ty) in sets {
        container.insert(set, json!({"$Collection": true, "$Type": format!("{SCHEMA}.{ty}")}));
    }
    for t in types {
        let mut ty = Map::new();
        ty.insert("$Kind".into(), json!("EntityType"));
        ty.insert("$Key".into(), json!(t.key));
        for p in &t.properties {
            let mut prop = Map::new();
            prop.insert("$Type".into(), json!(p.edm));
            if p.nullable {
                prop.insert("$Nullable".into(), json!(true));
            }
            if let Some(n) = p.max_length {
                prop.insert("$MaxLength".into(), json!(n));
            }
            if let Some((precision, scale)) = p.precision_scale {
                prop.insert("$Precision".into(), json!(precision));
                prop.insert("$Scale".into(), json!(scale));
            }
            prop.insert(format!("@{ORIGINAL_TYPE}"), json!(p.original));
            ty.insert(p.name.clone(), Value::Object(prop));
        }
        schema.insert(t.name, Value::Object(ty));
    }
    schema.insert("Container".into(), Value::Object(container));
    json!({"$Version": "4.0", "$EntityContainer": format!("{SCHEMA}.Container"), SCHEMA: schema})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tenant::Tenant;

    #[test]
    fn fact_data_type_has_facets_and_native_types_in_both_formats() {
        let tenant = Tenant::demo();
        let m = tenant.model("SALES_PLAN").unwrap();
        let t = entity_type(&tenant, m, "FactData").unwrap();
        assert_eq!(t.key, m.dimensions.iter().map(|d| d.name.clone()).collect::<Vec<_>>());
        let json = csdl_json(&tenant, m);
        let amount = &json[SCHEMA]["FactData"]["Amount"];
        assert_eq!((amount["$Precision"].as_u64(), amount["$Scale"].as_u64()), (Some(31), Some(7)));
        assert_eq!(amount["@Integration.OriginalDataType"], "DECIMAL");
        assert_eq!(json[SCHEMA]["FactData"]["Part"]["$MaxLength"], 256);
        assert_eq!(json[SCHEMA]["Container"]["PartMaster"]["$Type"], "sac.PartMaster");
        assert!(entity_type(&tenant, m, "NopeMaster").is_none());
        assert_eq!(json[SCHEMA]["Container"]["FactDataAggregation"]["$Type"], "sac.FactData");
        let names: Vec<&String> = json[SCHEMA].as_object().unwrap().keys().collect();
        assert_eq!(names.iter().filter(|n| n.contains("FactData")).count(), 1, "one FactData type: {names:?}");
        assert_eq!(json[SCHEMA]["AuditData"]["Audit_Flag_Amount"]["$Type"], "Edm.Int32");
        assert_eq!(json[SCHEMA]["MasterData"]["$Key"][0], "Part.ID");
        let version = entity_type(&tenant, m, "VersionMaster").unwrap();
        let names: Vec<&str> = version.properties.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(&names[..3], ["ID", "Description", "VERSION"]);
    }
}
