//! adaptr 1.4.0's `reallocate_probs` (R/prob_funs.R), line for line: the new allocation
//! probabilities of the active arms from their probabilities of being best, softened by
//! `soften_power`, with fixed shares and min/max limits enforced by redistribution until they
//! all hold. (`rescale_probs` is not offered, so its factor is always 1.)

/// R's `.Machine$double.eps^0.5`: adaptr's tolerance on sums of probabilities.
const TOLERANCE: f64 = 1.490_116_119_384_765_6e-8;

fn rescale(v: &mut [f64]) {
    let s: f64 = v.iter().sum();
    v.iter_mut().for_each(|x| *x /= s);
}

/// New allocation probabilities of the active arms (each slice indexed like `probs_best`).
/// `match_arm`: the control, whose share is set to the best other arm's first.
pub fn reallocate(
    probs_best: &[f64],
    fixed: &[Option<f64>],
    min: &[Option<f64>],
    max: &[Option<f64>],
    soften_power: f64,
    match_arm: Option<usize>,
    out: &mut Vec<f64>,
) {
    let k = probs_best.len();
    let mut pb = probs_best.to_vec();
    if let Some(m) = match_arm
        && k > 1
    {
        pb[m] = (0..k)
            .filter(|&i| i != m)
            .map(|i| pb[i])
            .fold(f64::NEG_INFINITY, f64::max);
        if pb.iter().all(|&p| p == 0.0) {
            pb.iter_mut().for_each(|p| *p = 1.0);
        }
        rescale(&mut pb);
    }
    out.clear();
    if fixed.iter().chain(min).chain(max).all(Option::is_none) {
        out.extend(pb.iter().map(|p| p.powf(soften_power)));
        rescale(out);
        return;
    }
    if fixed.iter().all(Option::is_some) {
        out.extend(fixed.iter().map(|f| f.expect("all fixed")));
        rescale(out);
        return;
    }
    let mut fin: Vec<Option<f64>> = fixed.to_vec();
    let sum_known = |f: &[Option<f64>]| f.iter().flatten().sum::<f64>();
    let mut tmp = vec![0.0; k];
    // Each pass either ends or pins at least one more arm to a limit.
    for _ in 0..=k + 1 {
        if (sum_known(&fin) - 1.0).abs() <= TOLERANCE {
            break;
        }
        let total_remaining = 1.0 - sum_known(&fin);
        let remaining: Vec<bool> = fin.iter().map(Option::is_none).collect();
        let remaining_sum: f64 = (0..k).filter(|&i| remaining[i]).map(|i| pb[i]).sum();
        let count = remaining.iter().filter(|&&r| r).count() as f64;
        for i in 0..k {
            tmp[i] = if remaining[i] {
                total_remaining
                    * if remaining_sum > 0.0 {
                        pb[i] / remaining_sum
                    } else {
                        1.0 / count
                    }
            } else {
                fin[i].expect("not remaining")
            };
        }
        if soften_power < 1.0 {
            let softened: f64 = (0..k)
                .filter(|&i| remaining[i])
                .map(|i| tmp[i].powf(soften_power))
                .sum();
            for i in (0..k).filter(|&i| remaining[i]) {
                tmp[i] = total_remaining * tmp[i].powf(soften_power) / softened;
            }
        }
        for i in 0..k {
            if let Some(m) = min[i]
                && remaining[i]
                && tmp[i] < m
            {
                tmp[i] = m;
                fin[i] = Some(m);
            }
        }
        for i in 0..k {
            if let Some(m) = max[i]
                && remaining[i]
                && tmp[i] > m
            {
                tmp[i] = m;
                fin[i] = Some(m);
            }
        }
        if (tmp.iter().sum::<f64>() - 1.0).abs() <= TOLERANCE {
            fin.iter_mut().zip(&tmp).for_each(|(f, &t)| *f = Some(t));
        }
        if fin.iter().all(Option::is_some) && (sum_known(&fin) - 1.0).abs() > TOLERANCE {
            let s = sum_known(&fin);
            fin.iter_mut().for_each(|f| *f = f.map(|v| v / s));
        }
    }
    // adaptr returns NA (and R's `sample` then fails) for an arm left without a share when the
    // fixed and minimum shares already sum to 1; such an arm gets none.
    out.extend(fin.iter().map(|f| f.unwrap_or(0.0)));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(
        pb: &[f64],
        fixed: &[Option<f64>],
        min: &[Option<f64>],
        max: &[Option<f64>],
        soften: f64,
        m: Option<usize>,
    ) -> Vec<f64> {
        let mut out = Vec::new();
        reallocate(pb, fixed, min, max, soften, m, &mut out);
        out
    }

    /// Values from adaptr 1.4.0 (R 4.2.2):
    /// ```r
    /// f <- adaptr:::reallocate_probs
    /// f(c(A = 0.1, B = 0.6, C = 0.3), rep(NA, 3), rep(NA, 3), rep(NA, 3), soften_power = 0.5)
    /// f(c(A = 0.02, B = 0.9, C = 0.08), rep(NA, 3), rep(0.15, 3), rep(0.8, 3), soften_power = 0.5)
    /// f(c(A = 0.3, B = 0.6, C = 0.1), c(0.4142136, NA, NA), rep(NA, 3), rep(NA, 3), soften_power = 1)
    /// f(c(A = 0.3, B = 0.6, C = 0.1), rep(NA, 3), c(NA, 0.2, 0.2), c(NA, 0.8, 0.8),
    ///   soften_power = 0.7, match_arm = 1)
    /// f(c(A = 0.9, B = 0.05, C = 0.05), rep(NA, 3), rep(0.1, 3), rep(0.7, 3), soften_power = 0.7)
    /// f(c(A = 0, B = 0, C = 1), c(0.5, NA, NA), c(NA, 0.2, 0.2), c(NA, 0.3, 0.3), soften_power = 1)
    /// f(c(A = 0, B = 0, C = 0), rep(NA, 3), rep(0.1, 3), rep(0.9, 3), soften_power = 1)
    /// f(c(A = 0.5, B = 0.3, C = 0.15, D = 0.05), rep(NA, 4), rep(0.12, 4), rep(0.4, 4),
    ///   soften_power = 0.5)
    /// ```
    #[test]
    fn matches_adaptr() {
        let none = [None; 3];
        let cases: [(Vec<f64>, Vec<f64>); 4] = [
            (
                run(&[0.1, 0.6, 0.3], &none, &none, &none, 0.5, None),
                REF_SOFTENED.to_vec(),
            ),
            (
                run(
                    &[0.02, 0.9, 0.08],
                    &none,
                    &[Some(0.15); 3],
                    &[Some(0.8); 3],
                    0.5,
                    None,
                ),
                REF_LIMITS.to_vec(),
            ),
            (
                run(
                    &[0.3, 0.6, 0.1],
                    &[Some(0.414_213_6), None, None],
                    &none,
                    &none,
                    1.0,
                    None,
                ),
                REF_FIXED.to_vec(),
            ),
            (
                run(
                    &[0.3, 0.6, 0.1],
                    &none,
                    &[None, Some(0.2), Some(0.2)],
                    &[None, Some(0.8), Some(0.8)],
                    0.7,
                    Some(0),
                ),
                REF_MATCH.to_vec(),
            ),
        ];
        let limited = |pb: &[f64], lo: f64, hi: f64, soften: f64| {
            let k = pb.len();
            run(
                pb,
                &vec![None; k],
                &vec![Some(lo); k],
                &vec![Some(hi); k],
                soften,
                None,
            )
        };
        let more: [(Vec<f64>, Vec<f64>); 4] = [
            (
                limited(&[0.9, 0.05, 0.05], 0.1, 0.7, 0.7),
                vec![0.7, 0.15, 0.15],
            ),
            (
                run(
                    &[0.0, 0.0, 1.0],
                    &[Some(0.5), None, None],
                    &[None, Some(0.2), Some(0.2)],
                    &[None, Some(0.3), Some(0.3)],
                    1.0,
                    None,
                ),
                vec![0.5, 0.2, 0.3],
            ),
            (limited(&[0.0, 0.0, 0.0], 0.1, 0.9, 1.0), vec![1.0 / 3.0; 3]),
            (
                limited(&[0.5, 0.3, 0.15, 0.05], 0.12, 0.4, 0.5),
                vec![
                    0.378_931_539_585_450_2,
                    0.293_519_108_433_437,
                    0.207_549_351_981_112_85,
                    0.12,
                ],
            ),
        ];
        for (got, want) in cases.into_iter().chain(more) {
            assert_eq!(got.len(), want.len(), "{got:?}");
            for (g, w) in got.iter().zip(&want) {
                assert!((g - w).abs() < 1e-12, "{got:?} vs {want:?}");
            }
        }
    }

    const REF_SOFTENED: [f64; 3] = [
        0.192_992_796_308_822_8,
        0.472_733_874_989_504_75,
        0.334_273_328_701_672_4,
    ];
    const REF_LIMITS: [f64; 3] = [0.15, 0.654_781_788_164_660_4, 0.195_218_211_835_339_7];
    const REF_FIXED: [f64; 3] = [
        0.414_213_6,
        0.502_102_628_571_428_5,
        0.083_683_771_428_571_43,
    ];
    const REF_MATCH: [f64; 3] = [0.4, 0.4, 0.2];
}
