//! Regression check of a scenario's result CSVs (summary.csv, subgroups.csv, hypotheses.csv)
//! against committed ones.
//!
//! Exact mode (same engine, same seed): every field of every file must be identical; each
//! difference is reported by file, row and column. Monte Carlo mode (the engine changed on purpose): each simulated
//! power, risk, difference, coverage and screening mean is compared with a two-sample z test on
//! the Monte Carlo standard errors of the two runs, with Holm's step-down correction (`multiplicity::holm`) across every
//! value compared; quantities that carry no Monte Carlo error (true risks, analytic power, design
//! columns) must still agree to 1e-9.

use std::collections::BTreeMap;

use crate::stats::analysis::normal_upper;
#[cfg(test)]
use crate::stats::multiplicity::holm;

/// The CSVs a run writes that `check` compares, and the columns that name a row (a column
/// marked `?` only where the file has it: a Bayesian design's `label`).
pub const RESULT_FILES: [(&str, &[&str]); 7] = [
    ("summary.csv", &["arm", "label?"]),
    ("subgroups.csv", &["arm", "label"]),
    ("hypotheses.csv", &["arm", "hypothesis"]),
    ("sequential.csv", &["arm", "look"]),
    ("adaptation.csv", &["arm", "hypothesis"]),
    ("bayesian.csv", &["label", "metric"]),
    ("allocation.csv", &["label", "look"]),
];

/// One result CSV: its header and rows keyed by arm (and label or hypothesis: "arm/label").
#[derive(Debug, Clone)]
pub struct SummaryTable {
    pub header: Vec<String>,
    pub rows: BTreeMap<String, BTreeMap<String, String>>,
}

impl SummaryTable {
    /// Parses a summary.csv (rows keyed by arm).
    pub fn parse(bytes: &[u8]) -> Result<SummaryTable, String> {
        SummaryTable::parse_keyed(bytes, &["arm"])
    }

    /// Parses a result CSV whose rows are keyed by the values of `keys` (joined by '/'; a key
    /// ending in `?` is used only where the file has that column).
    pub fn parse_keyed(bytes: &[u8], keys: &[&str]) -> Result<SummaryTable, String> {
        let mut reader = csv::Reader::from_reader(bytes);
        let header: Vec<String> = reader
            .headers()
            .map_err(|e| e.to_string())?
            .iter()
            .map(str::to_string)
            .collect();
        let has = |key: &str| header.iter().any(|h| h == key);
        let keys: Vec<&str> = keys
            .iter()
            .filter_map(|&k| match k.strip_suffix('?') {
                Some(optional) => has(optional).then_some(optional),
                None => Some(k),
            })
            .collect();
        for &key in &keys {
            if !has(key) {
                return Err(format!("no `{key}` column"));
            }
        }
        let mut rows = BTreeMap::new();
        for record in reader.records() {
            let record = record.map_err(|e| e.to_string())?;
            let row: BTreeMap<String, String> = header
                .iter()
                .cloned()
                .zip(record.iter().map(str::to_string))
                .collect();
            let key = keys
                .iter()
                .map(|&k| row[k].as_str())
                .collect::<Vec<&str>>()
                .join("/");
            rows.insert(key, row);
        }
        if rows.is_empty() {
            return Err("no rows".into());
        }
        Ok(SummaryTable { header, rows })
    }

    /// A value of the first row (seed, replicates: the same on every row).
    pub fn first(&self, column: &str) -> Option<&str> {
        self.rows.values().next()?.get(column).map(String::as_str)
    }
}

/// One value that moved between the committed and the new summary.
#[derive(Debug, Clone, PartialEq)]
pub struct Moved {
    pub arm: String,
    pub column: String,
    pub old: String,
    pub new: String,
    /// Difference in Monte Carlo SEs and its two-sided p-value (Monte Carlo mode only).
    pub z: Option<f64>,
    pub p: Option<f64>,
}

impl Moved {
    /// A simulation setting of the scenario that differs from the committed run's.
    pub fn setting(column: &str, committed: &str, now: &str) -> Moved {
        moved("*", column, committed, now)
    }

    /// A result file written by only one of the two runs.
    pub fn file_presence(file: &str, committed: bool) -> Moved {
        let (present, absent) = ("present", "(absent)");
        let (old, new) = if committed {
            (present, absent)
        } else {
            (absent, present)
        };
        moved("*", &format!("{file}:(file)"), old, new)
    }
}

fn moved(arm: &str, column: &str, old: &str, new: &str) -> Moved {
    Moved {
        arm: arm.into(),
        column: column.into(),
        old: old.into(),
        new: new.into(),
        z: None,
        p: None,
    }
}

/// Exact comparison: every field of every row, and the header.
pub fn compare_exact(old: &SummaryTable, new: &SummaryTable) -> Vec<Moved> {
    let mut out = Vec::new();
    if old.header != new.header {
        out.push(moved(
            "*",
            "(header)",
            &old.header.join(","),
            &new.header.join(","),
        ));
    }
    let empty = BTreeMap::new();
    let arms: std::collections::BTreeSet<&String> =
        old.rows.keys().chain(new.rows.keys()).collect();
    for arm in arms {
        let (o, n) = (
            old.rows.get(arm).unwrap_or(&empty),
            new.rows.get(arm).unwrap_or(&empty),
        );
        let columns: std::collections::BTreeSet<&String> = o.keys().chain(n.keys()).collect();
        for c in columns {
            let (a, b) = (
                o.get(c).map_or("(absent)", String::as_str),
                n.get(c).map_or("(absent)", String::as_str),
            );
            if a != b {
                out.push(moved(arm, c, a, b));
            }
        }
    }
    out
}

/// Simulated columns and their Monte Carlo SE as a function of a row; `replicates` is the
/// run's number of trials (not a column of every file).
fn monte_carlo_se(
    column: &str,
    row: &BTreeMap<String, String>,
    replicates: f64,
) -> Option<Option<f64>> {
    let get = |c: &str| row.get(c).and_then(|v| v.parse::<f64>().ok());
    let binomial_se = |p: f64, n: f64| (p * (1.0 - p) / n).sqrt();
    let se = match column {
        "power" => get("power_se"),
        "p_efficacy" => get("p_efficacy_se"),
        "p_futility" => get("p_futility_se"),
        "cumulative_power" => get("cumulative_power_se"),
        // With interim looks the number randomised varies too: no simple SE.
        "mean_screened" if row.contains_key("looks") => None,
        // An event-driven analysis may come before the last randomisation: the same.
        "mean_screened" if row.get("analysis_events").is_some_and(|v| !v.is_empty()) => None,
        "mean_log_hr" => get("bias_se"),
        "interaction_power" => get("interaction_power_se"),
        "fwer" => get("fwer_se"),
        "type_i_error" => get("type_i_error_se"),
        "any_rejected" | "all_rejected" => Some(binomial_se(get(column)?, replicates)),
        // Within a label (subgroups.csv): the difference of two observed risks, each with
        // variance r (1 - r) / n per trial at the mean evaluable n.
        "mean_difference" if row.contains_key("label") => {
            let var = |r: f64, n: f64| if n > 0.0 { r * (1.0 - r) / n } else { 0.25 };
            let v = var(get("true_risk_arm")?, get("mean_evaluable_arm")?)
                + var(get("true_risk_control")?, get("mean_evaluable_control")?);
            Some((v / get("estimable")?).sqrt())
        }
        "mean_difference" => get("bias_se"),
        "coverage" => Some(binomial_se(get("coverage")?, get("estimable")?)),
        // The mean of a per-trial observed risk: SD about sqrt(r(1-r)/n) per trial.
        "mean_risk_control" => Some(binomial_se(
            get("mean_risk_control")?,
            get("mean_evaluable_control")? * get("estimable")?,
        )),
        "mean_risk_arm" => Some(binomial_se(
            get("mean_risk_arm")?,
            get("mean_evaluable_arm")? * get("estimable")?,
        )),
        // A Bayesian design's arm rows: shares of the run's trials.
        "p_superior" => get("p_superior_se"),
        "p_inferior" | "p_futile" | "p_equivalence" | "p_active" | "p_control" | "p_selected"
            if row.contains_key("role") =>
        {
            Some(binomial_se(get(column)?, replicates))
        }
        // bayesian.csv: each metric with its own Monte Carlo SE (none for a minimum, maximum
        // or count).
        "estimate" => get("mc_se"),
        // Screened = N + negative binomial(N, q), q = N / mean: SD sqrt(N (1-q)) / q.
        "mean_screened" => {
            let (n, mean, r) = (
                get("sample_size")?,
                get("mean_screened")?,
                get("replicates")?,
            );
            let q = n / mean;
            Some((n * (1.0 - q)).max(0.0).sqrt() / q / r.sqrt())
        }
        _ => return None,
    };
    Some(se)
}

/// Columns with no Monte Carlo error: they must agree to `DETERMINISTIC_TOL`.
const DETERMINISTIC: [&str; 41] = [
    "control",
    "true_risk",
    "test",
    "alternative",
    "alpha",
    "sample_size",
    "analytic_power",
    "true_risk_control",
    "true_risk_arm",
    "true_difference",
    "procedure",
    "true_null",
    "interaction_test",
    "planned_evaluable",
    "efficacy_z",
    "futility_z",
    "alpha_spent",
    "follow_up_days",
    "mortality_day",
    "true_mortality_control",
    "true_mortality_arm",
    "true_hazard_ratio",
    "analytic_p_efficacy",
    "analytic_p_futility",
    "analytic_cumulative_power",
    "analytic_expected_randomised",
    "analytic_expected_months",
    "analytic_expected_events",
    "analytic_randomised",
    "analytic_months",
    "analytic_randomised_at_analysis",
    "analytic_duration_days",
    "non_inferiority_margin",
    "margin_scale",
    "null_value",
    "reestimate_conditional_power",
    "min_sample_size",
    "max_sample_size",
    "min_events",
    "max_events",
    "reestimate_effect",
];

/// Columns compared with a z test on their Monte Carlo SEs (those a file has).
const SIMULATED: [&str; 23] = [
    "power",
    "p_superior",
    "p_inferior",
    "p_futile",
    "p_equivalence",
    "p_active",
    "p_control",
    "p_selected",
    "estimate",
    "mean_log_hr",
    "mean_difference",
    "coverage",
    "mean_risk_control",
    "mean_risk_arm",
    "mean_screened",
    "interaction_power",
    "any_rejected",
    "all_rejected",
    "fwer",
    "p_efficacy",
    "p_futility",
    "cumulative_power",
    "type_i_error",
];
const DETERMINISTIC_TOL: f64 = 1e-9;

/// A Monte Carlo comparison before multiplicity correction.
#[derive(Debug, Clone)]
pub struct Tested {
    pub moved: Moved,
    pub p: f64,
}

/// Monte Carlo comparison of one scenario's summaries: every simulated value with its z test
/// (to be Holm-corrected with the other scenarios' by `holm`), and the deterministic values that
/// changed.
pub fn compare_monte_carlo(
    old: &SummaryTable,
    new: &SummaryTable,
    replicates: (f64, f64),
) -> (Vec<Tested>, Vec<Moved>) {
    let (mut tested, mut changed) = (Vec::new(), Vec::new());
    for (arm, o) in &old.rows {
        let Some(n) = new.rows.get(arm) else {
            changed.push(moved(arm, "(row)", "present", "(absent)"));
            continue;
        };
        for column in DETERMINISTIC {
            let (a, b) = (o.get(column), n.get(column));
            if a.is_none() && b.is_none() {
                continue;
            }
            let same = match (
                a.and_then(|v| v.parse::<f64>().ok()),
                b.and_then(|v| v.parse::<f64>().ok()),
            ) {
                (Some(x), Some(y)) => (x - y).abs() <= DETERMINISTIC_TOL * x.abs().max(1.0),
                _ => a == b,
            };
            if !same {
                changed.push(moved(
                    arm,
                    column,
                    a.map_or("(absent)", |v| v),
                    b.map_or("(absent)", |v| v),
                ));
            }
        }
        for column in SIMULATED {
            let value = |row: &BTreeMap<String, String>| {
                row.get(column)
                    .and_then(|v| v.parse::<f64>().ok())
                    .filter(|x| x.is_finite())
            };
            let (Some(x), Some(y), Some(Some(se_x)), Some(Some(se_y))) = (
                value(o),
                value(n),
                monte_carlo_se(column, o, replicates.0),
                monte_carlo_se(column, n, replicates.1),
            ) else {
                continue;
            };
            let se = (se_x * se_x + se_y * se_y).sqrt();
            let (z, p) = if se > 0.0 {
                let z = (y - x) / se;
                (z, 2.0 * normal_upper(z.abs()))
            } else if x == y {
                (0.0, 1.0)
            } else {
                (f64::INFINITY, 0.0)
            };
            let mut m = moved(arm, column, &o[column], &n[column]);
            m.z = Some(z);
            m.p = Some(p);
            tested.push(Tested { moved: m, p });
        }
        changed.extend(unreadable(arm, o, n));
    }
    for arm in new.rows.keys().filter(|k| !old.rows.contains_key(*k)) {
        changed.push(moved(arm, "(row)", "(absent)", "present"));
    }
    (tested, changed)
}

/// The columns of a row (either side's) whose values differ and cannot both be read as finite
/// numbers: a committed value that is empty, `nan` or text where the re-run has a number (or
/// the other way round), or a column one side lacks. A z test cannot be run on them, and
/// leaving them out would pass a broken committed file.
fn unreadable<'a>(
    arm: &str,
    old: &'a BTreeMap<String, String>,
    new: &'a BTreeMap<String, String>,
) -> impl Iterator<Item = Moved> + 'a {
    let number = |v: Option<&String>| {
        v.and_then(|v| v.parse::<f64>().ok())
            .filter(|x| x.is_finite())
    };
    let columns: std::collections::BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    let arm = arm.to_string();
    columns.into_iter().filter_map(move |c| {
        let (a, b) = (old.get(c), new.get(c));
        let deterministic = DETERMINISTIC.contains(&c.as_str()) && a.is_some() && b.is_some();
        (a != b && !deterministic && (number(a).is_none() || number(b).is_none())).then(|| {
            moved(
                &arm,
                c,
                a.map_or("(absent)", String::as_str),
                b.map_or("(absent)", String::as_str),
            )
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSV: &str = "scenario,arm,control,test,alternative,alpha,replicates,seed,sample_size,power,power_se,true_risk_control,true_risk_arm,true_difference,analytic_power,mean_difference,bias_se\n\
        s,b,a,chi_square,two_sided,0.05,10000,1,100,0.8,0.004,0.2,0.4,0.2,0.81,0.2,0.001\n";

    #[test]
    fn exact_comparison_names_each_moved_field() {
        let old = SummaryTable::parse(CSV.as_bytes()).unwrap();
        assert!(compare_exact(&old, &old).is_empty());
        let new =
            SummaryTable::parse(CSV.replace(",0.8,0.004,", ",0.81,0.004,").as_bytes()).unwrap();
        let m = compare_exact(&old, &new);
        assert_eq!(m, vec![moved("b", "power", "0.8", "0.81")]);
    }

    #[test]
    fn monte_carlo_comparison_flags_only_real_changes() {
        let old = SummaryTable::parse(CSV.as_bytes()).unwrap();
        // 0.8 -> 0.805: 0.005 / (0.004 sqrt 2) = 0.88 SE: not significant.
        let new =
            SummaryTable::parse(CSV.replace(",0.8,0.004,", ",0.805,0.004,").as_bytes()).unwrap();
        let (tested, changed) = compare_monte_carlo(&old, &new, (1e4, 1e4));
        assert!(changed.is_empty());
        let power = tested.iter().find(|t| t.moved.column == "power").unwrap();
        assert!((power.moved.z.unwrap() - 0.005 / (0.004 * 2f64.sqrt())).abs() < 1e-12);
        assert!(
            !holm(&tested.iter().map(|t| t.p).collect::<Vec<_>>(), 0.01)
                .iter()
                .any(|&r| r)
        );
        // 0.8 -> 0.85: 8.8 SE: flagged.
        let new =
            SummaryTable::parse(CSV.replace(",0.8,0.004,", ",0.85,0.004,").as_bytes()).unwrap();
        let (tested, _) = compare_monte_carlo(&old, &new, (1e4, 1e4));
        let flags = holm(&tested.iter().map(|t| t.p).collect::<Vec<_>>(), 0.01);
        let flagged: Vec<_> = tested
            .iter()
            .zip(flags)
            .filter(|(_, f)| *f)
            .map(|(t, _)| t.moved.column.as_str())
            .collect();
        assert_eq!(flagged, vec!["power"]);
        // A true risk that moves is a real change whatever its size.
        let new = SummaryTable::parse(
            CSV.replace(",0.2,0.4,0.2,", ",0.2,0.4000001,0.2,")
                .as_bytes(),
        )
        .unwrap();
        let (_, changed) = compare_monte_carlo(&old, &new, (1e4, 1e4));
        assert_eq!(changed.len(), 1);
        assert_eq!(changed[0].column, "true_risk_arm");
    }

    /// A committed value that cannot be read as a number is a change, named by row and column,
    /// where the z test would have had nothing to compare (issue 29: a committed power of
    /// `nan`, empty or `abc` passed); and a row the committed file lacks is one too.
    #[test]
    fn unreadable_committed_values_are_changes() {
        let new = SummaryTable::parse(CSV.as_bytes()).unwrap();
        for (column, from, broken) in [
            ("power", ",0.8,0.004,", ",nan,0.004,"),
            ("power", ",0.8,0.004,", ",,0.004,"),
            ("power", ",0.8,0.004,", ",abc,0.004,"),
            ("power_se", ",0.8,0.004,", ",0.8,inf,"),
            ("bias_se", ",0.2,0.001\n", ",0.2,x\n"),
        ] {
            let old = SummaryTable::parse(CSV.replace(from, broken).as_bytes()).unwrap();
            let (tested, changed) = compare_monte_carlo(&old, &new, (1e4, 1e4));
            assert_eq!(changed.len(), 1, "{broken}: {changed:?}");
            assert_eq!(
                (changed[0].arm.as_str(), changed[0].column.as_str()),
                ("b", column)
            );
            // Only the readable values were tested.
            assert!(tested.iter().all(|t| t.moved.column != column), "{broken}");
        }
        let two_rows = format!(
            "{CSV}{}",
            CSV.lines().nth(1).unwrap().replace("s,b,", "s,c,")
        );
        let new = SummaryTable::parse(format!("{two_rows}\n").as_bytes()).unwrap();
        let old = SummaryTable::parse(CSV.as_bytes()).unwrap();
        let (_, changed) = compare_monte_carlo(&old, &new, (1e4, 1e4));
        assert_eq!(changed, vec![moved("c", "(row)", "(absent)", "present")]);
    }
}
