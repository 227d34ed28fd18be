//! The push pipeline: a CSV file of any size streamed into a new job in
//! chunks, validated, and run (or stopped before the run, writing nothing).

use std::io::Read;
use std::sync::Arc;

use sac_types::dataimport::{CreateJob, InvalidRows, JobStatus, ValidateResult, REJECTION_REASON};

use super::{Conversion, DataImport, DeletedCounts};
use crate::csv_input::{chunk_csv, BadInput, KeyCounter, Piece};
use crate::error::{Error, Result, WRITE_CANCELLED};
use crate::poll::WaitPolicy;
use crate::report::PushReporter;

/// How to push.
#[derive(Clone, Debug)]
pub struct PushOptions {
    pub model: String,
    pub import_type: String,
    pub settings: CreateJob,
    /// Rows per chunk (SAP practitioners' advice: about 50k).
    pub chunk_rows: usize,
    /// Chunks uploading at once.
    pub parallel: usize,
    /// Stop before writing when more rows than this are invalid.
    pub max_failed_rows: Option<u64>,
    /// Validate only: report, delete the job, write nothing.
    pub dry_run: bool,
    pub wait: WaitPolicy,
    /// The file's name for error messages ("facts.csv", "standard input").
    pub source: String,
    /// The file's columns that make a row's key in the model (after the
    /// mapping); rows whose key was seen earlier in the file are counted.
    pub key_columns: Vec<String>,
    /// The byte between the file's fields (`,` unless told); chunks are sent with commas.
    pub delimiter: u8,
    /// A conversion table instead of a model (`model` is then the table's id,
    /// `import_type` empty to let SAC infer it from the table).
    pub conversion: Option<Conversion>,
    /// Rows to delete from the conversion table (`DeletedData`, sent with
    /// the first chunk as JSON: SAC takes no request with DeletedData alone, `d9dc1eb6`).
    pub deleted_data: Vec<serde_json::Value>,
}

/// At most this many of the rows SAC refused on arrival are kept (the
/// upload answers' `failedRows`), for the first reasons in the report.
pub const ARRIVAL_SAMPLE: usize = 100;

/// What a push did.
#[derive(Clone, Debug, PartialEq)]
pub struct PushOutcome {
    pub job_id: String,
    pub rows_read: u64,
    pub validated: ValidateResult,
    /// The final status (None for a dry run or a stop before the run).
    pub status: Option<JobStatus>,
    pub timed_out: bool,
    /// Why nothing was written, when the push stopped before the run.
    pub stopped: Option<String>,
    /// The rows SAC rejected, with `_REJECTION_REASON` (at most SAC's sample).
    pub invalid_rows: InvalidRows,
    /// Rows whose key an earlier row of the file had (SAC keeps one row per key).
    pub duplicate_keys: u64,
    /// The first rows SAC refused as they arrived (`failedRows` of the
    /// upload answers: `{"row":{...},"reason":"..."}`), at most [`ARRIVAL_SAMPLE`].
    pub refused_on_arrival: Vec<serde_json::Value>,
    /// How many rows SAC refused as they arrived (the uploads'
    /// `failedNumberRows`): never stored, so not in `validated`'s counts.
    pub failed_on_arrival: u64,
    /// Rows of `deleted_data` SAC took, and those it refused (with a sample).
    pub deleted_rows: u64,
    pub failed_deleted_rows: u64,
    pub refused_deleted: Vec<serde_json::Value>,
}

impl PushOutcome {
    /// Rows refused on arrival plus rows validation found invalid.
    pub fn failed_rows(&self) -> u64 {
        self.failed_on_arrival + self.validated.failed_number_rows
    }
}

/// Streams CSV rows into a new job, validates, and (unless stopped) runs
/// and waits. Memory stays bounded by `chunk_rows * (parallel + 1)` rows.
pub async fn push_csv(
    di: &DataImport<'_>,
    input: Box<dyn Read + Send>,
    options: &PushOptions,
    reporter: &dyn PushReporter,
) -> Result<PushOutcome> {
    let created = match options.conversion {
        Some(kind) => {
            let import_type = (!options.import_type.is_empty()).then_some(options.import_type.as_str());
            di.create_conversion_job(kind, &options.model, import_type, &options.settings).await?
        }
        None => di.create_job(&options.model, &options.import_type, &options.settings).await?,
    };
    let job_id = created.job_id.clone();
    reporter.job_created(&job_id);
    let mut outcome = match upload_and_validate(di, &job_id, input, options, reporter).await {
        Ok(outcome) => outcome,
        Err(e) => {
            // Nothing was written yet: leave no half-filled job behind.
            if let Err(cleanup) = di.delete(&job_id).await {
                tracing::warn!(job = %job_id, error = %cleanup, "could not delete the unfinished job");
            }
            return Err(e);
        }
    };
    if outcome.stopped.is_some() {
        di.delete(&job_id).await?;
        return Ok(outcome);
    }
    // From here on the job may write: it is never deleted behind the caller's back.
    reporter.phase("writing");
    let started = match di.run(&job_id, false).await {
        Err(Error::ImportRefused { code: WRITE_CANCELLED, message }) => {
            // Nothing was written: the job goes, as after any stop before the run.
            if let Err(cleanup) = di.delete(&job_id).await {
                tracing::warn!(job = %job_id, error = %cleanup, "could not delete the cancelled job");
            }
            outcome.stopped = Some(format!(
                "SAC cancelled the write because {} rows are invalid and the job was created with \
                 executeWithFailedRows false: {message}",
                outcome.failed_rows()
            ));
            return Ok(outcome);
        }
        other => other?,
    };
    let (status, timed_out) =
        if started.job_status.is_terminal() { (started, false) } else { di.wait(&job_id, &options.wait).await? };
    outcome.status = Some(status);
    outcome.timed_out = timed_out;
    Ok(outcome)
}

/// Uploads every chunk and validates; says in `stopped` when the job must
/// not run (too many invalid rows, a dry run).
async fn upload_and_validate(
    di: &DataImport<'_>,
    job_id: &str,
    input: Box<dyn Read + Send>,
    options: &PushOptions,
    reporter: &dyn PushReporter,
) -> Result<PushOutcome> {
    let bytes_read = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let parallel = options.parallel.max(1);
    let mut chunks = chunk_csv(
        input,
        options.chunk_rows.max(1),
        parallel,
        bytes_read.clone(),
        options.key_columns.clone(),
        options.delimiter,
    );
    let mut refused_on_arrival = Vec::new();
    let mut failed_on_arrival = 0u64;
    let mut deleted_pending = (!options.deleted_data.is_empty()).then(|| options.deleted_data.clone());
    let mut deleted = DeletedCounts::default();
    let mut in_flight = futures_util::stream::FuturesUnordered::new();
    let mut rows_read = 0u64;
    let mut rows_sent = 0u64;
    let mut keys = KeyCounter::default();
    let mut input_done = false;
    loop {
        while !input_done && in_flight.len() < parallel {
            match chunks.recv().await {
                Some(Ok(Piece::Chunk(csv, rows))) => {
                    rows_read += rows;
                    let with_deleted = deleted_pending.take();
                    let source = options.source.as_str();
                    in_flight.push(async move {
                        match with_deleted {
                            Some(to_delete) => {
                                let data = csv_rows(&csv).map_err(|bad| bad.into_error(source))?;
                                let body = serde_json::json!({"Data": data, "DeletedData": to_delete});
                                di.upload_json(job_id, &body).await.map(|(r, d)| (r, Some(d), rows))
                            }
                            None => di.upload_csv(job_id, csv).await.map(|r| (r, None, rows)),
                        }
                    });
                }
                Some(Ok(Piece::End(counted))) => {
                    keys = counted;
                    input_done = true
                }
                Some(Err(bad)) => return Err(bad.into_error(&options.source)),
                None => {
                    return Err(
                        BadInput::new(0, 0, "reading the input stopped before its end").into_error(&options.source)
                    )
                }
            }
        }
        match futures_util::StreamExt::next(&mut in_flight).await {
            Some(result) => {
                let (answer, counts, rows) = result?;
                if let Some(counts) = counts {
                    deleted = counts;
                }
                failed_on_arrival += answer.failed_number_rows;
                let room = ARRIVAL_SAMPLE.saturating_sub(refused_on_arrival.len());
                refused_on_arrival.extend(answer.failed_rows.into_iter().take(room));
                rows_sent += rows;
                reporter.uploaded(rows_sent, bytes_read.load(std::sync::atomic::Ordering::Relaxed));
            }
            None if input_done => break,
            None => {}
        }
    }
    if rows_read == 0 {
        return Err(BadInput::new(2, 1, "the file has a header line but no rows").into_error(&options.source));
    }
    reporter.phase("validating");
    let validated = di.validate(job_id).await?;
    reporter.validated(&validated);
    let invalid_rows = if validated.failed_number_rows > 0 {
        di.invalid_rows(job_id).await?
    } else {
        InvalidRows { failed_rows: vec![] }
    };
    let duplicate_keys = repeats_among_valid(keys, &invalid_rows, validated.failed_number_rows, options);
    let mut outcome = PushOutcome {
        job_id: job_id.to_string(),
        rows_read,
        validated: validated.clone(),
        status: None,
        timed_out: false,
        stopped: None,
        invalid_rows,
        duplicate_keys,
        refused_on_arrival,
        failed_on_arrival,
        deleted_rows: deleted.taken(),
        failed_deleted_rows: deleted.failed(),
        refused_deleted: deleted.failed_deleted_data_rows,
    };
    let failed = outcome.failed_rows();
    if let Some(max) = options.max_failed_rows {
        if failed > max {
            outcome.stopped =
                Some(format!("{failed} rows are invalid, more than --max-failed-rows {max}: nothing was written"));
        }
    }
    let valid = validated.total_number_rows_in_job.saturating_sub(validated.failed_number_rows);
    if outcome.stopped.is_none() && !options.dry_run && valid == 0 {
        // SAC refuses to run a job without a valid row (its error 1011).
        outcome.stopped = Some(format!("all {failed} rows are invalid: nothing was written"));
    }
    if options.dry_run && outcome.stopped.is_none() {
        outcome.stopped = Some("dry run: validated only, nothing was written".into());
    }
    Ok(outcome)
}

/// The rows of a CSV chunk (header line first) as JSON objects of strings.
fn csv_rows(csv: &[u8]) -> std::result::Result<Vec<serde_json::Value>, BadInput> {
    let mut reader = csv::Reader::from_reader(csv);
    let header = reader.headers().map_err(|e| BadInput::from_csv(&e))?.clone();
    reader
        .records()
        .map(|record| {
            let record = record.map_err(|e| BadInput::from_csv(&e))?;
            let row: serde_json::Map<String, serde_json::Value> =
                header.iter().zip(record.iter()).map(|(k, v)| (k.to_string(), v.into())).collect();
            Ok(serde_json::Value::Object(row))
        })
        .collect()
}

/// Rows that repeat the key of an earlier row SAC keeps. Rejected rows are
/// taken out when SAC listed all of them (its sample may be shorter; then
/// a rejected row may still count).
fn repeats_among_valid(mut keys: KeyCounter, invalid: &InvalidRows, failed: u64, options: &PushOptions) -> u64 {
    if invalid.failed_rows.len() as u64 == failed {
        // SAC may name a rejected row's columns by the file's names or the model's.
        let target_of = |file_column: &String| {
            options
                .settings
                .mapping
                .as_ref()
                .and_then(|m| m.iter().find(|(_, source)| *source == file_column).map(|(target, _)| target.clone()))
                .unwrap_or_else(|| file_column.clone())
        };
        for row in &invalid.failed_rows {
            let values: Vec<Option<&[u8]>> = options
                .key_columns
                .iter()
                .map(|c| row.get(c).or_else(|| row.get(&target_of(c))).and_then(|v| v.as_str()).map(str::as_bytes))
                .collect();
            keys.forget(&values);
        }
    }
    keys.repeats()
}

/// Writes rejected rows as CSV: the columns of the rows, then the reason.
pub fn rejects_csv(rows: &InvalidRows, out: impl std::io::Write) -> std::io::Result<()> {
    let mut columns: Vec<String> = Vec::new();
    for row in &rows.failed_rows {
        for k in row.keys() {
            if k != REJECTION_REASON && !columns.contains(k) {
                columns.push(k.clone());
            }
        }
    }
    let mut writer = csv::Writer::from_writer(out);
    let mut header = columns.clone();
    header.push(REJECTION_REASON.into());
    writer.write_record(&header)?;
    for row in &rows.failed_rows {
        let record: Vec<String> = header
            .iter()
            .map(|c| match row.get(c) {
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(serde_json::Value::Null) | None => String::new(),
                Some(other) => other.to_string(),
            })
            .collect();
        writer.write_record(&record)?;
    }
    writer.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn csv_is_cut_into_chunks_with_the_header() {
        let input = "A,B\n1,2\n3,\"x,y\"\n5,6\n".as_bytes().to_vec();
        let len = input.len() as u64;
        let count = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let mut rx = chunk_csv(Box::new(std::io::Cursor::new(input)), 2, 1, count.clone(), vec!["A".into()], b',');
        let chunk = |piece: std::result::Result<Piece, BadInput>| match piece.unwrap() {
            Piece::Chunk(text, rows) => (String::from_utf8(text.to_vec()).unwrap(), rows),
            Piece::End { .. } => panic!("end too early"),
        };
        assert_eq!(chunk(rx.recv().await.unwrap()), ("A,B\n1,2\n3,\"x,y\"\n".to_string(), 2));
        assert_eq!(chunk(rx.recv().await.unwrap()), ("A,B\n5,6\n".to_string(), 1));
        match rx.recv().await {
            Some(Ok(Piece::End(mut keys))) => assert_eq!(keys.repeats(), 0),
            _ => panic!("the end, with the keys"),
        }
        assert!(rx.recv().await.is_none());
        assert_eq!(count.load(std::sync::atomic::Ordering::Relaxed), len);
    }

    #[tokio::test]
    async fn a_ragged_line_is_an_error_with_its_line_and_column() {
        let input = b"A,B\n1,2\n1,2,3\n".to_vec();
        let mut rx = chunk_csv(Box::new(std::io::Cursor::new(input)), 10, 1, Arc::default(), vec![], b',');
        match rx.recv().await.unwrap() {
            Err(bad) => assert_eq!(bad, BadInput::new(3, 3, "the row has 3 fields, the header has 2")),
            Ok(_) => panic!("accepted a ragged line"),
        }
    }

    /// The first error `chunk_csv` sends for `input`, if any.
    async fn first_error(input: Vec<u8>) -> Option<BadInput> {
        let mut rx = chunk_csv(Box::new(std::io::Cursor::new(input)), 10, 1, Arc::default(), vec![], b',');
        while let Some(piece) = rx.recv().await {
            if let Err(bad) = piece {
                return Some(bad);
            }
        }
        None
    }

    #[tokio::test]
    async fn a_record_over_the_limit_stops_the_read_at_its_line() {
        let limit = crate::csv_input::MAX_RECORD_BYTES as usize;
        let mut endless_row = b"A,B\n1,2\n3,".to_vec();
        endless_row.resize(endless_row.len() + 5 * limit, b'x');
        let bad = first_error(endless_row).await.expect("a 5 MiB row is refused");
        assert_eq!((bad.line, bad.column), (3, 1));
        assert!(bad.message.contains("longer than 1 MiB"), "{}", bad.message);
        // A zero-filled file: no header line ever ends.
        let bad = first_error(vec![0; 3 * limit]).await.expect("an endless header is refused");
        assert_eq!(bad.line, 1);
        // An unclosed quote spreads one record over many short lines.
        let mut unclosed = b"A,B\n1,\"".to_vec();
        unclosed.extend(std::iter::repeat_n(b"y\n".as_slice(), limit).flatten());
        assert_eq!(first_error(unclosed).await.map(|bad| bad.line), Some(2));
        // Just under the limit is a row like any other.
        let mut long_row = b"A,B\n1,".to_vec();
        long_row.resize(long_row.len() + limit - 100, b'x');
        long_row.extend(b"\n2,3\n");
        assert_eq!(first_error(long_row).await, None);
    }

    #[tokio::test]
    async fn a_column_named_twice_is_an_error_naming_both_positions() {
        let input = b"Version,Date,Amount,Date\n1,2,3,4\n".to_vec();
        let mut rx = chunk_csv(Box::new(std::io::Cursor::new(input)), 10, 1, Arc::default(), vec![], b',');
        match rx.recv().await.unwrap() {
            Err(bad) => {
                assert_eq!((bad.line, bad.column), (1, 4));
                assert!(bad.message.contains("\"Date\" is named twice, in columns 2 and 4"), "{}", bad.message);
                let e = bad.into_error("facts.csv");
                assert_eq!(e.class(), crate::ErrorClass::Usage);
                assert!(e.to_string().starts_with("data file facts.csv, line 1, column 4: "), "{e}");
            }
            Ok(_) => panic!("accepted a column named twice"),
        }
    }

    #[tokio::test]
    async fn a_semicolon_or_tab_header_says_which_delimiter_to_give() {
        for (input, flag) in
            [(&b"Version;Date;Amount\n1;2;3\n"[..], "--delimiter ';'"), (b"Version\tDate\n1\t2\n", "--delimiter tab")]
        {
            let mut rx = chunk_csv(Box::new(std::io::Cursor::new(input.to_vec())), 10, 1, Arc::default(), vec![], b',');
            match rx.recv().await.unwrap() {
                Err(bad) => assert!(bad.message.contains(flag) && bad.line == 1, "{}", bad.message),
                Ok(_) => panic!("took a {flag} file as one column"),
            }
        }
        // Given the delimiter, the rows go out with commas.
        let input = b"Version;Date;Amount\npublic.Plan;202601;\"1,5\"\n".to_vec();
        let mut rx = chunk_csv(Box::new(std::io::Cursor::new(input)), 10, 1, Arc::default(), vec![], b';');
        match rx.recv().await.unwrap() {
            Ok(Piece::Chunk(text, 1)) => {
                assert_eq!(
                    String::from_utf8(text.to_vec()).unwrap(),
                    "Version,Date,Amount\npublic.Plan,202601,\"1,5\"\n"
                )
            }
            _ => panic!("one chunk of one row"),
        }
    }

    #[tokio::test]
    async fn rows_with_a_key_seen_earlier_are_counted_across_chunks() {
        let input = b"K1,V,K2\na,1,x\nb,2,x\na,3,x\na,4,y\nb,5,x\n".to_vec();
        let keys = vec!["K1".to_string(), "K2".to_string(), "NOT_IN_FILE".to_string()];
        let mut rx = chunk_csv(Box::new(std::io::Cursor::new(input)), 2, 1, Arc::default(), keys, b',');
        let mut end = None;
        while let Some(piece) = rx.recv().await {
            if let Piece::End(keys) = piece.unwrap() {
                end = Some(keys);
            }
        }
        let mut keys = end.unwrap();
        assert_eq!(keys.repeats(), 2, "rows 3 (a,x) and 5 (b,x) repeat a key");
        keys.forget(&[Some(b"a".as_slice()), Some(b"x".as_slice())]);
        assert_eq!(keys.repeats(), 1, "a rejected (a,x) row leaves one row of that key");
    }

    #[test]
    fn rejects_are_written_with_their_reason() {
        let rows: InvalidRows = serde_json::from_str(
            r#"{"failedRows":[{"Date":"A02301","_REJECTION_REASON":"Invalid column value for: Date"}]}"#,
        )
        .unwrap();
        let mut out = Vec::new();
        rejects_csv(&rows, &mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "Date,_REJECTION_REASON\nA02301,Invalid column value for: Date\n");
    }
}
