//! Progress of a wait as MCP progress notifications: the operations'
//! reporters (called on each status read) put a line on a channel, and a
//! task sends it to the client under the request's progress token.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rmcp::model::{ProgressNotificationParam, ProgressToken};
use rmcp::{Peer, RoleServer};
use sac_client::calendar::{CalendarReporter, Event};
use sac_client::report::{LockReporter, MaReporter, Reporter};
use sac_types::legacy::RefreshLog;
use sac_types::multiaction::ExecutionStatus;
use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};

use crate::output::one_line;

/// Sends each status read as a notification (nothing when the client
/// asked for no progress).
pub struct Notifier {
    sender: Option<UnboundedSender<(f64, String)>>,
    count: AtomicU64,
}

impl Notifier {
    /// A notifier for the request with `token` (None: the client wants none).
    pub fn new(peer: Peer<RoleServer>, token: Option<ProgressToken>) -> Self {
        let Some(token) = token else { return Notifier { sender: None, count: AtomicU64::new(0) } };
        let (sender, mut lines) = unbounded_channel::<(f64, String)>();
        tokio::spawn(async move {
            while let Some((progress, message)) = lines.recv().await {
                let param = ProgressNotificationParam::new(token.clone(), progress).with_message(message);
                if peer.notify_progress(param).await.is_err() {
                    break;
                }
            }
        });
        Notifier { sender: Some(sender), count: AtomicU64::new(0) }
    }

    /// Sends `text` as the next step.
    pub fn say(&self, text: &str) {
        if let Some(sender) = &self.sender {
            let step = self.count.fetch_add(1, Ordering::Relaxed) + 1;
            let _ = sender.send((step as f64, one_line(text).into_owned()));
        }
    }
}

impl Reporter for Notifier {
    fn polled(&self, run: Option<&RefreshLog>, elapsed: Duration) {
        let secs = elapsed.as_secs();
        self.say(&match run {
            Some(run) => {
                let rows = &run.wrangling_and_update_result.data;
                format!(
                    "run {} {} ({} rows read so far, {secs} s)",
                    run.execution_id,
                    crate::report::state(run.status),
                    rows.all_count
                )
            }
            None => format!("waiting for the run to show in SAC's logs ({secs} s)"),
        });
    }

    fn other_run(&self, run: &RefreshLog, why: &str) {
        self.say(&format!("warning: run {} of this data import {why}", run.execution_id));
    }
}

impl LockReporter for Notifier {
    fn waiting(&self, _lock: &std::path::Path) {
        self.say("another sacctl of this host is starting this data import; waiting until it sees its run");
    }
}

impl MaReporter for Notifier {
    fn polled(&self, status: &ExecutionStatus, elapsed: Duration) {
        self.say(&format!("execution {} {} ({} s)", status.execution_id, status.status.as_str(), elapsed.as_secs()));
    }
}

impl CalendarReporter for Notifier {
    fn polled(&self, event: &Event, elapsed: Duration) {
        let progress = event.progress.as_ref().map(|p| format!(", {p}%")).unwrap_or_default();
        self.say(&format!("calendar event {} {}{progress} ({} s)", event.id, event.status(), elapsed.as_secs()));
    }
}
