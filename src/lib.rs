//! endotrial: a Monte Carlo engine for designing precision-medicine (theranostic) clinical trials.
//!
//! The folders follow the data flow; each imports only the ones before it:
//! `model` (scenario file -> validated design) -> `stats` (tests, power, multiplicity,
//! boundaries) -> `endpoint` (one trial as counts) -> `engine` (parallel loop, per-trial
//! statistics, exact tallies, shards) -> `tools` (size search, sweeps, regression check) ->
//! `output` (CSV, report, plots, Slurm scripts) -> `cli` (arguments and dispatch).

pub mod cli;
pub mod endpoint;
pub mod engine;
pub mod model;
pub mod output;
pub mod stats;
pub mod tools;
