//! Answers many operations share, for their OpenAPI entries.

/// The refusals every Data Import operation may answer with.
#[allow(dead_code)]
#[derive(utoipa::IntoResponses)]
pub enum DataImportRefusals {
    /// No valid bearer token (API domain)
    #[response(status = 401, content_type = "application/json")]
    Unauthorized,
    /// The caller may not use it, or a browser-domain write without CSRF token
    #[response(status = 403, content_type = "application/json")]
    Forbidden,
}

/// The refusals every Data Export operation may answer with.
#[allow(dead_code)]
#[derive(utoipa::IntoResponses)]
pub enum DataExportRefusals {
    /// No valid bearer token (API domain), or no user context
    #[response(status = 401, content_type = "application/json")]
    Unauthorized,
    /// The caller may not read it
    #[response(status = 403, content_type = "application/json")]
    Forbidden,
}
