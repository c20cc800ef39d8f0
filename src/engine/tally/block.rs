//! The seam of a tally: each kind of endpoint or design adds one block of sufficient statistics
//! (`survival`, `sequential`, `enrichment`), which merges and checks itself; the tally reaches
//! them through this trait, matched on its kinds.

/// A block of sufficient statistics that one kind of endpoint or design adds to a tally.
pub trait Block {
    /// Adds another share's block of the same design: integer sums, so exact in any order.
    fn merge(&mut self, other: &Self);
    /// Checks the invariants of a block of `trials` trials, of at most `patients` patients in
    /// all, against the design's empty block `fresh` (its shape); the error names the field.
    fn check(&self, fresh: &Self, trials: u64, patients: u128) -> Result<(), String>;
}
