//! SQL text the store's modules share: quoted identifiers and numbered
//! parameters. A leaf: it uses nothing of the store.

/// `"name"`, with quotes doubled: any string is a safe identifier this way.
pub fn quote(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

/// `?1, ?2, …, ?n`: the numbered parameters of a statement with `n` values.
pub(super) fn placeholders(n: usize) -> String {
    (1..=n).map(|i| format!("?{i}")).collect::<Vec<_>>().join(", ")
}
