//! The injected faults, as middleware (the faults in force live in the
//! engine, `engine::faults`; their wire format in `api::emulator::faults`). `api/mod.rs` layers it on SAC's services, never on the
//! emulator's own surface.

use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::api::state::AppState;
use crate::auth;
use crate::engine::faults::{Answer, Expire};

/// Middleware applying the faults in force to the requests it sees.
/// Marker put on a response whose connection the server must drop (read
/// by the connection loop in `lib.rs`).
#[derive(Clone, Copy, Debug)]
pub struct DropConnection;

pub async fn inject(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    let target = match request.uri().query() {
        Some(query) => format!("{path}?{query}"),
        None => path.clone(),
    };
    let Some(fault) = state.engine().faults().take_request(request.method().as_str(), &target) else {
        return next.run(request).await;
    };
    tracing::info!(path, method = %request.method(), ?fault, "injecting fault");
    if let Some(ms) = fault.delay_ms {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    let (expire, drop_response) = match fault.answer {
        Answer::Drop => {
            let mut response = Response::new(Body::empty());
            response.extensions_mut().insert(DropConnection);
            return response;
        }
        Answer::Status { status, retry_after, body } => return fault_response(status, retry_after, body),
        Answer::Handle { expire, drop_response } => (expire, drop_response),
    };
    match expire {
        Some(Expire::Csrf) => {
            if let Some(session) = auth::session_cookie(request.headers()) {
                // The session gets a new token the client does not know yet.
                let fresh = crate::secrets::random_token(24);
                let _ = state.store().set_session_csrf(&crate::secrets::digest(&session), Some(&fresh));
            }
        }
        Some(Expire::Token) => {
            if let Some(token) = auth::bearer(request.headers()) {
                let _ =
                    state.store().expire_token(&crate::secrets::digest(&token), state.store().clock().now_secs() - 1);
            }
        }
        None => {}
    }
    let mut response = next.run(request).await;
    if drop_response {
        response.extensions_mut().insert(DropConnection);
    }
    response
}

fn fault_response(status: u16, retry_after: Option<u64>, body: Option<String>) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let html = body.as_deref().is_some_and(|b| b.trim_start().starts_with('<'));
    let body = body.unwrap_or_else(|| {
        let reason = status.canonical_reason().unwrap_or("Error");
        serde_json::to_string(&sac_types::error::ApiErrorBody::new(status.as_u16().to_string(), reason))
            .expect("error bodies serialize")
    });
    let mut response = (status, body).into_response();
    let content_type = if html { "text/html; charset=utf-8" } else { "application/json" };
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Some(secs) = retry_after {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}
