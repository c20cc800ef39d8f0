//! endotrial: a Monte Carlo engine for designing precision-medicine (theranostic) clinical trials.
//!
//! Data flow, one module per step: `scenario` (TOML contract) -> `design` (validated, exact
//! derived quantities) -> `simulate` (one trial as sufficient statistics) -> `analysis`
//! (statistical tests) -> `summary` (per-trial statistics, exact tallies, summary rows) ->
//! `output` (CSV, tables, atomic writes); `engine` runs trials in parallel; `power` holds the
//! analytic and exact-enumeration power; `shard` splits and merges runs exactly; `slurm` writes
//! job-array scripts; `check` compares results with committed ones; `size` searches the sample
//! size; `sweep` edits scenarios by key path over grids; `plot` draws power curves; `report`
//! writes human-facing text; `classify` computes the classification matrix from biomarker
//! rules; `multiplicity` holds the FWER procedures; `boundaries` the group-sequential
//! boundaries (alpha spending, checked against rpact; not yet in scenarios); `templates` the
//! starting scenarios of `init`;
//! `cli` is the command line.

pub mod analysis;
pub mod boundaries;
pub mod check;
pub mod classify;
pub mod cli;
pub mod design;
pub mod engine;
pub mod multiplicity;
pub mod output;
pub mod plot;
pub mod power;
pub mod report;
pub mod scenario;
pub mod shard;
pub mod simulate;
pub mod size;
pub mod slurm;
pub mod summary;
pub mod sweep;
pub mod templates;
