//! The rows file of a push, opened: a CSV file streamed, a JSON file read
//! whole and turned into CSV. Blocking (a FIFO's open waits for a writer):
//! callers run it off the async workers.

use std::io::Read;
use std::path::Path;

use super::rows::json_to_csv;
use crate::failure::Failure;

/// The rows of `path` as CSV, and their size when known.
pub(super) fn open(path: &Path) -> Result<(Box<dyn Read + Send>, Option<u64>), Failure> {
    let is_json = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let file = std::fs::File::open(path).map_err(|e| Failure::usage(format!("cannot open {}: {e}", path.display())))?;
    if is_json {
        let mut text = String::new();
        std::io::BufReader::new(file)
            .read_to_string(&mut text)
            .map_err(|e| Failure::usage(format!("cannot read {}: {e}", path.display())))?;
        let csv = json_to_csv(&text, &path.display().to_string())?;
        let len = csv.len() as u64;
        Ok((Box::new(std::io::Cursor::new(csv)), Some(len)))
    } else {
        let len = file.metadata().ok().filter(|m| m.is_file()).map(|m| m.len());
        Ok((Box::new(std::io::BufReader::with_capacity(1 << 20, file)), len))
    }
}
