//! The design with every treatment effect removed (the global null): each arm is given the
//! control's treatment in every stratum (none without a control), and the risks are derived
//! again exactly. A Bayesian design's superiority threshold is calibrated under it.

use super::Design;
use super::arms::means;
use super::population::{Population, label_prob};
use crate::model::vocabulary::MarginScale;

impl Design {
    pub fn without_effects(&self) -> Design {
        let mut d = self.clone();
        let control = match self.bayesian() {
            Some(plan) => plan.control,
            None => Some(self.control),
        };
        let reference = match control {
            Some(c) => self.arms[c].treatment_by_stratum.clone(),
            None => vec![None; self.eligible.len()],
        };
        for arm in &mut d.arms {
            arm.treatment_by_stratum.clone_from(&reference);
        }
        let population = Population {
            eligible: d.eligible.clone(),
            label_prob: label_prob(&d.endotypes, d.labels.len()),
            eligible_fraction: d.eligible_fraction,
            stratum_prob: d.stratum_prob.clone(),
            composition: d.composition.clone(),
        };
        let risks = d.continuous().is_none() && d.ordinal().is_none();
        (d.stratum_mean, d.true_mean) =
            means(&d.arms, &d.endotypes, &d.treatments, &population, risks);
        d
    }
}

impl Design {
    /// The design on the boundary of its null hypothesis, where its type I error is attained:
    /// without effects for superiority; for non-inferiority each arm's risk in every stratum is
    /// the control's moved by the margin (plus the null difference, or times the null ratio),
    /// so that the marginal effect is the margin exactly. `None` when a shifted risk leaves
    /// [0, 1].
    pub fn at_null_boundary(&self) -> Option<Design> {
        let mut d = self.without_effects();
        let Some(m) = self.analysis.margin else {
            return Some(d);
        };
        let control = d.stratum_mean[d.control].clone();
        let shift = |p: f64| match m.scale {
            MarginScale::RiskRatio => p * m.null,
            _ => p + m.null,
        };
        for (a, means) in d.stratum_mean.iter_mut().enumerate() {
            if a != d.control {
                for (p, &c) in means.iter_mut().zip(&control) {
                    *p = shift(c);
                }
            }
        }
        let risks = d.stratum_mean.iter().flatten();
        if risks.clone().any(|p| !(0.0..=1.0).contains(p)) {
            return None;
        }
        let c = d.true_mean[d.control];
        for (a, mean) in d.true_mean.iter_mut().enumerate() {
            if a != d.control {
                *mean = shift(c);
            }
        }
        Some(d)
    }
}
