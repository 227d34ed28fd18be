//! Reading a chain file for a command: every problem in it is one exit-2
//! error that lists them all.

use std::collections::BTreeMap;

use super::file::Chain;
use super::vars;
use crate::cli::ChainFileArgs;
use crate::exit::ExitStatus;
use crate::failure::Failure;
use crate::site::doc_url;

/// Reads and checks the chain file; every problem is an exit-2 error.
pub fn load(args: &ChainFileArgs) -> Result<Chain, Failure> {
    load_with(args, &Default::default())
}

/// [`load`], with variable values under the `--var` ones (those of a resumed run).
pub fn load_with(args: &ChainFileArgs, base: &BTreeMap<String, String>) -> Result<Chain, Failure> {
    let mut overrides = base.clone();
    overrides.extend(vars::parse_overrides(&args.vars).map_err(Failure::usage)?);
    Chain::load(&args.file, &overrides).map_err(|diagnostics| {
        let count = diagnostics.0.len();
        let list: Vec<String> = diagnostics.0.iter().map(|d| format!("  {d}")).collect();
        let mut failure = Failure::new(
            ExitStatus::Usage,
            anyhow::anyhow!(
                "the chain file {} has {count} error{}:\n{}",
                args.file.display(),
                if count == 1 { "" } else { "s" },
                list.join("\n")
            ),
        );
        failure.hints.push(concat!(doc_url!("chains"), " lists every key of each kind of step").into());
        failure
    })
}
