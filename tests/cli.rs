//! The command line end to end: outputs, reproducibility across thread counts, the scenario copy,
//! and every kind of bad input (exit 2, a message naming the file and key, results untouched).

use std::fs;
use std::path::{Path, PathBuf};

use crate::common::{cli, shipped_path};
use predicates::str::contains;

fn base_scenario() -> String {
    fs::read_to_string(shipped_path("immunosep.toml")).unwrap()
}

#[test]
fn run_writes_summary_and_scenario_copy_and_is_identical_across_thread_counts() {
    let dir = tempfile::tempdir().unwrap();
    let mut outputs = Vec::new();
    for threads in ["1", "2"] {
        let out = dir.path().join(threads);
        cli()
            .args([
                "run",
                "--quiet",
                "--replicates",
                "30000",
                "--seed",
                "7",
                "--threads",
                threads,
            ])
            .arg(shipped_path("immunosep.toml"))
            .arg("--out")
            .arg(&out)
            .assert()
            .success()
            .stdout(contains("personalised vs placebo"));
        outputs.push(fs::read(out.join("immunosep/summary.csv")).unwrap());
    }
    assert_eq!(
        outputs[0], outputs[1],
        "summary.csv differs between 1 and 2 threads"
    );
    let csv = String::from_utf8(outputs[0].clone()).unwrap();
    let header = csv.lines().next().unwrap();
    assert!(header.starts_with(
        "scenario,arm,control,test,alternative,alpha,replicates,seed,sample_size,power,power_se,\
         power_ci_low,power_ci_high,analytic_power,true_risk_control,true_risk_arm,true_difference,\
         mean_difference,bias,coverage,mean_risk_control,mean_risk_arm,mean_evaluable_control,\
         mean_evaluable_arm,mean_screened,p95_screened"
    ));
    assert!(
        csv.lines()
            .nth(1)
            .unwrap()
            .starts_with("immunosep,personalised,placebo,chi_square,two_sided,0.05,30000,7,280,")
    );

    // The copy records the overrides, keeps the comments, and reproduces the run exactly.
    let copy = dir.path().join("1/immunosep/scenario.toml");
    let text = fs::read_to_string(&copy).unwrap();
    assert!(text.contains("replicates = 30000") && text.contains("seed = 7"));
    assert!(text.contains("# ImmunoSep (NCT04990232"));
    let again = dir.path().join("again");
    cli()
        .args(["run", "--quiet", "--out"])
        .arg(&again)
        .arg(&copy)
        .assert()
        .success();
    assert_eq!(
        fs::read(again.join("immunosep/summary.csv")).unwrap(),
        outputs[0]
    );
}

#[test]
fn hypotheses_and_subgroups_are_written() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("multi.toml");
    fs::write(
        &file,
        base_scenario().replace(
            "alternative = \"two_sided\"",
            "alternative = \"two_sided\"\nhypotheses = [\"overall\", \"mals\", \"immunoparalysis\"]\nmultiplicity = \"holm\"",
        ),
    )
    .unwrap();
    cli()
        .args(["run", "--quiet", "--replicates", "5000", "--out"])
        .arg(dir.path())
        .arg(&file)
        .assert()
        .success()
        .stdout(contains("holm at alpha 0.05"));
    let h = fs::read_to_string(dir.path().join("immunosep/hypotheses.csv")).unwrap();
    assert!(h.starts_with("scenario,arm,control,procedure,alpha,hypothesis,true_null,power,"));
    assert_eq!(h.lines().count(), 4);
    let s = fs::read_to_string(dir.path().join("immunosep/subgroups.csv")).unwrap();
    assert!(
        s.lines()
            .nth(1)
            .unwrap()
            .starts_with("immunosep,personalised,placebo,mals,chi_square,")
    );
    assert!(s.contains(",logistic_wald,"));
}

#[test]
fn different_seeds_give_different_results() {
    let dir = tempfile::tempdir().unwrap();
    let mut outputs = Vec::new();
    for seed in ["1", "2"] {
        let out = dir.path().join(seed);
        cli()
            .args(["run", "--quiet", "--replicates", "2000", "--seed", seed])
            .arg(shipped_path("immunosep.toml"))
            .arg("--out")
            .arg(&out)
            .assert()
            .success();
        outputs.push(fs::read(out.join("immunosep/summary.csv")).unwrap());
    }
    assert_ne!(outputs[0], outputs[1]);
}

#[test]
fn every_shipped_scenario_validates() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut n = 0;
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            cli()
                .arg("validate")
                .arg(&path)
                .assert()
                .success()
                .stdout(contains("of screened patients are eligible"));
            n += 1;
        }
    }
    let results = fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("results"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().join("summary.csv").exists())
        .count();
    assert!(
        n >= 20 && n == results,
        "{n} scenarios validated, {results} committed results"
    );
}

#[test]
fn validate_prints_the_resolved_design() {
    cli()
        .arg("validate")
        .arg(shipped_path("immunosep.toml"))
        .assert()
        .success()
        .stdout(contains("0.4362 of screened patients are eligible"))
        .stdout(contains(
            "randomised patients by true endotype: mals 0.1707; immunoparalysis 0.8293",
        ))
        .stdout(contains("personalised     ratio 1  risk 0.3473"));
}

/// One bad input: how to break the base scenario and what the message must name.
struct Bad {
    what: &'static str,
    from: &'static str,
    to: &'static str,
    key: &'static str,
}

const BAD: &[Bad] = &[
    Bad {
        what: "unknown key",
        from: "dropout = 0.018",
        to: "dropout = 0.018\ndropuot = 0.1",
        key: "dropuot",
    },
    Bad {
        what: "missing key",
        from: "sample_size = 280\n",
        to: "\n",
        key: "sample_size",
    },
    Bad {
        what: "wrong type",
        from: "sample_size = 280",
        to: "sample_size = \"many\"",
        key: "sample_size",
    },
    Bad {
        what: "negative integer",
        from: "sample_size = 280",
        to: "sample_size = -5",
        key: "sample_size",
    },
    Bad {
        what: "zero sample size",
        from: "sample_size = 280",
        to: "sample_size = 0",
        key: "enrollment.sample_size",
    },
    Bad {
        what: "prevalences not summing to 1",
        from: "prevalence = 0.074468085106383",
        to: "prevalence = 0.1",
        key: "endotype.*.prevalence",
    },
    Bad {
        what: "classification not summing to 1",
        from: "control_risk = 0.174 ",
        to: "control_risk = 0.174\nclassified_as = { mals = 0.9, unclassified = 0.2 } ",
        key: "endotype.mals.classified_as",
    },
    Bad {
        what: "probability above 1",
        from: "control_risk = 0.18 ",
        to: "control_risk = 1.8 ",
        key: "endotype.immunoparalysis.control_risk",
    },
    Bad {
        what: "negative probability",
        from: "prevalence = 0.563829787234043",
        to: "prevalence = -0.5",
        key: "endotype.unclassified.prevalence",
    },
    Bad {
        what: "dropout of 1",
        from: "dropout = 0.018",
        to: "dropout = 1.0",
        key: "enrollment.dropout",
    },
    Bad {
        what: "zero ratio",
        from: "ratio = 1\nassign",
        to: "ratio = 0\nassign",
        key: "arm.personalised.ratio",
    },
    Bad {
        what: "unknown endotype in a treatment",
        from: "by_endotype = { mals = 0.48 }",
        to: "by_endotype = { mal = 0.48 }",
        key: "treatment.anakinra.by_endotype.mal",
    },
    Bad {
        what: "unknown label in eligible",
        from: "eligible = [\"mals\", \"immunoparalysis\"]",
        to: "eligible = [\"mals\", \"immuno\"]",
        key: "enrollment.eligible",
    },
    Bad {
        what: "unknown label in assign",
        from: "assign = { mals",
        to: "assign = { malz",
        key: "arm.personalised.assign.malz",
    },
    Bad {
        what: "unknown treatment",
        from: "immunoparalysis = \"ifn_gamma\" }",
        to: "immunoparalysis = \"ifn\" }",
        key: "arm.personalised.assign.immunoparalysis",
    },
    Bad {
        what: "missing control arm",
        from: "control = \"placebo\"",
        to: "control = \"standard_care\"",
        key: "analysis.control",
    },
    Bad {
        what: "empty eligible set",
        from: "eligible = [\"mals\", \"immunoparalysis\"]",
        to: "eligible = []",
        key: "enrollment.eligible",
    },
    Bad {
        what: "risk out of range",
        from: "effect = \"risk\"\nby_endotype = { mals = 0.48 }",
        to: "effect = \"risk_difference\"\nby_endotype = { mals = 0.9 }",
        key: "treatment.anakinra.by_endotype.mals",
    },
    Bad {
        what: "unknown test",
        from: "test = \"chi_square\"",
        to: "test = \"t_test\"",
        key: "test",
    },
    Bad {
        what: "alpha out of range",
        from: "alpha = 0.05",
        to: "alpha = 1.5",
        key: "analysis.alpha",
    },
    Bad {
        what: "empty display name",
        from: "display_name = \"MALS\"",
        to: "display_name = \"  \"",
        key: "endotype.mals.display_name",
    },
    Bad {
        what: "malformed TOML",
        from: "[enrollment]",
        to: "[enrollment",
        key: "line",
    },
];

#[test]
fn bad_input_exits_2_names_the_key_and_leaves_results_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results");
    let existing = results.join("immunosep/summary.csv");
    fs::create_dir_all(existing.parent().unwrap()).unwrap();
    fs::write(&existing, "previous results\n").unwrap();
    let base = base_scenario();
    for bad in BAD {
        assert!(
            base.contains(bad.from),
            "{}: pattern not in base scenario",
            bad.what
        );
        let file = dir.path().join("bad.toml");
        fs::write(&file, base.replacen(bad.from, bad.to, 1)).unwrap();
        let out = cli()
            .args(["run", "--quiet", "--replicates", "100", "--out"])
            .arg(&results)
            .arg(&file)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{}: {stderr}", bad.what);
        assert!(
            stderr.contains("bad.toml"),
            "{}: file not named in {stderr}",
            bad.what
        );
        assert!(
            stderr.contains(bad.key),
            "{}: key '{}' not named in {stderr}",
            bad.what,
            bad.key
        );
        assert_eq!(
            fs::read_to_string(&existing).unwrap(),
            "previous results\n",
            "{}",
            bad.what
        );
    }
}

#[test]
fn one_bad_scenario_stops_the_whole_run_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    fs::write(
        &bad,
        base_scenario()
            .replace("name = \"immunosep\"", "name = \"other\"")
            .replace("alpha = 0.05", "alpha = 0"),
    )
    .unwrap();
    cli()
        .args(["run", "--quiet", "--out"])
        .arg(dir.path().join("results"))
        .arg(shipped_path("immunosep.toml"))
        .arg(&bad)
        .assert()
        .code(2)
        .stderr(contains("analysis.alpha"));
    assert!(!dir.path().join("results").exists());
}

#[test]
fn missing_file_and_bad_arguments_exit_2() {
    cli()
        .args(["run", "no/such/scenario.toml"])
        .assert()
        .code(2)
        .stderr(contains("no/such/scenario.toml"));
    cli()
        .args(["run", "--threads", "0"])
        .arg(shipped_path("immunosep.toml"))
        .assert()
        .code(2);
    cli()
        .args(["run", "--replicates", "0"])
        .arg(shipped_path("immunosep.toml"))
        .assert()
        .code(2);
    cli().arg("frobnicate").assert().code(2);
}

#[test]
fn duplicate_scenario_names_are_refused() {
    cli()
        .args(["run", "--quiet"])
        .arg(shipped_path("immunosep.toml"))
        .arg(shipped_path("immunosep.toml"))
        .assert()
        .code(2)
        .stderr(contains("both scenarios are named 'immunosep'"));
}

#[test]
fn results_respect_the_umask_and_scripts_are_executable() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mode = |p: PathBuf| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    // The test harness runs under the session's umask: pin it to 022 in the child via sh.
    let bin = assert_cmd::cargo::cargo_bin("endotrial");
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "umask 022 && '{}' run --quiet --replicates 500 --out '{}' '{}' && '{}' slurm --shards 2 --out '{}' '{}'",
            bin.display(),
            out.display(),
            shipped_path("immunosep.toml").display(),
            bin.display(),
            out.display(),
            shipped_path("immunosep.toml").display()
        ))
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    for file in [
        "summary.csv",
        "subgroups.csv",
        "scenario.toml",
        "slurm/shards.sbatch",
    ] {
        assert_eq!(mode(out.join("immunosep").join(file)), 0o644, "{file}");
    }
    assert_eq!(mode(out.join("immunosep/slurm/submit.sh")), 0o755);
}

#[test]
fn an_unwritable_out_is_bad_input_before_any_simulation() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a_file");
    fs::write(&file, "x").unwrap();
    for command in ["run", "sweep", "size", "report"] {
        let mut cmd = cli();
        cmd.arg(command).arg(shipped_path("immunosep.toml"));
        match command {
            "sweep" => cmd.args(["--set", "enrollment.dropout=0,0.1"]),
            "size" => cmd.args(["--power", "0.8"]),
            _ => &mut cmd,
        };
        // 10^9 trials would take minutes: the refusal must come first.
        cmd.args(["--quiet", "--replicates", "1000000000", "--out"])
            .arg(file.join("results"))
            .timeout(std::time::Duration::from_secs(20))
            .assert()
            .code(2)
            .stderr(contains("cannot write results there"))
            // Said plainly (before issue 29: "File exists (os error 17)").
            .stderr(contains("is a file, not a folder"));
    }
}

/// Two runs into one result folder at the same time leave the files of one of them, whole:
/// each folder is written under a lock, every file renamed into place while it is held (before
/// issue 29, one of 30 concurrent pairs left summary.csv and scenario.toml of one seed beside
/// subgroups.csv of the other). Twelve pairs of seeds 1 and 2, against each seed's own run.
#[test]
fn concurrent_runs_into_one_folder_leave_one_whole_result() {
    let dir = tempfile::tempdir().unwrap();
    let files = ["summary.csv", "subgroups.csv", "scenario.toml"];
    let run = |seed: &str, out: &Path| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_endotrial"));
        cmd.args([
            "run",
            "--quiet",
            "--replicates",
            "3000",
            "--seed",
            seed,
            "--out",
        ])
        .arg(out)
        .arg(shipped_path("immunosep.toml"))
        .stdout(std::process::Stdio::null());
        cmd
    };
    let reference = |seed: &str| {
        let out = dir.path().join(format!("alone{seed}"));
        assert!(run(seed, &out).status().unwrap().success());
        files.map(|f| fs::read(out.join("immunosep").join(f)).unwrap())
    };
    let (one, two) = (reference("1"), reference("2"));
    let shared = dir.path().join("shared");
    for pair in 0..12 {
        let mut a = run("1", &shared).spawn().unwrap();
        let mut b = run("2", &shared).spawn().unwrap();
        assert!(a.wait().unwrap().success() && b.wait().unwrap().success());
        let got = files.map(|f| fs::read(shared.join("immunosep").join(f)).unwrap());
        assert!(got == one || got == two, "pair {pair}: a mixed result set");
    }
    // Nothing staged is left behind, and no lock file.
    let mut left: Vec<String> = fs::read_dir(shared.join("immunosep"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    left.sort();
    assert_eq!(left, ["scenario.toml", "subgroups.csv", "summary.csv"]);
}

#[test]
fn report_fails_like_size_when_the_target_is_not_reached() {
    let dir = tempfile::tempdir().unwrap();
    for command in ["size", "report"] {
        cli()
            .arg(command)
            .arg(shipped_path("null.toml"))
            .args(["--power", "0.8", "--replicates", "2000", "--quiet", "--out"])
            .arg(dir.path())
            .assert()
            .code(2)
            .stderr(contains("target power 0.8 not reached"));
    }
    let report = fs::read_to_string(dir.path().join("null/report.md")).unwrap();
    assert!(report.contains("is not reached"), "{report}");
}

#[test]
fn merge_in_the_shards_folder_writes_to_out_name() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    for shard in ["1/2", "2/2"] {
        cli()
            .args([
                "run",
                "--quiet",
                "--replicates",
                "1000",
                "--shard",
                shard,
                "--out",
            ])
            .arg(&out)
            .arg(shipped_path("immunosep.toml"))
            .assert()
            .success();
    }
    let shards = out.join("immunosep/shards");
    cli()
        .current_dir(&shards)
        .args(["merge", "."])
        .assert()
        .success();
    assert!(out.join("immunosep/summary.csv").exists());
    assert!(!out.join("summary.csv").exists() && !shards.join("summary.csv").exists());
}

#[test]
fn likely_mistakes_warn_but_run_and_rough_prevalences_are_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s.toml");
    let text = base_scenario();
    for (edit, key) in [
        (
            text.replace(
                "assign = { mals = \"anakinra\", immunoparalysis = \"ifn_gamma\" }",
                "assign = { mals = \"anakinra\", immunoparalysis = \"ifn_gamma\", unclassified = \"anakinra\" }",
            ),
            "arm.personalised.assign.unclassified",
        ),
        (
            text.replace("alternative = \"two_sided\"", "alternative = \"one_sided\"")
                .replace("better = \"higher\"", "better = \"lower\""),
            "analysis.alternative",
        ),
        (
            text.replace("sample_size = 280", "sample_size = 1"),
            "enrollment.sample_size",
        ),
    ] {
        assert_ne!(edit, text, "{key}: the edit must apply");
        fs::write(&file, edit).unwrap();
        cli()
            .arg("validate")
            .arg(&file)
            .assert()
            .success()
            .stderr(contains(format!("warning: {}: key `{key}`", file.display())));
    }
    // Prevalences typed to three decimals (sum 0.999) are refused; to 1e-6, accepted.
    let rough = |a: &str, b: &str, c: &str| {
        text.replace(
            "prevalence = 0.074468085106383",
            &format!("prevalence = {a}"),
        )
        .replace(
            "prevalence = 0.361702127659574",
            &format!("prevalence = {b}"),
        )
        .replace(
            "prevalence = 0.563829787234043",
            &format!("prevalence = {c}"),
        )
    };
    fs::write(&file, rough("0.333", "0.333", "0.333")).unwrap();
    cli().arg("validate").arg(&file).assert().code(2);
    fs::write(&file, rough("0.3333333", "0.3333333", "0.3333333")).unwrap();
    cli()
        .arg("validate")
        .arg(&file)
        .assert()
        .success()
        .stdout(contains("mals 0.5000"));
}

#[test]
fn every_subcommand_help_has_an_example() {
    use clap::CommandFactory;
    endotrial::cli::Cli::command().debug_assert();
    for command in [
        "run", "validate", "merge", "slurm", "check", "size", "sweep", "report", "compare",
    ] {
        cli()
            .args([command, "--help"])
            .assert()
            .success()
            .stdout(contains("Example"))
            .stdout(contains(format!("endotrial {command} ")));
    }
}

#[test]
fn every_missing_required_key_is_named_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("first.toml");
    fs::write(
        &file,
        "name = \"x\"\n[simulation]\nseed = 1\n[[endotype]]\nname = \"a\"\n[enrollment]\n",
    )
    .unwrap();
    cli()
        .arg("validate")
        .arg(&file)
        .assert()
        .code(2)
        .stderr(contains(
            "missing required keys: simulation.replicates, endotype[0].prevalence, \
         endotype[0].control_risk, enrollment.sample_size, [endpoint], [[arm]], [analysis]",
        ));
}

/// Typos are named with the closest known key, beside the required keys they leave missing
/// (before issue 29, `sampel_size` showed only as "missing required keys:
/// enrollment.sample_size", `[enrolment]` as "missing [enrollment]", and with `dropuot` and
/// `sed` only the missing seed was reported).
#[test]
fn every_unknown_key_is_named_with_the_closest_known_one() {
    let dir = tempfile::tempdir().unwrap();
    let text = fs::read_to_string(shipped_path("immunosep.toml")).unwrap();
    for (from, to, expected) in [
        (
            "sample_size = 280",
            "sampel_size = 280",
            "unknown keys: enrollment.sampel_size (did you mean sample_size?); missing required keys: enrollment.sample_size",
        ),
        (
            "[enrollment]",
            "[enrolment]",
            "unknown keys: [enrolment] (did you mean [enrollment]?); missing required keys: [enrollment]",
        ),
        (
            "[[arm]]\nname = \"placebo\"",
            "[[arms]]\nname = \"placebo\"",
            "[[arms]] (did you mean [[arm]]?)",
        ),
    ] {
        assert!(text.contains(from), "{from}");
        let file = dir.path().join("typo.toml");
        fs::write(&file, text.replacen(from, to, 1)).unwrap();
        validate_fails_saying(&file, expected);
    }
    let file = dir.path().join("typos.toml");
    let typos = text
        .replace("dropout = ", "dropuot = ")
        .replace("seed = 2021", "sed = 2021");
    fs::write(&file, typos).unwrap();
    cli()
        .arg("validate")
        .arg(&file)
        .assert()
        .code(2)
        .stderr(contains(
            "unknown keys: enrollment.dropuot (did you mean dropout?), simulation.sed (did you mean seed?); missing required keys: simulation.seed",
        ));
}

/// Type errors name the key and the least whole number it takes (0 only for the seed); a NaN
/// threshold is named as such, not as "above = NaN, below = inf" (before issue 29).
#[test]
fn type_errors_name_the_key_and_what_it_takes() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.toml");
    let immunosep = base_scenario();
    let biomarkers = fs::read_to_string(shipped_path("immunosep_biomarkers.toml")).unwrap();
    for (base, from, to, expected) in [
        (
            &immunosep,
            "replicates = 100000",
            "replicates = -1",
            "key `simulation.replicates`: ",
        ),
        (
            &immunosep,
            "replicates = 100000",
            "replicates = -1",
            "expected a whole number >= 1",
        ),
        (
            &immunosep,
            "seed = 2021",
            "seed = -1",
            "key `simulation.seed`: ",
        ),
        (
            &immunosep,
            "seed = 2021",
            "seed = -1",
            "expected a whole number >= 0",
        ),
        (
            &immunosep,
            "sample_size = 280",
            "sample_size = 2.5",
            "key `enrollment.sample_size`: ",
        ),
        (
            &immunosep,
            "alpha = 0.05",
            "alpha = \"x\"",
            "key `analysis.alpha`: ",
        ),
        (
            &biomarkers,
            "above = 4420",
            "above = nan",
            "classifier.rule[0] (label 'mals').when.ferritin.above`: expected a threshold (a number or +-inf), found nan",
        ),
    ] {
        assert!(base.contains(from), "{from}");
        fs::write(&file, base.replacen(from, to, 1)).unwrap();
        validate_fails_saying(&file, expected);
    }
}

/// `validate FILE` exits 2 and says `expected` on stderr.
fn validate_fails_saying(file: &Path, expected: &str) {
    cli()
        .arg("validate")
        .arg(file)
        .assert()
        .code(2)
        .stderr(contains(expected));
}

/// More endotypes than a classification matrix should hold are refused by key (5,000 ran out
/// of memory at 18 GB before issue 29; the tables' bound is tested in the endpoints).
#[test]
fn more_than_a_thousand_endotypes_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let base = base_scenario();
    let (head, rest) = base.split_once("[[endotype]]").unwrap();
    let tail = &rest[rest.find("[enrollment]").unwrap()..];
    let mut text = head.to_string();
    for i in 0..1001 {
        text += &format!(
            "[[endotype]]\nname = \"e{i}\"\nprevalence = 0.000999000999\ncontrol_risk = 0.2\n"
        );
    }
    let tail = tail.replace("eligible = [\"mals\", \"immunoparalysis\"]", "");
    let file = dir.path().join("many.toml");
    fs::write(&file, text + &tail).unwrap();
    cli()
        .arg("validate")
        .arg(&file)
        .assert()
        .code(2)
        .stderr(contains("many.toml"))
        .stderr(contains(
            "key `endotype`: expected at most 1000 [[endotype]] tables, found 1001",
        ));
}

/// A scenario file is read only up to 1 MiB: `run /dev/zero` exits 2 at once instead of
/// reading until memory runs out (before issue 29).
#[test]
fn an_endless_scenario_file_is_refused() {
    cli()
        .args(["run", "/dev/zero", "--quiet"])
        .timeout(std::time::Duration::from_secs(20))
        .assert()
        .code(2)
        .stderr(contains(
            "/dev/zero: malformed scenario: larger than 1024 KiB",
        ));
}

#[test]
fn ctrl_c_says_interrupted_and_exits_130() {
    let dir = tempfile::tempdir().unwrap();
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("endotrial"))
        .args(["run", "--quiet", "--replicates", "2000000000", "--out"])
        .arg(dir.path())
        .arg(shipped_path("immunosep.toml"))
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    // SAFETY: sending SIGINT to our own child.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGINT);
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130));
    // stderr is a pipe: the plain word, no escape codes to clear a progress line.
    assert_eq!(String::from_utf8_lossy(&out.stderr), "interrupted\n");
    assert!(!dir.path().join("immunosep/summary.csv").exists());
}
