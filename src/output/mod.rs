//! What users read: the result CSVs serialised by pure functions (`result_csv`), `compare`'s table
//! and CSV (`compare`), the terminal tables (`terminal`), and atomic file writes (`files`: a
//! temporary file in the target folder, then a rename) so that a failed run never leaves a
//! half-written or clobbered result. Beside them: the report (`report`), power curves (`plot`),
//! Slurm job-array scripts (`slurm`), the words for each kind of endpoint (`words`) and a run's
//! result folder written as a whole under a lock (`result_dir`). Imports everything below it;
//! only `cli` imports it.

pub mod bayesian_csv;
pub mod calibration;
pub mod compare;
pub mod files;
pub mod plot;
pub mod report;
pub mod result_csv;
pub mod result_dir;
pub mod slurm;
pub mod terminal;
pub mod words;
