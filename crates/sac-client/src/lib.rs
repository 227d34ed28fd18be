//! A client for SAP Analytics Cloud: every OAuth grant SAC offers, token
//! caching and refresh, CSRF sessions, the data integration service of Data
//! Management schedules, waiting for runs, and typed errors that carry SAC's
//! own words with a hint of what to do.
//!
//! The library never prints; progress goes through the traits of [`report`].
//!
//! ```no_run
//! # async fn demo() -> sac_client::Result<()> {
//! use sac_client::{config::parse_url, Client, ClientConfig, Grant, Secret};
//! let config = ClientConfig::new(
//!     parse_url("tenant", "https://acme.eu10.hcs.cloud.sap")?,
//!     parse_url("token", "https://acme.authentication.eu10.hana.ondemand.com/oauth/token")?,
//!     "sb-client-id",
//!     Secret::new(std::env::var("SACCTL_CLIENT_SECRET").unwrap_or_default()),
//!     Grant::AuthorizationCode,
//! );
//! let client = Client::new(config)?;
//! let schedules = client.data_integration().schedules("t.G:ZEPPART_001").await?;
//! # Ok(()) }
//! ```

pub mod attribution;
pub mod auth;
pub mod calendar;
mod client;
pub mod config;
mod csv_input;
pub mod dataexport;
pub mod dataimport;
pub mod delta;
pub mod error;
mod fs_safety;
pub mod http;
pub mod ids;
pub mod legacy;
pub mod lock;
pub mod monitoring;
pub mod multiaction;
pub mod poll;
pub mod report;
pub mod schedule;
mod secret;

pub use client::Client;
pub use config::{ClientConfig, Grant, RetryPolicy};
pub use error::{Error, ErrorClass, Result};
pub use secret::Secret;
