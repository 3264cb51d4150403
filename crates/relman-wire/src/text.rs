//! The text rule ([`relman_domain::check_text`]) as `pattern`s for the OpenAPI document, so that
//! fuzzers and generated clients refuse exactly what the server refuses.
//!
//! utoipa's `#[schema(pattern = …)]` takes a string literal only (no `const`), so the derives
//! repeat these strings; a test below holds every such literal in the crate to one of them.
//!
//! The patterns are written for every engine that reads them: ECMA-262 (what OpenAPI and JSON
//! Schema mean), Python `re` (schemathesis, `jsonschema`), Rust `regex` and `regress`. They use
//! no `\s`, `\d` or `\w` and no lookaround: only `\xHH` and `\uHHHH` escapes in character
//! classes, which mean the same code points in all four.
//!
//! "Not blank" is the server's `str::trim().is_empty()`: Unicode `White_Space`. The non-blank
//! patterns spell that set out instead of writing `\s`, because `\s` differs between the engines:
//! ECMA's `\s` also matches U+FEFF (not `White_Space`; the server keeps a lone U+FEFF as not
//! blank) and leaves out U+0085, Python's also matches U+001C–U+001F. (U+0085 and U+001C–U+001F
//! are control characters, refused anyway.) The whitespace that remains after the controls are
//! refused is U+0020, U+00A0, U+1680, U+2000–U+200A, U+2028, U+2029, U+202F, U+205F and U+3000.
//!
//! The leading run of a non-blank pattern admits only that whitespace, so the first non-blank
//! character is found without backtracking: matching stays linear in backtracking engines.
//!
//! One difference no single pattern avoids: Python's `$` also matches before a final `\n`, so a
//! Python validator takes `"name\n"` for a one-line value; ECMA's `$` (what the document means)
//! and the server do not.

/// One line (`TextKind::Line`), may be blank: no control character (U+0000–U+001F,
/// U+007F–U+009F). Asset labels, metadata keys.
pub const LINE: &str = r"^[^\x00-\x1F\x7F-\x9F]*$";

/// One line with at least one character that is not whitespace: what `input::text` of the
/// service checks (display names, messages, reasons, token names, source references).
pub const LINE_NON_BLANK: &str = r"^[\x20\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\x00-\x1F\x7F-\x9F]*$";

/// Prose (`TextKind::Multiline`), may be blank: tab, line feed and carriage return allowed, no
/// other control character. Release notes, metadata values, webhook descriptions, credentials;
/// the rule every string of every request body is held to.
pub const MULTILINE: &str = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*$";

/// Prose that is not blank: references by UUID or name (`componentId`, `environmentId`), which
/// the server checks only against the body rule and for blankness before looking them up.
pub const MULTILINE_NON_BLANK: &str = r"^[\t\n\r\x20\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*$";

/// All four, for tests and tools.
pub const ALL: [&str; 4] = [LINE, LINE_NON_BLANK, MULTILINE, MULTILINE_NON_BLANK];

#[cfg(test)]
mod tests {
    use super::*;

    /// Every source file of the crate, for the literal check.
    const SOURCES: &[(&str, &str)] = &[
        ("assets.rs", include_str!("assets.rs")),
        ("components.rs", include_str!("components.rs")),
        ("deployments.rs", include_str!("deployments.rs")),
        ("environments.rs", include_str!("environments.rs")),
        ("integrations.rs", include_str!("integrations.rs")),
        ("release_notes.rs", include_str!("release_notes.rs")),
        ("releases.rs", include_str!("releases.rs")),
        ("schemas.rs", include_str!("schemas.rs")),
        ("tokens.rs", include_str!("tokens.rs")),
        ("versions.rs", include_str!("versions.rs")),
        ("webhooks.rs", include_str!("webhooks.rs")),
    ];

    /// The raw-string literals of `pattern = r"…"` in `source`.
    fn pattern_literals(source: &str) -> Vec<&str> {
        source
            .split(r#"pattern = r""#)
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .collect()
    }

    #[test]
    fn every_text_rule_literal_is_a_canonical_pattern() {
        let mut seen = 0;
        for (file, source) in SOURCES {
            for literal in pattern_literals(source) {
                // A pattern that mentions a control character is a text-rule pattern.
                if literal.contains(r"\x00") || literal.contains(r"\u0000") {
                    assert!(
                        ALL.contains(&literal),
                        "{file}: {literal} is not one of text::ALL"
                    );
                    seen += 1;
                }
                // The old stand-in for "not blank" said nothing about control characters.
                assert_ne!(
                    literal, r"\S",
                    "{file}: use text::LINE_NON_BLANK or a sibling"
                );
            }
        }
        assert!(seen >= 20, "only {seen} text-rule patterns found");
    }

    #[test]
    fn the_whitespace_spelled_out_is_what_trim_removes() {
        // Every char that `trim` removes and the Line rule lets through is in the leading run
        // of LINE_NON_BLANK, and no other.
        let spelled: Vec<char> = [0x20, 0xA0, 0x1680]
            .into_iter()
            .chain(0x2000..=0x200A)
            .chain([0x2028, 0x2029, 0x202F, 0x205F, 0x3000])
            .filter_map(char::from_u32)
            .collect();
        let trimmed: Vec<char> = (0..=0x10FFFF)
            .filter_map(char::from_u32)
            .filter(|c| c.is_whitespace() && !c.is_control())
            .collect();
        assert_eq!(spelled, trimmed);
    }
}
