//! `$filter` against the store: the SQL rendering and the in-memory evaluation must select the same
//! rows: a filter that silently drops rows in one of them fails here.

use proptest::prelude::*;

use super::facts::{FactRow, FactTable, WriteMode};
use super::filter::{Case, Filter, Literal, Op, TextFn};
use super::{FactQuery, Store};

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
        (op.clone(), prop::sample::select(vec![-1.5, 0.0, 1.0, 2.0, 10.0])).prop_map(|(op, n)| Filter::Compare {
            column: "M".into(),
            op,
            value: Literal::Number(n)
        }),
        (function, dim.clone(), text()).prop_map(|(function, column, value)| Filter::Text { function, column, value }),
        (prop::sample::select(vec![Case::Lower, Case::Upper]), dim, op, text())
            .prop_map(|(case, column, op, value)| Filter::Cased { case, column, op, value }),
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
