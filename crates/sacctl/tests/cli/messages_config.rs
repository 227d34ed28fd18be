//! Errors that name the real cause of a wrong setting (exit 2 for each
//! configuration error, docs/exit-codes.md), what `--help` and the man page
//! list, output to a reader that stops early, and `config init` adding a
//! profile to an existing file.

use std::process::Stdio;

use crate::common::*;
use sac_emulator::ClockMode;

const RUN: &[&str] = &["schedule", "run", SCHEDULE, "--model", MODEL, "--wait", "--poll-interval", "100ms"];

/// A server whose every answer is HTTP 405 with an HTML body, as a web
/// server or portal answers a POST it does not take.
async fn answers_405() -> String {
    use axum::http::StatusCode;
    let app =
        axum::Router::new().fallback(|| async { (StatusCode::METHOD_NOT_ALLOWED, "<html>Method Not Allowed</html>") });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_url_without_oauth_token_is_a_configuration_error() {
    let mut env = setup(ClockMode::Immediate).await;
    let tenant = env.emu.urls.tenant_url.clone();
    for token_url in [tenant.clone(), format!("{tenant}/oauth"), format!("{tenant}/oauth/")] {
        env.set("SACCTL_TOKEN_URL", &token_url);
        for args in [RUN, &["auth", "doctor"]] {
            let output = env.run(args).await;
            let text = describe(&output);
            assert_eq!(code(&output), 2, "{token_url}: {text}");
            assert!(text.contains("SACCTL_TOKEN_URL must end in /oauth/token"), "{text}");
            assert!(!text.contains("client id"), "does not blame the credentials: {text}");
        }
    }
    // The token service's own path, on a server that answers 405 (no POST there).
    let other = answers_405().await;
    env.set("SACCTL_TOKEN_URL", &format!("{other}/oauth/token"));
    let output = env.run(RUN).await;
    let text = describe(&output);
    assert_eq!(code(&output), 2, "{text}");
    assert!(text.contains("HTTP 405") && text.contains("/oauth/token") && !text.contains("unauthorized"), "{text}");
    assert_eq!(env.triggers().await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tenant_url_with_a_path_says_which_part_to_give() {
    let mut env = setup(ClockMode::Immediate).await;
    let tenant = env.emu.urls.tenant_url.clone();
    env.set("SACCTL_TENANT_URL", &format!("{tenant}/sap/fpa/ui/app.html#/home"));
    for args in [RUN, &["auth", "doctor"]] {
        let output = env.run(args).await;
        let text = describe(&output);
        assert_eq!(code(&output), 2, "{text}");
        assert!(
            text.contains(&format!(
                "SACCTL_TENANT_URL must be the address of the tenant only, without a path: give {tenant} "
            )),
            "{text}"
        );
        assert!(!text.contains("1305") && !text.contains("check the id"), "{text}");
    }
    env.set("SACCTL_TENANT_URL", &format!("{tenant}/"));
    env.run_ok(RUN).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_model_id_typo_says_no_such_model_exists() {
    let env = setup(ClockMode::Immediate).await;
    let typo = "t.G:SALES_PLAM";
    let output = env.run(&["schedule", "run", SCHEDULE, "--model", typo, "--wait"]).await;
    let text = describe(&output);
    assert_eq!(code(&output), 4, "{text}");
    assert!(text.contains(&format!("no model {typo} exists")), "{text}");
    assert!(!text.contains("has no data import"), "{text}");
    let logs = env.run(&["schedule", "logs", "--model", typo, "--schedule", SCHEDULE]).await;
    assert_eq!(code(&logs), 4, "{}", describe(&logs));
    assert!(stderr(&logs).contains(&format!("no model {typo} exists")), "{}", describe(&logs));
    // A model that exists, and a data import id it does not have.
    let wrong_id = env.run(&["schedule", "run", "NO_SUCH_IMPORT", "--model", MODEL, "--wait"]).await;
    assert_eq!(code(&wrong_id), 4, "{}", describe(&wrong_id));
    let text = stderr(&wrong_id);
    assert!(
        text.contains(&format!("model {MODEL} has no data import NO_SUCH_IMPORT (its data imports: {SCHEDULE}")),
        "{text}"
    );
    assert_eq!(env.triggers().await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn nothing_listening_names_no_run_that_may_go_on() {
    let mut env = setup(ClockMode::Immediate).await;
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    for key in ["SACCTL_TENANT_URL", "SACCTL_API_URL"] {
        env.set(key, &closed);
    }
    env.set("SACCTL_TOKEN_URL", &format!("{closed}/oauth/token"));
    env.set("SACCTL_RETRY_ATTEMPTS", "1");
    for args in [RUN.to_vec(), [RUN, &["--output", "json"]].concat()] {
        let output = env.run(&args).await;
        let text = describe(&output);
        assert_eq!(code(&output), 8, "{text}");
        assert!(text.contains("cannot reach"), "{text}");
        assert!(!text.contains("may still be going on") && !text.contains("\"resume\""), "{text}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_missing_secret_hint_points_at_a_help_that_lists_the_variables() {
    let mut env = setup(ClockMode::Immediate).await;
    env.vars.retain(|(k, _)| k != "SACCTL_CLIENT_SECRET");
    let output = env.run(RUN).await;
    assert_eq!(code(&output), 2, "{}", describe(&output));
    let err = stderr(&output);
    assert!(err.contains("SACCTL_CLIENT_SECRET_FILE") && err.contains("`sacctl --help` lists the variables"), "{err}");
    assert!(!err.contains("docs/"), "no repository path a binary's user lacks: {err}");

    let help = stdout(&env.run_ok(&["--help"]).await);
    let man = stdout(&env.run_ok(&["man"]).await);
    // Every variable sacctl reads (the constants of its settings), in both.
    let source = include_str!("../../src/settings/env.rs");
    let mut names: Vec<&str> = source
        .split('"')
        .filter(|w| w.starts_with("SACCTL_") && w.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
        .collect();
    names.push("SACCTL_EMULATOR_DIR");
    assert!(names.len() >= 24, "{names:?}");
    for name in names {
        assert!(help.contains(&format!("  {name} ")), "{name} not in --help");
        assert!(man.contains(&format!("\\fB{name}\\fR")), "{name} not in the man page");
    }
    for section in ["Environment:", "Files:", "Exit status:", "config.toml", "tokens-PROFILE.json", "  130, 143"] {
        assert!(help.contains(section), "{section} not in --help");
    }
    for section in [".SH \"ENVIRONMENT\"", ".SH \"FILES\"", ".SH \"EXIT STATUS\""] {
        assert!(man.contains(section), "{section} not in the man page");
    }
    assert!(!man.contains(".SH EXTRA"), "the sections replace clap's plain text");
    // The documentation is named by the site's address, which a binary's user can open.
    let site = "https://sacctl.github.io/sacctl/";
    assert!(help.contains(&format!("Documentation: {site}")), "{help}");
    assert!(man.contains(".SH \"SEE ALSO\"") && man.contains(&site.replace('-', "\\-")), "{man}");
    // The short help stays short and says where the list is.
    let short = stdout(&env.run_ok(&["-h"]).await);
    assert!(short.contains("`sacctl --help` lists every variable") && !short.contains("SACCTL_CLIENT_SECRET_CMD"));
}

/// Runs `args` with its stdout's reader gone before anything is written
/// (as `| head` once it has its lines): the exit status.
async fn into_closed_pipe(env: &Env, args: &[&str]) -> std::process::Output {
    let mut command = env.command(args);
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    drop(child.stdout.take());
    child.wait_with_output().await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn output_to_a_reader_that_stops_early_ends_quietly_with_exit_0() {
    let mut env = setup(ClockMode::Immediate).await;
    for args in [&["completions", "bash"][..], &["man"]] {
        let output = into_closed_pipe(&env, args).await;
        assert_eq!(code(&output), 0, "{args:?}: {}", describe(&output));
        assert!(stderr(&output).is_empty(), "{args:?}: {}", describe(&output));
    }
    env.sign_in_as(Who::Technical);
    for format in [&[][..], &["--format", "jsonl"]] {
        let args = [&["export", "--model", "SALES_PLAN"][..], format].concat();
        let output = into_closed_pipe(&env, &args).await;
        assert_eq!(code(&output), 0, "{args:?}: {}", describe(&output));
        assert!(!stderr(&output).contains("error"), "{}", describe(&output));
    }
}

#[test]
fn config_init_adds_a_named_profile_and_keeps_the_others_as_they_are() {
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("sacctl.toml");
    let before = "# our tenants\ndefault_profile = \"prod\"\n\n[profiles.prod]\n# the real one\n\
                  tenant_url = \"https://acme.eu10.hcs.cloud.sap\"\n\n[profiles.test]\nclient_id = \"t-id\" # keep me\n";
    std::fs::write(&file, before).unwrap();
    let init = |args: &[&str]| {
        sacctl_in(home.path())
            .env("SACCTL_CONFIG", &file)
            .args([&["config", "init"][..], args].concat())
            .output()
            .unwrap()
    };
    let added = init(&["--profile", "qa", "--client-id", "qa-id"]);
    assert_eq!(added.status.code(), Some(0), "{}", String::from_utf8_lossy(&added.stderr));
    let after = std::fs::read_to_string(&file).unwrap();
    assert!(after.starts_with(before), "the file so far is kept byte for byte: {after}");
    assert!(after.contains("\n[profiles.qa]\n") && after.contains("client_id = \"qa-id\"\n"), "{after}");
    let parsed: toml::Table = after.parse().unwrap();
    assert_eq!(parsed["default_profile"].as_str(), Some("prod"));

    // A profile that is there: refused, unless --force, which replaces it alone.
    let again = init(&["--profile", "test", "--client-id", "new-id"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("profile \"test\" exists already"));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), after);
    let forced = init(&["--profile", "test", "--client-id", "new-id", "--force"]);
    assert_eq!(forced.status.code(), Some(0), "{}", String::from_utf8_lossy(&forced.stderr));
    let last = std::fs::read_to_string(&file).unwrap();
    assert!(last.contains("# our tenants\n") && last.contains("# the real one\n"), "{last}");
    let parsed: toml::Table = last.parse().unwrap();
    let profiles = parsed["profiles"].as_table().unwrap();
    assert_eq!(profiles["test"]["client_id"].as_str(), Some("new-id"));
    assert_eq!(profiles["qa"]["client_id"].as_str(), Some("qa-id"));
    assert_eq!(profiles["prod"]["tenant_url"].as_str(), Some("https://acme.eu10.hcs.cloud.sap"));

    // Without a profile name an existing file is still never touched.
    let unnamed = init(&[]);
    assert_eq!(unnamed.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unnamed.stderr).contains("--profile NAME adds a profile"));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), last);
}

#[tokio::test(flavor = "multi_thread")]
async fn hints_name_pages_of_the_documentation_site_not_repository_paths() {
    let env = setup(ClockMode::Immediate).await;
    let chain = env.home.path().join("typo.toml");
    std::fs::write(&chain, "[step.load]\nkind = \"schedul\"\n").unwrap();
    let output = env.run(&["chain", "run", chain.to_str().unwrap()]).await;
    let text = describe(&output);
    assert_eq!(code(&output), 2, "{text}");
    assert!(text.contains("https://sacctl.github.io/sacctl/chains.html lists every key"), "{text}");
    assert!(!text.contains("docs/"), "{text}");
}
