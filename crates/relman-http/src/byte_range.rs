//! `Range: bytes=…` for asset downloads (RFC 9110 §14): one range, so that an interrupted
//! download resumes where it stopped. Several ranges are answered with the whole asset, which
//! the RFC allows and every download tool handles.

use std::ops::Range;

/// What a `Range` header asks of an object of `size` bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ByteRange {
    /// The whole object (no header, an unparsable one, or several ranges).
    Whole,
    /// The half-open range, within the object.
    Part(Range<u64>),
    /// No byte of the object (416).
    Unsatisfiable,
}

/// Parses `header` (`bytes=0-99`, `bytes=100-`, `bytes=-500`) against `size`.
pub fn parse(header: Option<&str>, size: u64) -> ByteRange {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return ByteRange::Whole;
    };
    if spec.contains(',') {
        return ByteRange::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return ByteRange::Whole;
    };
    let number = |s: &str| s.trim().parse::<u64>().ok();
    let (first, last) = (first.trim(), last.trim());
    let range = match (first.is_empty(), last.is_empty()) {
        // The last `n` bytes.
        (true, false) => match number(last) {
            Some(0) => return ByteRange::Unsatisfiable,
            Some(n) => size.saturating_sub(n)..size,
            None => return ByteRange::Whole,
        },
        (false, true) => match number(first) {
            Some(start) => start..size,
            None => return ByteRange::Whole,
        },
        (false, false) => match (number(first), number(last)) {
            (Some(start), Some(end)) if start <= end => start..end.saturating_add(1).min(size),
            // A syntactically invalid range is ignored (RFC 9110 §14.2).
            _ => return ByteRange::Whole,
        },
        (true, true) => return ByteRange::Whole,
    };
    if range.start >= size || range.is_empty() {
        return ByteRange::Unsatisfiable;
    }
    if range == (0..size) {
        return ByteRange::Whole;
    }
    ByteRange::Part(range)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_table() {
        let cases = [
            (None, ByteRange::Whole),
            (Some("bytes=0-99"), ByteRange::Part(0..100)),
            (Some("bytes=100-"), ByteRange::Part(100..1000)),
            (Some("bytes=-10"), ByteRange::Part(990..1000)),
            (Some("bytes=990-5000"), ByteRange::Part(990..1000)),
            (Some("bytes=0-"), ByteRange::Whole),
            (Some("bytes=-5000"), ByteRange::Whole),
            (Some("bytes=1000-"), ByteRange::Unsatisfiable),
            (Some("bytes=-0"), ByteRange::Unsatisfiable),
            (Some("bytes=5-1"), ByteRange::Whole),
            (Some("bytes=0-1,5-6"), ByteRange::Whole),
            (Some("items=0-1"), ByteRange::Whole),
            (Some("bytes=x-y"), ByteRange::Whole),
        ];
        for (header, want) in cases {
            assert_eq!(parse(header, 1000), want, "{header:?}");
        }
        assert_eq!(parse(Some("bytes=0-"), 0), ByteRange::Unsatisfiable);
    }
}
