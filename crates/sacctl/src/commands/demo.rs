//! `sacctl demo`: the seed's story against an embedded emulator, with the
//! same client and the same waiting as against a real tenant.

use std::time::Duration;

use sac_client::config::parse_url;
use sac_client::poll::WaitPolicy;
use sac_client::schedule::{self, IfRunning, Target, WaitOutcome};
use sac_client::{Client, ClientConfig, Grant, Secret};
use serde_json::{json, Value};

use crate::exit::ExitStatus;
use crate::failure::Failure;
use crate::ops::schedule::{exit_for, run_json, run_line};
use crate::output::Printer;
use crate::report::finish;
use crate::site::doc_url;

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
        min_interval: sac_client::poll::MIN_INTERVAL,
        max_interval: Duration::from_secs(1),
        timeout: Duration::from_secs(120),
        appear_grace: Duration::from_secs(30),
    };
    printer.note(&format!("==> Triggering data import {SCHEDULE} (runScheduledJob) and waiting"));
    let progress = printer.progress(&format!("data import {SCHEDULE}"));
    let started = schedule::start(&di, &target, IfRunning::Fail, &policy, &progress, None).await?;
    let outcome = schedule::wait(&di, &target, &started.execution_id, &policy, &progress).await?;
    progress.finish();
    let run = match outcome {
        WaitOutcome::Finished(run) => run,
        WaitOutcome::TimedOut(run) => {
            return Err(Failure::new(
                ExitStatus::Timeout,
                anyhow::anyhow!("the demo run did not finish in time: {}", run_line(&run)),
            ))
        }
    };
    let exit = exit_for(run.status, false);
    let rows = &run.wrangling_and_update_result.data;
    let schedule_run = run_json(MODEL, SCHEDULE, &run, false, exit, None);
    if !printer.json() {
        printer.result(&format!("{} rows imported into {MODEL}", rows.inserted_count));
        printer.result(&run_line(&run));
    }
    let mut doc = json!({"schedule_run": schedule_run});
    if exit == ExitStatus::Success {
        doc["supported_path"] = supported_path(printer, &client).await?;
    }
    if printer.json() {
        printer.result_json(&finish(doc, exit, None));
    }
    if exit != ExitStatus::Success {
        return Ok(exit);
    }
    printer.note(concat!(
        "\n==> The same against a real tenant (see ",
        doc_url!("quickstart"),
        " for the OAuth client to create):\n\
         export SACCTL_TENANT_URL=https://<tenant>.<region>.hcs.cloud.sap\n\
         export SACCTL_TOKEN_URL=https://<tenant>.authentication.<region>.hana.ondemand.com/oauth/token\n\
         export SACCTL_CLIENT_ID='<client id>' SACCTL_CLIENT_SECRET_FILE=~/.sac-client-secret SACCTL_GRANT=authorization_code\n\
         sacctl login\n\
         sacctl auth doctor --model t.<TENANT>:<MODEL>\n\
         sacctl schedule run <SCHEDULE_ID> --model t.<TENANT>:<MODEL> --wait --timeout 30m\n\
         sacctl multiaction run t.<TENANT>:<MULTI_ACTION> --param TargetVersion=public.Plan --wait\n\
         sacctl import push --model <MODEL> --file facts.csv --rejects-out rejects.csv"
    ));
    Ok(exit)
}

/// SAP's supported path: the multi action that wraps the same import, and
/// a fact-data push through the Data Import API, checked through Data Export.
/// Returns what it did for the JSON document; prints it in human format.
async fn supported_path(printer: Printer, client: &Client) -> Result<Value, Failure> {
    use sac_client::dataimport::{push_csv, PushOptions};
    use sac_client::multiaction::{MaOutcome, Param};
    use sac_client::report::{MaReporter, PushReporter};
    use sac_types::multiaction::ExecutionStatus;

    struct Quiet;
    impl MaReporter for Quiet {
        fn polled(&self, _: &ExecutionStatus, _: Duration) {}
    }
    impl PushReporter for Quiet {
        fn uploaded(&self, _: u64, _: u64) {}
        fn phase(&self, _: &str) {}
    }
    let policy = WaitPolicy {
        min_interval: sac_client::poll::MIN_INTERVAL,
        max_interval: Duration::from_secs(1),
        timeout: Duration::from_secs(120),
        appear_grace: Duration::from_secs(30),
    };
    const MA: &str = "t.G:MA_LOAD_ZEPPART";
    printer.note(&format!(
        "\n==> The supported path: multi action {MA} (import step + copy Actual to Plan), TargetVersion=public.Plan"
    ));
    let ma = client.multi_actions();
    let started = ma.start(MA, &[Param::parse("TargetVersion=public.Plan")?]).await?;
    let status = match ma.wait(MA, &started.execution_id, &policy, &Quiet).await? {
        MaOutcome::Finished(s) | MaOutcome::TimedOut(s) => s,
    };
    if !printer.json() {
        printer.result(&format!("multi action {MA}: {}", status.status.as_str()));
    }
    for m in &status.execution_result.messages {
        printer.note(&format!("    [{}] {}", m.severity, m.message));
    }

    printer.note("==> Data Import API: pushing 3 fact rows (one invalid) into t.G:SALES_PLAN, version public.Forecast");
    let csv = "Version,Date,Part,Country,Amount,Quantity\n\
               public.Forecast,202607,P0001,AT,1200.50,12\n\
               public.Forecast,202607,P0002,IN,980,9\n\
               public.Forecast,202607,P9999,US,10,1\n";
    let options = PushOptions {
        model: "t.G:SALES_PLAN".into(),
        import_type: "factData".into(),
        settings: Default::default(),
        chunk_rows: 50_000,
        parallel: 1,
        max_failed_rows: None,
        dry_run: false,
        wait: policy,
        source: "the demo's rows".into(),
        key_columns: vec![],
        delimiter: b',',
        conversion: None,
        deleted_data: vec![],
    };
    let outcome =
        push_csv(&client.data_import(), Box::new(std::io::Cursor::new(csv.as_bytes().to_vec())), &options, &Quiet)
            .await?;
    for row in &outcome.invalid_rows.failed_rows {
        printer.note(&format!(
            "    rejected: {}",
            row.get(sac_types::dataimport::REJECTION_REASON).and_then(|v| v.as_str()).unwrap_or("?")
        ));
    }
    let mut forecast = 0;
    client
        .data_export()
        .fact_data(
            "t.G:SALES_PLAN",
            &sac_client::dataexport::FactQuery { filter: Some("Version eq 'public.Forecast'"), ..Default::default() },
            |page| {
                forecast += page.len();
                Ok(())
            },
        )
        .await?;
    let pushed = outcome.rows_read - outcome.validated.failed_number_rows;
    let rejected = outcome.validated.failed_number_rows;
    if !printer.json() {
        printer.result(&format!(
            "{pushed} fact rows pushed into t.G:SALES_PLAN ({rejected} rejected); Data Export reads back {forecast} public.Forecast rows",
        ));
    }
    Ok(json!({
        "multi_action": {"id": MA, "execution_id": status.execution_id, "status": status.status.as_str()},
        "import": {"model": "t.G:SALES_PLAN", "job_id": outcome.job_id, "rows_written": pushed, "rows_rejected": rejected},
        "export": {"model": "t.G:SALES_PLAN", "filter": "Version eq 'public.Forecast'", "rows": forecast},
    }))
}
