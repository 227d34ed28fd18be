//! The web console in a real browser: headless Chromium (Debian's
//! `chromium`), driven through `chromedriver` (`chromium-driver`) over
//! WebDriver. Sign in, press "Run now" on the ZEPPART data import, watch the
//! run go from running to done with 89 rows while the page follows it by
//! itself, and open its rejected rows.
//!
//! `SACCTL_SCREENSHOTS=1` writes the screenshots in `docs/images/`; other
//! runs leave them alone. The test is ignored by a plain `cargo test` (it
//! needs Chromium and chromedriver); `.ci/run` installs both and runs it
//! with `--ignored`, where a missing binary is a failure, never a pass.
//! `SACCTL_CHROMIUM` and `SACCTL_CHROMEDRIVER` override where the two
//! binaries are.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use sac_emulator::{ClockMode, Config};
use sac_testkit::demo::SCHEDULE_ID as SCHEDULE;
use serde_json::{json, Value};
use tokio::process::{Child, Command};

/// How long the browser may take to show what the test waits for. A bound
/// against hanging, not a measurement: the test asserts no durations.
const PATIENCE: Duration = Duration::from_secs(60);

/// The binary `variable` names, else `default`; the test fails without it.
fn binary(variable: &str, default: &str) -> PathBuf {
    let path = std::env::var_os(variable).map(PathBuf::from).unwrap_or_else(|| PathBuf::from(default));
    assert!(
        path.is_file(),
        "the browser test needs {} (apt-get install chromium chromium-driver, or set {variable})",
        path.display()
    );
    path
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// chromedriver on a free loopback port, killed when dropped.
async fn start_driver(driver: &Path) -> (Child, String) {
    let port = free_port();
    let child = Command::new(driver)
        .arg(format!("--port={port}"))
        .arg("--allowed-ips=127.0.0.1")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("chromedriver starts");
    let url = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let ready = async {
        loop {
            if let Ok(r) = http.get(format!("{url}/status")).send().await {
                if r.status().is_success() {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    tokio::time::timeout(PATIENCE, ready).await.expect("chromedriver answers /status");
    (child, url)
}

/// A WebDriver session with a headless Chromium of its own (fresh profile,
/// no background traffic: the machine's network is closed).
async fn open_browser(driver_url: &str, chromium: &Path, profile: &Path) -> Client {
    let args = vec![
        "--headless".to_string(),
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        "--disable-quic".into(),
        "--no-first-run".into(),
        "--disable-background-networking".into(),
        "--disable-component-update".into(),
        "--disable-sync".into(),
        "--disable-dev-shm-usage".into(),
        "--no-proxy-server".into(),
        "--window-size=1280,860".into(),
        format!("--user-data-dir={}", profile.display()),
    ];
    let capabilities = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {"binary": chromium, "args": args},
    });
    let Value::Object(capabilities) = capabilities else { unreachable!() };
    ClientBuilder::new(HttpConnector::new())
        .capabilities(capabilities)
        .connect(driver_url)
        .await
        .expect("chromedriver opens a Chromium session")
}

/// Where screenshots go, when they are asked for.
fn screenshots() -> Option<PathBuf> {
    (std::env::var("SACCTL_SCREENSHOTS").as_deref() == Ok("1"))
        .then(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/images"))
}

async fn shoot(browser: &Client, name: &str) {
    if let Some(dir) = screenshots() {
        std::fs::create_dir_all(&dir).unwrap();
        let png = browser.screenshot().await.expect("a screenshot");
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }
}

async fn text(browser: &Client, css: &str) -> String {
    browser.wait().at_most(PATIENCE).for_element(Locator::Css(css)).await.unwrap().text().await.unwrap()
}

/// The scenario; the caller closes the browser whatever happens here.
async fn scenario(browser: &Client, emu: &sac_emulator::RunningEmulator, http: &reqwest::Client) {
    let base = &emu.urls.tenant_url;
    // Signing in, as in SAC: the console sends a browser without a session to the login form.
    browser.goto(&format!("{base}/emulator/ui/schedules")).await.unwrap();
    browser
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::Id("username"))
        .await
        .unwrap()
        .send_keys("JDOE")
        .await
        .unwrap();
    browser.find(Locator::Id("password")).await.unwrap().send_keys("Welcome1!").await.unwrap();
    browser.find(Locator::Css("button[type=submit]")).await.unwrap().click().await.unwrap();
    let user = text(browser, "header.top .user").await;
    assert!(user.contains("John Doe"), "signed in: {user}");
    assert_eq!(browser.current_url().await.unwrap().path(), "/emulator/ui/schedules");

    // Run now.
    let run_now = format!("#schedule-{SCHEDULE} form button[type=submit]");
    browser.find(Locator::Css(&run_now)).await.unwrap().click().await.unwrap();
    let status = text(browser, "main[data-live] dd.status .badge").await;
    assert_eq!(status, "Running");
    let run_path = browser.current_url().await.unwrap().path().to_string();
    assert!(run_path.starts_with("/emulator/ui/runs/"), "{run_path}");
    shoot(browser, "console-run-running").await;

    // The run is pinned by the manual clock; released from outside, the
    // page (not reloaded by the test) follows it to its end.
    let released = http.post(format!("{base}/emulator/clock/release")).json(&json!({})).send().await.unwrap();
    assert_eq!(released.status(), 200);
    let done = text(browser, r#"dd.status .badge[data-status="Succeeded with rejects"]"#).await;
    assert_eq!(done, "Succeeded with rejects");
    assert_eq!(browser.current_url().await.unwrap().path(), run_path, "the page followed the run by itself");
    assert_eq!(text(browser, r#"dd[data-count="read"]"#).await, "89");
    assert_eq!(text(browser, r#"dd[data-count="rejected"]"#).await, "1");
    assert_eq!(text(browser, r#"dd[data-count="inserted"]"#).await, "88");
    shoot(browser, "console-run-done").await;

    // Its rejected rows, with the reason.
    browser.find(Locator::Id("rejected-link")).await.unwrap().click().await.unwrap();
    let row = text(browser, "#rejections tbody tr").await;
    assert!(row.contains("XX") && row.contains("COUNTRY"), "{row}");
    shoot(browser, "console-rejected-rows").await;

    // The Data Management list shows the new run on top, by JDOE.
    browser.goto(&format!("{base}/emulator/ui/schedules")).await.unwrap();
    let newest = text(browser, &format!("#schedule-{SCHEDULE} tbody tr")).await;
    assert!(newest.contains("JDOE") && newest.contains("Succeeded with rejects") && newest.contains("89"), "{newest}");
    shoot(browser, "console-data-management").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium and chromedriver; .ci/run runs it"]
async fn sign_in_run_now_and_follow_the_run_in_chromium() {
    let chromium = binary("SACCTL_CHROMIUM", "/usr/bin/chromium");
    let driver = binary("SACCTL_CHROMEDRIVER", "/usr/bin/chromedriver");
    let emu = sac_emulator::spawn(Config { clock: ClockMode::Manual, ..Config::default() }).await.unwrap();
    let http = reqwest::Client::new();
    // 89 source rows, one of them with a country that does not exist.
    let mut rows: Vec<Value> = (1..=88).map(|n| json!({"ZEPPART": format!("P{n:04}"), "COUNTRY": "DE"})).collect();
    rows.push(json!({"ZEPPART": "P0089", "COUNTRY": "XX"}));
    let url = format!("{}/emulator/sources/ZW2_IMPORT/ZEPPART/rows", emu.urls.tenant_url);
    let replaced = http.post(url).json(&json!({"rows": rows, "replace": true})).send().await.unwrap();
    assert_eq!(replaced.status(), 200);

    let profile = tempfile::tempdir().unwrap();
    let (mut chromedriver, driver_url) = start_driver(&driver).await;
    let browser = open_browser(&driver_url, &chromium, profile.path()).await;
    let outcome = tokio::spawn({
        let browser = browser.clone();
        let http = http.clone();
        async move { scenario(&browser, &emu, &http).await }
    })
    .await;
    let _ = browser.close().await;
    let _ = chromedriver.kill().await;
    if let Err(failure) = outcome {
        std::panic::resume_unwind(failure.into_panic());
    }
}
