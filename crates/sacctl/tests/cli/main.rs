//! `sacctl` as its users run it: real `sacctl` processes against emulators
//! (in the test's process, or as `sacctl emulator` processes), one module
//! per topic.

mod calendar;
mod chain;
mod common;
mod emulator;
mod emulator_crash;
mod emulator_service;
mod emulator_stop;
mod export;
mod export_delta;
mod export_sets;
mod fault_matrix;
mod hostile_server;
mod hung_reads;
mod import;
mod import_settings;
mod json;
mod mcp;
mod messages;
mod messages_config;
mod monitor;
mod multiaction;
mod push_signals;
mod races;
mod resume_lines;
mod schedule;
mod server_text;
mod tools;
mod two_hosts;
