//! Settings as lines a shell evaluates: `eval "$(sacctl emulator env)"`.

use crate::cli::ShellSyntax;

/// One line per variable, each value quoted so the shell takes it
/// literally whatever it holds.
pub fn lines(syntax: ShellSyntax, variables: &[(&str, String)]) -> String {
    variables
        .iter()
        .map(|(name, value)| match syntax {
            ShellSyntax::Sh => format!("export {name}={}\n", crate::shell::quoted(value)),
            ShellSyntax::Fish => format!("set -gx {name} {}\n", fish_quote(value)),
            ShellSyntax::Powershell => format!("$env:{name} = {}\n", powershell_quote(value)),
        })
        .collect()
}

/// fish: inside single quotes, `\\` and `\'` are the only escapes.
fn fish_quote(value: &str) -> String {
    format!("'{}'", value.replace('\\', r"\\").replace('\'', r"\'"))
}

/// PowerShell: inside single quotes, a quote is doubled.
fn powershell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> Vec<(&'static str, String)> {
        vec![
            ("SACCTL_TENANT_URL", "http://127.0.0.1:8030".into()),
            ("SACCTL_EMULATOR_DIR", r"/tmp/it's $HOME\x".into()),
        ]
    }

    #[test]
    fn each_shell_gets_its_own_quoting() {
        assert_eq!(
            lines(ShellSyntax::Sh, &vars()),
            "export SACCTL_TENANT_URL='http://127.0.0.1:8030'\nexport SACCTL_EMULATOR_DIR=\"/tmp/it's \"'$HOME'\"\\\\x\"\n"
        );
        assert_eq!(
            lines(ShellSyntax::Fish, &vars()),
            "set -gx SACCTL_TENANT_URL 'http://127.0.0.1:8030'\nset -gx SACCTL_EMULATOR_DIR '/tmp/it\\'s $HOME\\\\x'\n"
        );
        assert_eq!(
            lines(ShellSyntax::Powershell, &vars()),
            "$env:SACCTL_TENANT_URL = 'http://127.0.0.1:8030'\n$env:SACCTL_EMULATOR_DIR = '/tmp/it''s $HOME\\x'\n"
        );
    }

    /// The shell itself reads the values back unchanged.
    #[cfg(unix)]
    #[test]
    fn sh_reads_the_values_back_literally() {
        let script = format!("{}printf '%s' \"$SACCTL_EMULATOR_DIR\"", lines(ShellSyntax::Sh, &vars()));
        let output = std::process::Command::new("sh").arg("-c").arg(script).output().unwrap();
        assert!(output.status.success());
        assert_eq!(String::from_utf8(output.stdout).unwrap(), r"/tmp/it's $HOME\x");
    }
}
