//! What one hostile peer can do to others: connections that trickle their
//! headers take at most the peer's share of a port, and the admin API's
//! row counts say what the filter selected.

use std::time::Duration;

use reqwest::Method;
use sac_emulator::{ClockMode, Config, ConnectionLimits};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::*;

#[tokio::test]
async fn a_peer_trickling_headers_on_many_connections_does_not_block_another() {
    // A header timeout far beyond the test: only the per-peer cap can let the other peer in.
    let connections =
        ConnectionLimits { header_read_timeout: Duration::from_secs(600), max_connections: 16, max_per_peer: 4 };
    let emu = start_with(Config { clock: ClockMode::Immediate, connections, ..Config::default() }).await;
    let address = emu.emu.urls.tenant_url.trim_start_matches("http://").to_string();
    // The hostile peer (127.0.0.1) opens as many connections as the port holds, each with half a request.
    let mut trickling = Vec::new();
    for _ in 0..16 {
        let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
        stream.write_all(b"GET /emulator/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: a").await.unwrap();
        trickling.push(stream);
    }
    // Those beyond its share are closed at once, without an answer.
    let mut closed = 0;
    for stream in &mut trickling {
        let mut buffer = [0u8; 64];
        match tokio::time::timeout(Duration::from_millis(300), stream.read(&mut buffer)).await {
            Ok(Ok(0)) | Ok(Err(_)) => closed += 1,
            Ok(Ok(n)) => panic!("an answer to half a request: {:?}", String::from_utf8_lossy(&buffer[..n])),
            Err(_) => {}
        }
    }
    assert_eq!(closed, 12, "all but the peer's 4 are closed");
    // Another peer (127.0.0.2, also loopback) is served at once.
    let other =
        reqwest::Client::builder().local_address("127.0.0.2".parse::<std::net::IpAddr>().unwrap()).build().unwrap();
    let health = tokio::time::timeout(Duration::from_secs(30), other.get(emu.tenant("/emulator/health")).send())
        .await
        .expect("another peer is not blocked")
        .unwrap();
    assert_eq!(health.status(), 200);
}

#[tokio::test]
async fn admin_rows_count_what_their_filter_selects() {
    let emu = start().await;
    let all = emu.rows("t.G:SALES_PLAN").await;
    // One date of the demo tenant's facts: a filter that selects some of them.
    let date = all["rows"][0]["Date"].as_str().expect("facts have a Date").to_string();
    let filtered = format!("/emulator/models/t.G:SALES_PLAN/rows?limit=100000&Date={date}");
    let (status, some) = emu.admin(Method::GET, &filtered, None).await;
    assert_eq!(status, 200, "{some}");
    let selected = some["rows"].as_array().unwrap().len() as u64;
    assert!(selected > 0, "{some}");
    assert_eq!(some["total"], selected, "total counts the filtered rows");
    assert!(all["total"].as_u64().unwrap() > selected, "and not the whole table: {}", all["total"]);
    let page = format!("/emulator/models/t.G:SALES_PLAN/rows?limit=1&Date={date}");
    let (status, page) = emu.admin(Method::GET, &page, None).await;
    assert_eq!(status, 200);
    assert_eq!((page["rows"].as_array().unwrap().len(), page["total"].as_u64()), (1, Some(selected)), "a page of it");
    let (_, none) = emu.admin(Method::GET, "/emulator/models/t.G:SALES_PLAN/rows?NoSuchColumn=x", None).await;
    assert_eq!((none["total"].as_u64(), none["rows"].as_array().map(Vec::len)), (Some(0), Some(0)));
}
