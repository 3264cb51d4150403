//! The one rule for text a client sends: no NUL and no other control characters.
//!
//! NUL cannot be stored in PostgreSQL text at all (SQLite would keep it), so without this rule the
//! same request would get different answers on the two backends; other control characters (an
//! `ESC[31m` in a display name) corrupt terminals and logs that show the value.

/// Where a piece of text goes, which decides whether line breaks are allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextKind {
    /// One line: names, display names, user names, reasons. No control character at all.
    Line,
    /// Prose such as release notes (Markdown): tab, line feed and carriage return are allowed.
    Multiline,
}

/// Why a text was refused: the first offending character and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextError {
    /// The offending character.
    pub character: char,
    /// Its position, counted in characters from 0.
    pub position: usize,
}

impl std::fmt::Display for TextError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "must not contain control characters (found U+{:04X} at character {})",
            u32::from(self.character),
            self.position
        )
    }
}

/// Checks `value` against the rule for `kind`.
pub fn check_text(value: &str, kind: TextKind) -> Result<(), TextError> {
    match value
        .chars()
        .enumerate()
        .find(|&(_, c)| is_refused(c, kind))
    {
        None => Ok(()),
        Some((position, character)) => Err(TextError {
            character,
            position,
        }),
    }
}

/// C0 controls (NUL included), DEL and C1 controls; line breaks and tabs only in prose.
fn is_refused(c: char, kind: TextKind) -> bool {
    match c {
        '\t' | '\n' | '\r' => kind == TextKind::Line,
        c => c.is_control(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_refused() {
        let cases = [
            ("plain text, ünïcödé ✓", TextKind::Line, None),
            ("nul\0here", TextKind::Line, Some(('\0', 3))),
            ("nul\0here", TextKind::Multiline, Some(('\0', 3))),
            ("\u{1b}[31mred", TextKind::Line, Some(('\u{1b}', 0))),
            ("\u{1b}[31mred", TextKind::Multiline, Some(('\u{1b}', 0))),
            ("del\u{7f}", TextKind::Multiline, Some(('\u{7f}', 3))),
            ("c1\u{85}", TextKind::Multiline, Some(('\u{85}', 2))),
            ("two\nlines", TextKind::Line, Some(('\n', 3))),
            ("two\r\nlines\tand a tab", TextKind::Multiline, None),
            ("tab\t", TextKind::Line, Some(('\t', 3))),
        ];
        for (text, kind, want) in cases {
            let got = check_text(text, kind)
                .err()
                .map(|e| (e.character, e.position));
            assert_eq!(got, want, "{text:?} as {kind:?}");
        }
    }

    #[test]
    fn the_message_names_the_character() {
        let err = check_text("a\0", TextKind::Line).unwrap_err();
        assert_eq!(
            err.to_string(),
            "must not contain control characters (found U+0000 at character 1)"
        );
    }
}
