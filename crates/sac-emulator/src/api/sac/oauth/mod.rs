//! The token service: `POST /oauth/token` and `GET|POST /oauth/authorize`
//! (RFC 6749, PKCE per RFC 7636, SAML bearer per RFC 7522), in XSUAA's shape.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sac_types::oauth::{TokenResponse, SAML2_BEARER_GRANT};
use sha2::Sha256;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::error::no_store;
use crate::api::error::ApiError;
use crate::api::openapi::tags;
use crate::api::state::AppState;
use crate::auth::{self};
use crate::secrets::{constant_time_eq, digest, pkce_s256, random_id, random_token};
use crate::store::{TokenKind, TokenRecord};
use crate::tenant::{OAuthClient, Tenant};

mod authorize;
mod cross_site;

use authorize::Params;

/// Scopes written into tokens. They mirror what real tokens carry; the
/// emulator decides access by the token's client and user, not by scope.
fn scopes(user: Option<&str>) -> Vec<&'static str> {
    let mut scopes = vec!["uaa.resource", "dmi-api-proxy-sac-saceu10!t1.apiaccess"];
    if user.is_some() {
        scopes.insert(1, "approuter-sac-saceu10!t1.sap.fpa.user");
    }
    scopes
}

/// The internal name of a grant type as `grant_type` spells it.
fn grant_name(grant_type: &str) -> Option<&'static str> {
    Some(match grant_type {
        "client_credentials" => "client_credentials",
        "authorization_code" => "authorization_code",
        "refresh_token" => "refresh_token",
        "password" => "password",
        SAML2_BEARER_GRANT => "saml2_bearer",
        _ => return None,
    })
}

/// `POST /oauth/token`.
#[utoipa::path(
    post,
    path = "/oauth/token",
    tag = tags::TOKEN,
    request_body(content = TokenRequest, content_type = "application/x-www-form-urlencoded", description = "Client credentials may come as HTTP Basic instead; parameters in the query count too"),
    responses(
        (status = 200, description = "An access token", content_type = "application/json"),
        (status = 400, description = "OAuth error: invalid_request, invalid_grant, unsupported_grant_type", content_type = "application/json"),
        (status = 401, description = "OAuth error invalid_client", content_type = "application/json"),
    ),
)]
pub async fn token(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<Response, ApiError> {
    let is_json = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|ct| ct.contains("json"));
    if is_json {
        return Err(ApiError::oauth(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "The token request must be sent as application/x-www-form-urlencoded",
        ));
    }
    // Parameters may come in the query (`?grant_type=client_credentials`, as
    // SAP's examples do) or in the form body; the body wins.
    let mut params: Params = url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()).into_owned().collect();
    params.extend(url::form_urlencoded::parse(&body).into_owned());
    let tenant = state.tenant();
    let client = authenticate_client(&tenant, &headers, &params)?;
    let Some(grant_type) = params.get("grant_type").filter(|g| !g.is_empty()) else {
        return Err(ApiError::oauth(StatusCode::BAD_REQUEST, "invalid_request", "Missing grant type"));
    };
    let Some(grant) = grant_name(grant_type) else {
        return Err(ApiError::oauth(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            format!("Unsupported grant type: {grant_type}"),
        ));
    };
    if !client.allows_grant(grant) {
        return Err(ApiError::oauth(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            format!("The client {} is not authorized to use the grant type {grant_type}", client.id),
        ));
    }
    let tokens = match grant {
        "client_credentials" => issue(&state, client, None, grant, None),
        "password" => password_grant(&state, &tenant, client, &params),
        "authorization_code" => code_grant(&state, client, &params),
        "refresh_token" => refresh_grant(&state, client, &params),
        _ => saml_grant(&state, client, &params),
    }?;
    let mut response = Json(tokens).into_response();
    no_store(&mut response);
    Ok(response)
}

fn authenticate_client<'t>(
    tenant: &'t Tenant,
    headers: &HeaderMap,
    params: &Params,
) -> Result<&'t OAuthClient, ApiError> {
    let from_form = params.get("client_id").map(|id| (id.clone(), params.get("client_secret").cloned()));
    let from_basic = auth::basic(headers);
    let (id, secret) = match (from_basic, from_form) {
        (Some(_), Some((_, Some(_)))) => {
            return Err(ApiError::oauth(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "Use one client authentication method: HTTP Basic or client_secret in the body, not both",
            ))
        }
        (Some((id, secret)), _) => (id, Some(secret)),
        (None, Some(form)) => form,
        (None, None) => {
            return Err(ApiError::oauth(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "Client authentication is required (HTTP Basic or client_id and client_secret)",
            ))
        }
    };
    // Accept the credentials as sent, and form-urlencoded (RFC 6749 2.3.1).
    let unescape =
        |s: &str| url::form_urlencoded::parse(format!("x={s}").as_bytes()).next().map(|(_, v)| v.into_owned());
    let client = tenant.client(&id).or_else(|| unescape(&id).and_then(|id| tenant.client(&id)));
    match (client, secret) {
        (Some(c), Some(s))
            if constant_time_eq(&c.secret, &s) || unescape(&s).is_some_and(|u| constant_time_eq(&c.secret, &u)) =>
        {
            Ok(c)
        }
        // XSUAA (a UAA) answers a wrong client id or secret as Spring
        // Security does: `unauthorized`, "Bad credentials".
        _ => Err(ApiError::oauth(StatusCode::UNAUTHORIZED, "unauthorized", "Bad credentials")),
    }
}

fn required<'p>(params: &'p Params, name: &str) -> Result<&'p str, ApiError> {
    params.get(name).map(String::as_str).filter(|v| !v.is_empty()).ok_or_else(|| {
        ApiError::oauth(StatusCode::BAD_REQUEST, "invalid_request", format!("Missing parameter: {name}"))
    })
}

fn invalid_grant(description: impl Into<String>) -> ApiError {
    ApiError::oauth(StatusCode::BAD_REQUEST, "invalid_grant", description)
}

fn password_grant(
    state: &AppState,
    tenant: &Tenant,
    client: &OAuthClient,
    params: &Params,
) -> Result<TokenResponse, ApiError> {
    let username = required(params, "username")?;
    let password = required(params, "password")?;
    match tenant.user(username) {
        Some(user) if constant_time_eq(&user.password, password) => {
            issue(state, client, Some(&user.id), "password", None)
        }
        _ => Err(invalid_grant("Bad credentials: unknown user or wrong password")),
    }
}

fn code_grant(state: &AppState, client: &OAuthClient, params: &Params) -> Result<TokenResponse, ApiError> {
    let code = required(params, "code")?;
    let record = state.store().take_auth_code(&digest(code))?;
    let Some(record) = record else {
        return Err(invalid_grant("Invalid authorization code"));
    };
    if record.used {
        return Err(invalid_grant("The authorization code has already been used"));
    }
    if state.store().clock().has_passed(record.expires_at) {
        return Err(invalid_grant("The authorization code has expired"));
    }
    if record.client_id != client.id {
        return Err(invalid_grant("The authorization code was issued to another client"));
    }
    if let Some(expected) = &record.redirect_uri {
        if params.get("redirect_uri") != Some(expected) {
            return Err(invalid_grant("Redirect URI mismatch: send the redirect_uri of the authorization request"));
        }
    }
    if let Some(challenge) = &record.challenge {
        let Some(verifier) = params.get("code_verifier") else {
            return Err(invalid_grant("PKCE: code_verifier is required for this authorization code"));
        };
        if !constant_time_eq(&pkce_s256(verifier), challenge) {
            return Err(invalid_grant("PKCE verification failed: code_verifier does not match code_challenge"));
        }
    }
    issue(state, client, Some(&record.user), "authorization_code", None)
}

fn refresh_grant(state: &AppState, client: &OAuthClient, params: &Params) -> Result<TokenResponse, ApiError> {
    let refresh = required(params, "refresh_token")?;
    let record = state.store().token(&digest(refresh))?;
    match record {
        Some(r) if r.kind == TokenKind::Refresh && r.client_id == client.id => {
            if state.store().clock().has_passed(r.expires_at) {
                return Err(invalid_grant("The refresh token has expired: sign in again"));
            }
            issue(state, client, r.user.as_deref(), "refresh_token", Some(refresh.to_string()))
        }
        Some(r) if r.kind == TokenKind::Refresh => Err(invalid_grant("The refresh token was issued to another client")),
        _ => Err(invalid_grant("Invalid refresh token")),
    }
}

fn saml_grant(state: &AppState, client: &OAuthClient, params: &Params) -> Result<TokenResponse, ApiError> {
    let assertion = required(params, "assertion")?;
    let now = state.store().clock().now_utc();
    let user = crate::auth::saml::verify(&state.keys().idp, &state.tenant(), assertion, now).map_err(invalid_grant)?;
    issue(state, client, Some(&user), "saml2_bearer", None)
}

/// Issues an access token (a signed JWT) and, for grants with a user, a
/// refresh token (`keep_refresh` is returned as is on refresh).
fn issue(
    state: &AppState,
    client: &OAuthClient,
    user: Option<&str>,
    grant: &str,
    keep_refresh: Option<String>,
) -> Result<TokenResponse, ApiError> {
    let tenant = state.tenant();
    let now = state.store().clock().now_secs();
    let jti = random_id().to_ascii_lowercase();
    let scope = scopes(user).join(" ");
    let expires_in = state.options().access_token_secs.unwrap_or(tenant.access_token_secs);
    let access = jwt(state, &tenant, client, user, grant, &jti, now, expires_in);
    let record = TokenRecord {
        kind: TokenKind::Access,
        jti: jti.clone(),
        client_id: client.id.clone(),
        user: user.map(str::to_string),
        grant_type: grant.to_string(),
        scope: scope.clone(),
        expires_at: now + expires_in as i64,
    };
    state.store().insert_token(&digest(&access), &record)?;
    let refresh_token = match (user, keep_refresh) {
        (_, Some(kept)) => Some(kept),
        (Some(_), None) => {
            let refresh = format!("{}-r", random_token(32));
            let refresh_record =
                TokenRecord { kind: TokenKind::Refresh, expires_at: now + tenant.refresh_token_secs as i64, ..record };
            state.store().insert_token(&digest(&refresh), &refresh_record)?;
            Some(refresh)
        }
        (None, None) => None,
    };
    Ok(TokenResponse { access_token: access, token_type: "bearer".into(), expires_in, refresh_token, scope, jti })
}

#[allow(clippy::too_many_arguments)]
fn jwt(
    state: &AppState,
    tenant: &Tenant,
    client: &OAuthClient,
    user: Option<&str>,
    grant: &str,
    jti: &str,
    now: i64,
    expires_in: u64,
) -> String {
    let token_url = state.urls().map(|u| u.token_url.clone()).unwrap_or_default();
    let header = serde_json::json!({"alg": "HS256", "typ": "JWT", "jku": format!("{token_url}/token_keys")});
    let mut claims = serde_json::json!({
        "jti": jti,
        "sub": user.unwrap_or(&client.id),
        "client_id": client.id,
        "cid": client.id,
        "azp": client.id,
        "grant_type": grant,
        "scope": scopes(user),
        "zid": tenant.letter,
        "iss": token_url,
        "iat": now,
        "exp": now + expires_in as i64,
        "aud": ["uaa", "approuter-sac-saceu10!t1", "dmi-api-proxy-sac-saceu10!t1"],
    });
    if let Some(user) = user {
        claims["user_name"] = user.into();
        claims["origin"] = tenant.idp_entity_id.clone().into();
    }
    let encode = |v: &serde_json::Value| URL_SAFE_NO_PAD.encode(v.to_string());
    let signing_input = format!("{}.{}", encode(&header), encode(&claims));
    let mut mac = Hmac::<Sha256>::new_from_slice(&state.keys().jwt).expect("HMAC takes any key length");
    mac.update(signing_input.as_bytes());
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
}

/// The form `POST /oauth/token` reads (OAuth 2.0, RFC 6749; SAML bearer, RFC 7522).
#[allow(dead_code)]
#[derive(utoipa::ToSchema)]
struct TokenRequest {
    /// `client_credentials`, `authorization_code`, `refresh_token`, `password`
    /// or `urn:ietf:params:oauth:grant-type:saml2-bearer`.
    grant_type: String,
    client_id: Option<String>,
    client_secret: Option<String>,
    /// Authorization code grant.
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    /// Refresh token grant.
    refresh_token: Option<String>,
    /// Password grant.
    username: Option<String>,
    password: Option<String>,
    /// SAML bearer grant: the base64 assertion.
    assertion: Option<String>,
}

/// The token service's and sign-in's part of the OpenAPI document.
/// The token service, the sign-in page and the approuter's redirect
/// (browser domain; on SAC a host of their own).
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(token))
        .routes(routes!(authorize::authorize_form, authorize::authorize_submit))
        .routes(routes!(authorize::login_page_form, authorize::login_submit))
        .routes(routes!(authorize::approuter_redirect))
}
