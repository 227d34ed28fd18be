//! End-to-end tests of the emulator over real HTTP on loopback. Each test
//! starts its own emulator on free ports.

mod admin;
mod calendar;
mod console;
mod dataexport;
mod dataexport_surface;
mod dataexport_tables;
mod dataimport;
mod dataimport_arrival;
mod dataimport_fidelity;
mod delta;
mod faults_admin;
mod fidelity;
mod hostile_peers;
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
