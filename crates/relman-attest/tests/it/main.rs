//! Keys, PAE and envelope verification, and the release statement.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly on any unexpected error"
)]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use relman_attest::{Envelope, IN_TOTO_PAYLOAD_TYPE, PublicKey, SigningKey, pae};
use sha2::{Digest as _, Sha256};

fn key(n: u8) -> SigningKey {
    SigningKey::from_seed(&[n; 32])
}

#[test]
fn pae_matches_the_dsse_spec_vector() {
    assert_eq!(
        pae("http://example.com/HelloWorld", b"hello world"),
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
    );
}

#[test]
fn keyid_is_sha256_of_the_canonical_key_json() {
    let public = key(7).public_key();
    let canonical = format!(
        "{{\"keytype\":\"ed25519\",\"keyval\":{{\"public\":\"{}\"}},\"scheme\":\"ed25519\"}}",
        public.to_hex()
    );
    let expected: String = Sha256::digest(canonical.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(public.keyid(), expected);
    assert_eq!(key(7).keyid(), expected);
    assert_ne!(key(8).keyid(), expected);
}

#[test]
fn sign_then_verify_round_trips() {
    let signer = key(1);
    let envelope = signer.sign(IN_TOTO_PAYLOAD_TYPE, b"{\"a\":1}");
    assert_eq!(envelope.payload_bytes().unwrap(), b"{\"a\":1}");
    assert_eq!(
        envelope
            .verify(&[key(2).public_key(), signer.public_key()])
            .unwrap(),
        signer.keyid()
    );
    let parsed: Envelope = serde_json::from_slice(&envelope.to_json()).unwrap();
    assert_eq!(parsed, envelope);
    let json: serde_json::Value = serde_json::from_slice(&envelope.to_json()).unwrap();
    assert_eq!(json["payloadType"], IN_TOTO_PAYLOAD_TYPE);
    assert_eq!(json["signatures"][0]["keyid"], signer.keyid());
}

#[test]
fn tampering_and_wrong_keys_fail() {
    let signer = key(1);
    let envelope = signer.sign(IN_TOTO_PAYLOAD_TYPE, b"payload");

    let mut payload = envelope.clone();
    payload.payload = STANDARD.encode(b"payloae");
    assert!(payload.verify(&[signer.public_key()]).is_err());

    let mut kind = envelope.clone();
    kind.payload_type = "text/plain".into();
    assert!(kind.verify(&[signer.public_key()]).is_err());

    let mut sig = envelope.clone();
    let mut raw = STANDARD.decode(&sig.signatures[0].sig).unwrap();
    raw[0] ^= 1;
    sig.signatures[0].sig = STANDARD.encode(raw);
    assert!(sig.verify(&[signer.public_key()]).is_err());

    assert!(envelope.verify(&[key(2).public_key()]).is_err());

    // The right key, but the signature names another keyid.
    let mut keyid = envelope.clone();
    keyid.signatures[0].keyid = key(2).keyid().to_owned();
    assert!(keyid.verify(&[signer.public_key()]).is_err());

    assert!(envelope.verify(&[signer.public_key()]).is_ok());
}

#[test]
fn pem_round_trips_with_the_ed25519_spki_prefix() {
    let public = key(3).public_key();
    let pem = public.to_pem();
    assert_eq!(PublicKey::from_pem(&pem).unwrap(), public);
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = STANDARD.decode(body).unwrap();
    let hex: String = der.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(hex, format!("302a300506032b6570032100{}", public.to_hex()));
    assert!(
        PublicKey::from_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----").is_err()
    );
}

#[test]
fn hex_and_seed_round_trip() {
    let signer = SigningKey::generate().unwrap();
    let public = signer.public_key();
    assert_eq!(PublicKey::from_hex(&public.to_hex()).unwrap(), public);
    assert_eq!(PublicKey::from_bytes(&public.to_bytes()).unwrap(), public);
    assert_eq!(SigningKey::from_seed(&signer.seed()).public_key(), public);
    assert_eq!(
        SigningKey::from_seed_hex(&signer.seed_hex())
            .unwrap()
            .keyid(),
        signer.keyid()
    );
    assert!(SigningKey::from_seed_hex("00").is_err());
    assert!(PublicKey::from_hex("zz").is_err());
    let debug = format!("{signer:?}");
    assert!(debug.contains(signer.keyid()));
    let seed_hex: String = signer.seed().iter().map(|b| format!("{b:02x}")).collect();
    assert!(!debug.contains(&seed_hex));
}

mod statement {
    use std::collections::BTreeMap;

    use chrono::{TimeZone, Utc};
    use relman_attest::{
        RELEASE_PREDICATE_TYPE, ReleaseSubjects, release_statement, statement_subjects,
    };
    use relman_domain::{Digest, Platform, Release, ReleaseMember, ReleaseStatus, content_digest};
    use uuid::Uuid;

    const SCHEMA: &str = include_str!("../../../../docs/attestation/release-bundle-v1.schema.json");

    fn digest(seed: &str) -> Digest {
        Digest::sha256_of(seed.as_bytes())
    }

    fn release() -> Release {
        let index = digest("index");
        let members = vec![
            ReleaseMember {
                provenance: Default::default(),
                component_id: Uuid::from_u128(1),
                component_name: "api".into(),
                image_repository: "acme/api".into(),
                tag: "v1.2.3".into(),
                version: Some(semver::Version::new(1, 2, 3)),
                digest: digest("api"),
                channel: Some("stable".parse().unwrap()),
                platforms: vec![],
            },
            ReleaseMember {
                provenance: Default::default(),
                component_id: Uuid::from_u128(2),
                component_name: "web".into(),
                image_repository: "acme/web".into(),
                tag: "latest".into(),
                version: None,
                digest: index.clone(),
                channel: None,
                platforms: vec![
                    Platform {
                        os: "linux".into(),
                        architecture: "amd64".into(),
                        variant: None,
                        digest: digest("amd64"),
                    },
                    Platform {
                        os: "linux".into(),
                        architecture: "arm64".into(),
                        variant: Some("v8".into()),
                        digest: digest("arm64"),
                    },
                    // Listed twice by a sloppy index: one subject.
                    Platform {
                        os: "linux".into(),
                        architecture: "arm64".into(),
                        variant: Some("v8".into()),
                        digest: digest("arm64"),
                    },
                ],
            },
        ];
        let at = Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap();
        Release {
            id: Uuid::from_u128(9),
            name: "r-2026-12".parse().unwrap(),
            display_name: "December".into(),
            status: ReleaseStatus::Ready,
            digest: content_digest(&members),
            members,
            version: Some(semver::Version::new(2, 0, 0)),
            notes: None,
            prerelease: false,
            metadata: BTreeMap::new(),
            source_ref: None,
            created_at: at,
            created_by: "alice".into(),
            updated_at: at,
            deprecated_reason: None,
        }
    }

    fn statement(release: &Release) -> Vec<u8> {
        statement_with(release, &[])
    }

    fn statement_with(release: &Release, assets: &[relman_domain::Asset]) -> Vec<u8> {
        let names = vec!["ghcr.io/acme/api".to_owned(), "ghcr.io/acme/web".to_owned()];
        release_statement(&ReleaseSubjects {
            release,
            image_names: &names,
            released_at: Utc.with_ymd_and_hms(2026, 12, 2, 8, 0, 0).unwrap(),
            assets,
        })
        .unwrap()
    }

    fn asset(name: &str, sha256: &str) -> relman_domain::Asset {
        let at = Utc.with_ymd_and_hms(2026, 12, 1, 8, 0, 0).unwrap();
        relman_domain::Asset {
            id: Uuid::nil(),
            release_id: Uuid::nil(),
            name: name.parse().unwrap(),
            label: None,
            content_type: "application/gzip".into(),
            size: 42,
            sha256: sha256.into(),
            download_count: 0,
            created_at: at,
            created_by: "alice".into(),
            updated_at: at,
        }
    }

    #[test]
    fn assets_are_subjects_by_name_and_sha256() {
        let r = release();
        let (a, b) = ("a".repeat(64), "b".repeat(64));
        let assets = [asset("tool-linux.tar.gz", &b), asset("SHA256SUMS", &a)];
        let bytes = statement_with(&r, &assets);
        let subjects = statement_subjects(&bytes).unwrap();
        assert_eq!(
            &subjects[4..],
            [
                ("SHA256SUMS".to_owned(), format!("sha256:{a}")),
                ("tool-linux.tar.gz".to_owned(), format!("sha256:{b}")),
            ],
            "after the images, by name"
        );
        let doc: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(doc["predicate"]["assets"][1]["size"], 42);
        assert_eq!(
            doc["predicate"]["assets"][0]["contentType"],
            "application/gzip"
        );
        let plain: serde_json::Value = serde_json::from_slice(&statement(&r)).unwrap();
        assert!(
            plain["predicate"].get("assets").is_none(),
            "left out without assets"
        );
    }

    #[test]
    fn subjects_are_members_and_their_platforms_once_each() {
        let r = release();
        let bytes = statement(&r);
        assert_eq!(bytes, statement(&r), "deterministic");
        let subjects = statement_subjects(&bytes).unwrap();
        let want: Vec<(String, String)> = vec![
            ("ghcr.io/acme/api".into(), digest("api").to_string()),
            ("ghcr.io/acme/web".into(), digest("index").to_string()),
            ("ghcr.io/acme/web".into(), digest("amd64").to_string()),
            ("ghcr.io/acme/web".into(), digest("arm64").to_string()),
        ];
        assert_eq!(subjects, want);
        let doc: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(doc["_type"], "https://in-toto.io/Statement/v1");
        assert_eq!(doc["predicateType"], RELEASE_PREDICATE_TYPE);
        assert_eq!(doc["predicate"]["digest"], r.digest.to_string());
        assert_eq!(
            doc["predicate"]["members"][1]["platforms"][1]["variant"],
            "v8"
        );
        assert_eq!(
            doc["predicate"]["releasedAt"],
            "2026-12-02T08:00:00.000000Z"
        );
    }

    #[test]
    fn image_names_must_match_the_members() {
        let r = release();
        let one = vec!["ghcr.io/acme/api".to_owned()];
        let err = release_statement(&ReleaseSubjects {
            release: &r,
            image_names: &one,
            released_at: Utc::now(),
            assets: &[],
        });
        assert!(err.is_err());
    }

    /// Every key the predicate emits is in the schema, and every required key is emitted, at
    /// each level (predicate, members, platforms, sourceRef).
    #[test]
    fn the_schema_describes_the_predicate() {
        let schema: serde_json::Value = serde_json::from_str(SCHEMA).unwrap();
        let mut r = release();
        r.source_ref = Some(relman_domain::SourceRef {
            repository: Some("acme/app".into()),
            ..Default::default()
        });
        let assets = [asset("notes.txt", &"c".repeat(64))];
        let doc: serde_json::Value = serde_json::from_slice(&statement_with(&r, &assets)).unwrap();
        let predicate = &doc["predicate"];
        let asset_schema = &schema["properties"]["assets"]["items"];
        let member_schema = &schema["properties"]["members"]["items"];
        let platform_schema = &member_schema["properties"]["platforms"]["items"];
        let checks = [
            (&schema, predicate),
            (&schema["properties"]["sourceRef"], &predicate["sourceRef"]),
            (member_schema, &predicate["members"][1]),
            (platform_schema, &predicate["members"][1]["platforms"][0]),
            (asset_schema, &predicate["assets"][0]),
        ];
        for (schema, value) in checks {
            let emitted: Vec<&String> = value.as_object().unwrap().keys().collect();
            let properties = schema["properties"].as_object().unwrap();
            for key in &emitted {
                assert!(properties.contains_key(*key), "{key} not in the schema");
            }
            for key in schema["required"].as_array().unwrap() {
                let key = key.as_str().unwrap();
                assert!(
                    emitted.iter().any(|k| *k == key),
                    "required {key} not emitted"
                );
            }
        }
    }
}
