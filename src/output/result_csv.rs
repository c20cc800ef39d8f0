//! The result CSVs, serialised by pure functions of the rows: summary.csv (its contract's
//! columns, then the sequential or time-to-event ones), sequential.csv, adaptation.csv,
//! subgroups.csv, hypotheses.csv, sample_size.csv and a sweep's CSV.

use crate::engine::summary::{
    AdaptationRow, BinaryColumns, ContinuousColumns, DesignColumns, EndpointColumns, HypothesisRow,
    INTERACTION_F_TEST, INTERACTION_PO_TEST, OrdinalColumns, SequentialRow, SubgroupRow,
    SummaryRow, SurvivalColumns,
};
use crate::model::reestimation::Reestimated;
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
pub(crate) fn num(v: f64) -> String {
    if v.is_nan() {
        String::new()
    } else {
        format!("{v}")
    }
}

/// Columns appended for designs with interim looks (`[sequential]` with more than one look).
pub const SEQUENTIAL_SUMMARY_COLUMNS: [&str; 11] = [
    "looks",
    "expected_randomised",
    "p95_randomised",
    "p_early_stop",
    "p_early_efficacy",
    "p_early_futility",
    "expected_months",
    "p95_months",
    "analytic_expected_randomised",
    "analytic_expected_months",
    "analytic_expected_events",
];

/// Columns appended for a design tested against a non-inferiority margin: the margin as
/// written, its scale, and the null value on the arm-vs-control scale (rpact's `thetaH0`).
pub const MARGIN_SUMMARY_COLUMNS: [&str; 3] =
    ["non_inferiority_margin", "margin_scale", "null_value"];

/// Column appended for a two-sided design whose power counts its rejections for benefit only
/// (`analysis.two_sided_power = false`, rpact's `twoSidedPower = FALSE`): "false".
pub const TWO_SIDED_POWER_COLUMN: &str = "two_sided_power";

/// Columns appended for a design with sample-size re-estimation: its rule, its type I error on
/// the boundary of the null, and the distribution of the patients randomised (re-estimated
/// deaths: `REESTIMATION_DEATHS_COLUMNS`, the same in deaths).
pub const REESTIMATION_SUMMARY_COLUMNS: [&str; 10] = [
    "reestimate_conditional_power",
    "min_sample_size",
    "max_sample_size",
    "reestimate_effect",
    "type_i_error",
    "type_i_error_se",
    "null_expected_randomised",
    "p05_randomised",
    "median_randomised",
    "p_max_sample_size",
];

/// `REESTIMATION_SUMMARY_COLUMNS` of an event-driven design with re-estimated deaths.
pub const REESTIMATION_DEATHS_COLUMNS: [&str; 10] = [
    "reestimate_conditional_power",
    "min_events",
    "max_events",
    "reestimate_effect",
    "type_i_error",
    "type_i_error_se",
    "null_expected_events",
    "p05_events",
    "median_events",
    "p_max_events",
];

/// Columns appended to sequential.csv for a design with sample-size re-estimation.
pub const REESTIMATION_SEQUENTIAL_COLUMNS: [&str; 3] =
    ["mean_conditional_power", "p_stage_at_max", "p_stage_at_min"];

/// Columns appended to sequential.csv for a two-sided design whose power counts benefit only
/// (`analysis.two_sided_power = false`): its stops for harm at each look.
pub const HARM_SEQUENTIAL_COLUMNS: [&str; 3] = ["p_harm", "p_harm_se", "analytic_p_harm"];

/// summary.csv's own columns for a time-to-event design: the binary endpoint's risks,
/// differences and evaluable patients give way to mortality, the hazard ratio, events and
/// duration.
pub const SURVIVAL_SUMMARY_COLUMNS: [&str; 22] = [
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
    "analytic_randomised_at_analysis",
    "analytic_duration_days",
];

/// summary.csv's own columns for a continuous endpoint: the means, their difference and its
/// estimate, and the dichotomised analysis (empty without `responder_below`).
pub const CONTINUOUS_SUMMARY_COLUMNS: [&str; 19] = [
    "true_mean_control",
    "true_mean_arm",
    "true_sd_control",
    "true_sd_arm",
    "true_difference",
    "mean_difference",
    "bias",
    "bias_se",
    "coverage",
    "estimable",
    "mean_observed_control",
    "mean_observed_arm",
    "mean_evaluable_control",
    "mean_evaluable_arm",
    "responder_below",
    "true_responders_control",
    "true_responders_arm",
    "responder_power",
    "responder_power_se",
];

/// summary.csv's own columns for an ordinal endpoint: the mean levels, the log odds ratio's
/// limit and its estimate (from the proportional-odds fit, whichever the test).
pub const ORDINAL_SUMMARY_COLUMNS: [&str; 13] = [
    "true_mean_level_control",
    "true_mean_level_arm",
    "true_log_odds_ratio",
    "proportional_odds_holds",
    "mean_log_odds_ratio",
    "bias",
    "bias_se",
    "coverage",
    "estimable",
    "mean_observed_level_control",
    "mean_observed_level_arm",
    "mean_evaluable_control",
    "mean_evaluable_arm",
];

/// The screening and cost columns that end a time-to-event or continuous summary.
const TRAILING: [&str; 5] = [
    "mean_screened",
    "p95_screened",
    "mean_cost",
    "p95_cost",
    "currency",
];

/// A time-to-event or continuous summary shares the binary one's first columns (to `analytic_power`) and its
/// screening and cost columns (from `mean_screened` to `currency`, less `estimable` and
/// `bias_se`, which it has among its own).
pub(super) const SHARED_LEADING: usize = 14;

/// The header of a summary with an endpoint's `own` columns between the shared ones.
fn header_with(own: &[&'static str]) -> Vec<&'static str> {
    SUMMARY_COLUMNS[..SHARED_LEADING]
        .iter()
        .chain(own)
        .chain(&TRAILING)
        .copied()
        .collect()
}

pub(super) fn survival_header() -> Vec<&'static str> {
    header_with(&SURVIVAL_SUMMARY_COLUMNS)
}

/// The header of summary.csv (and of a sweep's rows) for these rows: the time-to-event
/// columns or the binary ones, then the sequential columns if any row has interim looks.
pub fn summary_header(rows: &[SummaryRow]) -> Vec<&'static str> {
    let mut h = match rows.first().map(|r| &r.endpoint) {
        Some(EndpointColumns::TimeToEvent(_)) => survival_header(),
        Some(EndpointColumns::Continuous(_)) => header_with(&CONTINUOUS_SUMMARY_COLUMNS),
        Some(EndpointColumns::Ordinal(_)) => header_with(&ORDINAL_SUMMARY_COLUMNS),
        Some(EndpointColumns::Binary(_)) | None => SUMMARY_COLUMNS.to_vec(),
    };
    if rows.iter().any(|r| r.sequential().is_some()) {
        h.extend(SEQUENTIAL_SUMMARY_COLUMNS);
    }
    if rows.iter().any(|r| r.margin.is_some()) {
        h.extend(MARGIN_SUMMARY_COLUMNS);
    }
    if rows.iter().any(|r| !r.two_sided_power) {
        h.push(TWO_SIDED_POWER_COLUMN);
    }
    // One file holds one endpoint's rows, so one unit.
    match rows
        .iter()
        .find_map(|r| r.reestimation.as_ref())
        .map(|e| e.unit)
    {
        Some(Reestimated::Patients) => h.extend(REESTIMATION_SUMMARY_COLUMNS),
        Some(Reestimated::Deaths) => h.extend(REESTIMATION_DEATHS_COLUMNS),
        None => {}
    }
    h
}

/// Which optional column groups a summary header has.
#[derive(Debug, Clone, Copy)]
pub struct OptionalColumns {
    sequential: bool,
    margin: bool,
    two_sided_power: bool,
    reestimation: bool,
}

impl OptionalColumns {
    pub fn of(header: &[&str]) -> OptionalColumns {
        OptionalColumns {
            sequential: has_sequential_columns(header),
            margin: header.contains(&MARGIN_SUMMARY_COLUMNS[0]),
            two_sided_power: header.contains(&TWO_SIDED_POWER_COLUMN),
            reestimation: header.contains(&REESTIMATION_SUMMARY_COLUMNS[0]),
        }
    }
}

/// Whether a summary header has the sequential columns.
pub(super) fn has_sequential_columns(header: &[&str]) -> bool {
    header.contains(&SEQUENTIAL_SUMMARY_COLUMNS[0])
}

/// A summary row's fields, with the file's optional columns (empty fields for a row without
/// them).
pub fn summary_record(r: &SummaryRow, optional: OptionalColumns) -> Vec<String> {
    let mut fields = required_fields(r, optional.sequential);
    if optional.margin {
        match &r.margin {
            Some(m) => fields.extend([num(m.margin), m.scale.as_str().to_string(), num(m.null)]),
            None => fields.extend(MARGIN_SUMMARY_COLUMNS.map(|_| String::new())),
        }
    }
    if optional.two_sided_power {
        fields.push(r.two_sided_power.to_string());
    }
    if optional.reestimation {
        match &r.reestimation {
            Some(e) => fields.extend([
                num(e.conditional_power),
                e.min_total.to_string(),
                e.max_total.to_string(),
                e.effect.to_string(),
                num(e.type_i_error),
                num(e.type_i_error_se),
                num(e.null_expected_total),
                e.p05_total.to_string(),
                e.median_total.to_string(),
                num(e.p_max_total),
            ]),
            None => fields.extend(REESTIMATION_SUMMARY_COLUMNS.map(|_| String::new())),
        }
    }
    fields
}

/// A summary row's fields up to its sequential columns (if `sequential`).
fn required_fields(r: &SummaryRow, sequential: bool) -> Vec<String> {
    let mut fields = match &r.endpoint {
        EndpointColumns::Binary(b) => binary_fields(r, b),
        EndpointColumns::TimeToEvent(s) => survival_fields(r, s),
        EndpointColumns::Continuous(c) => continuous_fields(r, c),
        EndpointColumns::Ordinal(o) => ordinal_fields(r, o),
    };
    if sequential {
        match &r.design {
            DesignColumns::Interim(s) => fields.extend([
                s.looks.to_string(),
                num(s.expected_randomised),
                s.p95_randomised.to_string(),
                num(s.p_early_stop),
                num(s.p_early_efficacy),
                num(s.p_early_futility),
                num(s.expected_months),
                num(s.p95_months),
                num(s.analytic_expected_randomised),
                num(s.analytic_expected_months),
                num(s.analytic_expected_events),
            ]),
            DesignColumns::NoInterim => {
                fields.extend(SEQUENTIAL_SUMMARY_COLUMNS.map(|_| String::new()))
            }
        }
    }
    fields
}

/// The columns every summary row starts with, to `analytic_power`.
fn leading_fields(r: &SummaryRow) -> [String; SHARED_LEADING] {
    [
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
    ]
}

fn survival_fields(r: &SummaryRow, s: &SurvivalColumns) -> Vec<String> {
    let mut fields = leading_fields(r).to_vec();
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
        num(s.analytic_randomised_at_analysis),
        num(s.analytic_duration_days),
    ]);
    fields.extend(trailing_fields(r));
    fields
}

fn continuous_fields(r: &SummaryRow, c: &ContinuousColumns) -> Vec<String> {
    let mut fields = leading_fields(r).to_vec();
    fields.extend([
        num(c.true_mean_control),
        num(c.true_mean_arm),
        num(c.true_sd_control),
        num(c.true_sd_arm),
        num(c.true_difference),
        num(c.mean_difference),
        num(c.bias),
        num(c.bias_se),
        num(c.coverage),
        c.estimable.to_string(),
        num(c.mean_observed_control),
        num(c.mean_observed_arm),
        num(c.mean_evaluable_control),
        num(c.mean_evaluable_arm),
        num(c.responder_below),
        num(c.true_responders_control),
        num(c.true_responders_arm),
        num(c.responder_power),
        num(c.responder_power_se),
    ]);
    fields.extend(trailing_fields(r));
    fields
}

fn ordinal_fields(r: &SummaryRow, o: &OrdinalColumns) -> Vec<String> {
    let mut fields = leading_fields(r).to_vec();
    fields.extend([
        num(o.true_mean_level_control),
        num(o.true_mean_level_arm),
        num(o.true_log_odds_ratio),
        o.proportional_odds_holds.to_string(),
        num(o.mean_log_odds_ratio),
        num(o.bias),
        num(o.bias_se),
        num(o.coverage),
        o.estimable.to_string(),
        num(o.mean_observed_control),
        num(o.mean_observed_arm),
        num(o.mean_evaluable_control),
        num(o.mean_evaluable_arm),
    ]);
    fields.extend(trailing_fields(r));
    fields
}

/// The screening and cost fields that end a time-to-event or continuous summary row.
fn trailing_fields(r: &SummaryRow) -> [String; 5] {
    [
        num(r.mean_screened),
        r.p95_screened.to_string(),
        num(r.mean_cost),
        num(r.p95_cost),
        r.currency.clone(),
    ]
}

fn binary_fields(r: &SummaryRow, b: &BinaryColumns) -> Vec<String> {
    let mut fields = leading_fields(r).to_vec();
    fields.extend([
        num(b.true_risk_control),
        num(b.true_risk_arm),
        num(b.true_difference),
        num(b.mean_difference),
        num(b.bias),
        num(b.coverage),
        num(b.mean_risk_control),
        num(b.mean_risk_arm),
        num(b.mean_evaluable_control),
        num(b.mean_evaluable_arm),
        num(r.mean_screened),
        r.p95_screened.to_string(),
        b.estimable.to_string(),
        num(b.bias_se),
        num(r.mean_cost),
        num(r.p95_cost),
        r.currency.clone(),
    ]);
    fields
}

/// A CSV file as bytes: a header and records of already formatted fields.
pub(crate) fn to_csv<H, R>(header: H, records: impl IntoIterator<Item = R>) -> Vec<u8>
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
    let optional = OptionalColumns::of(&header);
    to_csv(header, rows.iter().map(|r| summary_record(r, optional)))
}

/// sequential.csv: per comparison x look, the boundaries and what happened there.
pub fn sequential_csv(rows: &[SequentialRow]) -> Vec<u8> {
    let reestimated = rows.iter().any(|r| r.reestimation.is_some());
    let harm = rows.iter().any(|r| r.harm.is_some());
    let extra = [
        (reestimated, &REESTIMATION_SEQUENTIAL_COLUMNS[..]),
        (harm, &HARM_SEQUENTIAL_COLUMNS[..]),
    ]
    .into_iter()
    .filter(|(written, _)| *written)
    .flat_map(|(_, columns)| columns);
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
            "analytic_p_efficacy",
            "analytic_p_futility",
            "analytic_cumulative_power",
            "analytic_randomised",
            "analytic_months",
            "p_reached",
            "mean_randomised",
            "months",
        ]
        .iter()
        .chain(extra),
        rows.iter().map(|r| {
            let mut fields = vec![
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
                num(r.analytic_p_efficacy),
                num(r.analytic_p_futility),
                num(r.analytic_cumulative_power),
                num(r.analytic_randomised),
                num(r.analytic_months),
                num(r.p_reached),
                num(r.mean_randomised),
                num(r.months),
            ];
            if reestimated {
                let s = r.reestimation;
                fields.extend([
                    num(s.map_or(f64::NAN, |s| s.mean_conditional_power)),
                    num(s.map_or(f64::NAN, |s| s.p_stage_at_max)),
                    num(s.map_or(f64::NAN, |s| s.p_stage_at_min)),
                ]);
            }
            if harm {
                let h = r.harm;
                fields.extend([
                    num(h.map_or(f64::NAN, |h| h.p_harm)),
                    num(h.map_or(f64::NAN, |h| h.p_harm_se)),
                    num(h.map_or(f64::NAN, |h| h.analytic_p_harm)),
                ]);
            }
            fields
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

/// subgroups.csv: per comparison x diagnostic label. A continuous endpoint's true means are
/// `true_mean_*` where a binary one's risks are `true_risk_*`.
pub fn subgroups_csv(rows: &[SubgroupRow]) -> Vec<u8> {
    let [control, arm] = match rows.first().map(|r| r.interaction_test) {
        Some(INTERACTION_F_TEST) => ["true_mean_control", "true_mean_arm"],
        Some(INTERACTION_PO_TEST) => ["true_mean_level_control", "true_mean_level_arm"],
        _ => ["true_risk_control", "true_risk_arm"],
    };
    to_csv(
        [
            "scenario",
            "arm",
            "control",
            "label",
            "test",
            "mean_evaluable_control",
            "mean_evaluable_arm",
            control,
            arm,
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
                r.interaction_test.to_string(),
                num(r.interaction_power),
                num(r.interaction_power_se),
            ]
        }),
    )
}

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

/// sample_size.csv: one row per candidate N evaluated and required comparison.
pub fn sample_size_csv(search: &SizeSearch) -> Vec<u8> {
    let records = search.candidates.iter().flat_map(|(&n, rows)| {
        rows.iter().map(move |r| {
            let (evaluable_control, evaluable_arm) = r.mean_evaluable();
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
                num(evaluable_arm),
                num(evaluable_control),
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
    let optional = OptionalColumns::of(&columns);
    let header: Vec<&str> = keys.iter().map(String::as_str).chain(columns).collect();
    let records = points.iter().flat_map(|(values, rows)| {
        rows.iter().map(move |r| {
            values
                .iter()
                .cloned()
                .chain(summary_record(r, optional))
                .collect::<Vec<_>>()
        })
    });
    to_csv(header, records)
}
