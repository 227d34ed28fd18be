//! Rows checked as they arrive (SAP help d9dc1eb6): the upload answer, what
//! is stored, and the caps of temporary storage.

use reqwest::Method;
use sac_emulator::{ClockMode, Config, ImportLimits};
use serde_json::{json, Value};

use crate::dataimport::{call, fact, new_job, DI};
use crate::support::*;

/// The guide's sample: one valid row, one with a column the model lacks and
/// no Part. Only the valid row is stored; validation and the run see one row.
#[tokio::test]
async fn an_upload_with_a_valid_and_an_invalid_row_stores_only_the_valid_one() {
    let emu = start_with(Config { clock: ClockMode::Immediate, ..Config::default() }).await;
    let token = emu.client_credentials_token().await;
    let job = new_job(&emu, &token, json!({})).await;
    let invalid = json!({"Version": "public.Actual", "Date": "202301", "Shop_Tienda": "SHP_01", "Country": "DE",
        "Amount": 100, "Quantity": 1});
    let rows = json!({"Data": [fact("public.Plan", "202607", "P0001", "DE", "5"), invalid]});
    let (status, answer) = call(&emu, &token, Method::POST, &format!("/jobs/{job}"), Some(rows)).await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["totalNumberRowsInCurrentRequest"], 2);
    assert_eq!(answer["upsertedNumberRows"], 1);
    assert_eq!(answer["failedNumberRows"], 1);
    assert_eq!(answer["totalNumberRowsInJob"], 1);
    let failed = &answer["failedRows"][0];
    assert_eq!(failed["row"]["Shop_Tienda"], "SHP_01", "the row as sent: {failed}");
    assert_eq!(
        failed["reason"],
        "Row has more column(s) than expected, Row is missing values for primary key(s) - Part"
    );
    let base = emu.api(&format!("{DI}/jobs/{job}"));
    assert_eq!(answer["validateJobURL"], format!("{base}/validate"));
    assert_eq!(answer["runJobURL"], format!("{base}/run"));

    // The refused row was never stored: validation sees one row, none invalid.
    let (_, validated) = call(&emu, &token, Method::POST, &format!("/jobs/{job}/validate"), None).await;
    assert_eq!(
        (validated["totalNumberRowsInJob"].as_u64(), validated["failedNumberRows"].as_u64()),
        (Some(1), Some(0))
    );
    let (_, invalid) = call(&emu, &token, Method::GET, &format!("/jobs/{job}/invalidRows"), None).await;
    assert_eq!(invalid["failedRows"], json!([]));
    let (_, done) = call(&emu, &token, Method::POST, &format!("/jobs/{job}/run"), None).await;
    assert_eq!(done["jobStatus"], "COMPLETED", "{done}");
    let rows: Value = emu.get("/emulator/models/t.G:SALES_PLAN/rows?limit=100&Date=202607").await.json().await.unwrap();
    assert_eq!(rows["rows"].as_array().map(Vec::len), Some(1), "{rows}");

    // A second request adds to the job's count; two valid rows, nothing refused.
    let job = new_job(&emu, &token, json!({})).await;
    let two = json!({"Data": [fact("public.Plan", "202608", "P0001", "DE", "1"), fact("public.Plan", "202608", "P0002", "DE", "1")]});
    let (_, first) = call(&emu, &token, Method::POST, &format!("/jobs/{job}"), Some(two.clone())).await;
    assert_eq!((first["failedRows"].clone(), first["totalNumberRowsInJob"].clone()), (json!([]), json!(2)));
    let (_, second) = call(&emu, &token, Method::POST, &format!("/jobs/{job}"), Some(two)).await;
    assert_eq!(second["totalNumberRowsInJob"], 4);
}

/// Temporary storage holds at most so many rows per job and for all jobs
/// together; a request past a cap is refused whole with SAC's 1205
/// (assumption) and stores nothing; a job that ends gives its rows back.
#[tokio::test]
async fn temporary_storage_is_capped_per_job_and_in_all_and_freed_when_a_job_ends() {
    let limits = ImportLimits { max_staged_rows_per_job: 3, max_staged_rows: 5, ..ImportLimits::default() };
    let emu = start_with(Config { clock: ClockMode::Immediate, import_limits: limits, ..Config::default() }).await;
    let token = emu.client_credentials_token().await;
    let rows = |n: usize, month: &str| json!({"Data": (1..=n).map(|i| fact("public.Plan", month, &format!("P000{i}"), "DE", "1")).collect::<Vec<_>>()});
    let refused = |(status, body): (reqwest::StatusCode, Value)| {
        assert_eq!((status.as_u16(), body["error"]["code"].as_str()), (400, Some("1205")), "{body}");
        body["error"]["message"].as_str().unwrap().to_string()
    };
    let a = new_job(&emu, &token, json!({})).await;
    let (status, _) = call(&emu, &token, Method::POST, &format!("/jobs/{a}"), Some(rows(2, "202601"))).await;
    assert_eq!(status, 201);
    let message = refused(call(&emu, &token, Method::POST, &format!("/jobs/{a}"), Some(rows(2, "202602"))).await);
    assert!(message.contains("at most 3 rows for one job"), "{message}");
    let (_, status_a) = call(&emu, &token, Method::GET, &format!("/jobs/{a}/status"), None).await;
    assert_eq!(status_a["additionalInformation"]["totalNumberRowsInJob"], "2", "the refused request stored nothing");

    let b = new_job(&emu, &token, json!({})).await;
    let (status, _) = call(&emu, &token, Method::POST, &format!("/jobs/{b}"), Some(rows(3, "202603"))).await;
    assert_eq!(status, 201);
    let c = new_job(&emu, &token, json!({})).await;
    let message = refused(call(&emu, &token, Method::POST, &format!("/jobs/{c}"), Some(rows(1, "202604"))).await);
    assert!(message.contains("at most 5 rows for all jobs together"), "{message}");

    // Job a runs and ends: its two rows leave temporary storage.
    let (_, done) = call(&emu, &token, Method::POST, &format!("/jobs/{a}/run"), None).await;
    assert_eq!(done["jobStatus"], "COMPLETED");
    let (status, answer) = call(&emu, &token, Method::POST, &format!("/jobs/{c}"), Some(rows(2, "202604"))).await;
    assert_eq!((status.as_u16(), answer["totalNumberRowsInJob"].as_u64()), (201, Some(2)), "{answer}");
    // A deleted job gives its rows back too.
    let (status, _) = call(&emu, &token, Method::DELETE, &format!("/jobs/{b}"), None).await;
    assert_eq!(status, 204);
    let (status, _) = call(&emu, &token, Method::POST, &format!("/jobs/{c}"), Some(rows(1, "202605"))).await;
    assert_eq!(status, 201);
}
