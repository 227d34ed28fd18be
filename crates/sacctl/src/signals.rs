//! The signals that end a command: SIGINT (130) and SIGTERM (143).

use crate::exit::ExitStatus;

/// Completes on SIGINT (130) or SIGTERM (143).
pub async fn interrupted() -> ExitStatus {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let (Ok(mut int), Ok(mut term)) = (signal(SignalKind::interrupt()), signal(SignalKind::terminate())) else {
            return std::future::pending().await;
        };
        tokio::select! {
            _ = int.recv() => ExitStatus::Interrupted,
            _ = term.recv() => ExitStatus::Terminated,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        ExitStatus::Interrupted
    }
}
