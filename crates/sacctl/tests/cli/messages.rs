//! What sacctl says: no secret at any log level, config errors that name
//! the rule and never a value, honest retry counts, hints that run as
//! printed, colours only on a terminal, data-file errors with their place,
//! `-v` showing each request, and bad rows in files counted, not hidden.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::*;
use sac_emulator::{ClockMode, Config};
use serde_json::{json, Value};

const RUN: &[&str] = &["schedule", "run", SCHEDULE, "--model", MODEL, "--wait", "--poll-interval", "100ms"];

/// A forward HTTP proxy that passes everything on and keeps every secret
/// the emulator hands out: cookie values, CSRF tokens, OAuth tokens.
pub async fn recording_proxy() -> (String, Arc<Mutex<Vec<String>>>) {
    use axum::body::{to_bytes, Body};
    use axum::extract::{Request, State};
    use axum::response::Response;

    type Secrets = Arc<Mutex<Vec<String>>>;
    async fn forward(State(secrets): State<Secrets>, request: Request) -> Response {
        let upstream = reqwest::Client::builder().no_proxy().redirect(reqwest::redirect::Policy::none()).build();
        let (parts, body) = request.into_parts();
        let body = to_bytes(body, usize::MAX).await.unwrap();
        let mut outgoing = upstream.unwrap().request(parts.method.clone(), parts.uri.to_string()).body(body);
        for (name, value) in &parts.headers {
            if name != "host" && name != "proxy-connection" {
                outgoing = outgoing.header(name, value);
            }
        }
        let answer = outgoing.send().await.unwrap();
        let mut kept = Vec::new();
        for cookie in answer.headers().get_all("set-cookie") {
            let pair = cookie.to_str().unwrap().split(';').next().unwrap();
            kept.push(pair.split_once('=').unwrap().1.to_string());
        }
        if let Some(csrf) = answer.headers().get("x-csrf-token") {
            kept.push(csrf.to_str().unwrap().to_string());
        }
        let mut response = Response::builder().status(answer.status().as_u16());
        for (name, value) in answer.headers() {
            response = response.header(name.as_str(), value.as_bytes());
        }
        let bytes = answer.bytes().await.unwrap();
        if let Ok(doc) = serde_json::from_slice::<Value>(&bytes) {
            for key in ["access_token", "refresh_token", "id_token"] {
                if let Some(token) = doc[key].as_str() {
                    kept.push(token.to_string());
                }
            }
        }
        secrets.lock().unwrap().extend(kept.into_iter().filter(|s| s.len() >= 8));
        response.body(Body::from(bytes)).unwrap()
    }

    let secrets: Secrets = Arc::default();
    let app = axum::Router::new().fallback(forward).with_state(secrets.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, secrets)
}

#[tokio::test(flavor = "multi_thread")]
async fn no_secret_the_tenant_handed_out_reaches_verbose_or_trace_logs() {
    let mut env = setup(ClockMode::Immediate).await;
    // No API domain: the public APIs go through the browser domain with CSRF and cookie too.
    env.vars.retain(|(k, _)| k != "SACCTL_API_URL");
    let (proxy, secrets) = recording_proxy().await;
    env.set("HTTP_PROXY", &proxy);
    let mut outputs = Vec::new();
    for (args, rust_log) in [
        (RUN.to_vec(), None),
        ([&["-vv"], RUN].concat(), None),
        (vec!["-vv", "multiaction", "run", MULTI_ACTION, "--param", "TargetVersion=public.Plan"], None),
        (vec!["schedule", "logs", "--model", MODEL], Some("trace")),
        (vec!["-vv", "schedule", "logs", "--model", MODEL], Some("cookie_store=trace,trace")),
    ] {
        let mut command = env.command(&args);
        if let Some(filter) = rust_log {
            command.env("RUST_LOG", filter);
        }
        let output = command.output().await.unwrap();
        assert_eq!(code(&output), 0, "{}", describe(&output));
        outputs.push(output);
    }
    let mut secrets = secrets.lock().unwrap().clone();
    assert!(secrets.len() >= 4, "the proxy saw the cookie, CSRF and OAuth tokens: {secrets:?}");
    secrets.extend(["sacctl-user-secret".to_string(), "Welcome1!".to_string()]);
    assert!(stderr(&outputs[1]).contains("DEBUG"), "-vv logs at debug level: {}", describe(&outputs[1]));
    for output in &outputs {
        let text = describe(output);
        for secret in &secrets {
            assert!(!text.contains(secret.as_str()), "a secret reached the output:\n{text}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn verbose_shows_each_request_and_no_colours_off_a_terminal() {
    let env = setup(ClockMode::Immediate).await;
    let output = env.run_ok(&[&["-v"], RUN].concat()).await;
    let err = stderr(&output);
    for line in [
        "POST /oauth/token -> 200 in ",
        "POST /sap/fpa/services/rest/fpa/dataintegration -> 200 in ",
        "GET /sap/fpa/services/rest/epm/session -> 200 in ",
    ] {
        assert!(err.contains(line), "{line}: {err}");
    }
    assert!(!err.contains('\u{1b}'), "no ANSI codes in a redirected log: {err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn config_errors_name_the_rule_and_never_echo_a_value() {
    let mut env = setup(ClockMode::Immediate).await;
    let config = env.home.path().join("sacctl.toml");
    std::fs::write(
        &config,
        "[profiles.default]\nclient_id = \"sacctl-user\"\nclient_secret = \"s3cr3t-inline-value\"\n",
    )
    .unwrap();
    env.set("SACCTL_CONFIG", config.to_str().unwrap());
    for args in [RUN, &["auth", "doctor"]] {
        let output = env.run(args).await;
        assert_eq!(code(&output), 2, "{}", describe(&output));
        let text = describe(&output);
        assert!(!text.contains("s3cr3t-inline-value"), "the secret was echoed: {text}");
        assert!(text.contains("secrets come from a file, a command or the environment"), "{text}");
        assert!(text.contains("line 3, column 1"), "{text}");
    }
    env.vars.retain(|(k, _)| k != "SACCTL_CONFIG");

    let secret_file = env.home.path().join("secret");
    std::fs::write(&secret_file, "sacctl-user-secret\n").unwrap();
    env.set("SACCTL_CLIENT_SECRET_FILE", secret_file.to_str().unwrap());
    let both = env.run(RUN).await;
    assert_eq!(code(&both), 2, "two sources of one secret: {}", describe(&both));
    assert!(stderr(&both).contains("SACCTL_CLIENT_SECRET and SACCTL_CLIENT_SECRET_FILE"), "{}", describe(&both));
    env.vars.retain(|(k, _)| k != "SACCTL_CLIENT_SECRET");
    assert_eq!(code(&env.run(RUN).await), 0, "one source is fine");

    env.set("SACCTL_TOKEN_URL", "ftp://secret-looking-value@example");
    let bad_url = env.run(RUN).await;
    assert_eq!(code(&bad_url), 2);
    assert!(!describe(&bad_url).contains("secret-looking-value"), "{}", describe(&bad_url));
}

/// `(N attempts in S s)` of a message.
fn attempts_and_seconds(text: &str) -> (u32, f64) {
    let start = text.find(" attempt").expect("an attempt count");
    let count = text[..start].rsplit('(').next().unwrap().trim().parse().unwrap();
    let secs = text[start..].split(" in ").nth(1).unwrap().split(" s").next().unwrap().parse().unwrap();
    (count, secs)
}

#[tokio::test(flavor = "multi_thread")]
async fn retry_messages_count_the_requests_sent_and_the_time_spent() {
    let env = setup(ClockMode::Immediate).await;
    let logs = format!("{SERVICE}?action=getScheduleLogsByModel");
    env.admin("/emulator/faults", json!({"path": logs, "status": 503, "times": 10})).await;
    let output = env.run(&["schedule", "logs", "--model", MODEL]).await;
    assert_eq!(code(&output), 8, "{}", describe(&output));
    let (attempts, secs) = attempts_and_seconds(&stderr(&output));
    let sent = env.requests().await.iter().filter(|r| r["status"] == 503).count();
    assert_eq!((attempts as usize, sent), (3, 3), "{}", describe(&output));
    // Two back-offs (0.5 s, then 1 s, each jittered down by at most half) lie between three attempts.
    assert!(secs >= 0.7, "the time spent, not 0.0: {}", describe(&output));

    let technical = {
        let mut env = setup(ClockMode::Immediate).await;
        env.sign_in_as(Who::Technical);
        env
    };
    let dir = tempfile::tempdir().unwrap();
    let file = one_fact_row(dir.path());
    technical
        .admin("/emulator/faults", json!({"path": "/api/v1/dataimport/models/SALES_PLAN/factData", "status": 500}))
        .await;
    let once = technical.run(&["import", "push", "--model", "SALES_PLAN", "--file", &file]).await;
    assert_eq!(code(&once), 8, "{}", describe(&once));
    assert!(stderr(&once).contains("(1 attempt in "), "a write is sent once: {}", describe(&once));
}

/// The commands in backticks of hints, and the resume command.
fn commands_in(doc: &Value) -> Vec<String> {
    let mut commands: Vec<String> = doc["hints"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .flat_map(|hint| hint.split('`').skip(1).step_by(2).map(str::to_string).collect::<Vec<_>>())
        .filter(|c| c.starts_with("sacctl "))
        .collect();
    if let Some(resume) = doc["resume"].as_str() {
        commands.push(resume.to_string());
    }
    commands
}

/// Runs a printed command as a user would, to its end: it must not be a
/// usage error. A login gets its browser (the emulator approves JDOE).
async fn runs_as_printed(env: &Env, command: &str) {
    // A bound against hanging, not a measure of speed.
    const PATIENCE: Duration = Duration::from_secs(120);
    let words: Vec<&str> = command.split_whitespace().skip(1).collect();
    let child = env.command(&words).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn();
    let mut child = child.unwrap();
    if words.first() == Some(&"login") {
        assert!(sign_in_in_the_browser(&mut child).await.contains("Signed in"), "`{command}`");
    }
    let Ok(output) = tokio::time::timeout(PATIENCE, child.wait_with_output()).await else {
        panic!("`{command}` did not end within {PATIENCE:?}");
    };
    let output = output.unwrap();
    assert_ne!(code(&output), 2, "`{command}` does not work as printed: {}", describe(&output));
}

#[tokio::test(flavor = "multi_thread")]
async fn every_hint_command_works_as_printed() {
    let config = Config { clock: ClockMode::Manual, auto_approve_user: Some("JDOE".into()), ..Config::default() };
    let mut env = setup_with(config).await;
    let json = ["--output", "json"];
    let mut seen = Vec::new();
    env.run_ok(&["schedule", "run", SCHEDULE, "--model", MODEL]).await;
    let dir = tempfile::tempdir().unwrap();
    let file = one_fact_row(dir.path());
    let mut cases: Vec<(Vec<&str>, i32)> = vec![
        ([RUN, &json].concat(), 7),
        (vec!["schedule", "run", "NOPE", "--model", MODEL, "--output", "json"], 4),
        (vec!["schedule", "wait", SCHEDULE, "--model", MODEL, "--execution", "NOPE", "--appear-timeout", "0s"], 4),
        (vec!["import", "push", "--model", "NOPE", "--file", &file, "--output", "json"], 4),
        (vec!["import", "status", "NOPE", "--output", "json"], 4),
    ];
    cases[2].0.extend(json);
    for (args, expected) in &cases {
        let output = env.run(args).await;
        assert_eq!(code(&output), *expected, "{}", describe(&output));
        let doc: Value = serde_json::from_slice(&output.stdout).unwrap();
        seen.extend(commands_in(&doc));
    }
    env.set("SACCTL_PASSWORD", "wrong");
    let auth = env.run(&[RUN, &json, &["--no-token-cache"]].concat()).await;
    assert_eq!(code(&auth), 3, "{}", describe(&auth));
    seen.extend(commands_in(&serde_json::from_slice(&auth.stdout).unwrap()));
    env.set("SACCTL_PASSWORD", "Welcome1!");
    env.sign_in_as(Who::Technical);
    let technical = env.run(&["multiaction", "run", MULTI_ACTION, "--output", "json"]).await;
    seen.extend(commands_in(&serde_json::from_slice(&technical.stdout).unwrap()));
    env.sign_in_as(Who::Planner);

    for expected in ["sacctl schedule wait", "sacctl schedule list --model", "sacctl models list", "sacctl import jobs"]
    {
        assert!(seen.iter().any(|c| c.starts_with(expected)), "{expected} among {seen:?}");
    }
    seen.sort();
    seen.dedup();
    // Waits end: the run started above finishes, and so does any later one.
    env.admin_api().clock(ClockMode::Immediate).await;
    env.admin_api().release().await;
    for command in &seen {
        runs_as_printed(&env, command).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn doctor_credits_the_password_grant_with_multi_actions_and_passes_a_technical_client() {
    let mut env = setup(ClockMode::Immediate).await;
    let user = env.run_ok(&["auth", "doctor", "--output", "json"]).await;
    let doc: Value = serde_json::from_slice(&user.stdout).unwrap();
    assert_eq!(doc["capabilities"]["run_multi_actions"], true, "multi actions run with the password grant");
    let ma = env.run(&["multiaction", "run", MULTI_ACTION, "--param", "TargetVersion=public.Plan"]).await;
    assert_eq!(code(&ma), 0, "and they do: {}", describe(&ma));

    env.sign_in_as(Who::Technical);
    let technical = env.run(&["auth", "doctor"]).await;
    assert_eq!(code(&technical), 0, "fine for imports and exports: {}", describe(&technical));
    let out = stdout(&technical);
    assert!(out.contains("load data (Data Import API): yes") && out.contains("multi actions: no"), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_data_files_are_named_with_line_and_column_and_repeated_keys_are_counted() {
    let mut env = setup(ClockMode::Immediate).await;
    env.sign_in_as(Who::Technical);
    let dir = tempfile::tempdir().unwrap();
    let push = |file: &std::path::Path| {
        ["import", "push", "--model", "SALES_PLAN", "--file", file.to_str().unwrap(), "--output", "json"]
            .map(str::to_string)
    };

    let twice = dir.path().join("twice.csv");
    std::fs::write(&twice, "Version,Date,Part,Country,Amount,Part\npublic.Plan,202601,P0001,AT,1,P0002\n").unwrap();
    let output = env.run(&push(&twice).each_ref().map(String::as_str)).await;
    assert_eq!(code(&output), 2, "{}", describe(&output));
    let error = serde_json::from_slice::<Value>(&output.stdout).unwrap()["error"].as_str().unwrap().to_string();
    assert_eq!(
        error,
        format!("data file {}, line 1, column 6: column \"Part\" is named twice, in columns 3 and 6", twice.display())
    );

    let json_file = dir.path().join("rows.json");
    std::fs::write(&json_file, "{\"Data\": [\n  {\"Version\": \"public.Plan\",}\n]}").unwrap();
    let output = env.run(&push(&json_file).each_ref().map(String::as_str)).await;
    assert_eq!(code(&output), 2, "{}", describe(&output));
    let error = serde_json::from_slice::<Value>(&output.stdout).unwrap()["error"].as_str().unwrap().to_string();
    assert!(error.starts_with(&format!("data file {}, line 2, column ", json_file.display())), "{error}");
    assert!(!error.contains("configuration"), "{error}");

    let unknown = env.run(&["import", "push", "--model", "NOPE", "--file", twice.to_str().unwrap()]).await;
    assert_eq!(code(&unknown), 4, "{}", describe(&unknown));
    assert!(stderr(&unknown).contains("`sacctl models list`"), "{}", describe(&unknown));

    // Five rows, two keys repeated (one of them by a row SAC rejects anyway).
    let repeated = dir.path().join("repeated.csv");
    std::fs::write(
        &repeated,
        "Version,Date,Part,Country,Amount,Quantity\n\
         public.Plan,202601,P0001,AT,1,1\n\
         public.Plan,202601,P0002,AT,2,1\n\
         public.Plan,202601,P0001,AT,3,1\n\
         public.Plan,202601,P9999,AT,4,1\n\
         public.Plan,202601,P9999,AT,5,1\n",
    )
    .unwrap();
    let output = env.run_ok(&[&push(&repeated).each_ref().map(String::as_str)[..], &["--warnings-ok"]].concat()).await;
    let doc: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(
        stderr(&output).contains("1 rows had a key seen earlier in the file; SAC keeps the last"),
        "{}",
        describe(&output)
    );
    let stored = env.admin_api().rows("t.G:SALES_PLAN", "&Version=public.Plan&Date=202601").await;
    assert_eq!(doc["rows_failed"], 2);
    assert_eq!(doc["rows_duplicate_key"], 1);
    assert_eq!(doc["rows_written"].as_u64().unwrap(), stored.len() as u64, "the written count is what is stored");
    let p1 = stored.iter().find(|r| r["Part"] == "P0001").unwrap();
    assert_eq!(p1["Amount"].to_string().trim_matches('"'), "3", "the last row of the key is kept: {p1}");
}
