//! The scenario file as written: serde structs that mirror the TOML exactly
//! (`deny_unknown_fields`, so a misspelt key is an error, not a silently ignored default), and
//! the error a validation of them gives before the file name is known. `design/` validates
//! them; the closed sets of names their keys take are in `vocabulary.rs`.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::model::bayesian::RawBayesian;
use crate::model::vocabulary::{
    Better, Effect, EfficacyFamily, EndpointKind, FutilityFamily, Intersection, LabelCounts,
    MarginScale, MarkerDistribution, Procedure, Randomisation, ReestimationEffectKind,
    SelectionRule, Sidedness, TestKind, TimeResolution,
};

/// A validation failure before the file name is known: the key path and what was expected.
#[derive(Debug, Clone, PartialEq)]
pub struct InvalidKey {
    pub key: String,
    pub message: String,
}

impl InvalidKey {
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        InvalidKey {
            key: key.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    pub name: String,
    pub description: Option<String>,
    pub simulation: RawSimulation,
    pub endotype: Vec<RawEndotype>,
    pub enrollment: RawEnrollment,
    pub endpoint: RawEndpoint,
    #[serde(default)]
    pub treatment: Vec<RawTreatment>,
    pub arm: Vec<RawArm>,
    /// Absent in a Bayesian design (`[bayesian]` decides); required otherwise.
    pub analysis: Option<RawAnalysis>,
    pub cost: Option<RawCost>,
    #[serde(default)]
    pub biomarker: Vec<RawBiomarker>,
    pub classifier: Option<RawClassifier>,
    pub sequential: Option<RawSequential>,
    pub adaptation: Option<RawAdaptation>,
    pub bayesian: Option<RawBayesian>,
}

/// What a design without `[analysis]` (a Bayesian one) reads where `[analysis]` keys are
/// consulted: the defaults, no control named.
static NO_ANALYSIS: RawAnalysis = RawAnalysis {
    control: String::new(),
    test: TestKind::ChiSquare,
    alpha: 0.05,
    alternative: Sidedness::TwoSided,
    hypotheses: None,
    multiplicity: None,
    non_inferiority_margin: None,
    margin_scale: None,
    two_sided_power: None,
};

impl RawScenario {
    /// `[analysis]`, or its defaults when the scenario has none (validation requires it
    /// unless the design is Bayesian).
    pub fn analysis(&self) -> &RawAnalysis {
        self.analysis.as_ref().unwrap_or(&NO_ANALYSIS)
    }
}

/// `[sequential]`: interim analyses with their boundaries (group-sequential designs).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSequential {
    /// Cumulative fractions of `enrollment.sample_size` whose outcome is known at each analysis.
    pub looks: Vec<f64>,
    pub efficacy: EfficacyFamily,
    pub efficacy_parameter: Option<f64>,
    /// `efficacy = "user"`: the cumulative alpha spent by each look, the last `analysis.alpha`.
    pub efficacy_spending: Option<Vec<f64>>,
    #[serde(default)]
    pub futility: FutilityFamily,
    pub futility_bounds: Option<Vec<f64>>,
    pub futility_parameter: Option<f64>,
    pub futility_beta: Option<f64>,
    /// `futility = "user"`: the cumulative beta spent by each look, the last beta.
    pub futility_spending: Option<Vec<f64>>,
    #[serde(default)]
    pub binding_futility: bool,
    /// Sample-size re-estimation by conditional power at each interim look.
    pub reestimate: Option<RawReestimate>,
}

/// `[sequential] reestimate = { ... }`: the patients after each interim look chosen for a
/// conditional power (rpact's `conditionalPower`, `minNumberOfSubjectsPerStage`,
/// `maxNumberOfSubjectsPerStage`, `pi1H1` / `pi2H1`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawReestimate {
    pub conditional_power: f64,
    pub max_sample_size: Option<u64>,
    pub min_sample_size: Option<u64>,
    /// Event-driven time to event: the totals in deaths, and with `effect = "planned"` the
    /// hazard ratio to size for (rpact's `thetaH1`; default the scenario's true one).
    pub max_events: Option<u64>,
    pub min_events: Option<u64>,
    pub hazard_ratio: Option<f64>,
    #[serde(default)]
    pub effect: ReestimationEffectKind,
}

/// `[[biomarker]]`: a measured biomarker's distribution in each true endotype.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBiomarker {
    pub name: String,
    pub unit: Option<String>,
    pub distribution: MarkerDistribution,
    pub by_endotype: BTreeMap<String, RawMarkerParams>,
    pub assay_cv: Option<f64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMarkerParams {
    pub median: Option<f64>,
    pub gsd: Option<f64>,
    pub mean: Option<f64>,
    pub sd: Option<f64>,
}

/// `[classifier]`: rules in order, first match wins; no match gives `default`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawClassifier {
    pub default: String,
    #[serde(default)]
    pub rule: Vec<RawRule>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    pub label: String,
    pub when: BTreeMap<String, RawBounds>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBounds {
    pub above: Option<f64>,
    pub below: Option<f64>,
}

/// `[cost]`: what a grant writer must budget.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCost {
    pub currency: String,
    /// Per screened patient (biomarker tests).
    pub screening: f64,
    /// Per randomised patient.
    pub per_patient: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSimulation {
    pub replicates: u64,
    pub seed: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEndotype {
    pub name: String,
    /// How reports, plots and sentences name it ("MALS"); the name is the identifier.
    pub display_name: Option<String>,
    pub prevalence: f64,
    /// Binary endpoints: the event risk under control.
    pub control_risk: Option<f64>,
    /// Continuous endpoints: the mean outcome under control, and the outcome's standard
    /// deviation (normal within the endotype, in every arm).
    pub control_mean: Option<f64>,
    pub sd: Option<f64>,
    /// Ordinal endpoints: P(level) under control, worst level first.
    pub control_distribution: Option<Vec<f64>>,
    /// Time-to-event endpoints: day -> cumulative mortality under control.
    pub control_mortality: Option<BTreeMap<String, f64>>,
    pub classified_as: Option<BTreeMap<String, f64>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEnrollment {
    pub sample_size: u64,
    pub eligible: Option<Vec<String>>,
    #[serde(default)]
    pub dropout: f64,
    /// Block when not given (a Bayesian design: simple).
    pub randomisation: Option<Randomisation>,
    /// Randomised patients per month (with `endpoint.assessment_day`: the pipeline and time;
    /// time-to-event endpoints: Poisson arrivals).
    pub accrual_per_month: Option<f64>,
    /// Time-to-event endpoints: randomisation times uniform over this many days.
    pub accrual_days: Option<f64>,
    /// Time-to-event endpoints: relative randomisation intensity from each day on (day -> intensity),
    /// over `accrual_days`.
    pub accrual_intensity: Option<BTreeMap<String, f64>>,
    /// Adaptive enrichment: labels drawn per patient or recruited by quota.
    pub label_counts: Option<LabelCounts>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEndpoint {
    /// Binary and time-to-event endpoints: the event's name.
    pub event: Option<String>,
    /// Continuous and ordinal endpoints: the outcome's name ("SOFA change by day 9").
    pub outcome: Option<String>,
    pub better: Better,
    /// Continuous endpoints: also analyse the dichotomised outcome, a response being an outcome
    /// at or below this value.
    pub responder_below: Option<f64>,
    /// Ordinal endpoints: the levels' names, worst first.
    pub levels: Option<Vec<String>>,
    /// Days from randomisation to the outcome.
    pub assessment_day: Option<f64>,
    #[serde(default)]
    pub kind: EndpointKind,
    /// Time-to-event: days each patient is followed after randomisation.
    pub follow_up_days: Option<f64>,
    /// Time-to-event: the analysis is at the calendar time of this event (event-driven).
    pub analysis_events: Option<u64>,
    /// Time-to-event: how event times are recorded.
    pub time_resolution: Option<TimeResolution>,
    /// Time-to-event: Weibull hazards of this shape (rpact's `kappa`) through each endotype's
    /// one mortality point.
    pub weibull_shape: Option<f64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTreatment {
    pub name: String,
    pub display_name: Option<String>,
    pub effect: Effect,
    pub by_endotype: BTreeMap<String, f64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawArm {
    pub name: String,
    pub display_name: Option<String>,
    pub ratio: u32,
    pub assign: Option<BTreeMap<String, String>>,
    pub treatment: Option<String>,
    /// Time-to-event endpoints: this arm's probability of loss to follow-up by
    /// `endpoint.follow_up_days` (default `enrollment.dropout`).
    pub dropout: Option<f64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAnalysis {
    pub control: String,
    pub test: TestKind,
    #[serde(default = "default_alpha")]
    pub alpha: f64,
    #[serde(default)]
    pub alternative: Sidedness,
    /// "overall" and/or eligible label names, tested per comparison with `multiplicity`.
    pub hypotheses: Option<Vec<String>>,
    pub multiplicity: Option<Procedure>,
    /// Non-inferiority: how much worse than control the arm may be, on `margin_scale`.
    pub non_inferiority_margin: Option<f64>,
    pub margin_scale: Option<MarginScale>,
    /// A two-sided test's power counts its rejections in both directions (true, the default,
    /// as rpact's getPower* and R's power.prop.test(strict = TRUE)) or only for benefit (false,
    /// rpact's `twoSidedPower = FALSE`, its default for sizing).
    pub two_sided_power: Option<bool>,
}

fn default_alpha() -> f64 {
    0.05
}

/// `[adaptation]` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAdaptation {
    /// The look (1-based, an interim) at which populations are selected.
    pub at_look: usize,
    pub selection: SelectionRule,
    pub epsilon: Option<f64>,
    pub threshold: Option<f64>,
    pub rbest: Option<usize>,
    #[serde(default)]
    pub intersection: Intersection,
}
