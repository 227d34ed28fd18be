//! `sacctl` as a scheduler runs it, against the emulator on free ports:
//! exit codes, output on the right stream, hints, signals, and no secret
//! anywhere in what it prints.

use std::time::Duration;

use crate::common::*;
use sac_emulator::{ClockMode, Config};
use serde_json::{json, Value};

const RUN: &[&str] = &["schedule", "run", SCHEDULE, "--model", MODEL, "--wait", "--poll-interval", "200ms"];

#[tokio::test(flavor = "multi_thread")]
async fn success_prints_89_rows_on_stdout_and_exits_0() {
    let env = setup(ClockMode::Delay { seconds: 0.5 }).await;
    let output = env.run_ok(RUN).await;
    let out = stdout(&output);
    assert!(out.contains("succeeded: 89 rows inserted (89 read, 0 rejected)"), "{out}");
    assert_eq!(out.lines().count(), 1, "stdout holds the result only");
    assert!(stderr(&output).contains("started run"), "the run id is announced at once on stderr");
    assert_eq!(env.triggers().await, 1);

    let json = env.run_ok(&[RUN, &["--output", "json"]].concat()).await;
    let doc: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(doc["state"], "succeeded");
    assert_eq!(doc["status"], 1);
    assert_eq!(doc["rows"], json!({"read": 89, "rejected": 0, "inserted": 89}));
    assert_eq!(doc["exit_code"], 0);
    assert_eq!(doc["timed_out"], false);
    assert_eq!(doc["model"], MODEL);
    assert_eq!(doc["schedule_id"], SCHEDULE);
}

#[tokio::test(flavor = "multi_thread")]
async fn failed_rejected_timed_out_and_already_running() {
    let env = setup(ClockMode::Immediate).await;
    env.admin("/emulator/faults", json!({"fail_runs": 1, "message": "BW system ZW2 is not reachable"})).await;
    let failed = env.run(RUN).await;
    assert_eq!(code(&failed), 1, "{}", describe(&failed));
    assert!(stdout(&failed).contains("failed") && stdout(&failed).contains("BW system ZW2 is not reachable"));

    env.admin("/emulator/sources/ZW2_IMPORT/ZEPPART/rows", json!({"rows": [{"ZEPPART": "P0090", "COUNTRY": "XX"}]}))
        .await;
    let rejected = env.run(RUN).await;
    assert_eq!(code(&rejected), 6, "{}", describe(&rejected));
    assert!(stderr(&rejected).contains("sacctl schedule rejections"), "{}", describe(&rejected));
    env.run_ok(&[RUN, &["--warnings-ok"]].concat()).await;
    let doc: Value = serde_json::from_slice(&env.run(&[RUN, &["--output", "json"]].concat()).await.stdout).unwrap();
    let execution = doc["execution_id"].as_str().unwrap().to_string();
    let csv = env.run(&["schedule", "rejections", &execution]).await;
    assert_eq!(code(&csv), 0);
    assert!(stdout(&csv).starts_with("Source,Target,Issue,Value,Records"));

    env.admin("/emulator/clock", json!({"mode": "manual"})).await;
    let timed_out = env.run(&[RUN, &["--timeout", "1s", "--output", "json"]].concat()).await;
    assert_eq!(code(&timed_out), 5, "{}", describe(&timed_out));
    let doc: Value = serde_json::from_slice(&timed_out.stdout).unwrap();
    assert_eq!(doc["timed_out"], true);
    assert_eq!(doc["state"], "running");
    let running = doc["execution_id"].as_str().unwrap().to_string();
    assert!(stderr(&timed_out).contains(&format!("--execution {running}")), "how to resume");

    let refused = env.run(&["schedule", "run", SCHEDULE, "--model", MODEL, "--if-running", "fail"]).await;
    assert_eq!(code(&refused), 7, "{}", describe(&refused));
    assert!(stderr(&refused).contains(&running));

    // Resume the wait on the run in flight, and let it finish.
    let waiter = env
        .command(&["schedule", "wait", SCHEDULE, "--model", MODEL, "--execution", &running, "--poll-interval", "200ms"])
        .output();
    let release = async {
        tokio::time::sleep(Duration::from_millis(600)).await;
        env.admin("/emulator/clock/release", json!({})).await;
    };
    let (resumed, ()) = tokio::join!(waiter, release);
    let resumed = resumed.unwrap();
    assert_eq!(code(&resumed), 6, "{}", describe(&resumed));
    assert!(stdout(&resumed).contains(&running));
}

#[tokio::test(flavor = "multi_thread")]
async fn authentication_failures_exit_3_with_hints() {
    let mut env = setup(ClockMode::Immediate).await;

    env.sign_in_as(Who::Technical);
    let login_page = env.run(RUN).await;
    assert_eq!(code(&login_page), 3, "{}", describe(&login_page));
    let err = stderr(&login_page);
    assert!(err.contains("HTML login page"), "{err}");
    assert!(err.contains("hint:") && err.contains("Interactive Usage") && err.contains("sacctl login"), "{err}");

    env.sign_in_as(Who::Planner);
    env.set("SACCTL_USER", "KSMITH");
    let unknown_user = env.run(RUN).await;
    assert_eq!(code(&unknown_user), 3, "{}", describe(&unknown_user));
    assert!(stderr(&unknown_user).contains("Error Code: 3000"), "{}", describe(&unknown_user));
    assert!(stderr(&unknown_user).contains("KSMITH"));

    env.set("SACCTL_USER", "JDOE");
    env.set("SACCTL_CLIENT_SECRET", "not-the-secret");
    let bad_secret = env.run(RUN).await;
    assert_eq!(code(&bad_secret), 3, "{}", describe(&bad_secret));
    assert!(stderr(&bad_secret).contains("Bad credentials"), "{}", describe(&bad_secret));
    assert!(!stderr(&bad_secret).contains("not-the-secret"), "the secret is not echoed");
    assert_eq!(env.triggers().await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn not_found_usage_and_unreachable() {
    let mut env = setup(ClockMode::Immediate).await;
    let missing = env.run(&["schedule", "run", "NOPE", "--model", MODEL]).await;
    assert_eq!(code(&missing), 4, "{}", describe(&missing));
    assert!(stderr(&missing).contains("NOPE"));
    let no_model = env.run(&["schedule", "run", SCHEDULE]).await;
    assert_eq!(code(&no_model), 2, "{}", describe(&no_model));
    assert!(stderr(&no_model).contains("--model"));
    env.set("SACCTL_TENANT_ID", "G");
    let by_mapping =
        env.run(&["schedule", "run", SCHEDULE, "--mapping", MAPPING_ID, "--wait", "--poll-interval", "200ms"]).await;
    assert_eq!(code(&by_mapping), 0, "the model comes from the mapping: {}", describe(&by_mapping));

    let mut unconfigured = setup(ClockMode::Immediate).await;
    unconfigured.vars.retain(|(k, _)| k != "SACCTL_TENANT_URL");
    let usage = unconfigured.run(RUN).await;
    assert_eq!(code(&usage), 2, "{}", describe(&usage));
    assert!(stderr(&usage).contains("SACCTL_TENANT_URL"));

    env.emu.shutdown().await;
    let down = env.run(RUN).await;
    assert_eq!(code(&down), 8, "{}", describe(&down));
    assert!(stderr(&down).contains("cannot reach") && stderr(&down).contains("(3 attempts)"), "{}", describe(&down));
}

#[tokio::test(flavor = "multi_thread")]
async fn history_lists_the_runs_newest_first() {
    let env = setup(ClockMode::Immediate).await;
    let mut started = Vec::new();
    for _ in 0..2 {
        let run = json_doc(&env.run_ok(&[RUN, &["--output", "json"]].concat()).await);
        started.push(run["execution_id"].as_str().unwrap().to_string());
    }
    let history = &["schedule", "history", SCHEDULE, "--model", MODEL];

    // The two new runs, the newer first, then the demo's run from before.
    let text = env.run_ok(history).await;
    let lines: Vec<String> = stdout(&text).lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 3, "{}", describe(&text));
    assert!(lines[0].starts_with(&format!("run {} succeeded", started[1])), "{}", describe(&text));
    assert!(lines[1].starts_with(&format!("run {} succeeded", started[0])), "{}", describe(&text));
    assert!(lines[2].contains(HISTORY_RUN_ID), "{}", describe(&text));
    assert!(lines[0].contains("(89 read, 0 rejected)") && lines[0].contains(", ended "), "{}", lines[0]);

    let doc = json_doc(&env.run_ok(&[history, &["--output", "json"][..]].concat()).await);
    let runs = doc.as_array().unwrap_or_else(|| panic!("an array: {doc}"));
    let ids: Vec<&str> = runs.iter().map(|r| r["execution_id"].as_str().unwrap()).collect();
    assert_eq!(ids, [started[1].as_str(), started[0].as_str(), HISTORY_RUN_ID]);
    let newest = &runs[0];
    assert_eq!(newest["model"], MODEL);
    assert_eq!(newest["schedule_id"], SCHEDULE);
    assert_eq!((&newest["status"], &newest["state"]), (&json!(1), &json!("succeeded")));
    assert_eq!(newest["rows"], json!({"read": 89, "rejected": 0, "inserted": 89}));
    assert!(newest["start_time"].is_string() && newest["end_time"].is_string(), "{newest}");
    assert_eq!(newest["user"], "JDOE");
    assert!(newest.get("exit_code").is_none() && newest.get("timed_out").is_none(), "a list entry: {newest}");

    let one = env.run_ok(&[history, &["--limit", "1"][..]].concat()).await;
    assert_eq!(stdout(&one).lines().count(), 1, "{}", describe(&one));
    assert!(stdout(&one).contains(&started[1]));
    let one = json_doc(&env.run_ok(&[history, &["--limit", "1", "--output", "json"][..]].concat()).await);
    assert_eq!(one.as_array().map(Vec::len), Some(1), "{one}");

    let missing = env.run(&["schedule", "history", "NOPE", "--model", MODEL]).await;
    assert_eq!(code(&missing), 4, "{}", describe(&missing));
    assert!(stdout(&missing).is_empty(), "{}", describe(&missing));
    let err = stderr(&missing);
    assert!(err.contains("has no data import NOPE") && err.contains("sacctl schedule list --model"), "{err}");
    let missing = env.run(&["schedule", "history", "NOPE", "--model", MODEL, "--output", "json"]).await;
    assert_eq!(code(&missing), 4);
    let doc = json_doc(&missing);
    assert_eq!((&doc["outcome"], &doc["exit_code"]), (&json!("not_found"), &json!(4)), "{doc}");
}

#[tokio::test(flavor = "multi_thread")]
async fn bursts_and_expiry_during_a_wait_are_survived_with_one_run() {
    let env = setup(ClockMode::Polls { polls: 4 }).await;
    env.admin("/emulator/faults", json!({"path": SERVICE, "status": 429, "retry_after": 0, "times": 2})).await;
    // A 429 to the trigger proves it was refused: sent again (a 503 would not be, see cli_races.rs).
    env.admin(
        "/emulator/faults",
        json!({"path": format!("{SERVICE}?action=runScheduledJob"), "status": 429, "retry_after": 0, "times": 2}),
    )
    .await;
    env.admin("/emulator/faults", json!({"path": "/oauth/token", "status": 503, "times": 1})).await;
    env.run_ok(RUN).await;
    assert_eq!(env.triggers().await, 1, "exactly one run started");

    // Token and CSRF expire while the next run is being waited for.
    let waiting = env.command(RUN).output();
    let faults = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        env.admin(
            "/emulator/faults",
            json!({"path": format!("{SERVICE}?action=getScheduleLogsByModel"), "expire": "token"}),
        )
        .await;
        env.admin(
            "/emulator/faults",
            json!({"path": format!("{SERVICE}?action=getScheduleLogsByModel"), "expire": "csrf"}),
        )
        .await;
    };
    let (output, ()) = tokio::join!(waiting, faults);
    let output = output.unwrap();
    assert_eq!(code(&output), 0, "{}", describe(&output));
    assert_eq!(env.triggers().await, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn sigint_and_sigterm_while_waiting_print_the_run_id() {
    let env = setup(ClockMode::Manual).await;
    for (signal, expected) in [("-INT", 130), ("-TERM", 143)] {
        let child =
            env.command(RUN).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap();
        let pid = child.id().unwrap().to_string();
        // Wait until the run is in the logs, then signal the waiter.
        for _ in 0..100 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if env
                .requests()
                .await
                .iter()
                .filter(|r| r["query"].as_str().unwrap().contains("getScheduleLogsByModel"))
                .count()
                >= 3
            {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(std::process::Command::new("kill").args([signal, &pid]).status().unwrap().success());
        let output = child.wait_with_output().await.unwrap();
        assert_eq!(code(&output), expected, "{}", describe(&output));
        assert!(stderr(&output).contains("may still be going on in SAC"), "{}", describe(&output));
        assert!(stderr(&output).contains("sacctl schedule wait"), "{}", describe(&output));
        env.admin("/emulator/clock/release", json!({})).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn doctor_reports_each_step() {
    let mut env = setup(ClockMode::Immediate).await;
    let good = env.run_ok(&["auth", "doctor", "--model", MODEL]).await;
    let out = stdout(&good);
    for step in [
        "OK   settings",
        "OK   token",
        "OK   public API",
        "OK   data import",
        "OK   data export",
        "OK   session",
        "OK   data integration",
    ] {
        assert!(out.contains(step), "{step}: {out}");
    }
    assert!(out.contains("user JDOE"));
    assert!(out.contains("can run Data Management schedules: yes"));

    env.sign_in_as(Who::Technical);
    let technical = env.run(&["auth", "doctor", "--model", MODEL, "--output", "json"]).await;
    assert_eq!(code(&technical), 3, "{}", describe(&technical));
    let doc: Value = serde_json::from_slice(&technical.stdout).unwrap();
    let checks = doc["checks"].as_array().unwrap();
    let by_name = |n: &str| checks.iter().find(|c| c["check"] == n).unwrap().clone();
    assert_eq!(by_name("token")["ok"], true);
    assert_eq!(by_name("public API")["ok"], true);
    assert_eq!(by_name("session")["ok"], false);
    assert!(by_name("session")["hints"].to_string().contains("Interactive Usage"));
    assert_eq!(doc["capabilities"]["run_data_management_schedules"], false);
    assert_eq!(doc["capabilities"]["import_data"], true, "the technical client has the Data Import access");
    assert_eq!(doc["capabilities"]["export_data"], true);

    env.set("SACCTL_CLIENT_SECRET", "wrong");
    let bad = env.run(&["auth", "doctor"]).await;
    assert_eq!(code(&bad), 3, "{}", describe(&bad));
    assert!(stdout(&bad).contains("FAIL token") && stdout(&bad).contains("fix:"), "{}", describe(&bad));
    assert!(stdout(&bad).contains("SKIP session"));

    env.vars.retain(|(k, _)| k != "SACCTL_TOKEN_URL");
    let unset = env.run(&["auth", "doctor"]).await;
    assert_eq!(code(&unset), 2, "{}", describe(&unset));
    assert!(stdout(&unset).contains("FAIL settings") && stdout(&unset).contains("SACCTL_TOKEN_URL"));
}

#[tokio::test(flavor = "multi_thread")]
async fn tokens_are_reused_across_runs_and_no_secret_is_ever_printed() {
    let env = setup(ClockMode::Immediate).await;
    let mut outputs = Vec::new();
    for args in [
        RUN,
        &["-vv", "schedule", "logs", "--model", MODEL],
        &["-vv", "auth", "status"],
        &["auth", "status", "--output", "json"],
    ] {
        let output = env.run_ok(args).await;
        outputs.push(output);
    }
    let tokens = env.requests().await.iter().filter(|r| r["path"] == "/oauth/token").count();
    assert_eq!(tokens, 1, "one token for several invocations");
    let cached: Value = serde_json::from_str(&std::fs::read_to_string(env.cache_file()).unwrap()).unwrap();
    let access = cached["access_token"].as_str().unwrap().to_string();
    let refresh = cached["refresh_token"].as_str().unwrap().to_string();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(env.cache_file()).unwrap().permissions().mode() & 0o777, 0o600);
    }
    for output in &outputs {
        let text = describe(output);
        for secret in [access.as_str(), refresh.as_str(), "sacctl-user-secret", "Welcome1!"] {
            assert!(!text.contains(secret), "a secret reached the output:\n{text}");
        }
    }
    let status: Value = serde_json::from_slice(&outputs[3].stdout).unwrap();
    assert_eq!(status["cached"]["user"], "JDOE");
    assert_eq!(status["grant"], "password");
    let logout = env.run(&["logout"]).await;
    assert_eq!(code(&logout), 0);
    assert!(!env.cache_file().exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn login_with_the_authorization_code_grant_then_run() {
    let mut env =
        setup_with(Config { clock: ClockMode::Immediate, auto_approve_user: Some("JDOE".into()), ..Config::default() })
            .await;
    env.set("SACCTL_GRANT", "authorization_code");
    env.vars.retain(|(k, _)| k != "SACCTL_USER" && k != "SACCTL_PASSWORD");
    let not_yet = env.run(&["auth", "status"]).await;
    assert_eq!(code(&not_yet), 3, "{}", describe(&not_yet));
    let before = env.run(RUN).await;
    assert_eq!(code(&before), 3, "{}", describe(&before));
    assert!(stderr(&before).contains("sacctl login"));

    let mut child = env
        .command(&["login", "--no-browser", "--timeout", "20s"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let page = sign_in_in_the_browser(&mut child).await;
    assert!(page.contains("Signed in"));
    let output = child.wait_with_output().await.unwrap();
    assert_eq!(code(&output), 0, "{}", describe(&output));
    assert!(stdout(&output).contains("logged in as JDOE"));

    let after = env.run_ok(RUN).await;
    assert!(stdout(&after).contains("by JDOE"));
}

#[tokio::test(flavor = "multi_thread")]
async fn answers_of_the_wrong_shape_are_reported_not_trusted() {
    let env = setup(ClockMode::Immediate).await;
    let logs = format!("{SERVICE}?action=getScheduleLogsByModel");
    env.admin(
        "/emulator/faults",
        json!({"path": logs, "status": 200, "body": "{\"status\":200,\"data\":\"oops\"}", "times": 10}),
    )
    .await;
    let output = env.run(RUN).await;
    assert_eq!(code(&output), 8, "{}", describe(&output));
    assert!(stderr(&output).contains("is not what was expected"), "{}", describe(&output));
    env.admin_api().clear_faults().await;
    env.admin(
        "/emulator/faults",
        json!({"path": logs, "status": 200, "body": "<html>maintenance</html>", "times": 10}),
    )
    .await;
    let output = env.run(RUN).await;
    assert_eq!(code(&output), 3, "an HTML page is a login page to the client: {}", describe(&output));
    assert_eq!(env.triggers().await, 0, "nothing was triggered on a misread");
}

#[tokio::test(flavor = "multi_thread")]
async fn proxy_variables_and_timeouts_are_honoured() {
    let mut env = setup(ClockMode::Immediate).await;
    env.set("SACCTL_RETRY_ATTEMPTS", "1");
    env.set("HTTP_PROXY", "http://127.0.0.1:9");
    let through_proxy = env.run(&["schedule", "list", "--model", MODEL]).await;
    assert_eq!(code(&through_proxy), 8, "the (dead) proxy was used: {}", describe(&through_proxy));
    env.set("NO_PROXY", "127.0.0.1");
    env.run_ok(&["schedule", "list", "--model", MODEL]).await;
    env.set("SACCTL_HTTP_TIMEOUT", "soon");
    let bad = env.run(&["schedule", "list", "--model", MODEL]).await;
    assert_eq!(code(&bad), 2, "{}", describe(&bad));
    assert!(stderr(&bad).contains("SACCTL_HTTP_TIMEOUT"));
}

#[tokio::test(flavor = "multi_thread")]
async fn profiles_from_the_config_file_with_secrets_from_files_and_commands() {
    let mut env = setup(ClockMode::Immediate).await;
    let urls = env.emu.urls.clone();
    env.vars.clear();
    let config_dir = env.home.path().join("config").join("sacctl");
    std::fs::create_dir_all(&config_dir).unwrap();
    let password_file = env.home.path().join("password");
    std::fs::write(&password_file, "Welcome1!\n").unwrap();
    let prod = format!(
        "default_profile = \"prod\"\n\n[profiles.prod]\ntenant_url = \"{}\"\ntoken_url = \"{}\"\nclient_id = \"sacctl-user\"\n\
         client_secret_cmd = \"echo sacctl-user-secret\"\ngrant = \"password\"\nuser = \"JDOE\"\npassword_file = \"{}\"\n",
        urls.tenant_url,
        urls.token_url,
        password_file.display(),
    );
    std::fs::write(config_dir.join("config.toml"), &prod).unwrap();
    let output = env.run(RUN).await;
    assert_eq!(code(&output), 0, "the default profile works: {}", describe(&output));

    env.set("SACCTL_USER", "VIEWER");
    let viewer = env.run(RUN).await;
    assert_eq!(code(&viewer), 3, "the environment overrides the profile: {}", describe(&viewer));
    let flag = env.run(&[RUN, &["--user", "JDOE"]].concat()).await;
    assert_eq!(code(&flag), 0, "flags override the environment: {}", describe(&flag));

    let missing = env.run(&[RUN, &["--profile", "nope"]].concat()).await;
    assert_eq!(code(&missing), 2, "{}", describe(&missing));
    assert!(stderr(&missing).contains("profile \"nope\" is not in the config file"));

    // Secrets are never plain settings of a profile.
    std::fs::write(config_dir.join("config.toml"), format!("{prod}\n[profiles.other]\nclient_secret = \"inline\"\n"))
        .unwrap();
    let inline = env.run(RUN).await;
    assert_eq!(code(&inline), 2, "{}", describe(&inline));
    assert!(stderr(&inline).contains("client_secret"), "{}", describe(&inline));
}
