//! The client against the emulator over loopback HTTP: the seed story with
//! each grant, every refusal as a typed error, and the failures a scheduler
//! meets (expired tokens and CSRF, 429/503 bursts, lost answers, timeouts).

use std::time::Duration;

use sac_client::config::{parse_url, SamlSource};
use sac_client::schedule::{self, IfRunning, Silent, Target, WaitOutcome, WaitPolicy};
use sac_client::{Client, ClientConfig, Error, ErrorClass, Grant, RetryPolicy, Secret};
use sac_emulator::{ClockMode, Config, RunningEmulator};
use sac_types::legacy::RunStatus;
use serde_json::{json, Value};

const MODEL: &str = "t.G:ZEPPART_001";
const SCHEDULE: &str = "F58CA15F78AA9039E200586F05E2BB93";
const SERVICE: &str = "/sap/fpa/services/rest/fpa/dataintegration";

async fn emulator(clock: ClockMode) -> RunningEmulator {
    sac_emulator::spawn(Config { clock, ..Config::default() }).await.unwrap()
}

fn config(emu: &RunningEmulator, grant: Grant) -> ClientConfig {
    let (id, secret) = match grant {
        Grant::ClientCredentials => ("sacctl-api", "sacctl-api-secret"),
        _ => ("sacctl-user", "sacctl-user-secret"),
    };
    let mut config = ClientConfig::new(
        parse_url("tenant", &emu.urls.tenant_url).unwrap(),
        parse_url("token", &emu.urls.token_url).unwrap(),
        id,
        Secret::new(secret),
        grant,
    );
    config.user = Some("JDOE".into());
    config.password = Some(Secret::new("Welcome1!"));
    config.retry = RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(200),
        budget: Duration::from_secs(10),
    };
    config
}

fn client(emu: &RunningEmulator, grant: Grant) -> Client {
    Client::new(config(emu, grant)).unwrap()
}

fn target() -> Target {
    Target { model: MODEL.into(), schedule_id: SCHEDULE.into(), mapping_id: None }
}

fn fast(timeout: Duration) -> WaitPolicy {
    WaitPolicy {
        min_interval: Duration::from_millis(20),
        max_interval: Duration::from_millis(100),
        timeout,
        appear_grace: Duration::from_millis(500),
    }
}

async fn admin(emu: &RunningEmulator, path: &str, body: Value) -> Value {
    let response =
        reqwest::Client::new().post(format!("{}{path}", emu.urls.tenant_url)).json(&body).send().await.unwrap();
    assert!(response.status().is_success(), "{path}");
    response.json().await.unwrap_or(Value::Null)
}

async fn requests(emu: &RunningEmulator) -> Vec<Value> {
    let log: Value =
        reqwest::get(format!("{}/emulator/requests", emu.urls.tenant_url)).await.unwrap().json().await.unwrap();
    log["requests"].as_array().unwrap().clone()
}

fn count(requests: &[Value], path: &str, query: &str) -> usize {
    requests.iter().filter(|r| r["path"] == path && r["query"].as_str().unwrap().contains(query)).count()
}

async fn run_to_end(client: &Client, policy: &WaitPolicy) -> sac_types::legacy::RefreshLog {
    let di = client.data_integration();
    let started = schedule::start(&di, &target(), IfRunning::Fail, policy, &Silent, None).await.unwrap();
    match schedule::wait(&di, &target(), &started.execution_id, policy, &Silent).await.unwrap() {
        WaitOutcome::Finished(log) => log,
        WaitOutcome::TimedOut(log) => panic!("timed out: {log:?}"),
    }
}

#[tokio::test]
async fn seed_story_with_the_password_grant() {
    let emu = emulator(ClockMode::Polls { polls: 2 }).await;
    let client = client(&emu, Grant::Password);
    let schedules = client.data_integration().schedules(MODEL).await.unwrap();
    assert_eq!(schedules[0].schedule_id, SCHEDULE);
    assert_eq!(schedules[0].refresh_logs.len(), 1);
    let run = run_to_end(&client, &fast(Duration::from_secs(20))).await;
    assert_eq!(run.status, RunStatus::Succeeded);
    assert_eq!(run.wrangling_and_update_result.data.inserted_count, 89);
    assert_eq!(run.user, "JDOE");
    let requests = requests(&emu).await;
    assert_eq!(count(&requests, SERVICE, "runScheduledJob"), 1);
    assert_eq!(count(&requests, "/oauth/token", ""), 1, "one token for the whole story");
    assert_eq!(count(&requests, "/sap/fpa/services/rest/epm/session", ""), 1, "one CSRF fetch");
}

#[tokio::test]
async fn saml_bearer_from_a_file_and_from_a_command() {
    let emu = emulator(ClockMode::Immediate).await;
    let assertion = admin(&emu, "/emulator/idp/assertion", json!({"user": "JDOE"})).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("assertion.xml");
    std::fs::write(&file, assertion["xml"].as_str().unwrap()).unwrap();
    let mut from_file = config(&emu, Grant::Saml2Bearer);
    from_file.saml = Some(SamlSource::File(file.clone()));
    let client = Client::new(from_file).unwrap();
    assert_eq!(run_to_end(&client, &fast(Duration::from_secs(10))).await.status, RunStatus::Succeeded);

    let mut from_command = config(&emu, Grant::Saml2Bearer);
    from_command.saml = Some(SamlSource::Command(format!("cat {}", file.display())));
    let schedules = Client::new(from_command).unwrap().data_integration().schedules(MODEL).await.unwrap();
    assert_eq!(schedules[0].refresh_logs.len(), 2);
}

#[tokio::test]
async fn authorization_code_login_through_the_loopback_redirect() {
    let emu = sac_emulator::spawn(Config {
        clock: ClockMode::Immediate,
        auto_approve_user: Some("JDOE".into()),
        ..Config::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(&emu, Grant::AuthorizationCode);
    cfg.cache_dir = Some(dir.path().to_path_buf());
    let client = Client::new(cfg.clone()).unwrap();
    let err = client.data_integration().schedules(MODEL).await.unwrap_err();
    assert!(matches!(err, Error::Login(_)), "no login yet: {err}");

    let flow = sac_client::auth::login::LoginFlow::start(client.config(), 0).await.unwrap();
    assert!(flow.authorize_url.as_str().contains("code_challenge_method=S256"));
    let browser = tokio::spawn({
        let url = flow.authorize_url.clone();
        async move { reqwest::get(url).await.unwrap().text().await.unwrap() }
    });
    let status = flow.finish(client.tokens(), Duration::from_secs(10)).await.unwrap();
    assert!(browser.await.unwrap().contains("Signed in"));
    assert_eq!(status.user.as_deref(), Some("JDOE"));
    assert!(status.has_refresh_token);

    // A new process (a new client) uses the cached login.
    let later = Client::new(cfg).unwrap();
    assert_eq!(run_to_end(&later, &fast(Duration::from_secs(10))).await.status, RunStatus::Succeeded);
    assert!(later.tokens().logout().await.unwrap());
    assert!(later.tokens().status().await.is_none());
}

#[tokio::test]
async fn tokens_are_cached_on_disk_across_clients() {
    let emu = emulator(ClockMode::Immediate).await;
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(&emu, Grant::Password);
    cfg.cache_dir = Some(dir.path().to_path_buf());
    for _ in 0..3 {
        Client::new(cfg.clone()).unwrap().data_integration().schedules(MODEL).await.unwrap();
    }
    assert_eq!(count(&requests(&emu).await, "/oauth/token", ""), 1, "three processes, one token");
    let text = std::fs::read_to_string(dir.path().join("tokens-default.json")).unwrap();
    assert!(!text.contains("Welcome1!"), "the password is never cached");
}

#[tokio::test]
async fn refusals_are_typed_and_explained() {
    let emu = emulator(ClockMode::Immediate).await;

    let err = client(&emu, Grant::ClientCredentials).data_integration().schedules(MODEL).await.unwrap_err();
    assert!(matches!(err, Error::LoginPage { .. }), "{err}");
    assert_eq!(err.class(), ErrorClass::Auth);
    assert!(err.hints().join(" ").contains("Interactive Usage"));

    let mut unknown_user = config(&emu, Grant::Password);
    unknown_user.user = Some("KSMITH".into());
    let err = Client::new(unknown_user).unwrap().data_integration().schedules(MODEL).await.unwrap_err();
    match &err {
        Error::UserNotInTenant { user, message, .. } => {
            assert_eq!(user.as_deref(), Some("KSMITH"));
            assert!(message.contains("user may not exist in tenant"));
        }
        other => panic!("{other}"),
    }

    let mut bad_secret = config(&emu, Grant::Password);
    bad_secret.client_secret = Secret::new("wrong");
    let err = Client::new(bad_secret).unwrap().data_integration().schedules(MODEL).await.unwrap_err();
    assert!(matches!(&err, Error::OAuth { error, .. } if error == "invalid_client"), "{err}");
    assert!(!err.to_string().contains("wrong") && !format!("{err:?}").contains("wrong"), "no secret in errors");

    let mut bad_password = config(&emu, Grant::Password);
    bad_password.password = Some(Secret::new("nope"));
    let err = Client::new(bad_password).unwrap().data_integration().schedules(MODEL).await.unwrap_err();
    assert!(matches!(&err, Error::OAuth { error, .. } if error == "invalid_grant"), "{err}");

    let password = client(&emu, Grant::Password);
    let di = password.data_integration();
    let missing = Target { schedule_id: "NOPE".into(), ..target() };
    let err = schedule::start(&di, &missing, IfRunning::Fail, &fast(Duration::from_secs(5)), &Silent, None)
        .await
        .unwrap_err();
    assert_eq!(err.class(), ErrorClass::NotFound, "{err}");
    let err = di.rejections("NOPE").await.unwrap_err();
    assert_eq!(err.class(), ErrorClass::NotFound, "{err}");
    let err = di.schedules("ZEPPART_001").await.unwrap_err();
    assert_eq!(err.class(), ErrorClass::Usage);
    let err = di.schedules("t.X:ZEPPART_001").await.unwrap_err();
    assert!(err.to_string().contains("tenant id"), "{err}");

    let viewer = {
        let mut c = config(&emu, Grant::Password);
        c.user = Some("VIEWER".into());
        Client::new(c).unwrap()
    };
    let err = schedule::start(
        &viewer.data_integration(),
        &target(),
        IfRunning::Fail,
        &fast(Duration::from_secs(5)),
        &Silent,
        None,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::Forbidden { .. }), "{err}");
}

#[tokio::test]
async fn unreachable_sac_is_reported_after_bounded_retries() {
    let emu = emulator(ClockMode::Immediate).await;
    let cfg = config(&emu, Grant::Password);
    emu.stop().await;
    let err = Client::new(cfg).unwrap().data_integration().schedules(MODEL).await.unwrap_err();
    assert_eq!(err.class(), ErrorClass::Unreachable);
    assert!(matches!(err, Error::Transport { attempts: 4, .. }), "{err:?}");
}

#[tokio::test]
async fn bursts_of_429_and_503_are_survived_with_exactly_one_run() {
    let emu = emulator(ClockMode::Polls { polls: 1 }).await;
    admin(&emu, "/emulator/faults", json!({"path": SERVICE, "status": 429, "retry_after": 0, "times": 2})).await;
    admin(&emu, "/emulator/faults", json!({"path": "/oauth/token", "status": 503, "times": 2})).await;
    let client = client(&emu, Grant::Password);
    let run = run_to_end(&client, &fast(Duration::from_secs(20))).await;
    assert_eq!(run.status, RunStatus::Succeeded);
    // The reads before the trigger (POSTs too) meet a 503 burst: read again.
    admin(&emu, "/emulator/faults", json!({"path": SERVICE, "method": "POST", "status": 503, "times": 3})).await;
    let run = run_to_end(&client, &fast(Duration::from_secs(20))).await;
    assert_eq!(run.status, RunStatus::Succeeded);
    let requests = requests(&emu).await;
    let started = requests
        .iter()
        .filter(|r| r["query"].as_str().unwrap().contains("runScheduledJob") && r["status"] == 200)
        .count();
    assert_eq!(started, 2, "one run per start");
    let logs = client.data_integration().schedules(MODEL).await.unwrap();
    assert_eq!(logs[0].refresh_logs.len(), 3);
}

#[tokio::test]
async fn token_and_csrf_expiry_during_a_wait_are_survived() {
    let emu = emulator(ClockMode::Polls { polls: 6 }).await;
    let client = client(&emu, Grant::Password);
    let di = client.data_integration();
    let policy = fast(Duration::from_secs(20));
    let started = schedule::start(&di, &target(), IfRunning::Fail, &policy, &Silent, None).await.unwrap();
    admin(&emu, "/emulator/faults", json!({"path": SERVICE, "expire": "token"})).await;
    admin(&emu, "/emulator/faults", json!({"path": SERVICE, "expire": "csrf"})).await;
    let outcome = schedule::wait(&di, &target(), &started.execution_id, &policy, &Silent).await.unwrap();
    assert!(matches!(outcome, WaitOutcome::Finished(ref log) if log.status == RunStatus::Succeeded), "{outcome:?}");
    let requests = requests(&emu).await;
    assert!(requests.iter().any(|r| r["path"] == "/oauth/token" && r["query"] == ""), "a refresh happened");
    assert!(count(&requests, "/sap/fpa/services/rest/epm/session", "") >= 2, "the CSRF token was fetched again");
}

#[tokio::test]
async fn a_lost_trigger_answer_is_resolved_from_the_logs_without_a_second_trigger() {
    let trigger = format!("{SERVICE}?action=runScheduledJob");
    let emu = emulator(ClockMode::Immediate).await;
    let client = client(&emu, Grant::Password);
    let di = client.data_integration();
    // Safe reads whose answers are lost are simply read again.
    admin(
        &emu,
        "/emulator/faults",
        json!({"path": format!("{SERVICE}?action=getScheduleLogsByModel"), "drop_response": true}),
    )
    .await;
    // The trigger is handled, but its answer is lost.
    admin(&emu, "/emulator/faults", json!({"path": trigger, "drop_response": true})).await;
    let started =
        schedule::start(&di, &target(), IfRunning::Fail, &fast(Duration::from_secs(5)), &Silent, None).await.unwrap();
    assert_eq!(started.status, RunStatus::Succeeded, "the logs show the run started");
    assert_eq!(count(&requests(&emu).await, SERVICE, "runScheduledJob"), 1, "and the trigger was not sent again");

    // A trigger that never took effect: no new run appears, and the client
    // says the outcome is unknown instead of triggering again.
    admin(&emu, "/emulator/faults", json!({"path": trigger, "drop": true})).await;
    let err = schedule::start(&di, &target(), IfRunning::Fail, &fast(Duration::from_secs(5)), &Silent, None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::TriggerUnknown { .. }), "{err}");
    assert_eq!(err.class(), ErrorClass::Unreachable);
    assert!(err.hints().join(" ").contains("logs before triggering"));
    assert_eq!(count(&requests(&emu).await, SERVICE, "runScheduledJob"), 2, "one more trigger, not two");

    // A 500, 502, 503 or 504 to the trigger may or may not have started it
    // (a 503 may come from a gateway after the backend began): same rule,
    // the trigger is never sent again.
    for (sent, status) in [500, 502, 503, 504].into_iter().enumerate() {
        admin(&emu, "/emulator/faults", json!({"path": trigger, "status": status})).await;
        let err = schedule::start(&di, &target(), IfRunning::Fail, &fast(Duration::from_secs(5)), &Silent, None)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::TriggerUnknown { .. }), "{status}: {err}");
        assert!(err.to_string().contains(&status.to_string()), "{err}");
        assert_eq!(count(&requests(&emu).await, SERVICE, "runScheduledJob"), 3 + sent, "{status}: one POST");
    }
    // A 429 proves the trigger was refused before the service: sent again.
    admin(&emu, "/emulator/faults", json!({"path": trigger, "status": 429, "retry_after": 0})).await;
    let started =
        schedule::start(&di, &target(), IfRunning::Fail, &fast(Duration::from_secs(5)), &Silent, None).await.unwrap();
    assert_eq!(started.status, RunStatus::Succeeded);
    let triggers: Vec<Value> =
        requests(&emu).await.into_iter().filter(|r| r["query"].as_str().unwrap().contains("runScheduledJob")).collect();
    assert_eq!(triggers.len(), 8);
    assert_eq!(triggers[6]["status"], 429);
    assert_eq!(triggers[7]["status"], 200);
}

#[tokio::test]
async fn timeouts_already_running_and_if_running_wait() {
    let emu = emulator(ClockMode::Manual).await;
    let client = client(&emu, Grant::Password);
    let di = client.data_integration();
    let policy = fast(Duration::from_millis(300));
    let started = schedule::start(&di, &target(), IfRunning::Fail, &policy, &Silent, None).await.unwrap();
    assert_eq!(started.status, RunStatus::Running);
    let outcome = schedule::wait(&di, &target(), &started.execution_id, &policy, &Silent).await.unwrap();
    assert!(matches!(outcome, WaitOutcome::TimedOut(ref log) if log.status == RunStatus::Running));

    let err = schedule::start(&di, &target(), IfRunning::Fail, &policy, &Silent, None).await.unwrap_err();
    assert!(matches!(&err, Error::AlreadyRunning { execution_id, .. } if *execution_id == started.execution_id));
    assert_eq!(err.class(), ErrorClass::AlreadyRunning);

    // --if-running wait: release the run in flight a little later, then ours starts.
    let url = emu.urls.tenant_url.clone();
    let releaser = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        reqwest::Client::new().post(format!("{url}/emulator/clock/release")).json(&json!({})).send().await.unwrap();
    });
    let second =
        schedule::start(&di, &target(), IfRunning::Wait, &fast(Duration::from_secs(10)), &Silent, None).await.unwrap();
    releaser.await.unwrap();
    assert_ne!(second.execution_id, started.execution_id);
    assert_eq!(second.status, RunStatus::Running);
    let first = di.schedules(MODEL).await.unwrap()[0]
        .refresh_logs
        .iter()
        .find(|l| l.execution_id == started.execution_id)
        .cloned()
        .unwrap();
    assert_eq!(first.status, RunStatus::Succeeded, "the first run was not stopped");
}

#[tokio::test]
async fn rejected_rows_come_back_as_csv() {
    let emu = emulator(ClockMode::Immediate).await;
    admin(&emu, "/emulator/sources/ZW2_IMPORT/ZEPPART/rows", json!({"rows": [{"ZEPPART": "P0090", "COUNTRY": "XX"}]}))
        .await;
    let client = client(&emu, Grant::Password);
    let run = run_to_end(&client, &fast(Duration::from_secs(10))).await;
    assert_eq!(run.status, RunStatus::SucceededWithRejects);
    let csv = client.data_integration().rejections(&run.execution_id).await.unwrap();
    assert!(csv.starts_with("Source,Target,Issue,Value,Records\n"));
    assert!(csv.contains("XX,1"));
    // Ids are percent-encoded into the path: no way to reach another path.
    let err = client.data_integration().rejections("../../../emulator/health").await.unwrap_err();
    assert_eq!(err.class(), ErrorClass::NotFound, "{err}");
}

mod multi_actions {
    use super::*;
    use sac_client::multiaction::{MaOutcome, MaReporter, Param};
    use sac_types::multiaction::{ExecutionStatus, MultiActionStatus};

    const MA: &str = "t.G:MA_LOAD_ZEPPART";

    struct Quiet;
    impl MaReporter for Quiet {
        fn polled(&self, _: &ExecutionStatus, _: Duration) {}
    }

    fn plan() -> Vec<Param> {
        vec![Param::parse("TargetVersion=public.Plan").unwrap()]
    }

    async fn run(client: &Client, params: &[Param]) -> ExecutionStatus {
        let ma = client.multi_actions();
        let started = ma.start(MA, params).await.unwrap();
        match ma.wait(MA, &started.execution_id, &fast(Duration::from_secs(10)), &Quiet).await.unwrap() {
            MaOutcome::Finished(s) => s,
            MaOutcome::TimedOut(s) => panic!("timed out: {s:?}"),
        }
    }

    #[tokio::test]
    async fn on_the_api_domain_and_through_the_browser_domain_with_csrf() {
        let emu = emulator(ClockMode::Polls { polls: 2 }).await;
        let mut direct = config(&emu, Grant::Password);
        direct.api_url = Some(parse_url("api", &emu.urls.api_url).unwrap());
        let done = run(&Client::new(direct).unwrap(), &plan()).await;
        assert_eq!(done.status, MultiActionStatus::Successful);
        assert_eq!(done.execution_result.messages.len(), 2);
        let browser = run(&client(&emu, Grant::Password), &plan()).await;
        assert_eq!(browser.status, MultiActionStatus::Successful);
        let requests = requests(&emu).await;
        assert_eq!(count(&requests, "/api/v1/csrf", ""), 1, "the browser-domain POST fetched a CSRF token once");
    }

    #[tokio::test]
    async fn refusals_and_outcomes() {
        let emu = emulator(ClockMode::Immediate).await;
        let err = client(&emu, Grant::ClientCredentials).multi_actions().start(MA, &plan()).await.unwrap_err();
        assert!(matches!(err, Error::NeedsUser { .. }), "{err}");
        assert!(err.hints().join(" ").contains("authorization code"));
        assert!(
            requests(&emu).await.iter().all(|r| !r["path"].as_str().unwrap().contains("multiActions")),
            "failed fast"
        );

        let user = client(&emu, Grant::Password);
        let err = user.multi_actions().start("t.G:NOPE", &plan()).await.unwrap_err();
        assert_eq!(err.class(), ErrorClass::NotFound, "{err}");
        let err = user.multi_actions().start("MA_LOAD_ZEPPART", &plan()).await.unwrap_err();
        assert_eq!(err.class(), ErrorClass::Usage);
        let err = user.multi_actions().start(MA, &[]).await.unwrap_err();
        assert!(err.to_string().contains("No value was provided for the parameter TargetVersion"), "{err}");

        let wrong = run(&user, &[Param::parse("TargetVersion=public.Budget").unwrap()]).await;
        assert_eq!(wrong.status, MultiActionStatus::Failed);
        assert_eq!(wrong.execution_result.messages[0].code, "501000515");

        admin(&emu, "/emulator/faults", json!({"fail_data_actions": 1})).await;
        assert_eq!(run(&user, &plan()).await.status, MultiActionStatus::Warning);
    }
}

mod data_import {
    use super::*;
    use sac_client::dataimport::{push_csv, PushOptions, PushReporter};
    use sac_types::dataimport::{CreateJob, JobSettings};

    const COUNTRIES: [&str; 20] = [
        "DE", "US", "FR", "GB", "IT", "ES", "NL", "AT", "CH", "BE", "PL", "SE", "JP", "CN", "IN", "BR", "CA", "AU",
        "MX", "ZA",
    ];

    /// `n` rows with distinct keys in version `version`; every `bad_every`-th row has an unknown part.
    pub fn sales_csv(n: usize, version: &str, bad_every: Option<usize>) -> String {
        let mut csv = String::from("Version,Date,Part,Country,Amount,Quantity\n");
        for i in 0..n {
            let part = if bad_every.is_some_and(|k| i % k == k - 1) {
                "P9999".to_string()
            } else {
                format!("P{:04}", i % 89 + 1)
            };
            let month = (i / 89) % 12 + 1;
            let country = COUNTRIES[(i / 1068) % 20];
            csv.push_str(&format!("{version},2027{month:02},{part},{country},{}.25,{}\n", i, i % 7));
        }
        csv
    }

    struct Quiet;
    impl PushReporter for Quiet {
        fn uploaded(&self, _: u64, _: u64) {}
        fn phase(&self, _: &str) {}
    }

    fn options(chunk_rows: usize) -> PushOptions {
        PushOptions {
            model: "t.G:SALES_PLAN".into(),
            import_type: "factData".into(),
            settings: CreateJob::default(),
            chunk_rows,
            parallel: 3,
            max_failed_rows: None,
            dry_run: false,
            wait: fast(Duration::from_secs(20)),
            source: "rows.csv".into(),
            key_columns: vec![],
        }
    }

    async fn plan_rows(emu: &RunningEmulator, version: &str) -> Vec<Value> {
        let rows: Value = reqwest::get(format!(
            "{}/emulator/models/t.G:SALES_PLAN/rows?limit=1000000&Version={version}",
            emu.urls.tenant_url
        ))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
        rows["rows"].as_array().unwrap().clone()
    }

    #[tokio::test]
    async fn a_chunked_push_through_429_loses_and_doubles_nothing_and_a_503_writes_nothing() {
        let emu = emulator(ClockMode::Polls { polls: 1 }).await;
        let client = client(&emu, Grant::ClientCredentials);
        admin(
            &emu,
            "/emulator/faults",
            json!({"path": "/api/v1/dataimport/jobs/", "method": "POST", "status": 429, "retry_after": 0, "times": 2}),
        )
        .await;
        let csv = sales_csv(2500, "public.Plan", Some(100));
        let outcome = push_csv(
            &client.data_import(),
            Box::new(std::io::Cursor::new(csv.clone().into_bytes())),
            &options(300),
            &Quiet,
        )
        .await
        .unwrap();
        assert_eq!(outcome.rows_read, 2500);
        assert_eq!(outcome.validated.failed_number_rows, 25);
        assert_eq!(outcome.invalid_rows.failed_rows.len(), 25);
        assert_eq!(outcome.status.unwrap().job_status, "COMPLETED");
        let stored = plan_rows(&emu, "public.Plan").await;
        assert_eq!(stored.len(), 2475, "every valid row once");
        let expected: std::collections::BTreeSet<String> =
            csv.lines().skip(1).filter(|l| !l.contains("P9999")).map(|l| l.to_string()).collect();
        let got: std::collections::BTreeSet<String> = stored
            .iter()
            .map(|r| {
                format!(
                    "{},{},{},{},{},{}",
                    r["Version"].as_str().unwrap(),
                    r["Date"].as_str().unwrap(),
                    r["Part"].as_str().unwrap(),
                    r["Country"].as_str().unwrap(),
                    r["Amount"].as_str().unwrap(),
                    r["Quantity"].as_str().unwrap()
                )
            })
            .collect();
        assert_eq!(got, expected);

        // A 503 to a chunk leaves its fate unknown: it is not sent again; the
        // push fails, its job is deleted, and nothing is written.
        admin(
            &emu,
            "/emulator/faults",
            json!({"path": "/api/v1/dataimport/jobs/", "method": "POST", "status": 503, "times": 1}),
        )
        .await;
        let err = push_csv(
            &client.data_import(),
            Box::new(std::io::Cursor::new(sales_csv(2500, "public.Forecast", None).into_bytes())),
            &options(300),
            &Quiet,
        )
        .await
        .unwrap_err();
        assert!(matches!(err, Error::Unavailable { status: 503, .. }), "{err}");
        assert!(plan_rows(&emu, "public.Forecast").await.is_empty(), "nothing written");
        assert_eq!(plan_rows(&emu, "public.Plan").await.len(), 2475, "nothing doubled");
        let jobs = client.data_import().jobs().await.unwrap();
        assert!(jobs.iter().all(|j| j.status == "COMPLETED"), "the failed push left no job behind: {jobs:?}");
    }

    #[tokio::test]
    async fn max_failed_rows_and_dry_run_write_nothing() {
        let emu = emulator(ClockMode::Immediate).await;
        let client = client(&emu, Grant::ClientCredentials);
        let csv = sales_csv(200, "public.Forecast", Some(10)).into_bytes();
        let mut strict = options(50);
        strict.max_failed_rows = Some(5);
        let outcome = push_csv(&client.data_import(), Box::new(std::io::Cursor::new(csv.clone())), &strict, &Quiet)
            .await
            .unwrap();
        assert!(outcome.stopped.unwrap().contains("more than --max-failed-rows 5"));
        assert!(plan_rows(&emu, "public.Forecast").await.is_empty());
        assert!(client.data_import().jobs().await.unwrap().is_empty(), "the job was deleted");

        let mut dry = options(50);
        dry.dry_run = true;
        let outcome = push_csv(&client.data_import(), Box::new(std::io::Cursor::new(csv)), &dry, &Quiet).await.unwrap();
        assert!(outcome.stopped.unwrap().contains("dry run"));
        assert_eq!(outcome.validated.failed_number_rows, 20);
        assert!(plan_rows(&emu, "public.Forecast").await.is_empty());
    }

    #[tokio::test]
    async fn clean_and_replace_and_refusals() {
        let emu = emulator(ClockMode::Immediate).await;
        let client = client(&emu, Grant::ClientCredentials);
        let mut replace = options(100);
        replace.settings = CreateJob {
            job_settings: Some(JobSettings {
                import_method: Some("CleanAndReplace".into()),
                dimension_scope: Some(vec!["Version".into()]),
                ..Default::default()
            }),
            ..Default::default()
        };
        let csv = "Version,Date,Part,Country,Amount,Quantity\npublic.Actual,202701,P0001,DE,1,1\n";
        let outcome =
            push_csv(&client.data_import(), Box::new(std::io::Cursor::new(csv.as_bytes().to_vec())), &replace, &Quiet)
                .await
                .unwrap();
        assert_eq!(
            outcome.validated.additional_information.unwrap()["cleanAndReplaceAffectedRows"],
            json!([{"Version": "public.Actual"}])
        );
        assert_eq!(plan_rows(&emu, "public.Actual").await.len(), 1, "the 60 Actual rows were replaced");

        let err = push_csv(
            &client.data_import(),
            Box::new(std::io::Cursor::new(b"A,B\n1,2,3\n\"x".to_vec())),
            &options(10),
            &Quiet,
        )
        .await
        .unwrap_err();
        assert_eq!(err.class(), ErrorClass::Usage, "{err}");
        let mut missing = options(10);
        missing.model = "t.G:NOPE".into();
        let err =
            push_csv(&client.data_import(), Box::new(std::io::Cursor::new(csv.as_bytes().to_vec())), &missing, &Quiet)
                .await
                .unwrap_err();
        assert_eq!(err.class(), ErrorClass::NotFound, "{err}");
    }
}

#[tokio::test]
async fn a_run_that_shows_late_in_the_logs_is_waited_for_within_the_grace() {
    let emu = emulator(ClockMode::Immediate).await;
    let client = client(&emu, Grant::Password);
    let di = client.data_integration();
    admin(&emu, "/emulator/faults", json!({"log_lag_reads": 3})).await;
    let started =
        schedule::start(&di, &target(), IfRunning::Fail, &fast(Duration::from_secs(10)), &Silent, None).await.unwrap();
    assert_eq!(started.status, RunStatus::Succeeded);
    admin(&emu, "/emulator/faults", json!({"log_lag_reads": 100000})).await;
    let err = schedule::start(&di, &target(), IfRunning::Fail, &fast(Duration::from_secs(10)), &Silent, None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::TriggerUnknown { .. }), "{err}");
    assert!(err.to_string().contains("no new run appeared"), "{err}");
    assert_eq!(count(&requests(&emu).await, SERVICE, "runScheduledJob"), 2, "one trigger each, never a second");
}

/// Which run is ours when other runs of the schedule start close to our trigger.
mod attribution {
    use std::sync::Mutex;

    use sac_types::legacy::RefreshLog;

    use super::*;

    /// Collects the runs reported as not ours.
    #[derive(Default)]
    struct Others(Mutex<Vec<(String, String)>>);

    impl schedule::Reporter for Others {
        fn polled(&self, _: Option<&RefreshLog>, _: Duration) {}
        fn other_run(&self, run: &RefreshLog, why: &str) {
            self.0.lock().unwrap().push((run.execution_id.clone(), why.to_string()));
        }
    }

    async fn runs(di: &sac_client::legacy::DataIntegration<'_>) -> Vec<RefreshLog> {
        di.schedules(MODEL).await.unwrap().remove(0).refresh_logs
    }

    #[tokio::test]
    async fn an_older_run_of_another_host_that_shows_late_is_not_taken_for_ours() {
        let emu = emulator(ClockMode::Manual).await;
        // "Another host" (same user) starts a run that the logs hide from the
        // next read, so our check before the trigger does not see it.
        let other_host = client(&emu, Grant::Password);
        let other_di = other_host.data_integration();
        let before = runs(&other_di).await.len();
        admin(&emu, "/emulator/faults", json!({"log_lag_reads": 1})).await;
        other_di.trigger("G", SCHEDULE, None).await.unwrap();
        // Whole seconds later (SAC's times count whole seconds).
        tokio::time::sleep(Duration::from_millis(2500)).await;

        let ours = client(&emu, Grant::Password);
        let di = ours.data_integration();
        let reporter = Others::default();
        let policy = fast(Duration::from_secs(10));
        let started = schedule::start(&di, &target(), IfRunning::Fail, &policy, &reporter, None).await.unwrap();
        let all = runs(&di).await;
        assert_eq!(all.len(), before + 2);
        // Newest first: ours, then the other host's, both stopped by SAC.
        assert_eq!(started.execution_id, all[0].execution_id, "ours is the newer run, not the oldest new one");
        let theirs = all[1].execution_id.clone();
        assert!(all[..2].iter().all(|r| r.status == RunStatus::Stopped), "{all:?}");
        let reported = reporter.0.lock().unwrap().clone();
        assert_eq!(reported.len(), 1, "{reported:?}");
        assert_eq!(reported[0].0, theirs);
        assert!(reported[0].1.contains("before the trigger was sent"), "{reported:?}");

        // Waiting reports it too, and ends with SAC's verdict on ours.
        let reporter = Others::default();
        let outcome = schedule::wait(&di, &target(), &started.execution_id, &policy, &reporter).await.unwrap();
        assert!(matches!(outcome, WaitOutcome::Finished(ref r) if r.status == RunStatus::Stopped), "{outcome:?}");
        assert!(reporter.0.lock().unwrap().iter().any(|(id, why)| *id == theirs && why.contains("SAC stops both")));
    }

    #[tokio::test]
    async fn two_runs_that_fit_the_trigger_equally_are_reported_not_guessed() {
        let emu = emulator(ClockMode::Manual).await;
        let trigger = format!("{SERVICE}?action=runScheduledJob");
        admin(&emu, "/emulator/faults", json!({"path": trigger, "delay_ms": 3000})).await;
        let ours = client(&emu, Grant::Password);
        let reads_before = count(&requests(&emu).await, SERVICE, "getScheduleLogsByModel");
        let start = tokio::spawn(async move {
            let di = ours.data_integration();
            schedule::start(&di, &target(), IfRunning::Fail, &fast(Duration::from_secs(10)), &Silent, None).await
        });
        // Once our check before the trigger is done, our (slow) trigger is on
        // its way; "another host" triggers while it is.
        while count(&requests(&emu).await, SERVICE, "getScheduleLogsByModel") == reads_before {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        let other_host = client(&emu, Grant::Password);
        other_host.data_integration().trigger("G", SCHEDULE, None).await.unwrap();
        let err = start.await.unwrap().unwrap_err();
        let Error::RunAmbiguous { candidates, .. } = &err else { panic!("{err}") };
        assert_eq!(candidates.len(), 2);
        assert!(candidates.iter().all(|r| r.status == RunStatus::Stopped), "SAC stopped both: {candidates:?}");
        assert!(err.to_string().contains("cannot be told"), "{err}");
        assert_eq!(err.class(), ErrorClass::Unreachable);
        assert_eq!(count(&requests(&emu).await, SERVICE, "runScheduledJob"), 2, "one trigger each");
    }
}
