//! A provider's `$metadata`: the entity types of the fact and master data
//! sets, as CSDL XML.

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};

use super::entity_sets;
use crate::api::responses::escape;
use crate::tenant::{ModelDef, Tenant};

pub(super) fn metadata_xml(tenant: &Tenant, m: &ModelDef) -> Response {
    let mut properties = String::new();
    for d in &m.dimensions {
        properties
            .push_str(&format!("<Property Name=\"{}\" Type=\"Edm.String\" Nullable=\"false\"/>", escape(&d.name)));
    }
    for name in &m.measures {
        properties.push_str(&format!("<Property Name=\"{}\" Type=\"Edm.Decimal\"/>", escape(name)));
    }
    let keys: String = m.dimensions.iter().map(|d| format!("<PropertyRef Name=\"{}\"/>", escape(&d.name))).collect();
    let sets: String = entity_sets(tenant, m)
        .iter()
        .map(|s| {
            let ty = if s.starts_with("FactData") { "FactDataType" } else { "MasterType" };
            format!("<EntitySet Name=\"{s}\" EntityType=\"sap.{}.{ty}\"/>", escape(&m.id))
        })
        .collect();
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><edmx:Edmx xmlns:edmx=\"http://docs.oasis-open.org/odata/ns/edmx\" Version=\"4.0\">\
<edmx:DataServices><Schema xmlns=\"http://docs.oasis-open.org/odata/ns/edm\" Namespace=\"sap.{id}\">\
<EntityType Name=\"FactDataType\"><Key>{keys}</Key>{properties}</EntityType>\
<EntityType Name=\"MasterType\"><Key><PropertyRef Name=\"ID\"/></Key><Property Name=\"ID\" Type=\"Edm.String\" Nullable=\"false\"/></EntityType>\
<EntityContainer Name=\"Container\">{sets}</EntityContainer></Schema></edmx:DataServices></edmx:Edmx>",
        id = escape(&m.id)
    );
    let mut response = xml.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/xml"));
    response
}
