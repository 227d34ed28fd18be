//! From what an operation came to, to a tool result: the JSON document of
//! docs/output.md as structured content, and a short text for people.
//! Errors carry the CLI's words and hints.

use rmcp::model::{CallToolResult, ContentBlock};
use serde_json::{json, Value};

use crate::failure::Failure;
use crate::ops::outcome::{Note, Outcome};
use crate::report::failure_json;

/// A result: `doc` (an object; a list goes under `key`) and `text`.
pub fn done(doc: Value, text: String) -> CallToolResult {
    let mut result = CallToolResult::structured(doc);
    result.content = vec![ContentBlock::text(text)];
    result
}

/// A list as a result: `{key: [...]}` with a count in the text.
pub fn list(key: &str, items: Vec<Value>, what: &str) -> CallToolResult {
    let text = format!("{} {what}", items.len());
    done(json!({ key: items }), text)
}

/// An operation's outcome. A run that ended with rejected rows or timed
/// out is an answer, not a failed call: the document's `outcome` and
/// `exit_code` tell it, and `resume` names how to go on.
pub fn outcome(outcome: Outcome) -> CallToolResult {
    let mut text: Vec<String> = outcome.lines.clone();
    text.extend(outcome.notes.iter().map(|n| match n {
        Note::Info(t) | Note::Always(t) => t.clone(),
    }));
    let doc = match outcome.json {
        Value::Object(_) => outcome.json,
        other => json!({ "items": other }),
    };
    done(doc, text.join("\n"))
}

/// A list operation's outcome (its document a bare array) with the list
/// under `key`.
pub fn outcome_list(outcome: Outcome, key: &str) -> CallToolResult {
    let mut result = self::outcome(outcome);
    if let Some(Value::Object(doc)) = result.structured_content.as_mut() {
        if let Some(items) = doc.remove("items") {
            doc.insert(key.into(), items);
        }
    }
    result
}

/// A failure as a tool error: the error document (error, causes, hints,
/// exit code) and the text the CLI prints for it.
pub fn failure(failure: &Failure) -> CallToolResult {
    let mut text = vec![format!("error: {}", failure.error)];
    text.extend(failure.error.chain().skip(1).map(|c| format!("  caused by: {c}")));
    text.extend(failure.hints.iter().map(|h| format!("hint: {h}")));
    if let Some(going) = &failure.going {
        text.push(going.note());
    }
    let mut result = CallToolResult::structured_error(failure_json(failure));
    result.content = vec![ContentBlock::text(text.join("\n"))];
    result
}

/// `Ok` or `Err` of a tool body, as its result.
pub fn of(result: Result<CallToolResult, Failure>) -> Result<CallToolResult, rmcp::ErrorData> {
    Ok(result.unwrap_or_else(|f| failure(&f)))
}
