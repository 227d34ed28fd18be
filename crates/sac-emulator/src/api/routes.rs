//! The route table. Every route of both domains is registered through
//! [`Routes`], which keeps each path with its method router, so that the
//! OpenAPI document can be checked against what is really served (see the
//! tests of `api::openapi`): a route added without a document entry fails
//! them.

use axum::routing::MethodRouter;
use axum::Router;

use super::state::AppState;

/// An axum router that remembers what was routed.
pub(crate) struct Routes {
    router: Router<AppState>,
    table: Vec<(String, MethodRouter<AppState>)>,
}

impl Routes {
    pub fn new() -> Self {
        Routes { router: Router::new(), table: Vec::new() }
    }

    /// Routes `path` (axum's syntax, `{id}` for a parameter, which is also
    /// OpenAPI's) to `method_router`, as [`Router::route`] does.
    pub fn route(mut self, path: &str, method_router: MethodRouter<AppState>) -> Self {
        self.table.push((path.to_string(), method_router.clone()));
        self.router = self.router.route(path, method_router);
        self
    }

    /// Adds the routes of `other`, as [`Router::merge`] does.
    #[allow(dead_code)]
    pub fn merge(mut self, other: Routes) -> Self {
        self.table.extend(other.table);
        self.router = self.router.merge(other.router);
        self
    }

    /// The paths routed, each with its method router.
    pub fn table(&self) -> &[(String, MethodRouter<AppState>)] {
        &self.table
    }

    pub fn into_router(self) -> Router<AppState> {
        self.router
    }
}
