//! The Monitoring API (SAP help "api/v1/monitoring", page hash 3e7214f8):
//! the `dataManagement` statistics as CSV, one line per run of the demo
//! schedule, with SAP's query parameters; `planningDataAction`, one line per
//! data action execution; the other models; who may read them, and refusals.

use reqwest::StatusCode;
use sac_testkit::demo::{HISTORY_RUN_ID, PLANNER};
use serde_json::Value;

use crate::support::*;

const PATH: &str = "/api/v1/monitoring/dataManagement";
const HEADER: [&str; 14] = [
    "type",
    "fileName",
    "description",
    "userName",
    "status",
    "activity",
    "timestamp",
    "executionId",
    "scheduleId",
    "target",
    "endTime",
    "allCount",
    "insertedCount",
    "rejectedCount",
];

/// A CSV answer: its header and its lines as column → value.
struct Statistics {
    header: Vec<String>,
    lines: Vec<std::collections::HashMap<String, String>>,
}

impl Statistics {
    fn column(&self, name: &str) -> Vec<&str> {
        self.lines.iter().map(|l| l[name].as_str()).collect()
    }
}

async fn get(emu: &Emu, token: &str, path_and_query: &str) -> reqwest::Response {
    emu.http.get(emu.api(path_and_query)).bearer_auth(token).send().await.unwrap()
}

/// The statistics at `PATH` followed by `query`, or at `query` when it is a path.
async fn statistics(emu: &Emu, token: &str, query: &str) -> Statistics {
    let target = if query.starts_with('/') { query.to_string() } else { format!("{PATH}{query}") };
    let response = get(emu, token, &target).await;
    assert_eq!(response.status(), 200, "{query}");
    assert_eq!(response.headers()["content-type"], "text/csv; charset=utf-8");
    let text = response.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let lines =
        reader.records().map(|r| header.iter().cloned().zip(r.unwrap().iter().map(String::from)).collect()).collect();
    Statistics { header, lines }
}

/// The refusal's status and `error.code`.
async fn refusal(response: reqwest::Response) -> (StatusCode, String) {
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    (status, body["error"]["code"].as_str().unwrap_or_default().to_string())
}

fn status_word(code: &Value) -> &'static str {
    match code.as_i64().unwrap() {
        1 => "SUCCEEDED",
        2 => "SUCCEEDED_WITH_REJECTS",
        3 => "CANCELLED",
        4 => "STOPPED",
        5 => "RUNNING",
        _ => "FAILED",
    }
}

#[tokio::test]
async fn data_management_statistics_are_the_schedule_runs_with_paging_sorting_and_refusals() {
    let emu = start().await;
    let token = emu.password_token(PLANNER).await;
    let session = emu.csrf_fetch(&token).await;
    for _ in 0..2 {
        assert_eq!(emu.run_schedule(&token, &session).await.status(), 200);
    }
    let runs = emu.schedule_logs(&token, &session).await["data"][0]["refreshLogs"].as_array().unwrap().clone();
    assert_eq!(runs.len(), 3, "the seeded run and two new ones");

    // Every run, newest first, each line what the schedule's logs say of it.
    let all = statistics(&emu, &token, "").await;
    assert_eq!(all.header, HEADER);
    let ids: Vec<&str> = runs.iter().map(|r| r["executionId"].as_str().unwrap()).collect();
    assert_eq!(all.column("executionId"), ids);
    for (line, run) in all.lines.iter().zip(&runs) {
        assert_eq!(line["type"], "bpcDataImport");
        assert_eq!(line["fileName"], "ZEPPART");
        assert_eq!(line["activity"], "ZW2_IMPORT ZEPPART");
        assert_eq!(line["scheduleId"], SCHEDULE);
        assert_eq!(line["target"], MODEL);
        assert_eq!(line["userName"], run["user"].as_str().unwrap());
        assert_eq!(line["timestamp"], run["startTime"].as_str().unwrap());
        assert_eq!(line["endTime"], run["endTime"].as_str().unwrap());
        assert_eq!(line["status"], status_word(&run["status"]));
        let counts = &run["wranglingAndUpdateResult"]["data"];
        for (column, field) in
            [("allCount", "allCount"), ("insertedCount", "insertedCount"), ("rejectedCount", "rejectedCount")]
        {
            assert_eq!(line[column], counts[field].to_string(), "{column}");
        }
        assert!(line["description"].contains(" rows read, "), "{}", line["description"]);
    }
    assert_eq!(all.lines[2]["executionId"], HISTORY_RUN_ID);
    assert_eq!(all.lines[2]["timestamp"], "2020-11-13T09:15:02Z");

    // Ascending; paging; a page past the end has the header only.
    let ascending = statistics(&emu, &token, "?sortDescending=FALSE").await;
    assert_eq!(ascending.column("executionId"), ids.iter().rev().copied().collect::<Vec<_>>());
    let second = statistics(&emu, &token, "?pageSize=2&pageIndex=2").await;
    assert_eq!(second.column("executionId"), [HISTORY_RUN_ID]);
    let first = statistics(&emu, &token, "?pageSize=2&pageIndex=1&sortDescending=false").await;
    assert_eq!(first.column("executionId"), [HISTORY_RUN_ID, ids[1]]);
    let past = statistics(&emu, &token, "?pageSize=2&pageIndex=3").await;
    assert_eq!((past.header.len(), past.lines.len()), (14, 0));

    // from/till on the start; another sort key.
    let recent = statistics(&emu, &token, "?from=2021-01-01T00:00:00.000Z").await;
    assert_eq!(recent.column("executionId"), ids[..2]);
    let old = statistics(&emu, &token, "?till=2020-11-13T09:15:02Z").await;
    assert_eq!(old.column("executionId"), [HISTORY_RUN_ID]);
    let by_user = statistics(&emu, &token, "?sortKey=userName&sortDescending=FALSE").await;
    let users = by_user.column("userName");
    assert!(users.windows(2).all(|w| w[0] <= w[1]), "{users:?}");

    // The file's name.
    let named = get(&emu, &token, &format!("{PATH}?csvName=MyMonitoringData.csv")).await;
    assert_eq!(named.headers()["content-disposition"], "attachment; filename=\"MyMonitoringData.csv\"");
    let default = get(&emu, &token, PATH).await;
    assert_eq!(default.headers()["content-disposition"], "attachment; filename=\"monitoring.csv\"");

    // Refusals: bad parameters and unknown models 400, SAC's other models 501.
    for query in
        ["pageSize=0", "pageSize=100001", "pageIndex=0", "sortKey=executionId", "sortDescending=maybe", "from=today"]
    {
        let (status, code) = refusal(get(&emu, &token, &format!("{PATH}?{query}")).await).await;
        assert_eq!((status.as_u16(), code.as_str()), (400, "400"), "{query}");
    }
    let (status, code) = refusal(get(&emu, &token, "/api/v1/monitoring/nope").await).await;
    assert_eq!((status.as_u16(), code.as_str()), (400, "400"));
    // A model SAP lists whose statistics the emulator does not keep: its header, no lines.
    let license = get(&emu, &token, "/api/v1/monitoring/license").await;
    assert_eq!(license.status(), 200);
    assert_eq!(license.text().await.unwrap().trim_end(), HEADER[..7].join(","));
}

/// `planningDataAction` after the demo process ran through the Calendar API
/// with client credentials: its multi action's copy step, then a failing one;
/// `dataManagement` shows the import step's run; `user` and `resource` list
/// what the tenant has.
#[tokio::test]
async fn data_action_statistics_list_the_copies_of_multi_actions_and_calendar_tasks() {
    use sac_testkit::demo::CALENDAR_PROCESS_ID;
    let emu = start().await;
    let token = emu.client_credentials_token().await;
    let copy = serde_json::json!({"referenceEventId": CALENDAR_PROCESS_ID, "autoActivate": true, "notify": false});
    let copied = emu.http.post(emu.api("/api/v1/calendar/events")).bearer_auth(&token).json(&copy).send().await;
    assert_eq!(copied.unwrap().status(), 201);

    let actions = statistics(&emu, &token, "/api/v1/monitoring/planningDataAction").await;
    assert_eq!(
        actions.header[7..],
        ["executionId", "sourceVersion", "targetVersion", "endTime", "rowCount", "origin"].map(String::from)
    );
    assert_eq!(actions.lines.len(), 1);
    let line = &actions.lines[0];
    let cells = ["type", "fileName", "userName", "status", "activity", "sourceVersion", "targetVersion", "rowCount"]
        .map(|c| line[c].as_str());
    assert_eq!(
        cells,
        [
            "MULTI_ACTION",
            "t.G:SALES_PLAN",
            PLANNER,
            "SUCCESSFUL",
            "MA_LOAD_ZEPPART step 2",
            "public.Actual",
            "public.Forecast",
            "60"
        ]
    );
    assert_eq!(line["origin"].len(), 32, "the multi action execution");

    // The import step's run is a line of dataManagement, as the task's owner.
    let runs = statistics(&emu, &token, PATH).await;
    assert_eq!(runs.lines.len(), 2, "the seeded run and the task's");
    assert_eq!((runs.lines[0]["userName"].as_str(), runs.lines[0]["status"].as_str()), (PLANNER, "SUCCEEDED"));

    // A failing data action is a FAILED line with the reason; newest first, or sorted by status.
    emu.post_admin("/emulator/faults", serde_json::json!({"fail_data_actions": 1, "message": "version locked"})).await;
    let again = emu.http.post(emu.api("/api/v1/calendar/events")).bearer_auth(&token).json(&copy).send().await;
    assert_eq!(again.unwrap().status(), 201);
    let actions = statistics(&emu, &token, "/api/v1/monitoring/planningDataAction").await;
    assert_eq!(actions.column("status"), ["FAILED", "SUCCESSFUL"]);
    assert_eq!(
        (actions.lines[0]["description"].as_str(), actions.lines[0]["rowCount"].as_str()),
        ("version locked", "0")
    );
    let by_status =
        statistics(&emu, &token, "/api/v1/monitoring/planningDataAction?sortKey=status&sortDescending=FALSE").await;
    assert_eq!(by_status.column("status"), ["FAILED", "SUCCESSFUL"]);
    let paged = statistics(&emu, &token, "/api/v1/monitoring/planningDataAction?pageSize=1&pageIndex=2").await;
    assert_eq!(paged.column("status"), ["SUCCESSFUL"]);

    // The tenant's users and resources.
    let users = statistics(&emu, &token, "/api/v1/monitoring/user").await;
    let mut names = users.column("userName");
    names.sort();
    assert_eq!(names, [PLANNER, "VIEWER"]);
    let resources = statistics(&emu, &token, "/api/v1/monitoring/resource").await;
    assert!(resources.column("fileName").contains(&"t.G:MA_LOAD_ZEPPART"));
    // Each version of each model with the facts it holds: Forecast got Actual's 60.
    let versions = statistics(&emu, &token, "/api/v1/monitoring/planningVersion").await;
    let sales: Vec<(&str, &str)> = versions
        .lines
        .iter()
        .filter(|l| l["model"] == "SALES_PLAN")
        .map(|l| (l["version"].as_str(), l["rowCount"].as_str()))
        .collect();
    assert_eq!(sales, [("public.Actual", "60"), ("public.Plan", "0"), ("public.Forecast", "60")]);
}

#[tokio::test]
async fn who_may_read_the_statistics() {
    let emu = start().await;
    // Without a token on the API domain: 401.
    let anonymous = emu.http.get(emu.api(PATH)).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    // A technical client needs the Monitoring Service in its access list.
    let mut tenant = sac_emulator::Tenant::demo();
    tenant.clients[0].access.retain(|a| a != "Monitoring Service");
    emu.load_tenant_toml(tenant.to_toml()).await;
    let technical = emu.client_credentials_token().await;
    let (status, code) = refusal(get(&emu, &technical, PATH).await).await;
    assert_eq!((status.as_u16(), code.as_str()), (400, "3401"));
    // The demo tenant's technical client has it.
    emu.load_tenant_toml(sac_emulator::Tenant::demo().to_toml()).await;
    let technical = emu.client_credentials_token().await;
    let seeded = statistics(&emu, &technical, "").await;
    assert_eq!(seeded.column("executionId"), [HISTORY_RUN_ID]);
    assert_eq!(seeded.lines[0]["activity"], "ZW2_IMPORT ZEPPART");
    // A viewer may read them too.
    let viewer = emu.password_token("VIEWER").await;
    assert_eq!(get(&emu, &viewer, PATH).await.status(), 200);
}
