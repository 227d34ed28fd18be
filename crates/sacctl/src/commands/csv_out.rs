//! Where a command's CSV goes: stdout, or `--out FILE` (then with a JSON
//! document about the file under `--output json`).

use std::path::Path;

use crate::exit::ExitStatus;
use crate::failure::Failure;
use crate::output::Printer;
use crate::report::finish;

/// CSV results go to stdout, or to `--out`; with `--output json` stdout
/// holds the one JSON document, so the CSV needs `--out`.
pub fn csv_out_for(printer: Printer, out: Option<&Path>) -> Result<(), Failure> {
    if printer.json() && out.is_none() {
        return Err(Failure::usage(
            "this command writes CSV; with --output json give --out FILE (the CSV goes there, the JSON document to stdout)",
        ));
    }
    Ok(())
}

/// The document of a CSV written to a file.
pub fn csv_written(printer: Printer, path: &Path, rows: u64) {
    if printer.json() {
        printer.result_json(&finish(
            serde_json::json!({"file": path.display().to_string(), "rows": rows}),
            ExitStatus::Success,
            None,
        ));
    }
}
