//! Conversion tables as plain data: a tenant's currency tables
//! ([`CurrencyTableDef`]) and SAP's standard unit conversion tables, which
//! every tenant has (`sac_unit_conversion`, guide page `03cfa63a`): a small
//! set of units in six groups, with English and German texts.

use serde::{Deserialize, Serialize};

use super::Row;

/// The demo tenant's currency table (rates of the planning models).
pub const DEMO_CURRENCY_TABLE: &str = "CPL_CURRENCY_RATES";

/// A currency conversion table: its id (without `t.X:`), description and
/// rates, each a row of `category`, `rateType`, `rateVersion`, `fromCurr`,
/// `toCurr`, `validFrom` (`YYYY-MM-DD`) and `rateValue`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CurrencyTableDef {
    pub id: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub rates: Vec<Row>,
}

/// The columns of a currency table's rate; the store checks the values
/// again when it writes them.
const RATE_COLUMNS: [&str; 7] = ["category", "rateType", "rateVersion", "fromCurr", "toCurr", "validFrom", "rateValue"];

/// Why a tenant's currency tables cannot be loaded: an id that is empty,
/// not plain (letters, digits, `_`) or given twice, or a rate with an
/// unknown column, a date that is not `YYYY-MM-DD`/`YYYYMMDD` or a value
/// that is not a finite number.
pub(super) fn currency_tables_problem(tables: &[CurrencyTableDef]) -> Option<String> {
    for (i, t) in tables.iter().enumerate() {
        if t.id.is_empty() || !t.id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Some(format!("currency table id {:?} must be letters, digits and _", t.id));
        }
        if tables[..i].iter().any(|o| o.id == t.id) {
            return Some(format!("currency table {} is given twice", t.id));
        }
        for (n, rate) in t.rates.iter().enumerate() {
            let at = format!("currency table {} rate {}", t.id, n + 1);
            if let Some(c) = rate.keys().find(|c| !RATE_COLUMNS.contains(&c.as_str())) {
                return Some(format!("{at}: unknown column {c} (known: {})", RATE_COLUMNS.join(", ")));
            }
            let date = rate.get("validFrom").map(String::as_str).unwrap_or("");
            let digits: String = date.chars().filter(|c| *c != '-').collect();
            if digits.len() != 8 || !digits.chars().all(|c| c.is_ascii_digit()) {
                return Some(format!("{at}: validFrom {date:?} is not a date (YYYY-MM-DD)"));
            }
            let value = rate.get("rateValue").map(String::as_str).unwrap_or("");
            if !value.trim().parse::<f64>().is_ok_and(f64::is_finite) {
                return Some(format!("{at}: rateValue {value:?} is not a number"));
            }
        }
    }
    None
}

fn row(pairs: &[(&str, &str)]) -> Row {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// The demo tenant's currency table: actual and plan rates into USD.
pub fn demo_currency_table() -> CurrencyTableDef {
    let rate = |category: &str, rate_version: &str, from: &str, valid: &str, value: &str| {
        row(&[
            ("category", category),
            ("rateType", "Average"),
            ("rateVersion", rate_version),
            ("fromCurr", from),
            ("toCurr", "USD"),
            ("validFrom", valid),
            ("rateValue", value),
        ])
    };
    CurrencyTableDef {
        id: DEMO_CURRENCY_TABLE.into(),
        description: "Corporate planning currency rates".into(),
        rates: vec![
            rate("Actuals", "", "EUR", "2026-01-01", "1.085"),
            rate("Actuals", "", "EUR", "2026-02-01", "1.0795"),
            rate("Actuals", "", "GBP", "2026-01-01", "1.268"),
            rate("Actuals", "", "CHF", "2026-01-01", "1.1275"),
            rate("Actuals", "", "ZAR", "2026-01-01", "0.0535"),
            rate("Planning", "public.Plan", "EUR", "2026-01-01", "1.1"),
            rate("Planning", "public.Plan", "GBP", "2026-01-01", "1.25"),
        ],
    }
}

/// Unit groups: id, base unit, exponents of length, mass, time and
/// temperature, English and German names.
const GROUPS: [(&str, &str, [&str; 4], &str, &str); 6] = [
    ("AAAADL", "PC", ["0", "0", "0", "0"], "No dimensions", "dimensionslos"),
    ("MASS", "KG", ["0", "1", "0", "0"], "Mass", "Masse"),
    ("LENGTH", "M", ["1", "0", "0", "0"], "Length", "Länge"),
    ("VOLUME", "M3", ["3", "0", "0", "0"], "Volume", "Volumen"),
    ("TIME", "S", ["0", "0", "1", "0"], "Time", "Zeit"),
    ("TEMP", "K", ["0", "0", "0", "1"], "Temperature", "Temperatur"),
];

/// Units: id, group, numerator, denominator, base-ten exponent, additive
/// constant, ISO code, English short and long text, German long text.
type Unit = (&'static str, &'static str, &'static str, &'static str, &'static str, &'static str, &'static str);
const UNITS: [(Unit, &str, &str, &str); 15] = [
    (("PC", "AAAADL", "1", "1", "0", "0", "PCE"), "pc", "Piece", "Stück"),
    (("BAG", "AAAADL", "1", "1", "0", "0", "BG"), "Bag", "Bag", "Tüte"),
    (("KG", "MASS", "1", "1", "0", "0", "KGM"), "kg", "Kilogram", "Kilogramm"),
    (("G", "MASS", "1", "1", "-3", "0", "GRM"), "g", "Gram", "Gramm"),
    (("TO", "MASS", "1", "1", "3", "0", "TNE"), "t", "Tonne", "Tonne"),
    (("M", "LENGTH", "1", "1", "0", "0", "MTR"), "m", "Meter", "Meter"),
    (("KM", "LENGTH", "1", "1", "3", "0", "KMT"), "km", "Kilometer", "Kilometer"),
    (("CM", "LENGTH", "1", "1", "-2", "0", "CMT"), "cm", "Centimeter", "Zentimeter"),
    (("M3", "VOLUME", "1", "1", "0", "0", "MTQ"), "m3", "Cubic meter", "Kubikmeter"),
    (("L", "VOLUME", "1", "1", "-3", "0", "LTR"), "l", "Liter", "Liter"),
    (("S", "TIME", "1", "1", "0", "0", "SEC"), "s", "Second", "Sekunde"),
    (("MIN", "TIME", "60", "1", "0", "0", "MIN"), "min", "Minute", "Minute"),
    (("H", "TIME", "3600", "1", "0", "0", "HUR"), "h", "Hour", "Stunde"),
    (("K", "TEMP", "1", "1", "0", "0", "KEL"), "K", "Kelvin", "Kelvin"),
    (("C", "TEMP", "1", "1", "0", "273.15", "CEL"), "°C", "Degree Celsius", "Grad Celsius"),
];

/// Languages of the texts: SAP's one-letter key and SAC's code.
const LANGUAGES: [(&str, &str); 2] = [("E", "en"), ("D", "de")];

/// SAP's standard unit tables as rows: `(table id, rows)` for `T006`,
/// `T006A`, `T006D` and `T006T`.
pub fn standard_unit_tables() -> [(&'static str, Vec<Row>); 4] {
    let t006 = UNITS
        .iter()
        .map(|((id, group, num, den, exp, add, iso), ..)| {
            let mut r = row(&[
                ("MANDT", "000"),
                ("MSEHI", id),
                ("ANDEC", "0"),
                ("DIMID", group),
                ("ZAEHL", num),
                ("NENNR", den),
                ("EXP10", exp),
                ("ADDKO", add),
                ("EXPON", "0"),
                ("DECAN", "0"),
                ("ISOCODE", iso),
                ("PRIMARY", "X"),
                ("TEMP_VALUE", "0"),
                ("PRESS_VAL", "0"),
            ]);
            if GROUPS.iter().any(|g| g.1 == *id) {
                r.insert("KZKEH".into(), "X".into());
            }
            r
        })
        .collect();
    let mut t006a = Vec::new();
    for ((id, ..), short, english, german) in &UNITS {
        for (spras, language) in LANGUAGES {
            let long = if language == "en" { english } else { german };
            let short = if language == "en" { short } else { id };
            let mseh3: String = id.chars().take(3).collect();
            t006a.push(row(&[
                ("MANDT", "000"),
                ("SPRAS", spras),
                ("LANGUAGE", language),
                ("MSEHI", id),
                ("MSEH3", &mseh3),
                ("MSEH6", short),
                ("MSEHT", short),
                ("MSEHL", long),
            ]));
        }
    }
    let t006d = GROUPS
        .iter()
        .map(|(id, base, [leng, mass, time, temp], ..)| {
            row(&[
                ("MANDT", "000"),
                ("DIMID", id),
                ("LENG", leng),
                ("MASS", mass),
                ("TIMEX", time),
                ("ECURR", "0"),
                ("TEMP", temp),
                ("MOLQU", "0"),
                ("LIGHT", "0"),
                ("MSSIE", base),
            ])
        })
        .collect();
    let mut t006t = Vec::new();
    for (id, _, _, english, german) in &GROUPS {
        for (spras, language) in LANGUAGES {
            let text = if language == "en" { english } else { german };
            t006t.push(row(&[
                ("MANDT", "000"),
                ("SPRAS", spras),
                ("LANGUAGE", language),
                ("DIMID", id),
                ("TXDIM", text),
            ]));
        }
    }
    [("T006", t006), ("T006A", t006a), ("T006D", t006d), ("T006T", t006t)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currency_tables_are_checked() {
        assert_eq!(currency_tables_problem(&[demo_currency_table()]), None);
        let mut twice = vec![demo_currency_table(), demo_currency_table()];
        assert!(currency_tables_problem(&twice).unwrap().contains("twice"));
        twice.pop();
        twice[0].rates[0].insert("rateValue".into(), "lots".into());
        assert!(currency_tables_problem(&twice).unwrap().contains("rate 1: rateValue"));
        twice[0].rates[0].insert("validFrom".into(), "1.1.2026".into());
        assert!(currency_tables_problem(&twice).unwrap().contains("validFrom"));
        let odd = CurrencyTableDef { id: "t.G:X".into(), description: String::new(), rates: vec![] };
        assert!(currency_tables_problem(&[odd]).unwrap().contains("letters, digits"));
    }
}
