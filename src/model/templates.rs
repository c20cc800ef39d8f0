//! Starting scenarios written by `endotrial init`: commented, valid, one per kind of design
//! (the files in `src/templates/`; a test checks that each validates and runs).

/// The kinds of starting scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Template {
    /// Two arms, one population, binary outcome.
    Binary,
    /// Endotypes with classification probabilities, eligible labels, matched drug by label,
    /// stratified test with hypotheses per label, cost.
    Endotypes,
    /// Labels measured by biomarker thresholds (distributions per endotype, assay error).
    Biomarker,
}

impl Template {
    pub const ALL: [Template; 3] = [Template::Binary, Template::Endotypes, Template::Biomarker];

    /// The scenario text.
    pub fn text(self) -> &'static str {
        match self {
            Template::Binary => include_str!("templates/binary.toml"),
            Template::Endotypes => include_str!("templates/endotypes.toml"),
            Template::Biomarker => include_str!("templates/biomarker.toml"),
        }
    }
}
