//! The validated `[sequential] reestimate` table: sample-size re-estimation by conditional power
//! at each interim look, the stages combined by the inverse normal method (rpact's
//! `getSimulationRates` with `conditionalPower`, `minNumberOfSubjectsPerStage` and
//! `maxNumberOfSubjectsPerStage` on an inverse-normal design); for an event-driven
//! time-to-event design, of the deaths each look waits for (rpact's `getSimulationSurvival`
//! with `minNumberOfEventsPerStage` and `maxNumberOfEventsPerStage`).

use crate::model::design::MAX_SAMPLE_SIZE;
use crate::model::raw::{InvalidKey, RawReestimate, RawScenario};
use crate::model::vocabulary::{EndpointKind, ReestimationEffectKind, Sidedness, TestKind};

/// How the patients after each interim look are chosen.
#[derive(Debug, Clone, PartialEq)]
pub struct Reestimation {
    /// The conditional power the next stage is sized for.
    pub conditional_power: f64,
    /// What a stage's size counts: patients, or (event-driven time to event) deaths.
    pub unit: Reestimated,
    /// The smallest and largest total a re-estimation may plan, in `unit` (the keys as
    /// written).
    pub min_total: u64,
    pub max_total: u64,
    /// The fewest and most patients (deaths) each stage may have: index k is the stage that
    /// ends at look k (index 0, the first stage, is planned and never re-estimated). The
    /// totals beyond the first stage are shared over the later stages in proportion to the
    /// planned increments of information, in whole units that sum to the totals.
    pub stage_min: Vec<u64>,
    pub stage_max: Vec<u64>,
    pub effect: ReestimationEffectKind,
    /// With `effect = "planned"`, the effect the next stages are sized for, the scenario's own
    /// (set once the design's effects are derived, and kept when a run under the null replaces
    /// them): binary, the marginal risks of the arm and of control; time to event, the true
    /// hazard ratio.
    pub planned_risks: Option<(f64, f64)>,
    pub planned_hazard_ratio: Option<f64>,
}

/// What a re-estimated stage's size counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reestimated {
    Patients,
    Deaths,
}

impl Reestimated {
    /// The keys of the smallest and largest total.
    pub fn keys(self) -> (&'static str, &'static str) {
        match self {
            Reestimated::Patients => ("min_sample_size", "max_sample_size"),
            Reestimated::Deaths => ("min_events", "max_events"),
        }
    }

    /// "patients" or "deaths".
    pub fn noun(self) -> &'static str {
        match self {
            Reestimated::Patients => "patients",
            Reestimated::Deaths => "deaths",
        }
    }
}

fn key(k: &str) -> String {
    format!("sequential.reestimate.{k}")
}

/// Validates `reestimate` for a plan with looks at fractions `looks` of the planned total, the
/// first stage `first` patients (deaths of an event-driven design).
pub fn reestimation(
    raw: &RawScenario,
    r: &RawReestimate,
    looks: &[f64],
    first: u64,
) -> Result<Reestimation, InvalidKey> {
    let unit = design_supports(raw, r, looks.len())?;
    let cp = r.conditional_power;
    if !(cp > 0.0 && cp < 1.0) {
        return Err(InvalidKey::new(
            key("conditional_power"),
            format!("expected a probability in (0, 1), found {cp}"),
        ));
    }
    let (min_key, max_key) = unit.keys();
    let (planned, min, max, most, default_from) = match unit {
        Reestimated::Patients => (
            raw.enrollment.sample_size,
            r.min_sample_size,
            r.max_sample_size,
            MAX_SAMPLE_SIZE,
            "enrollment.sample_size",
        ),
        // Every death a look waits for must be among the patients randomised.
        Reestimated::Deaths => (
            raw.endpoint
                .analysis_events
                .expect("validated: event-driven"),
            r.min_events,
            r.max_events,
            raw.enrollment.sample_size,
            "endpoint.analysis_events",
        ),
    };
    let explicit_min = min.is_some();
    let min = min.unwrap_or(planned);
    let later_stages = (looks.len() - 1) as u64;
    let noun = unit.noun();
    if min < first + later_stages {
        return Err(InvalidKey::new(
            key(min_key),
            format!(
                "expected at least {} (the {first} {noun} of the first stage and one in each later stage), found {min}",
                first + later_stages
            ),
        ));
    }
    let Some(max) = max else {
        return Err(InvalidKey::new(
            key(max_key),
            format!("missing: the most {noun} a re-estimated trial may have"),
        ));
    };
    if max < min || max > most {
        let ceiling = match unit {
            Reestimated::Patients => format!("{most}"),
            Reestimated::Deaths => {
                format!("enrollment.sample_size ({most}): each death is a patient's")
            }
        };
        return Err(InvalidKey::new(
            key(max_key),
            format!(
                "expected a total from {min_key} ({min}{}) to {ceiling}, found {max}",
                if explicit_min {
                    String::new()
                } else {
                    format!(", by default {default_from}")
                }
            ),
        ));
    }
    let planned_hazard_ratio = match r.hazard_ratio {
        None => None,
        Some(hr) if unit != Reestimated::Deaths || r.effect != ReestimationEffectKind::Planned => {
            return Err(InvalidKey::new(
                key("hazard_ratio"),
                format!(
                    "the hazard ratio a stage is sized for belongs to effect = \"planned\" of an event-driven time-to-event design (found {hr} with effect = \"{}\" on a {} endpoint)",
                    r.effect.as_str(),
                    raw.endpoint.kind.as_str()
                ),
            ));
        }
        // One at the null (1, or a margin) is no benefit: every stage gets the most.
        Some(hr) if !(hr > 0.0 && hr.is_finite()) => {
            return Err(InvalidKey::new(
                key("hazard_ratio"),
                format!("expected a hazard ratio above 0, found {hr}"),
            ));
        }
        Some(hr) => Some(hr),
    };
    Ok(Reestimation {
        conditional_power: cp,
        unit,
        min_total: min,
        max_total: max,
        stage_min: stage_bounds(looks, first, min),
        stage_max: stage_bounds(looks, first, max),
        effect: r.effect,
        planned_risks: None,
        planned_hazard_ratio,
    })
}

/// The stage sizes whose cumulative sums are `first` plus `total - first` shared by the planned
/// information increments after the first look, rounded to whole patients. Every later stage
/// gets at least one when `total - first` is at least their number.
pub fn stage_bounds(looks: &[f64], first: u64, total: u64) -> Vec<u64> {
    let extra = (total - first) as f64;
    let t1 = looks[0];
    let later = looks.len() - 1;
    let mut out = vec![first];
    let mut before = first;
    for (i, &t) in looks.iter().enumerate().skip(1) {
        let by = if i == looks.len() - 1 {
            total
        } else {
            // Leaves at least one patient for each stage still to come.
            let share = first + (extra * (t - t1) / (1.0 - t1)).round() as u64;
            share.clamp(before + 1, total - (later - i) as u64)
        };
        out.push(by - before);
        before = by;
    }
    out
}

/// What re-estimation is defined for here: a two-arm comparison with a one-sided z test, of
/// risks at planned patients, or event-driven time to event (the log-rank test, at planned
/// deaths); no other adaptation. Returns what the stages count.
fn design_supports(
    raw: &RawScenario,
    r: &RawReestimate,
    looks: usize,
) -> Result<Reestimated, InvalidKey> {
    let refuse = |k: &str, why: String| Err(InvalidKey::new(k, why));
    let unit = match raw.endpoint.kind {
        EndpointKind::Binary => Reestimated::Patients,
        // Looks of a time-to-event design are fractions of analysis_events (validated).
        EndpointKind::TimeToEvent => Reestimated::Deaths,
        EndpointKind::Continuous | EndpointKind::Ordinal => {
            return refuse(
                "sequential.reestimate",
                "sample-size re-estimation is available for a binary endpoint (patients) and \
                 an event-driven time-to-event one (deaths); not yet for a continuous or \
                 ordinal one"
                    .into(),
            );
        }
    };
    // The other unit's keys, named.
    let (wrong, used) = match unit {
        Reestimated::Patients => (
            [("min_events", r.min_events), ("max_events", r.max_events)],
            "a binary trial's stages are sized in patients: use min_sample_size and max_sample_size",
        ),
        Reestimated::Deaths => (
            [
                ("min_sample_size", r.min_sample_size),
                ("max_sample_size", r.max_sample_size),
            ],
            "an event-driven trial's stages are sized in deaths (its looks wait for them): use \
             min_events and max_events; enrollment.sample_size caps the patients",
        ),
    };
    if let Some((k, _)) = wrong.iter().find(|(_, v)| v.is_some()) {
        return refuse(&key(k), used.into());
    }
    if looks < 2 {
        return refuse(
            "sequential.looks",
            "re-estimation needs an interim look: at least two looks".into(),
        );
    }
    if raw.arm.len() != 2 {
        return refuse(
            "sequential.reestimate",
            format!(
                "re-estimation sizes one comparison: expected two arms, found {}",
                raw.arm.len()
            ),
        );
    }
    let an = raw.analysis();
    if an.alternative != Sidedness::OneSided {
        return refuse(
            "analysis.alternative",
            "conditional power is one-sided: re-estimation needs alternative = \"one_sided\""
                .into(),
        );
    }
    if unit == Reestimated::Patients {
        if !matches!(an.test, TestKind::ChiSquare | TestKind::FarringtonManning) {
            return refuse(
                "analysis.test",
                format!(
                    "re-estimation combines stage-wise z statistics of the unstratified risks \
                     (rpact's): use chi_square (pooled z) or farrington_manning, found {}",
                    an.test.as_str()
                ),
            );
        }
        if raw.enrollment.accrual_per_month.is_some() {
            return refuse(
                "enrollment.accrual_per_month",
                "with re-estimation every randomised patient's outcome is known at the look \
                 that follows (no pipeline): remove accrual_per_month and assessment_day"
                    .into(),
            );
        }
    }
    if raw.adaptation.is_some() {
        return refuse(
            "adaptation",
            "re-estimation and adaptive enrichment are not combined".into(),
        );
    }
    Ok(unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_stages_get_the_total_less_the_first_stage() {
        assert_eq!(stage_bounds(&[0.5, 1.0], 100, 360), vec![100, 260]);
        assert_eq!(stage_bounds(&[0.3, 1.0], 30, 30 + 1), vec![30, 1]);
    }

    #[test]
    fn later_stages_share_by_the_planned_increments() {
        // Looks at 0.25, 0.5, 1: the 300 beyond the first stage split 1 : 2.
        assert_eq!(
            stage_bounds(&[0.25, 0.5, 1.0], 100, 400),
            vec![100, 100, 200]
        );
        // Too few to share: every stage still gets one.
        assert_eq!(
            stage_bounds(&[0.2, 0.21, 0.22, 1.0], 10, 13),
            vec![10, 1, 1, 1]
        );
        let b = stage_bounds(&[0.1, 0.4, 0.7, 1.0], 37, 1001);
        assert_eq!(b.iter().sum::<u64>(), 1001);
        assert_eq!(b, vec![37, 321, 322, 321]);
    }
}
