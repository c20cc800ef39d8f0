//! The validated design: every check on a scenario, and every quantity derived from it exactly
//! (eligible fraction, composition of randomised patients, event risk per arm and stratum).
//!
//! Model. A screened patient has true endotype `e` with probability `prevalence[e]` and receives
//! diagnostic label `l` with probability `classified_as[e][l]`. Patients whose label is eligible
//! are randomised until `sample_size` are in; the rest are screen failures. A treatment acts on
//! the TRUE endotype but is assigned by the LABEL, so a misclassified patient gets the wrong drug.
//! The analysis strata are the eligible labels; within a stratum the event risk of an arm is the
//! mixture over the true endotypes that carry that label.

use std::collections::{BTreeMap, HashSet};

use crate::model::adaptation::{self, AdaptationPlan};
use crate::model::classify::{Biomarker, Classifier, Marginal, Rule};
use crate::model::raw::{
    InvalidKey, RawArm, RawBiomarker, RawClassifier, RawScenario, RawTreatment,
};
use crate::model::sequential::{self, Accrual, SequentialPlan};
use crate::model::survival::{self, SurvivalModel};
use crate::model::vocabulary::{
    Better, Effect, MarkerDistribution, Procedure, Randomisation, Sidedness, TestKind,
};

/// Probabilities that must sum to one may miss it by this much (people type 0.333); they are
/// then rescaled to sum to one, so that the model is a distribution.
pub const SUM_TOLERANCE: f64 = 1e-6;

/// Rescales probabilities whose sum is off by more than rounding (sums already equal to one up
/// to 1e-12 are left alone, so that existing results stay bit-identical).
fn normalise<'a>(values: impl Iterator<Item = &'a mut f64>, total: f64) {
    if (total - 1.0).abs() > 1e-12 {
        values.for_each(|v| *v /= total);
    }
}

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
    /// P(event) under control; for a time-to-event endpoint, the mortality by the model's
    /// reference day.
    pub control_risk: f64,
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
    /// P(event | arm a, stratum s), indexed `[a][s]`.
    pub stratum_risk: Vec<Vec<f64>>,
    /// P(event | randomised to arm a): marginal over strata.
    pub true_risk: Vec<f64>,
    pub cost: Option<Cost>,
    /// Biomarker rules that produced `classified_as`, when the scenario has them.
    pub classifier: Option<Classifier>,
    /// Likely mistakes that are not impossible (printed as warnings; the design still runs).
    pub warnings: Vec<InvalidKey>,
    /// Interim analyses (`[sequential]`); `None`: a fixed-sample design.
    pub sequential: Option<SequentialPlan>,
    /// Adaptive enrichment at an interim (`[adaptation]`).
    pub adaptation: Option<AdaptationPlan>,
    /// Randomisation rate and assessment delay (sequential designs only).
    pub accrual: Option<Accrual>,
    /// A time-to-event endpoint's model; `None`: a binary endpoint.
    pub survival: Option<SurvivalModel>,
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
            Hypothesis::Overall => (self.true_risk[arm], self.true_risk[c]),
            Hypothesis::Stratum(s) => (self.stratum_risk[arm][s], self.stratum_risk[c][s]),
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
        self.sequential.as_ref().is_some_and(|p| p.looks.len() > 1)
    }

    /// Patients randomised by look `k` of a sequential design: those whose outcome is known
    /// there plus the pipeline, at most the sample size.
    pub fn randomised_by_look(&self, k: usize) -> u64 {
        let plan = self.sequential.as_ref().expect("a sequential design");
        (plan.evaluable[k] + self.accrual.map_or(0, |a| a.pipeline())).min(self.sample_size)
    }

    /// Months from the first randomisation to look `k` of a sequential design (`None` without
    /// `accrual_per_month`).
    pub fn months_to_look(&self, k: usize) -> Option<f64> {
        let plan = self.sequential.as_ref().expect("a sequential design");
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

    /// The true hazard ratio of arm `a` against control, when it is one number: every patient
    /// who can be randomised (positive weight) has the same control hazard, and the same
    /// hazard ratio in each of the two arms. Otherwise the marginal hazards of a mixture are not
    /// proportional and no single hazard ratio is true (`None`).
    pub fn true_hazard_ratio(&self, a: usize) -> Option<f64> {
        let model = self.survival.as_ref()?;
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

    /// The mean over the patients randomised to arm `a` of `f(true endotype, hazard ratio)`:
    /// the mixture over labels (strata) and the true endotypes carrying each label.
    pub fn mean_over_patients(&self, a: usize, f: impl Fn(usize, f64) -> f64) -> f64 {
        (0..self.eligible.len())
            .map(|s| {
                let within: f64 = self
                    .endotypes_in_stratum(s)
                    .iter()
                    .enumerate()
                    .filter(|(_, w)| **w > 0.0)
                    .map(|(e, w)| w * f(e, self.hazard_ratio(a, s, e)))
                    .sum();
                self.stratum_prob[s] * within
            })
            .sum()
    }

    /// True probability that a patient randomised to arm `a` is alive at day `t` (no loss to
    /// follow-up): the mixture over labels and true endotypes of S_e(t)^HR.
    pub fn true_survival(&self, a: usize, t: f64) -> f64 {
        let model = self.survival.as_ref().expect("a time-to-event design");
        self.mean_over_patients(a, |e, hr| model.control[e].survival(t).powf(hr))
    }

    /// Expected number screened to randomise `sample_size` (negative binomial mean).
    pub fn expected_screened(&self) -> f64 {
        self.sample_size as f64 / self.eligible_fraction
    }
}

/// Risk under a treatment's effect, or an error message when it leaves [0, 1].
pub fn treated_risk(effect: Effect, value: f64, control: f64) -> Result<f64, String> {
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
    };
    if (0.0..=1.0).contains(&risk) {
        Ok(risk)
    } else {
        Err(format!(
            "gives a risk of {risk} under treatment (control risk {control}); expected a risk in [0, 1]"
        ))
    }
}

fn check_probability(key: &str, p: f64) -> Result<(), InvalidKey> {
    if (0.0..=1.0).contains(&p) {
        Ok(())
    } else {
        Err(InvalidKey::new(
            key,
            format!("expected a probability in [0, 1], found {p}"),
        ))
    }
}

fn check_sum_to_one(key: &str, total: f64) -> Result<(), InvalidKey> {
    if (total - 1.0).abs() <= SUM_TOLERANCE {
        Ok(())
    } else {
        Err(InvalidKey::new(
            key,
            format!(
                "expected probabilities summing to 1 (within {SUM_TOLERANCE:e}), found a sum of {total}"
            ),
        ))
    }
}

fn check_name(key: &str, name: &str, seen: &mut HashSet<String>) -> Result<(), InvalidKey> {
    if name.trim().is_empty() {
        return Err(InvalidKey::new(key, "expected a non-empty name"));
    }
    if !seen.insert(name.to_string()) {
        return Err(InvalidKey::new(
            key,
            format!("duplicate name '{name}'; names must be unique"),
        ));
    }
    Ok(())
}

fn lookup(key: &str, what: &str, name: &str, names: &[String]) -> Result<usize, InvalidKey> {
    names.iter().position(|n| n == name).ok_or_else(|| {
        InvalidKey::new(
            key,
            format!(
                "unknown {what} '{name}'; expected one of: {}",
                names.join(", ")
            ),
        )
    })
}

impl TryFrom<RawScenario> for Design {
    type Error = InvalidKey;

    fn try_from(raw: RawScenario) -> Result<Design, InvalidKey> {
        let name = raw.name.trim().to_string();
        // The name becomes a directory under the output folder.
        if name.is_empty()
            || name == "."
            || name == ".."
            || name.contains(['/', '\\'])
            || name.chars().any(char::is_control)
        {
            return Err(InvalidKey::new(
                "name",
                format!(
                    "expected a non-empty name usable as a folder name (no '/', '\\', '..'), found '{}'",
                    raw.name
                ),
            ));
        }
        if raw.simulation.replicates == 0 {
            return Err(InvalidKey::new(
                "simulation.replicates",
                "expected a positive number of virtual trials, found 0",
            ));
        }

        // Endotypes and labels.
        if raw.endotype.is_empty() {
            return Err(InvalidKey::new(
                "endotype",
                "expected at least one [[endotype]]",
            ));
        }
        if raw.endotype.len() > MAX_ENDOTYPES {
            return Err(InvalidKey::new(
                "endotype",
                format!(
                    "expected at most {MAX_ENDOTYPES} [[endotype]] tables, found {}",
                    raw.endotype.len()
                ),
            ));
        }
        let mut seen = HashSet::new();
        for (i, e) in raw.endotype.iter().enumerate() {
            check_name(&format!("endotype[{i}].name"), &e.name, &mut seen)?;
        }
        let labels: Vec<String> = raw.endotype.iter().map(|e| e.name.clone()).collect();
        let survival = survival::model(&raw)?;
        let mut endotypes = Vec::with_capacity(raw.endotype.len());
        for (i, e) in raw.endotype.iter().enumerate() {
            let key = |k: &str| format!("endotype.{}.{k}", e.name);
            check_probability(&key("prevalence"), e.prevalence)?;
            let control_risk = match (&survival, e.control_risk) {
                (Some(m), _) => 1.0 - m.control[i].survival(m.reference_day),
                (None, Some(r)) => r,
                (None, None) => {
                    return Err(InvalidKey::new(
                        key("control_risk"),
                        "missing: the event risk under control",
                    ));
                }
            };
            check_probability(&key("control_risk"), control_risk)?;
            let mut classified_as = vec![0.0; labels.len()];
            match &e.classified_as {
                None => classified_as[i] = 1.0,
                Some(map) => {
                    for (label, &p) in map {
                        let k = format!("{}.{label}", key("classified_as"));
                        let l = lookup(&k, "label (labels are endotype names)", label, &labels)?;
                        check_probability(&k, p)?;
                        classified_as[l] = p;
                    }
                    let total: f64 = map.values().sum();
                    check_sum_to_one(&key("classified_as"), total)?;
                    normalise(classified_as.iter_mut(), total);
                }
            }
            endotypes.push(Endotype {
                name: e.name.clone(),
                display: display_name(&key("display_name"), &e.name, &e.display_name)?,
                prevalence: e.prevalence,
                control_risk,
                classified_as,
            });
        }
        let total: f64 = endotypes.iter().map(|e| e.prevalence).sum();
        check_sum_to_one("endotype.*.prevalence", total)?;
        normalise(endotypes.iter_mut().map(|e| &mut e.prevalence), total);
        let classifier = resolve_classifier(&raw, &labels)?;
        if let Some(c) = &classifier {
            let matrix = c.matrix(endotypes.len(), labels.len());
            for (e, row) in endotypes.iter_mut().zip(matrix) {
                e.classified_as = row;
            }
        }

        // Enrollment.
        let enr = &raw.enrollment;
        if enr.sample_size == 0 || enr.sample_size > MAX_SAMPLE_SIZE {
            return Err(InvalidKey::new(
                "enrollment.sample_size",
                format!(
                    "expected a number of randomised patients from 1 to {MAX_SAMPLE_SIZE}, found {}",
                    enr.sample_size
                ),
            ));
        }
        let eligible: Vec<usize> = match &enr.eligible {
            None => (0..labels.len()).collect(),
            Some(names) => {
                if names.is_empty() {
                    return Err(InvalidKey::new(
                        "enrollment.eligible",
                        "expected at least one eligible label, found an empty list",
                    ));
                }
                let mut seen = HashSet::new();
                let mut idx = Vec::new();
                for n in names {
                    let l = lookup("enrollment.eligible", "label", n, &labels)?;
                    if !seen.insert(l) {
                        return Err(InvalidKey::new(
                            "enrollment.eligible",
                            format!("label '{n}' is listed twice"),
                        ));
                    }
                    idx.push(l);
                }
                idx
            }
        };
        if !(0.0..1.0).contains(&enr.dropout) {
            return Err(InvalidKey::new(
                "enrollment.dropout",
                format!("expected a probability in [0, 1), found {}", enr.dropout),
            ));
        }
        // P(label l) at screening.
        let label_prob: Vec<f64> = (0..labels.len())
            .map(|l| {
                endotypes
                    .iter()
                    .map(|e| e.prevalence * e.classified_as[l])
                    .sum()
            })
            .collect();
        let eligible_fraction: f64 = eligible.iter().map(|&l| label_prob[l]).sum();
        if eligible_fraction <= 0.0 {
            return Err(InvalidKey::new(
                "enrollment.eligible",
                "no screened patient can be eligible: the eligible labels have probability 0",
            ));
        }
        let screened = enr.sample_size as f64 / eligible_fraction;
        if screened > MAX_EXPECTED_SCREENED {
            return Err(InvalidKey::new(
                "enrollment.eligible",
                format!(
                    "the eligible labels have probability {eligible_fraction:e}: randomising {} patients would mean screening about {screened:.3e}, more than {MAX_EXPECTED_SCREENED:e}",
                    enr.sample_size
                ),
            ));
        }
        let stratum_prob: Vec<f64> = eligible
            .iter()
            .map(|&l| label_prob[l] / eligible_fraction)
            .collect();
        let composition: Vec<f64> = endotypes
            .iter()
            .map(|e| {
                eligible
                    .iter()
                    .map(|&l| e.prevalence * e.classified_as[l])
                    .sum::<f64>()
                    / eligible_fraction
            })
            .collect();

        // Treatments.
        let mut seen = HashSet::new();
        let mut treatments = Vec::with_capacity(raw.treatment.len());
        for (i, t) in raw.treatment.iter().enumerate() {
            check_name(&format!("treatment[{i}].name"), &t.name, &mut seen)?;
            treatments.push(resolve_treatment(t, &endotypes, &labels)?);
        }
        let treatment_names: Vec<String> = treatments.iter().map(|t| t.name.clone()).collect();

        let mut warnings = Vec::new();
        for b in &raw.biomarker {
            if b.assay_cv.is_some_and(|cv| cv >= 1.0) {
                warnings.push(InvalidKey::new(
                    format!("biomarker.{}.assay_cv", b.name),
                    format!(
                        "{} is a coefficient of variation of {}%: did you mean {}?",
                        b.assay_cv.unwrap(),
                        b.assay_cv.unwrap() * 100.0,
                        b.assay_cv.unwrap() / 100.0
                    ),
                ));
            }
        }

        // Arms.
        if raw.arm.len() < 2 {
            return Err(InvalidKey::new(
                "arm",
                format!(
                    "expected at least two [[arm]] tables (a control and a comparator), found {}",
                    raw.arm.len()
                ),
            ));
        }
        let mut seen = HashSet::new();
        let mut arms = Vec::with_capacity(raw.arm.len());
        for (i, a) in raw.arm.iter().enumerate() {
            check_name(&format!("arm[{i}].name"), &a.name, &mut seen)?;
            arms.push(resolve_arm(a, &labels, &eligible, &treatment_names)?);
            for label in a.assign.iter().flat_map(|m| m.keys()) {
                let l = labels.iter().position(|n| n == label).expect("resolved");
                if !eligible.contains(&l) {
                    warnings.push(InvalidKey::new(
                        format!("arm.{}.assign.{label}", a.name),
                        format!("label '{label}' is not eligible (enrollment.eligible): patients with it are never randomised, so this assignment has no effect"),
                    ));
                }
            }
        }
        let arm_names: Vec<String> = arms.iter().map(|a| a.name.clone()).collect();
        // Fewer than two patients an arm: a trial with an arm of one or none can test nothing.
        if raw.enrollment.sample_size < 2 * arms.len() as u64 {
            warnings.push(InvalidKey::new(
                "enrollment.sample_size",
                format!(
                    "{} patients for {} arms is fewer than two an arm: most trials have an arm with one patient or none, and their test cannot reject",
                    raw.enrollment.sample_size,
                    arms.len()
                ),
            ));
        }

        // Analysis.
        let an = &raw.analysis;
        let control = lookup("analysis.control", "arm", &an.control, &arm_names)?;
        if !(an.alpha > 0.0 && an.alpha < 1.0) {
            return Err(InvalidKey::new(
                "analysis.alpha",
                format!(
                    "expected a significance level in (0, 1), found {}",
                    an.alpha
                ),
            ));
        }

        let hypotheses = match &an.hypotheses {
            None => Vec::new(),
            Some(names) => {
                if names.is_empty() {
                    return Err(InvalidKey::new(
                        "analysis.hypotheses",
                        "expected at least one hypothesis",
                    ));
                }
                let mut seen = HashSet::new();
                let mut out = Vec::new();
                for n in names {
                    if !seen.insert(n.clone()) {
                        return Err(InvalidKey::new(
                            "analysis.hypotheses",
                            format!("'{n}' is listed twice"),
                        ));
                    }
                    out.push(if n == "overall" {
                        Hypothesis::Overall
                    } else {
                        let l = labels.iter().position(|l| l == n);
                        match l.and_then(|l| eligible.iter().position(|&e| e == l)) {
                            Some(s) => Hypothesis::Stratum(s),
                            None => {
                                let eligible_names: Vec<&str> = eligible.iter().map(|&l| labels[l].as_str()).collect();
                                return Err(InvalidKey::new(
                                    "analysis.hypotheses",
                                    format!("unknown hypothesis '{n}'; expected \"overall\" or an eligible label: {}", eligible_names.join(", ")),
                                ));
                            }
                        }
                    });
                }
                out
            }
        };
        // An event-driven design looks at fractions of its deaths, others of their patients.
        let sequential = match survival.as_ref().and_then(|m| m.analysis_events) {
            Some(events) => sequential::plan(&raw, events, "endpoint.analysis_events", "deaths")?,
            None => sequential::plan(&raw, enr.sample_size, "enrollment.sample_size", "patients")?,
        };
        let accrual = sequential::accrual(&raw)?;
        let adaptation = adaptation::plan(&raw)?;
        if an.multiplicity.is_some() && hypotheses.is_empty() {
            return Err(InvalidKey::new(
                "analysis.multiplicity",
                "a multiplicity procedure needs `hypotheses` to apply to",
            ));
        }

        // Exact event risks per arm and stratum: mixture over the true endotypes with that label.
        let mut stratum_risk = vec![vec![0.0; eligible.len()]; arms.len()];
        for (a, arm) in arms.iter().enumerate() {
            for (s, &l) in eligible.iter().enumerate() {
                if label_prob[l] <= 0.0 {
                    continue; // an empty stratum: never sampled
                }
                let mut risk = 0.0;
                for (e, endo) in endotypes.iter().enumerate() {
                    let weight = endo.prevalence * endo.classified_as[l] / label_prob[l];
                    let r = match arm.treatment_by_stratum[s] {
                        None => endo.control_risk,
                        Some(t) => treatment_risk(&treatments[t], e, endo.control_risk),
                    };
                    risk += weight * r;
                }
                stratum_risk[a][s] = risk.clamp(0.0, 1.0); // rounding only: each term is in [0, 1]
            }
        }
        let true_risk: Vec<f64> = stratum_risk
            .iter()
            .map(|r| {
                r.iter()
                    .zip(&stratum_prob)
                    .map(|(r, p)| r * p)
                    .sum::<f64>()
                    .clamp(0.0, 1.0)
            })
            .collect();

        let cost = match raw.cost {
            None => None,
            Some(c) => {
                for (key, v) in [
                    ("cost.screening", c.screening),
                    ("cost.per_patient", c.per_patient),
                ] {
                    if !(v.is_finite() && v >= 0.0) {
                        return Err(InvalidKey::new(
                            key,
                            format!("expected a cost >= 0, found {v}"),
                        ));
                    }
                }
                if c.currency.trim().is_empty() {
                    return Err(InvalidKey::new(
                        "cost.currency",
                        "expected a currency name, e.g. \"EUR\"",
                    ));
                }
                Some(Cost {
                    currency: c.currency,
                    screening: c.screening,
                    per_patient: c.per_patient,
                })
            }
        };

        let benefit = match raw.endpoint.better {
            Better::Higher => 1.0,
            Better::Lower => -1.0,
        };
        if an.alternative == Sidedness::OneSided {
            for (a, arm) in arms.iter().enumerate() {
                let d: f64 = true_risk[a] - true_risk[control];
                if a != control && d * benefit < -1e-12 {
                    warnings.push(InvalidKey::new(
                        "analysis.alternative",
                        format!(
                            "arm '{}' is worse than control by the scenario's own effects (risk {:.4} vs {:.4}, {} is better): a one-sided test in the direction of benefit will almost never reject",
                            arm.name, true_risk[a], true_risk[control],
                            if benefit > 0.0 { "higher" } else { "lower" }
                        ),
                    ));
                }
            }
        }

        Ok(Design {
            name,
            description: raw.description,
            replicates: raw.simulation.replicates,
            seed: raw.simulation.seed,
            endotypes,
            labels,
            eligible,
            sample_size: enr.sample_size,
            dropout: enr.dropout,
            randomisation: enr.randomisation,
            event: raw.endpoint.event,
            better: raw.endpoint.better,
            treatments,
            arms,
            control,
            analysis: Analysis {
                test: an.test,
                alpha: an.alpha,
                sidedness: an.alternative,
                hypotheses,
                multiplicity: an.multiplicity.unwrap_or_default(),
            },
            eligible_fraction,
            stratum_prob,
            composition,
            stratum_risk,
            true_risk,
            cost,
            classifier,
            warnings,
            sequential,
            adaptation,
            accrual,
            survival,
        })
    }
}

/// The biomarker classifier, when the scenario has `[[biomarker]]` and `[classifier]`.
fn resolve_classifier(
    raw: &RawScenario,
    labels: &[String],
) -> Result<Option<Classifier>, InvalidKey> {
    match (&raw.classifier, raw.biomarker.is_empty()) {
        (None, true) => return Ok(None),
        (None, false) => {
            return Err(InvalidKey::new(
                "classifier",
                "[[biomarker]] tables need a [classifier] with rules that turn them into labels",
            ));
        }
        (Some(_), true) => {
            return Err(InvalidKey::new(
                "classifier",
                "a [classifier] needs at least one [[biomarker]] to classify by",
            ));
        }
        (Some(_), false) => {}
    }
    if let Some(e) = raw.endotype.iter().find(|e| e.classified_as.is_some()) {
        return Err(InvalidKey::new(
            format!("endotype.{}.classified_as", e.name),
            "expected either classified_as on endotypes or biomarker rules ([[biomarker]] and [classifier]), not both",
        ));
    }
    let mut seen = HashSet::new();
    let mut biomarkers = Vec::new();
    for (i, b) in raw.biomarker.iter().enumerate() {
        check_name(&format!("biomarker[{i}].name"), &b.name, &mut seen)?;
        biomarkers.push(resolve_biomarker(b, labels)?);
    }
    let names: Vec<String> = biomarkers.iter().map(|b| b.name.clone()).collect();
    let c: &RawClassifier = raw.classifier.as_ref().expect("checked");
    let default = lookup(
        "classifier.default",
        "label (labels are endotype names)",
        &c.default,
        labels,
    )?;
    let mut rules = Vec::new();
    for (i, r) in c.rule.iter().enumerate() {
        let key = format!("classifier.rule[{i}] (label '{}')", r.label);
        let label = lookup(
            &format!("{key}.label"),
            "label (labels are endotype names)",
            &r.label,
            labels,
        )?;
        if r.when.is_empty() {
            return Err(InvalidKey::new(
                format!("{key}.when"),
                "expected at least one condition, found an empty `when`",
            ));
        }
        let mut when = Vec::new();
        for (marker, bounds) in &r.when {
            let k = format!("{key}.when.{marker}");
            let b = lookup(&k, "biomarker", marker, &names)?;
            let lo = bounds.above.unwrap_or(f64::NEG_INFINITY);
            let hi = bounds.below.unwrap_or(f64::INFINITY);
            if bounds.above.is_none() && bounds.below.is_none() {
                return Err(InvalidKey::new(k, "expected `above` and/or `below`"));
            }
            for (side, value) in [("above", bounds.above), ("below", bounds.below)] {
                if value.is_some_and(f64::is_nan) {
                    return Err(InvalidKey::new(
                        format!("{k}.{side}"),
                        "expected a threshold (a number or +-inf), found nan",
                    ));
                }
            }
            if lo >= hi {
                return Err(InvalidKey::new(
                    k,
                    format!("expected above < below, found above = {lo}, below = {hi}"),
                ));
            }
            when.push((b, lo, hi));
        }
        rules.push(Rule { label, when });
    }
    Ok(Some(Classifier {
        biomarkers,
        rules,
        default,
    }))
}

fn resolve_biomarker(b: &RawBiomarker, labels: &[String]) -> Result<Biomarker, InvalidKey> {
    let key = |k: &str| format!("biomarker.{}.{k}", b.name);
    let cv = b.assay_cv.unwrap_or(0.0);
    if !(cv.is_finite() && cv >= 0.0) {
        return Err(InvalidKey::new(
            key("assay_cv"),
            format!("expected a coefficient of variation >= 0, found {cv}"),
        ));
    }
    for name in b.by_endotype.keys() {
        lookup(
            &format!("{}.{name}", key("by_endotype")),
            "endotype",
            name,
            labels,
        )?;
    }
    let mut by_endotype = Vec::with_capacity(labels.len());
    for e in labels {
        let k = format!("{}.{e}", key("by_endotype"));
        let p = b.by_endotype.get(e).ok_or_else(|| {
            InvalidKey::new(
                &k,
                "missing: every endotype needs its distribution parameters",
            )
        })?;
        let marginal = match b.distribution {
            MarkerDistribution::Lognormal => {
                let (Some(median), Some(gsd), None, None) = (p.median, p.gsd, p.mean, p.sd) else {
                    return Err(InvalidKey::new(
                        k,
                        "a lognormal biomarker takes `median` and `gsd` (only)",
                    ));
                };
                if !(median.is_finite() && median > 0.0 && gsd.is_finite() && gsd >= 1.0) {
                    return Err(InvalidKey::new(
                        k,
                        format!(
                            "expected median > 0 and gsd >= 1, found median = {median}, gsd = {gsd}"
                        ),
                    ));
                }
                Marginal::LogNormal {
                    mu: median.ln(),
                    sigma: gsd.ln(),
                }
            }
            MarkerDistribution::Normal => {
                let (None, None, Some(mean), Some(sd)) = (p.median, p.gsd, p.mean, p.sd) else {
                    return Err(InvalidKey::new(
                        k,
                        "a normal biomarker takes `mean` and `sd` (only)",
                    ));
                };
                if !(mean.is_finite() && sd.is_finite() && sd > 0.0) {
                    return Err(InvalidKey::new(
                        k,
                        format!(
                            "expected a finite mean and sd > 0, found mean = {mean}, sd = {sd}"
                        ),
                    ));
                }
                Marginal::Normal { mean, sd }
            }
        };
        by_endotype.push(marginal);
    }
    Ok(Biomarker {
        name: b.name.clone(),
        unit: b.unit.clone(),
        by_endotype,
        assay_log_sd: (1.0 + cv * cv).ln().sqrt(),
        assay_cv: cv,
    })
}

/// Risk of true endotype `e` under treatment `t` (already validated to lie in [0, 1]).
fn treatment_risk(t: &Treatment, e: usize, control: f64) -> f64 {
    match t.by_endotype[e] {
        None => control,
        Some(v) => treated_risk(t.effect, v, control).expect("validated"),
    }
}

fn resolve_treatment(
    t: &RawTreatment,
    endotypes: &[Endotype],
    labels: &[String],
) -> Result<Treatment, InvalidKey> {
    let mut by_endotype = vec![None; endotypes.len()];
    for (name, &value) in &t.by_endotype {
        let key = format!("treatment.{}.by_endotype.{name}", t.name);
        let e = lookup(&key, "endotype", name, labels)?;
        let valid = match t.effect {
            Effect::RiskRatio | Effect::OddsRatio => value.is_finite() && value >= 0.0,
            Effect::HazardRatio => value.is_finite() && value > 0.0,
            Effect::RiskDifference => (-1.0..=1.0).contains(&value),
            Effect::Risk => (0.0..=1.0).contains(&value),
        };
        if !valid {
            let expected = match t.effect {
                Effect::RiskRatio => "a finite risk ratio >= 0",
                Effect::OddsRatio => "a finite odds ratio >= 0",
                Effect::RiskDifference => "a risk difference in [-1, 1]",
                Effect::Risk => "a risk in [0, 1]",
                Effect::HazardRatio => "a hazard ratio > 0",
            };
            return Err(InvalidKey::new(
                key,
                format!("expected {expected}, found {value}"),
            ));
        }
        treated_risk(t.effect, value, endotypes[e].control_risk)
            .map_err(|m| InvalidKey::new(&key, format!("{} {value} {m}", t.effect.name())))?;
        by_endotype[e] = Some(value);
    }
    Ok(Treatment {
        name: t.name.clone(),
        display: display_name(
            &format!("treatment.{}.display_name", t.name),
            &t.name,
            &t.display_name,
        )?,
        effect: t.effect,
        by_endotype,
    })
}

/// A display name as given (trimmed, not empty), or the identifier.
fn display_name(key: &str, name: &str, given: &Option<String>) -> Result<String, InvalidKey> {
    match given.as_deref().map(str::trim) {
        None => Ok(name.to_string()),
        Some("") => Err(InvalidKey::new(
            key,
            "expected a name to show in reports, found an empty string",
        )),
        Some(shown) => Ok(shown.to_string()),
    }
}

fn resolve_arm(
    a: &RawArm,
    labels: &[String],
    eligible: &[usize],
    treatments: &[String],
) -> Result<Arm, InvalidKey> {
    let key = |k: &str| format!("arm.{}.{k}", a.name);
    if a.ratio == 0 {
        return Err(InvalidKey::new(
            key("ratio"),
            "expected a positive integer allocation ratio, found 0",
        ));
    }
    let by_label: BTreeMap<usize, usize> = match (&a.assign, &a.treatment) {
        (Some(_), Some(_)) => {
            return Err(InvalidKey::new(
                key("assign"),
                "expected either `assign` or `treatment`, not both",
            ));
        }
        (None, None) => BTreeMap::new(),
        (None, Some(t)) => {
            let t = lookup(&key("treatment"), "treatment", t, treatments)?;
            (0..labels.len()).map(|l| (l, t)).collect()
        }
        (Some(map), None) => {
            let mut m = BTreeMap::new();
            for (label, t) in map {
                let k = format!("{}.{label}", key("assign"));
                let l = lookup(&k, "label (labels are endotype names)", label, labels)?;
                m.insert(l, lookup(&k, "treatment", t, treatments)?);
            }
            m
        }
    };
    Ok(Arm {
        name: a.name.clone(),
        display: display_name(&key("display_name"), &a.name, &a.display_name)?,
        ratio: a.ratio,
        treatment_by_stratum: eligible.iter().map(|l| by_label.get(l).copied()).collect(),
    })
}
