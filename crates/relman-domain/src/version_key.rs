//! A text key whose byte order is semantic-version precedence, so a database can `ORDER BY` it.

use std::fmt::Write as _;

/// The key of a tag without a semantic version: below every semver key, so such tags sort after
/// all semvers in a descending order.
pub const NO_SEMVER_KEY: &str = "0";

/// The sort key of a semantic version: comparing two keys byte by byte (ASCII, SQL's `COLLATE
/// "C"`) gives the same answer as [`semver::Version::cmp_precedence`], and equal keys mean equal
/// precedence (build metadata is ignored).
///
/// Layout: `1`, then MAJOR, MINOR and PATCH as 16 lowercase hex digits each; then `z` for a
/// release, or `a` followed by the prerelease identifiers for a prerelease (`a` < `z`: a
/// prerelease precedes its release). A numeric identifier is `n`, the number of digits of its
/// length, its length, then its digits (numbers without leading zeros compare by length first,
/// then digit by digit, so `rc.10` > `rc.9`); an alphanumeric one is `x`, its text and `!`
/// (`n` < `x`: numeric identifiers precede alphanumeric ones; `!` sorts below every identifier
/// character, so `alpha` < `alpha1`). A shorter identifier list is a prefix of a longer one with
/// the same start, hence lower.
pub fn version_sort_key(v: &semver::Version) -> String {
    let mut key = String::with_capacity(52 + v.pre.len() * 2);
    // Writing to a String cannot fail.
    let _ = write!(key, "1{:016x}{:016x}{:016x}", v.major, v.minor, v.patch);
    if v.pre.is_empty() {
        key.push('z');
        return key;
    }
    key.push('a');
    for ident in v.pre.split('.') {
        if ident.bytes().all(|b| b.is_ascii_digit()) {
            let len = ident.len().to_string();
            key.push('n');
            key.push_str(&len.len().to_string());
            key.push_str(&len);
            key.push_str(ident);
        } else {
            key.push('x');
            key.push_str(ident);
            key.push('!');
        }
    }
    key
}

/// The sort key of an optional semantic version: [`NO_SEMVER_KEY`] without one.
pub fn optional_sort_key(v: Option<&semver::Version>) -> String {
    v.map_or_else(|| NO_SEMVER_KEY.to_owned(), version_sort_key)
}

#[cfg(test)]
mod tests {
    use std::cmp::Ordering;

    use super::*;

    fn v(text: &str) -> semver::Version {
        match semver::Version::parse(text) {
            Ok(v) => v,
            Err(e) => panic!("{text}: {e}"),
        }
    }

    fn check(a: &semver::Version, b: &semver::Version) {
        let (ka, kb) = (version_sort_key(a), version_sort_key(b));
        assert_eq!(
            ka.as_bytes().cmp(kb.as_bytes()),
            a.cmp_precedence(b),
            "{a} vs {b}: keys {ka} and {kb}"
        );
    }

    #[test]
    fn orders_the_spec_example_and_edge_cases() {
        // semver.org §11's example, ascending, plus numeric-aware and length edge cases.
        let ascending = [
            "0.0.0-0",
            "0.0.0",
            "1.0.0-0",
            "1.0.0-0.0",
            "1.0.0-1",
            "1.0.0-9",
            "1.0.0-10",
            "1.0.0-99999999999999999999999",
            "1.0.0--",
            "1.0.0-A",
            "1.0.0-Z",
            "1.0.0-a",
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-alpha-1",
            "1.0.0-alpha0",
            "1.0.0-alpha1",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0-rc.9",
            "1.0.0-rc.10",
            "1.0.0-rc.10.0",
            "1.0.0-rc.10.a",
            "1.0.0-rc1",
            "1.0.0",
            "1.0.1",
            "1.9.0",
            "1.10.0",
            "2.0.0",
            "10.0.0",
            "18446744073709551615.0.0",
        ];
        let versions: Vec<semver::Version> = ascending.iter().map(|s| v(s)).collect();
        for (i, a) in versions.iter().enumerate() {
            for (j, b) in versions.iter().enumerate() {
                check(a, b);
                let want = i.cmp(&j);
                let got = version_sort_key(a).cmp(&version_sort_key(b));
                assert_eq!(got, want, "{a} vs {b}");
            }
        }
    }

    #[test]
    fn build_metadata_does_not_change_the_key() {
        assert_eq!(
            version_sort_key(&v("1.2.3+build.5")),
            version_sort_key(&v("1.2.3"))
        );
        assert_eq!(
            version_sort_key(&v("1.2.3-rc.1+x")),
            version_sort_key(&v("1.2.3-rc.1+y"))
        );
        assert_eq!(optional_sort_key(None), NO_SEMVER_KEY);
        assert!(NO_SEMVER_KEY < version_sort_key(&v("0.0.0-0")).as_str());
    }

    /// A small deterministic generator (xorshift), so the property test needs no dependency
    /// and every failure reproduces.
    struct Gen(u64);

    impl Gen {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }

        fn number(&mut self) -> u64 {
            // Mostly small numbers, so that generated pairs often share a prefix.
            match self.below(10) {
                0 => self.next(),
                1..=3 => self.below(1_000),
                _ => self.below(3),
            }
        }

        fn identifier(&mut self) -> String {
            const CHARS: &[u8] = b"019-Aaz";
            if self.below(2) == 0 {
                return self.number().to_string();
            }
            let len = 1 + self.below(3);
            let mut text: String = (0..len)
                .map(|_| CHARS[self.below(CHARS.len() as u64) as usize] as char)
                .collect();
            if text.bytes().all(|b| b.is_ascii_digit()) {
                text.push('x');
            }
            text
        }

        fn version(&mut self) -> semver::Version {
            let mut text = format!("{}.{}.{}", self.number(), self.number(), self.number());
            let idents = self.below(4);
            for i in 0..idents {
                text.push(if i == 0 { '-' } else { '.' });
                text.push_str(&self.identifier());
            }
            if self.below(4) == 0 {
                text.push_str("+b.1");
            }
            v(&text)
        }
    }

    #[test]
    fn generated_pairs_agree_with_cmp_precedence() {
        let mut g = Gen(0x9e37_79b9_7f4a_7c15);
        let versions: Vec<semver::Version> = (0..400).map(|_| g.version()).collect();
        let mut equal = 0;
        for a in &versions {
            for b in &versions {
                check(a, b);
                if a.cmp_precedence(b) == Ordering::Equal {
                    equal += 1;
                }
            }
        }
        // The generator must produce some ties besides each version with itself.
        assert!(equal > versions.len(), "only {equal} equal pairs");
    }
}
