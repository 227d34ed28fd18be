//! Who may read the Data Export API and its URLs; shared by the handlers
//! of this folder.

use axum::http::{header, StatusCode};

use crate::api::caller::Caller;
use crate::api::error::ApiError;
use crate::api::state::AppState;
use crate::tenant::Role;
use crate::Domain;

/// Any user of the tenant, or a technical client with the Data Export
/// Service in its access list (else SAC's 3401).
pub(super) fn reader(state: &AppState, caller: &Caller) -> Result<(), ApiError> {
    let principal = caller.service()?;
    let tenant = state.tenant();
    match principal.user {
        None => {
            let client_id = principal.client_id.unwrap_or_default();
            if tenant.client(&client_id).is_some_and(|c| c.access.iter().any(|a| a == "Data Export Service")) {
                Ok(())
            } else {
                Err(ApiError::api(
                    StatusCode::BAD_REQUEST,
                    "3401",
                    "OAuth Client is not allowed to interact with API [3401]",
                ))
            }
        }
        Some(user) => match tenant.user(&user) {
            Some(u) if u.in_tenant && matches!(u.role, Role::Planner | Role::Viewer) => Ok(()),
            _ => Err(ApiError::api(
                StatusCode::FORBIDDEN,
                "403",
                format!("User {user} does not exist in tenant {}", tenant.letter),
            )),
        },
    }
}

pub(super) fn base(state: &AppState, domain: Domain) -> String {
    format!("{}/api/v1/dataexport", state.domain_url(domain))
}

/// The service's base URL as the client called it: the scheme the
/// emulator serves and the `Host` the request named (so a link works from
/// wherever the client reached us), else the configured URL.
pub(super) fn request_base(state: &AppState, caller: &Caller) -> String {
    let configured = base(state, caller.domain);
    let scheme = configured.split_once("://").map(|(s, _)| s).unwrap_or("http");
    let host = caller
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_alphanumeric() || ".-:[]_".contains(c)));
    match host {
        Some(host) => format!("{scheme}://{host}/api/v1/dataexport"),
        None => configured,
    }
}
