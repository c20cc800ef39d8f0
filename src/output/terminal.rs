//! The tables a run prints on the terminal: power per comparison with its looks, screening and
//! time-to-event lines, and the hypotheses' adjusted power.

use crate::engine::bayesian::metrics::{ArmRow, Metric};
use crate::engine::summary::{
    BinaryColumns, ContinuousColumns, DesignColumns, EndpointColumns, HypothesisRow,
    OrdinalColumns, SequentialColumns, SummaryRow, SurvivalColumns,
};
use crate::model::design::{Design, alternative_text};
use crate::model::reestimation::Reestimated;
use crate::model::vocabulary::TestKind;

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

/// The terminal summary's lines on the looks of a sequential design.
pub(super) fn looks_lines(r: &SummaryRow, s: &SequentialColumns) -> String {
    let mut out = format!(
        "  looks            {}: this comparison stopped early for efficacy {:.4}, futility {:.4}; trial ended early {:.4}\n",
        s.looks, s.p_early_efficacy, s.p_early_futility, s.p_early_stop
    );
    match &r.reestimation {
        Some(e) if e.unit == Reestimated::Deaths => {
            out += &format!(
                "  re-estimation    conditional power {} ({} effect), deaths from {} to {}: 5th/50th percentile {}/{}; at the maximum {:.4}\n",
                e.conditional_power,
                e.effect,
                e.min_total,
                e.max_total,
                e.p05_total,
                e.median_total,
                e.p_max_total
            );
        }
        Some(e) => {
            out += &format!(
                "  re-estimation    conditional power {} ({} effect), N from {} to {}: randomised mean {:.1}, 5th/50th/95th percentile {}/{}/{}; at the maximum {:.4}\n",
                e.conditional_power,
                e.effect,
                e.min_total,
                e.max_total,
                s.expected_randomised,
                e.p05_total,
                e.median_total,
                s.p95_randomised,
                e.p_max_total
            );
        }
        None => {
            out += &format!(
                "  randomised       mean {:.1}, 95th percentile {} (of at most {})\n",
                s.expected_randomised, s.p95_randomised, r.sample_size
            )
        }
    }
    // The type I error, after the rule, in what the rule counts.
    if let Some(e) = &r.reestimation {
        let per_trial = match e.unit {
            Reestimated::Patients => "randomised",
            Reestimated::Deaths => "deaths",
        };
        out += &format!(
            "  type I error     {:.4} (MC SE {:.4}) on the boundary of the null, {:.1} {per_trial} on average\n",
            e.type_i_error, e.type_i_error_se, e.null_expected_total
        );
    }
    if !s.expected_months.is_nan() {
        out += &format!(
            "  duration         mean {:.1} months, 95th percentile {:.1}\n",
            s.expected_months, s.p95_months
        );
    }
    out
}

/// The screening and cost lines of the terminal summary.
pub(super) fn screening_lines(r: &SummaryRow) -> String {
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
pub(super) fn survival_lines(r: &SummaryRow, s: &SurvivalColumns) -> String {
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
    if !s.analytic_duration_days.is_nan() {
        out += &format!(
            "  calendar         without simulation: {:.1} randomised by the analysis, day {:.1} (at the day the expected deaths reach each look)\n",
            s.analytic_randomised_at_analysis, s.analytic_duration_days
        );
    }
    out + &screening_lines(r)
}

/// A human-readable table of the summary for the terminal.
pub fn summary_table(rows: &[SummaryRow]) -> String {
    let mut out = String::new();
    for r in rows {
        // A non-inferiority test says its margin: "one_sided non-inferiority margin 0.1 (risk_difference)".
        let alternative = match &r.margin {
            Some(m) => format!(
                "{} non-inferiority margin {} ({})",
                r.alternative,
                m.margin,
                m.scale.as_str()
            ),
            None => alternative_text(&r.alternative, r.two_sided_power),
        };
        out += &format!(
            "{} | {} vs {} | {} {} alpha={} | N={} | {} trials, seed {}\n",
            r.scenario,
            r.arm,
            r.control,
            r.test,
            alternative,
            r.alpha,
            r.sample_size,
            r.replicates,
            r.seed
        );
        let approximation = match &r.endpoint {
            _ if !r.analytic_power.is_nan() => format!("{:.4}", r.analytic_power),
            _ if r.reestimation.is_some() => "none (sample-size re-estimation)".to_string(),
            EndpointColumns::TimeToEvent(_) => "none (hazards not proportional)".to_string(),
            EndpointColumns::Binary(_) => "none (adaptive enrichment)".to_string(),
            EndpointColumns::Continuous(_) | EndpointColumns::Ordinal(_) => {
                "none (too few patients)".to_string()
            }
        };
        let method = match (&r.endpoint, &r.design) {
            (EndpointColumns::Continuous(_), _) if r.test == TestKind::Wilcoxon.as_str() => {
                "Noether"
            }
            (EndpointColumns::Continuous(_), DesignColumns::NoInterim) => "noncentral t",
            (EndpointColumns::Ordinal(_), _) => "Whitehead",
            _ => "normal approximation",
        };
        out += &format!(
            "  power            {:.4}  (MC SE {:.4}; 95% CI {:.4} to {:.4}); {method} {approximation}\n",
            r.power, r.power_se, r.power_ci_low, r.power_ci_high
        );
        let looks = r.sequential().map_or(String::new(), |q| looks_lines(r, q));
        out += &match &r.endpoint {
            EndpointColumns::Binary(b) => binary_lines(r, b, &looks),
            EndpointColumns::TimeToEvent(s) => looks + &survival_lines(r, s),
            EndpointColumns::Continuous(c) => continuous_lines(r, c, &looks),
            EndpointColumns::Ordinal(o) => ordinal_lines(r, o, &looks),
        };
    }
    out
}

/// An ordinal comparison's mean levels, odds ratio and its estimate, looks, evaluable patients
/// and screening.
fn ordinal_lines(r: &SummaryRow, o: &OrdinalColumns, looks: &str) -> String {
    let mut out = format!(
        "  true mean level  control {:.4}, arm {:.4}; odds ratio {:.4} ({})\n",
        o.true_mean_level_control,
        o.true_mean_level_arm,
        o.true_log_odds_ratio.exp(),
        if o.proportional_odds_holds {
            "common to every level"
        } else {
            "proportional-odds limit: not common to every level"
        }
    );
    if o.estimable > 0 {
        out += &format!(
            "  estimate         mean log odds ratio {:+.4}, bias {:+.5} (MC SE {:.5}); Wald 95% coverage {:.4}\n",
            o.mean_log_odds_ratio, o.bias, o.bias_se, o.coverage
        );
    }
    out += looks;
    out + &evaluable_lines(r)
}

/// A continuous comparison's means, estimate, dichotomised power, looks, evaluable patients
/// and screening.
fn continuous_lines(r: &SummaryRow, c: &ContinuousColumns, looks: &str) -> String {
    let mut out = format!(
        "  true mean        control {:.4}, arm {:.4}; difference {:+.4} (SD {:.4} vs {:.4})\n",
        c.true_mean_control, c.true_mean_arm, c.true_difference, c.true_sd_control, c.true_sd_arm
    );
    if c.estimable > 0 {
        out += &format!(
            "  estimate         mean difference {:+.4}, bias {:+.5} (MC SE {:.5}); t 95% coverage {:.4}\n",
            c.mean_difference, c.bias, c.bias_se, c.coverage
        );
    }
    if !c.responder_power.is_nan() {
        out += &format!(
            "  dichotomised     responders (outcome <= {}) control {:.4}, arm {:.4}; power {:.4} (MC SE {:.4}), chi-square\n",
            c.responder_below,
            c.true_responders_control,
            c.true_responders_arm,
            c.responder_power,
            c.responder_power_se
        );
    }
    out += looks;
    out + &evaluable_lines(r)
}

/// The mean evaluable patients per arm, then the screening lines (the binary, continuous and
/// ordinal endpoints' last lines).
fn evaluable_lines(r: &SummaryRow) -> String {
    let (control, arm) = r.mean_evaluable();
    format!("  evaluable        control {control:.1}, arm {arm:.1} (mean per trial)\n")
        + &screening_lines(r)
}

/// A binary comparison's risks, estimate, looks, evaluable patients and screening.
fn binary_lines(r: &SummaryRow, b: &BinaryColumns, looks: &str) -> String {
    let mut out = format!(
        "  true risk        control {:.4}, arm {:.4}; difference {:+.4}\n",
        b.true_risk_control, b.true_risk_arm, b.true_difference
    );
    if b.estimable > 0 {
        out += &format!(
            "  estimate         mean difference {:+.4}, bias {:+.5} (MC SE {:.5}); Wald 95% coverage {:.4}\n",
            b.mean_difference, b.bias, b.bias_se, b.coverage
        );
    }
    out += looks;
    out + &evaluable_lines(r)
}

/// A sweep's lines: each grid point's comparisons, their power and the truth behind it.
pub fn sweep_lines(keys: &[String], results: &[(Vec<String>, Vec<SummaryRow>)]) -> String {
    let mut out = String::new();
    for (values, rows) in results {
        let at: Vec<String> = keys
            .iter()
            .zip(values)
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        for r in rows {
            let truth = match &r.endpoint {
                EndpointColumns::TimeToEvent(s) if s.true_hazard_ratio.is_nan() => format!(
                    "true mortality {:.4} vs {:.4} by day {}",
                    s.true_mortality_arm, s.true_mortality_control, s.mortality_day
                ),
                EndpointColumns::TimeToEvent(s) => {
                    format!("true hazard ratio {:.4}", s.true_hazard_ratio)
                }
                EndpointColumns::Binary(b) => format!("true difference {:+.4}", b.true_difference),
                EndpointColumns::Continuous(c) => {
                    format!("true mean difference {:+.4}", c.true_difference)
                }
                EndpointColumns::Ordinal(o) => {
                    format!("true odds ratio {:.4}", o.true_log_odds_ratio.exp())
                }
            };
            out += &format!(
                "{}  {} vs {}: power {:.4} ({:.4} to {:.4}), {truth}\n",
                at.join(" "),
                r.arm,
                r.control,
                r.power,
                r.power_ci_low,
                r.power_ci_high,
            );
        }
    }
    out
}

/// A Bayesian design's terminal summary: each arm's final statuses, then adaptr's metrics
/// (with `by_label`, a label column and each label's metrics after the whole trial's).
pub fn bayesian_table(d: &Design, arms: &[ArmRow], metrics: &[Metric]) -> String {
    use crate::engine::bayesian::POOLED;
    use crate::engine::bayesian::select::ArmStatus;
    let by_label = arms.iter().any(|r| r.stratum != POOLED);
    let mut out = format!(
        "{} (Bayesian adaptive{}, {} trials)\n",
        d.name,
        if by_label {
            ", each label on its own"
        } else {
            ""
        },
        d.replicates
    );
    let label = |s: &str| {
        if by_label {
            format!("{s:<16} ")
        } else {
            String::new()
        }
    };
    out += &format!(
        "  {}{:<18} {:>9} {:>10} {:>9} {:>9} {:>9} {:>9} {:>10}\n",
        label("label"),
        "arm",
        "true risk",
        "superior",
        "inferior",
        "futile",
        "equiv.",
        "selected",
        "patients"
    );
    for r in arms {
        out += &format!(
            "  {}{:<18} {:>9.4} {:>10.4} {:>9.4} {:>9.4} {:>9.4} {:>9.4} {:>10.1}\n",
            label(&r.stratum),
            r.arm,
            r.true_risk,
            r.status[ArmStatus::Superior.index()],
            r.status[ArmStatus::Inferior.index()],
            r.status[ArmStatus::Futile.index()],
            r.status[ArmStatus::Equivalence.index()],
            r.p_selected,
            r.mean_randomised
        );
    }
    let shown = [
        "prob_conclusive",
        "prob_superior",
        "prob_equivalence",
        "prob_futility",
        "prob_max",
        "prob_all_conclusive",
        "prob_any_superior",
        "size_mean",
        "size_median",
        "rmse",
        "idp",
    ];
    for m in metrics.iter().filter(|m| shown.contains(&m.name.as_str())) {
        let name = if by_label {
            format!("{} {}", m.stratum, m.name)
        } else {
            m.name.clone()
        };
        out += &format!(
            "  {:<18} {:>10.4} (MC SE {:.4})\n",
            name, m.estimate, m.mc_se
        );
    }
    out
}
