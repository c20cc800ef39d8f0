//! Text of the user's that goes back into a message: a value echoed in an error is kept short,
//! so that a 300-digit number or a 200 KB line of a broken file does not bury the message.

/// Longest run of non-blank characters echoed whole.
const LONGEST_WORD: usize = 40;

/// `text` with every run of non-blank characters longer than 40 cut to its first 24 and last 8
/// characters around "...", with its length given ("123456789012345678901234...12345678 (300
/// characters)"). Blanks and shorter words are kept as written.
pub fn shorten(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(4096));
    let mut rest = text;
    while !rest.is_empty() {
        let blank = rest.len() - rest.trim_start().len();
        out.push_str(&rest[..blank]);
        rest = &rest[blank..];
        let word_len = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let word = &rest[..word_len];
        let chars = word.chars().count();
        if chars > LONGEST_WORD {
            let head: String = word.chars().take(24).collect();
            let tail: String = word.chars().skip(chars - 8).collect();
            out.push_str(&format!("{head}...{tail} ({chars} characters)"));
        } else {
            out.push_str(word);
        }
        rest = &rest[word_len..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::shorten;

    #[test]
    fn long_words_are_cut_and_the_rest_kept() {
        assert_eq!(shorten("found 12, expected 3"), "found 12, expected 3");
        let digits = "1".repeat(300);
        assert_eq!(
            shorten(&format!("found {digits} here")),
            format!(
                "found {}...{} (300 characters) here",
                "1".repeat(24),
                "1".repeat(8)
            )
        );
        // Exactly the longest kept whole; blanks of any kind kept.
        let forty = "x".repeat(40);
        assert_eq!(shorten(&format!(" {forty}\n\t")), format!(" {forty}\n\t"));
        // Multi-byte characters are counted as characters, not bytes.
        let accents = "é".repeat(50);
        assert!(shorten(&accents).ends_with("(50 characters)"));
        assert_eq!(shorten(""), "");
    }
}
