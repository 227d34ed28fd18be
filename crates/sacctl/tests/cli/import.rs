//! `sacctl import ...` and `sacctl models ...` against the emulator.

use crate::common::*;
use sac_emulator::ClockMode;
use serde_json::{json, Value};

const HEADER: &str = "Version,Date,Part,Country,Amount,Quantity\n";

/// `import push` of `file` into SALES_PLAN with `more` arguments, polling fast.
fn push<'a>(file: &'a str, more: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["import", "push", "--model", "SALES_PLAN", "--file", file];
    args.extend(more);
    args.extend(["--poll-interval", "100ms"]);
    args
}

fn rows(n: usize, version: &str, bad_every: Option<usize>) -> String {
    let mut csv = String::from(HEADER);
    for i in 0..n {
        let part =
            if bad_every.is_some_and(|k| i % k == k - 1) { "P9999".to_string() } else { format!("P{:04}", i % 89 + 1) };
        csv.push_str(&format!("{version},2027{:02},{part},DE,{i},1\n", (i / 89) % 12 + 1));
    }
    csv
}

async fn stored(env: &Env, filter: &str) -> Vec<Value> {
    env.admin_api().rows("t.G:SALES_PLAN", &format!("&{filter}")).await
}

async fn technical() -> Env {
    technical_with(sac_emulator::Config { clock: ClockMode::Polls { polls: 1 }, ..sac_emulator::Config::default() })
        .await
}

/// An emulator and a profile of the technical client `sacctl-api` (Data Import and Export access).
async fn technical_with(config: sac_emulator::Config) -> Env {
    let mut env = setup_with(config).await;
    env.sign_in_as(Who::Technical);
    env
}

#[tokio::test(flavor = "multi_thread")]
async fn push_writes_valid_rows_reports_rejects_and_exits_by_outcome() {
    let env = technical().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plan.csv");
    std::fs::write(&file, rows(1000, "public.Plan", Some(50))).unwrap();
    let rejects = dir.path().join("rejects.csv");
    let args = [
        "import",
        "push",
        "--model",
        "t.G:SALES_PLAN",
        "--file",
        file.to_str().unwrap(),
        "--chunk-rows",
        "150",
        "--rejects-out",
        rejects.to_str().unwrap(),
        "--poll-interval",
        "100ms",
        "--output",
        "json",
    ];
    let output = env.run(&args).await;
    assert_eq!(code(&output), 6, "rejected rows: {}", describe(&output));
    let doc: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(doc["rows_read"], 1000);
    assert_eq!(doc["rows_failed"], 20);
    assert_eq!(doc["rows_written"], 980);
    assert_eq!(doc["status"], "COMPLETED");
    assert_eq!(stored(&env, "Version=public.Plan").await.len(), 980);
    let text = std::fs::read_to_string(&rejects).unwrap();
    assert_eq!(text.lines().count(), 21);
    assert!(text.lines().next().unwrap().ends_with("_REJECTION_REASON"));
    assert!(text.contains("Invalid column value for: Part"));

    env.run_ok(&[&args[..], &["--warnings-ok"]].concat()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn max_failed_rows_dry_run_clean_and_replace_json_and_stdin() {
    let env = technical().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("forecast.csv");
    std::fs::write(&file, rows(100, "public.Forecast", Some(10))).unwrap();
    let stop = env
        .run(&["import", "push", "--model", "SALES_PLAN", "--file", file.to_str().unwrap(), "--max-failed-rows", "5"])
        .await;
    assert_eq!(code(&stop), 1, "{}", describe(&stop));
    assert!(stdout(&stop).contains("nothing was written"));
    assert!(stored(&env, "Version=public.Forecast").await.is_empty());

    let dry =
        env.run(&["import", "push", "--model", "SALES_PLAN", "--file", file.to_str().unwrap(), "--dry-run"]).await;
    assert_eq!(code(&dry), 6, "{}", describe(&dry));
    assert!(stored(&env, "Version=public.Forecast").await.is_empty());

    let replace = dir.path().join("actual.csv");
    std::fs::write(&replace, format!("{HEADER}public.Actual,202701,P0001,DE,5,1\n")).unwrap();
    let output =
        env.run(&push(replace.to_str().unwrap(), &["--method", "CleanAndReplace", "--scope", "Version,Part"])).await;
    assert_eq!(code(&output), 0, "{}", describe(&output));
    assert!(
        stderr(&output).contains("CleanAndReplace deletes the existing rows of 1 scope(s)"),
        "{}",
        describe(&output)
    );
    assert!(stderr(&output).contains("Part=P0001 Version=public.Actual"));
    assert_eq!(stored(&env, "Version=public.Actual&Part=P0001").await.len(), 1);
    assert_eq!(stored(&env, "Version=public.Actual").await.len(), 55, "other parts untouched");

    let json_file = dir.path().join("rows.json");
    std::fs::write(
        &json_file,
        json!({"Data": [{"Date": "202702", "MATERIAL": "P0002", "Country": "FR", "Amount": 7, "Quantity": 1}]})
            .to_string(),
    )
    .unwrap();
    env.run_ok(&push(json_file.to_str().unwrap(), &["--mapping", "MATERIAL=Part", "--default", "Version=public.Plan"]))
        .await;
    assert_eq!(stored(&env, "Version=public.Plan&Part=P0002").await[0]["Amount"], "7");

    let mut child = env
        .command(&push("-", &[]))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    tokio::io::AsyncWriteExt::write_all(&mut stdin, rows(10, "public.Forecast", None).as_bytes()).await.unwrap();
    drop(stdin);
    let output = child.wait_with_output().await.unwrap();
    assert_eq!(code(&output), 0, "{}", describe(&output));
    assert_eq!(stored(&env, "Version=public.Forecast").await.len(), 10);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_push_whose_job_fails_when_written_exits_1_with_sacs_message_and_writes_nothing() {
    let env = technical().await;
    let message = "The model SALES_PLAN is locked by another data load";
    env.admin("/emulator/faults", json!({"fail_import_runs": 1, "message": message})).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plan.csv");
    std::fs::write(&file, rows(5, "public.Forecast", None)).unwrap();
    let failed = env.run(&push(file.to_str().unwrap(), &[])).await;
    assert_eq!(code(&failed), 1, "a failed job (docs/exit-codes.md): {}", describe(&failed));
    let said = stdout(&failed);
    assert!(
        said.contains("0 rows written") && said.contains(&format!("job FAILED: {message}")),
        "{}",
        describe(&failed)
    );
    assert!(stored(&env, "Version=public.Forecast").await.is_empty(), "the failed job wrote rows");

    // The fault fired once: the same push goes through now.
    let again = env.run(&push(file.to_str().unwrap(), &[])).await;
    assert_eq!(code(&again), 0, "{}", describe(&again));
    assert_eq!(stored(&env, "Version=public.Forecast").await.len(), 5);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_refusals_jobs_and_models() {
    let mut env = technical().await;
    let dir = tempfile::tempdir().unwrap();
    let ragged = dir.path().join("ragged.csv");
    std::fs::write(&ragged, format!("{HEADER}public.Plan,202701,P0001\n")).unwrap();
    let output = env.run(&["import", "push", "--model", "SALES_PLAN", "--file", ragged.to_str().unwrap()]).await;
    assert_eq!(code(&output), 2, "{}", describe(&output));
    let expected =
        format!("error: data file {}, line 2, column 4: the row has 3 fields, the header has 6", ragged.display());
    assert!(stderr(&output).contains(&expected), "{}", describe(&output));
    assert!(!stderr(&output).contains("configuration"), "a data file is not the configuration");
    let missing = env.run(&["import", "push", "--model", "SALES_PLAN", "--file", "/nonexistent.csv"]).await;
    assert_eq!(code(&missing), 2);
    let no_model = env.run(&["import", "push", "--model", "NOPE", "--file", ragged.to_str().unwrap()]).await;
    assert_eq!(code(&no_model), 4, "{}", describe(&no_model));
    let jobs = env.run(&["import", "jobs", "--output", "json"]).await;
    let jobs: Value = serde_json::from_slice(&jobs.stdout).unwrap();
    assert_eq!(jobs, json!([]), "failed pushes leave no jobs behind");

    let models = env.run(&["models", "list"]).await;
    assert_eq!(code(&models), 0);
    assert!(stdout(&models).starts_with("SALES_PLAN"));
    let show = env.run(&["models", "show", "t.G:SALES_PLAN"]).await;
    assert!(stdout(&show).contains("public.Forecast") && stdout(&show).contains("Amount"), "{}", describe(&show));
    for shown in ["import types: factData, privateFactData", "Update, Append, CleanAndReplace  (--method)"] {
        assert!(stdout(&show).contains(shown), "{shown}: {}", describe(&show));
    }
    assert!(stdout(&show).lines().any(|l| l.contains("Amount") && l.contains("decimal(31,7)")), "{}", describe(&show));
    assert!(stdout(&show).lines().any(|l| l.contains("Date") && l.contains("key") && l.contains("DATE")));

    env.admin("/emulator/faults", json!({"fail_runs": 1, "message": "write conflict"})).await;
    let file = dir.path().join("ok.csv");
    std::fs::write(&file, rows(5, "public.Plan", None)).unwrap();
    let failed = env
        .run(&["import", "push", "--model", "SALES_PLAN", "--file", file.to_str().unwrap(), "--output", "json"])
        .await;
    assert_eq!(code(&failed), 1, "{}", describe(&failed));
    let doc: Value = serde_json::from_slice(&failed.stdout).unwrap();
    assert_eq!(doc["error"], "write conflict");
    let job = doc["job_id"].as_str().unwrap().to_string();
    let status = env.run(&["import", "status", &job]).await;
    assert_eq!(code(&status), 1);
    assert!(stdout(&status).contains("FAILED"));
    assert_eq!(code(&env.run(&["import", "delete", &job]).await), 0);
    assert_eq!(code(&env.run(&["import", "status", &job]).await), 4);

    // A technical client without the Data Import Service access.
    let mut tenant = sac_emulator::Tenant::demo();
    tenant.clients[0].access = vec!["Data Export Service".into()];
    env.admin_api().load_tenant_toml(tenant.to_toml()).await;
    env.set("SACCTL_CACHE_DIR", dir.path().join("fresh-cache").to_str().unwrap());
    let refused = env.run(&["models", "list"]).await;
    assert_eq!(code(&refused), 3, "{}", describe(&refused));
    assert!(stderr(&refused).contains("3401") && stderr(&refused).contains("Access list"), "{}", describe(&refused));
}

#[tokio::test(flavor = "multi_thread")]
async fn pushed_rows_read_back_through_data_export_equal_the_valid_rows_despite_429_and_503() {
    let mut env = technical_with(sac_emulator::Config {
        clock: ClockMode::Polls { polls: 1 },
        export_page_size: 97,
        ..sac_emulator::Config::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plan.csv");
    let csv = rows(1000, "public.Plan", Some(40));
    std::fs::write(&file, &csv).unwrap();
    let push_args = push(file.to_str().unwrap(), &["--chunk-rows", "100", "--parallel", "3", "--warnings-ok"]);
    // A 503 to a chunk leaves its fate unknown: never sent again; the push
    // fails (exit 8) and deletes its job, so sending it all again is safe.
    env.admin(
        "/emulator/faults",
        json!({"path": "/api/v1/dataimport/jobs/", "method": "POST", "status": 503, "times": 1}),
    )
    .await;
    let failed = env.run(&push_args).await;
    assert_eq!(code(&failed), 8, "{}", describe(&failed));
    env.requests_clear().await;
    // 429s prove the chunks were refused: sent again. Three of them in all:
    // whichever upload meets them, it has the attempts to get through.
    env.set("SACCTL_RETRY_ATTEMPTS", "6");
    env.admin(
        "/emulator/faults",
        json!({"path": "/api/v1/dataimport/jobs/", "method": "POST", "status": 429, "retry_after": 0, "times": 3}),
    )
    .await;
    env.run_ok(&push_args).await;
    let out = dir.path().join("export.csv");
    env.run_ok(&[
        "export",
        "--model",
        "t.G:SALES_PLAN",
        "--filter",
        "Version eq 'public.Plan'",
        "--select",
        "Version,Date,Part,Country,Amount,Quantity",
        "--out",
        out.to_str().unwrap(),
    ])
    .await;
    let exported = std::fs::read_to_string(&out).unwrap();
    let mut lines = exported.lines();
    assert_eq!(lines.next().unwrap(), HEADER.trim_end());
    let got: std::collections::BTreeSet<&str> = lines.collect();
    let want: std::collections::BTreeSet<&str> = csv.lines().skip(1).filter(|l| !l.contains("P9999")).collect();
    assert_eq!(got.len(), 975);
    assert_eq!(got, want, "none lost, none doubled");
    let uploads = env
        .requests()
        .await
        .iter()
        .filter(|r| {
            r["path"].as_str().unwrap().starts_with("/api/v1/dataimport/jobs/")
                && r["method"] == "POST"
                && r["status"] == 201
                && !r["path"].as_str().unwrap().contains("/validate")
                && !r["path"].as_str().unwrap().contains("/run")
        })
        .count();
    assert_eq!(uploads, 10, "each chunk staged once");
}

#[tokio::test(flavor = "multi_thread")]
async fn without_an_api_domain_the_push_goes_through_the_browser_domain_with_csrf() {
    let mut env = technical().await;
    env.vars.retain(|(k, _)| k != "SACCTL_API_URL");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plan.csv");
    std::fs::write(&file, rows(300, "public.Plan", None)).unwrap();
    env.run_ok(&push(file.to_str().unwrap(), &["--chunk-rows", "100"])).await;
    assert_eq!(stored(&env, "Version=public.Plan").await.len(), 300);
    let requests = env.requests().await;
    assert!(requests.iter().all(|r| r["domain"] == "tenant"));
    assert_eq!(requests.iter().filter(|r| r["path"] == "/api/v1/csrf").count(), 1, "one CSRF fetch for the whole push");
    assert!(requests
        .iter()
        .filter(|r| r["method"] == "POST" && r["path"].as_str().unwrap().starts_with("/api/v1/dataimport"))
        .all(|r| r["csrf"] == "***"));
}

#[tokio::test(flavor = "multi_thread")]
async fn sacs_numbered_refusals_exit_by_class_with_hints() {
    let env = technical().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.csv");
    std::fs::write(&file, rows(20, "public.Plan", Some(1))).unwrap();
    let push = ["import", "push", "--model", "SALES_PLAN", "--file", file.to_str().unwrap()];
    // Every row invalid: SAC would refuse to run (1011), so nothing runs and the push failed.
    let all_bad = env.run(&push).await;
    assert_eq!(code(&all_bad), 1, "{}", describe(&all_bad));
    assert!(stdout(&all_bad).contains("all 20 rows are invalid: nothing was written"), "{}", describe(&all_bad));
    // A scope column the model does not have: SAC's 1004, a usage error with a hint.
    let bad_scope = env.run(&[&push[..], &["--method", "CleanAndReplace", "--scope", "Nope"]].concat()).await;
    assert_eq!(code(&bad_scope), 2, "{}", describe(&bad_scope));
    assert!(stderr(&bad_scope).contains("SAC error 1004"), "{}", describe(&bad_scope));
    assert!(stderr(&bad_scope).contains("sacctl models show"), "{}", describe(&bad_scope));
    let jobs = env.run(&["import", "jobs", "--output", "json"]).await;
    assert_eq!(serde_json::from_slice::<Value>(&jobs.stdout).unwrap(), json!([]), "no job left behind");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_job_is_sacs_1603_not_found_with_a_hint() {
    let env = technical().await;
    let unknown = "0b3c2a4e-5f60-4711-8a9b-0c1d2e3f4a5b";
    let status = env.run(&["import", "status", unknown]).await;
    assert_eq!(code(&status), 4, "{}", describe(&status));
    assert!(stderr(&status).contains("SAC error 1603"), "{}", describe(&status));
    assert!(stderr(&status).contains("no such job: check the job id"), "{}", describe(&status));
    assert!(stderr(&status).contains("sacctl import jobs"), "{}", describe(&status));
}

/// The peak resident memory (VmHWM, KiB) of process `pid` so far, while it lives.
fn peak_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_push_of_one_endless_line_stops_with_bounded_memory_exit_2_and_no_job_left() {
    let env = technical().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("corrupt.csv");
    let mut text = format!("{HEADER}public.Plan,202701,P0001,DE,").into_bytes();
    text.resize(text.len() + (5 << 20), b'7');
    std::fs::write(&file, text).unwrap();

    let child = env
        .command(&push(file.to_str().unwrap(), &[]))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id().unwrap();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watching = done.clone();
    let poll = tokio::spawn(async move {
        let mut peak = 0;
        while !watching.load(std::sync::atomic::Ordering::Relaxed) {
            peak = peak.max(peak_kib(pid).unwrap_or(0));
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        peak
    });
    let output = child.wait_with_output().await.unwrap();
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let peak = poll.await.unwrap();

    assert_eq!(code(&output), 2, "bad input (docs/exit-codes.md): {}", describe(&output));
    let expected =
        format!("data file {}, line 2, column 1: the record starting here is longer than 1 MiB", file.display());
    assert!(stderr(&output).contains(&expected), "{}", describe(&output));
    assert!(peak > 0 && peak < 64 << 10, "sacctl's peak memory was {peak} KiB");
    let jobs = env.run(&["import", "jobs", "--output", "json"]).await;
    let jobs: Value = serde_json::from_slice(&jobs.stdout).unwrap();
    assert_eq!(jobs, json!([]), "the stopped push deleted its job");
}
