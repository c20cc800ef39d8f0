//! Statistics that need no simulation: the tests and their p-values (`analysis`), analytic and
//! exact power (`power`), the multiplicity procedures (`multiplicity`), the group-sequential
//! spending functions and boundaries (`boundaries`) and the log-rank test (`survival`, not yet
//! used by scenarios). Imports only `model`.

pub mod analysis;
pub mod boundaries;
pub mod multiplicity;
pub mod power;
pub mod survival;
