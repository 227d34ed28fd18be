//! `sacctl import push` with the Data Import job settings as flags (SAP's guide, `fe6efb8a`), the
//! first rejection reasons in its report, and files with another delimiter, against the emulator.

use crate::common::*;
use sac_emulator::ClockMode;
use serde_json::Value;

const HEADER: &str = "Version,Date,Part,Country,Amount,Quantity\n";

async fn technical() -> Env {
    let mut env = setup_with(sac_emulator::Config { clock: ClockMode::Polls { polls: 1 }, ..Default::default() }).await;
    env.sign_in_as(Who::Technical);
    env
}

fn push<'a>(file: &'a str, more: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["import", "push", "--model", "SALES_PLAN", "--file", file, "--poll-interval", "100ms"];
    args.extend(more);
    args
}

async fn stored(env: &Env, filter: &str) -> Vec<Value> {
    env.admin_api().rows("t.G:SALES_PLAN", &format!("&{filter}")).await
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_first_rejection_reasons_are_in_the_report_and_the_json() {
    let env = technical().await;
    let dir = tempfile::tempdir().unwrap();
    // One row refused as it arrives (an amount that is no number), one at validation (no such part).
    let file = write(
        &dir,
        "facts.csv",
        &format!("{HEADER}public.Plan,202607,P0001,AT,5,1\npublic.Plan,202607,P0002,IN,lots,1\npublic.Plan,202607,P9999,US,7,1\n"),
    );
    let human = env.run(&push(&file, &[])).await;
    assert_eq!(code(&human), 6, "rejected rows: {}", describe(&human));
    let out = stdout(&human);
    assert!(out.contains("rejected rows:"), "{}", describe(&human));
    assert!(out.contains("P9999"), "the validation's reason with its row: {}", describe(&human));
    assert!(out.contains("lots"), "the arrival's refusal with its row: {}", describe(&human));

    let doc = json_doc(&env.run(&push(&file, &["--output", "json"])).await);
    let reasons = doc["first_rejections"].as_array().unwrap_or_else(|| panic!("{doc}"));
    assert_eq!(reasons.len(), 2, "{doc}");
    assert!(reasons.iter().all(|r| r["reason"].as_str().is_some_and(|s| !s.is_empty())), "{doc}");
    assert!(reasons.iter().any(|r| r["row"]["Part"] == "P9999"), "{doc}");
    assert_eq!(doc["rows_failed"], 2, "{doc}");
    assert_eq!(stored(&env, "Version=public.Plan").await.len(), 1);

    // --rejects-out holds both kinds too.
    let rejects = dir.path().join("rejects.csv");
    env.run(&push(&file, &["--rejects-out", rejects.to_str().unwrap()])).await;
    let text = std::fs::read_to_string(&rejects).unwrap();
    assert_eq!(text.lines().count(), 3, "{text}");
    assert!(
        text.contains("lots") && text.contains("P9999") && text.lines().next().unwrap().ends_with("_REJECTION_REASON")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_semicolon_file_gets_a_hint_and_reads_with_delimiter() {
    let env = technical().await;
    let dir = tempfile::tempdir().unwrap();
    let file =
        write(&dir, "semi.csv", "Version;Date;Part;Country;Amount;Quantity\npublic.Plan;202608;P0003;US;\"1,5\";2\n");
    let refused = env.run(&push(&file, &[])).await;
    assert_eq!(code(&refused), 2, "{}", describe(&refused));
    assert!(stderr(&refused).contains("--delimiter ';'"), "{}", describe(&refused));
    assert_eq!(stored(&env, "Version=public.Plan").await.len(), 0);

    let tabs = write(
        &dir,
        "tabs.tsv",
        "Version\tDate\tPart\tCountry\tAmount\tQuantity\npublic.Plan\t202608\tP0004\tCH\t3\t1\n",
    );
    let refused = env.run(&push(&tabs, &[])).await;
    assert_eq!(code(&refused), 2, "{}", describe(&refused));
    assert!(stderr(&refused).contains("--delimiter tab"), "{}", describe(&refused));

    env.run_ok(&push(&tabs, &["--delimiter", "tab"])).await;
    let rows = stored(&env, "Version=public.Plan").await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["Part"], "P0004");
}

#[tokio::test(flavor = "multi_thread")]
async fn no_execute_with_failed_rows_writes_nothing_when_a_row_is_invalid() {
    let env = technical().await;
    let dir = tempfile::tempdir().unwrap();
    let mixed = write(
        &dir,
        "mixed.csv",
        &format!("{HEADER}public.Plan,202607,P0001,AT,5,1\npublic.Plan,202607,P9999,US,7,1\n"),
    );
    let cancelled = env.run(&push(&mixed, &["--no-execute-with-failed-rows", "--output", "json"])).await;
    assert_eq!(code(&cancelled), 1, "SAC's 2903 (fe6efb8a): {}", describe(&cancelled));
    let doc = json_doc(&cancelled);
    assert!(doc["stopped"].as_str().is_some_and(|s| s.contains("2903")), "{doc}");
    assert_eq!(doc["rows_written"], 0, "{doc}");
    assert_eq!(stored(&env, "Version=public.Plan").await.len(), 0, "nothing written");
    let jobs = json_doc(&env.run(&["import", "jobs", "--output", "json"]).await);
    assert!(jobs.as_array().unwrap().iter().all(|j| j["status"] != "READY_FOR_WRITE"), "no open job left: {jobs}");

    // All rows valid: the setting changes nothing. The opposite flag is SAC's default.
    let valid = write(&dir, "valid.csv", &format!("{HEADER}public.Plan,202607,P0001,AT,5,1\n"));
    env.run_ok(&push(&valid, &["--no-execute-with-failed-rows"])).await;
    assert_eq!(stored(&env, "Version=public.Plan").await.len(), 1);
    let both = env.run(&push(&valid, &["--no-execute-with-failed-rows", "--execute-with-failed-rows"])).await;
    assert_eq!(code(&both), 2, "{}", describe(&both));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pivoted_file_is_written_one_row_per_pivot_column() {
    let env = technical().await;
    let dir = tempfile::tempdir().unwrap();
    let file = write(&dir, "pivot.csv", "Version,Part,Country,202609,202610,202611\npublic.Plan,P0005,BR,1,2,3\n");
    env.run_ok(&push(&file, &["--pivot", "4:Date:Amount"])).await;
    let mut rows = stored(&env, "Version=public.Plan").await;
    rows.sort_by_key(|r| r["Date"].as_str().unwrap_or_default().to_string());
    let got: Vec<(&str, &str)> =
        rows.iter().map(|r| (r["Date"].as_str().unwrap_or("?"), r["Amount"].as_str().unwrap_or("?"))).collect();
    assert_eq!(got, vec![("202609", "1"), ("202610", "2"), ("202611", "3")], "{rows:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn flags_are_checked_before_anything_is_sent() {
    let env = technical().await;
    let dir = tempfile::tempdir().unwrap();
    let file = write(&dir, "f.csv", &format!("{HEADER}public.Plan,202607,P0001,AT,5,1\n"));
    let json = write(&dir, "f.json", r#"[{"Version":"public.Plan"}]"#);
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (push(&file, &["--pivot", "3:Date"]), "START:KEY:VALUE"),
        (push(&file, &["--date-format", "Date=%Y%m"]), "DD/MM/YYYY"),
        (push(&file, &["--date-format", "Date=YYYYMM", "--type", "privateFactData"]), "factData jobs only"),
        (push(&file, &["--reverse-sign", "--type", "publicDimensionData"]), "masterFactData"),
        (push(&file, &["--delimiter", "ab"]), "one character"),
        (push(&json, &["--delimiter", ";"]), "CSV"),
        (push(&file, &["--clean-and-replace", "Version,Part", "--method", "Append"]), "--method"),
    ];
    for (args, says) in cases {
        let refused = env.run(&args).await;
        assert_eq!(code(&refused), 2, "{args:?}: {}", describe(&refused));
        assert!(stderr(&refused).contains(says), "{args:?}: {}", describe(&refused));
    }
    assert!(env.requests().await.iter().all(|r| !r["path"].as_str().unwrap_or_default().contains("dataimport")));
}

#[tokio::test(flavor = "multi_thread")]
async fn clean_and_replace_deletes_by_the_dimensions_given() {
    let env = technical().await;
    let dir = tempfile::tempdir().unwrap();
    let first =
        write(&dir, "a.csv", &format!("{HEADER}public.Plan,202607,P0001,AT,5,1\npublic.Plan,202608,P0002,IN,6,1\n"));
    env.run_ok(&push(&first, &[])).await;
    // Rows of P0001 (any date) are deleted before the new row is written; P0002 stays.
    let second = write(&dir, "b.csv", &format!("{HEADER}public.Plan,202609,P0001,AT,9,1\n"));
    env.run_ok(&push(&second, &["--clean-and-replace", "Version,Part"])).await;
    let mut rows: Vec<(String, String)> = stored(&env, "Version=public.Plan")
        .await
        .iter()
        .map(|r| (r["Part"].as_str().unwrap().to_string(), r["Date"].as_str().unwrap().to_string()))
        .collect();
    rows.sort();
    assert_eq!(rows, vec![("P0001".into(), "202609".into()), ("P0002".into(), "202608".into())]);
}

#[tokio::test(flavor = "multi_thread")]
async fn models_show_lists_the_settings_of_each_import_type_with_their_flags() {
    let env = technical().await;
    let show = env.run_ok(&["models", "show", "t.G:SALES_PLAN"]).await;
    let out = stdout(&show);
    // The guide limits dateFormats to factData (fe6efb8a): privateFactData's list lacks it.
    let section = |import_type: &str| -> String {
        let head = format!("  {import_type} job settings:");
        let mut lines = out.lines().skip_while(|l| !l.starts_with(&head));
        let first = lines.next().unwrap_or_else(|| panic!("no {head}: {out}"));
        let rest: Vec<&str> = lines.take_while(|l| l.starts_with("    ")).collect();
        format!("{first}\n{}", rest.join("\n"))
    };
    let fact = section("factData");
    assert!(fact.contains("dateFormats") && fact.contains("--date-format COL=FMT"), "{out}");
    assert!(fact.contains("--[no-]execute-with-failed-rows") && fact.contains("--pivot START:KEY:VALUE"), "{out}");
    let private = section("privateFactData");
    assert!(!private.contains("dateFormats") && private.contains("executeWithFailedRows"), "{out}");
    let doc = json_doc(&env.run_ok(&["models", "show", "t.G:SALES_PLAN", "--output", "json"]).await);
    assert!(doc["model"]["importTypes"][0]["availableJobSettings"]["executeWithFailedRows"].is_array(), "{doc}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_date_format_reads_the_files_dates() {
    let env = technical().await;
    let dir = tempfile::tempdir().unwrap();
    let file = write(&dir, "dates.csv", &format!("{HEADER}public.Plan,07.2026,P0006,FR,4,1\n"));
    env.run_ok(&push(&file, &["--date-format", "Date=MM.YYYY"])).await;
    let rows = stored(&env, "Version=public.Plan").await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["Date"], "202607", "{rows:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_currency_table_is_loaded_with_deleted_data_and_read_back_through_data_export() {
    let env = technical().await;
    let dir = tempfile::tempdir().unwrap();
    let rates = write(
        &dir,
        "rates.csv",
        "category;rateType;rateVersion;fromCurr;toCurr;validFromDate;rateValue\nActuals;Average;;JPY;USD;2026-01-01;0.0067\n",
    );
    let gone = write(
        &dir,
        "gone.csv",
        "category;rateType;rateVersion;fromCurr;toCurr;validFromDate\nActuals;Average;;GBP;USD;2026-01-01\n",
    );
    let args = [
        "import",
        "push",
        "--currency-table",
        "CPL_CURRENCY_RATES",
        "--file",
        &rates,
        "--delimiter",
        ";",
        "--deleted-data",
        &gone,
        "--poll-interval",
        "100ms",
        "--output",
        "json",
    ];
    let doc = json_doc(&env.run_ok(&args).await);
    assert_eq!(doc["target"], "currency conversion table", "{doc}");
    assert_eq!((doc["rows_written"].as_u64(), doc["rows_deleted"].as_u64()), (Some(1), Some(1)), "{doc}");

    let export = |filter: &str| {
        vec!["export", "--currency-table", "CPL_CURRENCY_RATES", "--filter", filter]
            .into_iter()
            .map(String::from)
            .collect::<Vec<_>>()
    };
    let jpy = env.run_ok(&export("fromCurr eq 'JPY'").iter().map(String::as_str).collect::<Vec<_>>()).await;
    assert!(stdout(&jpy).contains("0.0067"), "{}", describe(&jpy));
    let gbp = env
        .run_ok(&export("fromCurr eq 'GBP' and category eq 'Actuals'").iter().map(String::as_str).collect::<Vec<_>>())
        .await;
    assert_eq!(stdout(&gbp).lines().count(), 1, "only the header: the GBP rate was deleted: {}", describe(&gbp));

    // What a currency table does not take is refused before anything is sent.
    for (more, says) in [
        (vec!["--method", "Update"], "DeleteAndUpsert or DropAndInsert"),
        (vec!["--pivot", "2:A:B"], "--pivot is not a setting"),
        (vec!["--no-execute-with-failed-rows"], "not a setting of a currency conversion table job"),
    ] {
        let mut refused_args = vec!["import", "push", "--currency-table", "CPL_CURRENCY_RATES", "--file", &rates];
        refused_args.extend(more);
        let refused = env.run(&refused_args).await;
        assert_eq!(code(&refused), 2, "{}", describe(&refused));
        assert!(stderr(&refused).contains(says), "{}", describe(&refused));
    }
    let model_delete =
        env.run(&["import", "push", "--model", "SALES_PLAN", "--file", &rates, "--deleted-data", &gone]).await;
    assert_eq!(code(&model_delete), 2, "{}", describe(&model_delete));
}

#[tokio::test(flavor = "multi_thread")]
async fn unit_descriptions_are_loaded_into_t006a_with_deleted_data() {
    let env = technical().await;
    let dir = tempfile::tempdir().unwrap();
    let rows = write(&dir, "desc.csv", "SPRAS,MSEHI,MSEHT,MSEHL\nE,KG,kgs,Kilos\n");
    let gone = write(&dir, "gone.json", r#"{"DeletedData":[{"SPRAS":"D","MSEHI":"KG"}]}"#);
    let args = [
        "import",
        "push",
        "--unit-table",
        "T006A",
        "--type",
        "unitDescriptions",
        "--file",
        &rows,
        "--deleted-data",
        &gone,
        "--poll-interval",
        "100ms",
    ];
    let done = env.run_ok(&args).await;
    assert!(
        stdout(&done).contains("unit conversion table T006A") && stdout(&done).contains("1 rows deleted"),
        "{}",
        describe(&done)
    );
    let read = env.run_ok(&["export", "--unit-table", "T006A", "--filter", "MSEHI eq 'KG'"]).await;
    assert!(stdout(&read).contains("Kilos"), "{}", describe(&read));
    let german = env.run_ok(&["export", "--unit-table", "T006A", "--filter", "MSEHI eq 'KG' and SPRAS eq 'D'"]).await;
    assert_eq!(stdout(&german).lines().count(), 1, "only the header: deleted: {}", describe(&german));
}
