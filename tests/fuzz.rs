//! Seeded fuzzing of the command line: the shipped scenarios with values replaced by hostile ones
//! (0, -1, nan, inf, 1e308, 2^64, empty, wrong types), lines deleted or duplicated, and the
//! commands with random flags. Every run must end with exit 0 (worked) or 2 (bad input, said
//! clearly): never a panic (101), a signal or a hang, in bounded memory (4 GiB of address space)
//! and time (120 s a command: `size` of the shipped time-to-event design, whose search has no
//! normal approximation to bound it, takes 35 s on one core of the 2-core CI machine, and over
//! 60 s when the other core is busy).

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};

const HOSTILE: [&str; 17] = [
    "0",
    "-1",
    "nan",
    "inf",
    "-inf",
    "1e308",
    "1e-308",
    "18446744073709551616",
    "9223372036854775807",
    "1000000000",
    "0.5",
    "1",
    "\"\"",
    "\"x\"",
    "true",
    "[]",
    "{}",
];

fn scenarios() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

fn pick<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// Byte ranges of the numbers in a line (digits with their sign, point and exponent).
fn numbers(line: &str) -> Vec<(usize, usize)> {
    let b = line.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() && (i == 0 || !b[i - 1].is_ascii_alphabetic() && b[i - 1] != b'_')
        {
            let start = if i > 0 && b[i - 1] == b'-' { i - 1 } else { i };
            let mut j = i;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b"._+-".contains(&b[j])) {
                j += 1;
            }
            out.push((start, j));
            i = j;
        } else {
            i += 1;
        }
    }
    out
}

/// One to three random edits of a scenario's text.
fn mutate(rng: &mut ChaCha8Rng, text: &str) -> String {
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    for _ in 0..rng.random_range(1..=3) {
        let i = rng.random_range(0..lines.len());
        match rng.random_range(0..6) {
            0 => {
                lines.remove(i);
            }
            1 => {
                let l = lines[i].clone();
                lines.insert(i, l);
            }
            2 | 3 => {
                if let Some((key, _)) = lines[i].split_once(" = ") {
                    lines[i] = format!("{key} = {}", pick(rng, &HOSTILE));
                }
            }
            _ => {
                let spots = numbers(&lines[i]);
                if !spots.is_empty() {
                    let (a, b) = *pick(rng, &spots);
                    let value: &str = pick::<&str>(rng, &HOSTILE);
                    lines[i].replace_range(a..b, value);
                }
            }
        }
    }
    lines.join("\n")
}

/// Runs endotrial with `args`, limited in memory and time; returns its exit code.
fn run(args: &[String]) -> i32 {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_endotrial"));
    cmd.args(args);
    // SAFETY: setrlimit is async-signal-safe and touches only the child.
    unsafe {
        cmd.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: 4 << 30,
                rlim_max: 4 << 30,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = assert_cmd::Command::from_std(cmd)
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let code = out.status.code().unwrap_or_else(|| {
        panic!("endotrial {args:?} ended by a signal or the 120 s limit: {stderr}")
    });
    assert!(
        code == 0 || code == 2,
        "endotrial {args:?} exited {code}: {stderr}"
    );
    if code == 2 {
        assert!(
            stderr.contains("error"),
            "exit 2 without a message: {args:?}"
        );
    }
    code
}

fn s(v: impl ToString) -> String {
    v.to_string()
}

/// The flags of a short, quiet, single-threaded simulation writing under `out`.
fn quick(replicates: u64, out: &str) -> Vec<String> {
    [
        "--replicates",
        &replicates.to_string(),
        "--quiet",
        "--threads",
        "1",
        "--out",
        out,
    ]
    .map(s)
    .to_vec()
}

#[test]
fn mutated_scenarios_never_crash() {
    let mut rng = ChaCha8Rng::seed_from_u64(2026);
    let files = scenarios();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let (mut ok, mut refused) = (0, 0);
    for case in 0..400 {
        let source = pick(&mut rng, &files);
        let text = mutate(&mut rng, &std::fs::read_to_string(source).unwrap());
        let file = dir.path().join(format!("case{case}.toml"));
        std::fs::write(&file, &text).unwrap();
        let path = s(file.display());
        let validated = run(&[s("validate"), path.clone()]);
        let out = s(out.display());
        let ran = run(&[&[s("run"), path][..], &quick(40, &out)].concat());
        assert_eq!(
            validated, ran,
            "validate and run disagree on case {case}:\n{text}"
        );
        if ran == 0 { ok += 1 } else { refused += 1 }
    }
    // Both outcomes must occur, or the fuzzing is not exercising anything.
    assert!(ok > 10 && refused > 10, "{ok} ran, {refused} refused");
}

#[test]
fn random_flags_never_crash() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let files = scenarios();
    let dir = tempfile::tempdir().unwrap();
    let out = s(dir.path().join("out").display());
    let keys = [
        "enrollment.sample_size",
        "enrollment.dropout",
        "endotype.mals.prevalence",
        "endotype.mals.control_risk",
        "analysis.alpha",
        "endpoint.event",
        "name",
        "arm.placebo.ratio",
        "simulation.seed",
        "no.such.key",
    ];
    let values = [
        "nan",
        "inf",
        "-1",
        "0",
        "1",
        "0.5",
        "1e308",
        "x",
        "",
        "1:3:1",
        "0:1:0.25",
        "1:1000000000:1",
        "0:inf:1",
        "0.1,0.2",
        "18446744073709551616",
        "4420.5",
    ];
    let numbers = [
        "0",
        "1",
        "-1",
        "0.8",
        "1.5",
        "nan",
        "inf",
        "18446744073709551615",
        "100",
        "x",
    ];
    for _ in 0..600 {
        let scenario = s(pick(&mut rng, &files).display());
        let mut args = match rng.random_range(0..4) {
            0 => vec![
                s("sweep"),
                scenario,
                s("--set"),
                format!("{}={}", pick(&mut rng, &keys), pick(&mut rng, &values)),
            ],
            1 => {
                let mut a = vec![
                    s("size"),
                    scenario,
                    s("--power"),
                    s(pick(&mut rng, &numbers)),
                ];
                for flag in ["--min", "--max"] {
                    if rng.random_bool(0.5) {
                        a.extend([s(flag), s(pick(&mut rng, &numbers))]);
                    }
                }
                a
            }
            2 => vec![s("run"), scenario, s("--seed"), s(pick(&mut rng, &numbers))],
            _ => vec![s("validate"), scenario, s(pick(&mut rng, &values))],
        };
        if args[0] != "validate" {
            args.extend(quick(40, &out));
        }
        run(&args);
    }
}

/// The crashes found by hand (issue 13): each now works or is refused with exit 2.
#[test]
fn reported_crashes_work_or_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = s(dir.path().join("out").display());
    let shipped = |name: &str| {
        s(Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("scenarios")
            .join(name)
            .display())
    };
    let with = |mut a: Vec<String>| {
        a.extend(quick(200, &out));
        a
    };
    for (command, scenario, flags, expected) in [
        (
            "sweep",
            "immunosep.toml",
            &["--set", "endpoint.event=nan"][..],
            0,
        ),
        ("sweep", "immunosep.toml", &["--set", "name=inf"], 0),
        (
            "size",
            "null.toml",
            &["--power", "0.8", "--max", "1000000000"],
            2,
        ),
        (
            "size",
            "null.toml",
            &["--power", "0.8", "--min", "18446744073709551615"],
            2,
        ),
        (
            "size",
            "null.toml",
            &["--power", "0.8", "--min", "9223372036854775807"],
            2,
        ),
        (
            "sweep",
            "immunosep.toml",
            &["--set", "enrollment.sample_size=1:1000000000:1"],
            2,
        ),
        (
            "sweep",
            "immunosep_biomarkers.toml",
            &["--set", "classifier.rule.mals.when.ferritin.above=4420.5"],
            0,
        ),
    ] {
        let mut args = vec![s(command), shipped(scenario)];
        args.extend(flags.iter().map(s));
        let args = with(args);
        assert_eq!(run(&args), expected, "{args:?}");
    }
    // No curve from values that are not numbers, but the table is written.
    assert!(dir.path().join("out/immunosep/sweep.csv").exists());
    // An eligible fraction of 1e-5 (28 million screened per trial) and N = 10^9 run in bounded
    // memory; beyond the limits they are refused.
    let text = std::fs::read_to_string(shipped("null.toml")).unwrap();
    let rare = text
        .replace("prevalence = 0.074468085106383", "prevalence = 0.000005")
        .replace("prevalence = 0.361702127659574", "prevalence = 0.000005")
        .replace("prevalence = 0.563829787234043", "prevalence = 0.99999");
    for (edit, expected) in [
        (rare.clone(), 0),
        (
            text.replace("sample_size = 280", "sample_size = 1000000000"),
            0,
        ),
        (
            text.replace("sample_size = 280", "sample_size = 1000000001"),
            2,
        ),
        (
            rare.replace("sample_size = 280", "sample_size = 100000000000"),
            2,
        ),
    ] {
        let file = dir.path().join("edited.toml");
        std::fs::write(&file, edit).unwrap();
        assert_eq!(run(&with(vec![s("run"), s(file.display())])), expected);
    }
}
