//! The Monitoring API, `GET /api/v1/monitoring/{model}` (SAP help
//! "api/v1/monitoring", page hash 3e7214f8): statistics of SAC's system
//! models as CSV. sacctl reads two of them: `dataManagement` (DM_SCHEDULE,
//! the runs of Data Management schedules) and `planningDataAction`
//! (PLANNING_DATA_ACTIONS, data action executions).
//!
//! Every page is read within `http::Limit::Bulk` (the client's bounded read),
//! and the pages are read one after the other until a short one, at most
//! [`MAX_PAGES`] of them, so a server that never ends its pages cannot keep
//! sacctl reading forever.

use chrono::{DateTime, SecondsFormat, Utc};

use crate::client::Client;
use crate::error::{Error, Result};

const BASE: &str = "/api/v1/monitoring";

/// Lines per page sacctl asks for: SAP's maximum (and default), 100,000
/// (3e7214f8).
pub const PAGE_SIZE: usize = 100_000;
/// Pages read at most: 10 pages of SAP's maximum size.
pub const MAX_PAGES: usize = 10;

/// The system models sacctl reads (SAP lists more, 3e7214f8).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatisticsModel {
    /// `dataManagement`, SAC's DM_SCHEDULE: runs of Data Management schedules.
    DataManagement,
    /// `planningDataAction`, SAC's PLANNING_DATA_ACTIONS: data action executions.
    PlanningDataAction,
}

impl StatisticsModel {
    /// The model id in the path.
    pub fn id(self) -> &'static str {
        match self {
            StatisticsModel::DataManagement => "dataManagement",
            StatisticsModel::PlanningDataAction => "planningDataAction",
        }
    }
}

/// The keys SAP allows for `sortKey` (3e7214f8).
pub const SORT_KEYS: [&str; 7] = ["type", "fileName", "description", "userName", "status", "activity", "timestamp"];

/// What to read: the range and the order (SAP's parameters).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StatisticsQuery {
    pub from: Option<DateTime<Utc>>,
    pub till: Option<DateTime<Utc>>,
    /// One of [`SORT_KEYS`] (SAP's default: timestamp).
    pub sort_key: Option<String>,
    /// SAP's default: descending.
    pub sort_descending: Option<bool>,
}

impl StatisticsQuery {
    /// The query parameters of page `index` (from 1).
    fn pairs(&self, index: usize, page_size: usize) -> Result<Vec<(&'static str, String)>> {
        let mut pairs = vec![("pageSize", page_size.to_string()), ("pageIndex", index.to_string())];
        if let Some(from) = self.from {
            pairs.push(("from", from.to_rfc3339_opts(SecondsFormat::Millis, true)));
        }
        if let Some(till) = self.till {
            pairs.push(("till", till.to_rfc3339_opts(SecondsFormat::Millis, true)));
        }
        if let (Some(from), Some(till)) = (self.from, self.till) {
            if from > till {
                return Err(Error::Config(format!("the range starts ({from}) after it ends ({till})")));
            }
        }
        if let Some(key) = &self.sort_key {
            if !SORT_KEYS.contains(&key.as_str()) {
                return Err(Error::Config(format!("sort key {key:?} must be one of {}", SORT_KEYS.join(", "))));
            }
            pairs.push(("sortKey", key.clone()));
        }
        if let Some(descending) = self.sort_descending {
            pairs.push(("sortDescending", if descending { "TRUE" } else { "FALSE" }.into()));
        }
        Ok(pairs)
    }
}

/// A statistics file: its header and its lines, each as long as the header.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Statistics {
    pub header: Vec<String>,
    pub lines: Vec<Vec<String>>,
}

impl Statistics {
    /// The index of column `name`, if the file has it.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    /// Each line as (column, value) pairs in the header's order.
    pub fn records(&self) -> impl Iterator<Item = Vec<(&str, &str)>> + '_ {
        self.lines
            .iter()
            .map(|line| self.header.iter().map(String::as_str).zip(line.iter().map(String::as_str)).collect())
    }
}

/// Parses one page of CSV: header and lines (a line of another length than
/// the header is an unusable answer).
pub fn parse_csv(text: &str, endpoint: &str) -> Result<Statistics> {
    let decode =
        |problem: String| Error::Decode { context: endpoint.to_string(), problem, snippet: crate::http::snippet(text) };
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(false).from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| decode(format!("the CSV header cannot be read ({e})")))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_string())
        .collect();
    if header.iter().all(String::is_empty) {
        return Err(decode("the statistics have no header line".into()));
    }
    let mut lines = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| decode(format!("a CSV line cannot be read ({e})")))?;
        lines.push(record.iter().map(str::to_string).collect());
    }
    Ok(Statistics { header, lines })
}

pub struct Monitoring<'c> {
    client: &'c Client,
}

// Reached through the client (`client.monitoring()`), as every API.
impl Client {
    /// The Monitoring API.
    pub fn monitoring(&self) -> Monitoring<'_> {
        Monitoring { client: self }
    }
}

impl Monitoring<'_> {
    /// The statistics of `model` for `query`: every page, each read within
    /// `http::Limit::Bulk`, until a page shorter than [`PAGE_SIZE`].
    pub async fn statistics(&self, model: StatisticsModel, query: &StatisticsQuery) -> Result<Statistics> {
        self.statistics_paged(model, query, PAGE_SIZE).await
    }

    /// One page: `index` (from 1) of pages of `page_size` lines.
    pub async fn page(
        &self,
        model: StatisticsModel,
        query: &StatisticsQuery,
        index: usize,
        page_size: usize,
    ) -> Result<(Statistics, String)> {
        let pairs = query.pairs(index, page_size.clamp(1, PAGE_SIZE))?;
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let answer = self.client.api_get_query(BASE, &[model.id()], &pairs).await.map_err(|e| match e {
            Error::NotFound { message, .. } => Error::NotFound { what: "monitoring model".into(), message },
            other => other,
        })?;
        Ok((parse_csv(&answer.body, &answer.endpoint)?, answer.endpoint))
    }

    /// As [`Monitoring::statistics`] with pages of `page_size` lines.
    pub async fn statistics_paged(
        &self,
        model: StatisticsModel,
        query: &StatisticsQuery,
        page_size: usize,
    ) -> Result<Statistics> {
        let page_size = page_size.clamp(1, PAGE_SIZE);
        let mut all = Statistics::default();
        for index in 1..=MAX_PAGES {
            let (page, endpoint) = self.page(model, query, index, page_size).await?;
            if index == 1 {
                all.header = page.header;
            } else if page.header != all.header {
                return Err(Error::Decode {
                    context: endpoint,
                    problem: format!("page {index} has other columns than page 1"),
                    snippet: String::new(),
                });
            }
            let short = page.lines.len() < page_size;
            all.lines.extend(page.lines);
            if short {
                return Ok(all);
            }
        }
        tracing::warn!(pages = MAX_PAGES, "the statistics go on beyond the pages sacctl reads; narrow the range");
        Ok(all)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_pages_parse_and_bad_ones_are_refused() {
        let stats = parse_csv("type,status,timestamp\nDATA_IMPORT,SUCCEEDED,2026-01-01T00:00:00Z\n", "x").unwrap();
        assert_eq!(stats.header, ["type", "status", "timestamp"]);
        assert_eq!(stats.lines, [["DATA_IMPORT", "SUCCEEDED", "2026-01-01T00:00:00Z"]]);
        assert_eq!(stats.column("status"), Some(1));
        assert_eq!(stats.records().next().unwrap()[1], ("status", "SUCCEEDED"));
        assert!(parse_csv("type,status\nA,B,C\n", "x").is_err(), "a line longer than the header");
        assert!(parse_csv("", "x").is_err(), "no header");
        let quoted = parse_csv("description\n\"1 read, 0 rejected\"\n", "x").unwrap();
        assert_eq!(quoted.lines[0][0], "1 read, 0 rejected");
    }

    #[test]
    fn query_parameters_are_sap_s() {
        let from = DateTime::parse_from_rfc3339("2026-01-01T10:00:00Z").unwrap().with_timezone(&Utc);
        let query = StatisticsQuery {
            from: Some(from),
            till: None,
            sort_key: Some("status".into()),
            sort_descending: Some(false),
        };
        let pairs = query.pairs(2, 50).unwrap();
        assert_eq!(
            pairs,
            [
                ("pageSize", "50".to_string()),
                ("pageIndex", "2".into()),
                ("from", "2026-01-01T10:00:00.000Z".into()),
                ("sortKey", "status".into()),
                ("sortDescending", "FALSE".into())
            ]
        );
        let bad = StatisticsQuery { sort_key: Some("executionId".into()), ..Default::default() };
        assert!(bad.pairs(1, 1).is_err());
        let backwards =
            StatisticsQuery { from: Some(from), till: Some(from - chrono::Duration::hours(1)), ..Default::default() };
        assert!(backwards.pairs(1, 1).is_err());
    }
}
