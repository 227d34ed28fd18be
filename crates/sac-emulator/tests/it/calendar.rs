//! The Calendar API (SAP help 11cb2108, edcc5a16, 9afa17f5, 93a8101e,
//! 14de88fd): the demo process copied and run with client credentials, its
//! multi action task really running the multi action; SAP's table of status
//! changes row by row and the changes it does not list; who may call it;
//! failing tasks and how their process ends; triggers and dependencies.

use std::collections::BTreeMap;

use reqwest::{Method, StatusCode};
use sac_emulator::tenant::calendar::{DataActionDef, Dependency, Trigger};
use sac_emulator::tenant::{CalendarEventDef, EventKind, EventStatus};
use sac_emulator::{ClockMode, Config, Tenant};
use sac_testkit::demo::{CALENDAR_PROCESS_ID, CALENDAR_PROCESS_NAME, CALENDAR_TASK_ID, PLANNER};
use serde_json::{json, Value};

use crate::support::*;

const EVENTS: &str = "/api/v1/calendar/events";

async fn send(emu: &Emu, method: Method, path: &str, token: &str, body: Option<Value>) -> (StatusCode, Value) {
    let mut request = emu.http.request(method, emu.api(path)).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn event(emu: &Emu, token: &str, id: &str) -> Value {
    let (status, body) = send(emu, Method::GET, &format!("{EVENTS}/{id}"), token, None).await;
    assert_eq!(status, 200, "{body}");
    body["event"].clone()
}

async fn patch(emu: &Emu, token: &str, id: &str, status: &str) -> (StatusCode, Value) {
    send(emu, Method::PATCH, &format!("{EVENTS}/{id}"), token, Some(json!({"status": status, "notify": false}))).await
}

async fn copy(emu: &Emu, token: &str, id: &str, activate: bool) -> Value {
    let body = json!({"referenceEventId": id, "autoActivate": activate, "notify": false});
    let (status, answer) = send(emu, Method::POST, EVENTS, token, Some(body)).await;
    assert_eq!(status, 201, "{answer}");
    answer
}

#[tokio::test]
async fn the_demo_process_copied_with_client_credentials_runs_its_multi_action_task() {
    let emu = start().await;
    let token = emu.client_credentials_token().await;
    let demo = event(&emu, &token, CALENDAR_PROCESS_ID).await;
    assert_eq!(demo["name"], CALENDAR_PROCESS_NAME);
    assert_eq!((demo["status"].as_str(), demo["progress"].as_u64()), (Some("inactive"), Some(0)));
    assert_eq!(demo["childEvents"][0]["id"], CALENDAR_TASK_ID);
    assert_eq!(demo["childEvents"][0]["type"], "multiActionTask");

    let before = chrono::Utc::now();
    let answer = copy(&emu, &token, CALENDAR_PROCESS_ID, true).await;
    let id = answer["event"]["id"].as_str().unwrap().to_string();
    assert_ne!(id, CALENDAR_PROCESS_ID);
    assert_eq!(answer["links"][0], json!({"rel": "event", "href": format!("/api/v1/events/{id}")}));
    let start = chrono::DateTime::parse_from_rfc3339(answer["event"]["utcStartDate"].as_str().unwrap()).unwrap();
    assert!(start >= before - chrono::Duration::seconds(1), "the copy starts today: {start}");
    assert!(answer["event"]["utcEndDate"].is_string());

    // The copy ran at once (immediate clock): its task ran the multi action as the owner.
    let copied = event(&emu, &token, &id).await;
    assert_eq!((copied["status"].as_str(), copied["progress"].as_u64()), (Some("successful"), Some(100)), "{copied}");
    let task = &copied["childEvents"][0];
    assert_ne!(task["id"], CALENDAR_TASK_ID, "the task was copied too");
    assert_eq!(task["status"], "successful");
    let task = event(&emu, &token, task["id"].as_str().unwrap()).await;
    assert_eq!(
        (task["parentId"].as_str(), task["multiActionId"].as_str()),
        (Some(id.as_str()), Some("t.G:MA_LOAD_ZEPPART"))
    );
    assert!(task["executionId"].is_string());
    // The original is untouched.
    assert_eq!(event(&emu, &token, CALENDAR_PROCESS_ID).await["status"], "inactive");

    // The import step's run shows in the schedule's logs, as the task's owner.
    let user = emu.password_token(PLANNER).await;
    let session = emu.csrf_fetch(&user).await;
    let run = emu.newest_run(&user, &session).await;
    assert_eq!((run["user"].as_str(), run["status"].as_i64()), (Some(PLANNER), Some(1)), "{run}");
    // And the copy into Forecast really happened.
    let forecast = emu.admin_api.rows("t.G:SALES_PLAN", "&Version=public.Forecast").await;
    assert_eq!(forecast.len(), 60);
}

/// A tenant whose calendar has one standalone general task per `(id,
/// status)`; "running" ones start in the past (they are in progress once
/// the calendar moves), the others in 2099 (they stay open when opened).
fn tasks_tenant(tasks: &[(String, EventStatus, bool)]) -> Tenant {
    let mut tenant = Tenant::demo();
    for (id, status, running) in tasks {
        let start = if *running { "2026-01-01T00:00:00Z" } else { "2099-01-01T00:00:00Z" };
        tenant.calendar.push(CalendarEventDef {
            id: id.clone(),
            name: format!("task {id}"),
            description: String::new(),
            kind: EventKind::GeneralTask,
            parent: None,
            owner: PLANNER.into(),
            assignees: vec![],
            start: start.into(),
            end: "2099-12-31T00:00:00Z".into(),
            allow_external_api_access: true,
            status: *status,
            trigger: Trigger::StartDate,
            dependencies: vec![],
            multi_action: None,
            parameters: BTreeMap::new(),
            data_action: None,
        });
    }
    tenant
}

#[tokio::test]
async fn every_row_of_the_status_table_and_the_changes_it_does_not_list() {
    use EventStatus::*;
    // (requested, current, new): SAP's table (9afa17f5), row for row.
    let rows: [(&str, EventStatus, &str); 12] = [
        ("open", Inactive, "open"),
        ("open", Canceled, "open"),
        ("open", Successful, "open"),
        ("open", PartiallySuccessful, "open"),
        ("open", Failed, "open"),
        ("open", OnHold, "open"),
        ("canceled", Open, "canceled"),
        ("canceled", InProgress, "canceled"),
        ("canceled", OnHold, "canceled"),
        ("onHold", Open, "onHold"),
        ("onHold", InProgress, "onHold"),
        ("onHold", OnHold, "onHold"),
    ];
    // Changes the table does not list: refused with 400, the status kept.
    let refused: [(&str, EventStatus); 9] = [
        ("open", Open),
        ("open", InProgress),
        ("canceled", Inactive),
        ("canceled", Successful),
        ("canceled", Canceled),
        ("onHold", Inactive),
        ("onHold", Failed),
        ("onHold", PartiallySuccessful),
        ("onHold", Canceled),
    ];
    let seeded = |i: usize, status: EventStatus| {
        let running = status == InProgress;
        (format!("ROW{i}"), if running { Open } else { status }, running)
    };
    let mut tasks: Vec<_> = rows.iter().enumerate().map(|(i, (_, from, _))| seeded(i, *from)).collect();
    tasks.extend(refused.iter().enumerate().map(|(i, (_, from))| seeded(100 + i, *from)));
    // A process that has started: opening it again answers In Progress.
    tasks.push(("LATE".into(), Failed, true));
    let emu = start().await;
    emu.load_tenant_toml(tasks_tenant(&tasks).to_toml()).await;
    let token = emu.client_credentials_token().await;

    for (i, (requested, from, to)) in rows.iter().enumerate() {
        let id = format!("ROW{i}");
        assert_eq!(event(&emu, &token, &id).await["status"], from_name(*from), "row {i} seeded");
        let (status, body) = patch(&emu, &token, &id, requested).await;
        assert_eq!(status, 200, "row {i}: {requested} from {from:?}: {body}");
        assert_eq!(body["event"], json!({"id": id, "status": to}), "row {i}");
        assert_eq!(body["links"][0]["rel"], "event");
        assert_eq!(event(&emu, &token, &id).await["status"], *to, "row {i} as read");
    }
    for (i, (requested, from)) in refused.iter().enumerate() {
        let id = format!("ROW{}", 100 + i);
        let (status, body) = patch(&emu, &token, &id, requested).await;
        assert_eq!(status, 400, "{requested} from {from:?}: {body}");
        assert_eq!(body["error"]["code"], "400");
        assert!(body["error"]["details"].is_array(), "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains(from_name(*from)), "{body}");
        assert_eq!(event(&emu, &token, &id).await["status"], from_name(*from), "kept");
    }
    // "Open or In Progress": a task whose start date has passed is in progress once opened.
    let (status, body) = patch(&emu, &token, "LATE", "open").await;
    assert_eq!((status.as_u16(), body["event"]["status"].as_str()), (200, Some("inProgress")));
    // Statuses SAP does not accept in the request, and bodies without one.
    for body in [json!({"status": "successful"}), json!({"status": "inProgress"}), json!({"notify": true}), json!([])] {
        let (status, answer) = send(&emu, Method::PATCH, &format!("{EVENTS}/ROW0"), &token, Some(body.clone())).await;
        assert_eq!(status, 400, "{body}: {answer}");
    }
    let (status, _) = send(
        &emu,
        Method::PATCH,
        &format!("{EVENTS}/ROW0"),
        &token,
        Some(json!({"status": "onHold", "notify": "yes"})),
    )
    .await;
    assert_eq!(status, 400, "notify is true or false");
}

fn from_name(status: EventStatus) -> &'static str {
    status.as_str()
}

#[tokio::test]
async fn who_may_use_the_calendar_api() {
    let emu = start().await;
    let path = format!("{EVENTS}/{CALENDAR_PROCESS_ID}");
    // Without a token: 401.
    let anonymous = emu.http.get(emu.api(&path)).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    // Unknown events: 404 in SAP's error shape.
    let token = emu.client_credentials_token().await;
    let (status, body) = send(&emu, Method::GET, &format!("{EVENTS}/NOPE"), &token, None).await;
    assert_eq!((status.as_u16(), body["error"]["code"].as_str()), (404, Some("404")));
    assert!(body["error"]["details"].is_array());

    // An event whose owner did not allow external API access is not served, nor copied.
    let mut tenant = Tenant::demo();
    tenant.calendar[0].allow_external_api_access = false;
    emu.load_tenant_toml(tenant.to_toml()).await;
    let token = emu.client_credentials_token().await;
    assert_eq!(send(&emu, Method::GET, &path, &token, None).await.0, 404);
    assert_eq!(patch(&emu, &token, CALENDAR_PROCESS_ID, "open").await.0, 404);
    let body = json!({"referenceEventId": CALENDAR_PROCESS_ID, "autoActivate": true});
    assert_eq!(send(&emu, Method::POST, EVENTS, &token, Some(body)).await.0, 404);

    // A client-credentials client without the Calendar Service: 3401, for every operation.
    let mut tenant = Tenant::demo();
    tenant.clients[0].access.retain(|a| a != "Calendar Service");
    emu.load_tenant_toml(tenant.to_toml()).await;
    let token = emu.client_credentials_token().await;
    let (status, body) = send(&emu, Method::GET, &path, &token, None).await;
    assert_eq!((status.as_u16(), body["error"]["code"].as_str()), (400, Some("3401")), "{body}");
    assert_eq!(patch(&emu, &token, CALENDAR_PROCESS_ID, "open").await.0, 400);
    let body = json!({"referenceEventId": CALENDAR_PROCESS_ID, "autoActivate": true});
    let (status, body) = send(&emu, Method::POST, EVENTS, &token, Some(body)).await;
    assert_eq!((status.as_u16(), body["error"]["code"].as_str()), (400, Some("3401")));
    // Nothing ran.
    let user = emu.password_token(PLANNER).await;
    assert_eq!(event(&emu, &user, CALENDAR_PROCESS_ID).await["status"], "inactive");

    // A business user (three-legged) reaches the events they own or are assigned to.
    emu.load_tenant_toml(Tenant::demo().to_toml()).await;
    let user = emu.password_token(PLANNER).await;
    assert_eq!(event(&emu, &user, CALENDAR_TASK_ID).await["owner"], PLANNER);
    let viewer = emu.password_token("VIEWER").await;
    assert_eq!(send(&emu, Method::GET, &path, &viewer, None).await.0, 404);

    // On the browser domain a write needs the CSRF token (11cb2108, 8b910196).
    let token = emu.client_credentials_token().await;
    let url = emu.tenant(&path);
    let unprotected = emu.http.patch(&url).bearer_auth(&token).json(&json!({"status": "open"})).send().await.unwrap();
    assert_eq!(unprotected.status(), 403);
    assert_eq!(unprotected.headers()["x-csrf-token"], "Required");
    let fetched = emu.api_csrf_fetch(&token, &path).await;
    assert_eq!(fetched.status(), 200);
    let csrf = fetched.headers()["x-csrf-token"].to_str().unwrap().to_string();
    let cookie = set_cookie(fetched.headers()).unwrap();
    let protected = emu.http.patch(&url).bearer_auth(&token).header("x-csrf-token", csrf).header("cookie", cookie);
    let protected = protected.json(&json!({"status": "open"})).send().await.unwrap();
    assert_eq!(protected.status(), 200);
}

#[tokio::test]
async fn a_failing_multi_action_task_fails_its_process_and_a_partly_failing_one_makes_it_partially_successful() {
    let emu = start().await;
    let token = emu.client_credentials_token().await;
    // The import step fails: the multi action fails, so does the task and the process.
    emu.post_admin("/emulator/faults", json!({"fail_runs": 1, "message": "BW system ZW2 is not reachable"})).await;
    let id = copy(&emu, &token, CALENDAR_PROCESS_ID, true).await["event"]["id"].as_str().unwrap().to_string();
    let failed = event(&emu, &token, &id).await;
    assert_eq!(
        (failed["status"].as_str(), failed["childEvents"][0]["status"].as_str()),
        (Some("failed"), Some("failed"))
    );
    // The copy step fails after the import committed: successful with warning, partially successful.
    emu.post_admin("/emulator/faults", json!({"fail_data_actions": 1, "message": "version locked"})).await;
    let (status, body) = patch(&emu, &token, &id, "open").await;
    assert_eq!((status.as_u16(), body["event"]["status"].as_str()), (200, Some("inProgress")), "{body}");
    let partly = event(&emu, &token, &id).await;
    assert_eq!(partly["status"], "partiallySuccessful", "{partly}");
    assert_eq!(partly["childEvents"][0]["status"], "partiallySuccessful");
    // Opened again without faults: it runs again and succeeds.
    assert_eq!(patch(&emu, &token, &id, "open").await.0, 200);
    assert_eq!(event(&emu, &token, &id).await["status"], "successful");
}

/// A process with a multi action task started with the process and a data
/// action task that waits for it to succeed.
fn chained_tenant(start: &str) -> Tenant {
    let mut tenant = Tenant::demo();
    let process = tenant.calendar[0].clone();
    let ma = tenant.calendar[1].clone();
    let copy = CalendarEventDef {
        id: "COPY_TASK".into(),
        name: "Copy Actual to Plan".into(),
        kind: EventKind::DataActionTask,
        trigger: Trigger::Dependencies,
        dependencies: vec![Dependency { event: ma.id.clone(), statuses: vec![EventStatus::Successful] }],
        multi_action: None,
        parameters: BTreeMap::new(),
        data_action: Some(DataActionDef {
            id: "DA_COPY_ACTUAL_PLAN".into(),
            model: "SALES_PLAN".into(),
            from: "public.Actual".into(),
            to: "public.Plan".into(),
        }),
        ..ma.clone()
    };
    tenant.calendar = vec![
        CalendarEventDef { start: start.into(), end: "2099-12-31T00:00:00Z".into(), ..process },
        CalendarEventDef { start: start.into(), end: "2099-12-31T00:00:00Z".into(), ..ma },
        CalendarEventDef { start: start.into(), end: "2099-12-31T00:00:00Z".into(), ..copy },
    ];
    tenant
}

#[tokio::test]
async fn tasks_wait_for_the_start_date_their_process_and_their_dependencies() {
    let emu = start_with(Config { clock: ClockMode::Manual, ..Config::default() }).await;
    let start = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    emu.load_tenant_toml(chained_tenant(&start).to_toml()).await;
    emu.admin_api.clock(ClockMode::Manual).await;
    let token = emu.client_credentials_token().await;
    let process = CALENDAR_PROCESS_ID;

    // Activated before its start date: open, nothing runs.
    let (status, body) = patch(&emu, &token, process, "open").await;
    assert_eq!((status.as_u16(), body["event"]["status"].as_str()), (200, Some("open")));
    let waiting = event(&emu, &token, process).await;
    let statuses = |e: &Value| -> Vec<String> {
        e["childEvents"].as_array().unwrap().iter().map(|c| c["status"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(statuses(&waiting), ["open", "open"]);

    // An hour later the process starts and its multi action task runs (held by the manual clock).
    emu.admin_api.advance_clock(3601).await;
    let token = emu.client_credentials_token().await;
    let running = event(&emu, &token, process).await;
    assert_eq!(running["status"], "inProgress");
    assert_eq!(statuses(&running), ["inProgress", "open"], "the data action waits for the multi action");
    assert_eq!(running["progress"], 0);

    // Held: the process and its tasks; opened again, it goes on.
    assert_eq!(patch(&emu, &token, process, "onHold").await.1["event"]["status"], "onHold");
    assert_eq!(statuses(&event(&emu, &token, process).await), ["onHold", "onHold"]);
    assert_eq!(patch(&emu, &token, process, "open").await.1["event"]["status"], "inProgress");
    assert_eq!(statuses(&event(&emu, &token, process).await), ["inProgress", "open"]);

    // The execution ends: the multi action task succeeds, the data action task runs, the process ends.
    emu.admin_api.release().await;
    let done = event(&emu, &token, process).await;
    assert_eq!(statuses(&done), ["successful", "successful"], "{done}");
    assert_eq!((done["status"].as_str(), done["progress"].as_u64()), (Some("successful"), Some(100)));
    let plan = emu.admin_api.rows("t.G:SALES_PLAN", "&Version=public.Plan").await;
    assert_eq!(plan.len(), 60, "the data action task copied Actual into Plan");
    let monitoring = emu.http.get(emu.api("/api/v1/monitoring/planningDataAction")).bearer_auth(&token).send().await;
    let csv = monitoring.unwrap().text().await.unwrap();
    let newest = csv.lines().nth(1).unwrap_or_default();
    assert!(newest.starts_with("CALENDAR,t.G:SALES_PLAN,") && newest.contains(",DA_COPY_ACTUAL_PLAN,"), "{csv}");
    assert!(newest.ends_with(",COPY_TASK"), "the line names the task: {newest}");

    // Canceled: a process that ended cannot be; one opened again can.
    assert_eq!(patch(&emu, &token, process, "canceled").await.0, 400);
    assert_eq!(patch(&emu, &token, process, "open").await.0, 200);
    let (status, body) = patch(&emu, &token, process, "canceled").await;
    assert_eq!((status.as_u16(), body["event"]["status"].as_str()), (200, Some("canceled")));
    assert_eq!(statuses(&event(&emu, &token, process).await), ["canceled", "canceled"]);
}

/// SAML bearer is two-legged (11cb2108): its client is checked as a client
/// credentials client is (14de88fd), whoever the assertion names.
#[tokio::test]
async fn a_saml_bearer_token_needs_a_client_valid_for_the_calendar_service() {
    let emu = start().await;
    let grant = "urn:ietf:params:oauth:grant-type:saml2-bearer";
    let assertion = emu.post_admin("/emulator/idp/assertion", json!({"user": PLANNER})).await;
    let assertion = assertion["assertion"].as_str().unwrap().to_string();
    // The interactive client may get the token, but it is no API Access client with the Calendar Service.
    let interactive = emu.token(USER_CLIENT, &[("grant_type", grant), ("assertion", &assertion)]).await.access_token;
    let path = format!("{EVENTS}/{CALENDAR_PROCESS_ID}");
    let (status, body) = send(&emu, Method::GET, &path, &interactive, None).await;
    assert_eq!((status.as_u16(), body["error"]["code"].as_str()), (400, Some("3401")), "{body}");
    // The same user's authorization (three-legged) token through the same client is accepted.
    let three_legged = emu.password_token(PLANNER).await;
    assert_eq!(send(&emu, Method::GET, &path, &three_legged, None).await.0, 200);
    // An API Access client with the Calendar Service that may use the SAML bearer grant: accepted.
    let mut tenant = Tenant::demo();
    tenant.clients[0].grants.push("saml2_bearer".into());
    emu.load_tenant_toml(tenant.to_toml()).await;
    let assertion = emu.post_admin("/emulator/idp/assertion", json!({"user": PLANNER})).await;
    let assertion = assertion["assertion"].as_str().unwrap();
    let technical = emu.token(API_CLIENT, &[("grant_type", grant), ("assertion", assertion)]).await.access_token;
    let (status, body) = patch(&emu, &technical, CALENDAR_PROCESS_ID, "open").await;
    assert_eq!((status.as_u16(), body["event"]["status"].as_str()), (200, Some("inProgress")), "{body}");
}

/// Under a poll-counted clock a read of the process is a status read of its
/// task's execution: the task ends after as many reads as the clock says.
#[tokio::test]
async fn reads_of_the_process_count_as_status_reads_of_its_running_task() {
    let emu = start_with(Config { clock: ClockMode::Polls { polls: 1 }, ..Config::default() }).await;
    let token = emu.client_credentials_token().await;
    let id = copy(&emu, &token, CALENDAR_PROCESS_ID, true).await["event"]["id"].as_str().unwrap().to_string();
    let first = event(&emu, &token, &id).await;
    assert_eq!(
        (first["status"].as_str(), first["childEvents"][0]["status"].as_str()),
        (Some("inProgress"), Some("inProgress"))
    );
    assert_eq!(first["progress"], 0);
    let second = event(&emu, &token, &id).await;
    assert_eq!((second["status"].as_str(), second["progress"].as_u64()), (Some("successful"), Some(100)), "{second}");
}

/// An automatic multi action task runs as its owner: a viewer may not run
/// multi actions, so the task fails, and the process with it.
#[tokio::test]
async fn a_task_owned_by_a_viewer_fails() {
    let emu = start().await;
    let mut tenant = Tenant::demo();
    tenant.calendar[1].owner = "VIEWER".into();
    emu.load_tenant_toml(tenant.to_toml()).await;
    let token = emu.client_credentials_token().await;
    assert_eq!(patch(&emu, &token, CALENDAR_PROCESS_ID, "open").await.0, 200);
    let process = event(&emu, &token, CALENDAR_PROCESS_ID).await;
    assert_eq!(
        (process["status"].as_str(), process["childEvents"][0]["status"].as_str()),
        (Some("failed"), Some("failed"))
    );
    let execution = process["childEvents"][0]["executionId"].as_str().unwrap();
    let user = emu.password_token(PLANNER).await;
    let path = format!("/api/v1/multiActions/t.G:MA_LOAD_ZEPPART/executions/{execution}");
    let (status, body) = send(&emu, Method::GET, &path, &user, None).await;
    assert_eq!((status.as_u16(), body["status"].as_str()), (200, Some("failed")), "{body}");
    assert!(body["executionResult"]["messages"][0]["message"].as_str().unwrap().contains("VIEWER"), "{body}");
}

/// A task copied alone (93a8101e: "a single calendar event") joins the
/// process of its original and runs when that process does.
#[tokio::test]
async fn a_task_copied_alone_joins_its_process() {
    let emu = start().await;
    let token = emu.client_credentials_token().await;
    let answer = copy(&emu, &token, CALENDAR_TASK_ID, true).await;
    let task = answer["event"]["id"].as_str().unwrap();
    let copied = event(&emu, &token, task).await;
    assert_eq!((copied["status"].as_str(), copied["parentId"].as_str()), (Some("open"), Some(CALENDAR_PROCESS_ID)));
    assert!(copied.get("childEvents").is_none(), "a task has no children");
    // It waits for its process, which is inactive; opened, the process runs both tasks.
    assert_eq!(event(&emu, &token, CALENDAR_PROCESS_ID).await["childEvents"].as_array().unwrap().len(), 2);
    assert_eq!(patch(&emu, &token, CALENDAR_PROCESS_ID, "open").await.0, 200);
    let process = event(&emu, &token, CALENDAR_PROCESS_ID).await;
    assert_eq!(process["status"], "successful", "{process}");
    let executions: Vec<&str> =
        process["childEvents"].as_array().unwrap().iter().map(|c| c["executionId"].as_str().unwrap()).collect();
    assert_ne!(executions[0], executions[1], "each task ran its own execution");
}
