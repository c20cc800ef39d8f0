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
    /// Mortality as time to event: log-rank test, Cox hazard ratio, accrual.
    Survival,
    /// An interim analysis: efficacy and futility bounds, accrual and outcome delay.
    Sequential,
    /// Adaptive enrichment: populations kept at an interim, closed test.
    Enrichment,
}

/// How the templates' comments name their own file; `init` writes the name given instead.
const OWN_NAME: &str = "scenario.toml";

impl Template {
    pub const ALL: [Template; 6] = [
        Template::Binary,
        Template::Endotypes,
        Template::Biomarker,
        Template::Survival,
        Template::Sequential,
        Template::Enrichment,
    ];

    /// The scenario text as shipped (its comments call it scenario.toml).
    pub fn text(self) -> &'static str {
        match self {
            Template::Binary => include_str!("templates/binary.toml"),
            Template::Endotypes => include_str!("templates/endotypes.toml"),
            Template::Biomarker => include_str!("templates/biomarker.toml"),
            Template::Survival => include_str!("templates/survival.toml"),
            Template::Sequential => include_str!("templates/sequential.toml"),
            Template::Enrichment => include_str!("templates/enrichment.toml"),
        }
    }

    /// The scenario text for a file written as `file`: the commands in its comments name it.
    pub fn text_for(self, file: &str) -> String {
        self.text()
            .lines()
            .map(|l| {
                if l.starts_with('#') {
                    l.replace(OWN_NAME, file)
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
            + "\n"
    }
}
