//! Reading the keys of one `[step.NAME]` table: each value checked for its
//! type, its variables replaced, durations and paths parsed, and each
//! problem recorded at the line and column of the value.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use toml::{Spanned, Value};

use super::diag::{Diagnostic, Source};
use super::vars::expand;

pub(super) type Table = BTreeMap<Spanned<String>, Spanned<Value>>;

/// Reads the keys of one step table, collecting errors, and remembers
/// which keys the step's kind takes (the rest are unknown).
pub(super) struct StepReader<'a> {
    pub(super) src: &'a Source<'a>,
    pub(super) name: &'a Spanned<String>,
    pub(super) table: &'a Table,
    pub(super) vars: &'a BTreeMap<String, String>,
    pub(super) dir: &'a Path,
    pub(super) taken: Vec<&'static str>,
    pub(super) errors: Vec<Diagnostic>,
    pub(super) needs: Vec<String>,
    pub(super) needs_span: Range<usize>,
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text.trim())
        .map_err(|e| format!("{text:?} is not a duration ({e}); write e.g. \"90s\", \"30m\" or \"1h 30m\""))
}

impl<'a> StepReader<'a> {
    pub(super) fn new(
        src: &'a Source<'a>,
        name: &'a Spanned<String>,
        table: &'a Table,
        vars: &'a BTreeMap<String, String>,
        dir: &'a Path,
    ) -> Self {
        StepReader {
            src,
            name,
            table,
            vars,
            dir,
            taken: Vec::new(),
            errors: Vec::new(),
            needs: Vec::new(),
            needs_span: name.span(),
        }
    }

    pub(super) fn error(&mut self, span: &Range<usize>, message: impl Into<String>) {
        self.errors.push(self.src.at(span, message));
    }

    pub(super) fn get(&mut self, key: &'static str) -> Option<&'a Spanned<Value>> {
        self.taken.push(key);
        self.table.iter().find(|(k, _)| k.get_ref() == key).map(|(_, v)| v)
    }

    /// Replaces the variables of a string found at `span`.
    pub(super) fn expand(&mut self, text: &str, span: &Range<usize>) -> Option<String> {
        match expand(text, self.vars) {
            Ok(s) => Some(s),
            Err(e) => {
                let at = self.src.find(span, &text[e.at.clone()]);
                self.error(&at, e.message);
                None
            }
        }
    }

    pub(super) fn string(&mut self, key: &'static str) -> Option<String> {
        let value = self.get(key)?;
        match value.get_ref() {
            Value::String(s) => self.expand(s, &value.span()),
            other => {
                self.error(&value.span(), format!("`{key}` must be a string, not {}", other.type_str()));
                None
            }
        }
    }

    pub(super) fn required(&mut self, key: &'static str, what: &str) -> Option<String> {
        let present = self.table.keys().any(|k| k.get_ref() == key);
        let value = self.string(key);
        if !present {
            let span = self.name.span();
            let name = self.name.get_ref().clone();
            self.error(&span, format!("step `{name}` needs `{key}` ({what})"));
        }
        value
    }

    pub(super) fn path(&mut self, key: &'static str) -> Option<PathBuf> {
        self.string(key).map(|p| if p == "-" { PathBuf::from(p) } else { self.dir.join(p) })
    }

    pub(super) fn duration(&mut self, key: &'static str, default: Duration) -> Duration {
        let Some(value) = self.get(key) else { return default };
        let parsed = match value.get_ref() {
            Value::String(s) => self.expand(s, &value.span()).map(|s| parse_duration(&s)),
            _ => Some(Err(format!("`{key}` must be a duration string like \"30m\""))),
        };
        match parsed {
            Some(Ok(d)) => d,
            Some(Err(message)) => {
                self.error(&value.span(), format!("bad duration for `{key}`: {message}"));
                default
            }
            None => default,
        }
    }

    pub(super) fn boolean(&mut self, key: &'static str) -> bool {
        let Some(value) = self.get(key) else { return false };
        match value.get_ref() {
            Value::Boolean(b) => *b,
            other => {
                self.error(&value.span(), format!("`{key}` must be true or false, not {}", other.type_str()));
                false
            }
        }
    }

    pub(super) fn count(&mut self, key: &'static str) -> Option<u64> {
        let value = self.get(key)?;
        match value.get_ref() {
            Value::Integer(i) if *i >= 0 => Some(*i as u64),
            _ => {
                self.error(&value.span(), format!("`{key}` must be a whole number, 0 or more"));
                None
            }
        }
    }

    /// A string, or an array of strings, found at `span` (errors name `what`).
    pub(super) fn string_items(&mut self, value: &Value, span: &Range<usize>, what: &str) -> Option<Vec<String>> {
        let items: Vec<&Value> = match value {
            Value::Array(items) => items.iter().collect(),
            single => vec![single],
        };
        let mut out = Vec::new();
        for item in items {
            match item {
                Value::String(s) => out.push(self.expand(s, span)?),
                other => {
                    self.error(span, format!("`{what}` must hold strings, not {}", other.type_str()));
                    return None;
                }
            }
        }
        Some(out)
    }

    /// A string, or an array of strings.
    pub(super) fn strings(&mut self, key: &'static str) -> Option<Vec<String>> {
        let value = self.get(key)?;
        self.string_items(value.get_ref(), &value.span(), key)
    }

    /// A table of strings or arrays of strings.
    pub(super) fn pairs(&mut self, key: &'static str) -> Option<BTreeMap<String, Vec<String>>> {
        let value = self.get(key)?;
        let span = value.span();
        let Value::Table(table) = value.get_ref() else {
            self.error(&span, format!("`{key}` must be a table, e.g. {key} = {{ NAME = \"VALUE\" }}"));
            return None;
        };
        let mut out = BTreeMap::new();
        for (k, v) in table {
            let at = self.src.find(&span, k).start..span.end;
            let values = self.string_items(v, &at, &format!("{key}.{k}"))?;
            out.insert(k.clone(), values);
        }
        Some(out)
    }

    pub(super) fn single_pairs(&mut self, key: &'static str) -> BTreeMap<String, String> {
        let span = self.table.iter().find(|(k, _)| k.get_ref() == key).map(|(_, v)| v.span());
        let mut out = BTreeMap::new();
        for (k, mut values) in self.pairs(key).unwrap_or_default() {
            if values.len() != 1 {
                let span = span.clone().unwrap_or(0..0);
                self.error(&self.src.find(&span, &k), format!("`{key}.{k}` must be one string"));
                continue;
            }
            out.insert(k, values.remove(0));
        }
        out
    }
}
