//! Conversions between domain values and their stored form.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::error::StorageError;

/// A time as stored: unix microseconds.
pub(crate) fn to_micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

/// A stored time back to UTC.
pub(crate) fn from_micros(us: i64) -> Result<DateTime<Utc>, StorageError> {
    DateTime::from_timestamp_micros(us).ok_or_else(|| StorageError::Corrupt(format!("time {us}")))
}

/// A stored UUID.
pub(crate) fn uuid(s: &str) -> Result<Uuid, StorageError> {
    Uuid::parse_str(s).map_err(|_| StorageError::Corrupt(format!("uuid '{s}'")))
}

/// Any stored value parsed with `FromStr`; a failure means the row is damaged.
pub(crate) fn parse<T: std::str::FromStr>(what: &str, s: &str) -> Result<T, StorageError> {
    s.parse()
        .map_err(|_| StorageError::Corrupt(format!("{what} '{s}'")))
}

/// A JSON column.
pub(crate) fn json<T: serde::de::DeserializeOwned>(what: &str, s: &str) -> Result<T, StorageError> {
    serde_json::from_str(s).map_err(|e| StorageError::Corrupt(format!("{what}: {e}")))
}

/// A value to a JSON column; serializing plain structs cannot fail.
pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}

/// A platform image as stored in a JSON column (versions and release members share it).
#[derive(serde::Serialize, serde::Deserialize)]
struct StoredPlatform {
    os: String,
    architecture: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    variant: Option<String>,
    digest: String,
}

/// Platforms to their JSON column.
pub(crate) fn platforms_to_json(platforms: &[relman_domain::Platform]) -> String {
    let stored: Vec<StoredPlatform> = platforms
        .iter()
        .map(|p| StoredPlatform {
            os: p.os.clone(),
            architecture: p.architecture.clone(),
            variant: p.variant.clone(),
            digest: p.digest.to_string(),
        })
        .collect();
    to_json(&stored)
}

/// Platforms from their JSON column.
pub(crate) fn platforms_from_json(
    text: &str,
) -> Result<Vec<relman_domain::Platform>, StorageError> {
    let stored: Vec<StoredPlatform> = json("platforms", text)?;
    stored
        .into_iter()
        .map(|p| {
            Ok(relman_domain::Platform {
                os: p.os,
                architecture: p.architecture,
                variant: p.variant,
                digest: parse::<relman_domain::Digest>("digest", &p.digest)?,
            })
        })
        .collect()
}

#[derive(serde::Serialize, serde::Deserialize)]
struct StoredProvenance {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    revision: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    version: Option<String>,
}

/// Provenance labels to their JSON column; `None` when no label is known.
pub(crate) fn provenance_to_json(p: &relman_domain::Provenance) -> Option<String> {
    (!p.is_empty()).then(|| {
        to_json(&StoredProvenance {
            source: p.source.clone(),
            revision: p.revision.clone(),
            version: p.version.clone(),
        })
    })
}

/// Provenance labels from their JSON column.
pub(crate) fn provenance_from_json(
    text: Option<&str>,
) -> Result<relman_domain::Provenance, StorageError> {
    let Some(text) = text else {
        return Ok(relman_domain::Provenance::default());
    };
    let stored: StoredProvenance = json("provenance", text)?;
    Ok(relman_domain::Provenance {
        source: stored.source,
        revision: stored.revision,
        version: stored.version,
    })
}
