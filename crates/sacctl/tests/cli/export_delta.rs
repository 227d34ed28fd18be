//! `sacctl export --delta NAME` against a real emulator process on a
//! `--data-dir`: a full load, writes by several writers (Data Import pushes
//! with Update, Append and CleanAndReplace, a legacy schedule run, a multi
//! action that copies a version), an emulator restart, deltas, and a
//! `kill -9` of sacctl in the middle of a delta read followed by a rerun.
//! The full load with every delta applied in order must equal a fresh full
//! export, row for row: no change lost, none repeated.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sac_testkit::demo::{MULTI_ACTION_ID, SCHEDULE_ID};
use serde_json::{json, Value};
use tokio::process::Command;

use crate::common::*;

const KEYS: [&str; 4] = ["Version", "Date", "Part", "Country"];

struct Delta {
    emu: EmulatorProcess,
    home: tempfile::TempDir,
    state: PathBuf,
}

impl Delta {
    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::from(sacctl_in(self.home.path()));
        cmd.envs(profile(&self.emu.urls, Who::Planner))
            .env("SACCTL_STATE_DIR", &self.state)
            .env("SACCTL_RETRY_ATTEMPTS", "3")
            .args(args)
            .kill_on_drop(true);
        cmd
    }

    async fn run_ok(&self, args: &[&str]) -> std::process::Output {
        let output = self.command(args).output().await.unwrap();
        assert_eq!(code(&output), 0, "sacctl {}: {}", args.join(" "), describe(&output));
        output
    }

    fn file(&self, name: &str) -> PathBuf {
        self.home.path().join(name)
    }

    async fn delta(&self, out: &str) -> Value {
        let out = self.file(out);
        let args = ["export", "--model", "SALES_PLAN", "--delta", "nightly", "--out", out.to_str().unwrap()];
        json_doc(&self.run_ok(&[&args[..], &["--output", "json"]].concat()).await)
    }

    async fn push(&self, name: &str, csv: &str, more: &[&str]) {
        let file = self.file(name);
        std::fs::write(&file, csv).unwrap();
        let args =
            ["import", "push", "--model", "SALES_PLAN", "--file", file.to_str().unwrap(), "--poll-interval", "100ms"];
        self.run_ok(&[&args[..], more].concat()).await;
    }

    fn next_subscription(&self) -> String {
        let state: Value = serde_json::from_str(
            &std::fs::read_to_string(self.state.join("subscriptions").join("nightly.json")).unwrap(),
        )
        .unwrap();
        state["next"].as_str().unwrap().to_string()
    }
}

/// The rows of a CSV file by key: column -> cell.
fn read_csv(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
    reader.records().map(|r| header.iter().cloned().zip(r.unwrap().iter().map(str::to_string)).collect()).collect()
}

fn key(row: &BTreeMap<String, String>) -> String {
    KEYS.map(|k| row[k].clone()).join("|")
}

/// Applies a delta file to `copy`; how many lines it changed and deleted.
fn apply(copy: &mut BTreeMap<String, BTreeMap<String, String>>, path: &Path) -> (usize, usize) {
    let (mut changed, mut deleted) = (0, 0);
    for mut row in read_csv(path) {
        match row.remove("_DELTA").as_deref() {
            Some("upsert") => {
                changed += 1;
                copy.insert(key(&row), row);
            }
            Some("delete") => {
                deleted += 1;
                assert!(copy.remove(&key(&row)).is_some(), "a deleted key was never exported: {row:?}");
            }
            other => panic!("a line without _DELTA: {other:?} {row:?}"),
        }
    }
    (changed, deleted)
}

#[tokio::test(flavor = "multi_thread")]
async fn deltas_over_every_writer_a_restart_and_a_killed_run_add_up_to_a_fresh_export() {
    let data = tempfile::tempdir().unwrap();
    let emu = EmulatorProcess::start_in(SACCTL, data.path(), ["--job-duration", "0s", "--export-page-size", "7"]);
    let home = tempfile::tempdir().unwrap();
    let state = home.path().join("state");
    let mut env = Delta { emu, home, state };

    // 1. The first run reads everything and opens the chain.
    let full = env.delta("full.csv").await;
    assert_eq!((full["subscription"].clone(), full["initial"].clone()), (json!("nightly"), json!(true)), "{full}");
    assert!(full["changed"].as_u64().unwrap() >= 60, "{full}");
    let mut copy: BTreeMap<_, _> = BTreeMap::new();
    let (loaded, none) = apply(&mut copy, &env.file("full.csv"));
    assert_eq!((loaded as u64, none), (full["changed"].as_u64().unwrap(), 0));

    // 2. Writers: Update (a change and a new fact), Append, a legacy schedule run
    //    (master data only: no fact changes), a multi action copying Actual into
    //    Plan (deletes and inserts facts), CleanAndReplace (deletes a part's facts).
    let header = "Version,Date,Part,Country,Amount,Quantity\n";
    env.push(
        "update.csv",
        &format!("{header}public.Actual,202601,P0001,DE,999,9\npublic.Forecast,202601,P0001,DE,5,1\n"),
        &[],
    )
    .await;
    env.push("append.csv", &format!("{header}public.Forecast,202601,P0001,DE,1,1\n"), &["--method", "Append"]).await;
    env.run_ok(&["schedule", "run", SCHEDULE_ID, "--model", "t.G:ZEPPART_001", "--wait", "--poll-interval", "100ms"])
        .await;
    let multi_action = format!("t.G:{MULTI_ACTION_ID}");
    env.run_ok(&[
        "multiaction",
        "run",
        &multi_action,
        "--param",
        "TargetVersion=public.Plan",
        "--wait",
        "--poll-interval",
        "100ms",
    ])
    .await;
    env.push(
        "replace.csv",
        &format!("{header}public.Actual,202612,P0002,DE,7,1\n"),
        &["--method", "CleanAndReplace", "--scope", "Version,Part"],
    )
    .await;
    // The change log lives in the data directory with the facts.
    env.emu.restart();

    // 3. The delta: every change once.
    let d1 = env.delta("d1.csv").await;
    assert_eq!(d1["initial"], false, "{d1}");
    let (changed, deleted) = apply(&mut copy, &env.file("d1.csv"));
    assert_eq!((changed as u64, deleted as u64), (d1["changed"].as_u64().unwrap(), d1["deleted"].as_u64().unwrap()));
    assert!(changed >= 3 && deleted >= 1, "{d1}");

    // 4. More changes than one page holds, then a run killed (-9) mid-read: its
    //    second page is held back until it is dead.
    let rows: String = (1..=20).map(|i| format!("public.Forecast,2026{:02},P{i:04},DE,{i},1\n", i % 12 + 1)).collect();
    env.push("more.csv", &format!("{header}{rows}"), &[]).await;
    let pending = env.next_subscription();
    let admin = env.emu.admin();
    admin.clear_requests().await;
    admin
        .fault(&json!({
            "path": format!("/api/v1/dataexport/providers/sac/SALES_PLAN/FactData?deltaid={pending}&"),
            "method": "GET", "delay_ms": 600_000
        }))
        .await;
    let out = env.file("d2.csv");
    let mut killed = env
        .command(&["export", "--model", "SALES_PLAN", "--delta", "nightly", "--out", out.to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let first_page = format!("deltaid={pending}");
    loop {
        let requests = admin.requests().await;
        let read = requests.iter().any(|r| r["query"].as_str() == Some(first_page.as_str()) && r["status"] == 200);
        if read && env.file(".d2.csv.partial").exists() {
            break;
        }
        assert!(Instant::now() < deadline, "sacctl never read the first page: {requests:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    killed.kill().await.unwrap();
    assert!(!out.exists(), "a killed run leaves no output file");
    assert_eq!(env.next_subscription(), pending, "a killed run does not move the chain on");
    admin.clear_faults().await;

    // 5. The rerun reads the same changes, once.
    let d2 = env.delta("d2.csv").await;
    assert_eq!(d2["subscription_id"], pending.as_str(), "{d2}");
    assert_eq!((d2["changed"].clone(), d2["deleted"].clone()), (json!(20), json!(0)), "{d2}");
    apply(&mut copy, &out);
    assert!(!env.file(".d2.csv.partial").exists());

    // 6. The union equals a fresh full export, row for row.
    let fresh = env.file("fresh.csv");
    env.run_ok(&["export", "--model", "SALES_PLAN", "--out", fresh.to_str().unwrap()]).await;
    let fresh: BTreeMap<String, BTreeMap<String, String>> =
        read_csv(&fresh).into_iter().map(|r| (key(&r), r)).collect();
    assert_eq!(copy.len(), fresh.len());
    for (k, row) in &fresh {
        assert_eq!(copy.get(k), Some(row), "{k}");
    }
    assert_eq!(fresh["public.Forecast|202601|P0001|DE"]["Amount"], "6", "Update 5, then Append 1");

    // 7. Listing and deletion of the named subscription.
    let listed = json_doc(&env.run_ok(&["export", "subscriptions", "list", "--output", "json"]).await);
    assert_eq!(listed["subscriptions"][0]["subscription"], "nightly", "{listed}");
    assert_eq!(listed["subscriptions"][0]["model"], "SALES_PLAN");
    env.run_ok(&["export", "subscriptions", "delete", "nightly"]).await;
    let listed = json_doc(&env.run_ok(&["export", "subscriptions", "list", "--output", "json"]).await);
    assert_eq!(listed["subscriptions"], json!([]));
    let gone = env.command(&["export", "subscriptions", "delete", "nightly"]).output().await.unwrap();
    assert_eq!(code(&gone), 4, "{}", describe(&gone));
    env.emu.kill();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_delta_name_follows_one_model_and_filter_and_needs_a_file() {
    let data = tempfile::tempdir().unwrap();
    let emu = EmulatorProcess::start_in(SACCTL, data.path(), ["--job-duration", "0s"]);
    let home = tempfile::tempdir().unwrap();
    let state = home.path().join("state");
    let mut env = Delta { emu, home, state };
    let no_file = env.command(&["export", "--model", "SALES_PLAN", "--delta", "x"]).output().await.unwrap();
    assert_eq!(code(&no_file), 2, "{}", describe(&no_file));
    let bad =
        env.command(&["export", "--model", "SALES_PLAN", "--delta", "../x", "--out", "o.csv"]).output().await.unwrap();
    assert_eq!(code(&bad), 2, "{}", describe(&bad));
    assert!(stderr(&bad).contains("not a subscription name"), "{}", describe(&bad));
    env.delta("first.csv").await;
    let out = env.file("other.csv");
    let other = env
        .command(&[
            "export",
            "--model",
            "SALES_PLAN",
            "--filter",
            "Version eq 'public.Plan'",
            "--delta",
            "nightly",
            "--out",
            out.to_str().unwrap(),
        ])
        .output()
        .await
        .unwrap();
    assert_eq!(code(&other), 2, "{}", describe(&other));
    assert!(stderr(&other).contains("follows model SALES_PLAN"), "{}", describe(&other));

    // The chain deleted in SAC behind sacctl's back: exit 4 with how to start over.
    let token = sac_testkit::access_token(
        &env.emu.urls.token_url,
        sac_testkit::demo::USER_CLIENT,
        &[("grant_type", "password"), ("username", "JDOE"), ("password", sac_testkit::demo::PASSWORD)],
    )
    .await;
    let all_of = "administration/Subscriptions(NamespaceID='sac',ProviderID='SALES_PLAN',SubscriptionID='')";
    let deleted = reqwest::Client::new()
        .delete(format!("{}/api/v1/dataexport/{all_of}", env.emu.urls.api_url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    let gone = env.command(&["export", "--model", "SALES_PLAN", "--delta", "nightly", "--out", out.to_str().unwrap()]);
    let gone = { gone }.output().await.unwrap();
    assert_eq!(code(&gone), 4, "{}", describe(&gone));
    assert!(stderr(&gone).contains("export subscriptions delete nightly"), "{}", describe(&gone));
    env.emu.kill();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_chain_step_with_delta_writes_the_full_load_then_only_changes() {
    let mut env = setup(sac_emulator::ClockMode::Immediate).await;
    let state = env.home.path().join("state");
    env.set("SACCTL_STATE_DIR", state.to_str().unwrap());
    let chain = env.home.path().join("delta.toml");
    std::fs::write(
        &chain,
        "[step.changes]\nkind = \"export\"\nmodel = \"SALES_PLAN\"\nout = \"changes.csv\"\ndelta = \"chained\"\n",
    )
    .unwrap();
    let first = json_doc(&env.run_ok(&["chain", "run", chain.to_str().unwrap(), "--output", "json"]).await);
    let result = &first["steps"][0]["result"];
    assert_eq!(
        (result["subscription"].clone(), result["initial"].clone(), result["changed"].clone()),
        (json!("chained"), json!(true), json!(60)),
        "{first}"
    );
    let second = json_doc(&env.run_ok(&["chain", "run", chain.to_str().unwrap(), "--output", "json"]).await);
    let result = &second["steps"][0]["result"];
    assert_eq!(
        (result["initial"].clone(), result["changed"].clone(), result["deleted"].clone()),
        (json!(false), json!(0), json!(0)),
        "{second}"
    );
    let csv = std::fs::read_to_string(env.home.path().join("changes.csv")).unwrap();
    assert_eq!(csv, "Version,Date,Part,Country,Amount,Quantity,_DELTA\n");
}
