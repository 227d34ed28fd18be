//! SAC's statistics through the Monitoring API (3e7214f8): the runs of
//! Data Management schedules and the executions of data actions, as a
//! table or as JSON, and the confirmation of a schedule run's outcome.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sac_client::monitoring::{Statistics, StatisticsModel, StatisticsQuery};
use sac_client::{Client, Error};
use serde_json::{Map, Value};

use super::outcome::{Note, Outcome};
use crate::exit::ExitStatus;
use crate::failure::Failure;

/// The column that names a line's schedule. **Assumption**: SAP names
/// only the seven sort keys (3e7214f8); the emulator adds this one.
pub const SCHEDULE_COLUMN: &str = "scheduleId";
/// The column that names a line's run.
pub const EXECUTION_COLUMN: &str = "executionId";

/// What to list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listing {
    pub model: StatisticsModel,
    pub from: Option<DateTime<Utc>>,
    pub till: Option<DateTime<Utc>>,
    pub schedule: Option<String>,
}

impl Listing {
    /// `--since DUR` as a range that starts `since` before now.
    pub fn since(model: StatisticsModel, since: Duration, schedule: Option<String>) -> Result<Self, Failure> {
        let since = chrono::Duration::from_std(since).map_err(|_| Failure::usage("--since is too long"))?;
        let from = Utc::now().checked_sub_signed(since).ok_or_else(|| Failure::usage("--since is too long"))?;
        Ok(Listing { model, from: Some(from), till: None, schedule })
    }
}

/// A line as a JSON object: each column by its name; the counts
/// (`...Count`) as numbers when they read as one.
fn record(header: &[String], line: &[String]) -> Value {
    let mut object = Map::new();
    for (name, value) in header.iter().zip(line) {
        let number = name.ends_with("Count").then(|| value.parse::<i64>().ok()).flatten();
        object.insert(name.clone(), number.map(Value::from).unwrap_or_else(|| Value::from(value.as_str())));
    }
    Value::Object(object)
}

/// The columns the table shows of each model, when the file has them
/// (else every one).
fn table_columns(model: StatisticsModel) -> &'static [&'static str] {
    match model {
        StatisticsModel::DataManagement => &[
            "timestamp",
            "status",
            "userName",
            EXECUTION_COLUMN,
            SCHEDULE_COLUMN,
            "allCount",
            "insertedCount",
            "rejectedCount",
            "description",
        ],
        StatisticsModel::PlanningDataAction => {
            &["timestamp", "status", "type", "userName", "activity", "fileName", "rowCount", "description"]
        }
    }
}

fn table(stats: &Statistics, model: StatisticsModel) -> Vec<String> {
    let mut columns: Vec<usize> = table_columns(model).iter().filter_map(|c| stats.column(c)).collect();
    if columns.is_empty() {
        columns = (0..stats.header.len()).collect();
    }
    let mut widths: Vec<usize> = columns.iter().map(|&c| stats.header[c].chars().count()).collect();
    for line in &stats.lines {
        for (w, &c) in widths.iter_mut().zip(&columns) {
            *w = (*w).max(line.get(c).map_or(0, |v| v.chars().count()));
        }
    }
    let render = |cells: Vec<&str>| -> String {
        let padded: Vec<String> = cells.iter().zip(&widths).map(|(v, w)| format!("{v:<w$}")).collect();
        padded.join("  ").trim_end().to_string()
    };
    let mut out = vec![render(columns.iter().map(|&c| stats.header[c].as_str()).collect())];
    for line in &stats.lines {
        out.push(render(columns.iter().map(|&c| line.get(c).map_or("", String::as_str)).collect()));
    }
    out
}

/// An error reading the statistics, with what to do about a refusal.
fn monitor_failure(error: Error) -> Failure {
    let hint = matches!(error, Error::ClientNotAllowed { .. }).then_some(
        "a technical client reads the Monitoring API only with it in its access list (System > Administration > \
         App Integration, Access); or sign in as a user",
    );
    let mut failure = Failure::from(error);
    if let Some(hint) = hint {
        failure.hints.insert(0, hint.into());
    }
    failure
}

/// The statistics of `listing`: a bare array of lines (a list, like the
/// other lists of docs/output.md), newest first; exit 0.
pub async fn list(client: &Client, listing: &Listing) -> Result<Outcome, Failure> {
    let query = StatisticsQuery { from: listing.from, till: listing.till, ..Default::default() };
    let mut stats = client.monitoring().statistics(listing.model, &query).await.map_err(monitor_failure)?;
    if let Some(schedule) = &listing.schedule {
        let column = stats.column(SCHEDULE_COLUMN).ok_or_else(|| {
            Failure::usage(format!(
                "the {} statistics have no {SCHEDULE_COLUMN} column to filter by; leave out --schedule",
                listing.model.id()
            ))
        })?;
        stats.lines.retain(|line| line.get(column).is_some_and(|v| v == schedule));
    }
    let json = Value::Array(stats.lines.iter().map(|line| record(&stats.header, line)).collect());
    let notes = if stats.lines.is_empty() {
        vec![Note::Info(format!("no {} lines in that range", listing.model.id()))]
    } else {
        Vec::new()
    };
    Ok(Outcome { exit: ExitStatus::Success, json, lines: table(&stats, listing.model), notes, message: None })
}

/// Whether the Monitoring API serves this identity (`auth doctor`): one
/// line of the schedule runs' statistics.
pub async fn probe(client: &Client) -> Result<String, Error> {
    let query = StatisticsQuery::default();
    let (stats, _) = client.monitoring().page(StatisticsModel::DataManagement, &query, 1, 1).await?;
    Ok(format!("the Monitoring API answers ({} columns of schedule run statistics)", stats.header.len()))
}

/// Reads a finished schedule run's line of the Monitoring API and adds it
/// to the run's document as `confirmed`: `{"by": "monitoring", "status",
/// "agrees", "line"}`, or `{"by": "monitoring", "error"}` when the API
/// cannot tell (a token that may not read it, no line yet). The exit status
/// stays the logs'; a line that disagrees adds a warning.
pub async fn confirm(client: &Client, outcome: &mut super::outcome::Outcome) {
    let execution = outcome.json["execution_id"].as_str().unwrap_or_default().to_string();
    if execution.is_empty() || outcome.json["timed_out"] == true {
        return;
    }
    let started = outcome.json["start_time"]
        .as_str()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc));
    let state = outcome.json["state"].as_str().unwrap_or_default().to_ascii_uppercase();
    outcome.json["confirmed"] = match confirm_run(client, &execution, started).await {
        Ok(line) => {
            let status = line["status"].as_str().unwrap_or_default().to_string();
            let agrees = status.eq_ignore_ascii_case(&state);
            if agrees {
                outcome.notes.push(Note::Info(format!("the Monitoring API confirms run {execution}: {status}")));
            } else {
                outcome.notes.push(Note::Always(format!(
                    "warning: the Monitoring API says run {execution} is {status}, the schedule's logs say {state}"
                )));
            }
            serde_json::json!({"by": "monitoring", "status": status, "agrees": agrees, "line": line})
        }
        Err(why) => {
            outcome.notes.push(Note::Info(format!("not confirmed through the Monitoring API: {why}")));
            serde_json::json!({"by": "monitoring", "error": why})
        }
    };
}

/// What the Monitoring API says about run `execution_id`: its line, or why
/// it cannot tell (a refusal, no such line).
pub async fn confirm_run(client: &Client, execution_id: &str, started: Option<DateTime<Utc>>) -> Result<Value, String> {
    let query = StatisticsQuery { from: started.map(|t| t - chrono::Duration::minutes(5)), ..Default::default() };
    let stats = client
        .monitoring()
        .statistics(StatisticsModel::DataManagement, &query)
        .await
        .map_err(|e| format!("the Monitoring API did not answer as hoped: {e}"))?;
    let column = stats
        .column(EXECUTION_COLUMN)
        .ok_or_else(|| format!("the statistics have no {EXECUTION_COLUMN} column to find the run by"))?;
    stats
        .lines
        .iter()
        .find(|line| line.get(column).is_some_and(|v| v == execution_id))
        .map(|line| record(&stats.header, line))
        .ok_or_else(|| format!("the Monitoring API has no line for run {execution_id}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_become_objects_and_a_table() {
        let stats = Statistics {
            header: vec!["status".into(), "allCount".into(), "extra".into()],
            lines: vec![
                vec!["SUCCEEDED".into(), "89".into(), "x".into()],
                vec!["FAILED".into(), "".into(), "y".into()],
            ],
        };
        let doc = record(&stats.header, &stats.lines[0]);
        assert_eq!(doc, serde_json::json!({"status": "SUCCEEDED", "allCount": 89, "extra": "x"}));
        assert_eq!(record(&stats.header, &stats.lines[1])["allCount"], "", "an empty count stays text");
        assert_eq!(table(&stats, StatisticsModel::DataManagement), ["status     allCount", "SUCCEEDED  89", "FAILED"]);
    }
}
