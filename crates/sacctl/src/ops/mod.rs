//! The operations: one module per kind of job sacctl runs in SAC
//! (schedule runs, multi action executions, Data Import pushes, exports).
//! They take resolved options (plain structs, no command-line types) and
//! return an [`outcome::Outcome`]: the exit status, the JSON document of
//! docs/output.md and what to print. The commands and the chain's steps
//! both call them, so each kind's exit mapping and document exist once.

pub mod calendar;
pub mod doctor;
pub mod export;
pub mod export_delta;
pub mod import;
pub mod monitor;
pub mod multiaction;
pub mod outcome;
pub mod schedule;
pub mod wait;
