//! Design questions answered by running the engine many times: the sample-size search
//! (`size`), key-path edits and grids (`sweep`), and the regression comparison with committed
//! results (`check`). Imports `engine` and below.

pub mod check;
pub mod size;
pub mod sweep;
