//! endotrial: a Monte Carlo engine for designing precision-medicine (theranostic) clinical trials.
//!
//! Data flow, one module per step: `scenario` (TOML contract) -> `design` (validated, exact
//! derived quantities) -> `simulate` (one trial as sufficient statistics) -> `analysis`
//! (statistical tests) -> `summary` (per-trial statistics, exact tallies, summary rows) ->
//! `output` (CSV, tables, atomic writes); `engine` runs trials in parallel; `power` holds the
//! analytic and exact-enumeration power; `shard` splits and merges runs exactly; `slurm` writes
//! job-array scripts; `check` compares results with committed ones; `cli` is the command line.

pub mod analysis;
pub mod check;
pub mod cli;
pub mod design;
pub mod engine;
pub mod output;
pub mod power;
pub mod scenario;
pub mod shard;
pub mod simulate;
pub mod slurm;
pub mod summary;
