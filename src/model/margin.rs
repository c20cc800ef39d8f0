//! A non-inferiority margin (`analysis.non_inferiority_margin`, `analysis.margin_scale`): what
//! each scale means in the endpoint's direction, and which designs can test it.
//!
//! Checked here: both keys together, a margin on a scale of the endpoint, on the side of harm,
//! a one-sided alternative, and a test that takes a margin.

use crate::model::raw::{InvalidKey, RawScenario};
use crate::model::vocabulary::{Better, EndpointKind, Margin, MarginScale, Sidedness, TestKind};

fn refuse(key: &str, message: impl Into<String>) -> InvalidKey {
    InvalidKey::new(format!("analysis.{key}"), message.into())
}

/// The scenario's margin, if it has one.
pub fn margin(raw: &RawScenario) -> Result<Option<Margin>, InvalidKey> {
    let an = raw.analysis();
    let (margin, scale) = match (an.non_inferiority_margin, an.margin_scale) {
        (None, None) => return Ok(None),
        (Some(_), None) => {
            return Err(refuse(
                "margin_scale",
                "missing: non_inferiority_margin needs its scale (risk_difference or risk_ratio for a binary endpoint, mean_difference for a continuous one, hazard_ratio for time to event)",
            ));
        }
        (None, Some(_)) => {
            return Err(refuse(
                "non_inferiority_margin",
                "missing: margin_scale is the scale of non_inferiority_margin; give the margin",
            ));
        }
        (Some(m), Some(s)) => (m, s),
    };
    let kind = raw.endpoint.kind;
    let fits = match scale {
        MarginScale::RiskDifference | MarginScale::RiskRatio => kind == EndpointKind::Binary,
        MarginScale::MeanDifference => kind == EndpointKind::Continuous,
        MarginScale::HazardRatio => kind == EndpointKind::TimeToEvent,
    };
    if !fits {
        return Err(refuse(
            "margin_scale",
            format!(
                "{} is not a scale of a {} endpoint (binary: risk_difference, risk_ratio; continuous: mean_difference; time to event: hazard_ratio)",
                scale.as_str(),
                kind.as_str()
            ),
        ));
    }
    let lower_better = raw.endpoint.better == Better::Lower;
    let null = match scale {
        MarginScale::RiskDifference | MarginScale::MeanDifference => {
            let upper = if scale == MarginScale::RiskDifference {
                1.0
            } else {
                f64::INFINITY
            };
            if !(margin > 0.0 && margin < upper) {
                return Err(refuse(
                    "non_inferiority_margin",
                    format!(
                        "expected how much worse than control the arm may be, a {} > 0{}, found {margin}",
                        scale.as_str(),
                        if upper.is_finite() { " and < 1" } else { "" }
                    ),
                ));
            }
            if lower_better { margin } else { -margin }
        }
        MarginScale::RiskRatio | MarginScale::HazardRatio => {
            let harmful = if lower_better {
                margin > 1.0
            } else {
                margin > 0.0 && margin < 1.0
            };
            if !(margin.is_finite() && harmful) {
                return Err(refuse(
                    "non_inferiority_margin",
                    format!(
                        "expected the ratio of the arm's {} to control's at which the arm is no longer non-inferior: {} (endpoint.better = \"{}\"), found {margin}",
                        if scale == MarginScale::HazardRatio {
                            "hazard"
                        } else {
                            "risk"
                        },
                        if lower_better {
                            "above 1, e.g. 1.25"
                        } else {
                            "between 0 and 1, e.g. 0.8"
                        },
                        if lower_better { "lower" } else { "higher" }
                    ),
                ));
            }
            margin
        }
    };
    if an.alternative != Sidedness::OneSided {
        return Err(refuse(
            "alternative",
            "a non-inferiority test is one-sided (H0: the arm is worse than control by at least the margin): set alternative = \"one_sided\"",
        ));
    }
    let test_fits = match kind {
        EndpointKind::Binary => an.test == TestKind::FarringtonManning,
        EndpointKind::Continuous => {
            matches!(
                an.test,
                TestKind::TTest | TestKind::Welch | TestKind::AncovaLabels
            )
        }
        EndpointKind::TimeToEvent => {
            matches!(an.test, TestKind::Logrank | TestKind::LogrankStratified)
        }
        EndpointKind::Ordinal => false,
    };
    if !test_fits {
        return Err(refuse(
            "test",
            format!(
                "{} does not test against a margin: use {}",
                an.test.as_str(),
                match kind {
                    EndpointKind::Binary =>
                        "farrington_manning (Farrington-Manning score test, as rpact)",
                    EndpointKind::TimeToEvent =>
                        "logrank or logrank_stratified (the score test of the margin, as rpact)",
                    _ => "t_test, welch or ancova_labels",
                }
            ),
        ));
    }
    if raw.adaptation.is_some() {
        return Err(InvalidKey::new(
            "adaptation",
            "adaptive enrichment tests superiority in each population: remove non_inferiority_margin or [adaptation]",
        ));
    }
    if kind == EndpointKind::Continuous && raw.endpoint.responder_below.is_some() {
        return Err(InvalidKey::new(
            "endpoint.responder_below",
            "the responder analysis is a superiority test; with a non-inferiority margin, leave responder_below out",
        ));
    }
    Ok(Some(Margin {
        scale,
        margin,
        null,
    }))
}
