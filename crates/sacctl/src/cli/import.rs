//! `sacctl import ...`: the Data Import API's jobs, and pushes with every
//! job setting as a flag.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::connection::ConnectionArgs;
use super::WaitArgs;

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Stream a CSV (or JSON) file into a model: create a job, upload in chunks, validate, run, wait.
    #[command(
        after_help = "Example:\n  sacctl import push --model SALES_PLAN --file rows.csv --method Append --rejects-out rejects.csv"
    )]
    Push(Box<PushArgs>),
    /// The jobs of this identity.
    #[command(after_help = "Example:\n  sacctl import jobs")]
    Jobs {
        #[command(flatten)]
        connection: ConnectionArgs,
    },
    /// A job's status.
    #[command(after_help = "Example:\n  sacctl import status 5f1c0e7a-0c2d-4f43-9d0b-7b0d6b1a2c3d")]
    Status {
        #[command(flatten)]
        connection: ConnectionArgs,
        /// The job id (printed by `import push`, listed by `import jobs`).
        job_id: String,
    },
    /// A job's rejected rows with their reason, as CSV.
    #[command(
        after_help = "Example:\n  sacctl import invalid-rows 5f1c0e7a-0c2d-4f43-9d0b-7b0d6b1a2c3d --out rejects.csv"
    )]
    InvalidRows {
        #[command(flatten)]
        connection: ConnectionArgs,
        /// The job id (printed by `import push`, listed by `import jobs`).
        job_id: String,
        /// Write to this file instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Delete a job.
    #[command(after_help = "Example:\n  sacctl import delete 5f1c0e7a-0c2d-4f43-9d0b-7b0d6b1a2c3d")]
    Delete {
        #[command(flatten)]
        connection: ConnectionArgs,
        /// The job id (printed by `import push`, listed by `import jobs`).
        job_id: String,
    },
}

#[derive(Debug, Args)]
pub struct PushArgs {
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// Model id or name (SALES_PLAN, t.G:SALES_PLAN), or a public dimension with --type publicDimensionData.
    #[arg(long, required_unless_present_any = ["currency_table", "unit_table"], conflicts_with_all = ["currency_table", "unit_table"])]
    pub model: Option<String>,
    /// A currency conversion table instead of a model (its id); --method DeleteAndUpsert (default) or DropAndInsert.
    #[arg(long, value_name = "ID", conflicts_with = "unit_table")]
    pub currency_table: Option<String>,
    /// A unit conversion table instead of a model (T006, T006A, ...); --type names the import type when SAC cannot infer it.
    #[arg(long, value_name = "ID")]
    pub unit_table: Option<String>,
    /// Rows to delete from the conversion table before its rows are written (CSV or JSON; SAC's DeletedData).
    #[arg(long, value_name = "FILE")]
    pub deleted_data: Option<PathBuf>,
    /// factData (default for models), privateFactData, publicDimensionData; for a conversion table its import type.
    #[arg(long = "type")]
    pub import_type: Option<String>,
    /// The rows: a CSV file with a header line (streamed), a JSON file ({"Data":[...]} or [...], read whole), or - for CSV on stdin.
    #[arg(long)]
    pub file: PathBuf,
    /// Source column to model column, SRC=DST; repeat.
    #[arg(long = "mapping", value_name = "SRC=DST")]
    pub mappings: Vec<String>,
    /// A value for a column the file does not have, DIM=VALUE; repeat.
    #[arg(long = "default", value_name = "DIM=VALUE")]
    pub defaults: Vec<String>,
    /// Update (default), Append or CleanAndReplace.
    #[arg(long)]
    pub method: Option<String>,
    /// Dimensions CleanAndReplace clears by, comma separated.
    #[arg(long, value_delimiter = ',')]
    pub scope: Vec<String>,
    /// Rows per upload request.
    #[arg(long, default_value_t = 50_000)]
    pub chunk_rows: usize,
    /// Upload requests in flight at once.
    #[arg(long, default_value_t = 2)]
    pub parallel: usize,
    /// Stop before writing (and write nothing) when more rows than this are invalid.
    #[arg(long)]
    pub max_failed_rows: Option<u64>,
    /// Write the rejected rows with their reason to this CSV file.
    #[arg(long)]
    pub rejects_out: Option<PathBuf>,
    /// Validate only; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Drop columns the model does not have instead of rejecting the rows.
    #[arg(long)]
    pub ignore_additional_columns: bool,
    /// Write the valid rows even when some are invalid (SAC's default; job setting executeWithFailedRows).
    #[arg(long, conflicts_with = "no_execute_with_failed_rows")]
    pub execute_with_failed_rows: bool,
    /// Write nothing when any row is invalid: SAC cancels the run (its error 2903, exit 1).
    #[arg(long)]
    pub no_execute_with_failed_rows: bool,
    /// Pivoted CSV: columns from START (1-based) on are members of dimension KEY, each cell a VALUE of that measure.
    #[arg(long, value_name = "START:KEY:VALUE")]
    pub pivot: Option<String>,
    /// The date format of a file column, COL=FMT (e.g. Date=DD/MM/YYYY); factData only; repeat.
    #[arg(long = "date-format", value_name = "COL=FMT")]
    pub date_formats: Vec<String>,
    /// Reverse the sign of values of INC and LEQ accounts (factData and masterFactData only).
    #[arg(long)]
    pub reverse_sign: bool,
    /// The character between the CSV file's fields, e.g. ';' or tab (default ',').
    #[arg(long, value_name = "CHAR")]
    pub delimiter: Option<String>,
    /// CleanAndReplace: first delete the model's rows that match the file's rows on these dimensions (Version always).
    #[arg(long, value_name = "DIM,...", value_delimiter = ',', conflicts_with_all = ["method", "scope"])]
    pub clean_and_replace: Vec<String>,
    /// On SIGINT/SIGTERM, keep a job that has not run yet (by default it is deleted before sacctl exits).
    #[arg(long)]
    pub keep_job: bool,
    #[command(flatten, next_help_heading = "Waiting")]
    pub wait_args: WaitArgs,
}
