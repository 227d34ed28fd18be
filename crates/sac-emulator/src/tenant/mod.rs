//! The description of an emulated tenant: OAuth clients, users, source
//! systems, dimensions and data import schedules.
//!
//! A tenant is plain data. [`Tenant::demo`] builds the demo tenant that the
//! design contract fixes (tenant `G`, users `JDOE` and `VIEWER`, BW
//! InfoObject `ZEPPART` with 89 records, schedule
//! `F58CA15F78AA9039E200586F05E2BB93`); `--tenant FILE` loads the same shape
//! from TOML (`sacctl emulator --print-tenant` writes the demo one as a
//! starting point).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub mod calendar;
pub mod demo;
mod master;
pub mod units;
pub use calendar::{CalendarEventDef, EventKind, EventStatus};
pub use demo::ISO_COUNTRIES;
pub use master::{
    order_column, parent_column, previous_column, MasterSet, MemberSource, ACC_TYPE, DESCRIPTION, MASTER_DATE,
    MASTER_VERSION,
};
pub use units::CurrencyTableDef;

/// One row of a source object or one member of a dimension: column -> value.
pub type Row = BTreeMap<String, String>;

/// Default lifetime of access tokens, as observed on real tenants.
pub const DEFAULT_ACCESS_TOKEN_SECS: u64 = 3599;
/// Default lifetime of refresh tokens (720 h, per field notes).
pub const DEFAULT_REFRESH_TOKEN_SECS: u64 = 720 * 3600;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Tenant {
    /// The short tenant id used in object ids (`t.G:...`) and in the
    /// `tenant=` query parameter of UI-layer services.
    pub letter: String,
    #[serde(default = "default_access_secs")]
    pub access_token_secs: u64,
    #[serde(default = "default_refresh_secs")]
    pub refresh_token_secs: u64,
    /// Entity id of the emulator's own SAML identity provider.
    #[serde(default = "default_idp_entity")]
    pub idp_entity_id: String,
    /// Audience that SAML bearer assertions must name.
    #[serde(default = "default_sp_entity")]
    pub sp_entity_id: String,
    #[serde(default)]
    pub clients: Vec<OAuthClient>,
    #[serde(default)]
    pub users: Vec<User>,
    #[serde(default)]
    pub sources: Vec<SourceSystem>,
    #[serde(default)]
    pub dimensions: Vec<Dimension>,
    #[serde(default)]
    pub schedules: Vec<ScheduleDef>,
    /// Runs that happened before the emulator started (replayed at seed time).
    #[serde(default)]
    pub history: Vec<PastRun>,
    /// Planning models (fact data).
    #[serde(default)]
    pub models: Vec<ModelDef>,
    #[serde(default)]
    pub multi_actions: Vec<MultiActionDef>,
    /// The planning calendar: processes and their tasks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub calendar: Vec<CalendarEventDef>,
    /// Currency conversion tables (`sac_currency_tables`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub currency_tables: Vec<CurrencyTableDef>,
}

fn default_access_secs() -> u64 {
    DEFAULT_ACCESS_TOKEN_SECS
}
fn default_refresh_secs() -> u64 {
    DEFAULT_REFRESH_TOKEN_SECS
}
fn default_idp_entity() -> String {
    "https://idp.emulator.sacctl.invalid".into()
}
fn default_sp_entity() -> String {
    "https://emulator.authentication.sacctl.invalid".into()
}

/// Purpose of an OAuth client, as in SAC's App Integration page.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// Interactive Usage: needs a user context.
    Interactive,
    /// API Access: technical access to the public APIs in `access`.
    Api,
}

#[derive(Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OAuthClient {
    pub id: String,
    pub secret: String,
    pub purpose: Purpose,
    /// Grant types the client may use (`client_credentials`,
    /// `authorization_code`, `refresh_token`, `password`, `saml2_bearer`).
    pub grants: Vec<String>,
    /// Access list for API Access clients (`Data Import Service`, ...).
    #[serde(default)]
    pub access: Vec<String>,
    /// Allowed redirect URIs; `*` matches any run of characters.
    #[serde(default)]
    pub redirect_uris: Vec<String>,
}

impl std::fmt::Debug for OAuthClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthClient")
            .field("id", &self.id)
            .field("secret", &"[redacted]")
            .field("purpose", &self.purpose)
            .field("grants", &self.grants)
            .finish_non_exhaustive()
    }
}

impl OAuthClient {
    pub fn allows_grant(&self, grant: &str) -> bool {
        self.grants.iter().any(|g| g == grant)
    }

    /// True for an API Access client whose access list names `service`.
    pub fn may_access(&self, service: &str) -> bool {
        self.purpose == Purpose::Api && self.access.iter().any(|a| a == service)
    }
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// May read and run imports and multi actions.
    Planner,
    /// May read only.
    Viewer,
}

/// A person known to the identity provider. `in_tenant = false` models a
/// user the IdP vouches for but who has no SAC user record (error 3000).
#[derive(Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct User {
    pub id: String,
    pub password: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default = "yes")]
    pub in_tenant: bool,
    #[serde(default = "planner")]
    pub role: Role,
}

fn yes() -> bool {
    true
}
fn planner() -> Role {
    Role::Planner
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("password", &"[redacted]")
            .field("in_tenant", &self.in_tenant)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// A source system connection (e.g. SAP BW through the cloud connector).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SourceSystem {
    /// Connection name, e.g. `ZW2_IMPORT`.
    pub name: String,
    /// Connection type as the UI shows it, e.g. `SAP BW (Including BW/4HANA)`.
    pub kind: String,
    /// Backend system id, e.g. `ZW2`.
    pub system: String,
    #[serde(default)]
    pub objects: Vec<SourceObject>,
}

/// A source object (e.g. a BW InfoObject) and the rows it holds.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SourceObject {
    pub name: String,
    pub fields: Vec<String>,
    #[serde(default)]
    pub rows: Vec<Row>,
}

/// A dimension (global dimension or a model's own) with its members.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Dimension {
    /// Object id without the package prefix, e.g. `ZEPPART_001`.
    pub id: String,
    #[serde(default)]
    pub description: String,
    /// Attribute columns; the first is the member key (`ID`). A member's
    /// `Description` is the attribute of that name (empty when absent);
    /// an account dimension's members carry `accType`.
    pub attributes: Vec<String>,
    #[serde(default)]
    pub members: Vec<Row>,
    /// Parent-child hierarchies: each names an attribute (listed in
    /// `attributes`) whose value is the member's parent; empty or absent
    /// for a member at the top.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hierarchies: Vec<String>,
}

impl Dimension {
    pub fn key_attribute(&self) -> &str {
        self.attributes.first().map(String::as_str).unwrap_or("ID")
    }
}

/// A data import job built in the UI (Data Management), runnable as a schedule.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ScheduleDef {
    pub schedule_id: String,
    pub mapping_id: String,
    pub mapping_name: String,
    /// Target dimension/model id without package prefix.
    pub target: String,
    pub source: String,
    pub object: String,
    #[serde(default = "default_job_type")]
    pub job_type: String,
    /// target attribute -> source field
    pub columns: BTreeMap<String, String>,
    /// target attribute -> dimension whose members its values must be
    #[serde(default)]
    pub checks: BTreeMap<String, String>,
}

fn default_job_type() -> String {
    sac_types::legacy::JOB_TYPE_DATA_IMPORT.into()
}

/// A planning model: dimensions, measures and its fact rows.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ModelDef {
    /// Object id without package prefix, e.g. `SALES_PLAN`.
    pub id: String,
    #[serde(default)]
    pub description: String,
    pub dimensions: Vec<ModelDimension>,
    /// Numeric columns (accounts / measures).
    pub measures: Vec<String>,
    /// Members of the Version dimension (`public.Actual`, ...).
    #[serde(default)]
    pub versions: Vec<String>,
    /// Fact rows at seed time: dimension and measure columns.
    #[serde(default)]
    pub facts: Vec<Row>,
    /// Data Audit (model preferences, Access and Privacy): every change of
    /// fact data is logged and readable as `AuditData`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub audit: bool,
}

/// A dimension of a planning model.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ModelDimension {
    pub name: String,
    pub kind: DimensionKind,
    /// For `generic` and `account`: the dimension whose members are valid values.
    #[serde(default)]
    pub members_of: Option<String>,
    /// For `date`: the first and last month (`YYYYMM`) of the model's
    /// time range; without them the months that hold facts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_range: Option<(String, String)>,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DimensionKind {
    /// Values are the model's versions.
    Version,
    /// Months as `YYYYMM`.
    Date,
    /// Values are members of `members_of`.
    Generic,
    /// Accounts: members of `members_of`, each with an `accType`.
    Account,
}

/// A multi action: parameters and steps run in order.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MultiActionDef {
    /// Object id without package prefix, e.g. `MA_LOAD_ZEPPART`.
    pub id: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub parameters: Vec<MultiActionParameter>,
    pub steps: Vec<MultiActionStep>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MultiActionParameter {
    pub id: String,
    /// The model whose Version dimension the value must be a member of.
    pub version_of: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum MultiActionStep {
    /// Runs a data import schedule.
    DataImport { schedule_id: String },
    /// A data action that copies a version of a model into the version a
    /// parameter names.
    CopyVersion { model: String, from: String, to_parameter: String },
}

/// A finished run recorded before the emulator started.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PastRun {
    pub schedule_id: String,
    pub execution_id: String,
    pub user: String,
    /// UTC, RFC 3339.
    pub start_time: String,
    pub end_time: String,
}

/// Why a tenant description cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TenantError {
    #[error("the tenant file is not valid TOML for a tenant: {0}")]
    Parse(#[from] toml::de::Error),
    #[error("the tenant description is inconsistent: {0}")]
    Invalid(String),
}

impl Tenant {
    /// Parses and checks a tenant description written in TOML.
    pub fn from_toml(text: &str) -> Result<Self, TenantError> {
        let tenant: Tenant = toml::from_str(text)?;
        tenant.validate()?;
        Ok(tenant)
    }

    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).expect("a tenant always serializes to TOML")
    }

    /// Checks the references between the parts of the tenant.
    pub fn validate(&self) -> Result<(), TenantError> {
        let bad = |msg: String| Err(TenantError::Invalid(msg));
        if self.letter.is_empty() || !self.letter.chars().all(|c| c.is_ascii_alphanumeric()) {
            return bad(format!("letter {:?} must be a non-empty alphanumeric id", self.letter));
        }
        if let Some(problem) = units::currency_tables_problem(&self.currency_tables) {
            return bad(problem);
        }
        for s in &self.schedules {
            let Some(dim) = self.dimension(&s.target) else {
                return bad(format!("schedule {} targets unknown dimension {}", s.schedule_id, s.target));
            };
            let Some(obj) = self.source_object(&s.source, &s.object) else {
                return bad(format!(
                    "schedule {} reads unknown source object {}/{}",
                    s.schedule_id, s.source, s.object
                ));
            };
            for (target, field) in &s.columns {
                if !dim.attributes.contains(target) {
                    return bad(format!("schedule {} maps to unknown attribute {target} of {}", s.schedule_id, dim.id));
                }
                if !obj.fields.contains(field) {
                    return bad(format!("schedule {} maps from unknown field {field} of {}", s.schedule_id, obj.name));
                }
            }
            if !s.columns.contains_key(dim.key_attribute()) {
                return bad(format!(
                    "schedule {} does not map the key {} of {}",
                    s.schedule_id,
                    dim.key_attribute(),
                    dim.id
                ));
            }
            for check_dim in s.checks.values() {
                if self.dimension(check_dim).is_none() {
                    return bad(format!("schedule {} checks against unknown dimension {check_dim}", s.schedule_id));
                }
            }
        }
        for m in &self.models {
            for d in &m.dimensions {
                if matches!(d.kind, DimensionKind::Generic | DimensionKind::Account)
                    && d.members_of.as_deref().and_then(|id| self.dimension(id)).is_none()
                {
                    return bad(format!("model {} dimension {} needs members_of naming a dimension", m.id, d.name));
                }
            }
        }
        for d in &self.dimensions {
            if let Some(h) = d.hierarchies.iter().find(|h| !d.attributes.contains(h)) {
                return bad(format!("dimension {} has hierarchy {h}, which is not one of its attributes", d.id));
            }
            if let Some(problem) = master::hierarchy_problem(d) {
                return bad(problem);
            }
        }
        for m in &self.models {
            for d in &m.dimensions {
                if let Some((from, to)) = &d.date_range {
                    if master::months(from, to).is_none() {
                        return bad(format!(
                            "model {} dimension {} has date_range {from}..{to}: give two months YYYYMM, first <= last",
                            m.id, d.name
                        ));
                    }
                }
            }
        }
        for ma in &self.multi_actions {
            for step in &ma.steps {
                match step {
                    MultiActionStep::DataImport { schedule_id } if self.schedule(schedule_id).is_none() => {
                        return bad(format!("multi action {} runs unknown data import {schedule_id}", ma.id));
                    }
                    MultiActionStep::CopyVersion { model, to_parameter, .. } => {
                        if self.model(model).is_none() {
                            return bad(format!("multi action {} copies in unknown model {model}", ma.id));
                        }
                        if !ma.parameters.iter().any(|p| p.id == *to_parameter) {
                            return bad(format!("multi action {} has no parameter {to_parameter}", ma.id));
                        }
                    }
                    _ => {}
                }
            }
        }
        for run in &self.history {
            if self.schedule(&run.schedule_id).is_none() {
                return bad(format!("history names unknown schedule {}", run.schedule_id));
            }
        }
        if let Some(problem) = calendar::problem(self) {
            return bad(problem);
        }
        Ok(())
    }

    pub fn client(&self, id: &str) -> Option<&OAuthClient> {
        self.clients.iter().find(|c| c.id == id)
    }

    pub fn user(&self, id: &str) -> Option<&User> {
        self.users.iter().find(|u| u.id.eq_ignore_ascii_case(id))
    }

    pub fn dimension(&self, id: &str) -> Option<&Dimension> {
        self.dimensions.iter().find(|d| d.id == id)
    }

    pub fn source_object(&self, source: &str, object: &str) -> Option<&SourceObject> {
        self.sources.iter().find(|s| s.name == source).and_then(|s| s.objects.iter().find(|o| o.name == object))
    }

    pub fn source_system(&self, source: &str) -> Option<&SourceSystem> {
        self.sources.iter().find(|s| s.name == source)
    }

    pub fn model(&self, id: &str) -> Option<&ModelDef> {
        self.models.iter().find(|m| m.id == id)
    }

    pub fn multi_action(&self, id: &str) -> Option<&MultiActionDef> {
        self.multi_actions.iter().find(|m| m.id == id)
    }

    pub fn calendar_event(&self, id: &str) -> Option<&CalendarEventDef> {
        self.calendar.iter().find(|e| e.id == id)
    }

    pub fn schedule(&self, id: &str) -> Option<&ScheduleDef> {
        self.schedules.iter().find(|s| s.schedule_id == id)
    }

    /// `t.G:ZEPPART_001` for object `ZEPPART_001`.
    pub fn object_name(&self, id: &str) -> String {
        format!("t.{}:{}", self.letter, id)
    }

    /// The object id inside a `t.G:ID` name of this tenant.
    pub fn strip_package<'a>(&self, name: &'a str) -> Option<&'a str> {
        name.strip_prefix("t.")
            .and_then(|rest| rest.strip_prefix(self.letter.as_str()))
            .and_then(|rest| rest.strip_prefix(':'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_tenant_is_consistent_and_round_trips_through_toml() {
        let demo = Tenant::demo();
        demo.validate().unwrap();
        let again = Tenant::from_toml(&demo.to_toml()).unwrap();
        assert_eq!(demo, again);
    }

    #[test]
    fn demo_source_has_89_valid_records() {
        let demo = Tenant::demo();
        let obj = demo.source_object("ZW2_IMPORT", "ZEPPART").unwrap();
        assert_eq!(obj.rows.len(), 89);
        assert_eq!(obj.rows[0]["ZEPPART"], "P0001");
        assert_eq!(obj.rows[88]["ZEPPART"], "P0089");
        let codes: Vec<&str> = ISO_COUNTRIES.split_whitespace().collect();
        assert_eq!(codes.len(), 249);
        assert!(obj.rows.iter().all(|r| codes.contains(&r["COUNTRY"].as_str())));
    }

    #[test]
    fn broken_references_are_reported() {
        let mut t = Tenant::demo();
        t.schedules[0].columns.insert("ID".into(), "NOPE".into());
        let err = t.validate().unwrap_err().to_string();
        assert!(err.contains("unknown field NOPE"), "{err}");
        assert!(Tenant::from_toml("letter = 5").is_err());
    }

    #[test]
    fn package_names() {
        let t = Tenant::demo();
        assert_eq!(t.object_name("ZEPPART_001"), "t.G:ZEPPART_001");
        assert_eq!(t.strip_package("t.G:ZEPPART_001"), Some("ZEPPART_001"));
        assert_eq!(t.strip_package("t.H:ZEPPART_001"), None);
        assert_eq!(t.strip_package("ZEPPART_001"), None);
    }
}
