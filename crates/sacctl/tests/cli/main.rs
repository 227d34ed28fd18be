//! `sacctl` as its users run it: real `sacctl` processes against emulators
//! (in the test's process, or as `sacctl emulator` processes), one module
//! per topic.

mod chain;
mod common;
mod emulator;
mod emulator_crash;
mod emulator_service;
mod export;
mod export_delta;
mod fault_matrix;
mod hostile_server;
mod import;
mod json;
mod messages;
mod multiaction;
mod races;
mod schedule;
mod tools;
