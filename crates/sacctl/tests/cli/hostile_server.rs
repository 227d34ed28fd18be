//! A hostile server: answers of 1 GiB, endless streams and gzip bombs on
//! each kind of read (token, CSRF fetch, schedule logs, export page). sacctl
//! must stop at its limit for that read, exit 8 (an unusable answer) with a
//! message naming the read, and stay under 64 MiB of memory throughout.

use std::convert::Infallible;
use std::process::Stdio;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, Uri};
use axum::response::Response;
use futures_util::{stream, StreamExt};

use crate::common::sacctl_in;

const GIB: u64 = 1 << 30;
const MEMORY_CEILING_KIB: u64 = 64 << 10;

/// Which read gets the hostile answer; the reads before it get sane ones.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Read {
    Token,
    Csrf,
    Logs,
    Export,
}

/// What the hostile answer is.
#[derive(Clone, Copy, Debug)]
enum Kind {
    /// 1 GiB of zeros, its length announced, made on the fly.
    Huge,
    /// Chunks of zeros until the client hangs up (chunked encoding).
    Endless,
    /// A few MiB of gzip that decode to 1 GiB of zeros.
    GzipBomb,
}

/// A gzip member whose deflate stream decodes to `len` bytes `'0'`: one
/// fixed-Huffman block of a literal and then matches of 258 bytes at
/// distance 1 (13 bits each, about 160 times smaller). Made by hand so the
/// test needs no compressor and takes no time; the trailer's CRC is not
/// computed (sacctl must stop long before it).
fn gzip_bomb(len: u64) -> Vec<u8> {
    struct Bits {
        out: Vec<u8>,
        acc: u64,
        n: u32,
    }
    impl Bits {
        /// `n` bits of `value`, least significant first (header fields).
        fn lsb(&mut self, value: u64, n: u32) {
            self.acc |= value << self.n;
            self.n += n;
            while self.n >= 8 {
                self.out.push(self.acc as u8);
                self.acc >>= 8;
                self.n -= 8;
            }
        }
        /// A Huffman code of `n` bits, most significant first (RFC 1951 3.1.1).
        fn code(&mut self, code: u64, n: u32) {
            let reversed = (0..n).fold(0, |r, i| r | ((code >> i) & 1) << (n - 1 - i));
            self.lsb(reversed, n);
        }
    }
    let mut bits = Bits { out: vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff], acc: 0, n: 0 };
    bits.lsb(1, 1); // the last block
    bits.lsb(1, 2); // fixed Huffman codes
    bits.code(0x30 + u64::from(b'0'), 8); // the literal '0' (0-143: 0x30 + value, 8 bits)
    for _ in 0..(len - 1) / 258 {
        bits.code(0xc0 + (285 - 280), 8); // length 258 (symbol 285)
        bits.code(0, 5); // distance 1
    }
    for _ in 0..(len - 1) % 258 {
        bits.code(0x30 + u64::from(b'0'), 8);
    }
    bits.code(0, 7); // end of block (symbol 256)
    bits.lsb(0, 7); // to a byte boundary
    bits.out.extend_from_slice(&0u32.to_le_bytes()); // CRC-32, not computed
    bits.out.extend_from_slice(&(len as u32).to_le_bytes()); // length mod 2^32
    bits.out
}

fn hostile(kind: Kind, bomb: &Bytes) -> Response {
    let zeros = Bytes::from(vec![b'0'; 1 << 20]);
    let chunks = move |n: Option<u64>| {
        let repeated = stream::repeat(zeros).map(Ok::<_, Infallible>);
        match n {
            Some(n) => Body::from_stream(repeated.take(n as usize)),
            None => Body::from_stream(repeated),
        }
    };
    let builder = Response::builder().header(header::CONTENT_TYPE, "application/json");
    match kind {
        Kind::Huge => builder.header(header::CONTENT_LENGTH, GIB).body(chunks(Some(GIB >> 20))),
        Kind::Endless => builder.body(chunks(None)),
        Kind::GzipBomb => builder.header(header::CONTENT_ENCODING, "gzip").body(Body::from(bomb.clone())),
    }
    .unwrap()
}

/// Serves sane answers to every read before `read` and the hostile one to it.
async fn serve(read: Read, kind: Kind, bomb: Bytes) -> String {
    let app = axum::Router::new().fallback(move |uri: Uri, headers: HeaderMap| {
        let bomb = bomb.clone();
        async move {
            let ok = || Response::builder().header(header::CONTENT_TYPE, "application/json");
            if uri.path() == "/oauth/token" {
                if read == Read::Token {
                    return hostile(kind, &bomb);
                }
                let token = r#"{"access_token":"hostile-test","token_type":"bearer","expires_in":3600}"#;
                return ok().body(Body::from(token)).unwrap();
            }
            let fetch = headers.get("x-csrf-token").is_some_and(|v| v == "fetch");
            if fetch && read != Read::Csrf {
                return ok().header("x-csrf-token", "csrf-test").body(Body::from("{}")).unwrap();
            }
            hostile(kind, &bomb)
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

/// Runs sacctl to its end, polling its peak resident memory (VmHWM, which
/// only grows) every 5 ms; returns exit code, stderr and the peak in KiB.
/// A run refused on its announced length may end before a sample sees its
/// peak; every run that reads (and before the limits, all did) is seen.
async fn run_measured(url: &str, args: &[&str]) -> (i32, String, u64) {
    let home = tempfile::tempdir().unwrap();
    let mut cmd = sacctl_in(home.path());
    cmd.args(args)
        .env("SACCTL_TENANT_URL", url)
        .env("SACCTL_API_URL", url)
        .env("SACCTL_TOKEN_URL", format!("{url}/oauth/token"))
        .env("SACCTL_CLIENT_ID", "hostile")
        .env("SACCTL_CLIENT_SECRET", "hostile")
        .env("SACCTL_GRANT", "client_credentials")
        .env("SACCTL_RETRY_ATTEMPTS", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let status_file = format!("/proc/{}/status", child.id());
    let began = Instant::now();
    let mut peak = 0;
    let status = loop {
        if let Ok(text) = std::fs::read_to_string(&status_file) {
            let hwm = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok());
            peak = peak.max(hwm.unwrap_or(0));
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if began.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("sacctl {args:?} did not end within 60 s");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    (status.code().unwrap_or(-1), stderr, peak)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_answers_end_at_their_limit_with_exit_8_and_little_memory() {
    let bomb = Bytes::from(gzip_bomb(GIB));
    assert!(bomb.len() < 8 << 20, "the bomb is {} bytes", bomb.len());
    let logs = ["schedule", "logs", "--model", "t.G:HOSTILE"];
    let cases: [(Read, &[&str], &str); 4] = [
        (Read::Token, &logs, "the token answer"),
        (Read::Csrf, &logs, "larger than 4 MiB"),
        (Read::Logs, &logs, "larger than 32 MiB"),
        (Read::Export, &["export", "--model", "HOSTILE"], "larger than 32 MiB"),
    ];
    let (mut failures, mut measured) = (Vec::new(), Vec::new());
    for (read, args, expected) in cases {
        for kind in [Kind::Huge, Kind::Endless, Kind::GzipBomb] {
            let url = serve(read, kind, bomb.clone()).await;
            let began = Instant::now();
            let (exit, stderr, peak_kib) = run_measured(&url, args).await;
            measured.push(format!(
                "{read:?} {kind:?}: exit {exit}, peak {} MiB, {:.1} s",
                peak_kib >> 10,
                began.elapsed().as_secs_f64()
            ));
            let said =
                stderr.contains(expected) && stderr.contains("sacctl stopped reading it") && stderr.contains("not SAC");
            if exit != 8 || !said || peak_kib >= MEMORY_CEILING_KIB || peak_kib == 0 {
                failures.push(format!("{read:?} {kind:?}: exit {exit}, peak {peak_kib} KiB, stderr: {stderr}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}\nall runs:\n{}", failures.join("\n"), measured.join("\n"));
}
