//! Triggering and waiting on a Data Management schedule: bursts, expiry,
//! lost answers, timeouts, late runs and rejected rows.

use crate::support::*;

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
    let admin = Admin::new(&emu.urls.tenant_url);
    let releaser = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        admin.release().await;
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
