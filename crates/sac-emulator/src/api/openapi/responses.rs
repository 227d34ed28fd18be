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

/// What a console page answers a browser that may not see it.
#[allow(dead_code)]
#[derive(utoipa::IntoResponses)]
pub enum ConsolePageRefusals {
    /// No browser session: to /login?url=<this page>
    #[response(status = 303)]
    SignIn,
    /// The signed-in user is not a user of the tenant
    #[response(status = 403, content_type = "text/html")]
    NotATenantUser,
    /// The Host does not name the emulator
    #[response(status = 421, content_type = "application/json")]
    WrongHost,
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

/// What creating a Data Import job may answer (on all three creation paths).
#[allow(dead_code)]
#[derive(utoipa::IntoResponses)]
pub enum JobCreation {
    /// The job is created: its id and URLs
    #[response(status = 201, content_type = "application/json")]
    Created,
    /// A request SAC refuses, with its numbered error
    #[response(status = 400, content_type = "application/json")]
    Refused,
    /// No valid bearer token (API domain)
    #[response(status = 401, content_type = "application/json")]
    Unauthorized,
    /// The caller may not use it, or a browser-domain write without CSRF token
    #[response(status = 403, content_type = "application/json")]
    Forbidden,
    /// Not found
    #[response(status = 404, content_type = "application/json")]
    NotFound,
}

/// What a Data Export service document answers (with or without its slash).
#[allow(dead_code)]
#[derive(utoipa::IntoResponses)]
pub enum ServiceDocument {
    /// The service document: the model's entity sets
    #[response(status = 200, content_type = "application/json")]
    Ok,
    /// No valid bearer token (API domain), or no user context
    #[response(status = 401, content_type = "application/json")]
    Unauthorized,
    /// The caller may not read it
    #[response(status = 403, content_type = "application/json")]
    Forbidden,
    /// No such namespace or provider
    #[response(status = 404, content_type = "application/json")]
    NotFound,
}

/// What a one-click import (`/import/{id}`, with or without its import type) answers.
#[allow(dead_code)]
#[derive(utoipa::IntoResponses)]
pub enum OneClickImport {
    /// The job ran: its id, status and counts
    #[response(status = 201, content_type = "application/json")]
    Ran,
    /// A request SAC refuses, with its numbered error
    #[response(status = 400, content_type = "application/json")]
    Refused,
    /// No valid bearer token (API domain)
    #[response(status = 401, content_type = "application/json")]
    Unauthorized,
    /// The caller may not use it, or a browser-domain write without CSRF token
    #[response(status = 403, content_type = "application/json")]
    Forbidden,
    /// Not found
    #[response(status = 404, content_type = "application/json")]
    NotFound,
}
