//! The four namespaces of the Data Export API and the providers each holds
//! (changelog `644d83e8`, versions 1.1.0 and 1.2.0; page `8389d04c`):
//! `sac` (planning models), `sac_currency_tables` (currency conversion
//! tables), `sac_public_dimensions` (public dimensions) and
//! `sac_unit_conversion` (SAP's standard unit tables and the simplified
//! `StandardUnitConversion`). A leaf the handlers of this folder share:
//! [`resolve`] turns a namespace and a provider id into a [`Provider`] or
//! SAC's numbered refusal (1201, 1204; page `dbf30343`).

use axum::http::StatusCode;

use crate::api::error::ApiError;
use crate::store::conversions::UnitTable;
use crate::store::Store;
use crate::tenant::{Dimension, ModelDef, Tenant};

pub(super) const SAC: &str = "sac";
pub(super) const CURRENCY: &str = "sac_currency_tables";
pub(super) const PUBLIC_DIMENSIONS: &str = "sac_public_dimensions";
pub(super) const UNITS: &str = "sac_unit_conversion";

/// The namespaces with their descriptions, in the order SAC lists them
/// (changelog `644d83e8`, 1.2.0).
pub(super) const NAMESPACES: [(&str, &str); 4] = [
    (SAC, "SAC Namespace"),
    (CURRENCY, "SAC Currency Tables"),
    (PUBLIC_DIMENSIONS, "SAC Public Dimensions"),
    (UNITS, "SAC Unit Conversion"),
];

/// The simplified view of the unit tables (page `91794c97`).
pub(super) const STANDARD_UNITS: &str = "StandardUnitConversion";

/// What a provider id names.
#[derive(Clone, Debug)]
pub(super) enum Provider<'t> {
    Model(&'t ModelDef),
    /// A currency table, by its id without `t.X:`.
    Currency(String),
    PublicDimension(&'t Dimension),
    Unit(UnitTable),
    StandardUnits,
}

impl Provider<'_> {
    pub fn namespace(&self) -> &'static str {
        match self {
            Provider::Model(_) => SAC,
            Provider::Currency(_) => CURRENCY,
            Provider::PublicDimension(_) => PUBLIC_DIMENSIONS,
            Provider::Unit(_) | Provider::StandardUnits => UNITS,
        }
    }

    /// The id as the providers list gives it: `t.G:NAME` for tenant
    /// objects of the newer namespaces (as the guide's samples show), the
    /// model id for `sac`, the table name for units.
    pub fn id(&self, tenant: &Tenant) -> String {
        match self {
            Provider::Model(m) => m.id.clone(),
            Provider::Currency(id) => tenant.object_name(id),
            Provider::PublicDimension(d) => tenant.object_name(&d.id),
            Provider::Unit(t) => t.id().to_string(),
            Provider::StandardUnits => STANDARD_UNITS.to_string(),
        }
    }

    /// The entity sets of the provider's service document.
    pub fn entity_sets(&self) -> Vec<String> {
        match self {
            Provider::Model(_) => vec![],
            Provider::Currency(_) => vec!["CurrencyTable".into()],
            Provider::PublicDimension(_) => vec!["PublicDimensionData".into()],
            Provider::Unit(t) => vec![t.entity_set().into()],
            Provider::StandardUnits => vec!["ConversionRates".into()],
        }
    }
}

/// SAC's 1201: the namespace is not one of [`NAMESPACES`] (page `dbf30343`;
/// the status is an **assumption**: 404, as for an unknown provider).
pub(super) fn unknown_namespace(namespace: &str) -> ApiError {
    let known: Vec<&str> = NAMESPACES.iter().map(|(n, _)| *n).collect();
    ApiError::api(
        StatusCode::NOT_FOUND,
        "1201",
        format!("The namespace {namespace} does not exist: use one of {} [1201]", known.join(", ")),
    )
}

/// SAC's 1204: the namespace exists, the provider does not (page `dbf30343`).
pub(super) fn unknown_provider(namespace: &str, id: &str) -> ApiError {
    ApiError::api(
        StatusCode::NOT_FOUND,
        "1204",
        format!(
            "The provider {id} does not exist in namespace {namespace}: \
             list Namespaces(NamespaceID='{namespace}')/Providers for the valid ids [1204]"
        ),
    )
}

/// The provider `id` of `namespace`; tenant objects are found with or
/// without their `t.X:` prefix.
pub(super) fn resolve<'t>(
    tenant: &'t Tenant,
    store: &Store,
    namespace: &str,
    id: &str,
) -> Result<Provider<'t>, ApiError> {
    let bare = tenant.strip_package(id).unwrap_or(id);
    let found = match namespace {
        SAC => tenant.model(bare).map(Provider::Model),
        CURRENCY => store.read(|r| r.currency_table(bare))?.map(|t| Provider::Currency(t.id)),
        PUBLIC_DIMENSIONS => tenant.dimension(bare).map(Provider::PublicDimension),
        UNITS if id == STANDARD_UNITS => Some(Provider::StandardUnits),
        UNITS => UnitTable::from_id(id).map(Provider::Unit),
        _ => return Err(unknown_namespace(namespace)),
    };
    found.ok_or_else(|| unknown_provider(namespace, id))
}

/// Every provider of `namespace`, with its description.
pub(super) fn providers<'t>(
    tenant: &'t Tenant,
    store: &Store,
    namespace: &str,
) -> Result<Vec<(Provider<'t>, String)>, ApiError> {
    Ok(match namespace {
        SAC => tenant.models.iter().map(|m| (Provider::Model(m), m.description.clone())).collect(),
        CURRENCY => store
            .read(|r| r.currency_tables())?
            .into_iter()
            .map(|t| (Provider::Currency(t.id), t.description))
            .collect(),
        PUBLIC_DIMENSIONS => tenant
            .dimensions
            .iter()
            .map(|d| {
                let text = if d.description.is_empty() { &d.id } else { &d.description };
                (Provider::PublicDimension(d), format!("{} - {text}", d.id))
            })
            .collect(),
        UNITS => {
            let mut list: Vec<(Provider<'t>, String)> =
                UnitTable::ALL.into_iter().map(|t| (Provider::Unit(t), t.description().to_string())).collect();
            list.insert(0, (Provider::StandardUnits, "Standard Unit Conversion".into()));
            list
        }
        _ => return Err(unknown_namespace(namespace)),
    })
}

/// A provider's name as the providers list shows it (the id without `t.X:`).
pub(super) fn name(tenant: &Tenant, provider: &Provider<'_>) -> String {
    let id = provider.id(tenant);
    tenant.strip_package(&id).unwrap_or(&id).to_string()
}
