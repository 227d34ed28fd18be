//! The web console at `/emulator/ui` over plain HTTP (no JavaScript): sign
//! in, read every page, press "Run now", release, and the refusals of its
//! forms (no token, another session's token, a foreign Origin, JSON).

use reqwest::{Method, StatusCode};
use sac_emulator::{ClockMode, Config};
use serde_json::{json, Value};

use crate::support::*;

const HISTORIC_RUN: &str = sac_testkit::demo::HISTORY_RUN_ID;

/// A signed-in browser: its session cookie.
struct Browser<'e> {
    emu: &'e Emu,
    cookie: String,
}

async fn sign_in<'e>(emu: &'e Emu, user: &str) -> Browser<'e> {
    let response = emu
        .http
        .post(emu.tenant("/login?url=%2Femulator%2Fui"))
        .form(&[("username", user), ("password", "Welcome1!")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "sign-in of {user}");
    assert_eq!(response.headers()["location"], "/emulator/ui");
    Browser { emu, cookie: set_cookie(response.headers()).expect("a session cookie") }
}

impl Browser<'_> {
    /// GET a console page; its status and HTML.
    async fn page(&self, path: &str) -> (StatusCode, String) {
        let response = self.emu.http.get(self.emu.tenant(path)).header("cookie", &self.cookie).send().await.unwrap();
        let status = response.status();
        if status == StatusCode::OK {
            let ct = response.headers()["content-type"].to_str().unwrap().to_string();
            assert!(ct.starts_with("text/html"), "{path}: {ct}");
            assert_eq!(response.headers()["x-frame-options"], "DENY");
        }
        (status, response.text().await.unwrap())
    }

    async fn read(&self, path: &str) -> String {
        let (status, html) = self.page(path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {html}");
        html
    }

    /// The console's form token, as a page hands it out.
    async fn form_token(&self) -> String {
        token_in(&self.read("/emulator/ui/admin").await)
    }

    /// POST a console form as a browser does (same Origin); status, location, body.
    async fn submit(&self, path: &str, fields: &[(&str, &str)]) -> (StatusCode, String, String) {
        let response = self
            .emu
            .http
            .post(self.emu.tenant(path))
            .header("cookie", &self.cookie)
            .header("origin", &self.emu.emu.urls.tenant_url)
            .form(fields)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let location = response.headers().get("location").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
        (status, location, response.text().await.unwrap())
    }
}

fn token_in(html: &str) -> String {
    let marker = r#"name="csrf" value=""#;
    let start = html.find(marker).expect("a form with a token") + marker.len();
    html[start..].split('"').next().unwrap().to_string()
}

#[tokio::test]
async fn every_page_reads_without_javascript() {
    let emu = start().await;
    // Something on each page: a run, an import job with invalid rows, an execution.
    let token = emu.password_token("JDOE").await;
    let session = emu.csrf_fetch(&token).await;
    assert_eq!(emu.run_schedule(&token, &session).await.status(), 200);
    let api = emu.client_credentials_token().await;
    let job = emu.create_sales_job(&api).await;
    let rows = json!({"Data": [{"Version": "public.Plan", "Date": "202607", "Part": "P9999", "Country": "US", "Amount": "1", "Quantity": "1"}]});
    let uploaded = emu.http.post(emu.api(&format!("/api/v1/dataimport/jobs/{job}"))).bearer_auth(&api).json(&rows);
    assert_eq!(uploaded.send().await.unwrap().status(), 201);
    let validate = emu.http.post(emu.api(&format!("/api/v1/dataimport/jobs/{job}/validate"))).bearer_auth(&api);
    assert_eq!(validate.send().await.unwrap().status(), 201);

    let browser = sign_in(&emu, "JDOE").await;
    let form_token = browser.form_token().await;
    let (status, location, _) = browser
        .submit(
            "/emulator/ui/multiactions/MA_LOAD_ZEPPART/run",
            &[("csrf", &form_token), ("p.TargetVersion", "public.Nope")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let execution = location.strip_prefix("/emulator/ui/executions/").expect("to the execution").to_string();

    let overview = browser.read("/emulator/ui").await;
    assert!(
        overview.contains(r#"title="Signed in as JDOE"><b>John Doe</b> (JDOE)"#) && overview.contains("tenant G"),
        "{overview}"
    );
    let models = browser.read("/emulator/ui/models").await;
    assert!(models.contains("t.G:SALES_PLAN") && models.contains("t.G:ZEPPART_001"));
    let facts = browser.read("/emulator/ui/models/SALES_PLAN?Part=P0002&Date=202603&limit=5").await;
    assert_eq!(facts.matches("<td>P0002</td>").count(), 1, "filtered by two dimensions: {facts}");
    assert!(facts.contains("public.Actual") && !facts.contains("<td>P0001</td>"));
    let members = browser.read("/emulator/ui/models/t.G:ZEPPART_001?limit=10&offset=80").await;
    assert!(
        members.contains("<td>P0081</td>") && members.contains("<td>P0089</td>") && !members.contains(r#"rel="next""#)
    );
    assert!(members.contains("rows 81\u{2013}89"), "{members}");
    // Members filtered by an attribute: the parts of Germany (every 20th part's country cycles back).
    let german = browser.read("/emulator/ui/models/ZEPPART_001?Country=DE").await;
    let parts = german.matches("<td>DE</td>").count();
    assert!(parts > 0 && !german.contains("<td>US</td>"), "{german}");
    let none = browser.read("/emulator/ui/models/ZEPPART_001?Country=QQ").await;
    assert!(none.contains("No rows match."));
    let schedules = browser.read("/emulator/ui/schedules").await;
    assert!(schedules.contains("ZW2_IMPORT ZEPPART") && schedules.contains(HISTORIC_RUN));
    assert!(schedules.contains("Run now") && schedules.contains("Succeeded"));
    let run = browser.read(&format!("/emulator/ui/runs/{HISTORIC_RUN}")).await;
    assert!(run.contains(r#"data-count="read">89<"#) && run.contains("JDOE"), "{run}");
    let rejected = browser.read(&format!("/emulator/ui/runs/{HISTORIC_RUN}/rejections")).await;
    assert!(rejected.contains("No rows were rejected."));
    let imports = browser.read("/emulator/ui/imports").await;
    assert!(imports.contains(&job) && imports.contains("READY_FOR_WRITE") && imports.contains("sacctl-api"));
    let job_page = browser.read(&format!("/emulator/ui/imports/{job}")).await;
    assert!(job_page.contains("P9999") && job_page.contains("Invalid column value for: Part"), "{job_page}");
    let multiactions = browser.read("/emulator/ui/multiactions").await;
    assert!(multiactions.contains(&execution) && multiactions.contains("public.Forecast"));
    let execution_page = browser.read(&format!("/emulator/ui/executions/{execution}")).await;
    assert!(execution_page.contains("failed") && execution_page.contains("501000515"), "{execution_page}");
    assert!(execution_page.contains("Member &quot;public.Nope&quot; does not exist"), "{execution_page}");
    let requests = browser.read("/emulator/ui/requests?path=dataintegration&status=2xx").await;
    assert!(requests.contains("runScheduledJob") && !requests.contains("/oauth/token"));
    assert!(requests.contains("Bearer ***") && !requests.contains(&token), "secrets stay masked");
    let none = browser.read("/emulator/ui/requests?status=5xx").await;
    assert!(none.contains("No requests match."));
    let admin = browser.read("/emulator/ui/admin").await;
    assert!(
        admin.contains("immediate") && admin.contains("No request faults.") && admin.contains("Nothing is running.")
    );

    for missing in [
        "/emulator/ui/runs/NOPE",
        "/emulator/ui/imports/NOPE",
        "/emulator/ui/models/NOPE",
        "/emulator/ui/executions/NOPE",
    ] {
        assert_eq!(browser.page(missing).await.0, StatusCode::NOT_FOUND, "{missing}");
    }
}

#[tokio::test]
async fn browsers_without_a_tenant_session_are_sent_to_sign_in() {
    let emu = start().await;
    let old = emu.get("/emulator/").await;
    assert_eq!(old.headers()["location"], "/emulator/ui", "the old dashboard's address leads to the console");
    let page = emu.get("/emulator/ui/models/SALES_PLAN?Version=public.Actual").await;
    assert_eq!(page.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        page.headers()["location"],
        "/login?url=%2Femulator%2Fui%2Fmodels%2FSALES_PLAN%3FVersion%3Dpublic.Actual"
    );
    // A bearer token is not a browser session.
    let token = emu.password_token("JDOE").await;
    let with_token = emu.http.get(emu.tenant("/emulator/ui")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(with_token.status(), StatusCode::SEE_OTHER);
    // KSMITH passes the IdP but has no user in the tenant.
    let browser = sign_in(&emu, "KSMITH").await;
    let (status, html) = browser.page("/emulator/ui").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("User KSMITH does not exist in tenant G"));
    // The console's pages are admin pages: a foreign Host is misdirected.
    let port = emu.emu.urls.tenant_url.rsplit(':').next().unwrap().to_string();
    let rebound = emu.http.get(emu.tenant("/emulator/ui")).header("host", format!("rebind.example:{port}"));
    assert_eq!(rebound.send().await.unwrap().status(), StatusCode::MISDIRECTED_REQUEST);
}

#[tokio::test]
async fn the_tenant_page_names_clients_and_users_but_no_secret() {
    let emu = start().await;
    let page = emu.get("/emulator/ui/tenant").await;
    assert_eq!(page.status(), StatusCode::SEE_OTHER);
    assert_eq!(page.headers()["location"], "/login?url=%2Femulator%2Fui%2Ftenant");

    let browser = sign_in(&emu, "JDOE").await;
    let html = browser.read("/emulator/ui/tenant").await;
    assert!(html.contains(r#"class="active" href="/emulator/ui/tenant">Tenant<"#), "in the navigation: {html}");
    let demo = sac_emulator::Tenant::demo();
    for client in &demo.clients {
        assert!(html.contains(&format!(r#"<tr data-client="{}"><td><code>{}</code>"#, client.id, client.id)), "{html}");
    }
    assert!(html.contains("<code>client_credentials</code>") && html.contains("<code>Data Import Service</code>"));
    assert!(html.contains("<code>http://127.0.0.1:*</code>"), "redirect URIs: {html}");
    for user in &demo.users {
        assert!(html.contains(&format!(r#"<tr data-user="{}"><td><code>{}</code>"#, user.id, user.id)), "{html}");
        assert!(html.contains(&escaped(&user.display_name)), "{} named: {html}", user.id);
    }
    assert!(html.contains("<td>viewer</td>") && html.contains("<td>no SAC user</td>"), "roles: {html}");
    assert_eq!(html.matches("<td>set</td>").count(), demo.clients.len() + demo.users.len());
    assert!(html.contains(r#"href="/emulator/ui/models/SALES_PLAN""#) && html.contains("t.G:MA_LOAD_ZEPPART"));
    assert!(html.contains(&format!(r#"href="/emulator/ui/schedules#schedule-{SCHEDULE}""#)));
    assert!(html.contains(r#"href="/emulator/ui/models/ZEPPART_001"><code>t.G:ZEPPART_001</code>"#), "{html}");

    let secrets = demo.clients.iter().map(|c| &c.secret).chain(demo.users.iter().map(|u| &u.password));
    for secret in secrets {
        assert!(!secret.is_empty());
        // Neither as written nor as the HTML escapes it.
        assert!(
            !html.contains(secret.as_str()) && !html.contains(&escaped(secret)),
            "a secret of the demo tenant is on the page"
        );
    }
}

/// `text` as maud escapes it in HTML.
fn escaped(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[tokio::test]
async fn forms_need_the_console_token_of_their_own_session() {
    let emu = start().await;
    let jdoe = sign_in(&emu, "JDOE").await;
    let other = sign_in(&emu, "JDOE").await;
    let token = jdoe.form_token().await;
    let other_token = other.form_token().await;
    assert_ne!(token, other_token, "each session has its own");
    let run = format!("/emulator/ui/schedules/{SCHEDULE}/run");

    let (status, _, body) = jdoe.submit(&run, &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body.contains("carried no token"), "{body}");
    let (status, _, body) = jdoe.submit(&run, &[("csrf", &other_token)]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "another session's token: {body}");
    assert!(body.contains("does not belong to this session"));
    let (status, _, _) = jdoe.submit(&run, &[("csrf", "forged")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // SAC's own CSRF token of the session is not the console's.
    let sac = emu.http.get(emu.tenant("/api/v1/csrf")).header("cookie", &jdoe.cookie).header("x-csrf-token", "fetch");
    let sac_token = sac.send().await.unwrap().headers()["x-csrf-token"].to_str().unwrap().to_string();
    assert_eq!(jdoe.submit(&run, &[("csrf", &sac_token)]).await.0, StatusCode::FORBIDDEN);
    // Without a session cookie the token alone is nothing.
    let bare = emu.http.post(emu.tenant(&run)).form(&[("csrf", token.as_str())]).send().await.unwrap();
    assert_eq!(bare.status(), StatusCode::FORBIDDEN);
    // A foreign page posting the right fields is refused by Origin.
    let foreign = emu
        .http
        .post(emu.tenant(&run))
        .header("cookie", &jdoe.cookie)
        .header("origin", "http://evil.example")
        .form(&[("csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), StatusCode::FORBIDDEN);
    // The console takes forms only; text/plain and JSON are refused.
    for content_type in ["text/plain", "application/json"] {
        let r = emu
            .http
            .post(emu.tenant(&run))
            .header("cookie", &jdoe.cookie)
            .header("content-type", content_type)
            .body(format!("csrf={token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "{content_type}");
    }
    let token_api = emu.password_token("JDOE").await;
    let session = emu.csrf_fetch(&token_api).await;
    let logs = emu.schedule_logs(&token_api, &session).await;
    assert_eq!(logs["data"][0]["refreshLogs"].as_array().unwrap().len(), 1, "only the historic run: nothing started");

    let (status, location, _) = jdoe.submit(&run, &[("csrf", &token)]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(location.starts_with("/emulator/ui/runs/"), "{location}");
    let newest = emu.newest_run(&token_api, &session).await;
    assert_eq!(newest["user"], "JDOE", "attributed to the signed-in user");
    assert_eq!(location, format!("/emulator/ui/runs/{}", newest["executionId"].as_str().unwrap()));

    // Viewers read, but may not run.
    let viewer = sign_in(&emu, "VIEWER").await;
    let schedules = viewer.read("/emulator/ui/schedules").await;
    assert!(schedules.contains("Viewers may not run data imports."));
    let (status, _, body) = viewer.submit(&run, &[("csrf", &viewer.form_token().await)]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains("User VIEWER is not authorized to execute data import jobs"));
}

#[tokio::test]
async fn run_now_follows_the_run_to_its_end_and_its_rejected_rows() {
    let emu = start_with(Config { clock: ClockMode::Manual, ..Config::default() }).await;
    // One of the 89 source rows names a country that does not exist.
    let mut rows: Vec<Value> = (1..=88).map(|n| json!({"ZEPPART": format!("P{n:04}"), "COUNTRY": "DE"})).collect();
    rows.push(json!({"ZEPPART": "P0089", "COUNTRY": "XX"}));
    emu.post_admin("/emulator/sources/ZW2_IMPORT/ZEPPART/rows", json!({"rows": rows, "replace": true})).await;
    let browser = sign_in(&emu, "JDOE").await;
    let token = browser.form_token().await;
    let (status, location, _) =
        browser.submit(&format!("/emulator/ui/schedules/{SCHEDULE}/run"), &[("csrf", &token)]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let running = browser.read(&location).await;
    assert!(running.contains(r#"data-status="Running""#) && running.contains("<main data-live"), "{running}");
    assert!(running.contains("Release this run"));
    let admin = browser.read("/emulator/ui/admin").await;
    assert!(admin.contains(&location), "the pinned run is listed with its release button");

    let execution = location.rsplit('/').next().unwrap();
    let (status, back, _) =
        browser.submit("/emulator/ui/release", &[("csrf", &token), ("id", execution), ("back", &location)]).await;
    assert_eq!((status, back.as_str()), (StatusCode::SEE_OTHER, location.as_str()));
    let done = browser.read(&location).await;
    assert!(done.contains(r#"data-status="Succeeded with rejects""#), "{done}");
    assert!(done.contains(r#"data-count="read">89<"#) && done.contains(r#"data-count="rejected">1<"#));
    assert!(!done.contains("<main data-live"), "nothing to follow any more");
    let rejected = browser.read(&format!("{location}/rejections")).await;
    assert!(rejected.contains("<code>XX</code>") && rejected.contains("COUNTRY"), "{rejected}");
    let (status, _, body) = browser.submit("/emulator/ui/release", &[("csrf", &token), ("id", execution)]).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "released already: {body}");
}

#[tokio::test]
async fn faults_clock_and_reset_from_the_console() {
    let emu = start().await;
    let browser = sign_in(&emu, "JDOE").await;
    let token = browser.form_token().await;
    let fault =
        [("csrf", token.as_str()), ("kind", "status"), ("path", "/api/v1/csrf"), ("status", "503"), ("times", "2")];
    let (status, location, _) = browser.submit("/emulator/ui/faults", &fault).await;
    assert_eq!((status, location.as_str()), (StatusCode::SEE_OTHER, "/emulator/ui/admin#faults"));
    let (_, listed) = emu.admin(Method::GET, "/emulator/faults", None).await;
    assert_eq!(listed["faults"][0]["status"], 503);
    assert_eq!(listed["faults"][0]["remaining"], 2);
    let (status, _, body) =
        browser.submit("/emulator/ui/faults", &[("csrf", &token), ("kind", "status"), ("status", "503")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("a fault needs a path prefix"), "{body}");
    browser.submit("/emulator/ui/faults", &[("csrf", &token), ("kind", "fail_runs"), ("count", "1")]).await;
    let admin = browser.read("/emulator/ui/admin").await;
    assert!(admin.contains("/api/v1/csrf") && admin.contains("The next <b>1</b> runs"), "{admin}");
    browser.submit("/emulator/ui/faults/clear", &[("csrf", &token)]).await;
    let (_, listed) = emu.admin(Method::GET, "/emulator/faults", None).await;
    assert_eq!((listed["faults"].clone(), listed["fail_runs"].clone()), (json!([]), Value::Null));

    browser.submit("/emulator/ui/clock", &[("csrf", &token), ("mode", "delay"), ("amount", "7")]).await;
    let (_, health) = emu.admin(Method::GET, "/emulator/health", None).await;
    assert_eq!(health["clock"], json!({"mode": "delay", "seconds": 7.0}));
    let (status, _, _) =
        browser.submit("/emulator/ui/clock", &[("csrf", &token), ("mode", "delay"), ("amount", "-3")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Signing out ends this session only.
    let other = sign_in(&emu, "JDOE").await;
    let (status, location, _) = other.submit("/emulator/ui/signout", &[("csrf", &other.form_token().await)]).await;
    assert_eq!((status, location.as_str()), (StatusCode::SEE_OTHER, "/login?url=%2Femulator%2Fui"));
    assert_eq!(other.page("/emulator/ui").await.0, StatusCode::SEE_OTHER, "signed out");
    assert_eq!(browser.page("/emulator/ui").await.0, StatusCode::OK, "the other session goes on");

    let (status, location, _) = browser.submit("/emulator/ui/reset", &[("csrf", &token)]).await;
    assert_eq!((status, location.as_str()), (StatusCode::SEE_OTHER, "/emulator/ui"));
    assert_eq!(browser.page("/emulator/ui").await.0, StatusCode::SEE_OTHER, "a reset forgets the session");
    assert_eq!(browser.submit("/emulator/ui/reset", &[("csrf", &token)]).await.0, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_calendar_page_shows_processes_their_tasks_and_the_executions_they_started() {
    use sac_testkit::demo::{CALENDAR_PROCESS_ID, CALENDAR_PROCESS_NAME, CALENDAR_TASK_ID};
    let emu = start().await;
    let browser = sign_in(&emu, "JDOE").await;
    let page = browser.read("/emulator/ui/calendar").await;
    for text in [CALENDAR_PROCESS_NAME, CALENDAR_PROCESS_ID, CALENDAR_TASK_ID, "t.G:MA_LOAD_ZEPPART"] {
        assert!(page.contains(text), "{text}: {page}");
    }
    assert!(page.contains(r#"data-status="inactive""#));
    // A copy run through the Calendar API shows with its task's execution.
    let token = emu.client_credentials_token().await;
    let copy = json!({"referenceEventId": CALENDAR_PROCESS_ID, "autoActivate": true});
    let created = emu.http.post(emu.api("/api/v1/calendar/events")).bearer_auth(&token).json(&copy).send().await;
    let created: Value = created.unwrap().json().await.unwrap();
    let page = browser.read("/emulator/ui/calendar").await;
    assert!(page.contains(created["event"]["id"].as_str().unwrap()));
    assert!(page.contains(&format!("copy of <code>{CALENDAR_PROCESS_ID}</code>")), "{page}");
    assert!(page.contains(r#"data-status="successful""#) && page.contains("/emulator/ui/executions/"), "{page}");
}
