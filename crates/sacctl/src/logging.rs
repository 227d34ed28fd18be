//! Logs on stderr: `-v` shows each request, `-vv` debug, `RUST_LOG`
//! overrides. Colours only on a terminal and never with `NO_COLOR`.
//! No secret at any level: the cookie jar's own logs (which print whole
//! `Set-Cookie` values) are off whatever `RUST_LOG` says.

use std::io::IsTerminal;

/// Whether stderr may carry ANSI colours (<https://no-color.org>).
pub fn colours() -> bool {
    colours_for(std::env::var_os("NO_COLOR").as_deref(), std::io::stderr().is_terminal())
}

fn colours_for(no_color: Option<&std::ffi::OsStr>, terminal: bool) -> bool {
    no_color.is_none_or(|v| v.is_empty()) && terminal
}

/// Log targets that print secrets (cookie values) and are never shown.
const SILENCED: &[&str] = &["cookie_store=off"];

pub fn init(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info,hyper=warn,reqwest=warn",
        _ => "debug,hyper=info",
    };
    let mut filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    for directive in SILENCED {
        filter = filter.add_directive(directive.parse().expect("a valid directive"));
    }
    let _ =
        tracing_subscriber::fmt().with_env_filter(filter).with_ansi(colours()).with_writer(std::io::stderr).try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_only_on_a_terminal_without_no_color() {
        assert!(colours_for(None, true));
        assert!(!colours_for(None, false));
        assert!(!colours_for(Some(std::ffi::OsStr::new("1")), true));
        assert!(colours_for(Some(std::ffi::OsStr::new("")), true), "an empty NO_COLOR does not count");
    }
}
