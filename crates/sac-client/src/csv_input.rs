//! Reading the CSV of a push: the header's checks, chunks of rows cut on a
//! blocking thread (memory bounded by the chunks in flight), the bytes read
//! for the progress bar, and the count of rows that repeat an earlier key.

use std::io::Read;
use std::sync::Arc;

use crate::error::Error;

/// The longest CSV record (one line, or several when a quoted field holds
/// line breaks; the header line too) a push reads. Beyond it the file is
/// not a CSV of rows (`/dev/zero`, a binary, a corrupt file with no line
/// breaks) and reading on would hold it all in memory: the push stops.
pub const MAX_RECORD_BYTES: u64 = 1 << 20;

/// How far the CSV reader reads ahead of the record it is parsing.
const READ_AHEAD: usize = 64 << 10;

/// Counts the bytes read through it, and refuses to read more than
/// [`MAX_RECORD_BYTES`] (plus the reader's read-ahead) past the start of
/// the record being parsed, so that one endless record cannot grow the
/// reader's buffers without bound.
pub(crate) struct Counting<R> {
    inner: R,
    count: Arc<std::sync::atomic::AtomicU64>,
    read: u64,
    /// Where the record being parsed starts (bytes into the input); the
    /// reading loop moves it after each record.
    record_start: std::rc::Rc<std::cell::Cell<u64>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.read - self.record_start.get() > MAX_RECORD_BYTES + READ_AHEAD as u64 {
            return Err(std::io::Error::other(RecordTooLong));
        }
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        self.count.fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

/// The read error of [`Counting`] when a record is over the limit.
#[derive(Debug)]
struct RecordTooLong;

impl std::fmt::Display for RecordTooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "a CSV record is longer than {MAX_RECORD_BYTES} bytes")
    }
}

impl std::error::Error for RecordTooLong {}

/// What the CSV reader thread sends: a chunk (CSV text with the header
/// line, and its row count), or the end of the input with the number of
/// rows whose key an earlier row had.
pub(crate) enum Piece {
    Chunk(bytes::Bytes, u64),
    End(KeyCounter),
}

/// A place in the input that is wrong: line and column (1-based), and why.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct BadInput {
    pub(crate) line: u64,
    pub(crate) column: u64,
    pub(crate) message: String,
}

impl BadInput {
    pub(crate) fn new(line: u64, column: u64, message: impl Into<String>) -> Self {
        BadInput { line, column, message: message.into() }
    }

    /// The record starting at `line` is over [`MAX_RECORD_BYTES`].
    fn too_long(line: u64) -> Self {
        BadInput::new(
            line,
            1,
            format!(
                "the record starting here is longer than {} MiB (the most one CSV row may hold) and nothing \
                 was written; is this the right file? A CSV needs one row per line: a file without line \
                 breaks or an unclosed quote reads as one endless row",
                MAX_RECORD_BYTES >> 20
            ),
        )
    }

    /// A CSV error where it happened (a field's column when the reader
    /// knows it); `line` is where the record being read starts.
    fn from_read(e: &csv::Error, line: u64) -> Self {
        match e.kind() {
            csv::ErrorKind::Io(io) if io.get_ref().is_some_and(|inner| inner.is::<RecordTooLong>()) => {
                BadInput::too_long(line)
            }
            _ => BadInput::from_csv(e),
        }
    }

    /// A CSV error where it happened (a field's column when the reader knows it).
    pub(crate) fn from_csv(e: &csv::Error) -> Self {
        let line = e.position().map(|p| p.line()).unwrap_or(0);
        let column = match e.kind() {
            csv::ErrorKind::Utf8 { err, .. } => err.field() as u64 + 1,
            _ => 1,
        };
        BadInput::new(line, column, format!("the CSV is malformed: {e}"))
    }

    pub(crate) fn into_error(self, file: &str) -> Error {
        Error::DataFile { file: file.into(), line: self.line, column: self.column, message: self.message }
    }
}

/// The header's columns: a column named twice is an error naming both; a
/// header read as one column that holds semicolons or tabs is a file with
/// another delimiter than the one given.
pub(crate) fn check_header(header: &csv::ByteRecord, delimiter: u8) -> std::result::Result<(), BadInput> {
    if header.is_empty() || header.iter().all(|h| h.is_empty()) {
        return Err(BadInput::new(1, 1, "the CSV has no header line"));
    }
    if let [only] = header.iter().collect::<Vec<_>>().as_slice() {
        let other = [(b';', "';'", "';'"), (b'\t', "tabs", "tab")]
            .into_iter()
            .find(|(d, _, _)| *d != delimiter && only.contains(d));
        if let Some((_, seen, flag)) = other {
            return Err(BadInput::new(
                1,
                1,
                format!(
                    "the header line is one column that holds {seen}: the file seems to be separated by {seen} \
                     instead of '{}'; give --delimiter {flag}",
                    delimiter as char
                ),
            ));
        }
    }
    let mut seen: std::collections::HashMap<&[u8], usize> = std::collections::HashMap::new();
    for (i, name) in header.iter().enumerate() {
        if let Some(first) = seen.insert(name, i) {
            return Err(BadInput::new(
                1,
                i as u64 + 1,
                format!(
                    "column {:?} is named twice, in columns {} and {}",
                    String::from_utf8_lossy(name),
                    first + 1,
                    i + 1
                ),
            ));
        }
    }
    Ok(())
}

/// Counts the rows of each key (the values of the key columns), to tell how
/// many rows repeat a key an earlier row had. Holds one 64-bit hash per row
/// (8 bytes a row, sorted and counted at the end), not the rows and no
/// table per key, so that a million-row push stays within a few MiB.
#[derive(Debug, Default)]
pub(crate) struct KeyCounter {
    indices: Vec<usize>,
    hashes: Vec<u64>,
    /// Hashes of rows SAC rejected: they do not count.
    forgotten: Vec<u64>,
}

pub(crate) fn key_hash<'a>(values: impl Iterator<Item = Option<&'a [u8]>>) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    for value in values {
        value.hash(&mut hasher);
    }
    hasher.finish()
}

impl KeyCounter {
    pub(crate) fn new(header: &csv::ByteRecord, key_columns: &[String]) -> Self {
        let indices =
            key_columns.iter().filter_map(|k| header.iter().position(|h| h == k.as_bytes())).collect::<Vec<_>>();
        KeyCounter { indices, ..Default::default() }
    }

    pub(crate) fn count(&mut self, record: &csv::ByteRecord) {
        if !self.indices.is_empty() {
            self.hashes.push(key_hash(self.indices.iter().map(|&i| record.get(i))));
        }
    }

    /// Takes out a row SAC rejected (`values` of the key columns, in order).
    pub(crate) fn forget(&mut self, values: &[Option<&[u8]>]) {
        self.forgotten.push(key_hash(values.iter().copied()));
    }

    /// Rows whose key an earlier (kept) row had.
    pub(crate) fn repeats(&mut self) -> u64 {
        self.hashes.sort_unstable();
        self.forgotten.sort_unstable();
        let occurrences = |sorted: &[u64], h: u64| {
            let start = sorted.partition_point(|&x| x < h);
            sorted[start..].iter().take_while(|&&x| x == h).count() as u64
        };
        self.hashes
            .chunk_by(|a, b| a == b)
            .map(|run| (run.len() as u64).saturating_sub(occurrences(&self.forgotten, run[0])).saturating_sub(1))
            .sum()
    }
}

/// Splits CSV from `input` into chunks of `chunk_rows` rows on a blocking
/// thread; at most `bound` chunks wait in memory. A record whose field
/// count differs from the header's is an error with its line and column.
/// Splits CSV from `input` into chunks of `chunk_rows` rows on a blocking
/// thread; at most `bound` chunks wait in memory. A record whose field
/// count differs from the header's is an error with its line and column.
/// The file's fields are separated by `delimiter`; the
/// chunks are written with commas, SAC's default (`d9dc1eb6`), so the
/// upload needs no `delimiter` parameter.
pub(crate) fn chunk_csv(
    input: Box<dyn Read + Send>,
    chunk_rows: usize,
    bound: usize,
    bytes_read: Arc<std::sync::atomic::AtomicU64>,
    key_columns: Vec<String>,
    delimiter: u8,
) -> tokio::sync::mpsc::Receiver<std::result::Result<Piece, BadInput>> {
    let (tx, rx) = tokio::sync::mpsc::channel(bound.max(1));
    std::thread::spawn(move || {
        let result = (|| -> std::result::Result<(), BadInput> {
            let record_start = std::rc::Rc::new(std::cell::Cell::new(0));
            let counting = Counting { inner: input, count: bytes_read, read: 0, record_start: record_start.clone() };
            let mut reader = csv::ReaderBuilder::new()
                .flexible(true)
                .delimiter(delimiter)
                .buffer_capacity(READ_AHEAD)
                .from_reader(counting);
            let header = reader.byte_headers().map_err(|e| BadInput::from_read(&e, 1))?.clone();
            // Each record may be as long as the limit, counted from its start.
            let next = |reader: &csv::Reader<_>| {
                let at = reader.position();
                let over = at.byte() - record_start.get() > MAX_RECORD_BYTES;
                record_start.set(at.byte());
                (at.line(), over)
            };
            let (mut line, over) = next(&reader);
            if over {
                return Err(BadInput::too_long(1));
            }
            check_header(&header, delimiter)?;
            let mut keys = KeyCounter::new(&header, &key_columns);
            let internal = |e: csv::Error| BadInput::new(0, 0, format!("cannot re-encode the CSV: {e}"));
            let new_writer = || -> std::result::Result<csv::Writer<Vec<u8>>, BadInput> {
                let mut w = csv::Writer::from_writer(Vec::with_capacity(1 << 20));
                w.write_byte_record(&header).map_err(internal)?;
                Ok(w)
            };
            let finish = |w: csv::Writer<Vec<u8>>| {
                w.into_inner().map_err(|e| BadInput::new(0, 0, e.to_string())).map(bytes::Bytes::from)
            };
            let mut writer = new_writer()?;
            let mut rows = 0u64;
            let mut record = csv::ByteRecord::new();
            loop {
                match reader.read_byte_record(&mut record) {
                    Ok(true) => {
                        let (next_line, over) = next(&reader);
                        if over {
                            return Err(BadInput::too_long(line));
                        }
                        line = next_line;
                        if record.len() != header.len() {
                            let line = record.position().map(|p| p.line()).unwrap_or(0);
                            return Err(BadInput::new(
                                line,
                                record.len().min(header.len()) as u64 + 1,
                                format!("the row has {} fields, the header has {}", record.len(), header.len()),
                            ));
                        }
                        keys.count(&record);
                        writer.write_byte_record(&record).map_err(internal)?;
                        rows += 1;
                        if rows as usize == chunk_rows {
                            let full = finish(std::mem::replace(&mut writer, new_writer()?))?;
                            if tx.blocking_send(Ok(Piece::Chunk(full, rows))).is_err() {
                                return Ok(());
                            }
                            rows = 0;
                        }
                    }
                    Ok(false) => break,
                    Err(e) => return Err(BadInput::from_read(&e, line)),
                }
            }
            if rows > 0 {
                let _ = tx.blocking_send(Ok(Piece::Chunk(finish(writer)?, rows)));
            }
            let _ = tx.blocking_send(Ok(Piece::End(keys)));
            Ok(())
        })();
        if let Err(why) = result {
            let _ = tx.blocking_send(Err(why));
        }
    });
    rx
}
