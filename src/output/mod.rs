//! What users read. Here: the result CSVs serialised by pure functions, terminal tables, and
//! atomic file writes (a temporary file in the target folder, then a rename) so that a failed run
//! never leaves a half-written or clobbered result. Beside it: the report (`report`), power
//! curves (`plot`), Slurm job-array scripts (`slurm`) and a run's result folder written as a
//! whole under a lock (`result_dir`). Imports everything below it; only `cli` imports it.

pub mod plot;
pub mod report;
pub mod result_dir;
pub mod slurm;

use std::io::Write;
use std::path::Path;

use crate::engine::summary::{
    AdaptationRow, HypothesisRow, SequentialColumns, SequentialRow, SubgroupRow, SummaryRow,
    SurvivalColumns,
};
use crate::model::design::Design;
use crate::tools::size::SizeSearch;

/// The contract's columns, in order, followed by the extra ones.
pub const SUMMARY_COLUMNS: [&str; 31] = [
    "scenario",
    "arm",
    "control",
    "test",
    "alternative",
    "alpha",
    "replicates",
    "seed",
    "sample_size",
    "power",
    "power_se",
    "power_ci_low",
    "power_ci_high",
    "analytic_power",
    "true_risk_control",
    "true_risk_arm",
    "true_difference",
    "mean_difference",
    "bias",
    "coverage",
    "mean_risk_control",
    "mean_risk_arm",
    "mean_evaluable_control",
    "mean_evaluable_arm",
    "mean_screened",
    "p95_screened",
    "estimable",
    "bias_se",
    "mean_cost",
    "p95_cost",
    "currency",
];

/// Shortest decimal that reads back to the same f64 (Rust's `Display`), so CSVs compare exactly.
/// NaN (a quantity that does not apply, such as cost without `[cost]`) is an empty field.
fn num(v: f64) -> String {
    if v.is_nan() {
        String::new()
    } else {
        format!("{v}")
    }
}

/// Columns appended for designs with interim looks (`[sequential]` with more than one look).
pub const SEQUENTIAL_SUMMARY_COLUMNS: [&str; 8] = [
    "looks",
    "expected_randomised",
    "p95_randomised",
    "p_early_stop",
    "p_early_efficacy",
    "p_early_futility",
    "expected_months",
    "p95_months",
];

/// summary.csv's own columns for a time-to-event design: the binary endpoint's risks,
/// differences and evaluable patients give way to mortality, the hazard ratio, events and
/// duration.
pub const SURVIVAL_SUMMARY_COLUMNS: [&str; 20] = [
    "follow_up_days",
    "analysis_events",
    "time_resolution",
    "mortality_day",
    "true_mortality_control",
    "true_mortality_arm",
    "true_hazard_ratio",
    "mean_log_hr",
    "bias",
    "bias_se",
    "coverage",
    "estimable",
    "mean_events",
    "mean_events_control",
    "mean_events_arm",
    "mean_randomised_at_analysis",
    "mean_randomised_control",
    "mean_randomised_arm",
    "mean_duration_days",
    "p95_duration_days",
];

/// A time-to-event summary shares the binary one's first columns (to `analytic_power`) and its
/// screening and cost columns (from `mean_screened` to `currency`, less `estimable` and
/// `bias_se`, which it has among its own).
const SHARED_LEADING: usize = 14;

fn survival_header() -> Vec<&'static str> {
    let trailing = [
        "mean_screened",
        "p95_screened",
        "mean_cost",
        "p95_cost",
        "currency",
    ];
    SUMMARY_COLUMNS[..SHARED_LEADING]
        .iter()
        .chain(&SURVIVAL_SUMMARY_COLUMNS)
        .chain(&trailing)
        .copied()
        .collect()
}

/// The header of summary.csv (and of a sweep's rows) for these rows.
/// The header of summary.csv (and of a sweep's rows) for these rows: the time-to-event
/// columns or the binary ones, then the sequential columns if any row has interim looks.
pub fn summary_header(rows: &[SummaryRow]) -> Vec<&'static str> {
    let mut h = if rows.iter().any(|r| r.survival.is_some()) {
        survival_header()
    } else {
        SUMMARY_COLUMNS.to_vec()
    };
    if rows.iter().any(|r| r.sequential.is_some()) {
        h.extend(SEQUENTIAL_SUMMARY_COLUMNS);
    }
    h
}

/// Whether a summary header has the sequential columns.
fn has_sequential_columns(header: &[&str]) -> bool {
    header.contains(&SEQUENTIAL_SUMMARY_COLUMNS[0])
}

/// A summary row's fields; `sequential`: whether the file has the sequential columns (empty
/// fields for a row without them).
pub fn summary_record(r: &SummaryRow, sequential: bool) -> Vec<String> {
    let mut fields = match &r.survival {
        Some(s) => survival_fields(r, s),
        None => summary_fields(r),
    };
    if sequential {
        match &r.sequential {
            Some(s) => fields.extend([
                s.looks.to_string(),
                num(s.expected_randomised),
                s.p95_randomised.to_string(),
                num(s.p_early_stop),
                num(s.p_early_efficacy),
                num(s.p_early_futility),
                num(s.expected_months),
                num(s.p95_months),
            ]),
            None => fields.extend(SEQUENTIAL_SUMMARY_COLUMNS.map(|_| String::new())),
        }
    }
    fields
}

fn survival_fields(r: &SummaryRow, s: &SurvivalColumns) -> Vec<String> {
    let mut fields = summary_fields(r)[..SHARED_LEADING].to_vec();
    fields.extend([
        num(s.follow_up_days),
        s.analysis_events.map_or(String::new(), |k| k.to_string()),
        s.time_resolution.to_string(),
        num(s.mortality_day),
        num(s.true_mortality_control),
        num(s.true_mortality_arm),
        num(s.true_hazard_ratio),
        num(s.mean_log_hr),
        num(s.bias),
        num(s.bias_se),
        num(s.coverage),
        s.estimable.to_string(),
        num(s.mean_events),
        num(s.mean_events_control),
        num(s.mean_events_arm),
        num(s.mean_randomised_at_analysis),
        num(s.mean_randomised_control),
        num(s.mean_randomised_arm),
        num(s.mean_duration_days),
        num(s.p95_duration_days),
        num(r.mean_screened),
        r.p95_screened.to_string(),
        num(r.mean_cost),
        num(r.p95_cost),
        r.currency.clone(),
    ]);
    fields
}

fn summary_fields(r: &SummaryRow) -> Vec<String> {
    vec![
        r.scenario.clone(),
        r.arm.clone(),
        r.control.clone(),
        r.test.clone(),
        r.alternative.clone(),
        num(r.alpha),
        r.replicates.to_string(),
        r.seed.to_string(),
        r.sample_size.to_string(),
        num(r.power),
        num(r.power_se),
        num(r.power_ci_low),
        num(r.power_ci_high),
        num(r.analytic_power),
        num(r.true_risk_control),
        num(r.true_risk_arm),
        num(r.true_difference),
        num(r.mean_difference),
        num(r.bias),
        num(r.coverage),
        num(r.mean_risk_control),
        num(r.mean_risk_arm),
        num(r.mean_evaluable_control),
        num(r.mean_evaluable_arm),
        num(r.mean_screened),
        r.p95_screened.to_string(),
        r.estimable.to_string(),
        num(r.bias_se),
        num(r.mean_cost),
        num(r.p95_cost),
        r.currency.clone(),
    ]
}

/// A CSV file as bytes: a header and records of already formatted fields.
fn to_csv<H, R>(header: H, records: impl IntoIterator<Item = R>) -> Vec<u8>
where
    H: IntoIterator,
    H::Item: AsRef<[u8]>,
    R: IntoIterator,
    R::Item: AsRef<[u8]>,
{
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header).expect("write to memory");
    for r in records {
        w.write_record(r).expect("write to memory");
    }
    w.into_inner().expect("flush to memory")
}

/// summary.csv as bytes.
pub fn summary_csv(rows: &[SummaryRow]) -> Vec<u8> {
    let header = summary_header(rows);
    let sequential = has_sequential_columns(&header);
    to_csv(header, rows.iter().map(|r| summary_record(r, sequential)))
}

/// sequential.csv: per comparison x look, the boundaries and what happened there.
pub fn sequential_csv(rows: &[SequentialRow]) -> Vec<u8> {
    to_csv(
        [
            "scenario",
            "arm",
            "control",
            "look",
            "fraction",
            "planned_evaluable",
            "planned_randomised",
            "efficacy_z",
            "efficacy_p",
            "alpha_spent",
            "futility_z",
            "beta_spent",
            "p_efficacy",
            "p_efficacy_se",
            "p_futility",
            "p_futility_se",
            "cumulative_power",
            "cumulative_power_se",
            "p_reached",
            "mean_randomised",
            "months",
        ],
        rows.iter().map(|r| {
            vec![
                r.scenario.clone(),
                r.arm.clone(),
                r.control.clone(),
                r.look.to_string(),
                num(r.fraction),
                r.planned_evaluable.to_string(),
                r.planned_randomised
                    .map_or(String::new(), |n| n.to_string()),
                num(r.efficacy_z),
                num(r.efficacy_p),
                num(r.alpha_spent),
                num(r.futility_z),
                num(r.beta_spent),
                num(r.p_efficacy),
                num(r.p_efficacy_se),
                num(r.p_futility),
                num(r.p_futility_se),
                num(r.cumulative_power),
                num(r.cumulative_power_se),
                num(r.p_reached),
                num(r.mean_randomised),
                num(r.months),
            ]
        }),
    )
}

/// adaptation.csv: per hypothesis (population) of an adaptive-enrichment design.
pub fn adaptation_csv(rows: &[AdaptationRow]) -> Vec<u8> {
    let looks = rows.first().map_or(0, |r| r.p_reject.len());
    let reject: Vec<String> = (1..=looks).map(|k| format!("p_reject_look_{k}")).collect();
    let header = [
        "scenario",
        "arm",
        "control",
        "hypothesis",
        "p_selected",
        "p_selected_se",
    ]
    .into_iter()
    .map(String::from)
    .chain(reject)
    .chain(
        [
            "p_futility",
            "mean_randomised_after",
            "mean_randomised_before_selection",
            "mean_randomised_after_selection",
            "mean_screened_before",
            "p95_screened_before",
            "mean_screened_after",
            "p95_screened_after",
            "mean_cost_before",
            "mean_cost_after",
            "currency",
        ]
        .map(String::from),
    );
    to_csv(
        header,
        rows.iter().map(|r| {
            [
                r.scenario.clone(),
                r.arm.clone(),
                r.control.clone(),
                r.hypothesis.clone(),
                num(r.p_selected),
                num(r.p_selected_se),
            ]
            .into_iter()
            .chain(r.p_reject.iter().map(|&p| num(p)))
            .chain([
                num(r.p_futility),
                num(r.mean_randomised_after),
                num(r.mean_randomised_before_selection),
                num(r.mean_randomised_after_selection),
                num(r.mean_screened_before),
                r.p95_screened_before.to_string(),
                num(r.mean_screened_after),
                r.p95_screened_after.to_string(),
                num(r.mean_cost_before),
                num(r.mean_cost_after),
                r.currency.clone(),
            ])
            .collect::<Vec<_>>()
        }),
    )
}

/// subgroups.csv: per comparison x diagnostic label.
pub fn subgroups_csv(rows: &[SubgroupRow]) -> Vec<u8> {
    to_csv(
        [
            "scenario",
            "arm",
            "control",
            "label",
            "test",
            "mean_evaluable_control",
            "mean_evaluable_arm",
            "true_risk_control",
            "true_risk_arm",
            "true_difference",
            "mean_difference",
            "estimable",
            "power",
            "power_se",
            "interaction_test",
            "interaction_power",
            "interaction_power_se",
        ],
        rows.iter().map(|r| {
            [
                r.scenario.clone(),
                r.arm.clone(),
                r.control.clone(),
                r.label.clone(),
                r.test.clone(),
                num(r.mean_evaluable_control),
                num(r.mean_evaluable_arm),
                num(r.true_risk_control),
                num(r.true_risk_arm),
                num(r.true_difference),
                num(r.mean_difference),
                r.estimable.to_string(),
                num(r.power),
                num(r.power_se),
                INTERACTION_TEST.to_string(),
                num(r.interaction_power),
                num(r.interaction_power_se),
            ]
        }),
    )
}

/// How the interaction column was computed (see `analysis::interaction_wald`).
pub const INTERACTION_TEST: &str = "logistic_wald";

/// hypotheses.csv: per comparison x hypothesis, under the multiplicity procedure.
pub fn hypotheses_csv(rows: &[HypothesisRow]) -> Vec<u8> {
    to_csv(
        [
            "scenario",
            "arm",
            "control",
            "procedure",
            "alpha",
            "hypothesis",
            "true_null",
            "power",
            "power_se",
            "any_rejected",
            "all_rejected",
            "fwer",
            "fwer_se",
            "fwer_ci_low",
            "fwer_ci_high",
        ],
        rows.iter().map(|r| {
            [
                r.scenario.clone(),
                r.arm.clone(),
                r.control.clone(),
                r.procedure.clone(),
                num(r.alpha),
                r.hypothesis.clone(),
                r.true_null.to_string(),
                num(r.power),
                num(r.power_se),
                num(r.any_rejected),
                num(r.all_rejected),
                num(r.fwer),
                num(r.fwer_se),
                num(r.fwer_ci_low),
                num(r.fwer_ci_high),
            ]
        }),
    )
}

/// Multiplicity results for the terminal.
pub fn hypotheses_table(rows: &[HypothesisRow]) -> String {
    let mut out = String::new();
    let mut last = None;
    for r in rows {
        if last != Some((&r.arm, &r.control)) {
            out += &format!(
                "  {} vs {}: {} at alpha {}; P(reject >= 1) {:.4}, P(reject all) {:.4}, FWER {:.4} (95% CI {:.4} to {:.4})\n",
                r.arm,
                r.control,
                r.procedure,
                r.alpha,
                r.any_rejected,
                r.all_rejected,
                r.fwer,
                r.fwer_ci_low,
                r.fwer_ci_high
            );
            last = Some((&r.arm, &r.control));
        }
        out += &format!(
            "    {:<20} power {:.4} (MC SE {:.4}){}\n",
            r.hypothesis,
            r.power,
            r.power_se,
            if r.true_null { "  [true null]" } else { "" }
        );
    }
    out
}

/// sample_size.csv: one row per candidate N evaluated and required comparison.
pub fn sample_size_csv(search: &SizeSearch) -> Vec<u8> {
    let records = search.candidates.iter().flat_map(|(&n, rows)| {
        rows.iter().map(move |r| {
            [
                n.to_string(),
                num(r.power),
                num(r.power_se),
                num(r.power_ci_low),
                num(r.power_ci_high),
                num(r.analytic_power),
                num(r.mean_screened),
                r.p95_screened.to_string(),
                (search.chosen == Some(n)).to_string(),
                r.arm.clone(),
                r.control.clone(),
                num(r.mean_evaluable_arm),
                num(r.mean_evaluable_control),
                r.replicates.to_string(),
                r.seed.to_string(),
                num(r.mean_cost),
                num(r.p95_cost),
                search.searched.clone(),
            ]
        })
    });
    to_csv(
        [
            "sample_size",
            "power",
            "power_se",
            "power_ci_low",
            "power_ci_high",
            "analytic_power",
            "mean_screened",
            "p95_screened",
            "chosen",
            "arm",
            "control",
            "mean_evaluable_arm",
            "mean_evaluable_control",
            "replicates",
            "seed",
            "mean_cost",
            "p95_cost",
            "power_searched",
        ],
        records,
    )
}

/// sweep.csv in tidy long form: the swept keys' values, then the summary columns.
pub fn sweep_csv(keys: &[String], points: &[(Vec<String>, Vec<SummaryRow>)]) -> Vec<u8> {
    let all: Vec<SummaryRow> = points.iter().flat_map(|(_, r)| r.iter().cloned()).collect();
    let columns = summary_header(&all);
    let sequential = has_sequential_columns(&columns);
    let header: Vec<&str> = keys.iter().map(String::as_str).chain(columns).collect();
    let records = points.iter().flat_map(|(values, rows)| {
        rows.iter().map(move |r| {
            values
                .iter()
                .cloned()
                .chain(summary_record(r, sequential))
                .collect::<Vec<_>>()
        })
    });
    to_csv(header, records)
}

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
                num(s.true_difference),
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
                d.analysis.sidedness.as_str(),
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
        let endpoint = |d: &crate::model::design::Design| match &d.survival {
            Some(_) => format!("time to {} (log-rank)", d.event),
            None => format!("{} ({})", d.event, d.better.phrase()),
        };
        if endpoint(f) != endpoint(d) {
            warnings.push(differ("analyses", endpoint(f), endpoint(d)));
        }
        let level = |d: &crate::model::design::Design| {
            format!(
                "{} alpha {}",
                d.analysis.sidedness.as_str(),
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
            && let Some(s) = &row.sequential
        {
            warnings.push(format!(
                "{} has {} looks: its N is a maximum sample size; at N@target = {n} it randomises {:.0} on average (stops early with probability {:.3})",
                c.design.name, s.looks, s.expected_randomised, s.p_early_stop
            ));
        }
    }
    warnings
}

/// The terminal summary's lines on the looks of a sequential design.
fn looks_lines(r: &SummaryRow, s: &SequentialColumns) -> String {
    let mut out = format!(
        "  looks            {}: this comparison stopped early for efficacy {:.4}, futility {:.4}; trial ended early {:.4}\n",
        s.looks, s.p_early_efficacy, s.p_early_futility, s.p_early_stop
    );
    out += &format!(
        "  randomised       mean {:.1}, 95th percentile {} (of at most {})\n",
        s.expected_randomised, s.p95_randomised, r.sample_size
    );
    if !s.expected_months.is_nan() {
        out += &format!(
            "  duration         mean {:.1} months, 95th percentile {:.1}\n",
            s.expected_months, s.p95_months
        );
    }
    out
}

/// The screening and cost lines of the terminal summary.
fn screening_lines(r: &SummaryRow) -> String {
    let mut out = format!(
        "  screened         mean {:.1}, 95th percentile {}\n",
        r.mean_screened, r.p95_screened
    );
    if !r.mean_cost.is_nan() && !r.p95_cost.is_nan() {
        out += &format!(
            "  cost             mean {:.0} {cur}, 95th percentile {:.0} {cur}\n",
            r.mean_cost,
            r.p95_cost,
            cur = r.currency
        );
    } else if !r.mean_cost.is_nan() {
        out += &format!(
            "  cost             mean {:.0} {}\n",
            r.mean_cost, r.currency
        );
    }
    out
}

/// The terminal summary of a time-to-event comparison after its power line.
fn survival_lines(r: &SummaryRow, s: &SurvivalColumns) -> String {
    let mut out = format!(
        "  mortality        day {}: control {:.4}, arm {:.4}\n",
        s.mortality_day, s.true_mortality_control, s.true_mortality_arm
    );
    out += &if s.true_hazard_ratio.is_nan() {
        format!(
            "  Cox estimate     mean log HR {:+.4} (no single true HR: the endotypes' hazards are not proportional)\n",
            s.mean_log_hr
        )
    } else {
        format!(
            "  Cox estimate     mean log HR {:+.4} (true {:+.4}, HR {:.4}), bias {:+.5} (MC SE {:.5}); Wald 95% coverage {:.4}\n",
            s.mean_log_hr,
            s.true_hazard_ratio.ln(),
            s.true_hazard_ratio,
            s.bias,
            s.bias_se,
            s.coverage
        )
    };
    out += &format!(
        "  events           mean {:.1} (control {:.1}, arm {:.1}); randomised by the analysis {:.1}\n",
        s.mean_events, s.mean_events_control, s.mean_events_arm, s.mean_randomised_at_analysis
    );
    if !s.mean_duration_days.is_nan() {
        out += &format!(
            "  duration         mean {:.1} days, 95th percentile {} days\n",
            s.mean_duration_days, s.p95_duration_days
        );
    }
    out + &screening_lines(r)
}

/// A human-readable table of the summary for the terminal.
pub fn summary_table(rows: &[SummaryRow]) -> String {
    let mut out = String::new();
    for r in rows {
        out += &format!(
            "{} | {} vs {} | {} {} alpha={} | N={} | {} trials, seed {}\n",
            r.scenario,
            r.arm,
            r.control,
            r.test,
            r.alternative,
            r.alpha,
            r.sample_size,
            r.replicates,
            r.seed
        );
        let approximation = if r.analytic_power.is_nan() && r.survival.is_some() {
            "none (hazards not proportional)".to_string()
        } else if r.analytic_power.is_nan() {
            "none (adaptive enrichment)".to_string()
        } else {
            format!("{:.4}", r.analytic_power)
        };
        out += &format!(
            "  power            {:.4}  (MC SE {:.4}; 95% CI {:.4} to {:.4}); normal approximation {approximation}\n",
            r.power, r.power_se, r.power_ci_low, r.power_ci_high
        );
        if let Some(s) = &r.survival {
            if let Some(q) = &r.sequential {
                out += &looks_lines(r, q);
            }
            out += &survival_lines(r, s);
            continue;
        }
        out += &format!(
            "  true risk        control {:.4}, arm {:.4}; difference {:+.4}\n",
            r.true_risk_control, r.true_risk_arm, r.true_difference
        );
        if r.estimable > 0 {
            out += &format!(
                "  estimate         mean difference {:+.4}, bias {:+.5} (MC SE {:.5}); Wald 95% coverage {:.4}\n",
                r.mean_difference, r.bias, r.bias_se, r.coverage
            );
        }
        if let Some(s) = &r.sequential {
            out += &looks_lines(r, s);
        }
        out += &format!(
            "  evaluable        control {:.1}, arm {:.1} (mean per trial)\n",
            r.mean_evaluable_control, r.mean_evaluable_arm
        );
        out += &screening_lines(r);
    }
    out
}

/// Writes `bytes` to `path` atomically: a temporary file beside it, synced, then renamed over.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomic_mode(path, bytes, false)
}

/// As `write_atomic`, for a script meant to be run (executable bits under the umask).
pub fn write_script_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomic_mode(path, bytes, true)
}

fn write_atomic_mode(path: &Path, bytes: &[u8], executable: bool) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    create_folder(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_data()?;
    set_result_mode(tmp.as_file(), executable)?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Creates folder `dir` and its parents; a path on the way that is a file is named as such
/// (`create_dir_all` says only "File exists", as `--out results.csv` used to show).
pub fn create_folder(dir: &Path) -> std::io::Result<()> {
    for ancestor in dir.ancestors() {
        match std::fs::metadata(ancestor) {
            Ok(m) if m.is_dir() => break,
            Ok(_) => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    format!("'{}' is a file, not a folder", ancestor.display()),
                ));
            }
            Err(_) => continue,
        }
    }
    std::fs::create_dir_all(dir)
}

/// A temporary file is created 0600; a result gets the mode `File::create` would give it
/// (0666, or 0777 for a script, less the umask) so that a cluster group can read results.
fn set_result_mode(file: &std::fs::File, executable: bool) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let full = if executable { 0o777 } else { 0o666 };
    file.set_permissions(std::fs::Permissions::from_mode(full & !umask()))
}

/// The process's umask, read from /proc (Linux) without changing it; where /proc does not say,
/// set and restored at once (racy only against threads creating files at that instant).
fn umask() -> u32 {
    let from_proc = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Umask:"))
                .and_then(|v| u32::from_str_radix(v.trim(), 8).ok())
        });
    from_proc.unwrap_or_else(|| {
        // SAFETY: umask only swaps the process's file-mode mask.
        unsafe {
            let old = libc::umask(0o022);
            libc::umask(old);
            old as u32
        }
    })
}
