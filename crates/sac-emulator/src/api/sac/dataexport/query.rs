//! The query options of a Data Export request, read once from the raw
//! query string: the OData system options (`$filter`, `$orderby`,
//! `$select`, `$top`, `$skip`, `$skiptoken`, `$count`, `$format`) and SAC's
//! custom option `pagesize`. What is not a number, a known format or a
//! boolean is refused here, before anything is read.

use axum::http::StatusCode;

use crate::api::error::ApiError;

/// The system options SAC understands; any other `$option` answers 501.
const SYSTEM_OPTIONS: [&str; 8] =
    ["$filter", "$orderby", "$select", "$top", "$skip", "$skiptoken", "$format", "$count"];

/// The largest page SAC serves, whatever `pagesize` asks (**assumption**:
/// SAP documents the option, not its bounds; bigger requests get pages of
/// this size, as OData's server-driven paging allows).
pub const MAX_PAGE_SIZE: i64 = 100_000;

/// The answer's representation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
    Xml,
}

/// The options of one request, as sent (`raw`: the query string without
/// its `$skiptoken`, kept to build the next page's link).
#[derive(Debug, Default)]
pub struct Options {
    pub filter: Option<String>,
    pub orderby: Option<String>,
    pub select: Option<Vec<String>>,
    pub top: Option<i64>,
    pub skip: i64,
    pub skiptoken: i64,
    pub pagesize: Option<i64>,
    pub count: bool,
    pub format: Option<Format>,
    /// `delimiter`: what separates CSV columns (changelog `644d83e8` 1.2.1).
    pub delimiter: Option<String>,
    /// When the options were read (the request's start).
    pub started: Option<std::time::Instant>,
    pub kept: Vec<(String, String)>,
}

fn bad(message: String) -> ApiError {
    ApiError::api(StatusCode::BAD_REQUEST, "400", message)
}

fn whole(name: &str, value: &str, min: i64) -> Result<i64, ApiError> {
    match value.trim().parse::<i64>() {
        Ok(n) if n >= min => Ok(n),
        _ => Err(bad(format!("{name} must be a whole number of at least {min}, not '{value}'"))),
    }
}

fn format(value: &str) -> Result<Format, ApiError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "json" | "application/json" => Ok(Format::Json),
        "text/csv" | "csv" => Ok(Format::Csv),
        "xml" | "application/xml" => Ok(Format::Xml),
        _ => Err(bad(format!("$format={value} is not supported: use json, text/csv or (on $metadata) xml"))),
    }
}

/// The CSV delimiter: one character or several (the guide allows "a
/// character or set of characters", page `db13b8e7`), but not one that
/// cannot separate anything: empty, a quote or a line break
/// (**assumption**: SAC documents no refusal; such a CSV could not be read).
fn delimiter(value: &str) -> Result<String, ApiError> {
    if value.is_empty() || value.chars().count() > 8 || value.contains(['"', '\r', '\n']) {
        return Err(bad(format!(
            "delimiter={value:?} cannot separate CSV columns: use one to eight characters without quotes or line breaks"
        )));
    }
    Ok(value.to_string())
}

impl Options {
    /// Reads the options from the raw query string (percent-decoded, `+`
    /// as a space); an empty or absent query is no options.
    pub fn parse(raw: Option<&str>) -> Result<Options, ApiError> {
        let mut o = Options { started: Some(std::time::Instant::now()), ..Options::default() };
        for (key, value) in url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
            let (key, value) = (key.into_owned(), value.into_owned());
            if key.starts_with('$') && !SYSTEM_OPTIONS.contains(&key.as_str()) {
                return Err(ApiError::api(
                    StatusCode::NOT_IMPLEMENTED,
                    "501",
                    format!("The query option {key} is not supported"),
                ));
            }
            match key.as_str() {
                "$filter" => o.filter = Some(value.clone()),
                "$orderby" => o.orderby = Some(value.clone()),
                "$select" => o.select = Some(value.split(',').map(|c| c.trim().to_string()).collect()),
                "$top" => o.top = Some(whole("$top", &value, 0)?),
                "$skip" => o.skip = whole("$skip", &value, 0)?,
                "$skiptoken" => o.skiptoken = whole("$skiptoken", &value, 0)?,
                // A negative page size is SAC's non-blocking 1406: the
                // default page size is used instead (page `dbf30343`).
                "pagesize" => match value.trim().parse::<i64>() {
                    Ok(n) if n < 0 => o.pagesize = None,
                    Ok(0) => {
                        return Err(ApiError::api(
                            StatusCode::BAD_REQUEST,
                            "1406",
                            "pagesize must be a whole number of at least 1, not '0' [1406]",
                        ))
                    }
                    _ => o.pagesize = Some(whole("pagesize", &value, 1)?.min(MAX_PAGE_SIZE)),
                },
                "delimiter" => o.delimiter = Some(delimiter(&value)?),
                "$count" => {
                    o.count = match value.trim() {
                        "true" => true,
                        "false" => false,
                        _ => return Err(bad(format!("$count must be true or false, not '{value}'"))),
                    }
                }
                "$format" => o.format = Some(format(&value)?),
                _ => {}
            }
            if key != "$skiptoken" {
                o.kept.push((key, value));
            }
        }
        Ok(o)
    }

    /// The query string of the page that starts at `skiptoken`: the
    /// request's own options (so filter, order and page size carry over)
    /// plus `$skiptoken`.
    pub fn next_query(&self, skiptoken: i64) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.kept {
            query.append_pair(k, v);
        }
        query.append_pair("$skiptoken", &skiptoken.to_string());
        query.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_options_and_keeps_them_for_the_next_page() {
        let o = Options::parse(Some("$filter=Version%20eq%20'public.Actual'&pagesize=7&$skiptoken=14&$count=true"))
            .unwrap();
        assert_eq!(o.filter.as_deref(), Some("Version eq 'public.Actual'"));
        assert_eq!((o.pagesize, o.skiptoken, o.count), (Some(7), 14, true));
        let next = o.next_query(21);
        let again = Options::parse(Some(&next)).unwrap();
        assert_eq!(again.filter, o.filter);
        assert_eq!((again.pagesize, again.skiptoken), (Some(7), 21));
        assert!(Options::parse(Some("")).unwrap().kept.is_empty());
        assert_eq!(Options::parse(Some("pagesize=999999999")).unwrap().pagesize, Some(MAX_PAGE_SIZE));
    }

    #[test]
    fn refuses_what_is_not_a_number_a_format_or_a_known_option() {
        use axum::response::IntoResponse;
        assert_eq!(Options::parse(Some("pagesize=-5")).unwrap().pagesize, None, "1406 is not blocking");
        assert_eq!(Options::parse(Some("delimiter=!")).unwrap().delimiter.as_deref(), Some("!"));
        for bad in [
            "pagesize=0",
            "pagesize=x",
            "delimiter=",
            "delimiter=%22",
            "$top=-1",
            "$count=yes",
            "$format=xlsx",
            "$skip=1.5",
        ] {
            assert_eq!(
                Options::parse(Some(bad)).unwrap_err().into_response().status(),
                StatusCode::BAD_REQUEST,
                "{bad}"
            );
        }
        assert_eq!(Options::parse(Some("$apply=x")).unwrap_err().into_response().status(), StatusCode::NOT_IMPLEMENTED);
        assert_eq!(Options::parse(Some("$format=text/csv")).unwrap().format, Some(Format::Csv));
    }
}
