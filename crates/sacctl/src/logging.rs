//! Logs on stderr: `-v` shows each request, `-vv` debug, `RUST_LOG`
//! overrides. Colours only on a terminal and never with `NO_COLOR`.

use std::io::IsTerminal;

/// Whether stderr may carry ANSI colours (<https://no-color.org>).
pub fn colours() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
}

pub fn init(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info,hyper=warn,reqwest=warn",
        _ => "debug,hyper=info",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ =
        tracing_subscriber::fmt().with_env_filter(filter).with_ansi(colours()).with_writer(std::io::stderr).try_init();
}
