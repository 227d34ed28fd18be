//! The tools' typed inputs (their JSON Schemas come from schemars).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

#[derive(Debug, Deserialize, JsonSchema)]
pub struct Model {
    /// The model: t.<TENANT>:<ID> (e.g. t.G:ZEPPART_001) or, for the Data Import/Export APIs, its id (SALES_PLAN).
    pub model: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ScheduleRuns {
    /// The model the data import loads: t.<TENANT>:<ID>.
    pub model: String,
    /// The data import's schedule id (32 hex characters; `list_schedules` names them).
    pub schedule_id: String,
    /// How many runs, newest first (default 5).
    pub limit: Option<usize>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct RunRejections {
    /// The run's execution id (from `schedule_runs` or `run_schedule`).
    pub execution_id: String,
    /// At most this many rejected rows in the result (default 100, at most 10000).
    pub max_rows: Option<usize>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct RunSchedule {
    /// The model the data import loads: t.<TENANT>:<ID>.
    pub model: String,
    /// The data import's schedule id.
    pub schedule_id: String,
    /// How long to wait for the run to end, in seconds (default 600; 0: start it and do not wait).
    /// When the wait ends first, the result names the run to wait for with `wait_schedule_run`.
    pub wait_seconds: Option<u64>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct WaitScheduleRun {
    /// The model the data import loads: t.<TENANT>:<ID>.
    pub model: String,
    /// The data import's schedule id.
    pub schedule_id: String,
    /// The run to wait for (its execution id).
    pub execution_id: String,
    /// How long to wait, in seconds (default 600).
    pub wait_seconds: Option<u64>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct RunMultiAction {
    /// The multi action: t.<TENANT>:<ID> (e.g. t.G:MA_LOAD_ZEPPART).
    pub id: String,
    /// Parameter values by parameter id (member ids, e.g. {"TargetVersion": "public.Plan"}).
    #[serde(default)]
    pub params: BTreeMap<String, String>,
    /// How long to wait, in seconds (default 600; 0: do not wait).
    pub wait_seconds: Option<u64>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct WaitMultiAction {
    /// The multi action: t.<TENANT>:<ID>.
    pub id: String,
    /// The execution to wait for.
    pub execution_id: String,
    /// How long to wait, in seconds (default 600).
    pub wait_seconds: Option<u64>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct CalendarEvent {
    /// The calendar event id (32 hex characters, from the event in SAC's calendar).
    pub event_id: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct RunCalendarEvent {
    /// The calendar event id: the process (or task) to run.
    pub event_id: String,
    /// Copy the event with its child events and activate the copy (else open the event itself again).
    #[serde(default)]
    pub copy: bool,
    /// How long to wait for the whole hierarchy, in seconds (default 600; 0: do not wait).
    pub wait_seconds: Option<u64>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct WaitCalendarEvent {
    /// The calendar event id.
    pub event_id: String,
    /// How long to wait, in seconds (default 600).
    pub wait_seconds: Option<u64>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct PushFile {
    /// The model's id (e.g. SALES_PLAN), as the Data Import API names it.
    pub model: String,
    /// A CSV (header row first) or JSON file on this machine (a path; a relative one is taken from where the
    /// server was started).
    pub file: String,
    /// factData (default), privateFactData or publicDimensionData.
    pub import_type: Option<String>,
    /// Update (default), Append or CleanAndReplace (factData only).
    pub method: Option<String>,
    /// Source column to model column.
    #[serde(default)]
    pub mapping: BTreeMap<String, String>,
    /// Model column to the value of rows that have none.
    #[serde(default)]
    pub defaults: BTreeMap<String, String>,
    /// Validate only, write nothing.
    #[serde(default)]
    pub dry_run: bool,
    /// How long to wait for the job, in seconds (default 600).
    pub wait_seconds: Option<u64>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct Export {
    /// The model's id (e.g. SALES_PLAN).
    pub model: String,
    /// An OData $filter, e.g. "Version eq 'public.Actual' and Part eq 'P0001'".
    pub filter: Option<String>,
    /// Columns to return, comma-separated (default: all, in the model's order).
    pub select: Option<String>,
    /// An OData $orderby, e.g. "Date desc".
    pub orderby: Option<String>,
    /// At most this many rows in the result (default 100, at most 10000); `rows_total` counts all.
    pub max_rows: Option<usize>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ExportToFile {
    /// The model's id (e.g. SALES_PLAN).
    pub model: String,
    /// An OData $filter.
    pub filter: Option<String>,
    /// Columns, comma-separated.
    pub select: Option<String>,
    /// An OData $orderby.
    pub orderby: Option<String>,
    /// The CSV file to write on this machine (replaced if it exists).
    pub out: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct Doctor {
    /// Also check that the schedules of this model (t.<TENANT>:<ID>) can be read.
    pub model: Option<String>,
    /// Also check that this calendar event can be read (and allows external API access).
    pub event: Option<String>,
}

/// Which statistics of the Monitoring API.
#[derive(Clone, Copy, Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Activity {
    /// Runs of Data Management schedules (data imports), however they were started.
    DataManagement,
    /// Data action executions (the steps multi actions run).
    DataActions,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct Monitor {
    /// Which runs: data_management or data_actions.
    pub activity: Activity,
    /// How far back, in hours (default 24).
    pub since_hours: Option<u64>,
    /// Only the runs of this data import (data_management only).
    pub schedule_id: Option<String>,
}
