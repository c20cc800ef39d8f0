//! An ordinal endpoint's validated model (`[endpoint] kind = "ordinal"`): each patient's
//! outcome is one of a few ordered levels, listed worst first; within a true endotype its
//! distribution under control is given (`control_distribution`), and a treatment's common odds
//! ratio multiplies the odds of every better-than-a-level outcome (proportional odds), so a
//! ratio above 1 shifts patients towards better levels.
//!
//! The treatment's shift is carried as the design's mean outcome on the log-odds scale
//! (`Endotype::control_mean` is 0, a treated cell's mean is the log of its odds ratio), so that
//! the arms, labels and endotypes reach each cell as they do for the other endpoints.

use crate::model::design::SUM_TOLERANCE;
use crate::model::raw::{InvalidKey, RawScenario};
use crate::model::vocabulary::{Better, EndpointKind};

/// Fewest and most levels of an ordinal endpoint.
pub const MIN_LEVELS: usize = 3;
pub const MAX_LEVELS: usize = 64;

/// The validated ordinal model.
#[derive(Debug, Clone, PartialEq)]
pub struct OrdinalModel {
    /// The levels' names, worst first.
    pub levels: Vec<String>,
    /// P(level) under control per true endotype, each summing to one.
    pub control: Vec<Vec<f64>>,
}

impl OrdinalModel {
    /// The level distribution of a patient of true endotype `e` whose log common odds ratio
    /// against control is `shift`: P(Y <= j) = C_j / (C_j + OR (1 - C_j)), C the control's.
    pub fn distribution(&self, e: usize, shift: f64) -> Vec<f64> {
        shifted(&self.control[e], shift)
    }
}

/// The distribution `p` (worst level first) with the odds of every better-than-a-level outcome
/// multiplied by exp(`shift`).
pub fn shifted(p: &[f64], shift: f64) -> Vec<f64> {
    if shift == 0.0 {
        return p.to_vec();
    }
    let odds_ratio = shift.exp();
    let mut out = Vec::with_capacity(p.len());
    let (mut control_below, mut below) = (0.0, 0.0);
    for (j, &q) in p.iter().enumerate() {
        control_below += q;
        let cumulative = if j + 1 == p.len() || control_below >= 1.0 {
            1.0
        } else {
            control_below / (control_below + odds_ratio * (1.0 - control_below))
        };
        out.push((cumulative - below).max(0.0));
        below = cumulative;
    }
    out
}

/// The common log odds ratio of distribution `arm` against `control` when one holds: every
/// cutpoint's cumulative odds ratio is the same (to 1e-9); `None` otherwise.
pub fn common_log_odds_ratio(arm: &[f64], control: &[f64]) -> Option<f64> {
    let (mut ca, mut cc) = (0.0, 0.0);
    let mut common: Option<f64> = None;
    for (a, c) in arm.iter().zip(control).take(arm.len() - 1) {
        ca += a;
        cc += c;
        let inside = |q: f64| q > 1e-12 && q < 1.0 - 1e-12;
        if !(inside(ca) && inside(cc)) {
            continue;
        }
        let log_or = ((1.0 - ca) / ca).ln() - ((1.0 - cc) / cc).ln();
        match common {
            None => common = Some(log_or),
            Some(v) if (v - log_or).abs() > 1e-9 => return None,
            Some(_) => {}
        }
    }
    common
}

/// The mean level of a distribution, counting the worst level as 1.
pub fn mean_level(p: &[f64]) -> f64 {
    p.iter().enumerate().map(|(j, q)| (j + 1) as f64 * q).sum()
}

/// The levels and the endotypes' control distributions of an ordinal endpoint (`None` for
/// another kind).
pub fn model(raw: &RawScenario) -> Result<Option<OrdinalModel>, InvalidKey> {
    if raw.endpoint.kind != EndpointKind::Ordinal {
        return Ok(None);
    }
    let levels = raw.endpoint.levels.clone().ok_or_else(|| {
        InvalidKey::new(
            "endpoint.levels",
            "missing: the outcome's levels, worst first",
        )
    })?;
    if !(MIN_LEVELS..=MAX_LEVELS).contains(&levels.len()) {
        return Err(InvalidKey::new(
            "endpoint.levels",
            format!(
                "expected {MIN_LEVELS} to {MAX_LEVELS} levels, found {}",
                levels.len()
            ),
        ));
    }
    for (i, l) in levels.iter().enumerate() {
        if l.trim().is_empty() {
            return Err(InvalidKey::new(
                "endpoint.levels",
                format!("level {} has no name", i + 1),
            ));
        }
        if levels[..i].contains(l) {
            return Err(InvalidKey::new(
                "endpoint.levels",
                format!("expected distinct levels, found \"{l}\" twice"),
            ));
        }
    }
    if raw.endpoint.better == Better::Lower {
        return Err(InvalidKey::new(
            "endpoint.better",
            "levels are listed worst first, so a higher level is better: expected \"higher\" (list the levels in the other order if the first is best)",
        ));
    }
    let mut control = Vec::with_capacity(raw.endotype.len());
    for en in &raw.endotype {
        let key = format!("endotype.{}.control_distribution", en.name);
        let p = en.control_distribution.as_ref().ok_or_else(|| {
            InvalidKey::new(&key, "missing: P(level) under control, worst level first")
        })?;
        if p.len() != levels.len() {
            return Err(InvalidKey::new(
                &key,
                format!(
                    "expected one probability per level ({}), found {}",
                    levels.len(),
                    p.len()
                ),
            ));
        }
        if let Some(q) = p
            .iter()
            .find(|q| !(q.is_finite() && (0.0..=1.0).contains(*q)))
        {
            return Err(InvalidKey::new(
                &key,
                format!("expected probabilities in [0, 1], found {q}"),
            ));
        }
        let total: f64 = p.iter().sum();
        if (total - 1.0).abs() > SUM_TOLERANCE {
            return Err(InvalidKey::new(
                &key,
                format!("expected probabilities that sum to 1, found a sum of {total}"),
            ));
        }
        control.push(p.iter().map(|q| q / total).collect());
    }
    if raw.adaptation.is_some() {
        return Err(InvalidKey::new(
            "adaptation",
            "adaptive enrichment is not yet available for ordinal endpoints; remove [adaptation]",
        ));
    }
    Ok(Some(OrdinalModel { levels, control }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_common_odds_ratio_multiplies_every_cumulative_odds() {
        let p = [0.45, 0.10, 0.10, 0.10, 0.10, 0.15];
        let q = shifted(&p, 1.6f64.ln());
        assert!((q.iter().sum::<f64>() - 1.0).abs() < 1e-15);
        let (mut cp, mut cq) = (0.0, 0.0);
        for j in 0..p.len() - 1 {
            cp += p[j];
            cq += q[j];
            let ratio = ((1.0 - cq) / cq) / ((1.0 - cp) / cp);
            assert!((ratio - 1.6).abs() < 1e-12, "cutpoint {j}: {ratio}");
        }
        // Better levels gain: the worst level loses, the best gains.
        assert!(q[0] < p[0] && q[5] > p[5]);
        assert_eq!(shifted(&p, 0.0), p.to_vec());
        assert!((common_log_odds_ratio(&q, &p).unwrap() - 1.6f64.ln()).abs() < 1e-12);
        // A mixture of two shifts is not proportional.
        let r: Vec<f64> = shifted(&p, 2.0)
            .iter()
            .zip(&p)
            .map(|(a, b)| (a + b) / 2.0)
            .collect();
        assert_eq!(common_log_odds_ratio(&r, &p), None);
        assert!((mean_level(&[0.5, 0.0, 0.5]) - 2.0).abs() < 1e-15);
    }
}
