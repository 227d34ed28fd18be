//! Diagnostics of a chain file: a message at a file, line and column, the
//! way compilers print them (`chain.toml:12:5: message`), so an editor can
//! jump there.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// One problem in a chain file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: PathBuf,
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: {}", self.file.display(), self.line, self.column, self.message)
    }
}

/// Every problem found in a chain file (at least one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

/// Turns byte offsets of one source text into diagnostics.
pub struct Source<'a> {
    pub file: &'a Path,
    pub text: &'a str,
}

impl Source<'_> {
    /// Line and column (1-based) of a byte offset.
    pub fn position(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        (line, before[line_start..].chars().count() + 1)
    }

    pub fn at(&self, span: &Range<usize>, message: impl Into<String>) -> Diagnostic {
        let (line, column) = self.position(span.start);
        Diagnostic { file: self.file.to_path_buf(), line, column, message: message.into() }
    }

    /// The span of `needle` inside `within` (e.g. one name of an array),
    /// or `within` itself when it cannot be found.
    pub fn find(&self, within: &Range<usize>, needle: &str) -> Range<usize> {
        let end = within.end.min(self.text.len());
        self.text
            .get(within.start..end)
            .and_then(|slice| slice.find(needle))
            .map(|i| within.start + i..within.start + i + needle.len())
            .unwrap_or_else(|| within.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_count_characters() {
        let source = Source { file: Path::new("c.toml"), text: "a = 1\nbé = \"x\"\n" };
        assert_eq!(source.position(0), (1, 1));
        assert_eq!(source.position(6), (2, 1));
        // "bé = " is 6 bytes but 5 characters.
        assert_eq!(source.position(12), (2, 6));
        assert_eq!(source.at(&(6..7), "m").to_string(), "c.toml:2:1: m");
        assert_eq!(source.find(&(6..16), "\"x\""), 12..15);
    }
}
