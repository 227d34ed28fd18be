//! What the two logs of a model's fact changes share (Data Audit in
//! `audit`, change tracking for delta subscriptions in `changes`): the
//! names of their triggers and measure columns, and the triggers that fill
//! each log from the facts table. A leaf of the store: SQL text only.

use rusqlite::Connection;

use super::facts::FactTable;
use super::sql::quote;

/// The insert, update and delete triggers of log `kind` (`audit`,
/// `changes`) on `model`'s facts.
pub(super) fn trigger_names(kind: &str, model: &str) -> [String; 3] {
    ["insert", "update", "delete"].map(|what| quote(&format!("{kind}_{what}:{model}")))
}

/// The log's column of a measure before the change.
pub(super) fn old_column(measure: &str) -> String {
    quote(&format!("old:{measure}"))
}

/// The log's column of a measure after the change.
pub(super) fn new_column(measure: &str) -> String {
    quote(&format!("new:{measure}"))
}

/// Drops the triggers of log `kind` on `model`'s facts.
pub(super) fn drop_triggers(conn: &Connection, kind: &str, model: &str) -> rusqlite::Result<()> {
    for name in trigger_names(kind, model) {
        conn.execute_batch(&format!("DROP TRIGGER IF EXISTS {name}"))?;
    }
    Ok(())
}

/// The definitions of a log's fact columns: the key, then every measure
/// before and after.
pub(super) fn fact_columns(table: &FactTable) -> Vec<String> {
    let mut columns: Vec<String> = table.dimensions.iter().map(|d| format!("{} TEXT NOT NULL", quote(d))).collect();
    columns.extend(table.measures.iter().map(|m| format!("{} REAL", old_column(m))));
    columns.extend(table.measures.iter().map(|m| format!("{} REAL", new_column(m))));
    columns
}

/// The names of a log's fact columns, in `fact_columns`' order.
pub(super) fn fact_targets(table: &FactTable) -> Vec<String> {
    let mut targets: Vec<String> = table.dimensions.iter().map(|d| quote(d)).collect();
    targets.extend(table.measures.iter().map(|m| old_column(m)));
    targets.extend(table.measures.iter().map(|m| new_column(m)));
    targets
}

/// A trigger's values for the fact columns: the key from row `key_side`
/// (`NEW`, `OLD`), the measures before from `old_side` and after from
/// `new_side` (`None`: NULL).
pub(super) fn fact_values(
    table: &FactTable,
    key_side: &str,
    old_side: Option<&str>,
    new_side: Option<&str>,
) -> Vec<String> {
    let mut v: Vec<String> = table.dimensions.iter().map(|d| format!("{key_side}.{}", quote(d))).collect();
    let side = |s: Option<&str>, m: &String| s.map_or("NULL".to_string(), |s| format!("{s}.{}", quote(m)));
    v.extend(table.measures.iter().map(|m| side(old_side, m)));
    v.extend(table.measures.iter().map(|m| side(new_side, m)));
    v
}

/// Creates the triggers of log `kind` on `table`'s facts: each runs the
/// statement `log(key_side, old_side, new_side)` makes, only when `guard`
/// holds (if given); an update only when a measure changed (so a table
/// without measures has no update trigger).
pub(super) fn create_triggers(
    conn: &Connection,
    kind: &str,
    table: &FactTable,
    guard: Option<&str>,
    log: impl Fn(&str, Option<&str>, Option<&str>) -> String,
) -> rusqlite::Result<()> {
    let facts = quote(&format!("facts:{}", table.model));
    let [insert, update, delete] = trigger_names(kind, &table.model);
    let when = guard.map(|g| format!(" WHEN {g}")).unwrap_or_default();
    conn.execute_batch(&format!(
        "CREATE TRIGGER {insert} AFTER INSERT ON {facts}{when} BEGIN {} END;
             CREATE TRIGGER {delete} AFTER DELETE ON {facts}{when} BEGIN {} END;",
        log("NEW", None, Some("NEW")),
        log("OLD", Some("OLD"), None),
    ))?;
    if !table.measures.is_empty() {
        let changed: Vec<String> =
            table.measures.iter().map(|m| format!("OLD.{c} IS NOT NEW.{c}", c = quote(m))).collect();
        let changed = changed.join(" OR ");
        let condition = match guard {
            Some(g) => format!("{g} AND ({changed})"),
            None => changed,
        };
        conn.execute_batch(&format!(
            "CREATE TRIGGER {update} AFTER UPDATE ON {facts} WHEN {condition} BEGIN {} END;",
            log("NEW", Some("OLD"), Some("NEW")),
        ))?;
    }
    Ok(())
}
