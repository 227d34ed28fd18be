//! Paths nobody serves meet the guards of the part of the domain they are
//! in, then SAC's "endpoint not valid" (or the UI layer's login page).

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use tower::ServiceExt;

use crate::{Config, Emulator};

fn domains() -> (Router, Router) {
    let state = Emulator::open(Config::default()).expect("in-memory emulator").state().clone();
    (super::tenant(state.clone()), super::api(state))
}

/// The status and body of `method path` with `host` in `Host`.
async fn send(router: &Router, method: Method, path: &str, host: &str) -> (StatusCode, String) {
    let request =
        Request::builder().method(method).uri(path).header(header::HOST, host).body(Body::empty()).expect("a request");
    let response = router.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), 1 << 20).await.expect("a body");
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn unknown_paths_answer_as_their_part_of_the_domain() {
    let (tenant, api) = domains();
    let local = "127.0.0.1";
    for path in ["/nothing", "/api/v1/nothing", "/api/v1/dataimport/models/X/a/b", "/oauth/nothing", "/wrangling/x"] {
        let (status, body) = send(&tenant, Method::GET, path, local).await;
        assert_eq!((status, body.contains("\"1305\"")), (StatusCode::NOT_FOUND, true), "tenant {path}: {body}");
        let (status, body) = send(&api, Method::GET, path, local).await;
        assert_eq!((status, body.contains("\"1305\"")), (StatusCode::NOT_FOUND, true), "api {path}: {body}");
    }
    // The UI layer shows its login page to callers without a user context.
    for path in ["/sap/fpa/nothing", "/sap/fpa/services/rest/nothing"] {
        let (status, body) = send(&tenant, Method::GET, path, local).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(body.contains(sac_types::error::LOGIN_PAGE_MARKER), "{path}: {body}");
        let (status, _) = send(&api, Method::GET, path, local).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "api {path}");
    }
    // Under /emulator the admin guard answers first, then "endpoint not valid".
    for path in ["/emulator", "/emulator/nothing", "/emulator/ui/nothing", "/emulator/health"] {
        let (status, _) = send(&tenant, Method::GET, path, "evil.example").await;
        assert_eq!(status, StatusCode::MISDIRECTED_REQUEST, "{path}");
        let (status, _) = send(&tenant, Method::PUT, path, "evil.example").await;
        assert_eq!(status, StatusCode::MISDIRECTED_REQUEST, "PUT {path}");
    }
    let (status, body) = send(&tenant, Method::GET, "/emulator/nothing", local).await;
    assert_eq!((status, body.contains("\"1305\"")), (StatusCode::NOT_FOUND, true), "{body}");
    let (status, _) = send(&tenant, Method::PUT, "/emulator/health", local).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    let (status, _) = send(&api, Method::GET, "/emulator/health", local).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "the API domain has no admin API");
}
