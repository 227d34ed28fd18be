//! Multi actions: start, wait, parameters and failures.

use crate::support::*;
use sac_client::multiaction::{MaOutcome, Param};
use sac_client::report::MaReporter;
use sac_types::multiaction::{ExecutionStatus, MultiActionStatus};

const MA: &str = sac_testkit::demo::MULTI_ACTION;

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
    assert!(requests(&emu).await.iter().all(|r| !r["path"].as_str().unwrap().contains("multiActions")), "failed fast");

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
