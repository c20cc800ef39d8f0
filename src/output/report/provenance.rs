//! Where a report's numbers come from: the engine, the scenario's checksum and date (fixed by
//! `SOURCE_DATE_EPOCH`, for byte-identical reports), and the sources the scenario cites.

/// Where a report's numbers come from: the date, the engine, the scenario file (its SHA-256
/// and the sources its comments cite).
#[derive(Debug, Clone)]
pub struct Provenance {
    /// UTC date of the run, YYYY-MM-DD.
    pub date: String,
    /// The scenario copy written beside the report.
    pub file: String,
    pub sha256: String,
    pub sources: Vec<String>,
    /// The command that reproduces the report from the copy.
    pub command: String,
}

impl Provenance {
    pub fn of(text: &str, file: &str, command: String) -> Provenance {
        Provenance {
            date: today(),
            file: file.to_string(),
            sha256: crate::engine::shard::text_sha256(text),
            sources: sources(text),
            command,
        }
    }
}

/// Today's UTC date, or the date of `SOURCE_DATE_EPOCH` when set (reproducible reports).
pub(super) fn today() -> String {
    let seconds = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64)
        });
    let (y, m, d) = civil_from_days(seconds.div_euclid(86_400));
    format!("{y:04}-{m:02}-{d:02}")
}

/// Proleptic Gregorian date of a day count since 1970-01-01 (H. Hinnant's `civil_from_days`;
/// written here rather than adding a date crate for one line of the report).
pub(super) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// The sources a scenario's comments cite: each "Source:" or "Sources:" comment, to the end of
/// its sentence (continued over the following comment lines), then any trial registration
/// (NCT number), DOI or web address in the comments not already quoted.
pub fn sources(text: &str) -> Vec<String> {
    let comments: Vec<&str> = text
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix('#'))
        .map(str::trim)
        .collect();
    let mut found: Vec<String> = Vec::new();
    for (i, line) in comments.iter().enumerate() {
        let Some(rest) = line
            .strip_prefix("Sources:")
            .or_else(|| line.strip_prefix("Source:"))
        else {
            continue;
        };
        let mut cited = rest.trim().to_string();
        for next in &comments[i + 1..] {
            if end_of_sentence(&cited).is_some() || next.is_empty() {
                break;
            }
            cited = format!("{cited} {next}");
        }
        let end = end_of_sentence(&cited).unwrap_or(cited.len());
        found.push(cited[..end].trim_end_matches('.').trim().to_string());
    }
    for word in comments.iter().flat_map(|l| l.split_whitespace()) {
        let word = word.trim_matches(|c: char| "()[];,.\"'".contains(c));
        let cites = (word.starts_with("NCT")
            && word.len() == 11
            && word[3..].bytes().all(|b| b.is_ascii_digit()))
            || word.starts_with("doi:")
            || word.starts_with("https://")
            || word.starts_with("http://");
        if cites && !found.iter().any(|f| f.contains(word)) {
            found.push(word.to_string());
        }
    }
    found
}

/// Byte index just past the first full stop that ends a sentence outside brackets.
pub(super) fn end_of_sentence(text: &str) -> Option<usize> {
    let mut depth = 0i32;
    let bytes = text.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'(' | b'[' => depth += 1,
            b')' | b']' => depth -= 1,
            b'.' if depth <= 0 && bytes.get(i + 1).is_none_or(|n| *n == b' ') => {
                return Some(i + 1);
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_gregorian() {
        // Python: datetime.date(1970, 1, 1) + datetime.timedelta(days=d)
        for (days, date) in [
            (0, (1970, 1, 1)),
            (-1, (1969, 12, 31)),
            (11_016, (2000, 2, 29)),
            (19_000, (2022, 1, 8)),
            (20_418, (2025, 11, 26)),
            (110_000, (2271, 3, 4)),
        ] {
            assert_eq!(civil_from_days(days), date, "day {days}");
        }
    }

    #[test]
    fn sources_are_the_cited_sentences_and_registrations() {
        let text = "# Trial X (NCT04990232; JAMA 2025).\n# Sources: domain.md (ImmunoSep: rates,\n\
                    # 1.8% attrition). ASSUMPTION: none.\n#\n# See https://example.org/a.\nname = \"x\" # Source: not a comment line\n";
        assert_eq!(
            sources(text),
            [
                "domain.md (ImmunoSep: rates, 1.8% attrition)",
                "NCT04990232",
                "https://example.org/a"
            ]
        );
        assert!(sources("name = \"x\"\n").is_empty());
    }
}
