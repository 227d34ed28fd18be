//! `sacctl mcp`: the Model Context Protocol server on stdio. The profile
//! and credentials are resolved as for every other command (never from the
//! model); the tools call the same operations as the commands.

mod params;
mod progress;
mod reply;
pub mod safety;
mod tools;

use rmcp::handler::server::tool::ToolCallContext;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, Implementation, ListToolsResult, PaginatedRequestParams,
    ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, ServiceExt};

use self::safety::Safety;
use self::tools::SacServer;
use crate::cli::McpArgs;
use crate::connect::connect;
use crate::exit::ExitStatus;
use crate::failure::Failure;
use crate::site::doc_url;

const INSTRUCTIONS: &str = concat!(
    "Start, watch and feed SAP Analytics Cloud data loads. run_* tools wait and send progress; when a wait ends \
     first, the result's resume_tool names the call that goes on waiting. outcome and exit_code tell how a run \
     ended (",
    doc_url!("exit-codes"),
    "): 0 succeeded, 6 rows were rejected (run_rejections lists them), 4 failed, 5 still running."
);

/// Serves until the client closes stdin.
pub async fn serve(args: McpArgs) -> Result<ExitStatus, Failure> {
    let (settings, client) = connect(&args.connection)?;
    let safety = Safety { read_only: args.read_only, allow: args.allow };
    let server = SacServer::new(client, settings, safety);
    let running = server
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|e| Failure::new(ExitStatus::Usage, anyhow::anyhow!("the MCP session did not start: {e}")))?;
    running
        .waiting()
        .await
        .map_err(|e| Failure::new(ExitStatus::Unreachable, anyhow::anyhow!("the MCP session ended: {e}")))?;
    Ok(ExitStatus::Success)
}

impl ServerHandler for SacServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("sacctl", env!("CARGO_PKG_VERSION")))
            .with_instructions(INSTRUCTIONS)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let tools: Vec<Tool> =
            self.tool_router.list_all().into_iter().filter(|t| self.safety.serves(&t.name)).collect();
        Ok(ListToolsResult::with_all_items(tools))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        if !self.safety.serves(&request.name) {
            return Ok(reply::failure(&Safety::read_only_refusal(&request.name)).into());
        }
        self.tool_router.call(ToolCallContext::new(self, request, context)).await
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.tool_router.get(name).filter(|t| self.safety.serves(&t.name)).cloned()
    }
}
