//! Statistics beneath the simulation: the tests and their p-values (`analysis`), analytic and
//! exact power (`power`), the multiplicity procedures (`multiplicity`), the group-sequential
//! spending functions and boundaries (`boundaries`), the log-rank test and the Cox estimate
//! (`survival`), and the exact samplers trials are drawn with (`sampling`). Imports only
//! `model`.

pub mod analysis;
pub mod beta_posterior;
pub mod bivariate;
pub mod boundaries;
pub mod calendar;
pub mod means;
pub mod multiplicity;
pub mod ordinal;
pub mod power;
pub mod quadrature;
pub mod ranks;
pub mod reestimation;
pub mod sampling;
pub mod survival;
