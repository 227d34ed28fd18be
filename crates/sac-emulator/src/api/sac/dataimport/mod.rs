//! The Data Import API, `/api/v1/dataimport` (SAP help: "api/v1/dataimport").
//!
//! The job lifecycle of SAP's pages: create a job for a model (or a public
//! dimension), post rows in chunks (JSON `{"Data":[...]}` or CSV), validate,
//! run (asynchronous), read the status, read the invalid rows, delete.
//! This module holds the HTTP shapes; the jobs live in the engine
//! (`engine::import_jobs`), which validates and writes them. Refusals carry
//! SAC's numbered errors (1001-1011, and 1603 for an unknown job; SAP help
//! "Error Codes and Troubleshooting") where SAC gives them.

mod access;
mod conversions;
mod create;
mod jobs;
mod models;
mod oneclick;
mod settings;
mod upload;

use axum::extract::DefaultBodyLimit;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};
use utoipa_axum::routes;

use crate::api::state::AppState;

/// Routes whose bodies (rows) are as big as `ImportLimits` allows, not axum's default.
fn without_body_limit(routes: UtoipaMethodRouter<AppState>) -> UtoipaMethodRouter<AppState> {
    let (schemas, paths, router) = routes;
    (schemas, paths, router.layer(DefaultBodyLimit::disable()))
}

/// The Data Import API, which both domains serve.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(models::models))
        .routes(routes!(models::model, create::create_model_job))
        .routes(routes!(models::metadata))
        .routes(routes!(create::create_typed_model_job))
        .routes(routes!(models::public_dimensions))
        .routes(routes!(models::public_dimension))
        .routes(routes!(models::public_dimension_metadata))
        .routes(routes!(create::create_dimension_job))
        .routes(routes!(jobs::list_jobs))
        .routes(without_body_limit(routes!(upload::upload, jobs::delete_job)))
        .routes(routes!(jobs::validate_job))
        .routes(routes!(jobs::invalid_rows))
        .routes(routes!(jobs::run_job))
        .routes(routes!(jobs::job_status_handler))
        .routes(without_body_limit(routes!(oneclick::import)))
        .routes(without_body_limit(routes!(oneclick::import_typed)))
        .routes(routes!(conversions::currency_tables))
        .routes(routes!(conversions::currency_table, conversions::create_currency_job))
        .routes(routes!(conversions::currency_metadata))
        .routes(routes!(conversions::create_typed_currency_job))
        .routes(routes!(conversions::unit_tables))
        .routes(routes!(conversions::unit_table, conversions::create_unit_job))
        .routes(routes!(conversions::unit_metadata))
        .routes(routes!(conversions::create_typed_unit_job))
}
