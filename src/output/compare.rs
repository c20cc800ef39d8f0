//! What `endotrial compare` writes and prints: one row per scenario and comparison, as a CSV,
//! a terminal table, and the warnings when the designs compared differ in more than the design.

use crate::engine::summary::SummaryRow;
use crate::model::design::Design;
use crate::output::result_csv::{num, to_csv};
use crate::output::words::endpoint_words;

/// One design of a comparison: its summary at the stated N, and at the N reaching the target.
#[derive(Debug, Clone)]
pub struct CompareRow {
    pub design: Design,
    /// The power compared (`Searched::describe`).
    pub searched: String,
    pub stated: SummaryRow,
    /// The smallest N at which this comparison reaches the target, with its row there.
    pub at_target: Option<(u64, SummaryRow)>,
    /// Designs with several comparisons: the smallest N at which all of them reach the target
    /// (`Some(None)`: not reached); `None` for a single comparison.
    pub all_comparisons: Option<Option<u64>>,
}

/// compare-<names>.csv: one row per design and comparison.
pub fn compare_csv(rows: &[CompareRow]) -> Vec<u8> {
    to_csv(
        [
            "design",
            "arm",
            "control",
            "test",
            "eligible_fraction",
            "true_difference",
            "sample_size",
            "power",
            "power_ci_low",
            "power_ci_high",
            "mean_screened",
            "mean_cost",
            "n_for_target",
            "power_at_n",
            "power_at_n_ci_low",
            "power_at_n_ci_high",
            "mean_screened_at_n",
            "p95_screened_at_n",
            "mean_cost_at_n",
            "p95_cost_at_n",
            "n_for_target_all_comparisons",
            "currency",
            "replicates",
            "seed",
        ],
        rows.iter().map(|c| {
            let s = &c.stated;
            let t = c.at_target.as_ref();
            let at = |f: &dyn Fn(&SummaryRow) -> String| t.map_or(String::new(), |(_, r)| f(r));
            vec![
                c.design.name.clone(),
                s.arm.clone(),
                s.control.clone(),
                s.test.clone(),
                num(c.design.eligible_fraction),
                num(s.true_difference()),
                s.sample_size.to_string(),
                num(s.power),
                num(s.power_ci_low),
                num(s.power_ci_high),
                num(s.mean_screened),
                num(s.mean_cost),
                t.map_or(String::new(), |(n, _)| n.to_string()),
                at(&|r| num(r.power)),
                at(&|r| num(r.power_ci_low)),
                at(&|r| num(r.power_ci_high)),
                at(&|r| num(r.mean_screened)),
                at(&|r| r.p95_screened.to_string()),
                at(&|r| num(r.mean_cost)),
                at(&|r| num(r.p95_cost)),
                c.all_comparisons
                    .flatten()
                    .map_or(String::new(), |n| n.to_string()),
                s.currency.clone(),
                s.replicates.to_string(),
                s.seed.to_string(),
            ]
        }),
    )
}

/// The comparison for the terminal.
pub fn compare_table(rows: &[CompareRow], target: f64) -> String {
    let mut out = format!(
        "{:<28} {:>6} {:>8} {:>9} {:>10} {:>10} {:>16}\n",
        "design (comparison)", "N", "power", "N@target", "screened", "p95 scr.", "mean cost"
    );
    for c in rows {
        let s = &c.stated;
        let (n, screened, p95, cost) = match &c.at_target {
            Some((n, r)) => (
                n.to_string(),
                format!("{:.0}", r.mean_screened),
                r.p95_screened.to_string(),
                if r.mean_cost.is_nan() {
                    "-".into()
                } else {
                    crate::output::report::format::money(r.mean_cost, &r.currency)
                },
            ),
            None => ("not reached".into(), "-".into(), "-".into(), "-".into()),
        };
        let name = if c.design.comparisons().count() > 1 {
            format!("{} ({})", c.design.name, s.arm)
        } else {
            c.design.name.clone()
        };
        out += &format!(
            "{name:<28} {:>6} {:>8.4} {n:>9} {screened:>10} {p95:>10} {cost:>16}\n",
            s.sample_size, s.power
        );
    }
    out += &format!(
        "(N@target: smallest total N at which the comparison's power >= {target}; screening and cost at that N)\n"
    );
    // Which power each design compares, and for several comparisons the N at which all reach it.
    let mut said = std::collections::BTreeSet::new();
    for c in rows.iter().filter(|c| said.insert(&c.design.name)) {
        let d = &c.design;
        let k = d.comparisons().count();
        let mut line = format!("({}: {}", d.name, c.searched);
        if d.analysis.hypotheses.is_empty() {
            line += &format!(
                ", {} alpha {}",
                d.analysis.alternative_text(),
                d.analysis.alpha
            );
        }
        if let Some(all) = c.all_comparisons {
            line += &format!(
                "; {k} comparisons with {}, each at that alpha without adjustment across arms; all {k} reach the target at {}",
                d.arms[d.control].name,
                all.map_or("no N in range".into(), |n| format!("N = {n}"))
            );
        }
        out += &(line + ")\n");
    }
    out
}

/// Why the compared designs' powers may not be comparable: a different endpoint, direction,
/// level, number of comparisons or kind of power (stderr warnings; the table is still printed).
pub fn compare_warnings(rows: &[CompareRow]) -> Vec<String> {
    let mut designs: Vec<&CompareRow> = Vec::new();
    for c in rows {
        if !designs.iter().any(|d| d.design.name == c.design.name) {
            designs.push(c);
        }
    }
    let Some((first, rest)) = designs.split_first() else {
        return Vec::new();
    };
    let f = &first.design;
    let mut warnings = Vec::new();
    for c in rest {
        let d = &c.design;
        let differ = |what: &str, a: String, b: String| {
            format!(
                "compared designs answer different questions: {} {what} {a}, {} {b}",
                f.name, d.name
            )
        };
        let endpoint = |d: &crate::model::design::Design| endpoint_words(d).analysis;
        if endpoint(f) != endpoint(d) {
            warnings.push(differ("analyses", endpoint(f), endpoint(d)));
        }
        let level = |d: &crate::model::design::Design| {
            format!(
                "{} alpha {}",
                d.analysis.alternative_text(),
                d.analysis.alpha
            )
        };
        if level(f) != level(d) {
            warnings.push(differ("tests at", level(f), level(d)));
        }
        if f.comparisons().count() != d.comparisons().count() {
            warnings.push(differ(
                "has comparisons with control:",
                f.comparisons().count().to_string(),
                d.comparisons().count().to_string(),
            ));
        }
        let adjusted = |r: &CompareRow| {
            if r.design.analysis.hypotheses.is_empty() {
                "the power of its test, unadjusted".to_string()
            } else {
                format!("a multiplicity-adjusted power ({})", r.searched)
            }
        };
        if first.design.analysis.hypotheses.is_empty() != d.analysis.hypotheses.is_empty() {
            warnings.push(differ("compares", adjusted(first), adjusted(c)));
        }
    }
    // With interim looks, N is a maximum: say what such a design randomises on average.
    for c in &designs {
        if let Some((n, row)) = &c.at_target
            && let Some(s) = row.sequential()
        {
            warnings.push(format!(
                "{} has {} looks: its N is a maximum sample size; at N@target = {n} it randomises {:.0} on average (stops early with probability {:.3})",
                c.design.name, s.looks, s.expected_randomised, s.p_early_stop
            ));
        }
    }
    warnings
}
