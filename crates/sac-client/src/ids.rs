//! SAC's object names and the ids inside them: a model, a multi action or
//! a public dimension is named `t.<TENANT>:<ID>` (e.g. `t.G:ZEPPART_001`);
//! the UI layer wants the tenant id (`G`), the public APIs the bare id.
//!
//! A leaf module: every service handler that takes a name uses it.

use std::fmt;

/// The tenant id inside a `t.<TENANT>:<ID>` object name.
pub fn tenant_of(object_name: &str) -> Option<&str> {
    let rest = object_name.strip_prefix("t.")?;
    let (tenant, id) = rest.split_once(':')?;
    (!tenant.is_empty() && !id.is_empty()).then_some(tenant)
}

/// The id the public APIs take for a model named `SALES_PLAN` or
/// `t.G:SALES_PLAN`: `SALES_PLAN`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ModelId(String);

impl ModelId {
    /// The id of a model given by its bare id or its full name.
    pub fn of(name: &str) -> Self {
        let id = name.split_once(':').map(|(_, id)| id).filter(|_| name.starts_with("t.")).unwrap_or(name);
        ModelId(id.to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ModelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for ModelId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_ids_come_from_object_names() {
        assert_eq!(tenant_of("t.G:ZEPPART_001"), Some("G"));
        assert_eq!(tenant_of("t.TEST:CEEF"), Some("TEST"));
        assert_eq!(tenant_of("ZEPPART_001"), None);
        assert_eq!(tenant_of("t.G:"), None);
    }

    #[test]
    fn model_names_become_ids() {
        assert_eq!(ModelId::of("t.G:SALES_PLAN").as_str(), "SALES_PLAN");
        assert_eq!(ModelId::of("SALES_PLAN").as_str(), "SALES_PLAN");
        assert_eq!(ModelId::of("x.G:SALES_PLAN").to_string(), "x.G:SALES_PLAN", "only t. names are qualified");
    }
}
