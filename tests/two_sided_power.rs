//! A two-sided test's power counted for benefit only (`analysis.two_sided_power = false`,
//! rpact's `twoSidedPower = FALSE`):
//! - analytic power against R's `power.prop.test(strict = FALSE)` (one tail) and the normal
//!   approximation's benefit tail written out, to 1e-10;
//! - analytic stage-wise efficacy and harm probabilities against rpact's own group-sequential
//!   integration (`.getGroupSequentialProbabilities` with both bounds), to 1e-8;
//! - simulated power of the chi-square and Fisher tests against exact enumeration of every
//!   2 x 2 table (the test's decisions written here, sharing no code with the engine), within
//!   4 SE, and the hypotheses' rejections equal to the power;
//! - simulated efficacy and harm stops per look against the analytic ones, within 4 SE;
//! - binary, continuous (and its responders' test) and time to event, fixed and event-driven
//!   with looks: the rejections for benefit and for harm partition the two-sided test's
//!   rejections exactly (the same seed with `better` reversed counts the other direction);
//!   ordinal (whose levels fix `better`) one way; and every endpoint's analytic power the same
//!   way, a continuous sequential design against rpact's integration in both directions;
//! - `false` is refused with a one-sided test; summary.csv and sequential.csv say what they
//!   count.

use crate::common;

use endotrial::engine;
use endotrial::engine::summary::{self, EndpointColumns};
use endotrial::stats::power;

/// A two-arm binary design, control risk 0.3, the arm at `arm_risk`, fewer events better.
fn binary(arm_risk: f64, n: u64, analysis: &str, rest: &str, replicates: u64) -> String {
    common::OneEndotype {
        name: "tsp",
        seed: 29,
        replicates,
        control_risk: 0.3,
        arm_risk,
        better: "lower",
        sample_size: n,
        ratios: (1, 1),
        analysis,
        rest,
    }
    .toml()
}

const ONE_WAY: &str = "test = \"chi_square\"\nalternative = \"two_sided\"\ntwo_sided_power = false";
const BOTH: &str = "test = \"chi_square\"\nalternative = \"two_sided\"";

/// ```r
/// power.prop.test(n = 100, p1 = 0.25, p2 = 0.3, strict = FALSE)$power  # 0.121002157664963
/// power.prop.test(n = 100, p1 = 0.25, p2 = 0.3, strict = TRUE)$power   # 0.12392695917968
/// power.prop.test(n = 100, p1 = 0.22, p2 = 0.3, strict = FALSE)$power  # 0.25043646471572
/// power.prop.test(n = 100, p1 = 0.22, p2 = 0.3, strict = TRUE)$power   # 0.250987249113487
/// # a harmful arm (0.35 against 0.3, fewer events better): the benefit's tail only
/// n <- 100; p1 <- 0.35; p0 <- 0.3; c <- qnorm(0.975); pbar <- (p1 + p0) / 2
/// sd0 <- sqrt(pbar * (1 - pbar) * 2 / n); sd1 <- sqrt(p1 * (1 - p1) / n + p0 * (1 - p0) / n)
/// pnorm((p0 - p1 - c * sd0) / sd1)                                    # 0.00327704135190421
/// ```
#[test]
fn fixed_analytic_power_counts_the_benefit_tail() {
    let cases = [
        (0.25, 0.121002157664963, 0.12392695917968),
        (0.22, 0.25043646471572, 0.250987249113487),
    ];
    for (arm, one_way, both) in cases {
        let d = common::design(&binary(arm, 200, ONE_WAY, "", 10));
        let p = power::analytic_power(&d, 1);
        assert!((p - one_way).abs() < 1e-10, "{arm}: {p} vs R {one_way}");
        let d = common::design(&binary(arm, 200, BOTH, "", 10));
        let p = power::analytic_power(&d, 1);
        assert!((p - both).abs() < 1e-10, "{arm}: {p} vs R {both}");
    }
    let d = common::design(&binary(0.35, 200, ONE_WAY, "", 10));
    let p = power::analytic_power(&d, 1);
    assert!((p - 0.00327704135190421).abs() < 1e-10, "harmful arm: {p}");
}

/// Classic O'Brien-Fleming bounds (rpact's typeOfDesign = "OF").
const OF_TWO_LOOKS: &str =
    "[sequential]\nlooks = [0.5, 1.0]\nefficacy = \"wang_tsiatis\"\nefficacy_parameter = 0.0";

/// ```r
/// des <- getDesignGroupSequential(kMax = 2, alpha = 0.05, sided = 2, typeOfDesign = "OF")
/// n <- 100; p0 <- 0.3; c <- qnorm(0.975); t <- des$informationRates
/// for (p1 in c(0.22, 0.45)) {
///   pbar <- (p1 + p0) / 2; sd0 <- sqrt(pbar * (1 - pbar) * 2 / n)
///   sd1 <- sqrt(p1 * (1 - p1) / n + p0 * (1 - p0) / n)
///   e <- p0 - p1  # towards benefit
///   drift <- e / sd1 + sign(e) * c * (1 - sd0 / sd1)
///   dm <- matrix(c(-des$criticalValues - drift * sqrt(t),
///                  des$criticalValues - drift * sqrt(t)), nrow = 2, byrow = TRUE)
///   probs <- rpact:::.getGroupSequentialProbabilities(dm, t)
///   print(probs[3, ] - probs[2, ], digits = 15); print(probs[1, ], digits = 15)
/// }
/// ```
/// (rpact 3.3.4: efficacy above the upper bound, harm below the lower one). Their sums are
/// getPowerRates(des, pi1 = p1, pi2 = p0, maxNumberOfSubjects = 200)$rejectPerStage, which
/// counts both: 0.0297140931855169 0.219059393664262 and 0.106513790878241 0.482134818079358.
#[test]
fn sequential_analytic_efficacy_and_harm_are_rpacts_integration() {
    let cases = [
        (
            0.22,
            [0.0296089999971758, 0.218537590878995],
            [0.000105093188341041, 0.000521802785266611],
        ),
        (
            0.45,
            [6.87867762139138e-06, 1.45031494170889e-05],
            [0.10650691220062, 0.482120314929941],
        ),
    ];
    for (arm, efficacy, harm) in cases {
        let d = common::design(&binary(arm, 200, ONE_WAY, OF_TWO_LOOKS, 10));
        let stages = power::analytic_stages(&d, 1).expect("a drift");
        for k in 0..2 {
            let close = |ours: f64, rpact: f64, what: &str| {
                assert!(
                    (ours - rpact).abs() < 1e-8,
                    "{arm} look {k} {what}: {ours} vs rpact {rpact}"
                )
            };
            close(stages.reject[k], efficacy[k], "efficacy");
            close(stages.harm[k], harm[k], "harm");
        }
        let total: f64 = efficacy.iter().sum();
        let p = power::analytic_power(&d, 1);
        assert!((p - total).abs() < 1e-8, "{arm} power {p} vs {total}");
        // Counting both ways: rpact's getPowerRates, whatever the direction of the effect.
        let both = common::design(&binary(arm, 200, BOTH, OF_TWO_LOOKS, 10));
        let stages = power::analytic_stages(&both, 1).expect("a drift");
        let mut total = 0.0;
        for k in 0..2 {
            let rpact = efficacy[k] + harm[k];
            assert!(
                (stages.reject[k] - rpact).abs() < 1e-8,
                "{arm} look {k} both"
            );
            assert!(stages.harm.is_empty());
            total += rpact;
        }
        let p = power::analytic_power(&both, 1);
        assert!((p - total).abs() < 1e-8, "{arm} power both {p} vs {total}");
    }
}

/// A continuous outcome, one endotype (control mean 0, SD 1), the arm 0.3 lower, 100 per arm;
/// `better` lower (a benefit) or higher (a harm).
fn continuous(better: &str, analysis: &str) -> String {
    common::OneEndotypeContinuous {
        name: "tsp_continuous",
        seed: 1,
        replicates: 10,
        sd: 1.0,
        difference: -0.3,
        better,
        sample_size: 200,
        analysis,
        rest: OF_TWO_LOOKS,
    }
    .toml()
}

/// ```r
/// des <- getDesignGroupSequential(kMax = 2, alpha = 0.05, sided = 2, typeOfDesign = "OF")
/// t <- des$informationRates
/// for (drift in c(0.3 / sqrt(2 / 100), -0.3 / sqrt(2 / 100))) {
///   dm <- matrix(c(-des$criticalValues - drift * sqrt(t),
///                  des$criticalValues - drift * sqrt(t)), nrow = 2, byrow = TRUE)
///   probs <- rpact:::.getGroupSequentialProbabilities(dm, t)
///   print(probs[3, ] - probs[2, ], digits = 15); print(probs[1, ], digits = 15)
/// }
/// getPowerMeans(des, alternative = -0.3, stDev = 1, maxNumberOfSubjects = 200,
///               normalApproximation = TRUE)$rejectPerStage  # both: 0.0974086488330005 0.462940523875743
/// ```
#[test]
fn continuous_sequential_counts_its_direction() {
    let (benefit, harm) = (
        [0.0973999734133043, 0.462920654432445],
        [8.67541969616398e-06, 1.98694432979628e-05],
    );
    let analysis = "test = \"t_test\"\ntwo_sided_power = false";
    for (better, efficacy, against) in [("lower", benefit, harm), ("higher", harm, benefit)] {
        let d = common::design(&continuous(better, analysis));
        let stages = power::analytic_stages(&d, 1).expect("a drift");
        for k in 0..2 {
            let what = format!("better {better} look {k}");
            assert!((stages.reject[k] - efficacy[k]).abs() < 1e-9, "{what}");
            assert!((stages.harm[k] - against[k]).abs() < 1e-9, "{what}");
        }
        let p = power::analytic_power(&d, 1);
        assert!(
            (p - efficacy.iter().sum::<f64>()).abs() < 1e-9,
            "{better}: {p}"
        );
    }
    let both = common::design(&continuous("higher", "test = \"t_test\""));
    let p = power::analytic_power(&both, 1);
    assert!(
        (p - (0.0974086488330005 + 0.462940523875743)).abs() < 1e-9,
        "both: {p}"
    );
}

/// Fixed designs of every endpoint's analytic power: counting benefit only takes away at most
/// the far tail where the effect is a benefit, and leaves only it where the effect is a harm
/// (`better` reversed).
#[test]
fn fixed_analytic_power_of_every_endpoint_counts_its_direction() {
    let wilcoxon = |text: String| text.replace("test = \"t_test\"", "test = \"wilcoxon\"");
    // Proportional hazards (one endotype), tested two-sided.
    let log_rank = shipped("classic_event_driven.toml", 10, true)
        .replace("alternative = \"one_sided\"", "alternative = \"two_sided\"");
    for (name, text) in [
        ("t test", shipped("immunosep_sofa.toml", 10, true)),
        (
            "wilcoxon",
            wilcoxon(shipped("immunosep_sofa.toml", 10, true)),
        ),
        ("log-rank", log_rank),
        ("chi-square", shipped("immunosep.toml", 10, true)),
    ] {
        let one_way = power::analytic_power(&common::design(&text), 1);
        let both_text = text.replace("two_sided_power = false\n", "");
        let both = power::analytic_power(&common::design(&both_text), 1);
        let harm = power::analytic_power(&common::design(&reversed(&text)), 1);
        assert!(
            one_way <= both && one_way > both - 1e-3,
            "{name}: {one_way} of {both}"
        );
        assert!(harm < 1e-3, "{name}: {harm} for the harm's direction");
        assert!(
            (one_way + harm - both).abs() < 1e-9,
            "{name}: {one_way} + {harm} vs {both}"
        );
    }
}

/// The exact power of a two-sided level-alpha test counted for benefit (the arm's risk lower)
/// and for harm, `n` patients per arm: every table (x1, x0) with its probability, rejected by
/// `rejects(x1, x0)` and in the direction of the observed difference.
fn exact_by_direction(n: u64, p1: f64, p0: f64, rejects: impl Fn(u64, u64) -> bool) -> (f64, f64) {
    let (f1, f0) = (common::binomial_pmf(n, p1), common::binomial_pmf(n, p0));
    let (mut benefit, mut harm) = (0.0, 0.0);
    for x1 in 0..=n {
        for x0 in 0..=n {
            if !rejects(x1, x0) {
                continue;
            }
            let w = f1[x1 as usize] * f0[x0 as usize];
            match x1.cmp(&x0) {
                std::cmp::Ordering::Less => benefit += w,
                std::cmp::Ordering::Greater => harm += w,
                std::cmp::Ordering::Equal => panic!("a test rejecting no difference"),
            }
        }
    }
    (benefit, harm)
}

/// Two-sided Fisher p-value of (x1, x0) among n per arm, R's `fisher.test` (tables no more
/// likely than the observed, relative tolerance 1e-7), from log factorials.
fn fisher_p(x1: u64, x0: u64, n: u64) -> f64 {
    let ln_fact = |k: u64| (1..=k).map(|i| (i as f64).ln()).sum::<f64>();
    let m = x1 + x0;
    let ln_h = |k: u64| {
        ln_fact(n) - ln_fact(k) - ln_fact(n - k) + ln_fact(n)
            - ln_fact(m - k)
            - ln_fact(n - m + k)
            - (ln_fact(2 * n) - ln_fact(m) - ln_fact(2 * n - m))
    };
    let observed = ln_h(x1).exp();
    (m.saturating_sub(n)..=m.min(n))
        .map(|k| ln_h(k).exp())
        .filter(|&h| h <= observed * (1.0 + 1e-7))
        .sum()
}

/// Simulated power and the hypotheses' rejections of a fixed design with `analysis`, and the
/// exact power counted for benefit (one way) or both ways, within 4 SE.
fn assert_fixed_exact(what: &str, analysis: &str, n: u64, arm: f64, exact: (f64, f64)) {
    let (benefit, harm) = exact;
    for (one_way, expected) in [(true, benefit), (false, benefit + harm)] {
        let mut text = analysis.to_string();
        if one_way {
            text += "\ntwo_sided_power = false";
        }
        text += "\nhypotheses = [\"overall\"]";
        let d = common::design(&binary(arm, 2 * n, &text, "", 200_000));
        let tally = engine::simulate(&d, 0..d.replicates, &|_| {});
        let row = summary::summarise(&d, &tally).remove(0);
        common::assert_mc(
            &format!("{what} one way {one_way}"),
            row.power,
            expected,
            (expected * (1.0 - expected) / d.replicates as f64).sqrt(),
        );
        // The overall hypothesis is the same test, counted the same way.
        let hypotheses = summary::hypothesis_rows(&d, &tally);
        assert_eq!(hypotheses[0].power, row.power, "{what} one way {one_way}");
    }
}

#[test]
fn simulated_chi_square_power_is_exact_enumeration_by_direction() {
    // 60 per arm, 0.3 against 0.27: the harm's tail is many SE.
    let n = 60;
    let z975 = 1.959_963_984_540_054;
    let exact = exact_by_direction(n, 0.27, 0.3, |x1, x0| {
        common::pooled_z(x1 as f64, x0 as f64, n as f64).abs() > z975
    });
    assert!(exact.1 > 0.004, "the harm tail matters here: {exact:?}");
    assert_fixed_exact("chi-square", BOTH, n, 0.27, exact);
}

#[test]
fn simulated_fisher_power_is_exact_enumeration_by_direction() {
    let n = 40;
    let exact = exact_by_direction(n, 0.2, 0.3, |x1, x0| fisher_p(x1, x0, n) <= 0.05);
    let analysis = "test = \"fisher_exact\"\nalternative = \"two_sided\"";
    assert_fixed_exact("Fisher", analysis, n, 0.2, exact);
}

/// A harmful arm in a two-sided group-sequential design: the simulated stops for harm and for
/// efficacy per look agree with the analytic ones, and counting both ways adds them up
/// exactly (the same seed).
#[test]
fn sequential_harm_stops_match_their_analytic_values() {
    let d = common::design(&binary(0.45, 200, ONE_WAY, OF_TWO_LOOKS, 40_000));
    let tally = engine::simulate(&d, 0..d.replicates, &|_| {});
    let rows = summary::sequential_rows(&d, &tally);
    let r = d.replicates as f64;
    for row in &rows {
        let harm = row.harm.expect("harm stops counted apart");
        let se = |p: f64| (p * (1.0 - p) / r).sqrt();
        let what = format!("look {}", row.look);
        common::assert_mc(
            &format!("{what} harm"),
            harm.p_harm,
            harm.analytic_p_harm,
            se(harm.analytic_p_harm),
        );
        // A benefit is all but impossible here: at most a trial or two.
        assert!(row.p_efficacy <= 2.0 / r, "{what}: {}", row.p_efficacy);
    }
    let both = common::design(&binary(0.45, 200, BOTH, OF_TWO_LOOKS, 40_000));
    let tally_both = engine::simulate(&both, 0..both.replicates, &|_| {});
    let rows_both = summary::sequential_rows(&both, &tally_both);
    for (one, two) in rows.iter().zip(&rows_both) {
        let harm = one.harm.expect("harm").p_harm;
        assert!(two.harm.is_none());
        assert!(
            (one.p_efficacy + harm - two.p_efficacy).abs() < 1e-12,
            "look {}: {} + {harm} vs {}",
            one.look,
            one.p_efficacy,
            two.p_efficacy
        );
        assert_eq!(one.p_reached, two.p_reached);
    }
}

/// `text` with `better` reversed.
fn reversed(text: &str) -> String {
    if text.contains("better = \"lower\"") {
        text.replacen("better = \"lower\"", "better = \"higher\"", 1)
    } else {
        text.replacen("better = \"higher\"", "better = \"lower\"", 1)
    }
}

/// A shipped scenario with `replicates`, and its analysis counting power for benefit only
/// (`one_way`) or both ways.
fn shipped(name: &str, replicates: u64, one_way: bool) -> String {
    let text = std::fs::read_to_string(common::shipped_path(name)).unwrap();
    let mut out = String::new();
    for line in text.lines() {
        if line.starts_with("replicates") {
            out += &format!("replicates = {replicates}\n");
            continue;
        }
        out += line;
        out += "\n";
        if line.trim() == "[analysis]" && one_way {
            out += "two_sided_power = false\n";
        }
    }
    out
}

/// The power of each comparison of `text` (then, for a continuous outcome dichotomised, the
/// responders' test's), and the trials stopped for harm per look.
fn powers(text: &str) -> (Vec<f64>, Vec<u64>) {
    let d = common::design(text);
    let tally = engine::simulate(&d, 0..d.replicates, &|_| {});
    let rows = summary::summarise(&d, &tally);
    let harm = tally.sequential().map_or(Vec::new(), |s| s.harm.clone());
    let responders = rows.iter().filter_map(|r| match &r.endpoint {
        EndpointColumns::Continuous(c) if !c.responder_power.is_nan() => Some(c.responder_power),
        _ => None,
    });
    let powers = rows.iter().map(|r| r.power).chain(responders).collect();
    (powers, harm)
}

/// For each endpoint: the rejections for benefit (`better` as written) and for harm (`better`
/// reversed) partition the two-sided test's rejections, trial by trial (the same seed); the
/// benefit's are nearly all of them where the effect is a benefit.
#[test]
fn every_endpoint_partitions_its_rejections_by_direction() {
    for name in [
        "immunosep.toml",
        "immunosep_sofa.toml",
        "immunosep_survival.toml",
    ] {
        let replicates = 4_000;
        let (both, _) = powers(&shipped(name, replicates, false));
        let (benefit, _) = powers(&shipped(name, replicates, true));
        let (harm, _) = powers(&reversed(&shipped(name, replicates, true)));
        let r = replicates as f64;
        // The dichotomised continuous outcome's responders' test is counted too.
        assert_eq!(both.len(), 1 + usize::from(name == "immunosep_sofa.toml"));
        for j in 0..both.len() {
            let (b, h, all) = (benefit[j] * r, harm[j] * r, both[j] * r);
            assert!(
                (b + h - all).abs() < 1e-6,
                "{name} comparison {j}: {b} + {h} trials vs {all}"
            );
            assert!(
                h <= 0.01 * all,
                "{name} comparison {j}: {h} for harm of {all}"
            );
        }
    }
    // An ordinal scale's levels are listed worst first (`better` follows them): its benefit's
    // rejections are nearly all of the two-sided test's, at most as many.
    let (both, _) = powers(&shipped("immunosep_osfd.toml", 4_000, false));
    let (benefit, _) = powers(&shipped("immunosep_osfd.toml", 4_000, true));
    for (b, all) in benefit.iter().zip(&both) {
        assert!(b <= all && *b >= 0.99 * all, "ordinal: {b} of {all}");
    }
}

/// A two-sided event-driven design with looks: its stops for harm are the trials the
/// two-sided design rejects in that direction (with `better` reversed, the benefit's).
#[test]
fn event_driven_looks_stop_for_harm() {
    // Two-sided designs have no futility bounds.
    let text = shipped("classic_event_driven_looks.toml", 4_000, false)
        .replace("alternative = \"one_sided\"", "alternative = \"two_sided\"")
        .replace("futility = \"obrien_fleming\"\nfutility_beta = 0.2\n", "");
    let one_way = text.replace("[analysis]\n", "[analysis]\ntwo_sided_power = false\n");
    let (both, none) = powers(&text);
    let (benefit, harm_stops) = powers(&one_way);
    let (harm, benefit_stops) = powers(&reversed(&one_way));
    assert!(none.is_empty());
    let r = 4_000.0;
    let stopped = |v: &[u64]| v.iter().sum::<u64>() as f64;
    // Each trial rejects once at most, in one direction: the harm stops of one count are the
    // rejections of the other.
    assert!((benefit[0] * r + harm[0] * r - both[0] * r).abs() < 1e-6);
    assert!((stopped(&harm_stops) - harm[0] * r).abs() < 1e-6);
    assert!((stopped(&benefit_stops) - benefit[0] * r).abs() < 1e-6);
}

#[test]
fn refused_with_a_one_sided_test() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results");
    let text = binary(
        0.22,
        200,
        "test = \"chi_square\"\nalternative = \"one_sided\"\ntwo_sided_power = false",
        "",
        10,
    );
    common::assert_refused(
        dir.path(),
        &results,
        &text,
        "one_sided",
        "analysis.two_sided_power",
    );
}

#[test]
fn outputs_say_what_the_power_counts() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tsp.toml");
    std::fs::write(&file, binary(0.45, 200, ONE_WAY, OF_TWO_LOOKS, 2_000)).unwrap();
    let out = common::endotrial([
        "run",
        file.to_str().unwrap(),
        "--out",
        dir.path().join("r").to_str().unwrap(),
        "--quiet",
    ]);
    assert!(out.contains("two_sided, power for benefit only"), "{out}");
    let summary = std::fs::read_to_string(dir.path().join("r/tsp/summary.csv")).unwrap();
    let (header, row) = summary.split_once('\n').unwrap();
    let at = header.split(',').position(|c| c == "two_sided_power");
    assert_eq!(
        row.trim().split(',').nth(at.expect("column")),
        Some("false")
    );
    let sequential = std::fs::read_to_string(dir.path().join("r/tsp/sequential.csv")).unwrap();
    assert!(
        sequential
            .lines()
            .next()
            .unwrap()
            .ends_with("p_harm,p_harm_se,analytic_p_harm")
    );
}
