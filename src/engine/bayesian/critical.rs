//! Each trial's critical superiority threshold: the threshold below which the trial declares
//! superiority, from one run with the threshold switched off.
//!
//! Why one run gives every threshold: a trial run with threshold `t` draws and decides exactly
//! as the same trial (same random stream) run without one, up to the first check whose
//! probability exceeds `t` (the superiority threshold is read nowhere else), and declares
//! superiority there (with `by_label`: in the label of that check; a check is any label's). So the trial declares superiority at some look iff `t` is below the largest
//! probability its checks compared with the threshold in the run without one (or it ended in
//! superiority without crossing it: its other arms dropped). With `symmetric` (adaptr's default
//! calibration: inferiority `1 - t`, two arms only), falling below the inferiority threshold is
//! the other arm's superiority, so the smallest probability compared with that threshold counts
//! too. The probability of declaring superiority is then a step function of `t` known at every
//! `t` from the same trials: calibration is a quantile, not a noisy search (adaptr's
//! `calibrate_trial` fits a Gaussian process to runs at a few thresholds).

use std::ops::Range;

use rayon::prelude::*;

use crate::engine::bayesian::BayesianEndpoint;
use crate::engine::{CHUNK, Endpoint, run_key, trial_rng};
use crate::model::design::{Design, DesignKind};

/// The critical thresholds of trials `trials` of `design`, sorted: trial `i` declares
/// superiority with threshold `t` iff `t < critical[i]` (+inf: at every threshold).
pub fn critical_thresholds(
    design: &Design,
    symmetric: bool,
    trials: Range<u64>,
    progress: &(dyn Fn(u64) + Sync),
) -> Vec<f64> {
    let plan = design.bayesian().expect("a Bayesian design");
    assert!(
        !symmetric || design.arms.len() == 2,
        "symmetric thresholds decide monotonically with two arms only"
    );
    let mut off = plan.clone();
    off.superiority.iter_mut().for_each(|t| *t = f64::INFINITY);
    if symmetric {
        off.inferiority
            .iter_mut()
            .for_each(|t| *t = f64::NEG_INFINITY);
    }
    let mut unthresholded = design.clone();
    unthresholded.kind = DesignKind::Bayesian(Box::new(off));
    let endpoint = BayesianEndpoint::new(&unthresholded);
    let key = run_key(design.seed);
    let chunks = (trials.end - trials.start).div_ceil(CHUNK);
    let mut critical: Vec<f64> = (0..chunks)
        .into_par_iter()
        .flat_map_iter(|chunk| {
            if crate::engine::stop::requested() {
                return Vec::new();
            }
            let start = trials.start + chunk * CHUNK;
            let end = (start + CHUNK).min(trials.end);
            let mut s = endpoint.buffers();
            let values: Vec<f64> = (start..end)
                .map(|i| {
                    endpoint.run(&mut trial_rng(key, i), &mut s);
                    if s.any_superiority() {
                        f64::INFINITY
                    } else if symmetric {
                        s.superiority_seen().max(1.0 - s.inferiority_seen())
                    } else {
                        s.superiority_seen()
                    }
                })
                .collect();
            progress(end - start);
            values
        })
        .collect();
    crate::engine::stop::unwind_if_requested();
    critical.sort_by(f64::total_cmp);
    critical
}
