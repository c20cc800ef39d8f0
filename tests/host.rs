//! The engine as a host program (the R package) calls it: a run in slices that the host may
//! stop, with its files in memory, byte for byte those of `endotrial run`.

use endotrial::cli::host;

use crate::common::{endotrial, shipped_path};

/// Loads a shipped scenario as a host does: from its text, named by its path.
fn shipped(name: &str) -> endotrial::model::scenario::Scenario {
    let path = shipped_path(name);
    let text = std::fs::read_to_string(&path).unwrap();
    host::load_text(path.to_str().unwrap(), text).unwrap()
}

#[test]
fn a_run_in_slices_writes_the_cli_files_byte_for_byte() {
    // One scenario of each engine: fixed binary with hypotheses, group-sequential, adaptive
    // enrichment, time to event, continuous, ordinal and a label-stratified Bayesian platform.
    // 5,300 trials are five slices of growing size (1,000, 2,000 ...) unless slices are slow.
    let dir = tempfile::tempdir().unwrap();
    for (name, replicates) in [
        ("design_stratified.toml", 5_300),
        ("immunosep_sequential.toml", 5_300),
        ("immunosep_enrichment.toml", 5_300),
        ("immunosep_survival.toml", 3_100),
        ("immunosep_sofa.toml", 5_300),
        ("immunosep_osfd.toml", 3_100),
        ("immunosep_platform.toml", 1_500),
    ] {
        let mut s = shipped(name);
        let mut asked = 0;
        let out = host::run(&mut s, Some(replicates), Some(7), Some(2), &mut || {
            asked += 1;
            false
        })
        .unwrap()
        .expect("never stopped");
        assert!(asked >= 2, "{name}: the host was asked {asked} times");
        let printed = endotrial([
            "run",
            "--quiet",
            "--replicates",
            &replicates.to_string(),
            "--seed",
            "7",
            "--out",
            dir.path().to_str().unwrap(),
            shipped_path(name).to_str().unwrap(),
        ]);
        let folder = dir.path().join(&s.design.name);
        let mut on_disk: Vec<String> = std::fs::read_dir(&folder)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        on_disk.sort();
        let mut in_memory: Vec<String> = out.files.iter().map(|(n, _)| n.to_string()).collect();
        in_memory.sort();
        assert_eq!(in_memory, on_disk, "{name}");
        for (file, bytes) in &out.files {
            assert!(
                std::fs::read(folder.join(file)).unwrap() == *bytes,
                "{name}: {file} differs from the CLI's"
            );
        }
        // The CLI prints the same tables, then where it wrote them.
        assert_eq!(
            printed,
            format!(
                "{}  -> {}\n",
                out.tables,
                folder.join("summary.csv").display()
            ),
            "{name}"
        );
    }
}

#[test]
fn slices_grow_while_they_are_quick() {
    // 10^6 trials of a design simulated at millions a second: slices of 1,000, 2,000, 4,000
    // ... take ten, where slices of a fixed or linearly growing size would take 45 or more.
    let mut s = shipped("immunosep.toml");
    let mut asked = 0;
    host::run(&mut s, Some(1_000_000), None, None, &mut || {
        asked += 1;
        false
    })
    .unwrap()
    .unwrap();
    assert!((10..=20).contains(&asked), "{asked} slices");
}

#[test]
fn a_host_can_stop_a_run_between_slices() {
    let mut s = shipped("immunosep.toml");
    let mut asked = 0;
    let out = host::run(&mut s, Some(1_000_000), None, Some(1), &mut || {
        asked += 1;
        true
    })
    .unwrap();
    assert!(out.is_none());
    assert_eq!(asked, 1);
}

#[test]
fn a_command_line_runs_in_process_and_bad_input_is_told_apart() {
    let dir = tempfile::tempdir().unwrap();
    let arg = |s: &str| s.to_string();
    let ok = host::command(
        &[
            arg("endotrial"),
            arg("run"),
            arg("--quiet"),
            arg("--replicates"),
            arg("200"),
            arg("--out"),
            arg(dir.path().to_str().unwrap()),
            arg(shipped_path("immunosep.toml").to_str().unwrap()),
        ],
        &mut || false,
    )
    .unwrap();
    assert_eq!(ok, Some(true));
    assert!(dir.path().join("immunosep/summary.csv").exists());

    let e = host::command(
        &[arg("endotrial"), arg("size"), arg("--powr"), arg("0.8")],
        &mut || false,
    )
    .unwrap_err();
    assert!(host::is_bad_input(&e), "{e:#}");
    assert!(!host::is_bad_input(&anyhow::anyhow!(
        "no space left on device"
    )));
    assert!(format!("{e:#}").contains("--powr"), "{e:#}");

    let e = host::load_text(
        "mine",
        "name = \"x\"\n[enrollment]\nsample_sise = 3\n".into(),
    )
    .unwrap_err();
    let message = e.to_string();
    assert!(
        message.contains("mine") && message.contains("sample_size"),
        "{message}"
    );
}

#[test]
fn a_host_can_stop_a_command_and_run_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap().to_string();
    let args = |replicates: &str| -> Vec<String> {
        [
            "endotrial",
            "sweep",
            "--quiet",
            "--replicates",
            replicates,
            "--out",
            &out,
        ]
        .into_iter()
        .map(String::from)
        .chain([
            shipped_path("immunosep.toml").to_str().unwrap().to_string(),
            "--set".into(),
            "enrollment.sample_size=100:2000:100".into(),
        ])
        .collect()
    };
    // 20 points of 10^7 trials would take minutes: asked to stop at the first poll, it stops
    // at the next chunk of trials, and writes no sweep.csv.
    let began = std::time::Instant::now();
    let mut asked = 0;
    let outcome = host::command(&args("10000000"), &mut || {
        asked += 1;
        true
    })
    .unwrap();
    assert!(outcome.is_none());
    assert_eq!(asked, 1);
    assert!(began.elapsed().as_secs() < 10, "{:?}", began.elapsed());
    assert!(!dir.path().join("immunosep/sweep.csv").exists());
    // The flag does not outlive the command: the next one runs to its end.
    let outcome = host::command(&args("200"), &mut || false).unwrap();
    assert_eq!(outcome, Some(true));
    assert!(dir.path().join("immunosep/sweep.csv").exists());
}

#[test]
fn the_design_keys_and_warnings_are_what_the_cli_prints() {
    let path = shipped_path("immunosep.toml");
    let s = shipped("immunosep.toml");
    assert_eq!(
        host::describe(&s),
        endotrial(["validate", path.to_str().unwrap()])
    );
    assert_eq!(
        host::keys(&s),
        endotrial(["validate", "--keys", path.to_str().unwrap()])
    );
    assert!(host::warnings(&s).is_empty());
    // Three patients for two arms: the CLI warns on stderr, naming the file and the key.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tiny.toml");
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("sample_size = 280", "sample_size = 3");
    std::fs::write(&file, &text).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_endotrial"))
        .args(["validate", file.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    let tiny = host::load_text(file.to_str().unwrap(), text).unwrap();
    let warnings = host::warnings(&tiny);
    assert_eq!(warnings.len(), 1);
    assert!(
        warnings[0].contains("enrollment.sample_size"),
        "{warnings:?}"
    );
    assert_eq!(stderr, format!("warning: {}\n", warnings[0]));
}

#[test]
fn a_host_stops_a_size_search_within_a_second() {
    // 10^8 trials per candidate would take minutes: stopped after 1 s, the search ends within
    // a chunk of trials (and one unwinding, not one per chunk skipped).
    let dir = tempfile::tempdir().unwrap();
    let args: Vec<String> = [
        "endotrial",
        "size",
        "--quiet",
        "--power",
        "0.8",
        "--replicates",
        "100000000",
        "--out",
        dir.path().to_str().unwrap(),
        shipped_path("immunosep.toml").to_str().unwrap(),
    ]
    .into_iter()
    .map(String::from)
    .collect();
    let began = std::time::Instant::now();
    let outcome = host::command(&args, &mut || began.elapsed().as_secs_f64() > 1.0).unwrap();
    assert!(outcome.is_none());
    assert!(began.elapsed().as_secs_f64() < 2.0, "{:?}", began.elapsed());
    assert!(!dir.path().join("immunosep/sample_size.csv").exists());
}

#[test]
fn a_stop_token_reaches_only_the_threads_that_watch_it() {
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;
    let design = shipped("immunosep.toml").design;
    let set = Arc::new(AtomicBool::new(true));
    // A thread watching a set token: the run unwinds with Stopped instead of returning a
    // tally of part of its trials.
    let watched = std::thread::spawn({
        let (design, set) = (design.clone(), Arc::clone(&set));
        move || {
            endotrial::engine::stop::watch(Some(set));
            endotrial::engine::simulate(&design, 0..10_000, &|_| {})
        }
    })
    .join();
    assert!(
        watched
            .unwrap_err()
            .is::<endotrial::engine::stop::Stopped>()
    );
    // So does calibrate's loop over the trials of a Bayesian design.
    let bayesian = shipped("immunosep_platform_basic.toml").design;
    let calibrating = std::thread::spawn({
        let set = Arc::clone(&set);
        move || {
            endotrial::engine::stop::watch(Some(set));
            endotrial::engine::bayesian::critical::critical_thresholds(
                &bayesian,
                false,
                0..1_000,
                &|_| {},
            )
        }
    })
    .join();
    assert!(
        calibrating
            .unwrap_err()
            .is::<endotrial::engine::stop::Stopped>()
    );
    // This thread watches nothing: the same run completes, whatever other threads watch.
    let tally = endotrial::engine::simulate(&design, 0..10_000, &|_| {});
    assert_eq!(tally.trials, 10_000);
}
