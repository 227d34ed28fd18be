//! The tools: each a thin adapter over the operation the CLI's command
//! uses (`crate::ops`, or the client call the command makes), its input
//! checked against the session's `--allow` list first.

use std::sync::Arc;
use std::time::Duration;

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, ContentBlock, RequestMetaObject};
use rmcp::{tool, tool_router, ErrorData, Peer, RoleServer};
use sac_client::dataexport::{EntitySet, FactQuery};
use sac_client::monitoring::StatisticsModel;
use sac_client::multiaction::Param;
use sac_client::schedule::{IfRunning, Target};
use sac_client::Client;
use serde_json::{json, Map, Value};

use super::params::*;
use super::progress::Notifier;
use super::reply::{self, done, list, of};
use super::safety::Safety;
use crate::cli::OutputFormat;
use crate::exit::ExitStatus;
use crate::failure::Failure;
use crate::ops::outcome::Outcome;
use crate::ops::wait::{RunWaiting, Waiting};
use crate::ops::{calendar, doctor, export, import, monitor, multiaction, schedule};
use crate::output::Printer;
use crate::settings::Settings;

/// The most rows a result carries (rejections, exports).
const MAX_ROWS: usize = 10_000;
/// The default wait of a run tool.
const WAIT: u64 = 600;

/// The MCP server: the session's connection and switches.
#[derive(Clone)]
pub struct SacServer {
    pub(super) client: Arc<Client>,
    pub(super) settings: Arc<Settings>,
    pub(super) safety: Safety,
    pub(super) tool_router: ToolRouter<SacServer>,
}

/// How long to wait: `wait_seconds`, else 10 minutes.
fn waiting(wait_seconds: Option<u64>) -> RunWaiting {
    RunWaiting {
        waiting: Waiting {
            timeout: Duration::from_secs(wait_seconds.unwrap_or(WAIT)),
            poll_interval: Duration::from_secs(5),
            warnings_ok: false,
        },
        appear_timeout: Duration::from_secs(60),
    }
}

/// Adds the tool call that goes on waiting when the wait ended first.
fn with_handle(mut result: CallToolResult, tool: &str, arguments: Value) -> CallToolResult {
    let timed_out = result.structured_content.as_ref().and_then(|d| d.get("exit_code")).and_then(Value::as_i64)
        == Some(i64::from(ExitStatus::Timeout.code()));
    if let (true, Some(Value::Object(doc))) = (timed_out, result.structured_content.as_mut()) {
        doc.insert("resume_tool".into(), json!({"name": tool, "arguments": arguments}));
        let text = result.content.first().and_then(|c| c.as_text()).map(|t| t.text.clone()).unwrap_or_default();
        result.content = vec![ContentBlock::text(format!("{text}\nto go on waiting, call {tool} with {arguments}"))];
    }
    result
}

/// The tool call that goes on waiting for what a run tool started.
struct Resume {
    tool: &'static str,
    arguments: Value,
}

impl Resume {
    /// Tells the client what started, and which call goes on waiting if this wait is cut short.
    fn announce(&self, notifier: &Notifier, started: &str) {
        let (tool, arguments) = (self.tool, &self.arguments);
        notifier.say(&format!("started {started}; if this wait is cut short, {tool} with {arguments} goes on"));
    }

    /// A wait's outcome as the reply, naming this call when the wait ended first.
    fn reply(self, outcome: Outcome) -> CallToolResult {
        with_handle(reply::outcome(outcome), self.tool, self.arguments)
    }
}

/// Rows of a CSV text as objects by column name, at most `max`; and how many there are.
fn csv_rows(csv: &str, max: usize) -> Result<(Vec<Value>, usize), Failure> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(csv.as_bytes());
    let bad = |e: csv::Error| Failure::new(ExitStatus::JobFailed, anyhow::anyhow!("SAC's rejections are no CSV: {e}"));
    let header: Vec<String> = reader.headers().map_err(bad)?.iter().map(str::to_string).collect();
    let (mut rows, mut total) = (Vec::new(), 0);
    for record in reader.records() {
        let record = record.map_err(bad)?;
        total += 1;
        if rows.len() < max {
            let row: Map<String, Value> =
                header.iter().zip(record.iter()).map(|(k, v)| (k.clone(), Value::from(v))).collect();
            rows.push(Value::Object(row));
        }
    }
    Ok((rows, total))
}

#[tool_router]
impl SacServer {
    pub fn new(client: Client, settings: Settings, safety: Safety) -> Self {
        SacServer { client: Arc::new(client), settings: Arc::new(settings), safety, tool_router: Self::tool_router() }
    }

    /// Check the session's profile step by step (token, public API, each API family, session) with the
    /// fix for what fails, and what this identity can do (which ways to start a load it can use).
    #[tool(annotations(title = "Auth doctor", read_only_hint = true, open_world_hint = true))]
    async fn auth_doctor(&self, Parameters(p): Parameters<Doctor>) -> Result<CallToolResult, ErrorData> {
        of(async {
            if let Some(model) = &p.model {
                self.safety.check("model", model)?;
            }
            if let Some(event) = &p.event {
                self.safety.check("calendar event", event)?;
            }
            Ok(reply::outcome(doctor::doctor(Ok(&self.settings), p.model.as_deref(), p.event.as_deref()).await?))
        }
        .await)
    }

    /// The models the Data Import API can load into (those of `--allow` only, when given).
    #[tool(annotations(title = "List models", read_only_hint = true, open_world_hint = true))]
    async fn list_models(&self) -> Result<CallToolResult, ErrorData> {
        of(async {
            let models = self.client.data_import().models().await?;
            let items: Vec<Value> = models
                .iter()
                .filter(|m| self.safety.allowed(&m.model_id))
                .map(|m| serde_json::to_value(m).unwrap_or_default())
                .collect();
            Ok(list("models", items, "models"))
        }
        .await)
    }

    /// A model's versions, import types and columns (what `push_file` and `export` take).
    #[tool(annotations(title = "Describe a model", read_only_hint = true, open_world_hint = true))]
    async fn describe_model(&self, Parameters(p): Parameters<Model>) -> Result<CallToolResult, ErrorData> {
        of(async {
            self.safety.check("model", &p.model)?;
            let di = self.client.data_import();
            let detail = di.model(&p.model).await?;
            let metadata = di.metadata(&p.model).await?;
            let text = format!("{} ({})", p.model, detail.model_description);
            Ok(done(json!({"model": detail, "metadata": metadata}), text))
        }
        .await)
    }

    /// The Data Management data imports (schedules) of a model, each with its recent runs.
    #[tool(annotations(title = "List schedules", read_only_hint = true, open_world_hint = true))]
    async fn list_schedules(&self, Parameters(p): Parameters<Model>) -> Result<CallToolResult, ErrorData> {
        of(async {
            self.safety.check("model", &p.model)?;
            let schedules = self.client.data_integration().schedules(&p.model).await?;
            let items: Vec<Value> = schedules.iter().map(|s| serde_json::to_value(s).unwrap_or_default()).collect();
            Ok(list("schedules", items, &format!("data imports of {}", p.model)))
        }
        .await)
    }

    /// A data import's recent runs, newest first: status, rows read, rejected and inserted.
    #[tool(annotations(title = "Recent runs of a schedule", read_only_hint = true, open_world_hint = true))]
    async fn schedule_runs(&self, Parameters(p): Parameters<ScheduleRuns>) -> Result<CallToolResult, ErrorData> {
        of(async {
            self.check_schedule(&p.model, &p.schedule_id)?;
            let target = Target { model: p.model, schedule_id: p.schedule_id, mapping_id: None };
            let outcome = schedule::history(&self.client.data_integration(), &target, p.limit.unwrap_or(5)).await?;
            Ok(reply::outcome_list(outcome, "runs"))
        }
        .await)
    }

    /// What ran in SAC lately (the Monitoring API's statistics), newest first: every Data Management run
    /// or data action execution in the range, whoever started it, with its status and row counts.
    #[tool(annotations(title = "Recent activity", read_only_hint = true, open_world_hint = true))]
    async fn recent_activity(&self, Parameters(p): Parameters<Monitor>) -> Result<CallToolResult, ErrorData> {
        of(async {
            if let Some(schedule_id) = &p.schedule_id {
                self.safety.check("schedule", schedule_id)?;
            }
            let model = match p.activity {
                Activity::DataManagement => StatisticsModel::DataManagement,
                Activity::DataActions => StatisticsModel::PlanningDataAction,
            };
            let since = Duration::from_secs(p.since_hours.unwrap_or(24).saturating_mul(3600));
            let listing = monitor::Listing::since(model, since, p.schedule_id)?;
            Ok(reply::outcome_list(monitor::list(&self.client, &listing).await?, "runs"))
        }
        .await)
    }

    /// The rows a schedule run rejected, with SAC's reason for each.
    #[tool(annotations(title = "Rejected rows of a run", read_only_hint = true, open_world_hint = true))]
    async fn run_rejections(&self, Parameters(p): Parameters<RunRejections>) -> Result<CallToolResult, ErrorData> {
        of(async {
            let csv = self.client.data_integration().rejections(&p.execution_id).await?;
            let (rows, total) = csv_rows(&csv, p.max_rows.unwrap_or(100).min(MAX_ROWS))?;
            let text = format!("{total} rows of run {} were rejected", p.execution_id);
            Ok(done(json!({"execution_id": p.execution_id, "rows_total": total, "rows": rows}), text))
        }
        .await)
    }

    /// Start a run of a data import and wait for it (progress notifications while it runs). It ends
    /// with `outcome` and `exit_code`; when the wait ends first, `resume_tool` names how to go on.
    #[tool(annotations(
        title = "Run a schedule",
        read_only_hint = false,
        destructive_hint = true,
        idempotent_hint = false,
        open_world_hint = true
    ))]
    async fn run_schedule(
        &self,
        Parameters(p): Parameters<RunSchedule>,
        meta: RequestMetaObject,
        peer: Peer<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        of(async {
            self.check_schedule(&p.model, &p.schedule_id)?;
            let notifier = Notifier::new(peer, meta.get_progress_token());
            let di = self.client.data_integration();
            let target = Target { model: p.model.clone(), schedule_id: p.schedule_id.clone(), mapping_id: None };
            let waiting = waiting(p.wait_seconds);
            let started = schedule::start(&di, &self.settings, &target, IfRunning::Fail, &waiting, &notifier).await?;
            let execution_id = started.execution_id().to_string();
            let resume = schedule_resume(&target, &execution_id);
            resume.announce(&notifier, &format!("run {execution_id}"));
            if p.wait_seconds == Some(0) {
                return Ok(reply::outcome(started.outcome()));
            }
            self.schedule_wait(&target, &execution_id, &waiting, &notifier, resume).await
        }
        .await)
    }

    /// Wait for a run of a data import that was started before (e.g. when `run_schedule`'s wait ended first).
    #[tool(annotations(title = "Wait for a schedule run", read_only_hint = true, open_world_hint = true))]
    async fn wait_schedule_run(
        &self,
        Parameters(p): Parameters<WaitScheduleRun>,
        meta: RequestMetaObject,
        peer: Peer<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        of(async {
            self.check_schedule(&p.model, &p.schedule_id)?;
            let notifier = Notifier::new(peer, meta.get_progress_token());
            let target = Target { model: p.model, schedule_id: p.schedule_id, mapping_id: None };
            let resume = schedule_resume(&target, &p.execution_id);
            self.schedule_wait(&target, &p.execution_id, &waiting(p.wait_seconds), &notifier, resume).await
        }
        .await)
    }

    /// Execute a multi action (it needs a user) and wait for it, with progress notifications.
    #[tool(annotations(
        title = "Run a multi action",
        read_only_hint = false,
        destructive_hint = true,
        idempotent_hint = false,
        open_world_hint = true
    ))]
    async fn run_multi_action(
        &self,
        Parameters(p): Parameters<RunMultiAction>,
        meta: RequestMetaObject,
        peer: Peer<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        of(async {
            self.safety.check("multi action", &p.id)?;
            let params =
                p.params.iter().map(|(k, v)| Param::parse(&format!("{k}={v}"))).collect::<Result<Vec<_>, _>>()?;
            let notifier = Notifier::new(peer, meta.get_progress_token());
            let started = multiaction::start(&self.client, &self.settings.profile, &p.id, &params).await?;
            let resume = multi_action_resume(&p.id, &started.execution_id);
            resume.announce(&notifier, &format!("execution {}", started.execution_id));
            if p.wait_seconds == Some(0) {
                return Ok(reply::outcome(started.outcome()));
            }
            self.multi_action_wait(&p.id, &started.execution_id, p.wait_seconds, &notifier, resume).await
        }
        .await)
    }

    /// Wait for a multi action execution that was started before.
    #[tool(annotations(title = "Wait for a multi action", read_only_hint = true, open_world_hint = true))]
    async fn wait_multi_action(
        &self,
        Parameters(p): Parameters<WaitMultiAction>,
        meta: RequestMetaObject,
        peer: Peer<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        of(async {
            self.safety.check("multi action", &p.id)?;
            let notifier = Notifier::new(peer, meta.get_progress_token());
            let resume = multi_action_resume(&p.id, &p.execution_id);
            self.multi_action_wait(&p.id, &p.execution_id, p.wait_seconds, &notifier, resume).await
        }
        .await)
    }

    /// A calendar event (process or task) with its status, progress and child events.
    #[tool(annotations(title = "Show a calendar event", read_only_hint = true, open_world_hint = true))]
    async fn show_calendar_event(&self, Parameters(p): Parameters<CalendarEvent>) -> Result<CallToolResult, ErrorData> {
        of(async {
            self.safety.check("calendar event", &p.event_id)?;
            Ok(reply::outcome(calendar::show(&self.client, &p.event_id).await?))
        }
        .await)
    }

    /// Run a calendar process (open it again, or copy and activate it) and wait for its whole hierarchy.
    #[tool(annotations(
        title = "Run a calendar event",
        read_only_hint = false,
        destructive_hint = true,
        idempotent_hint = false,
        open_world_hint = true
    ))]
    async fn run_calendar_event(
        &self,
        Parameters(p): Parameters<RunCalendarEvent>,
        meta: RequestMetaObject,
        peer: Peer<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        of(async {
            self.safety.check("calendar event", &p.event_id)?;
            let notifier = Notifier::new(peer, meta.get_progress_token());
            let start = calendar::Start { copy: p.copy, notify: false };
            let started = calendar::start(&self.client, &self.settings.profile, &p.event_id, start).await?;
            let resume = calendar_resume(&started.event_id);
            resume.announce(&notifier, &format!("calendar event {}", started.event_id));
            if p.wait_seconds == Some(0) {
                return Ok(reply::outcome(started.outcome()));
            }
            self.calendar_wait(&started.event_id, p.wait_seconds, &notifier, resume).await
        }
        .await)
    }

    /// Wait for a calendar event (a process and its child events) that was started before.
    #[tool(annotations(title = "Wait for a calendar event", read_only_hint = true, open_world_hint = true))]
    async fn wait_calendar_event(
        &self,
        Parameters(p): Parameters<WaitCalendarEvent>,
        meta: RequestMetaObject,
        peer: Peer<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        of(async {
            self.safety.check("calendar event", &p.event_id)?;
            let notifier = Notifier::new(peer, meta.get_progress_token());
            let resume = calendar_resume(&p.event_id);
            self.calendar_wait(&p.event_id, p.wait_seconds, &notifier, resume).await
        }
        .await)
    }

    /// Push a CSV or JSON file into a model through the Data Import API, and wait for the job.
    /// Rows SAC rejects are counted in the result (`rejected`), and the run goes on with the valid ones.
    #[tool(annotations(
        title = "Push a file into a model",
        read_only_hint = false,
        destructive_hint = true,
        idempotent_hint = false,
        open_world_hint = true
    ))]
    async fn push_file(&self, Parameters(p): Parameters<PushFile>) -> Result<CallToolResult, ErrorData> {
        of(async {
            self.safety.check("model", &p.model)?;
            if p.file.trim() == "-" {
                // The CLI reads `-` from stdin, which is the MCP session's channel here.
                return Err(Failure::usage("push_file reads a file: give its path (stdin carries the MCP session)"));
            }
            let push = import::Push {
                model: p.model,
                import_type: p.import_type.unwrap_or_else(|| "factData".into()),
                file: p.file.into(),
                mapping: p.mapping,
                defaults: p.defaults,
                method: p.method,
                scope: Vec::new(),
                chunk_rows: 50_000,
                parallel: 2,
                max_failed_rows: None,
                rejects_out: None,
                dry_run: p.dry_run,
                ignore_additional_columns: false,
                job: Default::default(),
                conversion: None,
                deleted_data: None,
            };
            // Quiet: nothing of a push's progress may reach stdout, the protocol's channel.
            let printer = Printer { format: OutputFormat::Json, quiet: true };
            let waiting = waiting(p.wait_seconds).waiting;
            let outcome = import::push(printer, &self.client, &self.settings.profile, &push, &waiting, &|_| {}).await?;
            Ok(reply::outcome(outcome))
        }
        .await)
    }

    /// Rows of a model through the Data Export API, with an OData filter: at most `max_rows` in the result.
    #[tool(annotations(title = "Export rows", read_only_hint = true, open_world_hint = true))]
    async fn export(&self, Parameters(p): Parameters<Export>) -> Result<CallToolResult, ErrorData> {
        of(async {
            self.safety.check("model", &p.model)?;
            let query =
                FactQuery { filter: p.filter.as_deref(), select: p.select.as_deref(), orderby: p.orderby.as_deref() };
            let max = p.max_rows.unwrap_or(100).min(MAX_ROWS);
            let mut rows = Vec::new();
            let total = self
                .client
                .data_export()
                .rows(&EntitySet::facts(&p.model), &query, |page| {
                    rows.extend(page.into_iter().take(max.saturating_sub(rows.len())).map(Value::Object));
                    Ok(())
                })
                .await?;
            let text = format!("{total} rows of {} ({} in this result)", p.model, rows.len());
            let doc =
                json!({"model": p.model, "rows_total": total, "truncated": (rows.len() as u64) < total, "rows": rows});
            Ok(done(doc, text))
        }
        .await)
    }

    /// Rows of a model through the Data Export API into a CSV file on this machine (any number of rows).
    #[tool(annotations(
        title = "Export rows to a file",
        read_only_hint = false,
        destructive_hint = true,
        idempotent_hint = true,
        open_world_hint = true
    ))]
    async fn export_to_file(&self, Parameters(p): Parameters<ExportToFile>) -> Result<CallToolResult, ErrorData> {
        of(async {
            self.safety.check("model", &p.model)?;
            let query =
                FactQuery { filter: p.filter.as_deref(), select: p.select.as_deref(), orderby: p.orderby.as_deref() };
            let path = std::path::PathBuf::from(&p.out);
            let rows = export::export(&self.client, &p.model, &query, Some(&path)).await?;
            let text = format!("{rows} rows of {} written to {}", p.model, p.out);
            Ok(done(json!({"model": p.model, "rows": rows, "out": p.out}), text))
        }
        .await)
    }
}

/// `wait_schedule_run` for run `execution_id` of `target`.
fn schedule_resume(target: &Target, execution_id: &str) -> Resume {
    let arguments = json!({"model": target.model, "schedule_id": target.schedule_id, "execution_id": execution_id});
    Resume { tool: "wait_schedule_run", arguments }
}

/// `wait_multi_action` for execution `execution_id` of multi action `id`.
fn multi_action_resume(id: &str, execution_id: &str) -> Resume {
    Resume { tool: "wait_multi_action", arguments: json!({"id": id, "execution_id": execution_id}) }
}

/// `wait_calendar_event` for `event_id`.
fn calendar_resume(event_id: &str) -> Resume {
    Resume { tool: "wait_calendar_event", arguments: json!({"event_id": event_id}) }
}

/// The waits that a run tool and its wait tool share.
impl SacServer {
    async fn schedule_wait(
        &self,
        target: &Target,
        execution_id: &str,
        waiting: &RunWaiting,
        notifier: &Notifier,
        resume: Resume,
    ) -> Result<CallToolResult, Failure> {
        let di = self.client.data_integration();
        let outcome = schedule::wait(&di, &self.settings.profile, target, execution_id, waiting, notifier).await?;
        Ok(resume.reply(outcome))
    }

    async fn multi_action_wait(
        &self,
        id: &str,
        execution_id: &str,
        wait_seconds: Option<u64>,
        notifier: &Notifier,
        resume: Resume,
    ) -> Result<CallToolResult, Failure> {
        let (profile, accept) = (&self.settings.profile, multiaction::Accept::default());
        let outcome =
            multiaction::wait(&self.client, profile, id, execution_id, &waiting(wait_seconds), accept, notifier)
                .await?;
        Ok(resume.reply(outcome))
    }

    async fn calendar_wait(
        &self,
        event_id: &str,
        wait_seconds: Option<u64>,
        notifier: &Notifier,
        resume: Resume,
    ) -> Result<CallToolResult, Failure> {
        let waiting = waiting(wait_seconds).waiting;
        let outcome = calendar::wait(&self.client, &self.settings.profile, event_id, &waiting, notifier).await?;
        Ok(resume.reply(outcome))
    }
}

impl SacServer {
    fn check_schedule(&self, model: &str, schedule_id: &str) -> Result<(), Failure> {
        // A schedule named in --allow may be touched in its model.
        if self.safety.allowed(schedule_id) && !self.safety.allow.is_empty() {
            return Ok(());
        }
        self.safety.check("model", model)?;
        self.safety.check("schedule", schedule_id)
    }
}
