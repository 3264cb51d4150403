//! Request bodies and queries as the service's inputs.

use relman_domain::Secret;
use relman_service::{
    AssetPatch, AuditQuery, AuthInput, ChannelRuleInput, CompleteInput, ComponentInput,
    ComponentPatch, DeploymentQuery, EnvironmentInput, EnvironmentPatch, FromLatestInput,
    IntegrationInput, IntegrationPatch, MemberInput, PinFromInput, ReleaseInput, ReleasePatch,
    ReleaseQuery, SliceQuery, SourceRefInput, TokenInput, VersionMapInput, VersionMapQuery,
    VersionsQuery,
};

use relman_wire::assets::UpdateAssetRequest;
use relman_wire::audit::AuditEventParams;
use relman_wire::components::{ChannelRuleBody, CreateComponentRequest, UpdateComponentRequest};
use relman_wire::deployments::{CompleteDeploymentRequest, DeploymentListParams};
use relman_wire::environments::{CreateEnvironmentRequest, UpdateEnvironmentRequest};
use relman_wire::integrations::{
    AuthBody, BasicAuth, BearerAuth, CreateIntegrationRequest, NoAuth, UpdateIntegrationRequest,
};
use relman_wire::release_list::ReleaseListParams;
use relman_wire::releases::{
    CreateReleaseRequest, FromLatestRequest, MemberRequest, SourceRefBody, UpdateReleaseRequest,
};
use relman_wire::slice::SliceParams;
use relman_wire::tokens::CreateTokenRequest;
use relman_wire::versions::{CreateVersionMapRequest, VersionMapParams, VersionsParams};

use super::IntoInput;

impl IntoInput<AssetPatch> for UpdateAssetRequest {
    fn into_input(self) -> AssetPatch {
        let r = self;
        AssetPatch {
            name: r.name,
            label: r.label,
        }
    }
}

impl IntoInput<AuditQuery> for AuditEventParams {
    fn into_input(self) -> AuditQuery {
        let p = self;
        AuditQuery {
            resource_type: p.resource_type,
            resource_id: p.resource_id,
            action: p.action,
            since: p.since,
            until: p.until,
            page: p.page,
            page_size: p.page_size,
            cursor: p.cursor,
        }
    }
}

impl IntoInput<ComponentInput> for CreateComponentRequest {
    fn into_input(self) -> ComponentInput {
        let r = self;
        ComponentInput {
            name: r.name,
            display_name: r.display_name,
            image_repository: r.image_repository,
            registry_integration_id: r.registry_integration_id,
            versioning_strategy: r.versioning_strategy.map(|s| s.as_str().to_owned()),
            default_channel: r.default_channel,
            tag_pattern: r.tag_pattern,
            channel_rules: rules(r.channel_rules).unwrap_or_default(),
            sync_interval_seconds: r.sync_interval_seconds,
            record_pushed_at: r.record_pushed_at,
            latest_alias: r.latest_alias.map(|p| p.as_str().to_owned()),
        }
    }
}

impl IntoInput<ComponentPatch> for UpdateComponentRequest {
    fn into_input(self) -> ComponentPatch {
        let r = self;
        ComponentPatch {
            name: r.name,
            display_name: r.display_name,
            image_repository: r.image_repository,
            registry_integration_id: r.registry_integration_id,
            versioning_strategy: r.versioning_strategy.map(|s| s.as_str().to_owned()),
            default_channel: r.default_channel,
            tag_pattern: r.tag_pattern,
            channel_rules: rules(r.channel_rules),
            sync_interval_seconds: r.sync_interval_seconds,
            record_pushed_at: r.record_pushed_at,
            latest_alias: r.latest_alias.map(|p| p.as_str().to_owned()),
        }
    }
}

impl IntoInput<CompleteInput> for CompleteDeploymentRequest {
    fn into_input(self) -> CompleteInput {
        let r = self;
        CompleteInput {
            outcome: r.outcome.as_str().to_owned(),
            message: r.message,
        }
    }
}

impl IntoInput<DeploymentQuery> for DeploymentListParams {
    fn into_input(self) -> DeploymentQuery {
        let p = self;
        DeploymentQuery {
            environment_id: p.environment_id,
            release_id: p.release_id,
            page: p.page,
            page_size: p.page_size,
            cursor: p.cursor,
        }
    }
}

impl IntoInput<EnvironmentInput> for CreateEnvironmentRequest {
    fn into_input(self) -> EnvironmentInput {
        let r = self;
        EnvironmentInput {
            name: r.name,
            display_name: r.display_name,
            order: r.order,
            requires_previous: r.requires_previous,
        }
    }
}

impl IntoInput<EnvironmentPatch> for UpdateEnvironmentRequest {
    fn into_input(self) -> EnvironmentPatch {
        let r = self;
        EnvironmentPatch {
            name: r.name,
            display_name: r.display_name,
            order: r.order,
            requires_previous: r.requires_previous,
        }
    }
}

impl IntoInput<AuthInput> for AuthBody {
    fn into_input(self) -> AuthInput {
        let a = self;
        match a {
            AuthBody::None(NoAuth {}) => AuthInput::None,
            AuthBody::Basic(BasicAuth { username, password }) => AuthInput::Basic {
                username,
                password: Secret::new(password),
            },
            AuthBody::Bearer(BearerAuth { token }) => AuthInput::Bearer {
                token: Secret::new(token),
            },
        }
    }
}

impl IntoInput<IntegrationInput> for CreateIntegrationRequest {
    fn into_input(self) -> IntegrationInput {
        let r = self;
        IntegrationInput {
            name: r.name,
            url: r.url,
            insecure: r.insecure,
            auth: r.auth.map(IntoInput::into_input).unwrap_or_default(),
            max_concurrency: r.max_concurrency,
            requests_per_second: r.requests_per_second,
            push_attestations: r.push_attestations,
        }
    }
}

impl IntoInput<IntegrationPatch> for UpdateIntegrationRequest {
    fn into_input(self) -> IntegrationPatch {
        let r = self;
        IntegrationPatch {
            name: r.name,
            url: r.url,
            insecure: r.insecure,
            auth: r.auth.map(IntoInput::into_input),
            max_concurrency: r.max_concurrency,
            requests_per_second: r.requests_per_second,
            push_attestations: r.push_attestations,
        }
    }
}

impl IntoInput<ReleaseQuery> for ReleaseListParams {
    fn into_input(self) -> ReleaseQuery {
        let p = self;
        ReleaseQuery {
            status: p.status.map(|s| s.as_str().to_owned()),
            component_id: p.component_id,
            prerelease: p.prerelease,
            page: p.page,
            page_size: p.page_size,
            cursor: p.cursor,
        }
    }
}

impl IntoInput<SourceRefInput> for SourceRefBody {
    fn into_input(self) -> SourceRefInput {
        let s = self;
        SourceRefInput {
            scm_integration_id: s.scm_integration_id,
            repository: s.repository,
            branch: s.branch,
            commit_sha: s.commit_sha,
        }
    }
}

impl IntoInput<ReleaseInput> for CreateReleaseRequest {
    fn into_input(self) -> ReleaseInput {
        let r = self;
        ReleaseInput {
            name: r.name,
            display_name: r.display_name,
            components: members_input(r.components),
            source_ref: r.source_ref.map(IntoInput::into_input),
            metadata: r.metadata,
            notes: r.notes,
            prerelease: r.prerelease,
            version: r.version,
        }
    }
}

impl IntoInput<FromLatestInput> for FromLatestRequest {
    fn into_input(self) -> FromLatestInput {
        let r = self;
        FromLatestInput {
            name: r.name,
            display_name: r.display_name,
            channel: r.channel,
            component_ids: r.component_ids,
            pin_from: r.pin_from.map(|p| PinFromInput {
                environment_id: p.environment_id,
            }),
            source_ref: r.source_ref.map(IntoInput::into_input),
            metadata: r.metadata,
            notes: r.notes,
            prerelease: r.prerelease,
            version: r.version,
        }
    }
}

impl IntoInput<ReleasePatch> for UpdateReleaseRequest {
    fn into_input(self) -> ReleasePatch {
        let r = self;
        ReleasePatch {
            display_name: r.display_name,
            metadata: r.metadata,
            notes: r.notes,
            status: r.status.map(|s| s.as_str().to_owned()),
            components: r.components.map(members_input),
            version: r.version,
            prerelease: r.prerelease,
            source_ref: r.source_ref.map(|s| s.map(IntoInput::into_input)),
        }
    }
}

impl IntoInput<SliceQuery> for SliceParams {
    fn into_input(self) -> SliceQuery {
        let p = self;
        SliceQuery {
            limit: p.limit,
            cursor: p.cursor,
        }
    }
}

impl IntoInput<TokenInput> for CreateTokenRequest {
    fn into_input(self) -> TokenInput {
        let r = self;
        TokenInput {
            name: r.name,
            scopes: r.scopes.iter().map(|s| s.as_str().to_owned()).collect(),
            expires_at: r.expires_at,
            requests_per_second: r.requests_per_second,
        }
    }
}

impl IntoInput<VersionMapInput> for CreateVersionMapRequest {
    fn into_input(self) -> VersionMapInput {
        let r = self;
        VersionMapInput {
            component_id: r.component_id,
            tag: r.tag,
            semver: r.semver,
            channel: r.channel,
            digest: r.digest,
        }
    }
}

impl IntoInput<VersionsQuery> for VersionsParams {
    fn into_input(self) -> VersionsQuery {
        let p = self;
        VersionsQuery {
            channel: p.channel,
            limit: p.limit,
            cursor: p.cursor,
            include_gone: p.include_gone.unwrap_or(false),
        }
    }
}

impl IntoInput<VersionMapQuery> for VersionMapParams {
    fn into_input(self) -> VersionMapQuery {
        let p = self;
        VersionMapQuery {
            component_id: p.component_id,
            channel: p.channel,
            source: p.source.map(|s| s.as_str().to_owned()),
            limit: p.limit,
            cursor: p.cursor,
        }
    }
}

fn rules(rules: Option<Vec<ChannelRuleBody>>) -> Option<Vec<ChannelRuleInput>> {
    rules.map(|rs| {
        rs.into_iter()
            .map(|r| ChannelRuleInput {
                pattern: r.pattern,
                channel: r.channel,
            })
            .collect()
    })
}

fn member_input(m: MemberRequest) -> MemberInput {
    MemberInput {
        component_id: m.component_id,
        version: m.version,
        digest: m.digest,
        channel: m.channel,
    }
}

fn members_input(ms: Vec<MemberRequest>) -> Vec<MemberInput> {
    ms.into_iter().map(member_input).collect()
}
