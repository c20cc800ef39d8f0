//! Bayesian adaptive designs against adaptr 1.4.0 (Granholm et al.; installed from its
//! repository with base R 4.2.2): five designs, each simulated by adaptr and summarised by
//! `check_performance(uncertainty = TRUE, n_boot = 1000, boot_seed = 1)`, whose estimates and
//! bootstrap SEs are written below. endotrial runs each design in exact mode and in draws mode
//! (5,000 draws per arm, as adaptr) and every metric must lie within 4 combined MC SEs of
//! adaptr's. The R code (shared set-up, then one `setup_trial_binom` per design):
//! ```r
//! library(adaptr); setup_cluster(2)
//! run <- function(spec, strategy, n_rep = 4000) {
//!   res <- run_trials(spec, n_rep = n_rep, base_seed = 4131, sparse = TRUE)
//!   check_performance(res, select_strategy = strategy, uncertainty = TRUE, n_boot = 1000,
//!                     boot_seed = 1)
//! }
//! ```
//! The exact runs depart from adaptr by computing the posterior probabilities without draws;
//! the draws runs follow adaptr's rules, redrawing where it redraws. Both must agree with
//! adaptr within its noise. (At 20,000 trials each, run by hand, all ten runs agree with worst
//! |z| 2.4.)

use endotrial::engine::bayesian::metrics::{Metric, metrics};
use endotrial::engine::simulate;

use crate::common::{MC_SE, design};

/// Runs `body` (a scenario without its name and `[simulation]`) with `replicates` trials, in
/// exact mode or with 5,000 draws per arm, and returns adaptr's metrics.
fn metrics_of(body: &str, replicates: u64, draws: bool) -> Vec<Metric> {
    let body = if draws {
        body.replace(
            "[bayesian]\n",
            "[bayesian]\nposterior = \"draws\"\nn_draws = 5000\n",
        )
    } else {
        body.to_string()
    };
    let text = format!("name = \"b\"\n[simulation]\nreplicates = {replicates}\nseed = 11\n{body}");
    let d = design(&text);
    let tally = simulate(&d, 0..d.replicates, &|_| {});
    let plan = d.bayesian().expect("a Bayesian design");
    metrics(
        &d,
        plan,
        tally.trials,
        tally.bayesian().expect("a Bayesian tally"),
    )
}

/// Every metric with an SE on both sides within `MC_SE` combined SEs of adaptr's.
fn assert_matches(name: &str, ours: &[Metric], reference: &[(&str, f64, f64)]) {
    let mut compared = 0;
    for &(metric, estimate, se) in reference {
        let m = ours
            .iter()
            .find(|m| m.name == metric)
            .unwrap_or_else(|| panic!("{name}: no metric {metric}"));
        if m.mc_se.is_nan() || m.estimate.is_nan() {
            continue;
        }
        let combined = (m.mc_se * m.mc_se + se * se).sqrt();
        let gap = (m.estimate - estimate).abs();
        assert!(
            gap <= MC_SE * combined,
            "{name} {metric}: endotrial {} (SE {}), adaptr {estimate} (SE {se})",
            m.estimate,
            m.mc_se
        );
        compared += 1;
    }
    assert!(
        compared + 4 >= reference.len(),
        "{name}: compared {compared}"
    );
}

/// Two arms, common control, events bad (adaptr's default RAR: soften_power 1).
/// ```r
/// setup_trial_binom(arms = c("A", "B"), true_ys = c(0.25, 0.20), control = "A", max_n = 2000,
///   look_after_every = 100); strategy "control if available"
/// ```
pub(crate) const TWO_ARM_TOML: &str = r#"
[[endotype]]
name = "all"
prevalence = 1.0
control_risk = 0.25
[enrollment]
sample_size = 2000
[endpoint]
event = "death"
better = "lower"
[[treatment]]
name = "b"
effect = "risk"
by_endotype = { all = 0.20 }
[[arm]]
name = "A"
ratio = 1
[[arm]]
name = "B"
ratio = 1
treatment = "b"
[bayesian]
look_every = 100
control = "A"
adaptive_randomisation = {}
"#;

/// Three arms without control: RAR softened to 0.5 with minimum 0.15, equivalence.
/// ```r
/// setup_trial_binom(arms = c("A", "B", "C"), true_ys = c(0.25, 0.20, 0.30),
///   min_probs = rep(0.15, 3), data_looks = seq(300, 2000, 100), equivalence_prob = 0.9,
///   equivalence_diff = 0.05, soften_power = 0.5); strategy "best"
/// ```
pub(crate) const THREE_RAR_TOML: &str = r#"
[[endotype]]
name = "all"
prevalence = 1.0
control_risk = 0.25
[enrollment]
sample_size = 2000
[endpoint]
event = "death"
better = "lower"
[[treatment]]
name = "b"
effect = "risk"
by_endotype = { all = 0.20 }
[[treatment]]
name = "c"
effect = "risk"
by_endotype = { all = 0.30 }
[[arm]]
name = "A"
ratio = 1
[[arm]]
name = "B"
ratio = 1
treatment = "b"
[[arm]]
name = "C"
ratio = 1
treatment = "c"
[bayesian]
looks = [300, 400, 500, 600, 700, 800, 900, 1000, 1100, 1200, 1300, 1400, 1500, 1600, 1700, 1800, 1900, 2000]
adaptive_randomisation = { soften_power = 0.5, min = 0.15 }
equivalence = { probability = 0.9, difference = 0.05 }
select = "best"
"#;

/// Four arms with a common control at the square-root share, futility against the first
/// control.
/// ```r
/// setup_trial_binom(arms = c("A", "B", "C", "D"), true_ys = c(0.30, 0.30, 0.25, 0.22),
///   control = "A", control_prob_fixed = "sqrt-based", futility_prob = 0.9, futility_diff = 0.05,
///   futility_only_first = TRUE, max_n = 2000, look_after_every = 200, soften_power = 0.5);
///   strategy "control or best"
/// ```
pub(crate) const FOUR_SQRT_TOML: &str = r#"
[[endotype]]
name = "all"
prevalence = 1.0
control_risk = 0.30
[enrollment]
sample_size = 2000
[endpoint]
event = "death"
better = "lower"
[[treatment]]
name = "c"
effect = "risk"
by_endotype = { all = 0.25 }
[[treatment]]
name = "d"
effect = "risk"
by_endotype = { all = 0.22 }
[[arm]]
name = "A"
ratio = 1
[[arm]]
name = "B"
ratio = 1
[[arm]]
name = "C"
ratio = 1
treatment = "c"
[[arm]]
name = "D"
ratio = 1
treatment = "d"
[bayesian]
look_every = 200
control = "A"
adaptive_randomisation = { soften_power = 0.5, control = "sqrt" }
futility = { probability = 0.9, difference = 0.05, only_first = true }
select = "control_or_best"
"#;

/// Thresholds that vary by look, higher is better, control matched to the best arm,
/// equivalence.
/// ```r
/// setup_trial_binom(arms = c("A", "B", "C"), true_ys = c(0.40, 0.50, 0.42), control = "A",
///   highest_is_best = TRUE, control_prob_fixed = "match", data_looks = c(200, 400, 600, 800, 1000),
///   superiority = c(0.999, 0.995, 0.99, 0.99, 0.98), inferiority = c(0.001, 0.005, 0.01, 0.01, 0.02),
///   equivalence_prob = 0.9, equivalence_diff = 0.03, equivalence_only_first = FALSE);
///   strategy "final control"
/// ```
pub(crate) const BY_LOOK_TOML: &str = r#"
[[endotype]]
name = "all"
prevalence = 1.0
control_risk = 0.40
[enrollment]
sample_size = 1000
[endpoint]
event = "response"
better = "higher"
[[treatment]]
name = "b"
effect = "risk"
by_endotype = { all = 0.50 }
[[treatment]]
name = "c"
effect = "risk"
by_endotype = { all = 0.42 }
[[arm]]
name = "A"
ratio = 1
[[arm]]
name = "B"
ratio = 1
treatment = "b"
[[arm]]
name = "C"
ratio = 1
treatment = "c"
[bayesian]
looks = [200, 400, 600, 800, 1000]
control = "A"
superiority = [0.999, 0.995, 0.99, 0.99, 0.98]
inferiority = [0.001, 0.005, 0.01, 0.01, 0.02]
adaptive_randomisation = { control = "match" }
equivalence = { probability = 0.9, difference = 0.03, only_first = false }
select = "final_control"
"#;

/// The Overview vignette's design: three arms, no control, the outcome pipeline (patients
/// randomised ahead of their outcome), RAR with minimum 0.2, equivalence (n_rep = 2000).
/// ```r
/// setup_trial_binom(arms = c("A", "B", "C"), true_ys = c(0.25, 0.25, 0.25),
///   min_probs = rep(0.20, 3), data_looks = seq(300, 2000, 100),
///   randomised_at_looks = c(seq(400, 2000, 100), 2000), equivalence_prob = 0.9,
///   equivalence_diff = 0.05, soften_power = 0.5); strategy "best"; n_rep = 2000
/// ```
pub(crate) const VIGNETTE_TOML: &str = r#"
[[endotype]]
name = "all"
prevalence = 1.0
control_risk = 0.25
[enrollment]
sample_size = 2000
[endpoint]
event = "death"
better = "lower"
[[arm]]
name = "A"
ratio = 1
[[arm]]
name = "B"
ratio = 1
[[arm]]
name = "C"
ratio = 1
[bayesian]
looks = [300, 400, 500, 600, 700, 800, 900, 1000, 1100, 1200, 1300, 1400, 1500, 1600, 1700, 1800, 1900, 2000]
randomised_at_looks = [400, 500, 600, 700, 800, 900, 1000, 1100, 1200, 1300, 1400, 1500, 1600, 1700, 1800, 1900, 2000, 2000]
adaptive_randomisation = { soften_power = 0.5, min = 0.20 }
equivalence = { probability = 0.9, difference = 0.05 }
select = "best"
"#;

const TWO_ARM: &[(&str, f64, f64)] = &[
    ("size_mean", 1446.25, 10.83443807),
    ("size_sd", 692.113208, 5.402268451),
    ("size_median", 2000.0, 5.692970219),
    ("size_p25", 800.0, 21.07686491),
    ("size_p75", 2000.0, 0.0),
    ("sum_ys_mean", 303.5925, 2.279613646),
    ("sum_ys_sd", 146.2958973, 1.133232031),
    ("sum_ys_median", 389.0, 2.09143775),
    ("sum_ys_p25", 169.0, 5.887693941),
    ("sum_ys_p75", 420.0, 0.823383202),
    ("ratio_ys_mean", 0.210844167, 0.0002557863583),
    ("ratio_ys_sd", 0.01677726625, 0.0003831009255),
    ("ratio_ys_median", 0.2095, 0.0003484979405),
    ("ratio_ys_p25", 0.2009772727, 0.0003087158715),
    ("ratio_ys_p75", 0.2192564103, 0.0003958571566),
    ("prob_conclusive", 0.4935, 0.007806682344),
    ("prob_superior", 0.4935, 0.007806682344),
    ("prob_equivalence", 0.0, 0.0),
    ("prob_futility", 0.0, 0.0),
    ("prob_max", 0.5065, 0.007806682344),
    ("prob_select_arm_A", 0.5095, 0.007789394335),
    ("prob_select_arm_B", 0.4905, 0.007789394335),
    ("prob_select_none", 0.0, 0.0),
    ("rmse", 0.02561100722, 0.0005868564245),
    ("rmse_te", 0.08077333629, 0.001397526657),
    ("mae", 0.01214667798, 0.0002044729816),
    ("mae_te", 0.05189326121, 0.001330291116),
    ("idp", 49.05, 0.7789394335),
];

const THREE_RAR: &[(&str, f64, f64)] = &[
    ("size_mean", 1290.025, 8.987161995),
    ("size_sd", 561.7578592, 3.75607126),
    ("size_median", 1300.0, 36.20425732),
    ("size_p25", 800.0, 41.4660033),
    ("size_p75", 1900.0, 20.09983528),
    ("sum_ys_mean", 291.812, 1.978747526),
    ("sum_ys_sd", 123.3239448, 0.8606132923),
    ("sum_ys_median", 287.5, 3.263657835),
    ("sum_ys_p25", 190.75, 3.256068447),
    ("sum_ys_p75", 416.0, 2.375005282),
    ("ratio_ys_mean", 0.2289737177, 0.0002570686344),
    ("ratio_ys_sd", 0.01603366684, 0.0002344797776),
    ("ratio_ys_median", 0.2275, 0.0002947775203),
    ("ratio_ys_p25", 0.2183333333, 0.0002493075438),
    ("ratio_ys_p75", 0.2378665414, 0.0003346606171),
    ("prob_conclusive", 0.78475, 0.006458239532),
    ("prob_superior", 0.62425, 0.007827564405),
    ("prob_equivalence", 0.1605, 0.006075914704),
    ("prob_futility", 0.0, 0.0),
    ("prob_max", 0.21525, 0.006458239532),
    ("prob_select_arm_A", 0.0315, 0.002906711615),
    ("prob_select_arm_B", 0.96825, 0.002909501613),
    ("prob_select_arm_C", 0.00025, 0.0002479868898),
    ("prob_select_none", 0.0, 0.0),
    ("rmse", 0.02287344211, 0.0004453804324),
    ("mae", 0.0113748813, 0.0002258183327),
    ("idp", 98.4, 0.1466664742),
];

const FOUR_SQRT: &[(&str, f64, f64)] = &[
    ("size_mean", 1623.4, 8.756451405),
    ("size_sd", 539.9308487, 5.934550252),
    ("size_median", 2000.0, 0.0),
    ("size_p25", 1200.0, 19.90970609),
    ("size_p75", 2000.0, 0.0),
    ("sum_ys_mean", 414.71775, 2.17775607),
    ("sum_ys_sd", 135.4784621, 1.511499491),
    ("sum_ys_median", 481.0, 1.141317925),
    ("sum_ys_p25", 320.0, 6.636618771),
    ("sum_ys_p75", 511.0, 0.7603044211),
    ("ratio_ys_mean", 0.2572671151, 0.0002608590318),
    ("ratio_ys_sd", 0.01612768177, 0.0002272610478),
    ("ratio_ys_median", 0.256, 0.0003054812684),
    ("ratio_ys_p25", 0.246, 0.0003388453338),
    ("ratio_ys_p75", 0.2665, 0.0003923587137),
    ("prob_conclusive", 0.4495, 0.007870796903),
    ("prob_superior", 0.386, 0.007735025699),
    ("prob_equivalence", 0.0, 0.0),
    ("prob_futility", 0.0635, 0.003823027372),
    ("prob_max", 0.5505, 0.007870796903),
    ("prob_select_arm_A", 0.11425, 0.004966320402),
    ("prob_select_arm_B", 0.001, 0.0005078355018),
    ("prob_select_arm_C", 0.088, 0.004471320885),
    ("prob_select_arm_D", 0.79675, 0.006299733279),
    ("prob_select_none", 0.0, 0.0),
    ("rmse", 0.02826331042, 0.0007205935454),
    ("rmse_te", 0.04706514123, 0.0009121514621),
    ("mae", 0.01264096127, 0.0002571948596),
    ("mae_te", 0.02179059001, 0.0004790654258),
    ("idp", 85.175, 0.5079572188),
];

const BY_LOOK: &[(&str, f64, f64)] = &[
    ("size_mean", 904.0, 2.803348047),
    ("size_sd", 170.7960562, 2.676723896),
    ("size_median", 1000.0, 0.0),
    ("size_p25", 800.0, 0.0),
    ("size_p75", 1000.0, 0.0),
    ("sum_ys_mean", 403.7325, 1.246859708),
    ("sum_ys_sd", 77.12045666, 1.207037429),
    ("sum_ys_median", 438.0, 0.6213483917),
    ("sum_ys_p25", 368.0, 2.51963138),
    ("sum_ys_p75", 453.0, 0.5812597207),
    ("ratio_ys_mean", 0.4467930208, 0.000281557408),
    ("ratio_ys_sd", 0.01770712677, 0.000206421565),
    ("ratio_ys_median", 0.447, 0.0003715192119),
    ("ratio_ys_p25", 0.435, 0.0003775251982),
    ("ratio_ys_p75", 0.458, 0.0003843172948),
    ("prob_conclusive", 0.49825, 0.008109512204),
    ("prob_superior", 0.49825, 0.008109512204),
    ("prob_equivalence", 0.0, 0.0),
    ("prob_futility", 0.0, 0.0),
    ("prob_max", 0.50175, 0.008109512204),
    ("prob_select_arm_A", 0.18175, 0.006178453222),
    ("prob_select_arm_B", 0.80225, 0.006344529257),
    ("prob_select_arm_C", 0.016, 0.00186619303),
    ("prob_select_none", 0.0, 0.0),
    ("rmse", 0.0290778463, 0.0004576629019),
    ("rmse_te", 0.04705916194, 0.000908170838),
    ("mae", 0.0174793797, 0.000322309368),
    ("mae_te", 0.02275117181, 0.0005200205559),
    ("idp", 80.545, 0.626736546),
];

const VIGNETTE: &[(&str, f64, f64)] = &[
    ("size_mean", 1840.7, 7.080085808),
    ("size_sd", 313.261195, 7.696462472),
    ("size_median", 2000.0, 0.0),
    ("size_p25", 1900.0, 56.64765182),
    ("size_p75", 2000.0, 0.0),
    ("sum_ys_mean", 460.4505, 1.832530587),
    ("sum_ys_sd", 81.25977557, 1.900891034),
    ("sum_ys_median", 493.0, 0.759322277),
    ("sum_ys_p25", 462.0, 5.104421226),
    ("sum_ys_p75", 508.0, 0.6686941767),
    ("ratio_ys_mean", 0.2500670473, 0.0002392788856),
    ("ratio_ys_sd", 0.0104845195, 0.0001942411697),
    ("ratio_ys_median", 0.25, 0.0003001291463),
    ("ratio_ys_p25", 0.2431129808, 0.0003623069003),
    ("ratio_ys_p75", 0.2566666667, 0.0003304427711),
    ("prob_conclusive", 0.305, 0.01033920743),
    ("prob_superior", 0.026, 0.003486460441),
    ("prob_equivalence", 0.279, 0.01002993018),
    ("prob_futility", 0.0, 0.0),
    ("prob_max", 0.695, 0.01033920743),
    ("prob_select_arm_A", 0.344, 0.01112134588),
    ("prob_select_arm_B", 0.324, 0.01073545649),
    ("prob_select_arm_C", 0.332, 0.01035779792),
    ("prob_select_none", 0.0, 0.0),
    ("rmse", 0.01687876948, 0.0004095390332),
    ("mae", 0.01155385385, 0.0003202090713),
];

#[test]
fn two_arm_matches_adaptr() {
    let exact = metrics_of(TWO_ARM_TOML, 20000, false);
    assert_matches("two_arm exact", &exact, TWO_ARM);
    let draws = metrics_of(TWO_ARM_TOML, 2000, true);
    assert_matches("two_arm draws", &draws, TWO_ARM);
}

#[test]
fn three_rar_matches_adaptr() {
    let exact = metrics_of(THREE_RAR_TOML, 4000, false);
    assert_matches("three_rar exact", &exact, THREE_RAR);
    let draws = metrics_of(THREE_RAR_TOML, 1000, true);
    assert_matches("three_rar draws", &draws, THREE_RAR);
}

#[test]
fn four_sqrt_matches_adaptr() {
    let exact = metrics_of(FOUR_SQRT_TOML, 4000, false);
    assert_matches("four_sqrt exact", &exact, FOUR_SQRT);
    let draws = metrics_of(FOUR_SQRT_TOML, 1000, true);
    assert_matches("four_sqrt draws", &draws, FOUR_SQRT);
}

#[test]
fn by_look_matches_adaptr() {
    let exact = metrics_of(BY_LOOK_TOML, 4000, false);
    assert_matches("by_look exact", &exact, BY_LOOK);
    let draws = metrics_of(BY_LOOK_TOML, 2000, true);
    assert_matches("by_look draws", &draws, BY_LOOK);
}

#[test]
fn vignette_matches_adaptr() {
    let exact = metrics_of(VIGNETTE_TOML, 2000, false);
    assert_matches("vignette exact", &exact, VIGNETTE);
}
