//! Randomisation times with a piecewise-constant intensity (rpact's `accrualTime` with
//! `accrualIntensity`): accrual runs from day 0 to `enrollment.accrual_days`, faster in some
//! periods than in others (`enrollment.accrual_intensity = { 0 = 10, 180 = 25 }`: from day 180
//! on, 2.5 times as fast). The N patients' randomisation times are N independent draws from the
//! density proportional to the intensity, sorted: the piecewise form of uniform accrual.

/// The law of one randomisation time: a piecewise-uniform density on [0, end].
#[derive(Debug, Clone, PartialEq)]
pub struct AccrualShape {
    /// Day each piece starts: 0 first, increasing, each below `end`.
    starts: Vec<f64>,
    /// The last day of accrual.
    end: f64,
    /// Density (a day) on each piece: the intensity over its integral.
    density: Vec<f64>,
    /// The distribution function at each piece's start (0 first).
    below: Vec<f64>,
}

impl AccrualShape {
    /// The shape of accrual over [0, `end`] with relative intensity `pieces` (start day,
    /// intensity): days from 0 increasing below `end`, intensities >= 0 and not all 0.
    pub fn new(pieces: &[(f64, f64)], end: f64) -> Result<AccrualShape, String> {
        match pieces.first() {
            Some(&(0.0, _)) => {}
            Some(&(day, _)) => {
                return Err(format!(
                    "expected the first piece to start at day 0 (accrual starts then), found {day}"
                ));
            }
            None => return Err("expected at least one piece, e.g. { 0 = 10, 180 = 25 }".into()),
        }
        let mut mass = Vec::with_capacity(pieces.len());
        for (i, &(day, intensity)) in pieces.iter().enumerate() {
            let until = pieces.get(i + 1).map_or(end, |p| p.0);
            if !(day.is_finite() && until > day) {
                return Err(format!(
                    "expected days increasing and below accrual_days ({end}), found {day} then {until}"
                ));
            }
            if !(intensity.is_finite() && intensity >= 0.0) {
                return Err(format!(
                    "expected an intensity >= 0 from day {day}, found {intensity}"
                ));
            }
            mass.push(intensity * (until - day));
        }
        let total: f64 = mass.iter().sum();
        if !(total > 0.0 && total.is_finite()) {
            return Err("expected at least one piece with an intensity above 0".into());
        }
        let starts: Vec<f64> = pieces.iter().map(|p| p.0).collect();
        let density = pieces.iter().map(|p| p.1 / total).collect();
        let below = mass
            .iter()
            .scan(0.0, |sum, m| {
                let at = *sum;
                *sum += m / total;
                Some(at)
            })
            .collect();
        Ok(AccrualShape {
            starts,
            end,
            density,
            below,
        })
    }

    /// The last day of accrual.
    pub fn end(&self) -> f64 {
        self.end
    }

    /// The days where the density changes (the starts of the pieces after the first).
    pub fn breaks(&self) -> &[f64] {
        &self.starts[1..]
    }

    /// The piece of day `t` in [0, end].
    fn piece(&self, t: f64) -> usize {
        self.starts.partition_point(|&s| s <= t).max(1) - 1
    }

    /// Density of a randomisation time at day `t` (0 outside [0, end]).
    pub fn density(&self, t: f64) -> f64 {
        if !(0.0..=self.end).contains(&t) {
            return 0.0;
        }
        self.density[self.piece(t)]
    }

    /// Probability that a patient is randomised by day `t`.
    pub fn cdf(&self, t: f64) -> f64 {
        if t <= 0.0 {
            return 0.0;
        }
        if t >= self.end {
            return 1.0;
        }
        let i = self.piece(t);
        (self.below[i] + self.density[i] * (t - self.starts[i])).min(1.0)
    }

    /// The first day by which a fraction `u` in [0, 1] of patients is randomised
    /// (inf { t : cdf(t) >= u }): non-decreasing in `u`, within [0, end].
    pub fn quantile(&self, u: f64) -> f64 {
        // The last piece starting below u: a piece without intensity never is (its successor
        // starts at the same fraction), except a first one at u = 0.
        let i = self.below.partition_point(|&b| b < u).max(1) - 1;
        if self.density[i] == 0.0 {
            return self.starts[i];
        }
        let until = self.starts.get(i + 1).copied().unwrap_or(self.end);
        (self.starts[i] + (u - self.below[i]) / self.density[i]).clamp(self.starts[i], until)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape() -> AccrualShape {
        // 10 a day on [0, 100), nothing on [100, 150), 30 a day on [150, 200]: mass 1000 + 1500.
        AccrualShape::new(&[(0.0, 10.0), (100.0, 0.0), (150.0, 30.0)], 200.0).unwrap()
    }

    #[test]
    fn distribution_function_and_quantile_by_hand() {
        let s = shape();
        assert_eq!(s.cdf(0.0), 0.0);
        assert!((s.cdf(50.0) - 500.0 / 2500.0).abs() < 1e-15);
        assert!((s.cdf(100.0) - 0.4).abs() < 1e-15);
        assert!((s.cdf(120.0) - 0.4).abs() < 1e-15);
        assert!((s.cdf(175.0) - 0.7).abs() < 1e-15);
        assert_eq!(s.cdf(200.0), 1.0);
        assert_eq!(s.cdf(1e9), 1.0);
        assert!((s.density(50.0) - 10.0 / 2500.0).abs() < 1e-18);
        assert_eq!(s.density(120.0), 0.0);
        assert!((s.density(160.0) - 30.0 / 2500.0).abs() < 1e-18);
        assert_eq!(s.density(-1.0), 0.0);
        assert_eq!(s.density(201.0), 0.0);
        assert!((s.quantile(0.2) - 50.0).abs() < 1e-12);
        // The fraction 0.4 is reached on day 100; the pause holds no quantile.
        assert!((s.quantile(0.4) - 100.0).abs() < 1e-12);
        assert!((s.quantile(0.7) - 175.0).abs() < 1e-12);
        assert_eq!(s.quantile(1.0), 200.0);
        assert_eq!(s.quantile(0.0), 0.0);
        assert_eq!(s.breaks(), &[100.0, 150.0]);
        assert_eq!(s.end(), 200.0);
    }

    #[test]
    fn quantile_inverts_the_distribution_function_and_never_decreases() {
        let s = shape();
        let mut last = 0.0;
        for k in 0..=10_000 {
            let u = f64::from(k) / 10_000.0;
            let t = s.quantile(u);
            assert!(t >= last, "{u}: {t} < {last}");
            assert!((s.cdf(t) - u).abs() < 1e-12, "{u}: cdf({t}) = {}", s.cdf(t));
            last = t;
        }
    }

    #[test]
    fn bad_pieces_are_refused() {
        for (pieces, end) in [
            (vec![], 10.0),
            (vec![(1.0, 1.0)], 10.0),
            (vec![(0.0, 1.0), (10.0, 1.0)], 10.0),
            (vec![(0.0, 1.0), (5.0, 1.0), (5.0, 1.0)], 10.0),
            (vec![(0.0, -1.0)], 10.0),
            (vec![(0.0, f64::NAN)], 10.0),
            (vec![(0.0, 0.0), (5.0, 0.0)], 10.0),
        ] {
            assert!(AccrualShape::new(&pieces, end).is_err(), "{pieces:?}");
        }
    }
}
