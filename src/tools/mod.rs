//! Design questions answered by running the engine many times: the sample-size search
//! (`size`; a Bayesian design's maximum N in `bayesian_size`), the Bayesian superiority threshold (`calibrate`), key-path edits and grids (`sweep`), running a grid resumably (`resume`), and the regression comparison with committed
//! results (`check`). Imports `engine` and below.

pub mod bayesian_size;
pub mod calibrate;
pub mod check;
pub mod resume;
pub mod size;
pub mod sweep;
