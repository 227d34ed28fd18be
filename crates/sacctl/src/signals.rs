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

/// How long a command that cleans up after a signal itself (see
/// [`CleansUp`]) may take before the process ends anyway.
pub const CLEANUP_LIMIT: std::time::Duration = std::time::Duration::from_secs(15);

/// Commands holding a [`CleansUp`] now.
static CLEANING: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Held by a command that handles SIGINT/SIGTERM itself (a push deletes its
/// import job): while one is held, a signal lets the command end on its
/// own, for at most [`CLEANUP_LIMIT`], instead of dropping it at once.
pub struct CleansUp(());

impl CleansUp {
    pub fn hold() -> Self {
        CLEANING.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        CleansUp(())
    }

    /// True while some command holds one.
    pub fn held() -> bool {
        CLEANING.load(std::sync::atomic::Ordering::SeqCst) > 0
    }
}

impl Drop for CleansUp {
    fn drop(&mut self) {
        CLEANING.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}
