//! The model: the scenario file as written (`raw`, serde types) and as loaded (`scenario`), the
//! closed sets of names its keys take (`vocabulary`), its validation into a `design` with every
//! derived quantity computed exactly, the keys a file may hold (`keys`), the biomarker
//! classification (`classify`), the validated `[sequential]` plan and patient pipeline
//! (`sequential`), adaptive enrichment (`adaptation`), the piecewise-exponential mortality of a
//! time-to-event endpoint (`hazard`) and that endpoint's validated model (`survival`), the
//! continuous endpoint's (`continuous`), the keys of one kind of endpoint (`kind_keys`), the
//! starting scenarios of `init` (`templates`) and values echoed in messages (`text`). Imports
//! nothing above it; raw -> the validated plans -> design -> scenario.

pub mod accrual;
pub mod adaptation;
pub mod bayesian;
pub mod classify;
pub mod continuous;
pub mod design;
pub mod hazard;
pub mod keys;
pub mod kind_keys;
pub mod margin;
pub mod ordinal;
pub mod raw;
pub mod reestimation;
pub mod scenario;
pub mod sequential;
pub mod survival;
pub mod templates;
pub mod text;
pub mod vocabulary;
