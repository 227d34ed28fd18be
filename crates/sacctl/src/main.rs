//! `sacctl`: trigger, watch and feed SAP Analytics Cloud data loads.

fn main() -> std::process::ExitCode {
    sacctl::main()
}
