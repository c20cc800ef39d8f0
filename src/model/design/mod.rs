//! The validated design: every quantity derived from a scenario exactly (eligible fraction,
//! composition of randomised patients, event risk per arm and stratum), here; every check on a
//! scenario in `validate` (the top-level keys, `[analysis]`, `[cost]`), `population` (the
//! endotypes and `[enrollment]`) and `arms` (treatments, arms, risks), sharing `checks`.
//!
//! Model. A screened patient has true endotype `e` with probability `prevalence[e]` and receives
//! diagnostic label `l` with probability `classified_as[e][l]`. Patients whose label is eligible
//! are randomised until `sample_size` are in; the rest are screen failures. A treatment acts on
//! the TRUE endotype but is assigned by the LABEL, so a misclassified patient gets the wrong drug.
//! The analysis strata are the eligible labels; within a stratum the event risk of an arm is the
//! mixture over the true endotypes that carry that label.

mod arms;
mod checks;
mod null;
mod population;
mod validate;

use crate::model::adaptation::AdaptationPlan;
use crate::model::bayesian::BayesianPlan;
use crate::model::classify::Classifier;
use crate::model::continuous::ContinuousModel;
use crate::model::ordinal::OrdinalModel;
use crate::model::raw::InvalidKey;
use crate::model::reestimation::{Reestimated, Reestimation};
use crate::model::sequential::{Accrual, SequentialPlan};
use crate::model::survival::SurvivalModel;
use crate::model::vocabulary::{
    Better, Effect, Margin, Procedure, Randomisation, Sidedness, TestKind,
};

/// Probabilities that must sum to one may miss it by this much (people type 0.333); they are
/// then rescaled to sum to one, so that the model is a distribution.
pub const SUM_TOLERANCE: f64 = 1e-6;

/// Largest number of randomised patients a scenario may ask for: far beyond any trial, and low
/// enough that per-run sums of counts cannot overflow.
pub const MAX_SAMPLE_SIZE: u64 = 1_000_000_000;

/// Largest expected number of patients screened (sample size / eligible fraction).
pub const MAX_EXPECTED_SCREENED: f64 = 1e15;
/// Most endotypes a scenario may have: the classification is an endotypes x labels matrix
/// (8 MB at this limit), and a precision-medicine trial has a handful.
pub const MAX_ENDOTYPES: usize = 1000;

#[derive(Debug, Clone)]
pub struct Endotype {
    pub name: String,
    /// How people read it (`display_name`, the name when not given): reports and plots.
    pub display: String,
    pub prevalence: f64,
    /// The mean outcome under control: P(event) for a binary endpoint; the mortality by the
    /// model's reference day for a time-to-event one; the mean for a continuous one; 0 (the
    /// log odds ratio) for an ordinal one.
    pub control_mean: f64,
    /// Probability of each diagnostic label (indexed like `Design::labels`).
    pub classified_as: Vec<f64>,
}

#[derive(Debug, Clone)]
pub struct Treatment {
    pub name: String,
    pub display: String,
    pub effect: Effect,
    /// Effect value per true endotype; `None`: no effect on that endotype.
    pub by_endotype: Vec<Option<f64>>,
}

#[derive(Debug, Clone)]
pub struct Arm {
    pub name: String,
    pub display: String,
    pub ratio: u32,
    /// Treatment index given to each eligible label (indexed like `Design::eligible`).
    pub treatment_by_stratum: Vec<Option<usize>>,
}

#[derive(Debug, Clone)]
pub struct Analysis {
    pub test: TestKind,
    pub alpha: f64,
    pub sidedness: Sidedness,
    /// Hypotheses tested per comparison (empty: no multiplicity outputs).
    pub hypotheses: Vec<Hypothesis>,
    pub multiplicity: Procedure,
    /// A non-inferiority margin (one-sided tests against it); `None`: superiority.
    pub margin: Option<Margin>,
    /// A two-sided test's power (and each look's efficacy) counts its rejections in both
    /// directions; false: only those for benefit (rpact's `twoSidedPower = FALSE`). Always true
    /// for a one-sided test, which rejects in one direction.
    pub two_sided_power: bool,
}

impl Analysis {
    /// The alternative as printed beside a power: "two_sided", or "two_sided, power for
    /// benefit only" when the power counts one direction.
    pub fn alternative_text(&self) -> String {
        alternative_text(self.sidedness.as_str(), self.two_sided_power)
    }

    /// The null value of a difference (arm minus control): a non-inferiority margin's (rpact's
    /// thetaH0), or 0 for superiority.
    pub fn null_difference(&self) -> f64 {
        self.margin.map_or(0.0, |m| m.null)
    }
}

/// The alternative `alternative` ("two_sided") as printed beside a power, with "power for
/// benefit only" when a two-sided test's power counts one direction.
pub fn alternative_text(alternative: &str, two_sided_power: bool) -> String {
    match two_sided_power {
        true => alternative.to_string(),
        false => format!("{alternative}, power for benefit only"),
    }
}

/// A hypothesis of a comparison: the overall test, or the test within one analysis stratum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hypothesis {
    Overall,
    Stratum(usize),
}

#[derive(Debug, Clone)]
pub struct Design {
    pub name: String,
    pub description: Option<String>,
    pub replicates: u64,
    pub seed: u64,
    pub endotypes: Vec<Endotype>,
    /// Diagnostic labels: the endotype names, in file order.
    pub labels: Vec<String>,
    /// Label indices that are randomised; they are also the analysis strata, in this order.
    pub eligible: Vec<usize>,
    pub sample_size: u64,
    pub dropout: f64,
    pub randomisation: Randomisation,
    /// What the endpoint is called: its event (binary, time to event) or its outcome
    /// (continuous).
    pub event: String,
    pub better: Better,
    pub treatments: Vec<Treatment>,
    pub arms: Vec<Arm>,
    /// Index of the control arm in `arms`.
    pub control: usize,
    pub analysis: Analysis,
    // Derived, exact.
    /// Probability that a screened patient is eligible.
    pub eligible_fraction: f64,
    /// P(label = stratum s | randomised).
    pub stratum_prob: Vec<f64>,
    /// P(true endotype = e | randomised).
    pub composition: Vec<f64>,
    /// The mean outcome of arm a in stratum s (as `Endotype::control_mean`: an event risk, a
    /// mortality or a mean), indexed `[a][s]`.
    pub stratum_mean: Vec<Vec<f64>>,
    /// The mean outcome of a patient randomised to arm a: marginal over strata.
    pub true_mean: Vec<f64>,
    pub cost: Option<Cost>,
    /// Biomarker rules that produced `classified_as`, when the scenario has them.
    pub classifier: Option<Classifier>,
    /// Likely mistakes that are not impossible (printed as warnings; the design still runs).
    pub warnings: Vec<InvalidKey>,
    /// What each patient's outcome is.
    pub endpoint: EndpointModel,
    /// How the trial is run: its analyses and adaptations.
    pub kind: DesignKind,
    /// Randomisation rate and assessment delay (sequential designs only).
    pub accrual: Option<Accrual>,
}

/// The endpoint of a design. A new kind of endpoint is a new variant here, and the compiler
/// names every `match` on it that must learn the new one (the engine's choice of simulator,
/// the tally's blocks, the rows, the report).
#[derive(Debug, Clone)]
pub enum EndpointModel {
    /// An event (death, response) by a fixed day: a 2 x 2 table per stratum.
    Binary,
    /// Time to death, with its model (hazards, follow-up, event-driven analysis, resolution).
    TimeToEvent(SurvivalModel),
    /// A measurement, normal within each true endotype, with its model (standard deviations,
    /// responder threshold).
    Continuous(ContinuousModel),
    /// Ordered levels, with each endotype's distribution under control (proportional odds).
    Ordinal(OrdinalModel),
}

/// How a design is run. A new kind of design is a new variant here, with the same effect as a
/// new endpoint.
#[derive(Debug, Clone)]
pub enum DesignKind {
    /// One analysis, at the end.
    Fixed,
    /// Analyses at planned looks (`[sequential]`), with early stopping for efficacy or futility.
    GroupSequential(SequentialPlan),
    /// Group-sequential looks with populations selected at an interim (`[adaptation]`).
    AdaptiveEnrichment(SequentialPlan, AdaptationPlan),
    /// Bayesian adaptive analyses (`[bayesian]`): posterior stopping rules, arm dropping and
    /// response-adaptive randomisation.
    Bayesian(Box<BayesianPlan>),
}

/// Trial cost per screened and per randomised patient.
#[derive(Debug, Clone, PartialEq)]
pub struct Cost {
    pub currency: String,
    pub screening: f64,
    pub per_patient: f64,
}

impl Cost {
    /// Cost of a trial that screened `screened` patients to randomise `randomised`.
    pub fn of(&self, screened: f64, randomised: f64) -> f64 {
        self.screening * screened + self.per_patient * randomised
    }
}

impl Design {
    /// The time-to-event model; `None`: another kind of endpoint.
    pub fn survival(&self) -> Option<&SurvivalModel> {
        match &self.endpoint {
            EndpointModel::Binary | EndpointModel::Continuous(_) | EndpointModel::Ordinal(_) => {
                None
            }
            EndpointModel::TimeToEvent(m) => Some(m),
        }
    }

    /// The continuous model; `None`: another kind of endpoint.
    pub fn continuous(&self) -> Option<&ContinuousModel> {
        match &self.endpoint {
            EndpointModel::Binary | EndpointModel::TimeToEvent(_) | EndpointModel::Ordinal(_) => {
                None
            }
            EndpointModel::Continuous(m) => Some(m),
        }
    }

    /// The ordinal model; `None`: another kind of endpoint.
    pub fn ordinal(&self) -> Option<&OrdinalModel> {
        match &self.endpoint {
            EndpointModel::Ordinal(m) => Some(m),
            EndpointModel::Binary
            | EndpointModel::TimeToEvent(_)
            | EndpointModel::Continuous(_) => None,
        }
    }

    /// The looks (`[sequential]`); `None`: a fixed-sample design.
    pub fn sequential(&self) -> Option<&SequentialPlan> {
        match &self.kind {
            DesignKind::Fixed | DesignKind::Bayesian(_) => None,
            DesignKind::GroupSequential(p) | DesignKind::AdaptiveEnrichment(p, _) => Some(p),
        }
    }

    /// The Bayesian adaptive plan (`[bayesian]`), if any.
    pub fn bayesian(&self) -> Option<&BayesianPlan> {
        match &self.kind {
            DesignKind::Bayesian(b) => Some(b),
            DesignKind::Fixed
            | DesignKind::GroupSequential(_)
            | DesignKind::AdaptiveEnrichment(..) => None,
        }
    }

    /// The adaptive-enrichment plan (`[adaptation]`), if any.
    pub fn adaptation(&self) -> Option<&AdaptationPlan> {
        match &self.kind {
            DesignKind::AdaptiveEnrichment(_, a) => Some(a),
            DesignKind::Fixed | DesignKind::GroupSequential(_) | DesignKind::Bayesian(_) => None,
        }
    }

    /// Arms other than control, in file order: the comparisons made.
    pub fn comparisons(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.arms.len()).filter(move |&a| a != self.control)
    }

    /// How reports and plots name the arm called `name` (its display name; `name` itself for
    /// a name the design does not have).
    pub fn arm_display<'a>(&'a self, name: &'a str) -> &'a str {
        self.arms
            .iter()
            .find(|a| a.name == name)
            .map_or(name, |a| a.display.as_str())
    }

    /// How reports and plots name the label (endotype) called `name` (its display name;
    /// `name` itself for a name the design does not have, such as a pooled stratum's).
    pub fn label_display<'a>(&'a self, name: &'a str) -> &'a str {
        self.endotypes
            .iter()
            .find(|e| e.name == name)
            .map_or(name, |e| e.display.as_str())
    }

    /// The sample-size re-estimation of a sequential design, if any.
    pub fn reestimation(&self) -> Option<&Reestimation> {
        self.sequential().and_then(|p| p.reestimation.as_ref())
    }

    pub fn reestimation_mut(&mut self) -> Option<&mut Reestimation> {
        match &mut self.kind {
            DesignKind::GroupSequential(p) | DesignKind::AdaptiveEnrichment(p, _) => {
                p.reestimation.as_mut()
            }
            DesignKind::Fixed | DesignKind::Bayesian(_) => None,
        }
    }

    /// The most patients a trial may randomise: the sample size, or the maximum of a
    /// sample-size re-estimation of patients.
    pub fn most_randomised(&self) -> u64 {
        match self.reestimation() {
            Some(r) if r.unit == Reestimated::Patients => r.max_total,
            _ => self.sample_size,
        }
    }

    pub fn block_size(&self) -> u64 {
        self.arms.iter().map(|a| u64::from(a.ratio)).sum()
    }

    /// Expected number randomised to arm `a` (exact under both randomisation schemes).
    pub fn expected_arm_size(&self, a: usize) -> f64 {
        self.sample_size as f64 * f64::from(self.arms[a].ratio) / self.block_size() as f64
    }

    /// The name of a hypothesis: "overall" or the label.
    pub fn hypothesis_name(&self, h: Hypothesis) -> &str {
        match h {
            Hypothesis::Overall => "overall",
            Hypothesis::Stratum(s) => &self.labels[self.eligible[s]],
        }
    }

    /// The analysis strata of a hypothesis' population: every eligible label for "overall",
    /// its own label otherwise.
    pub fn strata_of(&self, h: Hypothesis) -> Vec<usize> {
        match h {
            Hypothesis::Overall => (0..self.eligible.len()).collect(),
            Hypothesis::Stratum(s) => vec![s],
        }
    }

    /// The strata of the populations of the hypotheses in `mask` (bit i:
    /// `analysis.hypotheses[i]`), in increasing order, each once.
    pub fn strata_of_populations(&self, mask: usize) -> Vec<usize> {
        let mut strata: Vec<usize> = (0..self.analysis.hypotheses.len())
            .filter(|&i| mask >> i & 1 == 1)
            .flat_map(|i| self.strata_of(self.analysis.hypotheses[i]))
            .collect();
        strata.sort_unstable();
        strata.dedup();
        strata
    }

    /// P(a screened patient is eligible with the label of stratum `s`).
    pub fn screened_with(&self, s: usize) -> f64 {
        self.eligible_fraction * self.stratum_prob[s]
    }

    /// Whether a hypothesis of comparison `arm` is true (no difference in risk).
    pub fn is_true_null(&self, arm: usize, h: Hypothesis) -> bool {
        let c = self.control;
        let (a, b) = match h {
            Hypothesis::Overall => (self.true_mean[arm], self.true_mean[c]),
            Hypothesis::Stratum(s) => (self.stratum_mean[arm][s], self.stratum_mean[c][s]),
        };
        (a - b).abs() < 1e-12
    }

    /// +1 when a higher event risk is a benefit, -1 when lower.
    pub fn benefit_sign(&self) -> f64 {
        match self.better {
            Better::Higher => 1.0,
            Better::Lower => -1.0,
        }
    }

    /// Whether the design has interim looks (a `[sequential]` table with more than one look).
    pub fn has_interim_looks(&self) -> bool {
        self.sequential().is_some_and(|p| p.looks.len() > 1)
    }

    /// Patients randomised by look `k` of a sequential design: those whose outcome is known
    /// there plus the pipeline, at most the sample size.
    pub fn randomised_by_look(&self, k: usize) -> u64 {
        let plan = self.sequential().expect("a sequential design");
        (plan.evaluable[k] + self.accrual.map_or(0, |a| a.pipeline())).min(self.sample_size)
    }

    /// Months from the first randomisation to look `k` of a sequential design (`None` without
    /// `accrual_per_month`).
    pub fn months_to_look(&self, k: usize) -> Option<f64> {
        let plan = self.sequential().expect("a sequential design");
        self.accrual.map(|a| a.months_to_outcome(plan.evaluable[k]))
    }

    /// P(true endotype e | randomised with the label of stratum `s`), indexed by endotype.
    pub fn endotypes_in_stratum(&self, s: usize) -> Vec<f64> {
        let l = self.eligible[s];
        let weights: Vec<f64> = self
            .endotypes
            .iter()
            .map(|e| e.prevalence * e.classified_as[l])
            .collect();
        let total: f64 = weights.iter().sum();
        weights
            .iter()
            .map(|w| if total > 0.0 { w / total } else { 0.0 })
            .collect()
    }

    /// The hazard ratio (relative to no treatment) of a patient of true endotype `e` with the
    /// label of stratum `s` randomised to arm `a`.
    pub fn hazard_ratio(&self, a: usize, s: usize, e: usize) -> f64 {
        self.arms[a].treatment_by_stratum[s]
            .and_then(|t| self.treatments[t].by_endotype[e])
            .unwrap_or(1.0)
    }

    /// The mean outcome (as `Endotype::control_mean`) of a patient of true endotype `e` with
    /// the label of stratum `s` randomised to arm `a`.
    pub fn outcome_mean(&self, a: usize, s: usize, e: usize) -> f64 {
        let control = self.endotypes[e].control_mean;
        self.arms[a].treatment_by_stratum[s]
            .and_then(|t| {
                let t = &self.treatments[t];
                t.by_endotype[e].map(|v| treated_mean(t.effect, v, control).expect("validated"))
            })
            .unwrap_or(control)
    }

    /// The true hazard ratio of arm `a` against control, when it is one number: every patient
    /// who can be randomised (positive weight) has the same control hazard, and the same
    /// hazard ratio in each of the two arms. Otherwise the marginal hazards of a mixture are not
    /// proportional and no single hazard ratio is true (`None`).
    pub fn true_hazard_ratio(&self, a: usize) -> Option<f64> {
        let model = self.survival()?;
        let mut seen: Option<(usize, f64, f64)> = None;
        for s in 0..self.eligible.len() {
            if self.stratum_prob[s] <= 0.0 {
                continue;
            }
            for (e, w) in self.endotypes_in_stratum(s).into_iter().enumerate() {
                if w <= 0.0 {
                    continue;
                }
                let cell = (
                    e,
                    self.hazard_ratio(a, s, e),
                    self.hazard_ratio(self.control, s, e),
                );
                match seen {
                    None => seen = Some(cell),
                    Some((e0, ha, hc)) => {
                        if model.control[e0] != model.control[e] || ha != cell.1 || hc != cell.2 {
                            return None;
                        }
                    }
                }
            }
        }
        seen.map(|(_, ha, hc)| ha / hc)
    }

    /// The mean over the patients randomised to arm `a` of `f(stratum, true endotype)`: the
    /// mixture over labels (strata) and the true endotypes carrying each label.
    fn mean_over(&self, f: impl Fn(usize, usize) -> f64) -> f64 {
        (0..self.eligible.len())
            .map(|s| {
                let within: f64 = self
                    .endotypes_in_stratum(s)
                    .iter()
                    .enumerate()
                    .filter(|(_, w)| **w > 0.0)
                    .map(|(e, w)| w * f(s, e))
                    .sum();
                self.stratum_prob[s] * within
            })
            .sum()
    }

    /// The mean over the patients randomised to arm `a` of `f(true endotype, hazard ratio)`.
    pub fn mean_over_patients(&self, a: usize, f: impl Fn(usize, f64) -> f64) -> f64 {
        self.mean_over(|s, e| f(e, self.hazard_ratio(a, s, e)))
    }

    /// The mean over the patients randomised to arm `a` of `f(true endotype, its mean outcome)`.
    pub fn mean_over_cells(&self, a: usize, f: impl Fn(usize, f64) -> f64) -> f64 {
        self.mean_over(|s, e| f(e, self.outcome_mean(a, s, e)))
    }

    /// The standard deviation of a continuous outcome over the patients randomised to arm `a`
    /// (the mixture of the endotypes' normals); NaN for another endpoint.
    pub fn true_sd(&self, a: usize) -> f64 {
        let Some(model) = self.continuous() else {
            return f64::NAN;
        };
        let second = self.mean_over_cells(a, |e, mean| model.sd[e] * model.sd[e] + mean * mean);
        let mean = self.mean_over_cells(a, |_, mean| mean);
        (second - mean * mean).max(0.0).sqrt()
    }

    /// The level distribution of an ordinal outcome over the patients randomised to arm `a`
    /// (the mixture over labels of `stratum_distribution`); empty for another endpoint.
    pub fn true_distribution(&self, a: usize) -> Vec<f64> {
        let mut out = vec![0.0; self.ordinal().map_or(0, |m| m.levels.len())];
        for s in 0..self.eligible.len() {
            for (o, q) in out.iter_mut().zip(self.stratum_distribution(a, s)) {
                *o += self.stratum_prob[s] * q;
            }
        }
        out
    }

    /// The level distribution of an ordinal outcome over the patients with the label of
    /// stratum `s` randomised to arm `a` (the mixture of its true endotypes' shifted
    /// distributions); empty for another endpoint.
    pub fn stratum_distribution(&self, a: usize, s: usize) -> Vec<f64> {
        let Some(model) = self.ordinal() else {
            return Vec::new();
        };
        let mut out = vec![0.0; model.levels.len()];
        for (e, w) in self.endotypes_in_stratum(s).into_iter().enumerate() {
            if w <= 0.0 {
                continue;
            }
            let p = model.distribution(e, self.outcome_mean(a, s, e));
            for (o, q) in out.iter_mut().zip(p) {
                *o += w * q;
            }
        }
        out
    }

    /// True probability that a patient randomised to arm `a` is alive at day `t` (no loss to
    /// follow-up): the mixture over labels and true endotypes of S_e(t)^HR.
    pub fn true_survival(&self, a: usize, t: f64) -> f64 {
        let model = self.survival().expect("a time-to-event design");
        self.mean_over_patients(a, |e, hr| model.control[e].survival(t).powf(hr))
    }

    /// Expected number screened to randomise `sample_size` (negative binomial mean).
    pub fn expected_screened(&self) -> f64 {
        self.sample_size as f64 / self.eligible_fraction
    }
}

/// The mean outcome under a treatment's effect: a risk (an error message when it leaves
/// [0, 1]), a mortality (hazard ratio), or a mean (continuous effects, any real value).
pub fn treated_mean(effect: Effect, value: f64, control: f64) -> Result<f64, String> {
    let risk = match effect {
        Effect::RiskRatio => control * value,
        Effect::OddsRatio => {
            if control >= 1.0 {
                1.0
            } else {
                let odds = value * control / (1.0 - control);
                odds / (1.0 + odds)
            }
        }
        Effect::RiskDifference => control + value,
        Effect::Risk => value,
        // Mortality by a day: survival S becomes S^HR.
        Effect::HazardRatio => 1.0 - (1.0 - control).powf(value),
        Effect::MeanDifference => return Ok(control + value),
        Effect::Mean => return Ok(value),
        // Ordinal: the log odds ratio is the cell's shift (`model::ordinal`).
        Effect::CommonOddsRatio => return Ok(control + value.ln()),
    };
    if (0.0..=1.0).contains(&risk) {
        Ok(risk)
    } else {
        Err(format!(
            "gives a risk of {risk} under treatment (control risk {control}); expected a risk in [0, 1]"
        ))
    }
}
