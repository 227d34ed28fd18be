//! The system models SAP lists besides `dataManagement` and
//! `planningDataAction`: `user` (SAC_USERS) is the tenant's users and
//! `resource` (RESOURCE) its models, dimensions and multi actions, as the
//! tenant description has them; `planningVersion` (VERSION_STATISTICS_VIEW)
//! each version of each planning model with the facts it holds now; the
//! others (licenses, sessions, errors, performance) are statistics the
//! emulator does not keep, so their file is their header and no lines,
//! never made-up rows.

use super::Line;
use crate::store::filter::{Filter, Literal, Op};
use crate::store::{FactTable, Reader, StoreResult};
use crate::tenant::{DimensionKind, Role, Tenant};

/// The columns after the sort keys of the `planningVersion` model.
pub const VERSION_COLUMNS: [&str; 3] = ["model", "version", "rowCount"];

/// The columns after the sort keys of the `user` model.
const USER_COLUMNS: [&str; 2] = ["displayName", "role"];
/// The columns after the sort keys of the `resource` model.
const RESOURCE_COLUMNS: [&str; 1] = ["resourceId"];

/// The columns after the sort keys and the lines of `model`.
pub(super) fn statistics(tenant: &Tenant, model: &str) -> (&'static [&'static str], Vec<Line>) {
    match model {
        "user" => (&USER_COLUMNS, users(tenant)),
        "resource" => (&RESOURCE_COLUMNS, resources(tenant)),
        _ => (&[], vec![]),
    }
}

fn users(tenant: &Tenant) -> Vec<Line> {
    let users = tenant.users.iter().filter(|u| u.in_tenant);
    users
        .map(|u| {
            let role = match u.role {
                Role::Planner => "PLANNER",
                Role::Viewer => "VIEWER",
            };
            let cells = ["USER", "", "", &u.id, "ACTIVE", "", "", &u.display_name, role];
            Line::new(cells.map(String::from).to_vec())
        })
        .collect()
}

fn resources(tenant: &Tenant) -> Vec<Line> {
    let named = |kind: &str, id: &str, description: &str| {
        let name = tenant.object_name(id);
        Line::new([kind, &name, description, "", "", "", "", id].map(String::from).to_vec())
    };
    let models = tenant.models.iter().map(|m| named("MODEL", &m.id, &m.description));
    let dimensions = tenant.dimensions.iter().map(|d| named("DIMENSION", &d.id, &d.description));
    let multi_actions = tenant.multi_actions.iter().map(|m| named("MULTI_ACTION", &m.id, &m.description));
    models.chain(dimensions).chain(multi_actions).collect()
}

/// One line per version of each planning model: `VERSION`, the model, how
/// many facts it holds, -, `PUBLIC` (the emulator's versions are public
/// ones), the version, -; then the model's id, the version and the count.
pub(super) fn versions(tenant: &Tenant, r: &Reader<'_>) -> StoreResult<Vec<Line>> {
    let mut lines = Vec::new();
    for model in &tenant.models {
        let table = FactTable::of(model);
        let column = model.dimensions.iter().find(|d| d.kind == DimensionKind::Version).map(|d| d.name.clone());
        for version in &model.versions {
            let count = match &column {
                Some(column) => {
                    let only =
                        Filter::Compare { column: column.clone(), op: Op::Eq, value: Literal::Text(version.clone()) };
                    r.fact_count_matching(&table, Some(&only))?
                }
                None => 0,
            };
            let name = tenant.object_name(&model.id);
            let description = format!("{count} facts");
            let cells =
                ["VERSION", &name, &description, "", "PUBLIC", version, "", &model.id, version, &count.to_string()];
            lines.push(Line::new(cells.map(String::from).to_vec()));
        }
    }
    Ok(lines)
}
