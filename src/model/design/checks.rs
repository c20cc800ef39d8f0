//! The checks every scenario table's validation shares: probabilities, sums to one, unique
//! names, names looked up among the known ones (with the list in the message), display names.

use std::collections::HashSet;

use crate::model::design::SUM_TOLERANCE;
use crate::model::raw::InvalidKey;

/// Rescales probabilities whose sum is off by more than rounding (sums already equal to one up
/// to 1e-12 are left alone, so that existing results stay bit-identical).
pub(super) fn normalise<'a>(values: impl Iterator<Item = &'a mut f64>, total: f64) {
    if (total - 1.0).abs() > 1e-12 {
        values.for_each(|v| *v /= total);
    }
}

pub(super) fn check_probability(key: &str, p: f64) -> Result<(), InvalidKey> {
    if (0.0..=1.0).contains(&p) {
        Ok(())
    } else {
        Err(InvalidKey::new(
            key,
            format!("expected a probability in [0, 1], found {p}"),
        ))
    }
}

pub(super) fn check_sum_to_one(key: &str, total: f64) -> Result<(), InvalidKey> {
    if (total - 1.0).abs() <= SUM_TOLERANCE {
        Ok(())
    } else {
        Err(InvalidKey::new(
            key,
            format!(
                "expected probabilities summing to 1 (within {SUM_TOLERANCE:e}), found a sum of {total}"
            ),
        ))
    }
}

pub(super) fn check_name(
    key: &str,
    name: &str,
    seen: &mut HashSet<String>,
) -> Result<(), InvalidKey> {
    if name.trim().is_empty() {
        return Err(InvalidKey::new(key, "expected a non-empty name"));
    }
    if !seen.insert(name.to_string()) {
        return Err(InvalidKey::new(
            key,
            format!("duplicate name '{name}'; names must be unique"),
        ));
    }
    Ok(())
}

pub(super) fn lookup(
    key: &str,
    what: &str,
    name: &str,
    names: &[String],
) -> Result<usize, InvalidKey> {
    names.iter().position(|n| n == name).ok_or_else(|| {
        InvalidKey::new(
            key,
            format!(
                "unknown {what} '{name}'; expected one of: {}",
                names.join(", ")
            ),
        )
    })
}

/// A display name as given (trimmed, not empty), or the identifier.
pub(super) fn display_name(
    key: &str,
    name: &str,
    given: &Option<String>,
) -> Result<String, InvalidKey> {
    match given.as_deref().map(str::trim) {
        None => Ok(name.to_string()),
        Some("") => Err(InvalidKey::new(
            key,
            "expected a name to show in reports, found an empty string",
        )),
        Some(shown) => Ok(shown.to_string()),
    }
}
