//! What runs around the handlers, layered by `api/mod.rs` on the groups of
//! routes it applies to: who may use the admin API (`admin_guard`), CSRF
//! on the browser domain (`csrf`), the injected faults (`faults`) and the
//! request log (`record`, keeping `requests`).

pub mod admin_guard;
pub mod csrf;
pub mod faults;
pub mod record;
pub mod requests;
