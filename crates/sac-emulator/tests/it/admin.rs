//! The admin API: counted faults, the request log, reset, tenant loading, clock.

use std::time::{Duration, Instant};

use reqwest::Method;
use sac_types::legacy::SERVICE_PATH;
use serde_json::json;

use sac_emulator::{ClockMode, Config};

use crate::support::*;

#[tokio::test]
async fn counted_status_faults_with_retry_after_then_normal_service() {
    let emu = start().await;
    let token = emu.password_token("JDOE").await;
    emu.post_admin("/emulator/faults", json!({"path": "/api/v1/csrf", "status": 429, "retry_after": 1, "times": 2}))
        .await;
    emu.post_admin("/emulator/faults", json!({"path": SERVICE_PATH, "method": "POST", "status": 503})).await;
    let listed = emu.admin(Method::GET, "/emulator/faults", None).await.1;
    assert_eq!(listed["faults"].as_array().unwrap().len(), 2);
    for _ in 0..2 {
        let r = emu
            .http
            .get(emu.tenant("/api/v1/csrf"))
            .bearer_auth(&token)
            .header("x-csrf-token", "fetch")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 429);
        assert_eq!(r.headers()["retry-after"], "1");
        let body: sac_types::error::ApiErrorBody = r.json().await.unwrap();
        assert_eq!(body.error.code, "429");
    }
    let session = emu.csrf_fetch(&token).await;
    let ok = emu.http.get(emu.tenant("/api/v1/csrf")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(ok.status(), 200, "the fault fired twice and is gone");
    assert_eq!(emu.run_schedule(&token, &session).await.status(), 503);
    assert_eq!(emu.run_schedule(&token, &session).await.status(), 200);
    let logs = emu.schedule_logs(&token, &session).await;
    assert_eq!(logs["data"][0]["refreshLogs"].as_array().unwrap().len(), 2, "the 503 did not start a run");
    assert_eq!(emu.admin(Method::GET, "/emulator/faults", None).await.1["faults"], json!([]));
}

#[tokio::test]
async fn dropped_connections_delays_and_clearing() {
    let emu = start().await;
    emu.post_admin("/emulator/faults", json!({"path": "/oauth/token", "drop": true})).await;
    let dropped = emu
        .http
        .post(&emu.emu.urls.token_url)
        .basic_auth(API_CLIENT.0, Some(API_CLIENT.1))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await;
    assert!(dropped.is_err(), "no answer at all: {dropped:?}");
    emu.client_credentials_token().await;

    emu.post_admin("/emulator/faults", json!({"path": "/oauth/token", "delay_ms": 300})).await;
    let started = Instant::now();
    emu.client_credentials_token().await;
    assert!(started.elapsed() >= Duration::from_millis(300));

    emu.post_admin("/emulator/faults", json!({"path": "/oauth/token", "status": 500, "times": 5})).await;
    let (status, _) = emu.admin(Method::DELETE, "/emulator/faults", None).await;
    assert_eq!(status, 204);
    emu.client_credentials_token().await;

    let (status, body) = emu.admin(Method::POST, "/emulator/faults", Some(json!({"path": "/x"}))).await;
    assert_eq!(status, 400);
    assert!(body["error"].as_str().unwrap().contains("needs one of"));
    let (status, _) = emu.admin(Method::POST, "/emulator/faults", Some(json!({"path": "/x", "status": "five"}))).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn expired_csrf_is_refused_until_fetched_again() {
    let emu = start().await;
    let token = emu.password_token("JDOE").await;
    let session = emu.csrf_fetch(&token).await;
    emu.post_admin("/emulator/faults", json!({"path": SERVICE_PATH, "expire": "csrf"})).await;
    let refused = emu.run_schedule(&token, &session).await;
    assert_eq!(refused.status(), 403);
    assert_eq!(refused.headers()["x-csrf-token"], "Required");
    assert_eq!(emu.run_schedule(&token, &session).await.status(), 403, "the old token stays stale");
    let refetched = emu
        .http
        .get(emu.tenant("/api/v1/csrf"))
        .bearer_auth(&token)
        .header("x-csrf-token", "fetch")
        .header("cookie", &session.cookie)
        .send()
        .await
        .unwrap();
    let fresh =
        Session { csrf: refetched.headers()["x-csrf-token"].to_str().unwrap().into(), cookie: session.cookie.clone() };
    assert_ne!(fresh.csrf, session.csrf);
    assert_eq!(emu.run_schedule(&token, &fresh).await.status(), 200);
}

#[tokio::test]
async fn the_request_log_masks_every_secret() {
    let emu = start().await;
    let tokens =
        emu.token(USER_CLIENT, &[("grant_type", "password"), ("username", "JDOE"), ("password", "Welcome1!")]).await;
    let session = emu.csrf_fetch(&tokens.access_token).await;
    emu.run_schedule(&tokens.access_token, &session).await;
    emu.http
        .post(format!("{}?grant_type=password&username=JDOE&password=Welcome1!", emu.emu.urls.token_url))
        .basic_auth(USER_CLIENT.0, Some(USER_CLIENT.1))
        .send()
        .await
        .unwrap();
    let (status, log) = emu.admin(Method::GET, "/emulator/requests", None).await;
    assert_eq!(status, 200);
    let text = log.to_string();
    let session_id = session.cookie.trim_start_matches("JSESSIONID=");
    for secret in [
        tokens.access_token.as_str(),
        tokens.refresh_token.as_deref().unwrap(),
        session.csrf.as_str(),
        session_id,
        "Welcome1!",
        USER_CLIENT.1,
    ] {
        assert!(!text.contains(secret), "the request log leaks a secret");
    }
    let requests = log["requests"].as_array().unwrap();
    let run = requests.iter().find(|r| r["query"].as_str().unwrap().contains("runScheduledJob")).unwrap();
    assert_eq!(run["authorization"], "Bearer ***");
    assert_eq!(run["csrf"], "***");
    assert_eq!(run["cookies"], json!(["JSESSIONID"]));
    assert_eq!(run["status"], 200);
    assert_eq!(run["domain"], "tenant");
    assert!(requests.iter().any(|r| r["query"].as_str().unwrap().contains("password=***")));
    let (status, _) = emu.admin(Method::DELETE, "/emulator/requests", None).await;
    assert_eq!(status, 204);
    assert_eq!(emu.admin(Method::GET, "/emulator/requests", None).await.1["requests"], json!([]));
}

#[tokio::test]
async fn reset_and_tenant_loading() {
    let emu = start().await;
    let token = emu.password_token("JDOE").await;
    let session = emu.csrf_fetch(&token).await;
    emu.run_schedule(&token, &session).await;
    emu.post_admin("/emulator/reset", json!({})).await;
    // Tokens are forgotten; the tenant is as it started.
    let token = emu.password_token("JDOE").await;
    let session = emu.csrf_fetch(&token).await;
    assert_eq!(emu.schedule_logs(&token, &session).await["data"][0]["refreshLogs"].as_array().unwrap().len(), 1);

    let shown = emu.admin(Method::GET, "/emulator/tenant", None).await.1;
    assert_eq!(shown["letter"], "G");
    assert!(!shown.to_string().contains("Welcome1!"), "secrets are masked");

    let mut tenant = sac_emulator::Tenant::demo();
    tenant.users.retain(|u| u.id != "VIEWER");
    tenant.history.clear();
    emu.load_tenant_toml(tenant.to_toml()).await;
    let refused = emu
        .token_request(USER_CLIENT, &[("grant_type", "password"), ("username", "VIEWER"), ("password", "Welcome1!")])
        .await;
    assert_eq!(refused.status(), 400);
    assert_eq!(emu.rows(MODEL).await["total"], 0, "no history, no members");
    emu.post_admin("/emulator/reset", json!({})).await;
    assert_eq!(emu.rows(MODEL).await["total"], 0, "reset goes back to the loaded tenant");

    let bad = emu
        .http
        .post(emu.tenant("/emulator/tenant"))
        .header("content-type", "application/toml")
        .body("letter = \"G\"\n[[schedules]]\nschedule_id = 1")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let (status, body) = emu.admin(Method::POST, "/emulator/clock", Some(json!({"mode": "sometimes"}))).await;
    assert_eq!(status, 400, "{body}");
    let (status, _) = emu.admin(Method::GET, "/emulator/models/NOPE/rows", None).await;
    assert_eq!(status, 404);
    let (status, _) = emu
        .admin(Method::POST, "/emulator/sources/ZW2_IMPORT/ZEPPART/rows", Some(json!({"rows": [{"BOGUS": "1"}]})))
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn advancing_the_emulator_time_makes_timed_runs_due_and_a_reset_rewinds_it() {
    // Ten minutes: within the token's lifetime and the session's idle timeout.
    let delay = 600;
    let emu = start_with(Config { clock: ClockMode::Delay { seconds: delay as f64 }, ..Config::default() }).await;
    let token = emu.password_token("JDOE").await;
    let session = emu.csrf_fetch(&token).await;
    emu.run_schedule(&token, &session).await;
    let run = emu.newest_run(&token, &session).await;
    assert_eq!(run["status"], 5, "running for ten minutes: {run}");

    let moved = emu.admin_api.advance_clock(delay).await;
    assert_eq!(moved["offset_seconds"], delay);
    let now = chrono::DateTime::parse_from_rfc3339(moved["now"].as_str().unwrap()).unwrap();
    assert!(now.timestamp() >= chrono::Utc::now().timestamp() + delay - 60, "{moved}");
    let run = emu.newest_run(&token, &session).await;
    assert_eq!(run["status"], 1, "ten minutes later, emulator time, it has finished: {run}");
    let end = chrono::DateTime::parse_from_rfc3339(run["endTime"].as_str().unwrap()).unwrap();
    assert!(end >= now, "stamped in emulator time: {run}");

    for refused in [
        json!({"seconds": 0}),
        json!({"seconds": -1}),
        json!({"seconds": 316_224_001}),
        json!({"seconds": 1.5}),
        json!({}),
    ] {
        let (status, body) = emu.admin(Method::POST, "/emulator/clock/advance", Some(refused.clone())).await;
        assert_eq!(status, 400, "{refused}: {body}");
    }
    assert_eq!(
        emu.admin_api.advance_clock(316_224_000).await["offset_seconds"],
        delay + 316_224_000,
        "ten years at most"
    );

    emu.admin_api.reset().await;
    assert_eq!(emu.admin_api.advance_clock(1).await["offset_seconds"], 1, "a reset goes back to wall time");
}

#[tokio::test]
async fn api_domain_has_no_admin_and_unknown_paths_are_1305() {
    let emu = start().await;
    let health = emu.http.get(emu.api("/emulator/health")).send().await.unwrap();
    assert_eq!(health.status(), 404);
    let body: sac_types::error::ApiErrorBody = health.json().await.unwrap();
    assert_eq!(body.error.code, "1305");
}

/// The status and JSON body of an admin request with extra headers.
async fn admin_with(
    emu: &Emu,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<(&str, &str)>,
) -> (reqwest::StatusCode, serde_json::Value) {
    let mut request = emu.http.request(method, emu.tenant(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some((content_type, body)) = body {
        request = request.header("content-type", content_type).body(body.to_string());
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(serde_json::Value::Null))
}

#[tokio::test]
async fn a_foreign_host_is_misdirected() {
    let emu = start().await;
    let port = emu.emu.urls.tenant_url.rsplit(':').next().unwrap().to_string();
    let (status, body) = admin_with(&emu, Method::GET, "/emulator/requests", &[("host", "evil.example")], None).await;
    assert_eq!(status, 421, "{body}");
    assert!(body["error"].as_str().unwrap().contains("evil.example"), "{body}");
    assert!(body["accepted_hosts"].as_array().unwrap().contains(&json!(format!("localhost:{port}"))), "{body}");
    // DNS rebinding keeps the port but not the name; a wrong port is as foreign.
    for host in [format!("rebind.example:{port}"), "127.0.0.1:1".to_string()] {
        let (status, _) = admin_with(&emu, Method::POST, "/emulator/reset", &[("host", &host)], None).await;
        assert_eq!(status, 421, "{host}");
    }
    for host in [format!("localhost:{port}"), format!("[::1]:{port}"), format!("127.0.0.1:{port}")] {
        let (status, _) = admin_with(&emu, Method::GET, "/emulator/requests", &[("host", &host)], None).await;
        assert_eq!(status, 200, "{host}");
    }
}

#[tokio::test]
async fn a_foreign_origin_cannot_change_anything() {
    let emu = start().await;
    let fault = r#"{"path": "/api/v1/csrf", "status": 500}"#;
    for origin in ["http://evil.example", "null", "http://localhost:1"] {
        let (status, body) = admin_with(
            &emu,
            Method::POST,
            "/emulator/faults",
            &[("origin", origin)],
            Some(("application/json", fault)),
        )
        .await;
        assert_eq!(status, 403, "{origin}: {body}");
        assert!(body["error"].as_str().unwrap().contains("another site"), "{body}");
    }
    assert_eq!(emu.admin(Method::GET, "/emulator/faults", None).await.1["faults"], json!([]), "nothing was added");
    let own = emu.emu.urls.tenant_url.clone();
    let (status, body) =
        admin_with(&emu, Method::POST, "/emulator/faults", &[("origin", &own)], Some(("application/json", fault)))
            .await;
    assert_eq!(status, 201, "the emulator's own origin may: {body}");
    let (status, _) =
        admin_with(&emu, Method::GET, "/emulator/faults", &[("origin", "http://evil.example")], None).await;
    assert_eq!(status, 200, "reading is not a change (the browser keeps the answer from the page)");
}

#[tokio::test]
async fn bodies_that_are_not_json_are_refused() {
    let emu = start().await;
    let mut tenant = sac_emulator::Tenant::demo();
    tenant.users.retain(|u| u.id != "VIEWER");
    let (status, body) =
        admin_with(&emu, Method::POST, "/emulator/tenant", &[], Some(("text/plain", &tenant.to_toml()))).await;
    assert_eq!(status, 415, "{body}");
    assert!(body["error"].as_str().unwrap().contains("application/toml"), "{body}");
    assert!(emu.admin(Method::GET, "/emulator/tenant", None).await.1.to_string().contains("VIEWER"), "not loaded");
    for (path, content_type, text) in [
        ("/emulator/faults", "text/plain", r#"{"path": "/x", "status": 500}"#),
        ("/emulator/faults", "application/x-www-form-urlencoded", "path=/x&status=500"),
        ("/emulator/reset", "multipart/form-data; boundary=x", "--x--"),
        ("/emulator/faults", "application/toml", "path = \"/x\"\nstatus = 500"),
    ] {
        let (status, body) = admin_with(&emu, Method::POST, path, &[], Some((content_type, text))).await;
        assert_eq!(status, 415, "{path} {content_type}: {body}");
    }
    assert_eq!(emu.admin(Method::GET, "/emulator/faults", None).await.1["faults"], json!([]));
    // A body without a content type is refused too; no body at all is fine.
    let bare = emu.http.post(emu.tenant("/emulator/reset")).body("{}").send().await.unwrap();
    assert_eq!(bare.status(), 415);
    let (status, _) = emu.admin(Method::DELETE, "/emulator/requests", None).await;
    assert_eq!(status, 204);
    assert_eq!(emu.http.post(emu.tenant("/emulator/reset")).send().await.unwrap().status(), 200);
    // TOML and JSON both load a tenant.
    emu.load_tenant_toml(tenant.to_toml()).await;
    let loaded = emu.http.post(emu.tenant("/emulator/tenant")).json(&sac_emulator::Tenant::demo()).send().await;
    assert_eq!(loaded.unwrap().status(), 200);
}

#[tokio::test]
async fn the_admin_token_is_required_when_set() {
    let emu = start_with(Config {
        clock: ClockMode::Immediate,
        admin_token: sac_emulator::AdminToken::new("s3cret-admin"),
        ..Config::default()
    })
    .await;
    let (status, body) = emu.admin(Method::GET, "/emulator/requests", None).await;
    assert_eq!(status, 401, "{body}");
    assert!(body["error"].as_str().unwrap().contains("x-emulator-admin-token"), "{body}");
    assert!(!body.to_string().contains("s3cret-admin"));
    let (status, _) =
        admin_with(&emu, Method::GET, "/emulator/requests", &[("authorization", "Bearer wrong")], None).await;
    assert_eq!(status, 401);
    let (status, _) =
        admin_with(&emu, Method::POST, "/emulator/reset", &[("x-emulator-admin-token", "s3cret-admi")], None).await;
    assert_eq!(status, 401);
    let (status, _) =
        admin_with(&emu, Method::GET, "/emulator/requests", &[("authorization", "Bearer s3cret-admin")], None).await;
    assert_eq!(status, 200);
    let (status, _) =
        admin_with(&emu, Method::POST, "/emulator/reset", &[("x-emulator-admin-token", "s3cret-admin")], None).await;
    assert_eq!(status, 200);
    assert_eq!(emu.get("/emulator/health").await.status(), 200, "health stays open for liveness probes");
    assert!(!format!("{:?}", sac_emulator::AdminToken::new("s3cret-admin")).contains("s3cret"));
}

#[cfg(unix)]
#[tokio::test]
async fn the_data_directory_is_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("state");
    let emu =
        start_with(Config { data_dir: Some(dir.clone()), clock: ClockMode::Immediate, ..Config::default() }).await;
    let token = emu.password_token("JDOE").await;
    let session = emu.csrf_fetch(&token).await;
    emu.run_schedule(&token, &session).await;
    let mode = |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    let names = ["emulator.sqlite3", "emulator.sqlite3-wal", "emulator.sqlite3-shm", "emulator.lock"];
    for name in names {
        assert_eq!(mode(&dir.join(name)), 0o600, "{name}");
    }
    let mut names: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    names.sort();
    assert_eq!(names.len(), 4, "no other files: {names:?}");
}

#[tokio::test]
async fn a_connection_that_sends_nothing_is_closed_and_frees_its_slot() {
    use tokio::io::AsyncReadExt;
    let connections = sac_emulator::ConnectionLimits {
        header_read_timeout: Duration::from_millis(300),
        max_connections: 1,
        ..Default::default()
    };
    let emu = start_with(Config { clock: ClockMode::Immediate, connections, ..Config::default() }).await;
    let address = emu.emu.urls.tenant_url.trim_start_matches("http://").to_string();
    let mut idle = tokio::net::TcpStream::connect(&address).await.unwrap();
    // The one slot is taken: this request waits until the idle peer is cut off.
    let health = emu.http.get(emu.tenant("/emulator/health")).send();
    let mut buffer = [0u8; 64];
    // A hang guard only: the server closes long before.
    let read = tokio::time::timeout(Duration::from_secs(60), idle.read(&mut buffer)).await;
    let read = read.expect("the idle connection is closed");
    assert!(matches!(read, Ok(0)) || read.is_err(), "closed without an answer: {read:?}");
    assert_eq!(health.await.unwrap().status(), 200);
}

/// Found by the fuzz pass: a lifetime beyond chrono's range made the
/// handler panic and the connection drop.
#[tokio::test]
async fn an_assertion_lifetime_out_of_range_is_refused_with_400() {
    let emu = start().await;
    for lifetime in [8_208_471_049_473_i64, -8_208_471_049_473, i64::MAX, 366 * 86_400 + 1] {
        let (status, body) = emu
            .admin(Method::POST, "/emulator/idp/assertion", Some(json!({"user": "JDOE", "lifetime_secs": lifetime})))
            .await;
        assert_eq!(status, 400, "{lifetime}: {body}");
        assert!(body["error"].as_str().unwrap().contains("lifetime_secs must be between"), "{body}");
    }
    let (status, body) = emu
        .admin(Method::POST, "/emulator/idp/assertion", Some(json!({"user": "JDOE", "lifetime_secs": 366 * 86_400})))
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["assertion"].as_str().is_some_and(|a| !a.is_empty()));
}
