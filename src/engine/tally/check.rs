//! What every tally of a design must satisfy, checked before a tally read from outside (a shard
//! file) is merged: its shape is the design's, no count of trials exceeds the trials it holds,
//! counts that every trial adds to once sum to its trials, and sums of patients stay within the
//! sample size per trial. A hand-edited or corrupted shard fails here with the field named,
//! instead of merging into a power above 1.

use crate::engine::tally::comparison::ComparisonTally;
use crate::engine::tally::invariants::{at_most, at_most_patients, same_len, sums_to};
use crate::engine::tally::{Block, Tally};
use crate::model::design::Design;

/// Checks `tally` against the invariants of a tally of `design`; the error names the field.
pub fn check(tally: &Tally, design: &Design) -> Result<(), String> {
    let fresh = Tally::new(design);
    let t = tally.trials;
    // Patients randomised (or evaluable, or dead) summed over the trials: at most N a trial
    // (the maximum of a re-estimation).
    let patients = u128::from(t) * u128::from(design.most_randomised());
    same_len(
        "comparisons",
        tally.comparisons.len(),
        fresh.comparisons.len(),
    )?;
    for (j, (c, f)) in tally.comparisons.iter().zip(&fresh.comparisons).enumerate() {
        comparison(&format!("comparisons[{j}]"), c, f, t, patients)?;
    }
    if (tally.screened_offset, tally.screened_shift)
        != (fresh.screened_offset, fresh.screened_shift)
    {
        return Err("screened: histogram window is not the design's".into());
    }
    sums_to("screened", tally.screened.iter().copied(), t)?;
    tally.endpoint.check(&fresh.endpoint, t, patients)?;
    tally.design.check(&fresh.design, t, patients)
}

fn comparison(
    at: &str,
    c: &ComparisonTally,
    fresh: &ComparisonTally,
    t: u64,
    patients: u128,
) -> Result<(), String> {
    at_most(&format!("{at}.rejections"), c.rejections, t)?;
    at_most(&format!("{at}.estimable"), c.estimable, t)?;
    at_most(&format!("{at}.covered"), c.covered, c.estimable)?;
    at_most(
        &format!("{at}.interaction_rejections"),
        c.interaction_rejections,
        t,
    )?;
    at_most(&format!("{at}.any_rejected"), c.any_rejected, t)?;
    at_most(
        &format!("{at}.all_rejected"),
        c.all_rejected,
        c.any_rejected,
    )?;
    at_most(
        &format!("{at}.true_null_rejected"),
        c.true_null_rejected,
        c.any_rejected,
    )?;
    for (name, sum) in [
        ("sum_evaluable_arm", c.sum_evaluable_arm),
        ("sum_evaluable_control", c.sum_evaluable_control),
    ] {
        at_most_patients(&format!("{at}.{name}"), u128::from(sum), patients)?;
    }
    same_len(
        &format!("{at}.hypothesis_rejections"),
        c.hypothesis_rejections.len(),
        fresh.hypothesis_rejections.len(),
    )?;
    for (h, &r) in c.hypothesis_rejections.iter().enumerate() {
        at_most(
            &format!("{at}.hypothesis_rejections[{h}]"),
            r,
            c.any_rejected,
        )?;
    }
    same_len(
        &format!("{at}.subgroups"),
        c.subgroups.len(),
        fresh.subgroups.len(),
    )?;
    for (s, g) in c.subgroups.iter().enumerate() {
        let at = format!("{at}.subgroups[{s}]");
        at_most(&format!("{at}.rejections"), g.rejections, t)?;
        at_most(&format!("{at}.estimable"), g.estimable, t)?;
        for (name, sum) in [
            ("sum_evaluable_arm", g.sum_evaluable_arm),
            ("sum_evaluable_control", g.sum_evaluable_control),
        ] {
            at_most_patients(&format!("{at}.{name}"), u128::from(sum), patients)?;
        }
    }
    Ok(())
}
