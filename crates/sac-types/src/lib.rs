//! Serde types of the SAP Analytics Cloud (SAC) wire formats.
//!
//! This crate is the one source of truth for JSON shapes that both the client
//! (`sac-client`) and the emulator (`sac-emulator`) speak. It does no I/O.
//! Every shape carries a note on where it comes from; the confidence of each
//! fact is recorded in `docs/emulator.md` (parity table).
//!
//! The golden fixtures in `tests/fixtures/` are the examples quoted in the
//! project's API reference; `tests/fixtures.rs` proves both directions parse
//! them.

pub mod dataimport;
pub mod error;
pub mod legacy;
pub mod multiaction;
pub mod oauth;
