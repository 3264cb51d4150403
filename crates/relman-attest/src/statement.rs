//! The in-toto Statement v1 of a release: its member images as subjects, its snapshot as the
//! relman release-bundle predicate (`docs/attestation/release-bundle-v1.schema.json`).

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use relman_domain::{Asset, Digest, Release};
use serde::{Deserialize, Serialize};

use crate::RELEASE_PREDICATE_TYPE;
use crate::error::AttestError;

const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";

/// What a release statement is made of.
pub struct ReleaseSubjects<'a> {
    /// The release, as it leaves draft.
    pub release: &'a Release,
    /// The subject name of each member image, in member order: registry host and repository,
    /// e.g. `ghcr.io/acme/api`.
    pub image_names: &'a [String],
    /// When it left draft.
    pub released_at: DateTime<Utc>,
    /// The release's assets, frozen with it.
    pub assets: &'a [Asset],
}

#[derive(Serialize, Deserialize)]
struct Statement {
    #[serde(rename = "_type")]
    kind: String,
    subject: Vec<Subject>,
    #[serde(rename = "predicateType")]
    predicate_type: String,
    predicate: serde_json::Value,
}

#[derive(Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
struct Subject {
    name: String,
    digest: BTreeMap<String, String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Predicate<'a> {
    name: &'a str,
    display_name: &'a str,
    version: Option<String>,
    digest: String,
    prerelease: bool,
    created_by: &'a str,
    created_at: String,
    released_at: String,
    source_ref: Option<SourceRefOut<'a>>,
    members: Vec<MemberOut<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    assets: Vec<AssetOut<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AssetOut<'a> {
    name: &'a str,
    size: u64,
    content_type: &'a str,
    sha256: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SourceRefOut<'a> {
    repository: Option<&'a str>,
    branch: Option<&'a str>,
    commit_sha: Option<&'a str>,
    scm_integration_id: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MemberOut<'a> {
    component: &'a str,
    component_id: String,
    image: &'a str,
    image_repository: &'a str,
    tag: &'a str,
    version: Option<String>,
    channel: Option<String>,
    digest: String,
    platforms: Vec<PlatformOut<'a>>,
}

#[derive(Serialize)]
struct PlatformOut<'a> {
    os: &'a str,
    architecture: &'a str,
    variant: Option<&'a str>,
    digest: String,
}

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn subject(name: &str, digest: &Digest) -> Subject {
    let text = digest.to_string();
    let (algorithm, hex) = text.split_once(':').unwrap_or(("sha256", text.as_str()));
    Subject {
        name: name.to_owned(),
        digest: BTreeMap::from([(algorithm.to_owned(), hex.to_owned())]),
    }
}

/// The statement's JSON bytes; the same input always gives the same bytes. Subjects: one per
/// member image, plus one per platform manifest of a multi-arch member (same name), so that a
/// verifier holding only the digest a node pulled finds the release; duplicates once.
pub fn release_statement(input: &ReleaseSubjects<'_>) -> Result<Vec<u8>, AttestError> {
    let release = input.release;
    if input.image_names.len() != release.members.len() {
        return Err(AttestError::Malformed {
            what: "release subjects",
            why: format!(
                "{} image names for {} members",
                input.image_names.len(),
                release.members.len()
            ),
        });
    }
    let mut subjects = Vec::new();
    let mut members = Vec::with_capacity(release.members.len());
    for (member, image) in release.members.iter().zip(input.image_names) {
        subjects.push(subject(image, &member.digest));
        for p in &member.platforms {
            subjects.push(subject(image, &p.digest));
        }
        members.push(MemberOut {
            component: &member.component_name,
            component_id: member.component_id.to_string(),
            image,
            image_repository: &member.image_repository,
            tag: &member.tag,
            version: member.version.as_ref().map(ToString::to_string),
            channel: member.channel.as_ref().map(ToString::to_string),
            digest: member.digest.to_string(),
            platforms: member
                .platforms
                .iter()
                .map(|p| PlatformOut {
                    os: &p.os,
                    architecture: &p.architecture,
                    variant: p.variant.as_deref(),
                    digest: p.digest.to_string(),
                })
                .collect(),
        });
    }
    // Assets are subjects too: a downloaded file is verified by its name and sha256.
    let mut assets: Vec<&Asset> = input.assets.iter().collect();
    assets.sort_by(|a, b| a.name.cmp(&b.name));
    for asset in &assets {
        subjects.push(Subject {
            name: asset.name.to_string(),
            digest: BTreeMap::from([("sha256".to_owned(), asset.sha256.clone())]),
        });
    }
    let mut seen = std::collections::BTreeSet::new();
    subjects.retain(|s| seen.insert((s.name.clone(), s.digest.clone())));
    let predicate = Predicate {
        name: release.name.as_str(),
        display_name: &release.display_name,
        version: release.version.as_ref().map(ToString::to_string),
        digest: release.digest.to_string(),
        prerelease: release.prerelease,
        created_by: &release.created_by,
        created_at: time(release.created_at),
        released_at: time(input.released_at),
        source_ref: release.source_ref.as_ref().map(|s| SourceRefOut {
            repository: s.repository.as_deref(),
            branch: s.branch.as_deref(),
            commit_sha: s.commit_sha.as_deref(),
            scm_integration_id: s.scm_integration_id.map(|id| id.to_string()),
        }),
        members,
        assets: assets
            .iter()
            .map(|a| AssetOut {
                name: a.name.as_str(),
                size: a.size,
                content_type: &a.content_type,
                sha256: &a.sha256,
            })
            .collect(),
    };
    let statement = Statement {
        kind: STATEMENT_TYPE.to_owned(),
        subject: subjects,
        predicate_type: RELEASE_PREDICATE_TYPE.to_owned(),
        predicate: serde_json::to_value(&predicate).map_err(|e| AttestError::Malformed {
            what: "predicate",
            why: e.to_string(),
        })?,
    };
    serde_json::to_vec(&statement).map_err(|e| AttestError::Malformed {
        what: "statement",
        why: e.to_string(),
    })
}

/// A statement's subjects as `(name, "<algorithm>:<hex>")`, for verifiers and tests.
pub fn statement_subjects(payload: &[u8]) -> Result<Vec<(String, String)>, AttestError> {
    let statement: Statement =
        serde_json::from_slice(payload).map_err(|e| AttestError::Malformed {
            what: "statement",
            why: e.to_string(),
        })?;
    Ok(statement
        .subject
        .into_iter()
        .flat_map(|s| {
            let name = s.name;
            s.digest
                .into_iter()
                .map(move |(algorithm, hex)| (name.clone(), format!("{algorithm}:{hex}")))
        })
        .collect())
}
