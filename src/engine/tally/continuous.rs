//! What a continuous endpoint adds to a tally: the dichotomised analysis' rejections, in the
//! same trials as the continuous one.

use serde::{Deserialize, Serialize};

use crate::engine::tally::block::Block;
use crate::engine::tally::invariants::{at_most, same_len};

/// What a continuous endpoint adds to a tally.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContinuousTally {
    /// Per comparison: trials in which the chi-square test of responders rejected (empty
    /// without `responder_below`).
    pub responder_rejections: Vec<u64>,
}

impl ContinuousTally {
    /// `comparisons` counts when the outcome is dichotomised, none otherwise.
    pub fn new(comparisons: usize, dichotomised: bool) -> ContinuousTally {
        ContinuousTally {
            responder_rejections: vec![0; if dichotomised { comparisons } else { 0 }],
        }
    }
}

impl Block for ContinuousTally {
    fn merge(&mut self, o: &ContinuousTally) {
        for (a, b) in self
            .responder_rejections
            .iter_mut()
            .zip(&o.responder_rejections)
        {
            *a += b;
        }
    }

    fn check(&self, fresh: &ContinuousTally, trials: u64, _patients: u128) -> Result<(), String> {
        same_len(
            "continuous.responder_rejections",
            self.responder_rejections.len(),
            fresh.responder_rejections.len(),
        )?;
        for &r in &self.responder_rejections {
            at_most("continuous.responder_rejections", r, trials)?;
        }
        Ok(())
    }
}
