//! The four TUF role documents (spec 1.0), their canonical JSON, and their signatures.

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use relman_attest::SigningKey;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// The TUF specification version the documents follow.
pub const SPEC_VERSION: &str = "1.0.31";

/// An Ed25519 public key as TUF lists it; its keyid is securesystemslib's, the sha256 of this
/// object's canonical JSON (what `relman_attest::SigningKey::keyid` computes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct KeyJson {
    pub keytype: String,
    pub scheme: String,
    pub keyval: KeyVal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct KeyVal {
    pub public: String,
}

impl KeyJson {
    pub(crate) fn of(key: &SigningKey) -> Self {
        Self {
            keytype: "ed25519".into(),
            scheme: "ed25519".into(),
            keyval: KeyVal {
                public: key.public_key().to_hex(),
            },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RoleKeys {
    pub keyids: Vec<String>,
    pub threshold: u32,
}

/// `root.json`'s signed part.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Root {
    #[serde(rename = "_type")]
    pub kind: String,
    pub spec_version: String,
    pub consistent_snapshot: bool,
    pub version: u64,
    pub expires: String,
    pub keys: BTreeMap<String, KeyJson>,
    pub roles: BTreeMap<String, RoleKeys>,
}

impl Root {
    /// A root whose four roles are `key` alone, threshold 1.
    pub(crate) fn single_key(key: &SigningKey, version: u64, expires: DateTime<Utc>) -> Self {
        let role = || RoleKeys {
            keyids: vec![key.keyid().to_owned()],
            threshold: 1,
        };
        Self {
            kind: "root".into(),
            spec_version: SPEC_VERSION.into(),
            consistent_snapshot: true,
            version,
            expires: tuf_time(expires),
            keys: BTreeMap::from([(key.keyid().to_owned(), KeyJson::of(key))]),
            roles: ["root", "snapshot", "targets", "timestamp"]
                .into_iter()
                .map(|r| (r.to_owned(), role()))
                .collect(),
        }
    }

    /// The keyids of the root role.
    pub(crate) fn root_keyids(&self) -> &[String] {
        self.roles.get("root").map_or(&[], |r| r.keyids.as_slice())
    }

    /// Whether every role is exactly `key`.
    pub(crate) fn is_only(&self, key: &SigningKey) -> bool {
        self.keys.len() == 1
            && self.keys.get(key.keyid()) == Some(&KeyJson::of(key))
            && self.roles.values().all(|r| r.keyids == [key.keyid()])
    }
}

/// Length and hashes of a target file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct TargetInfo {
    pub length: u64,
    pub hashes: BTreeMap<String, String>,
}

impl TargetInfo {
    pub(crate) fn of(bytes: &[u8]) -> Self {
        Self {
            length: bytes.len() as u64,
            hashes: BTreeMap::from([("sha256".to_owned(), sha256_hex(bytes))]),
        }
    }

    pub(crate) fn sha256(&self) -> &str {
        self.hashes.get("sha256").map_or("", String::as_str)
    }
}

/// `targets.json`'s signed part.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Targets {
    #[serde(rename = "_type")]
    pub kind: String,
    pub spec_version: String,
    pub version: u64,
    pub expires: String,
    pub targets: BTreeMap<String, TargetInfo>,
}

/// A versioned metadata file as snapshot and timestamp list it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct MetaInfo {
    pub version: u64,
    pub length: u64,
    pub hashes: BTreeMap<String, String>,
}

impl MetaInfo {
    pub(crate) fn of(version: u64, bytes: &[u8]) -> Self {
        Self {
            version,
            length: bytes.len() as u64,
            hashes: BTreeMap::from([("sha256".to_owned(), sha256_hex(bytes))]),
        }
    }
}

/// `snapshot.json`'s or `timestamp.json`'s signed part (`_type` tells which).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Meta {
    #[serde(rename = "_type")]
    pub kind: String,
    pub spec_version: String,
    pub version: u64,
    pub expires: String,
    pub meta: BTreeMap<String, MetaInfo>,
}

impl Meta {
    pub(crate) fn new(
        kind: &str,
        version: u64,
        expires: DateTime<Utc>,
        file: &str,
        info: MetaInfo,
    ) -> Self {
        Self {
            kind: kind.into(),
            spec_version: SPEC_VERSION.into(),
            version,
            expires: tuf_time(expires),
            meta: BTreeMap::from([(file.to_owned(), info)]),
        }
    }

    /// The version of the one file it lists.
    pub(crate) fn listed_version(&self, file: &str) -> Option<u64> {
        self.meta.get(file).map(|m| m.version)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Signature {
    pub keyid: String,
    pub sig: String,
}

/// A metadata file: the signed part and its signatures.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Signed<T> {
    pub signed: T,
    pub signatures: Vec<Signature>,
}

/// TUF's time format: UTC, whole seconds, `Z`.
pub(crate) fn tuf_time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A TUF time read back; `None` when it is not one.
pub(crate) fn parse_tuf_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// `at` as it is written: whole seconds.
pub(crate) fn whole_seconds(at: DateTime<Utc>) -> DateTime<Utc> {
    parse_tuf_time(&tuf_time(at)).unwrap_or(at)
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// OLPC canonical JSON, which TUF signs.
pub(crate) fn canonical(value: &impl Serialize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut ser =
        serde_json::Serializer::with_formatter(&mut out, olpc_cjson::CanonicalFormatter::new());
    // Maps of strings and integers: serialization cannot fail.
    if value.serialize(&mut ser).is_err() {
        out.clear();
    }
    out
}

/// The file bytes of `signed`, signed by every key in `keys`.
pub(crate) fn sign<T: Serialize>(signed: T, keys: &[&SigningKey]) -> Vec<u8> {
    let message = canonical(&signed);
    let signatures = keys
        .iter()
        .map(|k| Signature {
            keyid: k.keyid().to_owned(),
            sig: hex(&k.sign_bytes(&message)),
        })
        .collect();
    canonical(&Signed { signed, signatures })
}
