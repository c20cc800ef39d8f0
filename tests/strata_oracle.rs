//! Every per-label, interaction and multiplicity output against exact enumeration by the
//! independent oracle (`tests/oracle`): two labels measured without error, 1:1 blocks, the label
//! mix of each arm binomial, chi-square tests re-implemented there, Woolf's interaction test,
//! Holm over (overall, a, b). The drug acts on label a only, so label b's hypothesis is a true
//! null and the family-wise error has an exact, non-zero value: the check bounds it from both
//! sides (a procedure that never rejects fails it). Tolerance: 4 Monte Carlo SEs, fixed seed.

use crate::common::{self, assert_mc};
use crate::oracle;

use endotrial::engine::{self, summary};
use oracle::Side;

const N: u64 = 60;
const PA: f64 = 0.35;
// Control risks a 0.3, b 0.2; the drug triples label a's risk (risk ratio 2.5 -> 0.75).
const RISK: [[f64; 2]; 2] = [[0.3, 0.2], [0.75, 0.2]];

fn scenario(replicates: u64, seed: u64) -> String {
    format!(
        r#"
name = "two_strata"
[simulation]
replicates = {replicates}
seed = {seed}
[[endotype]]
name = "a"
prevalence = {PA}
control_risk = 0.3
[[endotype]]
name = "b"
prevalence = {pb}
control_risk = 0.2
[enrollment]
sample_size = {N}
[endpoint]
event = "response"
better = "higher"
[[treatment]]
name = "drug"
effect = "risk_ratio"
by_endotype = {{ a = 2.5 }}
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
alpha = 0.05
hypotheses = ["overall", "a", "b"]
multiplicity = "holm"
[cost]
currency = "EUR"
screening = 100
per_patient = 1000
"#,
        pb = 1.0 - PA
    )
}

fn proportion_se(p: f64, n: f64) -> f64 {
    (p * (1.0 - p) / n).sqrt()
}

/// A printed SE is the binomial one of its own estimate over `n` trials.
fn se_of(what: &str, se: f64, p: f64, n: f64) {
    assert!((se - proportion_se(p, n)).abs() < 1e-15, "{what}: SE {se}");
}

/// The Wilson 95% interval of a proportion `p` of `n` trials, as what defines it: the two
/// proportions p0 with (p - p0)^2 = z^2 p0 (1 - p0) / n (for p away from 0 and 1, where the
/// engine clips them).
fn assert_wilson(what: &str, (lo, hi): (f64, f64), p: f64, n: f64) {
    let z = 1.959963984540054;
    let off = |p0: f64| (p - p0).powi(2) - z * z * p0 * (1.0 - p0) / n;
    assert!(lo < p && p < hi, "{what}: {lo} {p} {hi}");
    assert!(
        off(lo).abs() < 1e-12 && off(hi).abs() < 1e-12,
        "{what}: {lo} {hi}"
    );
}

#[test]
fn subgroup_interaction_and_holm_outputs_match_exact_enumeration() {
    let r = 40_000u64;
    let d = common::design(&scenario(r, 3));
    let tally = engine::simulate(&d, 0..r, &|_| {});
    let x = oracle::two_strata(N / 2, PA, RISK, 0.05, Side::TwoSided, [false, false, true]);
    assert!(x.mass > 1.0 - 1e-9, "pruned mass {}", 1.0 - x.mass);
    let rf = r as f64;

    let row = &summary::summarise(&d, &tally)[0];
    assert_mc("power", row.power, x.power, proportion_se(x.power, rf));
    let b = row.binary().expect("a binary row");
    se_of("power", row.power_se, row.power, rf);
    assert_wilson(
        "power",
        (row.power_ci_low, row.power_ci_high),
        row.power,
        rf,
    );
    assert_mc(
        "coverage",
        b.coverage,
        x.coverage,
        proportion_se(x.coverage, rf),
    );
    assert_mc(
        "mean_difference",
        b.mean_difference,
        x.mean_difference,
        b.bias_se,
    );

    let subgroups = summary::subgroup_rows(&d, &tally);
    assert_eq!(subgroups.len(), 2);
    for (s, sub) in subgroups.iter().enumerate() {
        let what = |c: &str| format!("label {} {c}", sub.label);
        assert!((sub.true_risk_arm - RISK[1][s]).abs() < 1e-12);
        assert!((sub.true_risk_control - RISK[0][s]).abs() < 1e-12);
        assert!((sub.true_difference - (RISK[1][s] - RISK[0][s])).abs() < 1e-12);
        let p = x.label_power[s];
        assert_mc(&what("power"), sub.power, p, proportion_se(p, rf));
        se_of(&what("power"), sub.power_se, sub.power, rf);
        let e = x.label_estimable[s];
        assert_mc(
            &what("estimable"),
            sub.estimable as f64 / rf,
            e,
            proportion_se(e, rf),
        );
        // A within-label difference has SD below 0.5: the SE is at most 0.5 / sqrt(trials).
        assert_mc(
            &what("mean_difference"),
            sub.mean_difference,
            x.label_mean_difference[s],
            0.5 / (rf * e).sqrt(),
        );
        let pa = if s == 0 { PA } else { 1.0 - PA };
        let sd = ((N / 2) as f64 * pa * (1.0 - pa)).sqrt();
        assert_mc(
            &what("mean_evaluable_arm"),
            sub.mean_evaluable_arm,
            x.label_mean_evaluable_arm[s],
            sd / rf.sqrt(),
        );
        // Control's label count has the same binomial law as the drug arm's.
        assert_mc(
            &what("mean_evaluable_control"),
            sub.mean_evaluable_control,
            x.label_mean_evaluable_control[s],
            sd / rf.sqrt(),
        );
        let ip = x.interaction_power;
        assert_mc(
            &what("interaction_power"),
            sub.interaction_power,
            ip,
            proportion_se(ip, rf),
        );
        se_of(
            &what("interaction_power"),
            sub.interaction_power_se,
            sub.interaction_power,
            rf,
        );
    }

    let hypotheses = summary::hypothesis_rows(&d, &tally);
    assert_eq!(hypotheses.len(), 3);
    for (h, row) in hypotheses.iter().enumerate() {
        assert_eq!(row.procedure, "holm");
        assert_eq!(row.true_null, h == 2, "{}", row.hypothesis);
        let p = x.holm_power[h];
        assert_mc(
            &format!("{} power", row.hypothesis),
            row.power,
            p,
            proportion_se(p, rf),
        );
        assert_mc(
            "any_rejected",
            row.any_rejected,
            x.holm_any,
            proportion_se(x.holm_any, rf),
        );
        assert_mc(
            "all_rejected",
            row.all_rejected,
            x.holm_all,
            proportion_se(x.holm_all, rf),
        );
        assert_mc(
            "fwer",
            row.fwer,
            x.holm_fwer,
            proportion_se(x.holm_fwer, rf),
        );
        se_of(&row.hypothesis, row.power_se, row.power, rf);
        se_of("fwer", row.fwer_se, row.fwer, rf);
        assert_wilson("fwer", (row.fwer_ci_low, row.fwer_ci_high), row.fwer, rf);
    }
    // The checks have teeth: every quantity is far from 0 and 1 where it matters.
    assert!(x.holm_fwer > 0.005 && x.interaction_power > 0.2 && x.holm_power[1] > 0.3);
}

#[test]
fn cost_matches_the_negative_binomial_of_screening() {
    // Everyone is eligible here (q = 1): screened = N exactly. A design with screening failures:
    // only label a eligible (q = 0.35), so screened = N + NegBin(N, q).
    let r = 20_000u64;
    let text = scenario(r, 4)
        .replace("sample_size = 60", "sample_size = 60\neligible = [\"a\"]")
        .replace(
            "hypotheses = [\"overall\", \"a\", \"b\"]",
            "hypotheses = [\"overall\", \"a\"]",
        );
    let d = common::design(&text);
    let tally = engine::simulate(&d, 0..r, &|_| {});
    let row = &summary::summarise(&d, &tally)[0];
    // One label analysed: no interaction to test.
    let subgroups = summary::subgroup_rows(&d, &tally);
    assert_eq!(subgroups.len(), 1);
    assert!(subgroups[0].interaction_power.is_nan() && subgroups[0].interaction_power_se.is_nan());
    let (n, q) = (N as f64, PA);
    // Screen failures before the N-th success: mean N (1 - q) / q, variance N (1 - q) / q^2.
    let mean_screened = n / q;
    let se = (n * (1.0 - q)).sqrt() / q / (r as f64).sqrt();
    assert_mc("mean_screened", row.mean_screened, mean_screened, se);
    assert_mc(
        "mean_cost",
        row.mean_cost,
        100.0 * mean_screened + 1000.0 * n,
        100.0 * se,
    );
    // The 95th percentile: the negative binomial CDF summed here from its pmf
    // C(k + N - 1, k) q^N (1 - q)^k (R: qnbinom(0.95, 60, 0.35) + 60 -> 202).
    let mut cdf = 0.0;
    let p95 = (0u64..)
        .find(|&k| {
            cdf += (statrs::function::factorial::ln_binomial(k + N - 1, k)
                + n * q.ln()
                + k as f64 * (1.0 - q).ln())
            .exp();
            cdf >= 0.95
        })
        .unwrap()
        + N;
    assert_eq!(p95, 202);
    // The sample quantile's SE is about 0.4 patients here: within one patient.
    assert!(
        row.p95_screened.abs_diff(p95) <= 1,
        "{} vs {p95}",
        row.p95_screened
    );
    let p95_cost = 100.0 * row.p95_screened as f64 + 1000.0 * n;
    assert_eq!(row.p95_cost, p95_cost);
    assert_eq!(row.currency, "EUR");
    // Everyone eligible: no screen failures at all.
    let d = common::design(&scenario(2_000, 5));
    let row = &summary::summarise(&d, &engine::simulate(&d, 0..2_000, &|_| {}))[0];
    assert_eq!((row.mean_screened, row.p95_screened), (60.0, 60));
    assert_eq!(row.mean_cost, 100.0 * 60.0 + 1000.0 * 60.0);
}

#[test]
fn p95_screened_of_designs_screening_thousands_to_millions() {
    // Label a, the only eligible one, has prevalence q: screened = n + NegBin(n, q). The
    // histogram keeps a window from 12 SDs below the mean to 12 above: single-value bins from
    // 73,436 for (2000, 0.02) (screened about 100,000 +- 2,200) and from 3,241 for (2000, 0.5)
    // (about 4,000 +- 63; a mean of n / q instead of n (1 - q) / q would start it above the
    // 95th percentile); 64-wide bins from 303,028 for (200, 1e-4) (about 2.0 +- 0.14 million).
    // The reported quantile is the top of the bin where the empirical CDF reaches 0.95.
    // R: qnbinom(0.95, n, q) + n, and pnbinom at it.
    let r = 20_000u64;
    // The window (first value, log2 of the bin width), worked out by hand from the rule that
    // `screened_window` documents: n + mean - 12 SD of the failures (floored, at least n) to
    // n + mean + 12 SD (ceiled), bins single values unless that spans 65,536 values or more.
    for (n, q, window, r_p95, r_cdf) in [
        (2000u64, 0.02, (73_436, 0), 103_669, 0.950024451791588),
        (2000, 0.5, (3_241, 0), 4_105, 0.950986178977861),
        (200, 1e-4, (303_028, 6), 2_238_150, 0.9500000468683),
    ] {
        let text = scenario(r, 6)
            .replace(&format!("prevalence = {PA}"), &format!("prevalence = {q}"))
            .replace(
                &format!("prevalence = {}", 1.0 - PA),
                &format!("prevalence = {}", 1.0 - q),
            )
            .replace(
                "sample_size = 60",
                &format!("sample_size = {n}\neligible = [\"a\"]"),
            )
            .replace(
                "hypotheses = [\"overall\", \"a\", \"b\"]",
                "hypotheses = [\"overall\", \"a\"]",
            );
        let d = common::design(&text);
        assert!((d.eligible_fraction - q).abs() < 1e-15);
        let tally = engine::simulate(&d, 0..r, &|_| {});
        assert_eq!((tally.screened_offset, tally.screened_shift), window);
        let row = &summary::summarise(&d, &tally)[0];
        let cdf = |s: f64| common::screened_cdf(n as f64, q, s);
        assert!((cdf(r_p95 as f64) - r_cdf).abs() < 1e-9, "{n} {q}");
        // The empirical CDF is within 4 SEs of the exact one.
        let tol = common::MC_SE * (0.95 * 0.05 / r as f64).sqrt();
        let bin = f64::from(1u32 << window.1);
        common::assert_p95(&format!("{n} {q}"), cdf, row.p95_screened as f64, bin, tol);
        let mean = n as f64 / q;
        let se = (n as f64 * (1.0 - q)).sqrt() / q / (r as f64).sqrt();
        assert_mc("mean_screened", row.mean_screened, mean, se);
    }
}

#[test]
fn size_searches_the_adjusted_power_of_the_named_hypothesis() {
    use endotrial::tools::size::{self, Searched, SizeOptions};
    // At N = 60 the searched probabilities are the exact Holm ones.
    let r = 40_000u64;
    let d = common::design(&scenario(r, 6));
    let tally = engine::simulate(&d, 0..r, &|_| {});
    let x = oracle::two_strata(N / 2, PA, RISK, 0.05, Side::TwoSided, [false, false, true]);
    let rf = r as f64;
    for (searched, exact) in [
        (Searched::Test, x.power),
        (Searched::Hypothesis(0), x.holm_power[0]),
        (Searched::Hypothesis(1), x.holm_power[1]),
        (Searched::Any, x.holm_any),
        (Searched::All, x.holm_all),
    ] {
        let row = &size::searched_rows(&d, &tally, searched)[0];
        assert_mc(
            &format!("{searched:?}"),
            row.power,
            exact,
            proportion_se(exact, rf),
        );
        assert!((row.power_se - proportion_se(row.power, rf)).abs() < 1e-15);
        assert!(row.power_ci_low < row.power && row.power < row.power_ci_high);
    }
    assert_eq!(Searched::default_for(&d), Searched::Hypothesis(0));
    assert_eq!(Searched::parse(&d, "b"), Ok(Searched::Hypothesis(2)));
    assert!(Searched::parse(&d, "c").is_err());
    // Searching the adjusted power of label a, of overall, or of any: rejecting any hypothesis
    // is at least as likely as rejecting each (same trials), so it needs no more patients.
    let d = common::design(&scenario(4_000, 7));
    let n_for = |searched| {
        let opts = SizeOptions {
            target: 0.8,
            searched,
            arms: vec![1],
            min: None,
            max: Some(400),
        };
        let s = size::search(&d, &opts, &|_| {});
        let n = s.chosen.expect("reached");
        assert!(s.power_at(n).unwrap() >= 0.8);
        (n, s.searched)
    };
    let (adjusted, text) = n_for(Searched::Hypothesis(1));
    assert!(
        text.contains("hypothesis 'a'") && text.contains("holm"),
        "{text}"
    );
    let (overall, _) = n_for(Searched::Hypothesis(0));
    let (any, _) = n_for(Searched::Any);
    assert!(
        any <= overall.min(adjusted),
        "any {any} overall {overall} a {adjusted}"
    );
}
