//! Shards: a run split across processes or cluster jobs, merged exactly.
//!
//! Shard K of N simulates a contiguous, deterministic share of the trial indices and stores the
//! integer tally (not rounded summaries) with everything that identifies the run. Because each
//! trial's draws depend only on (seed, index) and tallies are integers, merging a complete set
//! gives the very tally, and so the very bytes of summary.csv, of a single-process run.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::engine::tally::{self, Tally};
use crate::model::scenario::Scenario;

/// Bumped whenever the shard file layout changes.
pub const FORMAT: u32 = 2;

/// The engine version recorded in shards; shards of different versions are never merged.
pub const ENGINE: &str = concat!("endotrial ", env!("CARGO_PKG_VERSION"));

/// SHA-256 of a scenario text, in hex: names a run's input exactly (the report cites it; a
/// sweep names its finished points by it).
pub fn text_sha256(text: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `K/N`: the K-th (1-based) of N shares of the trials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardSpec {
    pub index: u64,
    pub count: u64,
}

impl std::str::FromStr for ShardSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<ShardSpec, String> {
        let bad = || format!("expected K/N with 1 <= K <= N (e.g. 3/8), found '{s}'");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count): (u64, u64) = (
            k.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if index == 0 || index > count {
            return Err(bad());
        }
        Ok(ShardSpec { index, count })
    }
}

impl ShardSpec {
    /// The trial indices of this shard: contiguous, in order, covering 0..replicates exactly
    /// once over K = 1..N.
    pub fn trials(&self, replicates: u64) -> Range<u64> {
        let bound =
            |k: u64| (u128::from(replicates) * u128::from(k) / u128::from(self.count)) as u64;
        bound(self.index - 1)..bound(self.index)
    }

    pub fn file_name(&self) -> String {
        format!("{}-of-{}.json", self.index, self.count)
    }
}

/// A shard file: the identity of the run it belongs to, its share, and its tally.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub format: u32,
    pub engine: String,
    pub scenario: String,
    pub seed: u64,
    pub replicates: u64,
    pub shard: u64,
    pub of: u64,
    pub first_trial: u64,
    pub end_trial: u64,
    /// The scenario text as run (overrides applied): the merge rebuilds the design from it.
    pub scenario_text: String,
    pub tally: Tally,
}

/// Why a set of shards cannot be merged (bad input: exit 2).
#[derive(Debug, thiserror::Error)]
pub enum ShardError {
    #[error("{0}: cannot read shard: {1}")]
    Read(PathBuf, std::io::Error),
    #[error("{0}: not a shard file of this engine: {1}")]
    Parse(PathBuf, String),
    #[error("{dir}: no shard files (*-of-*.json)")]
    Empty { dir: PathBuf },
    #[error("{0} and {1} do not belong to the same run: they differ in {2}")]
    Mismatch(PathBuf, PathBuf, String),
    #[error("{0} and {1} are both shard {2} of {3}")]
    Duplicate(PathBuf, PathBuf, u64, u64),
    #[error("{dir}: incomplete set, missing shard(s) {missing} of {count}")]
    Missing {
        dir: PathBuf,
        missing: String,
        count: u64,
    },
    #[error("{0}: shard {1} of {2} should hold trials {3:?} but holds {4:?}")]
    Range(PathBuf, u64, u64, Range<u64>, Range<u64>),
    #[error("{0}: {1}")]
    Scenario(PathBuf, String),
    #[error("{0}: not a tally this scenario can produce: {1}")]
    Tally(PathBuf, String),
}

impl Shard {
    pub fn new(scenario: &Scenario, spec: ShardSpec, tally: Tally) -> Shard {
        let d = &scenario.design;
        let trials = spec.trials(d.replicates);
        Shard {
            format: FORMAT,
            engine: ENGINE.to_string(),
            scenario: d.name.clone(),
            seed: d.seed,
            replicates: d.replicates,
            shard: spec.index,
            of: spec.count,
            first_trial: trials.start,
            end_trial: trials.end,
            scenario_text: scenario.text.clone(),
            tally,
        }
    }

    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a shard serialises")
    }

    pub fn read(path: &Path) -> Result<Shard, ShardError> {
        let bytes = std::fs::read(path).map_err(|e| ShardError::Read(path.to_path_buf(), e))?;
        serde_json::from_slice(&bytes)
            .map_err(|e| ShardError::Parse(path.to_path_buf(), e.to_string()))
    }

    /// What must be equal for two shards to be parts of one run.
    fn identity(&self) -> [(&'static str, String); 6] {
        [
            ("format", self.format.to_string()),
            ("engine version", self.engine.clone()),
            ("scenario name", self.scenario.clone()),
            ("seed", self.seed.to_string()),
            ("replicates", self.replicates.to_string()),
            ("number of shards", self.of.to_string()),
        ]
    }
}

/// Reads every `*-of-*.json` in `dir`, checks they form one complete run, and returns the
/// scenario (rebuilt from the shards' copy) with the merged tally.
pub fn merge_dir(dir: &Path) -> Result<(Scenario, Tally), ShardError> {
    let read_dir = std::fs::read_dir(dir).map_err(|e| ShardError::Read(dir.to_path_buf(), e))?;
    let mut paths: Vec<PathBuf> = read_dir
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(".json") && n.contains("-of-"))
        })
        .collect();
    paths.sort();
    let shards = paths
        .iter()
        .map(|p| Shard::read(p).map(|s| (p.clone(), s)))
        .collect::<Result<Vec<_>, _>>()?;
    merge(dir, &shards)
}

/// Checks that `shards` form one complete run and merges them.
pub fn merge(dir: &Path, shards: &[(PathBuf, Shard)]) -> Result<(Scenario, Tally), ShardError> {
    let Some((first_path, first)) = shards.first() else {
        return Err(ShardError::Empty {
            dir: dir.to_path_buf(),
        });
    };
    let mut by_index: BTreeMap<u64, &PathBuf> = BTreeMap::new();
    for (path, s) in shards {
        for ((what, a), (_, b)) in first.identity().iter().zip(s.identity()) {
            if *a != b {
                return Err(ShardError::Mismatch(
                    first_path.clone(),
                    path.clone(),
                    format!("{what} ({a} vs {b})"),
                ));
            }
        }
        if s.scenario_text != first.scenario_text {
            return Err(ShardError::Mismatch(
                first_path.clone(),
                path.clone(),
                "scenario file contents".into(),
            ));
        }
        if let Some(other) = by_index.insert(s.shard, path) {
            return Err(ShardError::Duplicate(
                other.clone(),
                path.clone(),
                s.shard,
                s.of,
            ));
        }
        let spec = ShardSpec {
            index: s.shard,
            count: s.of,
        };
        let expected = spec.trials(s.replicates);
        let held = s.first_trial..s.end_trial;
        if s.shard == 0
            || s.shard > s.of
            || expected != held
            || s.tally.trials != held.end - held.start
        {
            return Err(ShardError::Range(
                path.clone(),
                s.shard,
                s.of,
                expected,
                held,
            ));
        }
    }
    let missing: Vec<String> = (1..=first.of)
        .filter(|k| !by_index.contains_key(k))
        .map(|k| k.to_string())
        .collect();
    if !missing.is_empty() {
        return Err(ShardError::Missing {
            dir: dir.to_path_buf(),
            missing: missing.join(", "),
            count: first.of,
        });
    }
    let scenario = Scenario::from_text(first_path, first.scenario_text.clone())
        .map_err(|e| ShardError::Scenario(first_path.clone(), e.to_string()))?;
    let mut tally = Tally::new(&scenario.design);
    // Every shard is checked before any is merged: nothing is written from a set with one
    // impossible tally in it.
    for (path, s) in shards {
        tally::check::check(&s.tally, &scenario.design)
            .map_err(|e| ShardError::Tally(path.clone(), e))?;
    }
    for (_, s) in shards {
        tally.merge(&s.tally);
    }
    Ok((scenario, tally))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_ranges_partition_the_trials() {
        for (replicates, count) in [
            (10u64, 3u64),
            (7, 7),
            (5, 8),
            (1_000_003, 13),
            (u64::MAX / 2, 5),
        ] {
            let mut next = 0;
            for index in 1..=count {
                let r = ShardSpec { index, count }.trials(replicates);
                assert_eq!(r.start, next);
                next = r.end;
            }
            assert_eq!(next, replicates);
        }
    }

    #[test]
    fn shard_spec_parses_and_rejects() {
        assert_eq!("3/8".parse(), Ok(ShardSpec { index: 3, count: 8 }));
        for bad in ["0/3", "4/3", "3", "a/b", "1/0"] {
            assert!(bad.parse::<ShardSpec>().is_err(), "{bad}");
        }
    }
}
