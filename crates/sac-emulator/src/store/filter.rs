//! A row filter as a tree (what an OData `$filter` says once parsed), its
//! rendering to SQL over a fact table, and its evaluation on a row in
//! memory. Both meanings must agree on every row; a property test holds
//! them to that.
//!
//! Comparisons are two-valued, as OData defines them: an absent measure
//! (NULL) is neither greater nor smaller than anything, equals nothing and
//! differs from everything, so `not` over it never yields SQL's unknown
//! (which would silently drop the row).

use rusqlite::types::Value as SqlValue;

use super::sql::quote;

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

/// A text function on a dimension column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextFn {
    Contains,
    StartsWith,
    EndsWith,
}

/// A literal: text compares with dimension columns, numbers with measures.
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    Text(String),
    Number(f64),
}

/// A filter over the columns of one table, checked against it when built.
#[derive(Clone, Debug, PartialEq)]
pub enum Filter {
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    Compare { column: String, op: Op, value: Literal },
    Text { function: TextFn, column: String, value: String },
}

/// Pushes a value to bind and names its parameter.
fn bind(params: &mut Vec<SqlValue>, value: SqlValue) -> String {
    params.push(value);
    format!("?{}", params.len())
}

/// One cell of a row, as the filter sees it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Cell<'r> {
    Text(&'r str),
    Number(Option<f64>),
}

impl Filter {
    /// The condition as SQL; every literal is pushed onto `params` and
    /// referenced by its number (`?N`), never pasted.
    pub fn to_sql(&self, params: &mut Vec<SqlValue>) -> String {
        match self {
            Filter::And(a, b) => format!("({} AND {})", a.to_sql(params), b.to_sql(params)),
            Filter::Or(a, b) => format!("({} OR {})", a.to_sql(params), b.to_sql(params)),
            Filter::Not(a) => format!("(NOT {})", a.to_sql(params)),
            Filter::Compare { column, op, value } => {
                let c = quote(column);
                let v = bind(
                    params,
                    match value {
                        Literal::Text(t) => SqlValue::Text(t.clone()),
                        Literal::Number(n) => SqlValue::Real(*n),
                    },
                );
                match op {
                    Op::Eq => format!("({c} IS {v})"),
                    Op::Ne => format!("({c} IS NOT {v})"),
                    Op::Gt => format!("(({c} > {v}) IS TRUE)"),
                    Op::Ge => format!("(({c} >= {v}) IS TRUE)"),
                    Op::Lt => format!("(({c} < {v}) IS TRUE)"),
                    Op::Le => format!("(({c} <= {v}) IS TRUE)"),
                }
            }
            Filter::Text { function, column, value } => {
                let c = quote(column);
                let v = bind(params, SqlValue::Text(value.clone()));
                // instr, not LIKE: LIKE ignores case and gives `%` and `_` a meaning.
                match function {
                    TextFn::Contains => format!("(instr({c}, {v}) > 0)"),
                    TextFn::StartsWith => format!("(instr({c}, {v}) = 1)"),
                    TextFn::EndsWith => {
                        format!("(length({c}) >= length({v}) AND substr({c}, length({c}) - length({v}) + 1) = {v})")
                    }
                }
            }
        }
    }

    /// The columns the filter names.
    pub fn columns(&self) -> Vec<&str> {
        match self {
            Filter::And(a, b) | Filter::Or(a, b) => a.columns().into_iter().chain(b.columns()).collect(),
            Filter::Not(a) => a.columns(),
            Filter::Compare { column, .. } | Filter::Text { column, .. } => vec![column],
        }
    }

    /// Whether a row passes, given its cells by column name.
    pub fn matches<'r>(&self, cell: &impl Fn(&str) -> Option<Cell<'r>>) -> bool {
        match self {
            Filter::And(a, b) => a.matches(cell) && b.matches(cell),
            Filter::Or(a, b) => a.matches(cell) || b.matches(cell),
            Filter::Not(a) => !a.matches(cell),
            Filter::Compare { column, op, value } => {
                let ordering = match (cell(column), value) {
                    (Some(Cell::Text(t)), Literal::Text(v)) => Some(t.cmp(v.as_str())),
                    (Some(Cell::Number(Some(n))), Literal::Number(v)) => n.partial_cmp(v),
                    _ => None,
                };
                match (op, ordering) {
                    (Op::Ne, o) => o != Some(std::cmp::Ordering::Equal),
                    (_, None) => false,
                    (Op::Eq, Some(o)) => o.is_eq(),
                    (Op::Gt, Some(o)) => o.is_gt(),
                    (Op::Ge, Some(o)) => o.is_ge(),
                    (Op::Lt, Some(o)) => o.is_lt(),
                    (Op::Le, Some(o)) => o.is_le(),
                }
            }
            Filter::Text { function, column, value } => match cell(column) {
                Some(Cell::Text(t)) => match function {
                    TextFn::Contains => t.contains(value.as_str()),
                    TextFn::StartsWith => t.starts_with(value.as_str()),
                    TextFn::EndsWith => t.ends_with(value.as_str()),
                },
                _ => false,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    //! The SQL rendering and the in-memory evaluation must select the same
    //! rows: a filter that silently drops rows in one of them fails here.

    use proptest::prelude::*;

    use super::*;
    use crate::store::facts::{FactRow, FactTable, WriteMode};
    use crate::store::{FactQuery, Store};

    fn table() -> FactTable {
        FactTable { model: "P".into(), dimensions: vec!["D1".into(), "D2".into()], measures: vec!["M".into()] }
    }

    /// Few distinct strings, so that comparisons often hit equal values;
    /// quotes, `%`, `_`, case and non-ASCII to catch LIKE and escaping.
    fn text() -> impl Strategy<Value = String> {
        prop::sample::select(vec!["", "a", "A", "ab", "ba", "aba", "b'a", "%", "_a", "é", "aé", "ß", "10", "9"])
            .prop_map(str::to_string)
    }

    fn measure() -> impl Strategy<Value = Option<f64>> {
        prop_oneof![Just(None), prop::sample::select(vec![-1.5, 0.0, 1.0, 2.5, 10.0]).prop_map(Some)]
    }

    fn leaf() -> impl Strategy<Value = Filter> {
        let op = prop::sample::select(vec![Op::Eq, Op::Ne, Op::Gt, Op::Ge, Op::Lt, Op::Le]);
        let dim = prop::sample::select(vec!["D1", "D2"]).prop_map(str::to_string);
        let function = prop::sample::select(vec![TextFn::Contains, TextFn::StartsWith, TextFn::EndsWith]);
        prop_oneof![
            (dim.clone(), op.clone(), text()).prop_map(|(column, op, v)| Filter::Compare {
                column,
                op,
                value: Literal::Text(v)
            }),
            (op, prop::sample::select(vec![-1.5, 0.0, 1.0, 2.0, 10.0])).prop_map(|(op, n)| Filter::Compare {
                column: "M".into(),
                op,
                value: Literal::Number(n)
            }),
            (function, dim, text()).prop_map(|(function, column, value)| Filter::Text { function, column, value }),
        ]
    }

    fn filter() -> impl Strategy<Value = Filter> {
        leaf().prop_recursive(4, 24, 2, |inner| {
            prop_oneof![
                (inner.clone(), inner.clone()).prop_map(|(a, b)| Filter::And(Box::new(a), Box::new(b))),
                (inner.clone(), inner.clone()).prop_map(|(a, b)| Filter::Or(Box::new(a), Box::new(b))),
                inner.prop_map(|a| Filter::Not(Box::new(a))),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]
        #[test]
        fn sql_and_memory_select_the_same_rows(
            rows in prop::collection::vec((text(), text(), measure()), 0..20),
            filter in filter(),
        ) {
            let t = table();
            let store = Store::open(None).unwrap();
            store.write(|w| {
                w.create_fact_table(&t)?;
                let mut writer = w.fact_writer(&t, WriteMode::Update)?;
                for (a, b, m) in &rows {
                    writer.write(&[a, b], &[*m])?;
                }
                Ok(())
            }).unwrap();
            let all = store.read(|r| r.facts(&t, &FactQuery { limit: 100, ..Default::default() })).unwrap();
            let expected: Vec<FactRow> = all.iter().filter(|r| filter.matches(&|c| r.cell(&t, c))).cloned().collect();
            let query = FactQuery { filter: Some(&filter), limit: 100, ..Default::default() };
            let got = store.read(|r| r.facts(&t, &query)).unwrap();
            prop_assert_eq!(got, expected);
        }
    }
}
