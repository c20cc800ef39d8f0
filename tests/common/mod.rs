//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::Path;

use endotrial::engine;
use endotrial::engine::summary::{self, SummaryRow};
use endotrial::model::design::Design;
use endotrial::model::scenario::Scenario;

/// The tolerance of every Monte Carlo assertion, in Monte Carlo standard errors: with a fixed
/// seed, |estimate - reference| < MC_SE * SE.
pub const MC_SE: f64 = 4.0;

/// Asserts that a simulated `estimate` is within `MC_SE` standard errors `se` of `reference`
/// (or equal to it: a proportion of 0 or 1 has an SE of 0).
pub fn assert_mc(what: &str, estimate: f64, reference: f64, se: f64) {
    let gap = (estimate - reference).abs();
    assert!(
        gap < MC_SE * se || gap == 0.0,
        "{what}: simulated {estimate} vs {reference} ({MC_SE} SE = {})",
        MC_SE * se
    );
}

/// The `endotrial` binary, to run with arguments and assert on.
pub fn cli() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("endotrial").unwrap()
}

/// The path of the shipped scenario `scenarios/<name>`.
pub fn shipped_path(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name)
}

/// A design from scenario text (panics with the validation message if invalid).
pub fn design(toml: &str) -> Design {
    match Scenario::from_text(Path::new("test.toml"), toml.to_string()) {
        Ok(s) => s.design,
        Err(e) => panic!("{e}"),
    }
}

/// Runs `endotrial run` on `text` written to `dir/bad.toml`, with results to `results`, and
/// asserts that it is refused as bad input: exit 2, a message naming the file and `key`, and no
/// results folder written.
pub fn assert_refused(dir: &Path, results: &Path, text: &str, what: &str, key: &str) {
    let file = dir.join("bad.toml");
    std::fs::write(&file, text).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_endotrial"))
        .args(["run", "--quiet", "--replicates", "100", "--out"])
        .arg(results)
        .arg(&file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{what}: {stderr}");
    assert!(stderr.contains("bad.toml"), "{what}: {stderr}");
    // A scenario that does not parse is refused by the TOML reader, whose message quotes the
    // field or variant; any other refusal names its key as `key \`...\``, so that another key
    // that merely contains it (or a message that mentions it) does not pass.
    let named = if stderr.contains("malformed scenario") {
        stderr.contains(key)
    } else {
        stderr.contains(&format!("key `{key}`"))
    };
    assert!(named, "{what}: key {key} not named: {stderr}");
    assert!(!results.exists(), "{what}");
}

/// Runs the `endotrial` binary with `args`, asserts that it succeeds (its stderr in the message
/// otherwise) and returns its stdout.
pub fn endotrial<I, S>(args: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let args: Vec<std::ffi::OsString> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_endotrial"))
        .args(&args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs the engine on all replicates and returns the summary rows.
pub fn run(design: &Design) -> Vec<SummaryRow> {
    let tally = engine::simulate(design, 0..design.replicates, &|_| {});
    summary::summarise(design, &tally)
}

/// A two-arm binary scenario with one endotype: arm "new" (risk `arm_risk`) against "control"
/// (`control_risk`) in `ratios` (control, new). `analysis` holds the `[analysis]` lines after
/// `control`; `rest` what follows the table (a `[sequential]` table, or nothing).
pub struct OneEndotype<'a> {
    pub name: &'a str,
    pub seed: u64,
    pub replicates: u64,
    pub control_risk: f64,
    pub arm_risk: f64,
    pub better: &'a str,
    pub sample_size: u64,
    pub ratios: (u32, u32),
    pub analysis: &'a str,
    pub rest: &'a str,
}

impl OneEndotype<'_> {
    pub fn toml(&self) -> String {
        let OneEndotype {
            name,
            seed,
            replicates,
            control_risk,
            arm_risk,
            better,
            sample_size,
            ratios,
            analysis,
            rest,
        } = self;
        one_endotype_text(
            name,
            (*seed, *replicates, *sample_size),
            [
                &format!("control_risk = {control_risk}"),
                &format!("event = \"event\"\nbetter = \"{better}\""),
                &format!("effect = \"risk\"\nby_endotype = {{ all = {arm_risk} }}"),
            ],
            *ratios,
            (analysis, rest),
        )
    }
}

/// A two-arm continuous design with one endotype (control mean 0, SD `sd`), the arm's mean
/// `difference` above control's, 1:1: its `[analysis]` lines after `control`, and `rest`
/// after them.
pub struct OneEndotypeContinuous<'a> {
    pub name: &'a str,
    pub seed: u64,
    pub replicates: u64,
    pub sd: f64,
    pub difference: f64,
    pub better: &'a str,
    pub sample_size: u64,
    pub analysis: &'a str,
    pub rest: &'a str,
}

impl OneEndotypeContinuous<'_> {
    pub fn toml(&self) -> String {
        let OneEndotypeContinuous {
            name,
            seed,
            replicates,
            sd,
            difference,
            better,
            sample_size,
            analysis,
            rest,
        } = self;
        one_endotype_text(
            name,
            (*seed, *replicates, *sample_size),
            [
                &format!("control_mean = 0.0\nsd = {sd}"),
                &format!("kind = \"continuous\"\noutcome = \"score\"\nbetter = \"{better}\""),
                &format!("effect = \"mean_difference\"\nby_endotype = {{ all = {difference} }}"),
            ],
            (1, 1),
            (analysis, rest),
        )
    }
}

/// The text of a two-arm scenario with one endotype "all", arms "control" and "new" (given
/// treatment "new") in `(control, arm)` ratios: `own` holds the outcome's own lines of the
/// endotype, the endpoint and the treatment; `analysis` the `[analysis]` lines after
/// `control`, and `rest` what follows.
fn one_endotype_text(
    name: &str,
    (seed, replicates, sample_size): (u64, u64, u64),
    [endotype, endpoint, treatment]: [&str; 3],
    (control, arm): (u32, u32),
    (analysis, rest): (&str, &str),
) -> String {
    format!(
        r#"
name = "{name}"
[simulation]
replicates = {replicates}
seed = {seed}
[[endotype]]
name = "all"
prevalence = 1.0
{endotype}
[enrollment]
sample_size = {sample_size}
[endpoint]
{endpoint}
[[treatment]]
name = "new"
{treatment}
[[arm]]
name = "control"
ratio = {control}
[[arm]]
name = "new"
ratio = {arm}
treatment = "new"
[analysis]
control = "control"
{analysis}
{rest}
"#
    )
}

/// A two-arm scenario with two endotypes, one misclassified, parameterised by the fields the
/// exact-power tests vary. Arm "drug" gives `drug` to everyone; the effect is a risk ratio.
pub struct TwoArm<'a> {
    pub test: &'a str,
    pub alternative: &'a str,
    pub better: &'a str,
    pub sample_size: u64,
    pub ratio_drug: u32,
    pub ratio_control: u32,
    pub randomisation: &'a str,
    pub dropout: f64,
    pub effect: f64,
    pub replicates: u64,
    pub seed: u64,
    /// List the control arm after "drug" (the arm order must not matter).
    pub control_last: bool,
}

impl Default for TwoArm<'_> {
    fn default() -> Self {
        TwoArm {
            test: "chi_square",
            alternative: "two_sided",
            better: "higher",
            sample_size: 60,
            ratio_drug: 1,
            ratio_control: 1,
            randomisation: "block",
            dropout: 0.0,
            effect: 2.0,
            replicates: 40_000,
            seed: 11,
            control_last: false,
        }
    }
}

impl TwoArm<'_> {
    pub fn toml(&self) -> String {
        format!(
            r#"
name = "two_arm"
[simulation]
replicates = {replicates}
seed = {seed}
[[endotype]]
name = "a"
prevalence = 0.4
control_risk = 0.3
classified_as = {{ a = 0.8, b = 0.2 }}
[[endotype]]
name = "b"
prevalence = 0.6
control_risk = 0.15
[enrollment]
sample_size = {n}
dropout = {dropout}
randomisation = "{randomisation}"
[endpoint]
event = "response"
better = "{better}"
[[treatment]]
name = "drug"
effect = "risk_ratio"
by_endotype = {{ a = {effect} }}
{arms}
[analysis]
control = "control"
test = "{test}"
alpha = 0.05
alternative = "{alternative}"
"#,
            replicates = self.replicates,
            seed = self.seed,
            n = self.sample_size,
            dropout = self.dropout,
            randomisation = self.randomisation,
            better = self.better,
            effect = self.effect,
            arms = self.arms(),
            test = self.test,
            alternative = self.alternative,
        )
    }

    fn arms(&self) -> String {
        let control = format!(
            "[[arm]]\nname = \"control\"\nratio = {}",
            self.ratio_control
        );
        let drug = format!(
            "[[arm]]\nname = \"drug\"\nratio = {}\ntreatment = \"drug\"",
            self.ratio_drug
        );
        if self.control_last {
            format!("{drug}\n{control}")
        } else {
            format!("{control}\n{drug}")
        }
    }

    pub fn design(&self) -> Design {
        design(&self.toml())
    }
}

/// P(n + NegBin(n, q) <= s): the number screened to randomise `n` when each screened patient is
/// eligible with probability `q` (the regularised beta I_q(n, s - n + 1)).
pub fn screened_cdf(n: f64, q: f64, s: f64) -> f64 {
    if s < n {
        0.0
    } else {
        statrs::function::beta::beta_reg(n, s - n + 1.0, q)
    }
}

/// Asserts that `p95`, reported as the top of a histogram bin `bin` values wide, is the 95th
/// percentile of a sample from the law with CDF `cdf`: the empirical CDF reaches 0.95 there and
/// not one bin below, the exact one being within `tol` of the empirical.
pub fn assert_p95(what: &str, cdf: impl Fn(f64) -> f64, p95: f64, bin: f64, tol: f64) {
    assert!(cdf(p95) > 0.95 - tol, "{what}: F({p95}) = {}", cdf(p95));
    assert!(
        cdf(p95 - bin) < 0.95 + tol,
        "{what}: F({p95} - {bin}) = {}",
        cdf(p95 - bin)
    );
}

/// The mean of `v` and its SE: the sample SD (n - 1 in the denominator) over root n.
pub fn mean_se(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
    (m, (var / n).sqrt())
}

/// Asserts that a run's reported mean estimate and `bias_se` are `mean_se` of `estimates`, its
/// trials' own estimates. Each trial draws from its own stream, so runs of one trial each give
/// them.
pub fn assert_bias_se(estimates: &[f64], mean_estimate: f64, bias_se: f64) {
    let (mean, se) = mean_se(estimates);
    // Not vacuous: the sample variance (se^2 n) is not 0.
    assert!(se * se * estimates.len() as f64 > 1e-4, "{estimates:?}");
    assert!(
        (mean_estimate - mean).abs() < 1e-12,
        "{mean_estimate} vs {mean}"
    );
    assert!((bias_se - se).abs() < 1e-12, "{bias_se} vs {se}");
}

/// Pooled two-sample z of `x1` and `x0` events among `n` patients in each arm, arm minus
/// control; 0 when no patient or every patient had the event.
pub fn pooled_z(x1: f64, x0: f64, n: f64) -> f64 {
    let pbar = (x1 + x0) / (2.0 * n);
    let var = pbar * (1.0 - pbar) * 2.0 / n;
    if var <= 0.0 {
        0.0
    } else {
        (x1 / n - x0 / n) / var.sqrt()
    }
}

/// The binomial(n, p) pmf over 0..=n, in log space (no underflow for stages of hundreds).
pub fn binomial_pmf(n: u64, p: f64) -> Vec<f64> {
    if p <= 0.0 || p >= 1.0 {
        let mut point = vec![0.0; n as usize + 1];
        point[if p <= 0.0 { 0 } else { n as usize }] = 1.0;
        return point;
    }
    let mut pmf = vec![0.0; n as usize + 1];
    let mut log_choose = 0.0;
    for x in 0..=n {
        if x > 0 {
            log_choose += ((n - x + 1) as f64).ln() - (x as f64).ln();
        }
        let (x, n) = (x as f64, n as f64);
        pmf[x as usize] = (log_choose + x * p.ln() + (n - x) * (1.0 - p).ln()).exp();
    }
    pmf
}
