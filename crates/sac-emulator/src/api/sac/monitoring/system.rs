//! The system models SAP lists besides `dataManagement` and
//! `planningDataAction`: `user` (SAC_USERS) is the tenant's users and
//! `resource` (RESOURCE) its models, dimensions and multi actions, as the
//! tenant description has them; the others (licenses, sessions, errors,
//! performance, version statistics) are statistics the emulator does not
//! keep, so their file is their header and no lines, never made-up rows.

use super::Line;
use crate::tenant::{Role, Tenant};

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
