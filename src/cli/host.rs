//! The command line's work for a host program that embeds the engine (the R package in `r/`):
//! the same code as `endotrial run`, `validate` and the other commands, with a run's files
//! returned in memory and the run split into slices between which the host may stop it.
//!
//! A run in slices is the run in one piece: every trial draws from its own stream (seed, trial
//! index) and tallies merge exactly, as shards do, so the files are byte for byte the CLI's.
//!
//! The other commands run on a thread watching a stop token (`engine::stop`).

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::engine;
use crate::engine::tally::Tally;
use crate::model::scenario::{Scenario, ScenarioError};

use super::{BadInput, Cli, Outcome, dispatch, result_files, thread_pool};

/// A finished run: the terminal's tables and each file of the result folder, in the order
/// `run` stages them (only the files this run writes).
pub struct RunOutput {
    pub tables: String,
    pub files: Vec<(&'static str, Vec<u8>)>,
}

/// Parses and validates scenario text; `origin` names it in messages (a path, or a name
/// standing for text the host built).
pub fn load_text(origin: &str, text: String) -> Result<Scenario, ScenarioError> {
    Scenario::from_text(Path::new(origin), text)
}

/// The resolved design, as `endotrial validate` prints it.
pub fn describe(s: &Scenario) -> String {
    crate::output::report::describe::describe(&s.design)
}

/// The keys `sweep --set` accepts, as `endotrial validate --keys` prints them.
pub fn keys(s: &Scenario) -> String {
    super::keys_text(s)
}

/// The scenario's likely mistakes (they do not stop it), as the command line's `warning:`
/// lines without the prefix.
pub fn warnings(s: &Scenario) -> Vec<String> {
    s.design
        .warnings
        .iter()
        .map(|w| format!("{}: key `{}`: {}", s.path.display(), w.key, w.message))
        .collect()
}

/// A slice of trials takes about this long at most once its size has grown: the host's
/// chance to stop a run comes this often, for a cost of a few microseconds per slice.
const SLICE_TIME: Duration = Duration::from_millis(200);

/// Runs a scenario with `replicates` / `seed` overriding its own (as `run --replicates
/// --seed`) on `threads` workers (all cores: `None`). `stop` is asked between slices of
/// trials; `Ok(None)` when it said stop.
pub fn run(
    scenario: &mut Scenario,
    replicates: Option<u64>,
    seed: Option<u64>,
    threads: Option<u64>,
    stop: &mut dyn FnMut() -> bool,
) -> anyhow::Result<Option<RunOutput>> {
    scenario.override_simulation(replicates, seed)?;
    let pool = thread_pool(threads)?;
    let design = &scenario.design;
    let mut tally: Option<Tally> = None;
    let (mut start, mut slice) = (0, 1_000);
    while start < design.replicates {
        let end = design.replicates.min(start + slice);
        let began = Instant::now();
        let part = pool.install(|| engine::simulate(design, start..end, &|_| {}));
        match &mut tally {
            None => tally = Some(part),
            Some(t) => t.merge(&part),
        }
        if stop() {
            return Ok(None);
        }
        if began.elapsed() < SLICE_TIME / 2 {
            slice *= 2;
        }
        start = end;
    }
    let tally = tally.expect("a scenario has at least one replicate");
    let (tables, files) = result_files(scenario, &tally);
    let files = files
        .into_iter()
        .filter_map(|(name, bytes)| Some((name, bytes?)))
        .collect();
    Ok(Some(RunOutput { tables, files }))
}

/// How often a running command asks the host whether to stop.
const POLL: Duration = Duration::from_millis(50);

/// Runs a command line (`args[0]` is the program's name) as `endotrial` would, printing what
/// it prints, on a thread of its own while this one asks `stop` every 50 ms. `Ok(Some(false))`
/// when `check` found results that moved; `Ok(None)` when `stop` said stop: the command's runs
/// then end at their next chunk of trials (`engine::stop`), and its writes being atomic, every
/// file is left as it was or whole.
pub fn command(args: &[String], stop: &mut dyn FnMut() -> bool) -> anyhow::Result<Option<bool>> {
    use clap::Parser;
    let cli = Cli::try_parse_from(args).map_err(|e| BadInput(e.to_string().trim().to_string()))?;
    let token = Arc::new(AtomicBool::new(false));
    let worker = {
        let token = Arc::clone(&token);
        std::thread::spawn(move || {
            engine::stop::watch(Some(token));
            dispatch(cli)
        })
    };
    while !worker.is_finished() {
        std::thread::sleep(POLL);
        if !token.load(Ordering::Relaxed) && stop() {
            token.store(true, Ordering::Relaxed);
        }
    }
    match worker.join() {
        Ok(outcome) => Ok(Some(matches!(outcome?, Outcome::Done))),
        Err(payload) if payload.is::<engine::stop::Stopped>() => Ok(None),
        Err(payload) => std::panic::resume_unwind(payload),
    }
}

/// Whether an error is the user's input (the CLI's exit 2) rather than the machine's.
pub fn is_bad_input(e: &anyhow::Error) -> bool {
    super::is_bad_input(e)
}
