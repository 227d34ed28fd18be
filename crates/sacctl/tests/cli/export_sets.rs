//! `sacctl export` of the other Data Export namespaces against the emulator:
//! `--dimension` (public dimension members), `--currency-table`, `--unit-table`,
//! `--delimiter` and `--format jsonl`, with their refusals.

use crate::common::*;

#[tokio::test(flavor = "multi_thread")]
async fn a_public_dimension_by_bare_or_full_id_over_several_pages() {
    let env = technical_exporter().await;
    let bare = env.run_ok(&["export", "--dimension", "ZEPPART_001"]).await;
    let out = stdout(&bare);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "ID,Description,Country", "the set's $metadata order");
    assert_eq!(lines.len(), 90, "89 parts over pages of 7");
    assert!(lines[1].starts_with("P0001,"), "{}", lines[1]);
    let full = env.run_ok(&["export", "--dimension", "t.G:ZEPPART_001", "--filter", "Country eq 'AT'"]).await;
    assert!(stdout(&full).lines().skip(1).all(|l| l.ends_with(",AT")), "{}", stdout(&full));
    assert!(stdout(&full).lines().count() > 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_currency_table_with_a_delimiter_and_as_json_lines() {
    let env = technical_exporter().await;
    let csv = env
        .run_ok(&[
            "export",
            "--currency-table",
            "CPL_CURRENCY_RATES",
            "--delimiter",
            ";",
            "--orderby",
            "rateValue desc",
        ])
        .await;
    let out = stdout(&csv);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "rate;category;rateType;rateVersion;fromCurr;toCurr;validFrom;rateValue");
    assert_eq!(lines.len(), 8, "{out}");
    assert_eq!(lines[1], "t.G:CPL_CURRENCY_RATES;Actuals;Average;;GBP;USD;2026-01-01;1.268");

    let jsonl = env
        .run_ok(&[
            "export",
            "--currency-table",
            "t.G:CPL_CURRENCY_RATES",
            "--format",
            "jsonl",
            "--filter",
            "fromCurr eq 'ZAR'",
        ])
        .await;
    let out = stdout(&jsonl);
    let rows: Vec<serde_json::Value> =
        out.lines().map(|l| serde_json::from_str(l).expect("a JSON object per line")).collect();
    assert_eq!(rows.len(), 1, "{out}");
    assert_eq!(rows[0]["rateValue"], serde_json::json!(0.0535), "numbers stay numbers");
    assert_eq!(rows[0]["validFrom"], "2026-01-01");
    assert!(out.starts_with("{\"rate\":"), "the columns in their order: {out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn unit_tables_and_the_standard_view() {
    let env = technical_exporter().await;
    let t006 = env
        .run_ok(&["export", "--unit-table", "T006", "--select", "MSEHI,DIMID,ZAEHL", "--filter", "DIMID eq 'TIME'"])
        .await;
    let out = stdout(&t006);
    assert_eq!(out.lines().collect::<Vec<_>>(), ["MSEHI,DIMID,ZAEHL", "H,TIME,3600", "MIN,TIME,60", "S,TIME,1"]);
    let standard = env
        .run_ok(&[
            "export",
            "--unit-table",
            "StandardUnitConversion",
            "--format",
            "jsonl",
            "--filter",
            "Language eq 'de' and UnitOfMeasurement eq 'KG'",
        ])
        .await;
    let row: serde_json::Value = serde_json::from_str(stdout(&standard).trim()).unwrap();
    assert_eq!((row["GroupIDText"].as_str(), row["IsBaseUnitInGroup"].as_str()), (Some("Masse"), Some("X")));
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_targets_and_options_are_refused_with_a_reason() {
    let env = technical_exporter().await;
    let unknown = env.run(&["export", "--dimension", "NOPE"]).await;
    assert_ne!(code(&unknown), 0);
    let err = stderr(&unknown);
    assert!(err.contains("NOPE is not a provider of sac_public_dimensions") && err.contains("ZEPPART_001"), "{err}");
    assert!(stdout(&unknown).is_empty());

    let full = env.run(&["export", "--currency-table", "t.G:NOPE"]).await;
    assert_ne!(code(&full), 0);
    assert!(stderr(&full).contains("[1204]"), "{}", describe(&full));

    let two = env.run(&["export", "--model", "SALES_PLAN", "--dimension", "ZEPPART_001"]).await;
    assert_eq!(code(&two), 2, "{}", describe(&two));
    let none = env.run(&["export", "--filter", "x eq 'y'"]).await;
    assert_eq!(code(&none), 2, "{}", describe(&none));
    let table = env.run(&["export", "--unit-table", "T999"]).await;
    assert_eq!(code(&table), 2, "{}", describe(&table));

    let wide = env.run(&["export", "--model", "SALES_PLAN", "--delimiter", "::"]).await;
    assert_eq!(code(&wide), 2, "{}", describe(&wide));
    assert!(stderr(&wide).contains("one ASCII character"), "{}", describe(&wide));
    let jsonl = env.run(&["export", "--model", "SALES_PLAN", "--format", "jsonl", "--delimiter", ";"]).await;
    assert_eq!(code(&jsonl), 2, "{}", describe(&jsonl));
    assert!(stderr(&jsonl).contains("--delimiter is for CSV"), "{}", describe(&jsonl));

    let order = env.run(&["export", "--unit-table", "T006", "--orderby", "MSEHI sideways"]).await;
    assert_eq!(code(&order), 2, "{}", describe(&order));
    assert!(stderr(&order).contains("[1405]") && stderr(&order).contains("asc or desc only"), "{}", describe(&order));
    let select = env.run(&["export", "--currency-table", "CPL_CURRENCY_RATES", "--select", "colour"]).await;
    assert_eq!(code(&select), 2, "{}", describe(&select));
    assert!(
        stderr(&select).contains("[1401]") && stderr(&select).contains("without --select"),
        "{}",
        describe(&select)
    );
}
