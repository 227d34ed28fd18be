//! Facts grouped by some of their dimensions with the measures summed:
//! what `FactDataAggregation` shows, and the member combinations that
//! `MasterData` joins with master data.

use rusqlite::types::Value as SqlValue;

use super::facts::{FactRow, FactTable};
use super::filter::Filter;
use super::sql::quote;
use super::{Reader, StoreResult};

impl Reader<'_> {
    /// The facts that pass `filter`, grouped by the dimension columns
    /// `group` (in that order), each of `measures` summed (`None` where no
    /// fact of the group has a value); groups in the order of their values.
    /// Columns that are not the table's match no row.
    pub fn fact_groups(
        &self,
        table: &FactTable,
        group: &[String],
        measures: &[String],
        filter: Option<&Filter>,
    ) -> StoreResult<Vec<FactRow>> {
        let known = |c: &String| table.dimensions.contains(c) || table.measures.contains(c);
        if !group.iter().all(|c| table.dimensions.contains(c))
            || !measures.iter().all(|c| table.measures.contains(c))
            || filter.is_some_and(|f| !f.columns().iter().all(|c| known(&c.to_string())))
        {
            return Ok(vec![]);
        }
        let mut args: Vec<SqlValue> = Vec::new();
        let where_clause = filter.map(|f| format!(" WHERE {}", f.to_sql(&mut args))).unwrap_or_default();
        let keys: Vec<String> = group.iter().map(|c| quote(c)).collect();
        let mut columns = keys.clone();
        columns.extend(measures.iter().map(|m| format!("round(SUM({}), 6)", quote(m))));
        columns.push("COUNT(*)".into());
        let grouping =
            if keys.is_empty() { String::new() } else { format!(" GROUP BY {k} ORDER BY {k}", k = keys.join(", ")) };
        let sql = format!(
            "SELECT {} FROM {}{where_clause}{grouping}",
            columns.join(", "),
            quote(&format!("facts:{}", table.model))
        );
        let mut stmt = self.conn().prepare(&sql)?;
        let (dims, sums) = (group.len(), measures.len());
        let rows = stmt
            .query_map(rusqlite::params_from_iter(args), |r| {
                let mut row = FactRow { dimensions: Vec::with_capacity(dims), measures: Vec::with_capacity(sums) };
                for i in 0..dims {
                    row.dimensions.push(r.get(i)?);
                }
                for i in 0..sums {
                    row.measures.push(r.get(dims + i)?);
                }
                Ok((row, r.get::<_, i64>(dims + sums)?))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        // Without a group SQL answers one row even for no facts at all.
        Ok(rows.into_iter().filter(|(_, count)| *count > 0).map(|(row, _)| row).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::facts::WriteMode;
    use crate::store::filter::{Literal, Op};
    use crate::store::Store;

    #[test]
    fn groups_sum_measures_and_respect_the_filter() {
        let store = Store::open(None).unwrap();
        let t = FactTable {
            model: "M".into(),
            dimensions: vec!["Version".into(), "Date".into()],
            measures: vec!["Amount".into(), "Qty".into()],
        };
        store
            .write(|w| {
                w.create_fact_table(&t)?;
                let mut writer = w.fact_writer(&t, WriteMode::Update)?;
                writer.write(&["A", "1"], &[Some(0.1), None])?;
                writer.write(&["A", "2"], &[Some(0.2), None])?;
                writer.write(&["P", "1"], &[Some(5.0), Some(1.0)])?;
                Ok(())
            })
            .unwrap();
        let by_version =
            store.read(|r| r.fact_groups(&t, &["Version".into()], &["Amount".into(), "Qty".into()], None)).unwrap();
        assert_eq!(by_version.len(), 2);
        assert_eq!(by_version[0].dimensions, ["A"]);
        assert_eq!(by_version[0].measures, [Some(0.3), None], "summed without float noise; no value stays null");
        let only_p = Filter::Compare { column: "Version".into(), op: Op::Eq, value: Literal::Text("P".into()) };
        let total = store.read(|r| r.fact_groups(&t, &[], &["Amount".into()], Some(&only_p))).unwrap();
        assert_eq!(total.len(), 1);
        assert_eq!(total[0].measures, [Some(5.0)]);
        let none = Filter::Compare { column: "Version".into(), op: Op::Eq, value: Literal::Text("X".into()) };
        assert!(store.read(|r| r.fact_groups(&t, &[], &["Amount".into()], Some(&none))).unwrap().is_empty());
        assert!(store.read(|r| r.fact_groups(&t, &["Nope".into()], &[], None)).unwrap().is_empty());
    }
}
