//! `sacctl export` against the emulator: columns in the model's order,
//! `--filter`, `--select` and `--orderby` passed through as OData, and
//! SAC's refusals explained.

use crate::common::*;

const MODEL_ORDER: &str = "Version,Date,Part,Country,Amount,Quantity";

#[tokio::test(flavor = "multi_thread")]
async fn columns_in_the_model_order_with_filter_and_orderby_passed_through() {
    let env = technical_exporter().await;
    let all = env.run_ok(&["export", "--model", "SALES_PLAN"]).await;
    let out = stdout(&all);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], MODEL_ORDER, "the model's order, not alphabetical");
    assert_eq!(lines.len(), 61, "60 rows over pages of 7");

    let ordered = env
        .run_ok(&[
            "export",
            "--model",
            "t.G:SALES_PLAN",
            "--filter",
            "Date eq '202601' or (Date eq '202602' and not startswith(Part,'P000'))",
            "--orderby",
            "Date desc,Part",
        ])
        .await;
    let out = stdout(&ordered);
    let lines: Vec<&str> = out.lines().skip(1).collect();
    assert_eq!(lines.len(), 11, "ten of January, P0010 of February:\n{out}");
    assert!(lines[0].starts_with("public.Actual,202602,P0010,"), "{}", lines[0]);
    assert!(lines[1].starts_with("public.Actual,202601,P0001,"), "{}", lines[1]);

    let selected = env
        .run_ok(&[
            "export",
            "--model",
            "SALES_PLAN",
            "--select",
            "Part,Version,Date,Country,Amount",
            "--filter",
            "Part eq 'P0003'",
        ])
        .await;
    let out = stdout(&selected);
    assert_eq!(out.lines().next(), Some("Part,Version,Date,Country,Amount"), "--select's own order");
    assert_eq!(out.lines().count(), 7);
}

#[tokio::test(flavor = "multi_thread")]
async fn refusals_are_explained() {
    let env = technical_exporter().await;
    let partial = env.run(&["export", "--model", "SALES_PLAN", "--select", "Part,Amount"]).await;
    assert_eq!(code(&partial), 2, "{}", describe(&partial));
    let err = stderr(&partial);
    assert!(err.contains("[1402]") && err.contains("every dimension"), "{err}");
    assert!(stdout(&partial).is_empty(), "no header for a refused query");

    let syntax = env.run(&["export", "--model", "SALES_PLAN", "--filter", "Version eq"]).await;
    assert_eq!(code(&syntax), 2, "{}", describe(&syntax));
    let err = stderr(&syntax);
    assert!(err.contains("--filter") && err.contains("single quotes"), "{err}");

    let order = env.run(&["export", "--model", "SALES_PLAN", "--orderby", "Bogus desc"]).await;
    assert_eq!(code(&order), 2, "{}", describe(&order));
    assert!(stderr(&order).contains("Bogus"), "{}", describe(&order));

    let missing = env.run(&["export", "--model", "NOPE"]).await;
    assert_ne!(code(&missing), 0);
    assert!(stderr(&missing).contains("sacctl models list"), "{}", describe(&missing));
}
