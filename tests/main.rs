//! Every integration test, in one binary: each file of `tests/` is a module here, so that the
//! release build links and optimises the library once for all of them instead of once per file
//! (17 LTO links took most of the test build). Run one file's tests with
//! `cargo test --release --test integration survival::`.

mod common;
mod oracle;

mod analytic_stages;
mod bayesian;
mod bayesian_by_label;
mod bayesian_tools;
mod calendar;
mod calibrate;
mod check;
mod classify;
mod cli;
mod continuous;
mod enrichment;
mod exact_power;
mod fuzz;
mod host;
mod init_keys;
mod model;
mod non_inferiority;
mod ordinal;
mod readme;
mod reestimation;
mod sequential;
mod shards;
mod size;
mod strata_oracle;
mod subgroups;
mod survival;
mod sweep_report;
mod two_sided_power;
mod user_spending;
