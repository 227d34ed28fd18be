//! A faithful local SAP Analytics Cloud tenant.
//!
//! The emulator serves two ports, as SAC serves two domains:
//! - the *tenant* (browser) domain with the token service (`/oauth/token`,
//!   `/oauth/authorize`), sessions and CSRF, the UI layer's
//!   `dataintegration` service (HTML login page for callers without a user
//!   context) and the admin API under `/emulator/`;
//! - the *direct API* domain: bearer tokens only, no CSRF, JSON 401s.
//!
//! Behind them a job engine really runs data imports over stored source
//! rows, and everything is kept in SQLite (in memory, or in a data
//! directory that survives restarts). See `docs/emulator.md`.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! let emulator = sac_emulator::spawn(sac_emulator::Config::default()).await?;
//! println!("token URL: {}", emulator.urls.token_url);
//! emulator.stop().await;
//! # Ok(()) }
//! ```

// The admin API and the authorization flow still pass a finished
// `Response` as their error (SAC's services use `api::error::ApiError`); the
// size of `Response` is irrelevant on these paths.
#![allow(clippy::result_large_err)]

// Layers, calls going down only: api -> auth | engine -> store -> tenant,
// clock, secrets (see docs/architecture.md).
pub mod admin;
pub mod api;
pub mod auth;
pub mod clock;
pub mod engine;
mod peers;
pub mod secrets;
pub mod store;
pub mod tenant;

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use serde::Serialize;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tower::ServiceExt;

pub use api::state::{AppState, ImportLimits, Options, Urls};
pub use clock::ClockMode;
pub use secrets::AdminToken;
pub use tenant::Tenant;

/// Which of SAC's two domains a request reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Domain {
    /// Browser domain (`<tenant>.<region>.sapanalytics.cloud`).
    Tenant,
    /// Direct API domain (`<tenant>.api.<region>.sapanalytics.cloud`).
    Api,
}

/// How to start an emulator.
#[derive(Clone, Debug)]
pub struct Config {
    /// Keep state in `<dir>/emulator.sqlite3`; in memory when `None`.
    pub data_dir: Option<PathBuf>,
    /// The tenant to seed; the demo tenant when `None`.
    pub tenant: Option<Tenant>,
    /// How runs progress (default: they take two seconds).
    pub clock: ClockMode,
    /// Approve `/oauth/authorize` as this user without showing the form.
    pub auto_approve_user: Option<String>,
    /// Idle timeout of sessions (default 15 minutes, the approuter's).
    pub session_idle: Duration,
    /// Lifetime of access tokens, overriding the tenant's (default 3599 s).
    pub access_token_secs: Option<u64>,
    /// Row and size limits of Data Import API requests.
    pub import_limits: ImportLimits,
    /// Rows per page of the Data Export API (server-side paging).
    pub export_page_size: usize,
    /// The name or address given to listen on (`--host`): admin requests
    /// may name it in `Host`, besides `127.0.0.1`, `localhost` and `[::1]`.
    pub host: Option<String>,
    /// A secret every admin request must carry (`--admin-token`).
    pub admin_token: Option<AdminToken>,
    /// Timeouts and limits of the connections both ports accept.
    pub connections: ConnectionLimits,
}

/// What the emulator allows a connection: a peer that sends nothing (or
/// stays idle between requests) is cut off, and only so many are open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Time allowed to send a request's headers, counted from the
    /// connection's start or the end of the previous response (default 20 s).
    pub header_read_timeout: Duration,
    /// Connections open at once per port; further ones wait in the
    /// listen backlog until one closes (default 512).
    pub max_connections: usize,
    /// Connections one peer address may hold open at once per port; one
    /// more from it is closed at once (default 128), so one peer cannot
    /// hold every slot.
    pub max_per_peer: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits { header_read_timeout: Duration::from_secs(20), max_connections: 512, max_per_peer: 128 }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: None,
            tenant: None,
            clock: ClockMode::Delay { seconds: 2.0 },
            auto_approve_user: None,
            session_idle: Duration::from_secs(15 * 60),
            access_token_secs: None,
            import_limits: ImportLimits::default(),
            export_page_size: 10_000,
            host: None,
            admin_token: None,
            connections: ConnectionLimits::default(),
        }
    }
}

/// Why the emulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error("cannot listen on {what}: {source}")]
    Bind { what: String, source: std::io::Error },
}

/// An emulator that is set up but not yet serving.
pub struct Emulator {
    state: AppState,
    connections: ConnectionLimits,
}

impl Emulator {
    /// Opens (or creates) the store and seeds it when it is new.
    pub fn open(config: Config) -> Result<Self, StartError> {
        let store = store::Store::open(config.data_dir.as_deref())?;
        let options = Options {
            auto_approve_user: config.auto_approve_user,
            session_idle: config.session_idle,
            access_token_secs: config.access_token_secs,
            import_limits: config.import_limits,
            export_page_size: config.export_page_size.max(1),
            admin_host: config.host,
            admin_token: config.admin_token,
        };
        let seed = config.tenant.unwrap_or_else(Tenant::demo);
        let state = AppState::open(store, seed, config.clock, options)?;
        Ok(Emulator { state, connections: config.connections })
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves the tenant domain on `tenant` and the API domain on `api`
    /// until `shutdown` completes, then lets open requests finish.
    pub async fn serve(
        self,
        tenant: TcpListener,
        api: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let urls = urls_for(&tenant, &api)?;
        self.state.set_urls(urls);
        let (stop_tx, stop_rx) = watch::channel(false);
        let limits = self.connections;
        let tenant_task =
            tokio::spawn(serve_listener(tenant, api::tenant(self.state.clone()), limits, stop_rx.clone()));
        let api_task = tokio::spawn(serve_listener(api, api::api(self.state.clone()), limits, stop_rx.clone()));
        let ticker = tokio::spawn(tick(self.state.clone(), stop_rx));
        // A signal (the caller's future) or the admin API's shutdown.
        let asked = self.state.shutdown_requested();
        tokio::select! {
            () = shutdown => {}
            () = asked => tracing::info!("stopping: asked through the admin API (POST /emulator/shutdown)"),
        }
        let _ = stop_tx.send(true);
        let _ = tokio::join!(tenant_task, api_task, ticker);
        // Nothing writes any more: another emulator may have the directory.
        self.state.store().release_lock();
        Ok(())
    }
}

fn urls_for(tenant: &TcpListener, api: &TcpListener) -> std::io::Result<Urls> {
    let base = |l: &TcpListener| -> std::io::Result<String> {
        let addr = l.local_addr()?;
        Ok(format!("http://{addr}"))
    };
    let tenant_url = base(tenant)?;
    Ok(Urls { token_url: format!("{tenant_url}/oauth/token"), tenant_url, api_url: base(api)? })
}

/// Finishes timed runs and jobs even when nobody polls (on the blocking
/// pool: a tick may write a big job).
async fn tick(state: AppState, mut stop: watch::Receiver<bool>) {
    let mut interval = tokio::time::interval(Duration::from_millis(100));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = interval.tick() => {
                let engine = state.engine_handle();
                match tokio::task::spawn_blocking(move || engine.tick()).await {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => tracing::error!(error = %e, "advancing runs failed"),
                    Err(e) => tracing::error!(error = %e, "the clock's tick panicked"),
                }
            }
            _ = stop.changed() => return,
        }
    }
}

/// Accepts connections until told to stop, at most `limits.max_connections`
/// at once and `limits.max_per_peer` of them from one address. A response marked with [`api::middleware::faults::DropConnection`] closes
/// its connection without an answer.
async fn serve_listener(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    mut stop: watch::Receiver<bool>,
) {
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let peers = peers::Peers::default();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout);
    loop {
        // Waiting for a free slot before accepting leaves further peers in
        // the kernel's backlog instead of holding a task for each.
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
            _ = stop.changed() => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stop.changed() => break,
        };
        let Some(peer_slot) = peers.admit(peer.ip(), limits.max_per_peer) else {
            tracing::warn!(peer = %peer.ip(), "a peer opened more connections than it may hold: closed");
            continue;
        };
        let router = router.clone();
        let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            let router = router.clone();
            async move {
                let response = router.oneshot(request).await.unwrap_or_else(|never| match never {});
                if response.extensions().get::<api::middleware::faults::DropConnection>().is_some() {
                    return Err(std::io::Error::other("connection dropped by an injected fault"));
                }
                Ok(response)
            }
        });
        let connection = http.serve_connection(TokioIo::new(stream), service);
        let watched = graceful.watch(connection);
        tokio::spawn(async move {
            let _ = watched.await;
            drop((slot, peer_slot));
        });
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(Duration::from_secs(5)) => tracing::warn!("open connections did not finish in 5 s"),
    }
}

/// A running emulator on loopback ports chosen by the OS. Dropping it stops
/// the server.
pub struct RunningEmulator {
    pub urls: Urls,
    pub state: AppState,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl RunningEmulator {
    /// Stops serving and waits until the server is down.
    pub async fn stop(mut self) {
        self.shutdown().await;
    }

    /// Like [`RunningEmulator::stop`], for an emulator that is borrowed.
    pub async fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for RunningEmulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Starts an emulator on `127.0.0.1` with free ports, in the background.
pub async fn spawn(config: Config) -> Result<RunningEmulator, StartError> {
    let bind = |what: &str| {
        let what = what.to_string();
        async move { TcpListener::bind("127.0.0.1:0").await.map_err(|source| StartError::Bind { what, source }) }
    };
    let tenant = bind("the tenant port").await?;
    let api = bind("the API port").await?;
    spawn_on(config, tenant, api)
}

/// Starts an emulator on the given listeners, in the background.
pub fn spawn_on(config: Config, tenant: TcpListener, api: TcpListener) -> Result<RunningEmulator, StartError> {
    let emulator = Emulator::open(config)?;
    let urls = urls_for(&tenant, &api).map_err(|source| StartError::Bind { what: "the listeners".into(), source })?;
    let state = emulator.state().clone();
    state.set_urls(urls.clone());
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(emulator.serve(tenant, api, async move {
        let _ = stop_rx.await;
    }));
    Ok(RunningEmulator { urls, state, stop: Some(stop_tx), task: Some(task) })
}
