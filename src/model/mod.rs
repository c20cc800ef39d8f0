//! The model: the scenario file as written (`scenario`, raw serde types), its validation into
//! a `design` with every derived quantity computed exactly, the biomarker classification
//! (`classify`), the validated `[sequential]` plan and patient pipeline (`sequential`) and the starting scenarios of `init` (`templates`). Imports nothing above it.

pub mod classify;
pub mod design;
pub mod scenario;
pub mod sequential;
pub mod templates;
