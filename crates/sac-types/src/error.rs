//! Error bodies of SAC's public REST APIs (`/api/v1/...`).

use serde::{Deserialize, Serialize};

/// `{"error":{"code":"...","message":"..."}}`, as documented for the Calendar
/// API and read by clients of the Data Import API.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiErrorBody {
    pub error: ApiErrorDetail,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiErrorDetail {
    pub code: String,
    pub message: String,
}

impl ApiErrorBody {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self { error: ApiErrorDetail { code: code.into(), message: message.into() } }
    }
}

/// The comment that SAC's approuter login page carries. A JSON endpoint that
/// answers with a body containing it (with any status, 200 included) means
/// "not authenticated for this service".
pub const LOGIN_PAGE_MARKER: &str = "<!-- we should only load this content when not authenticated-->";

/// True when `body` looks like SAC's HTML login / redirect page rather than
/// the JSON that was asked for. An OData `$metadata` document (XML, as
/// asked for) is not one.
pub fn is_login_page(content_type: Option<&str>, body: &str) -> bool {
    let content_type = content_type.map(str::to_ascii_lowercase);
    let html = content_type.as_deref().is_some_and(|ct| ct.starts_with("text/html"));
    let metadata =
        content_type.as_deref().is_some_and(|ct| ct.starts_with("application/xml")) && body.contains("<edmx:Edmx");
    if metadata {
        return false;
    }
    html || body.contains(LOGIN_PAGE_MARKER)
        || body.contains("/approuter/v1/redirect")
        || body.trim_start().starts_with('<')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_page_is_recognised_by_marker_content_type_or_shape() {
        assert!(is_login_page(None, LOGIN_PAGE_MARKER));
        assert!(is_login_page(Some("text/html; charset=utf-8"), ""));
        assert!(is_login_page(None, "  <html></html>"));
        assert!(!is_login_page(Some("application/json"), r#"{"status":200}"#));
        let metadata = r#"<?xml version="1.0"?><edmx:Edmx Version="4.0"></edmx:Edmx>"#;
        assert!(!is_login_page(Some("application/xml"), metadata));
        assert!(is_login_page(Some("text/html"), metadata));
        assert!(is_login_page(Some("application/xml"), "<html></html>"));
    }
}
