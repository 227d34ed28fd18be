//! Words for a POSIX shell: the commands sacctl prints for people and
//! schedulers to run (resume lines) and the `export` lines `eval`ed from
//! `sacctl emulator env`. Ids in them come from the server, so each is
//! quoted as the shell must read it back literally (`7A8B;touch x` stays
//! one word). The quoting itself is `shlex`'s.

use std::borrow::Cow;

/// What is plain enough to print as it is. `shlex` also quotes `=` and
/// `,`, which only a command's first word or a brace expansion would read
/// otherwise; sacctl's lines keep `--var name=value` readable.
fn plain(word: &str) -> bool {
    !word.is_empty() && word.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:,@+".contains(c))
}

/// `word` quoted by `shlex`. A shell word cannot hold a NUL byte, so NULs
/// (only a broken server could send one) are left out.
fn quote(word: &str) -> String {
    let word = word.replace('\0', "");
    shlex::try_quote(&word).map(Cow::into_owned).unwrap_or_else(|_| unreachable!("no NUL is left"))
}

/// One word: as it is when it is plain, else quoted.
pub fn word(word: &str) -> Cow<'_, str> {
    if plain(word) {
        Cow::Borrowed(word)
    } else {
        Cow::Owned(quote(word))
    }
}

/// Words joined into one command line, each quoted where needed.
pub fn command<'a>(words: impl IntoIterator<Item = &'a str>) -> String {
    words.into_iter().map(word).collect::<Vec<_>>().join(" ")
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
            assert_eq!(word(w), w);
        }
        assert_eq!(
            command(["sacctl", "schedule", "wait", "F58C", "--model", "t.G:Z"]),
            "sacctl schedule wait F58C --model t.G:Z"
        );
    }

    #[test]
    fn anything_else_is_quoted() {
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
        let line = command(HOSTILE.iter().copied());
        assert_eq!(sh_words(&line), HOSTILE, "{line}");
    }

    #[test]
    fn quoted_always_has_quotes() {
        assert_eq!(quoted("http://127.0.0.1:8030"), "'http://127.0.0.1:8030'");
        assert_eq!(quoted("G"), "'G'");
        assert_eq!(quoted("a b"), "'a b'");
        assert_eq!(quoted(""), "''");
    }
}
