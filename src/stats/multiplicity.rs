//! Multiple-testing procedures controlling the family-wise error rate, applied per trial to the
//! p-values of a comparison's hypotheses (overall and per diagnostic label).
//!
//! - `bonferroni`: reject H_i when p_i <= alpha / m.
//! - `holm`: step-down; sorted p_(1) <= ... reject while p_(k) <= alpha / (m - k + 1).
//! - `hochberg`: step-up; reject H_(1..k) for the largest k with p_(k) <= alpha / (m - k + 1)
//!   (valid under positive dependence, as between an overall test and its subgroups).
//! - `fixed_sequence`: test in the listed order at full alpha, stop at the first non-rejection.
//!
//! Holm rejects a superset of Bonferroni, and Hochberg a superset of Holm, in every trial (tested).
//! Nothing is allocated: the caller lends the sorting and output buffers.

pub use crate::model::vocabulary::Procedure;

/// Sorts `order` (indices into `p`) by increasing p-value, ties by index (insertion sort: m is
/// small, and this allocates nothing).
fn sort_by_p(p: &[f64], order: &mut [usize]) {
    for (i, o) in order.iter_mut().enumerate() {
        *o = i;
    }
    for i in 1..order.len() {
        let mut j = i;
        while j > 0 && p[order[j - 1]].total_cmp(&p[order[j]]).is_gt() {
            order.swap(j - 1, j);
            j -= 1;
        }
    }
}

/// Which hypotheses `procedure` rejects at family-wise level `alpha`; `order` is scratch of the
/// same length as `p`, and `reject` receives the decisions.
pub fn reject(
    procedure: Procedure,
    p: &[f64],
    alpha: f64,
    order: &mut [usize],
    reject: &mut [bool],
) {
    let m = p.len();
    reject.fill(false);
    match procedure {
        Procedure::None => {
            for (r, &pi) in reject.iter_mut().zip(p) {
                *r = pi <= alpha;
            }
        }
        Procedure::Bonferroni => {
            for (r, &pi) in reject.iter_mut().zip(p) {
                *r = pi <= alpha / m as f64;
            }
        }
        Procedure::Holm => {
            sort_by_p(p, order);
            for (k, &i) in order.iter().enumerate() {
                if p[i] > alpha / (m - k) as f64 {
                    break;
                }
                reject[i] = true;
            }
        }
        Procedure::Hochberg => {
            sort_by_p(p, order);
            if let Some(k) = (0..m)
                .rev()
                .find(|&k| p[order[k]] <= alpha / (m - k) as f64)
            {
                for &i in &order[..=k] {
                    reject[i] = true;
                }
            }
        }
        Procedure::FixedSequence => {
            for (r, &pi) in reject.iter_mut().zip(p) {
                if pi > alpha {
                    break;
                }
                *r = true;
            }
        }
    }
}

/// Holm's procedure on a list of p-values (convenience for callers outside the trial loop).
pub fn holm(p: &[f64], alpha: f64) -> Vec<bool> {
    let mut order = vec![0; p.len()];
    let mut out = vec![false; p.len()];
    reject(Procedure::Holm, p, alpha, &mut order, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(procedure: Procedure, p: &[f64]) -> Vec<bool> {
        let mut order = vec![0; p.len()];
        let mut out = vec![false; p.len()];
        reject(procedure, p, 0.05, &mut order, &mut out);
        out
    }

    /// A p-value equal to its threshold rejects (p <= alpha, as R's p.adjust(...) <= alpha):
    /// 0.05 / 2 is exactly 0.025 in binary floating point.
    #[test]
    fn a_p_value_at_its_threshold_rejects() {
        let at = [0.025, 0.5];
        assert_eq!(run(Procedure::None, &[0.05, 0.5]), vec![true, false]);
        assert_eq!(run(Procedure::Bonferroni, &at), vec![true, false]);
        assert_eq!(run(Procedure::Holm, &at), vec![true, false]);
        assert_eq!(run(Procedure::Holm, &[0.025, 0.05]), vec![true, true]);
        assert_eq!(run(Procedure::Hochberg, &[0.05, 0.05]), vec![true, true]);
        assert_eq!(
            run(Procedure::FixedSequence, &[0.05, 0.05]),
            vec![true, true]
        );
    }

    #[test]
    fn procedures_on_textbook_examples() {
        // m = 3; Bonferroni threshold 0.0167; Holm 0.0167, 0.025, 0.05; Hochberg step-up.
        let p = [0.04, 0.01, 0.03];
        assert_eq!(run(Procedure::None, &p), vec![true, true, true]);
        assert_eq!(run(Procedure::Bonferroni, &p), vec![false, true, false]);
        assert_eq!(run(Procedure::Holm, &p), vec![false, true, false]); // 0.03 > 0.025 stops
        assert_eq!(run(Procedure::Hochberg, &p), vec![true, true, true]); // 0.04 <= 0.05
        assert_eq!(run(Procedure::FixedSequence, &p), vec![true, true, true]);
        let p = [0.06, 0.001, 0.002];
        assert_eq!(run(Procedure::FixedSequence, &p), vec![false, false, false]);
        assert_eq!(run(Procedure::Holm, &p), vec![false, true, true]);
        assert_eq!(run(Procedure::Hochberg, &p), vec![false, true, true]);
        // p.adjust(c(0.02, 0.03, 0.2), "holm") = 0.06 0.06 0.2; "hochberg" = 0.06 0.06 0.2.
        assert_eq!(
            run(Procedure::Holm, &[0.02, 0.03, 0.2]),
            vec![false, false, false]
        );
        assert_eq!(
            run(Procedure::Hochberg, &[0.02, 0.03, 0.2]),
            vec![false, false, false]
        );
        // p.adjust(c(0.02, 0.04, 0.045), "hochberg") = 0.045 0.045 0.045; "holm" = 0.06 0.08 0.08.
        assert_eq!(
            run(Procedure::Hochberg, &[0.02, 0.04, 0.045]),
            vec![true, true, true]
        );
        assert_eq!(
            run(Procedure::Holm, &[0.02, 0.04, 0.045]),
            vec![false, false, false]
        );
    }

    #[test]
    fn holm_helper_is_holm() {
        assert_eq!(holm(&[0.01, 0.04, 0.02], 0.05), vec![true, true, true]);
        assert_eq!(holm(&[0.01, 0.04, 0.026], 0.05), vec![true, false, false]);
    }
}
