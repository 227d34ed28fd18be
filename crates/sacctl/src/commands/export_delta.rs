//! `sacctl export --delta NAME` and `sacctl export subscriptions list|delete`.

use std::path::PathBuf;

use crate::cli::{ConnectionArgs, ExportCommand, SubscriptionsCommand};
use crate::connect::connect;
use crate::exit::ExitStatus;
use crate::failure::Failure;
use crate::ops::export_delta::{self, DeltaExport};
use crate::output::Printer;
use crate::report::finish;

pub async fn export_delta(
    printer: Printer,
    connection: ConnectionArgs,
    name: &str,
    model: &str,
    filter: Option<&str>,
    out: Option<PathBuf>,
) -> Result<ExitStatus, Failure> {
    let Some(out) = out else {
        return Err(Failure::usage("--delta writes a file: give --out FILE"));
    };
    export_delta::check_name(name)?;
    let (_, client) = connect(&connection)?;
    let outcome = export_delta::export_delta(&client, &DeltaExport { name, model, filter, out: &out }).await?;
    Ok(outcome.print(printer))
}

pub async fn subscriptions(printer: Printer, command: ExportCommand) -> Result<ExitStatus, Failure> {
    let ExportCommand::Subscriptions(command) = command;
    let dir = export_delta::state_dir()?;
    match command {
        SubscriptionsCommand::List => {
            let states = export_delta::all(&dir)?;
            if printer.json() {
                let list: Vec<serde_json::Value> = states
                    .iter()
                    .map(|s| {
                        serde_json::json!({
                            "subscription": s.name, "model": s.model, "filter": s.filter, "tenant": s.tenant,
                            "next_subscription_id": s.next, "initial": s.initial,
                        })
                    })
                    .collect();
                printer.result_json(&finish(serde_json::json!({"subscriptions": list}), ExitStatus::Success, None));
            } else {
                for s in &states {
                    let next = if s.initial { "full load".to_string() } else { format!("next {}", s.next) };
                    printer.result(&format!("{}  {}  {}  {next}", s.name, s.model, s.filter.as_deref().unwrap_or("-")));
                }
                if states.is_empty() {
                    printer.note(&format!("no subscriptions in {}", dir.display()));
                }
            }
            Ok(ExitStatus::Success)
        }
        SubscriptionsCommand::Delete { connection, name } => {
            export_delta::check_name(&name)?;
            let Some(state) = export_delta::load(&dir, &name)? else {
                return Err(Failure::new(
                    ExitStatus::NotFound,
                    anyhow::anyhow!(
                        "no subscription {name} in {}: `sacctl export subscriptions list` lists them",
                        dir.display()
                    ),
                ));
            };
            let (_, client) = connect(&connection)?;
            match client.delta().delete_chain(&state.model, &state.next).await {
                Ok(()) => {}
                // Already gone in SAC: forgetting it here is all that is left.
                Err(sac_client::Error::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
            export_delta::forget(&dir, &name)?;
            if printer.json() {
                printer.result_json(&finish(
                    serde_json::json!({"subscription": name, "model": state.model, "deleted": true}),
                    ExitStatus::Success,
                    None,
                ));
            } else {
                printer.note(&format!("subscription {name} of {} deleted", state.model));
            }
            Ok(ExitStatus::Success)
        }
    }
}
