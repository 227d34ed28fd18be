//! `sacctl emulator`: runs the SAC emulator in the foreground.

use std::io::Write;

use anyhow::Context;
use sac_emulator::{ClockMode, Config, Emulator, Tenant};
use tokio::net::TcpListener;

use crate::cli::EmulatorArgs;
use crate::exit::ExitStatus;
use crate::Failure;

pub async fn emulator(args: EmulatorArgs) -> Result<ExitStatus, Failure> {
    if args.print_tenant {
        write_stdout(&Tenant::demo().to_toml())?;
        return Ok(ExitStatus::Success);
    }
    let tenant = match &args.tenant {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the tenant file {}", path.display()))
                .map_err(|e| Failure::new(ExitStatus::Usage, e))?;
            let tenant = Tenant::from_toml(&text)
                .with_context(|| format!("cannot use the tenant file {}", path.display()))
                .map_err(|e| Failure::new(ExitStatus::Usage, e))?;
            Some(tenant)
        }
        None => None,
    };
    let clock = if args.job_duration.is_zero() {
        ClockMode::Immediate
    } else {
        ClockMode::Delay { seconds: args.job_duration.as_secs_f64() }
    };
    let shutdown = shutdown_signal().map_err(io_failure)?;
    let tenant_listener = bind(&args.host, args.port, "--port").await?;
    let api_listener = bind(&args.host, args.api_port, "--api-port").await?;
    let config = Config {
        data_dir: args.data_dir.clone(),
        tenant,
        clock,
        auto_approve_user: args.auto_approve_user.clone(),
        access_token_secs: args.token_lifetime.map(|d| d.as_secs().max(1)),
        import_limits: sac_emulator::ImportLimits {
            max_rows_per_request: args.import_max_rows.max(1),
            max_body_bytes: args.import_max_bytes.max(1024),
        },
        export_page_size: args.export_page_size.max(1),
        host: Some(args.host.clone()),
        admin_token: args.admin_token.clone(),
        ..Config::default()
    };
    let emulator = Emulator::open(config)
        .context("cannot open the emulator's state")
        .map_err(|e| Failure::new(ExitStatus::Usage, e))?;
    let tenant_url = format!("http://{}", tenant_listener.local_addr().map_err(io_failure)?);
    let api_url = format!("http://{}", api_listener.local_addr().map_err(io_failure)?);
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
            "SAC emulator, tenant {}: browser domain and token service on {tenant_url}, direct API domain on {api_url} ({store}); dashboard {tenant_url}/emulator/. Ctrl-C stops it.",
            emulator.state().tenant().letter
        );
    }
    emulator.serve(tenant_listener, api_listener, shutdown).await.map_err(io_failure)?;
    Ok(ExitStatus::Success)
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
