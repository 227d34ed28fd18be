//! Text from the server (a run's message) holding escape sequences: the
//! human output shows them as escapes, so they cannot repaint "failed" as
//! "succeeded" on a terminal; JSON keeps the text as it is (escaped by JSON).

use crate::common::*;
use sac_emulator::ClockMode;
use serde_json::json;

const REPAINT: &str = "BW down\r\u{1b}[2K\u{1b}[32mrun succeeded\u{1b}[0m\u{9b}2J";
const RUN: &[&str] = &["schedule", "run", SCHEDULE, "--model", MODEL, "--wait", "--poll-interval", "200ms"];

#[tokio::test(flavor = "multi_thread")]
async fn escape_sequences_in_a_run_message_are_shown_not_acted_on() {
    let env = setup(ClockMode::Immediate).await;
    env.admin("/emulator/faults", json!({"fail_runs": 1, "message": REPAINT})).await;
    let failed = env.run(RUN).await;
    assert_eq!(code(&failed), 1, "{}", describe(&failed));
    let out = stdout(&failed);
    for raw in ['\u{1b}', '\r', '\u{9b}'] {
        assert!(!out.contains(raw), "{raw:?} printed raw: {out:?}");
        assert!(!stderr(&failed).contains(raw), "{raw:?} on stderr: {:?}", stderr(&failed));
    }
    assert!(out.contains(r"BW down\r\x1b[2K\x1b[32mrun succeeded\x1b[0m\u{9b}2J"), "{out:?}");

    env.admin("/emulator/faults", json!({"fail_runs": 1, "message": REPAINT})).await;
    let json = env.run(&[RUN, &["--output", "json"]].concat()).await;
    assert_eq!(json_doc(&json)["message"], REPAINT, "JSON carries the text as it is");
}
