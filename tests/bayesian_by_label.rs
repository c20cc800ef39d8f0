//! Label-stratified Bayesian adaptation (`by_label = true`) against a patient-by-patient oracle
//! written here from adaptr 1.4.0's rules (R/run_trial.R) and the scenario's meaning, sharing no
//! code with the engine: each screened patient draws a true endotype and a (possibly wrong)
//! label; a patient whose label is not eligible, or whose label's adaptation has ended, is a
//! screen failure; the others are randomised within their label by the label's current
//! allocation, may drop out (no outcome), and respond with the probability of their TRUE
//! endotype under the drug their arm gives their LABEL. At each analysis the first patients
//! randomised (the pipeline's outcomes arrive in randomisation order) are the data, and each
//! open label runs its own checks: inferiority and superiority against its current control (a
//! superior arm becomes the new control), then response-adaptive randomisation from P(best)
//! softened and held above a minimum. Posterior probabilities by trapezoidal integration of the
//! Beta densities on a fine grid (statrs' log-beta only). Every compared quantity within 4
//! combined Monte Carlo SEs, fixed seeds.

use predicates::prelude::*;
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use rayon::prelude::*;
use statrs::function::beta::ln_beta;

use endotrial::engine::bayesian::metrics::{arm_rows, run_row};
use endotrial::engine::simulate;

use crate::common::{MC_SE, design};

const ARMS: usize = 3;
const PLACEBO: usize = 0;
/// Endotypes: mals, immunoparalysis, neither (never eligible); their prevalence, response on
/// placebo, on anakinra and on interferon-gamma.
const PREVALENCE: [f64; 3] = [0.2, 0.35, 0.45];
const RESPONSE: [[f64; 3]; 3] = [[0.2, 0.55, 0.2], [0.25, 0.25, 0.5], [0.2, 0.2, 0.2]];
/// P(label | true endotype); labels are the endotypes' names.
const LABEL: [[f64; 3]; 3] = [[0.85, 0.1, 0.05], [0.05, 0.9, 0.05], [0.05, 0.1, 0.85]];
const ELIGIBLE: [usize; 2] = [0, 1];
const DROPOUT: f64 = 0.1;
const LOOKS: [u64; 5] = [60, 120, 180, 240, 300];
const RANDOMISED: [u64; 5] = [90, 150, 210, 270, 300];
const SUPERIORITY: f64 = 0.98;
const INFERIORITY: f64 = 0.02;
const SOFTEN: f64 = 0.5;
const MIN_SHARE: f64 = 0.15;

fn scenario(replicates: u64) -> String {
    format!(
        r#"
name = "by_label"
[simulation]
replicates = {replicates}
seed = 7
[[endotype]]
name = "mals"
prevalence = {p0}
control_risk = 0.2
classified_as = {{ mals = 0.85, immunoparalysis = 0.1, neither = 0.05 }}
[[endotype]]
name = "immunoparalysis"
prevalence = {p1}
control_risk = 0.25
classified_as = {{ mals = 0.05, immunoparalysis = 0.9, neither = 0.05 }}
[[endotype]]
name = "neither"
prevalence = {p2}
control_risk = 0.2
classified_as = {{ mals = 0.05, immunoparalysis = 0.1, neither = 0.85 }}
[enrollment]
sample_size = 300
eligible = ["mals", "immunoparalysis"]
dropout = {DROPOUT}
[endpoint]
event = "response"
better = "higher"
[[treatment]]
name = "anakinra"
effect = "risk"
by_endotype = {{ mals = 0.55 }}
[[treatment]]
name = "ifn"
effect = "risk"
by_endotype = {{ immunoparalysis = 0.5 }}
[[arm]]
name = "placebo"
ratio = 1
[[arm]]
name = "anakinra"
ratio = 1
treatment = "anakinra"
[[arm]]
name = "ifn"
ratio = 1
treatment = "ifn"
[bayesian]
by_label = true
looks = {LOOKS:?}
randomised_at_looks = {RANDOMISED:?}
control = "placebo"
superiority = {SUPERIORITY}
inferiority = {INFERIORITY}
adaptive_randomisation = {{ soften_power = {SOFTEN}, min = {MIN_SHARE} }}
"#,
        p0 = PREVALENCE[0],
        p1 = PREVALENCE[1],
        p2 = PREVALENCE[2],
    )
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Status {
    Active,
    Control,
    Superior,
    Inferior,
}

/// Beta posteriors on one grid over where they have mass: each density normalised to
/// integrate to 1 by the trapezoidal rule, and its CDF accumulated by the same rule.
struct Grid {
    h: f64,
    pdf: Vec<Vec<f64>>,
    cdf: Vec<Vec<f64>>,
}

const NODES: usize = 2000;

impl Grid {
    fn new(posteriors: &[(f64, f64)]) -> Grid {
        let (mut lo, mut hi) = (1.0f64, 0.0f64);
        for &(a, b) in posteriors {
            let mean = a / (a + b);
            let sd = (a * b / ((a + b) * (a + b) * (a + b + 1.0))).sqrt();
            lo = lo.min(mean - 14.0 * sd);
            hi = hi.max(mean + 14.0 * sd);
        }
        let (lo, hi) = (lo.max(0.0), hi.min(1.0));
        let h = (hi - lo) / NODES as f64;
        let mut pdf = Vec::new();
        let mut cdf = Vec::new();
        for &(a, b) in posteriors {
            let norm = ln_beta(a, b);
            let log_term = |e: f64, v: f64| if e == 0.0 { 0.0 } else { e * v.ln() };
            let f: Vec<f64> = (0..=NODES)
                .map(|i| {
                    let x = lo + h * i as f64;
                    (log_term(a - 1.0, x) + log_term(b - 1.0, 1.0 - x) - norm).exp()
                })
                .collect();
            let mut c = vec![0.0; NODES + 1];
            for i in 1..=NODES {
                c[i] = c[i - 1] + h * (f[i - 1] + f[i]) / 2.0;
            }
            let total = c[NODES];
            pdf.push(f.iter().map(|v| v / total).collect());
            cdf.push(c.iter().map(|v| v / total).collect());
        }
        Grid { h, pdf, cdf }
    }

    /// The trapezoidal integral of `g(node)` over the grid.
    fn integral(&self, g: impl Fn(usize) -> f64) -> f64 {
        (0..=NODES)
            .map(|i| {
                let w = if i == 0 || i == NODES { 0.5 } else { 1.0 };
                w * g(i)
            })
            .sum::<f64>()
            * self.h
    }

    /// P(posterior i exceeds posterior j).
    fn greater(&self, i: usize, j: usize) -> f64 {
        self.integral(|x| self.pdf[i][x] * self.cdf[j][x])
    }

    /// P(posterior i is the largest).
    fn best(&self, i: usize) -> f64 {
        self.integral(|x| {
            (0..self.pdf.len())
                .filter(|&j| j != i)
                .fold(self.pdf[i][x], |v, j| v * self.cdf[j][x])
        })
    }
}

/// One label's adaptation.
struct Label {
    open: bool,
    ended_max: bool,
    active: Vec<usize>,
    control: usize,
    alloc: [f64; ARMS],
    n: [u64; ARMS],
    events: [u64; ARMS],
    randomised: [u64; ARMS],
    status: [Status; ARMS],
}

impl Label {
    fn new() -> Label {
        Label {
            open: true,
            ended_max: false,
            active: (0..ARMS).collect(),
            control: PLACEBO,
            alloc: [1.0 / 3.0; ARMS],
            n: [0; ARMS],
            events: [0; ARMS],
            randomised: [0; ARMS],
            status: [Status::Active; ARMS],
        }
    }

    fn grid(&self) -> Grid {
        let posteriors: Vec<(f64, f64)> = self
            .active
            .iter()
            .map(|&a| {
                let e = self.events[a] as f64;
                (1.0 + e, 1.0 + self.n[a] as f64 - e)
            })
            .collect();
        Grid::new(&posteriors)
    }

    /// adaptr's checks against the current control, then reallocation.
    fn analyse(&mut self) {
        loop {
            let grid = self.grid();
            let pos = |arm: usize, active: &[usize]| active.iter().position(|&a| a == arm).unwrap();
            let c = pos(self.control, &self.active);
            let better: Vec<(usize, f64)> = self
                .active
                .iter()
                .enumerate()
                .filter(|&(_, &a)| a != self.control)
                .map(|(i, &a)| (a, grid.greater(i, c)))
                .collect();
            for &(a, p) in &better {
                if p < INFERIORITY {
                    self.status[a] = Status::Inferior;
                    self.active.retain(|&x| x != a);
                }
            }
            // The first arm with the largest probability (R's which.max).
            let best = better
                .iter()
                .fold(None, |acc: Option<(usize, f64)>, &(a, p)| match acc {
                    Some((_, q)) if q >= p => acc,
                    _ => Some((a, p)),
                });
            match best {
                Some((a, p)) if p > SUPERIORITY => {
                    self.status[self.control] = Status::Inferior;
                    let old = self.control;
                    self.active.retain(|&x| x != old);
                    self.control = a;
                    if self.active.len() > 1 {
                        continue;
                    }
                }
                _ => {}
            }
            break;
        }
        if self.active.len() == 1 {
            self.status[self.active[0]] = Status::Superior;
            self.open = false;
            return;
        }
        // P(best)^soften rescaled, arms below the minimum held at it, the rest rescaled again.
        let grid = self.grid();
        let pb: Vec<f64> = (0..self.active.len()).map(|i| grid.best(i)).collect();
        let mut share: Vec<Option<f64>> = vec![None; pb.len()];
        loop {
            let fixed: f64 = share.iter().flatten().sum();
            let weight: f64 = (0..pb.len())
                .filter(|&i| share[i].is_none())
                .map(|i| pb[i].powf(SOFTEN))
                .sum();
            let mut pinned = false;
            for i in 0..pb.len() {
                if share[i].is_none() && (1.0 - fixed) * pb[i].powf(SOFTEN) / weight < MIN_SHARE {
                    share[i] = Some(MIN_SHARE);
                    pinned = true;
                }
            }
            if !pinned {
                for i in 0..pb.len() {
                    if share[i].is_none() {
                        share[i] = Some((1.0 - fixed) * pb[i].powf(SOFTEN) / weight);
                    }
                }
                break;
            }
        }
        self.alloc = [0.0; ARMS];
        for (i, &a) in self.active.iter().enumerate() {
            self.alloc[a] = share[i].unwrap();
        }
    }
}

/// What one oracle trial records: per label and arm its status and patients randomised; the
/// trial's randomised and screened patients.
struct Trial {
    status: [[Status; ARMS]; 2],
    randomised: [[u64; ARMS]; 2],
    ended_max: [bool; 2],
    total: u64,
    screened: u64,
}

fn pick(rng: &mut ChaCha8Rng, p: &[f64]) -> usize {
    let u: f64 = rng.random();
    let mut cum = 0.0;
    for (i, &q) in p.iter().enumerate() {
        cum += q;
        if u < cum {
            return i;
        }
    }
    p.len() - 1
}

fn oracle_trial(seed: u64) -> Trial {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut labels = [Label::new(), Label::new()];
    // Patients in randomisation order: (label stratum, arm, evaluable, responded).
    let mut patients: Vec<(usize, usize, bool, bool)> = Vec::new();
    let mut screened = 0;
    for (look, (&followed, &by_then)) in LOOKS.iter().zip(&RANDOMISED).enumerate() {
        while (patients.len() as u64) < by_then {
            screened += 1;
            let e = pick(&mut rng, &PREVALENCE);
            let label = pick(&mut rng, &LABEL[e]);
            let Some(s) = ELIGIBLE.iter().position(|&l| l == label) else {
                continue;
            };
            if !labels[s].open {
                continue;
            }
            let arm = pick(&mut rng, &labels[s].alloc);
            labels[s].randomised[arm] += 1;
            let evaluable = rng.random::<f64>() >= DROPOUT;
            // Arm 1 gives anakinra, arm 2 interferon-gamma, whatever the label.
            let responded = rng.random::<f64>() < RESPONSE[e][arm];
            patients.push((s, arm, evaluable, responded));
        }
        for l in labels.iter_mut() {
            l.n = [0; ARMS];
            l.events = [0; ARMS];
        }
        for &(s, arm, evaluable, responded) in &patients[..followed as usize] {
            if evaluable {
                labels[s].n[arm] += 1;
                labels[s].events[arm] += u64::from(responded);
            }
        }
        for l in labels.iter_mut().filter(|l| l.open) {
            l.analyse();
        }
        if labels.iter().all(|l| !l.open) {
            break;
        }
        if look == LOOKS.len() - 1 {
            for l in labels.iter_mut().filter(|l| l.open) {
                l.ended_max = true;
            }
        }
    }
    for l in labels.iter_mut() {
        if l.status[l.control] == Status::Active {
            l.status[l.control] = Status::Control;
        }
    }
    Trial {
        status: [labels[0].status, labels[1].status],
        randomised: [labels[0].randomised, labels[1].randomised],
        ended_max: [labels[0].ended_max, labels[1].ended_max],
        total: patients.len() as u64,
        screened,
    }
}

/// Mean and SD of values.
fn moments(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var.sqrt())
}

#[test]
fn label_stratified_adaptation_matches_a_patient_by_patient_oracle() {
    const ORACLE: u64 = 3000;
    const ENGINE: u64 = 20000;
    let trials: Vec<Trial> = (0..ORACLE)
        .into_par_iter()
        .map(|i| oracle_trial(1000 + i))
        .collect();
    let d = design(&scenario(ENGINE));
    let plan = d.bayesian().expect("a Bayesian design");
    let tally = simulate(&d, 0..d.replicates, &|_| {});
    let b = tally.bayesian().expect("a Bayesian tally");
    let rows = arm_rows(&d, plan, tally.trials, b);
    let run = run_row(&d, &tally, b, plan);
    let (n1, n2) = (ORACLE as f64, ENGINE as f64);
    let share = |f: &dyn Fn(&Trial) -> bool| trials.iter().filter(|t| f(t)).count() as f64 / n1;
    let assert_share = |what: &str, ours: f64, oracle: f64| {
        let p = (ours * n2 + oracle * n1) / (n1 + n2);
        let se = (p * (1.0 - p) * (1.0 / n1 + 1.0 / n2)).sqrt();
        assert!(
            (ours - oracle).abs() <= MC_SE * se,
            "{what}: engine {ours}, oracle {oracle} (SE {se})"
        );
    };
    let assert_mean = |what: &str, ours: f64, values: &[f64]| {
        let (mean, sd) = moments(values);
        let se = sd * (1.0 / n1 + 1.0 / n2).sqrt();
        assert!(
            (ours - mean).abs() <= MC_SE * se,
            "{what}: engine {ours}, oracle {mean} (SE {se})"
        );
    };
    let names = ["mals", "immunoparalysis"];
    for (s, label) in names.iter().enumerate() {
        for a in 0..ARMS {
            let row = &rows[s * ARMS + a];
            assert_eq!(
                (row.stratum.as_str(), row.arm.as_str()),
                (*label, d.arms[a].name.as_str())
            );
            for (k, status) in [
                (2, Status::Superior),
                (3, Status::Inferior),
                (1, Status::Control),
            ] {
                assert_share(
                    &format!("{label} {} {status:?}", row.arm),
                    row.status[k],
                    share(&|t| t.status[s][a] == status),
                );
            }
            let randomised: Vec<f64> = trials.iter().map(|t| t.randomised[s][a] as f64).collect();
            assert_mean(
                &format!("{label} {} patients", row.arm),
                row.mean_randomised,
                &randomised,
            );
        }
        let max = b.strata[s].endings[3] as f64 / n2;
        assert_share(
            &format!("{label} ends at the maximum"),
            max,
            share(&|t| t.ended_max[s]),
        );
    }
    let total: Vec<f64> = trials.iter().map(|t| t.total as f64).collect();
    assert_mean("randomised", run.expected_randomised, &total);
    let screened: Vec<f64> = trials.iter().map(|t| t.screened as f64).collect();
    assert_mean("screened", run.mean_screened, &screened);
    // The design does what it is for: each drug wins in its own label most of the time.
    assert!(
        rows[1].status[2] > 0.5 && rows[ARMS + 2].status[2] > 0.5,
        "{rows:?}"
    );
}

/// Two labels, a drug against control in each, effective in label a only.
pub(crate) const TWO_LABEL_TOML: &str = r#"
[[endotype]]
name = "a"
prevalence = 0.4
control_risk = 0.3
[[endotype]]
name = "b"
prevalence = 0.6
control_risk = 0.3
[enrollment]
sample_size = 400
[endpoint]
event = "response"
better = "higher"
[[treatment]]
name = "drug"
effect = "risk"
by_endotype = { a = 0.45 }
[[arm]]
name = "control"
ratio = 1
[[arm]]
name = "drug"
ratio = 1
treatment = "drug"
[bayesian]
by_label = true
look_every = 50
control = "control"
"#;

#[test]
fn validate_describes_the_adaptation_by_label() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("two.toml");
    std::fs::write(
        &path,
        format!("name = \"two\"\n[simulation]\nreplicates = 10\nseed = 1\n{TWO_LABEL_TOML}"),
    )
    .unwrap();
    crate::common::cli()
        .args(["validate", path.to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicates::str::contains(
            "adaptation by label (share of those randomised while all are open): a (0.4000), b \
             (0.6000) each decide",
        ));
}

#[test]
fn a_label_without_patients_cannot_adapt_on_its_own() {
    let body = TWO_LABEL_TOML.replace(
        "prevalence = 0.6\ncontrol_risk = 0.3\n",
        "prevalence = 0.6\ncontrol_risk = 0.3\nclassified_as = { a = 1.0 }\n",
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("two.toml");
    std::fs::write(
        &path,
        format!("name = \"two\"\n[simulation]\nreplicates = 10\nseed = 1\n{body}"),
    )
    .unwrap();
    crate::common::cli()
        .args(["validate", path.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(
            predicates::str::contains("bayesian.by_label").and(predicates::str::contains(
                "the eligible label 'b' is given to no patient",
            )),
        );
}

/// `run` draws the RAR path beside allocation.csv, one line per label and arm, and a
/// frequentist run in the same folder leaves no stale figure.
#[test]
fn run_draws_the_allocation_by_label() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("two.toml");
    std::fs::write(
        &path,
        format!("name = \"two\"\n[simulation]\nreplicates = 300\nseed = 1\n{TWO_LABEL_TOML}"),
    )
    .unwrap();
    let out = dir.path().join("out");
    let run = |scenario: &std::path::Path| {
        crate::common::cli()
            .args(["run", "--quiet", "--out"])
            .arg(&out)
            .arg(scenario)
            .assert()
            .success();
    };
    run(&path);
    let svg = std::fs::read_to_string(out.join("two/allocation.svg")).unwrap();
    for line in ["a: control", "a: drug", "b: control", "b: drug"] {
        assert!(svg.contains(line), "{line}");
    }
    let csv = std::fs::read_to_string(out.join("two/allocation.csv")).unwrap();
    assert!(csv.starts_with("scenario,label,look,patients,trials,share_control,share_drug\n"));
    assert_eq!(csv.lines().count(), 1 + 2 * 8, "two labels, eight analyses");
    let frequentist = std::fs::read_to_string(crate::common::shipped_path("immunosep.toml"))
        .unwrap()
        .replace("name = \"immunosep\"", "name = \"two\"")
        .replace("replicates = 100000", "replicates = 100");
    let path = dir.path().join("frequentist.toml");
    std::fs::write(&path, frequentist).unwrap();
    run(&path);
    assert!(!out.join("two/allocation.svg").exists());
}
