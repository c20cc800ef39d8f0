//! One virtual trial's data as counts: `binary` draws the patients' diagnostic labels, arms,
//! dropout and events as multinomial and binomial counts (never patient by patient), stage by
//! stage when the design has interim looks. Imports `model` and `stats`.

pub mod binary;
pub mod survival;
