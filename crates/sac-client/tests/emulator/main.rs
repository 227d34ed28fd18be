//! The client against the emulator over loopback HTTP: the seed story with
//! each grant, every refusal as a typed error, and the failures a scheduler
//! meets (expired tokens and CSRF, 429/503 bursts, lost answers, timeouts).

mod attribution;
mod auth;
mod data_import;
mod multi_actions;
mod schedules;
mod support;
