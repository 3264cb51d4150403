//! The content digest of a release: identical members, identical digest.
//!
//! The digest is sha256 over the RFC 8785 (JSON Canonicalization Scheme) form of
//!
//! ```text
//! {"members":[{"component":<component name>,"digest":<digest>}, ...]}
//! ```
//!
//! with the members sorted by component name (Unicode code points, which is UTF-8 byte order),
//! ties by digest. `docs/CONTENT-DIGEST.md` states the form with test vectors; changing anything
//! here changes every release's digest, so the vectors below must never be edited to fit.
//!
//! The serializer is written by hand rather than taken from a JCS crate: the domain carries no
//! serialization framework (JCS crates sit on serde_json), and the document has one fixed shape
//! made only of strings. For strings, JCS reduces to three rules that fit in a screen: object
//! keys in sorted order (`component` < `digest`, and the lone key `members`), no whitespace, and
//! ECMAScript string escaping — `"` and `\` escaped, control characters below U+0020 as `\b`,
//! `\t`, `\n`, `\f`, `\r` or else `\u00xx` in lowercase hex, every other character as literal
//! UTF-8. Numbers, the hard part of JCS, never occur.

use crate::digest::Digest;
use crate::release::ReleaseMember;

/// The canonical JSON the content digest is computed over (see the module documentation).
pub fn canonical_members_json(members: &[ReleaseMember]) -> String {
    let mut sorted: Vec<&ReleaseMember> = members.iter().collect();
    // `Digest`'s order is its string order: algorithm names sort as they spell, then the hex.
    sorted.sort_by(|a, b| {
        a.component_name
            .cmp(&b.component_name)
            .then_with(|| a.digest.cmp(&b.digest))
    });
    let mut out = String::with_capacity(16 + members.len() * 120);
    out.push_str("{\"members\":[");
    for (i, member) in sorted.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"component\":");
        push_json_string(&mut out, &member.component_name);
        out.push_str(",\"digest\":");
        push_json_string(&mut out, &member.digest.to_string());
        out.push('}');
    }
    out.push_str("]}");
    out
}

/// The release content digest: sha256 of [`canonical_members_json`]. Independent of member order.
pub fn content_digest(members: &[ReleaseMember]) -> Digest {
    Digest::sha256_of(canonical_members_json(members).as_bytes())
}

/// Appends `s` as a JSON string with RFC 8785 (ECMAScript `JSON.stringify`) escaping.
fn push_json_string(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if u32::from(c) < 0x20 => {
                let n = u32::from(c) as usize;
                out.push_str("\\u00");
                out.push(char::from(HEX[n >> 4]));
                out.push(char::from(HEX[n & 0xf]));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{digest_of, member};

    // Expected values computed independently with Python:
    //   json.dumps(obj, separators=(",", ":"), ensure_ascii=False, sort_keys=True)
    // which equals RFC 8785 for documents made only of strings; digests with hashlib.sha256.
    // The same vectors are in docs/CONTENT-DIGEST.md.

    const EMPTY_JSON: &str = r#"{"members":[]}"#;
    const EMPTY_DIGEST: &str =
        "sha256:6375508cf89fca1184992a7df1925296aa53eca766c56d31f66bb87e3b778620";

    const TWO_JSON: &str = r#"{"members":[{"component":"api","digest":"sha256:15f6c75fab0e351b392ef93baa9fd4a0b13effa3351b7d1e466abf408920dc58"},{"component":"web","digest":"sha256:3bd05339d5f20e1fe378e58d6f3431a75ee11b47d4266506a4a424d7dd3f06e4"}]}"#;
    const TWO_DIGEST: &str =
        "sha256:a04558c6dcdd9d00ebdc5df4a0ae3f973aa8f4701dc5a3582936955953d82edd";

    // `<DEL>` stands for a literal U+007F, which JCS does not escape.
    const TRICKY_JSON: &str = r#"{"members":[{"component":"back\\slash","digest":"sha256:3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d"},{"component":"ctl\u0001\b\t\n\f\r\u001f<DEL>","digest":"sha256:2e7d2c03a9507ae265ecf5b5356885a53393a2029d241394997265a1a25aefc6"},{"component":"quo\"te","digest":"sha256:8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"},{"component":"zürich-日本","digest":"sha256:594e519ae499312b29433b7dd8a97ff068defcba9755b6d5d00e84c524d67b06"}]}"#;
    const TRICKY_DIGEST: &str =
        "sha256:1e9e64e748b086fb348af0eb074c5570de93e857c6de3ca4be191e309cb617c8";

    fn named(name: &str, digest_seed: &str) -> ReleaseMember {
        let mut m = member("api", digest_seed);
        m.component_name = name.to_owned();
        m
    }

    #[test]
    fn test_vectors() {
        let two = vec![member("web", "web-1.4.0"), member("api", "api-2.3.1")];
        let tricky = vec![
            named("zürich-日本", "z"),
            named("quo\"te", "q"),
            named("back\\slash", "b"),
            named("ctl\u{1}\u{8}\t\n\u{c}\r\u{1f}\u{7f}", "c"),
        ];
        let tricky_json = TRICKY_JSON.replace("<DEL>", "\u{7f}");
        let cases: [(&[ReleaseMember], &str, &str); 3] = [
            (&[], EMPTY_JSON, EMPTY_DIGEST),
            (&two, TWO_JSON, TWO_DIGEST),
            (&tricky, &tricky_json, TRICKY_DIGEST),
        ];
        for (members, json, digest) in cases {
            assert_eq!(canonical_members_json(members), json);
            assert_eq!(content_digest(members).to_string(), digest, "{json}");
        }
    }

    #[test]
    fn every_control_character_is_escaped_as_jcs_says() {
        let short = [
            (8, "\\b"),
            (9, "\\t"),
            (10, "\\n"),
            (12, "\\f"),
            (13, "\\r"),
        ];
        for n in 0u8..0x20 {
            let mut out = String::new();
            push_json_string(&mut out, &char::from(n).to_string());
            let want = match short.iter().find(|(c, _)| *c == n) {
                Some((_, s)) => format!("\"{s}\""),
                None => format!("\"\\u{n:04x}\""),
            };
            assert_eq!(out, want, "U+{n:04X}");
        }
        let mut out = String::new();
        push_json_string(&mut out, "/\u{7f}\u{2028}é😀");
        assert_eq!(out, "\"/\u{7f}\u{2028}é😀\"");
    }

    #[test]
    fn member_order_does_not_matter() {
        let a = vec![member("api", "1"), member("db", "2"), member("web", "3")];
        let b = vec![member("web", "3"), member("api", "1"), member("db", "2")];
        let c = vec![member("db", "2"), member("web", "3"), member("api", "1")];
        assert_eq!(content_digest(&a), content_digest(&b));
        assert_eq!(content_digest(&a), content_digest(&c));
    }

    #[test]
    fn only_names_and_digests_count() {
        let base = vec![member("api", "1"), member("web", "2")];
        let mut retagged = base.clone();
        retagged[0].tag = "another-tag".into();
        retagged[0].version = None;
        retagged[0].image_repository = "elsewhere/api".into();
        assert_eq!(content_digest(&base), content_digest(&retagged));

        let mut changed = base.clone();
        changed[1].digest = digest_of("3");
        assert_ne!(content_digest(&base), content_digest(&changed));

        let mut renamed = base.clone();
        renamed[1].component_name = "web2".into();
        assert_ne!(content_digest(&base), content_digest(&renamed));

        assert_ne!(content_digest(&base), content_digest(&base[..1]));
    }
}
