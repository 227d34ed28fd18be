//! Data Import pushes: chunks, validation, invalid rows and failures.

use crate::support::*;
use sac_client::dataimport::{push_csv, PushOptions};
use sac_client::report::PushReporter;
use sac_types::dataimport::{CreateJob, ImportJobStatus, JobSettings};

const COUNTRIES: [&str; 20] = [
    "DE", "US", "FR", "GB", "IT", "ES", "NL", "AT", "CH", "BE", "PL", "SE", "JP", "CN", "IN", "BR", "CA", "AU", "MX",
    "ZA",
];

/// `n` rows with distinct keys in version `version`; every `bad_every`-th row has an unknown part.
pub fn sales_csv(n: usize, version: &str, bad_every: Option<usize>) -> String {
    let mut csv = String::from("Version,Date,Part,Country,Amount,Quantity\n");
    for i in 0..n {
        let part =
            if bad_every.is_some_and(|k| i % k == k - 1) { "P9999".to_string() } else { format!("P{:04}", i % 89 + 1) };
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
        delimiter: b',',
        conversion: None,
        deleted_data: vec![],
    }
}

async fn plan_rows(emu: &RunningEmulator, version: &str) -> Vec<Value> {
    Admin::new(&emu.urls.tenant_url).rows("t.G:SALES_PLAN", &format!("&Version={version}")).await
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
    assert_eq!(outcome.status.unwrap().job_status, ImportJobStatus::Completed);
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
    assert!(
        jobs.iter().all(|j| j.status == ImportJobStatus::Completed),
        "the failed push left no job behind: {jobs:?}"
    );
}

#[tokio::test]
async fn max_failed_rows_and_dry_run_write_nothing() {
    let emu = emulator(ClockMode::Immediate).await;
    let client = client(&emu, Grant::ClientCredentials);
    let csv = sales_csv(200, "public.Forecast", Some(10)).into_bytes();
    let mut strict = options(50);
    strict.max_failed_rows = Some(5);
    let outcome =
        push_csv(&client.data_import(), Box::new(std::io::Cursor::new(csv.clone())), &strict, &Quiet).await.unwrap();
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

#[tokio::test]
async fn numbered_import_errors_are_typed_and_a_push_without_valid_rows_writes_nothing() {
    let limits = sac_emulator::ImportLimits { active_jobs_per_model: 1, ..Default::default() };
    let config = Config { clock: ClockMode::Immediate, import_limits: limits, ..Config::default() };
    let emu = sac_emulator::spawn(config).await.unwrap();
    let client = client(&emu, Grant::ClientCredentials);
    let di = client.data_import();
    let bad_mapping = CreateJob { mapping: Some([("Nope".to_string(), "X".to_string())].into()), ..Default::default() };
    let err = di.create_job("t.G:SALES_PLAN", "factData", &bad_mapping).await.unwrap_err();
    match &err {
        Error::ImportRefused { code: 1004, message } => {
            assert!(message.ends_with("[1004]") && !message.ends_with("[1004] [1004]"), "{message}")
        }
        other => panic!("{other}"),
    }
    assert_eq!(err.class(), ErrorClass::Usage);
    assert!(err.hints().join(" ").contains("sacctl models show"));

    // An empty job cannot run (1011); while it is open the model takes no other job (1007).
    let job = di.create_job("t.G:SALES_PLAN", "factData", &CreateJob::default()).await.unwrap();
    let err = di.run(&job.job_id, false).await.unwrap_err();
    assert!(matches!(err, Error::ImportRefused { code: 1011, .. }), "{err}");
    assert_eq!(err.class(), ErrorClass::JobFailed);
    let err = di.create_job("t.G:SALES_PLAN", "factData", &CreateJob::default()).await.unwrap_err();
    assert!(matches!(err, Error::ImportRefused { code: 1007, .. }), "{err}");
    di.delete(&job.job_id).await.unwrap();

    // A push whose rows are all invalid stops before the run and leaves no job.
    let csv = sales_csv(30, "public.Forecast", Some(1)).into_bytes();
    let outcome = push_csv(&di, Box::new(std::io::Cursor::new(csv)), &options(10), &Quiet).await.unwrap();
    assert_eq!(outcome.stopped.as_deref(), Some("all 30 rows are invalid: nothing was written"));
    assert!(outcome.status.is_none());
    assert!(di.jobs().await.unwrap().is_empty(), "the job was deleted");
}
