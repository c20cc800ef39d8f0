//! The ordinal endpoint against R: power against exact enumeration of every pair of level-count
//! vectors (R's `MASS::polr` and `wilcox.test` on each), against `Hmisc::popower` on large
//! designs, the log odds ratio's bias and coverage, group-sequential looks, and bad input
//! refused by name. Reference values sit beside the R code that made them (no R is needed here).

use crate::common::{MC_SE, assert_mc, assert_refused, design, endotrial, run, shipped_path};

/// A two-arm ordinal scenario with one endotype whose control distribution is `control` and
/// the drug's common odds ratio `odds_ratio`.
struct Ordinal<'a> {
    test: &'a str,
    n: u64,
    replicates: u64,
    seed: u64,
    control: &'a str,
    odds_ratio: f64,
    /// The drug arm's allocation ratio (control's is 1).
    ratio: u32,
    dropout: f64,
    extra: &'a str,
}

impl Default for Ordinal<'_> {
    fn default() -> Self {
        Ordinal {
            test: "proportional_odds",
            n: 20,
            replicates: 400_000,
            seed: 11,
            control: "[0.3, 0.4, 0.3]",
            odds_ratio: 2.5,
            ratio: 1,
            dropout: 0.0,
            extra: "",
        }
    }
}

impl Ordinal<'_> {
    fn toml(&self) -> String {
        let levels = self.control.matches(',').count() + 1;
        let names: Vec<String> = (1..=levels).map(|j| format!("\"l{j}\"")).collect();
        format!(
            "name = \"o\"\n[simulation]\nreplicates = {}\nseed = {}\n\
             [[endotype]]\nname = \"a\"\nprevalence = 1\ncontrol_distribution = {}\n\
             [enrollment]\nsample_size = {}\ndropout = {}\n\
             [endpoint]\nkind = \"ordinal\"\noutcome = \"OSFD\"\nlevels = [{}]\nbetter = \"higher\"\n\
             [[treatment]]\nname = \"drug\"\neffect = \"common_odds_ratio\"\nby_endotype = {{ a = {} }}\n\
             [[arm]]\nname = \"control\"\nratio = 1\n[[arm]]\nname = \"drug\"\nratio = {}\ntreatment = \"drug\"\n\
             [analysis]\ncontrol = \"control\"\ntest = \"{}\"\nalpha = 0.05\n{}",
            self.replicates,
            self.seed,
            self.control,
            self.n,
            self.dropout,
            names.join(", "),
            self.odds_ratio,
            self.ratio,
            self.test,
            self.extra
        )
    }
}

fn se(p: f64, n: u64) -> f64 {
    (p * (1.0 - p) / n as f64).sqrt()
}

/// 3 levels, 10 patients per arm, control (0.3, 0.4, 0.3), common odds ratio 2.5: the power and
/// size of the proportional-odds Wald test and of the Wilcoxon test are sums over all 66 x 66
/// pairs of count vectors, each analysed by R (groups that do not overlap have no finite
/// estimate: the Wald test does not reject, as the engine).
///
/// ```r
/// library(MASS)   # 7.3-58.2, R 4.2.2
/// shift <- function(p, or) { C <- cumsum(p)[-length(p)]; diff(c(0, C / (C + or * (1 - C)), 1)) }
/// pc <- c(0.3, 0.4, 0.3); pa <- shift(pc, 2.5); n <- 10
/// vecs <- list(); for (i in 0:n) for (j in 0:(n - i)) vecs[[length(vecs) + 1]] <- c(i, j, n - i - j)
/// wald <- function(a, c) {     # NA: no test
///   keep <- a + c > 0; a <- a[keep]; c <- c[keep]; K <- length(a)
///   if (K < 2) return(NA)
///   ia <- which(a > 0); ic <- which(c > 0)
///   if (max(ic) <= min(ia) || max(ia) <= min(ic)) return(NA)
///   y <- c(rep(1:K, a), rep(1:K, c)); x <- c(rep(1, sum(a)), rep(0, sum(c)))
///   if (K == 2) { f <- glm(I(y == 2) ~ x, family = binomial, control = list(epsilon = 1e-14))
///                 return(coef(f)[["x"]] / sqrt(vcov(f)["x", "x"])) }
///   f <- polr(factor(y, ordered = TRUE) ~ x, Hess = TRUE, control = list(reltol = 1e-14))
///   coef(f)[["x"]] / sqrt(vcov(f)["x", "x"])
/// }
/// # power: sum over (a, c) of dmultinom(a, prob = pa) * dmultinom(c, prob = pc) where
/// # |wald(a, c)| > qnorm(0.975), or where wilcox.test(rep(1:3, a), rep(1:3, c), exact = FALSE,
/// # correct = FALSE)$p.value <= 0.05; size: the same with pa = pc.
/// # wald power 0.1712372558 size 0.0445227737; wilcoxon power 0.1812749809 size 0.0473229735
/// ```
#[test]
fn small_design_power_and_size_match_exact_enumeration_in_r() {
    for (test, power, size) in [
        ("proportional_odds", 0.1712372558, 0.0445227737),
        ("wilcoxon", 0.1812749809, 0.0473229735),
    ] {
        for (odds_ratio, exact) in [(2.5, power), (1.0, size)] {
            let d = design(
                &Ordinal {
                    test,
                    odds_ratio,
                    ..Ordinal::default()
                }
                .toml(),
            );
            let r = &run(&d)[0];
            // Permuted blocks of two: exactly 10 per arm, as enumerated.
            assert_eq!((r.sample_size, d.replicates), (20, 400_000));
            assert_mc(
                &format!("{test} at odds ratio {odds_ratio}"),
                r.power,
                exact,
                se(exact, d.replicates),
            );
        }
    }
}

/// 6 levels, 400 patients, common odds ratio 1.6: the analytic column is Whitehead's power as
/// `Hmisc::popower` (plus the far rejection region, which popower leaves out), for equal and
/// unequal (2:1) allocation with dropout; the simulated power of the Wald test agrees with it
/// within the formula's accuracy at this size (0.01, stated) and Monte Carlo error.
///
/// ```r
/// library(Hmisc)   # 4.8.0
/// pc <- c(0.45, 0.1, 0.1, 0.1, 0.1, 0.15); pa <- shift(pc, 1.6)
/// r <- popower((pa + pc) / 2, 1.6, n = 400)
/// r$power + pnorm(-log(1.6) / r$approx.se - qnorm(0.975))     # 0.741240774283
/// n1 <- 600 * 2 / 3 * 0.9; n2 <- 600 / 3 * 0.9                # 2:1, 10% dropout
/// r2 <- popower((n1 * pa + n2 * pc) / (n1 + n2), 1.6, n1 = n1, n2 = n2)
/// r2$power + pnorm(-log(1.6) / r2$approx.se - qnorm(0.975))   # 0.818110218035
/// ```
#[test]
fn analytic_power_is_popowers_and_large_designs_simulate_to_it() {
    let control = "[0.45, 0.1, 0.1, 0.1, 0.1, 0.15]";
    for (n, ratio, dropout, popower) in
        [(400, 1, 0.0, 0.741240774283), (600, 2, 0.1, 0.818110218035)]
    {
        let d = design(
            &Ordinal {
                n,
                ratio,
                dropout,
                control,
                odds_ratio: 1.6,
                replicates: 40_000,
                ..Ordinal::default()
            }
            .toml(),
        );
        let r = &run(&d)[0];
        assert!(
            (r.analytic_power - popower).abs() < 1e-9,
            "{} vs {popower}",
            r.analytic_power
        );
        let gap = (r.power - popower).abs();
        assert!(
            gap < 0.01 + MC_SE * r.power_se,
            "simulated {} vs Whitehead {popower}",
            r.power
        );
        let o = r.ordinal().unwrap();
        assert!(o.proportional_odds_holds);
        assert!((o.true_log_odds_ratio - 1.6f64.ln()).abs() < 1e-8);
    }
}

/// With a common odds ratio the fit's log odds ratio converges to its log: at 1,000 patients
/// the mean estimate is within 0.01 of it (the MLE's O(1/n) bias, stated) and the Wald interval
/// covers 95% (within 0.005 and MC error); the bias column is the mean minus the truth with its
/// MC SE.
#[test]
fn log_odds_ratio_estimate_is_consistent_and_its_interval_covers() {
    let d = design(
        &Ordinal {
            n: 1000,
            control: "[0.2, 0.3, 0.1, 0.4]",
            odds_ratio: 0.7,
            replicates: 40_000,
            ..Ordinal::default()
        }
        .toml(),
    );
    let r = &run(&d)[0];
    let o = r.ordinal().unwrap();
    let truth = 0.7f64.ln();
    assert!((o.true_log_odds_ratio - truth).abs() < 1e-8);
    assert!((o.bias - (o.mean_log_odds_ratio - truth)).abs() < 1e-12);
    assert!(o.bias.abs() < 0.01 + MC_SE * o.bias_se, "{o:?}");
    let coverage_se = se(0.95, o.estimable);
    assert!(
        (o.coverage - 0.95).abs() < 0.005 + MC_SE * coverage_se,
        "{o:?}"
    );
    assert_eq!(o.estimable, d.replicates);
    // Mean levels: control 0.2 + 0.6 + 0.3 + 1.6 = 2.7.
    assert!((o.true_mean_level_control - 2.7).abs() < 1e-12);
}

/// A mixture of two endotypes with different odds ratios has no common odds ratio: the summary
/// says so, and its truth is the limit of the estimate (a large trial's mean estimate is close
/// to it, within the O(1/n) bias).
#[test]
fn a_mixture_of_effects_reports_the_fits_limit() {
    let text = Ordinal {
        n: 2000,
        replicates: 10_000,
        ..Ordinal::default()
    }
    .toml()
    .replace(
        "prevalence = 1\ncontrol_distribution = [0.3, 0.4, 0.3]",
        "prevalence = 0.5\ncontrol_distribution = [0.3, 0.4, 0.3]\n[[endotype]]\nname = \"b\"\nprevalence = 0.5\ncontrol_distribution = [0.6, 0.3, 0.1]",
    );
    let r = &run(&design(&text))[0];
    let o = r.ordinal().unwrap();
    assert!(!o.proportional_odds_holds, "{o:?}");
    // Only endotype a is treated (odds ratio 2.5): the marginal effect is smaller.
    assert!(o.true_log_odds_ratio > 0.0 && o.true_log_odds_ratio < 2.5f64.ln());
    assert!(o.bias.abs() < 0.01 + MC_SE * o.bias_se, "{o:?}");
}

/// Two looks (half and all of 600 patients), O'Brien-Fleming, one-sided 0.025: under the null
/// each look rejects with the boundary's nominal probability (the Wald statistic's
/// normal approximation, within 0.002 and MC error), and under a common odds ratio of 1.5 the
/// power is the analytic crossing probability with Whitehead's drift (within 0.01 and MC error).
#[test]
fn sequential_ordinal_design_crosses_its_boundaries() {
    let base = Ordinal {
        n: 600,
        control: "[0.45, 0.1, 0.1, 0.1, 0.1, 0.15]",
        odds_ratio: 1.5,
        replicates: 100_000,
        ..Ordinal::default()
    }
    .toml()
    .replace("alpha = 0.05", "alpha = 0.025\nalternative = \"one_sided\"")
        + "[sequential]\nlooks = [0.5, 1.0]\nefficacy = \"obrien_fleming\"\n";
    let null = base.replace("a = 1.5", "a = 1");
    // rpact: getDesignGroupSequential(kMax = 2, alpha = 0.025, typeOfDesign = "OF",
    // informationRates = c(0.5, 1)) stageLevels 0.002583, 0.023996 ; spent 0.002583, 0.025.
    let d = design(&null);
    let tally = endotrial::engine::simulate(&d, 0..d.replicates, &|_| {});
    let looks = endotrial::engine::summary::sequential_rows(&d, &tally);
    let rows = endotrial::engine::summary::summarise(&d, &tally);
    assert!(
        (rows[0].power - 0.025).abs() < 0.002 + MC_SE * se(0.025, d.replicates),
        "size {}",
        rows[0].power
    );
    assert!(looks[0].p_efficacy < 0.0026 + 0.002 + MC_SE * se(0.0026, d.replicates));
    let d = design(&base);
    let r = &run(&d)[0];
    assert!(
        (r.power - r.analytic_power).abs() < 0.01 + MC_SE * r.power_se,
        "{} vs {}",
        r.power,
        r.analytic_power
    );
    assert!(r.sequential().unwrap().expected_randomised < 600.0);
}

/// Bad ordinal input: exit 2, the key named, nothing written.
#[test]
fn bad_ordinal_input_is_refused_by_key() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results");
    let good = Ordinal::default().toml();
    for (what, from, to, key) in [
        (
            "sum",
            "[0.3, 0.4, 0.3]",
            "[0.3, 0.4, 0.4]",
            "endotype.a.control_distribution",
        ),
        (
            "length",
            "[0.3, 0.4, 0.3]",
            "[0.3, 0.7]",
            "endotype.a.control_distribution",
        ),
        (
            "negative",
            "[0.3, 0.4, 0.3]",
            "[-0.3, 1.0, 0.3]",
            "endotype.a.control_distribution",
        ),
        (
            "no distribution",
            "control_distribution = [0.3, 0.4, 0.3]\n",
            "",
            "endotype[0].control_distribution",
        ),
        (
            "duplicate levels",
            "\"l2\", \"l3\"",
            "\"l2\", \"l2\"",
            "endpoint.levels",
        ),
        ("two levels", "\"l2\", \"l3\"", "\"l2\"", "endpoint.levels"),
        (
            "no levels",
            "levels = [\"l1\", \"l2\", \"l3\"]\n",
            "",
            "endpoint.levels",
        ),
        (
            "odds ratio 0",
            "a = 2.5",
            "a = 0",
            "treatment.drug.by_endotype.a",
        ),
        (
            "odds ratio negative",
            "a = 2.5",
            "a = -1",
            "treatment.drug.by_endotype.a",
        ),
        (
            "t test",
            "test = \"proportional_odds\"",
            "test = \"t_test\"",
            "analysis.test",
        ),
        (
            "responder",
            "better = \"higher\"",
            "better = \"higher\"\nresponder_below = 2",
            "endpoint.responder_below",
        ),
        (
            "lower is better",
            "better = \"higher\"",
            "better = \"lower\"",
            "endpoint.better",
        ),
        (
            "sd",
            "prevalence = 1\n",
            "prevalence = 1\nsd = 2\n",
            "endotype.a.sd",
        ),
        (
            "mean effect",
            "effect = \"common_odds_ratio\"",
            "effect = \"mean_difference\"",
            "treatment.drug.effect",
        ),
        (
            "enrichment",
            "[analysis]",
            "[adaptation]\nat_look = 1\nselection = \"all\"\n[analysis]",
            "adaptation",
        ),
    ] {
        assert!(good.contains(from), "{what}");
        assert_refused(dir.path(), &results, &good.replacen(from, to, 1), what, key);
    }
    // An ordinal key on a binary endpoint.
    let binary = include_str!("../scenarios/immunosep.toml");
    assert_refused(
        dir.path(),
        &results,
        &binary.replacen(
            "control_risk = 0.174",
            "control_risk = 0.174\ncontrol_distribution = [0.5, 0.5]",
            1,
        ),
        "distribution on a binary endpoint",
        "endotype.mals.control_distribution",
    );
}

/// Two labels (endotypes perfectly classified, half and half), 600 patients. With odds ratios
/// 2 and 1 the labels' rows give each label's truth (log 2 and 0), evaluable patients (a
/// quarter of the evaluable each), its power near Whitehead's at the label's size (within
/// 0.02 and MC error), and the interaction test rejects often; with a common odds ratio of
/// 1.5 in both it rejects at about its level (Woolf's Wald test: within 0.01 and MC error).
#[test]
fn labels_rows_and_the_interaction_test() {
    let two = |or_a: f64, or_b: f64| {
        Ordinal {
            n: 600,
            control: "[0.3, 0.3, 0.4]",
            replicates: 20_000,
            ..Ordinal::default()
        }
        .toml()
        .replace(
            "prevalence = 1\ncontrol_distribution = [0.3, 0.3, 0.4]",
            "prevalence = 0.5\ncontrol_distribution = [0.3, 0.3, 0.4]\n[[endotype]]\nname = \"b\"\nprevalence = 0.5\ncontrol_distribution = [0.5, 0.3, 0.2]",
        )
        .replace("by_endotype = { a = 2.5 }", &format!("by_endotype = {{ a = {or_a}, b = {or_b} }}"))
    };
    let d = design(&two(2.0, 1.0));
    let tally = endotrial::engine::simulate(&d, 0..d.replicates, &|_| {});
    let rows = endotrial::engine::summary::subgroup_rows(&d, &tally);
    assert_eq!(rows.len(), 2);
    let r_se = |p: f64| se(p, d.replicates);
    for (row, truth, control) in [
        (&rows[0], 2f64.ln(), [0.3, 0.3, 0.4]),
        (&rows[1], 0.0, [0.5, 0.3, 0.2]),
    ] {
        assert_eq!(row.interaction_test, "proportional_odds_wald");
        assert!((row.true_difference - truth).abs() < 1e-12, "{row:?}");
        assert!((row.mean_evaluable_arm - 150.0).abs() < 1.0, "{row:?}");
        assert!((row.mean_evaluable_control - 150.0).abs() < 1.0, "{row:?}");
        assert!(row.estimable > d.replicates - 10, "{row:?}");
        assert!((row.mean_difference - truth).abs() < 0.02, "{row:?}");
        // Whitehead at the label's expected size (150 + 150).
        let shifted = endotrial::model::ordinal::shifted(&control, truth);
        let pooled: Vec<f64> = control
            .iter()
            .zip(&shifted)
            .map(|(c, a)| (c + a) / 2.0)
            .collect();
        let drift =
            truth * endotrial::stats::ordinal::whitehead_information(&pooled, 150.0, 150.0).sqrt();
        let z = 1.959963984540054;
        let analytic = endotrial::stats::analysis::normal_upper(z - drift)
            + endotrial::stats::analysis::normal_upper(z + drift);
        assert!(
            (row.power - analytic).abs() < 0.02 + MC_SE * r_se(analytic),
            "{row:?} vs {analytic}"
        );
    }
    assert!(rows[0].interaction_power > 0.5, "{:?}", rows[0]);
    let d = design(&two(1.5, 1.5));
    let tally = endotrial::engine::simulate(&d, 0..d.replicates, &|_| {});
    let rows = endotrial::engine::summary::subgroup_rows(&d, &tally);
    assert!(
        (rows[0].interaction_power - 0.05).abs() < 0.01 + MC_SE * r_se(0.05),
        "{:?}",
        rows[0]
    );
}

/// The report's paragraph states the outcome's levels and the control arm's distribution, the
/// odds ratio, and each treatment's effect as mean levels (not the model's log-odds shifts).
#[test]
fn the_report_states_levels_distribution_and_odds_ratios() {
    let dir = tempfile::tempdir().unwrap();
    let path = shipped_path("immunosep_osfd.toml");
    let out = dir.path().to_str().unwrap();
    let args = [
        "report",
        path.to_str().unwrap(),
        "--power",
        "0.8",
        "--replicates",
        "2000",
    ];
    endotrial(args.iter().copied().chain(["--quiet", "--out", out]));
    let md = std::fs::read_to_string(dir.path().join("immunosep_osfd/report.md")).unwrap();
    for expected in [
        "the mean level of organ support-free days to day 21 from 2.723 under placebo",
        "levels worst first, under placebo: died 45.0%, 0 10.3%",
        "the proportional-odds model's best fit as the odds ratios differ between levels, of 1.545",
        "anakinra in MALS: common odds ratio 1.8, the mean level of organ support-free days to day 21",
    ] {
        assert!(md.contains(expected), "missing: {expected}\n{md}");
    }
    assert!(!md.contains("against 0 under control"), "{md}");
}
