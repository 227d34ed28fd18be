//! The examples quoted in the API reference parse into our types, and our
//! types write them back with the same fields (no field lost or renamed).

use sac_types::error::ApiErrorBody;
use sac_types::legacy::{
    Envelope, ErrorBody, RunScheduledJobData, RunScheduledJobRequest, RunStatus, Schedule, ScheduleLogsRequest,
};
use sac_types::oauth::{OAuthError, TokenResponse};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Parses the fixture as `T`, writes it back, and checks that every field of
/// the fixture survives with the same value.
fn round_trip<T: DeserializeOwned + Serialize>(name: &str) -> T {
    let original = fixture(name);
    let parsed: T = serde_json::from_value(original.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
    let written = serde_json::to_value(&parsed).unwrap();
    assert_subset(&original, &written, name);
    parsed
}

fn assert_subset(expected: &Value, actual: &Value, at: &str) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, v) in e {
                let got = a.get(k).unwrap_or_else(|| panic!("{at}.{k} missing after round trip"));
                assert_subset(v, got, &format!("{at}.{k}"));
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            assert_eq!(e.len(), a.len(), "{at}: array length");
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                assert_subset(ev, av, &format!("{at}[{i}]"));
            }
        }
        _ => assert_eq!(expected, actual, "{at}"),
    }
}

#[test]
fn token_response() {
    let t: TokenResponse = round_trip("oauth_token_client_credentials.json");
    assert_eq!(t.token_type, "bearer");
    assert_eq!(t.expires_in, 3599);
    assert!(t.refresh_token.is_none());
    assert!(!format!("{t:?}").contains("eyJ0"), "Debug must not print the token");
}

#[test]
fn oauth_error() {
    let e: OAuthError = round_trip("oauth_error_invalid_client.json");
    assert_eq!(e.error, "invalid_client");
}

#[test]
fn schedule_logs_request() {
    let r: ScheduleLogsRequest = round_trip("legacy_get_schedule_logs_request.json");
    assert_eq!(r.model_name, "t.G:ZEPPART_001");
    assert!(r.mapping_id.is_empty());
}

#[test]
fn run_request_accepts_the_seeds_name_field() {
    let r: RunScheduledJobRequest = serde_json::from_value(fixture("legacy_run_scheduled_job_request.json")).unwrap();
    assert_eq!(r.schedule_id, "F58CA15F78AA9039E200586F05E2BB93");
    assert_eq!(r.mapping_id.as_deref(), Some("F48CA15F78AA9039E200586F05E2BB93"));
    let by_schedule_id: RunScheduledJobRequest = serde_json::from_str(r#"{"scheduleId":"S","mappingId":"M"}"#).unwrap();
    assert_eq!(by_schedule_id.schedule_id, "S");
}

#[test]
fn run_response() {
    let r: Envelope<RunScheduledJobData> = round_trip("legacy_run_scheduled_job_response.json");
    assert_eq!(r.status, 200);
}

#[test]
fn schedule_logs_response() {
    let r: Envelope<Vec<Schedule>> = round_trip("legacy_get_schedule_logs_response.json");
    let log = &r.data[0].refresh_logs[0];
    assert_eq!(log.status, RunStatus::Succeeded);
    assert_eq!(log.wrangling_and_update_result.data.inserted_count, 89);
}

#[test]
fn unknown_run_status_codes_are_kept() {
    let s: RunStatus = serde_json::from_str("42").unwrap();
    assert_eq!(s, RunStatus::Other(42));
    assert_eq!(serde_json::to_string(&s).unwrap(), "42");
    assert!(s.is_terminal());
    assert!(!RunStatus::Running.is_terminal());
}

#[test]
fn error_3000() {
    let e: ErrorBody = round_trip("legacy_error_3000.json");
    assert_eq!(e.error_code, Some(3000));
}

#[test]
fn api_error() {
    let e: ApiErrorBody = round_trip("api_error.json");
    assert_eq!(e.error.code, "3401");
}

#[test]
fn multi_action_shapes_from_sap_help() {
    use sac_types::multiaction::{ExecutionRequest, ExecutionStatus, MultiActionStatus};
    let ok: ExecutionStatus = round_trip("multiaction_status_successful.json");
    assert_eq!(ok.status, MultiActionStatus::Successful);
    let failed: ExecutionStatus = round_trip("multiaction_status_failed.json");
    assert_eq!(failed.status, MultiActionStatus::Failed);
    assert_eq!(failed.execution_result.messages[0].code, "501000515");
    assert_eq!(failed.execution_result.messages[0].details[0]["parameterId"], "TargetVersion");
    let request: ExecutionRequest = round_trip("multiaction_request.json");
    assert_eq!(request.parameter_values[0].value.member_ids, vec!["public.Plan"]);
    let other: MultiActionStatus = serde_json::from_str("\"paused\"").unwrap();
    assert!(other.is_terminal() && other.as_str() == "paused");
}

#[test]
fn data_import_shapes_from_sap_help() {
    use sac_types::dataimport::{CreateJob, InvalidRows, ValidateResult, REJECTION_REASON};
    let v: ValidateResult = round_trip("dataimport_validate.json");
    assert_eq!(v.job_status.as_str(), "READY_FOR_WRITE");
    assert_eq!(v.total_number_rows_in_job, 1000);
    let rows: InvalidRows = round_trip("dataimport_invalid_rows.json");
    assert_eq!(rows.failed_rows[0][REJECTION_REASON], "Invalid column value for: Date");
    let create: CreateJob = round_trip("dataimport_create_job.json");
    let settings = create.job_settings.unwrap();
    assert_eq!(settings.import_method.as_deref(), Some("CleanAndReplace"));
    assert_eq!(settings.dimension_scope.unwrap(), vec!["Version", "Bicycle"]);
    assert_eq!(create.mapping.unwrap()["Bicycle"], "Bike");
}

#[test]
fn data_import_model_detail_as_sap_documents_it() {
    // SAP help ed2baf9c (its `{…}` job settings written as `{}`; no modelID in SAP's sample).
    let m: sac_types::dataimport::ModelDetail = round_trip("dataimport_model.json");
    assert_eq!(m.import_type_names(), vec!["factData", "masterData", "masterFactData", "privateFactData"]);
    assert_eq!(m.import_type_urls["factData"], "{BaseURL}/models/modelA/factData");
    assert_eq!(m.metadata_url.as_deref(), Some("{BaseURL}/models/modelA/metadata"));
    assert_eq!(m.versions[1].id, "private.businessUser.privateVersion");
}

#[test]
fn data_import_column_metadata_as_the_datahub_connector_reads_it() {
    let sets: std::collections::BTreeMap<String, sac_types::dataimport::ColumnSet> =
        round_trip("dataimport_metadata.json");
    let columns = &sets["factData"].columns;
    assert_eq!(columns[1].property_type.as_deref(), Some("DATE"));
    assert_eq!((columns[3].precision, columns[3].scale), (Some(31), Some(7)));
    assert_eq!(columns[0].description_name.as_deref(), Some("Account"));
}
