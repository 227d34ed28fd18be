//! The document against what is served. Routes come with their operation
//! (`utoipa_axum::routes!` adds both), so the checks are: every operation
//! answers on its domain, and no router adds a route on its own (axum's
//! `.route`) except those that answer "endpoint not valid" (the catch-alls
//! that give paths nobody serves their domain's guards).

use std::collections::BTreeSet;
use std::path::Path;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use tower::ServiceExt;

use crate::api::state::AppState;
use crate::{Config, Emulator};

type Operation = (String, String);

fn state() -> AppState {
    Emulator::open(Config::default()).expect("in-memory emulator").state().clone()
}

fn operations(doc: &utoipa::openapi::OpenApi) -> BTreeSet<Operation> {
    let mut operations = BTreeSet::new();
    for (path, item) in &doc.paths.paths {
        let methods = [
            ("GET", &item.get),
            ("PUT", &item.put),
            ("POST", &item.post),
            ("DELETE", &item.delete),
            ("OPTIONS", &item.options),
            ("HEAD", &item.head),
            ("PATCH", &item.patch),
            ("TRACE", &item.trace),
        ];
        for (method, operation) in methods {
            if operation.is_some() {
                operations.insert((path.clone(), method.to_string()));
            }
        }
    }
    operations
}

/// The operations `router` does not serve: those it answers with "endpoint
/// not valid" (no route) or with axum's bare 405 (no such method).
async fn unserved(router: Router, operations: &BTreeSet<Operation>) -> Vec<Operation> {
    let mut unserved = Vec::new();
    for (path, method) in operations {
        // Every path parameter gets a value, which the handler may refuse.
        let uri: String = path
            .split('/')
            .map(|segment| if segment.starts_with('{') { "x" } else { segment })
            .collect::<Vec<_>>()
            .join("/");
        let request = Request::builder()
            .method(Method::from_bytes(method.as_bytes()).expect("a method"))
            .uri(if uri.is_empty() { "/".to_string() } else { uri })
            .header(header::HOST, "127.0.0.1")
            .body(Body::empty())
            .expect("a request");
        let response = router.clone().oneshot(request).await.expect("infallible");
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), 1 << 20).await.expect("a body");
        let no_route = status == StatusCode::NOT_FOUND && String::from_utf8_lossy(&body).contains("\"1305\"");
        let no_method = status == StatusCode::METHOD_NOT_ALLOWED && body.is_empty();
        if no_route || no_method {
            unserved.push((path.clone(), method.clone()));
        }
    }
    unserved
}

#[tokio::test]
async fn every_operation_is_served_on_its_domains() {
    let state = state();
    let (tenant, document) = crate::api::tenant_routes(&state).split_for_parts();
    let all = operations(&document);
    assert!(all.len() > 60, "the document looks empty: {all:?}");
    let tenant = tenant.layer(axum::Extension(crate::Domain::Tenant)).with_state(state.clone());
    assert_eq!(unserved(tenant, &all).await, Vec::<Operation>::new(), "operations the browser domain does not serve");
    let (api, api_document) = crate::api::api_routes(&state).split_for_parts();
    let shared = operations(&api_document);
    assert!(shared.is_subset(&all), "the API domain documents operations the document lacks");
    let api = api.layer(axum::Extension(crate::Domain::Api)).with_state(state);
    assert_eq!(unserved(api, &shared).await, Vec::<Operation>::new(), "operations the API domain does not serve");
}

/// Undocumented routes in `source`: axum `.route(...)` calls other than
/// those to an `unknown_...` handler, `route_service` and `nest_service`.
fn undocumented_routes(source: &str) -> Vec<String> {
    let lines: Vec<&str> = source.lines().collect();
    let mut found = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        if code.contains("route_service(") || code.contains("nest_service(") {
            found.push(line.trim().to_string());
        }
        if let Some(at) = code.find(".route(") {
            // The path may be on the next line when rustfmt breaks the call.
            let call = format!("{}{}", &code[at..], lines.get(i + 1).copied().unwrap_or(""));
            if !(call.contains("any(") && call.contains("unknown_")) {
                found.push(line.trim().to_string());
            }
        }
    }
    found
}

fn sources(dir: &Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).expect("the api folder") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("openapi/tests.rs") {
            out.push((path.display().to_string(), std::fs::read_to_string(&path).expect("a source file")));
        }
    }
}

#[test]
fn every_route_is_added_with_its_operation() {
    let mut files = Vec::new();
    sources(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src/api"), &mut files);
    assert!(files.len() > 20, "no sources found");
    let undocumented: Vec<String> = files
        .iter()
        .flat_map(|(file, text)| undocumented_routes(text).into_iter().map(move |line| format!("{file}: {line}")))
        .collect();
    assert!(
        undocumented.is_empty(),
        "routes without an OpenAPI operation: {undocumented:#?}\n\
         Annotate the handler with #[utoipa::path(...)] and route it with .routes(routes!(handler))"
    );
}

#[test]
fn a_route_added_without_an_operation_is_found() {
    let source = r#"
        OpenApiRouter::new()
            .routes(routes!(documented))
            .route("/emulator/undocumented", get(extra))
            .route(
                "/emulator/also", post(extra),
            )
            .route("/api/{*path}", any(unknown_endpoint))
            // .route("/commented/out", get(extra))
            .route_service("/svc", service)
    "#;
    let found = undocumented_routes(source);
    assert_eq!(found.len(), 3, "{found:#?}");
    assert!(found[0].contains("/emulator/undocumented"));
    assert!(found[2].contains("route_service"));
}

#[test]
fn the_document_is_openapi_3_1_with_its_security_schemes() {
    let (_, document) = crate::api::tenant_routes(&state()).split_for_parts();
    let doc = serde_json::to_value(&document).expect("serialisable");
    assert_eq!(doc["openapi"], "3.1.0");
    let schemes = doc["components"]["securitySchemes"].as_object().expect("security schemes");
    for name in ["bearer", "session", "csrf", "adminToken"] {
        assert!(schemes.contains_key(name), "no security scheme {name}");
    }
}
