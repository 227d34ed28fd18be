//! The emulator as a background service: `start --detach` spawns a
//! foreground emulator of its own (its own process group, output to
//! `<data dir>/emulator.log`), waits until it is healthy and prints the
//! settings for the calling shell; `env` prints them again, `status` asks
//! it, `stop` sends it SIGTERM and waits until it has let go of its data
//! directory. They find it by the state file in the data directory.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context};
use serde_json::json;

use super::shell;
use super::state::{self, Found, ServiceState};
use crate::cli::{EnvArgs, LocateArgs, StartArgs, StopArgs};
use crate::exit::ExitStatus;
use crate::failure::Failure;
use crate::output::Printer;
use crate::report::finish;
use crate::site::doc_url;

/// How often the state file and the lock are looked at while waiting.
const POLL: Duration = Duration::from_millis(50);

pub async fn start(printer: Printer, args: StartArgs) -> Result<ExitStatus, Failure> {
    let mut run = args.run.clone();
    if run.print_tenant || run.print_env {
        return Err(Failure::usage(
            "--print-tenant and --print-env are for the foreground emulator; --detach prints the settings itself",
        ));
    }
    let dir = absolute(run.data_dir.clone().map(Ok).unwrap_or_else(default_dir)?)?;
    create_private_dir(&dir)?;
    // Before anything is written in it (the log first): the emulator
    // would refuse the directory anyway, but only in its log.
    sac_emulator::store::check_data_dir(&dir).map_err(usage)?;
    match state::find(&dir).map_err(usage)? {
        Found::Running(found) => {
            let mut failure = Failure::new(
                ExitStatus::AlreadyRunning,
                anyhow!(
                    "an emulator already runs with the data directory {} (pid {}, {})",
                    dir.display(),
                    found.pid,
                    found.tenant_url
                ),
            );
            failure.hints.push("`sacctl emulator env` prints its settings; `sacctl emulator stop` stops it".into());
            return Err(failure);
        }
        Found::Starting => {
            return Err(Failure::new(
                ExitStatus::AlreadyRunning,
                anyhow!("another emulator holds the data directory {} (its emulator.lock)", dir.display()),
            ))
        }
        Found::NotRunning { stale: Some(pid) } => printer
            .note(&format!("(the emulator of pid {pid} had stopped without cleaning up; its state file was removed)")),
        Found::NotRunning { stale: None } => {}
    }
    // Free ports unless given; paths absolute, for a process that runs elsewhere.
    run.port = Some(run.port.unwrap_or(0));
    run.api_port = Some(run.api_port.unwrap_or(0));
    run.data_dir = Some(dir.clone());
    run.tenant = run.tenant.as_deref().map(|t| absolute(t.to_path_buf())).transpose()?;
    if let Some(tenant) = &run.tenant {
        // Said here, not in a log: the tenant file is the likeliest mistake.
        super::foreground::read_tenant(tenant)?;
    }
    let log_path = dir.join("emulator.log");
    let log = private_file(&log_path)
        .map_err(|e| usage(anyhow!(e).context(format!("cannot open {}", log_path.display()))))?;
    let log_start = log.metadata().map(|m| m.len()).unwrap_or(0);
    let exe = std::env::current_exe().context("cannot find the sacctl executable").map_err(usage)?;
    let mut command = Command::new(exe);
    command
        .args(run.to_args())
        .env_remove("SACCTL_EMULATOR_ADMIN_TOKEN")
        .stdin(Stdio::null())
        .stdout(log.try_clone().map_err(|e| usage(anyhow!(e)))?)
        .stderr(log)
        .current_dir(&dir);
    if let Some(token) = &run.admin_token {
        // By the environment: a flag's value shows in the process list.
        command.env("SACCTL_EMULATOR_ADMIN_TOKEN", token.expose());
    }
    #[cfg(unix)]
    {
        // Its own process group: a Ctrl-C in the calling shell does not stop it.
        use std::os::unix::process::CommandExt;
        command.process_group(0);
    }
    let mut child = command.spawn().context("cannot start the emulator process").map_err(usage)?;
    let deadline = Instant::now() + args.ready_timeout;
    let found = match wait_for_state(&mut child, &dir, &log_path, log_start, deadline).await {
        Ok(found) => found,
        Err(mut failure) => {
            let _ = child.kill();
            let _ = child.wait();
            failure.hints.push(format!("its output is in {}", log_path.display()));
            return Err(failure);
        }
    };
    if let Err(failure) = wait_healthy(&found, deadline).await {
        let _ = child.kill();
        let _ = child.wait();
        state::remove(&dir);
        return Err(failure);
    }
    print_settings(printer, &found, args.shell);
    printer.note(&format!(
        "SAC emulator, tenant {}, runs in the background (pid {}): {} (API {}); web console {}/emulator/ui; log {}. \
         Demo clients and users: {}. `sacctl emulator stop` stops it.",
        found.tenant,
        found.pid,
        found.tenant_url,
        found.api_url,
        found.tenant_url,
        log_path.display(),
        doc_url!("emulator")
    ));
    Ok(ExitStatus::Success)
}

/// Waits until the child has written its state file, or ended.
async fn wait_for_state(
    child: &mut Child,
    dir: &Path,
    log: &Path,
    log_start: u64,
    deadline: Instant,
) -> Result<ServiceState, Failure> {
    loop {
        if let Some(status) = child.try_wait().map_err(|e| usage(anyhow!(e)))? {
            // What it said this time, not what earlier runs logged.
            let text = std::fs::read(log).unwrap_or_default();
            let text = String::from_utf8_lossy(text.get(log_start as usize..).unwrap_or_default());
            let said: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
            return Err(Failure::new(
                if status.code() == Some(2) { ExitStatus::Usage } else { ExitStatus::Unreachable },
                anyhow!("the emulator stopped before it was ready ({status}): {}", said.join(" / ")),
            ));
        }
        if let Found::Running(found) = state::find(dir).map_err(usage)? {
            if found.pid == child.id() {
                return Ok(found);
            }
        }
        if Instant::now() >= deadline {
            return Err(Failure::new(
                ExitStatus::Timeout,
                anyhow!("the emulator did not start listening in time (--ready-timeout); it was stopped"),
            ));
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Asks `/emulator/health` until it answers 200.
async fn wait_healthy(found: &ServiceState, deadline: Instant) -> Result<(), Failure> {
    loop {
        match health(found).await {
            Ok(()) => return Ok(()),
            Err(e) if Instant::now() >= deadline => {
                return Err(Failure::new(ExitStatus::Timeout, e.context("the emulator did not become healthy in time")))
            }
            Err(_) => tokio::time::sleep(POLL).await,
        }
    }
}

/// One health request (health needs no admin token).
async fn health(found: &ServiceState) -> anyhow::Result<()> {
    let url = format!("{}/emulator/health", found.tenant_url);
    let answer = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .no_proxy()
        .build()?
        .get(&url)
        .send()
        .await
        .with_context(|| format!("no answer from {url}"))?;
    if !answer.status().is_success() {
        return Err(anyhow!("{url} answered {}", answer.status()));
    }
    Ok(())
}

fn print_settings(printer: Printer, found: &ServiceState, syntax: crate::cli::ShellSyntax) {
    if printer.json() {
        let doc = serde_json::to_value(found).unwrap_or_default();
        printer.result_json(&finish(json!({"emulator": doc}), ExitStatus::Success, None));
    } else {
        let text = shell::lines(syntax, &found.variables());
        printer.result(text.trim_end());
    }
}

pub fn env(printer: Printer, args: EnvArgs) -> Result<ExitStatus, Failure> {
    let (_, found) = running(&args.locate)?;
    print_settings(printer, &found, args.shell);
    Ok(ExitStatus::Success)
}

pub async fn status(printer: Printer, args: LocateArgs) -> Result<ExitStatus, Failure> {
    let (_, found) = running(&args)?;
    let healthy = health(&found).await;
    if printer.json() {
        let exit = if healthy.is_ok() { ExitStatus::Success } else { ExitStatus::Unreachable };
        let doc = json!({"emulator": serde_json::to_value(&found).unwrap_or_default(), "healthy": healthy.is_ok()});
        printer.result_json(&finish(doc, exit, None));
    } else {
        printer.result(&format!(
            "running: pid {}, tenant {}, {} (API {}), data directory {}, since {}",
            found.pid,
            found.tenant,
            found.tenant_url,
            found.api_url,
            found.data_dir.display(),
            found.started_at
        ));
    }
    match healthy {
        Ok(()) => Ok(ExitStatus::Success),
        Err(e) => Err(Failure::new(
            ExitStatus::Unreachable,
            e.context(format!("the emulator (pid {}) does not answer", found.pid)),
        )),
    }
}

pub async fn stop(printer: Printer, args: StopArgs) -> Result<ExitStatus, Failure> {
    let (dir, found) = running(&args.locate)?;
    // The admin API first: it works on every host; a signal only on Unix.
    if let Err(why) = ask_to_stop(&found).await {
        tracing::info!("the admin API's shutdown did not take ({why:#}); sending a signal");
        terminate(found.pid, &why)?;
    }
    let deadline = Instant::now() + args.timeout;
    while state::held(&dir).map_err(usage)? {
        if Instant::now() >= deadline {
            let mut failure = Failure::new(
                ExitStatus::Timeout,
                anyhow!(
                    "the emulator (pid {}) did not stop within {}",
                    found.pid,
                    humantime::format_duration(args.timeout)
                ),
            );
            failure.hints.push(format!("`kill -9 {}` ends it at once", found.pid));
            return Err(failure);
        }
        tokio::time::sleep(POLL).await;
    }
    state::remove(&dir);
    if printer.json() {
        printer.result_json(&finish(
            json!({"stopped": {"pid": found.pid, "data_dir": dir}}),
            ExitStatus::Success,
            None,
        ));
    } else {
        printer.result(&format!("stopped the emulator (pid {}, data directory {})", found.pid, dir.display()));
    }
    Ok(ExitStatus::Success)
}

/// `POST /emulator/shutdown` with the admin token of the environment
/// (SACCTL_EMULATOR_ADMIN_TOKEN, as the emulator was started with).
async fn ask_to_stop(found: &ServiceState) -> anyhow::Result<()> {
    let url = format!("{}/emulator/shutdown", found.tenant_url);
    let mut request =
        reqwest::Client::builder().timeout(Duration::from_secs(5)).no_proxy().build()?.post(&url).json(&json!({}));
    if let Some(token) = crate::settings::var(crate::settings::env::EMULATOR_ADMIN_TOKEN) {
        request = request.header("x-emulator-admin-token", token);
    }
    let answer = request.send().await.with_context(|| format!("no answer from {url}"))?;
    if !answer.status().is_success() {
        return Err(anyhow!("{url} answered {}", answer.status()));
    }
    Ok(())
}

#[cfg(unix)]
fn terminate(pid: u32, _: &anyhow::Error) -> Result<(), Failure> {
    use rustix::process::{kill_process, Pid, Signal};
    let target = i32::try_from(pid).ok().and_then(Pid::from_raw);
    let Some(target) = target else {
        return Err(Failure::usage(format!("the state file names an impossible pid {pid}")));
    };
    match kill_process(target, Signal::TERM) {
        Ok(()) => Ok(()),
        // Gone between the look at the lock and the signal: stopping it is done.
        Err(rustix::io::Errno::SRCH) => Ok(()),
        Err(e) => Err(Failure::new(
            ExitStatus::Usage,
            anyhow!(std::io::Error::from(e)).context(format!("cannot send SIGTERM to the emulator (pid {pid})")),
        )),
    }
}

#[cfg(not(unix))]
fn terminate(pid: u32, why: &anyhow::Error) -> Result<(), Failure> {
    let mut failure =
        Failure::usage(format!("the emulator (pid {pid}) did not take the admin API's shutdown: {why:#}"));
    failure.hints.push(
        "set SACCTL_EMULATOR_ADMIN_TOKEN to the token it was started with, or end it with `Stop-Process -Id PID`"
            .replace("PID", &pid.to_string()),
    );
    Err(failure)
}

/// The data directory asked for and the emulator running there.
fn running(args: &LocateArgs) -> Result<(PathBuf, ServiceState), Failure> {
    let dir = args.data_dir.clone().map(Ok).unwrap_or_else(default_dir)?;
    let not_running = |why: String| {
        let mut failure = Failure::new(
            ExitStatus::NotFound,
            anyhow!("no emulator runs with the data directory {}{why}", dir.display()),
        );
        failure.hints.push(
            "start one with `eval \"$(sacctl emulator start --detach)\"`, or name its directory with --data-dir".into(),
        );
        failure
    };
    match state::find(&dir).map_err(usage)? {
        Found::Running(found) => Ok((dir, found)),
        Found::NotRunning { stale: Some(pid) } => {
            Err(not_running(format!(" (pid {pid} had stopped without cleaning up; its state file was removed)")))
        }
        Found::NotRunning { stale: None } => Err(not_running(String::new())),
        Found::Starting => Err(Failure::new(
            ExitStatus::NotFound,
            anyhow!(
                "an emulator holds {} but has not written its state file yet: try again in a moment",
                dir.display()
            ),
        )),
    }
}

fn default_dir() -> Result<PathBuf, Failure> {
    state::default_dir().ok_or_else(|| {
        Failure::usage(format!(
            "no data directory: give --data-dir or set {} (no state directory is known for this user)",
            crate::cli::EMULATOR_DIR_ENV
        ))
    })
}

fn absolute(path: PathBuf) -> Result<PathBuf, Failure> {
    std::path::absolute(&path).with_context(|| format!("cannot resolve {}", path.display())).map_err(usage)
}

/// The data directory holds the signing keys: owner-only, whatever the umask.
fn create_private_dir(dir: &Path) -> Result<(), Failure> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).with_context(|| format!("cannot create the data directory {}", dir.display())).map_err(usage)
}

/// Owner-only, never through a link at its name (a link there was refused
/// by `check_data_dir`; `NOFOLLOW` closes the window since).
fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600).custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32);
    }
    options.open(path)
}

fn usage(e: impl Into<anyhow::Error>) -> Failure {
    Failure::new(ExitStatus::Usage, e)
}
