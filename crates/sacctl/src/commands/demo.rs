//! `sacctl demo`: the seed's story against an embedded emulator, with the
//! same client and the same waiting as against a real tenant.

use std::time::Duration;

use sac_client::config::parse_url;
use sac_client::schedule::{self, IfRunning, Target, WaitOutcome, WaitPolicy};
use sac_client::{Client, ClientConfig, Grant, Secret};

use crate::exit::ExitStatus;
use crate::output::Printer;
use crate::report::{exit_for, run_json, run_line};
use crate::Failure;

const MODEL: &str = "t.G:ZEPPART_001";
const SCHEDULE: &str = "F58CA15F78AA9039E200586F05E2BB93";
const MAPPING: &str = "F48CA15F78AA9039E200586F05E2BB93";

pub async fn demo(printer: Printer) -> Result<ExitStatus, Failure> {
    let emulator = sac_emulator::spawn(sac_emulator::Config::default())
        .await
        .map_err(|e| Failure::new(ExitStatus::Unreachable, e))?;
    let result = walk(printer, &emulator.urls).await;
    emulator.stop().await;
    result
}

async fn walk(printer: Printer, urls: &sac_emulator::Urls) -> Result<ExitStatus, Failure> {
    printer.note(&format!(
        "==> Emulated SAC tenant G: browser domain {}, token service {}, API domain {}",
        urls.tenant_url, urls.token_url, urls.api_url
    ));
    let mut config = ClientConfig::new(
        parse_url("tenant URL", &urls.tenant_url)?,
        parse_url("token URL", &urls.token_url)?,
        "sacctl-user",
        Secret::new("sacctl-user-secret"),
        Grant::Password,
    );
    config.api_url = Some(parse_url("API URL", &urls.api_url)?);
    config.user = Some("JDOE".into());
    config.password = Some(Secret::new("Welcome1!"));
    let client = Client::new(config)?;

    printer.note(
        "==> Logging in as JDOE (OAuth client sacctl-user, purpose Interactive Usage) and opening a CSRF session",
    );
    client.open_session().await?;

    let di = client.data_integration();
    printer.note(&format!("==> Schedule logs of {MODEL} (getScheduleLogsByModel)"));
    for s in di.schedules(MODEL).await? {
        printer.note(&format!("    data import {} ({}), mapping {}", s.schedule_id, s.mapping_name, s.mapping_id));
        for run in &s.refresh_logs {
            printer.note(&format!("      {}", run_line(run)));
        }
    }

    let target = Target { model: MODEL.into(), schedule_id: SCHEDULE.into(), mapping_id: Some(MAPPING.into()) };
    let policy = WaitPolicy {
        first_interval: Duration::from_millis(500),
        max_interval: Duration::from_secs(1),
        timeout: Duration::from_secs(120),
        appear_grace: Duration::from_secs(30),
    };
    printer.note(&format!("==> Triggering data import {SCHEDULE} (runScheduledJob) and waiting"));
    let progress = printer.progress(&format!("data import {SCHEDULE}"));
    let started = schedule::start(&di, &target, IfRunning::Fail, &policy, &progress).await?;
    let outcome = schedule::wait(&di, &target, &started.execution_id, &policy, &progress).await?;
    progress.finish();
    let run = match outcome {
        WaitOutcome::Finished(run) => run,
        WaitOutcome::TimedOut(run) => {
            printer.note(&format!("the demo run did not finish in time: {}", run_line(&run)));
            return Ok(ExitStatus::Timeout);
        }
    };
    let exit = exit_for(run.status, false);
    let rows = &run.wrangling_and_update_result.data;
    if printer.json() {
        printer.result_json(&run_json(MODEL, SCHEDULE, &run, false, exit));
    } else {
        printer.result(&format!("{} rows imported into {MODEL}", rows.inserted_count));
        printer.result(&run_line(&run));
    }
    printer.note(
        "\n==> The same against a real tenant (see docs/quickstart.md for the OAuth client to create):\n\
         export SACCTL_TENANT_URL=https://<tenant>.<region>.hcs.cloud.sap\n\
         export SACCTL_TOKEN_URL=https://<tenant>.authentication.<region>.hana.ondemand.com/oauth/token\n\
         export SACCTL_CLIENT_ID='<client id>' SACCTL_CLIENT_SECRET_FILE=~/.sac-client-secret SACCTL_GRANT=authorization_code\n\
         sacctl login\n\
         sacctl auth doctor --model t.<TENANT>:<MODEL>\n\
         sacctl schedule run <SCHEDULE_ID> --model t.<TENANT>:<MODEL> --wait --timeout 30m",
    );
    Ok(exit)
}
