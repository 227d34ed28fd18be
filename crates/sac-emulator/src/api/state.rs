//! The emulator's shared state, handed to every request handler: the store,
//! the engine (which owns the tenant in force and the clock), the signing
//! keys and the request log (the faults in force are the engine's). No behaviour of its own
//! beyond seeding a fresh tenant.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, RwLock};
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ed25519_dalek::SigningKey;
use serde::Serialize;

use crate::api::middleware::requests::RequestRecord;
use crate::clock::ClockMode;
use crate::engine::Engine;
use crate::secrets::random_token;
use crate::store::{Store, StoreError, StoreResult};
use crate::tenant::Tenant;

/// The public URLs of a running emulator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Urls {
    /// Browser domain and token service, e.g. `http://127.0.0.1:8030`.
    pub tenant_url: String,
    /// Direct API domain, e.g. `http://127.0.0.1:8031`.
    pub api_url: String,
    /// Full token endpoint URL.
    pub token_url: String,
}

/// Options that stay fixed for the life of the process.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Skip the login form of `/oauth/authorize` and approve as this user.
    pub auto_approve_user: Option<String>,
    /// Idle timeout of sessions.
    pub session_idle: Duration,
    /// Overrides the tenant's access token lifetime.
    pub access_token_secs: Option<u64>,
    pub import_limits: ImportLimits,
    /// Rows per page of the Data Export API.
    pub export_page_size: usize,
    /// A host name admin requests may give besides the loopback names (`--host`).
    pub admin_host: Option<String>,
    /// The secret admin requests must carry, when set (`--admin-token`).
    pub admin_token: Option<crate::secrets::AdminToken>,
}

/// Limits of one Data Import API request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImportLimits {
    /// Rows in one `POST /jobs/{id}` (default 100,000).
    pub max_rows_per_request: usize,
    /// Bytes of one request body (default 64 MiB).
    pub max_body_bytes: usize,
    /// Active jobs (taking data or validated) one user or client may have
    /// (default 20; beyond it SAC's error 1002).
    pub active_jobs_per_user: usize,
    /// Active jobs one model or public dimension may have (default 10;
    /// beyond it SAC's error 1007).
    pub active_jobs_per_model: usize,
    /// Rows one job may hold in temporary storage (default 5,000,000;
    /// beyond it SAC's 1205, assumption).
    pub max_staged_rows_per_job: usize,
    /// Rows all jobs together may hold in temporary storage (default
    /// 20,000,000; beyond it SAC's 1205, assumption).
    pub max_staged_rows: usize,
}

impl Default for ImportLimits {
    fn default() -> Self {
        ImportLimits {
            max_rows_per_request: 100_000,
            max_body_bytes: 64 << 20,
            active_jobs_per_user: 20,
            active_jobs_per_model: 10,
            max_staged_rows_per_job: 5_000_000,
            max_staged_rows: 20_000_000,
        }
    }
}

pub(crate) struct Keys {
    /// HMAC key that signs access tokens (they are JWTs, like XSUAA's).
    pub jwt: Vec<u8>,
    /// The demo IdP's key for SAML assertions.
    pub idp: SigningKey,
}

/// Where the pages of Data Export reads end: (model, `$filter`, position)
/// -> the key of the row before that position, so that the next page can
/// seek to it. Bounded; losing an entry only costs the next page a skip.
#[derive(Default)]
pub struct ExportCursors {
    cursors: Mutex<HashMap<(String, String, i64), Vec<String>>>,
}

/// How many page ends [`ExportCursors`] remembers.
const EXPORT_CURSORS: usize = 1024;

impl ExportCursors {
    pub fn take(&self, model: &str, filter: &str, position: i64) -> Option<Vec<String>> {
        lock(&self.cursors).remove(&(model.to_string(), filter.to_string(), position))
    }

    pub fn put(&self, model: &str, filter: &str, position: i64, key: Vec<String>) {
        let mut cursors = lock(&self.cursors);
        if cursors.len() >= EXPORT_CURSORS {
            cursors.clear();
        }
        cursors.insert((model.to_string(), filter.to_string(), position), key);
    }
}

struct Inner {
    store: Arc<Store>,
    engine: Arc<Engine>,
    /// What `POST /emulator/reset` goes back to.
    seed: RwLock<Tenant>,
    keys: RwLock<Arc<Keys>>,
    requests: Mutex<VecDeque<RequestRecord>>,
    options: Options,
    urls: OnceLock<Urls>,
    export_cursors: ExportCursors,
    /// Set by `POST /emulator/shutdown`: the server then stops as on a signal.
    shutdown: tokio::sync::watch::Sender<bool>,
}

/// Cheap to clone: every clone shares the same emulator.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

/// How many requests the request log keeps.
pub const REQUEST_LOG_CAPACITY: usize = 2000;

const META_TENANT: &str = "tenant";
const META_JWT_KEY: &str = "jwt_key";
const META_IDP_KEY: &str = "idp_key";

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl AppState {
    /// Asks the server to stop (the admin API's shutdown): what a signal
    /// does, for hosts without signals (Windows).
    pub fn request_shutdown(&self) {
        self.inner.shutdown.send_replace(true);
    }

    /// Whether the admin API asked the server to stop.
    pub fn shutdown_was_requested(&self) -> bool {
        *self.inner.shutdown.borrow()
    }

    /// Completes once a shutdown was asked for through the admin API.
    pub fn shutdown_requested(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut asked = self.inner.shutdown.subscribe();
        async move {
            let _ = asked.wait_for(|asked| *asked).await;
        }
    }

    /// Opens the store. A store that already holds a tenant keeps it (a
    /// restart with `--data-dir` loses nothing); an empty one is seeded
    /// with `seed`.
    pub fn open(store: Store, seed: Tenant, clock: ClockMode, options: Options) -> StoreResult<Self> {
        let store = Arc::new(store);
        let stored = match store.read(|r| r.meta(META_TENANT))? {
            Some(json) => Some(
                serde_json::from_str::<Tenant>(&json)
                    .map_err(|e| StoreError::Corrupt(format!("stored tenant: {e}")))?,
            ),
            None => None,
        };
        let engine = Engine::new(store.clone(), stored.clone().unwrap_or_else(|| seed.clone()), clock)?;
        let state = AppState {
            inner: Arc::new(Inner {
                store,
                engine: Arc::new(engine),
                seed: RwLock::new(seed.clone()),
                keys: RwLock::new(Arc::new(Keys { jwt: vec![], idp: SigningKey::from_bytes(&[0; 32]) })),
                requests: Mutex::new(VecDeque::new()),
                options,
                urls: OnceLock::new(),
                export_cursors: ExportCursors::default(),
                shutdown: tokio::sync::watch::Sender::new(false),
            }),
        };
        match stored {
            Some(_) => state.load_keys()?,
            None => state.seed(seed)?,
        }
        Ok(state)
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// Sessions with this emulator's idle timeout.
    pub fn sessions(&self) -> crate::auth::Sessions<'_> {
        crate::auth::Sessions { store: self.store(), idle_secs: self.options().session_idle.as_secs() as i64 }
    }

    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// The engine, to move into a blocking task.
    pub fn engine_handle(&self) -> Arc<Engine> {
        self.inner.engine.clone()
    }

    pub fn tenant(&self) -> Arc<Tenant> {
        self.inner.engine.tenant()
    }

    pub(crate) fn keys(&self) -> Arc<Keys> {
        self.inner.keys.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn options(&self) -> &Options {
        &self.inner.options
    }

    pub fn urls(&self) -> Option<&Urls> {
        self.inner.urls.get()
    }

    /// The base URL of a domain (empty before the emulator serves).
    pub fn domain_url(&self, domain: crate::Domain) -> String {
        self.urls()
            .map(|u| match domain {
                crate::Domain::Tenant => u.tenant_url.clone(),
                crate::Domain::Api => u.api_url.clone(),
            })
            .unwrap_or_default()
    }

    pub(crate) fn set_urls(&self, urls: Urls) {
        let _ = self.inner.urls.set(urls);
    }

    pub fn clock(&self) -> ClockMode {
        self.inner.engine.clock()
    }

    pub fn set_clock(&self, mode: ClockMode) {
        self.inner.engine.set_clock(mode);
    }

    pub(crate) fn export_cursors(&self) -> &ExportCursors {
        &self.inner.export_cursors
    }

    pub(crate) fn requests(&self) -> MutexGuard<'_, VecDeque<RequestRecord>> {
        lock(&self.inner.requests)
    }

    /// The tenant `POST /emulator/reset` goes back to.
    pub fn seed_tenant(&self) -> Tenant {
        self.inner.seed.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Replaces the whole state with a fresh copy of `tenant`: definitions,
    /// source rows, dimension members, facts, past runs; all tokens and
    /// sessions are forgotten, new signing keys are made and no fault is
    /// in force any more (the engine's reset clears them).
    pub fn seed(&self, tenant: Tenant) -> StoreResult<()> {
        let idp = SigningKey::from_bytes(&rand::random::<[u8; 32]>());
        let tenant_json = serde_json::to_string(&tenant).expect("tenant serializes");
        self.engine().reset(tenant, |w| {
            w.set_meta(META_JWT_KEY, &random_token(32))?;
            w.set_meta(META_IDP_KEY, &STANDARD.encode(idp.to_bytes()))?;
            w.set_meta(META_TENANT, &tenant_json)
        })?;
        self.load_keys()
    }

    /// Makes `tenant` what a reset goes back to, and seeds it.
    pub fn load_tenant(&self, tenant: Tenant) -> StoreResult<()> {
        *self.inner.seed.write().unwrap_or_else(|p| p.into_inner()) = tenant.clone();
        self.seed(tenant)
    }

    fn load_keys(&self) -> StoreResult<()> {
        let missing = |k: &str| StoreError::Corrupt(format!("missing key {k}"));
        let (jwt, idp) = self.store().read(|r| Ok((r.meta(META_JWT_KEY)?, r.meta(META_IDP_KEY)?)))?;
        let jwt = jwt.ok_or_else(|| missing(META_JWT_KEY))?;
        let idp = idp.ok_or_else(|| missing(META_IDP_KEY))?;
        let idp: [u8; 32] = STANDARD
            .decode(idp)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| StoreError::Corrupt("IdP key".into()))?;
        *self.inner.keys.write().unwrap_or_else(|p| p.into_inner()) =
            Arc::new(Keys { jwt: jwt.into_bytes(), idp: SigningKey::from_bytes(&idp) });
        Ok(())
    }
}

/// The admin service seeds through the shared state, which keeps the signing keys.
impl crate::admin::Seeding for AppState {
    fn seed_tenant(&self) -> Tenant {
        AppState::seed_tenant(self)
    }

    fn seed(&self, tenant: Tenant) -> StoreResult<()> {
        AppState::seed(self, tenant)
    }

    fn load_tenant(&self, tenant: Tenant) -> StoreResult<()> {
        AppState::load_tenant(self, tenant)
    }
}

/// Runs engine work that may write many rows on the blocking pool, so that
/// a big write never stalls the workers that answer polls.
pub(crate) async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    match tokio::task::spawn_blocking(work).await {
        Ok(value) => value,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}
