//! `sacctl mcp`: the Model Context Protocol server's flags.

use clap::Args;

use super::connection::ConnectionArgs;

#[derive(Debug, Args)]
pub struct McpArgs {
    /// Serve only the tools that read (no runs, pushes or exports to files); the others are refused.
    #[arg(long)]
    pub read_only: bool,
    /// A model (t.<TENANT>:<ID> or its id), schedule, multi action or calendar event this session may
    /// touch; repeat it for more. Without it every one may be touched.
    #[arg(long, value_name = "NAME")]
    pub allow: Vec<String>,
    // Last: the flags after a flattened ConnectionArgs would land under its heading.
    #[command(flatten)]
    pub connection: ConnectionArgs,
}
