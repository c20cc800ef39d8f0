//! A continuous endpoint's validated model (`[endpoint] kind = "continuous"`): each patient's
//! outcome is normal within its true endotype, with the endotype's standard deviation in every
//! arm and its mean under control shifted by the treatment it receives (`mean_difference`) or
//! set by it (`mean`); optionally the outcome is also dichotomised at `responder_below`.

use crate::model::raw::{InvalidKey, RawScenario};
use crate::model::survival::MAX_PATIENT_LEVEL;
use crate::model::vocabulary::{EndpointKind, TestKind};

/// The validated continuous model.
#[derive(Debug, Clone, PartialEq)]
pub struct ContinuousModel {
    /// The outcome's standard deviation per true endotype (> 0).
    pub sd: Vec<f64>,
    /// A response is an outcome at or below this value; `None`: no dichotomised analysis.
    pub responder_below: Option<f64>,
    /// Whether the test ranks the patients' values (Wilcoxon): the trial keeps them.
    pub ranks: bool,
}

impl ContinuousModel {
    /// Whether a trial must be drawn patient by patient: the responders of a dichotomised
    /// outcome, and the ranks of a Wilcoxon test, are not functions of a cell's sum and sum of
    /// squares.
    pub fn is_patient_level(&self) -> bool {
        self.responder_below.is_some() || self.ranks
    }

    /// P(response) of a patient of true endotype `e` whose outcome has mean `mean`.
    pub fn responder_probability(&self, e: usize, mean: f64) -> f64 {
        let threshold = self.responder_below.expect("a responder threshold");
        crate::stats::analysis::normal_upper((mean - threshold) / self.sd[e])
    }
}

/// The outcome's name, the endotypes' standard deviations and the responder threshold of a
/// continuous endpoint (`None` for another kind). Each endotype's `control_mean` is read with
/// the population; each mean difference with the treatments.
pub fn model(raw: &RawScenario) -> Result<Option<ContinuousModel>, InvalidKey> {
    if raw.endpoint.kind != EndpointKind::Continuous {
        return Ok(None);
    }
    let mut sd = Vec::with_capacity(raw.endotype.len());
    for en in &raw.endotype {
        let key = format!("endotype.{}.sd", en.name);
        let v = en.sd.ok_or_else(|| {
            InvalidKey::new(
                &key,
                "missing: the outcome's standard deviation in this endotype",
            )
        })?;
        if !(v.is_finite() && v > 0.0) {
            return Err(InvalidKey::new(
                key,
                format!("expected a standard deviation > 0, found {v}"),
            ));
        }
        sd.push(v);
    }
    let responder_below = raw.endpoint.responder_below;
    if let Some(t) = responder_below
        && !t.is_finite()
    {
        return Err(InvalidKey::new(
            "endpoint.responder_below",
            format!("expected a finite threshold, found {t}"),
        ));
    }
    let model = ContinuousModel {
        sd,
        responder_below,
        ranks: raw.analysis().test == TestKind::Wilcoxon,
    };
    if model.is_patient_level() && raw.enrollment.sample_size > MAX_PATIENT_LEVEL {
        return Err(InvalidKey::new(
            "enrollment.sample_size",
            format!(
                "at most {MAX_PATIENT_LEVEL} patients with responder_below or the wilcoxon test (each patient's outcome is drawn), found {}",
                raw.enrollment.sample_size
            ),
        ));
    }
    if model.responder_below.is_some() && raw.sequential.as_ref().is_some_and(|s| s.looks.len() > 1)
    {
        return Err(InvalidKey::new(
            "endpoint.responder_below",
            "the dichotomised analysis is of a fixed design (interim looks would need their own rule for it); remove responder_below or the interim looks",
        ));
    }
    if raw.adaptation.is_some() {
        return Err(InvalidKey::new(
            "adaptation",
            "adaptive enrichment is not yet available for continuous endpoints; remove [adaptation]",
        ));
    }
    Ok(Some(model))
}

/// The name of what a continuous or ordinal endpoint measures (`endpoint.outcome`), or of the
/// event of another kind (`endpoint.event`).
pub fn outcome_name(raw: &RawScenario) -> Result<String, InvalidKey> {
    let (key, name) = match raw.endpoint.kind {
        EndpointKind::Continuous | EndpointKind::Ordinal => {
            ("endpoint.outcome", &raw.endpoint.outcome)
        }
        EndpointKind::Binary | EndpointKind::TimeToEvent => ("endpoint.event", &raw.endpoint.event),
    };
    name.clone()
        .ok_or_else(|| InvalidKey::new(key, "missing: what the endpoint is called in outputs"))
}
