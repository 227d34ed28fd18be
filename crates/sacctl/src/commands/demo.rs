//! `sacctl demo`: the seed's story against an embedded emulator.
//!
//! Starts the emulator on free loopback ports and walks the path the seed's
//! readers walked by hand, over real HTTP: a token with a user (JDOE), a
//! CSRF token with its session cookie, the schedule logs of ZEPPART_001, the
//! trigger, polling until the run is done, and a look at the stored members.

use std::collections::HashSet;
use std::io::Write;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use sac_types::legacy::{
    Envelope, RefreshLog, RunScheduledJobData, RunStatus, Schedule, EPM_SESSION_PATH, SERVICE_PATH,
};
use sac_types::oauth::TokenResponse;
use serde_json::json;

use crate::exit::ExitStatus;
use crate::Failure;

const MODEL: &str = "t.G:ZEPPART_001";
const SCHEDULE: &str = "F58CA15F78AA9039E200586F05E2BB93";
const MAPPING: &str = "F48CA15F78AA9039E200586F05E2BB93";

#[allow(clippy::print_stderr)]
fn step(text: &str) {
    eprintln!("==> {text}");
}

pub async fn demo() -> Result<ExitStatus, Failure> {
    let emulator = sac_emulator::spawn(sac_emulator::Config::default())
        .await
        .map_err(|e| Failure::new(ExitStatus::Unreachable, e))?;
    let result = walk(&emulator.urls).await;
    emulator.stop().await;
    let run = result.map_err(|e| Failure::new(ExitStatus::JobFailed, e))?;
    let status = match run.status {
        RunStatus::Succeeded => ExitStatus::Success,
        RunStatus::SucceededWithRejects => ExitStatus::Warnings,
        _ => ExitStatus::JobFailed,
    };
    Ok(status)
}

async fn walk(urls: &sac_emulator::Urls) -> anyhow::Result<RefreshLog> {
    let http = reqwest::Client::builder().cookie_store(true).build()?;
    step(&format!("Emulated tenant G at {} (API domain {})", urls.tenant_url, urls.api_url));

    step("Token for user JDOE (client sacctl-user, password grant)");
    let token: TokenResponse = http
        .post(&urls.token_url)
        .basic_auth("sacctl-user", Some("sacctl-user-secret"))
        .form(&[("grant_type", "password"), ("username", "JDOE"), ("password", "Welcome1!")])
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;

    step("CSRF token and session cookie (x-csrf-token: fetch)");
    let response = http
        .get(format!("{}{EPM_SESSION_PATH}?action=logon", urls.tenant_url))
        .bearer_auth(&token.access_token)
        .header("x-csrf-token", "fetch")
        .send()
        .await?
        .error_for_status()?;
    let csrf = response
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .context("the tenant sent no x-csrf-token")?
        .to_string();

    let service = format!("{}{SERVICE_PATH}", urls.tenant_url);
    let logs = |http: &reqwest::Client| {
        http.post(format!("{service}?action=getScheduleLogsByModel&tenant=G"))
            .bearer_auth(&token.access_token)
            .header("x-csrf-token", &csrf)
            .json(&json!({"jobType": "bpcDataImport", "modelName": MODEL, "mappingId": []}))
            .send()
    };
    step(&format!("Schedule logs of {MODEL}"));
    let before: Envelope<Vec<Schedule>> = logs(&http).await?.error_for_status()?.json().await?;
    let schedule = before.data.iter().find(|s| s.schedule_id == SCHEDULE).context("the demo schedule is missing")?;
    for log in &schedule.refresh_logs {
        step(&format!(
            "    earlier run {} by {} at {}: status {}, {} rows inserted",
            log.execution_id,
            log.user,
            log.start_time,
            log.status.code(),
            log.wrangling_and_update_result.data.inserted_count
        ));
    }
    let known: HashSet<String> = schedule.refresh_logs.iter().map(|l| l.execution_id.clone()).collect();

    step(&format!("Trigger data import {SCHEDULE} (runScheduledJob)"));
    let started: Envelope<RunScheduledJobData> = http
        .post(format!("{service}?action=runScheduledJob&tenant=G"))
        .bearer_auth(&token.access_token)
        .header("x-csrf-token", &csrf)
        .json(&json!({"name": SCHEDULE, "mappingId": MAPPING}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    step(&format!("    SAC answered status {} for schedule {}", started.status, started.data.schedule_id));

    let began = Instant::now();
    let run = loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let now: Envelope<Vec<Schedule>> = logs(&http).await?.error_for_status()?.json().await?;
        let newest = now
            .data
            .iter()
            .filter(|s| s.schedule_id == SCHEDULE)
            .flat_map(|s| s.refresh_logs.iter())
            .find(|l| !known.contains(&l.execution_id));
        match newest {
            Some(log) if log.status.is_terminal() => break log.clone(),
            Some(log) => {
                step(&format!("    run {} running ({:.1} s)", log.execution_id, began.elapsed().as_secs_f64()))
            }
            None => step("    run not in the logs yet"),
        }
        if began.elapsed() > Duration::from_secs(60) {
            bail!("the run did not finish within 60 s");
        }
    };
    let counts = &run.wrangling_and_update_result.data;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{} rows imported into {MODEL} (run {}, status {}, {} read, {} rejected, {} to {})",
        counts.inserted_count,
        run.execution_id,
        run.status.code(),
        counts.all_count,
        counts.rejected_count,
        run.start_time,
        run.end_time.as_deref().unwrap_or("?")
    )?;
    let stored: serde_json::Value = http
        .get(format!("{}/emulator/models/{MODEL}/rows?limit=3", urls.tenant_url))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    step(&format!("The dimension now holds {} members, e.g. {}", stored["total"], stored["rows"]));
    Ok(run)
}
