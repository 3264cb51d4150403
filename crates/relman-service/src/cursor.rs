//! Opaque keyset cursors for lists that clients walk to the end.
//!
//! A cursor names the sort key of the last item a page returned; the next page starts strictly
//! after it, so a walk neither repeats nor skips rows when rows are added meanwhile, and every
//! page costs an index seek instead of an `OFFSET` scan. Clients treat the text as opaque: it is
//! base64url (no padding) of the key's parts joined by U+001F, with a one-letter kind prefix so
//! that a cursor of one list is refused by another.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The longest cursor accepted, in characters: far above any key relman writes.
pub const MAX_CURSOR_LEN: usize = 1024;

const SEPARATOR: char = '\u{1f}';

/// A decoded cursor: the list it belongs to and the sort key of the last item seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    kind: char,
    parts: Vec<String>,
}

impl Cursor {
    /// A cursor of list `kind` after the item whose sort key is `parts`.
    pub fn new(kind: char, parts: Vec<String>) -> Self {
        Self { kind, parts }
    }

    /// The key parts, in the order they were given.
    pub fn parts(&self) -> &[String] {
        &self.parts
    }

    /// The opaque text clients send back as `cursor`.
    pub fn encode(&self) -> String {
        let mut text = String::from(self.kind);
        for part in &self.parts {
            text.push(SEPARATOR);
            text.push_str(part);
        }
        URL_SAFE_NO_PAD.encode(text)
    }

    /// Decodes a cursor of list `kind` with exactly `arity` parts; `None` for anything else
    /// (another list's cursor, a truncated one, or text that was never a cursor).
    pub fn decode(kind: char, arity: usize, text: &str) -> Option<Self> {
        if text.len() > MAX_CURSOR_LEN {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let mut pieces = text.split(SEPARATOR);
        let head = pieces.next()?;
        let mut chars = head.chars();
        if chars.next()? != kind || chars.next().is_some() {
            return None;
        }
        let parts: Vec<String> = pieces.map(str::to_owned).collect();
        (parts.len() == arity).then_some(Self { kind, parts })
    }
}

#[cfg(test)]
mod tests {
    use super::Cursor;

    #[test]
    fn round_trips_and_refuses_other_kinds() {
        let c = Cursor::new('v', vec!["1.2.3".into(), "v1.2.3".into()]);
        let text = c.encode();
        assert_eq!(Cursor::decode('v', 2, &text), Some(c));
        assert_eq!(Cursor::decode('r', 2, &text), None);
        assert_eq!(Cursor::decode('v', 3, &text), None);
        assert_eq!(Cursor::decode('v', 2, "not a cursor!"), None);
        assert_eq!(Cursor::decode('v', 2, &"A".repeat(2000)), None);
    }

    #[test]
    fn empty_parts_survive() {
        let c = Cursor::new('a', vec![String::new(), "x".into()]);
        assert_eq!(Cursor::decode('a', 2, &c.encode()), Some(c));
    }
}
