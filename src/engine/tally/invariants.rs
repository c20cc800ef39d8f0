//! The checks a tally's invariants are made of, each naming the field that fails: lengths
//! that must be the design's, counts bounded by the trials or the patients, counts that every
//! trial adds to once.

use std::collections::BTreeMap;

pub(crate) fn same_len(what: &str, found: usize, expected: usize) -> Result<(), String> {
    if found == expected {
        Ok(())
    } else {
        Err(format!(
            "{what}: {found} entries where the design has {expected}"
        ))
    }
}

pub(crate) fn at_most(what: &str, count: u64, most: u64) -> Result<(), String> {
    at_most_patients(what, u128::from(count), u128::from(most))
}

pub(crate) fn at_most_patients(what: &str, count: u128, most: u128) -> Result<(), String> {
    if count <= most {
        Ok(())
    } else {
        Err(format!("{what} is {count}, more than the {most} possible"))
    }
}

/// Trials counted once each: the counts sum to the trials.
pub(crate) fn sums_to(what: &str, counts: impl Iterator<Item = u64>, t: u64) -> Result<(), String> {
    let sum: u128 = counts.map(u128::from).sum();
    if sum == u128::from(t) {
        Ok(())
    } else {
        Err(format!(
            "{what} counts {sum} trials, not the {t} the tally holds"
        ))
    }
}

pub(crate) fn sums_to_map(
    what: &str,
    trials_by_value: &BTreeMap<u64, u64>,
    t: u64,
) -> Result<(), String> {
    sums_to(what, trials_by_value.values().copied(), t)
}
