//! What a session may do: `--read-only` (only the tools that read) and
//! `--allow` (the models, schedules, multi actions and calendar events it
//! may touch). Checked before a tool calls SAC.

use sac_client::ids::ModelId;

use crate::failure::Failure;

/// The tools that change something in SAC (or write a file): refused with
/// `--read-only`. Every other tool only reads.
pub const WRITING: &[&str] = &["run_schedule", "run_multi_action", "run_calendar_event", "push_file", "export_to_file"];

/// The session's switches.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Safety {
    pub read_only: bool,
    /// Names the session may touch; empty: any.
    pub allow: Vec<String>,
}

impl Safety {
    /// Whether `tool` is served.
    pub fn serves(&self, tool: &str) -> bool {
        !(self.read_only && WRITING.contains(&tool))
    }

    /// The refusal of a tool that writes in a read-only session.
    pub fn read_only_refusal(tool: &str) -> Failure {
        let mut failure = Failure::usage(format!(
            "refused: {tool} changes data in SAC, and this MCP session was started with --read-only"
        ));
        failure.hints.push("start `sacctl mcp` without --read-only to let the assistant run or load".into());
        failure
    }

    /// Whether the session may touch the `kind` named `name` (a model is
    /// matched by its id too: `t.G:ZEPPART_001` and `ZEPPART_001` are one).
    pub fn check(&self, kind: &str, name: &str) -> Result<(), Failure> {
        if self.allowed(name) {
            return Ok(());
        }
        let mut failure = Failure::usage(format!("refused: {kind} {name} is not in this MCP session's --allow list"));
        failure.hints.push(format!(
            "this session may touch only: {}; start `sacctl mcp` with --allow {name} to add it",
            self.allow.join(", ")
        ));
        Err(failure)
    }

    pub fn allowed(&self, name: &str) -> bool {
        self.allow.is_empty()
            || self.allow.iter().any(|a| a == name || ModelId::of(a).as_str() == ModelId::of(name).as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_matches_a_model_by_full_name_or_id_and_nothing_else() {
        let safety = Safety { read_only: false, allow: vec!["t.G:ZEPPART_001".into(), "F58C".into()] };
        assert!(safety.check("model", "ZEPPART_001").is_ok());
        assert!(safety.check("model", "t.G:ZEPPART_001").is_ok());
        assert!(safety.check("schedule", "F58C").is_ok());
        let refused = safety.check("model", "SALES_PLAN").unwrap_err();
        assert!(refused.error.to_string().contains("SALES_PLAN is not in"), "{}", refused.error);
        assert!(Safety::default().check("model", "SALES_PLAN").is_ok(), "no --allow: anything");
    }

    #[test]
    fn read_only_serves_only_reading_tools() {
        let safety = Safety { read_only: true, allow: vec![] };
        assert!(!safety.serves("run_schedule"));
        assert!(!safety.serves("push_file"));
        assert!(safety.serves("list_models"));
        assert!(Safety::default().serves("run_schedule"));
    }
}
