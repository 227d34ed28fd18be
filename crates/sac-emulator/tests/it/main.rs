//! End-to-end tests of the emulator over real HTTP on loopback. Each test
//! starts its own emulator on free ports.

mod admin;
mod console;
mod dataexport;
mod dataexport_surface;
mod dataimport;
mod dataimport_fidelity;
mod delta;
mod faults_admin;
mod fidelity;
mod legacy;
mod masterdata;
mod monitoring;
mod multiactions;
mod oauth;
mod openapi;
mod persistence;
mod sessions;
mod story;
mod support;
