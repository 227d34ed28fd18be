//! Rows for the Multi Actions API (REST API guide pages 85-89): its messages, codes and refusals.
//! Multi actions run under a business user, so each row first gets JDOE's token from the token
//! service (password grant of the interactive client) and sends it as `Bearer {user}`.

use serde_json::json;

use super::Auth::{Basic, Client};
use super::Domain::{Api, Tenant};
use super::*;

const MA: &str = "/api/v1/multiActions/t.G:MA_LOAD_ZEPPART/executions";
const FORM: &str = "application/x-www-form-urlencoded";
const PLAN: &str =
    r#"{"parameterValues":[{"parameterId":"TargetVersion","value":{"memberIds":["public.Plan"],"hierarchyId":null}}]}"#;

/// The token of a business user, kept as `{user}`.
fn user_token(user: &'static str) -> Step {
    let form = format!("grant_type=password&username={user}&password=Welcome1%21");
    post(Tenant, Basic("sacctl-user", "sacctl-user-secret"), "/oauth/token", Some(FORM), &form)
        .save("user", "/access_token")
}

fn as_user(step: Step) -> Step {
    step.with("authorization", "Bearer {user}")
}

fn start(body: &str) -> Step {
    as_user(post_json(Api, Auth::None, MA, body))
}

fn is_error_without_made_up_info(v: &Value) -> bool {
    v.as_array().is_some_and(|messages| messages.iter().all(|m| m["severity"] != "info" || m.get("code").is_none()))
}

pub fn facts() -> Vec<Fact> {
    vec![
        fact(
            "multi actions 80680a8a: a start answers 202 with executionId and a STATUS link",
            vec![
                user_token("JDOE"),
                start(PLAN).status(202).has("/executionId").json("/links/0/rel", json!("STATUS")).lacks("/status"),
            ],
        ),
        fact(
            "multi actions 80680a8a: a body that is not JSON is 400 599000999 in the messages format",
            vec![
                user_token("JDOE"),
                start("{")
                    .status(400)
                    .json("/messages/0/code", json!("599000999"))
                    .json("/messages/0/message", json!("Invalid request. Please provide a valid request body.")),
            ],
        ),
        fact(
            "multi actions 80680a8a: a body without parameterValues is 400 599000999, severity error",
            vec![
                user_token("JDOE"),
                start("{}")
                    .status(400)
                    .json("/messages/0/code", json!("599000999"))
                    .json("/messages/0/severity", json!("error")),
            ],
        ),
        fact(
            "multi actions 80680a8a: an unknown multi action is 404 596000996",
            vec![
                user_token("JDOE"),
                as_user(post_json(Api, Auth::None, "/api/v1/multiActions/t.G:NOPE/executions", PLAN))
                    .status(404)
                    .json("/messages/0/code", json!("596000996"))
                    .json(
                        "/messages/0/message",
                        json!("The resource does not exist or you do not have permission to read it."),
                    ),
            ],
        ),
        fact(
            "multi actions 80680a8a: a user without the right to execute is 403 596000998",
            vec![
                user_token("VIEWER"),
                start(PLAN).status(403).json("/messages/0/code", json!("596000998")).json(
                    "/messages/0/message",
                    json!("You are not authorized to execute MULTIACTIONS t.G:MA_LOAD_ZEPPART"),
                ),
            ],
        ),
        fact(
            "multi actions 80680a8a: a token without a business user is 401 Unauthorized",
            vec![post_json(Api, Client, MA, PLAN).status(401).body("Unauthorized")],
        ),
        fact(
            "multi actions ff7815c6: an unknown execution is 404 596000996",
            vec![
                user_token("JDOE"),
                as_user(get(Api, Auth::None, &format!("{MA}/0000000000000000000000000000000F")))
                    .status(404)
                    .json("/messages/0/code", json!("596000996")),
            ],
        ),
        fact(
            "multi actions ff7815c6: status with executionId, status, utcStartDate and executionResult.messages",
            vec![
                user_token("JDOE"),
                start(PLAN).status(202).save("execution", "/executionId"),
                as_user(get(Api, Auth::None, &format!("{MA}/{{execution}}")))
                    .json("/status", json!("successful"))
                    .has("/utcStartDate")
                    .has("/executionResult/messages")
                    .test(
                        "/executionResult/messages",
                        "info messages without a made-up code (ad2758ce)",
                        is_error_without_made_up_info,
                    ),
            ],
        ),
        fact(
            "multi actions ff7815c6: a wrong member fails the execution with 501000515 and the parameterId in details",
            vec![
                user_token("JDOE"),
                start(&PLAN.replace("public.Plan", "public.Budget")).status(202).save("execution", "/executionId"),
                as_user(get(Api, Auth::None, &format!("{MA}/{{execution}}")))
                    .json("/status", json!("failed"))
                    .json("/executionResult/messages/0/code", json!("501000515"))
                    .json("/executionResult/messages/0/details/0/parameterId", json!("TargetVersion")),
            ],
        ),
    ]
}
