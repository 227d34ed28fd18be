//! Who may call the data integration service, and the refusals of everyone else.

use reqwest::StatusCode;
use sac_types::legacy::{ErrorBody, SERVICE_PATH};
use serde_json::{json, Value};

use crate::support::*;

fn logs_body() -> Value {
    json!({"jobType": "bpcDataImport", "modelName": MODEL, "mappingId": []})
}

async fn assert_csrf_required(response: reqwest::Response) {
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(response.headers()["x-csrf-token"], "Required");
}

async fn assert_error_3000(response: reqwest::Response) {
    assert_eq!(response.status(), 500);
    let body: ErrorBody = response.json().await.unwrap();
    assert_eq!(body.error_code, Some(3000));
    assert_eq!(
        body.message,
        "Error Code: 3000, Error Message: User is not properly configured or user may not exist in tenant"
    );
}

#[tokio::test]
async fn no_token_or_bad_token_gets_the_login_page_on_the_tenant_and_401_on_the_api_domain() {
    let emu = start().await;
    assert!(is_login_page(emu.legacy("getScheduleLogsByModel", None, None, &logs_body()).await).await);
    assert!(is_login_page(emu.legacy("getScheduleLogsByModel", Some("not-a-token"), None, &logs_body()).await).await);
    let api = emu.api(SERVICE_PATH);
    let no_token = emu.legacy_at(&api, "getScheduleLogsByModel", None, None, &logs_body()).await;
    assert_eq!(no_token.status(), 401);
    assert!(no_token.headers()["www-authenticate"].to_str().unwrap().contains("invalid_token"));
    let bad = emu.legacy_at(&api, "getScheduleLogsByModel", Some("not-a-token"), None, &logs_body()).await;
    assert_eq!(bad.status(), 401);
    assert_eq!(bad.json::<Value>().await.unwrap()["error"], "invalid_token");
    // Other UI-layer paths answer the same way.
    let other = emu.get("/sap/fpa/ui/app.html").await;
    assert!(is_login_page(other).await);
    let home = emu.get("/").await;
    assert!(is_login_page(home).await);
}

#[tokio::test]
async fn client_credentials_token_gets_the_login_page_even_with_csrf_and_cookie() {
    let emu = start().await;
    let token = emu.client_credentials_token().await;
    // The CSRF fetch itself works for a technical token (as the seed's readers saw)...
    let fetch = emu.api_csrf_fetch(&token, "/api/v1/csrf").await;
    assert_eq!(fetch.status(), 200);
    let session = Session {
        csrf: fetch.headers()["x-csrf-token"].to_str().unwrap().into(),
        cookie: set_cookie(fetch.headers()).unwrap(),
    };
    // ...but the data integration service sends it to log in.
    let response = emu.legacy("getScheduleLogsByModel", Some(&token), Some(&session), &logs_body()).await;
    assert!(is_login_page(response).await);
    // The UI layer's own logon call does the same.
    let logon = emu
        .http
        .get(emu.tenant("/sap/fpa/services/rest/epm/session?action=logon"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert!(is_login_page(logon).await);
    // On the API domain it is a technical user without a SAC user record.
    let api = emu.api(SERVICE_PATH);
    assert_error_3000(emu.legacy_at(&api, "getScheduleLogsByModel", Some(&token), None, &logs_body()).await).await;
}

#[tokio::test]
async fn users_the_tenant_does_not_know_get_error_3000() {
    let emu = start().await;
    // KSMITH exists in the identity provider only.
    let token = emu.password_token("KSMITH").await;
    let session = emu.csrf_fetch(&token).await;
    assert_error_3000(emu.legacy("getScheduleLogsByModel", Some(&token), Some(&session), &logs_body()).await).await;
    let assertion = emu.post_admin("/emulator/idp/assertion", json!({"user": "KSMITH"})).await;
    let saml = emu
        .token(
            USER_CLIENT,
            &[
                ("grant_type", "urn:ietf:params:oauth:grant-type:saml2-bearer"),
                ("assertion", assertion["assertion"].as_str().unwrap()),
            ],
        )
        .await;
    let session = emu.csrf_fetch(&saml.access_token).await;
    assert_error_3000(emu.run_schedule(&saml.access_token, &session).await).await;
}

#[tokio::test]
async fn writes_need_the_csrf_token_and_cookie_of_the_callers_session() {
    let emu = start().await;
    let token = emu.password_token("JDOE").await;
    let session = emu.csrf_fetch(&token).await;

    // No CSRF token, no cookie.
    assert_csrf_required(emu.legacy("getScheduleLogsByModel", Some(&token), None, &logs_body()).await).await;
    // Token without cookie.
    let no_cookie = emu
        .http
        .post(emu.tenant(&format!("{SERVICE_PATH}?action=getScheduleLogsByModel&tenant=G")))
        .bearer_auth(&token)
        .header("x-csrf-token", &session.csrf)
        .json(&logs_body())
        .send()
        .await
        .unwrap();
    assert_csrf_required(no_cookie).await;
    // Stale token with the right cookie.
    let stale = Session { csrf: "stale-token".into(), cookie: session.cookie.clone() };
    assert_csrf_required(emu.legacy("getScheduleLogsByModel", Some(&token), Some(&stale), &logs_body()).await).await;
    // Another user's session.
    let other = emu.password_token("VIEWER").await;
    assert_csrf_required(emu.legacy("getScheduleLogsByModel", Some(&other), Some(&session), &logs_body()).await).await;
    // The right pair works, and a second fetch in the same session returns the same token.
    assert_eq!(emu.legacy("getScheduleLogsByModel", Some(&token), Some(&session), &logs_body()).await.status(), 200);
    let again = emu
        .http
        .get(emu.tenant("/api/v1/csrf"))
        .bearer_auth(&token)
        .header("x-csrf-token", "FETCH")
        .header("cookie", &session.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(again.headers()["x-csrf-token"].to_str().unwrap(), session.csrf);
    assert!(set_cookie(again.headers()).is_none());
}

#[tokio::test]
async fn expired_tokens_are_refused_and_a_refresh_cures_them() {
    let emu = start().await;
    let tokens =
        emu.token(USER_CLIENT, &[("grant_type", "password"), ("username", "JDOE"), ("password", "Welcome1!")]).await;
    let session = emu.csrf_fetch(&tokens.access_token).await;
    emu.post_admin("/emulator/faults", json!({"path": SERVICE_PATH, "expire": "token"})).await;
    let response = emu.legacy("getScheduleLogsByModel", Some(&tokens.access_token), Some(&session), &logs_body()).await;
    assert!(is_login_page(response).await, "an expired token is not authenticated");
    let api = emu.api(SERVICE_PATH);
    let on_api = emu.legacy_at(&api, "getScheduleLogsByModel", Some(&tokens.access_token), None, &logs_body()).await;
    assert_eq!(on_api.status(), 401);
    assert!(on_api.text().await.unwrap().contains("expired"));
    let fetch = emu.http.get(emu.api("/api/v1/csrf")).bearer_auth(&tokens.access_token).send().await.unwrap();
    assert_eq!(fetch.status(), 401);

    let refreshed = emu
        .token(
            USER_CLIENT,
            &[("grant_type", "refresh_token"), ("refresh_token", tokens.refresh_token.as_deref().unwrap())],
        )
        .await;
    let session = emu.csrf_fetch(&refreshed.access_token).await;
    assert_eq!(
        emu.legacy("getScheduleLogsByModel", Some(&refreshed.access_token), Some(&session), &logs_body())
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn api_csrf_without_authentication_is_401() {
    let emu = start().await;
    let response = emu.http.get(emu.tenant("/api/v1/csrf")).header("x-csrf-token", "fetch").send().await.unwrap();
    assert_eq!(response.status(), 401);
    assert!(response.headers().get("x-csrf-token").is_none());
}
