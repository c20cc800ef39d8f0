//! What every tally of a design must satisfy, checked before a tally read from outside (a shard
//! file) is merged: its shape is the design's, no count of trials exceeds the trials it holds,
//! counts that every trial adds to once sum to its trials, and sums of patients stay within the
//! sample size per trial. A hand-edited or corrupted shard fails here with the field named,
//! instead of merging into a power above 1.

use std::collections::BTreeMap;

use crate::engine::tally::Tally;
use crate::engine::tally::comparison::ComparisonTally;
use crate::engine::tally::enrichment::EnrichmentTally;
use crate::engine::tally::sequential::SequentialTally;
use crate::engine::tally::survival::SurvivalTally;
use crate::model::design::Design;

/// Checks `tally` against the invariants of a tally of `design`; the error names the field.
pub fn check(tally: &Tally, design: &Design) -> Result<(), String> {
    let fresh = Tally::new(design);
    let t = tally.trials;
    // Patients randomised (or evaluable, or dead) summed over the trials: at most N a trial.
    let patients = u128::from(t) * u128::from(design.sample_size);
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
    match (&tally.sequential, &fresh.sequential) {
        (None, None) => {}
        (Some(s), Some(f)) => sequential(s, f, t, patients)?,
        _ => return Err("sequential: present in one of the tally and the design only".into()),
    }
    match (&tally.survival, &fresh.survival) {
        (None, None) => {}
        (Some(s), Some(f)) => survival(s, f, t, patients)?,
        _ => return Err("survival: present in one of the tally and the design only".into()),
    }
    match (&tally.enrichment, &fresh.enrichment) {
        (None, None) => Ok(()),
        (Some(e), Some(f)) => enrichment(e, f, t, patients),
        _ => Err("enrichment: present in one of the tally and the design only".into()),
    }
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

fn sequential(
    s: &SequentialTally,
    fresh: &SequentialTally,
    t: u64,
    patients: u128,
) -> Result<(), String> {
    same_len("sequential.looks", s.looks, fresh.looks)?;
    for (name, v, f) in [
        ("efficacy", &s.efficacy, &fresh.efficacy),
        ("futility", &s.futility, &fresh.futility),
        ("ended", &s.ended, &fresh.ended),
        ("reached", &s.reached, &fresh.reached),
    ] {
        same_len(&format!("sequential.{name}"), v.len(), f.len())?;
    }
    same_len(
        "sequential.randomised_at",
        s.randomised_at.len(),
        fresh.randomised_at.len(),
    )?;
    same_len("sequential.days_at", s.days_at.len(), fresh.days_at.len())?;
    // A comparison stops once, at one look.
    for (j, (efficacy, futility)) in s
        .efficacy
        .chunks(s.looks.max(1))
        .zip(s.futility.chunks(s.looks.max(1)))
        .enumerate()
    {
        let stops = efficacy
            .iter()
            .chain(futility)
            .map(|&x| u128::from(x))
            .sum::<u128>();
        at_most_patients(
            &format!("sequential: comparison {j}'s stops"),
            stops,
            u128::from(t),
        )?;
    }
    sums_to("sequential.ended", s.ended.iter().copied(), t)?;
    for (k, (&reached, &randomised)) in s.reached.iter().zip(&s.randomised_at).enumerate() {
        at_most(&format!("sequential.reached[{k}]"), reached, t)?;
        let most = u128::from(reached) * (patients / u128::from(t.max(1)));
        at_most_patients(&format!("sequential.randomised_at[{k}]"), randomised, most)?;
    }
    sums_to_map("sequential.randomised", &s.randomised, t)?;
    at_most_patients("sequential.sum_randomised", s.sum_randomised, patients)
}

fn survival(
    s: &SurvivalTally,
    fresh: &SurvivalTally,
    t: u64,
    patients: u128,
) -> Result<(), String> {
    same_len(
        "survival.events_arm",
        s.events_arm.len(),
        fresh.events_arm.len(),
    )?;
    same_len(
        "survival.events_control",
        s.events_control.len(),
        fresh.events_control.len(),
    )?;
    at_most_patients("survival.sum_events", s.sum_events, patients)?;
    at_most_patients("survival.sum_randomised", s.sum_randomised, patients)?;
    for (j, (&a, &c)) in s.events_arm.iter().zip(&s.events_control).enumerate() {
        at_most_patients(
            &format!("survival: comparison {j}'s deaths"),
            a + c,
            patients,
        )?;
    }
    if !s.duration_days.is_empty() {
        sums_to_map("survival.duration_days", &s.duration_days, t)?;
    }
    Ok(())
}

fn enrichment(
    e: &EnrichmentTally,
    fresh: &EnrichmentTally,
    t: u64,
    patients: u128,
) -> Result<(), String> {
    same_len("enrichment.looks", e.looks, fresh.looks)?;
    same_len(
        "enrichment.selected",
        e.selected.len(),
        fresh.selected.len(),
    )?;
    same_len(
        "enrichment.rejected_at",
        e.rejected_at.len(),
        fresh.rejected_at.len(),
    )?;
    same_len(
        "enrichment.randomised_after",
        e.randomised_after.len(),
        fresh.randomised_after.len(),
    )?;
    at_most("enrichment.futility", e.futility, t)?;
    for (h, &selected) in e.selected.iter().enumerate() {
        at_most(&format!("enrichment.selected[{h}]"), selected, t)?;
    }
    // A hypothesis is first rejected at one look at most.
    for (h, looks) in e.rejected_at.chunks(e.looks.max(1)).enumerate() {
        let first = looks.iter().map(|&x| u128::from(x)).sum::<u128>();
        at_most_patients(
            &format!("enrichment.rejected_at of hypothesis {h}"),
            first,
            u128::from(t),
        )?;
    }
    for (h, &r) in e.randomised_after.iter().enumerate() {
        at_most_patients(&format!("enrichment.randomised_after[{h}]"), r, patients)?;
    }
    sums_to_map("enrichment.screened_before", &e.screened_before, t)?;
    sums_to_map("enrichment.screened_after", &e.screened_after, t)?;
    at_most_patients(
        "enrichment.sum_randomised_before + sum_randomised_after",
        e.sum_randomised_before
            .saturating_add(e.sum_randomised_after),
        patients,
    )
}

fn same_len(what: &str, found: usize, expected: usize) -> Result<(), String> {
    if found == expected {
        Ok(())
    } else {
        Err(format!(
            "{what}: {found} entries where the design has {expected}"
        ))
    }
}

fn at_most(what: &str, count: u64, most: u64) -> Result<(), String> {
    at_most_patients(what, u128::from(count), u128::from(most))
}

fn at_most_patients(what: &str, count: u128, most: u128) -> Result<(), String> {
    if count <= most {
        Ok(())
    } else {
        Err(format!("{what} is {count}, more than the {most} possible"))
    }
}

/// Trials counted once each: the counts sum to the trials.
fn sums_to(what: &str, counts: impl Iterator<Item = u64>, t: u64) -> Result<(), String> {
    let sum: u128 = counts.map(u128::from).sum();
    if sum == u128::from(t) {
        Ok(())
    } else {
        Err(format!(
            "{what} counts {sum} trials, not the {t} the tally holds"
        ))
    }
}

fn sums_to_map(what: &str, trials_by_value: &BTreeMap<u64, u64>, t: u64) -> Result<(), String> {
    sums_to(what, trials_by_value.values().copied(), t)
}
