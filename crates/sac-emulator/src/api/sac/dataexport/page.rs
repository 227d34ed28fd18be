//! A page of an entity set, as OData JSON or as CSV: its rows, written
//! straight from what the store read. Any set whose rows are [`Rows`]
//! gets both representations, `$select`, `@odata.count` and the next
//! page's link.

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use serde_json::{Map, Value};

use super::query::Options;
use crate::api::error::ApiError;
use crate::store::facts::{fits_measure, format_number, FactRow};
use crate::store::FactTable;

/// The rows of a page: facts as stored, or rows already in JSON (objects
/// whose keys are among `columns`, the set's properties in `$metadata`
/// order).
pub enum Rows {
    Facts(FactTable, Vec<FactRow>),
    Values { columns: Vec<String>, rows: Vec<Value> },
}

impl Rows {
    pub fn len(&self) -> usize {
        match self {
            Rows::Facts(_, rows) => rows.len(),
            Rows::Values { rows, .. } => rows.len(),
        }
    }

    pub fn truncate(&mut self, n: usize) {
        match self {
            Rows::Facts(_, rows) => rows.truncate(n),
            Rows::Values { rows, .. } => rows.truncate(n),
        }
    }

    /// The columns in their `$metadata` order (facts: the model's
    /// dimensions, then its measures).
    fn columns(&self) -> Vec<&str> {
        match self {
            Rows::Facts(table, _) => table.dimensions.iter().chain(&table.measures).map(String::as_str).collect(),
            Rows::Values { columns, .. } => columns.iter().map(String::as_str).collect(),
        }
    }

    /// Row `i`'s cells for `columns` (empty where it carries no value).
    fn cells(&self, i: usize, columns: &[&str]) -> Vec<String> {
        match self {
            Rows::Facts(table, rows) => columns
                .iter()
                .map(|c| match rows[i].cell(table, c) {
                    Some(crate::store::filter::Cell::Text(t)) => t.to_string(),
                    Some(crate::store::filter::Cell::Number(Some(n))) => format_number(n),
                    _ => String::new(),
                })
                .collect(),
            Rows::Values { rows, .. } => columns
                .iter()
                .map(|c| match rows[i].get(*c) {
                    Some(Value::String(s)) => s.clone(),
                    Some(Value::Null) | None => String::new(),
                    Some(other) => other.to_string(),
                })
                .collect(),
        }
    }
}

/// Which rows a page holds: from `offset`, at most `take`. `wanted` is
/// how many rows the client still wants from this page on (`$top` less
/// what earlier pages gave), `token` this page's `$skiptoken`.
#[derive(Clone, Copy, Debug)]
pub struct Window {
    pub offset: i64,
    pub take: i64,
    wanted: i64,
    token: i64,
}

impl Window {
    /// The window of a request; pages hold `pagesize` rows, else `default_page`.
    pub fn of(options: &Options, default_page: i64) -> Window {
        let page = options.pagesize.unwrap_or(default_page).max(1);
        let wanted = options.top.map(|t| (t - options.skiptoken).max(0)).unwrap_or(i64::MAX);
        Window { offset: options.skip + options.skiptoken, take: wanted.min(page), wanted, token: options.skiptoken }
    }

    /// How many rows to read: one more than the page holds tells whether
    /// another page follows.
    pub fn fetch(&self) -> i64 {
        self.take + 1
    }

    /// Cuts `rows` to the page; returns the absolute link to the next page
    /// (`url` is the set's URL as the client called it) unless this is the last.
    pub fn finish(&self, rows: &mut Rows, options: &Options, url: &str) -> Option<String> {
        let more = rows.len() as i64 > self.take && self.wanted > self.take;
        rows.truncate(self.take as usize);
        more.then(|| format!("{url}?{}", options.next_query(self.token + self.take)))
    }
}

/// One page of a set, ready to be written in the format asked for.
pub struct Page<'a> {
    /// `$metadata#<Set>`.
    pub context: String,
    pub next_link: Option<String>,
    /// `@odata.count` (with `$count=true`).
    pub count: Option<i64>,
    pub rows: &'a Rows,
    pub select: Option<&'a [String]>,
    /// When the request began (for `@des.processingTimeInMilliseconds`).
    pub started: Option<std::time::Instant>,
}

/// The JSON body; its keys in the order the answer has always had.
#[derive(Serialize)]
struct Body<'a> {
    #[serde(rename = "@odata.context")]
    context: &'a str,
    #[serde(rename = "@odata.count", skip_serializing_if = "Option::is_none")]
    count: Option<i64>,
    #[serde(rename = "@odata.nextLink", skip_serializing_if = "Option::is_none")]
    next_link: Option<&'a str>,
    value: PageRows<'a>,
    /// SAC's own annotations after the rows, as strings (changelog
    /// `644d83e8` 1.2.0, pages `b01ea81b`, `8bcc3e62`).
    #[serde(rename = "@des.entitiesInPage")]
    entities_in_page: String,
    #[serde(rename = "@des.processingTimeInMilliseconds")]
    processing_ms: String,
}

impl Page<'_> {
    pub fn json(&self) -> Response {
        if let Err(refusal) = self.rows.check_measures() {
            return refusal.into_response();
        }
        let body = Body {
            context: &self.context,
            count: self.count,
            next_link: self.next_link.as_deref(),
            value: PageRows { rows: self.rows, select: self.select },
            entities_in_page: self.rows.len().to_string(),
            processing_ms: self.started.map_or(0, |t| t.elapsed().as_millis()).to_string(),
        };
        let mut response = Json(body).into_response();
        response.headers_mut().insert("odata-version", HeaderValue::from_static("4.0"));
        response
    }

    /// The page as CSV (page `db13b8e7`, changelog `644d83e8` 1.2.1): a
    /// header of the selected columns in `$metadata` order and a last
    /// column `nextLink`, then one line per row with that column empty;
    /// when another page follows, one more line whose only filled cell is
    /// its link. Columns are separated by `delimiter` (`,` by default, one
    /// or several characters); a cell holding the delimiter, a quote or a
    /// line break is quoted; lines end in a newline (page `db13b8e7`).
    pub fn csv(&self, delimiter: Option<&str>) -> Response {
        if let Err(refusal) = self.rows.check_measures() {
            return refusal.into_response();
        }
        let delimiter = delimiter.unwrap_or(",");
        let wanted = |name: &str| self.select.is_none_or(|s| s.iter().any(|c| c == name));
        let columns: Vec<&str> = self.rows.columns().into_iter().filter(|c| wanted(c)).collect();
        let mut body = String::new();
        let mut line = |cells: &mut dyn Iterator<Item = String>| {
            let cells: Vec<String> = cells.map(|c| quote(&c, delimiter)).collect();
            body.push_str(&cells.join(delimiter));
            body.push('\n');
        };
        line(&mut columns.iter().map(|c| c.to_string()).chain([NEXT_LINK.to_string()]));
        for i in 0..self.rows.len() {
            line(&mut self.rows.cells(i, &columns).into_iter().chain([String::new()]));
        }
        if let Some(link) = &self.next_link {
            line(&mut columns.iter().map(|_| String::new()).chain([link.clone()]));
        }
        let mut response = body.into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
        headers.insert("odata-version", HeaderValue::from_static("4.0"));
        response
    }
}

/// The last column of a CSV page.
pub const NEXT_LINK: &str = "nextLink";

/// A CSV cell: quoted (quotes doubled) when it holds the delimiter, a
/// quote or a line break.
fn quote(cell: &str, delimiter: &str) -> String {
    if cell.contains(delimiter) || cell.contains(['"', '\r', '\n']) {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell.to_string()
    }
}

impl Rows {
    /// SAC's 4202 when a measure cannot be written as the `DECIMAL(31, 7)`
    /// its `$metadata` declares (**assumption**: SAC documents the code,
    /// page `dbf30343`, not when it is given; the emulator refuses rather
    /// than write `inf` or a silent null).
    fn check_measures(&self) -> Result<(), ApiError> {
        let Rows::Facts(table, rows) = self else { return Ok(()) };
        for row in rows {
            for (name, value) in table.measures.iter().zip(&row.measures) {
                if value.is_some_and(|v| !fits_measure(v)) {
                    return Err(unserializable(name));
                }
            }
        }
        Ok(())
    }
}

/// SAC's 4202 for a measure `column` whose value does not fit its type.
pub fn unserializable(column: &str) -> ApiError {
    ApiError::api(
        axum::http::StatusCode::INTERNAL_SERVER_ERROR,
        "4202",
        format!(
            "Unable to serialize content: a value of {column} exceeds DECIMAL(31, 7); \
             narrow the request with $filter or correct the data [4202]"
        ),
    )
}

/// The rows of a page as JSON objects with `$select`'s columns (all when
/// absent), keys sorted. Facts are written straight from the stored
/// values, dimensions as strings and measures as numbers (null when absent),
/// without building a JSON tree per row.
struct PageRows<'a> {
    rows: &'a Rows,
    select: Option<&'a [String]>,
}

impl Serialize for PageRows<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        let wanted = |name: &str| self.select.is_none_or(|s| s.iter().any(|c| c == name));
        let mut seq = serializer.serialize_seq(Some(self.rows.len()))?;
        match self.rows {
            Rows::Facts(table, rows) => {
                // (name, Ok(dimension index) | Err(measure index)), sorted by name.
                let mut columns: Vec<(&str, Result<usize, usize>)> = Vec::new();
                columns.extend(table.dimensions.iter().enumerate().map(|(i, n)| (n.as_str(), Ok(i))));
                columns.extend(table.measures.iter().enumerate().map(|(i, n)| (n.as_str(), Err(i))));
                columns.retain(|(name, _)| wanted(name));
                columns.sort_by(|a, b| a.0.cmp(b.0));
                struct Fact<'r>(&'r [(&'r str, Result<usize, usize>)], &'r FactRow);
                impl Serialize for Fact<'_> {
                    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                        let mut map = serializer.serialize_map(Some(self.0.len()))?;
                        for (name, at) in self.0 {
                            match at {
                                Ok(i) => map.serialize_entry(name, &self.1.dimensions[*i])?,
                                Err(i) => map.serialize_entry(name, &self.1.measures[*i])?,
                            }
                        }
                        map.end()
                    }
                }
                for row in rows {
                    seq.serialize_element(&Fact(&columns, row))?;
                }
            }
            Rows::Values { rows, .. } => {
                for row in rows {
                    match row.as_object() {
                        Some(object) if self.select.is_some() => {
                            let kept: Map<String, Value> =
                                object.iter().filter(|(k, _)| wanted(k)).map(|(k, v)| (k.clone(), v.clone())).collect();
                            seq.serialize_element(&kept)?;
                        }
                        _ => seq.serialize_element(row)?,
                    }
                }
            }
        }
        seq.end()
    }
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn cells_holding_the_delimiter_a_quote_or_a_line_break_are_quoted() {
        assert_eq!(quote("plain", ","), "plain");
        assert_eq!(quote("a,b", ","), "\"a,b\"");
        assert_eq!(quote("a,b", "!"), "a,b", "only the delimiter in use counts");
        assert_eq!(quote("a::b", "::"), "\"a::b\"");
        assert_eq!(quote("say \"hi\"", ";"), "\"say \"\"hi\"\"\"");
        assert_eq!(quote("two\nlines", ","), "\"two\nlines\"");
    }
}
