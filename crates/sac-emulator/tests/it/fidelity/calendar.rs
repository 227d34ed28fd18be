//! The rows of the Calendar API (SAP help pages 90-95: 11cb2108, 14de88fd,
//! 8b910196, edcc5a16, 9afa17f5, 93a8101e) and of the Monitoring API's
//! models (page 137: 3e7214f8). The demo tenant's process "Monthly BW load"
//! is inactive and open for external API access; `sacctl-api` lists the
//! Calendar and Monitoring services.

use reqwest::Method;
use sac_testkit::demo::{CALENDAR_PROCESS_ID as PROCESS, CALENDAR_PROCESS_NAME};
use serde_json::json;

use super::Auth::{Client, Session};
use super::Domain::{Api, Tenant};
use super::*;

const EVENTS: &str = "/api/v1/calendar/events";
const MONITORING: &str = "/api/v1/monitoring";

fn event() -> String {
    format!("{EVENTS}/{PROCESS}")
}

fn patch_json(domain: Domain, auth: Auth, path: &str, body: &str) -> Step {
    Step { body: Some((Some("application/json"), body.into())), ..step(Method::PATCH, domain, auth, path) }
}

fn copy_body(activate: bool) -> String {
    json!({"referenceEventId": PROCESS, "autoActivate": activate, "notify": false}).to_string()
}

pub fn facts() -> Vec<Fact> {
    vec![
        // ---- Calendar API (pages 90-95)
        fact(
            "11cb2108/14de88fd/edcc5a16: a client-credentials token of a client with the Calendar Service reads an \
             event: id, name, description, utcStartDate, utcEndDate, status, progress",
            vec![get(Api, Client, &event())
                .json("/event/id", json!(PROCESS))
                .json("/event/name", json!(CALENDAR_PROCESS_NAME))
                .has("/event/description")
                .has("/event/utcStartDate")
                .has("/event/utcEndDate")
                .json("/event/status", json!("inactive"))
                .json("/event/progress", json!(0))],
        ),
        fact(
            "edcc5a16: an unknown event is 404 with {error:{code,message,details}}",
            vec![get(Api, Client, &format!("{EVENTS}/NO_SUCH_EVENT"))
                .status(404)
                .has("/error/code")
                .has("/error/message")
                .has("/error/details")],
        ),
        fact(
            "9afa17f5: PATCH status open activates an inactive event: 200 {event:{id,status},links:[{rel:event}]}",
            vec![
                patch_json(Api, Client, &event(), r#"{"status":"open","notify":true}"#)
                    .json("/event/id", json!(PROCESS))
                    .json("/event/status", json!("inProgress"))
                    .json("/links/0/rel", json!("event"))
                    .json("/links/0/href", json!(format!("/api/v1/events/{PROCESS}"))),
                get(Api, Client, &event())
                    .json("/event/status", json!("successful"))
                    .json("/event/progress", json!(100)),
            ],
        ),
        fact(
            "9afa17f5: a change the status table does not list (canceled from inactive) is refused with 400",
            vec![
                patch_json(Api, Client, &event(), r#"{"status":"canceled"}"#).status(400).has("/error/details"),
                get(Api, Client, &event()).json("/event/status", json!("inactive")),
            ],
        ),
        fact(
            "9afa17f5: an event that ended may be opened again (it runs again), not held nor canceled",
            vec![
                patch_json(Api, Client, &event(), r#"{"status":"open"}"#).json("/event/status", json!("inProgress")),
                get(Api, Client, &event()).json("/event/status", json!("successful")),
                patch_json(Api, Client, &event(), r#"{"status":"onHold"}"#).status(400),
                patch_json(Api, Client, &event(), r#"{"status":"canceled"}"#).status(400),
                patch_json(Api, Client, &event(), r#"{"status":"open"}"#).json("/event/status", json!("inProgress")),
            ],
        ),
        fact(
            "9afa17f5: only open, onHold and canceled may be asked for",
            vec![patch_json(Api, Client, &event(), r#"{"status":"successful"}"#).status(400)],
        ),
        fact(
            "93a8101e: POST /events copies the event with its tasks, starting today: 201 {event:{id,utcStartDate,\
             utcEndDate},links}; autoActivate runs it",
            vec![
                post_json(Api, Client, EVENTS, &copy_body(true))
                    .status(201)
                    .has("/event/utcStartDate")
                    .has("/event/utcEndDate")
                    .json("/links/0/rel", json!("event"))
                    .save("copy", "/event/id"),
                get(Api, Client, &format!("{EVENTS}/{{copy}}"))
                    .json("/event/name", json!(CALENDAR_PROCESS_NAME))
                    .json("/event/status", json!("successful"))
                    .len("/event/childEvents", 1),
                get(Api, Client, &event()).json("/event/status", json!("inactive")),
            ],
        ),
        fact(
            "93a8101e: a copy without autoActivate is not activated",
            vec![
                post_json(Api, Client, EVENTS, &copy_body(false)).status(201).save("copy", "/event/id"),
                get(Api, Client, &format!("{EVENTS}/{{copy}}")).json("/event/status", json!("inactive")),
            ],
        ),
        fact(
            "11cb2108: there is no list of events (GET /events is 405, SAC-MCP field notes)",
            vec![get(Api, Client, EVENTS).status(405)],
        ),
        fact(
            "93a8101e: a copy of an unknown event is 404",
            vec![post_json(Api, Client, EVENTS, r#"{"referenceEventId":"NO_SUCH_EVENT","autoActivate":true}"#)
                .status(404)],
        ),
        fact(
            "8b910196: on the browser domain PATCH and POST need the CSRF token of the session",
            vec![
                patch_json(Tenant, Client, &event(), r#"{"status":"open"}"#)
                    .status(403)
                    .header("x-csrf-token", "Required"),
                post_json(Tenant, Client, EVENTS, &copy_body(false)).status(403),
                patch_json(Tenant, Session, &event(), r#"{"status":"open"}"#)
                    .json("/event/status", json!("inProgress")),
            ],
        ),
        // ---- Monitoring API (page 137)
        fact(
            "3e7214f8: planningDataAction is a CSV whose columns start with the seven sort keys",
            vec![get(Api, Client, &format!("{MONITORING}/planningDataAction?csvName=Actions.csv"))
                .header("content-type", "text/csv")
                .header("content-disposition", "attachment; filename=\"Actions.csv\"")
                .body("type,fileName,description,userName,status,activity,timestamp")],
        ),
        fact(
            "3e7214f8: a data action of a calendar task's multi action is a line of planningDataAction",
            vec![
                post_json(Api, Client, EVENTS, &copy_body(true)).status(201),
                get(Api, Client, &format!("{MONITORING}/planningDataAction?sortKey=status&sortDescending=FALSE"))
                    .body("MULTI_ACTION,t.G:SALES_PLAN,")
                    .body(",SUCCESSFUL,MA_LOAD_ZEPPART step 2,"),
            ],
        ),
        fact(
            "3e7214f8: every model SAP lists answers (license: its header)",
            vec![
                get(Api, Client, &format!("{MONITORING}/license")).header("content-type", "text/csv"),
                get(Api, Client, &format!("{MONITORING}/userSession")).header("content-type", "text/csv"),
                get(Api, Client, &format!("{MONITORING}/user")).body("JDOE"),
            ],
        ),
        fact(
            "3e7214f8: pageSize is 1 to 100000",
            vec![
                get(Api, Client, &format!("{MONITORING}/planningDataAction?pageSize=0")).status(400),
                get(Api, Client, &format!("{MONITORING}/planningDataAction?pageSize=100000&pageIndex=1")),
            ],
        ),
    ]
}
