//! The document against the route table: a route without an operation, or
//! an operation without a route, fails.

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{header, Method, Request};
use axum::routing::{get, put};
use tower::ServiceExt;

use super::document;
use crate::api::routes::Routes;
use crate::api::state::AppState;
use crate::{Config, Emulator};

type Operation = (String, String);

/// Routes whose handlers are documented with the rewrite of their module
/// under way; each must still be routed, and none may be documented.
const PENDING: &[(&str, &str)] = &[];

fn state() -> AppState {
    Emulator::open(Config::default()).expect("in-memory emulator").state().clone()
}

/// The methods a method router serves, as its `Allow` header lists them
/// when asked with a method nothing routes (HEAD comes with GET).
async fn methods(method_router: &axum::routing::MethodRouter<AppState>, state: &AppState) -> Vec<String> {
    let request = Request::builder()
        .method(Method::from_bytes(b"PROPFIND").expect("a method"))
        .uri("/")
        .body(Body::empty())
        .expect("a request");
    let response = method_router.clone().with_state(state.clone()).oneshot(request).await.expect("infallible");
    let allow = response
        .headers()
        .get(header::ALLOW)
        .and_then(|v| v.to_str().ok())
        .expect("a method router answers an unrouted method with Allow");
    let methods: Vec<String> =
        allow.split(',').map(str::trim).filter(|m| !m.is_empty() && *m != "HEAD").map(String::from).collect();
    assert!(!methods.is_empty(), "Allow lists no method: {allow:?}");
    methods
}

async fn routed(routes: &Routes, state: &AppState) -> BTreeSet<Operation> {
    let mut routed = BTreeSet::new();
    for (path, method_router) in routes.table() {
        for method in methods(method_router, state).await {
            routed.insert((path.clone(), method));
        }
    }
    routed
}

fn documented(doc: &utoipa::openapi::OpenApi) -> BTreeSet<Operation> {
    let mut documented = BTreeSet::new();
    for (path, item) in &doc.paths.paths {
        let operations = [
            ("GET", &item.get),
            ("PUT", &item.put),
            ("POST", &item.post),
            ("DELETE", &item.delete),
            ("OPTIONS", &item.options),
            ("HEAD", &item.head),
            ("PATCH", &item.patch),
            ("TRACE", &item.trace),
        ];
        for (method, operation) in operations {
            if operation.is_some() {
                documented.insert((path.clone(), method.to_string()));
            }
        }
    }
    documented
}

fn pending() -> BTreeSet<Operation> {
    PENDING.iter().map(|(p, m)| (p.to_string(), m.to_string())).collect()
}

#[tokio::test]
async fn every_route_has_an_operation_and_every_operation_a_route() {
    let state = state();
    let routed = routed(&crate::api::tenant_routes(), &state).await;
    let documented = documented(document());
    let pending = pending();
    let undocumented: Vec<_> = routed.difference(&documented).filter(|op| !pending.contains(op)).collect();
    assert!(
        undocumented.is_empty(),
        "routes without an OpenAPI operation: {undocumented:?}\n\
         Annotate the handler with #[utoipa::path(...)] and list it in its module's Doc (see api/openapi.rs)"
    );
    let unrouted: Vec<_> = documented.difference(&routed).collect();
    assert!(unrouted.is_empty(), "OpenAPI operations that no route serves: {unrouted:?}");
    let stale: Vec<_> = pending.iter().filter(|op| !routed.contains(*op) || documented.contains(*op)).collect();
    assert!(stale.is_empty(), "PENDING lists routes that are gone or now documented: {stale:?}");
    assert!(routed.len() > 30, "the route table looks empty: {routed:?}");
}

#[tokio::test]
async fn a_route_added_without_an_operation_is_found() {
    async fn extra() -> &'static str {
        "extra"
    }
    let state = state();
    let routes = crate::api::tenant_routes()
        .route("/emulator/undocumented", get(extra).delete(extra))
        .route("/emulator/health", put(extra));
    let routed = routed(&routes, &state).await;
    let documented = documented(document());
    let pending = pending();
    let undocumented: BTreeSet<_> =
        routed.difference(&documented).filter(|op| !pending.contains(op)).cloned().collect();
    let expected: BTreeSet<Operation> =
        [("/emulator/undocumented", "GET"), ("/emulator/undocumented", "DELETE"), ("/emulator/health", "PUT")]
            .iter()
            .map(|(p, m)| (p.to_string(), m.to_string()))
            .collect();
    assert_eq!(undocumented, expected);
}

#[test]
fn the_document_is_openapi_3_1_with_its_security_schemes() {
    let doc = serde_json::to_value(document()).expect("serialisable");
    assert_eq!(doc["openapi"], "3.1.0");
    let schemes = doc["components"]["securitySchemes"].as_object().expect("security schemes");
    for name in ["bearer", "session", "csrf", "adminToken"] {
        assert!(schemes.contains_key(name), "no security scheme {name}");
    }
    let operation_ids: Vec<_> = documented(document()).into_iter().collect();
    assert!(!operation_ids.is_empty());
}
