//! Which run is ours when other runs of the schedule start close to our trigger.

use std::sync::Mutex;

use sac_types::legacy::RefreshLog;

use crate::support::*;

/// Collects the runs reported as not ours.
#[derive(Default)]
struct Others(Mutex<Vec<(String, String)>>);

impl sac_client::report::Reporter for Others {
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
