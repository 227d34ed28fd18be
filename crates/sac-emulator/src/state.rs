//! The emulator's shared state: the store, the current tenant, the signing
//! keys, the run clock, the injected faults and the request log.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, RwLock};
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ed25519_dalek::SigningKey;
use serde::{Deserialize, Serialize};

use crate::faults::Fault;
use crate::requests::RequestRecord;
use crate::secrets::random_token;
use crate::store::{Store, StoreError, StoreResult};
use crate::tenant::Tenant;

/// How runs progress from the moment they start.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum ClockMode {
    /// A run is finished by the time the trigger answers.
    Immediate,
    /// A run takes `seconds` of wall-clock time.
    Delay { seconds: f64 },
    /// A run reports "running" to `polls` log reads, then finishes.
    Polls { polls: u32 },
    /// A run stays running until `POST /emulator/clock/release`.
    Manual,
}

impl ClockMode {
    /// When something started at `now_ms` under this clock finishes: a due
    /// time (timed), a number of status reads (poll-counted), or neither
    /// (pinned until released).
    pub fn finish_plan(self, now_ms: i64) -> (Option<i64>, Option<i64>) {
        match self {
            ClockMode::Immediate => (Some(now_ms), None),
            ClockMode::Delay { seconds } => (Some(now_ms + (seconds * 1000.0) as i64), None),
            ClockMode::Polls { polls } => (None, Some(i64::from(polls))),
            ClockMode::Manual => (None, None),
        }
    }
}

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
}

/// Limits of one Data Import API request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImportLimits {
    /// Rows in one `POST /jobs/{id}` (default 100,000).
    pub max_rows_per_request: usize,
    /// Bytes of one request body (default 64 MiB).
    pub max_body_bytes: usize,
}

impl Default for ImportLimits {
    fn default() -> Self {
        ImportLimits { max_rows_per_request: 100_000, max_body_bytes: 64 << 20 }
    }
}

/// A counted failure: the next `count` runs (or data-action steps) fail with `message`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FailRuns {
    pub count: u32,
    pub message: String,
}

pub(crate) struct Keys {
    /// HMAC key that signs access tokens (they are JWTs, like XSUAA's).
    pub jwt: Vec<u8>,
    /// The demo IdP's key for SAML assertions.
    pub idp: SigningKey,
}

struct Inner {
    store: Store,
    /// What `POST /emulator/reset` goes back to.
    seed: RwLock<Tenant>,
    tenant: RwLock<Arc<Tenant>>,
    keys: RwLock<Arc<Keys>>,
    clock: Mutex<ClockMode>,
    faults: Mutex<Vec<Fault>>,
    fail_runs: Mutex<Option<FailRuns>>,
    fail_data_actions: Mutex<Option<FailRuns>>,
    /// (runs left, log reads each stays hidden)
    log_lag: Mutex<Option<(u32, u32)>>,
    requests: Mutex<VecDeque<RequestRecord>>,
    options: Options,
    urls: OnceLock<Urls>,
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
    /// Opens the store. A store that already holds a tenant keeps it (a
    /// restart with `--data-dir` loses nothing); an empty one is seeded
    /// with `seed`.
    pub fn open(store: Store, seed: Tenant, clock: ClockMode, options: Options) -> StoreResult<Self> {
        let stored = match store.meta(META_TENANT)? {
            Some(json) => Some(
                serde_json::from_str::<Tenant>(&json)
                    .map_err(|e| StoreError::Corrupt(format!("stored tenant: {e}")))?,
            ),
            None => None,
        };
        let state = AppState {
            inner: Arc::new(Inner {
                store,
                tenant: RwLock::new(Arc::new(stored.clone().unwrap_or_else(|| seed.clone()))),
                seed: RwLock::new(seed.clone()),
                keys: RwLock::new(Arc::new(Keys { jwt: vec![], idp: SigningKey::from_bytes(&[0; 32]) })),
                clock: Mutex::new(clock),
                faults: Mutex::new(Vec::new()),
                fail_runs: Mutex::new(None),
                fail_data_actions: Mutex::new(None),
                log_lag: Mutex::new(None),
                requests: Mutex::new(VecDeque::new()),
                options,
                urls: OnceLock::new(),
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

    pub fn tenant(&self) -> Arc<Tenant> {
        self.inner.tenant.read().unwrap_or_else(|p| p.into_inner()).clone()
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
        *lock(&self.inner.clock)
    }

    pub fn set_clock(&self, mode: ClockMode) {
        *lock(&self.inner.clock) = mode;
    }

    pub(crate) fn faults(&self) -> MutexGuard<'_, Vec<Fault>> {
        lock(&self.inner.faults)
    }

    pub(crate) fn fail_runs(&self) -> MutexGuard<'_, Option<FailRuns>> {
        lock(&self.inner.fail_runs)
    }

    pub(crate) fn fail_data_actions(&self) -> MutexGuard<'_, Option<FailRuns>> {
        lock(&self.inner.fail_data_actions)
    }

    pub(crate) fn log_lag(&self) -> MutexGuard<'_, Option<(u32, u32)>> {
        lock(&self.inner.log_lag)
    }

    pub(crate) fn requests(&self) -> MutexGuard<'_, VecDeque<RequestRecord>> {
        lock(&self.inner.requests)
    }

    /// The tenant `POST /emulator/reset` goes back to.
    pub fn seed_tenant(&self) -> Tenant {
        self.inner.seed.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Replaces the whole state with a fresh copy of `tenant`: definitions,
    /// source rows, dimension members, past runs; all tokens and sessions
    /// are forgotten and new signing keys are made.
    pub fn seed(&self, tenant: Tenant) -> StoreResult<()> {
        let store = self.store();
        store.wipe()?;
        store.set_meta(META_JWT_KEY, &random_token(32))?;
        let idp = SigningKey::from_bytes(&rand::random::<[u8; 32]>());
        store.set_meta(META_IDP_KEY, &STANDARD.encode(idp.to_bytes()))?;
        for source in &tenant.sources {
            for object in &source.objects {
                store.replace_source_rows(&source.name, &object.name, &object.rows)?;
            }
        }
        for dim in &tenant.dimensions {
            store.upsert_members(&dim.id, dim.key_attribute(), &dim.members)?;
        }
        store.set_meta(META_TENANT, &serde_json::to_string(&tenant).expect("tenant serializes"))?;
        *self.inner.tenant.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(tenant);
        self.load_keys()?;
        crate::engine::replay_history(self)?;
        crate::planning::seed_facts(self)?;
        self.faults().clear();
        *self.fail_runs() = None;
        *self.fail_data_actions() = None;
        *self.log_lag() = None;
        Ok(())
    }

    /// Makes `tenant` what a reset goes back to, and seeds it.
    pub fn load_tenant(&self, tenant: Tenant) -> StoreResult<()> {
        *self.inner.seed.write().unwrap_or_else(|p| p.into_inner()) = tenant.clone();
        self.seed(tenant)
    }

    fn load_keys(&self) -> StoreResult<()> {
        let store = self.store();
        let missing = |k: &str| StoreError::Corrupt(format!("missing key {k}"));
        let jwt = store.meta(META_JWT_KEY)?.ok_or_else(|| missing(META_JWT_KEY))?;
        let idp = store.meta(META_IDP_KEY)?.ok_or_else(|| missing(META_IDP_KEY))?;
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

/// Unix seconds now.
pub fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Unix milliseconds now.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// UTC RFC 3339 with second precision (`2020-11-13T09:15:02Z`), as SAC logs.
pub fn utc_timestamp(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
