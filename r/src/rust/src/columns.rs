//! A result CSV as R columns. Numbers are parsed by Rust, whose parse is correctly rounded and
//! inverts the shortest representation the engine writes: each value is the engine's double,
//! bit for bit (R's own reader is not always correctly rounded at 17 digits).

use extendr_api::prelude::*;

/// How a column's fields read, decided over all of them.
enum Kind {
    Number,
    Logical,
    Text,
}

/// A field the engine writes for a number: digits, a sign or a point first (so that an arm
/// named "inf" stays text), or NaN / inf as Rust writes them.
fn number(field: &str) -> Option<f64> {
    let first = field.chars().next()?;
    let numeric_start = first.is_ascii_digit() || matches!(first, '-' | '+' | '.');
    match field {
        "NaN" | "inf" | "-inf" => field.parse().ok(),
        _ if numeric_start => field.parse().ok(),
        _ => None,
    }
}

fn kind(fields: &[&str]) -> Kind {
    let filled = || fields.iter().filter(|f| !f.is_empty());
    if filled().all(|f| number(f).is_some()) {
        Kind::Number
    } else if filled().all(|f| matches!(*f, "true" | "false")) {
        Kind::Logical
    } else {
        Kind::Text
    }
}

/// The columns of `text` (a header line, then records), by header name; empty fields are NA
/// in numeric and logical columns.
pub fn csv_columns(text: &str) -> std::result::Result<List, String> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| e.to_string())?
        .iter()
        .map(str::to_string)
        .collect();
    let records: Vec<csv::StringRecord> = reader
        .records()
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| e.to_string())?;
    let values: Vec<Robj> = (0..header.len())
        .map(|c| {
            let fields: Vec<&str> = records.iter().map(|r| r.get(c).unwrap_or("")).collect();
            match kind(&fields) {
                Kind::Number => Robj::from(fields.iter().map(|f| number(f)).collect::<Vec<_>>()),
                Kind::Logical => Robj::from(
                    fields
                        .iter()
                        .map(|f| (!f.is_empty()).then_some(*f == "true"))
                        .collect::<Vec<_>>(),
                ),
                Kind::Text => Robj::from(fields),
            }
        })
        .collect();
    List::from_names_and_values(header, values).map_err(|e| e.to_string())
}
