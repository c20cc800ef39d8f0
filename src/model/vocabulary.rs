//! The validated vocabulary of a scenario: the closed sets of names a key takes (test, sidedness,
//! spending family, randomisation, effect measure, ...), as enums that every layer matches on.
//! Serde reads them by name, so a scenario with any other name is refused at parsing; the raw
//! scenario types (`raw.rs`) and the validated design (`design/`) use them, and so do
//! `stats/` and the endpoints, which need nothing else of the scenario file.

use serde::Deserialize;

/// An alpha- or beta-spending function family (Lan-DeMets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpendingFamily {
    ObrienFleming,
    Pocock,
    /// Power family alpha t^rho (`*_parameter` = rho).
    KimDemets,
    /// Hwang-Shih-DeCani (`*_parameter` = gamma).
    HwangShihDecani,
    /// Cumulative spending written per look (`*_spending`; rpact's asUser / bsUser).
    User,
}

impl SpendingFamily {
    pub fn as_str(self) -> &'static str {
        match self {
            SpendingFamily::ObrienFleming => "obrien_fleming",
            SpendingFamily::Pocock => "pocock",
            SpendingFamily::KimDemets => "kim_demets",
            SpendingFamily::HwangShihDecani => "hwang_shih_decani",
            SpendingFamily::User => "user",
        }
    }
}

/// How the efficacy bounds are found: alpha spending, or the classic Wang-Tsiatis family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EfficacyFamily {
    ObrienFleming,
    Pocock,
    KimDemets,
    HwangShihDecani,
    /// c_k = C t_k^(Delta - 1/2) (`efficacy_parameter` = Delta).
    WangTsiatis,
    /// The cumulative alpha spent by each look as written (`efficacy_spending`; rpact's asUser).
    User,
    /// No efficacy stop before the last look, which spends all of alpha (rpact's
    /// noEarlyEfficacy).
    NoEarlyEfficacy,
}

/// The effect a sample-size re-estimation plans the rest of the trial for: the one observed
/// at the interim (rpact's default), or the one the scenario assumes (rpact's `pi1H1`, `pi2H1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReestimationEffectKind {
    #[default]
    Observed,
    Planned,
}

impl ReestimationEffectKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ReestimationEffectKind::Observed => "observed",
            ReestimationEffectKind::Planned => "planned",
        }
    }
}

/// The futility rule: none, fixed z bounds, or beta spending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FutilityFamily {
    #[default]
    None,
    Z,
    ObrienFleming,
    Pocock,
    KimDemets,
    HwangShihDecani,
    /// The cumulative beta spent by each look as written (`futility_spending`; rpact's bsUser).
    User,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MarkerDistribution {
    /// Parameters `median` and `gsd` (geometric standard deviation).
    Lognormal,
    /// Parameters `mean` and `sd`.
    Normal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Randomisation {
    /// Permuted blocks of one cycle of the allocation ratios.
    #[default]
    Block,
    /// Independent draws with probabilities proportional to the ratios.
    Simple,
}

/// What the endpoint measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndpointKind {
    /// An event (or not) per patient at the assessment.
    #[default]
    Binary,
    /// The time from randomisation to the event, censored at the end of follow-up.
    TimeToEvent,
    /// A measurement per patient at the assessment (a SOFA change), normal within each true
    /// endotype.
    Continuous,
    /// One of a few ordered levels per patient at the assessment (organ support-free days),
    /// listed worst first.
    Ordinal,
}

impl EndpointKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EndpointKind::Binary => "binary",
            EndpointKind::TimeToEvent => "time_to_event",
            EndpointKind::Continuous => "continuous",
            EndpointKind::Ordinal => "ordinal",
        }
    }

    /// The tests that analyse this kind of endpoint, as a message lists them.
    pub fn tests(self) -> &'static str {
        match self {
            EndpointKind::Binary => "chi_square, chi_square_yates, fisher_exact or cmh",
            EndpointKind::TimeToEvent => "logrank or logrank_stratified",
            EndpointKind::Continuous => "t_test, welch, wilcoxon or ancova_labels",
            EndpointKind::Ordinal => "proportional_odds or wilcoxon",
        }
    }
}

/// How a time-to-event endpoint's times are recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeResolution {
    /// In whole days, as trial data are: many ties.
    #[default]
    Day,
    /// Exact times: no ties.
    Continuous,
}

impl TimeResolution {
    pub fn as_str(self) -> &'static str {
        match self {
            TimeResolution::Day => "day",
            TimeResolution::Continuous => "continuous",
        }
    }
}

/// Which direction of the event risk is a benefit: it fixes the one-sided alternative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Better {
    Higher,
    Lower,
}

impl Better {
    /// "higher is better" or "lower is better".
    pub fn phrase(self) -> &'static str {
        match self {
            Better::Higher => "higher is better",
            Better::Lower => "lower is better",
        }
    }
}

/// How a treatment's effect value turns a control risk into the risk under treatment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    RiskRatio,
    OddsRatio,
    RiskDifference,
    Risk,
    /// Time-to-event: multiplies the hazard (survival S(t) becomes S(t)^HR).
    HazardRatio,
    /// Continuous: added to the control mean.
    MeanDifference,
    /// Continuous: the mean under treatment.
    Mean,
    /// Ordinal: multiplies the odds of every better-than-a-level outcome (proportional odds).
    CommonOddsRatio,
}

impl Effect {
    /// The effect's name in messages and reports.
    pub fn name(self) -> &'static str {
        match self {
            Effect::RiskRatio => "risk ratio",
            Effect::OddsRatio => "odds ratio",
            Effect::RiskDifference => "risk difference",
            Effect::Risk => "risk under treatment",
            Effect::HazardRatio => "hazard ratio",
            Effect::MeanDifference => "mean difference",
            Effect::Mean => "mean under treatment",
            Effect::CommonOddsRatio => "common odds ratio",
        }
    }

    /// The kind of endpoint the effect applies to.
    pub fn endpoint(self) -> EndpointKind {
        match self {
            Effect::RiskRatio | Effect::OddsRatio | Effect::RiskDifference | Effect::Risk => {
                EndpointKind::Binary
            }
            Effect::HazardRatio => EndpointKind::TimeToEvent,
            Effect::MeanDifference | Effect::Mean => EndpointKind::Continuous,
            Effect::CommonOddsRatio => EndpointKind::Ordinal,
        }
    }
}

/// The scale of a non-inferiority margin (`analysis.margin_scale`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MarginScale {
    RiskDifference,
    RiskRatio,
    HazardRatio,
    MeanDifference,
}

impl MarginScale {
    pub fn as_str(self) -> &'static str {
        match self {
            MarginScale::RiskDifference => "risk_difference",
            MarginScale::RiskRatio => "risk_ratio",
            MarginScale::HazardRatio => "hazard_ratio",
            MarginScale::MeanDifference => "mean_difference",
        }
    }

    /// Whether the margin is a ratio (its null value then multiplies control's).
    pub fn is_ratio(self) -> bool {
        matches!(self, MarginScale::RiskRatio | MarginScale::HazardRatio)
    }
}

/// A non-inferiority hypothesis: H0 says the arm is worse than control by at least the margin.
/// `null` is the margin as rpact's `thetaH0` on the arm-vs-control scale: for a difference,
/// +margin when lower is better and -margin when higher is better; for a ratio, the ratio
/// itself (above 1 when lower is better, below when higher is). The test is one-sided, in the
/// direction of benefit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Margin {
    pub scale: MarginScale,
    /// The margin as written (`analysis.non_inferiority_margin`).
    pub margin: f64,
    pub null: f64,
}

/// The hypothesis test applied to each comparison of an arm with the control arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TestKind {
    /// Pearson chi-square without continuity correction (= pooled two-sample z test).
    ChiSquare,
    /// Pearson chi-square with Yates' continuity correction, as R's `prop.test(correct = TRUE)`.
    ChiSquareYates,
    /// Fisher's exact test, p-values as R's `fisher.test`.
    FisherExact,
    /// Cochran-Mantel-Haenszel test stratified by diagnostic label, no continuity correction.
    Cmh,
    /// Farrington and Manning's (1990) score z test of the risk difference or ratio against a
    /// non-inferiority margin (rpact's test with `thetaH0`); without a margin, the pooled z
    /// test (= `ChiSquare`).
    FarringtonManning,
    /// Time-to-event: the log-rank test, as R's `survival::survdiff`.
    Logrank,
    /// Time-to-event: the log-rank test stratified by diagnostic label (survdiff's `strata()`).
    LogrankStratified,
    /// Continuous: Student's two-sample t test with pooled variance, as R's
    /// `t.test(var.equal = TRUE)`.
    TTest,
    /// Continuous: Welch's t test, as R's `t.test(var.equal = FALSE)`.
    Welch,
    /// Continuous: the arm's t test in the linear model `outcome ~ arm + label` (the diagnostic
    /// label as covariate), as R's `lm`.
    AncovaLabels,
    /// Ordinal: the Wald test of the arm in the cumulative-logit model, as `MASS::polr`.
    ProportionalOdds,
    /// Ordinal or continuous: the Wilcoxon-Mann-Whitney test with mid-ranks, as
    /// `wilcox.test(exact = FALSE, correct = FALSE)`.
    Wilcoxon,
}

impl TestKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TestKind::ChiSquare => "chi_square",
            TestKind::ChiSquareYates => "chi_square_yates",
            TestKind::FisherExact => "fisher_exact",
            TestKind::Cmh => "cmh",
            TestKind::FarringtonManning => "farrington_manning",
            TestKind::Logrank => "logrank",
            TestKind::LogrankStratified => "logrank_stratified",
            TestKind::TTest => "t_test",
            TestKind::Welch => "welch",
            TestKind::AncovaLabels => "ancova_labels",
            TestKind::ProportionalOdds => "proportional_odds",
            TestKind::Wilcoxon => "wilcoxon",
        }
    }

    /// Whether the test analyses an endpoint of `kind`.
    pub fn fits(self, kind: EndpointKind) -> bool {
        match self {
            TestKind::Wilcoxon => matches!(kind, EndpointKind::Ordinal | EndpointKind::Continuous),
            _ => self.endpoint() == kind,
        }
    }

    /// The kind of endpoint the test analyses (the Wilcoxon test's first: ordinal; it also
    /// analyses a continuous one, `fits`).
    pub fn endpoint(self) -> EndpointKind {
        match self {
            TestKind::ChiSquare
            | TestKind::ChiSquareYates
            | TestKind::FisherExact
            | TestKind::Cmh
            | TestKind::FarringtonManning => EndpointKind::Binary,
            TestKind::Logrank | TestKind::LogrankStratified => EndpointKind::TimeToEvent,
            TestKind::TTest | TestKind::Welch | TestKind::AncovaLabels => EndpointKind::Continuous,
            TestKind::ProportionalOdds | TestKind::Wilcoxon => EndpointKind::Ordinal,
        }
    }

    /// Whether the test analyses a time-to-event endpoint.
    pub fn is_time_to_event(self) -> bool {
        matches!(self, TestKind::Logrank | TestKind::LogrankStratified)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sidedness {
    #[default]
    TwoSided,
    /// Reject only in the direction of benefit (`endpoint.better`).
    OneSided,
}

impl Sidedness {
    pub fn as_str(self) -> &'static str {
        match self {
            Sidedness::TwoSided => "two_sided",
            Sidedness::OneSided => "one_sided",
        }
    }
}

/// The family-wise error procedure applied to a comparison's hypotheses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Procedure {
    /// Each hypothesis at level alpha, no adjustment.
    #[default]
    None,
    Bonferroni,
    Holm,
    Hochberg,
    FixedSequence,
}

impl Procedure {
    pub fn as_str(self) -> &'static str {
        match self {
            Procedure::None => "none",
            Procedure::Bonferroni => "bonferroni",
            Procedure::Holm => "holm",
            Procedure::Hochberg => "hochberg",
            Procedure::FixedSequence => "fixed_sequence",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SelectionRule {
    Best,
    /// The `rbest` populations with the largest observed effects (rpact's rBest, rValue).
    Rbest,
    Epsilon,
    Threshold,
    All,
}

/// The local test of an intersection hypothesis on the stage-wise p-values of its populations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Intersection {
    #[default]
    Simes,
    Bonferroni,
    /// 1 - (1 - min p)^m (rpact's `intersectionTest = "Sidak"`).
    Sidak,
    /// P(max(Z_S, Z_F) > max z) with corr sqrt(n_S / n_F): one population within another
    /// (rpact's `"SpiessensDebois"`).
    SpiessensDebois,
}

impl Intersection {
    pub fn as_str(self) -> &'static str {
        match self {
            Intersection::Simes => "simes",
            Intersection::Bonferroni => "bonferroni",
            Intersection::Sidak => "sidak",
            Intersection::SpiessensDebois => "spiessens_debois",
        }
    }
}

/// How each stage's patients are spread over the eligible labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LabelCounts {
    /// Each patient's label drawn at screening (the mix varies from trial to trial).
    #[default]
    Random,
    /// Each label recruited by quota: the stage's patients times its share among the labels
    /// recruited, rounded (as rpact's enrichment simulations).
    Fixed,
}
