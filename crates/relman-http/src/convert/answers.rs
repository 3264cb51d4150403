//! Service answers in their wire shapes.

use relman_domain::{DeploymentRecord, KeyStatus, ReleaseSummary, SigningKeyInfo};
use relman_service::{
    AliasChange, AppliedAlias, EnvironmentState, GeneratedNotes, IntegrationCheck, Page, SyncReport,
};
use relman_wire::aliases::AppliedAliasResponse;
use relman_wire::enums::AliasChangeName;
use relman_wire::rfc3339;
use uuid::Uuid;

use relman_wire::deployments::DeploymentListResponse;
use relman_wire::enums::CheckStage;
use relman_wire::integrations::IntegrationTestResponse;
use relman_wire::release_list::{PageMeta, ReleaseListItem, ReleaseListResponse};
use relman_wire::release_notes::{GeneratedNotesResponse, NotesPrevious};
use relman_wire::release_reports::{EnvironmentStateBody, ReleaseStateResponse};
use relman_wire::releases::ReleaseResponse;
use relman_wire::signing::{KeyAlgorithm, KeyStatusName, SigningKeyResponse};
use relman_wire::versions::SyncResponse;

use super::IntoWire;

impl IntoWire<AppliedAliasResponse> for AppliedAlias {
    fn into_wire(self) -> AppliedAliasResponse {
        let a = self;
        AppliedAliasResponse {
            alias: a.alias.alias,
            tag: a.alias.tag,
            digest: a.alias.digest.to_string(),
            previous_digest: a.previous.map(|d| d.to_string()),
            result: match a.change {
                AliasChange::Created => AliasChangeName::Created,
                AliasChange::Moved => AliasChangeName::Moved,
                AliasChange::Unchanged => AliasChangeName::Unchanged,
            },
        }
    }
}

impl IntoWire<DeploymentListResponse> for Page<DeploymentRecord> {
    fn into_wire(self) -> DeploymentListResponse {
        let p = self;
        DeploymentListResponse {
            meta: page_meta(&p),
            data: p.items.into_iter().map(Into::into).collect(),
        }
    }
}

impl IntoWire<IntegrationTestResponse> for IntegrationCheck {
    fn into_wire(self) -> IntegrationTestResponse {
        let c = self;
        IntegrationTestResponse {
            ok: c.ok,
            stage: c.stage.and_then(CheckStage::parse),
            status: c.status,
            message: c.message,
            registry_requests: c.registry_requests,
        }
    }
}

/// The paging of a service page.
pub(crate) fn page_meta<T>(page: &Page<T>) -> PageMeta {
    PageMeta {
        page: page.page,
        page_size: page.page_size,
        total_count: page.total_count,
        total_pages: page.total_pages,
    }
}

/// The response for a page of releases; `latest` is the latest release's id, if any.
pub(crate) fn release_list(p: Page<ReleaseSummary>, latest: Option<Uuid>) -> ReleaseListResponse {
    ReleaseListResponse {
        meta: page_meta(&p),
        data: p
            .items
            .into_iter()
            .map(|r| ReleaseListItem::new(r, latest))
            .collect(),
    }
}

/// The response for generated notes; `latest` is the latest release's id, if any.
pub(crate) fn generated_notes(
    g: GeneratedNotes,
    applied: bool,
    latest: Option<Uuid>,
) -> GeneratedNotesResponse {
    GeneratedNotesResponse {
        notes: g.notes,
        previous: g.previous.map(|p| NotesPrevious {
            id: p.id,
            name: p.name.to_string(),
        }),
        applied,
        release: ReleaseResponse::new(g.release, latest),
    }
}

impl IntoWire<ReleaseStateResponse> for Vec<EnvironmentState> {
    fn into_wire(self) -> ReleaseStateResponse {
        let states = self;
        ReleaseStateResponse {
            environments: states
                .into_iter()
                .map(|s| EnvironmentStateBody {
                    environment_id: s.environment_id,
                    environment_name: s.environment_name,
                    status: s.status.into(),
                    deployed_at: s.deployed_at.map(rfc3339),
                })
                .collect(),
        }
    }
}

impl IntoWire<SyncResponse> for SyncReport {
    fn into_wire(self) -> SyncResponse {
        let r = self;
        SyncResponse {
            synced: r.synced,
            versions: r.versions.into_iter().map(Into::into).collect(),
            added: r.added,
            updated: r.updated,
            unchanged: r.unchanged,
            gone: r.gone,
            registry_requests: r.registry_requests,
        }
    }
}

impl IntoWire<SigningKeyResponse> for SigningKeyInfo {
    fn into_wire(self) -> SigningKeyResponse {
        let k = self;
        let public_key = relman_attest::PublicKey::from_hex(&k.public_key_hex)
            .map(|p| p.to_pem())
            .unwrap_or_default();
        SigningKeyResponse {
            keyid: k.keyid,
            algorithm: KeyAlgorithm::Ed25519,
            public_key,
            status: match k.status {
                KeyStatus::Active => KeyStatusName::Active,
                KeyStatus::Retired => KeyStatusName::Retired,
            },
            created_at: rfc3339(k.created_at),
            retired_at: k.retired_at.map(rfc3339),
        }
    }
}
