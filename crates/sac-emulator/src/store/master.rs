//! The rows of a master data entity set (`<Dim>Master`,
//! `<Dim>MasterWithHierarchy`): stored members of the tenant dimension,
//! the model's versions or months, or the values its facts hold.

use super::facts::FactTable;
use super::{Reader, StoreResult};
use crate::tenant::{MasterSet, MemberSource, Row};

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
        Ok(members.iter().map(|m| set.row(m)).collect())
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
        let versions = t.master_set(opex, "VersionMaster").unwrap();
        let rows = store.read(|r| r.master_rows(&versions)).unwrap();
        assert_eq!(rows[1]["VERSION"], "Planning");
    }
}
