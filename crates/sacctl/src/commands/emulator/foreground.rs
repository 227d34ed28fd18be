//! `sacctl emulator` in the foreground: serves until SIGINT or SIGTERM.

use std::io::Write;

use anyhow::Context;
use sac_emulator::{ClockMode, Config, Emulator, Tenant};
use tokio::net::TcpListener;

use super::state;
use crate::cli::EmulatorArgs;
use crate::exit::ExitStatus;
use crate::failure::Failure;

/// Serves until SIGINT or SIGTERM. With a data directory, the state file
/// there tells `sacctl emulator env|status|stop` about this process.
pub async fn foreground(args: EmulatorArgs) -> Result<ExitStatus, Failure> {
    if args.print_tenant {
        write_stdout(&Tenant::demo().to_toml())?;
        return Ok(ExitStatus::Success);
    }
    let tenant = args.tenant.as_deref().map(read_tenant).transpose()?;
    let clock = if args.job_duration.is_zero() {
        ClockMode::Immediate
    } else {
        ClockMode::Delay { seconds: args.job_duration.as_secs_f64() }
    };
    let shutdown = shutdown_signal().map_err(io_failure)?;
    let tenant_listener = bind(&args.host, args.port.unwrap_or(8030), "--port").await?;
    let api_listener = bind(&args.host, args.api_port.unwrap_or(8031), "--api-port").await?;
    let config = Config {
        data_dir: args.data_dir.clone(),
        tenant,
        clock,
        auto_approve_user: args.auto_approve_user.clone(),
        access_token_secs: args.token_lifetime.map(|d| d.as_secs().max(1)),
        import_limits: sac_emulator::ImportLimits {
            max_rows_per_request: args.import_max_rows.max(1),
            max_body_bytes: args.import_max_bytes.max(1024),
            ..sac_emulator::ImportLimits::default()
        },
        export_page_size: args.export_page_size.max(1),
        host: Some(args.host.clone()),
        admin_token: args.admin_token.clone(),
        ..Config::default()
    };
    let emulator = Emulator::open(config)
        .context("cannot open the emulator's state")
        .map_err(|e| Failure::new(ExitStatus::Usage, e))?;
    let tenant_url = state::reachable_url(tenant_listener.local_addr().map_err(io_failure)?);
    let api_url = state::reachable_url(api_listener.local_addr().map_err(io_failure)?);
    if let Some(dir) = &args.data_dir {
        let service = state::ServiceState {
            pid: std::process::id(),
            tenant: emulator.state().tenant().letter.clone(),
            tenant_url: tenant_url.clone(),
            api_url: api_url.clone(),
            token_url: format!("{tenant_url}/oauth/token"),
            data_dir: std::path::absolute(dir).unwrap_or_else(|_| dir.clone()),
            started_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            version: env!("SACCTL_LONG_VERSION").to_string(),
        };
        state::write(dir, &service)
            .with_context(|| format!("cannot write {}", dir.join(state::STATE_FILE).display()))
            .map_err(|e| Failure::new(ExitStatus::Usage, e))?;
    }
    if args.print_env {
        write_stdout(&format!(
            "SACCTL_TENANT_URL={tenant_url}\nSACCTL_API_URL={api_url}\nSACCTL_TOKEN_URL={tenant_url}/oauth/token\n"
        ))?;
    }
    tracing::info!(%tenant_url, %api_url, "emulator ready");
    #[allow(clippy::print_stderr)]
    {
        let store = match &args.data_dir {
            Some(dir) => format!("state in {}", dir.display()),
            None => "state in memory".to_string(),
        };
        eprintln!(
            "SAC emulator, tenant {}: browser domain and token service on {tenant_url}, direct API domain on {api_url} ({store}); web console {tenant_url}/emulator/ui (sign in as JDOE / Welcome1!). Ctrl-C stops it.",
            emulator.state().tenant().letter
        );
    }
    let app = emulator.state().clone();
    let served = emulator.serve(tenant_listener, api_listener, shutdown).await;
    if app.shutdown_was_requested() {
        #[allow(clippy::print_stderr)]
        {
            eprintln!("stopped: asked through the admin API (POST /emulator/shutdown)");
        }
    }
    if let Some(dir) = &args.data_dir {
        state::remove(dir);
    }
    served.map_err(io_failure)?;
    Ok(ExitStatus::Success)
}

/// Reads and checks a tenant file (`--tenant`).
pub fn read_tenant(path: &std::path::Path) -> Result<Tenant, Failure> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the tenant file {}", path.display()))
        .map_err(|e| Failure::new(ExitStatus::Usage, e))?;
    Tenant::from_toml(&text)
        .with_context(|| format!("cannot use the tenant file {}", path.display()))
        .map_err(|e| Failure::new(ExitStatus::Usage, e))
}

async fn bind(host: &str, port: u16, flag: &str) -> Result<TcpListener, Failure> {
    TcpListener::bind((host, port))
        .await
        .with_context(|| {
            format!("cannot listen on {host}:{port} (given by {flag}); choose another port, or 0 for any free one")
        })
        .map_err(|e| Failure::new(ExitStatus::Usage, e))
}

fn io_failure(e: std::io::Error) -> Failure {
    Failure::new(ExitStatus::Unreachable, e)
}

fn write_stdout(text: &str) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes()).and_then(|()| out.flush()).map_err(io_failure)
}

/// Completes on Ctrl-C or SIGTERM. The handlers are installed when this is
/// called, before the URLs are printed: a signal sent as soon as a caller
/// has read them still stops the emulator cleanly (exit 0).
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut interrupt = signal(SignalKind::interrupt())?;
        let mut terminate = signal(SignalKind::terminate())?;
        Ok(async move {
            tokio::select! {
                _ = interrupt.recv() => {},
                _ = terminate.recv() => {},
            }
            tracing::info!("shutting down");
        })
    }
    #[cfg(not(unix))]
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down");
    })
}
