//! The scenario file: the TOML contract users, later tools and regression files depend on.
//!
//! Loading is two-stage: the text is parsed into the raw serde types of `raw.rs` (every unknown
//! and missing key reported at once, from `keys.rs`), then `Design::try_from`
//! (`design/validate.rs`) validates them and computes every derived quantity once.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::model::design::Design;
use crate::model::raw::RawScenario;

/// A scenario file that could not be used. Every variant names the file; `Invalid` also names the
/// key path (e.g. `endotype.mals.prevalence`) and says what was expected.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    // The I/O error is part of the message, not a `source`: a chain would print it twice.
    #[error("{file}: cannot read scenario: {error}")]
    Read {
        file: PathBuf,
        error: std::io::Error,
    },
    #[error("{file}: malformed scenario: {}", crate::model::text::shorten(message))]
    Parse { file: PathBuf, message: String },
    #[error("{file}: key `{key}`: {}", crate::model::text::shorten(message))]
    Invalid {
        file: PathBuf,
        key: String,
        message: String,
    },
}

/// Required keys, per table: (table path or "" for the top level, whether it is an array of
/// tables, whether the table itself is required, its required keys).
const REQUIRED: [(&str, bool, bool, &[&str]); 9] = [
    ("", false, true, &["name"]),
    ("simulation", false, true, &["replicates", "seed"]),
    ("endotype", true, true, &["name", "prevalence"]),
    ("enrollment", false, true, &["sample_size"]),
    // The endpoint's name key depends on its kind: `missing_keys` adds it before "better".
    ("endpoint", false, true, &[]),
    ("arm", true, true, &["name", "ratio"]),
    ("analysis", false, true, &["control", "test"]),
    ("treatment", true, false, &["name", "effect", "by_endotype"]),
    ("sequential", false, false, &["looks", "efficacy"]),
];

/// Every required key missing from a parsed scenario, as key paths (`endotype[2].prevalence`).
fn missing_keys(table: &toml::Table) -> Vec<String> {
    let mut out = Vec::new();
    // What an endotype's control arm is and what the endpoint is called depend on its kind.
    let kind = table
        .get("endpoint")
        .and_then(|e| e.get("kind"))
        .and_then(|k| k.as_str());
    let (name_key, control): (&str, &[&str]) = match kind {
        Some("time_to_event") => ("event", &["control_mortality"]),
        Some("continuous") => ("outcome", &["control_mean", "sd"]),
        Some("ordinal") => ("outcome", &["control_distribution"]),
        _ => ("event", &["control_risk"]),
    };
    for (name, array, required, keys) in REQUIRED {
        let endpoint = [name_key, "better"];
        let extra: &[&str] = match name {
            "endotype" => control,
            "endpoint" => &endpoint,
            _ => &[],
        };
        let check = |t: &toml::Table, at: &str, out: &mut Vec<String>| {
            for k in keys.iter().chain(extra) {
                if !t.contains_key(*k) {
                    out.push(if at.is_empty() {
                        k.to_string()
                    } else {
                        format!("{at}.{k}")
                    });
                }
            }
        };
        if name.is_empty() {
            check(table, "", &mut out);
            continue;
        }
        // A Bayesian design decides by [bayesian]: it has no [analysis].
        let required = required && !(name == "analysis" && table.contains_key("bayesian"));
        match table.get(name) {
            None if required => out.push(if array {
                format!("[[{name}]]")
            } else {
                format!("[{name}]")
            }),
            None => {}
            Some(toml::Value::Array(items)) if array => {
                for (i, item) in items.iter().enumerate() {
                    if let Some(t) = item.as_table() {
                        check(t, &format!("{name}[{i}]"), &mut out);
                    }
                }
            }
            Some(toml::Value::Table(t)) if !array => check(t, name, &mut out),
            // A wrong shape is left to serde, which says what it expected.
            Some(_) => {}
        }
    }
    out
}

/// serde's Rust type names in a TOML error, said in words ("expected u64" -> "expected a whole
/// number >= 1"), after the key the error is on when its line is `key = value`.
fn plain_types(message: &str, key: Option<String>) -> String {
    // Of the whole-number keys only the seed may be 0 (replicates, sample_size, ratio and
    // analysis_events are refused at 0).
    let least = if key.as_deref() == Some("simulation.seed") {
        "0"
    } else {
        "1"
    };
    let whole = format!("expected a whole number >= {least}");
    let message = [
        ("expected u64", whole.as_str()),
        ("expected u32", whole.as_str()),
        ("expected f64", "expected a number"),
        ("expected a boolean", "expected true or false"),
    ]
    .iter()
    .fold(message.to_string(), |m, (rust, words)| {
        m.replace(rust, words)
    });
    match key {
        Some(key) => format!("key `{key}`: {message}"),
        None => message,
    }
}

/// The key at byte `at` of scenario `text`, as a path (`simulation.replicates`, `arm.ratio`),
/// when its line is `key = value`: toml's own errors give the line but not the key.
fn key_at(text: &str, at: usize) -> Option<String> {
    let start = text[..at.min(text.len())].rfind('\n').map_or(0, |i| i + 1);
    let line = text[start..].lines().next()?;
    let (key, _) = line.split_once('=')?;
    let key = key.trim();
    if key.is_empty() || key.starts_with('[') || key.starts_with('#') {
        return None;
    }
    let table = text[..start]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .map(|h| {
            let h = h.split('#').next().unwrap_or(h).trim();
            h.trim_matches(|c| c == '[' || c == ']').trim().to_string()
        });
    Some(match table {
        Some(t) if !t.is_empty() => format!("{t}.{key}"),
        _ => key.to_string(),
    })
}

/// The largest scenario file read (1 MiB; the shipped ones are 1 to 5 KiB).
pub const MAX_SCENARIO_BYTES: u64 = 1 << 20;

/// A scenario as loaded from disk: its source text (copied next to the results) and its design.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub path: PathBuf,
    pub text: String,
    pub design: Design,
}

impl Scenario {
    /// Reads, parses and validates a scenario file.
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        Scenario::from_text(path, Scenario::read_text(path)?)
    }

    /// The text of a scenario file, refused beyond `MAX_SCENARIO_BYTES` or when not UTF-8.
    pub fn read_text(path: &Path) -> Result<String, ScenarioError> {
        let read = |error| ScenarioError::Read {
            file: path.to_path_buf(),
            error,
        };
        // Read at most one byte past the limit: `endotrial run /dev/zero` must not read until
        // memory runs out.
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .and_then(|f| f.take(MAX_SCENARIO_BYTES + 1).read_to_end(&mut bytes))
            .map_err(read)?;
        if bytes.len() as u64 > MAX_SCENARIO_BYTES {
            return Err(ScenarioError::Parse {
                file: path.to_path_buf(),
                message: format!(
                    "larger than {} KiB: a scenario file is a few kilobytes of TOML",
                    MAX_SCENARIO_BYTES / 1024
                ),
            });
        }
        String::from_utf8(bytes).map_err(|e| {
            read(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("not UTF-8 text ({e})"),
            ))
        })
    }

    /// Parses and validates scenario text; `path` is only used in messages.
    pub fn from_text(path: &Path, text: String) -> Result<Scenario, ScenarioError> {
        // Every unknown key (with the closest known name) and every missing required key at
        // once: serde stops at the first, and a typo of a required key is both.
        if let Ok(table) = text.parse::<toml::Table>() {
            let unknown = crate::model::keys::unknown_keys(&table);
            if let Some(message) = crate::model::keys::message(&unknown, &missing_keys(&table)) {
                return Err(ScenarioError::Parse {
                    file: path.to_path_buf(),
                    message,
                });
            }
        }
        let raw: RawScenario = toml::from_str(&text).map_err(|e| ScenarioError::Parse {
            file: path.to_path_buf(),
            message: plain_types(
                e.to_string().trim_end(),
                e.span().and_then(|span| key_at(&text, span.start)),
            ),
        })?;
        let design = Design::try_from(raw).map_err(|e| ScenarioError::Invalid {
            file: path.to_path_buf(),
            key: e.key,
            message: e.message,
        })?;
        Ok(Scenario {
            path: path.to_path_buf(),
            text,
            design,
        })
    }

    /// Overrides the number of replicates and/or the seed, in the design and in the text that is
    /// copied next to the results, so that the copy reproduces exactly what was run. The text
    /// keeps its comments and layout (toml_edit).
    pub fn override_simulation(
        &mut self,
        replicates: Option<u64>,
        seed: Option<u64>,
    ) -> Result<(), ScenarioError> {
        if replicates.is_none() && seed.is_none() {
            return Ok(());
        }
        let mut doc: toml_edit::DocumentMut =
            self.text
                .parse()
                .map_err(|e: toml_edit::TomlError| ScenarioError::Parse {
                    file: self.path.clone(),
                    message: e.to_string(),
                })?;
        let to_toml_int = |key: &str, v: u64| {
            i64::try_from(v).map_err(|_| ScenarioError::Invalid {
                file: self.path.clone(),
                key: format!("simulation.{key}"),
                message: format!("{v} does not fit in a TOML integer (at most {})", i64::MAX),
            })
        };
        if let Some(r) = replicates {
            if r == 0 {
                return Err(ScenarioError::Invalid {
                    file: self.path.clone(),
                    key: "simulation.replicates".into(),
                    message: "expected a positive number of replicates, found 0".into(),
                });
            }
            doc["simulation"]["replicates"] = toml_edit::value(to_toml_int("replicates", r)?);
            self.design.replicates = r;
        }
        if let Some(s) = seed {
            doc["simulation"]["seed"] = toml_edit::value(to_toml_int("seed", s)?);
            self.design.seed = s;
        }
        self.text = doc.to_string();
        Ok(())
    }
}
