//! `sacctl login`, `logout`, `auth status` and `auth doctor`.

use sac_client::auth::login::LoginFlow;
use sac_client::{Client, Grant};
use serde_json::json;

use crate::cli::{ConnectionArgs, DoctorArgs, LoginArgs};
use crate::connect::connect;
use crate::exit::ExitStatus;
use crate::failure::Failure;
use crate::output::Printer;
use crate::report::finish;
use crate::settings;

fn expires_in(expires_at: i64) -> String {
    let secs = expires_at - chrono::Utc::now().timestamp();
    if secs <= 0 {
        "expired".into()
    } else {
        format!("valid for {}", humantime::format_duration(std::time::Duration::from_secs(secs as u64)))
    }
}

pub async fn login(printer: Printer, args: LoginArgs) -> Result<ExitStatus, Failure> {
    let mut settings = settings::resolve(&args.connection)?;
    if settings.client.grant != Grant::AuthorizationCode {
        printer.note(&format!(
            "note: profile {:?} uses the {} grant; this login is used with SACCTL_GRANT=authorization_code (grant = \"authorization_code\" in the profile)",
            settings.profile,
            settings.client.grant.as_str()
        ));
        settings.client.grant = Grant::AuthorizationCode;
    }
    if settings.client.cache_dir.is_none() {
        return Err(Failure::usage("a login needs the token cache: drop --no-token-cache (or set SACCTL_CACHE_DIR)"));
    }
    let client = Client::new(settings.client.clone())?;
    let flow = LoginFlow::start(client.config(), args.port).await?;
    printer.note(&format!(
        "Open this URL in a browser to sign in to SAC (redirect to {}):\n  {}",
        flow.redirect_uri, flow.authorize_url
    ));
    if !args.no_browser {
        open_browser(flow.authorize_url.as_str());
    }
    let status = flow.finish(client.tokens(), args.timeout).await?;
    let user = status.user.clone().unwrap_or_else(|| "(unknown user)".into());
    if printer.json() {
        printer.result_json(&finish(
            json!({
                "profile": settings.profile,
                "user": status.user,
                "expires_at": status.expires_at,
                "refresh_token": status.has_refresh_token,
                "cache_file": status.cache_file,
            }),
            ExitStatus::Success,
            None,
        ));
    } else {
        printer.result(&format!(
            "logged in as {user} (profile {}); the token is {}, {}",
            settings.profile,
            expires_in(status.expires_at),
            if status.has_refresh_token {
                "and a refresh token keeps the login alive"
            } else {
                "and there is no refresh token"
            }
        ));
    }
    Ok(ExitStatus::Success)
}

/// Tries the desktop's URL opener; the printed URL is the fallback.
fn open_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    let spawned = std::process::Command::new(opener)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    if let Err(e) = spawned {
        tracing::info!(opener, error = %e, "could not start a browser; open the URL by hand");
    }
}

pub async fn logout(printer: Printer, args: ConnectionArgs) -> Result<ExitStatus, Failure> {
    let (settings, client) = connect(&args)?;
    let had = client.tokens().logout().await?;
    printer.note(&if had {
        format!("logged out of profile {} (cached tokens removed)", settings.profile)
    } else {
        format!("profile {} had no cached tokens", settings.profile)
    });
    if printer.json() {
        printer.result_json(&finish(
            json!({"profile": settings.profile, "tokens_removed": had}),
            ExitStatus::Success,
            None,
        ));
    }
    Ok(ExitStatus::Success)
}

pub async fn status(printer: Printer, args: ConnectionArgs) -> Result<ExitStatus, Failure> {
    let (settings, client) = connect(&args)?;
    let status = client.tokens().status().await;
    let grant = settings.client.grant;
    let exit = match (&status, grant) {
        (None, Grant::AuthorizationCode) => ExitStatus::Auth,
        _ => ExitStatus::Success,
    };
    if printer.json() {
        printer.result_json(&finish(json!({
            "profile": settings.profile,
            "grant": grant.as_str(),
            "client_id": settings.client.client_id,
            "tenant_url": settings.client.tenant_url.as_str(),
            "token_url": settings.client.token_url.as_str(),
            "cached": status.as_ref().map(|s| json!({
                "user": s.user, "expires_at": s.expires_at, "refresh_token": s.has_refresh_token, "cache_file": s.cache_file,
            })),
        }), exit, None));
    } else {
        printer.result(&format!(
            "profile {}: client {} with the {} grant at {}",
            settings.profile,
            settings.client.client_id,
            grant.as_str(),
            settings.client.tenant_url
        ));
        printer.result(&match &status {
            Some(s) => format!(
                "cached token: {} for {}{}",
                expires_in(s.expires_at),
                s.user.as_deref().unwrap_or("a technical client (no user)"),
                if s.has_refresh_token { ", refresh token kept" } else { "" }
            ),
            None if grant == Grant::AuthorizationCode => "not logged in: run `sacctl login`".into(),
            None => "no cached token: one is fetched on first use".into(),
        });
    }
    Ok(exit)
}

pub async fn doctor(printer: Printer, args: DoctorArgs) -> Result<ExitStatus, Failure> {
    let (model, event) = (args.model.as_deref(), args.event.as_deref());
    let outcome = match settings::resolve(&args.connection) {
        Ok(settings) => crate::ops::doctor::doctor(Ok(&settings), model, event).await?,
        Err(e) => crate::ops::doctor::doctor(Err(Failure::from(e)), model, event).await?,
    };
    Ok(outcome.print(printer))
}
