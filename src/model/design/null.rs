//! The design with every treatment effect removed (the global null): each arm is given the
//! control's treatment in every stratum (none without a control), and the risks are derived
//! again exactly. A Bayesian design's superiority threshold is calibrated under it.

use super::Design;
use super::arms::means;
use super::population::{Population, label_prob};

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
