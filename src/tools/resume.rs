//! Running a grid of scenarios (a sweep's points, a power curve's sample sizes) point by point,
//! resumably: with a folder to keep them in, each finished point is saved as a one-shard run
//! named by the SHA-256 of its scenario, and a saved point of exactly this scenario and engine
//! is read instead of simulated, so that an interrupted sweep, run again, simulates only what
//! is left, with the same bytes in the end.

use std::path::Path;

use crate::engine;
use crate::engine::shard::{self, Shard, ShardSpec, text_sha256};
use crate::engine::summary::SummaryRow;
use crate::engine::tally::Tally;
use crate::model::scenario::Scenario;
use crate::tools::size::{self, Searched};
use crate::tools::sweep::GridPoint;

/// Where a sweep keeps its finished grid points until it completes: one file per point (a
/// one-shard run, named by the SHA-256 of the point's scenario), so that an interrupted sweep,
/// run again, simulates only what is left, with the same bytes in the end.
pub const SWEEP_POINTS: &str = "sweep-points";

/// A point's saved result, if `file` holds one of exactly this scenario and engine.
fn saved_point(file: &Path, scenario: &Scenario) -> Option<Tally> {
    let shard = Shard::read(file).ok()?;
    (shard.format == shard::FORMAT
        && shard.engine == shard::ENGINE
        && shard.of == 1
        && shard.scenario_text == scenario.text)
        .then_some(shard.tally)
}

/// Writes a finished point's file (atomically, by the caller's writer).
pub type Save<'a, E> = &'a (dyn Fn(&Path, &[u8]) -> Result<(), E> + Sync);

/// A grid's results: (values, summary rows) per point, and how many points were read from
/// files an earlier run saved.
pub struct GridRun {
    pub points: Vec<(Vec<String>, Vec<SummaryRow>)>,
    pub reused: usize,
}

/// Simulates every grid point on the current rayon pool (`progress` is called with the trials
/// finished, a saved point's all at once); with `keep`, each finished point is written there
/// by `save` and a saved one is read instead of simulated.
pub fn run_grid<E>(
    points: &[GridPoint],
    searched: Searched,
    keep: Option<&Path>,
    progress: &(dyn Fn(u64) + Sync),
    save: Save<E>,
) -> Result<GridRun, E> {
    let mut reused = 0;
    let mut out = Vec::with_capacity(points.len());
    for p in points {
        let d = &p.scenario.design;
        let file = keep.map(|dir| dir.join(format!("{}.json", text_sha256(&p.scenario.text))));
        let rows = match file.as_deref().and_then(|f| saved_point(f, &p.scenario)) {
            Some(tally) => {
                reused += 1;
                progress(d.replicates);
                size::searched_rows(d, &tally, searched)
            }
            None => {
                let tally = engine::simulate(d, 0..d.replicates, progress);
                let rows = size::searched_rows(d, &tally, searched);
                if let Some(file) = &file {
                    let whole = ShardSpec { index: 1, count: 1 };
                    save(file, &Shard::new(&p.scenario, whole, tally).to_json())?;
                }
                rows
            }
        };
        out.push((p.values.clone(), rows));
    }
    Ok(GridRun {
        points: out,
        reused,
    })
}
