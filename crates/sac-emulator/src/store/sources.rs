//! Rows of source-system objects (what a schedule imports from) and the
//! members of global dimensions (what it imports into). Both are small;
//! their rows are kept as JSON objects.

use std::collections::HashSet;

use rusqlite::{params, OptionalExtension};

use super::{parse_json, Reader, StoreResult, Writer};
use crate::tenant::Row;

impl Reader<'_> {
    pub fn source_rows(&self, source: &str, object: &str) -> StoreResult<Vec<Row>> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT fields FROM source_rows WHERE source = ?1 AND object = ?2 ORDER BY seq")?;
        let texts =
            stmt.query_map(params![source, object], |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?;
        texts.iter().map(|t| parse_json("source row", t)).collect()
    }

    /// The keys of a dimension's members.
    pub fn member_ids(&self, dimension: &str) -> StoreResult<HashSet<String>> {
        let mut stmt = self.conn().prepare_cached("SELECT member_id FROM members WHERE model = ?1")?;
        let ids = stmt.query_map([dimension], |r| r.get::<_, String>(0))?.collect::<Result<_, _>>()?;
        Ok(ids)
    }

    pub fn member_exists(&self, dimension: &str, member_id: &str) -> StoreResult<bool> {
        let mut stmt = self.conn().prepare_cached("SELECT 1 FROM members WHERE model = ?1 AND member_id = ?2")?;
        Ok(stmt.query_row(params![dimension, member_id], |_| Ok(())).optional()?.is_some())
    }

    pub fn member_count(&self, dimension: &str) -> StoreResult<i64> {
        let mut stmt = self.conn().prepare_cached("SELECT COUNT(*) FROM members WHERE model = ?1")?;
        Ok(stmt.query_row([dimension], |r| r.get(0))?)
    }

    /// Members ordered by key, one page.
    pub fn members(&self, dimension: &str, offset: i64, limit: i64) -> StoreResult<Vec<Row>> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT attrs FROM members WHERE model = ?1 ORDER BY member_id LIMIT ?2 OFFSET ?3")?;
        let texts = stmt
            .query_map(params![dimension, limit, offset], |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        texts.iter().map(|t| parse_json("member", t)).collect()
    }
}

impl Writer<'_> {
    pub fn replace_source_rows(&self, source: &str, object: &str, rows: &[Row]) -> StoreResult<()> {
        self.conn()
            .prepare_cached("DELETE FROM source_rows WHERE source = ?1 AND object = ?2")?
            .execute(params![source, object])?;
        self.insert_source_rows(source, object, 0, rows)
    }

    pub fn append_source_rows(&self, source: &str, object: &str, rows: &[Row]) -> StoreResult<()> {
        let next: i64 = self
            .conn()
            .prepare_cached("SELECT COALESCE(MAX(seq) + 1, 0) FROM source_rows WHERE source = ?1 AND object = ?2")?
            .query_row(params![source, object], |r| r.get(0))?;
        self.insert_source_rows(source, object, next, rows)
    }

    fn insert_source_rows(&self, source: &str, object: &str, first_seq: i64, rows: &[Row]) -> StoreResult<()> {
        let mut stmt = self
            .conn()
            .prepare_cached("INSERT INTO source_rows (source, object, seq, fields) VALUES (?1, ?2, ?3, ?4)")?;
        for (i, row) in rows.iter().enumerate() {
            let fields = serde_json::to_string(row).expect("rows serialize");
            stmt.execute(params![source, object, first_seq + i as i64, fields])?;
        }
        Ok(())
    }

    /// Inserts members, or updates the given attributes of existing ones
    /// (attributes a load does not carry keep their values).
    pub fn upsert_members(&self, dimension: &str, key_attr: &str, rows: &[Row]) -> StoreResult<usize> {
        let mut stmt = self.conn().prepare_cached(
            "INSERT INTO members (model, member_id, attrs) VALUES (?1, ?2, ?3)
             ON CONFLICT (model, member_id) DO UPDATE SET attrs = json_patch(members.attrs, excluded.attrs)",
        )?;
        for row in rows {
            let id = row.get(key_attr).map(String::as_str).unwrap_or_default();
            stmt.execute(params![dimension, id, serde_json::to_string(row).expect("rows serialize")])?;
        }
        Ok(rows.len())
    }
}

#[cfg(test)]
mod tests {
    use crate::store::Store;
    use crate::tenant::Row;

    fn row(pairs: &[(&str, &str)]) -> Row {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn members_upsert_by_key() {
        let store = Store::open(None).unwrap();
        store.write(|w| w.upsert_members("M", "ID", &[row(&[("ID", "A"), ("Country", "DE")])])).unwrap();
        store
            .write(|w| w.upsert_members("M", "ID", &[row(&[("ID", "A"), ("Country", "FR")]), row(&[("ID", "B")])]))
            .unwrap();
        store
            .read(|r| {
                assert_eq!(r.member_count("M")?, 2);
                assert_eq!(r.members("M", 0, 10)?[0]["Country"], "FR");
                assert!(r.member_exists("M", "B")?);
                assert!(!r.member_exists("M", "C")?);
                Ok(())
            })
            .unwrap();
    }

    #[test]
    fn source_rows_append_in_order() {
        let store = Store::open(None).unwrap();
        store.write(|w| w.append_source_rows("S", "O", &[row(&[("F", "1")])])).unwrap();
        store.write(|w| w.append_source_rows("S", "O", &[row(&[("F", "2")])])).unwrap();
        let rows = store.read(|r| r.source_rows("S", "O")).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1]["F"], "2");
    }
}
