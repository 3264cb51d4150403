//! Promotions and deployments: start one, finish one, list them, and where a release stands.
//!
//! relman records deployments; a CD tool performs them. A promotion opens a deployment and moves
//! the release to `promoting`; the CD tool's report closes it. The database decides races: one
//! open deployment per environment (a unique index), and compare-and-set on the release.

use relman_domain::DeploymentRecord;
use relman_domain::{
    Actor, AuditEvent, Deployment, DeploymentOutcome, DeploymentStatus, EnvironmentState,
    PromotionRefusal, check_promotable, previous_environment, release_state, release_status_after,
    transition,
};
use relman_storage::{Completion, DeploymentFilter, StorageError};
use uuid::Uuid;

use crate::Service;
use crate::error::{Resource, ServiceError};
use crate::input::{Errors, text};
use crate::paging::PageRequest;
use crate::release_changes::{CHANGE_ATTEMPTS, next_updated_at};
use crate::releases::Page;

/// Longest message a CD tool may leave on a deployment.
const MAX_MESSAGE: usize = 2000;

/// How a CD tool reports a deployment finished.
#[derive(Debug, Clone, Default)]
pub struct CompleteInput {
    /// `succeeded` or `failed`.
    pub outcome: String,
    /// What happened, in the tool's words.
    pub message: Option<String>,
}

/// Filters and paging for the deployment history.
#[derive(Debug, Clone, Default)]
pub struct DeploymentQuery {
    /// Only deployments to this environment (UUID or name).
    pub environment_id: Option<String>,
    /// Only deployments of this release (UUID or name).
    pub release_id: Option<String>,
    /// Page number, from 1.
    pub page: Option<i64>,
    /// Items per page, 1 to 100.
    pub page_size: Option<i64>,
    /// Start after this cursor (from a previous page's `Link`) instead of at `page`.
    pub cursor: Option<String>,
}

/// The cursor kind of the deployment history.
const DEPLOYMENT_CURSOR: char = 'd';

fn deployment_not_found(key: &str) -> ServiceError {
    ServiceError::NotFound {
        resource: Resource::Deployment,
        key: key.to_owned(),
    }
}

impl Service {
    /// Promotes a release to an environment: opens a deployment there and moves the release to
    /// `promoting`. Refused for a draft or deprecated release, when the environment requires the
    /// previous one and the release never succeeded there, and while another deployment to the
    /// environment is open.
    pub async fn promote_release(
        &self,
        actor: &Actor,
        key: &str,
        environment_key: &str,
    ) -> Result<DeploymentRecord, ServiceError> {
        let mut errors = Errors::default();
        if environment_key.trim().is_empty() {
            errors.push("environmentId", "must not be empty");
        }
        errors.finish()?;
        let env = self.environment(environment_key).await?;
        for _ in 0..CHANGE_ATTEMPTS {
            let release = self.release(key).await?;
            check_promotable(release.status).map_err(|refusal| match refusal {
                PromotionRefusal::NotReady => ServiceError::ReleaseNotReady {
                    key: key.to_owned(),
                },
                PromotionRefusal::Deprecated => ServiceError::ReleaseDeprecated {
                    key: key.to_owned(),
                },
            })?;
            if env.requires_previous {
                let all = self.store.list_environments().await?;
                // Success in the previous environment never goes away, so reading it outside
                // the write cannot go stale.
                if let Some(previous) = previous_environment(&all, &env)
                    && !self.store.succeeded_in(release.id, previous.id).await?
                {
                    return Err(ServiceError::PreviousEnvironmentRequired {
                        release: release.name.to_string(),
                        environment: env.name.to_string(),
                        previous: previous.name.to_string(),
                    });
                }
            }
            let now = crate::now();
            let deployment = Deployment {
                id: Uuid::now_v7(),
                release_id: release.id,
                environment_id: env.id,
                status: DeploymentStatus::InProgress,
                message: None,
                started_at: now,
                started_by: actor.name.clone(),
                completed_at: None,
                completed_by: None,
            };
            let mut next = release.clone();
            next.status = release_status_after(release.status, true, false);
            transition(release.status, next.status).map_err(ServiceError::InvalidTransition)?;
            next.updated_at = next_updated_at(release.updated_at);
            let events = [
                AuditEvent::new(
                    actor,
                    now,
                    "deployment",
                    "start",
                    deployment.id,
                    format!("promoting release {} to {}", release.name, env.name),
                )
                .notify(crate::notices::deployment(&deployment, &env, &next)),
                AuditEvent::new(
                    actor,
                    now,
                    "release",
                    "promote",
                    release.id,
                    format!(
                        "promoting to {} (deployment {}); {} -> {}",
                        env.name, deployment.id, release.status, next.status
                    ),
                ),
            ];
            let started = self
                .store
                .start_deployment(&deployment, &next, release.updated_at, &events)
                .await;
            // Forgotten whatever the answer (see `update_release`).
            self.release_cache.forget(release.id);
            self.forget_release_reads();
            match started {
                Ok(true) => {
                    return Ok(DeploymentRecord {
                        deployment,
                        release_name: release.name.to_string(),
                        environment_name: env.display_name.clone(),
                    });
                }
                // The release changed since it was read: decide again on a fresh read.
                Ok(false) => {}
                Err(StorageError::Conflict { .. }) => {
                    return Err(ServiceError::DeploymentInProgress {
                        environment: env.name.to_string(),
                    });
                }
                // The environment was deleted since it was read.
                Err(StorageError::ForeignKey) => {
                    return Err(ServiceError::NotFound {
                        resource: Resource::Environment,
                        key: environment_key.to_owned(),
                    });
                }
                Err(other) => return Err(other.into()),
            }
        }
        Err(ServiceError::Contended {
            resource: Resource::Release,
            key: key.to_owned(),
        })
    }

    /// Finishes an open deployment. On success the release runs in the environment (the one
    /// that ran there before is superseded); either way the release's status follows from all
    /// its deployments (see [`relman_domain::release_status_after`]). A deployment finishes once.
    pub async fn complete_deployment(
        &self,
        actor: &Actor,
        key: &str,
        input: CompleteInput,
    ) -> Result<DeploymentRecord, ServiceError> {
        let mut errors = Errors::default();
        let outcome = errors.parse::<DeploymentOutcome>("outcome", &input.outcome);
        let message = input
            .message
            .as_deref()
            .and_then(|m| text(&mut errors, "message", m, MAX_MESSAGE));
        errors.finish()?;
        let Some(outcome) = outcome else {
            return Err(relman_domain::ValidationError::field("outcome", "invalid").into());
        };
        let record = self.deployment(key).await?;
        let open = &record.deployment;
        if open.status != DeploymentStatus::InProgress {
            return Err(ServiceError::DeploymentCompleted {
                id: open.id.to_string(),
                status: open.status,
            });
        }
        let now = crate::now();
        let done = Deployment {
            status: outcome.status(),
            message,
            completed_at: Some(now),
            completed_by: Some(actor.name.clone()),
            ..open.clone()
        };
        let verdict = done.status.as_str();
        // What subscribers are told names the release and environment as they are now.
        let release = self.release(&done.release_id.to_string()).await?;
        let environment = self.environment(&done.environment_id.to_string()).await?;
        let mut events = vec![
            AuditEvent::new(
                actor,
                now,
                "deployment",
                "complete",
                done.id,
                format!(
                    "release {} in {}: {verdict}",
                    record.release_name, record.environment_name
                ),
            ),
            AuditEvent::new(
                actor,
                now,
                "release",
                "promotion_complete",
                done.release_id,
                format!(
                    "deployment {} to {} {verdict}",
                    done.id, record.environment_name
                ),
            ),
        ];
        if outcome == DeploymentOutcome::Succeeded {
            // Only this open deployment can change what runs in its environment (one open
            // deployment per environment), so the current release read here stays current
            // until the write below.
            let current = self.store.current_releases().await?;
            if let Some(previous) = current.get(&done.environment_id)
                && *previous != done.release_id
            {
                events.push(AuditEvent::new(
                    actor,
                    now,
                    "release",
                    "supersede",
                    previous,
                    format!(
                        "superseded in {} by release {}",
                        record.environment_name, record.release_name
                    ),
                ));
            }
        }
        let notice = {
            let done = done.clone();
            move |status| {
                let release = relman_domain::Release { status, ..release };
                vec![crate::notices::deployment(&done, &environment, &release)]
            }
        };
        let completion = self
            .store
            .complete_deployment(&done, now, &events, notice)
            .await;
        // Forgotten even on an error: the commit may have landed before the error was seen.
        self.release_cache.forget(done.release_id);
        self.forget_release_reads();
        match completion? {
            Completion::Completed(_) => Ok(DeploymentRecord {
                deployment: done,
                ..record
            }),
            Completion::AlreadyCompleted => {
                let again = self.deployment(key).await?;
                Err(ServiceError::DeploymentCompleted {
                    id: again.deployment.id.to_string(),
                    status: again.deployment.status,
                })
            }
        }
    }

    /// A deployment by id.
    pub async fn deployment(&self, key: &str) -> Result<DeploymentRecord, ServiceError> {
        let Ok(id) = Uuid::parse_str(key) else {
            return Err(deployment_not_found(key));
        };
        self.store.deployment_by_id(id).await.map_err(|e| match e {
            StorageError::NotFound => deployment_not_found(key),
            other => other.into(),
        })
    }

    /// One page of deployment history, newest first.
    pub async fn list_deployments(
        &self,
        query: DeploymentQuery,
    ) -> Result<Page<DeploymentRecord>, ServiceError> {
        let mut errors = Errors::default();
        let paging = PageRequest::parse_with_cursor(
            &mut errors,
            query.page,
            query.page_size,
            query.cursor.as_deref(),
            DEPLOYMENT_CURSOR,
        );
        errors.finish()?;
        let environment_id = match query.environment_id.as_deref() {
            Some(key) => Some(self.environment(key).await?.id),
            None => None,
        };
        let release_id = match query.release_id.as_deref() {
            Some(key) => Some(self.release(key).await?.id),
            None => None,
        };
        let page = self
            .store
            .list_deployments(
                DeploymentFilter {
                    environment_id,
                    release_id,
                },
                paging.window(),
                paging.page_size,
            )
            .await?;
        Ok(paging.keyset_page(page.items, page.total, page.next, DEPLOYMENT_CURSOR))
    }

    /// Where a release stands in every environment, in promotion order.
    pub async fn release_state(&self, key: &str) -> Result<Vec<EnvironmentState>, ServiceError> {
        let release = self.release(key).await?;
        let environments = self.store.list_environments().await?;
        let deployments = self.store.deployments_of_release(release.id).await?;
        let current = self.store.current_releases().await?;
        Ok(release_state(
            release.id,
            &environments,
            &deployments,
            &current,
        ))
    }
}
