//! The Wilcoxon-Mann-Whitney test of one arm against control, as `wilcox.test(arm, control,
//! exact = FALSE, correct = FALSE)`: W counts the pairs the arm wins, a tie as a half; z is its
//! standardised value with the tie-corrected variance, n1 n0 / 12 (n + 1 - sum(t^3 - t) /
//! (n (n - 1))) over the groups of t tied values. z > 0: the arm's outcomes are higher. From
//! counts per ordered level (`wilcoxon`) or from the patients' values (`wilcoxon_of_values`).

use crate::stats::analysis::Statistic;

/// The z of counts per level (levels ordered, worst first). `None` without a pair or when
/// every patient is tied.
pub fn wilcoxon(arm: &[f64], control: &[f64]) -> Option<f64> {
    let (n_a, n_c): (f64, f64) = (arm.iter().sum(), control.iter().sum());
    if n_a <= 0.0 || n_c <= 0.0 {
        return None;
    }
    let (mut w, mut below, mut ties) = (0.0, 0.0, 0.0);
    for (&a, &c) in arm.iter().zip(control) {
        w += a * (below + 0.5 * c);
        below += c;
        let t = a + c;
        ties += t * t * t - t;
    }
    standardised(w, n_a, n_c, ties)
}

/// The Wilcoxon test's statistic (uninformative without one).
pub fn wilcoxon_statistic(arm: &[f64], control: &[f64]) -> Statistic {
    wilcoxon(arm, control).map_or(Statistic::Uninformative, Statistic::Z)
}

/// z from the pairs the arm wins `w`, the group sizes and the ties' sum of t^3 - t.
fn standardised(w: f64, n_a: f64, n_c: f64, ties: f64) -> Option<f64> {
    let n = n_a + n_c;
    let variance = n_a * n_c / 12.0 * ((n + 1.0) - ties / (n * (n - 1.0)));
    (variance > 0.0).then(|| (w - n_a * n_c / 2.0) / variance.sqrt())
}

/// The z of the patients' values `arm` against `control`, ranked together in `scratch`
/// (reused: nothing is allocated once it has grown). `None` without a pair or when every value
/// is tied.
pub fn wilcoxon_of_values(
    arm: &[f64],
    control: &[f64],
    scratch: &mut Vec<(f64, bool)>,
) -> Option<f64> {
    if arm.is_empty() || control.is_empty() {
        return None;
    }
    scratch.clear();
    scratch.extend(arm.iter().map(|&x| (x, true)));
    scratch.extend(control.iter().map(|&x| (x, false)));
    scratch.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    // Walk the groups of tied values: the arm's values in a group win against the control
    // values below it, and tie with the control values in it.
    let (mut w, mut below, mut ties) = (0.0, 0.0, 0.0);
    let mut i = 0;
    while i < scratch.len() {
        let mut j = i;
        let (mut a, mut c) = (0.0, 0.0);
        while j < scratch.len() && scratch[j].0 == scratch[i].0 {
            if scratch[j].1 {
                a += 1.0;
            } else {
                c += 1.0;
            }
            j += 1;
        }
        w += a * (below + 0.5 * c);
        below += c;
        let t = a + c;
        ties += t * t * t - t;
        i = j;
    }
    standardised(w, arm.len() as f64, control.len() as f64, ties)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// w <- wilcox.test(c(1.2, 3.4, 3.4, 5, 7.5), c(0.3, 3.4, 2, 9, 1.1, 4), exact = FALSE,
    /// correct = FALSE) (R 4.2.2): W = 19 (above 15: z > 0), p-value 0.461105485525,
    /// -qnorm(w$p.value / 2) = 0.737027731190.
    #[test]
    fn values_with_ties_are_wilcox_tests() {
        let mut s = Vec::new();
        let z = wilcoxon_of_values(
            &[1.2, 3.4, 3.4, 5.0, 7.5],
            &[0.3, 3.4, 2.0, 9.0, 1.1, 4.0],
            &mut s,
        )
        .unwrap();
        assert!((z - 0.737027731190).abs() < 1e-9, "{z}");
        // The same data as counts per level (levels 0.3 < 1.1 < 1.2 < 2 < 3.4 < 4 < 5 < 7.5 < 9).
        let arm = [0.0, 0.0, 1.0, 0.0, 2.0, 0.0, 1.0, 1.0, 0.0];
        let control = [1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0, 1.0];
        assert!((wilcoxon(&arm, &control).unwrap() - z).abs() < 1e-12);
        assert_eq!(wilcoxon_of_values(&[], &[1.0], &mut s), None);
        assert_eq!(wilcoxon_of_values(&[2.0, 2.0], &[2.0], &mut s), None);
    }
}
