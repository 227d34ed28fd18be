//! Master data as the Data Export API shows it: which entity sets a model
//! has (`FactData`, `MasterData`, `<Dim>Master`, ...), the properties of a
//! `<Dim>Master` / `<Dim>MasterWithHierarchy` set, and how one member
//! becomes one row of it.
//!
//! Every member has `ID` and `Description` (SAP Help 97fa992f…); version
//! members also carry `VERSION`, date members `DATE` and account members
//! `accType` (what SAP's `sacapi` reads to tell the dimension types apart).
//! A set with hierarchy adds a `<H>_PARENTID` column per hierarchy `H`,
//! left out for a member at the top.

use super::{Dimension, DimensionKind, ModelDef, ModelDimension, Row, Tenant};

/// The property a version member carries its category in.
pub const MASTER_VERSION: &str = "VERSION";
/// The property a date member carries its month (`YYYYMM`) in.
pub const MASTER_DATE: &str = "DATE";
/// The property an account member carries its account type in.
pub const ACC_TYPE: &str = "accType";
/// The member key and text every master data row has.
pub const ID: &str = "ID";
pub const DESCRIPTION: &str = "Description";

/// The suffix of a parent column: `H1` -> `H1_PARENTID`.
pub fn parent_column(hierarchy: &str) -> String {
    format!("{hierarchy}_PARENTID")
}

/// The column of the previous sibling: `H1` -> `H1_PREVID` (page `f6165921`).
pub fn previous_column(hierarchy: &str) -> String {
    format!("{hierarchy}_PREVID")
}

/// The column of a member's place among its siblings, from 1: `H1` ->
/// `H1_ORDERID` (page `f6165921`).
pub fn order_column(hierarchy: &str) -> String {
    format!("{hierarchy}_ORDERID")
}

/// One master data entity set of a model: `<Dim>Master`, or
/// `<Dim>MasterWithHierarchy` (`with_hierarchy`) when the dimension's
/// members have a hierarchy.
#[derive(Clone, Copy, Debug)]
pub struct MasterSet<'t> {
    pub model: &'t ModelDef,
    pub dimension: &'t ModelDimension,
    /// The tenant dimension holding the members (generic and account dimensions).
    pub members_of: Option<&'t Dimension>,
    pub with_hierarchy: bool,
}

/// Where the members of a master set come from.
#[derive(Clone, Debug, PartialEq)]
pub enum MemberSource<'t> {
    /// Stored members of this tenant dimension (the `members` table).
    Stored(&'t Dimension),
    /// These ids (versions, months of the model's date range).
    Listed(Vec<String>),
    /// The distinct values of the dimension's column in the fact table.
    FactValues,
}

impl Tenant {
    /// The entity sets of a model in the order of its service document:
    /// `FactData`, `MasterData`, `FactDataAggregation`, `AuditData` (only
    /// when auditing is on), then `<Dim>Master` and, where the members
    /// have a hierarchy, `<Dim>MasterWithHierarchy` for each dimension.
    pub fn entity_sets(&self, model: &ModelDef) -> Vec<String> {
        let mut sets: Vec<String> =
            ["FactData", "MasterData", "FactDataAggregation"].iter().map(|s| s.to_string()).collect();
        if model.audit {
            sets.push("AuditData".into());
        }
        for d in &model.dimensions {
            sets.push(format!("{}Master", d.name));
            if self.hierarchies_of(d).is_some_and(|h| !h.is_empty()) {
                sets.push(format!("{}MasterWithHierarchy", d.name));
            }
        }
        sets
    }

    /// The `<Dim>Master` or `<Dim>MasterWithHierarchy` set named `set`, if
    /// the model has it.
    pub fn master_set<'t>(&'t self, model: &'t ModelDef, set: &str) -> Option<MasterSet<'t>> {
        let (name, with_hierarchy) = match set.strip_suffix("MasterWithHierarchy") {
            Some(name) => (name, true),
            None => (set.strip_suffix("Master")?, false),
        };
        let dimension = model.dimensions.iter().find(|d| d.name == name)?;
        let members_of = dimension.members_of.as_deref().and_then(|id| self.dimension(id));
        let set = MasterSet { model, dimension, members_of, with_hierarchy };
        if with_hierarchy && set.hierarchies().is_empty() {
            return None;
        }
        Some(set)
    }

    /// The master sets of every dimension of a model (without hierarchy).
    pub fn master_sets<'t>(&'t self, model: &'t ModelDef) -> Vec<MasterSet<'t>> {
        model.dimensions.iter().filter_map(|d| self.master_set(model, &format!("{}Master", d.name))).collect()
    }

    fn hierarchies_of(&self, d: &ModelDimension) -> Option<&[String]> {
        d.members_of.as_deref().and_then(|id| self.dimension(id)).map(|dim| dim.hierarchies.as_slice())
    }
}

impl<'t> MasterSet<'t> {
    pub fn name(&self) -> String {
        format!("{}{}", self.dimension.name, if self.with_hierarchy { "MasterWithHierarchy" } else { "Master" })
    }

    /// The parent-child hierarchies of the members (attribute names).
    pub fn hierarchies(&self) -> &'t [String] {
        self.members_of.map(|d| d.hierarchies.as_slice()).unwrap_or(&[])
    }

    /// The properties of a row, in order: `ID`, `Description`, then
    /// `VERSION` / `DATE` / `accType` by the dimension's kind, the
    /// dimension's other attributes, and with hierarchy `<H>_PARENTID`,
    /// `<H>_PREVID` and `<H>_ORDERID` per hierarchy (page `f6165921`).
    pub fn properties(&self) -> Vec<String> {
        let mut props = vec![ID.to_string(), DESCRIPTION.to_string()];
        match self.dimension.kind {
            DimensionKind::Version => props.push(MASTER_VERSION.into()),
            DimensionKind::Date => props.push(MASTER_DATE.into()),
            DimensionKind::Account => props.push(ACC_TYPE.into()),
            DimensionKind::Generic => {}
        }
        if let Some(dim) = self.members_of {
            let key = dim.key_attribute();
            for a in &dim.attributes {
                if a != key && a != DESCRIPTION && !props.contains(a) && !dim.hierarchies.contains(a) {
                    props.push(a.clone());
                }
            }
        }
        if self.with_hierarchy {
            for h in self.hierarchies() {
                props.extend([parent_column(h), previous_column(h), order_column(h)]);
            }
        }
        props
    }

    /// Where the members come from.
    pub fn source(&self) -> MemberSource<'t> {
        match (self.dimension.kind, self.members_of) {
            (DimensionKind::Version, _) => MemberSource::Listed(self.model.versions.clone()),
            (DimensionKind::Date, _) => match &self.dimension.date_range {
                Some((from, to)) => MemberSource::Listed(months(from, to).unwrap_or_default()),
                None => MemberSource::FactValues,
            },
            (DimensionKind::Generic | DimensionKind::Account, Some(dim)) => MemberSource::Stored(dim),
            (DimensionKind::Generic | DimensionKind::Account, None) => MemberSource::FactValues,
        }
    }

    /// The row of a member: `member` holds its attributes as stored (the
    /// key under the dimension's key attribute), or only `ID` for versions,
    /// months and fact values.
    pub fn row(&self, member: &Row) -> Row {
        let key = self.members_of.map(Dimension::key_attribute).unwrap_or(ID);
        let id = member.get(key).or_else(|| member.get(ID)).cloned().unwrap_or_default();
        let mut row = Row::new();
        for p in self.properties() {
            let value = match p.as_str() {
                ID => Some(id.clone()),
                DESCRIPTION => Some(member.get(DESCRIPTION).cloned().unwrap_or_else(|| self.default_text(&id))),
                MASTER_VERSION if self.dimension.kind == DimensionKind::Version => Some(version_category(&id).into()),
                MASTER_DATE if self.dimension.kind == DimensionKind::Date => Some(id.clone()),
                _ => match self.hierarchies().iter().find(|h| parent_column(h) == p) {
                    // A member at the top carries no parent column at all.
                    Some(h) => member.get(h.as_str()).filter(|v| !v.is_empty()).cloned(),
                    None => Some(member.get(&p).cloned().unwrap_or_default()),
                },
            };
            if let Some(value) = value {
                row.insert(p, value);
            }
        }
        row
    }

    /// The text of a member that has no `Description` attribute: a
    /// version's name, a month as `Jan 2026`, else empty.
    fn default_text(&self, id: &str) -> String {
        match self.dimension.kind {
            DimensionKind::Version => id.strip_prefix("public.").unwrap_or(id).to_string(),
            DimensionKind::Date => month_text(id).unwrap_or_default(),
            _ => String::new(),
        }
    }
}

/// Why the parent-child hierarchies of a dimension's members cannot be
/// used: a parent that is no member, or a member that is its own ancestor.
pub(super) fn hierarchy_problem(d: &Dimension) -> Option<String> {
    let key = d.key_attribute();
    let parents = |h: &str| -> std::collections::HashMap<&str, &str> {
        d.members
            .iter()
            .filter_map(|m| Some((m.get(key)?.as_str(), m.get(h).map(String::as_str).filter(|p| !p.is_empty())?)))
            .collect()
    };
    for h in &d.hierarchies {
        let parent_of = parents(h);
        for (member, parent) in &parent_of {
            if !d.members.iter().any(|m| m.get(key).map(String::as_str) == Some(*parent)) {
                return Some(format!(
                    "dimension {}: member {member} has parent {parent} in hierarchy {h}, which is not a member",
                    d.id
                ));
            }
            let mut at = *parent;
            for _ in 0..=parent_of.len() {
                if at == *member {
                    return Some(format!("dimension {}: member {member} is its own ancestor in hierarchy {h}", d.id));
                }
                match parent_of.get(at) {
                    Some(next) => at = next,
                    None => break,
                }
            }
        }
    }
    None
}

/// The category of a version (`public.Actual` -> `Actual`); versions other
/// than SAC's fixed categories are planning versions.
fn version_category(id: &str) -> &'static str {
    match id.strip_prefix("public.").unwrap_or(id) {
        "Actual" => "Actual",
        "Budget" => "Budget",
        "Forecast" => "Forecast",
        "RollingForecast" | "Rolling Forecast" => "Rolling Forecast",
        _ => "Planning",
    }
}

fn month_text(id: &str) -> Option<String> {
    const NAMES: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let (year, month) = parse_month(id)?;
    Some(format!("{} {year}", NAMES[month as usize - 1]))
}

fn parse_month(id: &str) -> Option<(u32, u32)> {
    if id.len() != 6 || !id.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let (year, month) = (id[..4].parse().ok()?, id[4..].parse().ok()?);
    ((1900..=2100).contains(&year) && (1..=12).contains(&month)).then_some((year, month))
}

/// The months `from..=to` as `YYYYMM`, or `None` when either is no month
/// or `from` comes after `to`.
pub(super) fn months(from: &str, to: &str) -> Option<Vec<String>> {
    let (mut y, mut m) = parse_month(from)?;
    let end = parse_month(to)?;
    if (y, m) > end {
        return None;
    }
    let mut out = Vec::new();
    while (y, m) <= end {
        out.push(format!("{y}{m:02}"));
        (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(pairs: &[(&str, &str)]) -> Row {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn demo_sets_and_properties() {
        let t = Tenant::demo();
        let sales = t.model("SALES_PLAN").unwrap();
        let sets = t.entity_sets(sales);
        assert_eq!(&sets[..4], ["FactData", "MasterData", "FactDataAggregation", "AuditData"]);
        assert!(sets.contains(&"PartMaster".to_string()));
        let opex = t.model("OPEX_PLAN").unwrap();
        let sets = t.entity_sets(opex);
        assert!(!sets.contains(&"AuditData".to_string()), "auditing is off");
        assert!(sets.contains(&"CostCenterMasterWithHierarchy".to_string()));
        assert!(t.master_set(sales, "PartMasterWithHierarchy").is_none(), "no hierarchy");
        assert!(t.master_set(sales, "Nope").is_none());

        let version = t.master_set(sales, "VersionMaster").unwrap();
        assert_eq!(version.properties(), ["ID", "Description", "VERSION"]);
        assert_eq!(
            version.row(&row(&[("ID", "public.Actual")])),
            row(&[("ID", "public.Actual"), ("Description", "Actual"), ("VERSION", "Actual")])
        );
        assert_eq!(version.source(), MemberSource::Listed(sales.versions.clone()));

        let date = t.master_set(sales, "DateMaster").unwrap();
        assert_eq!(date.row(&row(&[("ID", "202602")]))["DATE"], "202602");
        assert_eq!(date.row(&row(&[("ID", "202602")]))["Description"], "Feb 2026");
        let MemberSource::Listed(months) = date.source() else { panic!("a date range lists its months") };
        assert_eq!(months.len(), 12);

        let part = t.master_set(sales, "PartMaster").unwrap();
        assert_eq!(part.properties(), ["ID", "Description", "Country"]);
        // A member without a description has an empty one.
        assert_eq!(part.row(&row(&[("ID", "P0001"), ("Country", "DE")]))["Description"], "");

        let account = t.master_set(opex, "AccountMaster").unwrap();
        assert!(account.properties().contains(&"accType".to_string()));
        let cc = t.master_set(opex, "CostCenterMasterWithHierarchy").unwrap();
        assert_eq!(cc.properties(), ["ID", "Description", "H1_PARENTID", "H1_PREVID", "H1_ORDERID"]);
        let top = cc.row(&row(&[("ID", "CC_ALL"), ("Description", "All"), ("H1", "")]));
        assert!(!top.contains_key("H1_PARENTID"), "a member at the top has no parent column");
        let leaf = cc.row(&row(&[("ID", "CC100"), ("H1", "CC_ALL")]));
        assert_eq!(leaf["H1_PARENTID"], "CC_ALL");
        let flat = t.master_set(opex, "CostCenterMaster").unwrap();
        assert_eq!(flat.properties(), ["ID", "Description"], "plain Master has no parent");
    }

    #[test]
    fn broken_hierarchies_are_refused() {
        let mut t = Tenant::demo();
        let cc = t.dimensions.iter_mut().find(|d| d.id == "CostCenter").unwrap();
        cc.members[0].insert("H1".into(), "CC100".into()); // CC_ALL under its own grandchild
        let err = t.validate().unwrap_err().to_string();
        assert!(err.contains("its own ancestor"), "{err}");
        let mut t = Tenant::demo();
        let cc = t.dimensions.iter_mut().find(|d| d.id == "CostCenter").unwrap();
        cc.members[1].insert("H1".into(), "NOPE".into());
        let err = t.validate().unwrap_err().to_string();
        assert!(err.contains("parent NOPE"), "{err}");
    }

    #[test]
    fn month_ranges() {
        assert_eq!(months("202511", "202602").unwrap(), ["202511", "202512", "202601", "202602"]);
        assert!(months("202602", "202601").is_none());
        assert!(months("202613", "202614").is_none());
    }
}
