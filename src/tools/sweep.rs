//! Scenario edits addressed by key path (`--set KEY=V1,V2,...`) and grids of them.
//!
//! A path names a value of the scenario file: tables by their key (`enrollment.sample_size`),
//! entries of arrays of tables by their `name` (`endotype.mals.prevalence`,
//! `treatment.anakinra.by_endotype.mals`, `biomarker.ferritin.by_endotype.mals.median`) or, for
//! classifier rules, their `label` (`classifier.rule.mals.when.ferritin.above`). Edits are made on the
//! TOML document itself (toml_edit, comments kept) and the result is validated like any scenario,
//! so a swept scenario obeys every rule of a hand-written one.
//!
//! Setting `endotype.X.prevalence` rescales the other endotypes' prevalences proportionally so
//! that they still sum to 1.

use toml_edit::{DocumentMut, Item, Value};

use crate::model::design::Design;
use crate::model::raw::InvalidKey;
use crate::model::scenario::{Scenario, ScenarioError};

/// Optional scalar keys with a default, sweepable even when the file leaves them out.
pub const DEFAULTED_KEYS: [(&str, &str); 5] = [
    ("enrollment.dropout", "0.0"),
    ("enrollment.randomisation", "\"block\""),
    ("analysis.alpha", "0.05"),
    ("analysis.alternative", "\"two_sided\""),
    ("analysis.two_sided_power", "true"),
];

/// The default of an optional key, as a TOML value (for typing a swept value).
fn default_of(key: &str) -> Option<Value> {
    DEFAULTED_KEYS
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v.parse().expect("a TOML value"))
}

/// A swept key in words, for axis titles and legends ("mals prevalence at screening", not
/// `endotype.mals.prevalence`); keys without a wording are shown with spaces for dots.
pub fn key_title(d: &Design, key: &str) -> String {
    let parts: Vec<&str> = key.split('.').collect();
    match parts.as_slice() {
        ["endotype", e, "prevalence"] => format!("{e} prevalence at screening"),
        ["endotype", e, "control_risk"] => format!("{e} {} risk under control", d.event),
        ["endotype", e, "control_mean"] => format!("{e} mean {} under control", d.event),
        ["endotype", e, "sd"] => format!("{e} SD of {}", d.event),
        ["endpoint", "responder_below"] => format!("responder threshold of {}", d.event),
        ["endotype", e, "control_distribution"] => {
            format!("{e} P(level) of {} under control", d.event)
        }
        ["endpoint", "levels"] => format!("levels of {}", d.event),
        ["endotype", e, "classified_as", l] => format!("P(label {l} | true endotype {e})"),
        ["treatment", t, "by_endotype", e] => {
            let measure = d
                .treatments
                .iter()
                .find(|x| x.name == *t)
                .map_or("effect", |x| x.effect.name());
            format!("{t} {measure} in {e}")
        }
        ["enrollment", "sample_size"] => "total sample size N (randomised)".into(),
        ["enrollment", "dropout"] => "dropout (share without outcome)".into(),
        ["analysis", "alpha"] => "significance level alpha".into(),
        ["arm", a, "ratio"] => format!("allocation ratio of {a}"),
        ["classifier", "rule", l, "when", b, side] => format!("{l} rule: {b} {side} threshold"),
        ["biomarker", b, "assay_cv"] => format!("{b} assay coefficient of variation"),
        ["cost", "screening"] => "cost per screened patient".into(),
        ["cost", "per_patient"] => "cost per randomised patient".into(),
        _ => key.replace('.', " "),
    }
}

/// Inline tables whose keys are names (an absent key may be added).
const NAME_MAPS: [&str; 3] = ["by_endotype", "classified_as", "assign"];

/// Every key `--set` accepts in a scenario, with its value as written, then the defaulted keys
/// the file leaves out (value marked "(default)"). Arrays are not settable; names and labels of
/// entries are how keys find them, so they are not listed. Maps of names (`by_endotype`,
/// `classified_as`, `assign`) also accept names they do not list yet.
pub fn sweepable_keys(text: &str) -> Result<Vec<(String, String)>, toml_edit::TomlError> {
    fn walk(table: &dyn toml_edit::TableLike, prefix: &str, out: &mut Vec<(String, String)>) {
        for (key, item) in table.iter() {
            let path = if prefix.is_empty() {
                key.to_string()
            } else {
                format!("{prefix}.{key}")
            };
            match item {
                Item::Value(Value::InlineTable(t)) => walk(t, &path, out),
                Item::Value(Value::Array(_)) | Item::None => {}
                Item::Value(v) if !matches!(key, "name" | "label" | "description") => {
                    let mut v = v.clone();
                    v.decor_mut().clear();
                    out.push((path, v.to_string()));
                }
                Item::Value(_) => {}
                Item::Table(t) => walk(t, &path, out),
                Item::ArrayOfTables(entries) => {
                    for t in entries.iter() {
                        if let Some(name) = t
                            .get("name")
                            .or_else(|| t.get("label"))
                            .and_then(Item::as_str)
                        {
                            walk(t, &format!("{path}.{name}"), out);
                        }
                    }
                }
            }
        }
    }
    let doc: DocumentMut = text.parse()?;
    let mut keys = Vec::new();
    walk(doc.as_table(), "", &mut keys);
    // A Bayesian design has no [analysis] and randomises each patient (no blocks).
    let bayesian = doc.contains_key("bayesian");
    let applies = |key: &str| {
        !(bayesian && (key.starts_with("analysis.") || key == "enrollment.randomisation"))
    };
    for (key, default) in DEFAULTED_KEYS.into_iter().filter(|(k, _)| applies(k)) {
        if !keys.iter().any(|(k, _)| k == key) {
            keys.push((key.to_string(), format!("{default} (default)")));
        }
    }
    Ok(keys)
}

/// One `--set KEY=V1,V2,...` (or `KEY=START:END:STEP`, both ends included; a key holding an
/// array takes arrays separated by `;`: `KEY=[0.5, 0.5];[0.4, 0.6]`).
#[derive(Debug, Clone, PartialEq)]
pub struct SetArg {
    pub key: String,
    pub values: Vec<String>,
}

impl std::str::FromStr for SetArg {
    type Err = String;

    fn from_str(s: &str) -> Result<SetArg, String> {
        let (key, values) = s
            .split_once('=')
            .ok_or_else(|| format!("expected KEY=V1,V2,... or KEY=START:END:STEP, found '{s}'"))?;
        let key = key.trim().to_string();
        if key.is_empty() {
            return Err(format!("empty key in '{s}'"));
        }
        let values = if values.trim_start().starts_with('[') {
            values.split(';').map(|v| v.trim().to_string()).collect()
        } else if values.contains(':') {
            range(values).map_err(|e| format!("{key}: {e}"))?
        } else {
            values.split(',').map(|v| v.trim().to_string()).collect()
        };
        if values.iter().any(String::is_empty) {
            return Err(format!("{key}: empty value in '{s}'"));
        }
        Ok(SetArg { key, values })
    }
}

/// Most values one `START:END:STEP` may expand to.
const MAX_GRID_VALUES: u64 = 10_000;

/// Expands `START:END:STEP` (inclusive; integers stay integers).
fn range(spec: &str) -> Result<Vec<String>, String> {
    let parts: Vec<&str> = spec.split(':').map(str::trim).collect();
    let [start, end, step] = parts[..] else {
        return Err(format!("expected START:END:STEP, found '{spec}'"));
    };
    if let (Ok(a), Ok(b), Ok(s)) = (
        start.parse::<i64>(),
        end.parse::<i64>(),
        step.parse::<i64>(),
    ) {
        if s <= 0 || b < a {
            return Err(format!(
                "expected START <= END and STEP > 0, found '{spec}'"
            ));
        }
        let n = b.checked_sub(a).map_or(i64::MAX, |d| d / s);
        if n >= MAX_GRID_VALUES as i64 {
            return Err(format!("'{spec}' has more than {MAX_GRID_VALUES} values"));
        }
        return Ok((a..=b).step_by(s as usize).map(|v| v.to_string()).collect());
    }
    let num = |x: &str| {
        x.parse::<f64>()
            .map_err(|_| format!("'{x}' is not a number in '{spec}'"))
    };
    let (a, b, s) = (num(start)?, num(end)?, num(step)?);
    if s.is_nan() || s <= 0.0 || b < a {
        return Err(format!(
            "expected START <= END and STEP > 0, found '{spec}'"
        ));
    }
    let n = ((b - a) / s + 1e-9).floor();
    if n.is_nan() || n >= MAX_GRID_VALUES as f64 {
        return Err(format!("'{spec}' has more than {MAX_GRID_VALUES} values"));
    }
    let n = n as u64;
    // Multiplying (not accumulating) keeps 0.1 steps free of drift; 12 significant digits
    // print the intended decimals.
    Ok((0..=n)
        .map(|i| {
            let v = a + i as f64 * s;
            format!("{}", (v * 1e12).round() / 1e12)
        })
        .collect())
}

fn invalid(key: &str, message: impl Into<String>) -> InvalidKey {
    InvalidKey::new(key, format!("--set: {}", message.into()))
}

/// Converts `raw` to a TOML value of the same type as `like` (or float for new map entries).
fn typed(key: &str, raw: &str, like: Option<&Value>) -> Result<Value, InvalidKey> {
    let bad = |what: &str| invalid(key, format!("expected {what}, found '{raw}'"));
    Ok(match like {
        // A key written as a whole number may still hold a real value (a threshold of 4420
        // swept to 4420.5): a non-integer becomes a float, and validation refuses it where the
        // key must be a whole number.
        Some(Value::Integer(_)) => match raw.parse::<i64>() {
            Ok(i) => i.into(),
            Err(_) => raw.parse::<f64>().map_err(|_| bad("a number"))?.into(),
        },
        Some(Value::Float(_)) | None => raw.parse::<f64>().map_err(|_| bad("a number"))?.into(),
        Some(Value::Boolean(_)) => raw
            .parse::<bool>()
            .map_err(|_| bad("true or false"))?
            .into(),
        Some(Value::String(_)) => raw.into(),
        // An array (an ordinal endpoint's control distribution or levels) is given whole, as
        // TOML writes it; validation checks its length and values.
        Some(Value::Array(_)) => match raw.parse::<Value>() {
            Ok(v @ Value::Array(_)) => v,
            _ => return Err(bad("an array, as TOML writes it ([0.5, 0.5])")),
        },
        Some(_) => {
            return Err(invalid(
                key,
                "this key holds a table or array; name a scalar inside it",
            ));
        }
    })
}

/// Sets `key` to `raw` in scenario text, returning the edited text (not yet validated).
pub fn set(text: &str, key: &str, raw: &str) -> Result<String, InvalidKey> {
    set_keeping(text, key, raw, &[])
}

/// The endotype whose prevalence `key` sets, if it does.
fn prevalence_of(key: &str) -> Option<&str> {
    match key.split('.').collect::<Vec<_>>()[..] {
        ["endotype", name, "prevalence"] => Some(name),
        _ => None,
    }
}

/// As `set`; a prevalence edit leaves the prevalences of the endotypes in `kept` (set by
/// earlier keys of the same grid point) as they are and rescales only the others.
fn set_keeping(text: &str, key: &str, raw: &str, kept: &[&str]) -> Result<String, InvalidKey> {
    let mut doc: DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| {
        invalid(key, format!("scenario is not valid TOML: {e}"))
    })?;
    let parts: Vec<&str> = key.split('.').collect();
    let unknown = || {
        let keys = sweepable_keys(text).unwrap_or_default();
        let closest = crate::model::keys::closest(key, keys.iter().map(|(k, _)| k.as_str()));
        let hint = closest.map_or(String::new(), |c| format!("; did you mean {c}?"));
        invalid(
            key,
            format!("no such key in the scenario{hint} (`validate --keys` lists them)"),
        )
    };

    // Walk to the table that holds the last segment; an array of tables takes the next segment
    // as the `name` (or, for classifier rules, the `label`) of one of its entries.
    let mut table: &mut dyn toml_edit::TableLike = doc.as_table_mut();
    let mut i = 0;
    while i + 1 < parts.len() {
        let seg = parts[i];
        let item = table.get_mut(seg).ok_or_else(unknown)?;
        if item.is_array_of_tables() {
            let entry_name = parts[i + 1];
            let entry = item
                .as_array_of_tables_mut()
                .expect("checked")
                .iter_mut()
                .find(|t| {
                    t.get("name")
                        .or_else(|| t.get("label"))
                        .and_then(Item::as_str)
                        == Some(entry_name)
                })
                .ok_or_else(|| {
                    invalid(
                        key,
                        format!("no [[{}]] named '{entry_name}'", parts[..=i].join(".")),
                    )
                })?;
            table = entry;
            i += 2;
        } else {
            table = item.as_table_like_mut().ok_or_else(|| {
                invalid(key, format!("'{}' is not a table", parts[..=i].join(".")))
            })?;
            i += 1;
        }
    }
    if i + 1 != parts.len() {
        return Err(invalid(key, "expected a key inside the named entry"));
    }
    let last = parts[parts.len() - 1];
    let parent_is_map = parts.len() >= 2 && NAME_MAPS.contains(&parts[parts.len() - 2]);
    // A key absent from the file that has a default is sweepable: it is typed like its default.
    let existing = table
        .get(last)
        .and_then(Item::as_value)
        .cloned()
        .or_else(|| default_of(key));
    if existing.is_none() && !parent_is_map {
        return Err(unknown());
    }
    let value = typed(key, raw, existing.as_ref())?;

    if parts.len() == 3 && parts[0] == "endotype" && parts[2] == "prevalence" {
        let new = value.as_float().expect("typed as float");
        rescale_prevalences(&mut doc, parts[1], new, kept).map_err(|m| invalid(key, m))?;
        return Ok(doc.to_string());
    }
    table.insert(last, Item::Value(value));
    Ok(doc.to_string())
}

/// Sets one endotype's prevalence and rescales the others, except those in `kept`, to keep the
/// sum at 1.
fn rescale_prevalences(
    doc: &mut DocumentMut,
    name: &str,
    new: f64,
    kept: &[&str],
) -> Result<(), String> {
    if !(0.0..=1.0).contains(&new) {
        return Err(format!("expected a prevalence in [0, 1], found {new}"));
    }
    let array = doc["endotype"].as_array_of_tables_mut().expect("checked");
    let prevalence = |t: &toml_edit::Table| {
        t.get("prevalence")
            .and_then(|v| v.as_float().or_else(|| v.as_integer().map(|i| i as f64)))
            .unwrap_or(0.0)
    };
    let name_of = |t: &toml_edit::Table| t.get("name").and_then(Item::as_str).map(str::to_string);
    let is_kept =
        |t: &toml_edit::Table| name_of(t).is_some_and(|n| n != name && kept.contains(&n.as_str()));
    let fixed: f64 = array.iter().filter(|t| is_kept(t)).map(prevalence).sum();
    let others: f64 = array
        .iter()
        .filter(|t| name_of(t).as_deref() != Some(name) && !is_kept(t))
        .map(prevalence)
        .sum();
    let left = 1.0 - new - fixed;
    if left < -1e-12 {
        return Err(format!(
            "prevalences set together sum to {}, more than 1: they cannot all hold",
            new + fixed
        ));
    }
    if others <= 0.0 && left > 1e-12 {
        return Err(
            "the endotypes left to rescale have prevalence 0: the prevalences set cannot sum to 1"
                .into(),
        );
    }
    for t in array.iter_mut() {
        if name_of(t).as_deref() == Some(name) {
            t["prevalence"] = toml_edit::value(new);
        } else if !is_kept(t) {
            let v = if others > 0.0 {
                prevalence(t) * left.max(0.0) / others
            } else {
                0.0
            };
            t["prevalence"] = toml_edit::value(v);
        }
    }
    Ok(())
}

/// One point of a grid: the value of each swept key, and the scenario at that point.
#[derive(Debug, Clone)]
pub struct GridPoint {
    pub values: Vec<String>,
    pub scenario: Scenario,
}

/// Every combination of the `--set` values (first key slowest), each validated.
pub fn grid(base: &Scenario, sets: &[SetArg]) -> Result<Vec<GridPoint>, ScenarioError> {
    let mut points = vec![(Vec::new(), base.text.clone())];
    for set_arg in sets {
        let mut next = Vec::with_capacity(points.len() * set_arg.values.len());
        for (values, text) in &points {
            // Prevalences set by earlier keys of this point stay as written.
            let kept: Vec<&str> = sets
                .iter()
                .take_while(|s| !std::ptr::eq(*s, set_arg))
                .filter_map(|s| prevalence_of(&s.key))
                .collect();
            for v in &set_arg.values {
                let edited = set_keeping(text, &set_arg.key, v, &kept).map_err(|e| {
                    ScenarioError::Invalid {
                        file: base.path.clone(),
                        key: e.key,
                        message: e.message,
                    }
                })?;
                let mut values = values.clone();
                values.push(v.clone());
                next.push((values, edited));
            }
        }
        points = next;
    }
    points
        .into_iter()
        .map(|(values, text)| {
            let scenario =
                Scenario::from_text(&base.path, text).map_err(|e| with_point(e, sets, &values))?;
            Ok(GridPoint { values, scenario })
        })
        .collect()
}

/// Says at which grid point a swept scenario became invalid.
fn with_point(e: ScenarioError, sets: &[SetArg], values: &[String]) -> ScenarioError {
    let at: Vec<String> = sets
        .iter()
        .zip(values)
        .map(|(s, v)| format!("{}={v}", s.key))
        .collect();
    match e {
        ScenarioError::Invalid { file, key, message } => ScenarioError::Invalid {
            file,
            key,
            message: format!("{message} (at {})", at.join(", ")),
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    const TEXT: &str = r#"# comment kept
name = "s"
[simulation]
replicates = 10
seed = 1
[[endotype]]
name = "a"
prevalence = 0.2
control_risk = 0.3
[[endotype]]
name = "b"
prevalence = 0.8
control_risk = 0.3
[enrollment]
sample_size = 100
[endpoint]
event = "death"
better = "lower"
[[treatment]]
name = "t"
effect = "risk_ratio"
by_endotype = { a = 0.5 }
[[arm]]
name = "c"
ratio = 1
[[arm]]
name = "x"
ratio = 1
treatment = "t"
[analysis]
control = "c"
test = "chi_square"
"#;

    #[test]
    fn set_edits_tables_named_entries_and_maps() {
        let t = set(TEXT, "enrollment.sample_size", "120").unwrap();
        assert!(t.contains("sample_size = 120") && t.contains("# comment kept"));
        let t = set(TEXT, "treatment.t.by_endotype.a", "0.7").unwrap();
        assert!(t.contains("a = 0.7"));
        let t = set(TEXT, "treatment.t.by_endotype.b", "0.9").unwrap();
        assert!(t.contains("b = 0.9"));
        let t = set(TEXT, "arm.x.ratio", "2").unwrap();
        assert!(t.contains("ratio = 2"));
        // A value written as a whole number takes a real one; validation judges the type.
        let t = set(TEXT, "treatment.t.by_endotype.a", "1").unwrap();
        let t = set(&t, "treatment.t.by_endotype.a", "0.55").unwrap();
        assert!(t.contains("a = 0.55"));
        let t = set(TEXT, "enrollment.sample_size", "100.5").unwrap();
        let e = Scenario::from_text(Path::new("t.toml"), t).unwrap_err();
        assert!(e.to_string().contains("sample_size"), "{e}");
    }

    #[test]
    fn keys_left_to_their_default_are_sweepable() {
        // TEXT has no dropout, alpha or alternative: each takes a swept value.
        for (key, value, written) in [
            ("enrollment.dropout", "0.1", "dropout = 0.1"),
            ("analysis.alpha", "0.025", "alpha = 0.025"),
            (
                "analysis.alternative",
                "one_sided",
                "alternative = \"one_sided\"",
            ),
        ] {
            let t = set(TEXT, key, value).unwrap();
            assert!(t.contains(written), "{key}: {t}");
            Scenario::from_text(Path::new("t.toml"), t).unwrap();
        }
        assert!(set(TEXT, "enrollment.dropout", "x").is_err());
    }

    #[test]
    fn prevalence_edits_rescale_the_others() {
        let t = set(TEXT, "endotype.a.prevalence", "0.6").unwrap();
        let s = Scenario::from_text(Path::new("t.toml"), t).unwrap();
        let p: Vec<f64> = s.design.endotypes.iter().map(|e| e.prevalence).collect();
        assert!(
            (p[0] - 0.6).abs() < 1e-15 && (p[1] - 0.4).abs() < 1e-12,
            "{p:?}"
        );
    }

    #[test]
    fn bad_paths_and_types_are_named() {
        for (key, value, message) in [
            (
                "enrollment.sample_sise",
                "1",
                "no such key in the scenario; did you mean enrollment.sample_size?",
            ),
            ("endotype.c.prevalence", "0.1", "no [[endotype]] named 'c'"),
            ("enrollment.sample_size", "many", "expected a number"),
            ("endotype.a.prevalence", "x", "expected a number"),
            (
                "endotype.a.prevalence",
                "1.5",
                "expected a prevalence in [0, 1]",
            ),
        ] {
            let e = set(TEXT, key, value).unwrap_err();
            assert_eq!(e.key, key);
            assert!(e.message.starts_with("--set: "), "{key}: {}", e.message);
            assert!(e.message.contains(message), "{key}: {}", e.message);
        }
    }

    #[test]
    fn set_arguments_parse_lists_and_ranges() {
        let s: SetArg = "enrollment.sample_size=200:260:20".parse().unwrap();
        assert_eq!(s.values, vec!["200", "220", "240", "260"]);
        let s: SetArg = "enrollment.dropout=0:0.3:0.1".parse().unwrap();
        assert_eq!(s.values, vec!["0", "0.1", "0.2", "0.3"]);
        let s: SetArg = "x.y=1.5, 2 ,2.5".parse().unwrap();
        assert_eq!(s.values, vec!["1.5", "2", "2.5"]);
        for bad in [
            "novalue",
            "k=",
            "k=1:0:1",
            "k=0:1:0",
            "k=a:b:c",
            "=1",
            "k=1:1000000000:1",
            "k=-9223372036854775807:9223372036854775807:1",
            "k=0:inf:1",
            "k=nan:1:0.1",
        ] {
            assert!(bad.parse::<SetArg>().is_err(), "{bad}");
        }
    }

    /// An array-valued key (an ordinal control distribution) is swept whole, arrays separated
    /// by `;`; a value that is not an array is refused by key.
    #[test]
    fn arrays_are_swept_whole() {
        let s: SetArg = "endotype.mals.control_distribution=[0.5, 0.5, 0];[0.2,0.3,0.5]"
            .parse()
            .unwrap();
        assert_eq!(s.values, vec!["[0.5, 0.5, 0]", "[0.2,0.3,0.5]"]);
        let text = include_str!("../../scenarios/immunosep_osfd.toml");
        let key = "endotype.mals.control_distribution";
        let edited = set(text, key, "[0.6, 0.1, 0.1, 0.1, 0.05, 0.05]").unwrap();
        let d = Scenario::from_text(std::path::Path::new("s.toml"), edited)
            .unwrap()
            .design;
        assert_eq!(
            d.ordinal().unwrap().control[0],
            [0.6, 0.1, 0.1, 0.1, 0.05, 0.05]
        );
        let err = set(text, key, "0.5").unwrap_err();
        assert_eq!(err.key, key);
    }
}
