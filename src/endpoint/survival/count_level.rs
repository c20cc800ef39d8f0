//! The count-level trial: a fixed follow-up in whole days with no event-driven analysis. The
//! patients of each arm x label x endotype cell are a count, and each day's deaths and losses
//! are binomial draws among those still at risk, with the exact competing-risk probabilities of
//! that day: a trial costs draws per cell and day, whatever the sample size.

use rand::Rng;

use crate::endpoint::survival::accrual::accrual_span;
use crate::endpoint::survival::{SurvivalSimulator, SurvivalTrial};
use crate::stats::sampling::multinomial;

impl SurvivalSimulator {
    /// The count-level trial: every patient followed `follow_up_days`, recorded in days.
    pub(super) fn counts<R: Rng + ?Sized>(&self, rng: &mut R, out: &mut SurvivalTrial) {
        let (strata, days) = (self.strata, out.days);
        out.at_risk.fill(0);
        out.deaths.fill(0);
        out.events.fill(0);
        self.binary
            .allocate(rng, self.sample_size, &mut out.block, &mut out.arm_counts);
        self.for_each_cell(rng, out, |rng, out, a, s, c, n| {
            let g = a * strata + s;
            let mut alive = n;
            for (d, (death, loss)) in self.cells[c].iter().enumerate() {
                if alive == 0 {
                    break;
                }
                let dead = death.sample(rng, alive);
                let lost = loss.sample(rng, alive - dead);
                // Lost during day d + 1: recorded at day d, not at risk on d + 1.
                out.at_risk[g * days + d] += alive - lost;
                out.deaths[g * days + d] += dead;
                out.events[a] += dead;
                alive -= dead + lost;
            }
        });
        out.randomised.copy_from_slice(&out.arm_counts);
        out.duration = match &self.model.arrivals {
            None => f64::NAN,
            Some(arrivals) => accrual_span(rng, arrivals, self.sample_size) + self.follow_up,
        };
    }

    /// Count level: splits the patients of each arm (`out.arm_counts`) into labels and each
    /// label's into true endotypes, as counts; `each(rng, out, arm, stratum, cell, patients)`
    /// draws a cell's days as soon as its count is drawn.
    fn for_each_cell<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        out: &mut SurvivalTrial,
        mut each: impl FnMut(&mut R, &mut SurvivalTrial, usize, usize, usize, u64),
    ) {
        for a in 0..self.arms {
            self.binary
                .draw_labels(rng, out.arm_counts[a], &mut out.labels);
            for s in 0..self.strata {
                let g = a * self.strata + s;
                let range = self.cell_range[g].clone();
                multinomial(
                    rng,
                    out.labels[s],
                    &self.cell_chain[g],
                    &mut out.counts[range.clone()],
                );
                for c in range {
                    let patients = out.counts[c];
                    each(rng, out, a, s, c, patients);
                }
            }
        }
    }
}
