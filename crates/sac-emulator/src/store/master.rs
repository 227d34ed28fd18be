//! The rows of a master data entity set (`<Dim>Master`,
//! `<Dim>MasterWithHierarchy`): stored members of the tenant dimension,
//! the model's versions or months, or the values its facts hold.

use super::facts::FactTable;
use super::{Reader, StoreResult};
use std::collections::HashMap;

use crate::tenant::{order_column, parent_column, previous_column, MasterSet, MemberSource, Row};

impl Reader<'_> {
    /// Every row of `set`, ordered by member id (versions and months in
    /// the tenant's order).
    pub fn master_rows(&self, set: &MasterSet<'_>) -> StoreResult<Vec<Row>> {
        let id_row = |id: String| Row::from([("ID".to_string(), id)]);
        let members: Vec<Row> = match set.source() {
            MemberSource::Stored(dim) => self.members(&dim.id, 0, i64::MAX)?,
            MemberSource::Listed(ids) => ids.into_iter().map(id_row).collect(),
            MemberSource::FactValues => {
                self.fact_values(&FactTable::of(set.model), &set.dimension.name)?.into_iter().map(id_row).collect()
            }
        };
        let mut rows: Vec<Row> = members.iter().map(|m| set.row(m)).collect();
        if set.with_hierarchy {
            number_siblings(set, &mut rows);
        }
        Ok(rows)
    }
}

/// Fills `<H>_PREVID` (the sibling before, empty for the first) and
/// `<H>_ORDERID` (the place among the siblings, from 1) of each hierarchy,
/// siblings in the rows' order (page `f6165921`).
fn number_siblings(set: &MasterSet<'_>, rows: &mut [Row]) {
    for h in set.hierarchies() {
        let mut last: HashMap<String, (String, usize)> = HashMap::new();
        for row in rows.iter_mut() {
            let parent = row.get(&parent_column(h)).cloned().unwrap_or_default();
            let id = row.get("ID").cloned().unwrap_or_default();
            let (previous, place) = match last.get(&parent) {
                Some((previous, place)) => (previous.clone(), place + 1),
                None => (String::new(), 1),
            };
            row.insert(previous_column(h), previous);
            row.insert(order_column(h), place.to_string());
            last.insert(parent, (id, place));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::store::Store;
    use crate::tenant::Tenant;

    #[test]
    fn stored_members_become_rows_with_description_and_attributes() {
        let t = Tenant::demo();
        let store = Store::open(None).unwrap();
        let cc = t.dimension("CostCenter").unwrap();
        store.write(|w| w.upsert_members(&cc.id, cc.key_attribute(), &cc.members)).unwrap();
        let opex = t.model("OPEX_PLAN").unwrap();
        let set = t.master_set(opex, "CostCenterMasterWithHierarchy").unwrap();
        let rows = store.read(|r| r.master_rows(&set)).unwrap();
        assert_eq!(rows.len(), 6);
        let finance = rows.iter().find(|r| r["ID"] == "CC100").unwrap();
        assert_eq!(finance["Description"], "Finance");
        assert_eq!(finance["H1_PARENTID"], "CC_ADMIN");
        // CC_ADMIN's children in id order: CC100, then CC110; the top node is first of its own.
        assert_eq!((finance["H1_PREVID"].as_str(), finance["H1_ORDERID"].as_str()), ("", "1"));
        let hr = rows.iter().find(|r| r["ID"] == "CC110").unwrap();
        assert_eq!((hr["H1_PREVID"].as_str(), hr["H1_ORDERID"].as_str()), ("CC100", "2"));
        let top = rows.iter().find(|r| r["ID"] == "CC_ALL").unwrap();
        assert_eq!((top["H1_PREVID"].as_str(), top["H1_ORDERID"].as_str()), ("", "1"));
        let sales = rows.iter().find(|r| r["ID"] == "CC_SALES").unwrap();
        assert_eq!((sales["H1_PREVID"].as_str(), sales["H1_ORDERID"].as_str()), ("CC_ADMIN", "2"));
        let versions = t.master_set(opex, "VersionMaster").unwrap();
        let rows = store.read(|r| r.master_rows(&versions)).unwrap();
        assert_eq!(rows[1]["VERSION"], "Planning");
    }
}
