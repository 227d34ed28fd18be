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

/// A case function around a text column in a comparison (`tolower`,
/// `toupper`, page `607f77a6`). Both meanings change the case of ASCII
/// letters only: SQLite's `lower`/`upper` do, and memory does the same so
/// that they agree (**assumption**: SAC's rule for other letters is not
/// documented).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Case {
    Lower,
    Upper,
}

impl Case {
    fn apply(self, text: &str) -> String {
        match self {
            Case::Lower => text.to_ascii_lowercase(),
            Case::Upper => text.to_ascii_uppercase(),
        }
    }

    fn sql(self) -> &'static str {
        match self {
            Case::Lower => "lower",
            Case::Upper => "upper",
        }
    }
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
    Compare {
        column: String,
        op: Op,
        value: Literal,
    },
    Text {
        function: TextFn,
        column: String,
        value: String,
    },
    /// `tolower(column) op 'value'` or `toupper(…)`.
    Cased {
        case: Case,
        column: String,
        op: Op,
        value: String,
    },
}

/// `c op v` as two-valued SQL.
fn compare_sql(c: &str, op: Op, v: &str) -> String {
    match op {
        Op::Eq => format!("({c} IS {v})"),
        Op::Ne => format!("({c} IS NOT {v})"),
        Op::Gt => format!("(({c} > {v}) IS TRUE)"),
        Op::Ge => format!("(({c} >= {v}) IS TRUE)"),
        Op::Lt => format!("(({c} < {v}) IS TRUE)"),
        Op::Le => format!("(({c} <= {v}) IS TRUE)"),
    }
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
                compare_sql(&c, *op, &v)
            }
            Filter::Cased { case, column, op, value } => {
                let c = format!("{}({})", case.sql(), quote(column));
                let v = bind(params, SqlValue::Text(value.clone()));
                compare_sql(&c, *op, &v)
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
            Filter::Compare { column, .. } | Filter::Text { column, .. } | Filter::Cased { column, .. } => {
                vec![column]
            }
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
            Filter::Cased { case, column, op, value } => {
                let ordering = match cell(column) {
                    Some(Cell::Text(t)) => Some(case.apply(t).as_str().cmp(value.as_str())),
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
