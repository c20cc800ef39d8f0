//! The continuous endpoint against R: power against `power.t.test` and R's own simulations of
//! `t.test` and `lm` (reference values beside the R code that made them, so that no R is
//! needed here), the mean difference's bias and coverage, the dichotomised analysis against the
//! binary engine on the implied responder risks, and bad input refused by name.

use crate::common::{MC_SE, assert_mc, assert_refused, design, run};

/// A two-arm continuous scenario: one or two endotypes (labels), normal outcomes.
struct Continuous<'a> {
    test: &'a str,
    n: u64,
    replicates: u64,
    seed: u64,
    /// (prevalence, control mean, sd) per endotype; the drug shifts every endotype's mean.
    endotypes: &'a [(f64, f64, f64)],
    /// The drug's mean difference per endotype (the last one repeated for the rest).
    shifts: &'a [f64],
    extra_endpoint: &'a str,
    dropout: f64,
}

impl Continuous<'_> {
    fn toml(&self) -> String {
        let mut t = format!(
            "name = \"c\"\n[simulation]\nreplicates = {}\nseed = {}\n",
            self.replicates, self.seed
        );
        let names = ["a", "b", "c"];
        for (i, (p, m, sd)) in self.endotypes.iter().enumerate() {
            t += &format!(
                "[[endotype]]\nname = \"{}\"\nprevalence = {p}\ncontrol_mean = {m}\nsd = {sd}\n",
                names[i]
            );
        }
        let by: Vec<String> = (0..self.endotypes.len())
            .map(|i| {
                let shift = self.shifts[i.min(self.shifts.len() - 1)];
                format!("{} = {shift}", names[i])
            })
            .collect();
        t += &format!(
            "[enrollment]\nsample_size = {}\ndropout = {}\n[endpoint]\nkind = \"continuous\"\noutcome = \"SOFA change\"\nbetter = \"lower\"\n{}\n\
             [[treatment]]\nname = \"drug\"\neffect = \"mean_difference\"\nby_endotype = {{ {} }}\n\
             [[arm]]\nname = \"control\"\nratio = 1\n[[arm]]\nname = \"drug\"\nratio = 1\ntreatment = \"drug\"\n\
             [analysis]\ncontrol = \"control\"\ntest = \"{}\"\nalpha = 0.05\n",
            self.n,
            self.dropout,
            self.extra_endpoint,
            by.join(", "),
            self.test
        );
        t
    }
}

impl Default for Continuous<'_> {
    fn default() -> Self {
        Continuous {
            test: "t_test",
            n: 60,
            replicates: 200_000,
            seed: 7,
            endotypes: &[(1.0, 0.0, 2.0)],
            shifts: &[-1.0],
            extra_endpoint: "",
            dropout: 0.0,
        }
    }
}

fn se(p: f64, n: u64) -> f64 {
    (p * (1.0 - p) / n as f64).sqrt()
}

/// One endotype, 30 per arm, a difference of 1 SD/2: the simulated power of the pooled t test
/// is `power.t.test`'s, and the analytic column is it to 1e-10; the estimate is unbiased and
/// its t interval covers 95% (both exact for normal data).
#[test]
fn pooled_t_test_power_bias_and_coverage_match_power_t_test() {
    // power.t.test(n = 30, delta = 1, sd = 2, sig.level = 0.05, strict = TRUE)$power (R 4.2.2)
    let reference = 0.477_896_520_760_208_6;
    for extra in ["", "responder_below = -1.0"] {
        let s = Continuous {
            extra_endpoint: extra,
            ..Continuous::default()
        };
        let rows = run(&design(&s.toml()));
        let r = &rows[0];
        assert!(
            (r.analytic_power - reference).abs() < 1e-10,
            "{}",
            r.analytic_power
        );
        assert_mc(&format!("power {extra}"), r.power, reference, r.power_se);
        let c = r.continuous().expect("a continuous row");
        assert_eq!(c.true_difference, -1.0);
        assert_mc("bias", c.bias, 0.0, c.bias_se);
        assert_mc("coverage", c.coverage, 0.95, se(0.95, c.estimable));
        assert_mc(
            "mean control",
            c.mean_observed_control,
            0.0,
            2.0 / (30.0 * 200_000.0f64).sqrt(),
        );
    }
}

/// Welch's test where the arms' variances differ: two endotypes (50/50, mean 0, SD 2) and a
/// drug that lowers only endotype a's mean by 3, so the drug arm's outcome is a wider mixture.
/// Reference: R's simulation of the same law with `t.test(var.equal = FALSE)`:
///
/// ```r
/// set.seed(3); R <- 200000; arm <- rep(c(0, 1), each = 30)
/// rej <- replicate(R, { a <- rbinom(60, 1, 0.5)
///   y <- rnorm(60, ifelse(arm == 1 & a == 1, -3, 0), 2)
///   t.test(y[arm == 1], y[arm == 0])$p.value <= 0.05 })   # 0.712785, SE 0.0010117
/// ```
#[test]
fn welch_power_matches_t_test_on_unequal_variances() {
    let s = Continuous {
        test: "welch",
        endotypes: &[(0.5, 0.0, 2.0), (0.5, 0.0, 2.0)],
        shifts: &[-3.0, 0.0],
        ..Continuous::default()
    };
    let r = &run(&design(&s.toml()))[0];
    let se = (r.power_se.powi(2) + 0.0010117374752745892f64.powi(2)).sqrt();
    assert_mc("welch power", r.power, 0.712785, se);
    let c = r.continuous().unwrap();
    assert!(
        c.true_sd_arm > c.true_sd_control,
        "{} vs {}",
        c.true_sd_arm,
        c.true_sd_control
    );
    assert_mc("welch bias", c.bias, 0.0, c.bias_se);
}

/// The Wilcoxon test on the patients' values (kept per trial), 30 per arm, against R's
/// simulation of the rank statistic on the same designs (one endotype, a difference of -1 with
/// SD 2; two endotypes half and half, means 0 and 1, SDs 2 and 1, the drug shifting the first
/// by -1), and its analytic column against Noether's formula with P(X > Y) exact:
///
/// ```r
/// set.seed(5)   # R 4.2.2; per trial: 30 + 30 patients, endotype ~ Bernoulli(p), normal outcomes
/// # W <- sum(rank(c(x, y))[1:30]) - 30 * 31 / 2; z <- (W - 450) / sqrt(900 * 61 / 12)
/// # (the wilcox.test(x, y, exact = FALSE, correct = FALSE) z without ties)
/// # rejections |z| > qnorm(0.975) in 200,000 trials: one endotype 0.457475, mixture 0.152660
/// pw <- function(p, n1, n0) { d <- (p - .5) * sqrt(12 * n1 * n0 / (n1 + n0 + 1))
///   z <- qnorm(.975); pnorm(d - z) + pnorm(-d - z) }
/// pw(pnorm(-1 / sqrt(8)), 30, 30)                           # 0.451693851812
/// # mixture: p = sum over endotype pairs of 1/4 pnorm((m1[i] - m0[j]) / sqrt(s[i]^2 + s[j]^2))
/// # with m1 = c(-1, 1), m0 = c(0, 1), s = c(2, 1): pw(p, 30, 30) = 0.153746909564
/// ```
#[test]
fn wilcoxon_power_matches_r_on_values_and_noether_analytically() {
    for (endotypes, shifts, r_power, noether) in [
        (
            &[(1.0, 0.0, 2.0)][..],
            &[-1.0][..],
            0.457475,
            0.451693851812,
        ),
        (
            &[(0.5, 0.0, 2.0), (0.5, 1.0, 1.0)][..],
            &[-1.0, 0.0][..],
            0.152660,
            0.153746909564,
        ),
    ] {
        let d = design(
            &Continuous {
                test: "wilcoxon",
                endotypes,
                shifts,
                replicates: 100_000,
                ..Continuous::default()
            }
            .toml(),
        );
        let r = &run(&d)[0];
        let both = (r.power_se.powi(2) + se(r_power, 200_000).powi(2)).sqrt();
        assert_mc("wilcoxon power", r.power, r_power, both);
        assert!(
            (r.analytic_power - noether).abs() < 1e-9,
            "{} vs {noether}",
            r.analytic_power
        );
        // The estimate is the pooled t test's mean difference.
        let c = r.continuous().unwrap();
        assert_mc("wilcoxon's estimate", c.bias, 0.0, c.bias_se);
    }
}

/// Two labels with different control means (0 and 3, SD 2), a common effect -1, 40 per arm:
/// the label-adjusted model's power and the pooled t test's, against R's simulation of the same
/// design (labels drawn per patient, 40 per arm):
///
/// ```r
/// set.seed(2); R <- 30000; arm <- factor(rep(c(0, 1), each = 40))
/// rej <- replicate(R, { lab <- factor(rbinom(80, 1, 0.5), levels = c(0, 1))
///   y <- rnorm(80, ifelse(lab == 1, 3, 0) + ifelse(arm == 1, -1, 0), 2)
///   summary(lm(y ~ arm + lab))$coefficients["arm1", 4] <= 0.05 })   # 0.59120, SE 0.00284
/// # the same with t.test(y[arm == 1], y[arm == 0], var.equal = TRUE): 0.42563, SE 0.00285
/// ```
#[test]
fn label_adjusted_and_pooled_power_match_lm_and_t_test_on_a_mixture() {
    for (test, reference, r_se) in [
        ("ancova_labels", 0.59120, 0.0028383243883202173),
        ("t_test", 0.425_633_333_333_333_3, 0.002854642995127347),
    ] {
        let s = Continuous {
            test,
            n: 80,
            replicates: 100_000,
            endotypes: &[(0.5, 0.0, 2.0), (0.5, 3.0, 2.0)],
            ..Continuous::default()
        };
        let r = &run(&design(&s.toml()))[0];
        let se = (r.power_se.powi(2) + r_se * r_se).sqrt();
        assert_mc(test, r.power, reference, se);
        let c = r.continuous().unwrap();
        assert_mc(&format!("{test} bias"), c.bias, 0.0, c.bias_se);
    }
}

/// The dichotomised analysis' power is the binary engine's on the implied responder risks
/// (P(outcome <= threshold) per endotype and arm), in trials of the same design: the same law.
#[test]
fn dichotomised_power_is_the_binary_power_on_the_implied_risks() {
    let s = Continuous {
        n: 200,
        replicates: 100_000,
        endotypes: &[(0.3, 1.5, 3.0), (0.7, 0.5, 2.5)],
        shifts: &[-1.2],
        extra_endpoint: "responder_below = -1.4",
        dropout: 0.05,
        ..Continuous::default()
    };
    let row = &run(&design(&s.toml()))[0];
    let c = row.continuous().unwrap();
    // pnorm((-1.4 - mean) / sd) per endotype, computed here with statrs' normal (an
    // independent reading of the same definition).
    let phi = |x: f64| 0.5 * statrs::function::erf::erfc(-x / std::f64::consts::SQRT_2);
    let risk = |mean: f64, sd: f64| phi((-1.4 - mean) / sd);
    let binary = format!(
        "name = \"b\"\n[simulation]\nreplicates = 100000\nseed = 99\n\
         [[endotype]]\nname = \"a\"\nprevalence = 0.3\ncontrol_risk = {}\n\
         [[endotype]]\nname = \"b\"\nprevalence = 0.7\ncontrol_risk = {}\n\
         [enrollment]\nsample_size = 200\ndropout = 0.05\n[endpoint]\nevent = \"response\"\nbetter = \"higher\"\n\
         [[treatment]]\nname = \"drug\"\neffect = \"risk\"\nby_endotype = {{ a = {}, b = {} }}\n\
         [[arm]]\nname = \"control\"\nratio = 1\n[[arm]]\nname = \"drug\"\nratio = 1\ntreatment = \"drug\"\n\
         [analysis]\ncontrol = \"control\"\ntest = \"chi_square\"\nalpha = 0.05\n",
        risk(1.5, 3.0),
        risk(0.5, 2.5),
        risk(0.3, 3.0),
        risk(-0.7, 2.5),
    );
    let b = &run(&design(&binary))[0];
    let (risk_c, risk_a) = b.true_risks();
    assert!((c.true_responders_control - risk_c).abs() < 1e-12);
    assert!((c.true_responders_arm - risk_a).abs() < 1e-12);
    let se = (c.responder_power_se.powi(2) + b.power_se.powi(2)).sqrt();
    assert_mc("dichotomised vs binary", c.responder_power, b.power, se);
    // Dichotomising costs power here: the continuous test's is higher.
    assert!(
        row.power > c.responder_power + MC_SE * se,
        "{} vs {}",
        row.power,
        c.responder_power
    );
}

/// Drawing each patient (with a responder threshold) and drawing each cell's sufficient
/// statistics (without) give the same law of the t test: both powers are power.t.test's, and
/// their estimates agree within MC error of each other (asserted in
/// `pooled_t_test_power_bias_and_coverage_match_power_t_test`); with dropout the analytic
/// power uses the expected evaluable patients.
#[test]
fn dropout_reduces_the_evaluable_patients_and_the_power() {
    let s = Continuous {
        dropout: 0.2,
        replicates: 100_000,
        ..Continuous::default()
    };
    let r = &run(&design(&s.toml()))[0];
    let c = r.continuous().unwrap();
    assert_mc(
        "evaluable",
        c.mean_evaluable_arm,
        24.0,
        (30.0f64 * 0.2 * 0.8 / 100_000.0).sqrt(),
    );
    // power.t.test(n = 24, delta = 1, sd = 2, strict = TRUE)$power (R 4.2.2); the simulated N
    // per arm varies (binomial dropout), so the simulated power differs a little.
    assert!(
        (r.analytic_power - 0.395_990_434_731_281_6).abs() < 1e-10,
        "{}",
        r.analytic_power
    );
    assert!(
        (r.power - r.analytic_power).abs() < 0.01,
        "{} vs {}",
        r.power,
        r.analytic_power
    );
}

/// Bad continuous input: exit 2, the key named, nothing written.
#[test]
fn bad_continuous_input_is_refused_by_key() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results");
    let good = Continuous::default().toml();
    for (what, from, to, key) in [
        ("sd 0", "sd = 2", "sd = 0", "endotype.a.sd"),
        ("sd negative", "sd = 2", "sd = -1", "endotype.a.sd"),
        ("no sd", "sd = 2\n", "", "endotype[0].sd"),
        (
            "no control mean",
            "control_mean = 0\n",
            "",
            "endotype[0].control_mean",
        ),
        (
            "binary test",
            "test = \"t_test\"",
            "test = \"chi_square\"",
            "analysis.test",
        ),
        (
            "binary key",
            "control_mean = 0",
            "control_mean = 0\ncontrol_risk = 0.2",
            "endotype.a.control_risk",
        ),
        (
            "event",
            "outcome = ",
            "event = \"death\"\noutcome = ",
            "endpoint.event",
        ),
        (
            "no outcome",
            "outcome = \"SOFA change\"\n",
            "",
            "endpoint.outcome",
        ),
        (
            "risk effect",
            "effect = \"mean_difference\"",
            "effect = \"risk_ratio\"",
            "treatment.drug.effect",
        ),
        (
            "responder",
            "better = \"lower\"",
            "better = \"lower\"\nresponder_below = nan",
            "endpoint.responder_below",
        ),
        (
            "interim enrichment",
            "[analysis]",
            "[adaptation]\nat_look = 1\nselection = \"all\"\n[analysis]",
            "adaptation",
        ),
    ] {
        assert!(good.contains(from), "{what}");
        assert_refused(dir.path(), &results, &good.replacen(from, to, 1), what, key);
    }
    // A continuous key with a binary endpoint.
    let binary = include_str!("../scenarios/immunosep.toml");
    assert_refused(
        dir.path(),
        &results,
        &binary.replacen("control_risk = 0.174", "control_risk = 0.174\nsd = 3", 1),
        "sd on a binary endpoint",
        "endotype.mals.sd",
    );
}

/// Two looks (half and all of 200 patients), O'Brien-Fleming alpha spending, one-sided 0.025,
/// a difference of 0.7 with SD 2: rejection per look against rpact's simulation of the t test
/// on the normal scale, and the analytic power against rpact's normal approximation.
///
/// ```r
/// library(rpact)  # 4.3.0
/// d <- getDesignGroupSequential(kMax = 2, alpha = 0.025, sided = 1, typeOfDesign = "asOF",
///                               informationRates = c(0.5, 1))
/// s <- getSimulationMeans(d, groups = 2, plannedSubjects = c(100, 200), alternative = 0.7,
///        stDev = 2, normalApproximation = FALSE, maxNumberOfIterations = 200000, seed = 12)
/// s$rejectPerStage          # 0.106225 0.587960; s$overallReject 0.694185
/// s$expectedNumberOfSubjects  # 189.3775
/// # alternative = 0, seed = 13: rejectPerStage 0.001405 0.024305, overallReject 0.02571
/// getPowerMeans(d, groups = 2, maxNumberOfSubjects = 200, alternative = 0.7, stDev = 2,
///               normalApproximation = TRUE)$overallReject   # 0.694968309288816
/// ```
#[test]
fn sequential_continuous_design_matches_rpact() {
    let base = Continuous {
        n: 200,
        replicates: 200_000,
        shifts: &[0.7],
        ..Continuous::default()
    }
    .toml()
    .replace("better = \"lower\"", "better = \"higher\"")
    .replace("alpha = 0.05", "alpha = 0.025\nalternative = \"one_sided\"")
        + "[sequential]\nlooks = [0.5, 1.0]\nefficacy = \"obrien_fleming\"\n";
    let null = base.replace("a = 0.7", "a = 0");
    let r_se = |p: f64| se(p, 200_000);
    for (text, stages, overall) in [
        (&base, [0.106225, 0.587960], 0.694185),
        (&null, [0.001405, 0.024305], 0.02571),
    ] {
        let d = design(text);
        let tally = endotrial::engine::simulate(&d, 0..d.replicates, &|_| {});
        let rows = endotrial::engine::summary::summarise(&d, &tally);
        let looks = endotrial::engine::summary::sequential_rows(&d, &tally);
        for (row, rpact) in looks.iter().zip(stages) {
            let se = (row.p_efficacy_se.powi(2) + r_se(rpact).powi(2)).sqrt();
            assert_mc(&format!("look {}", row.look), row.p_efficacy, rpact, se);
        }
        let r = &rows[0];
        assert_mc(
            "overall",
            r.power,
            overall,
            (r.power_se.powi(2) + r_se(overall).powi(2)).sqrt(),
        );
        if overall > 0.5 {
            assert!(
                (r.analytic_power - 0.694968309288816).abs() < 1e-8,
                "{}",
                r.analytic_power
            );
            let expected = r.sequential().unwrap().expected_randomised;
            // The SD of the number randomised is at most 50 (100 or 200): 4 SE is < 0.5.
            assert!((expected - 189.3775).abs() < 0.5, "{expected}");
        }
    }
}

/// The dichotomised analysis is of a fixed design: with interim looks it is refused.
#[test]
fn responder_threshold_with_interim_looks_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let text = Continuous {
        extra_endpoint: "responder_below = -1.0",
        ..Continuous::default()
    }
    .toml()
        + "[sequential]\nlooks = [0.5, 1.0]\nefficacy = \"obrien_fleming\"\n";
    assert_refused(
        dir.path(),
        &dir.path().join("results"),
        &text,
        "responder with looks",
        "endpoint.responder_below",
    );
}
