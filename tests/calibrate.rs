//! Calibration of a Bayesian design's superiority threshold (`endotrial calibrate`).
//!
//! - The critical thresholds of one run without a threshold count, at every threshold, exactly
//!   the trials that declare superiority when run with it (the same streams, run again by the
//!   engine at four thresholds): the claim that calibration rests on.
//! - A calibrated threshold, used on fresh trials (another seed) under the global null, declares
//!   superiority in the target share within Monte Carlo error.
//! - adaptr's `calibrate_trial` (its Gaussian-process search, R code below) lands where our
//!   curve says the target is.

use endotrial::engine::bayesian::critical::critical_thresholds;
use endotrial::engine::simulate;
use endotrial::model::design::Design;
use endotrial::tools::calibrate::{calibrate, declaring};

use crate::bayesian::{FOUR_SQRT_TOML, THREE_RAR_TOML, TWO_ARM_TOML};
use crate::bayesian_by_label::TWO_LABEL_TOML;
use crate::common::{MC_SE, design};

/// `body` (a design of tests/bayesian.rs) with `replicates` trials, seed `seed`, and `extra`
/// lines at the top of its [bayesian] table.
fn scenario(body: &str, replicates: u64, seed: u64, extra: &str) -> Design {
    let body = body.replace("[bayesian]\n", &format!("[bayesian]\n{extra}"));
    design(&format!(
        "name = \"c\"\n[simulation]\nreplicates = {replicates}\nseed = {seed}\n{body}"
    ))
}

/// Trials of `d` in which an adaptation ends in superiority (adaptr's `prob_superior` times
/// the trials; with `by_label`, in some label), and those in which an arm is declared
/// superior (ending there, or going on as the new control).
fn superiority_endings(d: &Design) -> (u64, u64) {
    let tally = simulate(d, 0..d.replicates, &|_| {});
    let b = tally.bayesian().expect("a Bayesian tally");
    (b.any_superior, b.declared)
}

#[test]
fn one_run_without_a_threshold_counts_every_thresholds_superiority() {
    // (design, posterior, symmetric): two arms with a control; three arms without one (RAR,
    // equivalence); symmetric thresholds; two labels adapting on their own; draws mode (the draws are those of the run with the
    // threshold, up to its first crossing).
    // Without a control a P(best) above 1 - inferiority (0.99) leaves the other arms below
    // inferiority, dropped before the superiority check: thresholds above it decide alike.
    let two = [0.9, 0.975, 0.99, 0.998];
    let cases = [
        (TWO_ARM_TOML, "", false, 2000, two),
        (THREE_RAR_TOML, "", false, 600, [0.8, 0.9, 0.95, 0.975]),
        (TWO_ARM_TOML, "", true, 2000, two),
        // Each label on its own: superiority declared in either label.
        (TWO_LABEL_TOML, "", false, 1000, [0.9, 0.95, 0.98, 0.995]),
        (
            TWO_ARM_TOML,
            "posterior = \"draws\"\nn_draws = 500\n",
            false,
            300,
            two,
        ),
    ];
    for (body, posterior, symmetric, n, thresholds) in cases {
        let d = scenario(body, n, 5, posterior);
        let critical = critical_thresholds(&d, symmetric, 0..n, &|_| {});
        assert_eq!(critical.len() as u64, n);
        assert!(critical.windows(2).all(|w| w[0] <= w[1]), "sorted");
        let mut counts = Vec::new();
        for t in thresholds {
            let inferiority = if symmetric {
                format!("inferiority = {}\n", 1.0 - t)
            } else {
                String::new()
            };
            let at_t = scenario(
                body,
                n,
                5,
                &format!("{posterior}superiority = {t}\n{inferiority}"),
            );
            let declared = declaring(&critical, t);
            let (ended, declared_in_run) = superiority_endings(&at_t);
            // With two arms, or without a control, a declaration ends the trial (or label).
            assert_eq!(
                (declared, declared),
                (ended, declared_in_run),
                "{posterior} symmetric {symmetric} threshold {t}"
            );
            counts.push(declared);
        }
        // The thresholds tell the trials apart (none is all or nothing).
        assert!(
            counts.windows(2).all(|w| w[0] > w[1]) && counts[0] < n && counts[3] > 0,
            "{counts:?}"
        );
    }
}

#[test]
fn with_a_control_and_more_arms_declaring_includes_every_superiority_ending() {
    // A declaration against the control need not end the trial (the arm becomes the control);
    // every trial ending in superiority declared one or had its other arms dropped.
    let n = 400;
    let d = scenario(FOUR_SQRT_TOML, n, 5, "");
    let critical = critical_thresholds(&d, false, 0..n, &|_| {});
    for t in [0.95, 0.99] {
        let at_t = scenario(FOUR_SQRT_TOML, n, 5, &format!("superiority = {t}\n"));
        let (ended, declared_in_run) = superiority_endings(&at_t);
        let declared = declaring(&critical, t);
        assert_eq!(declared, declared_in_run, "{t}");
        assert!(declared > ended, "{t}: {declared} <= {ended}");
        assert!(declared > 0 && declared < n, "{t}: {declared}");
    }
}

#[test]
fn a_calibrated_threshold_holds_its_type_one_error_on_fresh_trials() {
    let target = 0.05;
    // Two arms with adaptr's default symmetric thresholds, and three arms without a control.
    for (body, symmetric, n_cal, n_fresh) in [
        (TWO_ARM_TOML, true, 8000, 20_000),
        (THREE_RAR_TOML, false, 3000, 4000),
    ] {
        let null = scenario(body, n_cal, 101, "").without_effects();
        assert!(null.true_mean.iter().all(|&p| p == null.true_mean[0]));
        let critical = critical_thresholds(&null, symmetric, 0..n_cal, &|_| {});
        let k = calibrate(&critical, target, 0.5).expect("reachable");
        assert!(k.declaring as f64 <= target * n_cal as f64);
        let inferiority = if symmetric {
            format!("inferiority = {}\n", 1.0 - k.threshold)
        } else {
            String::new()
        };
        let fresh = scenario(
            body,
            n_fresh,
            202,
            &format!("superiority = {}\n{inferiority}", k.threshold),
        )
        .without_effects();
        let p = superiority_endings(&fresh).1 as f64 / n_fresh as f64;
        // The calibration's own noise and the fresh run's.
        let se = (target * (1.0 - target) * (1.0 / n_cal as f64 + 1.0 / n_fresh as f64)).sqrt();
        assert!(
            (p - target).abs() < MC_SE * se,
            "threshold {}: {p} (SE {se})",
            k.threshold
        );
    }
}

/// adaptr's `calibrate_trial` with its defaults (symmetric thresholds, target 0.05, tol 0.005,
/// search range 0.9 to 1) on the two-arm design under the null stopped at x = 0.99622557 with
/// y = 0.04975 of its 4,000 trials:
/// ```r
/// spec <- setup_trial_binom(arms = c("A", "B"), true_ys = c(0.25, 0.25), control = "A",
///   max_n = 2000, look_after_every = 100)
/// res <- calibrate_trial(spec, n_rep = 4000, base_seed = 4131, target = 0.05)
/// res$best_x  # 0.99622557004773005; res$best_y 0.04975 (evaluations 0.9, 1, 0.98576, 0.99515, then this)
/// ```
/// Our curve at that threshold (20,000 trials, symmetric) must agree within 4 combined SEs.
/// (Our own calibration of the same trials: 0.99577, 95% MC interval 0.9955 to 0.9960.)
#[test]
fn adaptr_calibrate_trial_lands_where_our_curve_puts_its_probability() {
    let (x, y, n_adaptr) = (0.996_225_570_047_73, 0.04975, 4000.0);
    let n = 20_000;
    let null = scenario(TWO_ARM_TOML, n, 77, "").without_effects();
    let critical = critical_thresholds(&null, true, 0..n, &|_| {});
    let p = declaring(&critical, x) as f64 / n as f64;
    let se = (p * (1.0 - p) / n as f64 + y * (1.0 - y) / n_adaptr).sqrt();
    assert!((p - y).abs() < MC_SE * se, "ours {p}, adaptr {y} (SE {se})");
}

/// `calibrate` writes calibration.csv and prints the threshold; what it cannot do is bad input
/// (exit 2) that names the problem and writes nothing.
#[test]
fn the_command_writes_its_curve_and_refuses_what_it_cannot_calibrate() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: String| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let with = |extra: &str| {
        format!(
            "name = \"c\"\n[simulation]\nreplicates = 400\nseed = 3\n{}",
            TWO_ARM_TOML.replace("[bayesian]\n", &format!("[bayesian]\n{extra}"))
        )
    };
    let good = write("good.toml", with(""));
    let out = dir.path().join("out");
    let text = crate::common::endotrial([
        "calibrate".as_ref(),
        good.as_os_str(),
        "--symmetric".as_ref(),
        "--quiet".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert!(
        text.contains("set in [bayesian]: superiority = 0.99"),
        "{text}"
    );
    let csv = std::fs::read_to_string(out.join("c/calibration.csv")).unwrap();
    assert!(csv.starts_with("scenario,threshold,trials,seed,p_superiority_null"));
    assert!(csv.lines().count() > 20);

    let by_look = write(
        "by_look.toml",
        with("looks = [500, 1000, 2000]\nsuperiority = [0.999, 0.99, 0.98]\n")
            .replace("look_every = 100\n", ""),
    );
    let frequentist = crate::common::shipped_path("immunosep.toml");
    let three = write(
        "three.toml",
        format!("name = \"t\"\n[simulation]\nreplicates = 50\nseed = 3\n{THREE_RAR_TOML}"),
    );
    for (what, args, message) in [
        ("per look", vec![by_look.as_os_str()], "differs by look"),
        (
            "frequentist",
            vec![frequentist.as_os_str()],
            "this scenario has none",
        ),
        (
            "symmetric with three arms",
            vec![three.as_os_str(), "--symmetric".as_ref()],
            "--symmetric needs two arms",
        ),
        (
            "target",
            vec![good.as_os_str(), "--target".as_ref(), "1.5".as_ref()],
            "--target",
        ),
        (
            "inferiority route",
            vec![good.as_os_str(), "--target".as_ref(), "0.001".as_ref()],
            "or calibrate both with --symmetric",
        ),
    ] {
        let fresh = dir.path().join(format!("fresh-{}", what.replace(' ', "-")));
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_endotrial"))
            .arg("calibrate")
            .args(&args)
            .args(["--quiet", "--out"])
            .arg(&fresh)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{what}: {stderr}");
        assert!(stderr.contains(message), "{what}: {stderr}");
        assert!(!fresh.join("c").exists(), "{what}");
    }
}

/// The shipped label-stratified platform is calibrated to a familywise 0.025: on fresh trials
/// under the global null (another seed), the share in which any label declares any arm
/// superior is 0.025 within 4 SEs of the calibration's noise and the fresh run's.
#[test]
fn the_shipped_platform_holds_its_calibrated_familywise_error_on_fresh_trials() {
    let text = std::fs::read_to_string(crate::common::shipped_path("immunosep_platform.toml"))
        .unwrap()
        .replace("seed = 2021", "seed = 99");
    let d = design(&text);
    let plan = d.bayesian().expect("a Bayesian design");
    assert!(plan.by_label);
    let threshold = plan.superiority[0];
    let (target, n_cal, n) = (0.025, 20_000.0, 20_000);
    let critical = critical_thresholds(&d.without_effects(), false, 0..n, &|_| {});
    let p = declaring(&critical, threshold) as f64 / n as f64;
    let se = (target * (1.0 - target) * (1.0 / n_cal + 1.0 / n as f64)).sqrt();
    assert!(
        (p - target).abs() < MC_SE * se,
        "threshold {threshold}: {p} (SE {se})"
    );
}
