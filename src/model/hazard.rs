//! Mortality over time as a piecewise-constant hazard: the model of a time-to-event endpoint's
//! control arm, given as cumulative mortality at a few days (`{ 7 = 0.25, 28 = 0.55 }`). One
//! point gives an exponential; several give the piecewise-exponential hazard through them,
//! constant after the last. A treatment's hazard ratio scales the hazard (proportional hazards
//! within an endotype), so survival becomes S(t)^HR.

/// A piecewise-constant hazard per day.
#[derive(Debug, Clone, PartialEq)]
pub struct PiecewiseHazard {
    /// Right ends of the pieces (days), increasing; the last piece continues beyond its end.
    ends: Vec<f64>,
    /// Hazard per day on each piece.
    rates: Vec<f64>,
}

impl PiecewiseHazard {
    /// The hazard through cumulative mortality `points` (day, probability of death by that
    /// day): days increasing and positive, probabilities increasing in (0, 1).
    pub fn through(points: &[(f64, f64)]) -> Result<PiecewiseHazard, String> {
        if points.is_empty() {
            return Err("expected at least one (day, cumulative mortality) point".into());
        }
        let mut ends = Vec::with_capacity(points.len());
        let mut rates = Vec::with_capacity(points.len());
        let (mut day, mut cumulative_hazard) = (0.0, 0.0);
        for &(t, f) in points {
            if !(t.is_finite() && t > day) {
                return Err(format!(
                    "expected days increasing from above 0, found {t} after {day}"
                ));
            }
            if !(f > 0.0 && f < 1.0) {
                return Err(format!(
                    "expected a mortality in (0, 1) at day {t}, found {f}"
                ));
            }
            let h = -(1.0 - f).ln();
            if h <= cumulative_hazard {
                return Err(format!(
                    "expected cumulative mortality increasing over time, found {f} at day {t}"
                ));
            }
            rates.push((h - cumulative_hazard) / (t - day));
            ends.push(t);
            day = t;
            cumulative_hazard = h;
        }
        Ok(PiecewiseHazard { ends, rates })
    }

    /// Cumulative hazard H(t) at `t` days (t >= 0).
    pub fn cumulative(&self, t: f64) -> f64 {
        let mut h = 0.0;
        let mut start = 0.0;
        for (i, (&end, &rate)) in self.ends.iter().zip(&self.rates).enumerate() {
            let last = i + 1 == self.ends.len();
            let upto = if last { t } else { t.min(end) };
            if upto > start {
                h += rate * (upto - start);
            }
            if t <= end {
                break;
            }
            start = end;
        }
        h
    }

    /// The day of the last mortality point (the hazard is constant after it).
    pub fn last_day(&self) -> f64 {
        *self.ends.last().expect("at least one point")
    }

    /// The hazard when it is one constant (exponential survival).
    pub fn constant(&self) -> Option<f64> {
        match self.rates[..] {
            [rate] => Some(rate),
            _ => None,
        }
    }

    /// The time at which the cumulative hazard reaches `h` (the inverse of `cumulative`): a
    /// death time is `inverse(E / HR)` for a standard exponential E.
    pub fn inverse(&self, h: f64) -> f64 {
        let (mut start, mut below) = (0.0, 0.0);
        for (i, (&end, &rate)) in self.ends.iter().zip(&self.rates).enumerate() {
            let piece = rate * (end - start);
            if i + 1 == self.ends.len() || below + piece >= h {
                return start + (h - below) / rate;
            }
            below += piece;
            start = end;
        }
        unreachable!("at least one piece")
    }

    /// For a patient at risk at `from` with this hazard times `ratio` and a competing constant
    /// `censoring` hazard: the probabilities of dying, and of being censored first, before
    /// `to`. Exact over the constant pieces between the two times.
    pub fn competing(&self, ratio: f64, censoring: f64, from: f64, to: f64) -> (f64, f64) {
        let (mut death, mut censored, mut alive) = (0.0, 0.0, 1.0);
        let mut t = from;
        for (i, (&end, &rate)) in self.ends.iter().zip(&self.rates).enumerate() {
            let last = i + 1 == self.ends.len();
            if end <= t && !last {
                continue;
            }
            let upto = if last { to } else { end.min(to) };
            let (h, width) = (rate * ratio, upto - t);
            let total = h + censoring;
            if width > 0.0 && total > 0.0 {
                // Leaves the risk set during the piece with probability 1 - exp(-total width),
                // by death with probability h / total.
                let gone = -(-total * width).exp_m1();
                death += alive * gone * h / total;
                censored += alive * gone * censoring / total;
                alive *= 1.0 - gone;
            }
            t = upto;
            if t >= to {
                break;
            }
        }
        (death, censored)
    }

    /// The days at which the hazard changes (the last piece's end too, beyond which it goes on).
    pub fn ends(&self) -> impl Iterator<Item = f64> + '_ {
        self.ends.iter().copied()
    }

    /// Probability of surviving beyond `t` days.
    pub fn survival(&self, t: f64) -> f64 {
        (-self.cumulative(t)).exp()
    }

    /// The hazard multiplied by `ratio` (a treatment's hazard ratio).
    pub fn scaled(&self, ratio: f64) -> PiecewiseHazard {
        PiecewiseHazard {
            ends: self.ends.clone(),
            rates: self.rates.iter().map(|r| r * ratio).collect(),
        }
    }

    /// Probability of dying during day `day` (from `day - 1` to `day`, days counted from 1)
    /// for a patient alive at its start.
    pub fn daily_death(&self, day: u32) -> f64 {
        let d = f64::from(day);
        -(-(self.cumulative(d) - self.cumulative(d - 1.0))).exp_m1()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hazard_passes_through_the_points_and_stays_constant_after() {
        let h = PiecewiseHazard::through(&[(7.0, 0.25), (28.0, 0.55), (90.0, 0.62)]).unwrap();
        for (t, f) in [(7.0, 0.25), (28.0, 0.55), (90.0, 0.62)] {
            assert!((1.0 - h.survival(t) - f).abs() < 1e-14, "day {t}");
        }
        // Within the first piece: exponential with rate -ln(0.75) / 7.
        let rate = -(0.75f64).ln() / 7.0;
        assert!((h.cumulative(3.5) - rate * 3.5).abs() < 1e-14);
        // Beyond the last point: the last piece's rate, ln(0.45 / 0.38) / 62 per day.
        let last = (0.45f64 / 0.38).ln() / 62.0;
        assert!((h.cumulative(100.0) - h.cumulative(90.0) - 10.0 * last).abs() < 1e-14);
        assert_eq!(h.cumulative(0.0), 0.0);
    }

    #[test]
    fn one_point_is_exponential_and_a_hazard_ratio_powers_survival() {
        let h = PiecewiseHazard::through(&[(28.0, 0.4)]).unwrap();
        let rate = -(0.6f64).ln() / 28.0;
        assert!((h.survival(10.0) - (-rate * 10.0).exp()).abs() < 1e-15);
        let treated = h.scaled(0.6);
        for t in [1.0, 14.0, 28.0, 60.0] {
            assert!((treated.survival(t) - h.survival(t).powf(0.6)).abs() < 1e-14);
        }
        // Daily probabilities multiply to the survival at the day.
        let alive: f64 = (1..=28).map(|d| 1.0 - h.daily_death(d)).product();
        assert!((alive - 0.6).abs() < 1e-13);
    }

    #[test]
    fn the_inverse_undoes_the_cumulative_hazard() {
        let h = PiecewiseHazard::through(&[(7.0, 0.25), (28.0, 0.55), (90.0, 0.62)]).unwrap();
        for t in [0.0, 0.5, 6.999, 7.0, 7.001, 27.0, 28.0, 60.0, 90.0, 400.0] {
            let back = h.inverse(h.cumulative(t));
            assert!((back - t).abs() < 1e-9 * (1.0 + t), "{t}: {back}");
        }
        assert_eq!(h.last_day(), 90.0);
    }

    /// Competing death and censoring within an interval, against a fine numerical integral of
    /// h(t) S(t) G(t) (death first) and g G(t) S(t) (censoring first).
    #[test]
    fn competing_risks_match_the_integral() {
        let h = PiecewiseHazard::through(&[(7.0, 0.25), (28.0, 0.55)]).unwrap();
        let (ratio, g) = (0.6, 0.01);
        for (from, to) in [(0.0, 1.0), (6.5, 7.5), (3.0, 40.0), (27.0, 28.0)] {
            let (d, c) = h.competing(ratio, g, from, to);
            // Bins of 1/20000 day: the kinks (days 7 and 28) fall on bin edges.
            let steps = ((to - from) * 20_000.0).round() as u32;
            let dt = (to - from) / f64::from(steps);
            let (mut di, mut ci) = (0.0, 0.0);
            let start = ratio * h.cumulative(from);
            for i in 0..steps {
                let t = from + (f64::from(i) + 0.5) * dt;
                let rate = ratio * (h.cumulative(t + 1e-7) - h.cumulative(t - 1e-7)) / 2e-7;
                let alive = (-(ratio * h.cumulative(t) - start) - g * (t - from)).exp();
                di += rate * alive * dt;
                ci += g * alive * dt;
            }
            assert!((d - di).abs() < 1e-7, "{from}-{to}: death {d} vs {di}");
            assert!((c - ci).abs() < 1e-7, "{from}-{to}: censored {c} vs {ci}");
        }
        // Without censoring: one minus the survival ratio.
        let (d, c) = h.competing(1.0, 0.0, 2.0, 9.0);
        assert!((d - (1.0 - h.survival(9.0) / h.survival(2.0))).abs() < 1e-15);
        assert_eq!(c, 0.0);
    }

    #[test]
    fn bad_points_are_refused() {
        for points in [
            &[][..],
            &[(0.0, 0.2)][..],
            &[(7.0, 1.0)][..],
            &[(7.0, 0.3), (5.0, 0.4)][..],
            &[(7.0, 0.3), (28.0, 0.3)][..],
            &[(7.0, f64::NAN)][..],
        ] {
            assert!(PiecewiseHazard::through(points).is_err(), "{points:?}");
        }
        // A mortality of 0 is refused as out of range, not as failing to increase.
        let err = PiecewiseHazard::through(&[(7.0, 0.0)]).unwrap_err();
        assert!(err.contains("mortality in (0, 1)"), "{err}");
    }
}
