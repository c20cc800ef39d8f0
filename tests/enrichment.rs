//! Adaptive enrichment (`[adaptation]`), checked against what shares no code with the engine:
//! - rpact 3.3.4's `getSimulationEnrichmentRates` (a subset of prevalence 0.3 and its
//!   complement, inverse-normal Wang-Tsiatis Delta 0 design with looks at 0.5 and 1, one-sided
//!   0.025, stratified analysis, effect only in the subset; selection best and epsilon 0.1;
//!   Simes and Bonferroni), with quotas and perfect classification: rejection per population and
//!   look, selection and expected N within 4 MC SE of both simulations (one design also
//!   mirrored: deaths, lower better);
//! - exact enumeration, written here, of the first look's rejections and threshold selection
//!   (every stage-1 table of both labels) and of a two-stage inverse-normal design with one
//!   population (`selection = "all"`, every stage-1 and stage-2 table);
//! - a population with an arm without patients is never kept (the binomial law of empty arms);
//! - the family-wise error under the global null and a partial null for every selection rule
//!   and intersection test (at most alpha within 4 MC SE), and a naive rule simulated here
//!   (select, then test the selected population at level alpha) that exceeds it;
//! - bad `[adaptation]` input exits 2 naming the key, nothing written.

use crate::common;

use endotrial::engine;
use endotrial::engine::summary::{self, AdaptationRow, HypothesisRow, SequentialRow, SummaryRow};
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};

/// rpact's Wang-Tsiatis Delta 0 bounds at information 0.5 and 1, one-sided 0.025
/// (`getDesignInverseNormal(kMax = 2, alpha = 0.025, sided = 1, informationRates = c(0.5, 1),
/// typeOfDesign = "WT", deltaWT = 0)$criticalValues`).
const BOUNDS: [f64; 2] = [2.79650968146771, 1.97743095941965];

/// The rpact validation design: 400 patients in two stages of 200, a subset "s" of prevalence
/// 0.3 (response 0.5 under the drug, 0.3 under control) and its complement "r" (0.3 in both).
/// The quotas are whole patients per arm (30 and 70 per arm at stage 1), so rpact's
/// statistics, which use the planned stage sizes, are exactly those of the patients simulated.
fn design_text(selection: &str, intersection: &str, risks: [f64; 2], hypotheses: &str) -> String {
    let parameter = match selection {
        "epsilon" => "epsilon = 0.1\n",
        "threshold" => "threshold = 0.0\n",
        _ => "",
    };
    format!(
        r#"
name = "enrichment"
[simulation]
replicates = 100000
seed = 5
[[endotype]]
name = "s"
prevalence = 0.3
control_risk = 0.3
[[endotype]]
name = "r"
prevalence = 0.7
control_risk = 0.3
[enrollment]
sample_size = 400
label_counts = "fixed"
[endpoint]
event = "response"
better = "higher"
[[treatment]]
name = "drug"
effect = "risk"
by_endotype = {{ s = {}, r = {} }}
[[arm]]
name = "control"
ratio = 1
[[arm]]
name = "drug"
ratio = 1
treatment = "drug"
[analysis]
control = "control"
test = "cmh"
alpha = 0.025
alternative = "one_sided"
hypotheses = {hypotheses}
[sequential]
looks = [0.5, 1.0]
efficacy = "wang_tsiatis"
efficacy_parameter = 0
[adaptation]
at_look = 1
selection = "{selection}"
{parameter}intersection = "{intersection}"
"#,
        risks[0], risks[1]
    )
}

struct Run {
    summary: SummaryRow,
    hypotheses: Vec<HypothesisRow>,
    adaptation: Vec<AdaptationRow>,
    sequential: Vec<SequentialRow>,
}

fn run(text: &str) -> Run {
    let d = common::design(text);
    let tally = engine::simulate(&d, 0..d.replicates, &|_| {});
    Run {
        summary: summary::summarise(&d, &tally).remove(0),
        hypotheses: summary::hypothesis_rows(&d, &tally),
        adaptation: summary::adaptation_rows(&d, &tally),
        sequential: summary::sequential_rows(&d, &tally),
    }
}

fn se(p: f64, n: f64) -> f64 {
    (p * (1.0 - p) / n).sqrt()
}

/// Asserts |a - b| < 4 sqrt(SE_a^2 + SE_b^2), each a binomial proportion of its trials.
fn close(what: &str, a: f64, trials_a: f64, b: f64, trials_b: f64) {
    let se = (se(a, trials_a).powi(2) + se(b, trials_b).powi(2)).sqrt();
    common::assert_mc(what, a, b, se);
}

/// rpact 3.3.4 (R 4.2.2), 20,000 iterations per design:
/// ```r
/// d <- getDesignInverseNormal(kMax = 2, alpha = 0.025, sided = 1,
///   informationRates = c(0.5, 1), typeOfDesign = "WT", deltaWT = 0)
/// effectList <- list(subGroups = c("S", "R"), prevalences = c(0.3, 0.7),
///   piControl = c(0.3, 0.3), piTreatments = matrix(c(0.5, 0.3), nrow = 1))
/// s <- getSimulationEnrichmentRates(d, plannedSubjects = c(200, 400),
///   effectList = effectList, typeOfSelection = sel, epsilonValue = 0.1,
///   intersectionTest = it, stratifiedAnalysis = TRUE, directionUpper = TRUE,
///   # it: "Simes", "Bonferroni", "Sidak", "SpiessensDebois"
///   maxNumberOfIterations = 20000, seed = 777)
/// s$rejectedPopulationsPerStage   # [stage, 1, population]: S then F
/// s$rejectAtLeastOne; s$selectedPopulations[2, 1, 2]   # F kept, of trials reaching stage 2
/// s$successPerStage[1, 1]
/// ```
/// (about 1,000 trials/s). rpact's Bonferroni also stops 4% of trials for futility: an
/// intersection whose adjusted p-value is 1 gets z = -Inf, below the default futility bound
/// -6 of an inverse-normal design. Those trials rarely reject, but they are mostly the ones in
/// which the full population looks best, so its selection probability is not compared for
/// Bonferroni.
#[test]
fn rejections_and_selection_match_rpact() {
    const RPACT: f64 = 20_000.0;
    // (selection, intersection, S at looks 1 and 2, F at looks 1 and 2, any, F kept | stage 2,
    // success at look 1)
    #[allow(clippy::type_complexity)]
    let cases: [(&str, &str, [f64; 2], [f64; 2], f64, Option<f64>, f64); 8] = [
        (
            "best",
            "simes",
            [0.07835, 0.71280],
            [0.02200, 0.01145],
            0.80365,
            Some(0.08290),
            0.01545,
        ),
        (
            "best",
            "bonferroni",
            [0.07685, 0.68845],
            [0.02050, 0.01110],
            0.77745,
            None,
            0.01395,
        ),
        (
            "epsilon",
            "simes",
            [0.07540, 0.61620],
            [0.02235, 0.06680],
            0.70455,
            Some(0.34705),
            0.01530,
        ),
        (
            "epsilon",
            "bonferroni",
            [0.07370, 0.59980],
            [0.02065, 0.05820],
            0.68400,
            None,
            0.01360,
        ),
        // intersectionTest = "Sidak", the same seed (2026-12-07).
        (
            "best",
            "sidak",
            [0.07685, 0.70870],
            [0.02050, 0.01150],
            0.79810,
            Some(0.08290),
            0.01395,
        ),
        (
            "epsilon",
            "sidak",
            [0.07370, 0.60925],
            [0.02065, 0.06010],
            0.69410,
            Some(0.34705),
            0.01360,
        ),
        // intersectionTest = "SpiessensDebois", the same seed (2026-12-07). rpact takes the
        // correlation sqrt(n_S / n_F) from the planned stage sizes, endotrial from the patients
        // in each population at the stage.
        (
            "best",
            "spiessens_debois",
            [0.07690, 0.72710],
            [0.02100, 0.01225],
            0.81735,
            Some(0.08290),
            0.01400,
        ),
        (
            "epsilon",
            "spiessens_debois",
            [0.07385, 0.62760],
            [0.02120, 0.06505],
            0.71470,
            Some(0.34705),
            0.01370,
        ),
    ];
    for (selection, intersection, s, f, any, kept, success) in cases {
        let plain = design_text(selection, intersection, [0.5, 0.3], "[\"s\", \"overall\"]");
        let mut texts = vec![(format!("{selection} {intersection}"), plain)];
        if (selection, intersection) == ("best", "simes") {
            // Mirrored: deaths, lower better, every risk p made 1 - p. The law of every z and
            // effect is the same, so are rpact's values; a sign error in the effect that selects
            // is not (with higher better it only shifts every effect alike).
            let mirrored = design_text(selection, intersection, [0.5, 0.7], "[\"s\", \"overall\"]")
                .replace("control_risk = 0.3", "control_risk = 0.7")
                .replace(
                    "event = \"response\"\nbetter = \"higher\"",
                    "event = \"death\"\nbetter = \"lower\"",
                );
            assert_eq!(
                mirrored.matches("control_risk = 0.7").count(),
                2,
                "{mirrored}"
            );
            assert!(mirrored.contains("\"lower\""), "{mirrored}");
            texts.push((format!("{selection} {intersection} mirrored"), mirrored));
        }
        for (what, text) in texts {
            let r = run(&text);
            let n = r.summary.replicates as f64;
            let (s_row, f_row) = (&r.adaptation[0], &r.adaptation[1]);
            for k in 0..2 {
                close(
                    &format!("{what}: S at look {}", k + 1),
                    s_row.p_reject[k],
                    n,
                    s[k],
                    RPACT,
                );
                close(
                    &format!("{what}: F at look {}", k + 1),
                    f_row.p_reject[k],
                    n,
                    f[k],
                    RPACT,
                );
            }
            close(&format!("{what}: any"), r.summary.power, n, any, RPACT);
            let q = r.summary.sequential().expect("looks");
            close(
                &format!("{what}: success at look 1"),
                q.p_early_efficacy,
                n,
                success,
                RPACT,
            );
            if let Some(kept) = kept {
                // rpact's share is of the trials reaching stage 2.
                let reached = 1.0 - q.p_early_stop;
                close(
                    &format!("{what}: F kept"),
                    f_row.p_selected / reached,
                    n * reached,
                    kept,
                    RPACT * reached,
                );
            }
            // hypotheses.csv: each population's rejection at any look; at least one rejected
            // (rpact's); both rejected, which a trial counts once in S, once in F and once in
            // "at least one".
            for (hypothesis, row) in r.hypotheses.iter().zip(&r.adaptation) {
                assert_eq!(hypothesis.procedure, format!("closed_{intersection}"));
                let total: f64 = row.p_reject.iter().sum();
                assert!((hypothesis.power - total).abs() < 1e-12, "{what}: {row:?}");
            }
            let h = &r.hypotheses[0];
            close(
                &format!("{what}: any (hypotheses.csv)"),
                h.any_rejected,
                n,
                any,
                RPACT,
            );
            let both = h.power + r.hypotheses[1].power - h.any_rejected;
            assert!((h.all_rejected - both).abs() < 1e-12, "{what}: {h:?}");
            assert!(both > 0.005, "{what}: {both}");
            // Expected N: 200 at the first look, 200 more unless the trial stopped there.
            let expected = 400.0 - 200.0 * q.p_early_stop;
            assert!((q.expected_randomised - expected).abs() < 1e-9, "{what}");
        }
    }
}

/// Three populations (labels s1 and s2, 0.2 and 0.3 of the eligible, and the whole population
/// with a third label r) and `selection = "rbest"` (rpact's rBest with rValue), against rpact
/// 3.3.4 (R 4.2.2; 20,000 iterations, about 30 s each):
/// ```r
/// d <- getDesignInverseNormal(kMax = 2, alpha = 0.025, sided = 1,
///   informationRates = c(0.5, 1), typeOfDesign = "WT", deltaWT = 0)
/// effectList <- list(subGroups = c("S1", "S2", "S12", "R"), prevalences = c(0.2, 0.3, 0, 0.5),
///   piControls = c(0.3, 0.3, 0.3, 0.3), piTreatments = matrix(c(0.5, 0.4, 0.3, 0.3), nrow = 1))
/// s <- getSimulationEnrichmentRates(d, plannedSubjects = c(200, 400),
///   effectList = effectList, typeOfSelection = "rBest", rValue = r,
///   intersectionTest = it, stratifiedAnalysis = TRUE, directionUpper = TRUE,
///   maxNumberOfIterations = 20000, seed = 778)
/// s$rejectedPopulationsPerStage[, 1, ]; s$rejectAtLeastOne; s$selectedPopulations[2, 1, ]
/// ```
/// The quotas are whole patients per arm at both stages whatever is kept (s1, s2, r: 20, 30,
/// 50 per arm at stage 1; 40 and 60, or 20, 30, 50, after), so rpact's planned stage sizes
/// are the patients simulated.
#[test]
fn rbest_selection_of_three_populations_matches_rpact() {
    const RPACT: f64 = 20_000.0;
    // (intersection, r, [S1, S2, F] rejected at looks 1 and 2, any, [S1, S2, F] kept of the
    // trials reaching stage 2)
    #[allow(clippy::type_complexity)]
    let cases: [(&str, usize, [[f64; 2]; 3], f64, [f64; 3]); 4] = [
        (
            "simes",
            1,
            [[0.0336, 0.53555], [0.01105, 0.1133], [0.0214, 0.00475]],
            0.6979,
            [0.67935, 0.2856, 0.03375],
        ),
        (
            "simes",
            2,
            [[0.03685, 0.3503], [0.0111, 0.1636], [0.02195, 0.09525]],
            0.4807,
            [0.84695, 0.62795, 0.5221],
        ),
        (
            "sidak",
            1,
            [[0.0329, 0.52875], [0.0105, 0.11105], [0.0207, 0.0046]],
            0.6878,
            [0.67975, 0.2856, 0.03375],
        ),
        (
            "sidak",
            2,
            [[0.03615, 0.32405], [0.01045, 0.146], [0.021, 0.09135]],
            0.44715,
            [0.8474, 0.6284, 0.5221],
        ),
    ];
    for (intersection, r, rejected, any, kept) in cases {
        let what = format!("{intersection} rbest {r}");
        let text = design_text("epsilon", intersection, [0.5, 0.3], "[\"s1\", \"s2\", \"overall\"]")
            .replace(
                "name = \"s\"\nprevalence = 0.3\ncontrol_risk = 0.3",
                "name = \"s1\"\nprevalence = 0.2\ncontrol_risk = 0.3\n[[endotype]]\nname = \"s2\"\nprevalence = 0.3\ncontrol_risk = 0.3",
            )
            .replace("prevalence = 0.7", "prevalence = 0.5")
            .replace("by_endotype = { s = 0.5, r = 0.3 }", "by_endotype = { s1 = 0.5, s2 = 0.4, r = 0.3 }")
            .replace("selection = \"epsilon\"\nepsilon = 0.1", &format!("selection = \"rbest\"\nrbest = {r}"));
        assert!(
            text.contains("s2 = 0.4") && text.contains("rbest = "),
            "{text}"
        );
        let alt = run(&text);
        let n = alt.summary.replicates as f64;
        let reached = 1.0 - alt.summary.sequential().expect("looks").p_early_stop;
        for (h, row) in alt.adaptation.iter().enumerate() {
            for (k, &reference) in rejected[h].iter().enumerate() {
                close(
                    &format!("{what}: {} at look {}", row.hypothesis, k + 1),
                    row.p_reject[k],
                    n,
                    reference,
                    RPACT,
                );
            }
            close(
                &format!("{what}: {} kept", row.hypothesis),
                row.p_selected / reached,
                n * reached,
                kept[h],
                RPACT * reached,
            );
        }
        close(&format!("{what}: any"), alt.summary.power, n, any, RPACT);
        // Exactly r kept in every trial that goes on (no population lacks patients here).
        let kept_total: f64 = alt.adaptation.iter().map(|a| a.p_selected).sum();
        assert!(
            (kept_total - r as f64 * reached).abs() < 1e-9,
            "{what}: {kept_total}"
        );
        // Under the global null the family-wise error is at most alpha.
        let null = run(&text.replace("s1 = 0.5, s2 = 0.4", "s1 = 0.3, s2 = 0.3"));
        let fwer = null.hypotheses[0].fwer;
        assert!(
            (fwer - null.hypotheses[0].any_rejected).abs() < 1e-12,
            "{what}"
        );
        let bound = 0.025 + common::MC_SE * se(0.025, n);
        assert!(fwer <= bound, "{what}: FWER {fwer}");
    }
}

/// The first look's law, by exact enumeration of the stage-1 tables.
struct StageOne {
    /// P(reject S at look 1), P(reject F at look 1).
    reject: [f64; 2],
    /// P(S kept), P(F kept) by `selection = "threshold"`: the trial did not stop at look 1 (both
    /// rejected) and the population's pooled z, plus rpact's uniform jitter in (-1e-5, 1e-5),
    /// exceeds the threshold.
    kept: [f64; 2],
    /// P(neither kept): the trial stops for futility.
    none: f64,
}

/// The first look's law by exact enumeration of the stage-1 tables: 30 patients per arm in S
/// (response `risk_s` on the drug, 0.3 on control) and 70 in R (`risk_r` in both arms), the
/// stage-wise pooled z of S and the z of F, `stratified` (CMH numerator, binomial variances) or
/// pooled over the labels, closed testing with Simes or Bonferroni at the first bound; the
/// threshold selection with `threshold`.
fn stage_one_exact(
    risk_s: f64,
    risk_r: f64,
    stratified: bool,
    bonferroni: bool,
    threshold: f64,
) -> StageOne {
    let pmf = |n: u64, p: f64| -> Vec<f64> {
        let mut v = vec![0.0; n as usize + 1];
        let mut c = 1.0f64; // C(n, x)
        for x in 0..=n {
            v[x as usize] = c * p.powi(x as i32) * (1.0 - p).powi((n - x) as i32);
            c = c * (n - x) as f64 / (x + 1) as f64;
        }
        v
    };
    let upper = |z: f64| 0.5 * libm_erfc(z / std::f64::consts::SQRT_2);
    let level = upper(BOUNDS[0]);
    let (ns, nr) = (30u64, 70u64);
    let (s1, s0, r1, r0) = (
        pmf(ns, risk_s),
        pmf(ns, 0.3),
        pmf(nr, risk_r),
        pmf(nr, risk_r),
    );
    let cell = |x1: u64, x0: u64, n: u64| -> (f64, f64) {
        // (weighted difference, weighted variance) with weight n1 n0 / (n1 + n0) = n / 2.
        let n = n as f64;
        let p = (x1 + x0) as f64 / (2.0 * n);
        (
            n / 2.0 * (x1 as f64 - x0 as f64) / n,
            n / 2.0 * p * (1.0 - p),
        )
    };
    let above = |z: f64| ((z - threshold + 1e-5) / 2e-5).clamp(0.0, 1.0);
    let (mut reject, mut kept, mut none) = ([0.0; 2], [0.0; 2], 0.0);
    for xs1 in 0..=ns {
        for xs0 in 0..=ns {
            let (ds, vs) = cell(xs1, xs0, ns);
            // One stratum: the pooled z.
            let zs = if vs > 0.0 { ds / vs.sqrt() } else { 0.0 };
            let ps = upper(zs);
            let w = s1[xs1 as usize] * s0[xs0 as usize];
            for xr1 in 0..=nr {
                for xr0 in 0..=nr {
                    let (dr, vr) = cell(xr1, xr0, nr);
                    let pooled =
                        common::pooled_z((xs1 + xr1) as f64, (xs0 + xr0) as f64, (ns + nr) as f64);
                    let zf = match stratified {
                        true if vs + vr > 0.0 => (ds + dr) / (vs + vr).sqrt(),
                        true => 0.0,
                        false => pooled,
                    };
                    let pf = upper(zf);
                    let both = if bonferroni {
                        2.0 * ps.min(pf)
                    } else {
                        (2.0 * ps.min(pf)).min(ps.max(pf))
                    };
                    let weight = w * r1[xr1 as usize] * r0[xr0 as usize];
                    let (rs, rf) = (both <= level && ps <= level, both <= level && pf <= level);
                    if rs {
                        reject[0] += weight;
                    }
                    if rf {
                        reject[1] += weight;
                    }
                    if !(rs && rf) {
                        let (a_s, a_f) = (above(zs), above(pooled));
                        kept[0] += weight * a_s;
                        kept[1] += weight * a_f;
                        // Each population's jitter is drawn on its own.
                        none += weight * (1.0 - a_s) * (1.0 - a_f);
                    }
                }
            }
        }
    }
    StageOne { reject, kept, none }
}

/// erfc by the continued fraction and series of Numerical Recipes' erfc (Chebyshev fit,
/// relative error below 1.2e-7): an oracle independent of the engine's statrs and libm.
fn libm_erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t
        * (-z * z - 1.26551223
            + t * (1.00002368
                + t * (0.37409196
                    + t * (0.09678418
                        + t * (-0.18628806
                            + t * (0.27886807
                                + t * (-1.13520398
                                    + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))))
            .exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

#[test]
fn first_look_rejections_match_exact_enumeration() {
    for intersection in ["simes", "bonferroni"] {
        let [exact_s, exact_f] =
            stage_one_exact(0.5, 0.3, true, intersection == "bonferroni", 0.0).reject;
        let r = run(&design_text(
            "best",
            intersection,
            [0.5, 0.3],
            "[\"s\", \"overall\"]",
        ));
        let n = r.summary.replicates as f64;
        let tolerance = |p: f64| common::MC_SE * se(p, n);
        let (s, f) = (r.adaptation[0].p_reject[0], r.adaptation[1].p_reject[0]);
        assert!(
            (s - exact_s).abs() < tolerance(exact_s),
            "{intersection} S: {s} vs {exact_s}"
        );
        assert!(
            (f - exact_f).abs() < tolerance(exact_f),
            "{intersection} F: {f} vs {exact_f}"
        );
    }
}

/// Labels unlike under control (response 0.3 in S, 0.9 in R, where the drug does nothing): the
/// stratified z of F (`test = "cmh"`) and the z pooled over the labels (`test = "chi_square"`)
/// then differ, and each test's first-look rejections match their own enumeration.
#[test]
fn first_look_rejections_of_unlike_labels_follow_the_test() {
    let mut f_of = Vec::new();
    for test in ["cmh", "chi_square"] {
        let text = design_text("best", "simes", [0.5, 0.9], "[\"s\", \"overall\"]")
            .replace(
                "name = \"r\"\nprevalence = 0.7\ncontrol_risk = 0.3",
                "name = \"r\"\nprevalence = 0.7\ncontrol_risk = 0.9",
            )
            .replace("test = \"cmh\"", &format!("test = \"{test}\""));
        assert_eq!(text.matches("0.9").count(), 2, "{text}");
        let [exact_s, exact_f] = stage_one_exact(0.5, 0.9, test == "cmh", false, 0.0).reject;
        let r = run(&text);
        let n = r.summary.replicates as f64;
        let (s, f) = (r.adaptation[0].p_reject[0], r.adaptation[1].p_reject[0]);
        assert!(
            (s - exact_s).abs() < common::MC_SE * se(exact_s, n),
            "{test} S: {s} vs {exact_s}"
        );
        assert!(
            (f - exact_f).abs() < common::MC_SE * se(exact_f, n),
            "{test} F: {f} vs {exact_f}"
        );
        f_of.push((exact_f, se(exact_f, n)));
    }
    // Not vacuous: the two laws of F are far apart at this many trials.
    let [(a, se_a), (b, se_b)] = f_of[..] else {
        unreachable!()
    };
    assert!((a - b).abs() > 8.0 * se_a.hypot(se_b), "{f_of:?}");
}

/// `selection = "threshold"` keeps each population whose pooled z at the interim exceeds the
/// threshold. At a threshold of 1 the z of S and of F pass with unlike probabilities and no risk
/// difference does (so a rule reading the effect instead of z fails): each population's
/// selection and the futility stops (neither kept) match the enumeration of the stage-1 tables.
#[test]
fn threshold_selection_matches_exact_enumeration() {
    let text = design_text("threshold", "simes", [0.5, 0.3], "[\"s\", \"overall\"]")
        .replace("threshold = 0.0", "threshold = 1.0");
    assert!(text.contains("threshold = 1.0"), "{text}");
    let exact = stage_one_exact(0.5, 0.3, true, false, 1.0);
    let r = run(&text);
    let n = r.summary.replicates as f64;
    for (row, kept) in r.adaptation.iter().zip(exact.kept) {
        close(&row.hypothesis, row.p_selected, n, kept, f64::INFINITY);
    }
    let q = r.summary.sequential().expect("looks");
    close("futility", q.p_early_futility, n, exact.none, f64::INFINITY);
    let futility = r.adaptation[0].p_futility;
    close(
        "adaptation futility",
        futility,
        n,
        exact.none,
        f64::INFINITY,
    );
    // Not vacuous: S passes far more often than F, and F far more often than never.
    let [s, f] = exact.kept;
    assert!(s > f + 0.1 && f > 0.3 && exact.none > 0.1, "{s} {f}");
}

/// A population with an arm without patients has no observed effect and is never kept, even by
/// a threshold below its z (0, as rpact sets it, when no patient has the event). S is 1% of
/// patients with random label counts, so each arm's 100 stage-1 patients hold no S patient
/// with probability 0.99^100; S has no event in either arm, so it is never rejected and the
/// trial never stops for efficacy at the interim.
#[test]
fn a_population_without_patients_in_an_arm_is_never_kept() {
    let text = design_text("threshold", "simes", [0.0, 0.3], "[\"s\", \"overall\"]")
        .replace(
            "name = \"s\"\nprevalence = 0.3\ncontrol_risk = 0.3",
            "name = \"s\"\nprevalence = 0.01\ncontrol_risk = 0.0",
        )
        .replace("prevalence = 0.7", "prevalence = 0.99")
        .replace("label_counts = \"fixed\"", "label_counts = \"random\"")
        .replace("threshold = 0.0", "threshold = -1.0");
    for key in ["prevalence = 0.01", "0.99", "random", "-1.0"] {
        assert!(text.contains(key), "{key}: {text}");
    }
    let r = run(&text);
    let n = r.summary.replicates as f64;
    let both_arms = (1.0 - 0.99f64.powi(100)).powi(2);
    close(
        "S kept",
        r.adaptation[0].p_selected,
        n,
        both_arms,
        f64::INFINITY,
    );
}

/// One population (a single label, response 0.3 under control and `drug` on the drug), one
/// hypothesis, `selection = "all"` at `at_look`: an inverse-normal group-sequential trial.
fn one_population(sample_size: u64, drug: f64, looks: &str, at_look: usize, seed: u64) -> String {
    format!(
        r#"
name = "one_population"
[simulation]
replicates = 200000
seed = {seed}
[[endotype]]
name = "all"
prevalence = 1.0
control_risk = 0.3
[enrollment]
sample_size = {sample_size}
[endpoint]
event = "response"
better = "higher"
[[treatment]]
name = "drug"
effect = "risk"
by_endotype = {{ all = {drug} }}
[[arm]]
name = "control"
ratio = 1
[[arm]]
name = "drug"
ratio = 1
treatment = "drug"
[analysis]
control = "control"
test = "chi_square"
alpha = 0.025
alternative = "one_sided"
hypotheses = ["overall"]
[sequential]
looks = {looks}
efficacy = "wang_tsiatis"
efficacy_parameter = 0
[adaptation]
at_look = {at_look}
selection = "all"
"#
    )
}

/// The law of one stage's pooled z with `n` patients per arm, responses `drug` and 0.3: every
/// (z, probability) of the (n + 1)^2 tables.
fn stage_law(n: u64, drug: f64) -> Vec<(f64, f64)> {
    let pmf = |p: f64| -> Vec<f64> {
        (0..=n)
            .map(|x| {
                let c = (0..x).fold(1.0, |c, i| c * (n - i) as f64 / (i + 1) as f64);
                c * p.powi(x as i32) * (1.0 - p).powi((n - x) as i32)
            })
            .collect()
    };
    let (on_drug, on_control) = (pmf(drug), pmf(0.3));
    let mut law = Vec::new();
    for x1 in 0..=n {
        for x0 in 0..=n {
            let z = common::pooled_z(x1 as f64, x0 as f64, n as f64);
            law.push((z, on_drug[x1 as usize] * on_control[x0 as usize]));
        }
    }
    law
}

/// `selection = "all"` with one hypothesis is a two-stage inverse-normal group-sequential trial:
/// its power by exact enumeration of every stage-1 and stage-2 table (10 patients per arm and
/// stage, response 0.6 against 0.3): reject at look 1 when z1 >= c1, else at look 2 when
/// (z1 + z2) / sqrt(2) >= c2 (equal weights sqrt(0.5)), with pooled z per stage. Permuted
/// blocks of 2 give exactly 10 per arm and stage, as enumerated.
#[test]
fn selecting_all_of_one_population_is_an_inverse_normal_design() {
    let stage = stage_law(10, 0.6);
    let (mut early, mut total) = (0.0, 0.0);
    for &(z1, p1) in &stage {
        if z1 >= BOUNDS[0] {
            early += p1;
            total += p1;
            continue;
        }
        for &(z2, p2) in &stage {
            if (z1 + z2) / 2f64.sqrt() >= BOUNDS[1] {
                total += p1 * p2;
            }
        }
    }
    let r = run(&one_population(40, 0.6, "[0.5, 1.0]", 1, 9));
    let trials = r.summary.replicates as f64;
    assert!(
        (r.summary.power - total).abs() < common::MC_SE * se(total, trials),
        "{} vs {total}",
        r.summary.power
    );
    let q = r.summary.sequential().expect("looks");
    assert!(
        (q.p_early_efficacy - early).abs() < common::MC_SE * se(early, trials),
        "{} vs {early}",
        q.p_early_efficacy
    );
    assert_eq!(r.adaptation[0].p_selected, 1.0 - q.p_early_stop);
}

/// Three looks, the selection at the second: with one population and `selection = "all"` the
/// trial is a three-stage inverse-normal design. Exact enumeration of every stage table (12
/// patients per arm and stage, response 0.8 against 0.3) against rpact's Wang-Tsiatis Delta 0
/// bounds at thirds (`getDesignInverseNormal(kMax = 3, alpha = 0.025, sided = 1, typeOfDesign
/// = "WT", deltaWT = 0)$criticalValues`: 3.47109144465409 2.45443229863352 2.00403557995285).
#[test]
fn three_looks_with_a_late_selection_are_an_inverse_normal_design() {
    const THIRDS: [f64; 3] = [3.47109144465409, 2.45443229863352, 2.00403557995285];
    let stage = stage_law(12, 0.8);
    let mut reject = [0.0; 3];
    for &(z1, p1) in &stage {
        if z1 >= THIRDS[0] {
            reject[0] += p1;
            continue;
        }
        for &(z2, p2) in &stage {
            if (z1 + z2) / 2f64.sqrt() >= THIRDS[1] {
                reject[1] += p1 * p2;
                continue;
            }
            for &(z3, p3) in &stage {
                if (z1 + z2 + z3) / 3f64.sqrt() >= THIRDS[2] {
                    reject[2] += p1 * p2 * p3;
                }
            }
        }
    }
    let looks = "[0.3333333333333333, 0.6666666666666666, 1.0]";
    // Half the screened are of an ineligible label, so screening differs from randomising.
    let text = one_population(72, 0.8, looks, 2, 10)
        .replace("prevalence = 1.0", "prevalence = 0.5")
        .replace(
            "control_risk = 0.3\n[enrollment]\nsample_size = 72",
            "control_risk = 0.3\n[[endotype]]\nname = \"out\"\nprevalence = 0.5\ncontrol_risk = 0.3\n\
             [enrollment]\nsample_size = 72\neligible = [\"all\"]",
        );
    assert!(text.contains("eligible = [\"all\"]"), "{text}");
    let r = run(&text);
    let trials = r.summary.replicates as f64;
    for (k, &exact) in reject.iter().enumerate() {
        let got = r.adaptation[0].p_reject[k];
        assert!(
            (got - exact).abs() <= common::MC_SE * se(exact, trials),
            "look {}: {got} vs {exact}",
            k + 1
        );
        // sequential.csv: every rejection stops the trial for efficacy (one population).
        let row = &r.sequential[k];
        assert_eq!(row.look, k + 1);
        close(
            &format!("efficacy at look {}", k + 1),
            row.p_efficacy,
            trials,
            exact,
            f64::INFINITY,
        );
    }
    // A trial ends at look 1 (12 patients per arm), 2 (24) or 3 (36); the selection is at look 2,
    // so the patients before it are 24 for a trial that stopped at look 1, 48 otherwise; each
    // stage's screening is NegBin: 2 screened per randomised on average, Var(F | R) = 2R.
    let ended = [reject[0], reject[1], 1.0 - reject[0] - reject[1]];
    let moments = |values: [f64; 3]| -> (f64, f64) {
        let mean: f64 = values.iter().zip(ended).map(|(v, p)| v * p).sum();
        let square: f64 = values.iter().zip(ended).map(|(v, p)| v * v * p).sum();
        (mean, square - mean * mean)
    };
    let assert_mean = |what: &str, got: f64, (mean, var): (f64, f64)| {
        let tolerance = common::MC_SE * (var / trials).sqrt();
        assert!(
            (got - mean).abs() < tolerance,
            "{what}: {got} vs {mean} (4 SE {tolerance})"
        );
    };
    let (before, var_before) = moments([24.0, 48.0, 48.0]);
    let row = &r.adaptation[0];
    assert_mean(
        "randomised before",
        row.mean_randomised_before_selection,
        (before, var_before),
    );
    let screened = (2.0 * before, 4.0 * var_before + 2.0 * before);
    assert_mean("screened before", row.mean_screened_before, screened);
    let per_arm = moments([12.0, 24.0, 36.0]);
    let b = r.summary.binary().expect("a binary row");
    assert_mean("drug arm", b.mean_evaluable_arm, per_arm);
    assert_mean("control", b.mean_evaluable_control, per_arm);
    // Not vacuous: a tenth of the trials stop at look 1.
    assert!(reject[0] > 0.1, "{reject:?}");
}

/// The family-wise error (rejecting a true null) is at most alpha (4 MC SE) for every rule and
/// intersection test, under the global null and under a partial null (an effect in label "s"
/// only, so that "r" is a true null); a naive rule simulated here (stage 1 in both labels, keep
/// the label with the better observed effect, test it on both stages' patients at level alpha
/// with no combination and no closed test) exceeds it.
#[test]
fn family_wise_error_is_controlled_and_the_naive_rule_is_not() {
    for selection in ["best", "epsilon", "threshold", "all"] {
        for intersection in ["simes", "bonferroni", "sidak"] {
            for (null, risks) in [("global", [0.3, 0.3]), ("partial", [0.5, 0.3])] {
                let r = run(&design_text(
                    selection,
                    intersection,
                    risks,
                    "[\"s\", \"r\"]",
                ));
                let fwer = r.hypotheses[0].fwer;
                // A true null rejected: any rejection under the global null, "r" under the
                // partial one.
                let true_nulls = match null {
                    "global" => r.hypotheses[0].any_rejected,
                    _ => r.adaptation[1].p_reject.iter().sum(),
                };
                assert!(
                    (fwer - true_nulls).abs() < 1e-12,
                    "{selection} {intersection} {null}"
                );
                let bound = 0.025 + common::MC_SE * se(0.025, r.summary.replicates as f64);
                assert!(
                    fwer <= bound,
                    "{selection} {intersection} {null}: FWER {fwer}"
                );
                // Not vacuous: the partial null's effect is found.
                if null == "partial" && selection != "threshold" {
                    assert!(r.hypotheses[0].power > 0.3, "{selection} {intersection}");
                }
            }
        }
    }
    // Spiessens-Debois tests a label within the whole population: under the global null any
    // rejection is an error.
    for selection in ["best", "epsilon", "threshold", "all"] {
        let r = run(&design_text(
            selection,
            "spiessens_debois",
            [0.3, 0.3],
            "[\"s\", \"overall\"]",
        ));
        let fwer = r.hypotheses[0].fwer;
        assert!(
            (fwer - r.hypotheses[0].any_rejected).abs() < 1e-12,
            "{selection}"
        );
        let bound = 0.025 + common::MC_SE * se(0.025, r.summary.replicates as f64);
        assert!(fwer <= bound, "{selection} spiessens_debois: FWER {fwer}");
    }
    // The naive rule under the global null: 30 per arm in each label at stage 1, 100 per arm in
    // the label kept at stage 2.
    let mut rng = ChaCha8Rng::seed_from_u64(41);
    let trials = 100_000;
    let mut binomial =
        |n: u32, p: f64| -> u32 { (0..n).filter(|_| rng.random::<f64>() < p).count() as u32 };
    let mut rejected = 0u32;
    for _ in 0..trials {
        let stage1: Vec<(u32, u32)> = (0..2)
            .map(|_| (binomial(30, 0.3), binomial(30, 0.3)))
            .collect();
        let keep =
            if stage1[0].0 as i64 - stage1[0].1 as i64 >= stage1[1].0 as i64 - stage1[1].1 as i64 {
                0
            } else {
                1
            };
        let (x1, x0) = (
            stage1[keep].0 + binomial(100, 0.3),
            stage1[keep].1 + binomial(100, 0.3),
        );
        let n = 130.0;
        let p = (x1 + x0) as f64 / (2.0 * n);
        let z = (x1 as f64 - x0 as f64) / n / (p * (1.0 - p) * 2.0 / n).sqrt();
        rejected += u32::from(z >= 1.959963984540054);
    }
    let naive = f64::from(rejected) / f64::from(trials);
    assert!(
        naive > 0.025 + common::MC_SE * se(0.025, f64::from(trials)),
        "naive FWER {naive}"
    );
}

/// Label quotas (`label_counts = "fixed"`), against the laws of screening and of the quotas:
/// - each population's patients after the interim are the whole second stage (200) when it is
///   the one kept ("best" keeps one), so their mean is 200 times its share of trials;
/// - stage 1 screens until both quotas, 60 of "s" (30% of the screened) and 140 of "r", are
///   filled: P(N <= t) = P(60 <= X <= t - 140), X ~ Bin(t, 0.3). Stage 2 screens N again when
///   "overall" is kept, and 200 + NegBin(200, 0.3) when "s" is. Means within 4 SE (given the
///   trials' selections, which the engine's counts give exactly).
#[test]
fn fixed_label_counts_fill_their_quotas() {
    use statrs::distribution::{Binomial, DiscreteCDF};
    let text = design_text("best", "simes", [0.5, 0.3], "[\"s\", \"overall\"]")
        .replace("replicates = 100000", "replicates = 20000");
    let r = run(&text);
    let n = r.summary.replicates as f64;
    let (s, overall) = (&r.adaptation[0], &r.adaptation[1]);
    for row in [s, overall] {
        let expected = 200.0 * row.p_selected;
        assert!(
            (row.mean_randomised_after - expected).abs() < 1e-9,
            "{}: {} vs {expected}",
            row.hypothesis,
            row.mean_randomised_after
        );
    }
    // Moments of N from its survival function: E N = sum P(N > t), E N^2 = sum (2t + 1) P(N > t).
    let (mut mean_n, mut square_n) = (0.0, 0.0);
    for t in 0..2000u64 {
        let below = if t < 200 {
            0.0
        } else {
            let x = Binomial::new(0.3, t).unwrap();
            x.cdf(t - 140) - x.cdf(59)
        };
        mean_n += 1.0 - below;
        square_n += (2 * t + 1) as f64 * (1.0 - below);
    }
    let var_n = square_n - mean_n * mean_n;
    // R 4.2.2: t <- 0:1999
    //   below <- ifelse(t < 200, 0, pbinom(t - 140, t, 0.3) - pbinom(59, t, 0.3))
    //   m <- sum(1 - below); c(m, sum((2 * t + 1) * (1 - below)) - m^2)
    //   # 212.292343358954 143.617556627309
    assert!((mean_n - 212.292343358954).abs() < 1e-9, "{mean_n}");
    assert!((var_n - 143.617556627309).abs() < 1e-7, "{var_n}");
    let se = (var_n / n).sqrt();
    assert!(
        (s.mean_screened_before - mean_n).abs() < common::MC_SE * se,
        "before: {} vs {mean_n}",
        s.mean_screened_before
    );
    let (mean_s, var_s) = (200.0 / 0.3, 200.0 * 0.7 / 0.09);
    let after = s.p_selected * mean_s + overall.p_selected * mean_n;
    let se = ((s.p_selected * var_s + overall.p_selected * var_n) / n).sqrt();
    assert!(
        (s.mean_screened_after - after).abs() < common::MC_SE * se,
        "after: {} vs {after}",
        s.mean_screened_after
    );
    assert!(s.p_selected > 0.5 && overall.p_selected > 0.01, "{s:?}");
}

/// Any split of the trial indices gives the same tally (with trials stopped for futility at
/// the interim: no population above the threshold under the null).
#[test]
fn split_runs_merge_to_the_same_tally() {
    for (selection, risks) in [("epsilon", [0.5, 0.3]), ("threshold", [0.3, 0.3])] {
        let d = common::design(&design_text(
            selection,
            "simes",
            risks,
            "[\"s\", \"overall\"]",
        ));
        let whole = engine::simulate(&d, 0..5000, &|_| {});
        let mut a = engine::simulate(&d, 0..1777, &|_| {});
        let b = engine::simulate(&d, 1777..5000, &|_| {});
        let futile = |t: &endotrial::engine::tally::Tally| t.enrichment().unwrap().futility;
        if selection == "threshold" {
            assert!(
                futile(&a) > 1 && futile(&b) > 1,
                "{} {}",
                futile(&a),
                futile(&b)
            );
        }
        a.merge(&b);
        assert_eq!(whole, a, "{selection}");
    }
}

#[test]
fn bad_adaptation_input_exits_2_names_the_key_and_writes_nothing() {
    let base = design_text("epsilon", "simes", [0.5, 0.3], "[\"s\", \"overall\"]");
    let bad: &[(&str, &str, &str, &str)] = &[
        (
            "no [sequential]",
            "[sequential]\nlooks = [0.5, 1.0]\nefficacy = \"wang_tsiatis\"\nefficacy_parameter = 0\n",
            "",
            "adaptation",
        ),
        (
            "at the last look",
            "at_look = 1",
            "at_look = 2",
            "adaptation.at_look",
        ),
        (
            "at look 0",
            "at_look = 1",
            "at_look = 0",
            "adaptation.at_look",
        ),
        (
            "epsilon missing",
            "epsilon = 0.1\n",
            "",
            "adaptation.epsilon",
        ),
        (
            "epsilon out of range",
            "epsilon = 0.1",
            "epsilon = 1.5",
            "adaptation.epsilon",
        ),
        (
            "a threshold with epsilon",
            "epsilon = 0.1\n",
            "epsilon = 0.1\nthreshold = 0.5\n",
            "adaptation.threshold",
        ),
        (
            "threshold missing",
            "selection = \"epsilon\"\nepsilon = 0.1\n",
            "selection = \"threshold\"\n",
            "adaptation.threshold",
        ),
        (
            "a threshold beyond 8",
            "selection = \"epsilon\"\nepsilon = 0.1\n",
            "selection = \"threshold\"\nthreshold = 9\n",
            "adaptation.threshold",
        ),
        (
            "an unknown selection",
            "selection = \"epsilon\"",
            "selection = \"rank\"",
            "unknown variant `rank`",
        ),
        (
            "rbest missing",
            "selection = \"epsilon\"\nepsilon = 0.1\n",
            "selection = \"rbest\"\n",
            "adaptation.rbest",
        ),
        (
            "rbest beyond the populations",
            "selection = \"epsilon\"\nepsilon = 0.1\n",
            "selection = \"rbest\"\nrbest = 3\n",
            "adaptation.rbest",
        ),
        (
            "rbest with epsilon",
            "epsilon = 0.1\n",
            "epsilon = 0.1\nrbest = 1\n",
            "adaptation.rbest",
        ),
        (
            "an unknown intersection",
            "intersection = \"simes\"",
            "intersection = \"holm\"",
            "unknown variant `holm`",
        ),
        (
            "a label not eligible",
            "hypotheses = [\"s\", \"overall\"]",
            "hypotheses = [\"s\", \"x\"]",
            "analysis.hypotheses",
        ),
        (
            "a population twice",
            "hypotheses = [\"s\", \"overall\"]",
            "hypotheses = [\"s\", \"s\"]",
            "analysis.hypotheses",
        ),
        (
            "no hypotheses",
            "hypotheses = [\"s\", \"overall\"]\n",
            "",
            "analysis.hypotheses",
        ),
        (
            "two-sided",
            "alternative = \"one_sided\"",
            "alternative = \"two_sided\"",
            "analysis.alternative",
        ),
        (
            "Fisher's test",
            "test = \"cmh\"",
            "test = \"fisher_exact\"",
            "analysis.test",
        ),
        (
            "a multiplicity procedure",
            "alternative = \"one_sided\"\n",
            "alternative = \"one_sided\"\nmultiplicity = \"holm\"\n",
            "analysis.multiplicity",
        ),
        (
            "futility bounds",
            "efficacy_parameter = 0\n",
            "efficacy_parameter = 0\nfutility = \"z\"\nfutility_bounds = [0.0]\n",
            "sequential.futility",
        ),
        (
            "an unknown key",
            "at_look = 1",
            "at_look = 1\nrule = \"best\"",
            "rule",
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results");
    for (what, from, to, key) in bad {
        assert!(base.contains(from), "{what}: pattern not in the scenario");
        common::assert_refused(dir.path(), &results, &base.replacen(from, to, 1), what, key);
    }
    // Spiessens-Debois needs one population within another.
    let disjoint = design_text("epsilon", "spiessens_debois", [0.5, 0.3], "[\"s\", \"r\"]");
    common::assert_refused(
        dir.path(),
        &results,
        &disjoint,
        "spiessens_debois with two labels",
        "adaptation.intersection",
    );
    // label_counts belongs to [adaptation].
    let plain = base
        .split("[adaptation]")
        .next()
        .unwrap()
        .replace("hypotheses = [\"s\", \"overall\"]\n", "");
    let plain = plain.split("[sequential]").next().unwrap().to_string();
    common::assert_refused(
        dir.path(),
        &results,
        &plain,
        "label_counts without [adaptation]",
        "enrollment.label_counts",
    );
}

/// `size`, `report` and `compare` on an adaptive design: the power searched is a closed-testing
/// power, the paragraph explains the adaptation, and there is no fixed-design counterpart.
#[test]
fn size_report_and_compare_describe_the_adaptive_design() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("adaptive.toml");
    std::fs::write(
        &file,
        design_text("best", "simes", [0.5, 0.3], "[\"s\", \"overall\"]"),
    )
    .unwrap();
    let out = dir.path().join("out");
    let out = out.to_str().unwrap();
    let endotrial = |args: &[&str]| -> String {
        common::endotrial(
            args.iter()
                .chain(&["--quiet", "--replicates", "4000", "--out", out]),
        )
    };
    let path = file.to_str().unwrap();
    let size = endotrial(&["size", path, "--power", "0.8", "--hypothesis", "any"]);
    assert!(size.contains("power to reject at least one hypothesis (2 hypotheses per comparison, closed testing with simes intersections"), "{size}");
    assert!(
        size.contains("normal approximation") && size.contains("none (adaptive enrichment)"),
        "{size}"
    );
    assert!(!size.contains("fixed design"), "{size}");
    endotrial(&["report", path, "--power", "0.8"]);
    let md = std::fs::read_to_string(dir.path().join("out/enrichment/report.md")).unwrap();
    for phrase in [
        "The design is adaptive: at look 1 it keeps the population with the best observed effect",
        "the hypotheses of the 2 populations (s, overall) are tested by closed testing with Simes intersection tests",
        "| - | +0.0600 | - |",
    ] {
        assert!(md.contains(phrase), "{phrase} not in\n{md}");
    }
    let compare = endotrial(&[
        "compare",
        path,
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scenarios/immunosep_sequential.toml"
        ),
        "--power",
        "0.8",
    ]);
    assert!(
        compare.contains("enrichment") && compare.contains("immunosep_sequential"),
        "{compare}"
    );
}

/// Labels drawn at screening (`label_counts = "random"`), misclassified, with screen failures
/// and dropout: the engine against a patient-by-patient simulator written here. Three
/// endotypes (a 25%, b 50%, c 25%; a is labelled b for 20% of its patients, b is labelled a for
/// 10%, c is not eligible), response 0.3 under control and 0.6 on the drug for true endotype a
/// only, 10% dropout; populations "overall" (labels a and b) and "a"; the best population kept
/// at half, Simes intersections. Power, each hypothesis' rejection, the selection, and the
/// patients screened before and after the selection agree within 4 MC SE.
#[test]
fn random_labels_match_a_patient_level_oracle() {
    let text = r#"
name = "random_labels"
[simulation]
replicates = 100000
seed = 21
[[endotype]]
name = "a"
prevalence = 0.25
control_risk = 0.3
classified_as = { a = 0.8, b = 0.2 }
[[endotype]]
name = "b"
prevalence = 0.5
control_risk = 0.3
classified_as = { a = 0.1, b = 0.9 }
[[endotype]]
name = "c"
prevalence = 0.25
control_risk = 0.3
[enrollment]
sample_size = 200
eligible = ["a", "b"]
dropout = 0.1
label_counts = "random"
[endpoint]
event = "response"
better = "higher"
[[treatment]]
name = "drug"
effect = "risk"
by_endotype = { a = 0.6 }
[[arm]]
name = "control"
ratio = 1
[[arm]]
name = "drug"
ratio = 1
treatment = "drug"
[analysis]
control = "control"
test = "cmh"
alpha = 0.025
alternative = "one_sided"
hypotheses = ["overall", "a"]
[sequential]
looks = [0.5, 1.0]
efficacy = "wang_tsiatis"
efficacy_parameter = 0
[adaptation]
at_look = 1
selection = "best"
[cost]
currency = "EUR"
screening = 10
per_patient = 1000
"#;
    let r = run(text);
    let n = r.summary.replicates as f64;

    // The oracle. Per label (0 = a, 1 = b) and arm: [evaluable, responders] of a stage.
    let trials = 20_000;
    let mut rng = ChaCha8Rng::seed_from_u64(2026);
    let upper = |z: f64| 0.5 * libm_erfc(z / std::f64::consts::SQRT_2);
    // z of label set `labels` from `t[label][arm] = (n, x)`: pooled over one label, CMH z with
    // binomial variances over both.
    let z_of = |t: &[[(f64, f64); 2]; 2], labels: &[usize]| -> f64 {
        let (mut num, mut var) = (0.0, 0.0);
        if labels.len() == 1 {
            let [(n0, x0), (n1, x1)] = t[labels[0]];
            let p = (x0 + x1) / (n0 + n1);
            let v = p * (1.0 - p) * (1.0 / n0 + 1.0 / n1);
            return if n0 > 0.0 && n1 > 0.0 && v > 0.0 {
                (x1 / n1 - x0 / n0) / v.sqrt()
            } else {
                0.0
            };
        }
        for &l in labels {
            let [(n0, x0), (n1, x1)] = t[l];
            if n0 == 0.0 || n1 == 0.0 {
                continue;
            }
            let w = n0 * n1 / (n0 + n1);
            let p = (x0 + x1) / (n0 + n1);
            num += w * (x1 / n1 - x0 / n0);
            var += w * p * (1.0 - p);
        }
        if var > 0.0 { num / var.sqrt() } else { 0.0 }
    };
    let populations: [&[usize]; 2] = [&[0, 1], &[0]];
    let (mut any, mut rejected, mut kept_a) = (0.0, [0.0; 2], 0.0);
    let (mut screened_before, mut screened_after) = (Vec::new(), Vec::new());
    // Trials reaching the second stage, and its patients in each population kept.
    let (mut continued, mut after) = (0.0, [0.0; 2]);
    for _ in 0..trials {
        let mut block: Vec<usize> = Vec::new();
        let mut recruit: &[usize] = &[0, 1];
        let mut selected = [true, true];
        let mut cumulative = [[(0.0, 0.0); 2]; 2];
        let mut z_sum = [0.0f64; 3]; // intersections {overall}, {a}, {overall, a}
        let mut done = [false; 3];
        let mut hyp = [false; 2];
        let mut screens = [0u32; 2];
        for stage in 0..2 {
            continued += f64::from(u8::from(stage == 1));
            let mut t = [[(0.0, 0.0); 2]; 2];
            let mut randomised = 0;
            while randomised < 100 {
                screens[stage] += 1;
                let u: f64 = rng.random();
                let endotype = if u < 0.25 {
                    0
                } else if u < 0.75 {
                    1
                } else {
                    2
                };
                let label = match endotype {
                    0 => usize::from(rng.random::<f64>() >= 0.8),
                    1 => usize::from(rng.random::<f64>() >= 0.1),
                    _ => 2,
                };
                if !recruit.contains(&label) {
                    continue;
                }
                randomised += 1;
                for h in 0..2 {
                    let counts = stage == 1 && selected[h] && populations[h].contains(&label);
                    after[h] += f64::from(u8::from(counts));
                }
                if block.is_empty() {
                    block = if rng.random::<bool>() {
                        vec![0, 1]
                    } else {
                        vec![1, 0]
                    };
                }
                let arm = block.pop().expect("a place");
                if rng.random::<f64>() < 0.1 {
                    continue; // dropout
                }
                let risk = if arm == 1 && endotype == 0 { 0.6 } else { 0.3 };
                let cell = &mut t[label][arm];
                cell.0 += 1.0;
                cell.1 += f64::from(u8::from(rng.random::<f64>() < risk));
            }
            for l in 0..2 {
                for a in 0..2 {
                    cumulative[l][a].0 += t[l][a].0;
                    cumulative[l][a].1 += t[l][a].1;
                }
            }
            let p: Vec<f64> = (0..2)
                .map(|h| {
                    if selected[h] {
                        upper(z_of(&t, populations[h]))
                    } else {
                        f64::NAN
                    }
                })
                .collect();
            let weight = 0.5f64.sqrt();
            for (i, members) in [[true, false], [false, true], [true, true]]
                .iter()
                .enumerate()
            {
                let available: Vec<f64> = (0..2)
                    .filter(|&h| members[h] && selected[h])
                    .map(|h| p[h])
                    .collect();
                if done[i] || available.is_empty() {
                    continue;
                }
                let mut sorted = available.clone();
                sorted.sort_by(f64::total_cmp);
                let m = sorted.len() as f64;
                let pi = sorted
                    .iter()
                    .enumerate()
                    .map(|(j, &q)| m / (j + 1) as f64 * q)
                    .fold(1.0f64, f64::min)
                    .clamp(1e-300, 1.0 - 1e-16);
                z_sum[i] += weight * inverse_upper(pi);
                let norm = (weight * weight * (stage + 1) as f64).sqrt();
                done[i] |= z_sum[i] / norm >= BOUNDS[stage];
            }
            for h in 0..2 {
                hyp[h] |= selected[h] && done[h] && done[2];
            }
            let success = (0..2).all(|h| !selected[h] || hyp[h]);
            if stage == 0 && !success {
                let mut effect = |h: usize| {
                    let (mut c, mut d) = ((0.0, 0.0), (0.0, 0.0));
                    for &l in populations[h] {
                        c.0 += cumulative[l][0].0;
                        c.1 += cumulative[l][0].1;
                        d.0 += cumulative[l][1].0;
                        d.1 += cumulative[l][1].1;
                    }
                    d.1 / d.0 - c.1 / c.0 + rng.random_range(-1e-5..1e-5)
                };
                let (e0, e1) = (effect(0), effect(1));
                let best = if e1 > e0 { 1 } else { 0 };
                selected = [best == 0, best == 1];
                kept_a += f64::from(u8::from(best == 1));
                recruit = if best == 1 { &[0] } else { &[0, 1] };
            }
            if success || stage == 1 {
                break;
            }
        }
        any += f64::from(u8::from(hyp[0] || hyp[1]));
        for (count, &r) in rejected.iter_mut().zip(&hyp) {
            *count += f64::from(u8::from(r));
        }
        screened_before.push(f64::from(screens[0]));
        screened_after.push(f64::from(screens[1]));
    }
    let t = f64::from(trials);
    close("any", r.summary.power, n, any / t, t);
    for (h, &count) in rejected.iter().enumerate() {
        close(
            &format!("hypothesis {h}"),
            r.hypotheses[h].power,
            n,
            count / t,
            t,
        );
    }
    close("a kept", r.adaptation[1].p_selected, n, kept_a / t, t);
    let mean_sd = |v: &[f64]| {
        let m = v.iter().sum::<f64>() / v.len() as f64;
        let var = v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64;
        (m, var.sqrt())
    };
    for (what, engine, oracle) in [
        (
            "screened before",
            r.adaptation[0].mean_screened_before,
            mean_sd(&screened_before),
        ),
        (
            "screened after",
            r.adaptation[0].mean_screened_after,
            mean_sd(&screened_after),
        ),
    ] {
        let se = oracle.1 * (1.0 / t + 1.0 / n).sqrt();
        common::assert_mc(what, engine, oracle.0, se);
    }
    // The 95th percentiles of the screened lie between the oracle's 94th and 96th (about six
    // SE of the two empirical CDFs either side).
    for (what, engine, mut oracle) in [
        (
            "screened before",
            r.adaptation[0].p95_screened_before,
            screened_before,
        ),
        (
            "screened after",
            r.adaptation[0].p95_screened_after,
            screened_after,
        ),
    ] {
        oracle.sort_by(f64::total_cmp);
        let at = |q: f64| oracle[(q * t).ceil() as usize - 1];
        let engine = engine as f64;
        assert!(
            at(0.94) <= engine && engine <= at(0.96),
            "{what}: p95 {engine} outside [{}, {}]",
            at(0.94),
            at(0.96)
        );
    }
    // Randomised: 100 before the interim, 100 after it in the trials that reach it; a
    // population's count after it is its patients while it is kept.
    let a = &r.adaptation;
    assert_eq!(a[0].mean_randomised_before_selection, 100.0);
    let p_continue = continued / t;
    close(
        "randomised after",
        a[0].mean_randomised_after_selection / 100.0,
        n,
        p_continue,
        t,
    );
    for (h, row) in a.iter().enumerate() {
        // At most 100 per trial: an SD of at most 50.
        let oracle = after[h] / t;
        let tolerance = common::MC_SE * 50.0 * (1.0 / t + 1.0 / n).sqrt();
        assert!(
            (row.mean_randomised_after - oracle).abs() < tolerance,
            "{}: randomised after {} vs {oracle}",
            row.hypothesis,
            row.mean_randomised_after
        );
    }
    // Cost: 10 per screened and 1000 per randomised patient, before and after.
    for row in a {
        let before =
            10.0 * row.mean_screened_before + 1000.0 * row.mean_randomised_before_selection;
        let after = 10.0 * row.mean_screened_after + 1000.0 * row.mean_randomised_after_selection;
        assert!((row.mean_cost_before - before).abs() < 1e-6 * before);
        assert!((row.mean_cost_after - after).abs() < 1e-6 * after);
        assert_eq!(row.currency, "EUR");
        let p = row.p_selected;
        assert!((row.p_selected_se - se(p, n)).abs() < 1e-15);
    }
}

/// The upper-tail normal quantile: Phi^-1(1 - p), by bisection on `libm_erfc` (independent of
/// the engine's statrs).
fn inverse_upper(p: f64) -> f64 {
    let (mut lo, mut hi) = (-40.0f64, 40.0f64);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if 0.5 * libm_erfc(mid / std::f64::consts::SQRT_2) > p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// The shipped adaptive scenario through the command line: three shards merged are
/// byte-identical to one run (adaptation.csv and hypotheses.csv too), `sweep` varies
/// `adaptation.threshold`, and `validate` shows each population and the eligible fraction after
/// each possible selection.
#[test]
fn shards_sweep_and_validate_cover_the_adaptive_design() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/immunosep_enrichment.toml"
    );
    let out = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let (single, sharded, merged) = (out("single"), out("sharded"), out("merged"));
    common::endotrial([
        "run",
        scenario,
        "--quiet",
        "--replicates",
        "30000",
        "--out",
        &single,
    ]);
    for k in 1..=3 {
        let shard = format!("{k}/3");
        common::endotrial([
            "run",
            scenario,
            "--quiet",
            "--replicates",
            "30000",
            "--shard",
            &shard,
            "--out",
            &sharded,
        ]);
    }
    common::endotrial([
        "merge",
        &format!("{sharded}/immunosep_enrichment/shards"),
        "--out",
        &merged,
    ]);
    for file in [
        "summary.csv",
        "hypotheses.csv",
        "sequential.csv",
        "adaptation.csv",
    ] {
        let read =
            |root: &str| std::fs::read(format!("{root}/immunosep_enrichment/{file}")).unwrap();
        assert_eq!(read(&single), read(&merged), "{file}");
    }
    common::endotrial([
        "sweep",
        scenario,
        "--quiet",
        "--replicates",
        "5000",
        "--set",
        "adaptation.threshold=-1,1",
        "--out",
        &out("sweep"),
    ]);
    let csv = std::fs::read_to_string(format!("{}/immunosep_enrichment/sweep.csv", out("sweep")))
        .unwrap();
    assert_eq!(csv.lines().count(), 3, "{csv}");
    let validate = common::endotrial(["validate", scenario]);
    for phrase in [
        "adaptation: at look 1 keep every population whose z exceeds 0",
        "mals             labels mals; by true endotype: mals 1.0000, immunoparalysis 0.0000, unclassified 0.0000; eligible fraction if it alone continues 0.0745",
        "eligible fraction of screening: before the selection 0.4362; after it, by the populations kept: overall 0.4362; mals 0.0745;",
    ] {
        assert!(validate.contains(phrase), "{phrase} not in\n{validate}");
    }
}
