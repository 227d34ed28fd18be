//! The doctor: a profile checked step by step (settings, token, public
//! API, each API family, session, data integration), with the fix for
//! what fails and what this identity can do (`sacctl auth doctor`, and
//! the MCP server's `auth_doctor`).

use sac_client::Client;
use serde_json::{json, Value};

use super::outcome::Outcome;
use crate::exit::ExitStatus;
use crate::failure::Failure;
use crate::report::finish;
use crate::settings::Settings;
use crate::site::doc_url;

/// One line of the doctor's report.
struct Check {
    name: &'static str,
    ok: Option<bool>,
    detail: String,
    hints: Vec<String>,
}

impl Check {
    fn from_result(
        name: &'static str,
        result: Result<String, sac_client::Error>,
    ) -> (Check, Option<sac_client::Error>) {
        match result {
            Ok(detail) => (Check { name, ok: Some(true), detail, hints: vec![] }, None),
            Err(e) => {
                // The error's causes too: its message does not repeat them.
                let causes = std::iter::successors(Some(&e as &dyn std::error::Error), |c| c.source());
                let detail = causes.map(ToString::to_string).collect::<Vec<_>>().join(": ");
                (Check { name, ok: Some(false), detail, hints: e.hints() }, Some(e))
            }
        }
    }

    fn skipped(name: &'static str, why: &str) -> Check {
        Check { name, ok: None, detail: why.into(), hints: vec![] }
    }

    fn json(&self) -> Value {
        json!({"check": self.name, "ok": self.ok, "detail": self.detail, "hints": self.hints})
    }
}

/// Checks the profile step by step (settings, token, public API, each API
/// family, session, data integration) and what this identity can do; the
/// exit status of the first failure that breaks the profile.
pub async fn doctor(
    settings: Result<&Settings, Failure>,
    model: Option<&str>,
    event: Option<&str>,
) -> Result<Outcome, Failure> {
    let mut checks = Vec::new();
    let mut first_failure: Option<Failure> = None;
    let settings = match settings {
        Ok(s) => {
            checks.push(Check {
                name: "settings",
                ok: Some(true),
                detail: format!(
                    "profile {}, client {}, {} grant, tenant {}, token URL {}{}",
                    s.profile,
                    s.client.client_id,
                    s.client.grant.as_str(),
                    s.client.tenant_url,
                    s.client.token_url,
                    s.client.api_url.as_ref().map(|u| format!(", API domain {u}")).unwrap_or_default()
                ),
                hints: vec![],
            });
            Some(s)
        }
        Err(failure) => {
            checks.push(Check {
                name: "settings",
                ok: Some(false),
                detail: failure.error.to_string(),
                hints: failure.hints.clone(),
            });
            first_failure = Some(failure);
            None
        }
    };
    let mut capabilities = json!({});
    if let Some(settings) = &settings {
        let client = Client::new(settings.client.clone())?;
        let grant = settings.client.grant;
        let mut record = |check: (Check, Option<sac_client::Error>), checks: &mut Vec<Check>| {
            let ok = check.0.ok == Some(true);
            if let (Some(e), None) = (check.1, &first_failure) {
                first_failure = Some(Failure::from(e));
            }
            checks.push(check.0);
            ok
        };
        let token = client.tokens().access_token().await.map(|_| ());
        let token_ok = record(
            Check::from_result(
                "token",
                match token {
                    Ok(()) => {
                        let status = client.tokens().status().await;
                        let who =
                            status.as_ref().and_then(|s| s.user.clone()).map(|u| format!("user {u}")).unwrap_or_else(
                                || {
                                    if grant.has_user() {
                                        "a user".into()
                                    } else {
                                        "the technical client (no user context)".into()
                                    }
                                },
                            );
                        Ok(format!("{} grant: a token for {who}", grant.as_str()))
                    }
                    Err(e) => Err(e),
                },
            ),
            &mut checks,
        );
        if token_ok {
            let api = client.check_public_api().await.map(|()| "GET /api/v1/csrf accepted the token".to_string());
            let api_ok = record(Check::from_result("public API", api), &mut checks);
            // The API families: what this identity may do. A refusal here is
            // an answer, not a broken profile, so it does not set the exit code.
            let import = client.data_import().models().await.map(|m| format!("{} model(s) can be loaded", m.len()));
            let import_ok = import.is_ok();
            checks.push(Check::from_result("data import", import).0);
            let export = client.data_export().providers().await.map(|p| format!("{} model(s) can be read", p.len()));
            let export_ok = export.is_ok();
            checks.push(Check::from_result("data export", export).0);
            let calendar = crate::ops::calendar::probe(&client, event).await;
            let calendar_ok = calendar.is_ok();
            checks.push(Check::from_result("calendar", calendar).0);
            let monitoring = crate::ops::monitor::probe(&client).await;
            let monitoring_ok = monitoring.is_ok();
            checks.push(Check::from_result("monitoring", monitoring).0);
            let session = client
                .open_session()
                .await
                .map(|()| "CSRF token and session cookie from the browser domain".to_string());
            // A technical client has no session on the UI layer: that is an
            // answer about what it may do (no schedules, no multi actions),
            // not a broken profile, unless --model asked about schedules.
            let session_ok = if grant.has_user() || model.is_some() {
                record(Check::from_result("session", session), &mut checks)
            } else {
                let (check, _) = Check::from_result("session", session);
                let ok = check.ok == Some(true);
                checks.push(check);
                ok
            };
            let ui_ok = match (model, session_ok) {
                (Some(model), true) => {
                    let read = client
                        .data_integration()
                        .schedules(model)
                        .await
                        .map(|s| format!("{} data import(s) of {model}", s.len()));
                    record(Check::from_result("data integration", read), &mut checks)
                }
                (Some(_), false) => {
                    checks.push(Check::skipped("data integration", "needs the session"));
                    false
                }
                (None, _) => {
                    checks
                        .push(Check::skipped("data integration", "give --model t.<TENANT>:<ID> to read its schedules"));
                    session_ok && grant.has_user()
                }
            };
            let multi_actions = grant.has_user() && api_ok;
            // The ways to start a load this identity can use (docs/paths.md).
            let paths: Vec<&str> = [
                ("legacy", ui_ok),
                ("multi_action", multi_actions),
                ("calendar", calendar_ok),
                ("data_import", import_ok),
            ]
            .into_iter()
            .filter_map(|(path, ok)| ok.then_some(path))
            .collect();
            capabilities = json!({
                "run_data_management_schedules": ui_ok,
                "run_multi_actions": multi_actions,
                "run_calendar_events": calendar_ok,
                "read_statistics": monitoring_ok,
                "public_apis": api_ok,
                "import_data": import_ok,
                "export_data": export_ok,
                "paths": paths,
            });
        } else {
            checks.push(Check::skipped("public API", "needs a token"));
            checks.push(Check::skipped("data import", "needs a token"));
            checks.push(Check::skipped("data export", "needs a token"));
            checks.push(Check::skipped("calendar", "needs a token"));
            checks.push(Check::skipped("monitoring", "needs a token"));
            checks.push(Check::skipped("session", "needs a token"));
            checks.push(Check::skipped("data integration", "needs a token"));
        }
    }
    let exit = first_failure.map(|f| f.status).unwrap_or(ExitStatus::Success);
    let json = finish(
        json!({
            "checks": checks.iter().map(Check::json).collect::<Vec<_>>(),
            "capabilities": capabilities,
        }),
        exit,
        None,
    );
    let mut lines = Vec::new();
    {
        for check in &checks {
            let mark = match check.ok {
                Some(true) => "OK  ",
                Some(false) => "FAIL",
                None => "SKIP",
            };
            lines.push(format!("{mark} {:<17} {}", check.name, check.detail));
            for hint in &check.hints {
                lines.push(format!("     fix: {hint}"));
            }
        }
        if let Some(map) = capabilities.as_object() {
            let yes = |k: &str| if map.get(k).and_then(Value::as_bool).unwrap_or(false) { "yes" } else { "no" };
            if !map.is_empty() {
                lines.push(format!(
                    "this identity can run Data Management schedules: {}; multi actions: {} (they need a user: authorization_code, password or saml2_bearer); load data (Data Import API): {}; read data (Data Export API): {}",
                    yes("run_data_management_schedules"),
                    yes("run_multi_actions"),
                    yes("import_data"),
                    yes("export_data")
                ));
                lines.push(format!(
                    "calendar processes (Calendar API): {}; run statistics (Monitoring API): {}",
                    yes("run_calendar_events"),
                    yes("read_statistics")
                ));
                let paths: Vec<&str> = map
                    .get("paths")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                lines.push(format!(
                    "ways to start a load this identity can use: {} ({})",
                    if paths.is_empty() { "none".to_string() } else { paths.join(", ") },
                    doc_url!("paths")
                ));
            }
        }
    }
    Ok(Outcome { exit, json, lines, notes: Vec::new(), message: None })
}
