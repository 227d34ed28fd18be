//! A chain's multiaction step whose execution ends `warning` because a step failed: `warnings_ok`
//! does not make it a success, `allow_failed_steps` does (docs/exit-codes.md).

use crate::common::*;
use sac_emulator::ClockMode;
use serde_json::json;

use super::{step, write_chain};

fn chain(key: &str) -> String {
    format!(
        "[step.load]\nkind = \"multiaction\"\nmultiaction = \"{MULTI_ACTION}\"\nparams = {{ TargetVersion = \"public.Plan\" }}\n\
         poll_interval = \"100ms\"\n{key} = true\n"
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn warnings_ok_keeps_a_failed_step_failing_and_allow_failed_steps_accepts_it() {
    let env = setup(ClockMode::Immediate).await;
    let strict = write_chain(&env, "strict.toml", &chain("warnings_ok"));
    env.admin("/emulator/faults", json!({"fail_data_actions": 1, "message": "version public.Plan is locked"})).await;
    let warned = env.run(&["chain", "run", strict.to_str().unwrap(), "--output", "json"]).await;
    assert_eq!(code(&warned), 6, "{}", describe(&warned));
    let doc = json_doc(&warned);
    assert_eq!(step(&doc, "load")["result"]["failed_steps"], json!(["Data Action 2"]), "{doc:#}");

    let lenient = write_chain(&env, "lenient.toml", &chain("allow_failed_steps"));
    env.admin("/emulator/faults", json!({"fail_data_actions": 1, "message": "version public.Plan is locked"})).await;
    let accepted = env.run_ok(&["chain", "run", lenient.to_str().unwrap(), "--output", "json"]).await;
    let doc = json_doc(&accepted);
    assert_eq!(step(&doc, "load")["result"]["status"], "warning", "{doc:#}");
    assert_eq!(step(&doc, "load")["exit_code"], 0, "{doc:#}");
}
