//! An error on its way out of a command: the exit status it means, hints,
//! and the run that may go on without us.

use crate::exit::ExitStatus;
use crate::going::Going;
use crate::settings;

/// An error together with the exit status it means, what to do about it,
/// and the run, execution or job that may go on without us.
#[derive(Debug)]
pub struct Failure {
    pub status: ExitStatus,
    pub error: anyhow::Error,
    pub hints: Vec<String>,
    pub going: Option<Going>,
}
impl Failure {
    pub fn new(status: ExitStatus, error: impl Into<anyhow::Error>) -> Self {
        Failure { status, error: error.into(), hints: Vec::new(), going: None }
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Failure::new(ExitStatus::Usage, anyhow::anyhow!(message.into()))
    }

    /// A signal ended the command (130 or 143).
    pub fn interrupted(status: ExitStatus) -> Self {
        let signal = if status == ExitStatus::Terminated { "SIGTERM" } else { "SIGINT" };
        Failure::new(status, anyhow::anyhow!("stopped by {signal}"))
    }

    /// Names the run that may go on (kept when one is named already).
    pub fn going(mut self, going: &Going) -> Self {
        self.going.get_or_insert_with(|| going.clone());
        self
    }
}

/// Attaches the run that may go on to any error on its way out.
pub trait WithGoing<T> {
    fn going(self, going: &Going) -> Result<T, Failure>;
}

impl<T, E: Into<Failure>> WithGoing<T> for Result<T, E> {
    fn going(self, going: &Going) -> Result<T, Failure> {
        self.map_err(|e| e.into().going(going))
    }
}

impl From<sac_client::Error> for Failure {
    fn from(error: sac_client::Error) -> Self {
        use sac_client::ErrorClass;
        let status = match error.class() {
            ErrorClass::Auth => ExitStatus::Auth,
            ErrorClass::NotFound => ExitStatus::NotFound,
            ErrorClass::JobFailed => ExitStatus::JobFailed,
            ErrorClass::AlreadyRunning => ExitStatus::AlreadyRunning,
            ErrorClass::Unreachable => ExitStatus::Unreachable,
            ErrorClass::TimedOut => ExitStatus::Timeout,
            ErrorClass::Usage => ExitStatus::Usage,
        };
        let hints = error.hints();
        Failure { status, error: error.into(), hints, going: None }
    }
}

impl From<settings::SettingsError> for Failure {
    fn from(error: settings::SettingsError) -> Self {
        match error {
            settings::SettingsError::Client(e) => e.into(),
            other => {
                let mut failure = Failure::new(ExitStatus::Usage, other);
                failure
                    .hints
                    .push("`sacctl --help` lists the variables (Environment); `sacctl config init` writes a commented profile".into());
                failure
            }
        }
    }
}
