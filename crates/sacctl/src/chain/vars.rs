//! `{name}` in a chain file's strings: replaced by the value of the
//! variable (the `[vars]` default, or `--var name=value`); `{{` and `}}`
//! stand for literal braces.

use std::collections::BTreeMap;

/// Why a string cannot be expanded: the message, and the byte range of
/// the culprit inside the string.
#[derive(Debug, PartialEq, Eq)]
pub struct VarError {
    pub message: String,
    pub at: std::ops::Range<usize>,
}

fn is_name(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Replaces every `{name}` of `text`.
pub fn expand(text: &str, vars: &BTreeMap<String, String>) -> Result<String, VarError> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut offset = 0;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push_str(&tail[..1]);
            rest = &tail[2..];
            offset += i + 2;
            continue;
        }
        if tail.starts_with('}') {
            return Err(VarError {
                message: "a lone `}` (write `}}` for a literal brace)".into(),
                at: offset + i..offset + i + 1,
            });
        }
        let Some(close) = tail.find('}') else {
            return Err(VarError {
                message: "`{` without its `}` (write `{{` for a literal brace)".into(),
                at: offset + i..offset + i + 1,
            });
        };
        let name = &tail[1..close];
        let at = offset + i..offset + i + close + 1;
        if !is_name(name) {
            return Err(VarError {
                message: format!("`{{{name}}}` is not a variable name (write `{{{{` for a literal brace)"),
                at,
            });
        }
        match vars.get(name) {
            Some(value) => out.push_str(value),
            None => {
                let known = if vars.is_empty() {
                    "none is defined".to_string()
                } else {
                    format!("known: {}", vars.keys().map(String::as_str).collect::<Vec<_>>().join(", "))
                };
                return Err(VarError {
                    message: format!(
                        "unknown variable `{name}` ({known}); define it in [vars] or pass --var {name}=VALUE"
                    ),
                    at,
                });
            }
        }
        rest = &tail[close + 1..];
        offset += i + close + 1;
    }
    out.push_str(rest);
    Ok(out)
}

/// `--var name=value` arguments.
pub fn parse_overrides(items: &[String]) -> Result<BTreeMap<String, String>, String> {
    items
        .iter()
        .map(|item| match item.split_once('=') {
            Some((name, value)) if is_name(name.trim()) => Ok((name.trim().to_string(), value.to_string())),
            _ => Err(format!("--var {item:?} must look like NAME=VALUE")),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> BTreeMap<String, String> {
        BTreeMap::from([("version".to_string(), "public.Plan".to_string())])
    }

    #[test]
    fn names_are_replaced_and_braces_escaped() {
        assert_eq!(expand("facts-{version}.csv", &vars()).unwrap(), "facts-public.Plan.csv");
        assert_eq!(expand("{{literal}} {version}", &vars()).unwrap(), "{literal} public.Plan");
        assert_eq!(expand("plain", &vars()).unwrap(), "plain");
    }

    #[test]
    fn unknown_names_and_stray_braces_are_located() {
        let e = expand("x {nope} y", &vars()).unwrap_err();
        assert_eq!(e.at, 2..8);
        assert!(e.message.contains("unknown variable `nope`") && e.message.contains("version"));
        assert_eq!(expand("a { b", &vars()).unwrap_err().at, 2..3);
        assert_eq!(expand("a } b", &vars()).unwrap_err().at, 2..3);
        assert!(expand("{a b}", &vars()).unwrap_err().message.contains("not a variable name"));
    }

    #[test]
    fn overrides_parse() {
        let o = parse_overrides(&["version=public.Forecast".into(), "x=a=b".into()]).unwrap();
        assert_eq!(o["version"], "public.Forecast");
        assert_eq!(o["x"], "a=b");
        assert!(parse_overrides(&["novalue".into()]).is_err());
        assert!(parse_overrides(&["=v".into()]).is_err());
    }
}
