//! Refusing sign-in forms posted from another site: a page elsewhere could
//! otherwise sign a visitor's browser in as a user of its choosing (login
//! CSRF) or post the authorize form on their behalf.

use axum::http::{header, HeaderMap, StatusCode};

use crate::api::error::ApiError;
use crate::api::middleware::admin_guard::accepted_hosts;
use crate::api::state::AppState;

/// The origins a sign-in form of this tenant is posted from: the tenant
/// URL's and the names the emulator answers to (loopback, `--host`).
fn own_origins(state: &AppState) -> Vec<String> {
    let mut origins: Vec<String> = accepted_hosts(state).iter().map(|h| format!("http://{h}")).collect();
    if let Some(tenant) = state.urls().and_then(|u| url::Url::parse(&u.tenant_url).ok()) {
        origins.push(tenant.origin().ascii_serialization());
    }
    origins
}

/// The origin a form post names: its `Origin`, else its `Referer`'s. None
/// when it names neither: SAC's form is posted that way too (privacy
/// settings strip both), so such posts are let through.
fn claimed_origin(headers: &HeaderMap) -> Option<String> {
    let value = |name| headers.get(name).map(|v| v.to_str().unwrap_or("").trim().to_string());
    match value(header::ORIGIN) {
        Some(origin) => Some(origin),
        None => value(header::REFERER).map(|referer| match url::Url::parse(&referer) {
            Ok(url) => url.origin().ascii_serialization(),
            Err(_) => referer,
        }),
    }
}

/// Refuses (403, an HTML error page) a sign-in form posted from another site.
pub(super) fn refuse_cross_site(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    match claimed_origin(headers) {
        Some(origin) if !own_origins(state).iter().any(|own| own.eq_ignore_ascii_case(&origin)) => {
            Err(ApiError::ErrorPage {
                status: StatusCode::FORBIDDEN,
                message: "The sign-in form was posted from another site. Open the sign-in page of this tenant \
                          and sign in there."
                    .into(),
            })
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(header::HeaderName, &'static str)]) -> HeaderMap {
        pairs.iter().map(|(k, v)| (k.clone(), HeaderValue::from_static(v))).collect()
    }

    #[test]
    fn the_origin_comes_from_origin_else_from_the_referer() {
        assert_eq!(claimed_origin(&headers(&[])), None);
        let both = headers(&[(header::ORIGIN, "http://a.example"), (header::REFERER, "http://b.example/x?y")]);
        assert_eq!(claimed_origin(&both).as_deref(), Some("http://a.example"));
        let referer = headers(&[(header::REFERER, "http://b.example:8080/login?url=%2F")]);
        assert_eq!(claimed_origin(&referer).as_deref(), Some("http://b.example:8080"));
        assert_eq!(claimed_origin(&headers(&[(header::ORIGIN, "null")])).as_deref(), Some("null"));
    }
}
