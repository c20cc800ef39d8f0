//! One virtual trial's data as counts or patients: `binary` draws the patients' diagnostic
//! labels, arms, dropout and events as multinomial and binomial counts (never patient by
//! patient), stage by stage when the design has interim looks; `survival` draws a time-to-event
//! trial, as day-by-day counts for a fixed follow-up, else patient by patient along calendar
//! time. Both draw with `stats::sampling`. Imports `model` and `stats`.

pub mod binary;
pub mod continuous;
pub mod ordinal;
pub mod survival;
