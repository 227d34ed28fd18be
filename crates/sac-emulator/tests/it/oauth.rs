//! The token service: every grant, and every refusal in RFC 6749 form.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;

use sac_emulator::Config;
use sac_types::oauth::OAuthError;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::support::*;

async fn oauth_error(response: reqwest::Response) -> (u16, OAuthError) {
    let status = response.status().as_u16();
    assert_eq!(response.headers()["cache-control"], "no-store");
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn client_credentials_by_basic_form_or_query_in_xsuaa_shape() {
    let emu = start().await;
    let by_basic = emu.token_request(API_CLIENT, &[("grant_type", "client_credentials")]).await;
    assert_eq!(by_basic.status(), 200);
    assert_eq!(by_basic.headers()["cache-control"], "no-store");
    let body: Value = by_basic.json().await.unwrap();
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 3599);
    assert!(body["jti"].as_str().is_some_and(|j| !j.is_empty()));
    assert!(body["scope"].as_str().unwrap().contains("uaa.resource"));
    assert!(body.get("refresh_token").is_none(), "no refresh token without a user");
    // A JWT whose claims name the client and no user.
    let claims: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD.decode(body["access_token"].as_str().unwrap().split('.').nth(1).unwrap()).unwrap(),
    )
    .unwrap();
    assert_eq!(claims["client_id"], "sacctl-api");
    assert!(claims.get("user_name").is_none());

    let by_form = emu
        .http
        .post(&emu.emu.urls.token_url)
        .form(&[("grant_type", "client_credentials"), ("client_id", API_CLIENT.0), ("client_secret", API_CLIENT.1)])
        .send()
        .await
        .unwrap();
    assert_eq!(by_form.status(), 200);
    let by_query = emu
        .http
        .post(format!("{}?grant_type=client_credentials", emu.emu.urls.token_url))
        .basic_auth(API_CLIENT.0, Some(API_CLIENT.1))
        .send()
        .await
        .unwrap();
    assert_eq!(by_query.status(), 200);
}

#[tokio::test]
async fn refusals() {
    let emu = start().await;
    // A wrong secret or an unknown client: XSUAA's 401 "unauthorized", "Bad credentials".
    for credentials in [("sacctl-api", "wrong"), ("nobody", "x")] {
        let (status, e) =
            oauth_error(emu.token_request(credentials, &[("grant_type", "client_credentials")]).await).await;
        assert_eq!((status, e.error.as_str()), (401, "unauthorized"), "{credentials:?}");
        assert_eq!(e.error_description.as_deref(), Some("Bad credentials"));
    }
    let no_auth =
        emu.http.post(&emu.emu.urls.token_url).form(&[("grant_type", "client_credentials")]).send().await.unwrap();
    let (status, e) = oauth_error(no_auth).await;
    assert_eq!((status, e.error.as_str()), (401, "invalid_client"));

    let (status, e) = oauth_error(emu.token_request(API_CLIENT, &[]).await).await;
    assert_eq!((status, e.error.as_str()), (400, "invalid_request"));
    let (status, e) = oauth_error(emu.token_request(API_CLIENT, &[("grant_type", "implicit")]).await).await;
    assert_eq!((status, e.error.as_str()), (400, "unsupported_grant_type"));
    // The API-access client may only use client credentials.
    let (status, e) = oauth_error(
        emu.token_request(API_CLIENT, &[("grant_type", "password"), ("username", "JDOE"), ("password", "Welcome1!")])
            .await,
    )
    .await;
    assert_eq!((status, e.error.as_str()), (400, "unauthorized_client"));
    assert!(e.error_description.unwrap().contains("password"));
    // The interactive client may not use client credentials.
    let (_, e) = oauth_error(emu.token_request(USER_CLIENT, &[("grant_type", "client_credentials")]).await).await;
    assert_eq!(e.error, "unauthorized_client");
    let (status, e) = oauth_error(
        emu.token_request(USER_CLIENT, &[("grant_type", "password"), ("username", "JDOE"), ("password", "nope")]).await,
    )
    .await;
    assert_eq!((status, e.error.as_str()), (400, "invalid_grant"));
    let (_, e) =
        oauth_error(emu.token_request(USER_CLIENT, &[("grant_type", "password"), ("username", "JDOE")]).await).await;
    assert_eq!(e.error, "invalid_request");
    let json_body = emu
        .http
        .post(&emu.emu.urls.token_url)
        .basic_auth(API_CLIENT.0, Some(API_CLIENT.1))
        .json(&json!({"grant_type": "client_credentials"}))
        .send()
        .await
        .unwrap();
    let (status, e) = oauth_error(json_body).await;
    assert_eq!((status, e.error.as_str()), (400, "invalid_request"));
}

#[tokio::test]
async fn refresh_token_gives_new_access_tokens_for_the_same_client_only() {
    let emu = start().await;
    let first =
        emu.token(USER_CLIENT, &[("grant_type", "password"), ("username", "JDOE"), ("password", "Welcome1!")]).await;
    let refresh = first.refresh_token.clone().unwrap();
    let second = emu.token(USER_CLIENT, &[("grant_type", "refresh_token"), ("refresh_token", &refresh)]).await;
    assert_ne!(second.access_token, first.access_token);
    let session = emu.csrf_fetch(&second.access_token).await;
    assert_eq!(emu.run_schedule(&second.access_token, &session).await.status(), 200);

    let (_, e) = oauth_error(
        emu.token_request(USER_CLIENT, &[("grant_type", "refresh_token"), ("refresh_token", "made-up")]).await,
    )
    .await;
    assert_eq!(e.error, "invalid_grant");
    // An access token is not a refresh token.
    let (_, e) = oauth_error(
        emu.token_request(USER_CLIENT, &[("grant_type", "refresh_token"), ("refresh_token", &first.access_token)])
            .await,
    )
    .await;
    assert_eq!(e.error, "invalid_grant");
}

fn pkce() -> (String, String) {
    let verifier = "a-verifier-that-is-long-enough-for-rfc-7636-0123456789".to_string();
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

fn query_param(location: &str, name: &str) -> Option<String> {
    url::Url::parse(location).unwrap().query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

#[tokio::test]
async fn authorization_code_with_pkce_through_the_login_form() {
    let emu = start().await;
    let (verifier, challenge) = pkce();
    let redirect = "http://127.0.0.1:45678/callback";
    let query = format!(
        "response_type=code&client_id=sacctl-user&redirect_uri={}&state=xyz&code_challenge={challenge}&code_challenge_method=S256",
        urlencode(redirect)
    );
    let form = emu.get(&format!("/oauth/authorize?{query}")).await;
    assert_eq!(form.status(), 200);
    let html = form.text().await.unwrap();
    assert!(html.contains("name=\"username\"") && html.contains("name=\"password\""));

    let wrong = sign_in(&emu, &query, "bad").await;
    assert_eq!(wrong.status(), 401);

    let approved = sign_in(&emu, &query, "Welcome1!").await;
    assert_eq!(approved.status(), 302);
    let location = approved.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with(redirect));
    assert_eq!(query_param(&location, "state").as_deref(), Some("xyz"));
    let code = query_param(&location, "code").unwrap();

    let exchange = |code: String, verifier: String, redirect: &'static str| {
        let emu = &emu;
        async move {
            emu.token_request(
                USER_CLIENT,
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", redirect),
                    ("code_verifier", &verifier),
                ],
            )
            .await
        }
    };
    let (_, e) = oauth_error(exchange(code.clone(), "wrong-verifier".into(), redirect).await).await;
    assert_eq!(e.error, "invalid_grant", "a wrong verifier burns the code too");
    let (_, e) = oauth_error(exchange(code.clone(), verifier.clone(), redirect).await).await;
    assert!(e.error_description.unwrap().contains("already been used"));

    // A fresh code, now redeemed properly.
    let signed_in_cookie = set_cookie(approved.headers()).expect("signing in opens a browser session");
    let again = emu
        .http
        .get(emu.tenant(&format!("/oauth/authorize?{query}")))
        .header("cookie", signed_in_cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 302, "a signed-in browser is not asked again");
    let code = query_param(again.headers()["location"].to_str().unwrap(), "code").unwrap();
    let (_, e) = oauth_error(exchange(code.clone(), verifier.clone(), "http://127.0.0.1:45678/other").await).await;
    assert!(e.error_description.unwrap().contains("Redirect URI mismatch"));

    let again = emu.get(&format!("/oauth/authorize?{query}")).await;
    assert_eq!(again.status(), 200, "no session, so the form again");
}

#[tokio::test]
async fn auto_approve_and_authorize_refusals() {
    let emu = start_with(Config {
        auto_approve_user: Some("JDOE".into()),
        clock: sac_emulator::ClockMode::Immediate,
        ..Config::default()
    })
    .await;
    let (verifier, challenge) = pkce();
    let redirect = "http://localhost:5555/cb";
    let base =
        format!("/oauth/authorize?response_type=code&client_id=sacctl-user&redirect_uri={}", urlencode(redirect));
    let approved = emu.get(&format!("{base}&code_challenge={challenge}&code_challenge_method=S256")).await;
    assert_eq!(approved.status(), 302);
    let code = query_param(approved.headers()["location"].to_str().unwrap(), "code").unwrap();
    let token = emu
        .token(
            USER_CLIENT,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", redirect),
                ("code_verifier", &verifier),
            ],
        )
        .await;
    assert!(token.refresh_token.is_some());

    // Unknown client or unregistered redirect: shown, never redirected.
    let unknown = emu.get("/oauth/authorize?response_type=code&client_id=nobody").await;
    assert_eq!(unknown.status(), 400);
    let evil = emu
        .get("/oauth/authorize?response_type=code&client_id=sacctl-user&redirect_uri=https%3A%2F%2Fevil.example%2F")
        .await;
    assert_eq!(evil.status(), 400);
    // Other errors go back to the client.
    let token_type = emu.get(&base.replace("response_type=code", "response_type=token")).await;
    assert_eq!(token_type.status(), 302);
    assert_eq!(
        query_param(token_type.headers()["location"].to_str().unwrap(), "error").as_deref(),
        Some("unsupported_response_type")
    );
    let plain = emu.get(&format!("{base}&code_challenge=abc&code_challenge_method=plain")).await;
    assert_eq!(query_param(plain.headers()["location"].to_str().unwrap(), "error").as_deref(), Some("invalid_request"));
    // Without the verifier, a PKCE code is refused.
    let approved = emu.get(&format!("{base}&code_challenge={challenge}&code_challenge_method=S256")).await;
    let code = query_param(approved.headers()["location"].to_str().unwrap(), "code").unwrap();
    let (_, e) = oauth_error(
        emu.token_request(
            USER_CLIENT,
            &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", redirect)],
        )
        .await,
    )
    .await;
    assert!(e.error_description.unwrap().contains("code_verifier"));
}

#[tokio::test]
async fn saml_assertions_are_verified() {
    let emu = start().await;
    let grant = "urn:ietf:params:oauth:grant-type:saml2-bearer";
    let issued = emu.post_admin("/emulator/idp/assertion", json!({"user": "JDOE"})).await;
    let xml = issued["xml"].as_str().unwrap();

    // Tampered: another user's name under JDOE's signature.
    let forged = STANDARD.encode(xml.replace(">JDOE<", ">VIEWER<"));
    let (_, e) =
        oauth_error(emu.token_request(USER_CLIENT, &[("grant_type", grant), ("assertion", &forged)]).await).await;
    assert_eq!(e.error, "invalid_grant");
    assert!(e.error_description.unwrap().contains("signature"));

    let expired = emu.post_admin("/emulator/idp/assertion", json!({"user": "JDOE", "lifetime_secs": -120})).await;
    let (_, e) = oauth_error(
        emu.token_request(USER_CLIENT, &[("grant_type", grant), ("assertion", expired["assertion"].as_str().unwrap())])
            .await,
    )
    .await;
    assert!(e.error_description.unwrap().contains("expired"));

    let (_, e) =
        oauth_error(emu.token_request(USER_CLIENT, &[("grant_type", grant), ("assertion", "not base64!")]).await).await;
    assert_eq!(e.error, "invalid_grant");
    let unsigned = STANDARD.encode("<saml2:Assertion/>");
    let (_, e) =
        oauth_error(emu.token_request(USER_CLIENT, &[("grant_type", grant), ("assertion", &unsigned)]).await).await;
    assert!(e.error_description.unwrap().contains("not signed"));
    // base64url is accepted as well as base64.
    let url_safe = URL_SAFE_NO_PAD.encode(xml);
    assert_eq!(emu.token_request(USER_CLIENT, &[("grant_type", grant), ("assertion", &url_safe)]).await.status(), 200);

    let (status, _) =
        emu.admin(reqwest::Method::POST, "/emulator/idp/assertion", Some(json!({"user": "NOBODY"}))).await;
    assert_eq!(status, 404);
}

/// Posts the authorize login form as JDOE.
async fn sign_in(emu: &Emu, query: &str, password: &str) -> reqwest::Response {
    emu.http
        .post(emu.tenant(&format!("/oauth/authorize?{query}")))
        .form(&[("username", "JDOE"), ("password", password)])
        .send()
        .await
        .unwrap()
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// `GET /api/v1/csrf` on the API domain with `token`: its status and body.
async fn csrf_with(emu: &Emu, token: &str) -> (u16, String) {
    let response = emu.http.get(emu.api("/api/v1/csrf")).bearer_auth(token).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test]
async fn a_configured_lifetime_is_the_one_issued() {
    let emu = start_with(Config { access_token_secs: Some(60), ..Config::default() }).await;
    let password = [("grant_type", "password"), ("username", PLANNER), ("password", PASSWORD)];
    let tokens = emu.token(USER_CLIENT, &password).await;
    assert_eq!(tokens.expires_in, 60);
    assert_eq!(emu.refresh(USER_CLIENT, &tokens).await.expires_in, 60, "and so does a refresh");
}

// Expiry is checked against the emulator's time, which the admin API moves
// forward: a lifetime of N seconds lasts at least N and less than N + 1, so
// one second short of it the token is good and one second past it is not,
// however long the requests take (the test's own requests take well under
// a second).
#[tokio::test]
async fn access_tokens_expire_when_the_emulator_time_passes_their_lifetime() {
    let emu = start().await;
    let password = [("grant_type", "password"), ("username", PLANNER), ("password", PASSWORD)];
    let tokens = emu.token(USER_CLIENT, &password).await;
    let lifetime = tokens.expires_in as i64;
    assert_eq!(lifetime, 3599, "the tenant's lifetime");

    let moved = emu.admin_api.advance_clock(lifetime - 1).await;
    assert_eq!(moved["offset_seconds"], lifetime - 1);
    assert_eq!(csrf_with(&emu, &tokens.access_token).await.0, 200, "a second short of its lifetime");

    emu.admin_api.advance_clock(2).await;
    let (status, body) = csrf_with(&emu, &tokens.access_token).await;
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("The access token has expired"), "SAC's answer to an expired token: {body}");

    // The refresh token outlives it and issues a fresh one, which lives from now.
    let refreshed = emu.refresh(USER_CLIENT, &tokens).await;
    assert_eq!(csrf_with(&emu, &refreshed.access_token).await.0, 200);
}

#[tokio::test]
async fn refresh_tokens_expire_when_the_emulator_time_passes_their_lifetime() {
    let emu = start().await;
    let lifetime = emu.admin_api.get("/emulator/tenant").await["refresh_token_secs"].as_i64().unwrap();
    assert_eq!(lifetime, 720 * 3600, "the tenant's lifetime");
    let password = [("grant_type", "password"), ("username", PLANNER), ("password", PASSWORD)];
    let tokens = emu.token(USER_CLIENT, &password).await;

    emu.admin_api.advance_clock(lifetime - 1).await;
    let refreshed = emu.refresh(USER_CLIENT, &tokens).await;
    assert_eq!(refreshed.refresh_token, tokens.refresh_token, "refresh tokens are not rotated");

    emu.admin_api.advance_clock(2).await;
    let refresh = tokens.refresh_token.as_deref().unwrap();
    let (status, e) = oauth_error(
        emu.token_request(USER_CLIENT, &[("grant_type", "refresh_token"), ("refresh_token", refresh)]).await,
    )
    .await;
    assert_eq!((status, e.error.as_str()), (400, "invalid_grant"));
    assert!(e.error_description.unwrap().contains("expired"));
}

#[tokio::test]
async fn browser_sessions_expire_when_idle_for_their_timeout_in_emulator_time() {
    let emu = start().await;
    let idle = Config::default().session_idle.as_secs() as i64;
    let login = emu
        .http
        .post(emu.tenant("/login?url=/"))
        .form(&[("username", PLANNER), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    let cookie = set_cookie(login.headers()).expect("a browser session");
    let home = || emu.http.get(emu.tenant("/")).header("cookie", &cookie).send();

    emu.admin_api.advance_clock(idle - 1).await;
    assert!(!is_login_page(home().await.unwrap()).await, "a second short of the idle timeout");
    // That request slid the timeout: as long again from now.
    emu.admin_api.advance_clock(idle - 1).await;
    assert!(!is_login_page(home().await.unwrap()).await, "the timeout slides with each request");

    emu.admin_api.advance_clock(idle + 1).await;
    assert!(is_login_page(home().await.unwrap()).await, "idle past the timeout: signed out");
}

/// Targets a browser reads as another origin (`/\host`, `/<tab>/host`, ...),
/// as they appear in the query string.
const HOSTILE_TARGETS: [&str; 7] = [
    "/%5Cevil.example",
    "/%09/evil.example",
    "/%2509/evil.example",
    "/%0A/evil.example",
    "/%0d/evil.example",
    "//evil.example",
    "https://evil.example/",
];

#[tokio::test]
async fn login_and_the_approuter_send_browsers_only_to_paths_on_the_tenant() {
    let emu = start().await;
    let login = |url: String| {
        emu.http
            .post(emu.tenant(&format!("/login?url={url}")))
            .form(&[("username", PLANNER), ("password", PASSWORD)])
            .send()
    };
    let location = |r: &reqwest::Response| r.headers()["location"].to_str().unwrap().to_string();
    let signed_in = login("%2F".into()).await.unwrap();
    let cookie = set_cookie(signed_in.headers()).expect("a browser session");
    let approuter = |url: &str| {
        emu.http.get(emu.tenant(&format!("/approuter/v1/redirect?url={url}"))).header("cookie", &cookie).send()
    };

    for hostile in HOSTILE_TARGETS {
        assert_eq!(location(&login(hostile.into()).await.unwrap()), "/", "login {hostile}");
        assert_eq!(location(&approuter(hostile).await.unwrap()), "/", "approuter {hostile}");
        let anonymous = emu.get(&format!("/approuter/v1/redirect?url={hostile}")).await;
        assert_eq!(location(&anonymous), "/login?url=%2F", "approuter without a session {hostile}");
    }
    // A path with a query string of its own still goes through.
    let fine = "/emulator/ui/models/SALES_PLAN?Version=public.Actual&x=%2F";
    let encoded: String = url::form_urlencoded::byte_serialize(fine.as_bytes()).collect();
    assert_eq!(location(&login(encoded.clone()).await.unwrap()), fine);
    assert_eq!(location(&approuter(&encoded).await.unwrap()), fine);
}

/// Whether `response` forbids every frame (legacy header and CSP).
fn framing_denied(response: &reqwest::Response) -> bool {
    let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    header("x-frame-options") == "DENY" && header("content-security-policy").contains("frame-ancestors 'none'")
}

#[tokio::test]
async fn sign_in_pages_refuse_frames_and_forms_posted_from_another_site() {
    let emu = start().await;
    let authorize_query = format!(
        "response_type=code&client_id=sacctl-user&redirect_uri={}&state=s",
        urlencode("http://127.0.0.1:45678/callback")
    );
    for page in ["/login?url=%2F", &format!("/oauth/authorize?{authorize_query}"), "/approuter/v1/redirect?url=%2F"] {
        assert!(framing_denied(&emu.get(page).await), "{page}");
    }
    let unknown_client = emu.get("/oauth/authorize?response_type=code&client_id=NOPE").await;
    assert_eq!(unknown_client.status(), 400);
    assert!(framing_denied(&unknown_client), "the flow's error page");

    let own = emu.emu.urls.tenant_url.trim_end_matches('/').to_string();
    let post = |path: String, header: Option<(&'static str, String)>| {
        let mut request = emu.http.post(emu.tenant(&path)).form(&[("username", PLANNER), ("password", PASSWORD)]);
        if let Some((name, value)) = header {
            request = request.header(name, value);
        }
        request.send()
    };
    let authorize = format!("/oauth/authorize?{authorize_query}");
    for path in ["/login?url=%2F".to_string(), authorize.clone()] {
        for evil in [
            ("origin", "https://evil.example".to_string()),
            ("origin", "null".to_string()),
            ("referer", "https://evil.example/page".to_string()),
            ("referer", format!("{own}.evil.example/")),
        ] {
            let refused = post(path.clone(), Some(evil.clone())).await.unwrap();
            assert_eq!(refused.status(), 403, "{path} {evil:?}");
            assert!(refused.headers().get("set-cookie").is_none(), "no session for {path} {evil:?}");
            assert!(refused.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
            assert!(refused.text().await.unwrap().contains("posted from another site"));
        }
        // The tenant's own page, or a post naming no origin at all (assumption: as SAC's form), signs in.
        for fine in [Some(("origin", own.clone())), Some(("referer", format!("{own}/login?url=%2F"))), None] {
            let signed_in = post(path.clone(), fine.clone()).await.unwrap();
            assert!(signed_in.status().is_redirection(), "{path} {fine:?}: {}", signed_in.status());
            assert!(set_cookie(signed_in.headers()).is_some(), "{path} {fine:?}");
        }
    }
}
