//! Load chains: a TOML file of steps (schedule runs, multi actions,
//! imports, exports, waits, local programs) with dependencies, run side by
//! side where the dependencies allow, with a state file to resume from.
//! See docs/chains.md.
//!
//! `file` reads and checks a chain (`reader`, `vars`, `diag`, `cycle` help
//! it), `load` reads it for a command, `plan` orders it, `steps` runs one
//! step through the same operations as its sacctl command (`crate::ops`;
//! `command` runs the local program of a `command` step), `run` drives the
//! chain, `state` keeps what it did and `summary` says how it ended. The `sacctl chain` command itself is `commands/chain.rs`.

pub mod command;
mod cycle;
pub mod diag;
pub mod file;
pub mod load;
pub mod plan;
mod reader;
pub mod run;
pub mod state;
pub mod steps;
pub mod summary;
pub mod vars;

#[cfg(test)]
mod tests;
