//! The summary rows computed from a tally: summary.csv, subgroups.csv, hypotheses.csv,
//! adaptation.csv and sequential.csv.

use crate::engine::design_values::DesignValues;
use crate::engine::tally::comparison::{ComparisonTally, from_fixed};
use crate::engine::tally::continuous::ContinuousTally;
use crate::engine::tally::sequential::{SequentialTally, count_quantile};
use crate::engine::tally::survival::SurvivalTally;
use crate::engine::tally::{DesignTally, EndpointTally, Tally};
use crate::model::design::{Design, EndpointModel};
use crate::model::ordinal;
use crate::model::reestimation::Reestimated;
use crate::model::sequential::DAYS_PER_MONTH;
use crate::model::vocabulary::Margin;
use crate::stats::analysis::Z_975;
use crate::stats::power::{limit_in_ratio, true_log_odds_ratio};

/// One row of summary.csv: a comparison of an arm with control. The columns every design has
/// are fields; the endpoint's and the design's own are kinds, as the design's are.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryRow {
    pub scenario: String,
    pub arm: String,
    pub control: String,
    pub test: String,
    pub alternative: String,
    pub alpha: f64,
    pub replicates: u64,
    pub seed: u64,
    pub sample_size: u64,
    pub power: f64,
    pub power_se: f64,
    pub power_ci_low: f64,
    pub power_ci_high: f64,
    pub analytic_power: f64,
    pub mean_screened: f64,
    pub p95_screened: u64,
    /// Cost of a trial: screening x screened + per_patient x randomised (NaN without [cost]).
    pub mean_cost: f64,
    /// 95th percentile of the cost (cost is increasing in the number screened).
    pub p95_cost: f64,
    /// Currency of the costs (empty without [cost]).
    pub currency: String,
    /// The endpoint's own columns: what is estimated and observed.
    pub endpoint: EndpointColumns,
    /// What interim looks change, if the design has any.
    pub design: DesignColumns,
    /// The non-inferiority margin tested against (`None`: superiority).
    pub margin: Option<Margin>,
    /// Whether a two-sided test's power (and rejections) count both directions; false: the
    /// benefit's only (`analysis.two_sided_power`; true for a one-sided test).
    pub two_sided_power: bool,
    /// What a sample-size re-estimation did, if the design has one.
    pub reestimation: Option<ReestimationColumns>,
}

/// summary.csv's columns for a design with sample-size re-estimation.
#[derive(Debug, Clone, PartialEq)]
pub struct ReestimationColumns {
    /// What the totals count: patients, or deaths (their columns are named so).
    pub unit: Reestimated,
    /// The rule as written: conditional power, smallest and largest total, effect.
    pub conditional_power: f64,
    pub min_total: u64,
    pub max_total: u64,
    pub effect: &'static str,
    /// The same trials on the boundary of the null hypothesis: the share that rejected it (the
    /// type I error) and the patients (deaths) they had on average.
    pub type_i_error: f64,
    pub type_i_error_se: f64,
    pub null_expected_total: f64,
    /// Quantiles of the patients randomised (deaths at the last analysis) per trial (R's type
    /// 1), and the share of trials that reached the maximum.
    pub p05_total: u64,
    pub median_total: u64,
    pub p_max_total: f64,
}

/// summary.csv's columns of each kind of endpoint, as `model::design::EndpointModel`.
#[derive(Debug, Clone, PartialEq)]
pub enum EndpointColumns {
    Binary(BinaryColumns),
    TimeToEvent(SurvivalColumns),
    Continuous(ContinuousColumns),
    Ordinal(OrdinalColumns),
}

/// summary.csv's columns of a design's looks: none for a design without interim looks (fixed,
/// or a `[sequential]` plan of one look), or those of its interim looks.
#[derive(Debug, Clone, PartialEq)]
pub enum DesignColumns {
    NoInterim,
    Interim(SequentialColumns),
}

impl SummaryRow {
    /// The binary endpoint's columns, if this row is of one.
    pub fn binary(&self) -> Option<&BinaryColumns> {
        match &self.endpoint {
            EndpointColumns::Binary(b) => Some(b),
            EndpointColumns::TimeToEvent(_)
            | EndpointColumns::Continuous(_)
            | EndpointColumns::Ordinal(_) => None,
        }
    }

    /// The time-to-event endpoint's columns, if this row is of one.
    pub fn survival(&self) -> Option<&SurvivalColumns> {
        match &self.endpoint {
            EndpointColumns::TimeToEvent(s) => Some(s),
            EndpointColumns::Binary(_)
            | EndpointColumns::Continuous(_)
            | EndpointColumns::Ordinal(_) => None,
        }
    }

    /// The continuous endpoint's columns, if this row is of one.
    pub fn continuous(&self) -> Option<&ContinuousColumns> {
        match &self.endpoint {
            EndpointColumns::Continuous(c) => Some(c),
            EndpointColumns::Binary(_)
            | EndpointColumns::TimeToEvent(_)
            | EndpointColumns::Ordinal(_) => None,
        }
    }

    /// The ordinal endpoint's columns, if this row is of one.
    pub fn ordinal(&self) -> Option<&OrdinalColumns> {
        match &self.endpoint {
            EndpointColumns::Ordinal(o) => Some(o),
            EndpointColumns::Binary(_)
            | EndpointColumns::TimeToEvent(_)
            | EndpointColumns::Continuous(_) => None,
        }
    }

    /// The true mean outcomes, (control, arm): the risks of the binary outcome, of death by the
    /// reference day of a time-to-event one, the means of a continuous one, or the mean levels
    /// of an ordinal one (worst = 1).
    pub fn true_risks(&self) -> (f64, f64) {
        match &self.endpoint {
            EndpointColumns::Binary(b) => (b.true_risk_control, b.true_risk_arm),
            EndpointColumns::TimeToEvent(s) => (s.true_mortality_control, s.true_mortality_arm),
            EndpointColumns::Continuous(c) => (c.true_mean_control, c.true_mean_arm),
            EndpointColumns::Ordinal(o) => (o.true_mean_level_control, o.true_mean_level_arm),
        }
    }

    /// The true difference in mean outcome, arm minus control: in risk of the binary outcome,
    /// of death by the reference day of a time-to-event one, in mean of a continuous one, or in
    /// mean level of an ordinal one.
    pub fn true_difference(&self) -> f64 {
        match &self.endpoint {
            EndpointColumns::Binary(b) => b.true_difference,
            EndpointColumns::TimeToEvent(s) => s.true_mortality_arm - s.true_mortality_control,
            EndpointColumns::Continuous(c) => c.true_difference,
            EndpointColumns::Ordinal(o) => o.true_mean_level_arm - o.true_mean_level_control,
        }
    }

    /// Mean patients per trial with an outcome, (control, arm): the evaluable patients of a
    /// binary or continuous endpoint; every randomised patient of a time-to-event one (each is
    /// followed to the analysis, censored or not).
    pub fn mean_evaluable(&self) -> (f64, f64) {
        match &self.endpoint {
            EndpointColumns::Binary(b) => (b.mean_evaluable_control, b.mean_evaluable_arm),
            EndpointColumns::TimeToEvent(s) => (s.mean_randomised_control, s.mean_randomised_arm),
            EndpointColumns::Continuous(c) => (c.mean_evaluable_control, c.mean_evaluable_arm),
            EndpointColumns::Ordinal(o) => (o.mean_evaluable_control, o.mean_evaluable_arm),
        }
    }

    /// The columns of the interim looks, if the design has any.
    pub fn sequential(&self) -> Option<&SequentialColumns> {
        match &self.design {
            DesignColumns::Interim(s) => Some(s),
            DesignColumns::NoInterim => None,
        }
    }
}

/// summary.csv's columns for a binary endpoint: the risks and their difference.
#[derive(Debug, Clone, PartialEq)]
pub struct BinaryColumns {
    pub true_risk_control: f64,
    pub true_risk_arm: f64,
    pub true_difference: f64,
    pub mean_difference: f64,
    pub bias: f64,
    pub coverage: f64,
    pub mean_risk_control: f64,
    pub mean_risk_arm: f64,
    pub mean_evaluable_control: f64,
    pub mean_evaluable_arm: f64,
    /// Trials in which the difference was estimable (both arms with evaluable patients): the
    /// denominator of mean_difference, bias, coverage and the mean risks.
    pub estimable: u64,
    /// Monte Carlo standard error of mean_difference (and so of bias).
    pub bias_se: f64,
}

/// summary.csv's columns for a continuous endpoint: the means and their difference, and the
/// dichotomised analysis.
#[derive(Debug, Clone, PartialEq)]
pub struct ContinuousColumns {
    pub true_mean_control: f64,
    pub true_mean_arm: f64,
    /// The outcome's true standard deviation in each arm (the mixture over endotypes).
    pub true_sd_control: f64,
    pub true_sd_arm: f64,
    pub true_difference: f64,
    /// The test's estimate of the mean difference (the label-adjusted one for ancova_labels):
    /// mean, bias against the true difference and its MC SE, 95% coverage, and the trials where
    /// it was estimable.
    pub mean_difference: f64,
    pub bias: f64,
    pub bias_se: f64,
    pub coverage: f64,
    pub estimable: u64,
    pub mean_observed_control: f64,
    pub mean_observed_arm: f64,
    pub mean_evaluable_control: f64,
    pub mean_evaluable_arm: f64,
    /// With `responder_below`: the threshold, the true responder proportions, and the power of
    /// the chi-square test of responders in the same trials (NaN without).
    pub responder_below: f64,
    pub true_responders_control: f64,
    pub true_responders_arm: f64,
    pub responder_power: f64,
    pub responder_power_se: f64,
}

/// summary.csv's columns for an ordinal endpoint: the level distributions' means and the log
/// common odds ratio.
#[derive(Debug, Clone, PartialEq)]
pub struct OrdinalColumns {
    /// The true mean level per arm (worst = 1).
    pub true_mean_level_control: f64,
    pub true_mean_level_arm: f64,
    /// The limit of the log odds ratio estimate (`stats::power::true_log_odds_ratio`), and
    /// whether a common odds ratio holds between the two arms' true distributions (then the
    /// limit is its log).
    pub true_log_odds_ratio: f64,
    pub proportional_odds_holds: bool,
    /// The proportional-odds fit's log odds ratio: mean, bias against the limit and its MC SE,
    /// 95% Wald coverage, and the trials with a finite fit.
    pub mean_log_odds_ratio: f64,
    pub bias: f64,
    pub bias_se: f64,
    pub coverage: f64,
    pub estimable: u64,
    /// The observed mean levels (in trials with a fit).
    pub mean_observed_control: f64,
    pub mean_observed_arm: f64,
    pub mean_evaluable_control: f64,
    pub mean_evaluable_arm: f64,
}

/// summary.csv's columns for a time-to-event design.
#[derive(Debug, Clone, PartialEq)]
pub struct SurvivalColumns {
    pub follow_up_days: f64,
    pub analysis_events: Option<u64>,
    pub time_resolution: &'static str,
    /// The day of the true mortalities below: the follow-up, or the last mortality point.
    pub mortality_day: f64,
    pub true_mortality_control: f64,
    pub true_mortality_arm: f64,
    /// NaN when the marginal hazards are not proportional (a mixture of endotypes).
    pub true_hazard_ratio: f64,
    /// The Cox estimate of the log hazard ratio: mean, bias against the truth and its MC SE,
    /// Wald 95% coverage, and the trials where it was finite.
    pub mean_log_hr: f64,
    pub bias: f64,
    pub bias_se: f64,
    pub coverage: f64,
    pub estimable: u64,
    pub mean_events: f64,
    pub mean_events_control: f64,
    pub mean_events_arm: f64,
    pub mean_randomised_at_analysis: f64,
    pub mean_randomised_control: f64,
    pub mean_randomised_arm: f64,
    pub mean_duration_days: f64,
    pub p95_duration_days: f64,
    /// Without simulation, for an event-driven design: the patients randomised by the
    /// analysis that ends the trial and its day, at the day the expected deaths reach its
    /// count (rpact's `numberOfSubjects` and `analysisTime`; with interim looks their
    /// expectations over the stopping look, `expectedNumberOfSubjects` and `studyDuration`).
    /// NaN with a fixed follow-up.
    pub analytic_randomised_at_analysis: f64,
    pub analytic_duration_days: f64,
}

/// summary.csv's columns for a design with interim looks.
#[derive(Debug, Clone, PartialEq)]
pub struct SequentialColumns {
    pub looks: usize,
    /// Patients randomised per trial, the pipeline of a stopped trial included.
    pub expected_randomised: f64,
    pub p95_randomised: u64,
    /// The trial ended before the last look (every comparison stopped).
    pub p_early_stop: f64,
    /// This comparison stopped before the last look for efficacy, for futility.
    pub p_early_efficacy: f64,
    pub p_early_futility: f64,
    /// Months from the first randomisation to the analysis that ended the trial (NaN without
    /// `accrual_per_month`).
    pub expected_months: f64,
    pub p95_months: f64,
    /// The same expectations from the analytic stopping probabilities of a two-arm design
    /// (NaN with more comparisons, whose trial stops only when every one has, or where the
    /// looks' patients or months are not planned).
    pub analytic_expected_randomised: f64,
    pub analytic_expected_months: f64,
    /// An event-driven design's expected deaths at the look that ends the trial (rpact's
    /// `expectedNumberOfEvents`); NaN for other designs.
    pub analytic_expected_events: f64,
}

/// How the stage ending at a look was sized, over the trials that reached it (NaN at the
/// first look, which is planned).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StageSizing {
    pub mean_conditional_power: f64,
    pub p_stage_at_max: f64,
    pub p_stage_at_min: f64,
}

/// A two-sided design whose power counts benefit only: the stops for harm at a look.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HarmStops {
    pub p_harm: f64,
    pub p_harm_se: f64,
    /// Without simulation (NaN where the design has no analytic drift).
    pub analytic_p_harm: f64,
}

/// One row of sequential.csv: one look of one comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct SequentialRow {
    pub scenario: String,
    pub arm: String,
    pub control: String,
    pub look: usize,
    pub fraction: f64,
    pub planned_evaluable: u64,
    /// `None` for an event-driven design (its looks come at random times).
    pub planned_randomised: Option<u64>,
    pub efficacy_z: f64,
    /// Nominal one-sided level of the efficacy bound.
    pub efficacy_p: f64,
    pub alpha_spent: f64,
    pub futility_z: f64,
    pub beta_spent: f64,
    pub p_efficacy: f64,
    pub p_efficacy_se: f64,
    pub p_futility: f64,
    pub p_futility_se: f64,
    pub cumulative_power: f64,
    pub cumulative_power_se: f64,
    /// The same probabilities without simulation (rpact's `rejectPerStage`, `futilityPerStage`
    /// and their cumulative sum), NaN where the design has no analytic drift.
    pub analytic_p_efficacy: f64,
    pub analytic_p_futility: f64,
    pub analytic_cumulative_power: f64,
    /// Patients randomised by the look and its month without simulation: the planned ones,
    /// or for an event-driven design those at the day its expected deaths reach the look's
    /// (rpact's `numberOfSubjects`, `analysisTime`).
    pub analytic_randomised: f64,
    pub analytic_months: f64,
    /// A re-estimated design, for the stage that ends at this look (none at the first): the
    /// mean conditional power its size achieved (rpact's `conditionalPowerAchieved`) and the
    /// shares of the trials reaching the look whose stage was sized at its most and fewest.
    pub reestimation: Option<StageSizing>,
    /// A two-sided design whose power counts benefit only (`two_sided_power = false`): the
    /// comparison's stops for harm here.
    pub harm: Option<HarmStops>,
    /// Share of trials that reached this look (some comparison still monitored).
    pub p_reached: f64,
    /// Patients randomised by this look, over the trials that reached it.
    pub mean_randomised: f64,
    pub months: f64,
}

/// One row of subgroups.csv: a comparison within one diagnostic label.
#[derive(Debug, Clone, PartialEq)]
pub struct SubgroupRow {
    pub scenario: String,
    pub arm: String,
    pub control: String,
    pub label: String,
    pub test: String,
    pub mean_evaluable_control: f64,
    pub mean_evaluable_arm: f64,
    pub true_risk_control: f64,
    pub true_risk_arm: f64,
    pub true_difference: f64,
    pub mean_difference: f64,
    pub estimable: u64,
    /// Power of the within-label test.
    pub power: f64,
    pub power_se: f64,
    /// How the interaction was tested: `INTERACTION_TEST` or `INTERACTION_F_TEST`.
    pub interaction_test: &'static str,
    /// Power of the treatment-by-label interaction test (same for every label of a comparison).
    pub interaction_power: f64,
    pub interaction_power_se: f64,
}

/// One row of hypotheses.csv: one hypothesis of a comparison under the multiplicity procedure.
#[derive(Debug, Clone, PartialEq)]
pub struct HypothesisRow {
    pub scenario: String,
    pub arm: String,
    pub control: String,
    pub procedure: String,
    pub alpha: f64,
    pub hypothesis: String,
    pub true_null: bool,
    /// Probability of rejecting this hypothesis after adjustment.
    pub power: f64,
    pub power_se: f64,
    /// Per comparison: at least one rejected, all rejected, at least one true null rejected.
    pub any_rejected: f64,
    pub all_rejected: f64,
    pub fwer: f64,
    pub fwer_se: f64,
    pub fwer_ci_low: f64,
    pub fwer_ci_high: f64,
}

/// The interaction test of a binary endpoint: the Wald test of the arm x label terms of the
/// saturated logistic model (`analysis::interaction_wald`).
pub const INTERACTION_TEST: &str = "logistic_wald";
/// The interaction test of a continuous endpoint: the F test of `lm(y ~ arm * label)` against
/// `lm(y ~ arm + label)` (`means::interaction`).
pub const INTERACTION_F_TEST: &str = "linear_f";
/// The interaction test of an ordinal endpoint: the Wald test of the arm x label terms of the
/// proportional-odds model with cutpoints per label (Woolf's statistic of the labels' fits).
pub const INTERACTION_PO_TEST: &str = "proportional_odds_wald";

fn binomial_se(p: f64, n: u64) -> f64 {
    (p * (1.0 - p) / n as f64).sqrt()
}

/// Per comparison x diagnostic label.
pub fn subgroup_rows(design: &Design, tally: &Tally) -> Vec<SubgroupRow> {
    let r = tally.trials;
    let c = design.control;
    let interaction_test = match design.endpoint {
        EndpointModel::Continuous(_) => INTERACTION_F_TEST,
        EndpointModel::Ordinal(_) => INTERACTION_PO_TEST,
        EndpointModel::Binary | EndpointModel::TimeToEvent(_) => INTERACTION_TEST,
    };
    let mut rows = Vec::new();
    for (arm, t) in design.comparisons().zip(&tally.comparisons) {
        let interaction = t.interaction_rejections as f64 / r as f64;
        let several = design.eligible.len() > 1;
        for (s, sub) in t.subgroups.iter().enumerate() {
            let power = sub.rejections as f64 / r as f64;
            // Ordinal: the mean levels, and the limit of the label's log odds ratio estimate.
            let (risk_c, risk_a, true_difference) = match design.ordinal() {
                Some(_) => {
                    let (pc, pa) = (
                        design.stratum_distribution(c, s),
                        design.stratum_distribution(arm, s),
                    );
                    (
                        ordinal::mean_level(&pc),
                        ordinal::mean_level(&pa),
                        limit_in_ratio(design, arm, &pa, &pc),
                    )
                }
                None => {
                    let (rc, ra) = (design.stratum_mean[c][s], design.stratum_mean[arm][s]);
                    (rc, ra, ra - rc)
                }
            };
            rows.push(SubgroupRow {
                scenario: design.name.clone(),
                arm: design.arms[arm].name.clone(),
                control: design.arms[c].name.clone(),
                label: design.labels[design.eligible[s]].clone(),
                test: design.analysis.test.as_str().to_string(),
                mean_evaluable_control: sub.sum_evaluable_control as f64 / r as f64,
                mean_evaluable_arm: sub.sum_evaluable_arm as f64 / r as f64,
                true_risk_control: risk_c,
                true_risk_arm: risk_a,
                true_difference,
                mean_difference: from_fixed(sub.sum_difference) / sub.estimable as f64,
                estimable: sub.estimable,
                power,
                power_se: binomial_se(power, r),
                interaction_test,
                interaction_power: if several { interaction } else { f64::NAN },
                interaction_power_se: if several {
                    binomial_se(interaction, r)
                } else {
                    f64::NAN
                },
            });
        }
    }
    rows
}

/// Per comparison x hypothesis (empty when the scenario lists no hypotheses).
pub fn hypothesis_rows(design: &Design, tally: &Tally) -> Vec<HypothesisRow> {
    let r = tally.trials;
    let mut rows = Vec::new();
    for (arm, t) in design.comparisons().zip(&tally.comparisons) {
        let fwer = t.true_null_rejected as f64 / r as f64;
        let (lo, hi) = wilson_interval(t.true_null_rejected, r, Z_975);
        for (&h, &count) in design
            .analysis
            .hypotheses
            .iter()
            .zip(&t.hypothesis_rejections)
        {
            let power = count as f64 / r as f64;
            rows.push(HypothesisRow {
                scenario: design.name.clone(),
                arm: design.arms[arm].name.clone(),
                control: design.arms[design.control].name.clone(),
                procedure: design
                    .adaptation()
                    .map_or(design.analysis.multiplicity.as_str(), |a| a.procedure())
                    .to_string(),
                alpha: design.analysis.alpha,
                hypothesis: design.hypothesis_name(h).to_string(),
                true_null: design.is_true_null(arm, h),
                power,
                power_se: binomial_se(power, r),
                any_rejected: t.any_rejected as f64 / r as f64,
                all_rejected: t.all_rejected as f64 / r as f64,
                fwer,
                fwer_se: binomial_se(fwer, r),
                fwer_ci_low: lo,
                fwer_ci_high: hi,
            });
        }
    }
    rows
}

/// One row of adaptation.csv: one hypothesis (population) of an adaptive-enrichment design.
#[derive(Debug, Clone, PartialEq)]
pub struct AdaptationRow {
    pub scenario: String,
    pub arm: String,
    pub control: String,
    pub hypothesis: String,
    /// Probability that the population continues after the interim (trials that stopped
    /// before it, or for futility at it, count as not continuing).
    pub p_selected: f64,
    pub p_selected_se: f64,
    /// Per look: probability that the hypothesis is first rejected there.
    pub p_reject: Vec<f64>,
    /// Probability that no population was kept (a stop for futility at the interim).
    pub p_futility: f64,
    /// Mean patients randomised after the interim with the population's labels.
    pub mean_randomised_after: f64,
    /// Per comparison: mean randomised up to and after the interim; screened (mean, 95th
    /// percentile) and mean cost up to and after it.
    pub mean_randomised_before_selection: f64,
    pub mean_randomised_after_selection: f64,
    pub mean_screened_before: f64,
    pub p95_screened_before: u64,
    pub mean_screened_after: f64,
    pub p95_screened_after: u64,
    pub mean_cost_before: f64,
    pub mean_cost_after: f64,
    pub currency: String,
}

/// Per hypothesis of an adaptive-enrichment design (empty otherwise).
pub fn adaptation_rows(design: &Design, tally: &Tally) -> Vec<AdaptationRow> {
    let Some(e) = tally.enrichment() else {
        return Vec::new();
    };
    let r = tally.trials;
    let p = |n: u64| n as f64 / r as f64;
    let (screened_before, p95_before) = e.screened(false, r);
    let (screened_after, p95_after) = e.screened(true, r);
    let randomised_before = e.sum_randomised_before as f64 / r as f64;
    let randomised_after = e.sum_randomised_after as f64 / r as f64;
    let cost = |screened: f64, randomised: f64| {
        design
            .cost
            .as_ref()
            .map_or(f64::NAN, |c| c.of(screened, randomised))
    };
    let arm = design.comparisons().next().expect("two arms");
    design
        .analysis
        .hypotheses
        .iter()
        .enumerate()
        .map(|(i, &h)| AdaptationRow {
            scenario: design.name.clone(),
            arm: design.arms[arm].name.clone(),
            control: design.arms[design.control].name.clone(),
            hypothesis: design.hypothesis_name(h).to_string(),
            p_selected: p(e.selected[i]),
            p_selected_se: binomial_se(p(e.selected[i]), r),
            p_reject: (0..e.looks)
                .map(|k| p(e.rejected_at[i * e.looks + k]))
                .collect(),
            p_futility: p(e.futility),
            mean_randomised_after: e.randomised_after[i] as f64 / r as f64,
            mean_randomised_before_selection: randomised_before,
            mean_randomised_after_selection: randomised_after,
            mean_screened_before: screened_before,
            p95_screened_before: p95_before,
            mean_screened_after: screened_after,
            p95_screened_after: p95_after,
            mean_cost_before: cost(screened_before, randomised_before),
            mean_cost_after: cost(screened_after, randomised_after),
            currency: design
                .cost
                .as_ref()
                .map_or(String::new(), |c| c.currency.clone()),
        })
        .collect()
}

/// Wilson score interval for a binomial proportion at normal quantile `z`.
pub fn wilson_interval(successes: u64, n: u64, z: f64) -> (f64, f64) {
    let n = n as f64;
    let p = successes as f64 / n;
    let z2 = z * z;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = z / (1.0 + z2 / n) * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// The summary rows of a completed run.
pub fn summarise(design: &Design, tally: &Tally) -> Vec<SummaryRow> {
    summary_rows(design, &DesignValues::of(design), tally)
}

/// The summary rows of a completed run, from the design's own values computed once.
pub fn summary_rows(design: &Design, values: &DesignValues, tally: &Tally) -> Vec<SummaryRow> {
    let r = tally.trials;
    let c = design.control;
    // Interim looks make the number randomised vary from trial to trial.
    let interim = match &tally.design {
        DesignTally::Fixed => None,
        DesignTally::GroupSequential(s) | DesignTally::AdaptiveEnrichment(s, _) => {
            Some(s).filter(|_| design.has_interim_looks())
        }
        // A Bayesian design has no frequentist comparison: its rows are
        // `engine::bayesian::rows`.
        DesignTally::Bayesian(_) => return Vec::new(),
    };
    let mean_randomised = match (interim, &tally.endpoint) {
        (Some(s), _) => s.sum_randomised as f64 / r as f64,
        (None, EndpointTally::TimeToEvent(s)) => s.sum_randomised as f64 / r as f64,
        (None, EndpointTally::Binary | EndpointTally::Continuous(_) | EndpointTally::Ordinal) => {
            design.sample_size as f64
        }
    };
    let mean_screened = mean_randomised + tally.mean_failures();
    let p95_screened = tally.screened_quantile(0.95);
    let mean_cost = design
        .cost
        .as_ref()
        .map_or(f64::NAN, |c| c.of(mean_screened, mean_randomised));
    // Cost increases with the number screened when the number randomised is fixed; with
    // interim looks both vary, and the quantile of their sum is not kept.
    let varies = interim.is_some() || design.survival().is_some_and(|m| m.is_event_driven());
    let p95_cost = match &design.cost {
        Some(c) if !varies => c.of(p95_screened as f64, design.sample_size as f64),
        _ => f64::NAN,
    };
    design
        .comparisons()
        .zip(&tally.comparisons)
        .enumerate()
        .map(|(j, (arm, t))| {
            let power = t.rejections as f64 / r as f64;
            let (lo, hi) = wilson_interval(t.rejections, r, Z_975);
            SummaryRow {
                scenario: design.name.clone(),
                arm: design.arms[arm].name.clone(),
                control: design.arms[c].name.clone(),
                test: design.analysis.test.as_str().to_string(),
                alternative: design.analysis.sidedness.as_str().to_string(),
                alpha: design.analysis.alpha,
                replicates: r,
                seed: design.seed,
                sample_size: design.sample_size,
                power,
                power_se: binomial_se(power, r),
                power_ci_low: lo,
                power_ci_high: hi,
                analytic_power: values.analytic_power[j],
                mean_screened,
                p95_screened,
                mean_cost,
                p95_cost,
                currency: design
                    .cost
                    .as_ref()
                    .map_or(String::new(), |c| c.currency.clone()),
                margin: design.analysis.margin,
                two_sided_power: design.analysis.two_sided_power,
                reestimation: interim.and_then(|s| reestimation_columns(design, s, r)),
                endpoint: match &tally.endpoint {
                    EndpointTally::Binary => {
                        EndpointColumns::Binary(binary_columns(design, t, arm, r))
                    }
                    EndpointTally::TimeToEvent(s) => EndpointColumns::TimeToEvent(
                        survival_columns(design, values, t, s, j, arm, r),
                    ),
                    EndpointTally::Continuous(c) => {
                        EndpointColumns::Continuous(continuous_columns(design, t, c, j, arm, r))
                    }
                    EndpointTally::Ordinal => {
                        EndpointColumns::Ordinal(ordinal_columns(design, t, arm, r))
                    }
                },
                design: match interim {
                    Some(s) => DesignColumns::Interim(sequential_columns(values, s, j, r)),
                    None => DesignColumns::NoInterim,
                },
            }
        })
        .collect()
}

/// The summary columns of a binary endpoint, for the comparison of `arm` with control.
fn binary_columns(design: &Design, t: &ComparisonTally, arm: usize, trials: u64) -> BinaryColumns {
    let r = trials as f64;
    let c = design.control;
    let true_difference = design.true_mean[arm] - design.true_mean[c];
    let est = t.estimable as f64;
    let (mean_difference, bias_se) = estimate_moments(t);
    BinaryColumns {
        true_risk_control: design.true_mean[c],
        true_risk_arm: design.true_mean[arm],
        true_difference,
        mean_difference,
        bias: mean_difference - true_difference,
        coverage: t.covered as f64 / est,
        mean_risk_control: from_fixed(t.sum_observed_control) / est,
        mean_risk_arm: from_fixed(t.sum_observed_arm) / est,
        mean_evaluable_control: t.sum_evaluable_control as f64 / r,
        mean_evaluable_arm: t.sum_evaluable_arm as f64 / r,
        estimable: t.estimable,
        bias_se,
    }
}

/// The mean and the MC standard error of the mean of the estimates a comparison tallied.
fn estimate_moments(t: &ComparisonTally) -> (f64, f64) {
    let est = t.estimable as f64;
    let mean = from_fixed(t.sum_estimate) / est;
    let var = (from_fixed(t.sum_estimate_sq) / est - mean * mean).max(0.0) * est / (est - 1.0);
    (mean, (var / est).sqrt())
}

/// The summary columns of a continuous endpoint, for comparison `j` (of `arm`).
fn continuous_columns(
    design: &Design,
    t: &ComparisonTally,
    ct: &ContinuousTally,
    j: usize,
    arm: usize,
    trials: u64,
) -> ContinuousColumns {
    let model = design.continuous().expect("a continuous design");
    let r = trials as f64;
    let c = design.control;
    let est = t.estimable as f64;
    let (mean_difference, bias_se) = estimate_moments(t);
    let true_difference = design.true_mean[arm] - design.true_mean[c];
    let responder_power = ct
        .responder_rejections
        .get(j)
        .map_or(f64::NAN, |&k| k as f64 / r);
    let responders = |a: usize| match model.responder_below {
        Some(_) => design.mean_over_cells(a, |e, mean| model.responder_probability(e, mean)),
        None => f64::NAN,
    };
    ContinuousColumns {
        true_mean_control: design.true_mean[c],
        true_mean_arm: design.true_mean[arm],
        true_sd_control: design.true_sd(c),
        true_sd_arm: design.true_sd(arm),
        true_difference,
        mean_difference,
        bias: mean_difference - true_difference,
        bias_se,
        coverage: t.covered as f64 / est,
        estimable: t.estimable,
        mean_observed_control: from_fixed(t.sum_observed_control) / est,
        mean_observed_arm: from_fixed(t.sum_observed_arm) / est,
        mean_evaluable_control: t.sum_evaluable_control as f64 / r,
        mean_evaluable_arm: t.sum_evaluable_arm as f64 / r,
        responder_below: model.responder_below.unwrap_or(f64::NAN),
        true_responders_control: responders(c),
        true_responders_arm: responders(arm),
        responder_power,
        responder_power_se: binomial_se(responder_power, trials),
    }
}

/// The summary columns of an ordinal endpoint, for the comparison of `arm` with control.
fn ordinal_columns(
    design: &Design,
    t: &ComparisonTally,
    arm: usize,
    trials: u64,
) -> OrdinalColumns {
    let r = trials as f64;
    let c = design.control;
    let est = t.estimable as f64;
    let (mean_log_odds_ratio, bias_se) = estimate_moments(t);
    let (pc, pa) = (design.true_distribution(c), design.true_distribution(arm));
    let truth = true_log_odds_ratio(design, arm);
    OrdinalColumns {
        true_mean_level_control: ordinal::mean_level(&pc),
        true_mean_level_arm: ordinal::mean_level(&pa),
        true_log_odds_ratio: truth,
        proportional_odds_holds: ordinal::common_log_odds_ratio(&pa, &pc).is_some(),
        mean_log_odds_ratio,
        bias: mean_log_odds_ratio - truth,
        bias_se,
        coverage: t.covered as f64 / est,
        estimable: t.estimable,
        mean_observed_control: from_fixed(t.sum_observed_control) / est,
        mean_observed_arm: from_fixed(t.sum_observed_arm) / est,
        mean_evaluable_control: t.sum_evaluable_control as f64 / r,
        mean_evaluable_arm: t.sum_evaluable_arm as f64 / r,
    }
}

/// The summary columns of a time-to-event design, for comparison `j` (of `arm`).
fn survival_columns(
    design: &Design,
    values: &DesignValues,
    t: &ComparisonTally,
    s: &SurvivalTally,
    j: usize,
    arm: usize,
    trials: u64,
) -> SurvivalColumns {
    let model = design.survival().expect("a time-to-event design");
    let r = trials as f64;
    let est = t.estimable as f64;
    let (mean, bias_se) = estimate_moments(t);
    let true_hazard_ratio = values.true_hazard_ratio[j];
    let proportional = !true_hazard_ratio.is_nan();
    let when = |v: f64| if proportional { v } else { f64::NAN };
    let c = design.control;
    // The analysis that ends the trial: the last, or with interim looks the expectation over
    // the look that stops it.
    let (analytic_duration_days, analytic_randomised_at_analysis) = if design.has_interim_looks() {
        (
            analytic_expected(values, &values.analytic_months) * DAYS_PER_MONTH,
            analytic_expected(values, &values.analytic_randomised),
        )
    } else {
        (values.analysis_day, values.randomised_at_analysis)
    };
    SurvivalColumns {
        follow_up_days: model.follow_up_days.unwrap_or(f64::NAN),
        analysis_events: model.analysis_events,
        time_resolution: model.resolution.as_str(),
        mortality_day: model.reference_day,
        true_mortality_control: design.true_mean[c],
        true_mortality_arm: design.true_mean[arm],
        true_hazard_ratio,
        mean_log_hr: mean,
        bias: when(mean - true_hazard_ratio.ln()),
        bias_se,
        coverage: when(t.covered as f64 / est),
        estimable: t.estimable,
        mean_events: s.sum_events as f64 / r,
        mean_events_control: s.events_control[j] as f64 / r,
        mean_events_arm: s.events_arm[j] as f64 / r,
        mean_randomised_at_analysis: s.sum_randomised as f64 / r,
        mean_randomised_control: t.sum_evaluable_control as f64 / r,
        mean_randomised_arm: t.sum_evaluable_arm as f64 / r,
        mean_duration_days: s.mean_duration(trials),
        p95_duration_days: s.duration_quantile(0.95, trials),
        analytic_randomised_at_analysis,
        analytic_duration_days,
    }
}

/// The summary columns of a design with interim looks, for comparison `j`.
fn sequential_columns(
    values: &DesignValues,
    s: &SequentialTally,
    j: usize,
    trials: u64,
) -> SequentialColumns {
    let r = trials as f64;
    let early = |counts: &[u64]| {
        counts[j * s.looks..(j + 1) * s.looks - 1]
            .iter()
            .sum::<u64>() as f64
            / r
    };
    let months = |k: usize| values.months_to_look[k];
    SequentialColumns {
        looks: s.looks,
        expected_randomised: s.sum_randomised as f64 / r,
        p95_randomised: s.randomised_quantile(0.95, trials),
        p_early_stop: s.ended[..s.looks - 1].iter().sum::<u64>() as f64 / r,
        p_early_efficacy: early(&s.efficacy),
        p_early_futility: early(&s.futility),
        expected_months: (0..s.looks)
            .map(|k| months(k) * s.ended[k] as f64)
            .sum::<f64>()
            / r,
        p95_months: months(s.ended_quantile(0.95, trials)),
        analytic_expected_randomised: analytic_expected(values, &values.analytic_randomised),
        analytic_expected_months: analytic_expected(values, &values.analytic_months),
        analytic_expected_events: analytic_expected(values, &values.analytic_events),
    }
}

/// The summary columns of a re-estimated design (`None` for other designs).
fn reestimation_columns(
    design: &Design,
    s: &SequentialTally,
    trials: u64,
) -> Option<ReestimationColumns> {
    let (rule, t) = (design.reestimation()?, s.reestimation.as_ref()?);
    let r = trials as f64;
    let type_i_error = t.null_rejections as f64 / r;
    let (per_trial, null_total) = match rule.unit {
        Reestimated::Patients => (&s.randomised, t.null_randomised),
        Reestimated::Deaths => (&t.deaths, t.null_deaths),
    };
    // Deaths can outrun the maximum by ties at the look's day.
    let at_max: u64 = per_trial.range(rule.max_total..).map(|(_, n)| n).sum();
    Some(ReestimationColumns {
        unit: rule.unit,
        conditional_power: rule.conditional_power,
        min_total: rule.min_total,
        max_total: rule.max_total,
        effect: rule.effect.as_str(),
        type_i_error,
        type_i_error_se: binomial_se(type_i_error, trials),
        null_expected_total: null_total as f64 / r,
        p05_total: count_quantile(per_trial, 0.05, trials),
        median_total: count_quantile(per_trial, 0.5, trials),
        p_max_total: at_max as f64 / r,
    })
}

/// The expectation of a quantity reached at each look, over the look where a two-arm trial
/// stops, from its analytic stopping probabilities; NaN without them or with more than one
/// comparison (whose trial stops only when every one has).
fn analytic_expected(values: &DesignValues, at_look: &[f64]) -> f64 {
    match &values.analytic_stages[..] {
        [Some(stages)] => stages.expected(at_look),
        _ => f64::NAN,
    }
}

/// Per comparison x look of a sequential design: the boundaries and what happened there.
pub fn sequential_rows(design: &Design, tally: &Tally) -> Vec<SequentialRow> {
    sequential_rows_of(design, &DesignValues::of(design), tally)
}

/// `sequential_rows`, from the design's own values computed once.
pub fn sequential_rows_of(
    design: &Design,
    values: &DesignValues,
    tally: &Tally,
) -> Vec<SequentialRow> {
    let (Some(s), Some((b, beta))) = (tally.sequential(), &values.boundaries) else {
        return Vec::new();
    };
    let plan = design.sequential().expect("sequential");
    let r = tally.trials;
    let stage_levels = b.stage_levels();
    // Event-driven looks come at random calendar times; fixed ones at planned patients.
    let fixed_looks = values.fixed_looks;
    let mut rows = Vec::new();
    for (j, arm) in design.comparisons().enumerate() {
        let stages = values.analytic_stages[j].as_ref();
        let analytic = |v: Option<&Vec<f64>>, k: usize| v.map_or(f64::NAN, |v| v[k]);
        let analytic_power = stages.map(|s| s.cumulative_power());
        let mut cumulative = 0;
        for k in 0..s.looks {
            let at = j * s.looks + k;
            cumulative += s.efficacy[at];
            let p = |n: u64| n as f64 / r as f64;
            rows.push(SequentialRow {
                scenario: design.name.clone(),
                arm: design.arms[arm].name.clone(),
                control: design.arms[design.control].name.clone(),
                look: k + 1,
                fraction: plan.looks[k],
                planned_evaluable: plan.evaluable[k],
                planned_randomised: fixed_looks.then(|| values.randomised_by_look[k]),
                efficacy_z: b.efficacy[k],
                efficacy_p: stage_levels[k],
                alpha_spent: b.alpha_spent[k],
                futility_z: b.futility_at(k).unwrap_or(f64::NAN),
                beta_spent: beta.as_ref().map_or(f64::NAN, |v| v[k]),
                p_efficacy: p(s.efficacy[at]),
                p_efficacy_se: binomial_se(p(s.efficacy[at]), r),
                p_futility: p(s.futility[at]),
                p_futility_se: binomial_se(p(s.futility[at]), r),
                cumulative_power: p(cumulative),
                cumulative_power_se: binomial_se(p(cumulative), r),
                analytic_p_efficacy: analytic(stages.map(|s| &s.reject), k),
                analytic_p_futility: analytic(stages.map(|s| &s.futility), k),
                analytic_cumulative_power: analytic(analytic_power.as_ref(), k),
                analytic_randomised: values.analytic_randomised[k],
                analytic_months: values.analytic_months[k],
                reestimation: s.reestimation.as_ref().map(|t| {
                    let of_reached = |x: f64| {
                        if k == 0 || s.reached[k] == 0 {
                            f64::NAN
                        } else {
                            x / s.reached[k] as f64
                        }
                    };
                    StageSizing {
                        mean_conditional_power: of_reached(from_fixed(t.conditional_power[k])),
                        p_stage_at_max: of_reached(t.at_max[k] as f64),
                        p_stage_at_min: of_reached(t.at_min[k] as f64),
                    }
                }),
                harm: (!s.harm.is_empty()).then(|| HarmStops {
                    p_harm: p(s.harm[at]),
                    p_harm_se: binomial_se(p(s.harm[at]), r),
                    analytic_p_harm: stages
                        .and_then(|s| s.harm.get(k).copied())
                        .unwrap_or(f64::NAN),
                }),
                p_reached: p(s.reached[k]),
                mean_randomised: if s.reached[k] == 0 {
                    f64::NAN
                } else {
                    s.randomised_at[k] as f64 / s.reached[k] as f64
                },
                months: if fixed_looks {
                    values.months_to_look[k]
                } else {
                    from_fixed(s.days_at[k]) / s.reached[k] as f64 / DAYS_PER_MONTH
                },
            });
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_matches_prop_test_without_correction() {
        // prop.test(30, 100, correct=FALSE)$conf.int -> 0.218948852949328 0.395848546333467 (R 4.2.2)
        let (lo, hi) = wilson_interval(30, 100, Z_975);
        assert!((lo - 0.218948852949328).abs() < 1e-12, "{lo}");
        assert!((hi - 0.395848546333467).abs() < 1e-12, "{hi}");
        assert_eq!(wilson_interval(0, 10, Z_975).0, 0.0);
    }
}
