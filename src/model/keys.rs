//! The keys a scenario file may hold, table by table, so that every unknown key or table of a
//! file is reported at once with the closest known name (serde stops at the first, and a typo
//! in a required key, `sampel_size`, showed only as "missing enrollment.sample_size").
//!
//! The catalogue mirrors the `Raw*` serde types (`scenario`, `adaptation`); a test checks it
//! against serde's own list of expected fields for every table, so the two cannot drift apart.

use std::fmt::Write;

/// Where a table sits: the top level, a `[table]`, an `[[array]]` of tables, or a table of
/// tables keyed by user names (`by_endotype = { mals = { ... } }`, `when = { ferritin = ... }`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Table,
    Array,
    /// Each value of the named parent key is a table with these keys.
    Named,
}

/// (path, shape, known keys). A path is the table's key path from the top ("" is the top level,
/// "biomarker.by_endotype" the marker parameters of each endotype).
const TABLES: [(&str, Shape, &[&str]); 22] = [
    (
        "",
        Shape::Table,
        &[
            "name",
            "description",
            "simulation",
            "endotype",
            "enrollment",
            "endpoint",
            "treatment",
            "arm",
            "analysis",
            "cost",
            "biomarker",
            "classifier",
            "sequential",
            "adaptation",
            "bayesian",
        ],
    ),
    ("simulation", Shape::Table, &["replicates", "seed"]),
    (
        "endotype",
        Shape::Array,
        &[
            "name",
            "display_name",
            "prevalence",
            "control_risk",
            "control_mortality",
            "control_mean",
            "sd",
            "control_distribution",
            "classified_as",
        ],
    ),
    (
        "enrollment",
        Shape::Table,
        &[
            "sample_size",
            "eligible",
            "dropout",
            "randomisation",
            "accrual_per_month",
            "accrual_days",
            "accrual_intensity",
            "label_counts",
        ],
    ),
    (
        "endpoint",
        Shape::Table,
        &[
            "event",
            "outcome",
            "better",
            "responder_below",
            "levels",
            "assessment_day",
            "kind",
            "follow_up_days",
            "analysis_events",
            "time_resolution",
            "weibull_shape",
        ],
    ),
    (
        "treatment",
        Shape::Array,
        &["name", "display_name", "effect", "by_endotype"],
    ),
    (
        "arm",
        Shape::Array,
        &[
            "name",
            "display_name",
            "ratio",
            "assign",
            "treatment",
            "dropout",
        ],
    ),
    (
        "analysis",
        Shape::Table,
        &[
            "control",
            "test",
            "alpha",
            "alternative",
            "hypotheses",
            "multiplicity",
            "non_inferiority_margin",
            "margin_scale",
            "two_sided_power",
        ],
    ),
    (
        "cost",
        Shape::Table,
        &["currency", "screening", "per_patient"],
    ),
    (
        "biomarker",
        Shape::Array,
        &["name", "unit", "distribution", "by_endotype", "assay_cv"],
    ),
    (
        "biomarker.by_endotype",
        Shape::Named,
        &["median", "gsd", "mean", "sd"],
    ),
    ("classifier", Shape::Table, &["default", "rule"]),
    ("classifier.rule", Shape::Array, &["label", "when"]),
    ("classifier.rule.when", Shape::Named, &["above", "below"]),
    (
        "sequential",
        Shape::Table,
        &[
            "looks",
            "efficacy",
            "efficacy_parameter",
            "efficacy_spending",
            "futility",
            "futility_bounds",
            "futility_parameter",
            "futility_beta",
            "futility_spending",
            "binding_futility",
            "reestimate",
        ],
    ),
    (
        "sequential.reestimate",
        Shape::Table,
        &[
            "conditional_power",
            "max_sample_size",
            "min_sample_size",
            "max_events",
            "min_events",
            "hazard_ratio",
            "effect",
        ],
    ),
    (
        "adaptation",
        Shape::Table,
        &[
            "at_look",
            "selection",
            "epsilon",
            "threshold",
            "rbest",
            "intersection",
        ],
    ),
    (
        "bayesian",
        Shape::Table,
        &[
            "looks",
            "look_every",
            "randomised_at_looks",
            "prior",
            "posterior",
            "n_draws",
            "control",
            "superiority",
            "inferiority",
            "equivalence",
            "futility",
            "adaptive_randomisation",
            "select",
            "select_preferences",
            "select_last_arm",
            "by_label",
        ],
    ),
    ("bayesian.prior", Shape::Table, &["alpha", "beta"]),
    (
        "bayesian.equivalence",
        Shape::Table,
        &["probability", "difference", "only_first"],
    ),
    (
        "bayesian.futility",
        Shape::Table,
        &["probability", "difference", "only_first"],
    ),
    (
        "bayesian.adaptive_randomisation",
        Shape::Table,
        &["soften_power", "min", "max", "control"],
    ),
];

/// One key or table of a file that the scenario format does not have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unknown {
    /// Where it is, as written: `enrollment.sampel_size`, `[enrolment]`, `arm[1].ration`.
    pub at: String,
    /// The closest known name in its table, when one is close (bracketed for a table).
    pub closest: Option<String>,
}

impl std::fmt::Display for Unknown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.at)?;
        if let Some(c) = &self.closest {
            write!(f, " (did you mean {c}?)")?;
        }
        Ok(())
    }
}

/// The known name closest to `name` among `known`, when it is close enough to be a typo: at
/// most a third of its letters changed (Damerau-Levenshtein, so a swap of two letters is one).
pub fn closest<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let most = name.chars().count().div_ceil(3).max(1);
    known
        .into_iter()
        .map(|k| (strsim::damerau_levenshtein(name, k), k))
        .filter(|&(d, _)| d <= most)
        .min_by_key(|&(d, _)| d)
        .map(|(_, k)| k)
}

/// Every key and table of `table` (a parsed scenario file) that the format does not have.
pub fn unknown_keys(table: &toml::Table) -> Vec<Unknown> {
    let mut out = Vec::new();
    walk(table, "", "", &mut out);
    out
}

/// Checks `table`, found at catalogue path `path` and written at `at`, and the tables under it.
fn walk(table: &toml::Table, path: &str, at: &str, out: &mut Vec<Unknown>) {
    let Some(&(_, _, known)) = TABLES
        .iter()
        .find(|(p, shape, _)| *p == path && *shape != Shape::Named)
    else {
        return;
    };
    for (key, value) in table {
        let child = if path.is_empty() {
            key.clone()
        } else {
            format!("{path}.{key}")
        };
        let written = if at.is_empty() {
            key.clone()
        } else {
            format!("{at}.{key}")
        };
        if !known.contains(&key.as_str()) {
            let is_tables = |v: &toml::Value| {
                v.as_array()
                    .is_some_and(|a| !a.is_empty() && a.iter().all(toml::Value::is_table))
            };
            let bracket = |name: &str, array: bool| {
                if array {
                    format!("[[{name}]]")
                } else {
                    format!("[{name}]")
                }
            };
            let guess = closest(key, known.iter().copied());
            let unknown = if path.is_empty() && (value.is_table() || is_tables(value)) {
                // A table: named and suggested as written, [table] or [[array]].
                Unknown {
                    at: bracket(key, !value.is_table()),
                    closest: guess.map(|c| {
                        let array = TABLES.iter().any(|(p, s, _)| *p == c && *s == Shape::Array);
                        let table = TABLES.iter().any(|(p, _, _)| *p == c);
                        if table {
                            bracket(c, array)
                        } else {
                            c.to_string()
                        }
                    }),
                }
            } else {
                Unknown {
                    at: written,
                    closest: guess.map(str::to_string),
                }
            };
            out.push(unknown);
            continue;
        }
        match TABLES.iter().find(|(p, _, _)| *p == child) {
            Some((_, Shape::Table, _)) => {
                if let Some(t) = value.as_table() {
                    walk(t, &child, &written, out);
                }
            }
            Some((_, Shape::Array, _)) => {
                for (i, item) in value.as_array().into_iter().flatten().enumerate() {
                    if let Some(t) = item.as_table() {
                        walk(t, &child, &format!("{written}[{i}]"), out);
                    }
                }
            }
            Some((_, Shape::Named, keys)) => {
                for (name, inner) in value.as_table().into_iter().flatten() {
                    for k in inner.as_table().into_iter().flat_map(|t| t.keys()) {
                        if !keys.contains(&k.as_str()) {
                            out.push(Unknown {
                                at: format!("{written}.{name}.{k}"),
                                closest: closest(k, keys.iter().copied()).map(str::to_string),
                            });
                        }
                    }
                }
            }
            None => {}
        }
    }
}

/// The lines of a message naming every unknown key (with its closest known name) and then the
/// missing required keys, or `None` when there are neither.
pub fn message(unknown: &[Unknown], missing: &[String]) -> Option<String> {
    if unknown.is_empty() && missing.is_empty() {
        return None;
    }
    let mut out = String::new();
    if !unknown.is_empty() {
        let list: Vec<String> = unknown.iter().map(Unknown::to_string).collect();
        let _ = write!(out, "unknown keys: {}", list.join(", "));
    }
    if !missing.is_empty() {
        if !out.is_empty() {
            out.push_str("; ");
        }
        let _ = write!(out, "missing required keys: {}", missing.join(", "));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> toml::Table {
        text.parse().unwrap()
    }

    #[test]
    fn typos_are_named_with_the_closest_key() {
        let t = parse(
            "name = \"x\"\n[enrolment]\nsample_size = 1\n[simulation]\nreplicates = 1\nsed = 1\n[[arm]]\nration = 1\n[[biomarker]]\nby_endotype = { mals = { medain = 1 } }\n[sequential]\nzzzzzz = 1\n",
        );
        let got: Vec<String> = unknown_keys(&t).iter().map(Unknown::to_string).collect();
        assert_eq!(
            got,
            [
                "arm[0].ration (did you mean ratio?)",
                "biomarker[0].by_endotype.mals.medain (did you mean median?)",
                "[enrolment] (did you mean [enrollment]?)",
                "sequential.zzzzzz",
                "simulation.sed (did you mean seed?)",
            ]
        );
    }

    #[test]
    fn closest_allows_a_third_of_the_letters() {
        assert_eq!(
            closest("sampel_size", ["sample_size", "dropout"]),
            Some("sample_size")
        );
        assert_eq!(
            closest("dropuot", ["sample_size", "dropout"]),
            Some("dropout")
        );
        assert_eq!(closest("xyz", ["sample_size", "dropout"]), None);
    }

    /// The catalogue against serde: a key no table has, put in each table, makes serde list the
    /// fields it expects; they are the catalogue's, in any order.
    #[test]
    fn the_catalogue_is_what_serde_accepts() {
        let shipped = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scenarios/immunosep_biomarkers.toml"
        ))
        .unwrap();
        let base: toml::Table = shipped.parse().unwrap();
        for (path, shape, known) in TABLES {
            let mut t = base.clone();
            // The table to put the stray key in, made if the shipped file lacks it.
            let mut at = &mut t;
            let parts: Vec<&str> = path.split('.').filter(|p| !p.is_empty()).collect();
            for (i, part) in parts.iter().enumerate() {
                let last = i + 1 == parts.len();
                let entry = at
                    .entry(part.to_string())
                    .or_insert_with(|| toml::Value::Table(toml::Table::new()));
                let entry = match entry {
                    toml::Value::Array(items) => &mut items[0],
                    other => other,
                };
                at = entry.as_table_mut().unwrap();
                if last && shape == Shape::Named {
                    let first = at.keys().next().cloned().unwrap_or_else(|| "x".into());
                    at = at
                        .entry(first)
                        .or_insert_with(|| toml::Value::Table(toml::Table::new()))
                        .as_table_mut()
                        .unwrap();
                }
            }
            at.insert("zz_not_a_key".into(), toml::Value::Integer(1));
            let text = toml::to_string(&t).unwrap();
            let error = toml::from_str::<crate::model::raw::RawScenario>(&text)
                .expect_err(path)
                .to_string();
            // serde: "unknown field `x`, expected `a` or `b`" / "expected one of `a`, `b`, ...".
            let line = error
                .lines()
                .find(|l| l.contains("unknown field"))
                .unwrap_or_else(|| panic!("{path}: {error}"));
            let expected = line.split("expected ").nth(1).unwrap();
            let expected = expected.strip_prefix("one of ").unwrap_or(expected);
            let mut listed: Vec<&str> = expected
                .split(", ")
                .flat_map(|k| k.split(" or "))
                .map(|k| k.trim().trim_matches('`'))
                .collect();
            listed.sort();
            let mut ours = known.to_vec();
            ours.sort();
            assert_eq!(listed, ours, "{path}: {error}");
        }
    }
}
