//! What may go on in SAC without us: a run, execution or job that an error
//! document and the stderr note name, with the command that resumes it.

use serde_json::Value;

/// A run, execution or job that may go on in SAC without us: what an error
/// document and the stderr note name, and the command that resumes it.
#[derive(Clone, Debug, Default)]
pub struct Going {
    /// Ids for the JSON document (`model`, `schedule_id`, `execution_id`, `job_id`, ...).
    pub ids: serde_json::Map<String, Value>,
    /// For people: "run X of data import Y".
    pub what: String,
    /// The command that picks it up again, as it can be run.
    pub resume: String,
}

impl Going {
    pub fn new(what: impl Into<String>, resume: impl Into<String>) -> Self {
        Going { ids: Default::default(), what: what.into(), resume: resume.into() }
    }

    pub fn id(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.ids.insert(key.into(), value.into());
        self
    }

    /// Makes this what a signal reports from now on (one command runs per
    /// process, so one slot is enough).
    pub fn declare(&self) {
        *DECLARED.lock().unwrap_or_else(|e| e.into_inner()) = Some(self.clone());
    }

    /// What may go on now, as last declared.
    pub fn declared() -> Option<Going> {
        DECLARED.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The line for stderr (printed even with `--quiet`).
    pub fn note(&self) -> String {
        format!("{} may still be going on in SAC; resume with: {}", self.what, self.resume)
    }
}

/// The run a signal would leave going, see [`Going::declare`].
static DECLARED: std::sync::Mutex<Option<Going>> = std::sync::Mutex::new(None);

/// A sacctl command line as it can be run in a shell: `sacctl` and `args`,
/// each quoted where the shell would read it otherwise (ids come from the
/// server), then ` --profile NAME` unless it is the default profile.
pub fn sacctl_command(args: &[&str], profile: &str) -> String {
    let profile = (profile != "default").then_some(["--profile", profile]);
    crate::shell::command(["sacctl"].into_iter().chain(args.iter().copied()).chain(profile.into_iter().flatten()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resume_lines_quote_what_the_server_sent() {
        assert_eq!(
            sacctl_command(
                &["schedule", "wait", "F58C", "--model", "t.G:ZEPPART_001", "--execution", "7A8B"],
                "default"
            ),
            "sacctl schedule wait F58C --model t.G:ZEPPART_001 --execution 7A8B"
        );
        assert_eq!(
            sacctl_command(&["multiaction", "wait", "t.G:MA", "7A8B;touch x"], "prod"),
            "sacctl multiaction wait t.G:MA '7A8B;touch x' --profile prod"
        );
        assert_eq!(
            sacctl_command(&["import", "status", "$(rm -rf ~)"], "my profile"),
            "sacctl import status '$(rm -rf ~)' --profile 'my profile'"
        );
        assert_eq!(sacctl_command(&["import", "delete", "it's"], "default"), "sacctl import delete \"it's\"");
    }
}
