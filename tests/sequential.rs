//! Group-sequential designs (`[sequential]`) against independent values:
//! - one look reproduces the fixed design byte for byte (two-arm, multi-arm with an incomplete
//!   block, simple randomisation, CMH with dropout);
//! - stage-wise efficacy and futility stopping probabilities and the expected number randomised
//!   (pipeline included) against exact enumeration of every sequence of stage-wise 2 x 2 tables,
//!   with a plain pooled z written here and boundaries from rpact, within 4 Monte Carlo SE;
//! - against rpact's `getSimulationRates` on one design, within 4 SE of the two simulations;
//! - a multi-arm trial whose effective arm stops early keeps the type I error of the null arm;
//! - bad `[sequential]` input exits 2 naming the key, results untouched.

use crate::common;

use std::fs;
use std::process::Command;

use common::TwoArm;
use endotrial::engine::{self, summary};
use endotrial::model::design::Design;
use endotrial::model::scenario::Scenario;
use endotrial::output;

fn seq_design(toml: &str) -> Design {
    common::design(toml)
}

/// The scenario with `[sequential]` (and the pipeline keys when given) added.
fn with_sequential(toml: &str, table: &str, accrual: Option<(f64, f64)>) -> String {
    let mut t = toml.to_string();
    if let Some((per_month, day)) = accrual {
        t = t
            .replacen(
                "[enrollment]\n",
                &format!("[enrollment]\naccrual_per_month = {per_month}\n"),
                1,
            )
            .replacen(
                "[endpoint]\n",
                &format!("[endpoint]\nassessment_day = {day}\n"),
                1,
            );
    }
    format!("{t}\n[sequential]\n{table}\n")
}

fn result_bytes(d: &Design) -> (Vec<u8>, Vec<u8>) {
    let tally = engine::simulate(d, 0..d.replicates, &|_| {});
    (
        output::result_csv::summary_csv(&summary::summarise(d, &tally)),
        output::result_csv::subgroups_csv(&summary::subgroup_rows(d, &tally)),
    )
}

const THREE_ARMS: &str = r#"
name = "three_arms"
[simulation]
replicates = 20000
seed = 5
[[endotype]]
name = "a"
prevalence = 0.3
control_risk = 0.4
classified_as = { a = 0.85, b = 0.15 }
[[endotype]]
name = "b"
prevalence = 0.7
control_risk = 0.25
[enrollment]
sample_size = 103
dropout = 0.05
[endpoint]
event = "death"
better = "lower"
[[treatment]]
name = "x"
effect = "odds_ratio"
by_endotype = { a = 0.5 }
[[arm]]
name = "control"
ratio = 2
[[arm]]
name = "x"
ratio = 1
treatment = "x"
[[arm]]
name = "y"
ratio = 2
assign = { b = "x" }
[analysis]
control = "control"
test = "cmh"
"#;

#[test]
fn one_look_is_the_fixed_design_byte_for_byte() {
    let one_look = "looks = [1.0]\nefficacy = \"obrien_fleming\"";
    let two_arm = |randomisation, test, alternative| {
        TwoArm {
            randomisation,
            test,
            alternative,
            sample_size: 57,
            ratio_drug: 2,
            ratio_control: 3,
            dropout: 0.1,
            replicates: 20_000,
            ..TwoArm::default()
        }
        .toml()
    };
    let cases = [
        two_arm("block", "chi_square", "two_sided"),
        two_arm("simple", "chi_square", "one_sided"),
        two_arm("block", "cmh", "one_sided"),
        THREE_ARMS.to_string(),
    ];
    for fixed in cases {
        let a = result_bytes(&seq_design(&fixed));
        let b = result_bytes(&seq_design(&with_sequential(&fixed, one_look, None)));
        assert!(a == b, "one look differs from the fixed design:\n{fixed}");
    }
}

/// rpact 3.3.4: getDesignGroupSequential(kMax=3, alpha=0.025, sided=1, typeOfDesign="asOF",
/// informationRates=c(1/3,2/3,1), futilityBounds=c(0,0), bindingFutility=FALSE)$criticalValues
/// (the same bounds without futility, and for sided=2, alpha=0.05).
const OF3: [f64; 3] = [3.71030287326250, 2.51142748445272, 1.99304748326540];
/// The same design's $alphaSpent (the last is alpha: rpact stops at 0.02499999) and
/// $stageLevels.
const OF3_SPENT: [f64; 3] = [0.000103505718147101, 0.006048389077275451, 0.025];
const OF3_LEVELS: [f64; 3] = [
    0.000103505718147101,
    0.006012199376896121,
    0.0231281239168987,
];
/// getDesignGroupSequential(kMax=2, alpha=0.025, sided=1, typeOfDesign="asP",
/// informationRates=c(0.5,1))$criticalValues
const POCOCK2: [f64; 2] = [2.15699921834468, 2.20097697526217];

/// The exact law of a two-arm group-sequential trial with `per_arm[k]` cumulative patients per
/// arm at look k (equal arms, as 1:1 permuted blocks give at even look sizes), event risks `p1`
/// (arm) and `p0` (control): per look, the probability of stopping for efficacy and for
/// futility, by enumeration of every sequence of stage-wise tables.
struct Exact {
    efficacy: Vec<f64>,
    futility: Vec<f64>,
    ended: Vec<f64>,
}

/// `sign`: +1 when a higher risk is a benefit. `two_sided`: reject on |z| >= c, no futility.
fn exact(
    per_arm: &[usize],
    p1: f64,
    p0: f64,
    efficacy: &[f64],
    futility: Option<&[f64]>,
    sign: f64,
    two_sided: bool,
) -> Exact {
    let max = *per_arm.last().unwrap();
    // mass[x1][x0] of trials still running with these cumulative events.
    let mut mass = vec![vec![0.0; max + 1]; max + 1];
    mass[0][0] = 1.0;
    let mut out = Exact {
        efficacy: vec![],
        futility: vec![],
        ended: vec![],
    };
    let mut before = 0;
    for (k, &n) in per_arm.iter().enumerate() {
        let m = n - before;
        let (f1, f0) = (
            common::binomial_pmf(m as u64, p1),
            common::binomial_pmf(m as u64, p0),
        );
        let mut next = vec![vec![0.0; max + 1]; max + 1];
        for x1 in 0..=before {
            for x0 in 0..=before {
                let w = mass[x1][x0];
                if w == 0.0 {
                    continue;
                }
                for (a, fa) in f1.iter().enumerate() {
                    for (b, fb) in f0.iter().enumerate() {
                        next[x1 + a][x0 + b] += w * fa * fb;
                    }
                }
            }
        }
        let (mut eff, mut fut) = (0.0, 0.0);
        let last = k + 1 == per_arm.len();
        for (x1, row) in next.iter_mut().enumerate().take(n + 1) {
            for (x0, w) in row.iter_mut().enumerate().take(n + 1) {
                let z = sign * common::pooled_z(x1 as f64, x0 as f64, n as f64);
                let reject = if two_sided {
                    z.abs() >= efficacy[k]
                } else {
                    z >= efficacy[k]
                };
                let futile = !last && !reject && futility.is_some_and(|f| z <= f[k]);
                if reject {
                    eff += *w;
                } else if futile {
                    fut += *w;
                }
                if reject || futile || last {
                    *w = 0.0;
                }
            }
        }
        out.efficacy.push(eff);
        out.futility.push(fut);
        out.ended.push(if last {
            1.0 - out.ended.iter().sum::<f64>()
        } else {
            eff + fut
        });
        mass = next;
        before = n;
    }
    out
}

struct Case {
    what: &'static str,
    arm: TwoArm<'static>,
    table: &'static str,
    accrual: Option<(f64, f64)>,
    per_arm: &'static [usize],
    efficacy: &'static [f64],
    futility: Option<&'static [f64]>,
    /// rpact's cumulative alpha spent, stage levels and cumulative beta spent (the calls are
    /// beside each case).
    alpha_spent: &'static [f64],
    stage_levels: &'static [f64],
    beta_spent: Option<&'static [f64]>,
}

/// TwoArm's true risks: endotype a (0.4, control risk 0.3, risk ratio `effect`), b (0.6, 0.15).
fn risks(arm: &TwoArm) -> (f64, f64) {
    (0.4 * 0.3 * arm.effect + 0.6 * 0.15, 0.4 * 0.3 + 0.6 * 0.15)
}

#[test]
fn stopping_probabilities_match_exact_enumeration() {
    let arm = |effect, better, alternative| TwoArm {
        effect,
        better,
        alternative,
        sample_size: 60,
        replicates: 200_000,
        seed: 8,
        ..TwoArm::default()
    };
    let three =
        "looks = [0.3333333333333333, 0.6666666666666666, 1.0]\nefficacy = \"obrien_fleming\"";
    let cases = [
        Case {
            what: "O'Brien-Fleming with non-binding O'Brien-Fleming beta spending (beta 0.2)",
            arm: arm(1.8, "higher", "one_sided"),
            table: "looks = [0.3, 0.7, 1.0]\nefficacy = \"obrien_fleming\"\nfutility = \"obrien_fleming\"\nfutility_beta = 0.2",
            accrual: None,
            per_arm: &[9, 21, 30],
            // rpact 3.3.4: getDesignGroupSequential(kMax=3, alpha=0.025, beta=0.2,
            // typeOfDesign="asOF", typeBetaSpending="bsOF", informationRates=c(0.3,0.7,1))
            efficacy: &[3.92857254262661, 2.43874237686396, 2.00000857561827],
            futility: Some(&[-0.451297880765311, 1.29448792012408]),
            // $alphaSpent, $stageLevels, $betaSpent
            alpha_spent: &[4.27257874446862e-05, 7.38448933253566e-03, 0.025],
            stage_levels: &[
                4.27257874446862e-05,
                7.36923562425573e-03,
                2.27496689462311e-02,
            ],
            beta_spent: Some(&[0.0192949815161362, 0.1255848557197978, 0.2]),
        },
        Case {
            what: "O'Brien-Fleming, non-binding futility at z = 0, alternative, pipeline of 9",
            arm: arm(2.0, "higher", "one_sided"),
            table: "looks = [0.3333333333333333, 0.6666666666666666, 1.0]\nefficacy = \"obrien_fleming\"\nfutility = \"z\"\nfutility_bounds = [0.0, 0.0]",
            accrual: Some((10.0, 28.0)),
            per_arm: &[10, 20, 30],
            efficacy: &OF3,
            futility: Some(&[0.0, 0.0]),
            alpha_spent: &OF3_SPENT,
            stage_levels: &OF3_LEVELS,
            beta_spent: None,
        },
        Case {
            what: "the same under the null, with accrual (most trials stop early: the median look is not the 95th percentile's)",
            arm: arm(1.0, "higher", "one_sided"),
            table: "looks = [0.3333333333333333, 0.6666666666666666, 1.0]\nefficacy = \"obrien_fleming\"\nfutility = \"z\"\nfutility_bounds = [0.0, 0.0]",
            accrual: Some((10.0, 28.0)),
            per_arm: &[10, 20, 30],
            efficacy: &OF3,
            futility: Some(&[0.0, 0.0]),
            alpha_spent: &OF3_SPENT,
            stage_levels: &OF3_LEVELS,
            beta_spent: None,
        },
        Case {
            what: "two-sided O'Brien-Fleming, a harmful drug (lower is better)",
            arm: arm(2.0, "lower", "two_sided"),
            table: three,
            accrual: None,
            per_arm: &[10, 20, 30],
            efficacy: &OF3,
            futility: None,
            // getDesignGroupSequential(kMax=3, alpha=0.05, sided=2, typeOfDesign="asOF",
            // informationRates=c(1/3,2/3,1)): alpha spent over both sides, levels per side
            alpha_spent: &[0.000207011436294202, 0.012096778151789965, 0.05],
            stage_levels: &OF3_LEVELS,
            beta_spent: None,
        },
        Case {
            what: "one-sided Pocock, lower is better, a beneficial drug, futility at z = 0.5",
            arm: arm(0.6, "lower", "one_sided"),
            table: "looks = [0.5, 1.0]\nefficacy = \"pocock\"\nfutility = \"z\"\nfutility_bounds = [0.5]",
            accrual: None,
            per_arm: &[15, 30],
            efficacy: &POCOCK2,
            futility: Some(&[0.5]),
            // getDesignGroupSequential(kMax=2, alpha=0.025, sided=1, typeOfDesign="asP",
            // informationRates=c(0.5,1), futilityBounds=0.5, bindingFutility=FALSE)
            alpha_spent: &[0.015502862673957, 0.025],
            stage_levels: &[0.0155028626739570, 0.0138688269384808],
            beta_spent: None,
        },
    ];
    for case in cases {
        let mut toml = case.arm.toml();
        if case.arm.alternative == "one_sided" {
            toml = toml.replace("alpha = 0.05", "alpha = 0.025");
        }
        let d = seq_design(&with_sequential(&toml, case.table, case.accrual));
        let tally = engine::simulate(&d, 0..d.replicates, &|_| {});
        let rows = summary::sequential_rows(&d, &tally);
        let (p1, p0) = risks(&case.arm);
        let sign = if case.arm.better == "higher" {
            1.0
        } else {
            -1.0
        };
        let e = exact(
            case.per_arm,
            p1,
            p0,
            case.efficacy,
            case.futility,
            sign,
            case.arm.alternative == "two_sided",
        );
        let r = d.replicates as f64;
        let close = |what: &str, sim: f64, exact: f64| {
            let se = binomial_se(exact, r).max(1.0 / r);
            assert!(
                (sim - exact).abs() < common::MC_SE * se,
                "{}: {what}: simulated {sim}, exact {exact} ({:.1} SE)",
                case.what,
                (sim - exact) / se
            );
        };
        let mut cumulative = 0.0;
        for (k, row) in rows.iter().enumerate() {
            close(
                &format!("look {} efficacy", k + 1),
                row.p_efficacy,
                e.efficacy[k],
            );
            close(
                &format!("look {} futility", k + 1),
                row.p_futility,
                e.futility[k],
            );
            cumulative += e.efficacy[k];
            close(
                &format!("look {} cumulative power", k + 1),
                row.cumulative_power,
                cumulative,
            );
            // Each SE is the binomial one of its own estimate.
            for (what, se, p) in [
                ("efficacy", row.p_efficacy_se, row.p_efficacy),
                ("futility", row.p_futility_se, row.p_futility),
                (
                    "cumulative power",
                    row.cumulative_power_se,
                    row.cumulative_power,
                ),
            ] {
                assert!(
                    (se - binomial_se(p, r)).abs() < 1e-15,
                    "{what} SE at look {k}"
                );
            }
            // The boundaries as printed are rpact's.
            let futility_z = case.futility.and_then(|f| f.get(k).copied());
            for (what, ours, rpact) in [
                ("efficacy z", row.efficacy_z, Some(case.efficacy[k])),
                ("futility z", row.futility_z, futility_z),
                ("alpha spent", row.alpha_spent, Some(case.alpha_spent[k])),
                ("stage level", row.efficacy_p, Some(case.stage_levels[k])),
                ("beta spent", row.beta_spent, case.beta_spent.map(|b| b[k])),
            ] {
                match rpact {
                    Some(v) => assert!(
                        (ours - v).abs() < 1e-6,
                        "{}: {what} {ours} vs {v}",
                        case.what
                    ),
                    None => assert!(ours.is_nan(), "{}: {what} {ours}", case.what),
                }
            }
        }
        // Randomised per trial: the patients with outcomes at the look that ended it, plus the
        // pipeline (10 a month x 28 days = 9.2 -> 9), at most the sample size.
        let pipeline = case.accrual.map_or(0, |_| 9);
        let at: Vec<f64> = case
            .per_arm
            .iter()
            .map(|&n| ((2 * n + pipeline).min(60)) as f64)
            .collect();
        // Trials reaching each look, and the patients randomised by it (fixed for two arms).
        let mut reached = 1.0;
        for (k, row) in rows.iter().enumerate() {
            close(&format!("look {} reached", k + 1), row.p_reached, reached);
            reached -= e.ended[k];
            assert_eq!(row.mean_randomised, at[k], "{}: look {}", case.what, k + 1);
            assert_eq!(
                row.planned_randomised.expect("patients planned") as f64,
                at[k],
                "{}",
                case.what
            );
        }
        let (mean, se) = mean_and_se(&e.ended, &at, r);
        let row = &summary::summarise(&d, &tally)[0];
        let simulated = if case.per_arm.len() > 1 {
            row.sequential().unwrap().expected_randomised
        } else {
            60.0
        };
        assert!(
            (simulated - mean).abs() < common::MC_SE * se,
            "{}: expected randomised {simulated} vs exact {mean} (SE {se})",
            case.what
        );
        if let Some(s) = &row.sequential() {
            early_stopping_columns(case.what, s, &e, &at, case.per_arm, case.accrual, r);
        }
        // Power is the sum of the efficacy stops.
        let power: f64 = e.efficacy.iter().sum();
        close("power", row.power, power);
    }
}

/// The SE of a proportion `p` estimated from `r` trials.
fn binomial_se(p: f64, r: f64) -> f64 {
    (p * (1.0 - p) / r).sqrt()
}

/// The mean of a quantity worth `values[k]` when the trial ends at look k (probability
/// `ended[k]`), and the SE of its average over `r` trials.
fn mean_and_se(ended: &[f64], values: &[f64], r: f64) -> (f64, f64) {
    let mean: f64 = ended.iter().zip(values).map(|(p, v)| p * v).sum();
    let var: f64 = ended
        .iter()
        .zip(values)
        .map(|(p, v)| p * (v - mean).powi(2))
        .sum();
    (mean, (var / r).sqrt())
}

/// summary.csv's columns of a design with interim looks against the exact law `e` of where a
/// trial ends, `at[k]` patients randomised when it ends at look k: the early stops, the 95th
/// percentiles (R's type 1: the first look where the exact CDF reaches 0.95, checked only where
/// the CDF is more than 4 SE from 0.95 so that the simulated one cannot fall on the other side)
/// and the months (`(n - 1) / accrual + day / 30.4375` at the look with n patients with outcomes,
/// `per_arm[k]` in each arm).
fn early_stopping_columns(
    what: &str,
    s: &endotrial::engine::summary::SequentialColumns,
    e: &Exact,
    at: &[f64],
    per_arm: &[usize],
    accrual: Option<(f64, f64)>,
    r: f64,
) {
    let last = e.ended.len() - 1;
    let close = |column: &str, sim: f64, exact: f64, se: f64| {
        assert!(
            (sim - exact).abs() < common::MC_SE * se.max(1.0 / r),
            "{what}: {column}: simulated {sim}, exact {exact} (SE {se})"
        );
    };
    let early = |p: &[f64]| p[..last].iter().sum::<f64>();
    for (column, sim, exact) in [
        ("p_early_stop", s.p_early_stop, early(&e.ended)),
        ("p_early_efficacy", s.p_early_efficacy, early(&e.efficacy)),
        ("p_early_futility", s.p_early_futility, early(&e.futility)),
    ] {
        close(column, sim, exact, binomial_se(exact, r));
    }
    assert_eq!(s.looks, e.ended.len());
    let mut cdf = 0.0;
    let mut p95 = None;
    for (k, p) in e.ended.iter().enumerate() {
        cdf += p;
        let se = binomial_se(cdf, r);
        if (cdf - 0.95).abs() < common::MC_SE * se.max(1.0 / r) && k < last {
            return; // too close to call: the simulated 95th percentile may be either look
        }
        if cdf >= 0.95 && p95.is_none() {
            p95 = Some(k);
        }
    }
    let p95 = p95.unwrap_or(last);
    assert_eq!(s.p95_randomised as f64, at[p95], "{what}: p95 randomised");
    let Some((per_month, day)) = accrual else {
        assert!(
            s.expected_months.is_nan() && s.p95_months.is_nan(),
            "{what}"
        );
        return;
    };
    // The look with n patients with outcomes (both arms) comes when the n-th has had hers;
    // time runs from the first randomisation, so the n-th is randomised n - 1 intervals of
    // 1 / rate later (issue 29: the engine put her at n / rate).
    let months: Vec<f64> = per_arm
        .iter()
        .map(|&n| (2 * n - 1) as f64 / per_month + day / 30.4375)
        .collect();
    let (mean, se) = mean_and_se(&e.ended, &months, r);
    close("expected_months", s.expected_months, mean, se);
    assert!(
        (s.p95_months - months[p95]).abs() < 1e-12,
        "{what}: p95 months"
    );
}

/// rpact 3.3.4 (R 4.2.2), seed 12345, 200,000 iterations:
/// ```r
/// d <- getDesignGroupSequential(kMax=3, alpha=0.025, sided=1, typeOfDesign="asOF",
///        informationRates=c(1/3,2/3,1), futilityBounds=c(0,0), bindingFutility=FALSE)
/// s <- getSimulationRates(d, groups=2, pi1=0.347, pi2=0.179, plannedSubjects=c(94,188,282),
///        maxNumberOfIterations=200000, seed=12345, directionUpper=TRUE)
/// s$rejectPerStage; s$futilityPerStage; s$expectedNumberOfSubjects
/// ```
/// and the same with pi1 = 0.179 (the null).
/// The scenario keys reach the boundaries rpact 3.3.4 gives for the same design
/// (`getDesignGroupSequential`, the calls beside the values).
#[test]
fn scenario_keys_give_rpacts_boundaries() {
    struct Keys {
        table: &'static str,
        alternative: &'static str,
        alpha: f64,
        efficacy: &'static [f64],
        futility: Option<&'static [f64]>,
    }
    let cases = [
        // kMax=4, alpha=0.025, sided=1, typeOfDesign="asKD", gammaA=2, informationRates=c(0.2,0.45,0.8,1)
        Keys {
            table: "looks = [0.2, 0.45, 0.8, 1.0]\nefficacy = \"kim_demets\"\nefficacy_parameter = 2",
            alternative: "one_sided",
            alpha: 0.025,
            efficacy: &[
                3.09023230616781,
                2.62186177819967,
                2.22165527194738,
                2.10358796268702,
            ],
            futility: None,
        },
        // kMax=3, alpha=0.025, sided=1, typeOfDesign="asHSD", gammaA=-4, informationRates=c(1/3,2/3,1)
        Keys {
            table: "looks = [0.3333333333333333, 0.6666666666666666, 1.0]\nefficacy = \"hwang_shih_decani\"\nefficacy_parameter = -4",
            alternative: "one_sided",
            alpha: 0.025,
            efficacy: &[3.01073948538569, 2.54653055220842, 1.99922635406256],
            futility: None,
        },
        // kMax=3, alpha=0.025, sided=1, typeOfDesign="WT", deltaWT=0, informationRates=c(1/3,2/3,1)
        Keys {
            table: "looks = [0.3333333333333333, 0.6666666666666666, 1.0]\nefficacy = \"wang_tsiatis\"\nefficacy_parameter = 0",
            alternative: "one_sided",
            alpha: 0.025,
            efficacy: &[3.47109144465409, 2.45443229863352, 2.00403557995285],
            futility: None,
        },
        // kMax=2, alpha=0.05, sided=2, typeOfDesign="asHSD", gammaA=1, informationRates=c(0.5,1)
        Keys {
            table: "looks = [0.5, 1.0]\nefficacy = \"hwang_shih_decani\"\nefficacy_parameter = 1",
            alternative: "two_sided",
            alpha: 0.05,
            efficacy: &[2.15549695616402, 2.2026965841651],
            futility: None,
        },
        // kMax=3, alpha=0.025, sided=1, typeOfDesign="asOF", informationRates=c(0.3,0.7,1),
        // futilityBounds=c(0,0.5), bindingFutility=TRUE
        Keys {
            table: "looks = [0.3, 0.7, 1.0]\nefficacy = \"obrien_fleming\"\nfutility = \"z\"\nfutility_bounds = [0.0, 0.5]\nbinding_futility = true",
            alternative: "one_sided",
            alpha: 0.025,
            efficacy: &[3.92857254262661, 2.43515435606241, 1.96624780446291],
            futility: Some(&[0.0, 0.5]),
        },
        // kMax=3, alpha=0.025, beta=0.2, typeOfDesign="asOF", typeBetaSpending="bsOF",
        // informationRates=c(0.3,0.7,1), bindingFutility=TRUE
        Keys {
            table: "looks = [0.3, 0.7, 1.0]\nefficacy = \"obrien_fleming\"\nfutility = \"obrien_fleming\"\nfutility_beta = 0.2\nbinding_futility = true",
            alternative: "one_sided",
            alpha: 0.025,
            efficacy: &[3.92857254262661, 2.43819620460272, 1.93093895167112],
            futility: Some(&[-0.486304162160103, 1.24101409269497]),
        },
        // kMax=4, alpha=0.025, beta=0.2, typeOfDesign="asKD", gammaA=3, typeBetaSpending="bsKD",
        // gammaB=2, informationRates=c(0.25,0.5,0.75,1), bindingFutility=TRUE
        Keys {
            table: "looks = [0.25, 0.5, 0.75, 1.0]\nefficacy = \"kim_demets\"\nefficacy_parameter = 3\nfutility = \"kim_demets\"\nfutility_parameter = 2\nfutility_beta = 0.2\nbinding_futility = true",
            alternative: "one_sided",
            alpha: 0.025,
            efficacy: &[
                3.35935371793431,
                2.76038988679647,
                2.35801591724157,
                1.98127984255552,
            ],
            futility: Some(&[-0.799718184915472, 0.3391511910595, 1.19975894829258]),
        },
    ];
    for c in cases {
        let toml = TwoArm {
            alternative: c.alternative,
            sample_size: 400,
            ..TwoArm::default()
        }
        .toml()
        .replace("alpha = 0.05", &format!("alpha = {}", c.alpha));
        let d = seq_design(&with_sequential(&toml, c.table, None));
        let (b, _, _) = endotrial::stats::boundaries::of_design(&d).unwrap();
        for (ours, rpact) in b.efficacy.iter().zip(c.efficacy) {
            assert!((ours - rpact).abs() < 1e-6, "{}: {:?}", c.table, b.efficacy);
        }
        assert_eq!(b.futility.is_some(), c.futility.is_some(), "{}", c.table);
        for (ours, rpact) in b
            .futility
            .iter()
            .flatten()
            .zip(c.futility.into_iter().flatten())
        {
            assert!((ours - rpact).abs() < 1e-6, "{}: {:?}", c.table, b.futility);
        }
    }
}

/// The printed normal-approximation power of a sequential design is rpact 3.3.4's:
/// ```r
/// d <- getDesignGroupSequential(kMax=2, alpha=0.025, sided=1, typeOfDesign="asOF",
///        informationRates=c(0.5,1), futilityBounds=0, bindingFutility=FALSE)
/// getPowerRates(d, groups=2, pi1=0.34731707317073174, pi2=0.17897560975609755,
///        maxNumberOfSubjects=280, directionUpper=TRUE)$overallReject   # 0.893124613562696
/// ```
/// (the shipped ImmunoSep sequential design without dropout).
#[test]
fn analytic_power_is_rpacts_get_power_rates() {
    let text = fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/immunosep_sequential.toml"
    ))
    .unwrap()
    .replace("dropout = 0.018", "dropout = 0.0");
    let d = seq_design(&text);
    let arm = d.comparisons().next().unwrap();
    let ours = endotrial::stats::power::analytic_power(&d, arm);
    assert!((ours - 0.893124613562696).abs() < 1e-6, "{ours}");
    // Unequal allocation (2:1), two-sided and one-sided with futility, lower is better:
    // d <- getDesignGroupSequential(kMax=3, alpha=0.05, sided=2, typeOfDesign="asOF",
    //        informationRates=c(0.3,0.7,1))
    // getPowerRates(d, groups=2, pi1=0.3, pi2=0.45, maxNumberOfSubjects=300,
    //        allocationRatioPlanned=2)$overallReject                       # 0.718444943963952
    // d2 <- getDesignGroupSequential(kMax=3, alpha=0.025, sided=1, typeOfDesign="asP",
    //        informationRates=c(0.3,0.7,1), futilityBounds=c(-0.5,0.5))
    // getPowerRates(d2, groups=2, pi1=0.3, pi2=0.45, maxNumberOfSubjects=300,
    //        allocationRatioPlanned=2, directionUpper=FALSE)$overallReject   # 0.645271225080256
    let text = |alternative: &str, alpha: f64, table: &str| {
        format!(
            r#"
name = "unequal"
[simulation]
replicates = 100
seed = 1
[[endotype]]
name = "all"
prevalence = 1.0
control_risk = 0.45
[enrollment]
sample_size = 300
[endpoint]
event = "death"
better = "lower"
[[treatment]]
name = "drug"
effect = "risk"
by_endotype = {{ all = 0.3 }}
[[arm]]
name = "control"
ratio = 1
[[arm]]
name = "drug"
ratio = 2
treatment = "drug"
[analysis]
control = "control"
test = "chi_square"
alpha = {alpha}
alternative = "{alternative}"
[sequential]
{table}
"#
        )
    };
    let design =
        |alternative: &str, alpha: f64, table: &str| seq_design(&text(alternative, alpha, table));
    for (d, rpact) in [
        (
            design(
                "two_sided",
                0.05,
                "looks = [0.3, 0.7, 1.0]\nefficacy = \"obrien_fleming\"",
            ),
            0.718444943963952,
        ),
        (
            design(
                "one_sided",
                0.025,
                "looks = [0.3, 0.7, 1.0]\nefficacy = \"pocock\"\nfutility = \"z\"\nfutility_bounds = [-0.5, 0.5]",
            ),
            0.645271225080256,
        ),
    ] {
        let ours = endotrial::stats::power::analytic_power(&d, 1);
        assert!((ours - rpact).abs() < 1e-6, "{ours} vs rpact {rpact}");
    }
    // Certain outcomes (no variance, so no drift): power 1 for a certain benefit, 0 for none
    // or for a certain harm, as `normal_power` gives the fixed design.
    for (control, drug, power) in [
        ("1.0", "0.0", 1.0),
        ("1.0", "1.0", 0.0),
        ("0.0", "1.0", 0.0),
    ] {
        let certain = text(
            "one_sided",
            0.025,
            "looks = [0.5, 1.0]\nefficacy = \"obrien_fleming\"",
        )
        .replace("control_risk = 0.45", &format!("control_risk = {control}"))
        .replace("all = 0.3", &format!("all = {drug}"));
        let ours = endotrial::stats::power::analytic_power(&seq_design(&certain), 1);
        assert_eq!(ours, power, "control {control}, drug {drug}");
    }
}

#[test]
fn agrees_with_rpact_get_simulation_rates() {
    struct Rpact {
        p1: f64,
        reject: [f64; 3],
        futility: [f64; 2],
        expected_n: f64,
    }
    let cases = [
        Rpact {
            p1: 0.347,
            reject: [0.025305, 0.522295, 0.328430],
            futility: [0.03881, 0.00186],
            expected_n: 220.67581,
        },
        Rpact {
            p1: 0.179,
            reject: [0.000065, 0.005610, 0.017840],
            futility: [0.554955, 0.114125],
            expected_n: 166.40115,
        },
    ];
    let rpact_iterations = 200_000.0;
    for c in cases {
        // One endotype, nobody misclassified or lost: rpact's model. 94 patients a stage in
        // blocks of 2: 47 a side, as rpact's ceil(94 / 2).
        let toml = format!(
            r#"
name = "rpact"
[simulation]
replicates = 400000
seed = 3
[[endotype]]
name = "all"
prevalence = 1.0
control_risk = 0.179
[enrollment]
sample_size = 282
[endpoint]
event = "response"
better = "higher"
[[treatment]]
name = "drug"
effect = "risk"
by_endotype = {{ all = {p1} }}
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
[sequential]
looks = [0.3333333333333333, 0.6666666666666666, 1.0]
efficacy = "obrien_fleming"
futility = "z"
futility_bounds = [0.0, 0.0]
"#,
            p1 = c.p1
        );
        let d = seq_design(&toml);
        let tally = engine::simulate(&d, 0..d.replicates, &|_| {});
        let rows = summary::sequential_rows(&d, &tally);
        let r = d.replicates as f64;
        let close = |what: String, ours: f64, theirs: f64| {
            let se = |p: f64, n: f64| (p * (1.0 - p) / n).sqrt();
            let se = (se(ours, r).powi(2) + se(theirs, rpact_iterations).powi(2))
                .sqrt()
                .max(1e-5);
            assert!(
                (ours - theirs).abs() < common::MC_SE * se,
                "p1 = {}: {what}: endotrial {ours}, rpact {theirs} ({:.1} SE)",
                c.p1,
                (ours - theirs) / se
            );
        };
        assert_eq!(rows.len(), 3);
        for (k, row) in rows.iter().enumerate() {
            close(
                format!("look {} efficacy", k + 1),
                row.p_efficacy,
                c.reject[k],
            );
            if k < 2 {
                close(
                    format!("look {} futility", k + 1),
                    row.p_futility,
                    c.futility[k],
                );
            }
        }
        // The expected number randomised, with the SE of both simulations from rpact's law of
        // the look where the trial ended (94, 188 or 282 patients).
        let ended = [
            c.reject[0] + c.futility[0],
            c.reject[1] + c.futility[1],
            1.0 - c.reject[0] - c.futility[0] - c.reject[1] - c.futility[1],
        ];
        let n = [94.0, 188.0, 282.0];
        let mean: f64 = ended.iter().zip(n).map(|(p, n)| p * n).sum();
        let sd = ended
            .iter()
            .zip(n)
            .map(|(p, n)| p * (n - mean) * (n - mean))
            .sum::<f64>()
            .sqrt();
        let s = summary::summarise(&d, &tally)[0]
            .sequential()
            .cloned()
            .unwrap();
        let se = sd * (1.0 / r + 1.0 / rpact_iterations).sqrt();
        assert!(
            (s.expected_randomised - c.expected_n).abs() < common::MC_SE * se,
            "p1 = {}: expected N {} vs rpact {} (SE {se})",
            c.p1,
            s.expected_randomised,
            c.expected_n
        );
    }
}

/// Stratified (CMH) z of per-label tables (arm events, arm n, control events, control n), arm
/// minus control, written here from the textbook formula; labels with fewer than 2 patients add
/// nothing; no variance: 0.
fn cmh_z(strata: &[[u64; 4]]) -> f64 {
    let (mut num, mut var) = (0.0, 0.0);
    for &[x1, n1, x0, n0] in strata {
        let (x1, n1, x0, n0) = (x1 as f64, n1 as f64, x0 as f64, n0 as f64);
        let (n, m) = (n1 + n0, x1 + x0);
        if n < 2.0 {
            continue;
        }
        num += x1 - n1 * m / n;
        var += n1 * n0 * m * (n - m) / (n * n * (n - 1.0));
    }
    if var > 0.0 { num / var.sqrt() } else { 0.0 }
}

/// Screening of a sequential design against its exact law given the number randomised R (the
/// distribution of R is the simulated one, itself checked against exact enumeration above): the
/// screen failures are negative binomial(R, q), so E[screened] = E[R] / q and
/// Var = E[R] (1 - q) / q^2 + Var(R) / q^2; mean within 4 SE, 95th percentile within 3 patients
/// of the mixture's.
fn check_screening(d: &Design, tally: &endotrial::engine::tally::Tally) {
    let q = d.eligible_fraction;
    assert!(q < 1.0, "a design with screen failures");
    let seq = tally.sequential().unwrap();
    let r = tally.trials as f64;
    let weights: Vec<(u64, f64)> = seq
        .randomised
        .iter()
        .map(|(&n, &t)| (n, t as f64 / r))
        .collect();
    let mean_r: f64 = weights.iter().map(|(n, w)| *n as f64 * w).sum();
    let var_r: f64 = weights
        .iter()
        .map(|(n, w)| w * (*n as f64 - mean_r).powi(2))
        .sum();
    let row = &summary::summarise(d, tally)[0];
    let exact = mean_r / q;
    let se = ((mean_r * (1.0 - q) + var_r) / (q * q) / r).sqrt();
    assert!(
        (row.mean_screened - exact).abs() < common::MC_SE * se,
        "{}: mean screened {} vs {exact} (SE {se})",
        d.name,
        row.mean_screened
    );
    // P(screened <= s) = sum over R of P(R) P(failures <= s - R).
    let cdf = |s: u64| -> f64 {
        weights
            .iter()
            .map(|(n, w)| w * common::screened_cdf(*n as f64, q, s as f64))
            .sum()
    };
    let mut p95 = 0;
    while cdf(p95) < 0.95 {
        p95 += 1;
    }
    assert!(
        row.p95_screened.abs_diff(p95) <= 3,
        "{}: p95 screened {} vs {p95}",
        d.name,
        row.p95_screened
    );
    // Cost: screening x screened + per patient x randomised, in expectation.
    if let Some(c) = &d.cost {
        let cost = c.screening * exact + c.per_patient * mean_r;
        let se_cost = c.screening * se + c.per_patient * (var_r / r).sqrt();
        assert!(
            (row.mean_cost - cost).abs() < common::MC_SE * se_cost,
            "{}",
            d.name
        );
        // Screened and randomised both vary: the quantile of the cost is not kept.
        assert!(row.p95_cost.is_nan(), "{}", d.name);
    }
}

#[test]
fn screening_and_cost_follow_the_number_randomised() {
    let text = fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/immunosep_sequential.toml"
    ))
    .unwrap()
    .replace("replicates = 100000", "replicates = 200000")
        + "\n[cost]\ncurrency = \"EUR\"\nscreening = 500\nper_patient = 15000\n";
    let d = seq_design(&text);
    let tally = engine::simulate(&d, 0..d.replicates, &|_| {});
    check_screening(&d, &tally);
}

/// A trial that almost always stops at its first look screens about half of what the full
/// sample would: its 95th percentile of screened lies below anything the full sample of 1000
/// screens (1000 + NegBin(1000, 0.5) is 2000 +- 45), so the screened histogram must start from
/// the patients randomised by the first look.
#[test]
fn screening_of_trials_that_stop_at_the_first_look() {
    let toml = &LEAVE
        .replace("name = \"leave\"", "name = \"stop_early\"")
        .replace(
            "replicates = 200000\nseed = 17",
            "replicates = 20000\nseed = 23",
        )
        .replace("prevalence = 0.6", "prevalence = 0.5")
        .replace("prevalence = 0.4", "prevalence = 0.5")
        .replace("sample_size = 300", "sample_size = 1000")
        .replace("[[arm]]\nname = \"null\"\nratio = 1\n", "");
    assert_eq!(toml.matches("[[arm]]").count(), 2);
    let d = seq_design(toml);
    let tally = engine::simulate(&d, 0..d.replicates, &|_| {});
    let seq = tally.sequential().unwrap();
    assert!(seq.ended[0] as f64 > 0.99 * d.replicates as f64, "{seq:?}");
    check_screening(&d, &tally);
}

/// The CMH statistic across looks, against a patient-by-patient simulator written here: each
/// patient's true endotype, label (misclassified), arm (permuted blocks of 2) and outcome drawn
/// one at a time; CMH z by label at each look; rpact's bounds. Both simulations' per-look
/// stopping probabilities agree within 4 SE of their difference.
#[test]
fn stratified_looks_agree_with_a_patient_level_simulator() {
    use rand::rngs::ChaCha8Rng;
    use rand::{RngExt, SeedableRng};
    let case = TwoArm {
        test: "cmh",
        alternative: "one_sided",
        sample_size: 120,
        effect: 2.0,
        replicates: 200_000,
        seed: 21,
        ..TwoArm::default()
    };
    let toml = case.toml().replace("alpha = 0.05", "alpha = 0.025");
    let table = "looks = [0.3333333333333333, 0.6666666666666666, 1.0]\nefficacy = \"obrien_fleming\"\nfutility = \"z\"\nfutility_bounds = [0.0, 0.0]";
    let d = seq_design(&with_sequential(&toml, table, None));
    let rows = summary::sequential_rows(&d, &engine::simulate(&d, 0..d.replicates, &|_| {}));
    // TwoArm: endotype a (0.4; control 0.3; labelled a 80%, b 20%), b (0.6; 0.15; labelled b).
    let trials = 100_000;
    let mut rng = ChaCha8Rng::seed_from_u64(77);
    let (mut efficacy, mut futility) = ([0u64; 3], [0u64; 3]);
    for _ in 0..trials {
        let mut tables = [[0u64; 4]; 2];
        let mut block: Vec<usize> = Vec::new();
        for k in 0..3 {
            for _ in 0..40 {
                let a_true = rng.random::<f64>() < 0.4;
                let label = usize::from(!(a_true && rng.random::<f64>() < 0.8));
                if block.is_empty() {
                    block = if rng.random::<f64>() < 0.5 {
                        vec![0, 1]
                    } else {
                        vec![1, 0]
                    };
                }
                let drug = block.pop().unwrap() == 1;
                let risk = match (a_true, drug) {
                    (true, true) => 0.3 * case.effect,
                    (true, false) => 0.3,
                    (false, _) => 0.15,
                };
                let event = u64::from(rng.random::<f64>() < risk);
                let t = &mut tables[label];
                if drug {
                    t[0] += event;
                    t[1] += 1;
                } else {
                    t[2] += event;
                    t[3] += 1;
                }
            }
            let z = cmh_z(&tables);
            if z >= OF3[k] {
                efficacy[k] += 1;
                break;
            }
            if k < 2 && z <= 0.0 {
                futility[k] += 1;
                break;
            }
        }
    }
    let (r, t) = (d.replicates as f64, trials as f64);
    for (k, row) in rows.iter().enumerate() {
        for (what, ours, theirs) in [
            ("efficacy", row.p_efficacy, efficacy[k] as f64 / t),
            ("futility", row.p_futility, futility[k] as f64 / t),
        ] {
            let se = (ours * (1.0 - ours) / r + theirs * (1.0 - theirs) / t)
                .sqrt()
                .max(1e-5);
            assert!(
                (ours - theirs).abs() < common::MC_SE * se,
                "look {} {what}: engine {ours}, patient level {theirs} ({:.1} SE)",
                k + 1,
                (ours - theirs) / se
            );
        }
    }
}

/// Arm "strong" doubles the response of everyone eligible; arm "null" has no effect.
const LEAVE: &str = r#"
name = "leave"
[simulation]
replicates = 200000
seed = 17
[[endotype]]
name = "all"
prevalence = 0.6
control_risk = 0.25
[[endotype]]
name = "other"
prevalence = 0.4
control_risk = 0.25
[enrollment]
sample_size = 300
eligible = ["all"]
[endpoint]
event = "response"
better = "higher"
[[treatment]]
name = "strong"
effect = "risk"
by_endotype = { all = 0.6 }
[[arm]]
name = "control"
ratio = 1
[[arm]]
name = "strong"
ratio = 1
treatment = "strong"
[[arm]]
name = "null"
ratio = 1
[analysis]
control = "control"
test = "chi_square"
alpha = 0.025
alternative = "one_sided"
[sequential]
looks = [0.5, 1.0]
efficacy = "pocock"
"#;

#[test]
fn an_arm_that_stops_early_leaves_and_the_null_arm_keeps_its_type_i_error() {
    // Arm "strong" doubles the response of everyone and stops at the interim most of the time;
    // arm "null" has no effect. Its one-sided type I error must stay alpha (the boundaries'
    // information fractions are unchanged when an arm leaves), and the trial randomises fewer.
    let d = seq_design(LEAVE);
    let tally = engine::simulate(&d, 0..d.replicates, &|_| {});
    let rows = summary::summarise(&d, &tally);
    let r = d.replicates as f64;
    // Each comparison's own law is that of a two-arm trial with 50 and 100 patients a side at
    // the looks (blocks of 3, looks at multiples of 3), whatever the other arm does.
    for (row, p1) in rows.iter().zip([0.6, 0.25]) {
        let e = exact(&[50, 100], p1, 0.25, &POCOCK2, None, 1.0, false);
        let power: f64 = e.efficacy.iter().sum();
        let se = (power * (1.0 - power) / r).sqrt();
        assert!(
            (row.power - power).abs() < common::MC_SE * se,
            "{}: power {} vs exact {power}",
            row.arm,
            row.power
        );
        let early = row.sequential().unwrap().p_early_efficacy;
        let se = (e.efficacy[0] * (1.0 - e.efficacy[0]) / r).sqrt();
        assert!(
            (early - e.efficacy[0]).abs() < common::MC_SE * se,
            "{}: {early}",
            row.arm
        );
    }
    // sequential.csv: the looks of each comparison in turn, each with its own law.
    let looks = summary::sequential_rows(&d, &tally);
    assert_eq!(looks.len(), 4);
    for (i, row) in looks.iter().enumerate() {
        let (j, k) = (i / 2, i % 2);
        assert_eq!((row.arm.as_str(), row.look), (rows[j].arm.as_str(), k + 1));
        let e = exact(&[50, 100], [0.6, 0.25][j], 0.25, &POCOCK2, None, 1.0, false);
        let se = binomial_se(e.efficacy[k], r);
        assert!(
            (row.p_efficacy - e.efficacy[k]).abs() < common::MC_SE * se,
            "{} look {}: {} vs exact {}",
            row.arm,
            row.look,
            row.p_efficacy,
            e.efficacy[k]
        );
    }
    // 150 randomised by the interim; when one arm leaves there, the other two take their 100
    // of the last 150 places; when both do, the trial ends.
    let seq = tally.sequential().unwrap();
    let counts: Vec<u64> = seq.randomised.keys().copied().collect();
    assert_eq!(counts, vec![150, 250, 300], "{:?}", seq.randomised);
    assert_eq!(seq.randomised[&150], seq.ended[0]);
    let s = rows[0].sequential().unwrap();
    assert!(s.p_early_efficacy > 0.9, "{s:?}");
    // Screening after an arm left (drawn for the patients of the arms still open).
    check_screening(&d, &tally);
}

fn base() -> String {
    fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/immunosep_sequential.toml"
    ))
    .unwrap()
}

/// Looks outside (0, 1] or not increasing are refused for what they are (not only because a
/// look then falls on no new patient), and rpact's largest number of looks, 20, is accepted.
#[test]
fn looks_are_refused_for_what_they_are_and_twenty_are_accepted() {
    let base = base();
    for looks in ["[0.0, 1.0]", "[-0.5, 1.0]", "[0.5, 0.5, 1.0]"] {
        let text = base.replacen("looks = [0.5, 1.0]", &format!("looks = {looks}"), 1);
        let err = Scenario::from_text(std::path::Path::new("t.toml"), text)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("sequential.looks") && err.contains("increasing fractions in (0, 1]"),
            "{looks}: {err}"
        );
    }
    let twenty: Vec<String> = (1..=20)
        .map(|i| format!("{}", f64::from(i) / 20.0))
        .collect();
    let text = base
        .replacen(
            "looks = [0.5, 1.0]",
            &format!("looks = [{}]", twenty.join(", ")),
            1,
        )
        .replacen(
            "futility_bounds = [0.0]",
            &format!("futility_bounds = [{}]", ["0.0"; 19].join(", ")),
            1,
        );
    let d = common::design(&text);
    assert_eq!(d.sequential().unwrap().looks.len(), 20);
    // Futility bounds at the limits, and every beta-spending family, are accepted.
    for (from, to) in [
        ("futility_bounds = [0.0]", "futility_bounds = [8.0]"),
        ("futility_bounds = [0.0]", "futility_bounds = [-8.0]"),
        (
            "futility = \"z\"\nfutility_bounds = [0.0]",
            "futility = \"pocock\"\nfutility_beta = 0.49",
        ),
        (
            "futility = \"z\"\nfutility_bounds = [0.0]",
            "futility = \"obrien_fleming\"",
        ),
        (
            "futility = \"z\"\nfutility_bounds = [0.0]",
            "futility = \"kim_demets\"\nfutility_parameter = 2",
        ),
    ] {
        assert!(base.contains(from));
        let text = base.replacen(from, to, 1);
        match Scenario::from_text(std::path::Path::new("t.toml"), text) {
            Ok(_) => {}
            Err(e) => panic!("{to}: {e}"),
        }
    }
}

#[test]
fn the_shipped_sequential_scenario_runs_identically_on_one_and_two_threads() {
    let dir = tempfile::tempdir().unwrap();
    let run = |threads: &str| {
        let out = dir.path().join(threads);
        let status = Command::new(env!("CARGO_BIN_EXE_endotrial"))
            .args([
                "run",
                "--quiet",
                "--replicates",
                "20000",
                "--threads",
                threads,
            ])
            .arg("--out")
            .arg(&out)
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/scenarios/immunosep_sequential.toml"
            ))
            .output()
            .unwrap();
        assert!(status.status.success(), "{status:?}");
        (
            fs::read(out.join("immunosep_sequential/summary.csv")).unwrap(),
            fs::read(out.join("immunosep_sequential/sequential.csv")).unwrap(),
        )
    };
    assert_eq!(run("1"), run("2"));
}

#[test]
fn shards_merge_to_the_single_run_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/immunosep_sequential.toml"
    );
    let endotrial = |args: &[&str], out: &std::path::Path| {
        let o = Command::new(env!("CARGO_BIN_EXE_endotrial"))
            .args(args)
            .args(["--quiet", "--replicates", "30001", "--out"])
            .arg(out)
            .arg(scenario)
            .output()
            .unwrap();
        assert!(o.status.success(), "{args:?}: {o:?}");
    };
    let single = dir.path().join("single");
    endotrial(&["run"], &single);
    let sharded = dir.path().join("sharded");
    for k in ["1/3", "2/3", "3/3"] {
        endotrial(&["run", "--shard", k], &sharded);
    }
    let merged = dir.path().join("merged");
    let o = Command::new(env!("CARGO_BIN_EXE_endotrial"))
        .arg("merge")
        .arg(sharded.join("immunosep_sequential/shards"))
        .arg("--out")
        .arg(&merged)
        .output()
        .unwrap();
    assert!(o.status.success(), "{o:?}");
    for file in ["summary.csv", "sequential.csv", "subgroups.csv"] {
        assert_eq!(
            fs::read(single.join("immunosep_sequential").join(file)).unwrap(),
            fs::read(merged.join("immunosep_sequential").join(file)).unwrap(),
            "{file}"
        );
    }
}

#[test]
fn size_and_report_give_the_maximum_n_the_fixed_n_and_the_expected_sizes() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/immunosep_sequential.toml"
    );
    let run = |command: &str| {
        let o = Command::new(env!("CARGO_BIN_EXE_endotrial"))
            .args([
                command,
                "--quiet",
                "--power",
                "0.8",
                "--replicates",
                "20000",
                "--out",
            ])
            .arg(dir.path())
            .arg(scenario)
            .output()
            .unwrap();
        assert!(o.status.success(), "{o:?}");
        String::from_utf8(o.stdout).unwrap()
    };
    let size = run("size");
    let line = size
        .lines()
        .find(|l| l.contains("is the maximum sample size"))
        .unwrap_or_else(|| panic!("{size}"));
    // "sequential: N = 232 is the maximum sample size; the fixed design (no interim) needs N = 228 ..."
    let number_after = |text: &str, key: &str| -> f64 {
        let rest = &text[text.find(key).unwrap_or_else(|| panic!("{key} in {text}")) + key.len()..];
        rest.split(|c: char| !(c.is_ascii_digit() || c == '.'))
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    let max_n = number_after(line, "sequential: N = ");
    let fixed_n = number_after(line, "needs N = ");
    assert!(fixed_n <= max_n && max_n <= 1.1 * fixed_n, "{line}");
    let expected = size
        .lines()
        .find(|l| l.contains("under the global null"))
        .unwrap();
    let alt = number_after(expected, ": ");
    let null = number_after(expected, "effects, ");
    // Futility at z <= 0 stops half the null trials at the interim; efficacy stops a share of
    // the trials under the effect: both expected sizes below the maximum, the null's lower.
    assert!(null < alt && alt < max_n, "{expected}");
    let report = run("report");
    assert!(report.contains("is the maximum sample size"), "{report}");
    let md = fs::read_to_string(dir.path().join("immunosep_sequential/report.md")).unwrap();
    assert!(md.contains("## Interim analyses"), "{md}");
    assert!(
        md.contains("group-sequential design with 2 analyses"),
        "the justification names the looks: {md}"
    );
    assert!(md.contains("O'Brien-Fleming-type alpha spending"), "{md}");
    assert!(md.contains("non-binding futility bounds z <= 0"), "{md}");
    // compare says that a sequential design's N is a maximum, and what it randomises.
    let o = Command::new(env!("CARGO_BIN_EXE_endotrial"))
        .args(["compare", "--quiet", "--replicates", "20000", "--out"])
        .arg(dir.path())
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scenarios/immunosep.toml"
        ))
        .arg(scenario)
        .output()
        .unwrap();
    assert!(o.status.success(), "{o:?}");
    let stderr = String::from_utf8(o.stderr).unwrap();
    assert!(
        stderr.contains("immunosep_sequential has 2 looks: its N is a maximum sample size"),
        "{stderr}"
    );
}

#[test]
fn bad_sequential_input_exits_2_names_the_key_and_writes_nothing() {
    let base = base();
    let bad: &[(&str, &str, &str, &str)] = &[
        (
            "looks not increasing",
            "looks = [0.5, 1.0]",
            "looks = [0.6, 0.5, 1.0]",
            "sequential.looks",
        ),
        (
            "looks not ending at 1",
            "looks = [0.5, 1.0]",
            "looks = [0.5, 0.9]",
            "sequential.looks",
        ),
        (
            "a look outside (0, 1]",
            "looks = [0.5, 1.0]",
            "looks = [0.0, 1.0]",
            "sequential.looks",
        ),
        (
            "kim_demets rho of 0",
            "efficacy = \"obrien_fleming\"",
            "efficacy = \"kim_demets\"\nefficacy_parameter = 0",
            "sequential.efficacy_parameter",
        ),
        (
            "hwang_shih_decani gamma out of range",
            "efficacy = \"obrien_fleming\"",
            "efficacy = \"hwang_shih_decani\"\nefficacy_parameter = 50",
            "sequential.efficacy_parameter",
        ),
        (
            "hwang_shih_decani gamma of 0",
            "efficacy = \"obrien_fleming\"",
            "efficacy = \"hwang_shih_decani\"\nefficacy_parameter = 0",
            "sequential.efficacy_parameter",
        ),
        (
            "no accrual",
            "accrual_per_month = 10",
            "accrual_per_month = 0",
            "enrollment.accrual_per_month",
        ),
        (
            "negative accrual",
            "accrual_per_month = 10",
            "accrual_per_month = -10",
            "enrollment.accrual_per_month",
        ),
        (
            "negative assessment day",
            "assessment_day = 9",
            "assessment_day = -1",
            "endpoint.assessment_day",
        ),
        (
            "infinite assessment day",
            "assessment_day = 9",
            "assessment_day = inf",
            "endpoint.assessment_day",
        ),
        (
            "more than 20 looks",
            "looks = [0.5, 1.0]",
            "looks = [0.04, 0.08, 0.12, 0.16, 0.2, 0.24, 0.28, 0.32, 0.36, 0.4, 0.44, 0.48, 0.52, 0.56, 0.6, 0.64, 0.68, 0.72, 0.76, 0.8, 1.0]",
            "sequential.looks",
        ),
        (
            "futility bounds of the wrong length",
            "futility_bounds = [0.0]",
            "futility_bounds = [0.0, 0.5]",
            "sequential.futility_bounds",
        ),
        (
            "spending parameter missing",
            "efficacy = \"obrien_fleming\"",
            "efficacy = \"kim_demets\"",
            "sequential.efficacy_parameter",
        ),
        (
            "spending parameter out of range",
            "efficacy = \"obrien_fleming\"",
            "efficacy = \"kim_demets\"\nefficacy_parameter = -1",
            "sequential.efficacy_parameter",
        ),
        (
            "futility two-sided",
            "alternative = \"one_sided\"",
            "alternative = \"two_sided\"",
            "sequential.futility",
        ),
        (
            "Fisher's test",
            "test = \"chi_square\"",
            "test = \"fisher_exact\"",
            "analysis.test",
        ),
        (
            "Yates' correction",
            "test = \"chi_square\"",
            "test = \"chi_square_yates\"",
            "analysis.test",
        ),
        (
            "accrual without an assessment day",
            "assessment_day = 9",
            "",
            "endpoint.assessment_day",
        ),
        (
            "an assessment day without accrual",
            "accrual_per_month = 10",
            "",
            "enrollment.accrual_per_month",
        ),
        (
            "a futility bound beyond 8",
            "futility_bounds = [0.0]",
            "futility_bounds = [9.0]",
            "sequential.futility_bounds",
        ),
        (
            "a futility bound of nan",
            "futility_bounds = [0.0]",
            "futility_bounds = [nan]",
            "sequential.futility_bounds",
        ),
        (
            "futility_beta of 0",
            "futility = \"z\"\nfutility_bounds = [0.0]",
            "futility = \"obrien_fleming\"\nfutility_beta = 0",
            "sequential.futility_beta",
        ),
        (
            "futility_beta of 0.5",
            "futility = \"z\"\nfutility_bounds = [0.0]",
            "futility = \"obrien_fleming\"\nfutility_beta = 0.5",
            "sequential.futility_beta",
        ),
        (
            "a first look with no patient",
            "looks = [0.5, 1.0]",
            "looks = [0.001, 1.0]",
            "sequential.looks",
        ),
        (
            "two looks at the same patient",
            "looks = [0.5, 1.0]",
            "looks = [0.5, 0.501, 1.0]",
            "sequential.looks",
        ),
        (
            "wang_tsiatis Delta out of range",
            "efficacy = \"obrien_fleming\"",
            "efficacy = \"wang_tsiatis\"\nefficacy_parameter = 2",
            "sequential.efficacy_parameter",
        ),
        (
            "unknown spending family",
            "efficacy = \"obrien_fleming\"",
            "efficacy = \"haybittle\"",
            "efficacy",
        ),
        (
            "unknown key",
            "efficacy = \"obrien_fleming\"",
            "efficacy = \"obrien_fleming\"\nlook = 2",
            "look",
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results");
    for (what, from, to, key) in bad {
        assert!(base.contains(from), "{what}: pattern not in the scenario");
        common::assert_refused(dir.path(), &results, &base.replacen(from, to, 1), what, key);
    }
}
