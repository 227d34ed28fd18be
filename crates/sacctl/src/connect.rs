//! From the connection flags to a client: what every command and chain
//! identity that talks to SAC starts with.

use sac_client::Client;

use crate::cli::ConnectionArgs;
use crate::failure::Failure;
use crate::settings::{self, Settings};

/// Resolves the settings and builds a client.
pub fn connect(args: &ConnectionArgs) -> Result<(Settings, Client), Failure> {
    let settings = settings::resolve(args)?;
    let client = Client::new(settings.client.clone())?;
    Ok((settings, client))
}
