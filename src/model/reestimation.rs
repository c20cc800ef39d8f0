//! The validated `[sequential] reestimate` table: sample-size re-estimation by conditional power
//! at each interim look, the stages combined by the inverse normal method (rpact's
//! `getSimulationRates` with `conditionalPower`, `minNumberOfSubjectsPerStage` and
//! `maxNumberOfSubjectsPerStage` on an inverse-normal design).

use crate::model::design::MAX_SAMPLE_SIZE;
use crate::model::raw::{InvalidKey, RawReestimate, RawScenario};
use crate::model::vocabulary::{EndpointKind, ReestimationEffectKind, Sidedness, TestKind};

/// How the patients after each interim look are chosen.
#[derive(Debug, Clone, PartialEq)]
pub struct Reestimation {
    /// The conditional power the next stage is sized for.
    pub conditional_power: f64,
    /// The smallest and largest total a re-estimation may plan (the keys as written).
    pub min_sample_size: u64,
    pub max_sample_size: u64,
    /// The fewest and most patients each stage may have: index k is the stage that ends at
    /// look k (index 0, the first stage, is planned and never re-estimated). The totals'
    /// patients beyond the first stage are shared over the later stages in proportion to the
    /// planned increments of information, in whole patients that sum to the totals.
    pub stage_min: Vec<u64>,
    pub stage_max: Vec<u64>,
    pub effect: ReestimationEffectKind,
    /// With `effect = "planned"`: the risks of the arm and of control the next stages are sized
    /// for, the scenario's own marginal risks (set once the design's risks are derived, and
    /// kept when a run under the null replaces the true ones).
    pub planned_risks: Option<(f64, f64)>,
}

fn key(k: &str) -> String {
    format!("sequential.reestimate.{k}")
}

/// Validates `reestimate` for a plan with looks at fractions `looks` of `sample_size`, the
/// first stage `first` patients.
pub fn reestimation(
    raw: &RawScenario,
    r: &RawReestimate,
    looks: &[f64],
    first: u64,
) -> Result<Reestimation, InvalidKey> {
    design_supports(raw, looks.len())?;
    let cp = r.conditional_power;
    if !(cp > 0.0 && cp < 1.0) {
        return Err(InvalidKey::new(
            key("conditional_power"),
            format!("expected a probability in (0, 1), found {cp}"),
        ));
    }
    let planned = raw.enrollment.sample_size;
    let min = r.min_sample_size.unwrap_or(planned);
    let later_stages = (looks.len() - 1) as u64;
    if min < first + later_stages {
        return Err(InvalidKey::new(
            key("min_sample_size"),
            format!(
                "expected at least {} (the {first} patients of the first stage and one in each later stage), found {min}",
                first + later_stages
            ),
        ));
    }
    let max = r.max_sample_size;
    if max < min || max > MAX_SAMPLE_SIZE {
        return Err(InvalidKey::new(
            key("max_sample_size"),
            format!(
                "expected a total from min_sample_size ({min}{}) to {MAX_SAMPLE_SIZE}, found {max}",
                if r.min_sample_size.is_none() {
                    ", by default enrollment.sample_size"
                } else {
                    ""
                }
            ),
        ));
    }
    Ok(Reestimation {
        conditional_power: cp,
        min_sample_size: min,
        max_sample_size: max,
        stage_min: stage_bounds(looks, first, min),
        stage_max: stage_bounds(looks, first, max),
        effect: r.effect,
        planned_risks: None,
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

/// What re-estimation is defined for here: a two-arm binary comparison with a one-sided z
/// test, looks at planned patients, no other adaptation.
fn design_supports(raw: &RawScenario, looks: usize) -> Result<(), InvalidKey> {
    let refuse = |k: &str, why: String| Err(InvalidKey::new(k, why));
    if raw.endpoint.kind != EndpointKind::Binary {
        return refuse(
            "sequential.reestimate",
            "sample-size re-estimation is available for a binary endpoint; not yet for a \
             time-to-event (events), continuous or ordinal one"
                .into(),
        );
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
            "with re-estimation every randomised patient's outcome is known at the look that \
             follows (no pipeline): remove accrual_per_month and assessment_day"
                .into(),
        );
    }
    if raw.adaptation.is_some() {
        return refuse(
            "adaptation",
            "re-estimation and adaptive enrichment are not combined".into(),
        );
    }
    Ok(())
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
