//! Words for a shell: the commands sacctl prints for people and schedulers
//! to run (resume lines) and the `export` lines `eval`ed from `sacctl
//! emulator env`. Ids in them come from the server, so each is quoted as
//! the shell must read it back literally (`7A8B;touch x` stays one word).
//!
//! Command lines are printed for the shell named by `SACCTL_SHELL`
//! (`posix` or `powershell`); without it, PowerShell on Windows and a POSIX
//! shell elsewhere. POSIX quoting is `shlex`'s; PowerShell's is a verbatim
//! string (single quotes, each quote inside doubled).

use std::borrow::Cow;
use std::sync::OnceLock;

use crate::settings::env;

/// The shell a printed command line is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// sh, bash, zsh, dash, ksh (and what schedulers run lines with).
    Posix,
    /// Windows PowerShell and PowerShell 7 (`pwsh`).
    PowerShell,
}

impl Dialect {
    /// The dialect `SACCTL_SHELL` names, or this platform's when unset.
    pub fn from_env() -> Result<Self, String> {
        Dialect::from_value(std::env::var(env::SHELL).ok().as_deref())
    }

    /// The dialect a value of `SACCTL_SHELL` names (None: unset).
    fn from_value(value: Option<&str>) -> Result<Self, String> {
        match value {
            None => Ok(if cfg!(windows) { Dialect::PowerShell } else { Dialect::Posix }),
            Some(value) => match value.trim().to_ascii_lowercase().as_str() {
                "posix" | "sh" | "bash" | "zsh" => Ok(Dialect::Posix),
                "powershell" | "pwsh" => Ok(Dialect::PowerShell),
                _ => Err(format!(
                    "{} is {value:?}: use posix or powershell (the shell sacctl prints resume commands for)",
                    env::SHELL
                )),
            },
        }
    }

    /// The dialect of this process: set once by [`init`], else from the
    /// environment (a bad value falling back to the platform's).
    pub fn current() -> Self {
        *CURRENT.get_or_init(|| Dialect::from_env().unwrap_or(Dialect::Posix))
    }
}

static CURRENT: OnceLock<Dialect> = OnceLock::new();

/// Reads `SACCTL_SHELL` once at start-up; a value sacctl does not know is
/// a usage error.
pub fn init() -> Result<(), String> {
    let dialect = Dialect::from_env()?;
    let _ = CURRENT.set(dialect);
    Ok(())
}

/// What is plain enough to print as it is. `shlex` also quotes `=` and
/// `,`, which only a command's first word or a brace expansion would read
/// otherwise; sacctl's lines keep `--var name=value` readable. PowerShell
/// reads `,` as its array operator and a leading `@` as splatting, so
/// there words with them are quoted.
fn plain(dialect: Dialect, word: &str) -> bool {
    let extra = match dialect {
        Dialect::Posix => "-_./=:,@+",
        Dialect::PowerShell => "-_./=:+",
    };
    !word.is_empty() && word.chars().all(|c| c.is_ascii_alphanumeric() || extra.contains(c))
}

/// `word` quoted by `shlex`. A shell word cannot hold a NUL byte, so NULs
/// (only a broken server could send one) are left out.
fn quote(word: &str) -> String {
    let word = word.replace('\0', "");
    shlex::try_quote(&word).map(Cow::into_owned).unwrap_or_else(|_| unreachable!("no NUL is left"))
}

/// PowerShell's verbatim string: inside single quotes nothing is expanded,
/// and a quote is doubled. PowerShell takes the typographic single quotes
/// (U+2018 to U+201B) for quotes too, so they are doubled as well. NULs
/// are left out, as for POSIX.
fn powershell_quote(word: &str) -> String {
    let mut quoted = String::with_capacity(word.len() + 2);
    quoted.push('\'');
    for c in word.chars().filter(|&c| c != '\0') {
        if matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201a}' | '\u{201b}') {
            quoted.push(c);
        }
        quoted.push(c);
    }
    quoted.push('\'');
    quoted
}

/// One word for `dialect`: as it is when it is plain, else quoted.
pub fn word_in(dialect: Dialect, word: &str) -> Cow<'_, str> {
    if plain(dialect, word) {
        Cow::Borrowed(word)
    } else {
        match dialect {
            Dialect::Posix => Cow::Owned(quote(word)),
            Dialect::PowerShell => Cow::Owned(powershell_quote(word)),
        }
    }
}

/// One word for this process's shell ([`Dialect::current`]).
pub fn word(word: &str) -> Cow<'_, str> {
    word_in(Dialect::current(), word)
}

/// Words joined into one command line for `dialect`, each quoted where
/// needed. The first word is a program name and never quoted by callers
/// (PowerShell would take a quoted first word for a string, not a command).
pub fn command_in<'a>(dialect: Dialect, words: impl IntoIterator<Item = &'a str>) -> String {
    words.into_iter().map(|w| word_in(dialect, w)).collect::<Vec<_>>().join(" ")
}

/// Words joined into one command line for this process's shell.
pub fn command<'a>(words: impl IntoIterator<Item = &'a str>) -> String {
    command_in(Dialect::current(), words)
}

/// One word always in quotes, even when plain (the `export NAME='value'`
/// lines people read and copy): shlex's quoting, or single quotes around
/// what needs none.
pub fn quoted(value: &str) -> String {
    let quoted = quote(value);
    if quoted == value {
        format!("'{value}'")
    } else {
        quoted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `sh` makes of `line`'s words: each on its own line.
    #[cfg(unix)]
    fn sh_words(line: &str) -> Vec<String> {
        let output = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("for w in {line}; do printf '%s\\n' \"$w\"; done"))
            .current_dir(std::env::temp_dir())
            .output()
            .expect("sh runs");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).expect("UTF-8").lines().map(str::to_string).collect()
    }

    const HOSTILE: &[&str] = &[
        "7A8B;touch x",
        "$(touch x)",
        "`touch x`",
        "it's",
        "say \"hi\"",
        "two words",
        "a\\b",
        "*",
        "~root",
        "#not a comment",
        "a|b&c>d<e",
        "",
        "tab\there",
        "ümlaut",
    ];

    #[test]
    fn plain_words_stay_as_they_are() {
        for w in ["7A8BB7DDFEDC4B1DD454F14E9CD21B8F", "t.G:ZEPPART_001", "timeout=1s", "/tmp/a-b_c.toml", "a,b"] {
            assert_eq!(word_in(Dialect::Posix, w), w);
        }
        assert_eq!(
            command_in(Dialect::Posix, ["sacctl", "schedule", "wait", "F58C", "--model", "t.G:Z"]),
            "sacctl schedule wait F58C --model t.G:Z"
        );
    }

    #[test]
    fn anything_else_is_quoted() {
        let word = |w| word_in(Dialect::Posix, w);
        assert_eq!(word("7A8B;touch x"), "'7A8B;touch x'");
        assert_eq!(word("$(touch x)"), "'$(touch x)'");
        assert_eq!(word(""), "''");
        for w in HOSTILE {
            assert_ne!(word(w), *w, "{w:?} is quoted");
        }
        assert_eq!(word("a\0b"), "ab");
    }

    /// The shell itself reads each quoted word back as it was, one word.
    #[cfg(unix)]
    #[test]
    fn sh_reads_each_word_back_literally() {
        let line = command_in(Dialect::Posix, HOSTILE.iter().copied());
        assert_eq!(sh_words(&line), HOSTILE, "{line}");
    }

    /// What PowerShell's tokenizer makes of a line of arguments: bare words
    /// end at whitespace; a verbatim string runs from a single quote (any
    /// of the four PowerShell accepts) to the next one that is not doubled
    /// and holds its text literally. Anything else this test's lines must
    /// not contain (the assertion says so).
    fn powershell_words(line: &str) -> Vec<String> {
        let is_quote = |c: char| matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201a}' | '\u{201b}');
        let mut words = Vec::new();
        let mut chars = line.chars().peekable();
        while let Some(&c) = chars.peek() {
            if c == ' ' {
                chars.next();
                continue;
            }
            let mut word = String::new();
            if is_quote(c) {
                chars.next();
                loop {
                    let c = chars.next().expect("a closed verbatim string");
                    if is_quote(c) {
                        match chars.peek() {
                            Some(&next) if is_quote(next) => {
                                word.push(next);
                                chars.next();
                            }
                            _ => break,
                        }
                    } else {
                        word.push(c);
                    }
                }
                assert!(chars.peek().is_none_or(|&c| c == ' '), "a quoted word ends at a space: {line}");
            } else {
                while let Some(&c) = chars.peek().filter(|&&c| c != ' ') {
                    assert!(
                        c.is_ascii_alphanumeric() || "-_./=:+".contains(c),
                        "{c:?} would mean something to PowerShell in a bare word: {line}"
                    );
                    word.push(c);
                    chars.next();
                }
            }
            words.push(word);
        }
        words
    }

    #[test]
    fn powershell_gets_verbatim_strings() {
        let word = |w| word_in(Dialect::PowerShell, w);
        assert_eq!(word("7A8B;touch x"), "'7A8B;touch x'");
        assert_eq!(word("$(Remove-Item ~)"), "'$(Remove-Item ~)'");
        assert_eq!(word("it's"), "'it''s'");
        assert_eq!(word("it\u{2019}s"), "'it\u{2019}\u{2019}s'", "a typographic quote ends a string in PowerShell too");
        assert_eq!(word("a,b"), "'a,b'", "the array operator");
        assert_eq!(word("@args"), "'@args'", "splatting");
        assert_eq!(word("`whoami`"), "'`whoami`'");
        assert_eq!(word(""), "''");
        assert_eq!(word("t.G:ZEPPART_001"), "t.G:ZEPPART_001");
        let hostile: Vec<&str> =
            HOSTILE.iter().copied().chain(["a,b", "@x", "‘quoted’", "x‚y‛z", "$env:SACCTL_CLIENT_SECRET"]).collect();
        for w in &hostile {
            assert_ne!(word(w), *w, "{w:?} is quoted");
        }
        let line = command_in(Dialect::PowerShell, hostile.iter().copied());
        assert_eq!(powershell_words(&line), hostile, "{line}");
    }

    #[test]
    fn the_dialect_comes_from_sacctl_shell() {
        assert_eq!(Dialect::from_value(Some("PowerShell")), Ok(Dialect::PowerShell));
        assert_eq!(Dialect::from_value(Some("pwsh")), Ok(Dialect::PowerShell));
        assert_eq!(Dialect::from_value(Some("posix")), Ok(Dialect::Posix));
        let platform = if cfg!(windows) { Dialect::PowerShell } else { Dialect::Posix };
        assert_eq!(Dialect::from_value(None), Ok(platform));
        let refused = Dialect::from_value(Some("cmd")).unwrap_err();
        assert!(refused.contains("SACCTL_SHELL") && refused.contains("posix or powershell"), "{refused}");
    }

    #[test]
    fn quoted_always_has_quotes() {
        assert_eq!(quoted("http://127.0.0.1:8030"), "'http://127.0.0.1:8030'");
        assert_eq!(quoted("G"), "'G'");
        assert_eq!(quoted("a b"), "'a b'");
        assert_eq!(quoted(""), "''");
    }
}
