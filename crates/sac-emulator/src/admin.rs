//! The emulator's own controls, below the HTTP layer: reset, the run clock,
//! the emulator's time, releasing pinned work, the faults in force and the tenant. The JSON admin
//! API (`api/emulator/admin.rs`) and the console's admin page
//! (`api/emulator/console/admin.rs`)
//! are thin adapters over these functions: they parse their own request
//! format and render the outcome, nothing else.

use crate::clock::ClockMode;
use crate::engine::faults::Armed;
use crate::engine::{Engine, Fault};
use crate::store::{StoreError, StoreResult};
use crate::tenant::Tenant;

/// Why an admin operation was refused. The adapters choose the status
/// (400, 404, 500) and the shape of the answer.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// The request asks for something the emulator cannot do.
    #[error("{0}")]
    Invalid(String),
    /// The request names something that does not exist (or no longer runs).
    #[error("{0}")]
    NotFound(String),
    #[error("the emulator's store failed")]
    Store(#[from] StoreError),
}

/// Seeding a tenant, which also makes new signing keys and so is done by
/// the emulator's shared state (`AppState`), which the HTTP layer holds.
pub trait Seeding {
    /// The tenant a reset goes back to.
    fn seed_tenant(&self) -> Tenant;
    /// Replaces the whole state with a fresh copy of `tenant`.
    fn seed(&self, tenant: Tenant) -> StoreResult<()>;
    /// Makes `tenant` what a reset goes back to, and seeds it.
    fn load_tenant(&self, tenant: Tenant) -> StoreResult<()>;
}

/// Back to the seed tenant: runs, jobs, executions, tokens, sessions and
/// faults are forgotten, and the emulator's time is wall time again (the
/// store's wipe rewinds its clock). The letter of the tenant in force.
pub fn reset(emulator: &impl Seeding, engine: &Engine) -> Result<String, AdminError> {
    emulator.seed(emulator.seed_tenant())?;
    Ok(engine.tenant().letter.clone())
}

/// The tenant in force, with its secrets masked.
pub fn tenant(engine: &Engine) -> Tenant {
    let mut tenant = (*engine.tenant()).clone();
    tenant.clients.iter_mut().for_each(|c| c.secret = "***".into());
    tenant.users.iter_mut().for_each(|u| u.password = "***".into());
    tenant
}

/// How a tenant definition is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TenantFormat {
    Json,
    Toml,
}

/// Loads a tenant definition (docs/emulator.md) and makes it what a reset
/// goes back to. The letter of the tenant in force.
pub fn load_tenant(
    emulator: &impl Seeding,
    engine: &Engine,
    text: &[u8],
    format: TenantFormat,
) -> Result<String, AdminError> {
    let text = std::str::from_utf8(text)
        .map_err(|_| AdminError::Invalid("the tenant must be UTF-8 text (TOML or JSON)".into()))?;
    let parsed = match format {
        TenantFormat::Json => serde_json::from_str::<Tenant>(text)
            .map_err(|e| e.to_string())
            .and_then(|t| t.validate().map(|()| t).map_err(|e| e.to_string())),
        TenantFormat::Toml => Tenant::from_toml(text).map_err(|e| e.to_string()),
    };
    emulator.load_tenant(parsed.map_err(AdminError::Invalid)?)?;
    Ok(engine.tenant().letter.clone())
}

/// Sets how runs and jobs advance.
pub fn set_clock(engine: &Engine, mode: ClockMode) -> Result<ClockMode, AdminError> {
    if let ClockMode::Delay { seconds } = mode {
        if !(0.0..=86_400.0).contains(&seconds) {
            return Err(AdminError::Invalid("delay seconds must be between 0 and 86400".into()));
        }
    }
    engine.set_clock(mode);
    Ok(mode)
}

/// The longest step [`advance_clock`] takes at once: ten years.
pub const MAX_ADVANCE_SECS: i64 = 10 * 366 * 86_400;

/// The emulator's time stays before 10000-01-01T00:00:00Z, so that every
/// timestamp it writes keeps four-digit years and no date arithmetic leaves
/// chrono's range, however many advances a fuzzer sends.
const LATEST_SECS: i64 = 253_402_300_800;

/// The emulator's time after an advance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EmulatorTime {
    /// Unix milliseconds, emulator time.
    pub now_ms: i64,
    /// How far the emulator is ahead of wall time, in seconds.
    pub offset_secs: i64,
}

/// Moves the emulator's time `seconds` forward: tokens, sessions and
/// authorization codes expire, and timed runs, jobs and executions come due
/// (they finish on their next read), as if that time had passed. Never back.
pub fn advance_clock(engine: &Engine, seconds: i64) -> Result<EmulatorTime, AdminError> {
    if !(1..=MAX_ADVANCE_SECS).contains(&seconds) {
        return Err(AdminError::Invalid(format!(
            "seconds must be a whole number between 1 and {MAX_ADVANCE_SECS} (ten years): the emulator's time \
             only goes forward, not {seconds}"
        )));
    }
    if engine.now_ms() / 1000 + seconds >= LATEST_SECS {
        return Err(AdminError::Invalid("the emulator's time cannot go past the year 9999".into()));
    }
    let offset_ms = engine.store().advance_clock(seconds * 1000)?;
    Ok(EmulatorTime { now_ms: engine.now_ms(), offset_secs: offset_ms / 1000 })
}

/// Finishes the pinned run, job or execution with this id, or all of them:
/// how many were released. Writes; run it off the async workers.
pub fn release(engine: &Engine, id: Option<&str>) -> Result<usize, AdminError> {
    match (engine.release(id)?, id) {
        (0, Some(id)) => Err(AdminError::NotFound(format!("no running run with execution id {id}"))),
        (released, _) => Ok(released),
    }
}

/// Puts a fault in force (an engine fault replaces the one of its kind).
pub fn arm_fault(engine: &Engine, fault: Fault) {
    engine.faults().arm(fault);
}

/// Every fault in force, of every kind, in the order they were armed.
pub fn faults(engine: &Engine) -> Vec<Armed> {
    engine.faults().list()
}

/// Disarms every fault, of every kind.
pub fn clear_faults(engine: &Engine) {
    engine.faults().clear();
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::engine::faults::Counted;
    use crate::store::Store;

    fn engine() -> Engine {
        Engine::new(Arc::new(Store::open(None).unwrap()), Tenant::demo(), ClockMode::Immediate).unwrap()
    }

    #[test]
    fn refusals_say_why() {
        let engine = engine();
        let far = set_clock(&engine, ClockMode::Delay { seconds: 90_000.0 }).unwrap_err();
        assert!(matches!(&far, AdminError::Invalid(why) if why.contains("86400")), "{far}");
        assert_eq!(engine.clock(), ClockMode::Immediate, "a refused mode changes nothing");
        assert_eq!(set_clock(&engine, ClockMode::Manual).unwrap(), ClockMode::Manual);
        assert!(matches!(release(&engine, Some("NOPE")), Err(AdminError::NotFound(_))));
        for refused in [0, -5, MAX_ADVANCE_SECS + 1] {
            let why = advance_clock(&engine, refused).unwrap_err();
            assert!(matches!(&why, AdminError::Invalid(why) if why.contains("ten years")), "{refused}: {why}");
        }
        assert_eq!(engine.store().clock().offset_ms(), 0, "a refused advance moves nothing");
        assert_eq!(release(&engine, None).unwrap(), 0, "releasing nothing is no error");
    }

    #[test]
    fn advances_add_up_and_a_reset_goes_back_to_wall_time() {
        let engine = engine();
        let before = engine.now_ms();
        assert_eq!(advance_clock(&engine, 60).unwrap().offset_secs, 60);
        let time = advance_clock(&engine, MAX_ADVANCE_SECS).unwrap();
        assert_eq!(time.offset_secs, 60 + MAX_ADVANCE_SECS);
        assert!(time.now_ms >= before + (60 + MAX_ADVANCE_SECS) * 1000);
        let until_9999 = (LATEST_SECS - engine.now_ms() / 1000) / MAX_ADVANCE_SECS;
        for _ in 0..until_9999 {
            advance_clock(&engine, MAX_ADVANCE_SECS).unwrap();
        }
        let last = advance_clock(&engine, MAX_ADVANCE_SECS).unwrap_err();
        assert!(last.to_string().contains("9999"), "{last}");
        engine.reset(Tenant::demo(), |_| Ok(())).unwrap();
        assert_eq!(engine.store().clock().offset_ms(), 0);
    }

    #[test]
    fn faults_are_armed_listed_and_cleared_together() {
        let engine = engine();
        arm_fault(&engine, Fault::FailRuns(Counted { count: 2, message: "down".into() }));
        arm_fault(&engine, Fault::CrashAfterRows { rows: 10 });
        assert_eq!(faults(&engine).len(), 2);
        clear_faults(&engine);
        assert_eq!(faults(&engine), []);
    }

    #[test]
    fn the_tenant_is_shown_without_secrets() {
        let shown = tenant(&engine());
        assert!(shown.clients.iter().all(|c| c.secret == "***") && shown.users.iter().all(|u| u.password == "***"));
    }
}
