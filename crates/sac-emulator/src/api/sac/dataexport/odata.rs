//! OData v4 query options of the Data Export API as SAC accepts them:
//! `$filter` parsed into a [`Filter`] checked against the entity's columns,
//! and `$orderby` into (column, descending?) pairs.
//!
//! Hand-written on purpose: the maintained crate for this (`odata-params`
//! 0.4) parses `a and b or c` as `a and (b or c)` and `not a and b` as
//! `not (a and b)` (no operator precedence), reads `''` inside a string as
//! the end of it (OData's escape for a quote) and refuses one-letter names:
//! each would change which rows a filter selects. The grammar SAC needs is
//! small: `or` < `and` < `not` < comparisons, `eq ne gt ge lt le`,
//! `contains startswith endswith`, parentheses, strings and numbers.

use axum::http::StatusCode;

use super::query::Options;
use crate::api::error::ApiError;
use crate::store::filter::{Case, Filter, Literal, Op, TextFn};

/// How deep parentheses and `not` may nest in one `$filter`. The parser,
/// the SQL it renders and the evaluation in memory all recurse once per
/// level, so without a bound one URL could overflow the stack and abort
/// the whole emulator. SAC documents no limit (page dbf30343 lists no code
/// for it): this one is an **assumption**, far beyond what a person writes.
pub const MAX_FILTER_DEPTH: usize = 64;

/// How many conditions (comparisons and functions) one `$filter` may hold.
/// An `and`/`or` chain renders as nested SQL, and SQLite refuses an
/// expression deeper than 1,000; 200 keeps well inside that (**assumption**,
/// as above).
pub const MAX_FILTER_CONDITIONS: usize = 200;

/// The columns a query may name: dimensions (text) and measures (numbers).
pub struct Columns<'a> {
    pub dimensions: &'a [String],
    pub measures: &'a [String],
}

impl Columns<'_> {
    fn is_dimension(&self, name: &str) -> bool {
        self.dimensions.iter().any(|d| d == name)
    }

    fn is_measure(&self, name: &str) -> bool {
        self.measures.iter().any(|m| m == name)
    }

    fn check(&self, name: &str, option: &str) -> Result<(), String> {
        if self.is_dimension(name) || self.is_measure(name) {
            Ok(())
        } else {
            Err(format!("{option} names {name}, which is not a property"))
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Name(String),
    Text(String),
    Number(f64),
    Open,
    Close,
    Comma,
}

fn tokens(text: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' | ')' | ',' => {
                chars.next();
                out.push(match c {
                    '(' => Token::Open,
                    ')' => Token::Close,
                    _ => Token::Comma,
                });
            }
            '\'' => {
                chars.next();
                let mut value = String::new();
                loop {
                    match chars.next() {
                        Some((_, '\'')) if chars.peek().is_some_and(|&(_, c)| c == '\'') => {
                            chars.next();
                            value.push('\'');
                        }
                        Some((_, '\'')) => break,
                        Some((_, c)) => value.push(c),
                        None => return Err(format!("$filter has a string without its closing quote at {start}")),
                    }
                }
                out.push(Token::Text(value));
            }
            c if c.is_ascii_digit() || c == '-' || c == '+' => {
                let mut end = start;
                while let Some(&(i, c)) = chars.peek() {
                    if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+') {
                        end = i + c.len_utf8();
                        chars.next();
                    } else {
                        break;
                    }
                }
                let word = &text[start..end];
                match word.parse::<f64>() {
                    Ok(n) if n.is_finite() => out.push(Token::Number(n)),
                    _ => return Err(format!("$filter has {word:?}, which is not a number")),
                }
            }
            c if c.is_alphabetic() || c == '_' => {
                let mut end = start;
                while let Some(&(i, c)) = chars.peek() {
                    if c.is_alphanumeric() || matches!(c, '_' | '.') {
                        end = i + c.len_utf8();
                        chars.next();
                    } else {
                        break;
                    }
                }
                out.push(Token::Name(text[start..end].to_string()));
            }
            other => return Err(format!("$filter has an unexpected character {other:?} at {start}")),
        }
    }
    Ok(out)
}

struct Parser<'a> {
    tokens: Vec<Token>,
    at: usize,
    columns: &'a Columns<'a>,
    /// Parentheses and `not` open around the token at `at`.
    depth: usize,
    conditions: usize,
}

/// Parses `$filter` and checks every column it names and the type of
/// every literal against `columns`.
pub fn parse_filter(text: &str, columns: &Columns<'_>) -> Result<Filter, String> {
    let mut p = Parser { tokens: tokens(text)?, at: 0, columns, depth: 0, conditions: 0 };
    let filter = p.or()?;
    match p.tokens.get(p.at) {
        None => Ok(filter),
        Some(t) => Err(format!("$filter continues unexpectedly at {}", describe(t))),
    }
}

fn describe(token: &Token) -> String {
    match token {
        Token::Name(n) => n.clone(),
        Token::Text(t) => format!("'{t}'"),
        Token::Number(n) => n.to_string(),
        Token::Open => "(".into(),
        Token::Close => ")".into(),
        Token::Comma => ",".into(),
    }
}

impl Parser<'_> {
    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.at).cloned();
        self.at += 1;
        t
    }

    fn keyword(&mut self, word: &str) -> bool {
        let found = matches!(self.tokens.get(self.at), Some(Token::Name(n)) if n == word);
        if found {
            self.at += 1;
        }
        found
    }

    fn expect(&mut self, want: Token, what: &str) -> Result<(), String> {
        match self.next() {
            Some(t) if t == want => Ok(()),
            Some(t) => Err(format!("$filter expects {what} where it has {}", describe(&t))),
            None => Err(format!("$filter ends where it expects {what}")),
        }
    }

    fn or(&mut self) -> Result<Filter, String> {
        let mut left = self.and()?;
        while self.keyword("or") {
            left = Filter::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Filter, String> {
        let mut left = self.unary()?;
        while self.keyword("and") {
            left = Filter::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    /// One more level of parentheses or `not`, refused past the bound.
    fn deeper(&mut self) -> Result<(), String> {
        self.depth += 1;
        if self.depth > MAX_FILTER_DEPTH {
            return Err(format!(
                "$filter nests parentheses and not deeper than {MAX_FILTER_DEPTH} levels: write it flatter"
            ));
        }
        Ok(())
    }

    /// One more condition, refused past the bound.
    fn condition(&mut self) -> Result<(), String> {
        self.conditions += 1;
        if self.conditions > MAX_FILTER_CONDITIONS {
            return Err(format!(
                "$filter has more than {MAX_FILTER_CONDITIONS} conditions: split the export into several requests"
            ));
        }
        Ok(())
    }

    fn unary(&mut self) -> Result<Filter, String> {
        if self.keyword("not") {
            self.deeper()?;
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(Filter::Not(Box::new(inner)));
        }
        match self.next() {
            Some(Token::Open) => {
                self.deeper()?;
                let inner = self.or()?;
                self.expect(Token::Close, "a closing parenthesis")?;
                self.depth -= 1;
                Ok(inner)
            }
            Some(Token::Name(name)) if matches!(self.tokens.get(self.at), Some(Token::Open)) => {
                self.condition()?;
                self.function(&name)
            }
            Some(Token::Name(column)) => {
                self.condition()?;
                self.comparison(column)
            }
            Some(t) => Err(format!("$filter expects a property, a function or ( where it has {}", describe(&t))),
            None => Err("$filter ends where it expects a condition".into()),
        }
    }

    fn function(&mut self, name: &str) -> Result<Filter, String> {
        let function = match name {
            "contains" => TextFn::Contains,
            "startswith" => TextFn::StartsWith,
            "endswith" => TextFn::EndsWith,
            "tolower" => return self.cased(Case::Lower, name),
            "toupper" => return self.cased(Case::Upper, name),
            other => {
                return Err(format!(
                    "$filter function {other} is not supported (contains, startswith, endswith, tolower, toupper)"
                ))
            }
        };
        self.expect(Token::Open, "(")?;
        let column = match self.next() {
            Some(Token::Name(c)) => c,
            _ => return Err(format!("{name} takes a property first, then a string")),
        };
        self.columns.check(&column, "$filter")?;
        if !self.columns.is_dimension(&column) {
            return Err(format!("{name} applies to dimension properties; {column} is a measure"));
        }
        self.expect(Token::Comma, ",")?;
        let value = match self.next() {
            Some(Token::Text(v)) => v,
            _ => return Err(format!("{name} takes a string in quotes as its second argument")),
        };
        self.expect(Token::Close, "a closing parenthesis")?;
        Ok(Filter::Text { function, column, value })
    }

    /// `tolower(Column) op 'text'` / `toupper(…)` (page `607f77a6`): a
    /// dimension column, compared with a string.
    fn cased(&mut self, case: Case, name: &str) -> Result<Filter, String> {
        self.expect(Token::Open, "(")?;
        let column = match self.next() {
            Some(Token::Name(c)) => c,
            _ => return Err(format!("{name} takes a property, e.g. {name}(Description) eq 'name'")),
        };
        self.columns.check(&column, "$filter")?;
        if !self.columns.is_dimension(&column) {
            return Err(format!("{name} applies to text properties; {column} is a number"));
        }
        self.expect(Token::Close, "a closing parenthesis")?;
        let op = self.operator(&format!("{name}({column})"))?;
        match self.next() {
            Some(Token::Text(value)) => Ok(Filter::Cased { case, column, op, value }),
            _ => Err(format!("{name}({column}) compares with a string in quotes")),
        }
    }

    fn operator(&mut self, after: &str) -> Result<Op, String> {
        match self.next() {
            Some(Token::Name(op)) => match op.as_str() {
                "eq" => Ok(Op::Eq),
                "ne" => Ok(Op::Ne),
                "gt" => Ok(Op::Gt),
                "ge" => Ok(Op::Ge),
                "lt" => Ok(Op::Lt),
                "le" => Ok(Op::Le),
                other => Err(format!("$filter operator {other} is not supported (eq ne gt ge lt le)")),
            },
            Some(t) => Err(format!("$filter expects an operator after {after} where it has {}", describe(&t))),
            None => Err(format!("$filter ends after {after} where it expects an operator")),
        }
    }

    fn comparison(&mut self, column: String) -> Result<Filter, String> {
        self.columns.check(&column, "$filter")?;
        let op = self.operator(&column)?;
        let value = match (self.next(), self.columns.is_dimension(&column)) {
            (Some(Token::Text(t)), true) => Literal::Text(t),
            (Some(Token::Number(n)), false) => Literal::Number(n),
            (_, true) => return Err(format!("{column} is a dimension: compare it with a string in quotes")),
            (_, false) => return Err(format!("{column} is a measure: compare it with a number")),
        };
        Ok(Filter::Compare { column, op, value })
    }
}

/// Why `$orderby` was refused: a direction other than `asc`/`desc` (SAC's
/// 1405, page `dbf30343`) or anything else.
#[derive(Debug, PartialEq)]
pub enum OrderError {
    Direction(String),
    Other(String),
}

/// `$orderby=A desc,B` into `[("A", true), ("B", false)]`. A column named
/// twice is refused: the second key could never change the order, and
/// without that rule one URL could ask SQLite for thousands of sort keys.
pub fn parse_orderby(text: &str, columns: &Columns<'_>) -> Result<Vec<(String, bool)>, OrderError> {
    let mut seen: Vec<&str> = Vec::new();
    text.split(',')
        .map(|item| {
            let words: Vec<&str> = item.split_whitespace().collect();
            let (column, desc) = match words.as_slice() {
                [c] | [c, "asc"] => (*c, false),
                [c, "desc"] => (*c, true),
                [c, other] => {
                    return Err(OrderError::Direction(format!(
                        "$orderby asks {c} in the order {other:?}: only 'asc' or 'desc' are valid [1405]"
                    )))
                }
                _ => {
                    return Err(OrderError::Other(format!(
                        "$orderby item {:?} is not of the form Property [asc|desc]",
                        item.trim()
                    )))
                }
            };
            columns.check(column, "$orderby").map_err(OrderError::Other)?;
            if seen.contains(&column) {
                return Err(OrderError::Other(format!("$orderby names {column} twice")));
            }
            seen.push(column);
            Ok((column.to_string(), desc))
        })
        .collect()
}

/// An `$orderby`: columns, each with whether it is descending.
pub type Order = Vec<(String, bool)>;

/// The request's `$filter` and `$orderby`, read against `columns`; SAC's
/// refusal when one cannot be read (1405 for an order direction, else 400).
pub fn filter_and_order(options: &Options, columns: &Columns<'_>) -> Result<(Option<Filter>, Order), ApiError> {
    let filter = options
        .filter
        .as_deref()
        .map(|f| parse_filter(f, columns))
        .transpose()
        .map_err(|e| ApiError::api(StatusCode::BAD_REQUEST, "400", e))?;
    let order = match options.orderby.as_deref().map(|o| parse_orderby(o, columns)).transpose() {
        Ok(order) => order.unwrap_or_default(),
        Err(OrderError::Direction(e)) => return Err(ApiError::api(StatusCode::BAD_REQUEST, "1405", e)),
        Err(OrderError::Other(e)) => return Err(ApiError::api(StatusCode::BAD_REQUEST, "400", e)),
    };
    Ok((filter, order))
}

/// SAC's 1401 for a `$select` that names a column `set` lacks (page `dbf30343`).
pub fn check_select(select: Option<&[String]>, all: &[String], set: &str) -> Result<(), ApiError> {
    match select.into_iter().flatten().find(|c| !all.contains(c)) {
        Some(bad) => Err(ApiError::api(
            StatusCode::BAD_REQUEST,
            "1401",
            format!("$select names {bad}, which is not a property of {set}: see its $metadata [1401]"),
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols() -> (Vec<String>, Vec<String>) {
        (vec!["Version".into(), "Date".into(), "A".into()], vec!["Amount".into()])
    }

    fn parse(text: &str) -> Result<Filter, String> {
        let (d, m) = cols();
        parse_filter(text, &Columns { dimensions: &d, measures: &m })
    }

    fn eq(c: &str, v: &str) -> Filter {
        Filter::Compare { column: c.into(), op: Op::Eq, value: Literal::Text(v.into()) }
    }

    #[test]
    fn precedence_and_parentheses() {
        let (a, b, c) = (eq("A", "a"), eq("A", "b"), eq("A", "c"));
        let and = |x: Filter, y: Filter| Filter::And(Box::new(x), Box::new(y));
        let or = |x: Filter, y: Filter| Filter::Or(Box::new(x), Box::new(y));
        assert_eq!(parse("A eq 'a' and A eq 'b' or A eq 'c'").unwrap(), or(and(a.clone(), b.clone()), c.clone()));
        assert_eq!(parse("A eq 'a' and (A eq 'b' or A eq 'c')").unwrap(), and(a.clone(), or(b.clone(), c.clone())));
        assert_eq!(parse("not A eq 'a' and A eq 'b'").unwrap(), and(Filter::Not(Box::new(a)), b));
        assert_eq!(parse("Version eq 'it''s'").unwrap(), eq("Version", "it's"));
        assert_eq!(
            parse("Amount ge -1.5e2").unwrap(),
            Filter::Compare { column: "Amount".into(), op: Op::Ge, value: Literal::Number(-150.0) }
        );
        assert_eq!(
            parse("toupper(Version) eq 'PUBLIC.ACTUAL'").unwrap(),
            Filter::Cased { case: Case::Upper, column: "Version".into(), op: Op::Eq, value: "PUBLIC.ACTUAL".into() }
        );
        assert!(parse("tolower(Amount) eq 'x'").unwrap_err().contains("is a number"));
        assert!(parse("tolower(Version) eq 5").unwrap_err().contains("string in quotes"));
        assert_eq!(
            parse("endswith(Date, '06')").unwrap(),
            Filter::Text { function: TextFn::EndsWith, column: "Date".into(), value: "06".into() }
        );
    }

    #[test]
    fn refusals_say_what_is_wrong() {
        for (text, says) in [
            ("Nope eq 'x'", "Nope, which is not a property"),
            ("Version eq 5", "compare it with a string"),
            ("Amount gt 'x'", "compare it with a number"),
            ("Version like 'x'", "operator like"),
            ("Version eq 'x", "closing quote"),
            ("(Version eq 'x'", "closing parenthesis"),
            ("contains(Amount, '1')", "is a measure"),
            ("substringof('a', Version)", "substringof is not supported"),
            ("Version eq 'x' Date", "continues unexpectedly"),
            ("Version eq 'x' and", "ends where"),
            ("Amount eq 1x", "not a number"),
        ] {
            let error = parse(text).unwrap_err();
            assert!(error.contains(says), "{text}: {error}");
        }
    }

    #[test]
    fn orderby() {
        let (d, m) = cols();
        let c = Columns { dimensions: &d, measures: &m };
        assert_eq!(
            parse_orderby("Date desc, Amount,Version asc", &c).unwrap(),
            vec![("Date".into(), true), ("Amount".into(), false), ("Version".into(), false)]
        );
        assert!(matches!(parse_orderby("Date down", &c), Err(OrderError::Direction(e)) if e.contains("[1405]")));
        assert!(matches!(parse_orderby("Nope", &c), Err(OrderError::Other(_))));
        assert!(
            matches!(parse_orderby("Date,Amount,Date desc", &c), Err(OrderError::Other(e)) if e.contains("Date twice"))
        );
        let many = vec!["Date"; 2_500].join(",");
        assert!(parse_orderby(&many, &c).is_err());
    }

    /// Nesting and length are bounded before anything recurses deeply: the
    /// inputs that once overflowed the stack are refused with a message.
    #[test]
    fn deep_or_long_filters_are_refused_not_overflowed() {
        let deep = format!("{}Version eq 'x'{}", "(".repeat(3_000), ")".repeat(3_000));
        assert!(parse(&deep).unwrap_err().contains("deeper than"), "parentheses");
        let nots = format!("{}Version eq 'x'", "not ".repeat(1_500));
        assert!(parse(&nots).unwrap_err().contains("deeper than"), "not");
        let ors = vec!["Version eq 'x'"; 1_000].join(" or ");
        assert!(parse(&ors).unwrap_err().contains("more than 200 conditions"), "or chain");
        // Right at the bounds a filter is still accepted.
        let at_depth = format!("{}Version eq 'x'{}", "(".repeat(MAX_FILTER_DEPTH), ")".repeat(MAX_FILTER_DEPTH));
        assert!(parse(&at_depth).is_ok());
        assert!(parse(&vec!["Amount gt 1"; MAX_FILTER_CONDITIONS].join(" and ")).is_ok());
    }
}
