//! Who uses the console: a tenant user signed in through the browser login
//! (`/login`, the session cookie), as in SAC. Others are sent to sign in.

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::response::Response;

use super::layout;
use crate::api::openapi::tags;
use crate::api::state::AppState;
use crate::auth::{current_session, form_token};
use crate::store::SessionKind;
use crate::tenant::Role;

/// The signed-in tenant user of a console request, with the form token of
/// their session (every form of a page carries it).
#[derive(Clone)]
pub struct SignedIn {
    pub user: String,
    pub display_name: String,
    pub role: Role,
    pub form_token: String,
    /// The digest of the browser session (to end it on sign-out).
    pub(super) session: String,
}

impl SignedIn {
    /// Viewers may read but not run (SAC refuses them the same way).
    pub fn may_run(&self) -> bool {
        self.role != Role::Viewer
    }
}

/// `/login?url=<path>`: where a browser without a session is sent.
fn sign_in_location(target: &str) -> String {
    format!("/login?url={}", url::form_urlencoded::byte_serialize(target.as_bytes()).collect::<String>())
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let session = current_session(state.sessions(), &parts.headers).map_err(layout::internal)?;
        let Some((session, user)) =
            session.filter(|s| s.kind == SessionKind::Browser).and_then(|s| s.user.clone().map(|u| (s, u)))
        else {
            // A form posted after the session ended comes back to the console's start.
            let target = match parts.method {
                Method::GET | Method::HEAD => parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or(super::ROOT),
                _ => super::ROOT,
            };
            return Err(super::see_other(&sign_in_location(target)));
        };
        let tenant = state.tenant();
        match tenant.user(&user) {
            Some(u) if u.in_tenant => Ok(SignedIn {
                user: u.id.clone(),
                display_name: u.display_name.clone(),
                role: u.role,
                form_token: form_token(&state.keys().jwt, &session),
                session: session.digest.clone(),
            }),
            _ => Err(layout::error_page(
                StatusCode::FORBIDDEN,
                &format!("User {user} does not exist in tenant {}: sign in as a user of the tenant.", tenant.letter),
            )),
        }
    }
}

/// `POST /emulator/ui/signout`: ends the browser session (in SAC, "Sign Out").
#[utoipa::path(
    post,
    path = "/emulator/ui/signout",
    tag = tags::CONSOLE,
    security(("session" = [])),
    request_body(description = "The console's form token (field csrf)", content((String = "application/x-www-form-urlencoded"))),
    responses(
        (status = 303, description = "Signed out: to the login form, which comes back to the console"),
        (status = 403, description = "No session, no or another session's form token, or Origin names another site", content_type = "application/json"),
        (status = 415, description = "The body is not a form (application/x-www-form-urlencoded)", content_type = "application/json"),
        (status = 421, description = "The Host does not name the emulator", content_type = "application/json"),
    ),
)]
pub async fn sign_out(who: SignedIn, State(state): State<AppState>) -> Response {
    // An expiry in the past ends the session for every later request (and in the store).
    match state.store().touch_session(&who.session, 0) {
        Ok(()) => super::see_other(&sign_in_location(super::ROOT)),
        Err(e) => layout::internal(e),
    }
}

#[cfg(test)]
mod tests {
    use super::sign_in_location;

    #[test]
    fn the_way_back_is_encoded() {
        assert_eq!(
            sign_in_location("/emulator/ui/models/X?Version=a&b=1"),
            "/login?url=%2Femulator%2Fui%2Fmodels%2FX%3FVersion%3Da%26b%3D1"
        );
    }
}
